#!/usr/bin/env bash
# test_config.sh - actord's configuration file (docs/configuration.md):
#
#   - actord --version and actorctl --version print util/version.h's;
#   - actord --check-config: exit 0 on etc/actord.conf as shipped and on
#     a good file; exit 1 on a file with unknown keys, bad values, a key
#     set twice, a socket group that does not exist and a plugin that is
#     not there, each error naming FILE:LINE and its key; exit 1 on a
#     missing file and on a bad flag (without --check-config a bad flag
#     is exit 2, and a bad file stops actord with exit 1);
#   - a running actord given --max-body on the command line before
#     --config, whose file sets max-body too: the flag wins; the file's
#     other keys hold (no-upload, max-mailbox, socket-mode and
#     socket-group on the socket itself);
#   - actorctl --config on the same file: it skips actord's own keys,
#     uses db from the file, and --db on its command line overrides it;
#   - a database that cannot be opened: actord says which file and why
#     in its log, and exits 1.
#
# The IT_* variables set here are read by lib.sh.
# shellcheck disable=SC2034,SC2016  # SC2016: jq filters and bash -c in quotes
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
CTL=$IT_ROOT/build/actorctl

version=$(sed -n 's/^#define ACTORD_VERSION "\(.*\)"$/\1/p' "$IT_ROOT/util/version.h")

# The socket's group: www-data when root may give it (the web server's),
# else our own.
if [ "$(id -u)" -eq 0 ] && getent group www-data >/dev/null; then
    group=www-data
else
    group=$(id -gn)
fi
gid=$(getent group "$group" | cut -d: -f3)

# The file of the running actord, written before it_start makes IT_DIR.
conf=$(mktemp "${TMPDIR:-/tmp}/actord-conf.XXXXXX")
cat >"$conf" <<EOF
# the running actord's configuration
db = /nonexistent/overridden-by-the-command-line.db
max-body = 100          # overridden by --max-body
max-mailbox = 3
no-upload = yes
socket-mode = 0660
socket-group = $group
threads = 4
EOF
IT_ACTORD_ARGS=(--max-body 5000 --config "$conf")
it_start
mv "$conf" "$IT_DIR/running.conf"
conf=$IT_DIR/running.conf

# ---- versions -----------------------------------------------------------

out=$("$ACTORD_BIN" --version)
expect_true "actord --version prints actord $version ($out)" test "$out" = "actord $version"
out=$("$CTL" --version)
expect_true "actorctl --version prints actorctl $version ($out)" test "$out" = "actorctl $version"

# ---- --check-config -------------------------------------------------------

# check ARGS...: runs actord --check-config ARGS; sets rc, out (stdout),
# err (stderr).
check() {
    "$ACTORD_BIN" --check-config "$@" >"$IT_DIR/check.out" 2>"$IT_DIR/check.err"
    rc=$?
    out=$(cat "$IT_DIR/check.out")
    err=$(cat "$IT_DIR/check.err")
}

# expect_err LINE DESC: the last check's stderr has LINE as a whole line.
expect_err() {
    if grep -qxF -- "$1" "$IT_DIR/check.err"; then
        it_pass "$2"
    else
        it_fail "$2" "expected the line: $1" "stderr was: ${err:0:600}"
    fi
}

check --config "$IT_ROOT/etc/actord.conf"
expect_true "etc/actord.conf as shipped is valid (exit $rc: $err)" test "$rc" -eq 0
expect_true "... and says so ($out)" test "$out" = "actord: the configuration in $IT_ROOT/etc/actord.conf is valid"

check --config "$conf" --listen "unix:$IT_DIR/other.sock"
expect_true "the running file, with a unix listen, is valid (exit $rc: $err)" test "$rc" -eq 0

check
expect_true "no file: the defaults are valid (exit $rc)" test "$rc" -eq 0

bad=$IT_DIR/bad.conf
cat >"$bad" <<EOF
# a file with one error a line, but the good ones
threads = 8
thread = 4
threads = 9
max-body = 1k
sync = always
listen = unix:$IT_DIR/x.sock
socket-group = no-such-group-here
load = $IT_DIR/missing.so
no-upload
socket-mode = 0999
EOF
check --config "$bad"
expect_true "a bad file: exit 1 ($rc)" test "$rc" -eq 1
expect_err "$bad:3: thread: unknown key" "an unknown key, with FILE:LINE"
expect_err "$bad:4: threads: set twice (first on line 2)" "a key set twice"
expect_err "$bad:5: max-body: \"1k\" is not a whole number from 1 to 1073741824" "a bad number"
expect_err "$bad:6: sync: \"always\" is neither normal nor full" "a bad word"
expect_err "$bad:8: socket-group: no group named \"no-such-group-here\"" "a group that does not exist"
expect_err "$bad:9: load: cannot read $IT_DIR/missing.so: No such file or directory" "a plugin that is not there"
expect_err "$bad:10: expected KEY = VALUE" "a line that is no key = value"
expect_err "$bad:11: socket-mode: \"0999\" is not an octal mode from 0 to 0777 (such as 0660)" "a bad mode"
expect_err "actord: the configuration in $bad is not valid" "... and the verdict"
n=$(grep -c "^$bad:" "$IT_DIR/check.err")
expect_true "one line an error: 8 ($n)" test "$n" -eq 8

