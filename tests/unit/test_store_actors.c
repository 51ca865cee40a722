/*
 * test_store_actors.c - the suite of store/actors.c: status names, the
 * actor rows (insert, load, peek, save, set_status, remove), the run
 * queue, the paginated listing, and the ties bits.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "tests/unit/test_store.h"

/* ---- statuses ---- */

START_TEST(test_status_names)
{
    static const char *const names[] = {"runnable", "waiting", "exited",
                                        "failed",   "killed",  "stranded"};
    for (int i = 0; i < 6; i++) {
        enum store_status st = STORE_RUNNABLE;
        ck_assert_str_eq(store_status_name((enum store_status)i), names[i]);
        ck_assert_int_eq(store_status_parse(names[i], &st), AD_OK);
        ck_assert_int_eq(st, i);
    }
    enum store_status st = STORE_WAITING;
    ck_assert_int_eq(store_status_parse("Runnable", &st), AD_EINVAL);
    ck_assert_int_eq(store_status_parse("", &st), AD_EINVAL);
    ck_assert_int_eq(st, STORE_WAITING);
    ck_assert_int_eq(store_status_ended(STORE_EXITED), 1);
    ck_assert_int_eq(store_status_ended(STORE_FAILED), 1);
    ck_assert_int_eq(store_status_ended(STORE_KILLED), 1);
    ck_assert_int_eq(store_status_ended(STORE_RUNNABLE), 0);
    ck_assert_int_eq(store_status_ended(STORE_WAITING), 0);
    ck_assert_int_eq(store_status_ended(STORE_STRANDED), 0);
}
END_TEST

/* ---- rows ---- */

START_TEST(test_actor_insert_and_load)
{
    struct store *s = open_store();
    struct store_actor in = {
        .name = (char *)"c1",
        .behavior = (char *)"counter",
        .version = 3,
        .status = STORE_WAITING,
        .resume = 2,
        .waiting_for = (char *)"[{\"add\":\"$integer\"}]",
        .scanned = 9,
        .args = (char *)"{\"start\":4}",
        .state = (char *)"{\"count\":4}",
        .spawned = 5,
        .created = 1111,
        .updated = 2222,
    };
    ck_assert_int_eq(store_actor_insert(s, &in), AD_OK);
    ck_assert_int_gt(in.id, 0);

    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_name(s, "c1", &a), AD_OK);
    ck_assert_int_eq(a.id, in.id);
    ck_assert_str_eq(a.name, "c1");
    ck_assert_str_eq(a.behavior, "counter");
    ck_assert_int_eq(a.version, 3);
    ck_assert_int_eq(a.status, STORE_WAITING);
    ck_assert_int_eq(a.resume, 2);
    ck_assert_str_eq(a.waiting_for, "[{\"add\":\"$integer\"}]");
    ck_assert_int_eq(a.scanned, 9);
    ck_assert_str_eq(a.args, "{\"start\":4}");
    ck_assert_str_eq(a.state, "{\"count\":4}");
    ck_assert_ptr_null(a.result);
    ck_assert_ptr_null(a.error);
    ck_assert_int_eq(a.spawned, 5);
    ck_assert_int_eq(a.created, 1111);
    ck_assert_int_eq(a.updated, 2222);
    store_actor_release(&a);
    ck_assert_ptr_null(a.name);

    ck_assert_int_eq(store_actor_by_id(s, in.id, &a), AD_OK);
    ck_assert_str_eq(a.name, "c1");
    store_actor_release(&a);

    /* NULL args and state are stored as {}. */
    int64_t id2 = add_actor(s, "c2", "collector", STORE_RUNNABLE, 1);
    ck_assert_int_ne(id2, in.id);
    ck_assert_int_eq(store_actor_by_id(s, id2, &a), AD_OK);
    ck_assert_str_eq(a.args, "{}");
    ck_assert_str_eq(a.state, "{}");
    ck_assert_ptr_null(a.waiting_for);
    store_actor_release(&a);
    store_actor_release(NULL);
    close_store(s);
}
END_TEST

