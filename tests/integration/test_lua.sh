#!/usr/bin/env bash
# test_lua.sh - Lua behaviours end to end through nginx: upload
# (PUT /behaviors/NAME: a new version, the same source again, bad
# sources, a built-in name), read back (GET, ?source=1, the list), spawn,
# send, call, transfer between two accounts (examples/lua/account.lua),
# kill, upgrade to a new version by the names of resume points, a step
# over its budget, a stream of sends to Lua counters across a kill -9 of
# actord with exact counts, and --no-upload.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ACCOUNT=$IT_ROOT/examples/lua/account.lua
it_start

# ---- upload and read back -------------------------------------------------

it_req_file PUT /behaviors/account "$ACCOUNT"
expect_ok 201 "PUT /behaviors/account stores version 1" \
    '.name == "account" and .language == "lua" and .version == 1'
it_req_file PUT /behaviors/account "$ACCOUNT"
expect_ok 200 "the same source again: 200, still version 1" '.version == 1'
it_req GET /behaviors/account
expect_ok 200 "GET /behaviors/account: lua, one version, no actors" \
    '.language == "lua" and .version == 1 and (.versions | length) == 1
     and .versions[0].actors == 0 and (.doc | startswith("a bank account"))'
it_req GET '/behaviors/account?source=1'
expect_ok 200 "?source=1 gives the source as uploaded" \
    '.source == $src' --rawfile src "$ACCOUNT"
it_req GET /behaviors
expect_json "GET /behaviors lists account after the C ones" \
    '.behaviors[-1].name == "account" and .behaviors[-1].language == "lua"'
if [ "$(it_sql "SELECT source FROM sources WHERE name = 'account'")" = \
    "$(cat "$ACCOUNT")" ]; then
    it_pass "the source is a row of sources a person can read with sqlite3"
else
    it_fail "the source is a row of sources a person can read with sqlite3"
fi

it_req PUT /behaviors/broken 'return {start = function(a) return a:exit( end}'
expect_ok 422 "a source that does not compile is 422 bad_behavior with its line" \
    '.error == "bad_behavior" and (.message | test(":1:"))'
it_req PUT /behaviors/nostart 'return {doc = "no start"}'
expect_error 422 bad_behavior "a source without start is 422 bad_behavior"
it_req PUT /behaviors/escape 'os.exit(1) return {start = function(a) return a:exit() end}'
expect_error 422 bad_behavior "a source calling os.exit is 422 (no os in the sandbox)"
printf '\033Lua\124\000' >"$IT_DIR/binary.lua"
it_req_file PUT /behaviors/binary "$IT_DIR/binary.lua"
expect_error 422 bad_behavior "a binary chunk is 422 bad_behavior"
it_req PUT /behaviors/counter 'return {start = function(a) return a:exit() end}'
expect_error 409 behavior_builtin "a C behaviour's name is 409 behavior_builtin"
it_req GET /healthz
expect_status 200 "actord is unaffected by the bad uploads"

# ---- accounts: spawn, send, call, transfer -------------------------------

it_req PUT /actors/alice '{"behavior":"account","args":{"start":100}}'
expect_ok 201 "spawn alice, an account of 100" '.behavior == "account"'
it_req PUT /actors/bob '{"behavior":"account","args":{"start":0}}'
expect_status 201 "spawn bob, an account of 0"
it_req PUT /actors/eve '{"behavior":"account","args":{"start":-5}}'
expect_ok 422 "check_args refuses start -5" \
    '.error == "bad_args" and (.message | contains("at least 0"))'
