#!/usr/bin/env bash
# test_api.sh - every route of the REST contract (docs: /work/shared/API.md)
# except /actors/NAME/calls/... and /metrics, and every error code, with
# curl against a real nginx and actord.  Messages are handled by actord's
# scheduler in the background, so effects are polled for with a deadline.
# jq filters are in single quotes on purpose: $x there is jq's.
# shellcheck disable=SC2016
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

it_start
it_log "nginx on $IT_BASE, actord pid $ACTORD_PID"

ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
# The keys of an actor document, and what each holds.
DOC='(keys | contains(["behavior","created","error","mailbox","name","result",
      "state","status","updated","version","waiting_for"]))
     and (.name | type == "string") and (.behavior | type == "string")
     and (.status | IN("runnable","waiting","exited","failed","killed"))
     and (.mailbox | type == "number")
     and (.waiting_for == null or (.waiting_for | type == "array"))
     and (.created | type == "string" and test($iso))
     and (.updated | type == "string" and test($iso))'

# ---- /healthz and /behaviors ---------------------------------------------

it_req GET /healthz
expect_ok 200 "GET /healthz is {ok:true}" '.ok == true'
expect_header Content-Type '^application/json' "GET /healthz is application/json"

it_req GET /behaviors
expect_ok 200 "GET /behaviors lists behaviours with their docs" \
    '.behaviors | type == "array" and length > 0
     and all(.[]; (.name | type == "string") and (.doc | type == "string"))'
expect_json "GET /behaviors has counter, collector, forwarder and ring" \
    '[.behaviors[].name] | contains(["counter","collector","forwarder","ring"])'
expect_json "GET /behaviors gives each one's language and version" \
    'all(.behaviors[]; .language == "c" and (.version | type == "number"))'
it_req GET /behaviors/counter
expect_ok 200 "GET /behaviors/counter: language c, one version" \
    '.name == "counter" and .language == "c" and .version == 1
     and (.versions | length) == 1'
it_req GET /behaviors/no_such
expect_error 404 unknown_behavior "GET /behaviors/no_such is 404 unknown_behavior"
it_req GET /behaviors/Bad-Name
expect_error 400 bad_name "GET /behaviors/Bad-Name is 400 bad_name"
it_req GET '/behaviors/counter?version=x'
expect_error 400 bad_request "GET /behaviors/counter?version=x is 400"
it_req PUT /behaviors/counter 'return {}'
expect_error 409 behavior_builtin "PUT /behaviors/counter is 409 behavior_builtin"
it_req DELETE /behaviors/counter
expect_error 409 behavior_builtin "DELETE /behaviors/counter is 409 behavior_builtin"
it_req PATCH /behaviors/counter
expect_error 405 method_not_allowed "PATCH /behaviors/counter is 405"

# ---- spawn (PUT) and read (GET, HEAD) ------------------------------------

it_req PUT /actors/c1 '{"behavior":"counter","args":{"start":5}}'
expect_status 201 "PUT /actors/c1 spawns a counter"
expect_header Location '^/actors/c1$' "PUT /actors/c1 answers Location: /actors/c1"
expect_header Content-Type '^application/json' "PUT answers application/json"
expect_json "PUT answers the actor document" "$DOC" --arg iso "$ISO"
expect_json "the document names c1 and counter, runnable or waiting, mailbox 0" \
    '.name == "c1" and .behavior == "counter" and .mailbox == 0
     and (.status | IN("runnable","waiting"))'
# The behaviour builds its state in its first step, which the scheduler runs
# after the PUT has answered.
expect_poll 5 "the counter's state is {count: 5}" /actors/c1 \
    '.state == {"count":5}'

it_req PUT /actors/c1 '{"behavior":"counter","args":{"start":7}}'
expect_error 409 actor_exists "PUT on a live actor's name is 409 actor_exists"
it_req GET /actors/c1
expect_json "the refused PUT changed nothing" '.state.count == 5'

expect_poll 5 "a new counter waits for a message" /actors/c1 \
    '.status == "waiting" and (.waiting_for | type == "array" and length > 0)'
expect_json "GET /actors/c1 is the actor document" "$DOC" --arg iso "$ISO"
expect_json "waiting: result and error are null" \
    '.result == null and .error == null'

