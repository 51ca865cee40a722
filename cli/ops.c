/*
 * ops.c - actorctl's operator tools on a whole database: backup, gc,
 * vacuum, stats, export, import and check.  Each is a command of
 * cli_ops_commands[], listed after actorctl.c's own; the work is the
 * engine's (engine.h, "the operator's tools"), this file parses options
 * and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/engine.h"

/*
 * How long a REST call may wait for its answer, in seconds: fcgi's
 * FCGI_WAIT_MAX (POST /actors/NAME/calls/M?timeout=S allows up to it).
 * A reply box older than that and a minute more is one no request waits
 * on any more (actord was stopped while the call waited).
 */
#define CALL_WAIT_MAX_S (300 + 60)

/* gc's default age: a week. */
#define GC_AGE_DEFAULT_S (7 * 24 * 3600)

/* Parses a duration: whole seconds, or a number followed by s, m, h or
 * d.  Sets *ms; 0 or -1. */
static int
ops_parse_age(const char *s, int64_t *ms)
{
    char num[32];
    size_t len = strlen(s);
    long long unit = 1;
    if (len == 0 || len >= sizeof num)
        return -1;
    memcpy(num, s, len + 1);
    switch (num[len - 1]) {
    case 'd':
        unit *= 24;
        /* fall through */
    case 'h':
        unit *= 60;
        /* fall through */
    case 'm':
        unit *= 60;
        /* fall through */
    case 's':
        num[len - 1] = '\0';
        break;
    }
    long long v;
    if (cli_parse_ll(num, 0, INT64_MAX / 1000 / unit, &v) != 0)
        return -1;
    *ms = (int64_t)(v * unit * 1000);
    return 0;
}

/* Returns the integer at key of o. */
static long long
ops_int(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* ---- backup ---- */

static int
cmd_backup(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"pages", required_argument, NULL, 'p'},
        {"pause", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    long long pages = 256, pause = 5;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'p' && cli_parse_ll(optarg, 1, 1 << 20, &pages) == 0)
            continue;
        if (c == 'w' && cli_parse_ll(optarg, 0, 10000, &pause) == 0)
            continue;
        return cli_usage(cmd);
    }
    if (optind != argc - 1)
        return cli_usage(cmd);
    const char *path = argv[optind];
    int64_t t0 = ad_mono_ms(), bytes = 0;
    int err = eng_backup(e, path, (int)pages, (int)pause, &bytes);
    if (err != AD_OK)
        return cli_fail(err, eng_errmsg(e));
    printf("backup %s: %lld bytes in %lld ms\n", path, (long long)bytes,
           (long long)(ad_mono_ms() - t0));
    return 0;
}

/* ---- gc ---- */

static int
cmd_gc(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"age", required_argument, NULL, 'a'},
        {"batch", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int64_t age = (int64_t)GC_AGE_DEFAULT_S * 1000;
    long long batch = 500;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'a' && ops_parse_age(optarg, &age) == 0)
            continue;
        if (c == 'b' && cli_parse_ll(optarg, 1, 100000, &batch) == 0)
            continue;
        if (c == 'j') {
            json = 1;
            continue;
        }
        return cli_usage(cmd);
    }
    if (optind != argc)
        return cli_usage(cmd);
    json_t *out = NULL;
    int err = eng_gc(e, age, (int64_t)CALL_WAIT_MAX_S * 1000, (int)batch, &out);
    if (out && json)
        cli_print_json(out);
    else if (out)
        printf("removed %lld actors (with %lld messages, %lld monitor rows, "
               "%lld link rows, %lld timers, %lld abandoned calls), %lld "
               "reply boxes, %lld dead letters in %lld transactions\n",
               ops_int(out, "actors"), ops_int(out, "messages"),
               ops_int(out, "monitors"), ops_int(out, "links"),
               ops_int(out, "timers"), ops_int(out, "abandoned_calls"),
               ops_int(out, "reply_boxes"), ops_int(out, "dead_letters"),
               ops_int(out, "transactions"));
    json_decref(out);
    if (err != AD_OK)
        return cli_fail(err, eng_errmsg(e));
    return 0;
}

