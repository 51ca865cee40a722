#!/usr/bin/env bash
# test_timeouts.sh - receive timeouts are stored with the continuation: a
# ticker keeps ticking across a kill -9 of actord, and a deadline that
# passes while actord is down fires after the restart, once.
. "$(dirname "$0")/lib.sh"

it_start

it_req PUT /actors/t '{"behavior":"ticker","args":{"every_ms":100}}'
expect_status 201 "spawn ticker t (every 100 ms)"
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/t
    [ "$(it_jq '.state.ticks // 0')" -ge 3 ] && break
    sleep 0.1
done
before=$(it_jq .state.ticks)
expect_true "the ticker ticks under FastCGI ($before)" test "$before" -ge 3
expect_json "its document shows the deadline" '.deadline | type == "string"'

it_req PUT /actors/t2 '{"behavior":"ticker","args":{"every_ms":1500}}'
expect_status 201 "spawn ticker t2 (every 1.5 s)"

# Down for longer than t2's period: its deadline passes while nobody runs.
it_kill9_actord
sleep 2
down=$(sqlite3 "$IT_DB" "select json_extract(state, '\$.ticks') from actors where name = 't2'")
expect_true "t2 had not ticked when actord died ($down)" test "$down" = 0
it_start_actord
it_wait_healthy 10
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/t2
    [ "$(it_jq .state.ticks)" -ge 1 ] && break
    sleep 0.1
done
expect_json "t2's missed deadline fired after the restart, once" '.state.ticks == 1'
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/t
    [ "$(it_jq .state.ticks)" -gt "$before" ] && break
    sleep 0.1
done
expect_json "t goes on ticking after the restart" ".state.ticks > $before"

it_req POST /actors/t '{"stop":true}'
it_req GET '/actors/t?wait=10'
expect_json "stop ends the ticker with its count" '.status == "exited" and (.result | type == "number") and .deadline == null'

# Durable timers (the standard behaviour timer) across a kill -9: a
# one-shot due while actord is down fires once after the restart; a
# repeating one that missed many periods fires once, then keeps its
# period instead of flooding the collector with the backlog.
it_req PUT /actors/inbox '{"behavior":"collector"}'
it_req PUT /actors/once '{"behavior":"timer","args":{"to":"inbox","message":"once","after_ms":1000}}'
expect_status 201 "spawn a one-shot timer (1 s)"
it_req PUT /actors/rep '{"behavior":"timer","args":{"to":"inbox","message":"rep","after_ms":800,"every_ms":800}}'
expect_status 201 "spawn a repeating timer (every 0.8 s)"
sleep 0.3
n=$(sqlite3 "$IT_DB" "select count(*) from timer_list where owner = 'rep'")
expect_true "sqlite3 shows the repeating timer's row ($n)" test "$n" = 1
it_kill9_actord
sleep 3.5
restarted_ms=$(date +%s%3N)
it_start_actord
it_wait_healthy 10
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/inbox
    [ "$(it_jq '[.state.messages[] | select(. == "once")] | length')" = 1 ] &&
        [ "$(it_jq '[.state.messages[] | select(. == "rep")] | length')" -ge 1 ] && break
    sleep 0.1
done
# Half a period more, so that a backlog, fired 5 ms apart, is all there:
# it would be 4 or 5 at once.  Fired on time, the repeater sends one for
# the periods it missed, then keeps its period on the grid of its first
# due time (engine/time.c), so the next can come at any moment of the
# following 0.8 s.  Allowed: that one, plus one per grid point in the
# seen_ms since the restart (at most 1 + seen_ms / 800 of them), plus one
# under valgrind (IT_SLOW > 1), whose start is slower still.
sleep 0.4
it_req GET /actors/inbox
seen_ms=$(($(date +%s%3N) - restarted_ms))
reps_max=$((2 + seen_ms / 800))
[ "$IT_SLOW" -gt 1 ] && reps_max=$((reps_max + 1))
expect_json "after the restart: the one-shot fired once, the repeater on time (at most $reps_max in $seen_ms ms), not a backlog of 4" \
    '([.state.messages[] | select(. == "once")] | length) == 1 and ([.state.messages[] | select(. == "rep")] | length) <= $max and ([.state.messages[] | select(. == "rep")] | length) >= 1' \
    --argjson max "$reps_max"
it_req GET /actors/once
expect_json "the one-shot timer exited after sending" '.status == "exited" and .result == "sent"'
for ((i = 0; i < 30; i++)); do
    it_req GET /actors/inbox
    [ "$(it_jq '[.state.messages[] | select(. == "rep")] | length')" -ge 2 ] && break
    sleep 0.1
done
expect_json "then the repeater keeps its period" '([.state.messages[] | select(. == "rep")] | length) >= 2'
it_req POST /actors/rep '{"cancel":true}'
it_req GET '/actors/rep?wait=10'
expect_json "cancel ends the repeater" '.status == "exited" and .result == "cancelled"'
n=$(sqlite3 "$IT_DB" "select count(*) from timers")
expect_true "and its timer row is gone ($n)" test "$n" = 0
it_req PUT /actors/bad '{"behavior":"timer","args":{"to":"inbox","message":1,"after_ms":-1}}'
expect_error 422 bad_args "a negative delay is refused"

it_req PUT /actors/bad '{"behavior":"ticker","args":{"every_ms":-5}}'
expect_error 422 bad_args "a negative period is refused"
it_req PUT /actors/bad '{"behavior":"ticker","args":{"every_ms":1e300}}'
expect_error 422 bad_args "an absurd period is refused"

it_finish
