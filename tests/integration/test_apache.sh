#!/usr/bin/env bash
# test_apache.sh - actord behind Debian's Apache 2.4, as tests of nginx
# drive it behind nginx: apache/actord-site.conf and
# apache/actord-errors.conf laid out as in /etc/apache2, served by an
# apache2 this test starts (-f, its own ServerRoot, PidFile and logs in
# the test's folder, mpm_event and the modules the site needs, on free
# loopback ports, -DFOREGROUND) and stops by its pid; never the system's.
#
#   - actord listens on a unix socket with --socket-mode 0660
#     --socket-group www-data (running as root, Apache's workers are
#     www-data, who may connect through the group alone);
#   - the site twice, mounted at the root and under /actord/ (mod_proxy_fcgi
#     with proxy-fcgi-pathinfo=unescape): PUT 201 with its Location right,
#     POST 202, GET, a long-poll, DELETE, actord's own 404, 405, 400, 413
#     and 504 call_timeout passing through untouched; Apache's own errors
#     as JSON (404 for %00, 400 for a header too large, 414, 401 on an
#     operators' route, 503 with Retry-After while actord is down) and 200
#     again at once when actord is back (retry=0);
#   - a long-poll of 4 s through the site while Apache's Timeout is 3 s
#     (the site's timeout=330 holds), and a 504 past a proxy timeout of
#     2 s as JSON;
#   - actord as a CGI program under mod_cgid: its 413 and 405 with a body
#     arrive whole (it reads the body first), a database it cannot open
#     is 503 storage_error naming the file and the reason, and a
#     Content-Length over LimitRequestBody is Apache's 413 as JSON (with
#     mod_proxy_fcgi, Apache 2.4 applies no LimitRequestBody).
#
# The IT_* variables set here are read by lib.sh.
# shellcheck disable=SC2034,SC2016  # SC2016: jq filters and bash -c in quotes
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

APACHE_BIN=${APACHE_BIN:-/usr/sbin/apache2}
APACHE_MODS=${APACHE_MODS:-/usr/lib/apache2/modules}
if [ ! -x "$APACHE_BIN" ] || [ ! -r "$APACHE_MODS/mod_proxy_fcgi.so" ]; then
    it_log "$APACHE_BIN or its modules are missing: run scripts/deps.sh"
    exit 1
fi

IT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/actord-it.XXXXXX")
# Apache's workers (www-data when we are root) walk into it to the socket
# and the CGI program.
chmod 711 "$IT_DIR"
IT_SOCK=$IT_DIR/actord.sock
IT_DB=$IT_DIR/actord.db
it_san_env
trap it_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    run_user=www-data
    run_group=www-data
else
    run_user=$(id -un)
    run_group=$(id -gn)
fi
IT_ACTORD_ARGS=(--socket-mode 0660 --socket-group "$run_group")
it_start_actord || exit 1
perm=$(stat -c '%a %G' "$IT_SOCK")
expect_true "the socket is mode 660, group $run_group ($perm)" test "$perm" = "660 $run_group"

# ---- Apache's folder, as /etc/apache2 ----------------------------------------

A=$IT_DIR/apache
mkdir -p "$A/cgi-bin" "$A/cgidb" "$A/rodb" "$A/htdocs"
chmod 755 "$A" "$A/cgi-bin" "$A/htdocs"
cp "$IT_ROOT/apache/actord-errors.conf" "$A/actord-errors.conf"
: >"$A/operators.htpasswd"

# The CGI programs: actord (copied, so that www-data may run it wherever
# the tree is) on a database in a folder the CGI user may write, and on
# one in a folder it may not (root's, or one that does not exist).
cp "$ACTORD_BIN" "$A/cgi-bin/actord"
if [ "$(id -u)" -eq 0 ]; then
    chown "$run_user:$run_group" "$A/cgidb"
    ro_db=$A/rodb/actord.db
    ro_why="$A/rodb: Permission denied"
else
    ro_db=$A/missing/actord.db
    ro_why="$A/missing: No such file or directory"
fi
printf '#!/bin/sh\nexec %s/cgi-bin/actord --db %s/cgidb/actord.db\n' "$A" "$A" \
    >"$A/cgi-bin/actord.cgi"
