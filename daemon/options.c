/*
 * options.c - actord's command line: --help's text and the parser.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"

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
        "options:\n"
        "  --db PATH          database file (default ./actord.db, or\n"
        "                     $ACTORD_DB); created and migrated as needed\n"
        "  --listen ADDR      unix:PATH or 127.0.0.1:PORT\n"
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
        "                     name taken, a failed init) stops actord\n"
        "\n"
        "behaviours in Lua, uploaded with PUT /behaviors/NAME\n"
        "(see docs/behaviors.md and docs/lua.md):\n"
        "  --no-upload        refuse uploads (403 uploads_disabled); the\n"
        "                     behaviours uploaded before still run\n"
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
        "  --help             this text\n");
}

void
options_parse(int argc, char **argv, struct options *o)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"listen", required_argument, NULL, 'l'},
        {"threads", required_argument, NULL, 't'},
        {"max-body", required_argument, NULL, 'm'},
        {"sync", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'b'},
        {"max-message", required_argument, NULL, 'M'},
        {"max-state", required_argument, NULL, 'S'},
        {"max-mailbox", required_argument, NULL, 'X'},
        {"max-hops", required_argument, NULL, 'H'},
        {"step-limit", required_argument, NULL, 'L'},
        {"max-db-size", required_argument, NULL, 'D'},
        {"load", required_argument, NULL, 'P'},
        {"plugin-dir", required_argument, NULL, 'Q'},
        {"no-upload", no_argument, NULL, 'U'},
        {"lua-instructions", required_argument, NULL, 'I'},
        {"lua-memory", required_argument, NULL, 'Y'},
        {"max-waiters", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *env = getenv("ACTORD_DB");
    o->db = env && *env ? env : "actord.db";
    o->threads = 16;
    o->max_waiters = 10000;
    o->max_body = FCGI_MAX_BODY_DEFAULT;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'l':
            o->listen = optarg;
            break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || o->threads < 1 || o->threads > 1024)
                goto bad;
            break;
        case 'm':
            o->max_body = (size_t)strtoull(optarg, &end, 10);
            if (*end || o->max_body < 1 || o->max_body > (1u << 30))
                goto bad;
            break;
        case 's':
            if (strcmp(optarg, "full") == 0)
                o->eng.sync_full = 1;
            else if (strcmp(optarg, "normal") != 0)
                goto bad;
            break;
        case 'b':
            o->eng.batch_steps = (int)strtol(optarg, &end, 10);
            if (*end || o->eng.batch_steps < 1)
                goto bad;
            break;
        case 'M':
        case 'S':
        case 'X':
        case 'H':
        case 'L':
        case 'D': {
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || (c == 'L' && v > 3600 * 1000))
                goto bad;
            /* 0 on the command line is "none": -1 to the engine. */
            long long lim = v == 0 ? -1 : v;
            switch (c) {
            case 'M':
                o->eng.max_message = lim;
                break;
            case 'S':
                o->eng.max_state = lim;
                break;
            case 'X':
                o->eng.max_mailbox = lim;
                break;
            case 'H':
                o->eng.max_hops = lim;
                break;
            case 'L':
                o->eng.step_limit_ms = (int)lim;
                break;
            case 'D':
                o->eng.max_db_bytes = v;
                break;
            }
            break;
        }
        case 'P':
        case 'Q': {
            struct plugin_arg *p =
                realloc(o->plugins, (size_t)(o->nplugins + 1) * sizeof *p);
            if (p == NULL) {
                fprintf(stderr, "actord: out of memory\n");
                exit(1);
            }
            o->plugins = p;
            p[o->nplugins].is_dir = c == 'Q';
            p[o->nplugins].path = optarg;
            o->nplugins++;
            break;
        }
        case 'W':
            o->max_waiters = strtol(optarg, &end, 10);
            if (*end || end == optarg || o->max_waiters < 0 ||
                o->max_waiters > 10000000)
                goto bad;
            break;
        case 'U':
            o->no_upload = 1;
            break;
        case 'I':
        case 'Y': {
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 1)
                goto bad;
            *(c == 'I' ? &o->lua_instructions : &o->lua_memory) = v;
            break;
        }
        case 'h':
            usage(stdout);
            exit(0);
        default:
            goto bad;
        }
    }
    if (optind == argc)
        return;
bad:
    usage(stderr);
    exit(2);
}