/* ---- vacuum ---- */

static int
cmd_vacuum(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"full", no_argument, NULL, 'f'},
        {"incremental", no_argument, NULL, 'i'},
        {"no-incremental", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    enum eng_vacuum_mode mode = ENG_VACUUM_AUTO;
    int c, modes = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        modes++;
        if (c == 'f')
            mode = ENG_VACUUM_FULL;
        else if (c == 'i')
            mode = ENG_VACUUM_INCREMENTAL;
        else if (c == 'n')
            mode = ENG_VACUUM_NONE;
        else
            return cli_usage(cmd);
    }
    if (optind != argc || modes > 1)
        return cli_usage(cmd);
    json_t *out = NULL;
    int64_t t0 = ad_mono_ms();
    int err = eng_vacuum(e, mode, &out);
    if (err != AD_OK)
        return cli_fail(err, eng_errmsg(e));
    printf("vacuum %s: %lld -> %lld bytes, free pages %lld -> %lld, "
           "auto_vacuum %s, WAL %s, %lld ms\n",
           json_string_value(json_object_get(out, "vacuum")),
           ops_int(out, "bytes_before"), ops_int(out, "bytes_after"),
           ops_int(out, "free_pages_before"), ops_int(out, "free_pages_after"),
           json_string_value(json_object_get(out, "auto_vacuum")),
           json_is_true(json_object_get(out, "checkpointed"))
               ? "checkpointed and truncated"
               : "not truncated (a reader holds it)",
           (long long)(ad_mono_ms() - t0));
    json_decref(out);
    return 0;
}

/* ---- stats ---- */

static int
cmd_stats(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    int json = argc == 2 && strcmp(argv[1], "--json") == 0;
    if (argc != 1 && !json)
        return cli_usage(cmd);
    json_t *out = NULL;
    int err = eng_stats(e, &out);
    if (err != AD_OK)
        return cli_fail(err, eng_errmsg(e));
    if (json) {
        cli_print_json(out);
    } else {
        const char *key;
        json_t *v;
        json_object_foreach(out, key, v)
        {
            printf("%s %lld\n", key, (long long)json_integer_value(v));
        }
    }
    json_decref(out);
    return 0;
}

/* ---- export and import ---- */

/* eng_export's callback: one line of compact JSON on the stream ctx. */
static int
ops_export_line(void *ctx, const json_t *value)
{
    FILE *f = ctx;
    if (json_dumpf(value, f, JSON_COMPACT) != 0 || fputc('\n', f) == EOF)
        return AD_EIO;
    return AD_OK;
}

static int
cmd_export(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"behavior", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    const char *behavior = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c != 'b')
            return cli_usage(cmd);
        behavior = optarg;
    }
    if (argc - optind > 1)
        return cli_usage(cmd);
    const char *path =
        optind < argc && strcmp(argv[optind], "-") != 0 ? argv[optind] : NULL;
    /* A file is written beside its name and renamed into place once
     * whole: an export that failed half way leaves no file that looks
     * like one. */
    char tmp[4096] = "";
    FILE *f = stdout;
    struct stat sb;
    if (path && lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        /* A device, a pipe, a link: written to as it is, never replaced. */
        if ((f = fopen(path, "w")) == NULL) {
            fprintf(stderr, "actorctl: %s: %s\n", path, strerror(errno));
            return 1;
        }
        tmp[0] = '\0';
    } else if (path) {
        snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
        if ((f = fopen(tmp, "w")) == NULL) {
            fprintf(stderr, "actorctl: %s: %s\n", tmp, strerror(errno));
            return 1;
        }
    }
    int64_t actors = 0, behaviors = 0;
    char why[256] = "";
    int err = eng_export(e, behavior, ops_export_line, f, &actors, &behaviors,
                         why, sizeof why);
    int werr = fflush(f) != 0 || ferror(f);
    if (path && tmp[0]) {
        werr |= fsync(fileno(f)) != 0;
        werr |= fclose(f) != 0;
        if (err == AD_OK && !werr && rename(tmp, path) != 0)
            werr = 1;
    } else if (path) {
        werr |= fclose(f) != 0;
    }
    int saved = errno;
    if (path && tmp[0] && (err != AD_OK || werr))
        unlink(tmp);
    if (werr) {
        fprintf(stderr, "actorctl: writing %s: %s\n", path ? path : "stdout",
                strerror(saved));
        return 1;
    }
    if (err != AD_OK)
        return cli_fail(err, why);
    /* Not on the stream the values went to. */
    fprintf(path && tmp[0] ? stdout : stderr,
            "exported %lld actors and %lld behaviour versions to %s\n",
            (long long)actors, (long long)behaviors, path ? path : "stdout");
    return 0;
}

