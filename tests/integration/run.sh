#!/usr/bin/env bash
# run.sh - runs every tests/integration/test_*.sh, each against its own
# nginx and actord, and sums their assertions.  The last line is
# "N passed, M failed"; the exit status is 1 when an assertion failed or a
# test script crashed (a crash counts as one failure).  Each script may take
# at most IT_TIMEOUT seconds (default 300).
#
#   bash tests/integration/run.sh [test_x.sh ...]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here" || exit 1

if [ $# -gt 0 ]; then
    tests=("$@")
else
    # Every test but the browser's, test_console.sh, which needs chromium
    # and node's packages: make check-console installs them and runs it
    # (in make check-all and CI).
    tests=()
    for t in test_*.sh; do
        [ "$t" = test_console.sh ] || tests+=("$t")
    done
fi

results=$(mktemp "${TMPDIR:-/tmp}/actord-it-results.XXXXXX")
trap 'rm -f "$results"' EXIT

passed=0
failed=0
crashed=()
for t in "${tests[@]}"; do
    t=${t##*/}
    echo "== $t"
    : >"$results"
    start=$SECONDS
    IT_RESULTS=$results timeout -k 10 "${IT_TIMEOUT:-300}" bash "./$t"
    rc=$?
    p=0
    f=0
    if [ -s "$results" ]; then
        read -r p f <"$results"
    fi
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        # Died without saying why: a crash or the time limit (rc 124).
        crashed+=("$t")
        echo "== $t crashed (exit status $rc)"
        f=1
    fi
    echo "== $t: $p held, $f failed, $((SECONDS - start)) s"
    passed=$((passed + p))
    failed=$((failed + f))
done

if [ ${#crashed[@]} -gt 0 ]; then
    echo "crashed: ${crashed[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ ${#crashed[@]} -eq 0 ]
