/*
 * test_conf.c - the Check suite of conf/conf.c: the table of keys, each
 * kind of value accepted and refused, the file's syntax (comments,
 * blanks, CRLF, a last line without a newline), every error with its
 * FILE:LINE and key, every truncation of a file, conf_load, the command
 * line overriding the file whatever the order, and the engine's options
 * taken from the keys.
 */
#include "conf/conf.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What parse() saw: the errors written, one a line. */
static char errs_text[8192];

/*
 * Parses text into c (named "t.conf") and returns the number of errors;
 * the errors' text is left in errs_text.
 */
static int
parse(struct conf *c, const char *text)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    free(c->file);
    c->file = strdup("t.conf");
    int n = conf_parse(c, text, strlen(text), f);
    fclose(f);
    snprintf(errs_text, sizeof errs_text, "%s", buf ? buf : "");
    free(buf);
    return n;
}

/* 1 when the errors of the last parse() include the line want. */
static int
has_error(const char *want)
{
    const char *p = errs_text;
    size_t n = strlen(want);
    while ((p = strstr(p, want)) != NULL) {
        if ((p == errs_text || p[-1] == '\n') && p[n] == '\n')
            return 1;
        p++;
    }
    return 0;
}

#define ck_error(want)                                                         \
    ck_assert_msg(has_error(want), "expected the error \"%s\"; got:\n%s",      \
                  (want), errs_text)

/* Checks value for key id: returns 0 or -1, with the reason in why. */
static char why[256];

static int
try_value(enum conf_id id, const char *value)
{
    struct conf c;
    conf_init(&c);
    int rc = conf_set(&c, id, value, NULL, 0, why, sizeof why);
    if (rc == 0) {
        ck_assert_uint_eq(c.n, 1);
        ck_assert_str_eq(c.items[0].text, value);
    }
    conf_free(&c);
    return rc;
}

/* The number value is set to, asserting that it is accepted. */
static long long
num_of(enum conf_id id, const char *value)
{
    struct conf c;
    conf_init(&c);
    int rc = conf_set(&c, id, value, NULL, 0, why, sizeof why);
    ck_assert_msg(rc == 0, "%s = %s refused: %s", conf_keys[id].name, value,
                  why);
    long long n = c.items[0].num;
    conf_free(&c);
    return n;
}

/* ---- the keys ---- */

START_TEST(test_keys_unique_and_found)
{
    for (int i = 0; i < CONF_NKEYS; i++) {
        const char *name = conf_keys[i].name;
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(conf_find(name, strlen(name)), i);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(conf_keys[j].name, name);
    }
    ck_assert_int_eq(conf_find("thread", 6), -1);
    ck_assert_int_eq(conf_find("threads", 6), -1);
    ck_assert_int_eq(conf_find("config", 6), -1);
    ck_assert_int_eq(conf_find("help", 4), -1);
}
END_TEST

START_TEST(test_longopts)
{
    struct option o[CONF_NKEYS + 1];
    ck_assert_int_eq(conf_longopts(o, 0), CONF_NKEYS);
    for (int i = 0; i < CONF_NKEYS; i++) {
        ck_assert_str_eq(o[i].name, conf_keys[i].name);
        ck_assert_int_eq(o[i].val, CONF_OPT + i);
        ck_assert_int_eq(o[i].has_arg, (conf_keys[i].flags & CONF_FLAG)
                                           ? no_argument
                                           : required_argument);
    }
    ck_assert_ptr_null(o[CONF_NKEYS].name);

    /* actorctl's: the keys it shares, and not actord's own. */
    int n = conf_longopts(o, CONF_CTL);
    int db = 0, load = 0, dir = 0, lim = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_str_ne(o[i].name, "listen");
        ck_assert_str_ne(o[i].name, "threads");
        ck_assert_str_ne(o[i].name, "socket-mode");
        db += strcmp(o[i].name, "db") == 0;
        load += strcmp(o[i].name, "load") == 0;
        dir += strcmp(o[i].name, "plugin-dir") == 0;
        lim += strcmp(o[i].name, "max-message") == 0;
    }
    ck_assert(db && load && dir && lim);
    ck_assert_ptr_null(o[n].name);
}
END_TEST