/* Frees the *n values of a batch; *n becomes 0. */
static void
ops_batch_clear(json_t **values, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        json_decref(values[i]);
    *n = 0;
}

static int
cmd_import(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"replace", no_argument, NULL, 'r'},
        {"batch", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    int replace = 0, c;
    long long batch = 100;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'r') {
            replace = 1;
            continue;
        }
        if (c == 'b' && cli_parse_ll(optarg, 1, 100000, &batch) == 0)
            continue;
        return cli_usage(cmd);
    }
    if (argc - optind > 1)
        return cli_usage(cmd);
    const char *path =
        optind < argc && strcmp(argv[optind], "-") != 0 ? argv[optind] : NULL;
    FILE *in = stdin;
    if (path && (in = fopen(path, "r")) == NULL) {
        fprintf(stderr, "actorctl: %s: %s\n", path, strerror(errno));
        return 1;
    }
    json_t **values = calloc((size_t)batch, sizeof *values);
    long *lines = calloc((size_t)batch, sizeof *lines);
    struct eng_import tally = {0};
    char *line = NULL, why[512];
    size_t linecap = 0, n = 0;
    long lineno = 0;
    ssize_t len;
    int rc = 1, eof = 0;
    if (values == NULL || lines == NULL) {
        cli_fail(AD_ENOMEM, NULL);
        goto out;
    }
    while (!eof) {
        len = getline(&line, &linecap, in);
        if (len < 0) {
            eof = 1;
        } else {
            lineno++;
            while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = '\0';
            if (strspn(line, " \t") == (size_t)len)
                continue;
            json_error_t je;
            json_t *v = json_loadb(line, (size_t)len, 0, &je);
            if (v == NULL) {
                fprintf(stderr, "line %ld: bad_json: %s\n", lineno, je.text);
                lineno -= (long)n; /* the batch's first line */
                goto refused;
            }
            values[n] = v;
            lines[n++] = lineno;
            if (n < (size_t)batch)
                continue;
        }
        if (n == 0)
            continue;
        size_t bad = n;
        int err =
            eng_import(e, values, n, replace, &tally, &bad, why, sizeof why);
        if (err != AD_OK) {
            fprintf(stderr, "line %ld: %s: %s\n", bad < n ? lines[bad] : lineno,
                    ad_errcode(err), why[0] ? why : ad_strerror(err));
            lineno = lines[0];
            goto refused;
        }
        ops_batch_clear(values, &n);
    }
    if (ferror(in)) {
        fprintf(stderr, "actorctl: reading %s: %s\n", path ? path : "stdin",
                strerror(errno));
        goto out;
    }
    rc = 0;
    goto report;
refused:
    fprintf(stderr,
            "actorctl: the lines before line %ld are imported, nothing from "
            "it on\n",
            lineno);
report:
    printf("imported %lld actors (%lld replaced) with %lld messages, %lld "
           "timers (%lld with new ids), %lld ties; %lld behaviour versions "
           "(%lld here already)\n",
           (long long)tally.actors, (long long)tally.replaced,
           (long long)tally.messages, (long long)tally.timers,
           (long long)tally.renumbered, (long long)tally.ties,
           (long long)tally.behaviors, (long long)tally.same);
out:
    if (values)
        ops_batch_clear(values, &n);
    free(values);
    free(lines);
    free(line);
    if (path)
        fclose(in);
    return rc;
}

