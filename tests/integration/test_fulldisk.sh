#!/usr/bin/env bash
# test_fulldisk.sh - a full database answers 507 storage_full and nothing
# is lost or corrupted.  actord runs with --max-db-size (SQLite's
# max_page_count on every connection: a write past it fails as a full disk
# does).  Writes until a 507, then checks: reads still answer, every add
# answered 202 is counted, integrity_check is ok, and after a restart with
# room the same database takes writes again.
. "$(dirname "$0")/lib.sh"

IT_ACTORD_ARGS=(--max-db-size 600000)
it_start

it_req PUT /actors/c '{"behavior":"counter"}'
expect_status 201 "spawn counter c"
it_req PUT /actors/fill '{"behavior":"counter"}'
expect_status 201 "spawn counter fill"

# 20 KB messages the counter leaves queued (no shape matches), between
# adds of 1, until the database is full.
payload=$(printf '{"pad":"%020000d"}' 0)
acked=0
full=0
for ((i = 0; i < 100; i++)); do
    it_req POST /actors/fill "$payload"
    if [ "$IT_STATUS" = 507 ]; then full=1; break; fi
    it_req POST /actors/c '{"add": 1}'
    if [ "$IT_STATUS" = 202 ]; then
        acked=$((acked + 1))
    elif [ "$IT_STATUS" = 507 ]; then
        full=1
        break
    fi
done
expect_true "a write past --max-db-size is refused (after $i rounds)" \
    test "$full" -eq 1
expect_error 507 storage_full "it answers 507 storage_full"

it_req GET /actors/c
expect_status 200 "reads still answer"
expect_poll 10 "every acknowledged add ($acked) is counted" /actors/c \
    '.state.count == $n' --argjson n "$acked"
it_req PUT /actors/more '{"behavior":"counter"}'
expect_true "a spawn on the full database is 507 too (got $IT_STATUS)" \
    test "$IT_STATUS" = 507 -o "$IT_STATUS" = 201
expect_integrity "on the full database"

# Room again: the same database takes writes.
it_stop_pid "$ACTORD_PID"
IT_ACTORD_ARGS=()
it_start_actord || exit 1
it_req POST /actors/c '{"add": 1}'
expect_status 202 "after a restart with room, sends are 202 again"
expect_poll 10 "and counted" /actors/c '.state.count == $n' \
    --argjson n "$((acked + 1))"
expect_integrity "after the restart"
it_finish
