#!/usr/bin/env bash
# http.sh - the HTTP rows of `make bench`.  Starts, on loopback ports:
#
#   actord + nginx      actord on a fresh database, nginx with the
#                       configuration of scripts/run.sh (make run and the
#                       integration tests use the same)
#   bare_fcgi + nginx   the same nginx configuration in front of a bare
#                       libfcgi responder (bench/bare_fcgi.c: two threads,
#                       no database), answering each request as actord does
#
# and runs wrk against both, in turn, for each request shape: POST of
# {"add": 1} to a counter, GET of that counter, GET /healthz; each with
# wrk -t2 -c8 and -t2 -c32 for BENCH_HTTP_SECONDS (default 3) seconds.
# Then, side by side, GET /healthz on actord with wrk -t2 -c8 with no
# request waiting, and again while 10,000 long-polls (GET
# /actors/wN?wait=300 over 100 counters) are parked, held open by
# tests/tools/waiters for longer than the run.  Prints "key value" lines
# for bench/run.sh:
#
#   http_{actord,bare}_{post,get,healthz}_c{8,32}_{rps,p99_ms}
#   http_actord_healthz_{idle,parked10k}_{rps,p99_ms}
#
# Every server it starts (actord, bare_fcgi, both nginx masters and their
# workers), and the waiters tool, is recorded by pid and stopped by pid in
# the EXIT trap: TERM, then KILL, whatever ends the script (an error,
# Ctrl-C, TERM).  A run of wrk with an error or a non-2xx answer makes the
# script exit 1 after the other runs; so does a parked row whose 10,000
# long-polls were not all sent and parked, or were answered before the
# tool was stopped (its row is then not printed).  Nothing else is
# asserted.
#
# BENCH_HTTP_PORT and BENCH_HTTP_BARE_PORT choose the two nginx ports
# (default: free ones); setting both to one port makes the second nginx
# fail, which is how the clean-up on failure is tested.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ACTORD_BIN=${ACTORD_BIN:-$ROOT/build/actord}
BARE_BIN=$ROOT/build/bench/bare_fcgi
WAITERS_BIN=$ROOT/build/tests/tools/waiters
PARKED=10000 # long-polls parked for the parked row
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
SECS=${BENCH_HTTP_SECONDS:-3}
CONNS=(8 32)

SERVERS=()  # "pid name" of every server started, in order of start
FAILED=0    # runs of wrk that saw errors
DIR=""

say() { echo "http.sh: $*" >&2; }