/* ---- values ---- */

START_TEST(test_value_int)
{
    ck_assert_int_eq(num_of(CONF_THREADS, "1"), 1);
    ck_assert_int_eq(num_of(CONF_THREADS, "1024"), 1024);
    ck_assert_int_eq(num_of(CONF_THREADS, "0016"), 16);
    ck_assert_int_eq(try_value(CONF_THREADS, "0"), -1);
    ck_assert_str_eq(why, "\"0\" is not a whole number from 1 to 1024");
    ck_assert_int_eq(try_value(CONF_THREADS, "1025"), -1);
    ck_assert_int_eq(try_value(CONF_THREADS, "-1"), -1);
    ck_assert_int_eq(try_value(CONF_THREADS, "+1"), -1);
    ck_assert_int_eq(try_value(CONF_THREADS, "1.5"), -1);
    ck_assert_int_eq(try_value(CONF_THREADS, "8 threads"), -1);
    ck_assert_int_eq(try_value(CONF_THREADS, "0x10"), -1);
    ck_assert_int_eq(try_value(CONF_THREADS, ""), -1);
    ck_assert_str_eq(why, "needs a value");
    /* The limits: 0 is none, no maximum, and overflow is refused. */
    ck_assert_int_eq(num_of(CONF_MAX_MESSAGE, "0"), 0);
    ck_assert_int_eq(num_of(CONF_MAX_DB_SIZE, "9223372036854775807"),
                     LLONG_MAX);
    ck_assert_int_eq(try_value(CONF_MAX_DB_SIZE, "9223372036854775808"), -1);
    ck_assert_str_eq(
        why, "\"9223372036854775808\" is not a whole number of at least 0");
    ck_assert_int_eq(try_value(CONF_LUA_MEMORY, "0"), -1);
    ck_assert_int_eq(num_of(CONF_STEP_LIMIT, "3600000"), 3600000);
    ck_assert_int_eq(try_value(CONF_STEP_LIMIT, "3600001"), -1);
    ck_assert_int_eq(num_of(CONF_MAX_BODY, "1073741824"), 1LL << 30);
    ck_assert_int_eq(try_value(CONF_MAX_BODY, "1073741825"), -1);
}
END_TEST

START_TEST(test_value_bool_sync_mode)
{
    const char *yes[] = {"yes", "true", "on", "1"};
    const char *no[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(num_of(CONF_NO_UPLOAD, yes[i]), 1);
        ck_assert_int_eq(num_of(CONF_NO_UPLOAD, no[i]), 0);
    }
    ck_assert_int_eq(try_value(CONF_NO_UPLOAD, "Yes"), -1);
    ck_assert_int_eq(try_value(CONF_NO_UPLOAD, "maybe"), -1);
    ck_assert_str_eq(why, "\"maybe\" is neither yes nor no");

    ck_assert_int_eq(num_of(CONF_SYNC, "full"), 1);
    ck_assert_int_eq(num_of(CONF_SYNC, "normal"), 0);
    ck_assert_int_eq(try_value(CONF_SYNC, "FULL"), -1);
    ck_assert_int_eq(try_value(CONF_SYNC, "\"full\""), -1);
    ck_assert_str_eq(why, "\"full\": values are written without quotes");

    ck_assert_int_eq(num_of(CONF_SOCKET_MODE, "0660"), 0660);
    ck_assert_int_eq(num_of(CONF_SOCKET_MODE, "660"), 0660);
    ck_assert_int_eq(num_of(CONF_SOCKET_MODE, "0"), 0);
    ck_assert_int_eq(num_of(CONF_SOCKET_MODE, "0777"), 0777);
    ck_assert_int_eq(try_value(CONF_SOCKET_MODE, "0800"), -1);
    ck_assert_int_eq(try_value(CONF_SOCKET_MODE, "1777"), -1);
    ck_assert_int_eq(try_value(CONF_SOCKET_MODE, "rw-rw----"), -1);
}
END_TEST

