#!/usr/bin/env bash
# test_calls.sh - POST /actors/NAME/calls/METHOD: counter's get and add,
# an unknown method (404 invalid_method), an exception (502), a call that
# times out (504) leaving no waiting state, its late reply a dead letter,
# a call to an ended actor (410), and bad timeouts (400).
. "$(dirname "$0")/lib.sh"

it_start

it_req PUT /actors/c '{"behavior":"counter","args":{"start":40}}'
expect_status 201 "spawn counter c"
it_req POST /actors/c/calls/get
expect_ok 200 "get answers the count" '.message == 40'
it_req POST /actors/c/calls/add '2'
expect_ok 200 "add answers the new count" '.message == 42'
it_req POST /actors/c/calls/add '"two"'
expect_error 502 actor_exception "add with a string payload is an exception"
expect_json "with the exception document" '.exception.message | test("integer")'
it_req POST /actors/c/calls/frobnicate '1'
expect_error 404 invalid_method "an unknown method is 404 invalid_method"
it_req GET /actors/c
expect_json "nothing of the calls is left in its mailbox" '.mailbox == 0 and .state.count == 42'

# A collector never answers: the call times out, its reply box goes.
it_req PUT /actors/col '{"behavior":"collector"}'
it_req POST '/actors/col/calls/get?timeout=0.5' '{}'
expect_error 504 call_timeout "a call nobody answers times out with 504"
it_req GET '/actors?limit=1000'
expect_json "no waiting state is left behind" '[.actors[].name | select(startswith("_call-"))] == []'
# The collector got the call; a forwarder replying to its address now
# (late) finds no reply box: the reply becomes a dead letter.
addr=$(curl -s "$IT_BASE/actors/col" | jq -c '.state.messages[0].address')
id=$(curl -s "$IT_BASE/actors/col" | jq -c '.state.messages[0].call')
it_req PUT /actors/late "{\"behavior\":\"forwarder\",\"args\":{\"to\":$addr,\"once\":true}}"
it_req POST /actors/late "{\"response\":$id,\"message\":\"too late\"}"
for ((i = 0; i < 50; i++)); do
    it_req GET /dead-letters
    [ "$(it_jq '[.dead_letters[] | select(.reason == "no such actor")] | length')" -ge 1 ] && break
    sleep 0.1
done
expect_json "the late reply is a dead letter" \
    '[.dead_letters[] | select(.reason == "no such actor" and .body.message == "too late")] | length == 1'

it_req DELETE /actors/c
it_req POST /actors/c/calls/get
expect_error 410 actor_dead "a call to an ended actor is 410"
it_req POST /actors/nobody/calls/get
expect_error 404 no_such_actor "a call to an unknown actor is 404"
it_req POST '/actors/col/calls/get?timeout=-1'
expect_error 400 bad_request "a negative timeout is 400"
it_req POST '/actors/col/calls/get?timeout=100000'
expect_error 400 bad_request "an absurd timeout is 400"
it_req POST '/actors/col/calls/bad%20method'
expect_error 400 bad_request "a bad method name is 400"
it_req GET /actors/col/calls/get
expect_error 405 method_not_allowed "GET on a call path is 405"
it_req POST /actors/col/calls/get 'not json'
expect_error 400 bad_json "a malformed payload is 400"

it_finish
