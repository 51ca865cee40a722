#!/usr/bin/env bash
# install.sh - what `make install` and `make uninstall` do, from one list
# of the files installed (manifest, below), so that uninstall removes
# exactly what install put.
#
#   bash scripts/install.sh install     copy every file, filling in the
#                                       @NAME@ words of the templates
#   bash scripts/install.sh uninstall   remove them, and the folders
#                                       they leave empty (not the
#                                       prefix's own: bin, share/man...)
#   bash scripts/install.sh list        print the paths install writes
#
# The Makefile passes the variables: DESTDIR (a staging root, such as a
# package's; may be empty), PREFIX, BINDIR, INCLUDEDIR, LIBDIR, PLUGINDIR,
# DATADIR, MANDIR, DOCDIR, SHAREDIR, PKGCONFIGDIR, SYSCONFDIR,
# SYSTEMDUNITDIR, SYSUSERSDIR, VERSION, and B (the build folder that holds
# actord and actorctl).  The paths are the final ones, which the programs
# and units name; DESTDIR goes before each only when writing.
#
# A configuration file (etc/actord.conf, when the tree has one) is never
# overwritten: an existing one is kept, and uninstall removes it only when
# it is still the file that was installed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() {
    echo "install.sh: $*" >&2
    exit 1
}

vars=(PREFIX BINDIR INCLUDEDIR LIBDIR PLUGINDIR DATADIR MANDIR DOCDIR
    SHAREDIR PKGCONFIGDIR SYSCONFDIR SYSTEMDUNITDIR SYSUSERSDIR VERSION B)
for v in "${vars[@]}"; do
    [ -n "${!v:-}" ] || die "$v is not set: run make install or make uninstall"