START_TEST(test_value_listen_text)
{
    ck_assert_int_eq(try_value(CONF_LISTEN, "unix:/run/actord/actord.sock"), 0);
    ck_assert_int_eq(try_value(CONF_LISTEN, "127.0.0.1:9000"), 0);
    ck_assert_int_eq(try_value(CONF_LISTEN, "localhost:1"), 0);
    ck_assert_int_eq(try_value(CONF_LISTEN, "[::1]:65535"), 0);
    ck_assert_int_eq(try_value(CONF_LISTEN, "unix:"), -1);
    ck_assert_int_eq(try_value(CONF_LISTEN, "127.0.0.1"), -1);
    ck_assert_int_eq(try_value(CONF_LISTEN, ":9000"), -1);
    ck_assert_int_eq(try_value(CONF_LISTEN, "127.0.0.1:0"), -1);
    ck_assert_int_eq(try_value(CONF_LISTEN, "127.0.0.1:65536"), -1);
    ck_assert_int_eq(try_value(CONF_LISTEN, "127.0.0.1:http"), -1);
    ck_assert_int_eq(try_value(CONF_DB, "/var/lib/actord/actord.db"), 0);
    ck_assert_int_eq(try_value(CONF_DB, "a db with blanks.db"), 0);
    ck_assert_int_eq(try_value(CONF_SOCKET_GROUP, "www-data"), 0);
    ck_assert_int_eq(try_value(CONF_LOAD, ""), -1);
}
END_TEST

/* ---- the file ---- */

START_TEST(test_parse_good)
{
    struct conf c;
    conf_init(&c);
    int n = parse(&c, "# actord.conf\n"
                      "\n"
                      "   # an indented comment\n"
                      "db = /var/lib/actord/actord.db\n"
                      "threads=8\n"
                      "\tmax-body\t=\t2048\t\n"
                      "sync = full   # trailing comment\n"
                      "listen = unix:/run/a#b.sock\r\n"
                      "load = /x/one.so\n"
                      "plugin-dir = /x/dir\n"
                      "load = /x/two.so\n"
                      "no-upload = yes");
    ck_assert_msg(n == 0, "errors:\n%s", errs_text);
    ck_assert_uint_eq(c.n, 9);
    const struct conf_item *it = conf_get(&c, CONF_DB);
    ck_assert_str_eq(it->text, "/var/lib/actord/actord.db");
    ck_assert_str_eq(it->src, "t.conf");
    ck_assert_int_eq(it->line, 4);
    ck_assert_int_eq(conf_get(&c, CONF_THREADS)->num, 8);
    ck_assert_int_eq(conf_get(&c, CONF_THREADS)->line, 5);
    ck_assert_str_eq(conf_get(&c, CONF_MAX_BODY)->text, "2048");
    ck_assert_int_eq(conf_get(&c, CONF_SYNC)->num, 1);
    ck_assert_str_eq(conf_get(&c, CONF_SYNC)->text, "full");
    /* A '#' inside a word is part of the value; CR LF ends a line. */
    ck_assert_str_eq(conf_get(&c, CONF_LISTEN)->text, "unix:/run/a#b.sock");
    /* The plugins are one list, in the file's order. */
    ck_assert_int_eq(c.items[5].id, CONF_LOAD);
    ck_assert_str_eq(c.items[5].text, "/x/one.so");
    ck_assert_int_eq(c.items[6].id, CONF_PLUGIN_DIR);
    ck_assert_int_eq(c.items[7].id, CONF_LOAD);
    ck_assert_str_eq(conf_get(&c, CONF_LOAD)->text, "/x/two.so");
    ck_assert_int_eq(conf_get(&c, CONF_NO_UPLOAD)->num, 1);
    ck_assert_int_eq(conf_get(&c, CONF_NO_UPLOAD)->line, 12);
    ck_assert_ptr_null(conf_get(&c, CONF_BATCH));
    conf_free(&c);
    ck_assert_uint_eq(c.n, 0);
    conf_free(NULL);
}
END_TEST

