#!/usr/bin/env bash
# test_hostile.sh - hostile clients through a real nginx: absurd and lying
# Content-Length headers, a body over --max-body, a body that trickles in
# byte by byte while another request is served at once, a chunked body,
# NUL bytes, percent-encoded slashes and dots in names.  Each case expects
# an exact status, and actord's JSON error code when actord answers
# (nginx answers some itself, with its own HTML 400, before actord sees
# anything).  At the end actord must still be the same process, answer,
# and its database must pass PRAGMA integrity_check.  Raw requests go
# over bash's /dev/tcp, so that what is sent is exactly what is written.
# The IT_* variables set here are read by lib.sh's assertions.
# shellcheck disable=SC2016,SC2034
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

it_start
it_log "nginx on $IT_BASE, actord pid $ACTORD_PID"
FIRST_PID=$ACTORD_PID

# raw_req FILE [SECONDS]: sends the bytes of FILE on a fresh connection and
# reads the answer until the server closes (HTTP/1.0 or Connection: close)
# or SECONDS pass (default 10).  Sets IT_REQ, IT_STATUS, IT_HEADERS and
# IT_BODY as it_req does.
raw_req() {
    local file=$1 secs=${2:-10}
    IT_REQ="raw $(head -c 60 "$file" | tr -c '[:print:]' '.')"
    (
        exec 3<>"/dev/tcp/127.0.0.1/$IT_PORT" || exit 1
        cat "$file" >&3
        timeout "$secs" cat <&3
    ) >"$IT_DIR/raw.resp" 2>/dev/null
    raw_parse
}

# raw_parse: reads $IT_DIR/raw.resp into IT_STATUS, IT_HEADERS, IT_BODY.
raw_parse() {
    local head
    head=$(sed -n '1,/^\r\{0,1\}$/p' "$IT_DIR/raw.resp" | tr -d '\r')
    IT_STATUS=$(printf '%s\n' "$head" | sed -n '1s/^HTTP\/1\.[01] \([0-9]*\).*/\1/p')
    [ -n "$IT_STATUS" ] || IT_STATUS=000
    IT_HEADERS=$(printf '%s\n' "$head" | sed 1d)
    IT_BODY=$(sed '1,/^\r\{0,1\}$/d' "$IT_DIR/raw.resp" | tr -d '\r')
    # A chunked answer (to HTTP/1.1): our bodies are one line of JSON, so
    # dropping the lines of chunk sizes leaves the body.
    if printf '%s\n' "$IT_HEADERS" | grep -qi '^transfer-encoding: *chunked'; then
        IT_BODY=$(printf '%s\n' "$IT_BODY" | grep -v '^[0-9a-fA-F]*$')
    fi
}

# raw_file NAME PRINTF_FORMAT [ARGS...]: writes a request into a file and
# prints its path.
raw_file() {
    local f=$IT_DIR/$1.req
    shift
    # shellcheck disable=SC2059  # the format is the request
    printf "$@" >"$f"
    echo "$f"
}

# mailbox_count NAME: prints how many unread messages NAME has.
mailbox_count() {
    curl -s --max-time 5 "$IT_BASE/actors/$1/mailbox" | jq -r '.messages | length'
}

it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "PUT /actors/col spawns a collector"
it_req PUT /actors/c1 '{"behavior":"counter"}'
expect_status 201 "PUT /actors/c1 spawns a counter"

# ---- Content-Length -----------------------------------------------------

for cl in 99999999999999999999 -1 abc '1 2' 18446744073709551616; do
    f=$(raw_file cl "POST /actors/col HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n{}" "$cl")
    raw_req "$f"
    # nginx refuses a Content-Length it cannot parse before actord hears
    # of the request.
    expect_status 400 "Content-Length: $cl is 400 from nginx"
done

f=$(raw_file cl2 'POST /actors/col HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}')
raw_req "$f"
expect_status 400 "two Content-Length headers are 400 from nginx"

# A Content-Length over actord's limit with a short body: nginx waits for
# the rest, the client gives up and closes; nothing reaches the database.
before=$(mailbox_count col)
(
    exec 3<>"/dev/tcp/127.0.0.1/$IT_PORT" || exit 1
    printf 'POST /actors/col HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"lie":1}' >&3
    sleep 0.3
    exec 3>&-
) 2>/dev/null
f=$(raw_file big 'POST /actors/col HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{"lie":2}')
(
    exec 3<>"/dev/tcp/127.0.0.1/$IT_PORT" || exit 1
    cat "$f" >&3
    sleep 0.3
    exec 3>&-
) 2>/dev/null
sleep 0.3
it_req GET /healthz
expect_status 200 "after two requests whose bodies stopped short, /healthz answers"
expect_true "the cut-short bodies stored no message" \
    test "$(mailbox_count col)" = "$before"
it_req GET /actors/col
expect_json "the collector saw neither cut-short body" \
    '[.state[]? | .. | objects | select(has("lie"))] | length == 0'

# The length of a body over the limit, sent in full: actord refuses it
# before reading it.
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$IT_DIR/big.json"
it_req_file POST /actors/col "$IT_DIR/big.json"
expect_error 413 too_large "a body of 1 MiB + 1 byte is 413 too_large"
head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' '1' >"$IT_DIR/big5.json"
it_req_file PUT /actors/big "$IT_DIR/big5.json"
expect_error 413 too_large "a 5 MiB spawn body is 413 too_large"
it_req GET /actors/big
expect_error 404 no_such_actor "the 413 spawn stored no actor"

# A chunked body (no Content-Length at all): nginx reads it whole first.
f=$(raw_file chunked 'POST /actors/col HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\n{"ch\r\n8\r\nunked":1\r\n1\r\n}\r\n0\r\n\r\n')
raw_req "$f"
expect_ok 202 "a chunked message is 202 accepted" '.accepted == true'