it_req HEAD /actors/c1
expect_status 200 "HEAD /actors/c1 is 200"
expect_raw_head /actors/c1 200 "HEAD /actors/c1 sends no body"
it_req HEAD /actors/nobody
expect_status 404 "HEAD /actors/nobody is 404"
expect_raw_head /actors/nobody 404 "HEAD /actors/nobody sends no body"

# ---- messages (POST) and the counter -------------------------------------

it_req POST /actors/c1 '{"add":3}'
expect_ok 202 "POST {add:3} is accepted" \
    '.accepted == true and (.seq | type == "number")'
seq1=$(it_jq .seq)
expect_poll 5 "the counter adds 3 (count 8)" /actors/c1 \
    '.state.count == 8 and .mailbox == 0'

it_req POST /actors/c1 '{"hello":1}'
expect_status 202 "POST {hello:1} is accepted"
seq2=$(it_jq .seq)
it_req POST /actors/c1 '{"add":"x"}'
expect_status 202 "POST {add:\"x\"} is accepted"
seq3=$(it_jq .seq)
it_req POST /actors/c1 '{"add":2}'
expect_status 202 "POST {add:2} is accepted"
seq4=$(it_jq .seq)
expect_true "message seqs increase" \
    test "$seq1" -lt "$seq2" -a "$seq2" -lt "$seq3" -a "$seq3" -lt "$seq4"
expect_poll 5 "later adds are processed past unmatched messages (count 10)" \
    /actors/c1 '.state.count == 10 and .status == "waiting"'
expect_json "the two unmatched messages stay unread (mailbox 2)" '.mailbox == 2'

it_req GET /actors/c1/mailbox
expect_ok 200 "GET /actors/c1/mailbox lists the unread messages in order" \
    '.messages | map(.body) == [{"hello":1},{"add":"x"}]'
expect_json "mailbox entries carry the seqs that POST answered" \
    '.messages | map(.seq) == [$a, $b]' --argjson a "$seq2" --argjson b "$seq3"

# ---- long-poll -----------------------------------------------------------

IT_MAX_TIME=10 it_req GET '/actors/c1?wait=1'
expect_ok 200 "GET ?wait=1 on a waiting counter answers the document" \
    '.status == "waiting" and .name == "c1"'
expect_true "GET ?wait=1 returns after about 1 s (took ${IT_TIME}s)" \
    awk -v t="$IT_TIME" 'BEGIN { exit !(t >= 0.8 && t < 4) }'

# ---- collector: any JSON value is a message ------------------------------

it_req PUT /actors/col '{"behavior":"collector","args":{}}'
expect_ok 201 "PUT /actors/col spawns a collector" '.behavior == "collector"'
expect_poll 5 "the collector's state is {messages: []}" /actors/col \
    '.state == {"messages":[]}'
for msg in 1 '"two"' '{"three":3}' '[4]' null true 2.5; do
    it_req POST /actors/col "$msg"
    expect_ok 202 "POST $msg to the collector is accepted" '.accepted == true'
done
expect_poll 5 "the collector appends every message in order" /actors/col \
    '.state.messages == [1,"two",{"three":3},[4],null,true,2.5]
     and .mailbox == 0'

# ---- forwarder -----------------------------------------------------------

it_req PUT /actors/sink1 '{"behavior":"collector","args":{}}'
expect_status 201 "PUT /actors/sink1 spawns a collector"
it_req PUT /actors/fw '{"behavior":"forwarder","args":{"to":{"$address":"sink1"},"once":false}}'
expect_status 201 "PUT /actors/fw spawns a forwarder to sink1"
it_req POST /actors/fw '"a"'
expect_status 202 "POST \"a\" to the forwarder"
it_req POST /actors/fw '{"b":[1]}'
expect_status 202 "POST {b:[1]} to the forwarder"
expect_poll 5 "the forwarder forwards both, in order" /actors/sink1 \
    '.state.messages == ["a",{"b":[1]}]'
expect_poll 5 "a forwarder without once keeps waiting" /actors/fw \
    '.status == "waiting" and .mailbox == 0'

