#!/usr/bin/env bash
# test_crashloop.sh - a crash loop under mixed load.  Background curl loops
# go through nginx the whole time: spawns of counters, adds to them (to
# private counters and to counters shared by the loops), rings, and kills
# of victim counters.  Meanwhile, CRASH_CYCLES times (default 12; `make
# soak` runs 200), after a random 200-600 ms actord is killed with -9 and
# started again on the same database; every 5th cycle nginx is killed with
# -9 too.  Then the load stops, actord is restarted once cleanly with TERM,
# the work drains, and:
#   - every counter equals exactly its adds answered 202 plus some of those
#     whose outcome is unknown (no answer, 502, 503, 504), and nothing was
#     applied twice;
#   - every acknowledged add to a killed victim is in its count or among
#     its dead letters, once;
#   - every ring that was started exited with its message;
#   - no actor failed or is stranded, nothing is left runnable, no request
#     was answered 500 or otherwise unexpectedly;
#   - PRAGMA integrity_check says ok.
# The last line says what was done:
#   crashloop: C cycles, R requests (A acknowledged, U unknown), K kills of
#   actord, N kills of nginx, X counters, Y rings, ok
#
# Exactness with unknown outcomes: add number e to a counter adds 4^e, and
# each e is used once per counter, so a count is a sum of distinct powers
# of four.  Written in base 4, digit e is 1 when add e was applied, 0 when
# not; an add applied twice would leave a 2 (or carry into the next digit,
# which then is a digit nobody sent or a 2).  So the count says exactly
# which adds landed: all the 202 ones must, unknown ones may, others not.
#
# jq and awk programs are in single quotes on purpose.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CYCLES=${CRASH_CYCLES:-12}
ADDERS=3     # loops that add, each to private counters, all to a shared one
ROUNDS=10    # per epoch: 3 private adds and 1 shared add each, so that no
             # exponent is above 29 (4^29 = 2^58 fits in 63 bits, with sums)
REQ_TIME=15                # curl --max-time of one load request

it_start
L=$IT_DIR/load
mkdir -p "$L"
STOP=$L/stop

# ---- the load (each loop runs in a background subshell) ------------------

# running: true until the stop file exists or the test itself is gone.
running() {
    [ ! -e "$STOP" ] && kill -0 "$$" 2>/dev/null
}

# lreq OUT KIND NAME VALUE METHOD PATH [BODY]: one request; appends
# "KIND NAME VALUE STATUS" to OUT and prints the status.
lreq() {
    local out=$1 kind=$2 name=$3 value=$4 method=$5 path=$6 code
    if [ $# -ge 7 ]; then
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$REQ_TIME" \
            -X "$method" -H 'Content-Type: application/json' \
            --data-binary "$7" "$IT_BASE$path") || true
    else
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$REQ_TIME" \
            -X "$method" "$IT_BASE$path") || true
    fi
    code=${code:-000}
    echo "$kind $name $value $code" >>"$out"
    echo "$code"
}

# unknown CODE: true for an answer that leaves the outcome open.
unknown() {
    case $1 in 000 | 502 | 503 | 504) return 0 ;; esac
    return 1
}

# settle OUT KIND NAME VALUE OKCODES METHOD PATH [BODY]: repeats a request
# whose outcome was unknown until an answer decides it (one of OKCODES,
# say "201 409" for a spawn: created now, or by an earlier try).  Prints
# "KIND NAME VALUE decided" or "... undecided" to dec.OUT.
settle() {
    local out=$1 kind=$2 name=$3 value=$4 ok=" $5 " code i
    shift 5
    for ((i = 0; i < 400; i++)); do
        code=$(lreq "$out" "$kind" "$name" "$value" "$@")
        if [[ $ok == *" $code "* ]]; then
            echo "$kind $name $value decided" >>"$L/dec.${out##*/req.}"
            return 0
        fi
        unknown "$code" || break
        sleep 0.05
    done
    echo "$kind $name $value undecided $code" >>"$L/dec.${out##*/req.}"
    return 1
}

spawn_counter() {
    settle "$1" spawn "$2" - "201 409" PUT "/actors/$2" \
        '{"behavior":"counter","args":{"start":0}}'
}

