#!/usr/bin/env bash
# test_monitors.sh - "monitors" in the spawn body: a collector watches new
# actors and is told how each ended (exit, kill), the watch survives a
# kill -9 of actord, and a bad or unknown monitor creates nothing.
. "$(dirname "$0")/lib.sh"

it_start

it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "spawn collector col"

it_req PUT /actors/w '{"behavior":"forwarder","args":{"to":"nobody","once":true},"monitors":["col"]}'
expect_status 201 "spawn w watched by col"
n=$(sqlite3 "$IT_DB" "select count(*) from monitor_list where target = 'w' and watcher = 'col'")
expect_true "sqlite3 shows the watch ($n)" test "$n" = 1

# The watch is on disk: it survives kill -9 of actord.
it_restart_actord
it_wait_healthy 10
it_req POST /actors/w '"bye"'
expect_status 202 "send w its one message"

it_req PUT /actors/k '{"behavior":"counter","monitors":["col"]}'
expect_status 201 "spawn k watched by col"
it_req DELETE /actors/k
expect_status 200 "kill k"

want='[{"exit":"bye","address":{"$address":"w"}},
       {"exception":{"error":"killed","message":"the actor was killed"},"address":{"$address":"k"}}]'
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/col
    [ "$(it_jq '.state.messages | length')" = 2 ] && break
    sleep 0.1
done
expect_json "col was told of the exit and the kill, in order" \
    '.state.messages == $w' --argjson w "$want"

it_req PUT /actors/x '{"behavior":"counter","monitors":["col","nobody"]}'
expect_error 404 no_such_actor "a monitor that is not an actor is 404"
it_req GET /actors/x
expect_error 404 no_such_actor "and nothing was created"
it_req PUT /actors/x '{"behavior":"counter","monitors":"col"}'
expect_error 400 bad_request "monitors not a list is 400"
it_req PUT /actors/x '{"behavior":"counter","monitors":[5]}'
expect_error 400 bad_request "monitors with a non-name is 400"
it_req PUT /actors/x '{"behavior":"counter","monitors":["../x"]}'
expect_error 400 bad_request "monitors with a bad name is 400"
it_req GET /actors/x
expect_error 404 no_such_actor "still nothing created"

it_finish
