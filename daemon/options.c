/*
 * options.c - actord's configuration: --help's text, the command line,
 * the configuration file (--config, read by conf/), what only actord
 * checks (the socket's group, plugins' paths), --check-config and
 * --version.  Flags on the command line override the file's keys.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "daemon/daemon.h"
#include "util/version.h"

/* The process's configuration: every string of struct options points
 * into it, so it lives as long as the process. */
static struct conf process_conf;

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: actord [options]\n"
        "\n"
        "The actord FastCGI program: durable actors in SQLite behind a web\n"
        "server.  With --listen it serves FastCGI on that socket in the\n"
        "foreground until SIGTERM or SIGINT.  Without it, it serves FastCGI\n"
        "on standard input when that is a socket (spawn-fcgi, mod_fcgid),\n"
        "or else runs once as a CGI program.\n"
        "\n"
        "configuration (see docs/configuration.md):\n"
        "  --config FILE      read options from FILE, `key = value` lines\n"
        "                     whose keys are the long options below without\n"
        "                     their --; options given here override them,\n"
        "                     whatever their order.  No file is read\n"
        "                     without --config\n"
        "  --check-config     check the options and FILE (unknown keys, bad\n"
        "                     values, a missing group or plugin), say what\n"
        "                     is wrong with its FILE:LINE, and exit: 0 when\n"
        "                     all is good, 1 otherwise\n"
        "  --version          print actord's version and exit\n"
        "  --help             this text\n"
        "\n"
        "options:\n"
        "  --db PATH          database file (default ./actord.db, or\n"
        "                     $ACTORD_DB, which comes before the file's\n"
        "                     db); created and migrated as needed\n"
        "  --listen ADDR      unix:PATH or 127.0.0.1:PORT\n"
        "  --socket-mode MODE permissions of the unix socket of --listen,\n"
        "                     in octal (such as 0660; default: as the\n"
        "                     umask leaves them)\n"
        "  --socket-group GROUP  group of that socket (a name or a number),\n"
        "                     so that the web server's user (www-data) may\n"
        "                     connect with --socket-mode 0660\n"
        "  --threads N        request threads (default 16); requests\n"
        "                     that wait (long-polls, calls) hold none\n"
        "  --max-waiters N    requests that may wait at once (default\n"
        "                     10000, fewer when file descriptors are\n"
        "                     short); beyond, 503 busy\n"
        "  --max-body BYTES   largest request body (default 1048576)\n"
        "  --sync MODE        normal (default) or full: SQLite synchronous\n"
        "                     setting; see docs/durability.md\n"
        "  --batch N          actor steps per transaction (default 256)\n"
        "\n"
        "plugins (behaviours in C; see docs/behaviors.md):\n"
        "  --load FILE        load the plugin FILE (a shared object)\n"
        "  --plugin-dir DIR   load every *.so in DIR, in name order\n"
        "                     Both repeat, and load in the order given,\n"
        "                     after the standard behaviours; a plugin\n"
        "                     that is refused (another ABI, a behaviour\n"
        "                     name taken, a failed init) stops actord.\n"
        "                     Either on the command line replaces the\n"
        "                     file's load and plugin-dir lines\n"
        "\n"
        "behaviours in Lua, uploaded with PUT /behaviors/NAME\n"
        "(see docs/behaviors.md and docs/lua.md):\n"
        "  --no-upload        refuse uploads (403 uploads_disabled); the\n"
        "                     behaviours uploaded before still run\n"
        "                     (in a file: no-upload = yes)\n"
        "  --lua-instructions N  Lua instructions one step may run\n"
        "                     (10000000); over it the step is undone and\n"
        "                     the actor fails with step_timeout\n"
        "  --lua-memory BYTES    memory one Lua behaviour may hold\n"
        "                     (67108864); over it: memory_limit\n"
        "\n"
        "limits (0 means none; see docs/limits.md):\n"
        "  --max-message BYTES  largest message, as compact JSON (1048576)\n"
        "  --max-state BYTES    largest actor state (16777216)\n"
        "  --max-mailbox N      messages waiting per actor (100000); a\n"
        "                       send to a full mailbox answers 429\n"
        "  --max-hops N         steps a chain of messages may take from one\n"
        "                       sent from outside (1000000)\n"
        "  --step-limit MS      CPU time of one step before it is cut off\n"
        "                       and its actor fails (2000)\n"
        "  --max-db-size BYTES  the database may not grow past this (none);\n"
        "                       writes beyond answer 507\n"
        "\n"
        "logging (one line per event on standard error; see\n"
        "docs/logging.md):\n"
        "  --log-level LEVEL  debug, info (default), warn or error: the\n"
        "                     least level written\n");
}

/*
 * Resolves name, a group's name or number, into *gid.  Returns 0, or -1
 * when no such group exists.
 */
static int
options_group(const char *name, gid_t *gid)
{
    char *end;
    unsigned long n = strtoul(name, &end, 10);
    if (*name >= '0' && *name <= '9' && *end == '\0') {
        *gid = (gid_t)n;
        return 0;
    }
    struct group *g = getgrnam(name);
    if (g == NULL)
        return -1;
    *gid = g->gr_gid;
    return 0;
}

/*
 * What only actord checks, on the whole configuration c: the socket's
 * options need a unix socket and an existing group; plugins must be
 * there to load.  Sets the socket fields of o.  Writes each error to
 * stderr with its FILE:LINE (or its option); returns how many.
 */