# add OUT NAME E: POSTs {"add": 4^E} once; the answer is recorded.
add() {
    lreq "$1" add "$2" "$3" POST "/actors/$2" "{\"add\":$((1 << (2 * $3)))}" \
        >/dev/null
}

# adder K: epochs of ROUNDS rounds; each round adds 4^(3j..3j+2) to the
# loop's private counter p-K-E and 4^(K + ADDERS*j) to the shared s-E.
adder() {
    local k=$1 out=$L/req.adder.$1 epoch=0 j p s
    while running; do
        p=p-$k-$epoch
        s=s-$epoch
        spawn_counter "$out" "$p" || { sleep 0.1; continue; }
        spawn_counter "$out" "$s" || { sleep 0.1; continue; }
        for ((j = 0; j < ROUNDS; j++)); do
            add "$out" "$p" $((3 * j))
            add "$out" "$s" $((k + ADDERS * j))
            add "$out" "$p" $((3 * j + 1))
            add "$out" "$p" $((3 * j + 2))
            running || break
        done
        epoch=$((epoch + 1))
    done
}

# ringer: starts rings of 20 to 219 forwarders, one after another.
ringer() {
    local out=$L/req.ringer i=0 n
    while running; do
        n=$((20 + RANDOM % 200))
        settle "$out" ring "r-$i" "$n" "201 409" PUT "/actors/r-$i" \
            "{\"behavior\":\"ring\",\"args\":{\"n\":$n,\"message\":\"m-$i\"}}"
        i=$((i + 1))
        sleep 0.$((RANDOM % 3))
    done
}

# killer: spawns a victim counter, adds 1 to 3 times, kills it.
killer() {
    local out=$L/req.killer i=0 e m
    while running; do
        if spawn_counter "$out" "v-$i"; then
            m=$((1 + RANDOM % 3))
            for ((e = 0; e < m; e++)); do
                add "$out" "v-$i" "$e"
            done
            settle "$out" kill "v-$i" - "200 410" DELETE "/actors/v-$i"
        fi
        i=$((i + 1))
        sleep 0.1
    done
}

# ---- the crash loop ----------------------------------------------------------

# restart WHAT: kill -9 actord (and nginx when WHAT is both), start them
# again, wait for /healthz.
restart() {
    local try rc
    [ "$1" = both ] && it_kill9_nginx
    it_kill9_actord
    it_start_actord || return 1
    if [ "$1" = both ]; then
        for try in 1 2 3 4 5; do
            rc=0
            it_start_nginx || rc=$?
            [ $rc -eq 0 ] && break
            [ $rc -eq 2 ] || return 1
            it_log "nginx could not start again on port $IT_PORT (try $try)"
            sleep 0.5
        done
        [ $rc -eq 0 ] || return 1
    fi
    it_wait_healthy 30
}

start_ms=$(($(date +%s%N) / 1000000))
pids=()
for ((k = 0; k < ADDERS; k++)); do
    adder "$k" &
    pids+=($!)
done
ringer &
pids+=($!)
killer &
pids+=($!)

kills_actord=0
kills_nginx=0
cycles=0
crash_ok=1
for ((c = 1; c <= CYCLES; c++)); do
    # A random moment 200-599 ms into the cycle.
    sleep "0.$((200 + RANDOM % 400))"
    what=actord
    if [ $((c % 5)) -eq 0 ]; then
        what=both
        kills_nginx=$((kills_nginx + 1))
    fi
    kills_actord=$((kills_actord + 1))
    if ! restart "$what"; then
        it_fail "cycle $c: actord and nginx are up again after kill -9 ($what)" \
            "$(tail -n 5 "$IT_DIR/actord.log" 2>/dev/null)"
        crash_ok=0
        break
    fi
    cycles=$c
    if [ $((c % 25)) -eq 0 ]; then
        it_log "cycle $c of $CYCLES, $(cat "$L"/req.* 2>/dev/null | wc -l) requests"
    fi
done
[ "$crash_ok" -eq 1 ] && it_pass "$cycles kill -9 cycles: actord came back every time"

# Stop the load; the loops settle what they have open.
touch "$STOP"
wait "${pids[@]}"
load_ms=$(($(date +%s%N) / 1000000 - start_ms))

# One clean restart: TERM, then start again.
it_stop_pid "$ACTORD_PID"
ACTORD_PID=""
it_start_actord
expect_true "actord starts after a clean stop" it_wait_healthy 30

