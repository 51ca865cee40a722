#!/usr/bin/env bash
# run.sh - builds the libFuzzer targets of tests/fuzz/ and runs each for a
# while.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET ...]
#
# Each target (fuzz_shape, fuzz_route, fuzz_spawn by default) is built
# with clang -fsanitize=fuzzer,address,undefined from the project's
# sources, compiled again by clang into build/fuzz/obj (never the gcc
# objects of build/).  Its seeds, tests/fuzz/corpus/NAME/, are copied into
# a working corpus build/fuzz/corpus/NAME/, where libFuzzer keeps what it
# finds: nothing is ever written under tests/.  Each runs SECONDS (default
# 10) with a memory and a per-input time limit.  One line per target says
# runs, exec/s, coverage and "no findings" or where the crashing input
# is (build/fuzz/artifacts/NAME/); the exit status is 1 when any target
# found a crash, a leak or a timeout.  FUZZ_FRESH=1 empties the working
# corpora first; FUZZ_ARGS adds libFuzzer options.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1

secs=${1:-10}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_shape fuzz_route fuzz_spawn)

CC=${FUZZ_CC:-clang}
out=build/fuzz
obj=$out/obj
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC is missing (scripts/deps.sh installs clang)" >&2
    exit 1
fi

# The flags of the Makefile's CFLAGS, but for clang and the fuzzer.
pkg_cflags=$(pkg-config --cflags jansson sqlite3 2>/dev/null || true)
pkg_libs=$(pkg-config --libs jansson sqlite3 2>/dev/null ||
    echo -ljansson -lsqlite3)
# shellcheck disable=SC2054  # the commas are clang's
san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
# make passes the Makefile's warnings as WARN.
# shellcheck disable=SC2206  # pkg-config's flags and WARN are words
cflags=(-std=c11 -D_GNU_SOURCE ${WARN:--Wall -Wextra -Werror} -g -O1 -I.
    -Iinclude $pkg_cflags "${san[@]}")
# shellcheck disable=SC2206
libs=($pkg_libs -lfcgi -lpthread -lm)

# ---- build -----------------------------------------------------------------

mkdir -p "$obj/sql" "$out/artifacts"
sh scripts/embed-sql.sh sql/*.sql >"$obj/sql/migrations.c.new" &&
    { cmp -s "$obj/sql/migrations.c.new" "$obj/sql/migrations.c" ||
        mv "$obj/sql/migrations.c.new" "$obj/sql/migrations.c"; }
rm -f "$obj/sql/migrations.c.new"

srcs=(util/*.c store/*.c engine/*.c behaviors/*.c fcgi/*.c)
srcs+=("$obj/sql/migrations.c")

# Compiles src into its object when the object is older than the source
# or than any header of the project (headers are few; this is simpler
# than tracking dependencies).
newest_header=$(find . -path ./build -prune -o -name '*.h' -printf '%T@\n' |
    sort -n | tail -n 1)
compile() {
    local src=$1 o=$2
    if [ -f "$o" ] && [ "$o" -nt "$src" ] &&
        [ "$(stat -c %Y "$o")" -ge "${newest_header%.*}" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$o")"
    "$CC" "${cflags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$o"
}

objs=()
pids=()
for s in "${srcs[@]}"; do
    o=$obj/${s#"$obj"/}
    o=${o%.c}.o
    objs+=("$o")
    compile "$s" "$o" &
    pids+=($!)
done
build_failed=0
for p in "${pids[@]}"; do
    wait "$p" || build_failed=1
done
if [ $build_failed -ne 0 ]; then
    echo "fuzz: building the project with $CC failed" >&2
    exit 1
fi
for t in "${targets[@]}"; do
    if ! "$CC" "${cflags[@]}" -fsanitize=fuzzer -o "$out/$t" \
        "tests/fuzz/$t.c" "${objs[@]}" "${libs[@]}"; then
        echo "fuzz: building $t failed" >&2
        exit 1
    fi
done

# ---- run -------------------------------------------------------------------

found=0
for t in "${targets[@]}"; do
    name=${t#fuzz_}
    corpus=$out/corpus/$name
    arts=$out/artifacts/$name
    [ -z "${FUZZ_FRESH:-}" ] || rm -rf "$corpus"
    mkdir -p "$corpus" "$arts"
    cp -p tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true
    dict=()
    [ ! -f "tests/fuzz/$name.dict" ] || dict=(-dict="tests/fuzz/$name.dict")
    log=$out/$t.log
    # detect_leaks: LeakSanitizer runs on every input that allocates more
    # than it frees; -timeout is per input, seconds.
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$out/$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$arts/" \
        "${dict[@]}" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        verdict="no findings"
    else
        found=1
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
            tail -n 1)
        verdict="FOUND (exit $rc): ${art:-see $log}"
    fi
    printf '%-11s %ss: %s runs, %s exec/s, %s; %s\n' "$t" "$secs" \
        "${runs:-?}" "${speed:-?}" "${cov:-cov: ?}" "$verdict"
done
exit $found
