#!/usr/bin/env bash
# test_backup.sh - actorctl backup of a live database under a load of
# sends through nginx, then a restore: a fresh actord started on the copy
# answers for the actors with states of one committed prefix of the
# sends, and actorctl check passes on the copy.
#
# The load is two bounded loops of curl POSTs to 20 counters, each
# logging a line per 202; the sends logged before the backup began are a
# lower bound of what the copy holds, those logged once it ended an upper
# bound.  Each send is one transaction, so in any committed prefix a
# counter's count plus the adds still in its mailbox is the number of its
# sends committed, and its stored mailbox count equals its rows.
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl
N=20         # counters
PER_LOADER=250

it_start

for ((i = 0; i < N; i++)); do
    it_req PUT "/actors/c$i" '{"behavior":"counter"}'
    [ "$IT_STATUS" = 201 ] || it_fail "spawn c$i" "$(it_last)"
done
it_pass "spawned $N counters"

# load LOG SEED: PER_LOADER sends, an add to counter (i*7+SEED) % N, and
# every tenth a message no counter reads (it stays in the mailbox).
load() {
    local log=$1 seed=$2 i c body code
    for ((i = 0; i < PER_LOADER; i++)); do
        c=$(((i * 7 + seed) % N))
        if ((i % 10 == 9)); then body='{"hello":1}'; else body='{"add":1}'; fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
            -X POST -H 'Content-Type: application/json' --data-binary "$body" \
            "$IT_BASE/actors/c$c") || true
        [ "$code" = 202 ] && echo "c$c $body" >>"$log"
    done
}
SENT=$IT_DIR/sent.log
: >"$SENT"
load "$SENT" 0 &
L1=$!
load "$SENT" 3 &
L2=$!
IT_OTHER_PIDS+=("$L1" "$L2")

# Mid-load: once 100 sends are in.
for ((i = 0; i < 300; i++)); do
    [ "$(wc -l <"$SENT")" -ge 100 ] && break
    sleep 0.05
done
adds() { grep -c '"add"' "$SENT" || true; }
low=$(adds)
# Small steps with pauses, so that actord commits between them: the copy
# must still be one snapshot.
out=$("$CTL" --db "$IT_DB" backup --pages 2 --pause 20 "$IT_DIR/backup.db" 2>&1)
rc=$?
high=$(adds)
expect_true "actorctl backup under load exits 0 ($out)" test "$rc" = 0
expect_true "it says what it wrote" grep -q "^backup $IT_DIR/backup.db: [0-9]* bytes in [0-9]* ms" <<<"$out"
expect_true "the backup began mid-load ($low adds sent before it)" test "$low" -ge 90 -a "$low" -lt $((2 * PER_LOADER * 9 / 10))

wait "$L1" "$L2"
IT_OTHER_PIDS=()
total=$(adds)
expect_true "the load went on during the backup ($low before, $high after, $total in all)" test "$total" -gt "$high"

B=$IT_DIR/backup.db
bsql() { sqlite3 -batch -noheader "$B" "$1"; }
tmps=("$IT_DIR"/backup.db.tmp*)
expect_true "no temporary file is left beside the copy" test ! -e "${tmps[0]}"
r=$(bsql 'PRAGMA integrity_check')
expect_true "PRAGMA integrity_check of the copy: $r" test "$r" = ok
out=$("$CTL" --db "$B" check 2>&1)
rc=$?
expect_true "actorctl check passes on the copy" test "$rc" = 0
[ "$rc" = 0 ] || it_log "$out"

# The copy is one committed prefix: counts plus queued adds lie between
# the sends done before it began and those done when it ended.
counted=$(bsql "SELECT sum(json_extract(state, '\$.count')) FROM actors WHERE behavior = 'counter'")
queued=$(bsql "SELECT count(*) FROM messages WHERE json_extract(body, '\$.add') IS NOT NULL")
held=$((counted + queued))
expect_true "the copy holds $held adds ($counted counted, $queued queued): $low <= $held <= $high" \
    test "$low" -le "$held" -a "$held" -le "$high"
