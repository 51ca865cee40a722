#!/usr/bin/env bash
# test_nginx_errors.sh - the errors nginx answers itself are the contract's
# JSON, {"error": CODE, "message": TEXT} as application/json
# (nginx/actord-errors.conf), in both configurations:
#
#   - the run configuration (lib.sh's it_start, as `make run`): a path
#     with %00 (400 bad_request), a 9 KiB request line (414 too_large), a
#     17 KiB header (400 too_large), a Content-Length of 100 MiB (413
#     too_large), a client asking for the error pages themselves (404
#     not_found), actord killed under the running nginx (502 unavailable
#     with Retry-After: 1), and 200 again once actord is back; actord's
#     own errors (404 no_such_actor, 413 too_large over --max-body, 504
#     call_timeout) pass through untouched;
#   - the production site, nginx/actord-site.conf, laid out as in
#     /etc/nginx (snippets/, sites-enabled/, fastcgi_params) in a folder
#     of its own, with its socket and listen lines pointed at this test's
#     actord and a loopback port: nginx -t, the same cases below /actord/,
#     and 401 unauthorized (with WWW-Authenticate) on an operators' route.
#
# The IT_* variables set here are read by lib.sh's assertions.
# shellcheck disable=SC2034
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

it_start
it_log "nginx on $IT_BASE, actord pid $ACTORD_PID"

# creq URL [CURL_ARGS...]: one request with curl and the given arguments,
# at most 15 s; sets IT_REQ, IT_STATUS, IT_BODY, IT_HEADERS as it_req does.
creq() {
    local url=$1 out
    shift
    IT_REQ="$(printf '%s ' "$@" | cut -c 1-80)${url:0:120}"
    : >"$IT_DIR/resp.body"
    : >"$IT_DIR/resp.hdr"
    out=$(curl -s -o "$IT_DIR/resp.body" -D "$IT_DIR/resp.hdr" \
        -w '%{http_code}' --max-time 15 "$@" "$url") || true
    IT_STATUS=${out:-000}
    IT_BODY=$(cat "$IT_DIR/resp.body")
    IT_HEADERS=$(tr -d '\r' <"$IT_DIR/resp.hdr")
}

# expect_web_error STATUS CODE DESC: lib.sh's expect_error, and the body is
# exactly {"error": string, "message": string}.
expect_web_error() {
    expect_error "$1" "$2" "$3"
    expect_json "$3: the body is {error, message}, two strings" \
        'keys == ["error", "message"] and (.error | type) == "string" and (.message | type) == "string"'
}

long=$(head -c 9216 /dev/zero | tr '\0' a)
big=$(head -c 17408 /dev/zero | tr '\0' b)

# checks BASE WHAT: nginx's own errors through the server at BASE (the
# service's mount point, without its last slash), with actord up.
checks() {
    local base=$1 what=$2
    creq "$base/healthz"
    expect_ok 200 "$what: /healthz answers" '.ok == true'

    creq "$base/actors/a%00b"
    expect_web_error 400 bad_request "$what: a path with %00 is 400 bad_request"

    creq "$base/actors/$long"
    expect_web_error 414 too_large "$what: a 9 KiB request line is 414 too_large"

    creq "$base/healthz" -H "X-Big: $big"
    expect_web_error 400 too_large "$what: a 17 KiB header is 400 too_large"

    creq "$base/actors/col" -X POST -H 'Content-Type: application/json' \
        -H 'Content-Length: 104857600' --data-binary '{}'
    expect_web_error 413 too_large "$what: a Content-Length of 100 MiB is 413 too_large"

    creq "$base/actors/nosuch"
    expect_web_error 404 no_such_actor "$what: actord's own 404 passes through"

    creq "$base/actors/col" -X POST -H 'Content-Type: application/json' \
        --data-binary "@$IT_DIR/2mib.json"
    expect_web_error 413 too_large "$what: actord's own 413 (over --max-body) passes through"
    expect_json "$what: ... with actord's message, not nginx's" \
        '.message | test("web server") | not'
}

# down_and_up BASE WHAT: kill -9 actord under the running nginx, expect the
# JSON 502, start actord again, expect 200.
down_and_up() {
    local base=$1 what=$2
    it_kill9_actord
    creq "$base/healthz"
    expect_web_error 502 unavailable "$what: actord down, GET /healthz is 502 unavailable"
    expect_header Retry-After '^1$' "$what: ... with Retry-After: 1"
    creq "$base/actors/col" -X POST -H 'Content-Type: application/json' --data-binary '{"n":1}'
    expect_web_error 502 unavailable "$what: actord down, a POST is 502 unavailable"
    expect_header Retry-After '^1$' "$what: ... with Retry-After: 1"

    if it_start_actord; then
        it_pass "$what: actord started again"
    else
        it_fail "$what: actord started again"
    fi
    creq "$base/healthz"
    expect_ok 200 "$what: /healthz answers 200 again" '.ok == true'
    creq "$base/actors/col"
    expect_ok 200 "$what: GET /actors/col answers 200 again" '.name == "col"'
}

