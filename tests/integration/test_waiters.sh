#!/usr/bin/env bash
# test_waiters.sh - thousands of requests wait at once and hold no thread:
# with 4 request threads, 2,000 long-polls (GET ?wait=) spread over 100
# counters and 300 calls to a collector (which never replies) wait, made
# by build/tests/tools/waiters; meanwhile /healthz answers within 2 s,
# sends answer 202 and every count comes out exact.  Killing the 100
# counters answers all 2,000 long-polls 200 killed; the calls answer 504
# call_timeout at their deadline and leave no reply box.  Each of actord,
# nginx's workers and the tool needs about 2,300 descriptors; the test
# raises its soft limit to the hard one, and fails at once if that is
# short.  Loopback only; the tool is stopped by pid with the servers.
. "$(dirname "$0")/lib.sh"

WAITERS_BIN=${WAITERS_BIN:-$IT_ROOT/build/tests/tools/waiters}
POLLS=2000        # long-polls, spread over the counters
COUNTERS=100      # counters c0 ... c99
CALLS=300         # calls to the collector, nobody answers them
HEALTH=20         # GET /healthz while they wait
SENDS=50          # POST {"add": N} while they wait
NEED=$((2 * (POLLS + CALLS) + 500)) # a worker of nginx that took them all
# Under a checker actord routes and parks slower: the tool paces its
# connections slower and the calls wait longer, IT_SLOW times (at least 5
# times with another actord, build/asan or build/tsan: under TSan, 10 calls
# every 50 ms while 2,000 long-polls waited got 32 of 300 answered 502).
if [ "$ACTORD_BIN" != "$IT_ROOT/build/actord" ] && [ "$IT_SLOW" -lt 5 ]; then
    IT_SLOW=5
fi
CALL_TIMEOUT=$((10 * IT_SLOW > 200 ? 200 : 10 * IT_SLOW)) # s, ?timeout=
TOOL_TIMEOUT=$((CALL_TIMEOUT + 35 * IT_SLOW)) # s, the tool's bound
TOOL_TIMEOUT=$((TOOL_TIMEOUT > 600 ? 600 : TOOL_TIMEOUT))
PAUSE=$((20 * IT_SLOW)) # ms between batches of 25 long-polls
CALL_PAUSE=$((50 * IT_SLOW)) # ms between batches of 10 calls

IT_ACTORD_ARGS=(--threads 4)
hard=$(ulimit -Hn)
ulimit -n "$hard" 2>/dev/null || true
it_start

if [ ! -x "$WAITERS_BIN" ]; then
    it_fail "$WAITERS_BIN is missing: make build/tests/tools/waiters"
    it_finish
fi
if [ "$hard" != unlimited ] && [ "$hard" -lt "$NEED" ]; then
    it_fail "the hard limit of open files is $hard; this test needs $NEED"
    it_finish
fi
cap=$(sed -n 's/.* event=start .* waiters=\([0-9]*\).*/\1/p' "$IT_DIR/actord.log")
expect_true "actord lets $((POLLS + CALLS)) requests wait (up to ${cap:-?})" \
    test "${cap:-0}" -ge $((POLLS + CALLS))