it_req PUT /actors/sink2 '{"behavior":"collector","args":{}}'
expect_status 201 "PUT /actors/sink2 spawns a collector"
it_req PUT /actors/fw1 '{"behavior":"forwarder","args":{"to":{"$address":"sink2"},"once":true}}'
expect_status 201 "PUT /actors/fw1 spawns a once forwarder"
it_req POST /actors/fw1 '{"x":1}'
expect_status 202 "POST {x:1} to the once forwarder"
expect_poll 5 "the once forwarder exits with the message as its result" \
    /actors/fw1 '.status == "exited" and .result == {"x":1}'
expect_json "an exited actor waits for nothing" '.waiting_for == null'
expect_poll 5 "the once forwarder forwarded it" /actors/sink2 \
    '.state.messages == [{"x":1}]'
it_req POST /actors/fw1 '{"x":2}'
expect_error 410 actor_dead "POST to an exited actor is 410 actor_dead"
IT_MAX_TIME=10 it_req GET '/actors/fw1?wait=5'
expect_ok 200 "GET ?wait=5 on an exited actor answers at once" \
    '.status == "exited"'
expect_true "... in well under 5 s (took ${IT_TIME}s)" \
    awk -v t="$IT_TIME" 'BEGIN { exit !(t < 2) }'
it_req PUT /actors/fw1 '{"behavior":"counter","args":{"start":1}}'
expect_ok 201 "PUT on an exited actor's name spawns a new actor" \
    '.behavior == "counter" and (.status | IN("runnable","waiting"))
     and .result == null'
expect_poll 5 "the new fw1 is a counter at 1" /actors/fw1 \
    '.state.count == 1 and .status == "waiting"'

# ---- ring ----------------------------------------------------------------

it_req PUT /actors/ring1 '{"behavior":"ring","args":{"n":5,"message":{"m":[1,2]}}}'
expect_status 201 "PUT /actors/ring1 spawns a ring of 5"
IT_MAX_TIME=20 it_req GET '/actors/ring1?wait=10'
expect_ok 200 "GET ?wait=10 returns once the ring has exited" \
    '.status == "exited" and .result == {"m":[1,2]}'

# ---- POST /actors: generated names ---------------------------------------

it_req POST /actors '{"behavior":"counter","args":{"start":2}}'
expect_ok 201 "POST /actors spawns an actor with a generated name" \
    '(.name | type == "string" and test("^[A-Za-z0-9._~-]{1,128}$"))
     and .behavior == "counter"'
gen=$(it_jq .name)
expect_header Location "^/actors/${gen//./\\.}\$" "POST /actors answers Location: /actors/NAME"
it_req POST /actors '{"behavior":"counter"}'
expect_status 201 "POST /actors without args spawns"
gen2=$(it_jq .name)
expect_poll 5 "a counter without args starts at 0" "/actors/$gen2" \
    '.state.count == 0'
expect_true "generated names differ" test "$gen" != "$gen2"
expect_poll 5 "the generated name can be read back (count 2)" "/actors/$gen" \
    '.state.count == 2'

# ---- DELETE --------------------------------------------------------------

it_req DELETE /actors/c1
expect_ok 200 "DELETE /actors/c1 answers the document, status killed" \
    '.status == "killed" and .name == "c1"'
it_req GET /actors/c1
expect_ok 200 "a killed actor keeps its document" '.status == "killed"'
it_req DELETE /actors/c1
expect_error 410 actor_dead "DELETE again is 410 actor_dead"
it_req POST /actors/c1 '{"add":1}'
expect_error 410 actor_dead "POST to a killed actor is 410 actor_dead"
it_req PUT /actors/c1 '{"behavior":"counter","args":{"start":42}}'
expect_ok 201 "PUT on a killed actor's name spawns a new actor" \
    '.mailbox == 0 and (.status | IN("runnable","waiting"))'
expect_poll 5 "the new c1 runs, a counter at 42" /actors/c1 \
    '.status == "waiting" and .state.count == 42'

it_req PUT /actors/w1 '{"behavior":"counter"}'
expect_status 201 "PUT /actors/w1"
(sleep 1 && curl -s -o /dev/null -X DELETE "$IT_BASE/actors/w1") &
deleter=$!
IT_MAX_TIME=15 it_req GET '/actors/w1?wait=10'
wait "$deleter"
expect_ok 200 "GET ?wait=10 returns when the actor is killed meanwhile" \
    '.status == "killed"'
