#!/usr/bin/env bash
# test_ops.sh - the operator tools of actorctl other than backup
# (test_backup.sh): export and import moving every kind of actor to an
# empty database and both databases then running the same messages to
# the same states; stats; check finding what is broken; gc removing
# ended actors, dead letters and stale reply boxes with what refers to
# them; vacuum.
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl

it_start

# ---- a database with one of everything, made through actord ----
it_req_file PUT /behaviors/account "$IT_ROOT/examples/lua/account.lua"
expect_status 201 "upload the Lua account"
spawns=(
    'c1 {"behavior":"counter","args":{"start":5}}'
    'c2 {"behavior":"counter"}'
    'log {"behavior":"collector"}'
    'tick {"behavior":"ticker","args":{"every_ms":3600000},"monitors":["log"]}'
    'rep {"behavior":"timer","args":{"to":{"$address":"log"},"message":"beat","after_ms":3600000,"every_ms":3600000}}'
    'once {"behavior":"timer","args":{"to":{"$address":"log"},"message":"once","after_ms":3600000}}'
    'sup {"behavior":"supervisor","args":{"children":[{"name":"s1","behavior":"counter","args":{"start":7}}]}}'
    'alice {"behavior":"account","args":{"start":100}}'
    'bob {"behavior":"account","args":{"start":0}}'
    'gone {"behavior":"counter"}'
    'done {"behavior":"ticker","args":{"every_ms":3600000}}'
)
for s in "${spawns[@]}"; do
    it_req PUT "/actors/${s%% *}" "${s#* }"
    [ "$IT_STATUS" = 201 ] || it_fail "spawn ${s%% *}" "$(it_last)"
done
it_req POST /actors/c2 '{"hello":"unread"}'
it_req POST /actors/c1 '{"add":1}'
it_req POST /actors/alice '{"transfer":30,"to":{"$address":"bob"}}'
it_req POST /actors/gone '{"never":"read"}'
it_req DELETE /actors/gone
expect_status 200 "kill gone (its unread message becomes a dead letter)"
it_req POST /actors/done '{"stop":true}'
expect_poll 10 "done exits" /actors/done '.status == "exited"'
expect_poll 10 "the supervisor has started s1" /actors/s1 '.status == "waiting"'
expect_poll 10 "bob got 30" /actors/bob '.state.balance == 30'
expect_poll 10 "c1 counted to 6" /actors/c1 '.state.count == 6'

# Lua states and shapes are objects whose keys come in no set order, so
# exports are compared with sorted keys below; the restart times of a
# supervisor are the clock's.

# actord stops: the two databases then move only by what the test does.
it_stop_pid "$ACTORD_PID"
ACTORD_PID=""
A=$IT_DB
B=$IT_DIR/b.db
# Work queued in A that nobody has run: c1 becomes runnable with adds.
printf '{"add":10}\n{"add":20}\n' | "$CTL" --db "$A" send c1 >/dev/null

# ---- stats ----
out=$("$CTL" --db "$A" stats)
expect_true "stats prints key value lines" \
    test -z "$(grep -v -E '^[a-z_]+ [0-9]+$' <<<"$out")"
st() { awk -v k="$1" '$1 == k { print $2 }' <<<"$out"; }
expect_true "stats: 12 actors ($(st actors_total)), 1 runnable, 1 exited, 1 killed" \
    test "$(st actors_total)" = 12 -a "$(st actors_runnable)" = 1 \
    -a "$(st actors_exited)" = 1 -a "$(st actors_killed)" = 1
expect_true "stats: 3 messages queued, 1 dead letter, 1 timer, 1 Lua behaviour" \
    test "$(st messages_queued)" = 3 -a "$(st dead_letters)" = 1 \
    -a "$(st timers_pending)" = 1 -a "$(st behaviors_lua)" = 1 -a "$(st lua_versions)" = 1
expect_true "stats: db_bytes = db_page_size * db_pages" \
    test "$(st db_bytes)" = $(($(st db_page_size) * $(st db_pages)))
json=$("$CTL" --db "$A" stats --json)
expect_true "stats --json is the same as JSON" \
    test "$(jq -r '.actors_total, .messages_queued' <<<"$json" | tr '\n' ' ')" = "12 3 "

# ---- export, import into an empty database ----
out=$("$CTL" --db "$A" export "$IT_DIR/a.jsonl" 2>&1)
expect_true "export to a file: $out" test "$out" = "exported 12 actors and 1 behaviour versions to $IT_DIR/a.jsonl"
expect_true "one line per actor and behaviour version" test "$(wc -l <"$IT_DIR/a.jsonl")" = 13
expect_true "the behaviour line comes first" \
    test "$(head -n 1 "$IT_DIR/a.jsonl" | jq -r '.type + " " + .name + " " + (.version | tostring)')" = "behavior account 1"
