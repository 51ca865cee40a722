#!/usr/bin/env bash
# test_parallel.sh - concurrent clients, so that actord's request threads
# and its scheduler thread run at the same time (what `make tsan` is for):
# clients that each spawn a counter, send to it and call it, while others
# long-poll (?wait=) a ring the scheduler is running and a counter that is
# killed meanwhile.  Every send is counted exactly once.
. "$(dirname "$0")/lib.sh"

it_start

CLIENTS=6   # concurrent clients, each with its own counter
SENDS=15    # sends per client
POLLERS=4   # concurrent long-polls on the ring

# client I: spawns pI, sends SENDS adds of 1, then calls add 100 and get;
# writes one status a line to $IT_DIR/client.I.
client() {
    local i=$1 n
    {
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -X PUT \
            -d '{"behavior":"counter"}' "$IT_BASE/actors/p$i"
        for ((n = 0; n < SENDS; n++)); do
            curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
                -X POST -d '{"add":1}' "$IT_BASE/actors/p$i"
        done
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 -X POST \
            -d '100' "$IT_BASE/actors/p$i/calls/add?timeout=30"
        curl -s -w ' %{http_code}\n' --max-time 60 -X POST \
            "$IT_BASE/actors/p$i/calls/get?timeout=30"
    } >"$IT_DIR/client.$i" 2>&1
}

# poller I PATH: one long-poll on PATH, its body and status in
# $IT_DIR/poll.I.
poller() {
    curl -s -w ' %{http_code}\n' --max-time 60 "$IT_BASE$2" \
        >"$IT_DIR/poll.$1" 2>&1
}

# A counter that is killed while two clients long-poll it.
it_req PUT /actors/victim '{"behavior":"counter"}'
expect_status 201 "spawn victim"
pids=()
poller v1 '/actors/victim?wait=30' &
pids+=($!)
poller v2 '/actors/victim?wait=30' &
pids+=($!)

it_req PUT /actors/ring '{"behavior":"ring","args":{"n":300,"message":"hi"}}'
expect_status 201 "spawn a ring of 300"
for ((i = 0; i < POLLERS; i++)); do
    poller "r$i" '/actors/ring?wait=30' &
    pids+=($!)
done
for ((i = 0; i < CLIENTS; i++)); do
    client "$i" &
    pids+=($!)
done
sleep 0.5
it_req DELETE /actors/victim
expect_status 200 "kill victim while it is long-polled"
for p in "${pids[@]}"; do
    wait "$p"
done

# ends_with FILE STATUS FILTER: FILE holds a JSON body, then " STATUS";
# FILTER holds on the body.
ends_with() {
    local text
    text=$(cat "$1")
    [ "${text##* }" = "$2" ] &&
        printf '%s' "${text% *}" | jq -e "$3" >/dev/null 2>&1
}

for v in v1 v2; do
    expect_true "long-poll $v on victim ends with its kill" \
        ends_with "$IT_DIR/poll.$v" 200 '.status == "killed"'
done
for ((i = 0; i < POLLERS; i++)); do
    expect_true "long-poll r$i on the ring ends with its exit" \
        ends_with "$IT_DIR/poll.r$i" 200 '.status == "exited" and .result == "hi"'
done
# A client's file: 201, SENDS times 202, 200, then the get's body and 200.
want="201 $(printf '202 %.0s' $(seq 1 "$SENDS"))200 {\"message\":$((SENDS + 100))} 200"
for ((i = 0; i < CLIENTS; i++)); do
    got=$(tr -s '\n ' '  ' <"$IT_DIR/client.$i")
    got=${got% }
    expect_true "client $i: spawn 201, $SENDS sends 202, add and get 200, count $((SENDS + 100))" \
        test "$got" = "$want"
    [ "$got" = "$want" ] || it_log "client $i got: $got"
done
it_req GET /healthz
expect_status 200 "still healthy"

it_finish
