#!/usr/bin/env bash
# test_gather.sh - the standard behaviour gather over REST: children
# spawned linked, results in the order given; a child that is killed makes
# gather fail and takes its linked siblings down.
. "$(dirname "$0")/lib.sh"

it_start

it_req PUT /actors/g '{"behavior":"gather","args":{"children":[
    {"behavior":"ring","args":{"n":200,"message":"slow"}},
    {"behavior":"ring","args":{"n":2,"message":{"k":[1]}}},
    {"behavior":"ring","args":{"n":20,"message":3}}]}}'
expect_status 201 "spawn gather of three rings"
it_req GET '/actors/g?wait=30'
expect_json "results in the order given, not the order finished" \
    '.status == "exited" and .result == ["slow", {"k":[1]}, 3]'

it_req PUT /actors/g2 '{"behavior":"gather","args":{"children":[{"behavior":"counter"},{"behavior":"counter"}]}}'
expect_status 201 "spawn gather of two counters"
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/g2.2
    [ "$IT_STATUS" = 200 ] && [ "$(it_jq .status)" = waiting ] && break
    sleep 0.1
done
it_req DELETE /actors/g2.2
expect_status 200 "kill the second child"
it_req GET '/actors/g2?wait=10'
expect_json "gather failed, naming the child" \
    '.status == "failed" and (.error.message | test("g2.2"))'
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/g2.1
    [ "$(it_jq .status)" = killed ] && break
    sleep 0.1
done
expect_json "the linked sibling was killed with it" '.status == "killed"'

it_req PUT /actors/g3 '{"behavior":"gather","args":{"children":[{"args":{}}]}}'
expect_error 422 bad_args "a child without a behaviour is refused"
it_req PUT /actors/g3 '{"behavior":"gather","args":{"children":[]}}'
it_req GET '/actors/g3?wait=10'
expect_json "no children: exits with []" '.status == "exited" and .result == []'

it_finish