expect_true "c1 carries its queued adds, in order" \
    test "$(jq -c 'select(.name == "c1") | [.status, [.mailbox[].body]]' "$IT_DIR/a.jsonl")" = '["runnable",[{"add":10},{"add":20}]]'
expect_true "rep carries its timer, tick its watcher" \
    test "$(jq -c 'select(.name == "rep" or .name == "tick") | [.name, (.timers | length), .watchers]' "$IT_DIR/a.jsonl" | tr -d '\n')" = '["rep",1,[]]["tick",0,["log"]]'
n=$("$CTL" --db "$A" export /dev/stdout 2>/dev/null | wc -l)
expect_true "export to a device or pipe writes the lines to it ($n)" test "$n" = 13
out=$("$CTL" --db "$A" export --behavior counter 2>/dev/null | jq -r .name | tr '\n' ' ')
expect_true "export --behavior counter: the counters alone ($out)" test "$out" = "c1 c2 gone s1 "

out=$("$CTL" --db "$B" import "$IT_DIR/a.jsonl" 2>&1)
rc=$?
expect_true "import into an empty database ($out)" test "$rc" = 0
expect_true "it counts what it imported" grep -q '^imported 12 actors (0 replaced) with 3 messages, 1 timers (0 with new ids), [0-9]* ties; 1 behaviour versions (0 here already)$' <<<"$out"
"$CTL" --db "$B" export "$IT_DIR/b.jsonl" >/dev/null
expect_true "B exports exactly what A exported (ids, times, seqs made relative)" cmp -s "$IT_DIR/a.jsonl" "$IT_DIR/b.jsonl"
for d in "$A" "$B"; do
    out=$("$CTL" --db "$d" check 2>&1)
    expect_true "check passes on ${d##*/}" test $? = 0
done

# ---- both run the same messages ----
batch='{"to":"c1","message":{"add":100}}
{"to":"c2","message":{"add":2}}
{"to":"alice","message":{"transfer":5,"to":{"$address":"bob"}}}
{"to":"alice","message":{"withdraw":1000}}
{"to":"tick","message":{"stop":true}}
{"to":"rep","message":{"cancel":true}}
{"to":"once","message":{"cancel":true}}'
for d in "$A" "$B"; do
    printf '%s\n' "$batch" | "$CTL" --db "$d" send >/dev/null
    "$CTL" --db "$d" kill s1 >/dev/null
    "$CTL" --db "$d" run >/dev/null
done
norm() {
    "$CTL" --db "$1" export 2>/dev/null |
        jq -cS 'del(.created, .updated, .deadline, .state.restarts) |
            if .timers then .timers |= map(del(.due)) else . end'
}
norm "$A" >"$IT_DIR/a2.jsonl"
norm "$B" >"$IT_DIR/b2.jsonl"
expect_true "after the same messages A and B hold the same actors, states, mailboxes and ties" \
    cmp -s "$IT_DIR/a2.jsonl" "$IT_DIR/b2.jsonl"
cmp -s "$IT_DIR/a2.jsonl" "$IT_DIR/b2.jsonl" || diff "$IT_DIR/a2.jsonl" "$IT_DIR/b2.jsonl" | head -n 20
q() { jq -c "select(.name == \"$2\") | $3" "$IT_DIR/$1"; }
expect_true "c1 ran its moved adds: 6 + 10 + 20 + 100 = 136" test "$(q b2.jsonl c1 .state.count)" = 136
expect_true "bob got both transfers in B" test "$(q b2.jsonl bob .state.balance)" = 35
expect_true "log in B was told tick exited (the watch moved)" \
    test "$(q b2.jsonl log '[.state.messages[] | select(.exit != null) | .address."$address"]')" = '["tick"]'
expect_true "the supervisor in B restarted s1 (the links moved): a new s1 at 7" \
    test "$(q b2.jsonl s1 '[.status, .state.count]')" = '["waiting",7]'
expect_true "c2 in B kept its unread message first" \
    test "$(q b2.jsonl c2 '[.state.count, [.mailbox[].body]]')" = '[2,[{"hello":"unread"}]]'

