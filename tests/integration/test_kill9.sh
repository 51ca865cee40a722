#!/usr/bin/env bash
# test_kill9.sh - restart safety.  Concurrent curl loops stream messages to
# a collector ({"id": i}) and to a counter ({"add": 1}); in the middle of
# the stream actord is killed with kill -9 and started again on the same
# database (scenario "actord"), or nginx and actord are both killed with
# kill -9 and started again (scenario "both").  Requests that got no 202
# are "not acknowledged"; one in flight at the kill may still have been
# stored.  Once the mailboxes are drained:
#   - every acknowledged id is in the collector's state exactly once,
#   - no id is there twice, and none that was never sent,
#   - the ids of each loop are in the order that loop sent them,
#   - acknowledged adds <= count <= acknowledged + unacknowledged adds.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${KILL9_N:-1200}   # messages to the collector per scenario
M=${KILL9_M:-400}    # adds to the counter per scenario
LOOPS=3              # concurrent loops to the collector (plus one adder)

it_start

# send_stream OUT TARGET FIRST STEP END KIND: POSTs i = FIRST, FIRST+STEP, ...
# below END to /actors/TARGET, {"id": i} (KIND id) or {"add": 1} (KIND add),
# and appends "i STATUS" to OUT.  After a failure it pauses a little so that
# the stream outlasts the restart.
send_stream() {
    local out=$1 target=$2 first=$3 step=$4 end=$5 kind=$6 i body code
    for ((i = first; i < end; i += step)); do
        if [ "$kind" = id ]; then
            body="{\"id\":$i}"
        else
            body='{"add":1}'
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
            -X POST -H 'Content-Type: application/json' \
            --data-binary "$body" "$IT_BASE/actors/$target") || true
        echo "$i ${code:-000}" >>"$out"
        [ "$code" = 202 ] || sleep 0.05
    done
}

# in_order FILE K: in the collector document FILE, the ids that loop K sent
# come in the order it sent them.
# shellcheck disable=SC2317  # called through expect_true
in_order() {
    jq -e --argjson k "$2" --argjson l "$LOOPS" \
        '[.state.messages[] | .id | select(. % $l == $k)] as $a
         | $a == ($a | sort)' "$1" >/dev/null
}

# scenario MODE: one stream with a kill -9 of actord (MODE actord) or of
# nginx and actord (MODE both) in its middle.
scenario() {
    local mode=$1 col=col-$1 cnt=cnt-$1 d=$IT_DIR/$1 k sent i
    local -a pids=()
    mkdir -p "$d"
    it_req PUT "/actors/$col" '{"behavior":"collector","args":{}}'
    expect_status 201 "[$mode] PUT /actors/$col"
    it_req PUT "/actors/$cnt" '{"behavior":"counter","args":{"start":0}}'
    expect_status 201 "[$mode] PUT /actors/$cnt"

    for ((k = 0; k < LOOPS; k++)); do
        send_stream "$d/col.$k" "$col" "$k" "$LOOPS" "$N" id &
        pids+=($!)
    done
    send_stream "$d/cnt" "$cnt" 0 1 "$M" add &
    pids+=($!)

    # Kill once a third of the collector's stream is through.
    for ((i = 0; i < 1200; i++)); do
        sent=$(cat "$d"/col.* 2>/dev/null | wc -l)
        [ "$sent" -lt $((N / 3)) ] || break
        sleep 0.025
    done
    it_log "[$mode] kill -9 after $sent of $N messages"
    if [ "$mode" = both ]; then
        it_kill9_nginx
    fi
    it_kill9_actord
    sleep 0.3
    if ! it_start_actord; then
        it_fail "[$mode] actord starts again on the same database"
        wait "${pids[@]}"
        return
    fi
    if [ "$mode" = both ] && ! it_start_nginx; then
        it_fail "[$mode] nginx starts again on port $IT_PORT"
        wait "${pids[@]}"
        return
    fi
    expect_true "[$mode] /healthz answers after the restart" it_wait_healthy 10
    wait "${pids[@]}"

    # --- the collector ---
    cat "$d"/col.* >"$d/col.all"
    expect_true "[$mode] every message of the stream got an answer" \
        test "$(wc -l <"$d/col.all")" -eq "$N"
    awk '$2 == 202 { print $1 }' "$d/col.all" | LC_ALL=C sort >"$d/acked"
    awk '$2 != 202 { print $1 }' "$d/col.all" | LC_ALL=C sort >"$d/unacked"
    local acked unacked codes
    acked=$(wc -l <"$d/acked")
    unacked=$(wc -l <"$d/unacked")
    codes=$(awk '{ print $2 }' "$d/col.all" "$d/cnt" | sort | uniq -c |
        awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')
    expect_true "[$mode] most messages were acknowledged ($acked of $N)" \
        test "$acked" -ge $((N / 2))

    expect_poll 60 "[$mode] the collector drains its mailbox" "/actors/$col" \
        '.mailbox == 0 and .status == "waiting"'
    printf '%s' "$IT_BODY" >"$d/col.json"
    jq -r '.state.messages[] | .id' "$d/col.json" >"$d/seen.ordered"
    LC_ALL=C sort "$d/seen.ordered" >"$d/seen"
    local seen twice lost stored_unacked strange
    seen=$(wc -l <"$d/seen")
    twice=$(uniq -d "$d/seen" | wc -l)
    lost=$(LC_ALL=C comm -23 "$d/acked" <(uniq "$d/seen") | wc -l)
    stored_unacked=$(LC_ALL=C comm -12 "$d/unacked" <(uniq "$d/seen") | wc -l)
    strange=$(LC_ALL=C comm -13 <(LC_ALL=C sort "$d/acked" "$d/unacked") \
        <(uniq "$d/seen") | wc -l)
    expect_true "[$mode] no acknowledged message is lost ($lost lost)" \
        test "$lost" -eq 0
    expect_true "[$mode] no message is stored twice ($twice twice)" \
        test "$twice" -eq 0
    expect_true "[$mode] every stored message was sent ($strange strange)" \
        test "$strange" -eq 0
    for ((k = 0; k < LOOPS; k++)); do
        expect_true "[$mode] loop $k's messages are in the order sent" \
            in_order "$d/col.json" "$k"
    done

    # --- the counter ---
    local cacked cunacked count
    cacked=$(awk '$2 == 202' "$d/cnt" | wc -l)
    cunacked=$(awk '$2 != 202' "$d/cnt" | wc -l)
    expect_true "[$mode] every add got an answer" \
        test $((cacked + cunacked)) -eq "$M"
    expect_poll 60 "[$mode] the counter drains its mailbox" "/actors/$cnt" \
        '.mailbox == 0 and .status == "waiting"'
    count=$(it_jq .state.count)
    expect_true "[$mode] count $count >= $cacked acknowledged adds" \
        test "${count:-0}" -ge "$cacked"
    expect_true "[$mode] count $count <= $cacked + $cunacked unacknowledged adds" \
        test "${count:-0}" -le $((cacked + cunacked))

    it_log "[$mode] collector: $N sent, $acked acked, $unacked not" \
        "($stored_unacked of those stored), $seen stored, $lost lost," \
        "$twice twice; counter: $M sent, $cacked acked, $cunacked not," \
        "count $count; answers: $codes"
}

scenario actord
scenario both

it_finish