# alive PID: true while the process runs (a zombie counts as gone).
alive() {
    local line
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

# children PID: the pids whose parent is PID (nginx's workers).
children() {
    local f line rest
    for f in /proc/[0-9]*/stat; do
        read -r line 2>/dev/null <"$f" || continue
        rest=${line##*) }
        rest=${rest#* }
        [ "${rest%% *}" = "$1" ] && echo "${line%% *}"
    done
    return 0
}

# fds PID: how many descriptors PID holds.
fds() {
    local -a f=(/proc/"$1"/fd/*)
    echo "${#f[@]}"
}

# stop PID NAME: TERM, up to 5 s (1 s for bare_fcgi, whose libfcgi only
# stops after its next request), then KILL; reaped if it is our child.
stop() {
    local pid=$1 name=$2 i limit=50
    [ "$name" = bare_fcgi ] && limit=10
    alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < limit; i++)); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        [ "$name" = bare_fcgi ] || say "$name (pid $pid) ignored TERM; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# The EXIT trap: stops every server, the last started first; an nginx
# master stops its own workers (TERM to a worker alone would only make the
# master start another), so a recorded worker is killed only if it
# outlived its master.
cleanup() {
    local rc=$? i pid name
    trap - EXIT INT TERM HUP
    for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do
        read -r pid name <<<"${SERVERS[i]}"
        case $name in *-worker) continue ;; esac
        stop "$pid" "$name"
        [ "$rc" -eq 0 ] || say "stopped $name (pid $pid)"
    done
    for ((i = ${#SERVERS[@]} - 1; i >= 0; i--)); do
        read -r pid name <<<"${SERVERS[i]}"
        case $name in *-worker) ;; *) continue ;; esac
        if alive "$pid"; then
            say "$name (pid $pid) outlived its master; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        [ "$rc" -eq 0 ] || say "stopped $name (pid $pid)"
    done
    if [ -n "$DIR" ]; then
        if [ "$rc" -eq 0 ]; then
            rm -rf "$DIR"
        else
            say "exit status $rc; logs kept in $DIR"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# free_port: a loopback port nobody listens on, below the ephemeral range.
free_port() {
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

# wait_for WHAT PID TEST...: runs TEST every 0.1 s for up to 10 s while
# PID lives; fails loudly otherwise.
wait_for() {
    local what=$1 pid=$2 i
    shift 2
    for ((i = 0; i < 100; i++)); do
        "$@" && return 0
        alive "$pid" || { say "$what: the process exited"; return 1; }
        sleep 0.1
    done
    say "$what: no answer after 10 s"
    return 1
}

answers() {  # answers URL STATUS
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1")" = "$2" ]
}

# start_nginx NAME PORT SOCKET RUNDIR URL_PATH: nginx in the foreground on
# PORT in front of SOCKET; waits until URL_PATH answers 200 and records
# the master and its workers.
start_nginx() {
    local name=$1 port=$2 sock=$3 rundir=$4 path=$5 pid w
    # Another server on the port would answer in nginx's place.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        say "$name: port $port is already in use"
        return 1
    fi
    PORT=$port RUNDIR=$rundir SOCKET=$sock \
        bash "$ROOT/scripts/run.sh" --print-config >"$rundir/nginx.conf"
    "$NGINX_BIN" -p "$rundir/" -c "$rundir/nginx.conf" -e "$rundir/error.log" \
        -g 'daemon off;' </dev/null >>"$rundir/nginx.out" 2>&1 &
    pid=$!
    SERVERS+=("$pid $name")
    if ! wait_for "$name on port $port" "$pid" \
        answers "http://127.0.0.1:$port$path" 200; then
        tail -n 5 "$rundir/error.log" "$rundir/nginx.out" >&2 2>/dev/null || true
        return 1
    fi
    alive "$pid" || { say "$name exited"; return 1; }
    for w in $(children "$pid"); do
        SERVERS+=("$w $name-worker")
    done
}

# start_backend NAME SOCKET COMMAND...: starts COMMAND and waits for SOCKET.
start_backend() {
    local name=$1 sock=$2 pid
    shift 2
    rm -f "$sock"
    "$@" </dev/null 2>>"$DIR/$name.log" &
    pid=$!
    SERVERS+=("$pid $name")
    if ! wait_for "$name socket" "$pid" test -S "$sock"; then
        tail -n 5 "$DIR/$name.log" >&2 || true
        return 1
    fi
}

[ -x "$ACTORD_BIN" ] || { say "$ACTORD_BIN is missing: run make first"; exit 1; }
[ -x "$BARE_BIN" ] || { say "$BARE_BIN is missing: bench/run.sh builds it"; exit 1; }
command -v wrk >/dev/null || { say "wrk is missing: bash scripts/deps.sh wrk"; exit 1; }
[ -x "$WAITERS_BIN" ] || { say "$WAITERS_BIN is missing: make build/tests/tools/waiters"; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/actord-http.XXXXXX")
mkdir -p "$DIR/actord" "$DIR/bare"
PORT_A=${BENCH_HTTP_PORT:-$(free_port)}
PORT_B=${BENCH_HTTP_BARE_PORT:-$(free_port)}
A=http://127.0.0.1:$PORT_A
B=http://127.0.0.1:$PORT_B

start_backend actord "$DIR/actord/actord.sock" \
    "$ACTORD_BIN" --listen "unix:$DIR/actord/actord.sock" --db "$DIR/actord.db"
start_nginx nginx "$PORT_A" "$DIR/actord/actord.sock" "$DIR/actord" /healthz
start_backend bare_fcgi "$DIR/bare/fcgi.sock" "$BARE_BIN" "$DIR/bare/fcgi.sock"
start_nginx nginx-bare "$PORT_B" "$DIR/bare/fcgi.sock" "$DIR/bare" /healthz

status=$(curl -s -o "$DIR/spawn.out" -w '%{http_code}' --max-time 10 -X PUT \
    -H 'Content-Type: application/json' -d '{"behavior": "counter"}' "$A/actors/c1")
if [ "$status" != 201 ]; then
    say "PUT /actors/c1 answered $status: $(cat "$DIR/spawn.out")"
    exit 1
fi

cat >"$DIR/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"add": 1}'
wrk.headers["Content-Type"] = "application/json"
EOF

# check_servers: exits 1 if a server has ended.  wrk handles SIGINT
# itself (it stops and reports), so bash does not act on a Ctrl-C that
# came during a run of wrk; the servers got it as well, and this notices.
check_servers() {
    local entry pid name
    for entry in "${SERVERS[@]}"; do
        read -r pid name <<<"$entry"
        case $name in *-worker | waiters) continue ;; esac
        alive "$pid" || { say "$name (pid $pid) has ended; stopping"; exit 1; }
    done
}

# run KEY CONNS URL [SCRIPT]: one run of wrk; prints KEY_rps and
# KEY_p99_ms.  A run that failed or saw errors or non-2xx answers says so
# on stderr, prints nothing and is counted in FAILED.
run() {
    local key=$1 c=$2 url=$3 out rc=0
    local -a script=()
    [ -z "${4:-}" ] || script=(-s "$4")
    out=$(timeout --foreground -k 2 $((SECS + 20)) \
        wrk -t2 -c"$c" -d"${SECS}s" --latency "${script[@]}" "$url" 2>&1) || rc=$?
    check_servers
    if [ $rc -ne 0 ] || grep -q 'Non-2xx\|Socket errors' <<<"$out" ||
        ! grep -q '^Requests/sec:' <<<"$out"; then
        say "$key: wrk -t2 -c$c $url failed (status $rc):"
        echo "$out" >&2
        FAILED=$((FAILED + 1))
        return 0
    fi
    awk -v k="$key" '
        $1 == "Requests/sec:" { printf "%s_rps %.0f\n", k, $2 }
        $1 == "99%" {
            v = $2; ms = v + 0
            if (v ~ /us$/) ms = ms / 1000
            else if (v ~ /m$/) ms = ms * 60000
            else if (v ~ /[0-9]s$/ && v !~ /ms$/) ms = ms * 1000
            printf "%s_p99_ms %.2f\n", k, ms
        }' <<<"$out"
}

# A second of warm-up for each, not counted.
timeout --foreground 10 wrk -t1 -c4 -d1s -s "$DIR/post.lua" "$A/actors/c1" >/dev/null
timeout --foreground 10 wrk -t1 -c4 -d1s -s "$DIR/post.lua" "$B/actors/c1" >/dev/null

for c in "${CONNS[@]}"; do
    run "http_actord_post_c$c" "$c" "$A/actors/c1" "$DIR/post.lua"
    run "http_bare_post_c$c" "$c" "$B/actors/c1" "$DIR/post.lua"
done
for c in "${CONNS[@]}"; do
    run "http_actord_get_c$c" "$c" "$A/actors/c1"
    run "http_bare_get_c$c" "$c" "$B/actors/c1"
done
for c in "${CONNS[@]}"; do
    run "http_actord_healthz_c$c" "$c" "$A/healthz"
    run "http_bare_healthz_c$c" "$c" "$B/healthz"
done

# parked_rows: GET /healthz -c8 with none, then with PARKED long-polls
# waiting.  The tool holds them open, paced so that actord's listen
# backlog is not overrun, with deadlines (300 s) and a hold longer than
# the run; it is stopped by pid after the run and must say that all were
# sent and none was answered.
parked_rows() {
    local actord_pid entry pid name base held i rc=0 hard status
    for entry in "${SERVERS[@]}"; do
        read -r pid name <<<"$entry"
        [ "$name" = actord ] && actord_pid=$pid
    done
    run http_actord_healthz_idle 8 "$A/healthz"
    hard=$(ulimit -Hn)
    if [ "$hard" != unlimited ] && [ "$hard" -lt $((PARKED + 200)) ]; then
        say "the hard limit of open files ($hard) cannot hold $PARKED long-polls: no parked row"
        FAILED=$((FAILED + 1))
        return 0
    fi
    status=$(curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 -X PUT \
        -H 'Content-Type: application/json' -d '{"behavior": "counter"}' \
        "$A/actors/w[0-99]" | sort -u)
    if [ "$status" != 201 ]; then
        say "PUT /actors/w0 ... w99 answered $status"
        FAILED=$((FAILED + 1))
        return 0
    fi
    base=$(fds "$actord_pid")
    "$WAITERS_BIN" --count "$PARKED" --spread 100 --hold $((SECS + 120)) \
        --ready "$DIR/waiters.ready" "$PORT_A" '/actors/w%d?wait=300' \
        >"$DIR/waiters.out" 2>&1 &
    pid=$!
    SERVERS+=("$pid waiters")
    # Sent, then parked: each parked request holds its connection in actord.
    for ((i = 0; i < 600; i++)); do
        held=$(($(fds "$actord_pid") - base))
        [ -e "$DIR/waiters.ready" ] && [ "$held" -ge "$PARKED" ] && break
        alive "$pid" || break
        sleep 0.1
    done
    if [ "$held" -lt "$PARKED" ]; then
        say "only $held of $PARKED long-polls were parked within 60 s (tool: $(cat "$DIR/waiters.ready" 2>/dev/null))"
        FAILED=$((FAILED + 1))
        return 0
    fi
    run http_actord_healthz_parked10k 8 "$A/healthz" >"$DIR/parked.rows"
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    if [ $rc -ne 0 ]; then
        say "the $PARKED long-polls did not all wait through the run (status $rc): $(tr '\n' ' ' <"$DIR/waiters.out")"
        FAILED=$((FAILED + 1))
        return 0
    fi
    cat "$DIR/parked.rows"
}
parked_rows

if [ "$FAILED" -ne 0 ]; then
    say "$FAILED runs of wrk failed"
    exit 1
fi