/* ---- check ---- */

static int
cmd_check(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"call-timeout", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int64_t call_max = (int64_t)CALL_WAIT_MAX_S * 1000;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 't' && ops_parse_age(optarg, &call_max) == 0)
            continue;
        if (c == 'j') {
            json = 1;
            continue;
        }
        return cli_usage(cmd);
    }
    if (optind != argc)
        return cli_usage(cmd);
    json_t *out = NULL;
    int err = eng_check(e, call_max, &out);
    if (err != AD_OK)
        return cli_fail(err, eng_errmsg(e));
    int ok = json_is_true(json_object_get(out, "ok"));
    if (json) {
        cli_print_json(out);
    } else {
        const json_t *checks = json_object_get(out, "checks"), *ch;
        size_t i;
        json_array_foreach(checks, i, ch)
        {
            const char *name = json_string_value(json_object_get(ch, "check"));
            if (json_is_true(json_object_get(ch, "ok"))) {
                printf("ok   %s\n", name);
                continue;
            }
            printf("FAIL %s: %lld: %s must hold\n     e.g. %s\n", name,
                   ops_int(ch, "count"),
                   json_string_value(json_object_get(ch, "what")),
                   json_string_value(json_object_get(ch, "examples")));
        }
        if (!ok)
            fprintf(stderr, "actorctl: the database breaks the checks marked "
                            "FAIL\n");
    }
    json_decref(out);
    return ok ? 0 : 1;
}

/* ---- the table ---- */

