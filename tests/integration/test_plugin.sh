#!/usr/bin/env bash
# test_plugin.sh - C plugins end to end: actord with
# examples/bank/bank.so loaded (--load), its accounts driven with curl
# (deposits, withdrawals and an overdraft refused, the balance call,
# transfers both ways, to a closed account and to nobody), then a stream
# of transfers among several accounts with a kill -9 of actord in its
# middle, after which the total of all balances is what it was and every
# account's books balance; actord refusing each bad plugin with its
# message; and actorctl --load running bank actors.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BANK=$IT_ROOT/examples/bank/bank.so
FIX=$IT_ROOT/build/tests/unit/plugins
ACTORCTL=$IT_ROOT/build/actorctl
K=${PLUGIN_ACCOUNTS:-5}   # accounts in the stream
T=${PLUGIN_TRANSFERS:-120} # transfers per loop
LOOPS=3                   # concurrent loops of transfers
START=1000                # each account's start

# The plugin and the fixtures are built by make (integration's
# prerequisites); by hand, build what is missing.
if [ ! -f "$BANK" ] || [ ! -f "$FIX/abi.so" ]; then
    make -s -C "$IT_ROOT" examples plugin-fixtures >/dev/null || {
        it_log "cannot build examples/bank and the fixture plugins"
        exit 1
    }
fi

IT_ACTORD_ARGS=(--load "$BANK")
it_start

# state NAME: GETs the account NAME (IT_BODY holds its document).
state() {
    it_req GET "/actors/$1"
}

# drained NAME: polls until the account NAME has read its mailbox and no
# transfer of its own is under way.
drained() {
    it_poll 30 "/actors/$1" \
        '.status == "waiting" and .mailbox == 0 and .state.pending == {}'
}

# --- the behaviours are there ---
it_req GET /behaviors
expect_ok 200 "GET /behaviors lists account and bank_transfer" \
    '[.behaviors[].name] | index("account") != null and index("bank_transfer") != null'

# --- one account at a time ---
it_req PUT /actors/alice '{"behavior":"account","args":{"start":100}}'
expect_ok 201 "spawn alice with 100" '.behavior == "account"'
it_req PUT /actors/bad '{"behavior":"account","args":{"start":-1}}'
expect_error 422 bad_args "an account with start -1 is refused"
it_req PUT /actors/bob '{"behavior":"account","args":{"start":0}}'
expect_status 201 "spawn bob with 0"
it_req PUT /actors/carol '{"behavior":"account"}'
expect_status 201 "spawn carol (start 0)"

it_req POST /actors/alice '{"deposit":50}'
expect_status 202 "deposit 50 to alice"
it_req POST /actors/alice '{"withdraw":20}'
expect_status 202 "withdraw 20 from alice"
expect_poll 10 "alice has 130" /actors/alice \
    '.state.balance == 130 and .state.credits == 50 and .state.debits == 20'
it_req POST /actors/alice '{"withdraw":1000}'
expect_status 202 "withdraw 1000 from alice: sent"
expect_poll 10 "the overdraft is refused and recorded; alice lives on with 130" \
    /actors/alice '.status == "waiting" and .mailbox == 0 and
    .state.balance == 130 and .state.refused == 1 and
    .state.last_refused == {"op": "withdraw", "amount": 1000,
                            "why": "insufficient funds"}'

it_req POST /actors/alice/calls/balance
expect_ok 200 "the balance call answers 130" '.message == 130'
it_req POST /actors/bob/calls/deposit '5'
expect_ok 200 "the deposit call credits bob 5 and answers 5" '.message == 5'
it_req POST /actors/bob/calls/statement
expect_error 404 invalid_method "an account has no statement call"

it_req POST /actors/alice '{"transfer":30,"to":"bob"}'
expect_status 202 "transfer 30 from alice to bob"
drained alice
expect_true "alice's transfer is done" test "$IT_STATUS" = 200
expect_json "alice has 100, 30 sent" \
    '.state.balance == 100 and .state.transfers_out == 30'
expect_poll 10 "bob has 35, 30 received" /actors/bob \
    '.state.balance == 35 and .state.transfers_in == 30'