it_req POST /actors/alice '{"transfer":30,"to":{"$address":"bob"}}'
expect_status 202 "alice transfers 30 to bob"
it_req POST /actors/alice '{"withdraw":500}'
expect_status 202 "alice tries to withdraw 500"
it_req POST /actors/bob '{"deposit":5}'
expect_status 202 "bob gets a deposit of 5"
it_req POST /actors/alice '{"transfer":10,"to":{"$address":"nobody"}}'
expect_status 202 "alice transfers 10 to nobody"
it_req POST /actors/alice/calls/balance
expect_ok 200 "alice's balance is 70" '.message == 70'
it_req POST /actors/bob/calls/balance
expect_ok 200 "bob's balance is 35" '.message == 35'
it_req POST /actors/bob/calls/steal
expect_error 404 invalid_method "a method accounts do not have is 404"
it_req GET /actors/alice
expect_ok 200 "alice refused the overdraft and the payee that is not" \
    '.state.balance == 70 and .state.refused == 2
     and .state.last_refused == "the payee is unknown" and .status == "waiting"'
it_req GET /dead-letters
expect_json "the deposit to nobody is a dead letter" \
    'any(.dead_letters[]; .to == "nobody" and .body == {"deposit": 10})'

# ---- a new version, and an upgrade by the names of resume points ----------

sed -e 's/doc = "a bank account/doc = "a bank account v2/' \
    -e 's/"ready"/"open"/g' -e 's/ready = function/open = function/' \
    "$ACCOUNT" >"$IT_DIR/account2.lua"
# migrate: version 1's point "ready" is version 2's "open"; the state gains
# a field.
sed -i 's/^return {$/return {\n  migrate = function(a, from, point)\n    a.state.upgraded_from = from\n    if point == "ready" then return "open" end\n  end,/' \
    "$IT_DIR/account2.lua"
it_req_file PUT /behaviors/account "$IT_DIR/account2.lua"
expect_ok 201 "a different source is version 2" '.version == 2'
it_req PUT /actors/carol '{"behavior":"account","args":{"start":7}}'
expect_status 201 "carol is spawned on version 2"
it_req GET /behaviors/account
expect_ok 200 "version 1 runs 2 actors, version 2 one" \
    '.version == 2 and ([.versions[].actors] == [2, 1])'
it_req POST /actors/alice/upgrade '{"version": 2}'
expect_ok 200 "alice moves onto version 2" \
    '.state.upgraded_from == 1 and .state.balance == 70'
it_req PUT /actors/dave '{"behavior":"account","version":1,"args":{"start":1}}'
expect_status 201 "a spawn may pin version 1"
it_req PUT /actors/erin '{"behavior":"account","version":7}'
expect_ok 422 "a version not stored is 422 unknown_behavior" \
    '.error == "unknown_behavior" and (.message | contains("no version 7"))'
it_req GET /behaviors/account
expect_ok 200 "version 1 runs bob and dave, version 2 alice and carol" \
    '[.versions[].actors] == [2, 2]'
it_req POST /actors/alice '{"deposit":1}'
expect_status 202 "alice, on version 2, takes a deposit"
it_req POST /actors/alice/calls/balance
expect_ok 200 "alice's balance is 71 after the upgrade" '.message == 71'
it_req POST /actors/bob/upgrade '{"version": 9}'
expect_error 409 upgrade_failed "an upgrade to a version not stored is 409"
it_req DELETE /behaviors/account
expect_ok 409 "DELETE /behaviors/account while bob and alice run: nothing removable" \
    '.error == "behavior_in_use"'

# ---- kill; a step over its budget ------------------------------------------

it_req DELETE /actors/bob
expect_ok 200 "DELETE bob: killed" '.status == "killed"'
# A terminate handler: it may send (and say what send answered) and
# change the final state; it cannot come back to life.
it_req PUT /actors/mourners '{"behavior":"collector"}'
expect_status 201 "spawn a collector"
it_req PUT /behaviors/mourned 'return {
  start = function(a) a.state.n = 1 return a:receive("wait", {"$any"}) end,
  wait = function(a) return a:receive("wait", a.waiting_for) end,
  terminate = function(a, reason)
    local ok, why = a:send("nobody", 1)
    a:send(actord.address("mourners"), {bye = a.name, why = reason.error, ok = ok, what = why})
    a.state.n = 2
    return a:exit("back to life?")
  end,
}'
expect_status 201 "upload a behaviour with a terminate handler"
it_req PUT /actors/m1 '{"behavior":"mourned"}'
expect_status 201 "spawn it"
it_req GET '/actors/m1?wait=5'
it_req DELETE /actors/m1
expect_ok 200 "DELETE m1: killed, its terminate's state stored" \
    '.status == "killed" and .state.n == 2'
