# shellcheck shell=bash
# The IT_* variables are read by the tests that source this file.
# shellcheck disable=SC2034
# lib.sh - what the integration tests share: a real actord behind a real
# nginx on a free loopback port, requests with curl, assertions and their
# counters.  Sourced by tests/integration/test_*.sh:
#
#   . "$(dirname "$0")/lib.sh"
#   it_start                      # temp dir, actord, nginx; stopped at exit
#   it_req PUT /actors/c1 '{"behavior":"counter"}'
#   expect_status 201 "spawn c1"
#   expect_json "count is 0" '.state.count == 0'
#   it_finish                     # last line: prints and records the counts
#
# Every server is started by pid and stopped by pid: TERM, then KILL.  The
# temporary folder (RUNDIR and database) is removed at exit unless a test
# failed or IT_KEEP=1, so that its logs can be read.
#
# Needs bash, curl, jq, nginx (scripts/deps.sh installs them) and Linux's
# /proc.
#
# Under a checker: ACTORD_BIN names another actord (build/asan/actord,
# build/tsan/actord) and ACTORD_WRAP a command put before actord's command
# line wherever a test starts it (it_exec_actord), split on blanks, e.g.
# "valgrind --leak-check=full".  Sanitizer reports (ASAN_OPTIONS,
# UBSAN_OPTIONS, TSAN_OPTIONS log_path) and valgrind's (--log-file) go to
# $IT_DIR/report.*; at exit any report that is not empty is a failed
# assertion.  IT_SLOW (default 1, 20 with ACTORD_WRAP) multiplies how long
# actord may take to start and to stop.

IT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ACTORD_BIN=${ACTORD_BIN:-$IT_ROOT/build/actord}
ACTORD_WRAP=${ACTORD_WRAP:-}
if [ -n "$ACTORD_WRAP" ]; then
    IT_SLOW=${IT_SLOW:-20}
else
    IT_SLOW=${IT_SLOW:-1}
fi
IT_SAN_OPTS0=("${ASAN_OPTIONS:-}" "${UBSAN_OPTIONS:-}" "${TSAN_OPTIONS:-}")
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
IT_NAME=$(basename "$0" .sh)

IT_PASSED=0        # assertions that held
IT_FAILED=0        # assertions that did not
IT_DONE=0          # 1 once it_finish ran: an exit before it is a crash
IT_DIR=""          # the temporary folder: RUNDIR, database, logs
IT_PORT=""         # nginx's port on 127.0.0.1
IT_BASE=""         # http://127.0.0.1:PORT
IT_SOCK=""         # actord's unix socket
IT_DB=""           # the database file
ACTORD_PID=""      # the running actord, or empty
NGINX_PID=""       # the running nginx master, or empty
IT_ACTORD_ARGS=()  # further actord options: a test sets them before it_start
IT_OTHER_PIDS=()   # more servers a test started: stopped by pid at exit

# What the last it_req saw.
IT_REQ=""          # "METHOD PATH"
IT_STATUS=""       # the HTTP status, 000 when there was no answer
IT_BODY=""         # the response body
IT_HEADERS=""      # the response headers, without carriage returns
IT_TIME=""         # seconds the request took

# ---- output and counters -------------------------------------------------

it_log() {
    printf '%s: %s\n' "$IT_NAME" "$*"
}

it_pass() {
    IT_PASSED=$((IT_PASSED + 1))
    printf '  ok   %s\n' "$1"
}

# it_fail DESC [DETAIL...]: counts a failed assertion and says why.
it_fail() {
    IT_FAILED=$((IT_FAILED + 1))
    printf '  FAIL %s\n' "$1"
    shift
    local line
    for line in "$@"; do
        printf '       %s\n' "$line"
    done
}

# What went wrong with the last request, for it_fail.
it_last() {
    printf '%s -> %s %s' "$IT_REQ" "$IT_STATUS" "${IT_BODY:0:400}"
}

# ---- processes --------------------------------------------------------------

