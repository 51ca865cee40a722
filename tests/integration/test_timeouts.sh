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

it_req PUT /actors/bad '{"behavior":"ticker","args":{"every_ms":-5}}'
expect_error 422 bad_args "a negative period is refused"
it_req PUT /actors/bad '{"behavior":"ticker","args":{"every_ms":1e300}}'
expect_error 422 bad_args "an absurd period is refused"

it_finish
