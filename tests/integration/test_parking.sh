#!/usr/bin/env bash
# test_parking.sh - requests that wait hold no thread: with 4 request
# threads, 300 long-polls (GET ?wait=) and 50 calls wait at once while
# /healthz and sends answer promptly; every waiting request is answered
# when its actor ends, at its deadline, on a reply, or when actord stops
# (SIGTERM), and no reply box is left behind.
. "$(dirname "$0")/lib.sh"

IT_ACTORD_ARGS=(--threads 4)
it_start

POLLS=300  # long-polls parked at once
CALLS=50   # calls nobody answers, parked at once
HEALTH=20  # /healthz while they wait

# wait_all PID...: waits for every pid (each curl is bounded by --max-time).
wait_all() {
    local p
    for p in "$@"; do
        wait "$p" 2>/dev/null || true
    done
}

# count_files GLOB: how many files GLOB names that are not empty.
count_nonempty() {
    local f n=0
    for f in "$@"; do
        [ -s "$f" ] && n=$((n + 1))
    done
    echo "$n"
}

expect_true "actord logs how many requests may wait" \
    grep -q 'level=info event=start .* waiters=[0-9]' "$IT_DIR/actord.log"

# ---- 300 long-polls on one actor, then its kill --------------------------
it_req PUT /actors/w '{"behavior":"counter"}'
expect_status 201 "spawn w"
pids=()
for ((i = 0; i < POLLS; i++)); do
    curl -s -w ' %{http_code}\n' --max-time 60 "$IT_BASE/actors/w?wait=60" \
        >"$IT_DIR/lp.$i" 2>&1 &
    pids+=($!)
done
# Until every curl is connected (bounded): nginx counts them as active.
sleep 3
expect_true "no long-poll answered before w ended" \
    test "$(count_nonempty "$IT_DIR"/lp.*)" -eq 0

slow=0 bad=0
for ((i = 0; i < HEALTH; i++)); do
    r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
        "$IT_BASE/healthz")
    [ "${r% *}" = 200 ] || bad=$((bad + 1))
    awk -v t="${r#* }" 'BEGIN { exit !(t < 2) }' || slow=$((slow + 1))
done
expect_true "$HEALTH GET /healthz answer 200 while $POLLS long-polls wait ($bad not 200)" \
    test "$bad" -eq 0
expect_true "each /healthz answered within 2 s ($slow slower)" test "$slow" -eq 0
for ((i = 0; i < 10; i++)); do
    it_req POST /actors/w '{"add":1}'
    [ "$IT_STATUS" = 202 ] || break
done
expect_status 202 "10 sends to w answer 202 while it is long-polled"
expect_true "still no long-poll answered before w ended" \
    test "$(count_nonempty "$IT_DIR"/lp.*)" -eq 0

it_req DELETE /actors/w
expect_status 200 "kill w"
wait_all "${pids[@]}"
ok=0
for ((i = 0; i < POLLS; i++)); do
    text=$(cat "$IT_DIR/lp.$i")
    [ "${text##* }" = 200 ] &&
        printf '%s' "${text% *}" | jq -e '.status == "killed"' >/dev/null 2>&1 &&
        ok=$((ok + 1))
done
expect_true "all $POLLS long-polls answer 200 with status killed ($ok did)" \
    test "$ok" -eq "$POLLS"

# ---- 50 calls nobody answers time out, and leave no reply box ------------
it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "spawn a collector (it never replies)"
pids=()
for ((i = 0; i < CALLS; i++)); do
    curl -s -w ' %{http_code}\n' --max-time 30 -X POST -d '{}' \
        "$IT_BASE/actors/col/calls/get?timeout=2" >"$IT_DIR/call.$i" 2>&1 &
    pids+=($!)
done
sleep 0.5
r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 \
    "$IT_BASE/healthz")
expect_true "/healthz answers within 2 s while $CALLS calls wait ($r)" \
    awk -v r="$r" 'BEGIN { split(r, a, " "); exit !(a[1] == 200 && a[2] < 2) }'
wait_all "${pids[@]}"
ok=0
for ((i = 0; i < CALLS; i++)); do
    text=$(cat "$IT_DIR/call.$i")
    [ "${text##* }" = 504 ] &&
        printf '%s' "${text% *}" | jq -e '.error == "call_timeout"' >/dev/null 2>&1 &&
        ok=$((ok + 1))