printf '#!/bin/sh\nexec %s/cgi-bin/actord --db %s\n' "$A" "$ro_db" \
    >"$A/cgi-bin/actord-ro.cgi"
chmod 755 "$A/cgi-bin/"*

cp -r "$IT_ROOT/console" "$A/console"

# site PORT PREFIX: apache/actord-site.conf on 127.0.0.1:PORT, mounted at
# PREFIX ("" for the root, or /actord as written), pointed at this test's
# socket and files.  Comment lines are left as they are.
site() {
    local -a edits=(
        -e "/^[[:space:]]*#/!s|<VirtualHost \*:80>|<VirtualHost 127.0.0.1:$1>|"
        -e "/^[[:space:]]*#/!s|ServerName actord.example.org|ServerName 127.0.0.1|"
        -e "/^[[:space:]]*#/!s|unix:/run/actord/actord.sock|unix:$IT_SOCK|"
        -e "/^[[:space:]]*#/!s|/etc/apache2/actord-operators.htpasswd|$A/operators.htpasswd|"
        -e "/^[[:space:]]*#/!s|/usr/share/actord/console/|$A/console/|")
    if [ -z "$2" ]; then
        # At the root, as the site's comment says.
        edits+=(-e '/^[[:space:]]*#/!s|ProxyPass "/actord/"|ProxyPass "/"|'
            -e '/^[[:space:]]*#/!{/RedirectMatch/d}'
            -e '/^[[:space:]]*#/!s|"^/actord(|"^(|'
            -e '/^[[:space:]]*#/!s|<Location "/actord/">|<Location "/">|')
    fi
    sed "${edits[@]}" "$IT_ROOT/apache/actord-site.conf"
}

# apache_conf: writes $A/httpd.conf for the ports ROOT_PORT, PREFIX_PORT
# and MISC_PORT.
apache_conf() {
    site "$ROOT_PORT" "" >"$A/root.conf"
    site "$PREFIX_PORT" /actord >"$A/prefix.conf"
    {
        cat <<EOF
ServerRoot $A
PidFile $A/httpd.pid
DefaultRuntimeDir $A
Mutex file:$A default
ErrorLog $A/error.log
LogLevel warn
ServerName 127.0.0.1
Listen 127.0.0.1:$ROOT_PORT
Listen 127.0.0.1:$PREFIX_PORT
Listen 127.0.0.1:$MISC_PORT
EOF
        if [ "$(id -u)" -eq 0 ]; then
            printf 'User %s\nGroup %s\n' "$run_user" "$run_group"
        fi
        local m
        for m in mpm_event authz_core authz_user authn_core authn_file \
            auth_basic proxy proxy_fcgi setenvif headers alias mime dir cgid; do
            echo "LoadModule ${m}_module $APACHE_MODS/mod_$m.so"
        done
        cat <<EOF
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32
# Shorter than its default of 60 s: the site's timeout=330 must hold over
# it for long-polls.
Timeout 3
ScriptSock $A/cgid.sock
# mod_mime (for the console's files) without Debian's /etc/mime.types:
# the site's AddType lines are all the types it needs.
TypesConfig /dev/null
# As Debian's apache2.conf: nothing but the document root is served.
# mod_proxy_fcgi looks PATH_INFO up below it (for PATH_TRANSLATED).
<Directory />
    Require all denied
</Directory>
DocumentRoot $A/htdocs
<Directory $A/htdocs>
    Require all granted
</Directory>
Include root.conf
Include prefix.conf

# Not of the site: a proxy timeout of 2 s (Apache's own 504), and actord
# as a CGI program under mod_cgid.
<VirtualHost 127.0.0.1:$MISC_PORT>
    Include actord-errors.conf
    LimitRequestBody 67108864
    SetEnvIf Request_URI . proxy-fcgi-pathinfo=unescape
    ProxyPass "/slow/" "unix:$IT_SOCK|fcgi://actord-slow/" timeout=2 retry=0
    ScriptAlias /cgi-ro $A/cgi-bin/actord-ro.cgi
    ScriptAlias /cgi $A/cgi-bin/actord.cgi
    <Directory $A/cgi-bin>
        Require all granted
    </Directory>
</VirtualHost>
EOF
    } >"$A/httpd.conf"
}

