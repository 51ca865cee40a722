/*
 * actorctl.c - the command-line tool on an actord database, for operators
 * and for cron jobs: spawn, send (one message, or JSON lines in one
 * transaction), get, kill, mailbox, list, run (drain runnable work: the
 * cron companion of a CGI deployment), dead-letters, collect and
 * behaviors; then the operator's tools of ops.c (backup, gc, vacuum,
 * stats, export, import, check).  Two tables, commands[] and ops.c's
 * cli_ops_commands[], drive dispatch, `actorctl --help` and `actorctl
 * COMMAND --help`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behaviors/behaviors.h"
#include "cli/cli.h"
#include "conf/conf.h"
#include "engine/engine.h"
#include "lua/luab.h"
#include "plugin/plugin.h"
#include "util/version.h"

static const char *const usage_head =
    "usage: actorctl [--config FILE] [--db PATH] [--load FILE]...\n"
    "                [--plugin-dir DIR]... [OPTION]... COMMAND [ARGS]\n"
    "       actorctl --version\n"
    "\n"
    "Works on the actord database directly (default ./actord.db, or\n"
    "$ACTORD_DB), beside running actord processes.\n"
    "\n"
    "--load FILE loads the plugin FILE (a shared object of behaviours in\n"
    "C), --plugin-dir DIR every *.so in DIR in name order; both repeat and\n"
    "load in the order given, after the standard behaviours.  Load the\n"
    "plugins that actord loads, or `run` leaves their actors stranded.\n"
    "A plugin that is refused is an error (exit status 1).\n"
    "\n"
    "--config FILE reads actord's configuration file (the same file;\n"
    "docs/configuration.md) and takes from it what actorctl shares with\n"
    "actord: db, load, plugin-dir, sync, batch, lua-instructions,\n"
    "lua-memory and the limits (max-message, max-state, max-mailbox,\n"
    "max-hops, step-limit, max-db-size).  Its other keys are actord's\n"
    "alone and are skipped; a key neither knows, or a bad value, is an\n"
    "error (exit status 1).  Each shared key is also an option here\n"
    "(--sync full, --max-message BYTES ...), and options override the\n"
    "file; --load or --plugin-dir replace the file's plugins.  --db comes\n"
    "first, then $ACTORD_DB, then the file's db.\n"
    "\n"
    "commands:\n";

static const char *const usage_tail =
    "\n"
    "Run `actorctl COMMAND --help` for one command.  Exit status: 0 done,\n"
    "1 refused or failed (the reason is on standard error), 2 usage.\n";

int
cli_fail(int err, const char *what)
{
    fprintf(stderr, "actorctl: %s: %s%s%s\n", ad_errcode(err), ad_strerror(err),
            what ? ": " : "", what ? what : "");
    return 1;
}

/* Prints the usage of cmd on standard error; returns 2, the exit status
 * of a usage error. */
int
cli_usage(const struct command *cmd)
{
    fputs(cmd->usage, stderr);
    return 2;
}

void
cli_print_json(const json_t *v)
{
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s)
        puts(s);
    free(s);
}

/* Prints v (stolen) as JSON on standard output. */
static void
print_json(json_t *v)
{
    cli_print_json(v);
    json_decref(v);
}

/* Parses optarg as a whole decimal integer from lo to hi into *out.
 * Returns 0, or -1. */