expect_true "... after about 1 s, not 10 (took ${IT_TIME}s)" \
    awk -v t="$IT_TIME" 'BEGIN { exit !(t >= 0.5 && t < 5) }'

# ---- 404 -----------------------------------------------------------------

it_req GET /actors/nobody
expect_error 404 no_such_actor "GET /actors/nobody is 404 no_such_actor"
it_req GET '/actors/nobody?wait=1'
expect_error 404 no_such_actor "GET /actors/nobody?wait=1 is 404 no_such_actor"
it_req POST /actors/nobody '{"add":1}'
expect_error 404 no_such_actor "POST /actors/nobody is 404 no_such_actor"
it_req DELETE /actors/nobody
expect_error 404 no_such_actor "DELETE /actors/nobody is 404 no_such_actor"
it_req GET /actors/nobody/mailbox
expect_error 404 no_such_actor "GET /actors/nobody/mailbox is 404 no_such_actor"
it_req GET /nope
expect_error 404 not_found "GET /nope is 404 not_found"
it_req GET /actors/a/b/c
expect_error 404 not_found "GET /actors/a/b/c is 404 not_found"
it_req GET /
expect_error 404 not_found "GET / is 404 not_found"
it_req POST /nope '{}'
expect_error 404 not_found "POST /nope is 404 not_found"

# ---- 405 -----------------------------------------------------------------

it_req PATCH /actors/x
expect_error 405 method_not_allowed "PATCH /actors/x is 405 method_not_allowed"
expect_header Allow 'GET.*PUT|PUT.*GET' "... with Allow naming GET and PUT"
expect_header Allow 'DELETE' "... and DELETE"
it_req DELETE /actors
expect_error 405 method_not_allowed "DELETE /actors is 405 method_not_allowed"
expect_header Allow 'GET.*POST|POST.*GET' "... with Allow naming GET and POST"
it_req PUT /behaviors '{}'
expect_error 405 method_not_allowed "PUT /behaviors is 405 method_not_allowed"
expect_header Allow 'GET' "... with Allow naming GET"
it_req POST /healthz '{}'
expect_error 405 method_not_allowed "POST /healthz is 405 method_not_allowed"
expect_header Allow 'GET' "... with Allow naming GET"
it_req PUT /actors/col/mailbox '{}'
expect_error 405 method_not_allowed "PUT /actors/col/mailbox is 405 method_not_allowed"
expect_header Allow 'GET' "... with Allow naming GET"

# ---- 400 bad_json, and nothing stored ------------------------------------

it_req GET /actors/col
mb=$(it_jq .mailbox)
n_col=$(it_jq '.state.messages | length')

it_req PUT /actors/bj '{"behavior":'
expect_error 400 bad_json "PUT with malformed JSON is 400 bad_json"
it_req PUT /actors/bj '[1,2]'
expect_error 400 bad_json "PUT with an array body is 400 bad_json"
it_req PUT /actors/bj '"counter"'
expect_error 400 bad_json "PUT with a string body is 400 bad_json"
it_req PUT /actors/bj ''
expect_error 400 bad_json "PUT with an empty body is 400 bad_json"
it_req PUT /actors/bj '{"behavior":"counter"} x'
expect_error 400 bad_json "PUT with trailing garbage is 400 bad_json"
it_req GET /actors/bj
expect_error 404 no_such_actor "no bad_json PUT stored an actor"
it_req POST /actors '{"behavior":'
expect_error 400 bad_json "POST /actors with malformed JSON is 400 bad_json"
it_req POST /actors/col '{bad'
expect_error 400 bad_json "POST a malformed message is 400 bad_json"
it_req POST /actors/col ''
expect_error 400 bad_json "POST an empty message is 400 bad_json"
it_req POST /actors/col '[1,'
expect_error 400 bad_json "POST a truncated message is 400 bad_json"
it_req GET /actors/col
expect_json "bad_json POSTs stored no message" \
    '.mailbox == $m and (.state.messages | length) == $n' \
    --argjson m "$mb" --argjson n "$n_col"
it_req GET /actors/col/mailbox
expect_ok 200 "the collector's mailbox is still empty" '.messages == []'

# ---- 400 bad_name --------------------------------------------------------

