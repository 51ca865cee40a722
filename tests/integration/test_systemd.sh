#!/usr/bin/env bash
# test_systemd.sh - the systemd units and socket activation, without a
# running systemd.  The units, installed into a temporary PREFIX (so that
# the programs and man pages they name exist), pass systemd-analyze
# verify without a word, and carry the settings they promise; the
# sysusers.d file makes the user they run as.  Then
# actord takes its socket as systemd hands it over (LISTEN_PID,
# LISTEN_FDS, fd 3): a holder made by systemd-socket-activate keeps the
# socket, as systemd does, and starts actord on it twice; nginx talks to
# the first, a request sent while none runs waits in the socket's queue
# and the second answers it, so stopping the first left the socket
# listening.  And the variables that are not for actord, or not right.
# Each part says so and is skipped when its tool is missing.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

it_start

# ---- the units --------------------------------------------------------------
PFX=$IT_DIR/prefix
UNITS=$PFX/lib/systemd/system
if ! make -s -C "$IT_ROOT" install PREFIX="$PFX" >"$IT_DIR/install.log" 2>&1; then
    it_fail "make install PREFIX=$PFX" "$(tail -n 5 "$IT_DIR/install.log")"
fi
if command -v systemd-analyze >/dev/null; then
    # verify runs `man` for Documentation= (MANPATH finds the pages) and
    # checks that ExecStart's programs exist.  Its warnings (a bad key, a
    # bad value) do not change its exit status: any output is a failure.
    out=$(MANPATH=$PFX/share/man systemd-analyze verify \
        "$UNITS/actord.socket" "$UNITS/actord.service" \
        "$UNITS/actorctl-run.service" "$UNITS/actorctl-run.timer" 2>&1)
    rc=$?
    mapfile -t lines <<<"$out"
    if [ $rc -eq 0 ] && [ -z "$out" ]; then
        it_pass "systemd-analyze verify: the four units, without a word"
    else
        it_fail "systemd-analyze verify: the four units (exit status $rc)" "${lines[@]}"
    fi
else
    it_log "no systemd-analyze: the units are not verified (skipped)"
fi

# unit_has UNIT LINE...: each LINE is a line of UNIT.
unit_has() {
    local unit=$1 line
    shift
    for line in "$@"; do
        if ! grep -qxF -- "$line" "$UNITS/$unit"; then
            it_fail "$unit has $line"
            return
        fi
    done
    it_pass "$unit: $*"
}
unit_has actord.socket ListenStream=/run/actord/actord.sock \
    SocketGroup=www-data SocketMode=0660
unit_has actord.service "ExecStart=$PFX/bin/actord --db /var/lib/actord/actord.db --plugin-dir $PFX/lib/actord/plugins" \
    Requires=actord.socket User=actord StateDirectory=actord \
    ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    WantedBy=multi-user.target Also=actord.socket
unit_has actorctl-run.service Type=oneshot User=actord \
    "ExecStart=$PFX/bin/actorctl --db /var/lib/actord/actord.db --plugin-dir $PFX/lib/actord/plugins run --seconds 60" \
    StateDirectory=actord ProtectSystem=strict PrivateNetwork=yes
unit_has actorctl-run.timer OnUnitInactiveSec=30s WantedBy=timers.target

# The user the units run as, made by systemd-sysusers from the installed
# sysusers.d file, in a root of its own.
if command -v systemd-sysusers >/dev/null; then
    mkdir -p "$IT_DIR/root/etc"
    systemd-sysusers --root="$IT_DIR/root" "$PFX/lib/sysusers.d/actord.conf" \
        >"$IT_DIR/sysusers.log" 2>&1
    expect_true "systemd-sysusers makes the user actord, home /var/lib/actord, no login" \
        grep -q '^actord:x:[0-9]*:[0-9]*:[^:]*:/var/lib/actord:/usr/sbin/nologin$' \
        "$IT_DIR/root/etc/passwd"
else
    it_log "no systemd-sysusers: the sysusers.d file is not tried (skipped)"
fi

# ---- socket activation --------------------------------------------------------
if ! command -v systemd-socket-activate >/dev/null; then
    it_log "no systemd-socket-activate: socket activation is not tested (skipped)"
    it_finish
fi

# The holder: the program systemd-socket-activate runs with the socket on
# fd 3.  Like systemd it keeps the socket and starts actord on it, twice,
# each with LISTEN_PID set to actord's own pid (the subshell's, which
# exec keeps).  It writes sa.pid.N when actord N started, sa.rc.N when it
# ended, and waits for the file go.2 before the second.
cat >"$IT_DIR/holder.sh" <<'EOF'
# shellcheck shell=bash
. "$1"
IT_DIR=$2
for n in 1 2; do
    while [ "$n" -gt 1 ] && [ ! -e "$IT_DIR/go.$n" ]; do sleep 0.05; done
    (
        LISTEN_PID=$BASHPID
        export LISTEN_PID
        it_exec_actord --db "$IT_DIR/actord.db"
    ) </dev/null 2>>"$IT_DIR/actord.log" &
    echo $! >"$IT_DIR/sa.pid.tmp"
    mv "$IT_DIR/sa.pid.tmp" "$IT_DIR/sa.pid.$n"
    wait $!
    echo $? >"$IT_DIR/sa.rc.$n"
done
EOF

