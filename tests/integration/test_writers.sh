#!/usr/bin/env bash
# test_writers.sh - concurrent writers on one database: three actord
# processes (each on its own socket, behind its own nginx on its own port)
# and three `actorctl send` batch senders, all at once, plus a sqlite3
# shell that holds the write lock for longer than the busy timeout in the
# middle of it.  Every writer sends adds to four shared counters and
# numbered messages ({"w": WRITER, "i": I}) to one shared collector;
# clients retry on 503 (as Retry-After asks) and actorctl retries a batch
# refused as busy (a batch is one transaction: nothing of it was sent).
#   - no request is ever answered 500; every 503 is `busy` with
#     Retry-After; nothing else but 201/202 and 503;
#   - actorctl exits 0, or 1 saying busy;
#   - each counter equals exactly the sum of its acknowledged adds;
#   - no actor runs two steps at the same time: the collector's state (a
#     list it appends each message to, rewritten by every step) holds every
#     acknowledged message exactly once, and each writer's messages in the
#     order that writer sent them.  Two steps of one actor at once on the
#     same stored state would lose an append or repeat a message.
# The last line says what was done.
# jq programs are in single quotes on purpose.
# Functions called through expect_true or the EXIT trap look unreachable.
# shellcheck disable=SC2016,SC2317
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl

HTTP_MSGS=${WRITERS_HTTP_MSGS:-160}  # messages per HTTP loop
BATCHES=${WRITERS_BATCHES:-8}        # batches per actorctl sender
BATCH=${WRITERS_BATCH:-40}           # lines per batch
COUNTERS=4

it_start
W=$IT_DIR/w
mkdir -p "$W"

# ---- two more actord processes, each behind its own nginx ----------------

EXTRA_PIDS=()   # actord 2, 3 and their nginx masters, stopped at exit
PORTS=("$IT_PORT")

stop_extras() {
    local pid
    for pid in "${EXTRA_PIDS[@]}"; do
        it_stop_pid "$pid"
    done
    EXTRA_PIDS=()
}
trap 'rc=$?; stop_extras; (exit $rc); it_cleanup' EXIT

# start_extra K: actord on $IT_DIR/aK.sock and an nginx for it in
# $IT_DIR/nK on a free port (appended to PORTS).
start_extra() {
    local k=$1 sock=$IT_DIR/a$1.sock dir=$IT_DIR/n$1 port pid i try up
    rm -f "$sock"
    # As lib.sh starts actord (under a checker's wrapper when it has one).
    if declare -F it_exec_actord >/dev/null; then
        it_exec_actord --listen "unix:$sock" --db "$IT_DB" </dev/null \
            2>>"$IT_DIR/actord$k.log" &
    else
        "$ACTORD_BIN" --listen "unix:$sock" --db "$IT_DB" </dev/null \
            2>>"$IT_DIR/actord$k.log" &
    fi
    pid=$!
    EXTRA_PIDS+=("$pid")
    for ((i = 0; i < 100 * ${IT_SLOW:-1}; i++)); do
        [ -S "$sock" ] && break
        sleep 0.1
    done
    [ -S "$sock" ] || return 1
    mkdir -p "$dir"
    for try in 1 2 3 4 5; do
        port=$(it_free_port) || return 1
        PORT=$port RUNDIR=$dir SOCKET=$sock \
            bash "$IT_ROOT/scripts/run.sh" --print-config >"$dir/nginx.conf" ||
            return 1
        "$NGINX_BIN" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
            -g 'daemon off;' </dev/null >>"$dir/nginx.out" 2>&1 &
        pid=$!
        EXTRA_PIDS+=("$pid")
        up=0
        for ((i = 0; i < 100; i++)); do
            if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
                "http://127.0.0.1:$port/healthz")" = 200 ]; then
                up=1
                break
            fi
            it_alive "$pid" || break
            sleep 0.1
        done
        if [ "$up" -eq 1 ]; then
            PORTS+=("$port")
            return 0
        fi
        it_stop_pid "$pid"
    done
    return 1
}

for k in 2 3; do
    expect_true "actord $k and its nginx are up on the same database" start_extra "$k"
done
[ "${#PORTS[@]}" -eq 3 ] || it_finish

for ((c = 0; c < COUNTERS; c++)); do
    it_req PUT "/actors/c$c" '{"behavior":"counter","args":{"start":0}}'
    expect_status 201 "spawn counter c$c"
done
it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "spawn collector col"

# ---- the writers -------------------------------------------------------------

# value I WRITER_NO: the add that message I of a writer carries: varied.
value() {
    echo $((1 + ($1 * 7 + $2 * 3) % 13))
}

