/*
 * actorctl.c - the command-line tool on an actord database, for operators
 * and for cron jobs: spawn, send (one message, or JSON lines in one
 * transaction), get, kill, list, mailbox, and run (drain runnable work:
 * the cron companion of a CGI deployment).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "behaviors/behaviors.h"
#include "engine/engine.h"

#define BATCH_MAX_LINE (1 << 20)

static const char *const usage_main =
    "usage: actorctl [--db PATH] COMMAND [ARGS]\n"
    "\n"
    "Works on the actord database directly (default ./actord.db, or\n"
    "$ACTORD_DB), beside running actord processes.\n"
    "\n"
    "commands:\n"
    "  spawn NAME BEHAVIOR [ARGS_JSON]  start an actor (NAME - : generated)\n"
    "  send NAME MESSAGE_JSON           send one message\n"
    "  send NAME < lines                send each line (a JSON message) to NAME\n"
    "  send < lines                     send lines {\"to\": NAME, \"message\": M}\n"
    "  get NAME                         print the actor document\n"
    "  kill NAME                        end the actor with status killed\n"
    "  list [--behavior B] [--status S] [--limit N] [--after NAME]\n"
    "  mailbox NAME                     print the unread messages\n"
    "  run [--steps N] [--seconds S]    run runnable actors, then exit\n"
    "  dead-letters [--limit N] [--after SEQ]\n"
    "                                   print undeliverable messages\n"
    "  collect [--upto SEQ]             delete dead letters (all, or up to SEQ)\n"
    "  behaviors                        list the behaviours of this build\n"
    "\n"
    "Run `actorctl COMMAND --help` for one command.  Exit status: 0 done,\n"
    "1 refused or failed (the reason is on standard error), 2 usage.\n";

static const char *const usage_send =
    "usage: actorctl send NAME MESSAGE_JSON\n"
    "       actorctl send NAME < messages.jsonl\n"
    "       actorctl send < batch.jsonl\n"
    "\n"
    "With a message argument, sends it and prints {\"accepted\": true,\n"
    "\"seq\": N}.  Otherwise reads standard input, one JSON value per line:\n"
    "a message for NAME, or, without NAME, {\"to\": NAME, \"message\": M}.\n"
    "Blank lines are skipped.  The whole batch is one transaction: when any\n"
    "line is bad (malformed JSON, unknown or ended actor), every bad line is\n"
    "reported as `line N: CODE: TEXT` on standard error, nothing is sent,\n"
    "and the exit status is 1; fix the lines and send the batch again.\n"
    "On success prints `sent N messages`.\n";

static const char *const usage_spawn =
    "usage: actorctl spawn NAME BEHAVIOR [ARGS_JSON]\n"
    "\n"
    "Starts an actor of BEHAVIOR with ARGS_JSON (an object, default {})\n"
    "under NAME (- for a generated name) and prints its document.  A live\n"
    "actor of that name is an error; an ended one is replaced.\n";

static const char *const usage_run =
    "usage: actorctl run [--steps N] [--seconds S]\n"
    "\n"
    "Runs runnable actors until none is left, N steps were run, or S\n"
    "seconds passed, then prints `ran N steps` and exits.  Under a CGI\n"
    "deployment, run it from cron (say every minute) to drive the actors.\n";

static const char *const usage_list =
    "usage: actorctl list [--behavior B] [--status S] [--limit N] "
    "[--after NAME]\n"
    "\n"
    "Prints {\"actors\": [...], \"next\": NAME or null} in name order; pass\n"
    "next as --after for the following page.  --limit defaults to 100.\n";

static const char *const usage_one =
    "usage: actorctl get|kill|mailbox NAME\n"
    "\n"
    "get prints the actor document; kill ends a live actor with status\n"
    "killed and prints its document; mailbox prints its unread messages.\n";

static int
fail(int err, const char *what)
{
    fprintf(stderr, "actorctl: %s: %s%s%s\n", ad_errcode(err),
            ad_strerror(err), what ? ": " : "", what ? what : "");
    return 1;
}

/* Prints v (stolen) as JSON on standard output. */
static void
print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
    json_decref(v);
}

