#!/usr/bin/env bash
# run.sh - `make bench`: builds the benchmark programs into build/bench/,
# runs them side by side with their bare yardsticks, and prints one table:
#
#   figure | actord | yardstick | ratio
#
# ratio is actord / yardstick for rates (1.00 = as fast as the bare
# limit), yardstick / actord for times, so above 1 is always better for
# actord, except in the disk rows (bytes / the goal's 200: at most 1 meets
# it) and the memory rows (RSS at more idle actors / RSS at fewer: near 1
# is flat).  In the rows of a figure against itself at another size (the
# crowd rows, selective receive, paging, /healthz with 10,000 parked
# long-polls) the yardstick is actord's own figure at the small size, and
# near 1 is flat.
# Nothing is asserted: the figures are for reading, not for passing.
# Every database lives in a temporary folder removed at exit; the crowd
# of a million idle counters (bench/crowd.c) needs about 200 MB there.
#
# The HTTP rows (bench/http.sh) need nginx and wrk: make bench installs
# them with scripts/deps.sh first.  When either is missing this script
# says so and exits 1 before it runs anything; when the HTTP runs fail it
# prints the other rows, then the error, and exits 1.  BENCH_HTTP=0 skips
# the HTTP rows, and says so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
OUT=build/bench
CC=${CC:-cc}
# make bench passes the Makefile's warnings as WARN.
CFLAGS="-std=c11 -D_GNU_SOURCE -O2 ${WARN:--Wall -Wextra -Werror} -I. -Iinclude"
# The engine installs Lua (lua/) for uploaded behaviours: the Lua rows.
LUA_LIBS=$(pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4)
LIBS="-ljansson -lsqlite3 $LUA_LIBS -lfcgi -lpthread -lm -ldl"

if [ ! -f build/libactord.a ]; then
    echo "bench: build/libactord.a is missing: run make first" >&2
    exit 1
fi
if [ "${BENCH_HTTP:-1}" != 0 ]; then
    missing=""
    command -v wrk >/dev/null || missing="wrk"
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] ||
        missing="${missing:+$missing and }nginx"
    if [ -n "$missing" ]; then
        case $missing in *" and "*) missing="$missing are" ;; *) missing="$missing is" ;; esac
        echo "bench: ERROR: $missing missing, so the HTTP rows cannot run." >&2
        echo "bench: install with: bash scripts/deps.sh wrk" \
            "(make bench does), or skip them with BENCH_HTTP=0" >&2
        exit 1
    fi
fi
mkdir -p "$OUT"
for prog in bare_sqlite engine crowd bare_fcgi; do
    # shellcheck disable=SC2086
    $CC $CFLAGS "bench/$prog.c" build/libactord.a $LIBS -o "$OUT/$prog"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/actord-bench.XXXXXX")
# bench/http.sh runs in the background (HTTP_PID) so that whatever ends
# this script, its EXIT trap stops http.sh, whose own trap stops the
# servers it started.
HTTP_PID=""
bench_exit() {
    if [ -n "$HTTP_PID" ]; then
        kill -TERM "$HTTP_PID" 2>/dev/null || true
        wait "$HTTP_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap bench_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== machine"
echo "cores:  $(nproc)"
echo "cpu:    $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "kernel: $(uname -sr)"
echo "disk:   temp folder on $(df -P "$TMP" | awk 'NR == 2 { print $1 }')"

echo "== running (a few minutes)"
"$OUT/bare_sqlite" "$TMP" >"$TMP/bare.txt"
"$OUT/engine" "$TMP" speed >"$TMP/engine.txt"
"$OUT/engine" "$TMP" idle 1000 >"$TMP/idle1k.txt"
"$OUT/engine" "$TMP" idle 10000 >"$TMP/idle10k.txt"
"$OUT/engine" "$TMP" idle 100000 >"$TMP/idle100k.txt"
"$OUT/engine" "$TMP" selective >"$TMP/selective.txt"
# The ring and the batched cycle in Lua (bench/lua/), each run in turn
# with its C twin, whose figures are the yardsticks of the Lua rows.
"$OUT/engine" "$TMP" lua >"$TMP/lua.txt"
# Crowds of idle counters (see bench/crowd.c for how they are made): each
# is made, then measured by a process of its own (pages, sends, RSS), then
# the step cycle runs among the smallest and the largest.
: >"$TMP/crowd.txt"
for n in 1000 10000 100000 1000000; do
    "$OUT/crowd" "$TMP" "$n" >>"$TMP/crowd.txt"
    "$OUT/engine" "$TMP" crowd "$n" >>"$TMP/crowd.txt"
    case $n in
    1000 | 1000000) "$OUT/engine" "$TMP" crowd-steps "$n" >>"$TMP/crowd.txt" ;;
    esac
    rm -f "$TMP"/crowd.db "$TMP"/crowd.db-wal "$TMP"/crowd.db-shm