done
expect_true "all $CALLS calls answer 504 call_timeout ($ok did)" \
    test "$ok" -eq "$CALLS"
it_req GET '/actors?limit=1000'
expect_json "GET /actors lists no reply box" \
    '[.actors[].name | select(startswith("_call-"))] == []'
n=$(it_sql "SELECT count(*) FROM actors WHERE name LIKE '\\_call-%' ESCAPE '\\'")
expect_true "the store holds no _call- actor ($n)" test "$n" = 0

# ---- a call answered when the reply comes -------------------------------
it_req PUT /actors/c '{"behavior":"counter"}'
it_req POST /actors/c '{"add":5}'
it_req POST '/actors/c/calls/get?timeout=10'
expect_status 200 "a parked call is answered with the reply"
expect_json "the reply is the count" '.message == 5'

# ---- 503 busy is not reached below the cap; SIGTERM answers the parked ---
it_req PUT /actors/s '{"behavior":"counter"}'
pids=()
for ((i = 0; i < 20; i++)); do
    curl -s -w ' %{http_code}\n' --max-time 30 "$IT_BASE/actors/s?wait=60" \
        >"$IT_DIR/term.$i" 2>&1 &
    pids+=($!)
done
sleep 2
t0=$(date +%s)
it_stop_pid "$ACTORD_PID" 20
ACTORD_PID=""
wait_all "${pids[@]}"
t1=$(date +%s)
ok=0
for ((i = 0; i < 20; i++)); do
    text=$(cat "$IT_DIR/term.$i")
    [ "${text##* }" = 200 ] &&
        printf '%s' "${text% *}" | jq -e '.name == "s"' >/dev/null 2>&1 &&
        ok=$((ok + 1))
done
expect_true "SIGTERM answers all 20 parked long-polls 200 with the document ($ok did)" \
    test "$ok" -eq 20
expect_true "and promptly ($((t1 - t0)) s)" test $((t1 - t0)) -le 5
expect_true "actord stopped cleanly" grep -q 'level=info event=stop$' "$IT_DIR/actord.log"

# ---- beyond --max-waiters: 503 busy, Retry-After: 1 ---------------------
IT_ACTORD_ARGS=(--threads 4 --max-waiters 2)
it_start_actord || exit 1
expect_true "actord restarted with --max-waiters 2" it_wait_healthy
pids=()
for ((i = 0; i < 2; i++)); do
    curl -s -w ' %{http_code}\n' --max-time 30 "$IT_BASE/actors/s?wait=3" \
        >"$IT_DIR/cap.$i" 2>&1 &
    pids+=($!)
done
sleep 1
it_req GET '/actors/s?wait=3'
expect_error 503 busy "a third long-poll beyond --max-waiters 2 answers 503 busy"
expect_header Retry-After '^1$' "with Retry-After: 1"
it_req POST '/actors/s/calls/get?timeout=3'
expect_error 503 busy "so does a call, before it is sent"
it_req GET /actors/s
expect_json "the refused call sent nothing" '.mailbox == 0'
it_req GET /actors/s
expect_status 200 "a GET that does not wait is not refused"
wait_all "${pids[@]}"
ok=0
for ((i = 0; i < 2; i++)); do
    text=$(cat "$IT_DIR/cap.$i")
    [ "${text##* }" = 200 ] && ok=$((ok + 1))
done
expect_true "the 2 parked long-polls answer 200 at their deadline ($ok did)" \
    test "$ok" -eq 2

# ---- a client that goes away frees its place at once ---------------------
# Two long-polls fill --max-waiters 2, and their clients give up after 1 s
# (nginx then closes its connection to actord): a third, long before their
# deadline of 30 s, is parked and not refused.
pids=()
for ((i = 0; i < 2; i++)); do
    curl -s -o /dev/null --max-time 1 "$IT_BASE/actors/s?wait=30" &
    pids+=($!)
done
wait_all "${pids[@]}"
sleep 1
it_req GET '/actors/s?wait=1'
expect_status 200 "after 2 long-polls' clients went away, a third is parked (not 503)"
awk -v t="$IT_TIME" 'BEGIN { exit !(t >= 0.9) }'
expect_true "and waited its second ($IT_TIME s)" test $? -eq 0

it_finish
