/*
 * test_eng_ops.c - the Check suite of engine/ops.c: the documents of
 * eng_stats, eng_check and eng_vacuum, eng_backup through the engine, and
 * eng_gc removing ended actors (with their watches, links, timers and
 * mail), stale reply boxes and old dead letters, a batch a transaction,
 * while live actors and young ones stay.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

/* Returns the integer at key of o; fails when it is not one. */
static long long
num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "no integer %s", key);
    return (long long)json_integer_value(v);
}

START_TEST(test_stats)
{
    struct eng *e = open_eng();
    spawn(e, "a", "counter", NULL);
    spawn(e, "b", "counter", NULL);
    spawn(e, "t", "alarm", "{\"ms\":3600000}");
    run(e);
    send(e, "a", "{\"hello\":1}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "b", &doc), AD_OK);
    json_decref(doc);
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(e, "a", "get", NULL, box, id), AD_OK);
    json_t *st = NULL;
    ck_assert_int_eq(eng_stats(e, &st), AD_OK);
    ck_assert_int_eq(num(st, "actors_waiting"), 1);
    ck_assert_int_eq(num(st, "actors_runnable"), 1); /* a, woken by the call */
    ck_assert_int_eq(num(st, "actors_killed"), 1);
    ck_assert_int_eq(num(st, "actors_exited"), 0);
    ck_assert_int_eq(num(st, "actors_failed"), 0);
    ck_assert_int_eq(num(st, "actors_stranded"), 0);
    ck_assert_int_eq(num(st, "actors_total"), 3);
    ck_assert_int_eq(num(st, "calls_pending"), 1);
    ck_assert_int_eq(num(st, "messages_queued"), 2);
    ck_assert_int_eq(num(st, "dead_letters"), 0);
    ck_assert_int_eq(num(st, "timers_pending"), 1);
    ck_assert_int_eq(num(st, "behaviors_lua"), 0);
    json_t *reg = eng_behaviors();
    ck_assert_int_eq(
        num(st, "behaviors_c"),
        (long long)json_array_size(json_object_get(reg, "behaviors")));
    json_decref(reg);
    ck_assert_int_eq(num(st, "db_bytes"),
                     num(st, "db_page_size") * num(st, "db_pages"));
    ck_assert_int_gt(num(st, "schema_version"), 0);
    ck_assert_int_ge(num(st, "wal_bytes"), 0);
    ck_assert_int_eq(json_object_size(st), 22);
    json_decref(st);
    close_eng(e);
}
END_TEST

START_TEST(test_check)
{
    struct eng *e = open_eng();
    spawn(e, "a", "counter", NULL);
    run(e);
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(e, "a", "get", NULL, box, id), AD_OK);
    json_t *out = NULL;
    ck_assert_int_eq(eng_check(e, 60000, &out), AD_OK);
    assert_field(out, "ok", "true");
    json_t *checks = json_object_get(out, "checks");
    ck_assert_int_eq(json_array_size(checks), 18);
    assert_field(json_array_get(checks, 0), "check", "\"integrity_check\"");
    assert_field(json_array_get(checks, 0), "count", "0");
    json_decref(out);
    /* The box outlives a call's longest wait: stale. */
    sleep_ms(5);
    ck_assert_int_eq(eng_check(e, 1, &out), AD_OK);
    assert_field(out, "ok", "false");
    size_t i;
    json_t *c;
    int stale = 0;
    json_array_foreach(json_object_get(out, "checks"), i, c)
    {
        const char *name = json_string_value(json_object_get(c, "check"));
        int ok = json_is_true(json_object_get(c, "ok"));
        if (strcmp(name, "stale_calls") == 0) {
            stale = 1;
            ck_assert(!ok);
            assert_field(c, "count", "1");
            ck_assert_ptr_nonnull(
                strstr(json_string_value(json_object_get(c, "examples")), box));
        } else {
            ck_assert_msg(ok, "%s fails", name);
        }
    }
    ck_assert(stale);
    json_decref(out);
    close_eng(e);
}
END_TEST