# wait_file FILE: waits up to 10 * IT_SLOW s for FILE; true when it came.
wait_file() {
    local i
    for ((i = 0; i < 100 * IT_SLOW; i++)); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# The build's actord steps aside; nginx stays, on the same socket path.
it_stop_pid "$ACTORD_PID"
ACTORD_PID=""
rm -f "$IT_SOCK"
# systemd-socket-activate passes on only the variables it is told to
# (-E): those of lib.sh's checkers.
setenv=()
for v in PATH ACTORD_BIN ACTORD_WRAP IT_SLOW ASAN_OPTIONS UBSAN_OPTIONS \
    TSAN_OPTIONS; do
    [ -n "${!v+set}" ] && setenv+=(-E "$v=${!v}")
done
ACTORD_BIN=$ACTORD_BIN ACTORD_WRAP=$ACTORD_WRAP IT_SLOW=$IT_SLOW \
    systemd-socket-activate "${setenv[@]}" -l "$IT_SOCK" \
    bash "$IT_DIR/holder.sh" "$IT_ROOT/tests/integration/lib.sh" "$IT_DIR" \
    </dev/null 2>>"$IT_DIR/holder.log" &
HOLDER=$!
IT_OTHER_PIDS+=("$HOLDER")
wait_file "$IT_SOCK" || it_fail "systemd-socket-activate made $IT_SOCK"

# The first request starts the holder (systemd-socket-activate waits for
# one), which starts actord 1.
if it_wait_healthy 10; then
    it_pass "actord 1 answers on the socket from systemd"
else
    it_fail "actord 1 answers on the socket from systemd" \
        "$(tail -n 5 "$IT_DIR/actord.log" "$IT_DIR/holder.log")"
    exit 1
fi
wait_file "$IT_DIR/sa.pid.1"
pid1=$(cat "$IT_DIR/sa.pid.1" 2>/dev/null)
# The request threads may answer before the line is written.
logged() {
    local i
    for ((i = 0; i < 50 * IT_SLOW; i++)); do
        grep -q "$1" "$IT_DIR/actord.log" && return 0
        sleep 0.1
    done
    return 1
}
expect_true "it says so in its log" \
    logged "actord\[$pid1\] level=info event=start .* listen=systemd:fd3 "
it_req PUT /actors/c1 '{"behavior":"counter","args":{"start":1}}'
expect_status 201 "spawn c1 through actord 1"
it_req POST /actors/c1 '{"add":41}'
expect_status 202 "send to c1 through actord 1"
expect_poll 10 "c1 counts 42" /actors/c1 '.state.count == 42'

# SIGTERM: actord 1 stops cleanly and leaves the socket to its holder.
kill -TERM "$pid1" 2>/dev/null
wait_file "$IT_DIR/sa.rc.1"
expect_true "actord 1 stopped on SIGTERM with status 0" \
    test "$(cat "$IT_DIR/sa.rc.1" 2>/dev/null)" = 0
expect_true "its socket file is still there" test -S "$IT_SOCK"

# No actord runs: a request sent now waits in the socket's queue.
curl -s -o "$IT_DIR/queued.body" -w '%{http_code}' --max-time $((20 * IT_SLOW)) \
    -X POST -H 'Content-Type: application/json' --data-binary '{"add":100}' \
    "$IT_BASE/actors/c1" >"$IT_DIR/queued.status" 2>/dev/null &
queued=$!
sleep 0.5
touch "$IT_DIR/go.2"
wait_file "$IT_DIR/sa.pid.2"
wait "$queued"
expect_true "the request sent while none ran is answered by actord 2: 202 ($(cat "$IT_DIR/queued.status" 2>/dev/null))" \
    test "$(cat "$IT_DIR/queued.status" 2>/dev/null)" = 202
if it_wait_healthy 10; then
    it_pass "actord 2 answers on the same socket"
else
    it_fail "actord 2 answers on the same socket" "$(tail -n 5 "$IT_DIR/actord.log")"
fi
expect_poll 10 "c1 counts 142: nothing lost across the restart" /actors/c1 \
    '.state.count == 142'
pid2=$(cat "$IT_DIR/sa.pid.2" 2>/dev/null)
kill -TERM "$pid2" 2>/dev/null
wait_file "$IT_DIR/sa.rc.2"
expect_true "actord 2 stopped on SIGTERM with status 0" \
    test "$(cat "$IT_DIR/sa.rc.2" 2>/dev/null)" = 0
it_stop_pid "$HOLDER"
IT_OTHER_PIDS=()

# ---- variables that are not actord's, or not right ---------------------------
# run_env VAR=VALUE...: actord with those variables and fd 3 on /dev/null,
# as a CGI request for /healthz; sets rc and out (stdout and stderr).
run_env() {
    out=$(
        env "$@" REQUEST_METHOD=GET PATH_INFO=/healthz GATEWAY_INTERFACE=CGI/1.1 \
            bash -c '. "$0"; LISTEN_PID=${LISTEN_PID:-$BASHPID}; export LISTEN_PID
                     IT_DIR=$1; it_exec_actord --db "$1/actord.db"' \
            "$IT_ROOT/tests/integration/lib.sh" "$IT_DIR" 3</dev/null 2>&1
    )
    rc=$?
}
run_env LISTEN_FDS=2
expect_true "LISTEN_FDS=2 for actord: it refuses to start (status $rc), saying why" \
    test $rc -eq 1 -a -n "$(grep 'LISTEN_FDS' <<<"$out")"
run_env LISTEN_FDS=1
expect_true "fd 3 not a socket: it refuses to start (status $rc), saying why" \
    test $rc -eq 1 -a -n "$(grep 'not a socket' <<<"$out")"
run_env LISTEN_FDS=1 LISTEN_PID=1
expect_true "LISTEN_PID of another process: ignored, actord runs as CGI (status $rc)" \
    test $rc -eq 0 -a -n "$(grep '^Status: 200' <<<"$out")"

it_finish