START_TEST(test_parse_errors)
{
    struct conf c;
    conf_init(&c);
    int n = parse(&c, "thread = 4\n"               /* 1 */
                      "threads = 4\n"              /* 2 */
                      "threads = 5\n"              /* 3 */
                      "garbage\n"                  /* 4 */
                      "= 5\n"                      /* 5 */
                      "max-body =\n"               /* 6 */
                      "sync = fast\n"              /* 7 */
                      "db = \"/x.db\"\n"           /* 8 */
                      "max_body = 1\n"             /* 9 */
                      "Threads = 1\n"              /* 10 */
                      "batch = 0\n"                /* 11 */
                      "listen = 127.0.0.1:99999\n" /* 12 */
                      "max-hops = 10\n");          /* 13: good */
    ck_assert_int_eq(n, 11);
    ck_error("t.conf:1: thread: unknown key");
    ck_error("t.conf:3: threads: set twice (first on line 2)");
    ck_error("t.conf:4: expected KEY = VALUE");
    ck_error("t.conf:5: expected KEY = VALUE");
    ck_error("t.conf:6: max-body: needs a value");
    ck_error("t.conf:7: sync: \"fast\" is neither normal nor full");
    ck_error("t.conf:8: db: \"/x.db\": values are written without quotes");
    ck_error("t.conf:9: max_body: unknown key");
    ck_error("t.conf:10: Threads: unknown key");
    ck_error("t.conf:11: batch: \"0\" is not a whole number from 1 to "
             "1000000");
    ck_error("t.conf:12: listen: \"127.0.0.1:99999\" is neither unix:PATH "
             "nor HOST:PORT (PORT from 1 to 65535)");
    /* Parsing went on after each error. */
    ck_assert_int_eq(conf_get(&c, CONF_THREADS)->num, 4);
    ck_assert_int_eq(conf_get(&c, CONF_MAX_HOPS)->num, 10);
    conf_free(&c);
}
END_TEST

START_TEST(test_parse_binary_and_long)
{
    struct conf c;
    conf_init(&c);
    const char bin[] = "threads = 4\nbatch\0 = 3\nsync = full\n";
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    c.file = strdup("t.conf");
    ck_assert_int_eq(conf_parse(&c, bin, sizeof bin - 1, f), 1);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "t.conf:2: a NUL byte: not a text file"));
    free(buf);
    ck_assert_int_eq(conf_get(&c, CONF_SYNC)->num, 1);
    conf_free(&c);

    /* A line of 5000 bytes is refused whole; the next one is read. */
    char *text = malloc(6000);
    memset(text, 'x', 5000);
    memcpy(text, "db = ", 5);
    strcpy(text + 5000, "\nthreads = 2\n");
    ck_assert_int_eq(parse(&c, text), 1);
    ck_error("t.conf:1: longer than 4096 bytes");
    ck_assert_int_eq(conf_get(&c, CONF_THREADS)->line, 2);
    ck_assert_ptr_null(conf_get(&c, CONF_DB));
    free(text);
    conf_free(&c);
}
END_TEST

/*
 * Every truncation of a good file parses without a crash: every line
 * that is whole is taken, and only the cut last line may be an error.
 */
START_TEST(test_parse_truncations)
{
    static const char text[] = "# comment\n"
                               "db = /var/lib/actord/actord.db\n"
                               "listen = unix:/run/actord/actord.sock\n"
                               "socket-mode = 0660\n"
                               "threads = 16 # default\n"
                               "no-upload = no\r\n"
                               "load = /usr/lib/actord/plugins/bank.so\n"
                               "max-db-size = 1073741824\n";
    size_t len = sizeof text - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        struct conf c;
        conf_init(&c);
        c.file = strdup("t.conf");
        char *copy = malloc(cut ? cut : 1);
        memcpy(copy, text, cut);
        FILE *devnull = fopen("/dev/null", "w");
        int n = conf_parse(&c, copy, cut, devnull);
        fclose(devnull);
        ck_assert_msg(n == 0 || n == 1, "cut %zu: %d errors", cut, n);
        /* Whole lines before the cut are all there: one item a line but
         * the first (a comment). */
        size_t whole = 0;
        for (size_t i = 0; i < cut; i++)
            whole += text[i] == '\n';
        size_t want = whole > 0 ? whole - 1 : 0;
        ck_assert_msg(c.n == want || c.n == want + 1, "cut %zu: %zu items", cut,
                      c.n);
        if (cut == len)
            ck_assert_uint_eq(c.n, 7);
        free(copy);
        conf_free(&c);
    }
}
END_TEST