# ---- a slow body --------------------------------------------------------

# The headers at once, then the body one byte every 0.1 s (about 2.5 s in
# all); meanwhile another request must be answered promptly, since nginx
# buffers the body and actord is not held.
slow='{"slow":"abcdefghijkl"}'
(
    exec 3<>"/dev/tcp/127.0.0.1/$IT_PORT" || exit 1
    printf 'POST /actors/col HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' "${#slow}" >&3
    for ((i = 0; i < ${#slow}; i++)); do
        printf '%s' "${slow:i:1}" >&3
        sleep 0.1
    done
    timeout 10 cat <&3
) >"$IT_DIR/raw.resp" 2>/dev/null &
slow_pid=$!
sleep 0.5
for path in /healthz /actors/c1; do
    it_req GET "$path"
    expect_status 200 "GET $path while a body trickles in is 200"
    expect_true "GET $path answered in under 1 s (${IT_TIME} s)" \
        awk -v t="$IT_TIME" 'BEGIN { exit !(t < 1) }'
done
it_alive "$slow_pid" && slow_still=1 || slow_still=0
expect_true "the slow body was still being sent meanwhile" test "$slow_still" = 1
wait "$slow_pid"
raw_parse
IT_REQ="slow POST /actors/col"
expect_ok 202 "the slow body, once complete, is 202 accepted" '.accepted == true'
expect_poll 5 "the collector got the slow message" /actors/col \
    '[.state[]? | .. | objects | select(.slow == "abcdefghijkl")] | length == 1'

# ---- names through nginx ------------------------------------------------

# nginx decodes and normalises the path before actord sees it (PATH_INFO
# is $uri): "%2e%2e" is "..", which climbs out of /actors, and "%2F" is a
# slash.  Whatever the spelling, no actor is made and the answer is a
# JSON error from actord.
it_req GET '/actors/%2e%2e'
expect_error 404 not_found "GET /actors/%2e%2e (nginx: /) is 404 not_found"
it_req PUT '/actors/%2e%2e' '{"behavior":"counter"}'
expect_error 404 not_found "PUT /actors/%2e%2e is 404 not_found"
it_req GET '/actors/x/%2e%2e/%2e%2e/healthz'
expect_status 200 "GET /actors/x/%2e%2e/%2e%2e/healthz is nginx's /healthz"
it_req PUT '/actors/a%2Fb' '{"behavior":"counter"}'
expect_error 404 not_found "PUT /actors/a%2Fb (a path /actors/a/b) is 404 not_found"
it_req GET '/actors/a%2Fmailbox'
expect_error 404 no_such_actor "GET /actors/a%2Fmailbox is a's mailbox: 404 no_such_actor"
it_req PUT '/actors/%2e' '{"behavior":"counter"}'
expect_error 405 method_not_allowed "PUT /actors/%2e (nginx: /actors/) is 405"
it_req PUT '/actors/%7e.%41' '{"behavior":"counter"}'
expect_status 201 "PUT /actors/%7e.%41 spawns ~.A"
expect_json "the actor is named ~.A" '.name == "~.A"'
it_req PUT '/actors/a%20b' '{"behavior":"counter"}'
expect_error 400 bad_name "PUT /actors/a%20b is 400 bad_name"
it_req GET '/actors/%ff%fe'
expect_error 400 bad_name "GET /actors/%ff%fe is 400 bad_name"
it_req GET '/%ff%fe/x'
expect_error 404 not_found "GET /%ff%fe/x (invalid UTF-8) is 404 not_found with its JSON body"
it_req PUT "/actors/$(printf 'n%.0s' {1..129})" '{"behavior":"counter"}'
expect_error 400 bad_name "a name of 129 characters is 400 bad_name"

# A percent-encoded NUL: nginx refuses a path that decodes to one.
it_req GET '/actors/a%00b'
expect_status 400 "GET /actors/a%00b is 400 (nginx refuses a decoded NUL)"
it_req PUT '/actors/c1%00' '{"behavior":"counter"}'
expect_status 400 "PUT /actors/c1%00 is 400"
# A raw NUL in the request line.
f=$(raw_file nul 'GET /actors/a\0b HTTP/1.0\r\nHost: localhost\r\n\r\n')
raw_req "$f"
expect_status 400 "a raw NUL in the request line is 400 from nginx"
# A raw NUL in the body: malformed JSON.
printf '{"a":"x\0y"}' >"$IT_DIR/nul.json"
it_req_file POST /actors/col "$IT_DIR/nul.json"
expect_error 400 bad_json "a raw NUL in a message is 400 bad_json"
it_req POST /actors/col '{"a":1,"a":2}'
expect_error 400 bad_json "a message with a key twice is 400 bad_json"
printf '%*s' 100000 '' | tr ' ' '[' >"$IT_DIR/deep.json"
it_req_file POST /actors/col "$IT_DIR/deep.json"
expect_error 400 bad_json "100000 nested arrays are 400 bad_json"
it_req POST /actors/col '1e400'
expect_error 400 bad_json "1e400 is 400 bad_json"

# ---- still alive, and the database intact -------------------------------

it_req GET /healthz
expect_ok 200 "GET /healthz at the end" '.ok == true'
expect_true "actord is the same process as at the start (pid $FIRST_PID)" \
    test "$ACTORD_PID" = "$FIRST_PID"
expect_true "actord (pid $ACTORD_PID) is alive" it_alive "$ACTORD_PID"
it_req GET /actors/c1
expect_status 200 "GET /actors/c1 at the end"
expect_integrity

it_finish
