#!/usr/bin/env bash
# test_limits.sh - the resource limits through nginx: a message over
# --max-message is 413 too_large and nothing is stored; a full mailbox
# answers 429 mailbox_full with Retry-After, and a behaviour's send to it
# becomes a dead letter; a runaway ping-pong is cut off at --max-hops; a
# state over --max-state fails its actor with state_too_large, losing no
# message.  (The step watchdog is tested in tests/unit/test_eng_watchdog.c: no
# standard behaviour loops for ever.)
. "$(dirname "$0")/lib.sh"

IT_ACTORD_ARGS=(--max-message 200 --max-mailbox 5 --max-state 1500
                --max-hops 100)
it_start

big=$(printf '"%0300d"' 0)
it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "spawn collector col"
it_req POST /actors/col "$big"
expect_error 413 too_large "a 302-byte message over --max-message 200 is 413"
it_req GET /actors/col/mailbox
expect_ok 200 "nothing of it is stored" '.messages == []'

# A counter ignores messages of no shape it waits for: they stay queued.
it_req PUT /actors/c '{"behavior":"counter"}'
for i in 1 2 3 4 5; do
    it_req POST /actors/c "{\"noise\": $i}"
    [ "$IT_STATUS" = 202 ] || break
done
expect_status 202 "five messages fill a mailbox of 5"
it_req POST /actors/c '{"add": 1}'
expect_error 429 mailbox_full "the sixth is 429 mailbox_full"
expect_header Retry-After '^1$' "with Retry-After"
it_req GET /actors/c
expect_json "the counter holds five and counted nothing" \
    '.mailbox == 5 and .state.count == 0'

# A behaviour cannot be told: its send to the full mailbox is a dead
# letter, and it goes on.
it_req PUT /actors/fw '{"behavior":"forwarder","args":{"to":"c"}}'
it_req POST /actors/fw '{"add": 2}'
expect_status 202 "send to a forwarder aimed at the full mailbox"
expect_poll 5 "its send became a dead letter: mailbox full" /dead-letters \
    '[.dead_letters[] | select(.from == "fw" and .to == "c" and .reason == "mailbox full" and .body.add == 2)] | length == 1'
it_req GET /actors/fw
expect_json "the forwarder still waits" '.status == "waiting"'

# Two forwarders aimed at each other pass one message for ever: the hop
# limit cuts it off.
it_req PUT /actors/ping '{"behavior":"forwarder","args":{"to":"pong"}}'
it_req PUT /actors/pong '{"behavior":"forwarder","args":{"to":"ping"}}'
it_req POST /actors/ping '"ball"'
expect_status 202 "a ball into a ping-pong"
expect_poll 10 "the 101st hop is a dead letter: hop limit" /dead-letters \
    '[.dead_letters[] | select(.reason == "hop limit" and .body == "ball")] | length == 1'
it_req GET /actors/ping
expect_json "both still wait, with empty mailboxes" \
    '.status == "waiting" and .mailbox == 0'

# The collector keeps every message in its state: the one that would
# pass 1500 bytes fails it, and no message is lost.
msg=$(printf '"%0150d"' 7)
it_req PUT /actors/keep '{"behavior":"collector"}'
acked=0
for i in $(seq 1 12); do
    it_req POST /actors/keep "$msg"
    [ "$IT_STATUS" = 202 ] && acked=$((acked + 1))
    [ "$IT_STATUS" = 202 ] || [ "$IT_STATUS" = 410 ] || break
done
expect_true "twelve 152-byte messages: 202 until it failed, then 410" \
    test "$i" -eq 12 -a "$acked" -ge 9
expect_poll 10 "the collector failed: state_too_large" /actors/keep \
    '.status == "failed" and .error.error == "state_too_large"'
kept=$(it_jq '.state.messages | length')
it_req GET '/dead-letters?limit=100'
dead=$(it_jq '[.dead_letters[] | select(.to == "keep")] | length')
expect_true "kept ($kept) + dead letters ($dead) = acknowledged ($acked)" \
    test "$((kept + dead))" -eq "$acked"
expect_true "the state kept 1 to 9 of them" test "$kept" -ge 1 -a "$kept" -le 9

it_req GET /healthz
expect_status 200 "still serving"
expect_integrity
it_finish
