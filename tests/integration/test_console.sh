#!/usr/bin/env bash
# test_console.sh - the web console (console/) in a real browser: Debian's
# chromium, headless, driven by playwright-core (tests/browser, installed
# by `bash scripts/deps.sh browser-test`) against nginx and actord started
# here on 127.0.0.1 as the other tests do (lib.sh), and stopped by pid.
# tests/browser/console.mjs does the browsing: finds a counter spawned
# here, sends it a message and calls it from the console, kills it,
# uploads a Lua behaviour and spawns it, reads the dead letters and
# opens the charts; then the console once more under the production
# site's /actord/ prefix (nginx/actord-site.conf).  Screenshots of every
# page go to CONSOLE_SHOTS (default build/console-shots/), their paths
# printed.
#
# Skips (exit 77, with the reason) when chromium, node or tests/browser's
# node_modules are missing; `make check-console` installs them first, so
# there it never skips.  Not in tests/integration/run.sh's default list:
# make check-console (in make check-all and CI) runs it.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BROWSER_DIR=$IT_ROOT/tests/browser
SHOTS=${CONSOLE_SHOTS:-$IT_ROOT/build/console-shots}
skip() {
    it_log "SKIP: $1 (bash scripts/deps.sh browser-test installs it; make check-console runs this test with it)"
    exit 77
}
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is missing"
command -v node >/dev/null 2>&1 || skip "node is missing"
[ -d "$BROWSER_DIR/node_modules/playwright-core" ] ||
    skip "$BROWSER_DIR/node_modules has no playwright-core"

it_start
it_log "nginx on $IT_BASE, actord pid $ACTORD_PID"

# ---- the console is served -------------------------------------------------

it_req GET /console
expect_status 301 "GET /console redirects"
expect_header Location '^/console/$' "... to /console/"
it_req GET /console/
expect_status 200 "GET /console/ answers"
expect_true "... the console's page" grep -q '<title>actord console</title>' "$IT_DIR/resp.body"
expect_header Content-Type '^text/html' "... as text/html"
expect_header Content-Security-Policy "default-src 'self'" "... which may load nothing from elsewhere"
for f in app.js api.js ui.js actors.js pages.js chart.js; do
    it_req GET "/console/$f"
    expect_header Content-Type '^text/javascript' "GET /console/$f is JavaScript"
done
it_req GET /console/console.css
expect_header Content-Type '^text/css' "GET /console/console.css is CSS"
it_req GET /console/nothing.js
expect_error 404 not_found "a file the console lacks is nginx's JSON 404"

# ---- real data for the pages -----------------------------------------------

seed() {
    it_req "$@"
    case $IT_STATUS in
    2??) ;;
    *) it_fail "seed: $1 $2" "$(it_last)" ;;
    esac
}
seed PUT /actors/c1 '{"behavior":"counter","args":{"start":1}}'
seed POST /actors/c1 '{"hello":"world"}'
seed PUT /actors/log '{"behavior":"collector"}'
seed PUT /actors/tick '{"behavior":"ticker","args":{"every_ms":1000},"monitors":["log"]}'
seed PUT /actors/sup '{"behavior":"supervisor","args":{"children":[{"name":"sup-c","behavior":"counter","args":{"start":7}}]}}'
seed PUT /actors/alarm '{"behavior":"timer","args":{"to":{"$address":"log"},"message":{"ping":1},"after_ms":600000,"every_ms":600000}}'
for i in 01 02 03 04 05 06 07 08; do
    seed PUT "/actors/p-$i" "{\"behavior\":\"counter\",\"args\":{\"start\":$((10#$i))}}"
done
seed PUT /actors/gone '{"behavior":"counter"}'
seed POST /actors/gone '{"unread":true}'
seed DELETE /actors/gone
expect_poll 5 "the counter c1 is spawned and waits, its hello unread" /actors/c1 \
    '.status == "waiting" and .state.count == 1 and .mailbox == 1'

# ---- the production site, under /actord/ -----------------------------------
# nginx/actord-site.conf laid out as test_nginx_errors.sh does, on another
# loopback port, its console alias pointed at the tree's console/.