# fds PID: how many descriptors PID holds.
fds() {
    local -a f=(/proc/"$1"/fd/*)
    echo "${#f[@]}"
}

# answered PATTERN: how many answers nginx has logged to requests whose
# line matches PATTERN (a grep -E expression).
answered() {
    grep -cE "$1" "$IT_DIR/access.log" || true
}

# tool NAME ARGS...: runs the tool in the background, its summary in
# $IT_DIR/NAME.out, stopped by pid at exit if it still runs.
tool() {
    local name=$1
    shift
    "$WAITERS_BIN" --ready "$IT_DIR/$name.ready" "$@" \
        >"$IT_DIR/$name.out" 2>"$IT_DIR/$name.err" &
    IT_OTHER_PIDS+=($!)
}

# wait_file FILE SECONDS: true once FILE exists, within SECONDS.
wait_file() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# summary NAME KEY: the value of KEY in the tool's summary NAME.out.
summary() {
    awk -v k="$2" '$1 == k { print $2 }' "$IT_DIR/$1.out" 2>/dev/null
}

out=$(curl -s -w '%{http_code}\n' -o /dev/null -X PUT \
    -H 'Content-Type: application/json' -d '{"behavior":"counter"}' \
    "$IT_BASE/actors/c[0-$((COUNTERS - 1))]" | sort | uniq -c | tr -s ' ')
expect_true "spawn $COUNTERS counters ($out)" test "$out" = " $COUNTERS 201"
it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "spawn a collector (it never replies)"

# ---- 2,000 long-polls and 300 calls wait ---------------------------------
# expect_held N WHAT: actord holds N more connections than before, within
# 10 s: each parked request keeps its connection from nginx.
base=$(fds "$ACTORD_PID")
expect_held() {
    local i held
    for ((i = 0; i < 100 * IT_SLOW; i++)); do
        held=$(($(fds "$ACTORD_PID") - base))
        [ "$held" -ge "$1" ] && break
        sleep 0.1
    done
    expect_true "actord holds all $1 $2 ($held connections)" test "$held" -ge "$1"
}
t_polls=$(date +%s%N)
tool polls --count "$POLLS" --spread "$COUNTERS" --batch 25 --pause "$PAUSE" \
    --timeout "$TOOL_TIMEOUT" --grep '"status":"killed"' "$IT_PORT" \
    '/actors/c%d?wait=300'
wait_file "$IT_DIR/polls.ready" $((15 * IT_SLOW))
expect_true "the tool sent $POLLS long-polls ($(cat "$IT_DIR/polls.ready"))" \
    grep -qx "sent $POLLS" "$IT_DIR/polls.ready"
expect_held "$POLLS" "parked long-polls"
# A call commits (its reply box and message), and the collector's step
# that takes it makes the waiter look at every parked request again:
# actord takes calls slower than long-polls, and a burst beyond its listen
# backlog (128) would be answered 502 by nginx.
tool calls --count "$CALLS" --batch 10 --pause "$CALL_PAUSE" --method POST \
    --body '{}' --timeout "$TOOL_TIMEOUT" --grep '"error":"call_timeout"' \
    "$IT_PORT" "/actors/col/calls/get?timeout=$CALL_TIMEOUT"
wait_file "$IT_DIR/calls.ready" $((15 * IT_SLOW))
expect_true "the tool sent $CALLS calls ($(cat "$IT_DIR/calls.ready"))" \
    grep -qx "sent $CALLS" "$IT_DIR/calls.ready"
expect_held $((POLLS + CALLS)) "parked requests"
expect_true "no long-poll nor call answered yet (access.log)" \
    test "$(answered 'wait=300|/calls/')" -eq 0

# ---- meanwhile: /healthz, sends, counts ----------------------------------
slow=0 bad=0
for ((i = 0; i < HEALTH; i++)); do
    r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
        "$IT_BASE/healthz")
    [ "${r% *}" = 200 ] || bad=$((bad + 1))
    awk -v t="${r#* }" 'BEGIN { exit !(t < 2) }' || slow=$((slow + 1))
done
expect_true "$HEALTH GET /healthz answer 200 while $((POLLS + CALLS)) requests wait ($bad not 200)" \
    test "$bad" -eq 0
expect_true "each /healthz answered within 2 s ($slow slower)" test "$slow" -eq 0

# Send i adds i to counter c(i % 10): c0 gets 10 + 20 + ... + 50.
declare -A want=()
bad=0
for ((i = 1; i <= SENDS; i++)); do
    c=c$((i % 10))
    want[$c]=$((${want[$c]:-0} + i))
    it_req POST "/actors/$c" "{\"add\":$i}"
    [ "$IT_STATUS" = 202 ] || bad=$((bad + 1))
done
expect_true "$SENDS sends answer 202 while the counters are long-polled ($bad not)" \
    test "$bad" -eq 0
expected=$(for ((i = 0; i < COUNTERS; i++)); do
    printf '%s %s\n' "c$i" "${want[c$i]:-0}"
done | sort)
counts() {
    it_req GET "/actors?behavior=counter&limit=1000"
    it_jq '.actors[] | "\(.name) \(.state.count)"' | sort
}
for ((i = 0; i < 100 * IT_SLOW; i++)); do
    [ "$(counts)" = "$expected" ] && break
    sleep 0.1
done
expect_true "every count is exact (c0 is ${want[c0]}, c10 ... c99 are 0)" \
    test "$(counts)" = "$expected"
expect_true "still no long-poll nor call answered (access.log)" \
    test "$(answered 'wait=300|/calls/')" -eq 0

# ---- the kills answer the long-polls; the calls time out ---------------
t_kill=$(date +%s%N)
out=$(curl -s -w '%{http_code}\n' -o /dev/null -X DELETE \
    "$IT_BASE/actors/c[0-$((COUNTERS - 1))]" | sort | uniq -c | tr -s ' ')
expect_true "kill the $COUNTERS counters ($out)" test "$out" = " $COUNTERS 200"
for pid in "${IT_OTHER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null
done
IT_OTHER_PIDS=()
ok=$(summary polls 200) matched=$(summary polls match)
expect_true "all $POLLS long-polls answer 200 ($(tr '\n' ' ' <"$IT_DIR/polls.out"))" \
    test "${ok:-0}" -eq "$POLLS"
expect_true "with status killed ($matched)" test "${matched:-0}" -eq "$POLLS"
last=$(summary polls seconds)
ms=$(awk -v s="$last" -v a="$t_polls" -v k="$t_kill" \
    'BEGIN { printf "%d", (a / 1e6 + s * 1000) - k / 1e6 }')
it_log "the last long-poll answered $ms ms after the first DELETE"
n=$(summary calls 504) matched=$(summary calls match)
expect_true "all $CALLS calls answer 504 ($(tr '\n' ' ' <"$IT_DIR/calls.out"))" \
    test "${n:-0}" -eq "$CALLS"
expect_true "with call_timeout ($matched)" test "${matched:-0}" -eq "$CALLS"
n=$(it_sql "SELECT count(*) FROM actors WHERE name LIKE '\\_call-%' ESCAPE '\\'")
expect_true "the store holds no _call- actor ($n)" test "$n" = 0
expect_true "the test took $SECONDS s (at most $((60 * IT_SLOW)))" \
    test "$SECONDS" -le $((60 * IT_SLOW))

it_finish