static int
options_check(const struct conf *c, struct options *o)
{
    int errors = 0;
    const struct conf_item *listen = conf_get(c, CONF_LISTEN);
    int is_unix = listen && strncmp(listen->text, "unix:", 5) == 0;
    const struct conf_item *it;
    o->socket_mode = -1;
    o->socket_gid = -1;
    if ((it = conf_get(c, CONF_SOCKET_MODE)) != NULL) {
        o->socket_mode = (int)it->num;
        if (!is_unix) {
            conf_report(stderr, "actord", it, "needs listen = unix:PATH");
            errors++;
        }
    }
    if ((it = conf_get(c, CONF_SOCKET_GROUP)) != NULL) {
        gid_t gid;
        if (!is_unix) {
            conf_report(stderr, "actord", it, "needs listen = unix:PATH");
            errors++;
        }
        if (options_group(it->text, &gid) != 0) {
            conf_report(stderr, "actord", it, "no group named \"%s\"",
                        it->text);
            errors++;
        } else {
            o->socket_gid = (long)gid;
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        struct stat sb;
        it = &c->items[i];
        if (it->id != CONF_LOAD && it->id != CONF_PLUGIN_DIR)
            continue;
        if (stat(it->text, &sb) != 0 || access(it->text, R_OK) != 0)
            conf_report(stderr, "actord", it, "cannot read %s: %s", it->text,
                        strerror(errno));
        else if (it->id == CONF_PLUGIN_DIR && !S_ISDIR(sb.st_mode))
            conf_report(stderr, "actord", it, "%s is not a folder", it->text);
        else if (it->id == CONF_LOAD && S_ISDIR(sb.st_mode))
            conf_report(stderr, "actord", it,
                        "%s is a folder (plugin-dir loads a folder)", it->text);
        else
            continue;
        errors++;
    }
    return errors;
}

/* Fills o from c, checked: the defaults, then the keys c gives. */
static void
options_fill(const struct conf *c, struct options *o)
{
    const struct conf_item *it;
    const char *env = getenv("ACTORD_DB");
    /* --db, then $ACTORD_DB, then the file's db, then the default. */
    it = conf_get(c, CONF_DB);
    if (it != NULL && it->src == NULL)
        o->db = it->text;
    else if (env != NULL && *env != '\0')
        o->db = env;
    else
        o->db = it ? it->text : "actord.db";
    it = conf_get(c, CONF_LISTEN);
    o->listen = it ? it->text : NULL;
    it = conf_get(c, CONF_THREADS);
    o->threads = it ? (int)it->num : 16;
    it = conf_get(c, CONF_MAX_WAITERS);
    o->max_waiters = it ? (long)it->num : 10000;
    it = conf_get(c, CONF_MAX_BODY);
    o->max_body = it ? (size_t)it->num : FCGI_MAX_BODY_DEFAULT;
    it = conf_get(c, CONF_NO_UPLOAD);
    o->no_upload = it ? (int)it->num : 0;
    it = conf_get(c, CONF_LUA_INSTRUCTIONS);
    o->lua_instructions = it ? it->num : 0;
    it = conf_get(c, CONF_LUA_MEMORY);
    o->lua_memory = it ? it->num : 0;
    it = conf_get(c, CONF_LOG_LEVEL);
    o->log_level = it ? (int)it->num : AD_LOG_INFO;
    conf_eng_opts(c, &o->eng);
    for (size_t i = 0; i < c->n; i++) {
        it = &c->items[i];
        if (it->id != CONF_LOAD && it->id != CONF_PLUGIN_DIR)
            continue;
        struct plugin_arg *p =
            realloc(o->plugins, (size_t)(o->nplugins + 1) * sizeof *p);
        if (p == NULL) {
            fprintf(stderr, "actord: out of memory\n");
            exit(1);
        }
        o->plugins = p;
        p[o->nplugins].is_dir = it->id == CONF_PLUGIN_DIR;
        p[o->nplugins].path = it->text;
        o->nplugins++;
    }
}

void
options_parse(int argc, char **argv, struct options *o)
{
    enum { OPT_CONFIG = 1, OPT_CHECK, OPT_VERSION, OPT_HELP };
    struct option longs[CONF_NKEYS + 5] = {
        {"config", required_argument, NULL, OPT_CONFIG},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, OPT_HELP},
    };
    conf_longopts(longs + 4, 0);
    struct conf cli;
    conf_init(&cli);
    const char *file = NULL;
    int check = 0, bad = 0, c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case OPT_CONFIG:
            file = optarg;
            break;
        case OPT_CHECK:
            check = 1;
            break;
        case OPT_VERSION:
            printf("actord %s\n", ACTORD_VERSION);
            exit(0);
        case OPT_HELP:
            usage(stdout);
            exit(0);
        default:
            if (c < CONF_OPT ||
                conf_set_option(&cli, "actord", c, optarg, stderr) != 0)
                bad = 1;
            break;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "actord: unexpected argument %s\n", argv[optind]);
        bad = 1;
    }
    if (bad && !check) {
        fprintf(stderr, "Run actord --help for the options.\n");
        exit(2);
    }
    struct conf *all = &process_conf;
    int errors = 0;
    if (file != NULL)
        errors = conf_load(all, file, stderr);
    if (errors >= 0 && conf_override(all, &cli) != 0)
        errors = -1;
    if (errors < 0) {
        fprintf(stderr, "actord: out of memory\n");
        exit(1);
    }
    errors += options_check(all, o) + bad;
    if (check) {
        if (errors > 0) {
            fprintf(stderr, "actord: the configuration%s%s is not valid\n",
                    file ? " in " : "", file ? file : "");
            exit(1);
        }
        printf("actord: the configuration%s%s is valid\n", file ? " in " : "",
               file ? file : "");
        exit(0);
    }
    if (errors > 0) {
        fprintf(stderr, "actord: not starting: fix the configuration%s%s\n",
                file ? " in " : "", file ? file : "");
        exit(1);
    }
    options_fill(all, o);
}
