/*
 * cli.h - what the files of actorctl share: the shape of a command, and
 * the tables of commands that live outside actorctl.c.  actorctl.c holds
 * the program (options, dispatch, help) and the commands on actors;
 * ops.c the operator's tools on the whole database.
 */
#ifndef ACTORD_CLI_H
#define ACTORD_CLI_H

#include <jansson.h>
#include <stddef.h>

struct eng;

/* One command of actorctl. */
struct command {
    const char *name;     /* as typed: argv[0] of run */
    const char *synopsis; /* name and arguments, for the command list */
    const char *help;     /* one line for the command list */
    const char *usage;    /* the whole text of `actorctl NAME --help` */
    int open_db;          /* 1 when run needs the database */
    /* Runs the command with argv[0] the command's name, on e (NULL when
     * open_db is 0).  Returns the exit status: 0 done, 1 refused or
     * failed, 2 usage (cli_usage prints cmd->usage). */
    int (*run)(const struct command *cmd, struct eng *e, int argc, char **argv);
};

/* Says on standard error that err happened (to what, may be NULL);
 * returns 1, the exit status of a refusal. */
int cli_fail(int err, const char *what);

/* Prints the usage of cmd on standard error; returns 2, the exit status
 * of a usage error. */
int cli_usage(const struct command *cmd);

/* Prints v (borrowed) as indented JSON on standard output. */
void cli_print_json(const json_t *v);

/* Parses s as a whole decimal integer from lo to hi into *out; 0 or -1. */
int cli_parse_ll(const char *s, long long lo, long long hi, long long *out);

/* The operator's tools (ops.c): backup, gc, vacuum, stats, export,
 * import, check; listed after actorctl.c's own commands. */
extern const struct command cli_ops_commands[];
extern const size_t cli_ops_ncommands;

#endif
