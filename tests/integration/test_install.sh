#!/usr/bin/env bash
# test_install.sh - make install and make uninstall.  Installs with
# PREFIX=/usr into a temporary DESTDIR and checks the tree file by file
# (modes, no @WORD@ left unfilled, man pages that groff reads without a
# warning, actord.pc); builds examples/bank from the installed copy
# against the installed header alone, with pkg-config (PKG_CONFIG_PATH
# and PKG_CONFIG_SYSROOT_DIR into DESTDIR), by hand and with its
# Makefile; runs the installed actord
# with that plugin and the installed (empty) plugin folder behind nginx
# and drives a deposit with curl, and the installed actorctl on the same
# database; then make uninstall leaves no file.  The same with the
# default PREFIX, /usr/local.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# nginx and an actord of the build first; the installed actord takes its
# place below, on the same socket.
it_start

STAGE=$IT_DIR/stage
WORK=$IT_DIR/work
mkdir -p "$WORK"
VERSION=$(sed -n 's/^#define ACTORD_VERSION "\(.*\)"$/\1/p' "$IT_ROOT/util/version.h")
ABI=$(sed -n 's/^#define ACTOR_ABI_VERSION \([0-9]*\)$/\1/p' \
    "$IT_ROOT/include/actord/behavior.h")

# The files make install puts, below DESTDIR, with their modes; the
# optional ones (an Apache folder, a configuration file) when the tree
# has them.
expected() {
    local p=$1 etc=$2 f
    cat <<EOF
755 $p/bin/actord
755 $p/bin/actorctl
644 $p/include/actord/behavior.h
644 $p/share/pkgconfig/actord.pc
644 $p/share/man/man8/actord.8
644 $p/share/man/man8/actorctl.8
644 $p/share/man/man3/actord-behavior.3
644 $p/share/man/man7/actord-lua.7
644 $p/lib/systemd/system/actord.service
644 $p/lib/systemd/system/actord.socket
644 $p/lib/systemd/system/actorctl-run.service
644 $p/lib/systemd/system/actorctl-run.timer
644 $p/lib/sysusers.d/actord.conf
644 $p/share/actord/nginx/actord-site.conf
644 $p/share/actord/nginx/actord-errors.conf
644 $p/share/doc/actord/README.md
644 $p/share/doc/actord/examples/bank/Makefile
644 $p/share/doc/actord/examples/bank/README.md
644 $p/share/doc/actord/examples/bank/bank.c
EOF
    for f in "$IT_ROOT"/docs/*.md; do
        echo "644 $p/share/doc/actord/docs/${f##*/}"
    done
    for f in "$IT_ROOT"/examples/lua/*.lua; do
        echo "644 $p/share/doc/actord/examples/lua/${f##*/}"
    done
    for f in "$IT_ROOT"/apache/*; do
        [ -f "$f" ] && echo "644 $p/share/actord/apache/${f##*/}"
    done
    for f in "$IT_ROOT"/console/*; do
        [ -f "$f" ] && echo "644 $p/share/actord/console/${f##*/}"
    done
    [ -f "$IT_ROOT/etc/actord.conf" ] && echo "644 $etc/actord.conf"
    return 0
}