START_TEST(test_actor_not_found)
{
    struct store *s = open_store();
    struct store_actor a = {0};
    int64_t id = 0;
    enum store_status st;
    char *w = NULL;
    ck_assert_int_eq(store_actor_by_name(s, "nobody", &a), AD_ENOTFOUND);
    ck_assert_int_eq(store_actor_by_id(s, 42, &a), AD_ENOTFOUND);
    ck_assert_int_eq(store_actor_peek(s, "nobody", &id, &st, &w, NULL),
                     AD_ENOTFOUND);
    ck_assert_ptr_null(a.name);
    ck_assert_ptr_null(w);
    close_store(s);
}
END_TEST

START_TEST(test_actor_duplicate_name)
{
    struct store *s = open_store();
    add_actor(s, "dup", "counter", STORE_RUNNABLE, 1);
    struct store_actor a = {.name = (char *)"dup",
                            .behavior = (char *)"collector",
                            .version = 1,
                            .status = STORE_EXITED,
                            .created = 1,
                            .updated = 1};
    ck_assert_int_eq(store_actor_insert(s, &a), AD_EEXISTS);
    /* The first one is untouched. */
    struct store_actor b = {0};
    ck_assert_int_eq(store_actor_by_name(s, "dup", &b), AD_OK);
    ck_assert_str_eq(b.behavior, "counter");
    store_actor_release(&b);
    close_store(s);
}
END_TEST

START_TEST(test_actor_peek)
{
    struct store *s = open_store();
    struct store_actor in = {.name = (char *)"p",
                             .behavior = (char *)"counter",
                             .version = 1,
                             .status = STORE_WAITING,
                             .waiting_for = (char *)"[\"$any\"]",
                             .created = 1,
                             .updated = 1};
    ck_assert_int_eq(store_actor_insert(s, &in), AD_OK);
    add_actor(s, "q", "counter", STORE_KILLED, 1);

    int64_t id = 0;
    enum store_status st = STORE_RUNNABLE;
    char *w = NULL;
    ck_assert_int_eq(store_actor_peek(s, "p", &id, &st, &w, NULL), AD_OK);
    ck_assert_int_eq(id, in.id);
    ck_assert_int_eq(st, STORE_WAITING);
    ck_assert_str_eq(w, "[\"$any\"]");
    free(w);
    w = (char *)"sentinel";
    ck_assert_int_eq(store_actor_peek(s, "q", &id, &st, &w, NULL), AD_OK);
    ck_assert_int_eq(st, STORE_KILLED);
    ck_assert_ptr_null(w);
    close_store(s);
}
END_TEST

START_TEST(test_actor_save)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "sv", "counter", STORE_RUNNABLE, 1);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    a.version = 2;
    a.status = STORE_EXITED;
    a.resume = 7;
    free(a.state);
    a.state = strdup("{\"k\":[1,2]}");
    a.result = strdup("\"done\"");
    a.error = strdup("{\"message\":\"m\"}");
    a.scanned = 33;
    a.spawned = 4;
    a.updated = 999;
    ck_assert_int_eq(store_actor_save(s, &a), AD_OK);
    store_actor_release(&a);

    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.version, 2);
    ck_assert_int_eq(a.status, STORE_EXITED);
    ck_assert_int_eq(a.resume, 7);
    ck_assert_str_eq(a.state, "{\"k\":[1,2]}");
    ck_assert_str_eq(a.result, "\"done\"");
    ck_assert_str_eq(a.error, "{\"message\":\"m\"}");
    ck_assert_int_eq(a.scanned, 33);
    ck_assert_int_eq(a.spawned, 4);
    ck_assert_int_eq(a.updated, 999);
    ck_assert_int_eq(a.created, 1000);
    ck_assert_ptr_null(a.waiting_for);

    /* Clearing result and error stores NULL. */
    free(a.result);
    free(a.error);
    a.result = a.error = NULL;
    ck_assert_int_eq(store_actor_save(s, &a), AD_OK);
    store_actor_release(&a);
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_ptr_null(a.result);
    ck_assert_ptr_null(a.error);
    store_actor_release(&a);
    close_store(s);
}
END_TEST