bad=$(bsql "SELECT count(*) FROM actors a WHERE a.mailbox <> (SELECT count(*) FROM messages m WHERE m.actor = a.id)")
expect_true "in the copy every stored mailbox count equals its rows" test "$bad" = 0

# Every counter in the copy, beside the live database once the load has
# been run: never ahead of it.
for ((i = 0; i < 100; i++)); do
    live_left=$(it_sql "SELECT count(*) FROM messages WHERE json_extract(body, '\$.add') IS NOT NULL")
    [ "$live_left" = 0 ] && break
    sleep 0.1
done
behind=1
declare -A copy_count
for ((i = 0; i < N; i++)); do
    copy_count[c$i]=$(bsql "SELECT json_extract(state, '\$.count') FROM actors WHERE name = 'c$i'")
    live=$(it_sql "SELECT json_extract(state, '\$.count') FROM actors WHERE name = 'c$i'")
    want=$(grep -c "^c$i {\"add\"" "$SENT" || true)
    if [ "${copy_count[c$i]}" -gt "$live" ] || [ "$live" != "$want" ]; then
        behind=0
        it_log "c$i: copy ${copy_count[c$i]}, live $live, sent $want"
    fi
done
expect_true "each counter's count in the copy <= its live count, which is exact" test "$behind" = 1

# The restore: actord stopped, a fresh one started on the copy behind the
# same nginx.
it_stop_pid "$ACTORD_PID"
ACTORD_PID=""
IT_DB=$B
it_start_actord || exit 1
expect_true "nginx answers again from the actord on the copy" it_wait_healthy
it_req GET '/actors?behavior=counter&limit=100'
expect_ok 200 "GET /actors lists the $N counters of the copy" \
    '(.actors | length) == $n' --argjson n "$N"
# The restored actord runs the adds the copy had queued: each counter's
# count becomes its count in the copy plus its queued adds, and its
# mailbox keeps the hello messages alone.
same=1
for ((i = 0; i < N; i++)); do
    want=$(bsql "SELECT json_extract(state, '\$.count') + (SELECT count(*) FROM messages m WHERE m.actor = a.id AND json_extract(m.body, '\$.add') IS NOT NULL) FROM actors a WHERE name = 'c$i'" 2>/dev/null)
    hellos=$(bsql "SELECT count(*) FROM messages m JOIN actors a ON a.id = m.actor WHERE a.name = 'c$i' AND json_extract(m.body, '\$.hello') IS NOT NULL" 2>/dev/null)
    if ! it_poll 10 "/actors/c$i" '.state.count == $c and .mailbox == $h' \
        --argjson c "$want" --argjson h "$hellos"; then
        same=0
        it_log "c$i: $(it_last) (want count $want, mailbox $hellos)"
    fi
done
expect_true "GET of each counter from the restored actord: the copy's state, its queued adds applied" test "$same" = 1
it_req POST /actors/c0 '{"add":1000}'
expect_status 202 "the restored actord takes sends"
expect_poll 10 "and runs them" /actors/c0 '.state.count >= 1000'
out=$("$CTL" --db "$B" check 2>&1)
expect_true "actorctl check still passes on the restored database" test $? = 0

# What backup refuses: the database itself, and a target in use.
out=$("$CTL" --db "$B" backup "$B" 2>&1)
rc=$?
expect_true "backup onto the database itself is refused ($out)" test "$rc" = 1
: >"$IT_DIR/inuse.db-wal"
out=$("$CTL" --db "$B" backup "$IT_DIR/inuse.db" 2>&1)
rc=$?
expect_true "backup onto a database with a -wal beside it is refused ($out)" test "$rc" = 1
out=$("$CTL" --db "$B" backup "$IT_DIR/nofolder/x.db" 2>&1)
rc=$?
expect_true "backup into a missing folder fails with a message ($out)" test "$rc" = 1
out=$("$CTL" --db "$B" backup "$IT_DIR/second.db" 2>&1)
expect_true "a second backup of the restored database works" test $? = 0
out=$("$CTL" --db "$B" backup "$IT_DIR/second.db" 2>&1)
expect_true "and replaces its file the next time" test $? = 0

it_finish