name128=$(printf 'n%.0s' $(seq 1 128))
it_req PUT "/actors/$name128" '{"behavior":"counter"}'
expect_ok 201 "a 128-character name is valid" '.name == $n' --arg n "$name128"
it_req PUT "/actors/${name128}x" '{"behavior":"counter"}'
expect_error 400 bad_name "a 129-character name is 400 bad_name"
it_req GET "/actors/${name128}x"
expect_error 400 bad_name "GET with a 129-character name is 400 bad_name"
it_req PUT '/actors/a%20b' '{"behavior":"counter"}'
expect_error 400 bad_name "PUT /actors/a%20b is 400 bad_name"
it_req PUT '/actors/a@b' '{"behavior":"counter"}'
expect_error 400 bad_name "PUT /actors/a@b is 400 bad_name"
it_req PUT '/actors/a%21b' '{"behavior":"counter"}'
expect_error 400 bad_name "PUT /actors/a%21b is 400 bad_name"
it_req POST '/actors/a%20b' '{}'
expect_error 400 bad_name "POST /actors/a%20b is 400 bad_name"
it_req PUT '/actors/a.b_c~d-E9' '{"behavior":"counter"}'
expect_ok 201 "a name using . _ ~ - and digits is valid" '.name == "a.b_c~d-E9"'
it_req PUT '/actors/...' '{"behavior":"counter"}'
expect_ok 201 "the name ... is valid" '.name == "..."'

# "." and ".." never reach actord as names: curl and nginx both resolve dot
# segments.  Sent as they are (--path-as-is), nginx normalises the path; the
# one thing that matters is that no actor is stored under such a name.
for p in /actors/.. /actors/%2e%2e /actors/%2E%2e /actors/. /actors/%2e; do
    code=$(curl -s --path-as-is -o "$IT_DIR/dots.body" -w '%{http_code}' \
        -X PUT -H 'Content-Type: application/json' \
        --data-binary '{"behavior":"counter"}' "$IT_BASE$p")
    if [ "$code" = 201 ]; then
        it_fail "PUT $p stores no actor" "got 201 $(cat "$IT_DIR/dots.body")"
    else
        it_pass "PUT $p stores no actor ($code $(jq -r '.error? // empty' \
            "$IT_DIR/dots.body" 2>/dev/null))"
    fi
done

# ---- 400 bad_request -----------------------------------------------------

it_req PUT /actors/br '{"args":{}}'
expect_error 400 bad_request "PUT without behavior is 400 bad_request"
it_req PUT /actors/br '{"behavior":"counter","args":[1]}'
expect_error 400 bad_request "PUT with args an array is 400 bad_request"
it_req PUT /actors/br '{"behavior":"counter","args":"x"}'
expect_error 400 bad_request "PUT with args a string is 400 bad_request"
it_req PUT /actors/br '{"behavior":5}'
expect_error 400 bad_request "PUT with behavior a number is 400 bad_request"
it_req POST /actors '{"args":{}}'
expect_error 400 bad_request "POST /actors without behavior is 400 bad_request"
it_req GET /actors/br
expect_error 404 no_such_actor "no bad_request PUT stored an actor"

# ---- 422 unknown_behavior ------------------------------------------------

it_req PUT /actors/ub '{"behavior":"no_such_behavior","args":{}}'
expect_error 422 unknown_behavior "PUT with an unknown behaviour is 422 unknown_behavior"
it_req POST /actors '{"behavior":"no_such_behavior"}'
expect_error 422 unknown_behavior "POST /actors with an unknown behaviour is 422"
it_req GET /actors/ub
expect_error 404 no_such_actor "the 422 PUT stored no actor"

# ---- 413 too_large -------------------------------------------------------

# A JSON string of exactly N bytes, quotes included.
make_body() {
    {
        printf '"'
        head -c $(($2 - 2)) /dev/zero | tr '\0' 'a'
        printf '"'
    } >"$1"
}
make_body "$IT_DIR/big.json" 1048577
make_body "$IT_DIR/max.json" 1048576
it_req GET /actors/col
mb=$(it_jq .mailbox)
n_col=$(it_jq '.state.messages | length')
it_req_file POST /actors/col "$IT_DIR/big.json"
expect_error 413 too_large "POST a 1048577-byte message is 413 too_large"
it_req GET /actors/col
expect_json "the 413 stored no message" \
    '.mailbox == $m and (.state.messages | length) == $n' \
    --argjson m "$mb" --argjson n "$n_col"
{
    printf '{"behavior":"collector","args":{"pad":"'
    head -c 1048600 /dev/zero | tr '\0' 'a'
    printf '"}}'
} >"$IT_DIR/bigput.json"
it_req_file PUT /actors/big "$IT_DIR/bigput.json"
expect_error 413 too_large "PUT with a body over 1 MiB is 413 too_large"
it_req GET /actors/big
expect_error 404 no_such_actor "the 413 PUT stored no actor"