it_req GET '/actors?behavior=bank_transfer'
expect_json "its courier exited credited" \
    '.actors | length == 1 and .[0].status == "exited" and
     .[0].result.outcome == "credited"'

it_req POST /actors/bob '{"transfer":10,"to":{"$address":"alice"}}'
expect_status 202 "transfer 10 from bob to alice (an address)"
drained bob
expect_json "bob has 25" '.state.balance == 25'
expect_poll 10 "alice has 110" /actors/alice '.state.balance == 110'

it_req POST /actors/bob '{"transfer":1000,"to":"alice"}'
expect_status 202 "transfer 1000 from bob: sent"
drained bob
expect_json "bob's overdrawing transfer is refused; bob keeps 25" \
    '.state.balance == 25 and .state.last_refused.why == "insufficient funds"'

it_req POST /actors/carol '{"closed":true}'
expect_status 202 "close carol"
expect_poll 10 "carol is closed" /actors/carol '.state.closed == true'
it_req POST /actors/carol/calls/deposit '5'
expect_error 502 actor_exception "a deposit call to a closed account answers an exception"
it_req POST /actors/alice '{"transfer":40,"to":"carol"}'
expect_status 202 "transfer 40 from alice to closed carol"
drained alice
expect_json "carol refused it: alice is refunded to 110" \
    '.state.balance == 110 and .state.refunds == 40 and
     .state.last_refused.why == "the account is closed"'
state carol
expect_json "carol still has 0" '.state.balance == 0'
it_req POST /actors/alice '{"transfer":5,"to":"nobody"}'
expect_status 202 "transfer 5 from alice to no account"
drained alice
expect_json "nobody took it: alice is refunded to 110" \
    '.state.balance == 110 and .state.refunds == 45 and .state.in_doubt == 0'
it_req GET '/actors?behavior=bank_transfer'
expect_json "the couriers: 2 credited, 2 refused, all exited" \
    '[.actors[].result.outcome] | sort == ["credited", "credited", "refused", "refused"]'
total=0
for n in alice bob carol; do
    state "$n"
    total=$((total + $(it_jq .state.balance)))
done
expect_true "alice, bob and carol hold 135 in all ($total)" test "$total" -eq 135

# --- a stream of transfers with a kill -9 of actord in its middle ---

# transfer_stream OUT SEED: T transfers between random accounts of
# random amounts (many overdraw, and are refused); appends "STATUS" to
# OUT for each.
transfer_stream() {
    local out=$1 i from to amount code
    RANDOM=$2
    for ((i = 0; i < T; i++)); do
        from=$((RANDOM % K))
        to=$(((from + 1 + RANDOM % (K - 1)) % K))
        amount=$((1 + RANDOM % 400))
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
            -X POST -H 'Content-Type: application/json' \
            --data-binary "{\"transfer\":$amount,\"to\":\"acct$to\"}" \
            "$IT_BASE/actors/acct$from") || true
        echo "${code:-000}" >>"$out"
        [ "$code" = 202 ] || sleep 0.05
    done
}

for ((k = 0; k < K; k++)); do
    it_req PUT "/actors/acct$k" "{\"behavior\":\"account\",\"args\":{\"start\":$START}}"
    expect_status 201 "spawn acct$k with $START"
done
d=$IT_DIR/stream
mkdir -p "$d"
pids=()
for ((l = 0; l < LOOPS; l++)); do
    transfer_stream "$d/loop.$l" $((l + 7)) &
    pids+=($!)
done
for ((i = 0; i < 1200; i++)); do
    sent=$(cat "$d"/loop.* 2>/dev/null | wc -l)
    [ "$sent" -lt $((LOOPS * T / 3)) ] || break
    sleep 0.025
done
it_log "kill -9 of actord after $sent of $((LOOPS * T)) transfers"
it_kill9_actord
sleep 0.3
expect_true "actord starts again with the plugin on the same database" \
    it_start_actord
expect_true "/healthz answers after the restart" it_wait_healthy 10
wait "${pids[@]}"
acked=$(cat "$d"/loop.* | grep -c '^202$')
expect_true "most transfers were acknowledged ($acked of $((LOOPS * T)))" \
    test "$acked" -ge $((LOOPS * T / 2))

