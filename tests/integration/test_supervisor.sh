#!/usr/bin/env bash
# test_supervisor.sh - the standard behaviour supervisor over REST: a
# one_for_one child killed with DELETE comes back with fresh state;
# one_for_all and rest_for_one restart the right siblings; restart
# intensity exceeded fails the supervisor, which tells its own supervisor
# (nesting); malformed specs (bad or duplicate child names, unknown child
# behaviours, child args their behaviour refuses, bad restart, intensity
# or period) are 422 bad_args and create nothing.
. "$(dirname "$0")/lib.sh"

# wait_for PATH JQ: polls GET PATH until JQ holds (5 s at most).
wait_for() {
    local i
    for ((i = 0; i < 50; i++)); do
        it_req GET "$1"
        [ "$IT_STATUS" = 200 ] && printf '%s' "$IT_BODY" | jq -e "$2" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

it_start

it_req PUT /actors/sup '{"behavior":"supervisor","args":{"strategy":"one_for_one","intensity":2,"period":60,
  "children":[{"name":"c1","behavior":"counter","args":{"start":5}},{"name":"c2","behavior":"counter"}]}}'
expect_status 201 "spawn a one_for_one supervisor"
wait_for /actors/c1 '.status == "waiting"'
it_req POST /actors/c1 '{"add":10}'
wait_for /actors/c1 '.state.count == 15'
expect_json "c1 counts" '.state.count == 15'
c2_created=$(curl -s "$IT_BASE/actors/c2" | jq -r .created)
it_req DELETE /actors/c1
expect_status 200 "kill c1 with DELETE"
wait_for /actors/c1 '.status == "waiting" and .state.count == 5'
expect_json "c1 is back with fresh state" '.status == "waiting" and .state.count == 5'
it_req GET /actors/c2
expect_json "one_for_one left c2 alone" ".created == \"$c2_created\""

# Restart intensity: 2 restarts in 60 s are allowed, the third fails it.
it_req DELETE /actors/c1
wait_for /actors/c1 '.status == "waiting"'
it_req DELETE /actors/c1
wait_for /actors/sup '.status == "failed"'
expect_json "a third restart within the period fails the supervisor" \
    '.status == "failed" and (.error.message | test("intensity"))'
wait_for /actors/c2 '.status == "killed"'
expect_json "and its children go down with it" '.status == "killed"'

# rest_for_one: killing the middle child restarts it and the later one.
it_req PUT /actors/rs '{"behavior":"supervisor","args":{"strategy":"rest_for_one",
  "children":[{"name":"r1","behavior":"counter"},{"name":"r2","behavior":"counter"},{"name":"r3","behavior":"counter"}]}}'
expect_status 201 "spawn a rest_for_one supervisor"
wait_for /actors/r3 '.status == "waiting"'
r1=$(curl -s "$IT_BASE/actors/r1" | jq -r .created)
r3=$(curl -s "$IT_BASE/actors/r3" | jq -r .created)
it_req DELETE /actors/r2
wait_for /actors/r3 ".created != \"$r3\" and .status == \"waiting\""
expect_json "rest_for_one restarted r3 after r2" ".created != \"$r3\""
it_req GET /actors/r1
expect_json "and left r1 alone" ".created == \"$r1\" and .status == \"waiting\""

# one_for_all, nested under a top supervisor: the inner one fails on
# intensity 0, and the top one restarts it.
it_req PUT /actors/top '{"behavior":"supervisor","args":{"intensity":5,"children":[
  {"name":"inner","behavior":"supervisor","args":{"strategy":"one_for_all","intensity":0,
     "children":[{"name":"a1","behavior":"counter"},{"name":"a2","behavior":"counter"}]}}]}}'
expect_status 201 "spawn nested supervisors"
wait_for /actors/a2 '.status == "waiting"'
inner=$(curl -s "$IT_BASE/actors/inner" | jq -r .created)
it_req DELETE /actors/a1
wait_for /actors/inner ".created != \"$inner\" and .status == \"waiting\""
expect_json "the inner supervisor failed and the top one restarted it" \
    ".created != \"$inner\" and .status == \"waiting\""
wait_for /actors/a1 '.status == "waiting"'
expect_json "its children are running again" '.status == "waiting" and .state.count == 0'

for spec in '{"strategy":"one_for_none","children":[]}' \
    '{"children":[{"name":"x","behavior":"nope"}]}' \
    '{"children":[{"name":"x","behavior":"counter","restart":"sometimes"}]}' \
    '{"children":[{"name":"x","behavior":"counter"},{"name":"x","behavior":"counter"}]}' \
    '{"intensity":-1,"children":[]}' '{"period":0,"children":[]}' '{"children":{}}' \
    '{"children":[{"name":"a b","behavior":"counter"}]}' \
    '{"children":[{"name":"..","behavior":"counter"}]}' \
    '{"children":[{"name":"x","behavior":"counter","args":{"start":"five"}}]}' \
    '{"children":[{"name":"x","behavior":"ring"}]}' \
    '{"children":[{"name":"in","behavior":"supervisor","args":{"children":[{"name":"a b","behavior":"counter"}]}}]}' \
    '{"intensity":2.5,"children":[]}' '{"period":"5","children":[]}'; do
    it_req PUT /actors/bad "{\"behavior\":\"supervisor\",\"args\":$spec}"
    expect_error 422 bad_args "malformed spec $spec"
done
it_req PUT /actors/bad '{"behavior":"supervisor","args":{"children":[{"name":"a b","behavior":"counter"}]}}'
expect_json "a child named \"a b\" is refused for its name" '.message | test("name")'
it_req PUT /actors/bad '{"behavior":"supervisor","args":{"children":[{"name":"x","behavior":"nope"}]}}'
expect_json "a child of an unknown behaviour is refused for it" '.message | test("behaviour")'
it_req GET /actors/bad
expect_error 404 no_such_actor "no malformed supervisor was created"
for child in x in; do
    it_req GET "/actors/$child"
    expect_error 404 no_such_actor "nor its child $child"
done

it_finish
