#!/usr/bin/env bash
# test_deadletters.sh - messages that cannot be delivered are kept: a
# forwarder's message to a killed actor, and the unread mailbox of an actor
# that is killed or exits; readable with GET /dead-letters (paginated), in
# the sqlite3 shell, and collected with actorctl.
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl

it_start

it_req GET /dead-letters
expect_ok 200 "no dead letters at first" '.dead_letters == [] and .next == null'

# A counter with a message it does not read, then killed: the message is
# buried with reason "unread at kill".
it_req PUT /actors/c '{"behavior":"counter"}'
it_req POST /actors/c '{"hello":1}'
expect_status 202 "send c an unread message"
it_req DELETE /actors/c
expect_ok 200 "kill c; its mailbox is emptied" '.status == "killed" and .mailbox == 0'

# A forwarder to the killed counter: its message becomes a dead letter
# from the forwarder, reason "actor ended".
it_req PUT /actors/f '{"behavior":"forwarder","args":{"to":{"$address":"c"}}}'
it_req POST /actors/f '{"add":1}'
expect_status 202 "send through f"
it_req POST /actors/f '{"add":2}'

want='[{"from":null,"to":"c","reason":"unread at kill","body":{"hello":1}},
       {"from":"f","to":"c","reason":"actor ended","body":{"add":1}},
       {"from":"f","to":"c","reason":"actor ended","body":{"add":2}}]'
for ((i = 0; i < 50; i++)); do
    it_req GET /dead-letters
    [ "$(it_jq '.dead_letters | length')" = 3 ] && break
    sleep 0.1
done
expect_json "three dead letters, in order, with sender, target and reason" \
    '[.dead_letters[] | {from, to, reason, body}] == $w and
     all(.dead_letters[]; (.seq | type == "number") and (.time | test("^[0-9-]+T")))' \
    --argjson w "$want"

# Pagination by seq.
it_req GET '/dead-letters?limit=2'
expect_json "page 1 of 2" '(.dead_letters | length) == 2 and (.next | type == "number")'
next=$(it_jq .next)
it_req GET "/dead-letters?limit=2&after=$next"
expect_json "page 2 of 2" '(.dead_letters | length) == 1 and .next == null and .dead_letters[0].body == {"add":2}'
it_req GET '/dead-letters?limit=0'
expect_error 400 bad_request "limit=0 is refused"
it_req GET '/dead-letters?after=x'
expect_error 400 bad_request "after=x is refused"
it_req POST /dead-letters '{}'
expect_error 405 method_not_allowed "POST /dead-letters"

# An actor that exits leaves its unread mailbox as dead letters too.
it_req PUT /actors/once '{"behavior":"forwarder","args":{"to":"nobody","once":true}}'
# Both in one transaction, so the second is in the mailbox when the first
# makes the forwarder exit.
printf '"first"\n"second"\n' | "$CTL" --db "$IT_DB" send once >/dev/null
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/once
    [ "$(it_jq .status)" = exited ] && break
    sleep 0.1
done
n=$(sqlite3 "$IT_DB" "select count(*) from dead_letter_list where target = 'once' and reason = 'unread at exit'")
m=$(sqlite3 "$IT_DB" "select count(*) from dead_letter_list where sender = 'once' and target = 'nobody' and reason = 'no such actor'")
expect_true "sqlite3 shows the exit's unread message ($n) and the send to nobody ($m)" \
    test "$n" = 1 -a "$m" = 1

# actorctl reads and collects them.
out=$("$CTL" --db "$IT_DB" dead-letters --limit 1 | jq -c '[.dead_letters[0].reason, (.next | type)]')
expect_true "actorctl dead-letters ($out)" test "$out" = '["unread at kill","number"]'
out=$("$CTL" --db "$IT_DB" collect --upto "$next")
expect_true "actorctl collect --upto ($out)" test "$out" = "collected 2 dead letters"
out=$("$CTL" --db "$IT_DB" collect)
expect_true "actorctl collect ($out)" test "$out" = "collected 3 dead letters"
it_req GET /dead-letters
expect_json "none left" '.dead_letters == []'

it_finish
