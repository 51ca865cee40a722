#!/usr/bin/env bash
# test_deb.sh - the Debian package, installed on this machine as an
# administrator would: apt-get install of build/deb/actord_*.deb (made by
# `make deb`; `make check-deb` runs both), with service starts refused
# (policy-rc.d, as deps.sh does), so nothing may start.  Checks what the
# package put: the programs, the user actord and /var/lib/actord, the
# units (actord.socket and actord.service enabled, the timer not), the
# man pages, pkg-config; systemd-analyze verify on the installed units.
# Then the REST smoke test against /usr/bin/actord, started by hand on a
# unix socket behind nginx (lib.sh; systemd need not run), the installed
# actorctl on the same database, and a plugin built against the installed
# header.  Then apt-get purge, which must leave nothing of it.  The user
# actord is removed again if the test made it, so the machine is left as
# it was.  Needs root (or sudo) and a machine where actord is not
# installed.  Not in make check (it installs a package): in make
# check-all and CI.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
        it_log "needs root or sudo to install a package"
        exit 1
    }
    sudo=(sudo)
fi
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
    -o Dpkg::Use-Pty=0)

deb=$(ls "$IT_ROOT"/build/deb/actord_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
    it_log "no build/deb/actord_*.deb: run make deb (or make check-deb)"
    exit 1
fi
if [ "$(dpkg-query -W -f='${db:Status-Status}' actord 2>/dev/null)" = installed ]; then
    it_log "the package actord is installed already: this test installs and"
    it_log "purges its own; remove it first (apt-get purge actord)"
    exit 1
fi

LOG=$(mktemp "${TMPDIR:-/tmp}/actord-deb-test.XXXXXX")
user_before=0
getent passwd actord >/dev/null && user_before=1
policy=/usr/sbin/policy-rc.d
made_policy=0
installed=0

# Undoes what this test did to the machine, whatever stopped it: the
# servers, the package, the user it made, the policy file it made.
deb_cleanup() {
    it_stop_servers
    if [ $installed -eq 1 ]; then
        "${apt[@]}" purge actord >>"$LOG" 2>&1 || true
        installed=0
    fi
    if [ $user_before -eq 0 ] && getent passwd actord >/dev/null; then
        "${sudo[@]}" userdel actord >>"$LOG" 2>&1 || true
        "${sudo[@]}" groupdel actord >>"$LOG" 2>&1 || true
    fi
    if [ $made_policy -eq 1 ]; then
        "${sudo[@]}" rm -f "$policy"
        made_policy=0
    fi
    if [ "$IT_FAILED" -eq 0 ]; then
        rm -f "$LOG"
    else
        it_log "apt-get's output is in $LOG"
    fi
}
# lib.sh's it_cleanup last, with the exit status it would have seen.
trap 'rc=$?; deb_cleanup; (exit $rc); it_cleanup' EXIT

# ---- install ------------------------------------------------------------------
# A package's service is not started where the policy says no (exit 101).
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from actord tests/integration/deb/test_deb.sh\nexit 101\n' |
        "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    made_policy=1
fi
installed=1
if "${apt[@]}" install "$deb" >>"$LOG" 2>&1; then
    it_pass "apt-get install ${deb##*/}"
else
    it_fail "apt-get install ${deb##*/}" "$(tail -n 10 "$LOG")"
    exit 1
fi
expect_true "dpkg says actord is installed" \
    test "$(dpkg-query -W -f='${db:Status-Status}' actord)" = installed
for f in /usr/bin/actord /usr/bin/actorctl; do
    expect_true "$f is there, executable" test -x "$f"
done
expect_true "the system user actord exists, with no login" \
    test "$(getent passwd actord | cut -d: -f7)" = /usr/sbin/nologin
expect_true "/var/lib/actord is actord's, mode 2770: $(stat -c '%U:%G %a' /var/lib/actord 2>&1)" \
    test "$(stat -c '%U:%G %a' /var/lib/actord 2>&1)" = "actord:actord 2770"
for u in actord.service actord.socket actorctl-run.service actorctl-run.timer; do
    expect_true "/lib/systemd/system/$u is installed" test -f "/lib/systemd/system/$u"
done
expect_true "actord.service is enabled (multi-user.target wants it)" \
    test -L /etc/systemd/system/multi-user.target.wants/actord.service
expect_true "actord.socket is enabled (sockets.target wants it)" \
    test -L /etc/systemd/system/sockets.target.wants/actord.socket
expect_true "actorctl-run.timer is not enabled (CGI deployments only)" \
    test ! -e /etc/systemd/system/timers.target.wants/actorctl-run.timer
started=$(ps -eo args= | grep -c '^/usr/bin/actord --db /var/lib/actord/actord.db')
expect_true "the policy refused the start: no actord service runs" \
    test "$started" -eq 0
# man_finds SECTION PAGE: man knows the page.
man_finds() {
    man -w "$1" "$2" >/dev/null 2>&1
}
for m in actord.8 actorctl.8 actord-behavior.3 actord-lua.7; do
    expect_true "man finds ${m%.*}(${m##*.})" man_finds "${m##*.}" "${m%.*}"
done
for f in index.html app.js console.css; do
    expect_true "the console's $f is in /usr/share/actord/console, where the sites serve it from" \
        test -f "/usr/share/actord/console/$f"
done
expect_true "pkg-config --variable=plugindir actord is /usr/lib/actord/plugins" \
    test "$(pkg-config --variable=plugindir actord)" = /usr/lib/actord/plugins
if command -v systemd-analyze >/dev/null; then
    out=$(systemd-analyze verify /lib/systemd/system/actord.socket \
        /lib/systemd/system/actord.service /lib/systemd/system/actorctl-run.service \
        /lib/systemd/system/actorctl-run.timer 2>&1)
    expect_true "systemd-analyze verify: the installed units, without a word${out:+: $out}" \
        test -z "$out"
else
    it_log "no systemd-analyze: the installed units are not verified (skipped)"
fi

# ---- the REST smoke test against the installed actord -------------------------
ACTORD_BIN=/usr/bin/actord
IT_ACTORD_ARGS=(--plugin-dir /usr/lib/actord/plugins)
it_start
trap 'rc=$?; deb_cleanup; (exit $rc); it_cleanup' EXIT
expect_true "nginx talks to /usr/bin/actord" \
    grep -qx /usr/bin/actord <(tr '\0' '\n' <"/proc/$ACTORD_PID/cmdline")
it_req GET /healthz
expect_ok 200 "GET /healthz" '.ok == true'
it_req PUT /actors/c1 '{"behavior":"counter","args":{"start":1}}'
expect_ok 201 "spawn the counter c1" '.behavior == "counter"'
it_req POST /actors/c1 '{"add":41}'
expect_ok 202 "send it {add: 41}" '.accepted == true'
expect_poll 10 "c1 counts 42" /actors/c1 '.state.count == 42'
it_req POST /actors/c1/calls/get
expect_ok 200 "the get call answers 42" '.message == 42'
it_req GET '/actors?behavior=counter'
expect_ok 200 "GET /actors lists c1" '[.actors[].name] == ["c1"]'
it_req_file PUT /behaviors/account /usr/share/doc/actord/examples/lua/account.lua
expect_ok 201 "upload the installed examples/lua/account.lua" '.version == 1'
it_req PUT /actors/alice '{"behavior":"account","args":{"start":100}}'
expect_status 201 "spawn a Lua account"
it_req POST /actors/alice/calls/balance
expect_ok 200 "its balance call answers 100" '.message == 100'
it_req DELETE /actors/c1
expect_ok 200 "kill c1" '.status == "killed"'
it_req POST /actors/c1 '{"add":1}'
expect_error 410 actor_dead "a send to the killed c1 answers 410"
it_req GET /nowhere
expect_error 404 not_found "an unknown path answers the JSON 404"

out=$(/usr/bin/actorctl --db "$IT_DB" get c1 2>&1)
expect_true "the installed actorctl reads c1 on the same database" \
    test "$(jq -r .status <<<"$out" 2>/dev/null)" = killed

# A plugin built against the installed header, with the system's
# pkg-config, run by the installed actorctl.
cp /usr/share/doc/actord/examples/bank/bank.c "$IT_DIR/bank.c"
# shellcheck disable=SC2046  # pkg-config's flags, one a word
if (cd "$IT_DIR" && cc -shared -fPIC $(pkg-config --cflags actord) bank.c \
    -o bank.so) >"$IT_DIR/cc.log" 2>&1; then
    it_pass "bank.c builds with \$(pkg-config --cflags actord)"
else
    it_fail "bank.c builds with \$(pkg-config --cflags actord)" "$(head -n 5 "$IT_DIR/cc.log")"
fi
ctl=(/usr/bin/actorctl --db "$IT_DIR/bank.db" --load "$IT_DIR/bank.so")
"${ctl[@]}" spawn bob account '{"start":10}' >/dev/null 2>&1
"${ctl[@]}" send bob '{"deposit":5}' >/dev/null 2>&1
"${ctl[@]}" run >/dev/null 2>&1
out=$("${ctl[@]}" get bob 2>&1)
expect_true "actorctl --load bank.so runs an account: balance $(jq -c .state.balance <<<"$out" 2>/dev/null)" \
    test "$(jq -r .state.balance <<<"$out" 2>/dev/null)" = 15
it_stop_servers

# ---- purge ----------------------------------------------------------------------
if "${apt[@]}" purge actord >>"$LOG" 2>&1; then
    installed=0
    it_pass "apt-get purge actord"
else
    it_fail "apt-get purge actord" "$(tail -n 10 "$LOG")"
fi
expect_true "dpkg no longer knows actord" \
    test -z "$(dpkg-query -W -f='${db:Status-Status}' actord 2>/dev/null | grep -v not-installed)"
left=()
for f in /usr/bin/actord /usr/bin/actorctl /usr/include/actord /usr/lib/actord \
    /usr/share/actord /usr/share/doc/actord /usr/share/pkgconfig/actord.pc \
    /usr/share/man/man8/actord.8.gz /lib/systemd/system/actord.service \
    /lib/systemd/system/actord.socket /lib/systemd/system/actorctl-run.service \
    /lib/systemd/system/actorctl-run.timer /usr/lib/sysusers.d/actord.conf \
    /var/lib/actord /etc/systemd/system/multi-user.target.wants/actord.service \
    /etc/systemd/system/sockets.target.wants/actord.socket; do
    [ -e "$f" ] || [ -L "$f" ] && left+=("$f")
done
expect_true "purge leaves nothing of it${left:+: ${left[*]}}" test ${#left[@]} -eq 0

it_finish