static const char *const usage_dead =
    "usage: actorctl dead-letters [--limit N] [--after SEQ]\n"
    "       actorctl collect [--upto SEQ]\n"
    "\n"
    "dead-letters prints {\"dead_letters\": [{\"seq\", \"from\", \"to\",\n"
    "\"reason\", \"body\", \"time\"}, ...], \"next\": SEQ or null}, oldest\n"
    "first (--limit defaults to 100; pass next as --after for the next\n"
    "page).  A dead letter is a message a behaviour sent to an unknown or\n"
    "ended actor, or one left unread when its actor exited, failed or was\n"
    "killed.  collect deletes them (all, or those with seq <= --upto) and\n"
    "prints `collected N dead letters`.\n";

/* dead-letters and collect. */
static int
cmd_dead(struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"limit", required_argument, NULL, 'l'},
        {"after", required_argument, NULL, 'a'},
        {"upto", required_argument, NULL, 'u'},
        {NULL, 0, NULL, 0},
    };
    int collect = strcmp(argv[0], "collect") == 0;
    long long limit = 100, after = 0, upto = INT64_MAX;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        long long v = 0;
        if (c == 'l' || c == 'a' || c == 'u') {
            errno = 0;
            v = strtoll(optarg, &end, 10);
            if (*end || errno || v < 0)
                goto bad;
        }
        if (c == 'l' && !collect && v >= 1 && v <= 1000000)
            limit = v;
        else if (c == 'a' && !collect)
            after = v;
        else if (c == 'u' && collect)
            upto = v;
        else
            goto bad;
    }
    if (optind != argc)
        goto bad;
    int err;
    if (collect) {
        int64_t n = 0;
        err = eng_dead_letters_collect(e, upto, &n);
        if (err != AD_OK)
            return fail(err, NULL);
        printf("collected %lld dead letters\n", (long long)n);
        return 0;
    }
    json_t *out = NULL;
    err = eng_dead_letters(e, after, (int)limit, &out);
    if (err != AD_OK)
        return fail(err, NULL);
    print_json(out);
    return 0;
bad:
    fputs(usage_dead, stderr);
    return 2;
}

static int
wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

static int
cmd_spawn(struct eng *e, int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fputs(usage_spawn, stderr);
        return 2;
    }
    json_t *args = NULL;
    if (argc == 4) {
        json_error_t je;
        args = json_loads(argv[3], 0, &je);
        if (!json_is_object(args)) {
            json_decref(args);
            return fail(AD_EBADJSON, "ARGS_JSON must be a JSON object");
        }
    }
    const char *name = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_spawn(e, name, argv[2], args, &doc, &why);
    json_decref(args);
    if (err != AD_OK)
        return fail(err, why ? why : argv[1]);
    print_json(doc);
    return 0;
}