# http_writer NAME NO PORT: HTTP_MSGS messages through the nginx on PORT;
# even I adds to counter c(I/2 + NO) % COUNTERS, odd I goes to the
# collector.  A 503 is retried after its Retry-After; every answer is
# recorded as "WRITER I TARGET VALUE STATUS RETRY_AFTER" in req.NAME.
http_writer() {
    local name=$1 no=$2 port=$3 out=$W/req.$1 hdr=$W/hdr.$1 i target body v
    local code ra tries
    for ((i = 0; i < HTTP_MSGS; i++)); do
        if [ $((i % 2)) -eq 0 ]; then
            target=c$(((i / 2 + no) % COUNTERS))
            v=$(value "$i" "$no")
            body="{\"add\":$v}"
        else
            target=col
            v=-
            body="{\"w\":\"$name\",\"i\":$i}"
        fi
        for ((tries = 0; tries < 100; tries++)); do
            code=$(curl -s -o /dev/null -D "$hdr" -w '%{http_code}' \
                --max-time 30 -X POST -H 'Content-Type: application/json' \
                --data-binary "$body" "http://127.0.0.1:$port/actors/$target") ||
                true
            code=${code:-000}
            ra=$(tr -d '\r' <"$hdr" | awk -F': *' 'tolower($1) == "retry-after" { print $2 }')
            echo "$name $i $target $v $code ${ra:--}" >>"$out"
            [ "$code" = 503 ] || break
            sleep "${ra:-1}"
        done
    done
}

# ctl_writer NAME NO: BATCHES batches of BATCH lines through actorctl send;
# a batch refused as busy is sent again.  Records the outcome of each run
# as "WRITER BATCH EXIT busy|other|-" in ctl.NAME; a batch's lines are in
# batch.NAME.B.
ctl_writer() {
    local name=$1 no=$2 b i j target v rc kind err tries
    for ((b = 0; b < BATCHES; b++)); do
        for ((j = 0; j < BATCH; j++)); do
            i=$((b * BATCH + j))
            if [ $((i % 2)) -eq 0 ]; then
                target=c$(((i / 2 + no) % COUNTERS))
                v=$(value "$i" "$no")
                echo "{\"to\":\"$target\",\"message\":{\"add\":$v}}"
            else
                echo "{\"to\":\"col\",\"message\":{\"w\":\"$name\",\"i\":$i}}"
            fi
        done >"$W/batch.$name.$b"
        for ((tries = 0; tries < 50; tries++)); do
            err=$("$CTL" --db "$IT_DB" send <"$W/batch.$name.$b" 2>&1 >"$W/out.$name")
            rc=$?
            kind=-
            if [ $rc -ne 0 ]; then
                if grep -q 'busy' <<<"$err"; then kind=busy; else kind=other; fi
                echo "$name $b: $err" >>"$W/ctlerr"
            elif [ "$(cat "$W/out.$name")" != "sent $BATCH messages" ]; then
                kind=other
                echo "$name $b: said $(cat "$W/out.$name")" >>"$W/ctlerr"
            fi
            echo "$name $b $rc $kind" >>"$W/ctl.$name"
            [ "$kind" = busy ] || break
            sleep 0.2
        done
    done
}

start_ms=$(($(date +%s%N) / 1000000))
pids=()
no=0
for ((p = 0; p < 3; p++)); do
    for l in 0 1; do
        http_writer "h$p$l" "$no" "${PORTS[$p]}" &
        pids+=($!)
        no=$((no + 1))
    done
done
for j in 0 1 2; do
    ctl_writer "a$j" "$no" &
    pids+=($!)
    no=$((no + 1))
done

# In the middle, another process holds the write lock for 6 s, longer than
# the 5 s busy timeout of actord and actorctl.
sleep 0.3
printf '.timeout 10000\nBEGIN IMMEDIATE;\nUPDATE actors SET updated = updated WHERE 0;\n.shell sleep 6\nCOMMIT;\n' |
    sqlite3 "$IT_DB" >"$W/locker.out" 2>&1 &
locker=$!
wait "$locker"
locker_rc=$?
wait "${pids[@]}"
load_ms=$(($(date +%s%N) / 1000000 - start_ms))
expect_true "the sqlite3 shell held the write lock and let go (exit $locker_rc)" \
    test "$locker_rc" -eq 0

# ---- what the clients saw ------------------------------------------------------