# couriers OUT: writes the documents of every bank_transfer actor, a JSON
# array, to OUT (GET /actors a page of 1000 at a time).
couriers() {
    local out=$1 after=""
    : >"$out.pages"
    while :; do
        it_req GET "/actors?behavior=bank_transfer&limit=1000$after"
        [ "$IT_STATUS" = 200 ] || return 1
        it_jq '.actors[]' -c >>"$out.pages"
        after=$(it_jq '.next // empty')
        [ -n "$after" ] || break
        after="&after=$after"
    done
    jq -s '.' "$out.pages" >"$out"
}

# Drained: every courier has ended and every account has read its mail.
all_done() {
    local j
    couriers "$d/couriers.json" || return 1
    jq -e '[.[] | select(.status == "runnable" or .status == "waiting")]
           | length == 0' "$d/couriers.json" >/dev/null || return 1
    for ((j = 0; j < K; j++)); do
        it_req GET "/actors/acct$j"
        it_jq '.status == "waiting" and .mailbox == 0 and .state.pending == {}' |
            grep -qx true || return 1
    done
}
drain_ok=0
for ((i = 0; i < 600; i++)); do
    if all_done; then
        drain_ok=1
        break
    fi
    sleep 0.1
done
expect_true "every transfer is settled and every mailbox is read" \
    test "$drain_ok" -eq 1

books=$d/books.json
for ((k = 0; k < K; k++)); do
    it_req GET "/actors/acct$k"
    printf '%s\n' "$IT_BODY"
done | jq -s '.' >"$books"
total=$(jq '[.[].state.balance] | add' "$books")
expect_true "the total of all balances is unchanged: $total = $((K * START))" \
    test "$total" -eq $((K * START))
bad=$(jq --argjson s "$START" '[.[] | select(.state as $x |
    $x.balance != $s + $x.credits - $x.debits + $x.refunds or
    $x.balance < 0 or $x.pending != {} or $x.in_doubt != 0) | .name]
    | join(" ")' -r "$books")
expect_true "every account's books balance, none in doubt (${bad:-all good})" \
    test -z "$bad"
out=$(jq '[.[].state.transfers_out] | add' "$books")
refunds=$(jq '[.[].state.refunds] | add' "$books")
in=$(jq '[.[].state.transfers_in] | add' "$books")
expect_true "sent $out - refunded $refunds = received $in" \
    test $((out - refunds)) -eq "$in"
couriers "$d/couriers.json"
# The stream's couriers are acctK.N; alice's four came before.
jq '[.[] | select(.name | startswith("acct"))]' "$d/couriers.json" \
    >"$d/stream-couriers.json"
n_couriers=$(jq 'length' "$d/stream-couriers.json")
credited=$(jq '[.[] | select(.status == "exited" and
    .result.outcome == "credited")] | length' "$d/stream-couriers.json")
expect_true "every courier of the stream exited credited ($credited of $n_couriers)" \
    test "$credited" -eq "$n_couriers" -a "$n_couriers" -gt 0
local_refused=$(jq '[.[].state.refused] | add' "$books")
# Each transfer message taken once: every acknowledged one, and at most
# the unacknowledged ones besides, made a courier or a refusal.
taken=$((n_couriers + local_refused))
expect_true "transfers taken: $acked acked <= $taken <= $((LOOPS * T)) sent" \
    test "$acked" -le "$taken" -a "$taken" -le $((LOOPS * T))
expect_integrity "after the stream"
it_log "stream: $((LOOPS * T)) transfers sent, $acked acked, kill -9 after" \
    "$sent; $n_couriers transfers made ($credited credited), $local_refused" \
    "refused by the accounts (overdrafts); $out moved; total $total"

# --- actord refuses bad plugins, each with its message ---