int
cli_parse_ll(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* ---- the commands, in the order of the command list ---- */

static int
cmd_spawn(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    if (argc < 3 || argc > 4)
        return cli_usage(cmd);
    json_t *args = NULL;
    if (argc == 4) {
        json_error_t je;
        args = json_loads(argv[3], 0, &je);
        if (!json_is_object(args)) {
            json_decref(args);
            return cli_fail(AD_EBADJSON, "ARGS_JSON must be a JSON object");
        }
    }
    const char *name = strcmp(argv[1], "-") == 0 ? NULL : argv[1];
    json_t *doc = NULL;
    const char *why = NULL;
    int err = eng_spawn(e, name, argv[2], args, &doc, &why);
    json_decref(args);
    if (err != AD_OK)
        return cli_fail(err, why ? why : argv[1]);
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
                cli_fail(AD_ENOMEM, NULL);
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
        cli_fail(AD_ENOMEM, NULL);
        goto out;
    }
    /* With bad lines already, a dry run still reports the others. */
    int err =
        eng_send_many(e, (const char *const *)names, msgs, n, bad, errs, NULL);
    if (err == AD_EINVAL || (err == AD_OK && bad)) {
        for (size_t i = 0; i < n; i++)
            if (errs[i] != AD_OK)
                fprintf(stderr, "line %ld: %s: %s: %s\n", lines[i],
                        ad_errcode(errs[i]), ad_strerror(errs[i]), names[i]);
        fprintf(stderr, "actorctl: nothing sent: fix the lines above\n");
    } else if (err != AD_OK) {
        cli_fail(err, "nothing sent");
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
cmd_send(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    if (argc > 3)
        return cli_usage(cmd);
    if (argc == 3) {
        json_error_t je;
        json_t *msg = json_loads(argv[2], JSON_DECODE_ANY, &je);
        if (msg == NULL)
            return cli_fail(AD_EBADJSON, je.text);
        int64_t seq = 0;
        int err = eng_send(e, argv[1], msg, &seq);
        json_decref(msg);
        if (err != AD_OK)
            return cli_fail(err, argv[1]);
        printf("{\"accepted\": true, \"seq\": %lld}\n", (long long)seq);
        return 0;
    }
    return send_batch(e, argc == 2 ? argv[1] : NULL);
}

static int
cmd_get(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    if (argc != 2)
        return cli_usage(cmd);
    json_t *doc = NULL;
    int err = eng_get(e, argv[1], &doc);
    if (err != AD_OK)
        return cli_fail(err, argv[1]);
    print_json(doc);
    return 0;
}

static int
cmd_kill(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    if (argc != 2)
        return cli_usage(cmd);
    json_t *doc = NULL;
    int err = eng_kill(e, argv[1], &doc);
    if (err != AD_OK)
        return cli_fail(err, argv[1]);
    print_json(doc);
    return 0;
}

static int
cmd_mailbox(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    if (argc != 2)
        return cli_usage(cmd);
    json_t *doc = NULL;
    /* Limit 0: every unread message. */
    int err = eng_mailbox(e, argv[1], 0, 0, &doc);
    if (err != AD_OK)
        return cli_fail(err, argv[1]);
    print_json(doc);
    return 0;
}

static int
cmd_list(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"behavior", required_argument, NULL, 'b'},
        {"status", required_argument, NULL, 's'},
        {"limit", required_argument, NULL, 'l'},
        {"after", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *behavior = NULL, *status = NULL, *after = NULL;
    long long limit = 100;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'b':
            behavior = optarg;
            break;
        case 's':
            status = optarg;
            break;
        case 'a':
            after = optarg;
            break;
        case 'l':
            if (cli_parse_ll(optarg, 1, 1000000, &limit) != 0)
                return cli_usage(cmd);
            break;
        default:
            return cli_usage(cmd);
        }
    }
    if (optind != argc)
        return cli_usage(cmd);
    json_t *out = NULL;
    int err = eng_list(e, behavior, status, after, (int)limit, &out);
    if (err != AD_OK)
        return cli_fail(err, status);
    print_json(out);
    return 0;
}

static int
cmd_run(const struct command *cmd, struct eng *e, int argc, char **argv)
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
                return cli_usage(cmd);
            break;
        case 's':
            seconds = strtod(optarg, &end);
            if (*end || seconds < 0)
                return cli_usage(cmd);
            break;
        default:
            return cli_usage(cmd);
        }
    }
    if (optind != argc)
        return cli_usage(cmd);
    eng_unstrand(e);
    long steps = 0;
    int err = eng_run(e, max_steps, (int64_t)(seconds * 1000), &steps);
    printf("ran %ld steps\n", steps);
    if (err != AD_OK)
        return cli_fail(err, eng_errmsg(e));
    return 0;
}

