#!/usr/bin/env bash
# run.sh - what `make run` runs: actord behind nginx on a loopback port, in
# the foreground, until Ctrl-C (which stops both, by pid).  When actord
# dies, nginx stays up and answers the JSON 502 `unavailable` (with
# Retry-After: 1) while run.sh starts actord again after a back-off of
# 1 s, doubling up to 30 s, back to 1 s once an actord ran for 60 s.
#
#   bash scripts/run.sh                 start both (make has built build/actord)
#   bash scripts/run.sh --print-config  print the nginx.conf for PORT, RUNDIR
#                                       and SOCKET (the integration tests use it)
#
# Variables: PORT (default 8080) on 127.0.0.1, DB (default actord.db in the
# repository), RUNDIR (default run/ in the repository) for the socket, the
# generated nginx.conf, nginx's pid, logs and temporary files, and
# actord.log (actord's standard error).  SOCKET defaults to
# RUNDIR/actord.sock.  ACTORD and NGINX name other binaries.  PLUGINS
# names plugins for actord to load (--load), separated by blanks:
# make run PLUGINS=examples/bank/bank.so.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
template=$root/nginx/actord-run.conf.in
# Its line `include actord-errors.conf;` is replaced by this file's lines,
# so that the rendered nginx.conf reads no other file.
errors_snippet=$root/nginx/actord-errors.conf
PORT=${PORT:-8080}
DB=${DB:-$root/actord.db}
RUNDIR=${RUNDIR:-$root/run}
ACTORD=${ACTORD:-$root/build/actord}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

die() {
    echo "run.sh: $*" >&2
    exit 1
}

# A path that goes into nginx.conf unquoted: no blanks, no nginx syntax, and
# nothing that the sed below would take for its own.
check_path() {
    case $2 in
    *[[:space:]\;\{\}\"\'\|\&\\\$#]*)
        die "$1 '$2' contains a blank or one of ;{}\"'|&\\\$#: choose another" ;;
    esac
}

# The open files each nginx worker may have (worker_rlimit_nofile): the
# hard limit, at most 65536.  A worker that asked for more would keep its
# soft limit, root too in a container without CAP_SYS_RESOURCE.
nofile_limit() {
    local hard
    hard=$(ulimit -Hn)
    if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then
        echo 65536
    else
        echo "$hard"
    fi
}

# Writes the nginx configuration for port $1, run folder $2 and socket $3 to
# standard output; the console is served from the tree's console/.
print_config() {
    # Comment lines keep their placeholders, so they still read as such.
    local nofile
    nofile=$(nofile_limit)
    local -a edits=(-e "/^[[:space:]]*#/!s|@PORT@|$1|g"
        -e "/^[[:space:]]*#/!s|@RUNDIR@|$2|g"
        -e "/^[[:space:]]*#/!s|@SOCKET@|$3|g"
        -e "/^[[:space:]]*#/!s|@NOFILE@|$nofile|g"
        -e "/^[[:space:]]*#/!s|@CONSOLE@|$root/console|g")
    local features
    check_path RUNDIR "$2"
    check_path SOCKET "$3"
    check_path "the tree's console folder" "$root/console"
    [ -r "$template" ] || die "missing $template"
    [ -r "$errors_snippet" ] || die "missing $errors_snippet"
    # Running as root, nginx would switch its workers to nobody, who may not
    # open a socket that root's actord created.
    if [ "$(id -u)" -eq 0 ]; then
        echo "user root;"
    fi
    # A small nginx may lack the uwsgi and scgi modules, and with them the
    # directives naming their temporary folders.
    features=$("$NGINX" -V 2>&1) || die "cannot run $NGINX; run scripts/deps.sh"
    case $features in *--without-http_uwsgi_module*)
        edits+=(-e '/uwsgi_temp_path/d') ;;
    esac
    case $features in *--without-http_scgi_module*)
        edits+=(-e '/scgi_temp_path/d') ;;
    esac
    sed "${edits[@]}" "$template" | while IFS= read -r line; do
        if [[ $line =~ ^[[:space:]]*include\ actord-errors\.conf\;$ ]]; then
            sed "/./s|^|${line%%include*}|" "$errors_snippet"
        else
            printf '%s\n' "$line"
        fi
    done
}