START_TEST(test_actor_set_status)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "ss", "counter", STORE_WAITING, 1);
    ck_assert_int_eq(store_actor_set_status(s, id, STORE_RUNNABLE, 4242),
                     AD_OK);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.status, STORE_RUNNABLE);
    ck_assert_int_eq(a.updated, 4242);
    store_actor_release(&a);
    close_store(s);
}
END_TEST

START_TEST(test_actor_remove)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "rm", "counter", STORE_WAITING, 1);
    int64_t other = add_actor(s, "stay", "counter", STORE_WAITING, 1);
    append(s, id, "1");
    append(s, id, "2");
    append(s, other, "3");
    ck_assert_int_eq(store_actor_remove(s, id), AD_OK);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_ENOTFOUND);
    int64_t n = -1;
    ck_assert_int_eq(store_mailbox_count(s, id, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(store_mailbox_count(s, other, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    /* The name is free again. */
    int64_t id2 = add_actor(s, "rm", "collector", STORE_RUNNABLE, 1);
    ck_assert_int_gt(id2, 0);
    close_store(s);
}
END_TEST

START_TEST(test_actor_unknown_status)
{
    /* A status this build does not know (the schema has no CHECK) reads
     * as stranded, so the actor is shown and never run. */
    struct store *s = open_store();
    int64_t id = add_actor(s, "odd", "counter", STORE_RUNNABLE, 1);
    sqlite3 *raw = raw_open(db.path);
    raw_exec(raw, "UPDATE actors SET status = 'hibernating'");
    sqlite3_close(raw);
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.status, STORE_STRANDED);
    store_actor_release(&a);
    int64_t pid = 0;
    enum store_status st = STORE_RUNNABLE;
    char *w = NULL;
    ck_assert_int_eq(store_actor_peek(s, "odd", &pid, &st, &w, NULL), AD_OK);
    ck_assert_int_eq(st, STORE_STRANDED);
    free(w);
    int64_t ids[2];
    int n = -1;
    ck_assert_int_eq(store_runnable(s, ids, 2, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    close_store(s);
}
END_TEST

/* peek gives the stored mailbox count too, and takes NULL for what it
 * is not asked. */
START_TEST(test_actor_peek_mailbox)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "p", "collector", STORE_WAITING, 1);
    append(s, id, "1");
    append(s, id, "2");
    int64_t pid = 0, mailbox = -1;
    enum store_status st = STORE_RUNNABLE;
    ck_assert_int_eq(store_actor_peek(s, "p", &pid, &st, NULL, &mailbox),
                     AD_OK);
    ck_assert_int_eq(pid, id);
    ck_assert_int_eq(st, STORE_WAITING);
    ck_assert_int_eq(mailbox, 2);
    close_store(s);
}
END_TEST

/* save subtracts the messages taken since the load from the stored
 * count, and stores the deadline (0: none, read back as 0). */
START_TEST(test_actor_save_taken_and_deadline)
{
    struct store *s = open_store();
    int64_t id = add_actor(s, "sv", "collector", STORE_WAITING, 1);
    int64_t s1 = append(s, id, "1");
    append(s, id, "2");
    append(s, id, "3");
    struct store_actor a = {0};
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.mailbox, 3);
    ck_assert_int_eq(a.deadline, 0);
    ck_assert_int_eq(store_mailbox_take(s, s1), AD_OK);
    a.taken = 1;
    a.deadline = 123456;
    ck_assert_int_eq(store_actor_save(s, &a), AD_OK);
    store_actor_release(&a);
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.mailbox, 2);
    ck_assert_int_eq(a.taken, 0);
    ck_assert_int_eq(a.deadline, 123456);
    a.deadline = 0;
    ck_assert_int_eq(store_actor_save(s, &a), AD_OK);
    store_actor_release(&a);
    ck_assert_int_eq(store_actor_by_id(s, id, &a), AD_OK);
    ck_assert_int_eq(a.mailbox, 2);
    ck_assert_int_eq(a.deadline, 0);
    store_actor_release(&a);
    ck_assert_int_eq(
        db_int("SELECT count(*) FROM actors WHERE deadline IS NULL"), 1);

    /* An insert stores a deadline too. */
    struct store_actor in = {.name = (char *)"d",
                             .behavior = (char *)"counter",
                             .version = 1,
                             .status = STORE_WAITING,
                             .deadline = 77,
                             .created = 1,
                             .updated = 1};
    ck_assert_int_eq(store_actor_insert(s, &in), AD_OK);
    ck_assert_int_eq(store_actor_by_id(s, in.id, &a), AD_OK);
    ck_assert_int_eq(a.deadline, 77);
    store_actor_release(&a);
    close_store(s);
}
END_TEST