# ---- what was done -------------------------------------------------------

cat "$L"/req.* >"$L/all"
requests=$(wc -l <"$L/all")
acked=$(awk '$4 ~ /^2/' "$L/all" | wc -l)
unknowns=$(awk '$4 == "000" || $4 == "502" || $4 == "503" || $4 == "504"' "$L/all" | wc -l)
codes=$(awk '{ print $4 }' "$L/all" | sort | uniq -c |
    awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
strange=$(awk '!($4 ~ /^(000|200|201|202|409|410|502|503|504)$/)' "$L/all")
expect_true "no request was answered 500 or otherwise unexpectedly" \
    test -z "$strange"
[ -z "$strange" ] || it_log "unexpected answers: $(head -n 10 <<<"$strange")"
cat "$L"/dec.* >"$L/dec" 2>/dev/null
undecided=$(grep -c ' undecided' "$L/dec")
expect_true "every spawn and kill was decided by retrying ($undecided not)" \
    test "$undecided" -eq 0
expect_true "there was load: $acked requests acknowledged" test "$acked" -gt 20

# ---- drain -------------------------------------------------------------------

rings_started=$(awk '$1 == "ring" && $4 == "decided" { print $2 }' "$L/dec" | sort -u)
nrings=$(grep -c . <<<"$rings_started")
drained=0
for ((i = 0; i < 1200; i++)); do
    left=$(it_sql "select
        (select count(*) from actors where status = 'runnable') +
        (select count(*) from actors where behavior = 'ring' and status <> 'exited') +
        (select count(*) from messages m join actors a on a.id = m.actor
          where a.behavior = 'counter' and a.status = 'waiting')")
    if [ "$left" = 0 ]; then
        drained=1
        break
    fi
    sleep 0.1
done
expect_true "the work drained after the last restart (left: ${left:-?})" \
    test "$drained" -eq 1

# ---- the counters ------------------------------------------------------------

# One line per counter: NAME STATUS COUNT MAILBOX DEADLETTER_SUM.
it_sql "select a.name, a.status, coalesce(json_extract(a.state, '\$.count'), 0),
        (select count(*) from messages m where m.actor = a.id),
        (select coalesce(sum(json_extract(d.body, '\$.add')), 0)
           from dead_letters d where d.target = a.name)
     from actors a where a.behavior = 'counter'" | tr '|' ' ' >"$L/counters"
# Per counter: the sum of adds answered 202, of those whose outcome is
# unknown, and how many were answered otherwise (none should be).  In bash:
# the sums need 60 bits, more than awk's doubles hold exactly.
declare -A asum usum nother
while read -r kind name e code; do
    [ "$kind" = add ] || continue
    v=$((1 << (2 * e)))
    case $code in
    202) asum[$name]=$((${asum[$name]:-0} + v)) ;;
    000 | 502 | 503 | 504) usum[$name]=$((${usum[$name]:-0} + v)) ;;
    *) nother[$name]=$((${nother[$name]:-0} + 1)) ;;
    esac
done <"$L/all"
awk '$1 == "spawn" && $4 == "decided" { print $2 }' "$L/dec" | sort -u >"$L/spawned"

bad_counts=0
applied_unknown=0
ncounters=0
declare -A have_status have_count have_mail have_dead
while read -r name st cnt mb dl; do
    have_status[$name]=$st
    have_count[$name]=$cnt
    have_mail[$name]=$mb
    have_dead[$name]=$dl
done <"$L/counters"
missing=0
while read -r name; do
    [ -n "${have_status[$name]:-}" ] || {
        missing=$((missing + 1))
        it_log "counter $name was spawned (201/409) but is not in the database"
    }
done <"$L/spawned"
expect_true "every spawned counter exists ($missing missing)" test "$missing" -eq 0
for name in "${!asum[@]}" "${!usum[@]}" "${!nother[@]}"; do
    if [ -z "${have_status[$name]:-}" ]; then
        bad_counts=$((bad_counts + 1))
        it_log "counter $name: adds were sent to it, but it is not in the database"
    fi
