#!/usr/bin/env bash
# test_cgi.sh - actord as a plain CGI program (as under Apache): one
# process per request, driven here through its environment, and actorctl
# run as the cron companion that drains the rest.  A database that cannot
# be opened answers 503 storage_error naming the file and the reason (and
# logs it); an answer given without the body (413, 405) reads the body
# first, all of it, as mod_cgid needs (tests/integration/test_apache.sh
# runs these under a real mod_cgid).
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl

IT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/actord-it.XXXXXX")
IT_DB=$IT_DIR/actord.db
trap it_cleanup EXIT
CGI_DB=$IT_DB

# cgi METHOD PATH [BODY]: runs actord once as CGI; sets IT_STATUS, IT_BODY.
cgi() {
    local out len=0
    IT_REQ="CGI $1 $2"
    if [ $# -ge 3 ]; then
        len=$(printf '%s' "$3" | wc -c)
        out=$(printf '%s' "$3" | REQUEST_METHOD=$1 PATH_INFO=${2%%\?*} \
            QUERY_STRING=$( [[ $2 == *\?* ]] && echo "${2#*\?}") \
            CONTENT_LENGTH=$len GATEWAY_INTERFACE=CGI/1.1 \
            it_exec_actord --db "$CGI_DB")
    else
        out=$(REQUEST_METHOD=$1 PATH_INFO=${2%%\?*} \
            QUERY_STRING=$( [[ $2 == *\?* ]] && echo "${2#*\?}") \
            GATEWAY_INTERFACE=CGI/1.1 it_exec_actord --db "$CGI_DB" </dev/null)
    fi
    # What it_header (and so expect_error) reads.
    IT_HEADERS=$(sed '/^\r\{0,1\}$/,$d' <<<"$out" | tr -d '\r')
    IT_STATUS=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' <<<"$out")
    IT_BODY=$(sed '1,/^\r\{0,1\}$/d' <<<"$out")
}

cgi GET /healthz
expect_json "CGI healthz" '.ok == true'
cgi PUT /actors/c1 '{"behavior":"counter","args":{"start":1}}'
expect_status 201 "CGI spawn"
cgi POST /actors/c1 '{"add":41}'
expect_ok 202 "CGI send" '.accepted == true and (.seq | type == "number")'
# The CGI process drained the runnable work before answering.
cgi GET /actors/c1
expect_json "CGI drained the work before answering" '.state.count == 42 and .status == "waiting"'
cgi POST /actors/c1 'nope'
expect_error 400 bad_json "CGI malformed body"
cgi PATCH /actors/c1
expect_error 405 method_not_allowed "CGI wrong verb"

# A ring bigger than the CGI budget: the GET ?wait runs it to the end.
cgi PUT /actors/r '{"behavior":"ring","args":{"n":2000,"message":"hi"}}'
expect_status 201 "CGI spawn ring"
cgi GET '/actors/r?wait=30'
expect_json "CGI ring exits with hi" '.status == "exited" and .result == "hi"'

# Work queued by actorctl is drained by actorctl run (the cron job).
"$CTL" --db "$IT_DB" send c1 '{"add":8}' >/dev/null
out=$("$CTL" --db "$IT_DB" run)
expect_true "actorctl run ran a step ($out)" test "$out" = "ran 1 steps"
cgi GET /actors/c1
expect_json "count after actorctl run" '.state.count == 50'

# A database in a folder that does not exist: 503 storage_error, naming
# the file and the reason, in the answer and on stderr (the web server's
# error log).
CGI_DB=$IT_DIR/missing/actord.db
cgi GET /healthz 2>"$IT_DIR/cgi.err"
expect_error 503 storage_error "CGI on a database it cannot open: 503 storage_error"
# shellcheck disable=SC2016  # a jq filter
expect_json "... naming the file and the reason" \
    '.message == "cannot open the database \($f): unable to open database file (\($d): No such file or directory)"' \
    --arg f "$CGI_DB" --arg d "$IT_DIR/missing"
expect_true "... and logging it" grep -qF "event=db_open_failed file=$CGI_DB " "$IT_DIR/cgi.err"
CGI_DB=$IT_DB

# An early answer reads the whole body first: what actord leaves unread
# of its standard input (a file here, whose offset it shares) is nothing.
head -c $((3 * 1024 * 1024)) /dev/zero >"$IT_DIR/3mib"
# rest METHOD PATH: runs actord on the 3 MiB file; prints the answer's
# status line, then the bytes it left.
rest() {
    {
        REQUEST_METHOD=$1 PATH_INFO=$2 CONTENT_LENGTH=$((3 * 1024 * 1024)) \
            GATEWAY_INTERFACE=CGI/1.1 "$ACTORD_BIN" --db "$IT_DB" | head -n 1
        wc -c
    } <"$IT_DIR/3mib" | tr -d '\r' | tr '\n' ' '
}
out=$(rest POST /actors/c1)
expect_true "CGI 413 over --max-body read all of the body ($out)" test "$out" = "Status: 413 Payload Too Large 0 "
out=$(rest PATCH /actors/c1)
expect_true "CGI 405 with a body read all of it ($out)" test "$out" = "Status: 405 Method Not Allowed 0 "

it_finish
