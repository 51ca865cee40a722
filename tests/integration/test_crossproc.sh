#!/usr/bin/env bash
# test_crossproc.sh - work written by another process: actorctl on the same
# database while actord runs.  actord's scheduler must notice it (by the
# database's data_version) and run the actors with no HTTP request to wake
# it.  Also a second actord on the same database, sharing the work.
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl

it_start

it_req PUT /actors/c '{"behavior":"counter"}'
expect_status 201 "spawn counter c"

# Sends by actorctl, one transaction for the batch.
for i in $(seq 1 50); do echo '{"add":2}'; done >"$IT_DIR/batch.jsonl"
out=$("$CTL" --db "$IT_DB" send c <"$IT_DIR/batch.jsonl" 2>&1)
expect_true "actorctl batch of 50 says so ($out)" test "$out" = "sent 50 messages"

# No HTTP request between the batch and this poll but GETs: the scheduler
# must pick the work up by itself.
count=""
for ((i = 0; i < 50; i++)); do
    count=$("$CTL" --db "$IT_DB" get c | jq -r '.state.count')
    [ "$count" = 100 ] && break
    sleep 0.1
done
expect_true "actord ran the 50 adds written by actorctl (count $count)" test "$count" = 100

# A bad batch sends nothing and names the bad lines.
printf '{"to":"c","message":{"add":1}}\n{"to":"nobody","message":1}\nnot json\n' \
    >"$IT_DIR/bad.jsonl"
err=$("$CTL" --db "$IT_DB" send <"$IT_DIR/bad.jsonl" 2>&1)
rc=$?
expect_true "bad batch exits 1" test "$rc" = 1
expect_true "bad batch names line 3 ($err)" grep -q '^line 3: bad_json' <<<"$err"
expect_true "bad batch names line 2" grep -q '^line 2: no_such_actor' <<<"$err"
sleep 0.3
it_req GET /actors/c
expect_json "bad batch sent nothing" '.state.count == 100 and .mailbox == 0'

# A second actord on the same database (its own socket); both schedulers
# run; sends through both never lose or double an add.
SOCK2=$IT_DIR/actord2.sock
it_exec_actord --listen "unix:$SOCK2" --db "$IT_DB" </dev/null \
    2>>"$IT_DIR/actord2.log" &
PID2=$!
for ((i = 0; i < 50 * IT_SLOW; i++)); do [ -S "$SOCK2" ] && break; sleep 0.1; done
expect_true "second actord is up" test -S "$SOCK2"
for i in $(seq 1 100); do echo '{"add":1}'; done >"$IT_DIR/b2.jsonl"
"$CTL" --db "$IT_DB" send c <"$IT_DIR/b2.jsonl" >/dev/null &
p1=$!
for i in $(seq 1 30); do
    it_req POST /actors/c '{"add":1}'
    [ "$IT_STATUS" = 202 ] || it_fail "POST add $i" "$(it_last)"
done
wait "$p1"
for ((i = 0; i < 50; i++)); do
    count=$("$CTL" --db "$IT_DB" get c | jq -r '.state.count')
    [ "$count" = 230 ] && break
    sleep 0.1
done
expect_true "two actords and actorctl: count is exactly 230 ($count)" test "$count" = 230
it_stop_pid "$PID2"
expect_true "second actord stopped on TERM and removed its socket" test ! -S "$SOCK2"

# A database held locked by another process past actord's busy timeout
# (5 s) answers 503 busy with Retry-After, never a 500, and stores nothing.
printf 'BEGIN IMMEDIATE;\nUPDATE actors SET updated = updated;\n.shell sleep 7\nCOMMIT;\n' |
    sqlite3 "$IT_DB" >/dev/null 2>&1 &
locker=$!
sleep 0.5
it_req POST /actors/c '{"add":1000}'
expect_error 503 busy "a send while another process holds the write lock is 503 busy"
expect_header Retry-After '^[0-9]+$' "with Retry-After"
wait "$locker"
it_req POST /actors/c '{"add":1}'
expect_status 202 "once the lock is gone, sends are accepted again"
for ((i = 0; i < 50; i++)); do
    count=$("$CTL" --db "$IT_DB" get c | jq -r '.state.count')
    [ "$count" = 231 ] && break
    sleep 0.1
done
expect_true "the refused send stored nothing (count $count)" test "$count" = 231

it_finish