START_TEST(test_load)
{
    char path[] = "/tmp/test_conf.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char text[] = "threads = 3\nbogus = 1\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (int)sizeof text - 1);
    close(fd);

    struct conf c;
    conf_init(&c);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(conf_load(&c, path, f), 1);
    fflush(f);
    char want[128];
    snprintf(want, sizeof want, "%s:2: bogus: unknown key\n", path);
    ck_assert_str_eq(buf, want);
    ck_assert_str_eq(conf_get(&c, CONF_THREADS)->src, path);
    conf_free(&c);

    unlink(path);
    rewind(f);
    ck_assert_int_eq(conf_load(&c, path, f), 1);
    fflush(f);
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory\n",
             path);
    ck_assert_str_eq(buf, want);
    ck_assert_uint_eq(c.n, 0);
    fclose(f);
    free(buf);
    conf_free(&c);
}
END_TEST

/* ---- the command line over the file ---- */

START_TEST(test_override)
{
    struct conf file, cli;
    conf_init(&file);
    conf_init(&cli);
    ck_assert_int_eq(parse(&file, "threads = 4\n"
                                  "db = /file.db\n"
                                  "load = /f/one.so\n"
                                  "plugin-dir = /f/dir\n"
                                  "sync = full\n"),
                     0);
    ck_assert_int_eq(
        conf_set_option(&cli, "actord", CONF_OPT + CONF_THREADS, "8", stderr),
        0);
    ck_assert_int_eq(conf_set_option(&cli, "actord", CONF_OPT + CONF_LOAD,
                                     "/c/x.so", stderr),
                     0);
    /* On the command line the last of a key wins. */
    ck_assert_int_eq(
        conf_set_option(&cli, "actord", CONF_OPT + CONF_THREADS, "9", stderr),
        0);
    ck_assert_int_eq(conf_set_option(&cli, "actord", CONF_OPT + CONF_NO_UPLOAD,
                                     NULL, stderr),
                     0);
    ck_assert_int_eq(conf_override(&file, &cli), 0);
    ck_assert_uint_eq(cli.n, 0);

    const struct conf_item *it = conf_get(&file, CONF_THREADS);
    ck_assert_int_eq(it->num, 9);
    ck_assert_ptr_null(it->src);
    ck_assert_int_eq(it->line, 0);
    ck_assert_str_eq(conf_get(&file, CONF_DB)->text, "/file.db");
    ck_assert_int_eq(conf_get(&file, CONF_DB)->line, 2);
    ck_assert_int_eq(conf_get(&file, CONF_SYNC)->num, 1);
    ck_assert_int_eq(conf_get(&file, CONF_NO_UPLOAD)->num, 1);
    /* --load replaced the file's load and plugin-dir both. */
    ck_assert_ptr_null(conf_get(&file, CONF_PLUGIN_DIR));
    int plugins = 0;
    for (size_t i = 0; i < file.n; i++)
        plugins += file.items[i].id == CONF_LOAD;
    ck_assert_int_eq(plugins, 1);
    ck_assert_str_eq(conf_get(&file, CONF_LOAD)->text, "/c/x.so");
    conf_free(&file);
    conf_free(&cli);
}
END_TEST

/* Overriding with an empty command line, or an empty file, changes
 * nothing and allocates nothing it should not. */