# start_apache: starts apache2 in the foreground, its pid in APACHE_PID
# and IT_OTHER_PIDS, and waits until /healthz answers through the root
# site.  Returns 2 when Apache exited at once (a port was taken).
start_apache() {
    local i
    "$APACHE_BIN" -f "$A/httpd.conf" -DFOREGROUND </dev/null >>"$A/apache.out" 2>&1 &
    APACHE_PID=$!
    IT_OTHER_PIDS+=("$APACHE_PID")
    for ((i = 0; i < 100 * IT_SLOW; i++)); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "$ROOT/healthz")" = 200 ]; then
            return 0
        fi
        if ! it_alive "$APACHE_PID"; then
            wait "$APACHE_PID" 2>/dev/null
            IT_OTHER_PIDS=()
            return 2
        fi
        sleep 0.1
    done
    it_log "$ROOT/healthz did not answer; the end of Apache's error log:"
    tail -n 20 "$A/error.log" "$A/apache.out"
    return 1
}

for try in 1 2 3; do
    ROOT_PORT=$(it_free_port) && PREFIX_PORT=$(it_free_port) &&
        MISC_PORT=$(it_free_port) || exit 1
    ROOT=http://127.0.0.1:$ROOT_PORT
    PREFIXED=http://127.0.0.1:$PREFIX_PORT/actord
    MISC=http://127.0.0.1:$MISC_PORT
    IT_BASE=$ROOT
    apache_conf
    if [ "$try" -eq 1 ]; then
        if "$APACHE_BIN" -t -f "$A/httpd.conf" >"$A/configtest.out" 2>&1; then
            it_pass "apache2 -t accepts actord-site.conf and actord-errors.conf"
        else
            it_fail "apache2 -t accepts actord-site.conf and actord-errors.conf" \
                "$(head -c 600 "$A/configtest.out")"
        fi
    fi
    rc=0
    start_apache || rc=$?
    [ $rc -eq 0 ] && break
    [ $rc -eq 2 ] || exit 1
    it_log "apache2 could not start (try $try): $(tail -n 2 "$A/error.log" "$A/apache.out" 2>/dev/null)"
    [ "$try" -lt 3 ] || exit 1
done
it_log "Apache pid $APACHE_PID on $ROOT, $PREFIXED and $MISC; actord pid $ACTORD_PID"