# own_dirs PREFIX SYSCONFDIR: the folders that make uninstall leaves
# below DESTDIR, even empty (the prefix's own, and those above them),
# sorted, on one line.
own_dirs() {
    local p=$1 d
    {
        for d in bin include lib share share/doc share/man; do
            echo "$p/$d"
        done
        d=$p
        while [ -n "$d" ]; do
            echo "$d"
            d=${d%/*}
        done
        [ -f "$IT_ROOT/etc/actord.conf" ] && echo "$2"
    } | sort -u | tr '\n' ' '
}

# tree DIR: every file and link below DIR as "MODE /PATH", sorted.
tree() {
    (cd "$1" && find . \( -type f -o -type l \) -printf '%m /%P\n') | sort
}

# expect_tree DESC DIR EXPECTED: the tree of DIR is EXPECTED (sorted).
expect_tree() {
    local got
    got=$(tree "$2")
    if [ "$got" = "$3" ]; then
        it_pass "$1"
    else
        mapfile -t diff < <(diff <(printf '%s\n' "$3") <(printf '%s\n' "$got"))
        it_fail "$1" "diff expected got:" "${diff[@]}"
    fi
}

# ---- make install, PREFIX=/usr --------------------------------------------
if make -s -C "$IT_ROOT" install DESTDIR="$STAGE" PREFIX=/usr \
    >"$IT_DIR/install.log" 2>&1; then
    it_pass "make install DESTDIR=... PREFIX=/usr"
else
    it_fail "make install DESTDIR=... PREFIX=/usr" "$(tail -n 5 "$IT_DIR/install.log")"
fi
expect_tree "the installed tree is every file listed, with its mode" \
    "$STAGE" "$(expected /usr /etc | sort)"
expect_true "the plugin folder is installed, empty" \
    test -d "$STAGE/usr/lib/actord/plugins" -a \
    -z "$(ls -A "$STAGE/usr/lib/actord/plugins")"

left=$(grep -rlE '@[A-Z_]+@' "$STAGE" --exclude=actord --exclude=actorctl \
    --exclude='*.md' --exclude='*.c' --exclude=Makefile 2>/dev/null)
expect_true "every @WORD@ of the templates is filled in${left:+: $left}" \
    test -z "$left"
expect_true "the units name the installed programs and folders" \
    grep -qx 'ExecStart=/usr/bin/actord --db /var/lib/actord/actord.db --plugin-dir /usr/lib/actord/plugins' \
    "$STAGE/usr/lib/systemd/system/actord.service"

if command -v groff >/dev/null; then
    for m in "$STAGE"/usr/share/man/man*/*; do
        # A control character (a \f typed as a form feed) is a warning of
        # groff's default device, not of -Tutf8.
        warn=$({
            groff -man -Tutf8 -ww -z "$m"
            grep -nP '[\x00-\x08\x0b-\x1f]' "$m"
        } 2>&1)
        expect_true "groff reads ${m##*/} without a warning${warn:+: $warn}" \
            test -z "$warn"
    done
    out=$(MANWIDTH=80 man -l "$STAGE/usr/share/man/man8/actord.8" 2>/dev/null)
    expect_true "man actord names the installed plugin folder" \
        grep -q '/usr/lib/actord/plugins' <<<"$out"
else
    it_log "no groff: the man pages are not checked"
fi

# ---- actord.pc, and a plugin built against the installed header -------------
export PKG_CONFIG_PATH=$STAGE/usr/share/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$STAGE
cflags=$(pkg-config --cflags actord 2>&1)
expect_true "pkg-config --cflags actord points into DESTDIR: $cflags" \
    grep -q -- "-I$STAGE/usr/include" <<<"$cflags"
expect_true "pkg-config --modversion actord is $VERSION" \
    test "$(pkg-config --modversion actord)" = "$VERSION"
expect_true "pkg-config's abi_version is behavior.h's ($ABI)" \
    test "$(pkg-config --variable=abi_version actord)" = "$ABI"
expect_true "pkg-config's plugindir is the installed folder" \
    test "$(pkg-config --variable=plugindir actord)" = "$STAGE/usr/lib/actord/plugins"

# From the installed copy of the example: the tree's include/ is on no
# path, so only the installed header can be found.
cp "$STAGE/usr/share/doc/actord/examples/bank/bank.c" "$WORK/bank.c"
# shellcheck disable=SC2046  # pkg-config's flags, one a word
if (cd "$WORK" && cc -shared -fPIC $(pkg-config --cflags actord) bank.c \
    -o bank.so) >"$IT_DIR/cc.log" 2>&1; then
    it_pass "cc -shared -fPIC \$(pkg-config --cflags actord) bank.c -o bank.so"
else
    it_fail "cc -shared -fPIC \$(pkg-config --cflags actord) bank.c -o bank.so" \
        "$(head -n 5 "$IT_DIR/cc.log")"
fi
# shellcheck disable=SC2046
expect_true "bank.c builds with -Wall -Wextra -Werror against it too" \
    cc -Wall -Wextra -Werror -shared -fPIC $(pkg-config --cflags actord) \
    "$WORK/bank.c" -o "$WORK/bank-strict.so"
cp -r "$STAGE/usr/share/doc/actord/examples/bank" "$WORK/bank-copy"
expect_true "make in a copy of the installed examples/bank builds bank.so" \
    make -s -C "$WORK/bank-copy"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR

# ---- the installed actord with the plugin, behind nginx --------------------
it_stop_pid "$ACTORD_PID"
ACTORD_PID=""
ACTORD_BIN=$STAGE/usr/bin/actord
IT_ACTORD_ARGS=(--plugin-dir "$STAGE/usr/lib/actord/plugins" --load "$WORK/bank.so")
it_start_actord || exit 1
# (its command line: under ACTORD_WRAP the program is valgrind)
expect_true "the installed actord is the one serving" \
    grep -qF "$ACTORD_BIN" <(tr '\0' '\n' <"/proc/$ACTORD_PID/cmdline")
it_wait_healthy
it_req GET /behaviors
expect_ok 200 "GET /behaviors lists the plugin's account" \
    '[.behaviors[].name] | index("account") != null'
it_req PUT /actors/alice '{"behavior":"account","args":{"start":100}}'
expect_ok 201 "spawn alice, an account of 100" '.behavior == "account"'
it_req POST /actors/alice '{"deposit":50}'
expect_ok 202 "deposit 50" '.accepted == true'
expect_poll 10 "alice's balance is 150" /actors/alice \
    '.state.balance == 150 and .mailbox == 0'
it_req POST /actors/alice/calls/balance
expect_ok 200 "the balance call answers 150" '.message == 150'
out=$("$STAGE/usr/bin/actorctl" --db "$IT_DB" --load "$WORK/bank.so" get alice 2>&1)
balance=$(jq -r .state.balance <<<"$out" 2>/dev/null)
expect_true "the installed actorctl reads alice's balance: ${balance:-$out}" \
    test "$balance" = 150
it_stop_pid "$ACTORD_PID"
ACTORD_PID=""

# ---- make uninstall ----------------------------------------------------------
if make -s -C "$IT_ROOT" uninstall DESTDIR="$STAGE" PREFIX=/usr \
    >"$IT_DIR/uninstall.log" 2>&1; then
    it_pass "make uninstall DESTDIR=... PREFIX=/usr"
else
    it_fail "make uninstall DESTDIR=... PREFIX=/usr" "$(tail -n 5 "$IT_DIR/uninstall.log")"
fi
expect_tree "make uninstall leaves no file" "$STAGE" ""
left=$(cd "$STAGE" && find . -mindepth 1 -type d -printf '/%P\n' | sort |
    tr '\n' ' ')
expect_true "nor any folder but the prefix's own: $left" \
    test "$left" = "$(own_dirs /usr /etc)"
expect_true "make uninstall again is fine" \
    make -s -C "$IT_ROOT" uninstall DESTDIR="$STAGE" PREFIX=/usr

# A plugin an operator added stays, with its folder.
make -s -C "$IT_ROOT" install DESTDIR="$STAGE" PREFIX=/usr >/dev/null 2>&1
cp "$WORK/bank.so" "$STAGE/usr/lib/actord/plugins/"
make -s -C "$IT_ROOT" uninstall DESTDIR="$STAGE" PREFIX=/usr >"$IT_DIR/uninstall.log" 2>&1
expect_tree "uninstall keeps the plugin it did not install" "$STAGE" \
    "755 /usr/lib/actord/plugins/bank.so"
expect_true "and says so" grep -q 'kept .*/usr/lib/actord/plugins/' \
    "$IT_DIR/uninstall.log"
rm -rf "$STAGE"

# ---- the default PREFIX: /usr/local ---------------------------------------------
make -s -C "$IT_ROOT" install DESTDIR="$STAGE" >"$IT_DIR/install.log" 2>&1
expect_tree "with no PREFIX, the tree is below /usr/local" "$STAGE" \
    "$(expected /usr/local /usr/local/etc | sort)"
expect_true "and the units name /usr/local/bin/actord" \
    grep -q '^ExecStart=/usr/local/bin/actord ' \
    "$STAGE/usr/local/lib/systemd/system/actord.service"
make -s -C "$IT_ROOT" uninstall DESTDIR="$STAGE" >/dev/null 2>&1
expect_tree "make uninstall (no PREFIX) leaves no file" "$STAGE" ""
left=$(cd "$STAGE" && find . -mindepth 1 -type d -printf '/%P\n' | sort |
    tr '\n' ' ')
expect_true "nor any folder but the prefix's own: $left" \
    test "$left" = "$(own_dirs /usr/local /usr/local/etc)"

it_finish