# ---- import refusals ----
out=$("$CTL" --db "$B" import "$IT_DIR/a.jsonl" 2>&1)
rc=$?
expect_true "import of names taken here is refused ($rc)" test "$rc" = 1
expect_true "naming the line and the actor" grep -q '^line 2: actor_exists: .*an actor of that name is here' <<<"$out"
out=$("$CTL" --db "$B" import --replace "$IT_DIR/a.jsonl" 2>&1)
expect_true "import --replace replaces them ($out)" grep -q '^imported 12 actors (12 replaced)' <<<"$out"
expect_true "B is A's export again" test "$("$CTL" --db "$B" export 2>/dev/null | jq -c 'del(.updated)' | md5sum)" = "$(jq -c 'del(.updated)' "$IT_DIR/a.jsonl" | md5sum)"
C=$IT_DIR/c.db
{
    jq -c 'select(.name == "c2")' "$IT_DIR/a.jsonl"
    echo '{"type":"actor","name":"x1","behavior":"counter","version":1,"status":"waiting","resume":1,"args":{},"state":{"count":1}}'
    echo '{"type":"actor","name":"bad name","behavior":"counter","version":1,"status":"waiting","args":{},"state":{}}'
} >"$IT_DIR/bad.jsonl"
out=$("$CTL" --db "$C" import --batch 1 "$IT_DIR/bad.jsonl" 2>&1)
rc=$?
expect_true "a bad line stops the import with exit 1" test "$rc" = 1
expect_true "naming it ($out)" grep -q '^line 3: bad_name: ' <<<"$out"
expect_true "and the lines before it are imported (batch 1)" \
    test "$(sqlite3 "$C" "SELECT group_concat(name, ' ') FROM (SELECT name FROM actors ORDER BY name)")" = "c2 x1"
printf '{"type":"actor"\n' | "$CTL" --db "$C" import >/dev/null 2>"$IT_DIR/err"
expect_true "malformed JSON is refused with its line ($(head -n 1 "$IT_DIR/err"))" grep -q '^line 1: bad_json' "$IT_DIR/err"
jq -c 'select(.type == "behavior") | .source += "\n-- changed\n"' "$IT_DIR/a.jsonl" |
    "$CTL" --db "$B" import >/dev/null 2>"$IT_DIR/err"
expect_true "a version here with another source is refused ($(head -n 1 "$IT_DIR/err"))" grep -q 'here with another source' "$IT_DIR/err"
printf '{"type":"behavior","name":"other","version":3,"language":"lua","source":"this is not lua"}\n' |
    "$CTL" --db "$B" import >/dev/null 2>"$IT_DIR/err"
expect_true "a source that does not compile is refused ($(head -n 1 "$IT_DIR/err"))" grep -q '^line 1: bad_behavior: behaviour other version 3: ' "$IT_DIR/err"

# ---- check finds what is broken ----
D=$IT_DIR/d.db
cp "$B" "$D"
# (the watch of c1 by a missing actor is made behind the engine's back:
# c1's ties bit for watchers is not set either.)
sqlite3 "$D" "UPDATE actors SET mailbox = mailbox + 3 WHERE name = 'c2';
  INSERT INTO messages (actor, body, created) VALUES (99999, '{}', 0);
  INSERT INTO monitors (target, watcher) VALUES ((SELECT id FROM actors WHERE name = 'c1'), 88888);
  INSERT INTO actors (name, behavior, version, status, created, updated) VALUES ('_call-old', '_reply', 1, 'waiting', 1000, 1000);
  UPDATE actors SET state = 'not json' WHERE name = 'c1';"
out=$("$CTL" --db "$D" check 2>&1)
rc=$?
expect_true "check exits 1 on a broken database" test "$rc" = 1
for name in mailbox_counts message_actors monitor_actors stale_calls json; do
    expect_true "check reports $name" grep -q "^FAIL $name: " <<<"$out"
done
expect_true "with the actor named: c2 (stored 4, messages 1)" grep -q 'c2 (stored 4, messages 1)' <<<"$out"
expect_true "and the checks that hold as ok" grep -q '^ok   integrity_check$' <<<"$out"
json=$("$CTL" --db "$D" check --json 2>/dev/null)
expect_true "check --json says which" \
    test "$(jq -c '[.ok, ([.checks[] | select(.ok | not) | .check] | sort)]' <<<"$json")" = '[false,["json","mailbox_counts","message_actors","monitor_actors","stale_calls","ties_bits"]]'
out=$("$CTL" --db "$D" check --call-timeout 100000d 2>&1)
expect_true "--call-timeout moves the stale_calls cutoff" grep -q '^ok   stale_calls$' <<<"$out"