static int
cmd_dead_letters(const struct command *cmd, struct eng *e, int argc,
                 char **argv)
{
    static const struct option longs[] = {
        {"limit", required_argument, NULL, 'l'},
        {"after", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    long long limit = 100, after = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'l' && cli_parse_ll(optarg, 1, 1000000, &limit) == 0)
            continue;
        if (c == 'a' && cli_parse_ll(optarg, 0, INT64_MAX, &after) == 0)
            continue;
        return cli_usage(cmd);
    }
    if (optind != argc)
        return cli_usage(cmd);
    json_t *out = NULL;
    int err = eng_dead_letters(e, after, (int)limit, &out);
    if (err != AD_OK)
        return cli_fail(err, NULL);
    print_json(out);
    return 0;
}

static int
cmd_collect(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    static const struct option longs[] = {
        {"upto", required_argument, NULL, 'u'},
        {NULL, 0, NULL, 0},
    };
    long long upto = INT64_MAX;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'u' && cli_parse_ll(optarg, 0, INT64_MAX, &upto) == 0)
            continue;
        return cli_usage(cmd);
    }
    if (optind != argc)
        return cli_usage(cmd);
    int64_t n = 0;
    int err = eng_dead_letters_collect(e, upto, &n);
    if (err != AD_OK)
        return cli_fail(err, NULL);
    printf("collected %lld dead letters\n", (long long)n);
    return 0;
}

static int
cmd_behaviors(const struct command *cmd, struct eng *e, int argc, char **argv)
{
    (void)e;
    (void)argv;
    if (argc != 1)
        return cli_usage(cmd);
    print_json(eng_behaviors());
    return 0;
}

/* ---- the table ---- */