# it_alive PID: true while the process runs.  An exited child not yet reaped
# (a zombie) counts as gone.
it_alive() {
    local line
    [ -n "$1" ] || return 1
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

# it_children PID: the pids whose parent is PID (nginx's workers).
it_children() {
    local f line pid rest
    for f in /proc/[0-9]*/stat; do
        read -r line 2>/dev/null <"$f" || continue
        pid=${line%% *}
        rest=${line##*) }
        rest=${rest#* }
        [ "${rest%% *}" = "$1" ] && echo "$pid"
    done
    return 0
}

# it_stop_pid PID [SECONDS]: TERM, then KILL after SECONDS (default
# 10 * IT_SLOW), then reap it.
it_stop_pid() {
    local pid=$1 limit=$((${2:-$((10 * IT_SLOW))} * 10)) i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit; i++)); do
        it_alive "$pid" || break
        sleep 0.1
    done
    if it_alive "$pid"; then
        it_log "pid $pid ignored TERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# it_free_port: prints a loopback port nobody listens on, below Linux's
# range of ephemeral ports so that no client socket takes it meanwhile.
it_free_port() {
    local i port
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# it_san_env: exports the sanitizers' options with log_path in IT_DIR
# (added to what the caller had set), so that a sanitized actord writes
# its reports to $IT_DIR/report.asan.PID (ASan, LeakSanitizer, UBSan) or
# report.tsan.PID, where it_check_reports finds them.
it_san_env() {
    local -a o=("${IT_SAN_OPTS0[@]}")
    export ASAN_OPTIONS="${o[0]:+${o[0]}:}log_path=$IT_DIR/report.asan"
    export UBSAN_OPTIONS="${o[1]:+${o[1]}:}print_stacktrace=1:log_path=$IT_DIR/report.asan"
    export TSAN_OPTIONS="${o[2]:+${o[2]}:}log_path=$IT_DIR/report.tsan"
}

# it_exec_actord ARGS...: replaces the current (sub)shell with actord ARGS
# under ACTORD_WRAP; run it with & or inside $(...), never in the test's
# own shell.  The pid stays actord's: exec keeps it, and valgrind execs its
# tool in place.  valgrind gets --log-file=$IT_DIR/report.valgrind.PID.
it_exec_actord() {
    local -a wrap=()
    read -r -a wrap <<<"$ACTORD_WRAP"
    if [ ${#wrap[@]} -gt 0 ] && [ "${wrap[0]##*/}" = valgrind ]; then
        wrap+=("--log-file=$IT_DIR/report.valgrind.%p")
    fi
    it_san_env
    exec "${wrap[@]}" "$ACTORD_BIN" "$@"
}

# it_check_reports: one failed assertion for each report of a sanitizer or
# valgrind in IT_DIR that is not empty, with its first lines.  valgrind -q
# writes nothing unless it found an error or a leak it was told to show.
it_check_reports() {
    local f
    local -a lines
    [ -n "$IT_DIR" ] || return 0
    for f in "$IT_DIR"/report.*; do
        [ -s "$f" ] || continue
        mapfile -t lines < <(grep -v -e '^==[0-9]*== *$' -e '^ *$' "$f" | head -n 40)
        [ ${#lines[@]} -gt 0 ] || continue
        it_fail "no report from a checker: ${f##*/}" "${lines[@]}"
    done
}

# it_start_actord: starts actord on IT_SOCK and IT_DB and waits for its
# socket.  Used for the first start and for restarts on the same database.
it_start_actord() {
    local i
    rm -f "$IT_SOCK"
    it_exec_actord --listen "unix:$IT_SOCK" --db "$IT_DB" \
        "${IT_ACTORD_ARGS[@]}" </dev/null 2>>"$IT_DIR/actord.log" &
    ACTORD_PID=$!
    for ((i = 0; i < 100 * IT_SLOW; i++)); do
        [ -S "$IT_SOCK" ] && return 0
        it_alive "$ACTORD_PID" || break
        sleep 0.1
    done
    it_log "actord did not create its socket; the end of its log:"
    tail -n 20 "$IT_DIR/actord.log"
    return 1
}

# it_start_nginx: starts nginx on IT_PORT and waits until /healthz answers
# (which needs actord as well).  Returns 2 when nginx exited at once, as it
# does when the port is taken.
it_start_nginx() {
    local i
    "$NGINX_BIN" -p "$IT_DIR/" -c "$IT_DIR/nginx.conf" -e "$IT_DIR/error.log" \
        -g 'daemon off;' </dev/null >>"$IT_DIR/nginx.out" 2>&1 &
    NGINX_PID=$!
    for ((i = 0; i < 100 * IT_SLOW; i++)); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "$IT_BASE/healthz")" = 200 ]; then
            return 0
        fi
        if ! it_alive "$NGINX_PID"; then
            wait "$NGINX_PID" 2>/dev/null
            NGINX_PID=""
            return 2
        fi
        sleep 0.1
    done
    it_log "$IT_BASE/healthz did not answer; the end of nginx's error log:"
    tail -n 20 "$IT_DIR/error.log"
    return 1
}

# it_wait_healthy [SECONDS]: waits until /healthz answers 200 (SECONDS
# default 10 * IT_SLOW).
it_wait_healthy() {
    local i limit=$((${1:-$((10 * IT_SLOW))} * 10))
    for ((i = 0; i < limit; i++)); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "$IT_BASE/healthz")" = 200 ]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# it_start: makes the temporary folder, starts actord and nginx as
# scripts/run.sh does (same template, same command lines), and arranges for
# both to be stopped when the test exits.
it_start() {
    local try rc
    if [ ! -x "$ACTORD_BIN" ]; then
        it_log "$ACTORD_BIN is missing: run make first"
        exit 1
    fi
    IT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/actord-it.XXXXXX")
    IT_SOCK=$IT_DIR/actord.sock
    IT_DB=$IT_DIR/actord.db
    # Also for a test that starts a sanitized actord by hand.
    it_san_env
    trap it_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    it_start_actord || exit 1
    for try in 1 2 3 4 5; do
        IT_PORT=$(it_free_port) || break
        IT_BASE=http://127.0.0.1:$IT_PORT
        PORT=$IT_PORT RUNDIR=$IT_DIR SOCKET=$IT_SOCK \
            bash "$IT_ROOT/scripts/run.sh" --print-config >"$IT_DIR/nginx.conf" ||
            exit 1
        rc=0
        it_start_nginx || rc=$?
        [ $rc -eq 0 ] && return 0
        [ $rc -eq 2 ] || exit 1
        it_log "nginx could not start on port $IT_PORT (try $try)"
    done
    tail -n 20 "$IT_DIR/error.log" "$IT_DIR/nginx.out"
    exit 1
}

# it_kill9_actord: kill -9 actord alone, by pid, and reap it.
it_kill9_actord() {
    [ -n "$ACTORD_PID" ] || return 0
    kill -KILL "$ACTORD_PID" 2>/dev/null || true
    wait "$ACTORD_PID" 2>/dev/null || true
    ACTORD_PID=""
}

# it_kill9_nginx: kill -9 nginx's master and its workers, by pid.
it_kill9_nginx() {
    local pids
    [ -n "$NGINX_PID" ] || return 0
    pids=$(it_children "$NGINX_PID")
    # shellcheck disable=SC2086  # one pid a word
    kill -KILL "$NGINX_PID" $pids 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
    NGINX_PID=""
}

# it_restart_actord: kill -9 actord and start it again on the same database.
it_restart_actord() {
    it_kill9_actord
    it_start_actord
}

it_stop_servers() {
    local pid
    for pid in "${IT_OTHER_PIDS[@]}"; do
        it_stop_pid "$pid"
    done
    IT_OTHER_PIDS=()
    it_stop_pid "$NGINX_PID"
    NGINX_PID=""
    it_stop_pid "$ACTORD_PID"
    ACTORD_PID=""
}

# The EXIT trap: stops the servers, records the counts for run.sh, and
# removes the temporary folder unless something failed.
it_cleanup() {
    local rc=$?
    trap - EXIT
    it_stop_servers
    it_check_reports
    if [ "$IT_DONE" -ne 1 ]; then
        it_fail "$IT_NAME ended early (exit status $rc)"
    fi
    if [ -n "${IT_RESULTS:-}" ]; then
        echo "$IT_PASSED $IT_FAILED" >>"$IT_RESULTS"
    fi
    if [ -n "$IT_DIR" ]; then
        if [ "$IT_FAILED" -eq 0 ] && [ -z "${IT_KEEP:-}" ]; then
            rm -rf "$IT_DIR"
        else
            it_log "logs and database kept in $IT_DIR"
        fi
    fi
    it_log "$IT_PASSED assertions held, $IT_FAILED did not"
    [ "$IT_FAILED" -eq 0 ] || exit 1
    exit "$rc"
}

# it_finish: the last line of a test.
it_finish() {
    IT_DONE=1
    exit 0
}

# ---- requests ------------------------------------------------------------

# it_req METHOD PATH [BODY]: one request with curl; a BODY, even an empty
# one, is sent as application/json.  Sets IT_STATUS, IT_BODY, IT_HEADERS,
# IT_TIME.  IT_MAX_TIME bounds it (default 30 s).
it_req() {
    local method=$1 path=$2 out
    local -a args=(-s -o "$IT_DIR/resp.body" -D "$IT_DIR/resp.hdr"
        -w '%{http_code} %{time_total}' --max-time "${IT_MAX_TIME:-30}")
    if [ "$method" = HEAD ]; then
        args+=(--head)
    else
        args+=(-X "$method")
    fi
    IT_REQ="$method $path"
    : >"$IT_DIR/resp.body"
    : >"$IT_DIR/resp.hdr"
    if [ $# -ge 3 ]; then
        args+=(-H 'Content-Type: application/json' --data-binary @-)
        out=$(printf '%s' "$3" | curl "${args[@]}" "$IT_BASE$path") || true
    else
        out=$(curl "${args[@]}" "$IT_BASE$path") || true
    fi
    IT_STATUS=${out%% *}
    IT_TIME=${out#* }
    [ -n "$IT_STATUS" ] || IT_STATUS=000
    if [ "$method" = HEAD ]; then
        IT_BODY=""
    else
        IT_BODY=$(cat "$IT_DIR/resp.body")
    fi
    IT_HEADERS=$(tr -d '\r' <"$IT_DIR/resp.hdr")
}

# it_req_file METHOD PATH FILE: as it_req, the body read from FILE.
it_req_file() {
    local file=$3
    IT_REQ="$1 $2 <$(wc -c <"$file") bytes>"
    local out
    : >"$IT_DIR/resp.body"
    : >"$IT_DIR/resp.hdr"
    out=$(curl -s -o "$IT_DIR/resp.body" -D "$IT_DIR/resp.hdr" \
        -w '%{http_code} %{time_total}' --max-time "${IT_MAX_TIME:-30}" \
        -X "$1" -H 'Content-Type: application/json' \
        --data-binary "@$file" "$IT_BASE$2") || true
    IT_STATUS=${out%% *}
    IT_TIME=${out#* }
    [ -n "$IT_STATUS" ] || IT_STATUS=000
    IT_BODY=$(cat "$IT_DIR/resp.body")
    IT_HEADERS=$(tr -d '\r' <"$IT_DIR/resp.hdr")
}

# it_header NAME: prints the value of a response header of the last request.
it_header() {
    local name
    name=$(printf '%s' "$1" | tr '[:upper:]' '[:lower:]')
    printf '%s\n' "$IT_HEADERS" | awk -v n="$name" '
        { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == n) {
              v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit } }'
}

# it_jq FILTER [JQ_ARGS...]: runs jq -r on the last body.
it_jq() {
    local filter=$1
    shift
    printf '%s' "$IT_BODY" | jq -r "$@" "$filter" 2>/dev/null
}

# ---- assertions ----------------------------------------------------------

# expect_status CODE DESC
expect_status() {
    if [ "$IT_STATUS" = "$1" ]; then
        it_pass "$2"
    else
        it_fail "$2" "expected status $1: $(it_last)"
    fi
}

# expect_json DESC FILTER [JQ_ARGS...]: FILTER on the last body is true.
expect_json() {
    local desc=$1 filter=$2
    shift 2
    if printf '%s' "$IT_BODY" | jq -e "$@" "$filter" >/dev/null 2>&1; then
        it_pass "$desc"
    else
        it_fail "$desc" "expected $filter: $(it_last)"
    fi
}

# expect_ok CODE DESC FILTER [JQ_ARGS...]: status CODE and FILTER true, as
# one assertion.
expect_ok() {
    local code=$1 desc=$2 filter=$3
    shift 3
    if [ "$IT_STATUS" = "$code" ] &&
        printf '%s' "$IT_BODY" | jq -e "$@" "$filter" >/dev/null 2>&1; then
        it_pass "$desc"
    else
        it_fail "$desc" "expected $code and $filter: $(it_last)"
    fi
}

# expect_error STATUS CODE DESC: the JSON error of the contract,
# {"error": CODE, "message": TEXT}, sent as application/json.
expect_error() {
    local status=$1 code=$2 desc=$3 ctype
    ctype=$(it_header Content-Type)
    if [ "$IT_STATUS" = "$status" ] &&
        printf '%s' "$IT_BODY" | jq -e --arg c "$code" \
            '.error == $c and (.message | type == "string" and length > 0)' \
            >/dev/null 2>&1 &&
        [[ $ctype == application/json* ]]; then
        it_pass "$desc"
    else
        it_fail "$desc" "expected $status {\"error\":\"$code\",\"message\":...} as application/json (Content-Type: $ctype): $(it_last)"
    fi
}

# expect_header NAME REGEX DESC
expect_header() {
    local value
    value=$(it_header "$1")
    if [[ $value =~ $2 ]]; then
        it_pass "$3"
    else
        it_fail "$3" "expected header $1 matching $2, got '$value': $(it_last)"
    fi
}

# it_sql QUERY: runs QUERY with the sqlite3 shell on the test's database
# beside actord (waiting up to 10 s for its lock); prints the rows.
it_sql() {
    sqlite3 -batch -noheader -cmd '.timeout 10000' "$IT_DB" "$1"
}

# expect_integrity [WHEN]: PRAGMA integrity_check on the database says ok.
# shellcheck disable=SC2120  # WHEN is optional
expect_integrity() {
    local r
    r=$(it_sql 'PRAGMA integrity_check' 2>&1 | tail -n 1)
    expect_true "PRAGMA integrity_check${1:+ $1}: $r" test "$r" = ok
}

# expect_true DESC COMMAND...: the command succeeds.
expect_true() {
    local desc=$1
    shift
    if "$@"; then
        it_pass "$desc"
    else
        it_fail "$desc" "failed: $*"
    fi
}

# expect_raw_head PATH STATUS DESC: a HEAD request over a bare socket (curl
# never reads a HEAD's body, so it cannot tell): the status line says
# STATUS and nothing follows the headers.
expect_raw_head() {
    local path=$1 status=$2 desc=$3 resp rest
    resp=$(
        exec 3<>"/dev/tcp/127.0.0.1/$IT_PORT" || exit 1
        printf 'HEAD %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path" >&3
        timeout 10 cat <&3 | od -An -c | tr -d ' \n'
    ) || true
    # od spells CR LF CR LF as \r\n\r\n.
    rest=${resp#*\\r\\n\\r\\n}
    if [[ $resp == HTTP/1.?$status* ]] && [[ $resp == *\\r\\n\\r\\n* ]] &&
        [ -z "$rest" ]; then
        it_pass "$desc"
    else
        it_fail "$desc" "HEAD $path answered (od -c): ${resp:0:300}"
    fi
}

# it_poll SECONDS PATH FILTER [JQ_ARGS...]: GETs PATH until FILTER holds on
# its body or SECONDS pass; true if it held.  The last answer stays in IT_*.
it_poll() {
    local secs=$1 path=$2 filter=$3 end
    shift 3
    end=$(($(date +%s%N) / 1000000 + secs * 1000))
    while :; do
        it_req GET "$path"
        if [ "$IT_STATUS" = 200 ] &&
            printf '%s' "$IT_BODY" | jq -e "$@" "$filter" >/dev/null 2>&1; then
            return 0
        fi
        [ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
        sleep 0.05
    done
}

# expect_poll SECONDS DESC PATH FILTER [JQ_ARGS...]: it_poll as an assertion.
expect_poll() {
    local secs=$1 desc=$2 path=$3 filter=$4
    shift 4
    if it_poll "$secs" "$path" "$filter" "$@"; then
        it_pass "$desc"
    else
        it_fail "$desc" "after ${secs}s still not $filter: $(it_last)"
    fi
}
