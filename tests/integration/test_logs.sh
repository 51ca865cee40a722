#!/usr/bin/env bash
# test_logs.sh - actord's log (docs/logging.md): one line per event on
# stderr, level=... event=... key=value.  The start line, an upload, an
# actor that fails (a Lua error()) with its name and message quoted, the
# stop line; then --log-level warn, which keeps actor_failed and drops
# the info lines.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

LOG() { cat "$IT_DIR/actord.log"; }
it_start

expect_true "the start line: listen, db, threads, waiters" \
    grep -Eq "actord\[$ACTORD_PID\] level=info event=start version=[0-9.]+ listen=unix:$IT_SOCK db=$IT_DB threads=[0-9]+ waiters=[0-9]+" \
    "$IT_DIR/actord.log"
expect_true "a new database: the migrations applied, from 0" \
    grep -Eq "level=info event=migrated file=$IT_DB from=0 to=[0-9]+" \
    "$IT_DIR/actord.log"

it_req PUT /behaviors/boom 'return {start = function(a) return a:receive("go", {"$any"}) end,
  go = function(a, msg) error("it broke: \"" .. tostring(msg.why) .. "\"") end}'
expect_status 201 "upload a behaviour that fails on its first message"
expect_true "the upload: name, language, version" \
    grep -q 'level=info event=behavior_uploaded name=boom language=lua version=1$' \
        "$IT_DIR/actord.log"

it_req PUT /actors/b1 '{"behavior":"boom"}'
expect_status 201 "spawn it"
it_req POST /actors/b1 '{"why":"a = b"}'
it_req GET '/actors/b1?wait=5'
expect_ok 200 "it failed" '.status == "failed"'
for ((i = 0; i < 50; i++)); do
    grep -q 'event=actor_failed name=b1 ' "$IT_DIR/actord.log" && break
    sleep 0.1
done
expect_true "actor_failed at warn, with its name, behaviour and the message quoted" \
    grep -q 'level=warn event=actor_failed name=b1 behavior=boom version=1 error=[-a-z_]* message=".*it broke: \\"a = b\\"' \
        "$IT_DIR/actord.log"
expect_true "one event, one line: no line without level=" \
    bash -c '! grep -v " level=[a-z]* event=" "$1"' _ "$IT_DIR/actord.log"

it_stop_pid "$ACTORD_PID"
ACTORD_PID=""
expect_true "the signal, then the stop line" \
    bash -c 'grep -q "level=info event=signal signal=SIGTERM" "$1" &&
             tail -n 1 "$1" | grep -q "level=info event=stop$"' _ "$IT_DIR/actord.log"

# ---- --log-level warn ------------------------------------------------------
mv "$IT_DIR/actord.log" "$IT_DIR/actord-info.log"
IT_ACTORD_ARGS=(--log-level warn)
it_start_actord || exit 1
it_wait_healthy
it_req PUT /actors/b2 '{"behavior":"boom"}'
expect_status 201 "spawn another under --log-level warn"
it_req POST /actors/b2 '{"why":"again"}'
it_req GET '/actors/b2?wait=5'
expect_ok 200 "it failed too" '.status == "failed"'
for ((i = 0; i < 50; i++)); do
    grep -q 'event=actor_failed name=b2 ' "$IT_DIR/actord.log" && break
    sleep 0.1
done
expect_true "--log-level warn: actor_failed is still logged" \
    grep -q 'level=warn event=actor_failed name=b2 ' "$IT_DIR/actord.log"
expect_true "--log-level warn: no info line (no start)" \
    bash -c '! grep -q "level=info" "$1"' _ "$IT_DIR/actord.log"

it_finish