static const struct command commands[] = {
    {"spawn", "spawn NAME BEHAVIOR [ARGS_JSON]",
     "start an actor (NAME - : generated)",
     "usage: actorctl spawn NAME BEHAVIOR [ARGS_JSON]\n"
     "\n"
     "Starts an actor of BEHAVIOR with ARGS_JSON (an object, default {})\n"
     "under NAME (- for a generated name) and prints its document.  A live\n"
     "actor of that name is an error; an ended one is replaced.\n",
     1, cmd_spawn},
    {"send", "send [NAME [MESSAGE_JSON]]",
     "send a message, or JSON lines from stdin",
     "usage: actorctl send NAME MESSAGE_JSON\n"
     "       actorctl send NAME < messages.jsonl\n"
     "       actorctl send < batch.jsonl\n"
     "\n"
     "With a message argument, sends it and prints {\"accepted\": true,\n"
     "\"seq\": N}.  Otherwise reads standard input, one JSON value per\n"
     "line: a message for NAME, or, without NAME, {\"to\": NAME,\n"
     "\"message\": M}.  Blank lines are skipped.  The whole batch is one\n"
     "transaction: when any line is bad (malformed JSON, unknown or ended\n"
     "actor), every bad line is reported as `line N: CODE: TEXT` on\n"
     "standard error, nothing is sent, and the exit status is 1; fix the\n"
     "lines and send the batch again.  On success prints `sent N\n"
     "messages`.\n",
     1, cmd_send},
    {"get", "get NAME", "print the actor document",
     "usage: actorctl get NAME\n"
     "\n"
     "Prints the document of the actor NAME, live or ended.\n",
     1, cmd_get},
    {"kill", "kill NAME", "end the actor with status killed",
     "usage: actorctl kill NAME\n"
     "\n"
     "Ends the live actor NAME with status killed (its watchers and links\n"
     "are told, its unread messages become dead letters) and prints its\n"
     "document.\n",
     1, cmd_kill},
    {"mailbox", "mailbox NAME", "print the unread messages",
     "usage: actorctl mailbox NAME\n"
     "\n"
     "Prints {\"messages\": [{\"seq\", \"from\", \"body\"}, ...]}: every\n"
     "unread message of the actor NAME, oldest first.\n",
     1, cmd_mailbox},
    {"list", "list [--behavior B] [--status S] [--limit N] [--after NAME]",
     "list actors in name order, a page at a time",
     "usage: actorctl list [--behavior B] [--status S] [--limit N]\n"
     "                     [--after NAME]\n"
     "\n"
     "Prints {\"actors\": [...], \"next\": NAME or null} in name order;\n"
     "pass next as --after for the following page.  --limit is 1 to\n"
     "1000000 (default 100).\n",
     1, cmd_list},
    {"run", "run [--steps N] [--seconds S]", "run runnable actors, then exit",
     "usage: actorctl run [--steps N] [--seconds S]\n"
     "\n"
     "Runs runnable actors until none is left, N steps were run, or S\n"
     "seconds passed, then prints `ran N steps` and exits.  Under a CGI\n"
     "deployment, run it from cron (say every minute) to drive the "
     "actors.\n",
     1, cmd_run},
    {"dead-letters", "dead-letters [--limit N] [--after SEQ]",
     "print undeliverable messages",
     "usage: actorctl dead-letters [--limit N] [--after SEQ]\n"
     "\n"
     "Prints {\"dead_letters\": [{\"seq\", \"from\", \"to\", \"reason\", "
     "\"body\",\n"
     "\"time\"}, ...], \"next\": SEQ or null}, oldest first (--limit is 1 to\n"
     "1000000, default 100; pass next as --after for the next page).  A\n"
     "dead letter is a message that could not be delivered: one a\n"
     "behaviour sent to an unknown or ended actor or a full mailbox or past\n"
     "the hop limit, a reply that came late, or one left unread when its\n"
     "actor exited, failed or was killed.  `actorctl collect` deletes\n"
     "them.\n",
     1, cmd_dead_letters},
    {"collect", "collect [--upto SEQ]",
     "delete dead letters (all, or up to SEQ)",
     "usage: actorctl collect [--upto SEQ]\n"
     "\n"
     "Deletes the dead letters (all, or those with seq <= --upto) and "
     "prints\n"
     "`collected N dead letters`.\n",
     1, cmd_collect},
    {"behaviors", "behaviors", "list the behaviours of this build",
     "usage: actorctl behaviors\n"
     "\n"
     "Lists the behaviours of this build.\n",
     0, cmd_behaviors},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Prints one line of the command list on out. */
static void
usage_command(FILE *out, const struct command *c)
{
    /* The help starts at column 35; a longer synopsis has it on the next
     * line. */
    if (strlen(c->synopsis) <= 31)
        fprintf(out, "  %-31s  %s\n", c->synopsis, c->help);
    else
        fprintf(out, "  %s\n%35s%s\n", c->synopsis, "", c->help);
}

/* Prints the whole usage, with the command lists of the tables, on out. */
static void
usage_main(FILE *out)
{
    fputs(usage_head, out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        usage_command(out, &commands[i]);
    fputs("\noperator tools:\n", out);
    for (size_t i = 0; i < cli_ops_ncommands; i++)
        usage_command(out, &cli_ops_commands[i]);
    fputs(usage_tail, out);
}

/* Returns the command named name, or NULL. */
static const struct command *
command_find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    for (size_t i = 0; i < cli_ops_ncommands; i++)
        if (strcmp(cli_ops_commands[i].name, name) == 0)
            return &cli_ops_commands[i];
    return NULL;
}

/* Returns 1 when an argument after the command's name asks for help. */
static int
wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/*
 * Reads the options before the command, and the file of --config, into
 * c (the command line overriding the file); sets *cmd to the index of
 * the command in argv.  Returns -1 to go on, or the exit status: 0 after
 * --help or --version, 2 for a bad option, 1 for a bad file.
 */
static int
read_options(int argc, char **argv, struct conf *c, int *cmd)
{
    struct option longs[CONF_NKEYS + 1];
    struct conf cli;
    const char *file = NULL;
    int i = 1, rc = -1;
    conf_longopts(longs, CONF_CTL);
    conf_init(&cli);
    while (i < argc && argv[i][0] == '-' && rc < 0) {
        const char *arg = argv[i++], *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        const char *value = eq ? eq + 1 : NULL;
        const struct option *o = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage_main(stdout);
            rc = 0;
            break;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("actorctl %s\n", ACTORD_VERSION);
            rc = 0;
            break;
        }
        for (int k = 0; longs[k].name != NULL && strncmp(arg, "--", 2) == 0;
             k++)
            if (strlen(longs[k].name) == n - 2 &&
                memcmp(longs[k].name, arg + 2, n - 2) == 0)
                o = &longs[k];
        int takes = o == NULL || o->has_arg == required_argument;
        if (value == NULL && takes && i < argc)
            value = argv[i++];
        if (n == 8 && memcmp(arg, "--config", 8) == 0 && value != NULL) {
            file = value;
        } else if (o == NULL || (takes && value == NULL) ||
                   (!takes && eq != NULL)) {
            fprintf(stderr, "actorctl: bad option %s\n\n", arg);
            usage_main(stderr);
            rc = 2;
        } else if (conf_set_option(&cli, "actorctl", o->val, value, stderr)) {
            rc = 2;
        }
    }
    *cmd = i;
    if (rc >= 0) {
        conf_free(&cli);
        return rc;
    }
    int errors = file ? conf_load(c, file, stderr) : 0;
    if (errors >= 0 && conf_override(c, &cli) != 0)
        errors = -1;
    conf_free(&cli);
    if (errors < 0)
        return cli_fail(AD_ENOMEM, NULL);
    if (errors > 0) {
        fprintf(stderr, "actorctl: fix the configuration in %s\n", file);
        return 1;
    }
    return -1;
}