# A body over actord's 1 MiB limit but under nginx's 64 MiB.
{
    printf '{"pad":"'
    head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' x
    printf '"}'
} >"$IT_DIR/2mib.json"

it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "PUT /actors/col spawns a collector"

# ---- the run configuration -------------------------------------------------

checks "$IT_BASE" run

creq "$IT_BASE/_actord_error/502"
expect_web_error 404 not_found "run: the error pages are not reachable from outside"

creq "$IT_BASE/actors/col/calls/get?timeout=1" -X POST -H 'Content-Type: application/json' --data-binary 'null'
expect_web_error 504 call_timeout "run: actord's own 504 call_timeout passes through"
expect_true "run: ... without nginx's Retry-After" test -z "$(it_header Retry-After)"

it_req HEAD "/actors/a%00b"
expect_status 400 "run: HEAD of a path with %00 is 400"

down_and_up "$IT_BASE" run

# ---- the production site ---------------------------------------------------

S=$IT_DIR/site
mkdir -p "$S/snippets" "$S/sites-enabled" "$S/client_body_temp" "$S/fastcgi_temp"
cp "$IT_ROOT/nginx/actord-errors.conf" "$S/snippets/actord-errors.conf"
if [ -r /etc/nginx/fastcgi_params ]; then
    cp /etc/nginx/fastcgi_params "$S/fastcgi_params"
else
    # What Debian's file holds, as far as actord reads it.
    for p in QUERY_STRING:query_string REQUEST_METHOD:request_method \
        CONTENT_TYPE:content_type CONTENT_LENGTH:content_length \
        REQUEST_URI:request_uri DOCUMENT_URI:document_uri \
        SERVER_PROTOCOL:server_protocol REMOTE_ADDR:remote_addr \
        SERVER_NAME:server_name; do
        echo "fastcgi_param ${p%%:*} \$${p#*:};"
    done >"$S/fastcgi_params"
fi
: >"$S/actord-operators.htpasswd"
SITE_PORT=$(it_free_port)
SITE_BASE=http://127.0.0.1:$SITE_PORT/actord
sed -e "/^[[:space:]]*#/!s|unix:/run/actord/actord.sock|unix:$IT_SOCK|" \
    -e "/^[[:space:]]*#/!s|^\([[:space:]]*\)listen 80;|\1listen 127.0.0.1:$SITE_PORT;|" \
    -e '/^[[:space:]]*#/!{/listen \[::\]:80;/d}' \
    -e "/^[[:space:]]*#/!s|/etc/nginx/actord-operators.htpasswd|$S/actord-operators.htpasswd|" \
    "$IT_ROOT/nginx/actord-site.conf" >"$S/sites-enabled/actord"
{
    [ "$(id -u)" -ne 0 ] || echo "user root;"
    cat <<EOF
worker_processes 1;
pid $S/nginx.pid;
error_log $S/error.log warn;
events { worker_connections 64; }
http {
    access_log $S/access.log;
    client_body_temp_path $S/client_body_temp;
    fastcgi_temp_path $S/fastcgi_temp;
    proxy_temp_path $S/proxy_temp;
    uwsgi_temp_path $S/uwsgi_temp;
    scgi_temp_path $S/scgi_temp;
    include sites-enabled/actord;
}
EOF
} >"$S/nginx.conf"
features=$("$NGINX_BIN" -V 2>&1)
case $features in *--without-http_uwsgi_module*) sed -i '/uwsgi_temp_path/d' "$S/nginx.conf" ;; esac
case $features in *--without-http_scgi_module*) sed -i '/scgi_temp_path/d' "$S/nginx.conf" ;; esac

if "$NGINX_BIN" -t -q -p "$S/" -c "$S/nginx.conf" -e "$S/error.log" >"$S/nginx-t.out" 2>&1; then
    it_pass "site: nginx -t accepts actord-site.conf with the snippet"
else
    it_fail "site: nginx -t accepts actord-site.conf with the snippet" "$(head -c 400 "$S/nginx-t.out")"
fi

"$NGINX_BIN" -p "$S/" -c "$S/nginx.conf" -e "$S/error.log" -g 'daemon off;' \
    </dev/null >>"$S/nginx.out" 2>&1 &
SITE_PID=$!
IT_OTHER_PIDS+=("$SITE_PID")
for ((i = 0; i < 100 * IT_SLOW; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$SITE_BASE/healthz")" = 200 ] && break
    it_alive "$SITE_PID" || break
    sleep 0.1
done

checks "$SITE_BASE" site

creq "$SITE_BASE/behaviors/mine" -X PUT --data-binary 'return {}'
expect_web_error 401 unauthorized "site: an operators' route without credentials is 401 unauthorized"
expect_header WWW-Authenticate '^Basic realm=' "site: ... still with WWW-Authenticate"

down_and_up "$SITE_BASE" site

it_stop_pid "$SITE_PID"
expect_true "site: its nginx stopped" test ! -e "/proc/$SITE_PID/stat"
IT_OTHER_PIDS=()

it_finish