START_TEST(test_override_empty)
{
    struct conf file, cli;
    conf_init(&file);
    conf_init(&cli);
    ck_assert_int_eq(conf_override(&file, &cli), 0);
    ck_assert_uint_eq(file.n, 0);
    ck_assert_int_eq(parse(&file, "threads = 3\n"), 0);
    ck_assert_int_eq(conf_override(&file, &cli), 0);
    ck_assert_int_eq(conf_get(&file, CONF_THREADS)->num, 3);
    conf_free(&file);
    ck_assert_int_eq(
        conf_set_option(&cli, "actord", CONF_OPT + CONF_BATCH, "7", stderr), 0);
    ck_assert_int_eq(conf_override(&file, &cli), 0);
    ck_assert_int_eq(conf_get(&file, CONF_BATCH)->num, 7);
    conf_free(&file);
}
END_TEST

START_TEST(test_set_option_errors)
{
    struct conf c;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_init(&c);
    ck_assert_int_eq(
        conf_set_option(&c, "actord", CONF_OPT + CONF_THREADS, "many", f), -1);
    ck_assert_int_eq(conf_set_option(&c, "actorctl", 'x', "1", f), -1);
    fflush(f);
    ck_assert_str_eq(
        buf,
        "actord: --threads: \"many\" is not a whole number from 1 to 1024\n");
    ck_assert_uint_eq(c.n, 0);

    /* conf_report names the place of an item. */
    rewind(f);
    ck_assert_int_eq(parse(&c, "\n\nsocket-group = staff\n"), 0);
    conf_report(f, "actord", conf_get(&c, CONF_SOCKET_GROUP), "no group %d", 7);
    conf_set_option(&c, "actord", CONF_OPT + CONF_SOCKET_GROUP, "wheel", f);
    conf_report(f, "actord", conf_get(&c, CONF_SOCKET_GROUP), "no group");
    fflush(f);
    ck_assert_str_eq(buf, "t.conf:3: socket-group: no group 7\n"
                          "actord: --socket-group: no group\n");
    fclose(f);
    free(buf);
    conf_free(&c);
}
END_TEST

START_TEST(test_eng_opts)
{
    struct conf c;
    conf_init(&c);
    struct eng_opts o = {.busy_timeout_ms = 7, .max_state = 5};
    conf_eng_opts(&c, &o);
    ck_assert_int_eq(o.busy_timeout_ms, 7);
    ck_assert_int_eq(o.max_state, 5);
    ck_assert_int_eq(parse(&c, "sync = full\n"
                               "batch = 10\n"
                               "max-message = 0\n"
                               "max-mailbox = 12\n"
                               "max-hops = 0\n"
                               "step-limit = 0\n"
                               "max-db-size = 0\n"
                               "max-state = 99\n"),
                     0);
    conf_eng_opts(&c, &o);
    ck_assert_int_eq(o.sync_full, 1);
    ck_assert_int_eq(o.batch_steps, 10);
    ck_assert_int_eq(o.max_message, -1);
    ck_assert_int_eq(o.max_mailbox, 12);
    ck_assert_int_eq(o.max_hops, -1);
    ck_assert_int_eq(o.step_limit_ms, -1);
    ck_assert_int_eq(o.max_db_bytes, 0);
    ck_assert_int_eq(o.max_state, 99);
    conf_free(&c);
}
END_TEST

static Suite *
conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, test_keys_unique_and_found);
    tcase_add_test(tc, test_longopts);
    suite_add_tcase(s, tc);

    tc = tcase_create("values");
    tcase_add_test(tc, test_value_int);
    tcase_add_test(tc, test_value_bool_sync_mode);
    tcase_add_test(tc, test_value_listen_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_add_test(tc, test_parse_good);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_parse_binary_and_long);
    tcase_add_test(tc, test_parse_truncations);
    tcase_add_test(tc, test_load);
    suite_add_tcase(s, tc);

    tc = tcase_create("override");
    tcase_add_test(tc, test_override);
    tcase_add_test(tc, test_override_empty);
    tcase_add_test(tc, test_set_option_errors);
    tcase_add_test(tc, test_eng_opts);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(conf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