done
for name in "${!have_status[@]}"; do
    sa=${asum[$name]:-0} su=${usum[$name]:-0} no=${nother[$name]:-0}
    ncounters=$((ncounters + 1))
    st=${have_status[$name]:-none}
    total=$((${have_count[$name]:-0} + ${have_dead[$name]:-0}))
    # Every digit of total in base 4 must be 0 or 1: nothing twice.
    twice=$((total & ~0x5555555555555555))
    lost=$(((total & sa) ^ sa))
    strange=$((total & ~(sa | su)))
    for ((x = total & su; x != 0; x &= x - 1)); do
        applied_unknown=$((applied_unknown + 1))
    done
    if [ "$twice" -ne 0 ] || [ "$lost" -ne 0 ] || [ "$strange" -ne 0 ] ||
        [ "$no" -ne 0 ]; then
        bad_counts=$((bad_counts + 1))
        [ "$bad_counts" -le 10 ] &&
            it_log "counter $name ($st): count ${have_count[$name]:-?}," \
                "dead letters ${have_dead[$name]:-?}: acked $sa, unknown" \
                "$su; twice $twice, lost $lost, never sent $strange," \
                "other answers $no"
    fi
    case $name in
    v-*) ;;
    *)
        if [ "$st" != waiting ] || [ "${have_mail[$name]:-1}" != 0 ] ||
            [ "${have_dead[$name]:-0}" != 0 ]; then
            bad_counts=$((bad_counts + 1))
            it_log "counter $name: status $st, mailbox ${have_mail[$name]:-?}," \
                "dead letters ${have_dead[$name]:-?}"
        fi
        ;;
    esac
done
expect_true "every count is exact: acknowledged adds all once, unknown ones at most once, nothing else ($bad_counts wrong)" \
    test "$bad_counts" -eq 0

# Victims: every decided kill left the victim killed.
not_killed=0
nkills=0
while read -r name; do
    nkills=$((nkills + 1))
    if [ "${have_status[$name]:-none}" != killed ]; then
        not_killed=$((not_killed + 1))
        it_log "victim $name: status ${have_status[$name]:-none} after its kill"
    fi
done < <(awk '$1 == "kill" && $4 == "decided" { print $2 }' "$L/dec" | sort -u)
expect_true "every killed victim is killed ($nkills kills, $not_killed not)" \
    test "$not_killed" -eq 0

# ---- the rings -----------------------------------------------------------------

it_sql "select name, status, coalesce(result, 'null') from actors
     where behavior = 'ring'" | tr '|' ' ' >"$L/rings"
ring_bad=0
declare -A ring_status ring_result
while read -r name st res; do
    ring_status[$name]=$st
    ring_result[$name]=$res
done <"$L/rings"
while read -r name; do
    [ -n "$name" ] || continue
    num=${name#r-}
    if [ "${ring_status[$name]:-none}" != exited ] ||
        [ "${ring_result[$name]:-}" != "\"m-$num\"" ]; then
        ring_bad=$((ring_bad + 1))
        it_log "ring $name: status ${ring_status[$name]:-none}, result ${ring_result[$name]:-none}"
    fi
done <<<"$rings_started"
expect_true "every started ring completed with its message ($nrings rings, $ring_bad not)" \
    test "$ring_bad" -eq 0
fwd_bad=$(it_sql "select count(*) from actors where behavior = 'forwarder'
               and status <> 'exited'")
expect_true "every forwarder of every ring exited ($fwd_bad did not)" \
    test "$fwd_bad" = 0

# ---- the database ----------------------------------------------------------------

bad_status=$(it_sql "select name || ' ' || status || ' ' || coalesce(error, '')
                  from actors where status in ('failed', 'stranded', 'runnable')")
expect_true "no actor failed, is stranded or left runnable" test -z "$bad_status"
[ -z "$bad_status" ] || it_log "$(head -n 10 <<<"$bad_status")"
expect_integrity

verdict=ok
[ "$IT_FAILED" -eq 0 ] || verdict=FAILED
echo "crashloop: $cycles cycles, $requests requests ($acked acknowledged," \
    "$unknowns unknown), $kills_actord kills of actord, $kills_nginx kills of" \
    "nginx, $ncounters counters, $nrings rings, $verdict"
it_log "$((load_ms / 1000)) s of load; $applied_unknown adds of unknown outcome" \
    "landed; $nkills victims killed; answers: $codes"

it_finish