/* Reads the batch from standard input and sends it in one transaction. */
static int
send_batch(struct eng *e, const char *to)
{
    size_t cap = 0, n = 0;
    char **names = NULL;
    json_t **msgs = NULL;
    long *lines = NULL;
    int bad = 0, rc = 1;
    char *line = NULL;
    size_t linecap = 0;
    long lineno = 0;
    ssize_t len;
    while ((len = getline(&line, &linecap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (strspn(line, " \t") == (size_t)len)
            continue;
        json_error_t je;
        json_t *v = json_loadb(line, (size_t)len, JSON_DECODE_ANY, &je);
        const char *name = to;
        json_t *msg = v;
        if (v == NULL) {
            fprintf(stderr, "line %ld: bad_json: %s\n", lineno, je.text);
            bad = 1;
            continue;
        }
        if (to == NULL) {
            name = json_string_value(json_object_get(v, "to"));
            msg = json_object_get(v, "message");
            if (name == NULL || msg == NULL) {
                fprintf(stderr,
                        "line %ld: bad_request: expected {\"to\": NAME, "
                        "\"message\": M}\n",
                        lineno);
                json_decref(v);
                bad = 1;
                continue;
            }
            if (!ad_name_valid(name, strlen(name))) {
                fprintf(stderr, "line %ld: bad_name: %s\n", lineno, name);
                json_decref(v);
                bad = 1;
                continue;
            }
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nn = realloc(names, cap * sizeof *nn);
            if (nn)
                names = nn;
            json_t **nm = realloc(msgs, cap * sizeof *nm);
            if (nm)
                msgs = nm;
            long *nl = realloc(lines, cap * sizeof *nl);
            if (nl)
                lines = nl;
            if (!nn || !nm || !nl) {
                json_decref(v);
                fail(AD_ENOMEM, NULL);
                goto out;
            }
        }
        names[n] = strdup(name);
        msgs[n] = json_incref(msg);
        lines[n] = lineno;
        json_decref(v);
        n++;
    }
    int *errs = calloc(n ? n : 1, sizeof *errs);
    if (errs == NULL) {
        fail(AD_ENOMEM, NULL);
        goto out;
    }
    /* With bad lines already, a dry run still reports the others. */
    int err = eng_send_many(e, (const char *const *)names, msgs, n, bad,
                            errs, NULL);
    if (err == AD_EINVAL || (err == AD_OK && bad)) {
        for (size_t i = 0; i < n; i++)
            if (errs[i] != AD_OK)
                fprintf(stderr, "line %ld: %s: %s: %s\n", lines[i],
                        ad_errcode(errs[i]), ad_strerror(errs[i]), names[i]);
        fprintf(stderr, "actorctl: nothing sent: fix the lines above\n");
    } else if (err != AD_OK) {
        fail(err, "nothing sent");
    } else {
        printf("sent %zu messages\n", n);
        rc = 0;
    }
    free(errs);
out:
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
        json_decref(msgs[i]);
    }
    free(names);
    free(msgs);
    free(lines);
    free(line);
    return rc;
}

static int
cmd_send(struct eng *e, int argc, char **argv)
{
    if (argc > 3) {
        fputs(usage_send, stderr);
        return 2;
    }
    if (argc == 3) {
        json_error_t je;
        json_t *msg = json_loads(argv[2], JSON_DECODE_ANY, &je);
        if (msg == NULL)
            return fail(AD_EBADJSON, je.text);
        int64_t seq = 0;
        int err = eng_send(e, argv[1], msg, &seq);
        json_decref(msg);
        if (err != AD_OK)
            return fail(err, argv[1]);
        printf("{\"accepted\": true, \"seq\": %lld}\n", (long long)seq);
        return 0;
    }
    return send_batch(e, argc == 2 ? argv[1] : NULL);
}

static int
cmd_one(struct eng *e, int argc, char **argv)
{
    if (argc != 2) {
        fputs(usage_one, stderr);
        return 2;
    }
    json_t *doc = NULL;
    int err;
    if (strcmp(argv[0], "get") == 0)
        err = eng_get(e, argv[1], &doc);
    else if (strcmp(argv[0], "kill") == 0)
        err = eng_kill(e, argv[1], &doc);
    else
        err = eng_mailbox(e, argv[1], 0, 0, &doc);
    if (err != AD_OK)
        return fail(err, argv[1]);
    print_json(doc);
    return 0;
}

static int
cmd_list(struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"behavior", required_argument, NULL, 'b'},
        {"status", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"after", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *behavior = NULL, *status = NULL, *after = NULL;
    long limit = 100;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'b': behavior = optarg; break;
        case 's': status = optarg; break;
        case 'a': after = optarg; break;
        case 'l':
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 1 || limit > 1000000) {
                fputs(usage_list, stderr);
                return 2;
            }
            break;
        default: fputs(usage_list, stderr); return 2;
        }
    }
    if (optind != argc) {
        fputs(usage_list, stderr);
        return 2;
    }
    json_t *out = NULL;
    int err = eng_list(e, behavior, status, after, (int)limit, &out);
    if (err != AD_OK)
        return fail(err, status);
    print_json(out);
    return 0;
}

