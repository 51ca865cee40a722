/*
 * conf.h - actord's configuration: its keys (one for each long option of
 * actord, of the same name), the checking of their values, the file that
 * sets them, and the rule that the command line overrides the file.
 *
 * The file (docs/configuration.md) is `key = value` lines: a key is a long
 * option without its "--"; blank lines and lines whose first non-blank is
 * '#' are skipped, and a '#' after a blank starts a comment.  A key set
 * twice in a file is an error, but load and plugin-dir, which repeat.
 * Values are checked here the same way whether they come from a file or
 * from the command line, so actord (daemon/options.c) and actorctl
 * (cli/actorctl.c) accept and refuse the same values.  actorctl uses the
 * keys marked CONF_CTL and accepts the others without using them.
 *
 * Ownership: a struct conf owns its items and their texts; conf_free
 * releases them.  Nothing here allocates outside a struct conf.
 */
#ifndef ACTORD_CONF_H
#define ACTORD_CONF_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "engine/engine.h"

/* Every key, in the order of actord --help. */
enum conf_id {
    CONF_DB,
    CONF_LISTEN,
    CONF_SOCKET_MODE,
    CONF_SOCKET_GROUP,
    CONF_THREADS,
    CONF_MAX_WAITERS,
    CONF_MAX_BODY,
    CONF_SYNC,
    CONF_BATCH,
    CONF_LOAD,
    CONF_PLUGIN_DIR,
    CONF_NO_UPLOAD,
    CONF_LUA_INSTRUCTIONS,
    CONF_LUA_MEMORY,
    CONF_MAX_MESSAGE,
    CONF_MAX_STATE,
    CONF_MAX_MAILBOX,
    CONF_MAX_HOPS,
    CONF_STEP_LIMIT,
    CONF_MAX_DB_SIZE,
    CONF_LOG_LEVEL,
    CONF_NKEYS
};

/* What a key's value is. */
enum conf_kind {
    CONF_K_TEXT,   /* any text that is not empty: a path, a group */
    CONF_K_LISTEN, /* unix:PATH, or HOST:PORT with PORT from 1 to 65535 */
    CONF_K_INT,    /* a whole decimal number from min to max */
    CONF_K_BOOL,   /* yes or no (also true/false, on/off, 1/0) */
    CONF_K_SYNC,   /* normal or full */
    CONF_K_MODE,   /* an octal file mode from 0 to 0777 */
    CONF_K_LEVEL,  /* a log level: debug, info, warn or error */
};

/* conf_key.flags */
#define CONF_REPEAT 1u /* may be given many times: its values are a list */
#define CONF_CTL 2u    /* actorctl reads it too */
#define CONF_FLAG 4u   /* a CONF_K_BOOL that the command line gives bare */

struct conf_key {
    const char *name; /* the key, and the long option without "--" */
    enum conf_kind kind;
    long long min, max; /* CONF_K_INT: the range, both included */
    unsigned flags;     /* CONF_REPEAT, CONF_CTL, CONF_FLAG */
};

/* The keys, indexed by enum conf_id. */
extern const struct conf_key conf_keys[CONF_NKEYS];

/* One value given to a key. */
struct conf_item {
    enum conf_id id;
    char *text;      /* owned: the value as written, blanks trimmed */
    long long num;   /* the value as a number: CONF_K_INT its value,
                        CONF_K_BOOL 1 or 0, CONF_K_SYNC 1 for full,
                        CONF_K_LEVEL the enum ad_log_level,
                        CONF_K_MODE the mode; 0 for the others */
    const char *src; /* borrowed from the struct conf that holds the item
                        (its file name), or NULL: the command line */
    int line;        /* 1-based line of src; 0 on the command line */
};

/* A configuration: the items of one source, or of a file overridden by a
 * command line (conf_override).  Zero it (or conf_init) before use. */
struct conf {
    struct conf_item *items; /* owned, in the order given */
    size_t n, cap;
    char *file; /* owned: the name of the file read, or NULL */
};

/* getopt_long's val for the key id is CONF_OPT + id. */
#define CONF_OPT 1000

/* Zeroes c. */
void conf_init(struct conf *c);

/* Frees what c owns and zeroes it.  Accepts NULL. */
void conf_free(struct conf *c);

/* Returns the id of the key named name (len bytes), or -1. */
int conf_find(const char *name, size_t len);

/*
 * Checks value (borrowed; copied) for the key id and appends it to c,
 * from src (borrowed for the life of c: c->file, or NULL for the command
 * line) at line.  Returns 0, or -1 with a sentence in why (len bytes):
 * why the value is refused, quoting it ("\"x\" is not a whole number from
 * 1 to 1024"), or "out of memory".  Repeats are not checked here.
 */
int conf_set(struct conf *c, enum conf_id id, const char *value,
             const char *src, int line, char *why, size_t len);

/*
 * Parses text (len bytes, the contents of a file; need not end in a
 * newline or a NUL) into c, naming it c->file in the items and in
 * errors.  Every error is written to errs as one line, "FILE:LINE: KEY:
 * WHY" or "FILE:LINE: WHY", and parsing goes on with the next line.
 * Returns the number of errors (0: all good), or -1 when memory ran out.
 */
int conf_parse(struct conf *c, const char *text, size_t len, FILE *errs);

/*
 * Reads the file at path (at most 1 MiB) into c with conf_parse; c->file
 * becomes a copy of path.  A file that cannot be read is one error
 * ("PATH: cannot read: REASON").  Returns as conf_parse.
 */
int conf_load(struct conf *c, const char *path, FILE *errs);

/*
 * Lets the command line cli override c: every key that cli sets loses
 * its values in c, then cli's items move to the end of c, in their
 * order; cli is left empty.  load and plugin-dir count as one key (one
 * list of plugins): either on the command line replaces both of the
 * file.  Returns 0, or -1 when memory ran out (c and cli unchanged).
 */
int conf_override(struct conf *c, struct conf *cli);

/* The last item given to the key id in c (borrowed), or NULL. */
const struct conf_item *conf_get(const struct conf *c, enum conf_id id);

/*
 * Writes one line about it to f: "FILE:LINE: KEY: " then the message of
 * fmt, or, for an item of the command line, "PROG: --KEY: " then the
 * message.
 */
void conf_report(FILE *f, const char *prog, const struct conf_item *it,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Fills out (room for CONF_NKEYS + 1 entries) with getopt_long's options
 * for the keys whose flags have every bit of mask (0: every key), val
 * CONF_OPT + id, and a last entry of zeros.  Returns how many it filled.
 */
int conf_longopts(struct option *out, unsigned mask);

/*
 * Takes one option of getopt_long whose val is CONF_OPT + id: checks arg
 * (NULL for a CONF_FLAG key: "yes") and appends it to c as given on the
 * command line.  Returns 0, or -1 after writing "PROG: --KEY: WHY" to
 * errs.
 */
int conf_set_option(struct conf *c, const char *prog, int val, const char *arg,
                    FILE *errs);

/*
 * Sets the fields of o that keys of c give (sync, batch, and the limits
 * max-message, max-state, max-mailbox, max-hops, step-limit,
 * max-db-size: 0 there is "none"); leaves the others as they are.
 */
void conf_eng_opts(const struct conf *c, struct eng_opts *o);

#endif