it_req PUT /actors/maxbox '{"behavior":"counter"}'
expect_status 201 "PUT /actors/maxbox"
it_req_file POST /actors/maxbox "$IT_DIR/max.json"
expect_ok 202 "POST a message of exactly 1 MiB is accepted" '.accepted == true'
expect_poll 5 "the 1 MiB message waits in the counter's mailbox" /actors/maxbox \
    '.mailbox == 1 and .status == "waiting"'
it_req GET /actors/maxbox/mailbox
expect_ok 200 "the mailbox holds it intact" \
    '.messages | length == 1 and (.[0].body | length) == 1048574'

# ---- the actor document: version, links, monitors, timers ---------------

it_req PUT /actors/tw '{"behavior":"collector"}'
expect_status 201 "spawn tw, a collector"
it_req PUT /actors/tt '{"behavior":"timer","args":{"to":{"$address":"tw"},"message":"tick","after_ms":600000,"every_ms":600000},"monitors":["tw"]}'
expect_status 201 "spawn tt, a repeating timer to tw that tw watches"
expect_poll 5 "GET /actors/tt lists its timer: to, message, due, every_ms" /actors/tt \
    '(.timers | length) == 1 and .timers[0].to == "tw" and .timers[0].message == "tick"
     and .timers[0].every_ms == 600000 and (.timers[0].due | test($iso))
     and (.timers[0].id | type == "number")' --arg iso "$ISO"
expect_json "... its version, who watches it, no links, no trap" \
    '.version == 1 and .monitored_by == ["tw"] and .monitors == [] and .links == []
     and .trap_exit == false'
it_req GET /actors/tw
expect_ok 200 "GET /actors/tw: it monitors tt" \
    '.monitors == ["tt"] and .monitored_by == [] and .timers == []'
it_req PUT /actors/sv '{"behavior":"supervisor","args":{"children":[{"name":"sv-c","behavior":"counter"}]}}'
expect_status 201 "spawn sv, a supervisor of sv-c"
expect_poll 5 "GET /actors/sv-c: linked to its supervisor" /actors/sv-c \
    '.links == ["sv"] and .trap_exit == false'
it_req GET /actors/sv
expect_ok 200 "GET /actors/sv: linked to sv-c, trapping exits" \
    '.links == ["sv-c"] and .trap_exit == true'
# A long-poll answers the same document.
it_req GET '/actors/tt?wait=0'
expect_ok 200 "GET /actors/tt?wait=0 has the timers too" '(.timers | length) == 1'
it_req DELETE /actors/tt
expect_ok 200 "killing tt" '.status == "killed"'
it_req GET /actors/tt
expect_ok 200 "a killed actor has no timers nor watchers left" \
    '.timers == [] and .monitored_by == []'
for a in tw sv; do
    it_req DELETE "/actors/$a"
done

# ---- GET /actors: listing, filters, paging -------------------------------

for i in $(seq -w 0 24); do
    curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' \
        --data-binary '{"behavior":"counter","args":{"start":1}}' \
        "$IT_BASE/actors/p-$i"
done
it_req GET /actors/p-24
expect_status 200 "25 more counters spawned"