done
: >"$TMP/http.txt"
http_rc=0
if [ "${BENCH_HTTP:-1}" != 0 ]; then
    bash bench/http.sh >"$TMP/http.txt" 2>"$TMP/http.err" &
    HTTP_PID=$!
    wait "$HTTP_PID" || http_rc=$?
    HTTP_PID=""
else
    echo "bench: BENCH_HTTP=0: the HTTP rows are skipped" >&2
fi

echo "sqlite: $(awk '$1 == "sqlite_version" { print $2 }' "$TMP/bare.txt")"
echo

cat "$TMP"/bare.txt "$TMP"/engine.txt "$TMP"/idle1k.txt \
    "$TMP"/idle10k.txt "$TMP"/idle100k.txt "$TMP"/selective.txt \
    "$TMP"/lua.txt "$TMP"/crowd.txt "$TMP"/http.txt |
    awk -v http="$([ "${BENCH_HTTP:-1}" = 0 ] && echo 0 || echo 1)" '
    { v[$1] = $2 }
    function row(fig, a, y, r) {
        printf "| %-50s | %12s | %12s | %6s |\n", fig, a, y, r
    }
    function ratio(x, y) { return (y > 0) ? sprintf("%.2f", x / y) : "-" }
    function ms(x) { return sprintf("%.3f", x) }
    END {
        row("figure", "actord", "yardstick", "ratio")
        printf "|%s|%s|%s|%s|\n", "----------------------------------------------------",
            "--------------", "--------------", "--------"
        bare_ring = 20002 / v["bare_step_tx1000"]
        row("ring of 10,000: seconds vs bare (goal >= 1.0)",
            sprintf("%.3f", v["ring_s"]), sprintf("%.3f", bare_ring),
            ratio(bare_ring, v["ring_s"]))
        row("ring of 10,000: steps/s vs bare 1000/tx",
            sprintf("%.0f", 20002 / v["ring_s"]), v["bare_step_tx1000"],
            ratio(20002 / v["ring_s"], v["bare_step_tx1000"]))
        row("batched steps/s vs bare 100/tx (goal >= 0.80)",
            v["batched_steps_per_s"], v["bare_step_tx100"],
            ratio(v["batched_steps_per_s"], v["bare_step_tx100"]))
        row("single-commit steps/s vs bare 1/tx (goal >= 0.80)",
            v["single_steps_per_s"], v["bare_step_tx1"],
            ratio(v["single_steps_per_s"], v["bare_step_tx1"]))
        # Lua against C (bench/lua/), both timed in turn in one process.
        row("Lua ring of 10,000: seconds vs C (goal >= 0.50)",
            sprintf("%.3f", v["lua_ring_s"]), sprintf("%.3f", v["lua_c_ring_s"]),
            ratio(v["lua_c_ring_s"], v["lua_ring_s"]))
        row("Lua ring of 10,000: steps/s vs C ring",
            sprintf("%.0f", v["lua_ring_steps"] / v["lua_ring_s"]),
            sprintf("%.0f", v["lua_ring_steps"] / v["lua_c_ring_s"]),
            ratio(v["lua_c_ring_s"], v["lua_ring_s"]))
        row("Lua batched steps/s vs C batched (goal >= 0.50)",
            v["lua_batched_steps_per_s"], v["lua_c_batched_steps_per_s"],
            ratio(v["lua_batched_steps_per_s"], v["lua_c_batched_steps_per_s"]))
        row("spawns/s 1/tx vs bare insert 1/tx (goal >= 0.70)",
            v["spawns_per_s"], v["bare_insert_tx1"],
            ratio(v["spawns_per_s"], v["bare_insert_tx1"]))
        row("spawns/s, ring step (goal >= 100,000) vs 1000/tx",
            v["ring_spawns_per_s"], v["bare_insert_tx1000"],
            ratio(v["ring_spawns_per_s"], v["bare_insert_tx1000"]))
        row("disk bytes per idle actor, 100,000 (goal <= 200)",
            v["idle_100000_bytes_per_actor"], "200 (goal)",
            ratio(v["idle_100000_bytes_per_actor"], 200))
        row("max RSS KiB, 100,000 idle vs 1,000 idle",
            v["idle_100000_maxrss_kb"], v["idle_1000_maxrss_kb"],
            ratio(v["idle_100000_maxrss_kb"], v["idle_1000_maxrss_kb"]))
        row("max RSS KiB, 100,000 idle vs 10,000 idle",
            v["idle_100000_maxrss_kb"], v["idle_10000_maxrss_kb"],
            ratio(v["idle_100000_maxrss_kb"], v["idle_10000_maxrss_kb"]))
        # Goal 5 over crowds made by bench/crowd.c.
        row("disk B/idle actor, 10,000 crowd (goal <= 200)",
            v["crowd_10000_bytes_per_actor"], "200 (goal)",
            ratio(v["crowd_10000_bytes_per_actor"], 200))
        row("disk B/idle actor, 100,000 crowd (goal <= 200)",
            v["crowd_100000_bytes_per_actor"], "200 (goal)",
            ratio(v["crowd_100000_bytes_per_actor"], 200))
        row("disk B/idle actor, 1,000,000 crowd (goal <= 200)",
            v["crowd_1000000_bytes_per_actor"], "200 (goal)",
            ratio(v["crowd_1000000_bytes_per_actor"], 200))
        row("max RSS KiB, 100,000 crowd vs 10,000 crowd",
            v["crowd_100000_maxrss_kb"], v["crowd_10000_maxrss_kb"],
            ratio(v["crowd_100000_maxrss_kb"], v["crowd_10000_maxrss_kb"]))
        row("max RSS KiB, 1,000,000 crowd vs 10,000 crowd",
            v["crowd_1000000_maxrss_kb"], v["crowd_10000_maxrss_kb"],
            ratio(v["crowd_1000000_maxrss_kb"], v["crowd_10000_maxrss_kb"]))
        # Goal 6.
        row("steps/s, 1,000,000 idle vs 1,000 (goal >= 0.95)",
            v["crowd_1000000_steps_per_s"], v["crowd_1000_steps_per_s"],
            ratio(v["crowd_1000000_steps_per_s"], v["crowd_1000_steps_per_s"]))
        row("selective: ms/match, 10,000 unmatched vs none",
            ms(v["selective_match_ms_10000"]), ms(v["selective_match_ms_0"]),
            ratio(v["selective_match_ms_0"], v["selective_match_ms_10000"]))
        row("selective: ms/match vs one pass over 10,000",
            ms(v["selective_match_ms_10000"]), ms(v["selective_pass_ms"]),
            ratio(v["selective_pass_ms"], v["selective_match_ms_10000"]))
        row("eng_list ms/page of 100, 500,000 deep vs first",
            ms(v["crowd_1000000_page_mid_ms"]),
            ms(v["crowd_1000000_page_first_ms"]),
            ratio(v["crowd_1000000_page_first_ms"],
                  v["crowd_1000000_page_mid_ms"]))
        row("eng_list ms/page of 100, end of 1,000,000 vs first",
            ms(v["crowd_1000000_page_last_ms"]),
            ms(v["crowd_1000000_page_first_ms"]),
            ratio(v["crowd_1000000_page_first_ms"],
                  v["crowd_1000000_page_last_ms"]))
        # bench/http.sh: actord behind nginx against bare_fcgi behind the
        # same nginx, wrk -t2 at 8 and at 32 connections.  The p99 ratio
        # is bare / actord, as for the other times.
        if (http) {
            hrow("HTTP POST {\"add\":1} req/s", "post", "rps", " (goal >= 0.70)")
            hrow("HTTP POST {\"add\":1} p99 ms", "post", "p99_ms", "")
            hrow("HTTP GET /actors/c1 req/s", "get", "rps", "")
            hrow("HTTP GET /actors/c1 p99 ms", "get", "p99_ms", "")
            hrow("HTTP GET /healthz req/s", "healthz", "rps", "")
            hrow("HTTP GET /healthz p99 ms", "healthz", "p99_ms", "")
            # The same nginx and actord with 10,000 long-polls parked
            # against none, wrk -t2 -c8 each, one after the other.
            prow("HTTP /healthz p99 ms, 10k parked vs 0 (goal >= 0.50)",
                 "p99_ms")
            prow("HTTP /healthz req/s, 10k parked vs 0", "rps")
        }
    }
    # prow(label, figure): GET /healthz with 10,000 parked long-polls
    # against none; "-" for a run that failed.
    function prow(label, fig,   a, y, r) {
        a = v["http_actord_healthz_parked10k_" fig]
        y = v["http_actord_healthz_idle_" fig]
        if (a == "" || y == "") r = "-"
        else if (fig == "rps") r = ratio(a, y)
        else r = ratio(y, a)
        row(label, (a == "") ? "-" : a, (y == "") ? "-" : y, r)
    }
    # hrow(label, shape, figure, goal): the rows of one shape and figure at
    # -c8 and -c32; "-" for a run that failed.
    function hrow(label, shape, fig, goal,   i, c, a, y, r) {
        for (i = 1; i <= 2; i++) {
            c = (i == 1) ? 8 : 32
            a = v["http_actord_" shape "_c" c "_" fig]
            y = v["http_bare_" shape "_c" c "_" fig]
            if (a == "" || y == "") r = "-"
            else if (fig == "rps") r = ratio(a, y)
            else r = ratio(y, a)
            row(sprintf("%s -c%d%s", label, c,
                        (i == 1 && goal != "") ? goal : " vs bare"),
                (a == "") ? "-" : a, (y == "") ? "-" : y, r)
        }
    }'
if [ "$http_rc" -ne 0 ]; then
    echo >&2
    echo "bench: ERROR: the HTTP rows failed (bench/http.sh exit status" \
        "$http_rc); its messages:" >&2
    tail -n 30 "$TMP/http.err" >&2
    exit 1
fi