int
main(int argc, char **argv)
{
    struct conf conf;
    struct eng_opts opts = {0};
    int i, rc;
    conf_init(&conf);
    /* actorctl reports on its own terms; actord's log (util.h) is for
     * the daemon. */
    ad_log_set_level(AD_LOG_OFF);
    /* The standard behaviours first, so that they keep their names; then
     * the plugins in the order given; eng_init once they are loaded. */
    if (behaviors_register_standard() != 0) {
        fprintf(stderr, "actorctl: the engine did not initialise\n");
        return 1;
    }
    if ((rc = read_options(argc, argv, &conf, &i)) >= 0)
        goto out;
    rc = 1;
    for (size_t k = 0; k < conf.n; k++) {
        char err[1024];
        const struct conf_item *it = &conf.items[k];
        if (it->id != CONF_LOAD && it->id != CONF_PLUGIN_DIR)
            continue;
        if ((it->id == CONF_PLUGIN_DIR
                 ? plugin_load_dir(it->text, err, sizeof err)
                 : plugin_load(it->text, err, sizeof err)) != AD_OK) {
            fprintf(stderr, "actorctl: %s\n", err);
            goto out;
        }
    }
    /* Actors of uploaded (Lua) behaviours run here too, with actord's
     * budgets when the configuration gives them. */
    const struct conf_item *instr = conf_get(&conf, CONF_LUA_INSTRUCTIONS);
    const struct conf_item *mem = conf_get(&conf, CONF_LUA_MEMORY);
    luab_set_limits(instr ? instr->num : 0, mem ? mem->num : 0);
    if (eng_set_language(luab_language()) != AD_OK || eng_init() != 0) {
        fprintf(stderr, "actorctl: the engine did not initialise\n");
        goto out;
    }
    rc = 2;
    if (i == argc) {
        usage_main(stderr);
        goto out;
    }
    const struct command *cmd = command_find(argv[i]);
    int cargc = argc - i;
    char **cargv = argv + i;
    if (cmd == NULL) {
        fprintf(stderr, "actorctl: unknown command %s\n\n", argv[i]);
        usage_main(stderr);
        goto out;
    }
    rc = 0;
    if (wants_help(cargc, cargv)) {
        fputs(cmd->usage, stdout);
        goto out;
    }
    if (!cmd->open_db) {
        rc = cmd->run(cmd, NULL, cargc, cargv);
        goto out;
    }
    /* --db, then $ACTORD_DB, then the file's db, then the default. */
    const char *env = getenv("ACTORD_DB");
    const struct conf_item *dbi = conf_get(&conf, CONF_DB);
    const char *db = dbi && dbi->src == NULL ? dbi->text
                     : env && *env           ? env
                     : dbi                   ? dbi->text
                                             : "actord.db";
    conf_eng_opts(&conf, &opts);
    struct eng *e = NULL;
    char why[512];
    int err = eng_open_why(db, &opts, &e, why, sizeof why);
    if (err != AD_OK) {
        fprintf(stderr, "actorctl: %s: cannot open the database %s: %s\n",
                ad_errcode(err), db, why);
        rc = 1;
        goto out;
    }
    rc = cmd->run(cmd, e, cargc, cargv);
    eng_close(e);
out:
    conf_free(&conf);
    return rc;
}