START_TEST(test_vacuum_and_backup)
{
    struct eng *e = open_eng();
    spawn(e, "a", "counter", NULL);
    run(e);
    json_t *out = NULL;
    ck_assert_int_eq(eng_vacuum(e, ENG_VACUUM_INCREMENTAL, &out), AD_OK);
    assert_field(out, "vacuum", "\"full\"");
    assert_field(out, "auto_vacuum", "\"incremental\"");
    assert_field(out, "checkpointed", "true");
    json_decref(out);
    ck_assert_int_eq(eng_vacuum(e, ENG_VACUUM_AUTO, &out), AD_OK);
    assert_field(out, "vacuum", "\"incremental\"");
    assert_field(out, "free_pages_after", "0");
    json_decref(out);
    ck_assert_int_eq(eng_vacuum(e, (enum eng_vacuum_mode)9, &out), AD_EINVAL);
    ck_assert_ptr_null(out);

    char copy[256];
    snprintf(copy, sizeof copy, "%s/copy.db", db.dir);
    int64_t bytes = 0;
    ck_assert_int_eq(eng_backup(e, copy, 0, 0, &bytes), AD_OK);
    ck_assert_int_gt(bytes, 0);
    struct eng *c = NULL;
    ck_assert_int_eq(eng_open(copy, NULL, &c), AD_OK);
    assert_actor(c, "a", "state", "{\"count\": 0}");
    eng_close(c);
    ck_assert_int_eq(eng_backup(e, db.path, 0, 0, NULL), AD_EINVAL);
    ck_assert_ptr_nonnull(strstr(eng_errmsg(e), "the database itself"));
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s%s", copy, suffix[i]);
        unlink(p);
    }
    close_eng(e);
}
END_TEST

/* gc: ended actors at least age old go with what refers to them; live and
 * young ones stay; dead letters by age; reply boxes by the calls' age. */
START_TEST(test_gc)
{
    struct eng *e = open_eng();
    /* A watcher that ends while watching a live actor: its watch row
     * stays until gc. */
    spawn(e, "live", "counter", NULL);
    spawn(e, "w", "watcher", "{\"target\":{\"$address\":\"live\"}}");
    spawn(e, "k", "counter", NULL);
    spawn(e, "x", "puppet", NULL);
    run(e);
    send(e, "k", "{\"unread\":1}");
    json_t *doc = NULL;
    ck_assert_int_eq(eng_kill(e, "w", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_kill(e, "k", &doc), AD_OK); /* a dead letter */
    json_decref(doc);
    send(e, "x", "{\"op\":\"fail\",\"why\":\"test\"}");
    run(e);
    assert_status(e, "x", "failed");
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    ck_assert_int_eq(eng_call_begin(e, "live", "get", NULL, box, id), AD_OK);
    run(e); /* live answers into the box, which nobody polls */
    ck_assert_int_eq(count_timers(), 0);

    /* Too young for an hour's age, and the box within its wait. */
    json_t *out = NULL;
    ck_assert_int_eq(eng_gc(e, 3600000, 60000, 0, &out), AD_OK);
    assert_json(out, "{\"actors\": 0, \"reply_boxes\": 0, \"messages\": 0, "
                     "\"monitors\": 0, \"links\": 0, \"timers\": 0, "
                     "\"abandoned_calls\": 0, \"dead_letters\": 0, "
                     "\"transactions\": 3}");
    json_decref(out);

    sleep_ms(5);
    /* Batches of one: a transaction each, and one that comes back short,
     * for the ended actors (4) and the boxes (2); the dead letters take
     * ten times the batch a transaction (1). */
    ck_assert_int_eq(eng_gc(e, 0, 1, 1, &out), AD_OK);
    assert_json(out, "{\"actors\": 3, \"reply_boxes\": 1, \"messages\": 1, "
                     "\"monitors\": 1, \"links\": 0, \"timers\": 0, "
                     "\"abandoned_calls\": 0, \"dead_letters\": 1, "
                     "\"transactions\": 7}");
    json_decref(out);
    ck_assert_int_eq(eng_get(e, "w", &doc), AD_ENOTFOUND);
    ck_assert_int_eq(eng_get(e, "k", &doc), AD_ENOTFOUND);
    ck_assert_int_eq(eng_get(e, "x", &doc), AD_ENOTFOUND);
    assert_status(e, "live", "waiting");
    assert_mailbox_counts();
    ck_assert_int_eq(eng_check(e, 60000, &out), AD_OK);
    assert_field(out, "ok", "true");
    json_decref(out);
    /* A removed name is free again. */
    spawn(e, "k", "counter", "{\"start\":9}");
    assert_actor(e, "k", "state", "{}");
    close_eng(e);
}
END_TEST

static Suite *
eng_ops_suite(void)
{
    Suite *s = suite_create("eng_ops");
    TCase *tc = tcase("ops");
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_check);
    tcase_add_test(tc, test_vacuum_and_backup);
    tcase_add_test(tc, test_gc);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&twoshape, &watcher, &puppet,
                                                  &alarm_behavior, NULL};
    return run_engine_suite("test_eng_ops", used, eng_ops_suite());
}