const struct command cli_ops_commands[] = {
    {"backup", "backup [--pages N] [--pause MS] FILE",
     "copy the live database into FILE",
     "usage: actorctl backup [--pages N] [--pause MS] FILE\n"
     "\n"
     "Copies the database into FILE with SQLite's online backup, safe while\n"
     "actord serves: N pages a step (default 256) with MS milliseconds\n"
     "between steps (default 5), all from one read snapshot, so the copy\n"
     "holds exactly what was committed when the backup began and actord's\n"
     "writes go on meanwhile (WAL).  The copy is written beside FILE,\n"
     "passes PRAGMA integrity_check, and is then renamed onto FILE\n"
     "(replacing it).  Refuses the database itself, or a FILE with a -wal\n"
     "or -journal beside it (a database in use).  To restore, stop actord\n"
     "and put the copy in place of the database (or start actord on it\n"
     "with --db FILE).  Prints `backup FILE: N bytes in T ms`.\n",
     1, cmd_backup},
    {"gc", "gc [--age AGE] [--batch N] [--json]",
     "remove old ended actors, dead letters",
     "usage: actorctl gc [--age AGE] [--batch N] [--json]\n"
     "\n"
     "Removes ended actors (exited, failed, killed) last changed at least\n"
     "AGE ago, with everything that refers to them (mailbox rows, watches,\n"
     "links, timers, abandoned calls), and dead letters buried at least\n"
     "AGE ago; also the reply boxes of REST calls that no request waits on\n"
     "any more (older than 6 minutes: actord stopped while they waited).\n"
     "AGE is seconds, or a number with s, m, h or d (default 7d).  Works\n"
     "N actors (default 500) or 10 N dead letters a transaction, so that\n"
     "actord goes on meanwhile.  Prints what it removed (--json: as JSON).\n"
     "A removed actor's name is free again; GET answers 404 for it.\n",
     1, cmd_gc},
    {"vacuum", "vacuum [--full | --incremental | --no-incremental]",
     "give free pages back to the file system",
     "usage: actorctl vacuum [--full | --incremental | --no-incremental]\n"
     "\n"
     "Without options: when the database is set for incremental vacuum,\n"
     "frees its free pages (PRAGMA incremental_vacuum, quick); otherwise a\n"
     "full VACUUM, which rebuilds the whole file.  A full VACUUM holds the\n"
     "write lock until it is done (actord's writes wait, and answer 503\n"
     "busy past its busy timeout), and needs free disk space as large as\n"
     "the database: run it when actord is stopped or quiet.  --full always\n"
     "rebuilds; --incremental sets the database for incremental vacuum\n"
     "(auto_vacuum = INCREMENTAL) and rebuilds it once, so later vacuums\n"
     "are incremental; --no-incremental sets it back.  The WAL is then\n"
     "checkpointed and truncated.  Prints the sizes before and after.\n",
     1, cmd_vacuum},
    {"stats", "stats [--json]", "counts and sizes, as `key value` lines",
     "usage: actorctl stats [--json]\n"
     "\n"
     "Prints `key value` lines (--json: one JSON object): actors by status\n"
     "(actors_runnable, actors_waiting, actors_exited, actors_failed,\n"
     "actors_killed, actors_stranded, actors_total), calls_pending (REST\n"
     "calls waiting for their answer), messages_queued, dead_letters,\n"
     "timers_pending, monitors, links, behaviors_c (compiled in and the\n"
     "plugins this actorctl loaded), behaviors_lua and lua_versions\n"
     "(uploaded), db_page_size, db_pages, db_free_pages, db_bytes\n"
     "(page_size * pages), wal_bytes (the -wal file now) and\n"
     "schema_version.  All counts come from one snapshot.\n",
     1, cmd_stats},
    {"export", "export [--behavior B] [FILE]",
     "write actors as JSON lines, to move them",
     "usage: actorctl export [--behavior B] [FILE]\n"
     "\n"
     "Writes every actor (of behaviour B only, with --behavior) as one\n"
     "JSON line to FILE (default or -: standard output), from one\n"
     "snapshot: its name, behaviour and version, status, resume point,\n"
     "the shapes it waits for, deadline, args, state, result or error,\n"
     "and its mailbox (messages in order), timers, watches, links and\n"
     "abandoned calls: what `actorctl import` needs to resume it exactly\n"
     "in another database.  The sources of the uploaded (Lua) behaviour\n"
     "versions they run come first, one line each.  A regular FILE is\n"
     "written beside its name and renamed into place when whole (a device\n"
     "or pipe is written to as it is).  The format is in\n"
     "docs/operations.md.\n",
     1, cmd_export},
    {"import", "import [--replace] [--batch N] [FILE]",
     "read actors written by export",
     "usage: actorctl import [--replace] [--batch N] [FILE]\n"
     "\n"
     "Reads the JSON lines of `actorctl export` from FILE (default or -:\n"
     "standard input) and puts the actors, their mailboxes, timers, ties\n"
     "and behaviour sources into this database, N lines a transaction\n"
     "(default 100).  An actor whose name is taken here is refused, or\n"
     "with --replace the one here is removed first (not killed: nobody is\n"
     "told).  Watches and links are made where both actors are here by\n"
     "the end; a timer keeps its id unless the id is taken here.  A bad\n"
     "line stops the import: the batches before it are imported, nothing\n"
     "from its batch on, and `line N: CODE: TEXT` says what is wrong.\n"
     "Imported actors run when actord (or `actorctl run`) next looks.\n",
     1, cmd_import},
    {"check", "check [--call-timeout AGE] [--json]",
     "integrity_check and actord's own invariants",
     "usage: actorctl check [--call-timeout AGE] [--json]\n"
     "\n"
     "Runs PRAGMA integrity_check, then actord's own invariants: every\n"
     "message, watch, link, timer and abandoned call refers to an actor\n"
     "that exists; each actor's stored mailbox count equals its messages;\n"
     "ended actors hold no messages and no timers; a waiting actor has\n"
     "shapes and a resume point; interned shapes exist; the ties bits\n"
     "cover the ties; links go both ways; state and args are JSON objects\n"
     "and message bodies JSON; no uploaded version is numbered above its\n"
     "behaviour's last; no REST call's reply box is older than AGE\n"
     "(default 6m: the longest a call waits, and a minute).  Prints `ok\n"
     "NAME` or `FAIL NAME: COUNT: ...` with examples per check; exits 1\n"
     "when any fails.\n",
     1, cmd_check},
};

const size_t cli_ops_ncommands =
    sizeof cli_ops_commands / sizeof cli_ops_commands[0];