# ---- gc ----
E=$IT_DIR/e.db
cp "$A" "$E"
# log (a watcher of nobody now) ends too: an ended watcher's rows go with it.
"$CTL" --db "$E" spawn w collector >/dev/null
"$CTL" --db "$E" spawn wd counter >/dev/null
sqlite3 "$E" "INSERT INTO monitors (target, watcher) VALUES ((SELECT id FROM actors WHERE name = 'wd'), (SELECT id FROM actors WHERE name = 'w'))"
sqlite3 "$E" "UPDATE actors SET ties = ties | 2 WHERE name = 'wd'"
"$CTL" --db "$E" kill w >/dev/null
sqlite3 "$E" "INSERT INTO actors (name, behavior, version, status, created, updated) VALUES ('_call-stale', '_reply', 1, 'waiting', 1000, 1000)"
ended_before=$(sqlite3 "$E" "SELECT count(*) FROM actors WHERE status IN ('exited','failed','killed')")
letters=$(sqlite3 "$E" "SELECT count(*) FROM dead_letters")
out=$("$CTL" --db "$E" gc 2>&1)
expect_true "gc with the default age (7d) removes only the stale reply box ($out)" \
    grep -q '^removed 0 actors .*, 1 reply boxes, 0 dead letters' <<<"$out"
sleep 1.1
out=$("$CTL" --db "$E" gc --age 1s 2>&1)
expect_true "gc --age 1s removes the $ended_before ended actors and $letters dead letters ($out)" \
    grep -q "^removed $ended_before actors (with 0 messages, 1 monitor rows, .*), 0 reply boxes, $letters dead letters" <<<"$out"
expect_true "no ended actor, no dead letter, no watch by a removed actor is left" \
    test "$(sqlite3 "$E" "SELECT (SELECT count(*) FROM actors WHERE status IN ('exited','failed','killed')) || (SELECT count(*) FROM dead_letters) || (SELECT count(*) FROM monitors)")" = "000"
out=$("$CTL" --db "$E" check 2>&1)
expect_true "check passes after gc" test $? = 0
expect_true "live actors are untouched" \
    test "$("$CTL" --db "$E" get c1 | jq -c '[.status, .state.count]')" = '["waiting",136]'
json=$("$CTL" --db "$E" gc --age 0 --json)
expect_true "gc --json: nothing left to remove" test "$(jq -c '[.actors, .dead_letters]' <<<"$json")" = "[0,0]"
"$CTL" --db "$E" gc --age 2x >/dev/null 2>&1
expect_true "a bad age is a usage error" test $? = 2

# ---- vacuum ----
# Pages to free: 2,000 dead letters of 500 bytes, collected.
sqlite3 "$E" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
  INSERT INTO dead_letters (target, reason, body, created) SELECT 'x', 'test', json_quote(printf('%.500c', 'x')), 0 FROM n"
"$CTL" --db "$E" gc --age 0 >/dev/null
out=$("$CTL" --db "$E" vacuum 2>&1)
expect_true "vacuum rebuilds the file smaller ($out)" \
    awk '$1 == "vacuum" && $2 == "full:" && $3 > $5 { ok = 1 } END { exit !ok }' <<<"$out"
expect_true "and says the WAL was checkpointed" grep -q 'WAL checkpointed and truncated' <<<"$out"
out=$("$CTL" --db "$E" vacuum --incremental 2>&1)
expect_true "vacuum --incremental sets auto_vacuum ($out)" grep -q 'auto_vacuum incremental' <<<"$out"
sqlite3 "$E" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
  INSERT INTO dead_letters (target, reason, body, created) SELECT 'x', 'test', json_quote(printf('%.500c', 'x')), 0 FROM n"
"$CTL" --db "$E" gc --age 0 >/dev/null
out=$("$CTL" --db "$E" vacuum 2>&1)
expect_true "then a plain vacuum is incremental and frees the pages ($out)" \
    awk '$2 == "incremental:" && $3 > $5 && $11 == "0," { ok = 1 } END { exit !ok }' <<<"$out"
"$CTL" --db "$E" vacuum --full --incremental >/dev/null 2>&1
expect_true "two modes at once are a usage error" test $? = 2
out=$("$CTL" --db "$E" check 2>&1)
expect_true "check passes after the vacuums" test $? = 0

# vacuum beside a running actord, which goes on serving.
it_start_actord || exit 1
it_wait_healthy
out=$("$CTL" --db "$A" vacuum --full 2>&1)
expect_true "vacuum --full beside a running actord ($out)" test $? = 0
it_req POST /actors/c2 '{"add":1}'
expect_status 202 "actord takes sends after the vacuum"
expect_poll 10 "and runs them" /actors/c2 '.state.count == 3'

it_finish
