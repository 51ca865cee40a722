#!/usr/bin/env bash
# http.sh - the HTTP row of `make bench`: wrk POSTs {"add": 1} to one
# counter through nginx + actord (started as the integration tests start
# them, by tests/integration/lib.sh's it_start, which stops them at exit),
# then through the same nginx configuration to a bare libfcgi responder
# (bench/bare_fcgi.c) answering 202 without a database: the limit of
# nginx + FastCGI on this machine.  Prints "key value"
# lines for bench/run.sh.  Nothing is asserted.
#
# BENCH_HTTP_SECONDS (default 5) is the length of each wrk run.
set -euo pipefail

# shellcheck source=../tests/integration/lib.sh disable=SC1091
. "$(dirname "$0")/../tests/integration/lib.sh"

SECS=${BENCH_HTTP_SECONDS:-5}
BARE_PID=""
FCGI_PID=""

bare_stop() {
    if [ -n "$BARE_PID" ]; then
        it_stop_pid "$BARE_PID"
        BARE_PID=""
    fi
    if [ -n "$FCGI_PID" ]; then
        # libfcgi's own SIGTERM handler only asks it to stop after the
        # next request: do not wait long.
        it_stop_pid "$FCGI_PID" 1
        FCGI_PID=""
    fi
}

# wrk_rps URL: requests/s of wrk POSTing to URL; a run with non-2xx
# answers or errors counts as 0 and says so on stderr.
# wrk_rps URL KEY: prints "KEY_rps N" and "KEY_p99_ms M" for URL.
wrk_rps() {
    local out
    out=$(wrk -t1 -c8 -d"${SECS}s" --latency -s "$IT_DIR/post.lua" "$1")
    if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
        echo "http.sh: $1 answered errors:" >&2
        echo "$out" >&2
        echo "$2_rps 0"
        return 0
    fi
    awk -v k="$2" '
        $1 == "Requests/sec:" { printf "%s_rps %.0f\n", k, $2 }
        $1 == "99%" {
            v = $2; ms = v + 0
            if (v ~ /us$/) ms = ms / 1000
            else if (v ~ /[0-9]s$/ && v !~ /ms$/) ms = ms * 1000
            printf "%s_p99_ms %.2f\n", k, ms
        }' <<<"$out"
}

# Stops the bare nginx, then lets lib.sh stop the rest with the exit
# status the script had.
bench_exit() {
    local rc=$?
    bare_stop
    (exit "$rc")
    it_cleanup >&2
}

it_start >&2
trap bench_exit EXIT

cat >"$IT_DIR/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"add": 1}'
wrk.headers["Content-Type"] = "application/json"
EOF

it_req PUT /actors/c1 '{"behavior": "counter"}' >/dev/null
if [ "$IT_STATUS" != 201 ]; then
    echo "http.sh: spawn c1: $(it_last)" >&2
    exit 1
fi
wrk_rps "$IT_BASE/actors/c1" http_actord

# The yardstick: the same nginx configuration in front of a bare libfcgi
# responder (bench/bare_fcgi.c, two threads, no database) answering 202.
BARE_PORT=$(it_free_port)
mkdir -p "$IT_DIR/bare"
"$IT_ROOT/build/bench/bare_fcgi" "$IT_DIR/bare/fcgi.sock" </dev/null \
    2>>"$IT_DIR/bare/fcgi.log" &
FCGI_PID=$!
for _ in $(seq 50); do
    [ -S "$IT_DIR/bare/fcgi.sock" ] && break
    sleep 0.1
done
PORT=$BARE_PORT RUNDIR=$IT_DIR/bare SOCKET=$IT_DIR/bare/fcgi.sock \
    bash "$IT_ROOT/scripts/run.sh" --print-config >"$IT_DIR/bare/nginx.conf"
"$NGINX_BIN" -p "$IT_DIR/bare/" -c "$IT_DIR/bare/nginx.conf" \
    -e "$IT_DIR/bare/error.log" -g 'daemon off;' </dev/null \
    >>"$IT_DIR/bare/nginx.out" 2>&1 &
BARE_PID=$!
for _ in $(seq 50); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 2 \
        "http://127.0.0.1:$BARE_PORT/")" = 202 ] && break
    sleep 0.1
done
wrk_rps "http://127.0.0.1:$BARE_PORT/" http_bare
bare_stop
it_finish