S=$IT_DIR/site
mkdir -p "$S/snippets" "$S/sites-enabled" "$S/client_body_temp" "$S/fastcgi_temp"
cp "$IT_ROOT/nginx/actord-errors.conf" "$S/snippets/actord-errors.conf"
for p in QUERY_STRING:query_string REQUEST_METHOD:request_method \
    CONTENT_TYPE:content_type CONTENT_LENGTH:content_length \
    REQUEST_URI:request_uri DOCUMENT_URI:document_uri \
    SERVER_PROTOCOL:server_protocol REMOTE_ADDR:remote_addr \
    SERVER_NAME:server_name; do
    echo "fastcgi_param ${p%%:*} \$${p#*:};"
done >"$S/fastcgi_params"
: >"$S/actord-operators.htpasswd"
SITE_PORT=$(it_free_port)
SITE_BASE=http://127.0.0.1:$SITE_PORT/actord
sed -e "/^[[:space:]]*#/!s|unix:/run/actord/actord.sock|unix:$IT_SOCK|" \
    -e "/^[[:space:]]*#/!s|^\([[:space:]]*\)listen 80;|\1listen 127.0.0.1:$SITE_PORT;|" \
    -e '/^[[:space:]]*#/!{/listen \[::\]:80;/d}' \
    -e "/^[[:space:]]*#/!s|/etc/nginx/actord-operators.htpasswd|$S/actord-operators.htpasswd|" \
    -e "/^[[:space:]]*#/!s|/usr/share/actord/console/|$IT_ROOT/console/|" \
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
    include sites-enabled/actord;
}
EOF
} >"$S/nginx.conf"
"$NGINX_BIN" -p "$S/" -c "$S/nginx.conf" -e "$S/error.log" -g 'daemon off;' \
    </dev/null >>"$S/nginx.out" 2>&1 &
IT_OTHER_PIDS+=("$!")
for ((i = 0; i < 100 * IT_SLOW; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$SITE_BASE/healthz")" = 200 ] && break
    sleep 0.1
done
r=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$SITE_BASE/console")
expect_true "site: /actord/console redirects to /actord/console/ ($r)" \
    test "$r" = "301 http://127.0.0.1:$SITE_PORT/actord/console/"
r=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$SITE_BASE/console/app.js")
expect_true "site: /actord/console/app.js is JavaScript ($r)" \
    test "$r" = "200 text/javascript; charset=utf-8"

# ---- the browser -----------------------------------------------------------

mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png
out=$IT_DIR/console.out
start=$SECONDS
flags=$IT_DIR/flags
mkdir -p "$flags"
(cd "$BROWSER_DIR" && CHROMIUM="$CHROMIUM" CONSOLE_FLAGS="$flags" timeout -k 5 90 \
    node console.mjs "$IT_BASE" "$SHOTS" "$SITE_BASE") >"$out" 2>&1 &
node_pid=$!
IT_OTHER_PIDS+=("$node_pid")
# The browser asks for actord to be killed (kill -9, by pid) under the
# page it shows, then started again on the same database.
restarted=0
while it_alive "$node_pid"; do
    if [ -e "$flags/kill-actord" ] && [ -n "$ACTORD_PID" ]; then
        it_kill9_actord
        rm -f "$flags/kill-actord"
    fi
    if [ -e "$flags/start-actord" ] && [ -z "$ACTORD_PID" ]; then
        it_start_actord || break
        rm -f "$flags/start-actord"
        restarted=1
    fi
    sleep 0.1
done
wait "$node_pid"
rc=$?
IT_OTHER_PIDS=()
expect_true "actord was killed and started again under the browser" test "$restarted" -eq 1
# Its lines: "ok DESC", "FAIL DESC: WHY", "shot PATH: WHAT".
while IFS= read -r line; do
    case $line in
    ok\ *) it_pass "browser: ${line#ok }" ;;
    FAIL\ *) it_fail "browser: ${line#FAIL }" ;;
    shot\ *) it_log "screenshot ${line#shot }" ;;
    *) printf '       %s\n' "$line" ;;
    esac
done <"$out"
expect_true "console.mjs ran to its end (exit $rc, $((SECONDS - start)) s)" \
    test "$rc" -eq 0
expect_true "the browser test took its assertions" grep -q '^ok ' "$out"

# What the browser did, seen through the API.
it_req GET /actors/c1
expect_ok 200 "c1 was killed from the console, after counting to 42" \
    '.status == "killed" and .state.count == 42'
it_req GET /actors/g1
expect_ok 200 "g1, the uploaded Lua behaviour, was spawned from the console" \
    '.behavior == "greeter" and .state.greeting == "hello, world"'

it_finish
