#!/usr/bin/env bash
# test_metrics.sh - GET /metrics through nginx: the Prometheus text format
# (checked by promtool), requests counted by route and status, steps and
# messages, parked requests, actors by status read from the database (so
# they survive a restart, when the per-process counters start again).
. "$(dirname "$0")/lib.sh"

it_start

# metric NAME_WITH_LABELS: its value in the last scrape ($IT_DIR/m.txt).
metric() {
    awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "absent" }' \
        "$IT_DIR/m.txt"
}
scrape() {
    curl -s -o "$IT_DIR/m.txt" -w '%{http_code} %{content_type}' --max-time 10 \
        "$IT_BASE/metrics"
}

it_req PUT /actors/c1 '{"behavior":"counter"}'
expect_status 201 "spawn c1"
for ((i = 0; i < 25; i++)); do
    it_req POST /actors/c1 '{"add":1}'
    [ "$IT_STATUS" = 202 ] || break
done
expect_status 202 "25 sends to c1"
it_req GET /actors/nobody
expect_status 404 "GET of an unknown actor"
# The counter has run its 25 steps (the long-poll waits on another actor).
for ((i = 0; i < 50; i++)); do
    it_req GET /actors/c1
    [ "$(jq -r .state.count <<<"$IT_BODY")" = 25 ] && break
    sleep 0.1
done
it_req PUT /actors/w '{"behavior":"counter"}'
curl -s -o /dev/null --max-time 20 "$IT_BASE/actors/w?wait=10" &
poll=$!
IT_OTHER_PIDS+=("$poll")
sleep 1

r=$(scrape)
expect_true "GET /metrics answers 200 text/plain ($r)" \
    test "$r" = "200 text/plain; version=0.0.4; charset=utf-8"
expect_true "promtool check metrics finds nothing to say" \
    promtool check metrics <"$IT_DIR/m.txt"
v=$(metric 'actord_requests_total{route="actor",status="202"}')
expect_true "the 25 sends are counted as route actor, status 202 ($v)" test "$v" = 25
v=$(metric 'actord_requests_total{route="actor",status="404"}')
expect_true "the 404 is counted ($v)" test "$v" = 1
v=$(metric 'actord_requests_waiting')
expect_true "one request waits: the long-poll ($v)" test "$v" = 1
v=$(metric 'actord_steps_total')
expect_true "at least 26 steps were run ($v)" test "$v" -ge 26
v=$(metric 'actord_messages_total')
expect_true "25 messages were put in mailboxes ($v)" test "$v" = 25
v=$(metric 'actord_actors{status="waiting"}')
expect_true "2 actors wait ($v)" test "$v" = 2
v=$(metric 'actord_commit_duration_seconds_count')
expect_true "commits are timed ($v)" test "$v" -ge 25
v=$(metric 'actord_behaviors{language="c"}')
expect_true "the 8 standard behaviours are counted ($v)" test "$v" = 8
v=$(metric 'actord_database_bytes{file="db"}')
expect_true "the database's size is given ($v)" test "$v" -gt 0
v=$(metric 'actord_up')
expect_true "actord_up is 1 ($v)" test "$v" = 1

it_req POST /metrics '{}'
expect_error 405 method_not_allowed "POST /metrics is 405, as JSON"
it_req HEAD /metrics
expect_status 200 "HEAD /metrics"

it_req DELETE /actors/w
wait "$poll" 2>/dev/null || true
scrape >/dev/null
v=$(metric 'actord_requests_total{route="actor",status="200"}')
expect_true "the answered long-poll and the kill are counted ($v)" test "$v" -ge 2

# ---- a restart: counters of the process start again, the database's not --
it_stop_pid "$ACTORD_PID" 10
ACTORD_PID=""
it_start_actord || exit 1
expect_true "actord restarted" it_wait_healthy
scrape >/dev/null
v=$(metric 'actord_requests_total{route="actor",status="202"}')
expect_true "after a restart, the sends of the last process are not counted ($v)" \
    test "$v" = absent
v=$(metric 'actord_actors{status="waiting"}')
expect_true "the actors are read from the database: 1 waits ($v)" test "$v" = 1
v=$(metric 'actord_actors{status="killed"}')
expect_true "and 1 was killed ($v)" test "$v" = 1

it_finish