# expect_refused DESC FILE MESSAGE: actord --load FILE exits non-zero
# without serving, and its log holds MESSAGE.
expect_refused() {
    local desc=$1 file=$2 want=$3 log=$IT_DIR/refused.log pid rc i
    rm -f "$IT_DIR/refused.sock"
    (it_exec_actord --listen "unix:$IT_DIR/refused.sock" \
        --db "$IT_DIR/refused.db" --load "$BANK" --load "$file") \
        </dev/null 2>"$log" &
    pid=$!
    for ((i = 0; i < 100 * IT_SLOW; i++)); do
        it_alive "$pid" || break
        sleep 0.1
    done
    if it_alive "$pid"; then
        it_stop_pid "$pid"
        it_fail "$desc" "actord started with $file"
        return
    fi
    wait "$pid"
    rc=$?
    # The log quotes the reason, its quotes escaped (docs/logging.md).
    if [ "$rc" -ne 0 ] && grep -qF -- "event=plugin_refused " "$log" &&
        grep -qF -- "${want//\"/\\\"}\"" "$log" &&
        [ ! -S "$IT_DIR/refused.sock" ]; then
        it_pass "$desc"
    else
        it_fail "$desc" "exit status $rc, want '$want', log:" "$(cat "$log")"
    fi
}

expect_refused "actord refuses a plugin of another ABI" "$FIX/abi.so" \
    "plugin $FIX/abi.so is not binary compatible: built for actord ABI 2, this actord has ABI 1"
expect_refused "actord refuses a plugin taking the name counter" \
    "$FIX/taken.so" \
    "plugin $FIX/taken.so (taken): behaviour \"counter\" is already registered (by the standard behaviours or an earlier plugin)"
expect_refused "actord refuses the bank twice (account is taken)" "$BANK" \
    "plugin $BANK is loaded already"
expect_refused "actord refuses a shared object without actor_plugin" \
    "$FIX/noentry.so" \
    "plugin $FIX/noentry.so has no actor_plugin symbol: it is not an actord plugin (define it with ACTOR_PLUGIN of actord/behavior.h)"
expect_refused "actord refuses a plugin whose init fails" "$FIX/initfail.so" \
    "plugin $FIX/initfail.so (initfail): init failed (returned 7)"
expect_refused "actord refuses a file that is not a shared object" \
    "$FIX/notso.so" \
    "plugin $FIX/notso.so cannot be loaded: $FIX/notso.so: invalid ELF header"
expect_refused "actord refuses a plugin calling outside behavior.h" \
    "$FIX/undefined.so" \
    "plugin $FIX/undefined.so cannot be loaded: $FIX/undefined.so: undefined symbol: eng_init"
expect_true "actord --help tells of --load and --plugin-dir" \
    bash -c '"$1" --help | grep -q -- "--plugin-dir DIR"' _ "$ACTORD_BIN"

# --- actorctl --load runs bank actors ---
ctl=("$ACTORCTL" --db "$IT_DIR/ctl.db" --load "$BANK")
"${ctl[@]}" spawn x account '{"start":5}' >/dev/null &&
    "${ctl[@]}" spawn y account >/dev/null &&
    "${ctl[@]}" send x '{"transfer":3,"to":"y"}' >/dev/null &&
    "${ctl[@]}" send y '{"withdraw":9}' >/dev/null
expect_true "actorctl --load spawns accounts and sends to them" test $? -eq 0
expect_true "actorctl --load BANK run runs them" \
    bash -c '"$@" run | grep -q "^ran [1-9][0-9]* steps"' _ "${ctl[@]}"
x=$("${ctl[@]}" get x | jq -c '[.state.balance, .state.transfers_out]')
y=$("${ctl[@]}" get y | jq -c '[.state.balance, .state.refused]')
expect_true "x paid y 3 ($x), y's overdraft was refused ($y)" \
    test "$x $y" = "[2,3] [3,1]"
err=$("$ACTORCTL" --db "$IT_DIR/ctl.db" spawn z account 2>&1)
rc=$?
expect_true "without --load actorctl knows no account ($rc: $err)" \
    test "$rc" -eq 1
err=$("$ACTORCTL" --db "$IT_DIR/ctl.db" --load "$FIX/abi.so" behaviors 2>&1)
rc=$?
expect_true "actorctl refuses a plugin of another ABI ($rc: $err)" \
    test "$rc" -eq 1 -a "$err" = "actorctl: plugin $FIX/abi.so is not binary compatible: built for actord ABI 2, this actord has ABI 1"
names=$("$ACTORCTL" --plugin-dir "$FIX/two" behaviors |
    jq -r '[.behaviors[].name | select(startswith("plug_"))] | join(" ")')
expect_true "actorctl --plugin-dir loads a folder in name order ($names)" \
    test "$names" = "plug_first plug_second"

it_finish