it_req GET '/actors/mourners?wait=2'
expect_ok 200 "the collector got terminate's message" \
    '.state.messages == [{"bye": "m1", "why": "killed", "ok": false, "what": "unknown"}]'
it_req PUT /behaviors/spin 'return {start = function(a) while true do end end}'
expect_status 201 "upload a behaviour that loops for ever"
it_req PUT /actors/spinner '{"behavior":"spin"}'
expect_status 201 "spawn it"
it_req GET '/actors/spinner?wait=10'
expect_ok 200 "its step is undone and it fails with step_timeout" \
    '.status == "failed" and .error.error == "step_timeout"'
it_req GET /healthz
expect_status 200 "actord answers after the runaway step"

# ---- a stream of sends to Lua counters across kill -9 ----------------------

it_req PUT /behaviors/tally 'return {
  start = function(a) a.state.n = 0 return a:receive("go", {{add = "$integer"}}) end,
  go = function(a, msg) a.state.n = a.state.n + msg.add return a:receive("go", a.waiting_for) end,
}'
expect_status 201 "upload a Lua counter"
for c in 0 1 2; do
    it_req PUT /actors/t$c '{"behavior":"tally"}'
    expect_status 201 "spawn tally t$c"
done
N=${LUA_SENDS:-60} # adds per counter, three senders at once
for c in 0 1 2; do
    (for ((i = 0; i < N; i++)); do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
            -X POST --data-binary '{"add":1}' "$IT_BASE/actors/t$c"
    done >"$IT_DIR/codes.$c") &
    senders[c]=$!
done
# kill -9 actord in the middle of the stream, and start it again.
for _ in $(seq 1 100); do
    [ "$(cat "$IT_DIR"/codes.* 2>/dev/null | wc -l)" -ge $((3 * N / 3)) ] && break
    sleep 0.05
done
it_log "kill -9 after $(cat "$IT_DIR"/codes.* | wc -l) of $((3 * N)) sends"
it_restart_actord
for c in 0 1 2; do
    wait "${senders[c]}"
    acked[c]=$(grep -c '^202$' "$IT_DIR/codes.$c")
    unknown[c]=$((N - acked[c]))
done
for c in 0 1 2; do
    it_req GET "/actors/t$c?wait=5"
    for _ in $(seq 1 50); do
        [ "$(it_jq .mailbox)" = 0 ] && break
        sleep 0.1
        it_req GET "/actors/t$c"
    done
    n=$(it_jq .state.n)
    if [ "$n" -ge "${acked[c]}" ] && [ "$n" -le $((acked[c] + unknown[c])) ]; then
        it_pass "t$c counted $n: every one of ${acked[c]} acknowledged adds once (${unknown[c]} unanswered)"
    else
        it_fail "t$c counted $n, ${acked[c]} acknowledged, ${unknown[c]} unanswered"
    fi
done
expect_integrity

# ---- --no-upload -------------------------------------------------------------

IT_ACTORD_ARGS=(--no-upload)
it_restart_actord
it_req PUT /behaviors/other 'return {start = function(a) return a:exit() end}'
expect_error 403 uploads_disabled "with --no-upload, PUT /behaviors/other is 403"
it_req DELETE /behaviors/spin
expect_error 403 uploads_disabled "with --no-upload, DELETE is 403 too"
it_req POST /actors/alice/calls/balance
expect_ok 200 "Lua actors uploaded before still run" '.message == 71'

it_finish