# walk FILE QUERY: follows "next" from GET /actors?QUERY, appending every
# name to FILE; false if a page is wrong.
walk() {
    local file=$1 query=$2 after="" pages=0 limit
    limit=$(sed -n 's/.*limit=\([0-9]*\).*/\1/p' <<<"$query")
    : >"$file"
    while :; do
        if [ -n "$after" ]; then
            it_req GET "/actors?$query&after=$after"
        else
            it_req GET "/actors?$query"
        fi
        if [ "$IT_STATUS" != 200 ] ||
            ! it_jq '.actors | type == "array"' | grep -qx true; then
            it_fail "GET /actors?$query pages" "$(it_last)"
            return 1
        fi
        if [ -n "$limit" ] &&
            [ "$(it_jq '.actors | length')" -gt "$limit" ]; then
            it_fail "GET /actors?$query: a page holds at most $limit" "$(it_last)"
            return 1
        fi
        it_jq '.actors[].name' >>"$file"
        after=$(it_jq '.next // empty')
        pages=$((pages + 1))
        [ -n "$after" ] || break
        if [ $pages -gt 500 ]; then
            it_fail "GET /actors?$query ends" "more than 500 pages"
            return 1
        fi
    done
    return 0
}

it_req GET '/actors?limit=100'
expect_ok 200 "GET /actors lists actor documents" \
    '(.actors | type == "array" and length > 30)
     and (.next == null or (.next | type == "string"))'
expect_json "listed actors are actor documents" "all(.actors[]; $DOC)" \
    --arg iso "$ISO"
it_req GET /actors
expect_ok 200 "GET /actors without a query answers" '.actors | type == "array"'

if walk "$IT_DIR/all.txt" 'limit=100'; then
    LC_ALL=C sort -u "$IT_DIR/all.txt" >"$IT_DIR/all.sorted"
    for lim in 1 7 50; do
        if walk "$IT_DIR/paged.txt" "limit=$lim"; then
            expect_true "paging by $lim sees every actor exactly once" \
                cmp -s "$IT_DIR/paged.txt" "$IT_DIR/all.sorted"
        fi
    done
    expect_true "GET /actors is ordered by name" \
        env LC_ALL=C sort -c "$IT_DIR/all.txt"
    expect_true "GET /actors lists all 25 p- counters and col" \
        test "$(grep -c '^p-' "$IT_DIR/all.txt")" = 25 -a \
        "$(grep -cx col "$IT_DIR/all.txt")" = 1
fi

it_req GET '/actors?limit=5'
expect_ok 200 "limit=5 answers 5 and a next cursor" \
    '(.actors | length) == 5 and (.next | type == "string")'
first5=$(it_jq '[.actors[].name] | join(" ")')
next=$(it_jq .next)
it_req GET "/actors?limit=5&after=$next"
expect_ok 200 "after=next answers the following names" \
    '(.actors | length) == 5 and (.actors[0].name > $last)' \
    --arg last "${first5##* }"

it_req GET '/actors?behavior=collector&limit=100'
expect_ok 200 "behavior=collector lists only collectors" \
    '(.actors | length) > 0 and all(.actors[]; .behavior == "collector")'
expect_json "... among them col, sink1 and sink2" \
    '[.actors[].name] | contains(["col","sink1","sink2"])'
it_req GET '/actors?status=exited&limit=100'
expect_ok 200 "status=exited lists only exited actors, the ring among them" \
    'all(.actors[]; .status == "exited") and ([.actors[].name] | index("ring1") != null)'
it_req GET '/actors?status=killed&limit=100'
expect_ok 200 "status=killed lists only killed actors, w1 among them" \
    'all(.actors[]; .status == "killed") and ([.actors[].name] | index("w1") != null)'
if walk "$IT_DIR/cw.txt" 'behavior=counter&status=waiting&limit=3'; then
    expect_true "behavior=counter&status=waiting pages see all 25 p- counters" \
        test "$(grep -c '^p-' "$IT_DIR/cw.txt")" = 25
    expect_true "... each once" \
        test -z "$(sort "$IT_DIR/cw.txt" | uniq -d)"
fi
it_req GET '/actors?behavior=no_such_behavior'
expect_ok 200 "an unknown behavior filter lists nothing" \
    '.actors == [] and .next == null'
it_req GET "/actors?after=$(tail -n 1 "$IT_DIR/all.txt")"
expect_ok 200 "after the last name: nothing, next null" \
    '.actors == [] and .next == null'

# prefix=P: the names that start with P, paged like the rest.
it_req GET '/actors?prefix=p-1&limit=100'
expect_ok 200 "prefix=p-1 lists p-10 to p-19, in order" \
    '[.actors[].name] == ["p-10","p-11","p-12","p-13","p-14","p-15","p-16","p-17","p-18","p-19"] and .next == null'