if [ "${1:-}" = --print-config ]; then
    print_config "$PORT" "$RUNDIR" "${SOCKET:-$RUNDIR/actord.sock}"
    exit 0
elif [ $# -gt 0 ]; then
    die "usage: [PORT=N] [DB=PATH] [RUNDIR=DIR] bash scripts/run.sh [--print-config]"
fi

bash "$root/scripts/deps.sh"

case $PORT in
'' | *[!0-9]*) die "PORT must be a number, not '$PORT'" ;;
esac
if [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
    die "PORT $PORT is out of range"
fi
[ -x "$ACTORD" ] || die "$ACTORD is missing: run make first"

# Is something already listening there?  A connection that succeeds says so.
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    die "port $PORT on 127.0.0.1 is already in use; choose another, e.g. make run PORT=$((PORT + 1))"
fi

mkdir -p "$RUNDIR"
RUNDIR=$(cd "$RUNDIR" && pwd)
case $DB in /*) ;; *) DB=$PWD/$DB ;; esac
SOCKET=${SOCKET:-$RUNDIR/actord.sock}
# The kernel keeps at most 107 bytes of a unix socket's path.
[ ${#SOCKET} -le 100 ] || die "socket path $SOCKET is too long; choose a shorter RUNDIR"
print_config "$PORT" "$RUNDIR" "$SOCKET" >"$RUNDIR/nginx.conf"

# True while process $1 runs; an exited child that is not yet reaped (a
# zombie) counts as gone.
alive() {
    local line
    read -r line 2>/dev/null <"/proc/$1/stat" || return 1
    line=${line##*) }
    [ "${line%% *}" != Z ]
}

actord_pid=""
nginx_pid=""
stopping=0

# Stops the given processes by pid: TERM, then KILL after 15 s, then reaps.
stop_pids() {
    local pid i
    for pid in "$@"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        for ((i = 0; i < 150; i++)); do
            alive "$pid" || break
            sleep 0.1
        done
        if alive "$pid"; then
            echo "run.sh: process $pid ignored TERM for 15 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
}

stop_all() {
    local pids=()
    [ -z "$nginx_pid" ] || pids+=("$nginx_pid")
    [ -z "$actord_pid" ] || pids+=("$actord_pid")
    [ ${#pids[@]} -eq 0 ] || stop_pids "${pids[@]}"
    nginx_pid=""
    actord_pid=""
}

trap 'stopping=1' INT TERM
# Whatever makes this script exit, it leaves no server behind.
trap stop_all EXIT

plugin_args=()
for p in ${PLUGINS:-}; do
    plugin_args+=(--load "$p")
done
actord_started=0 # $SECONDS when the running actord was started

# Starts actord and waits up to 10 s for its socket.  False when it did not
# create it (actord_pid is then whatever still runs, or empty).
start_actord() {
    local i
    # actord removes a stale socket itself; removing it here as well lets
    # us wait for the new one.
    rm -f "$SOCKET"
    "$ACTORD" --listen "unix:$SOCKET" --db "$DB" "${plugin_args[@]}" \
        </dev/null 2>>"$RUNDIR/actord.log" &
    actord_pid=$!
    actord_started=$SECONDS
    for ((i = 0; i < 100; i++)); do
        [ -S "$SOCKET" ] && return 0
        [ "$stopping" -eq 0 ] || exit 0
        alive "$actord_pid" || break
        sleep 0.1
    done
    [ -S "$SOCKET" ]
}

if ! start_actord; then
    tail -n 5 "$RUNDIR/actord.log" >&2 || true
    die "actord did not create $SOCKET (its log: $RUNDIR/actord.log)"
fi

"$NGINX" -p "$RUNDIR/" -c "$RUNDIR/nginx.conf" -e "$RUNDIR/error.log" \
    -g 'daemon off;' </dev/null &
nginx_pid=$!

url=http://127.0.0.1:$PORT
up=0
for ((i = 0; i < 100; i++)); do
    [ "$stopping" -eq 0 ] || exit 0
    if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/healthz")" = 200 ]; then
        up=1
        break
    fi
    if ! alive "$actord_pid" || ! alive "$nginx_pid"; then
        break
    fi
    sleep 0.1
done
if [ $up -eq 0 ]; then
    tail -n 5 "$RUNDIR/error.log" "$RUNDIR/actord.log" >&2 2>/dev/null || true
    die "$url/healthz did not answer; logs are in $RUNDIR"
fi

echo "actord is up at $url/ (database $DB, logs in $RUNDIR); Ctrl-C stops it."
echo "The console: $url/console/"
echo "try: curl -X PUT -H 'Content-Type: application/json' -d '{\"behavior\":\"counter\",\"args\":{\"start\":1}}' $url/actors/c1"

# Stay in the foreground until a signal or until nginx ends.  When actord
# ends, nginx stays up (clients get a JSON 502 `unavailable` with
# Retry-After meanwhile) and actord is started again after a back-off: 1 s,
# doubling up to 30 s, back to 1 s once an actord has run for 60 s.
set +e
delay=1
while :; do
    if [ -z "$actord_pid" ]; then
        # actord ended, or never made its socket: wait, start it again.
        for ((i = 0; i < delay * 10; i++)); do
            if [ "$stopping" -ne 0 ] || ! alive "$nginx_pid"; then
                break
            fi
            sleep 0.1
        done
        delay=$((delay * 2 > 30 ? 30 : delay * 2))
        # On a signal, or when nginx ended, the code below sees to it.
        if [ "$stopping" -eq 0 ] && alive "$nginx_pid"; then
            if start_actord; then
                echo "run.sh: actord is running again (pid $actord_pid)" >&2
            elif alive "$actord_pid"; then
                echo "run.sh: actord (pid $actord_pid) did not create $SOCKET in 10 s; stopping it and starting it again in $delay s" >&2
                stop_pids "$actord_pid"
                actord_pid=""
                continue
            fi
        fi
    fi
    ended=""
    status=0
    # A signal that came before the wait does not interrupt it: look first.
    if [ "$stopping" -eq 0 ]; then
        if [ -n "$actord_pid" ]; then
            wait -n -p ended "$actord_pid" "$nginx_pid"
        else
            wait -n -p ended "$nginx_pid"
        fi
        status=$?
        # wait -p unsets ended when a signal interrupted it.
        ended=${ended:-}
        # Ctrl-C reaches nginx and actord too, and one of them may end
        # before bash runs the trap: give it a moment.
        [ -z "$ended" ] || sleep 0.2
    fi
    if [ "$stopping" -eq 1 ]; then
        echo "run.sh: stopping nginx and actord"
        stop_all
        exit 0
    fi
    if [ "$ended" = "$nginx_pid" ]; then
        nginx_pid=""
        echo "run.sh: nginx exited (status $status); stopping actord. The end of $RUNDIR/error.log:" >&2
        tail -n 5 "$RUNDIR/error.log" >&2
        stop_all
        exit 1
    fi
    if [ -n "$ended" ] && [ "$ended" = "$actord_pid" ]; then
        actord_pid=""
        if [ $((SECONDS - actord_started)) -ge 60 ]; then
            delay=1
        fi
        how="status $status"
        [ "$status" -le 128 ] || how="$how, signal $((status - 128))"
        echo "run.sh: actord exited ($how); starting it again in $delay s. The end of $RUNDIR/actord.log:" >&2
        tail -n 5 "$RUNDIR/actord.log" >&2
    fi
done