cat "$W"/req.* >"$W/http"
requests=$(wc -l <"$W/http")
codes=$(awk '{ print $5 }' "$W/http" | sort | uniq -c |
    awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
n500=$(awk '$5 ~ /^5/ && $5 != 503' "$W/http" | wc -l)
n503=$(awk '$5 == 503' "$W/http" | wc -l)
no_ra=$(awk '$5 == 503 && $6 !~ /^[0-9]+$/' "$W/http" | wc -l)
strange=$(awk '$5 != 202 && $5 != 503' "$W/http" | wc -l)
expect_true "no request was answered 500 or any 5xx but 503 ($n500)" test "$n500" -eq 0
expect_true "every 503 carries Retry-After ($n503 503s, $no_ra without)" \
    test "$no_ra" -eq 0
expect_true "every send was answered 202 or 503 ($strange otherwise: $codes)" \
    test "$strange" -eq 0
expect_true "the held lock made actord answer 503 busy ($n503 times)" \
    test "$n503" -gt 0
cat "$W"/ctl.* >"$W/ctl"
ctl_runs=$(wc -l <"$W/ctl")
ctl_busy=$(awk '$4 == "busy"' "$W/ctl" | wc -l)
ctl_other=$(awk '$4 == "other"' "$W/ctl" | wc -l)
expect_true "actorctl exited 0 or said busy ($ctl_runs runs, $ctl_busy busy, $ctl_other otherwise)" \
    test "$ctl_other" -eq 0
[ ! -s "$W/ctlerr" ] || it_log "actorctl said: $(sort "$W/ctlerr" | uniq -c | head -n 5)"

# The acknowledged messages: HTTP ones answered 202, lines of the batches
# whose last run exited 0.
awk '$5 == 202' "$W/http" >"$W/acked"
: >"$W/ctl_acked"
while read -r name b rc kind; do
    if [ "$rc" != 0 ] || [ "$kind" != - ]; then
        continue
    fi
    jq -r '"\(.to) \(.message.add // "-")"' "$W/batch.$name.$b" |
        awk -v w="$name" -v b="$b" -v n="$BATCH" \
            '{ print w, b * n + NR - 1, $1, $2 }' >>"$W/ctl_acked"
done <"$W/ctl"
ctl_batches_ok=$(awk '$3 == 0 && $4 == "-"' "$W/ctl" | wc -l)
expect_true "every batch was sent in the end ($ctl_batches_ok of $((3 * BATCHES)))" \
    test "$ctl_batches_ok" -eq $((3 * BATCHES))

# ---- drain, then exact counts ------------------------------------------------------

drained=0
for ((i = 0; i < 600; i++)); do
    left=$(it_sql "select (select count(*) from actors where status = 'runnable')
                     + (select count(*) from messages)")
    if [ "$left" = 0 ]; then
        drained=1
        break
    fi
    sleep 0.1
done
expect_true "the mailboxes drained (left: ${left:-?})" test "$drained" -eq 1

total_adds=0
for ((c = 0; c < COUNTERS; c++)); do
    want=$(awk -v t="c$c" '$3 == t { s += $4 } END { print s + 0 }' \
        "$W/acked" "$W/ctl_acked")
    n=$(awk -v t="c$c" '$3 == t' "$W/acked" "$W/ctl_acked" | wc -l)
    total_adds=$((total_adds + n))
    got=$(it_sql "select json_extract(state, '\$.count') || ' ' || status
               from actors where name = 'c$c'")
    if [ "$got" = "$want waiting" ]; then
        it_pass "counter c$c is exactly $want ($n acknowledged adds)"
    else
        it_fail "counter c$c is exactly $want ($n acknowledged adds)" \
            "it is: $got"
    fi
done

# The collector: per writer, exactly its acknowledged messages, in order.
it_sql "select state from actors where name = 'col'" >"$W/col.json"
jq -r '.messages[] | "\(.w) \(.i)"' "$W/col.json" >"$W/col.seen"
ncol=$(wc -l <"$W/col.seen")
awk '$3 == "col" { print $1, $2 }' "$W/acked" "$W/ctl_acked" >"$W/col.want"
dup=$(sort "$W/col.seen" | uniq -d | wc -l)
expect_true "the collector holds no message twice ($dup twice)" test "$dup" -eq 0
col_bad=0
while read -r w; do
    if ! cmp -s <(awk -v w="$w" '$1 == w { print $2 }' "$W/col.want") \
        <(awk -v w="$w" '$1 == w { print $2 }' "$W/col.seen"); then
        col_bad=$((col_bad + 1))
        it_log "collector: writer $w's messages differ from what was acknowledged"
    fi
done < <(awk '{ print $1 }' "$W/col.want" | sort -u)
nwant=$(wc -l <"$W/col.want")
expect_true "the collector holds every acknowledged message once, each writer's in order ($ncol held, $nwant acknowledged, $col_bad writers differ)" \
    test "$col_bad" -eq 0 -a "$ncol" -eq "$nwant"
col_status=$(it_sql "select status from actors where name = 'col'")
expect_true "the collector is waiting ($col_status)" test "$col_status" = waiting

bad_status=$(it_sql "select count(*) from actors where status in ('failed', 'stranded')")
expect_true "no actor failed or is stranded ($bad_status)" test "$bad_status" = 0
expect_integrity
for k in "" 2 3; do
    it_log "actord${k:-1} logged $(grep -c ' 503 busy' "$IT_DIR/actord$k.log") busy answers"
done

verdict=ok
[ "$IT_FAILED" -eq 0 ] || verdict=FAILED
echo "writers: 3 actord + 3 actorctl, $requests HTTP requests ($n503 busy 503s," \
    "$n500 500s), $ctl_runs actorctl runs ($ctl_busy busy), $total_adds adds to" \
    "$COUNTERS counters, $ncol collector messages, $((load_ms / 1000)) s, $verdict"

it_finish