# creq URL [CURL_ARGS...]: one request with curl, at most 15 s; sets
# IT_REQ, IT_STATUS, IT_BODY, IT_HEADERS, IT_TIME as it_req does.
creq() {
    local url=$1 out
    shift
    IT_REQ="$(printf '%s ' "$@" | cut -c 1-80)${url:0:120}"
    : >"$IT_DIR/resp.body"
    : >"$IT_DIR/resp.hdr"
    out=$(curl -s -o "$IT_DIR/resp.body" -D "$IT_DIR/resp.hdr" \
        -w '%{http_code} %{time_total}' --max-time 15 "$@" "$url") || true
    IT_STATUS=${out%% *}
    IT_TIME=${out#* }
    [ -n "$IT_STATUS" ] || IT_STATUS=000
    IT_BODY=$(cat "$IT_DIR/resp.body")
    IT_HEADERS=$(tr -d '\r' <"$IT_DIR/resp.hdr")
}

# json URL METHOD BODY [CURL_ARGS...]: creq with a JSON body.
json() {
    local url=$1 method=$2 body=$3
    shift 3
    creq "$url" -X "$method" -H 'Content-Type: application/json' \
        --data-binary "$body" "$@"
}

# expect_web_error STATUS CODE DESC: lib.sh's expect_error, and the body
# is exactly {"error": string, "message": string}.
expect_web_error() {
    expect_error "$1" "$2" "$3"
    expect_json "$3: the body is {error, message}, two strings" \
        'keys == ["error", "message"] and (.error | type) == "string" and (.message | type) == "string"'
}

# A body over actord's 1 MiB limit, under the site's 64 MiB.
{
    printf '{"pad":"'
    head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' x
    printf '"}'
} >"$IT_DIR/2mib.json"
long=$(head -c 9216 /dev/zero | tr '\0' a)
big=$(head -c 17408 /dev/zero | tr '\0' b)

# rest BASE PREFIX WHAT: the REST checks through the site at BASE (no
# last slash), whose Location headers start with PREFIX.
rest() {
    local base=$1 prefix=$2 what=$3
    # it_req and expect_poll take paths below IT_BASE.
    local IT_BASE=$base
    creq "$base/healthz"
    expect_ok 200 "$what: GET /healthz" '.ok == true'

    json "$base/actors/c1" PUT '{"behavior":"counter","args":{"start":1}}'
    expect_ok 201 "$what: PUT /actors/c1 spawns" '.name == "c1"'
    expect_header Location "^$prefix/actors/c1\$" "$what: ... with Location $prefix/actors/c1"
    json "$base/actors" POST '{"behavior":"counter"}'
    expect_header Location "^$prefix/actors/[^/]+\$" "$what: POST /actors: Location under $prefix/actors/"

    json "$base/actors/c1" POST '{"add":41}'
    expect_ok 202 "$what: POST a message is 202" '.accepted == true and (.seq | type == "number")'
    expect_poll 5 "$what: GET /actors/c1 counts 42" /actors/c1 '.state.count == 42'

    json "$base/actors/r" PUT '{"behavior":"ring","args":{"n":50,"message":"hi"}}'
    creq "$base/actors/r?wait=20"
    expect_ok 200 "$what: a long-poll answers when the ring exits" '.status == "exited" and .result == "hi"'

    creq "$base/actors/nosuch"
    expect_web_error 404 no_such_actor "$what: actord's own 404 passes through"
    expect_true "$what: ... without Apache's Retry-After" test -z "$(it_header Retry-After)"
    json "$base/actors/c1" PATCH '{}'
    expect_web_error 405 method_not_allowed "$what: PATCH is actord's 405"
    expect_header Allow 'POST' "$what: ... with Allow"
    json "$base/actors/c1" POST 'nope'
    expect_web_error 400 bad_json "$what: a malformed body is actord's 400"
    creq "$base/actors/c1" -X POST -H 'Content-Type: application/json' \
        --data-binary "@$IT_DIR/2mib.json"
    expect_web_error 413 too_large "$what: a 2 MiB body is actord's 413"
    expect_json "$what: ... with actord's message, not Apache's" '.message | test("web server") | not'
    json "$base/actors/c1/calls/get?timeout=1" POST 'null'
    expect_ok 200 "$what: a call answers" '.message == 42'

    creq "$base/actors/c1" -X DELETE
    expect_ok 200 "$what: DELETE kills" '.status == "killed"'
    json "$base/actors/c1" POST '{"add":1}'
    expect_web_error 410 actor_dead "$what: a send to the killed actor is 410"

    # Apache's own.
    creq "$base/actors/a%00b"
    expect_web_error 404 not_found "$what: a path with %00 is Apache's 404 not_found"
    creq "$base/actors/a%00b" --head
    expect_status 404 "$what: HEAD of it is 404"
    creq "$base/healthz" -H "X-Big: $big"
    expect_web_error 400 bad_request "$what: a 17 KiB header is Apache's 400"
    creq "$base/actors/$long"
    expect_web_error 414 too_large "$what: a 9 KiB request line is Apache's 414"
    creq "$base/behaviors/mine" -X PUT --data-binary 'return {}'
    expect_web_error 401 unauthorized "$what: an operators' route without credentials is 401"
    expect_header WWW-Authenticate '^Basic realm=' "$what: ... still with WWW-Authenticate"
    creq "$base/behaviors/mine"
    expect_true "$what: ... which anyone may read ($IT_STATUS)" test "$IT_STATUS" = 404
}

# down_and_up BASE WHAT: kill -9 actord under the running Apache: JSON
# 503 with Retry-After; then 200 at once when it is back.
down_and_up() {
    local base=$1 what=$2
    it_kill9_actord
    creq "$base/healthz"
    expect_web_error 503 unavailable "$what: actord down, GET /healthz is 503 unavailable"
    expect_header Retry-After '^1$' "$what: ... with Retry-After: 1"
    json "$base/actors/c2" POST '{"n":1}'
    expect_web_error 503 unavailable "$what: actord down, a POST is 503 unavailable"
    if it_start_actord; then
        it_pass "$what: actord started again"
    else
        it_fail "$what: actord started again"
    fi
    creq "$base/healthz"
    expect_ok 200 "$what: the next request reaches it (retry=0)" '.ok == true'
}

# ---- the site, at the root and under /actord/ -----------------------------------

rest "$ROOT" "" root
rest "$PREFIXED" /actord prefix

# The console's files, from the site's Alias (a copy of console/ that
# Apache's workers may read), beside the API under the prefix.
creq "$PREFIXED/console"
expect_status 301 "prefix: GET /actord/console redirects"
expect_header Location '/actord/console/$' "... to /actord/console/"
creq "$PREFIXED/console/"
expect_status 200 "prefix: GET /actord/console/ answers"
expect_header Content-Type '^text/html' "... the console's page, as HTML"
expect_true "... its title says so" grep -q '<title>actord console</title>' "$IT_DIR/resp.body"
creq "$PREFIXED/console/app.js"
expect_header Content-Type '^text/javascript' "prefix: the console's app.js is JavaScript"
expect_header Content-Security-Policy "default-src 'self'" "... and may load nothing from elsewhere"
creq "$PREFIXED/console/console.css"
expect_header Content-Type '^text/css' "prefix: the console's console.css is CSS"

json "$ROOT/actors/w" PUT '{"behavior":"counter"}'
creq "$ROOT/actors/w?wait=4"
expect_ok 200 "a long-poll of 4 s outlives Apache's Timeout of 3 s (timeout=330)" '.name == "w"'
expect_true "... and took its 4 s ($IT_TIME)" awk -v t="$IT_TIME" 'BEGIN { exit !(t >= 3.9) }'
creq "$MISC/slow/actors/w?wait=10"
expect_web_error 504 unavailable "past a proxy timeout of 2 s: Apache's 504 unavailable"
expect_header Retry-After '^1$' "... with Retry-After: 1"
json "$ROOT/actors/col" PUT '{"behavior":"collector"}'
json "$ROOT/actors/col/calls/get?timeout=1" POST 'null'
expect_web_error 504 call_timeout "actord's own 504 call_timeout passes through"
expect_true "... without Apache's Retry-After" test -z "$(it_header Retry-After)"

down_and_up "$ROOT" root
down_and_up "$PREFIXED" prefix

# ---- actord as CGI under mod_cgid ----------------------------------------------

creq "$MISC/cgi/healthz"
expect_ok 200 "CGI: GET /healthz" '.ok == true'
json "$MISC/cgi/actors/k" PUT '{"behavior":"counter"}'
expect_ok 201 "CGI: PUT spawns" '.name == "k"'
expect_header Location '^/cgi/actors/k$' "CGI: ... with Location /cgi/actors/k"
for i in 1 2 3; do
    creq "$MISC/cgi/actors/k" -X POST -H 'Content-Type: application/json' \
        --data-binary "@$IT_DIR/2mib.json"
    expect_web_error 413 too_large "CGI: a 2 MiB body is actord's whole 413 (try $i)"
done
json "$MISC/cgi/actors/k" PATCH '{"a":1}'
expect_web_error 405 method_not_allowed "CGI: PATCH with a body is actord's whole 405"
creq "$MISC/cgi/actors/k" -X POST -H 'Content-Type: application/json' \
    -H 'Content-Length: 104857600' --data-binary '{}'
expect_web_error 413 too_large "CGI: a Content-Length of 100 MiB is Apache's 413 (LimitRequestBody)"
expect_json "... with Apache's message" '.message | test("web server")'
creq "$MISC/cgi-ro/actors/k" -X POST -H 'Content-Type: application/json' \
    --data-binary "@$IT_DIR/2mib.json"
expect_web_error 503 storage_error "CGI: a database it cannot open is 503 storage_error"
expect_json "... naming the file and the reason" \
    '.message == "cannot open the database \($f): unable to open database file (\($w))"' \
    --arg f "$ro_db" --arg w "$ro_why"
expect_true "... also in Apache's error log" \
    grep -qF "event=db_open_failed file=$ro_db " "$A/error.log"

it_stop_pid "$APACHE_PID"
expect_true "Apache stopped by its pid" test ! -e "/proc/$APACHE_PID/stat"
IT_OTHER_PIDS=()

it_finish