if walk "$IT_DIR/pp.txt" 'prefix=p-&limit=4'; then
    expect_true "prefix=p- in pages of 4 sees the 25 p- counters once, nothing else" \
        test "$(grep -c '^p-' "$IT_DIR/pp.txt")" = 25 -a \
        "$(wc -l <"$IT_DIR/pp.txt")" = 25 -a -z "$(sort "$IT_DIR/pp.txt" | uniq -d)"
fi
it_req GET '/actors?prefix=p-2&behavior=counter&status=waiting&after=p-22'
expect_ok 200 "prefix with behavior, status and after: p-23, p-24" \
    '[.actors[].name] == ["p-23","p-24"] and .next == null'
it_req GET '/actors?prefix=p-2&after=a'
expect_ok 200 "a cursor before the prefix starts at the prefix" \
    '.actors[0].name == "p-20"'
it_req GET '/actors?prefix=zzz'
expect_ok 200 "a prefix no name has lists nothing" '.actors == [] and .next == null'
it_req GET '/actors?prefix=&limit=1000'
expect_ok 200 "an empty prefix lists every name" \
    "(.actors | length) == $(wc -l <"$IT_DIR/all.txt")"
it_req GET '/actors?prefix=p-1&limit=1'
expect_json "listed documents give the version, not the ties" \
    '.actors[0].version == 1 and (.actors[0] | has("timers") or has("links") | not)'
for q in 'prefix=a%20b' 'prefix=a%2Fb' "prefix=$(printf 'x%.0s' $(seq 1 129))"; do
    it_req GET "/actors?$q"
    expect_ok 400 "GET /actors?${q:0:20} is 400 bad_request about the prefix" \
        '.error == "bad_request" and (.message | test("prefix"))'
done

for q in limit=0 limit=abc limit=100000 limit=-1 limit= status=bogus; do
    it_req GET "/actors?$q"
    expect_error 400 bad_request "GET /actors?$q is 400 bad_request"
done
# One parser of limit and after for the three paged routes (issue 9):
# the mailbox used to take limit=2.5 and answer 200.
it_req GET '/actors/col/mailbox?limit=2.5'
expect_error 400 bad_request "GET /actors/col/mailbox?limit=2.5 is 400 bad_request"
for path in /actors /actors/col/mailbox /dead-letters; do
    for q in limit=2.5 limit=0 limit=-1 limit=abc limit= limit=100000; do
        it_req GET "$path?$q"
        expect_ok 400 "GET $path?$q is 400 bad_request, the same on every paged route" \
            '.error == "bad_request" and .message == "limit must be an integer from 1 to 1000"'
    done
done
for path in /actors/col/mailbox /dead-letters; do
    for q in after=-1 after=2.5 after=x; do
        it_req GET "$path?$q"
        expect_ok 400 "GET $path?$q is 400 bad_request (after is a seq)" \
            '.error == "bad_request" and (.message | startswith("after must be a"))'
    done
    it_req GET "$path?limit=1000&after=0"
    expect_status 200 "GET $path?limit=1000&after=0 answers"
done

# ---- upgrade --------------------------------------------------------------

it_req POST /actors/col/upgrade
expect_ok 200 "POST /actors/col/upgrade on its version already: 200, as it was" \
    '.name == "col" and .status == "waiting"'
it_req POST /actors/col/upgrade '{"version": 9}'
expect_ok 409 "an upgrade to a version not in this build is 409 upgrade_failed" \
    '.error == "upgrade_failed" and (.message | contains("not in this build"))'
it_req POST /actors/col/upgrade '{"version": "2"}'
expect_error 400 bad_json "an upgrade to version \"2\" is 400 bad_json"
it_req POST /actors/col/upgrade '{"versio": 1}'
expect_error 400 bad_json "an upgrade body with another key is 400 bad_json"
it_req GET /actors/col/upgrade
expect_error 405 method_not_allowed "GET /actors/col/upgrade is 405"
it_req POST /actors/nobody-here/upgrade
expect_error 404 no_such_actor "upgrading an unknown actor is 404"

it_req GET '/actors/col?wait=abc'
expect_error 400 bad_request "GET /actors/col?wait=abc is 400 bad_request"

it_finish