/* Removing an actor leaves nothing that names its id, which the next
 * actor may get: no message, watch, link, timer or abandoned call; the
 * other actor's rows stay. */
START_TEST(test_actor_remove_everything)
{
    struct store *s = open_store();
    int64_t gone = add_actor(s, "gone", "counter", STORE_WAITING, 1);
    int64_t stay = add_actor(s, "stay", "counter", STORE_WAITING, 1);
    append(s, gone, "1");
    append(s, stay, "2");
    ck_assert_int_eq(store_monitor_add(s, gone, stay), AD_OK);
    ck_assert_int_eq(store_monitor_add(s, stay, gone), AD_OK);
    ck_assert_int_eq(store_link_add(s, gone, stay), AD_OK);
    ck_assert_int_eq(store_timer_add(s, gone, "stay", "1", 10, 0, NULL), AD_OK);
    ck_assert_int_eq(store_timer_add(s, stay, "gone", "2", 10, 0, NULL), AD_OK);
    ck_assert_int_eq(store_call_abandon(s, gone, "c1", 1), AD_OK);
    ck_assert_int_eq(store_call_abandon(s, stay, "c2", 1), AD_OK);

    ck_assert_int_eq(store_actor_remove(s, gone), AD_OK);
    char q[160];
    static const char *const tables[][2] = {
        {"messages", "actor"},
        {"monitors", "target"},
        {"monitors", "watcher"},
        {"links", "a"},
        {"links", "b"},
        {"timers", "owner"},
        {"abandoned_calls", "actor"},
        {"actors", "id"},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(q, sizeof q, "SELECT count(*) FROM %s WHERE %s = %lld",
                 tables[i][0], tables[i][1], (long long)gone);
        ck_assert_msg(db_int(q) == 0, "%s", q);
    }
    ck_assert_int_eq(db_int("SELECT count(*) FROM messages"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM timers"), 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM abandoned_calls"), 1);
    /* Removing an actor that is not there is no error. */
    ck_assert_int_eq(store_actor_remove(s, gone), AD_OK);
    close_store(s);
}
END_TEST

/* store_actor_purge removes what store_actor_remove does and counts it,
 * adding to what the counts held. */
START_TEST(test_actor_purge_counts)
{
    struct store *s = open_store();
    int64_t gone = add_actor(s, "gone", "counter", STORE_KILLED, 1);
    int64_t stay = add_actor(s, "stay", "counter", STORE_WAITING, 1);
    append(s, gone, "1");
    append(s, gone, "2");
    ck_assert_int_eq(store_monitor_add(s, stay, gone), AD_OK);
    ck_assert_int_eq(store_link_add(s, gone, stay), AD_OK);
    ck_assert_int_eq(store_timer_add(s, gone, "stay", "1", 10, 0, NULL), AD_OK);
    ck_assert_int_eq(store_call_abandon(s, gone, "c1", 1), AD_OK);
    struct store_removed r = {.actors = 10};
    ck_assert_int_eq(store_actor_purge(s, gone, &r), AD_OK);
    ck_assert_int_eq(r.actors, 11);
    ck_assert_int_eq(r.messages, 2);
    ck_assert_int_eq(r.monitors, 1);
    ck_assert_int_eq(r.links, 2);
    ck_assert_int_eq(r.timers, 1);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors"), 1);
    /* Nothing there: nothing counted. */
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(store_actor_purge(s, gone, &r), AD_OK);
    ck_assert_int_eq(
        r.actors + r.messages + r.monitors + r.links + r.timers + r.calls, 0);
    ck_assert_int_eq(store_actor_purge(s, stay, NULL), AD_OK);
    ck_assert_int_eq(db_int("SELECT count(*) FROM actors"), 0);
    close_store(s);
}
END_TEST