check --config "$IT_DIR/none.conf"
expect_true "a missing file: exit 1 ($rc)" test "$rc" -eq 1
expect_err "$IT_DIR/none.conf: cannot read: No such file or directory" "... naming it and why"

check --threads 0
expect_true "a bad flag under --check-config: exit 1 ($rc)" test "$rc" -eq 1
expect_err 'actord: --threads: "0" is not a whole number from 1 to 1024' "... naming the flag"

printf 'socket-mode = 0600\n' >"$IT_DIR/mode.conf"
check --config "$IT_DIR/mode.conf" --listen 127.0.0.1:9
expect_err "$IT_DIR/mode.conf:1: socket-mode: needs listen = unix:PATH" "socket-mode needs a unix socket"

# Without --check-config: a bad flag is a usage error (2), a bad file
# stops actord before it opens anything (1).
"$ACTORD_BIN" --threads x --db "$IT_DIR/x.db" </dev/null >/dev/null 2>&1
rc=$?
expect_true "actord --threads x: exit 2 ($rc)" test "$rc" -eq 2
"$ACTORD_BIN" --config "$bad" --db "$IT_DIR/x.db" </dev/null >/dev/null 2>"$IT_DIR/start.err"
rc=$?
expect_true "actord --config BAD: exit 1 ($rc)" test "$rc" -eq 1
expect_true "... saying where" grep -q "^$bad:3: thread: unknown key$" "$IT_DIR/start.err"
expect_true "... and opening no database" test ! -e "$IT_DIR/x.db"

# ---- the running actord: the flag over the file --------------------------

{
    printf '{"pad":"'
    head -c 1000 /dev/zero | tr '\0' x
    printf '"}'
} >"$IT_DIR/1k.json"
it_req PUT /actors/col '{"behavior":"collector"}'
expect_status 201 "spawn col (the flag's --db, not the file's)"
it_req_file POST /actors/col "$IT_DIR/1k.json"
expect_status 202 "a 1 KB body passes: --max-body 5000 overrides the file's 100"
head -c 6000 /dev/zero | tr '\0' x >"$IT_DIR/6k.txt"
it_req_file POST /actors/col "$IT_DIR/6k.txt"
expect_error 413 too_large "a 6 KB body is 413"
expect_json "... over the flag's 5000 bytes" '.message | test("5000")'

it_req PUT /behaviors/mine 'return {}'
expect_error 403 uploads_disabled "the file's no-upload = yes holds"

it_req PUT /actors/c '{"behavior":"counter"}'
for i in 1 2 3 4; do
    it_req POST /actors/c "{\"noise\": $i}"
done
expect_error 429 mailbox_full "the file's max-mailbox = 3 holds"

perm=$(stat -c '%a %g' "$IT_SOCK")
expect_true "the socket is mode 660, group $group ($perm)" test "$perm" = "660 $gid"

# ---- actorctl on the same file ---------------------------------------------

ctlconf=$IT_DIR/ctl.conf
{
    grep -v '^db' "$conf"
    echo "db = $IT_DB"
    echo "listen = unix:$IT_DIR/unused.sock"
} >"$ctlconf"
out=$("$CTL" --config "$ctlconf" get col 2>&1)
rc=$?
expect_true "actorctl --config reads db from the file, skips actord's keys (exit $rc)" \
    bash -c '[ "$1" -eq 0 ] && jq -e ".name == \"col\"" <<<"$2" >/dev/null' _ "$rc" "$out"
out=$("$CTL" --config "$ctlconf" --db "$IT_DIR/other.db" get col 2>&1)
rc=$?
expect_true "actorctl --db overrides the file's db (exit $rc: $out)" \
    bash -c '[ "$1" -eq 1 ] && [[ $2 == *no_such_actor* ]]' _ "$rc" "$out"
out=$("$CTL" --config "$ctlconf" send c '{"add":1}' 2>&1)
rc=$?
expect_true "actorctl takes the file's max-mailbox = 3 (exit $rc: $out)" \
    bash -c '[ "$1" -eq 1 ] && [[ $2 == *mailbox_full* ]]' _ "$rc" "$out"
out=$("$CTL" --config "$bad" get col 2>&1)
rc=$?
expect_true "actorctl refuses a bad file (exit $rc)" test "$rc" -eq 1
expect_true "... naming FILE:LINE and the key" \
    bash -c '[[ $1 == *"$2:3: thread: unknown key"* ]]' _ "$out" "$bad"

# ---- a database that cannot be opened ----------------------------------------

"$ACTORD_BIN" --listen "unix:$IT_DIR/nodb.sock" --db "$IT_DIR/no/such/dir/a.db" \
    </dev/null >/dev/null 2>"$IT_DIR/nodb.log"
rc=$?
expect_true "actord on a database it cannot open: exit 1 ($rc)" test "$rc" -eq 1
expect_true "... logging the file and the reason" \
    grep -qF "level=error event=db_open_failed file=$IT_DIR/no/such/dir/a.db error=storage_error reason=\"unable to open database file ($IT_DIR/no/such/dir: No such file or directory)\"" \
    "$IT_DIR/nodb.log"

it_finish
