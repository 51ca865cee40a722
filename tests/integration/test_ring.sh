#!/usr/bin/env bash
# test_ring.sh - a ring of 10000 forwarders passes one message around and
# the ring actor exits with it: many actors, many steps, one long-poll.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${RING_N:-10000}
it_start

start=$(date +%s%N)
it_req PUT /actors/r "{\"behavior\":\"ring\",\"args\":{\"n\":$N,\"message\":\"hi\"}}"
expect_status 201 "PUT /actors/r spawns a ring of $N"
IT_MAX_TIME=90 it_req GET '/actors/r?wait=60'
end=$(date +%s%N)
expect_ok 200 "GET /actors/r?wait=60: the ring exited with result \"hi\"" \
    '.status == "exited" and .result == "hi"'
it_log "ring of $N: $(it_jq .status) after $(((end - start) / 1000000)) ms"

it_req GET '/actors?behavior=forwarder&status=exited&limit=1'
expect_ok 200 "the ring's forwarders are listed as exited forwarders" \
    '(.actors | length) == 1 and .actors[0].behavior == "forwarder"'

it_finish
