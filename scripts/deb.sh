#!/usr/bin/env bash
# deb.sh - builds the Debian package of debian/ with dpkg-buildpackage
# -us -uc -b in a copy of the tree (dpkg-buildpackage writes its results
# in the parent folder of the tree it builds, which is not ours to fill),
# then copies the .deb files into build/deb/ and prints their names.
# `make deb` runs it after scripts/deps.sh has installed debhelper.
#
#   bash scripts/deb.sh
#
# The copy holds the files git tracks or would add (not build/, nor what
# .gitignore names), as they are in the working tree.  dpkg-buildpackage's
# output goes to build/deb/build.log; on failure its end is printed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/build/deb
work=$(mktemp -d "${TMPDIR:-/tmp}/actord-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

die() {
    echo "deb.sh: $*" >&2
    exit 1
}

command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
    die "dpkg-buildpackage or dh is missing: bash scripts/deps.sh debhelper build-essential"

mkdir -p "$work/actord" "$out"
rm -f "$out"/*.deb
cd "$root"
if git rev-parse --git-dir >/dev/null 2>&1; then
    # A file deleted in the working tree but still tracked is left out.
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            [ -e "$f" ] && printf '%s\0' "$f"
        done | tar --null -T - -cf - | tar -xf - -C "$work/actord"
else
    tar --exclude=./build --exclude=./run --exclude='*.db*' -cf - . |
        tar -xf - -C "$work/actord"
fi

echo "deb.sh: dpkg-buildpackage -us -uc -b in $work/actord (log: $out/build.log)"
if ! (cd "$work/actord" &&
    DEB_BUILD_OPTIONS="parallel=${DEB_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -n 30 "$out/build.log" >&2
    die "dpkg-buildpackage failed; the whole log is $out/build.log"
fi
cp "$work"/*.deb "$out/"
ls -1 "$out"/*.deb
