/*
 * test_eng_upgrade.c - the Check suite of engine/upgrade.c: moving a
 * stored actor onto the version of its behaviour this build has, through
 * the behaviour's upgrade function; refusals change nothing.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

/*
 * account, version 2: {"deposit": N} adds to state.balance.  Version 1
 * (only in the database: the tests write its rows) kept state.count;
 * upgrade renames it, and refuses actors of version 0.
 */
static enum actor_step
account_step(struct actor *a)
{
    json_t *st = actor_state(a);
    ACTOR_BEGIN(a);
    json_object_set_new(st, "balance", json_integer(0));
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "deposit", "$integer"));
        json_object_set_new(
            st, "balance",
            json_integer(json_integer_value(json_object_get(st, "balance")) +
                         json_integer_value(
                             json_object_get(actor_message(a), "deposit"))));
    }
    ACTOR_END(a);
}

static int
account_upgrade(struct actor *a, int from_version, int point)
{
    if (from_version != 1)
        return -1;
    json_t *st = actor_state(a);
    json_object_set(st, "balance", json_object_get(st, "count"));
    json_object_del(st, "count");
    /* What an upgrade cannot do: send. */
    actor_send(a, json_object_get(actor_args(a), "to"), json_string("no"));
    return point;
}

static const struct behavior account = {
    .name = "account",
    .version = 2,
    .doc = "test: a balance, upgraded from a count",
    .step = account_step,
    .upgrade = account_upgrade,
};

/* Makes name an actor of behavior stored by version, waiting at point 1
 * with state: what an older build left. */
static void
stored_by(struct eng *e, const char *name, const char *behavior, int version,
          const char *state)
{
    spawn(e, name, behavior, "{\"to\": \"col\"}");
    run(e);
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE actors SET version = %d, state = '%s' WHERE name = '%s'",
             version, state, name);
    raw_sql(sql);
}

START_TEST(test_upgrade_moves_a_stranded_actor)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    stored_by(e, "a", "account", 1, "{\"count\": 3}");
    send(e, "a", "{\"deposit\": 4}");
    run(e);
    assert_status(e, "a", "stranded");
    json_t *doc = NULL;
    const char *why = NULL;
    ck_assert_int_eq(eng_upgrade(e, "a", 0, &doc, &why), AD_OK);
    assert_field(doc, "status", "\"runnable\"");
    assert_field(doc, "state", "{\"balance\": 3}");
    assert_field(doc, "error", "null");
    json_decref(doc);
    /* It goes on where it waited, with the message that came meanwhile. */
    run(e);
    assert_status(e, "a", "waiting");
    assert_actor(e, "a", "state", "{\"balance\": 7}");
    assert_actor(e, "col", "state", "{\"messages\": []}");
    /* On the version of this build already: nothing to do. */
    ck_assert_int_eq(eng_upgrade(e, "a", 2, &doc, &why), AD_OK);
    assert_field(doc, "state", "{\"balance\": 7}");
    json_decref(doc);
    close_eng(e);
}
END_TEST

START_TEST(test_upgrade_refusals_change_nothing)
{
    struct eng *e = open_eng();
    spawn(e, "col", "collector", NULL);
    stored_by(e, "old", "account", 0, "{\"count\": 1}");
    stored_by(e, "c", "counter", 0, "{\"count\": 5}");
    json_t *doc = NULL;
    const char *why = NULL;
    /* The upgrade function refuses version 0. */
    ck_assert_int_eq(eng_upgrade(e, "old", 0, &doc, &why), AD_EUPGRADE);
    ck_assert_ptr_null(doc);
    ck_assert_str_eq(why, "the upgrade function refused the actor");
    /* counter has no upgrade function. */
    ck_assert_int_eq(eng_upgrade(e, "c", 0, &doc, &why), AD_EUPGRADE);
    ck_assert_ptr_nonnull(strstr(why, "no upgrade function"));
    /* A version this build does not have. */
    ck_assert_int_eq(eng_upgrade(e, "old", 7, &doc, &why), AD_EUPGRADE);
    ck_assert_ptr_nonnull(strstr(why, "not in this build"));
    ck_assert_int_eq(eng_upgrade(e, "nobody", 0, &doc, &why), AD_ENOTFOUND);
    assert_actor(e, "old", "state", "{\"count\": 1}");
    assert_actor(e, "c", "state", "{\"count\": 5}");
    /* They stay stranded, never reset. */
    send(e, "c", "{\"add\": 1}");
    run(e);
    assert_status(e, "c", "stranded");
    assert_actor(e, "c", "state", "{\"count\": 5}");
    /* An ended actor is not upgraded. */
    ck_assert_int_eq(eng_kill(e, "col", &doc), AD_OK);
    json_decref(doc);
    doc = NULL;
    ck_assert_int_eq(eng_upgrade(e, "col", 0, &doc, &why), AD_EDEAD);
    ck_assert_ptr_null(doc);
    close_eng(e);
}
END_TEST

static Suite *
eng_upgrade_suite(void)
{
    Suite *s = suite_create("eng_upgrade");
    TCase *tc = tcase("upgrade");
    tcase_add_test(tc, test_upgrade_moves_a_stranded_actor);
    tcase_add_test(tc, test_upgrade_refusals_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    static const struct behavior *const used[] = {&account, NULL};
    return run_engine_suite("test_eng_upgrade", used, eng_upgrade_suite());
}