/* store_actor_expired: ended actors updated before the cutoff, oldest
 * first, up to max; or the engine's own created before it. */
START_TEST(test_actor_expired)
{
    struct store *s = open_store();
    int64_t e1 = add_actor(s, "e1", "counter", STORE_EXITED, 30);
    int64_t f1 = add_actor(s, "f1", "counter", STORE_FAILED, 10);
    int64_t k1 = add_actor(s, "k1", "counter", STORE_KILLED, 20);
    add_actor(s, "late", "counter", STORE_KILLED, 100);
    add_actor(s, "w", "counter", STORE_WAITING, 1);
    add_actor(s, "r", "counter", STORE_RUNNABLE, 1);
    add_actor(s, "st", "counter", STORE_STRANDED, 1);
    int64_t box = add_actor(s, "_call-1", "_reply", STORE_WAITING, 1);
    int64_t ids[8];
    int n = -1;
    ck_assert_int_eq(store_actor_expired(s, 0, 100, ids, 8, &n), AD_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ids[0], f1);
    ck_assert_int_eq(ids[1], k1);
    ck_assert_int_eq(ids[2], e1);
    ck_assert_int_eq(store_actor_expired(s, 0, 100, ids, 2, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(store_actor_expired(s, 0, 10, ids, 8, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    /* The engine's own: by created (1000 for every add_actor). */
    ck_assert_int_eq(store_actor_expired(s, 1, 1000, ids, 8, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(store_actor_expired(s, 1, 1001, ids, 8, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], box);
    close_store(s);
}
END_TEST

/* ---- ties ---- */

/* The ties bits: the owner of a timer, the target of a watch, both ends
 * of a link; never cleared.  store_actor_ties gives them with the
 * stored mailbox count. */
START_TEST(test_actor_ties)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_WAITING, 1);
    int64_t b = add_actor(s, "b", "counter", STORE_WAITING, 1);
    int64_t c = add_actor(s, "c", "counter", STORE_WAITING, 1);
    int64_t mailbox = -1;
    int ties = -1;
    ck_assert_int_eq(store_actor_ties(s, a, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(mailbox, 0);
    ck_assert_int_eq(ties, 0);

    append(s, a, "1");
    ck_assert_int_eq(store_timer_add(s, a, "b", "1", 10, 0, NULL), AD_OK);
    ck_assert_int_eq(store_actor_ties(s, a, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(mailbox, 1);
    ck_assert_int_eq(ties, STORE_TIE_TIMERS);

    ck_assert_int_eq(store_monitor_add(s, b, a), AD_OK);
    ck_assert_int_eq(store_actor_ties(s, b, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(ties, STORE_TIE_MONITORS);
    ck_assert_int_eq(store_actor_ties(s, a, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(ties, STORE_TIE_TIMERS); /* the watcher: unchanged */

    ck_assert_int_eq(store_link_add(s, b, c), AD_OK);
    ck_assert_int_eq(store_actor_ties(s, b, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(ties, STORE_TIE_MONITORS | STORE_TIE_LINKS);
    ck_assert_int_eq(store_actor_ties(s, c, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(ties, STORE_TIE_LINKS);

    /* Never cleared: taking the watches and links leaves the bits. */
    char **names = NULL;
    size_t n = 0;
    ck_assert_int_eq(store_monitor_take(s, b, &names, &n), AD_OK);
    ck_assert_uint_eq(n, 1);
    free(names[0]);
    free(names);
    struct store_link *links = NULL;
    ck_assert_int_eq(store_link_take(s, b, &links, &n), AD_OK);
    store_links_free(links, n);
    ck_assert_int_eq(store_actor_ties(s, b, &mailbox, &ties), AD_OK);
    ck_assert_int_eq(ties, STORE_TIE_MONITORS | STORE_TIE_LINKS);

    ck_assert_int_eq(store_actor_ties(s, 999, &mailbox, &ties), AD_ENOTFOUND);
    close_store(s);
}
END_TEST

/* ---- the run queue ---- */

START_TEST(test_runnable_order)
{
    struct store *s = open_store();
    int64_t late = add_actor(s, "late", "counter", STORE_RUNNABLE, 300);
    int64_t early = add_actor(s, "early", "counter", STORE_RUNNABLE, 100);
    add_actor(s, "waits", "counter", STORE_WAITING, 50);
    add_actor(s, "gone", "counter", STORE_EXITED, 60);
    int64_t mid1 = add_actor(s, "mid1", "counter", STORE_RUNNABLE, 200);
    int64_t mid2 = add_actor(s, "mid2", "counter", STORE_RUNNABLE, 200);

    int64_t ids[8] = {0};
    int n = -1;
    ck_assert_int_eq(store_runnable(s, ids, 8, &n), AD_OK);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(ids[0], early);
    ck_assert_int_eq(ids[1], mid1); /* same time: by id */
    ck_assert_int_eq(ids[2], mid2);
    ck_assert_int_eq(ids[3], late);

    /* max bounds the answer. */
    memset(ids, 0, sizeof ids);
    ck_assert_int_eq(store_runnable(s, ids, 2, &n), AD_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], early);
    ck_assert_int_eq(ids[1], mid1);
    ck_assert_int_eq(ids[2], 0);

    /* A status change moves an actor in or out of the queue. */
    ck_assert_int_eq(store_actor_set_status(s, early, STORE_WAITING, 400),
                     AD_OK);
    ck_assert_int_eq(store_runnable(s, ids, 8, &n), AD_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(ids[0], mid1);
    close_store(s);
}
END_TEST

START_TEST(test_unstrand)
{
    struct store *s = open_store();
    int64_t a = add_actor(s, "a", "counter", STORE_STRANDED, 1);
    add_actor(s, "b", "counter", STORE_WAITING, 1);
    add_actor(s, "c", "counter", STORE_FAILED, 1);
    int64_t ids[4];
    int n = -1;
    ck_assert_int_eq(store_runnable(s, ids, 4, &n), AD_OK);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(store_unstrand(s), AD_OK);
    ck_assert_int_eq(store_runnable(s, ids, 4, &n), AD_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], a);
    close_store(s);
}
END_TEST

/* ---- listing ---- */

struct names {
    int n;
    char name[64][16];
    int stop_at; /* return AD_EINVAL on this call (1-based); 0: never */
};

static int
list_cb(void *ctx, struct store_actor *a)
{
    struct names *l = ctx;
    ck_assert_int_lt(l->n, 64);
    snprintf(l->name[l->n], sizeof l->name[0], "%s", a->name);
    l->n++;
    return l->n == l->stop_at ? AD_EINVAL : AD_OK;
}

START_TEST(test_list_pagination)
{
    struct store *s = open_store();
    char name[16];
    /* 12 counters n00..n11 (every third exited), 3 collectors. */
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "n%02d", i);
        add_actor(s, name, "counter", i % 3 == 0 ? STORE_EXITED : STORE_WAITING,
                  1);
    }
    add_actor(s, "c0", "collector", STORE_WAITING, 1);
    add_actor(s, "n05x", "collector", STORE_EXITED, 1);
    add_actor(s, "z", "collector", STORE_WAITING, 1);

    struct names l = {0};
    int more = -1;
    ck_assert_int_eq(
        store_actor_list(s, NULL, NULL, NULL, 100, list_cb, &l, &more), AD_OK);
    ck_assert_int_eq(l.n, 15);
    ck_assert_int_eq(more, 0);
    for (int i = 1; i < l.n; i++)
        ck_assert_msg(strcmp(l.name[i - 1], l.name[i]) < 0,
                      "not in name order: %s, %s", l.name[i - 1], l.name[i]);

    /* Pages of 4 counters: 4, 4, 4 with more set on the first two. */
    const char *after = NULL;
    char cursor[16];
    int total = 0;
    for (int page = 0; page < 3; page++) {
        memset(&l, 0, sizeof l);
        ck_assert_int_eq(
            store_actor_list(s, "counter", NULL, after, 4, list_cb, &l, &more),
            AD_OK);
        ck_assert_int_eq(l.n, 4);
        ck_assert_int_eq(more, page < 2);
        for (int i = 0; i < l.n; i++) {
            snprintf(name, sizeof name, "n%02d", total + i);
            ck_assert_str_eq(l.name[i], name);
        }
        total += l.n;
        snprintf(cursor, sizeof cursor, "%s", l.name[l.n - 1]);
        after = cursor;
    }

    /* Both filters: waiting counters, 8 of them, in pages of 5. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(
        store_actor_list(s, "counter", "waiting", NULL, 5, list_cb, &l, &more),
        AD_OK);
    ck_assert_int_eq(l.n, 5);
    ck_assert_int_eq(more, 1);
    ck_assert_str_eq(l.name[0], "n01");
    ck_assert_str_eq(l.name[4], "n07");
    snprintf(cursor, sizeof cursor, "%s", l.name[4]);
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(store_actor_list(s, "counter", "waiting", cursor, 5,
                                      list_cb, &l, &more),
                     AD_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(more, 0);
    ck_assert_str_eq(l.name[0], "n08");
    ck_assert_str_eq(l.name[2], "n11");

    /* Status alone. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(
        store_actor_list(s, NULL, "exited", NULL, 100, list_cb, &l, &more),
        AD_OK);
    ck_assert_int_eq(l.n, 5);
    ck_assert_str_eq(l.name[2], "n05x");

    /* An exact page: more is 0 when nothing follows. */
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(
        store_actor_list(s, "collector", NULL, NULL, 3, list_cb, &l, &more),
        AD_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(more, 0);

    /* A filter nothing matches. */
    memset(&l, 0, sizeof l);
    more = -1;
    ck_assert_int_eq(
        store_actor_list(s, "ring", NULL, NULL, 10, list_cb, &l, &more), AD_OK);
    ck_assert_int_eq(l.n, 0);
    ck_assert_int_eq(more, 0);

    /* The callback stops the listing with its error. */
    memset(&l, 0, sizeof l);
    l.stop_at = 2;
    ck_assert_int_eq(
        store_actor_list(s, NULL, NULL, NULL, 100, list_cb, &l, &more),
        AD_EINVAL);
    ck_assert_int_eq(l.n, 2);
    close_store(s);
}
END_TEST

START_TEST(test_list_limit_int_max)
{
    /* store_actor_list asks SQLite for limit + 1 rows, computed in
     * int64_t: limit == INT_MAX means "every actor", never an overflow
     * (UBSan stops the test under make SAN=1 should it come back). */
    struct store *s = open_store();
    add_actor(s, "a", "counter", STORE_WAITING, 1);
    add_actor(s, "b", "counter", STORE_WAITING, 1);
    struct names l = {0};
    int more = -1;
    ck_assert_int_eq(
        store_actor_list(s, NULL, NULL, NULL, INT_MAX, list_cb, &l, &more),
        AD_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(more, 0);
    close_store(s);
}
END_TEST

static Suite *
actors_suite(void)
{
    Suite *s = suite_create("store_actors");
    TCase *tc;

    tc = tcase("status");
    tcase_add_test(tc, test_status_names);
    suite_add_tcase(s, tc);

    tc = tcase("rows");
    tcase_add_test(tc, test_actor_insert_and_load);
    tcase_add_test(tc, test_actor_not_found);
    tcase_add_test(tc, test_actor_duplicate_name);
    tcase_add_test(tc, test_actor_peek);
    tcase_add_test(tc, test_actor_peek_mailbox);
    tcase_add_test(tc, test_actor_save);
    tcase_add_test(tc, test_actor_save_taken_and_deadline);
    tcase_add_test(tc, test_actor_set_status);
    tcase_add_test(tc, test_actor_remove);
    tcase_add_test(tc, test_actor_remove_everything);
    tcase_add_test(tc, test_actor_purge_counts);
    tcase_add_test(tc, test_actor_expired);
    tcase_add_test(tc, test_actor_unknown_status);
    suite_add_tcase(s, tc);

    tc = tcase("runnable");
    tcase_add_test(tc, test_runnable_order);
    tcase_add_test(tc, test_unstrand);
    suite_add_tcase(s, tc);

    tc = tcase("list");
    tcase_add_test(tc, test_list_pagination);
    tcase_add_test(tc, test_list_limit_int_max);
    suite_add_tcase(s, tc);

    tc = tcase("ties");
    tcase_add_test(tc, test_actor_ties);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return run_suite(actors_suite());
}
