#!/usr/bin/env bash
# deps.sh - makes sure the Debian packages that actord needs are installed.
#
#   bash scripts/deps.sh [EXTRA_PACKAGE ...]
#
# Checks with dpkg-query what building (gcc make pkg-config libfcgi-dev
# libjansson-dev libsqlite3-dev liblua5.4-dev check; clang and libclang-rt-14-dev, whose
# libclang_rt.fuzzer is libFuzzer, for tests/fuzz; clang-format for make
# format-check) and running or testing
# (an nginx that provides /usr/sbin/nginx, sqlite3, curl, jq; prometheus
# for promtool, which checks GET /metrics; apache2 for
# tests/integration/test_apache.sh, which starts its own on loopback) need, plus
# any package named on the command line (.ci/run adds valgrind, make bench
# adds wrk for the HTTP rows of bench/http.sh, make deb adds debhelper and
# build-essential for dpkg-buildpackage).  One name is not a package:
# browser-test (make check-console) stands for chromium, and node and npm
# (nodejs and npm, unless an npm is there already), then runs `npm ci` in
# tests/browser when its node_modules is missing or older than its
# package-lock.json (playwright-core, from the npm registry; it downloads
# no browser: the test drives Debian's chromium).  When all
# are there it prints nothing and exits 0.  Otherwise it says in one line
# what is missing and installs it with apt-get, as root or through sudo.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
browser_test=0
args=()
for a in "$@"; do
    if [ "$a" = browser-test ]; then
        browser_test=1
        args+=(chromium)
        command -v npm >/dev/null 2>&1 || args+=(nodejs npm)
    else
        args+=("$a")
    fi
done
set -- "${args[@]}"

# npm_ci: tests/browser's packages, as its package-lock.json pins them.
npm_ci() {
    local dir=$root/tests/browser
    [ "$browser_test" -eq 1 ] || return 0
    if [ -d "$dir/node_modules/playwright-core" ] &&
        [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
        return 0
    fi
    echo "deps.sh: installing tests/browser's npm packages (npm ci)"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) ||
        { echo "deps.sh: npm ci in $dir failed" >&2; exit 1; }
}

build_pkgs=(gcc make pkg-config libfcgi-dev libjansson-dev libsqlite3-dev
    liblua5.4-dev check
    clang libclang-rt-14-dev clang-format)
run_pkgs=(sqlite3 curl jq prometheus apache2)
wanted=("${build_pkgs[@]}" "${run_pkgs[@]}" "$@")

# One dpkg-query for all of them: it lists the packages it knows, with their
# state, and complains on stderr about the ones it has never heard of.
declare -A state=()
while read -r name status; do
    state[${name%%:*}]=$status
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
             "${wanted[@]}" 2>/dev/null || true)

missing=()
for p in "${wanted[@]}"; do
    [ "${state[$p]:-}" = installed ] || missing+=("$p")
done
# Any nginx will do (nginx-light, nginx-core, nginx-full, nginx): what the
# project uses is the binary.
nginx_missing=0
[ -x /usr/sbin/nginx ] || nginx_missing=1

if [ ${#missing[@]} -eq 0 ] && [ $nginx_missing -eq 0 ]; then
    npm_ci
    exit 0
fi

shown=("${missing[@]}")
[ $nginx_missing -eq 0 ] || shown+=(nginx-light)
echo "deps.sh: missing Debian packages: ${shown[*]}; installing them with apt-get"

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "deps.sh: not root and no sudo; as root run: apt-get install ${shown[*]}" >&2
        exit 1
    fi
    sudo=(sudo)
fi
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)

log=$(mktemp "${TMPDIR:-/tmp}/actord-deps.XXXXXX")
policy=/usr/sbin/policy-rc.d
made_policy=0
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    # Only the policy file this script created is removed.
    if [ "$made_policy" -eq 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
    rm -f "$log"
}
trap cleanup EXIT

fail() {
    echo "deps.sh: $1; the last lines of apt-get's output:" >&2
    tail -n 20 "$log" >&2
    exit 1
}

"${apt[@]}" -q update >"$log" 2>&1 || fail "apt-get update failed"

if [ $nginx_missing -eq 1 ]; then
    # nginx-light is Debian 12's small nginx; later releases ship only nginx.
    if apt-cache show nginx-light >/dev/null 2>&1; then
        missing+=(nginx-light)
    else
        missing+=(nginx)
    fi
fi

# Installing nginx (or apache2) would start a system nginx (or Apache) on
# port 80.  We do not want it, and where port 80 is taken its failure could
# fail the install, so
# service starts are refused while we install (the Docker convention).
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from actord scripts/deps.sh\nexit 101\n' |
        "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    made_policy=1
fi

if ! "${apt[@]}" -q -y -o Dpkg::Use-Pty=0 --no-install-recommends \
        install "${missing[@]}" >>"$log" 2>&1; then
    # A package whose start script failed is unpacked but not configured;
    # configuring again is all it needs once starts are refused.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a \
        >>"$log" 2>&1 || true
    "${apt[@]}" -q -y -o Dpkg::Use-Pty=0 --no-install-recommends \
        install "${missing[@]}" >>"$log" 2>&1 ||
        fail "apt-get install ${missing[*]} failed"
fi

[ -x /usr/sbin/nginx ] || fail "/usr/sbin/nginx is still missing"
npm_ci
exit 0