done
DESTDIR=${DESTDIR:-}
case $DESTDIR in
'' | /*) ;;
*) DESTDIR=$PWD/$DESTDIR ;; # relative to where make ran (the tree)
esac

# The ABI that plugins are built for, for actord.pc.
ABI=$(sed -n 's/^#define ACTOR_ABI_VERSION \([0-9][0-9]*\)$/\1/p' \
    include/actord/behavior.h)
[ -n "$ABI" ] || die "no ACTOR_ABI_VERSION in include/actord/behavior.h"

# ---- the manifest ---------------------------------------------------------
# One call a file: KIND MODE SOURCE DEST, KIND one of
#   file  copied as it is
#   tmpl  copied with its @NAME@ words filled in (render)
#   conf  a configuration file: never overwritten
# and one call a folder of actord's own (removed by uninstall once empty,
# deepest first): dir - - DEST.
manifest() {
    local f
    "$@" file 755 "$B/actord" "$BINDIR/actord"
    "$@" file 755 "$B/actorctl" "$BINDIR/actorctl"

    # Plugins: the header, pkg-config's file, the folder of the units.
    "$@" file 644 include/actord/behavior.h "$INCLUDEDIR/actord/behavior.h"
    "$@" tmpl 644 dist/actord.pc.in "$PKGCONFIGDIR/actord.pc"
    "$@" dir - - "$PLUGINDIR"
    "$@" dir - - "$LIBDIR/actord"
    "$@" dir - - "$INCLUDEDIR/actord"

    "$@" tmpl 644 man/actord.8 "$MANDIR/man8/actord.8"
    "$@" tmpl 644 man/actorctl.8 "$MANDIR/man8/actorctl.8"
    "$@" tmpl 644 man/actord-behavior.3 "$MANDIR/man3/actord-behavior.3"
    "$@" tmpl 644 man/actord-lua.7 "$MANDIR/man7/actord-lua.7"

    # systemd: the units, and the user they run as.
    "$@" tmpl 644 dist/systemd/actord.service.in "$SYSTEMDUNITDIR/actord.service"
    "$@" tmpl 644 dist/systemd/actord.socket.in "$SYSTEMDUNITDIR/actord.socket"
    "$@" tmpl 644 dist/systemd/actorctl-run.service.in \
        "$SYSTEMDUNITDIR/actorctl-run.service"
    "$@" tmpl 644 dist/systemd/actorctl-run.timer.in \
        "$SYSTEMDUNITDIR/actorctl-run.timer"
    "$@" file 644 dist/actord.sysusers "$SYSUSERSDIR/actord.conf"

    # Web server configurations, to copy into /etc/nginx or /etc/apache2.
    "$@" file 644 nginx/actord-site.conf "$SHAREDIR/nginx/actord-site.conf"
    "$@" file 644 nginx/actord-errors.conf "$SHAREDIR/nginx/actord-errors.conf"
    local apache=0
    for f in apache/*; do
        if [ -f "$f" ]; then
            "$@" file 644 "$f" "$SHAREDIR/apache/${f##*/}"
            apache=1
        fi
    done
    "$@" dir - - "$SHAREDIR/nginx"
    if [ $apache -eq 1 ]; then
        "$@" dir - - "$SHAREDIR/apache"
    fi

    # The web console: static files the sites above serve at /console/.
    for f in console/*; do
        [ -f "$f" ] && "$@" file 644 "$f" "$SHAREDIR/console/${f##*/}"
    done
    "$@" dir - - "$SHAREDIR/console"
    "$@" dir - - "$SHAREDIR"

    if [ -f etc/actord.conf ]; then
        "$@" conf 644 etc/actord.conf "$SYSCONFDIR/actord.conf"
    fi

    # Documentation, in the layout the README's links expect.
    "$@" file 644 README.md "$DOCDIR/README.md"
    for f in docs/*.md; do
        "$@" file 644 "$f" "$DOCDIR/$f"
    done
    for f in examples/bank/Makefile examples/bank/README.md \
        examples/bank/bank.c examples/lua/*.lua; do
        "$@" file 644 "$f" "$DOCDIR/$f"
    done
    "$@" dir - - "$DOCDIR/docs"
    "$@" dir - - "$DOCDIR/examples/bank"
    "$@" dir - - "$DOCDIR/examples/lua"
    "$@" dir - - "$DOCDIR/examples"
    "$@" dir - - "$DOCDIR"
}

# ---- the actions -------------------------------------------------------------

# render SOURCE: SOURCE with its @NAME@ words filled in, on stdout; fails
# when a word is left that it does not know.
render() {
    local out
    out=$(sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@BINDIR@|$BINDIR|g" \
        -e "s|@INCLUDEDIR@|$INCLUDEDIR|g" -e "s|@LIBDIR@|$LIBDIR|g" \
        -e "s|@PLUGINDIR@|$PLUGINDIR|g" -e "s|@DOCDIR@|$DOCDIR|g" \
        -e "s|@SHAREDIR@|$SHAREDIR|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" \
        -e "s|@SYSTEMDUNITDIR@|$SYSTEMDUNITDIR|g" -e "s|@VERSION@|$VERSION|g" \
        -e "s|@ABI@|$ABI|g" "$1") || return 1
    if grep -q '@[A-Z_]*@' <<<"$out"; then
        echo "install.sh: $1: $(grep -o '@[A-Z_]*@' <<<"$out" | head -n 1) is not filled in" >&2
        return 1
    fi
    printf '%s\n' "$out"
}

do_install() {
    local kind=$1 mode=$2 src=$3 dest=$DESTDIR$4
    case $kind in
    dir)
        install -d -m 755 "$dest"
        return
        ;;
    esac
    [ -f "$src" ] || die "$src is missing"
    install -d -m 755 "${dest%/*}"
    case $kind in
    file)
        install -m "$mode" "$src" "$dest"
        ;;
    tmpl)
        render "$src" >"$dest.tmp" || {
            rm -f "$dest.tmp"
            exit 1
        }
        chmod "$mode" "$dest.tmp"
        mv -f "$dest.tmp" "$dest"
        ;;
    conf)
        if [ -e "$dest" ]; then
            echo "kept $dest: it exists (the new one is $root/$src)"
            return
        fi
        install -m "$mode" "$src" "$dest"
        ;;
    esac
    echo "installed $dest"
}

# prune PATH: removes the folders above PATH (a final path) that are left
# empty, such as /usr/local/lib/systemd/system that install made, up to
# one of the prefix's own (PREFIX, bin, include, lib, share, share/man,
# share/doc, the configuration folder) or a folder of the root (/etc,
# /lib), which stay even when empty.
prune() {
    local d=${1%/*} k
    local -a keep=("$PREFIX" "$BINDIR" "$INCLUDEDIR" "$LIBDIR" "$DATADIR"
        "$MANDIR" "$DATADIR/doc" "$SYSCONFDIR")
    while [ "${d#/*/}" != "$d" ]; do
        for k in "${keep[@]}"; do
            [ "$d" != "$k" ] || return 0
        done
        rmdir "$DESTDIR$d" 2>/dev/null || return 0
        echo "removed $DESTDIR$d/"
        d=${d%/*}
    done
}

# Folders of actord's own are removed once empty (the manifest lists them
# after their files); so are the folders above a file or folder removed.
do_uninstall() {
    local kind=$1 src=$3 dest=$DESTDIR$4
    case $kind in
    dir)
        [ -d "$dest" ] || return 0
        if rmdir "$dest" 2>/dev/null; then
            echo "removed $dest/"
        elif [ "$4" = "$PLUGINDIR" ]; then
            echo "kept $dest/: it holds plugins that make install did not put there"
            return 0
        fi
        ;;
    conf)
        [ -e "$dest" ] || return 0
        if cmp -s "$src" "$dest"; then
            rm -f "$dest"
            echo "removed $dest"
        else
            echo "kept $dest: it was changed after it was installed"
            return 0
        fi
        ;;
    *)
        [ -e "$dest" ] || [ -L "$dest" ] || return 0
        rm -f "$dest"
        echo "removed $dest"
        ;;
    esac
    prune "$4"
}

do_list() {
    if [ "$1" = dir ]; then
        echo "$DESTDIR$4/"
    else
        echo "$DESTDIR$4"
    fi
}

case ${1:-} in
install)
    [ -x "$B/actord" ] && [ -x "$B/actorctl" ] ||
        die "$B/actord or $B/actorctl is missing: run make first"
    manifest do_install
    ;;
uninstall) manifest do_uninstall ;;
list) manifest do_list ;;
*)
    echo "usage: bash scripts/install.sh install|uninstall|list" >&2
    exit 2
    ;;
esac