static int
cmd_run(struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"steps", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    long max_steps = 0;
    double seconds = 0;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'n':
            max_steps = strtol(optarg, &end, 10);
            if (*end || max_steps < 0)
                goto bad;
            break;
        case 's':
            seconds = strtod(optarg, &end);
            if (*end || seconds < 0)
                goto bad;
            break;
        default: goto bad;
        }
    }
    if (optind != argc)
        goto bad;
    eng_unstrand(e);
    long steps = 0;
    int err = eng_run(e, max_steps, (int64_t)(seconds * 1000), &steps);
    printf("ran %ld steps\n", steps);
    if (err != AD_OK)
        return fail(err, eng_errmsg(e));
    return 0;
bad:
    fputs(usage_run, stderr);
    return 2;
}

int
main(int argc, char **argv)
{
    const char *env = getenv("ACTORD_DB");
    const char *db = env && *env ? env : "actord.db";
    if (behaviors_register_standard() != 0 || eng_init() != 0) {
        fprintf(stderr, "actorctl: the engine did not initialise\n");
        return 1;
    }
    int i = 1;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            db = argv[i] + 5;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            fputs(usage_main, stdout);
            return 0;
        } else {
            fputs(usage_main, stderr);
            return 2;
        }
    }
    if (i == argc) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[i];
    int cargc = argc - i;
    char **cargv = argv + i;
    static const char *const commands[] = {
        "spawn", "send", "get", "kill", "mailbox", "list", "run",
        "behaviors", "dead-letters", "collect",
    };
    int known = 0;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        known |= strcmp(cmd, commands[k]) == 0;
    if (!known) {
        fprintf(stderr, "actorctl: unknown command %s\n\n%s", cmd,
                usage_main);
        return 2;
    }
    if (wants_help(cargc, cargv)) {
        const char *u = usage_one;
        if (strcmp(cmd, "spawn") == 0)
            u = usage_spawn;
        else if (strcmp(cmd, "send") == 0)
            u = usage_send;
        else if (strcmp(cmd, "run") == 0)
            u = usage_run;
        else if (strcmp(cmd, "list") == 0)
            u = usage_list;
        else if (strcmp(cmd, "dead-letters") == 0 ||
                 strcmp(cmd, "collect") == 0)
            u = usage_dead;
        else if (strcmp(cmd, "behaviors") == 0)
            u = "usage: actorctl behaviors\n\nLists the behaviours of this "
                "build.\n";
        fputs(u, stdout);
        return 0;
    }
    if (strcmp(cmd, "behaviors") == 0) {
        print_json(eng_behaviors());
        return 0;
    }
    struct eng *e = NULL;
    int err = eng_open(db, NULL, &e);
    if (err != AD_OK)
        return fail(err, db);
    int rc;
    if (strcmp(cmd, "spawn") == 0)
        rc = cmd_spawn(e, cargc, cargv);
    else if (strcmp(cmd, "send") == 0)
        rc = cmd_send(e, cargc, cargv);
    else if (strcmp(cmd, "list") == 0)
        rc = cmd_list(e, cargc, cargv);
    else if (strcmp(cmd, "run") == 0)
        rc = cmd_run(e, cargc, cargv);
    else if (strcmp(cmd, "dead-letters") == 0 || strcmp(cmd, "collect") == 0)
        rc = cmd_dead(e, cargc, cargv);
    else
        rc = cmd_one(e, cargc, cargv);
    eng_close(e);
    return rc;
}
