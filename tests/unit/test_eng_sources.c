/*
 * test_eng_sources.c - the Check suite of engine/sources.c: behaviours
 * uploaded as source, stored a version a row, compiled per connection,
 * with actors pinned to the version they were spawned with.  The
 * language here is a toy: the source "adder:K" is a behaviour that adds
 * K times each {"add": N} to state.count; anything else does not compile.
 */
#include "engine/engine.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "tests/unit/engutil.h"

static enum actor_step
adder_step(struct actor *a)
{
    json_t *st = actor_state(a);
    json_int_t k = *(const json_int_t *)actor_behavior(a)->data;
    ACTOR_BEGIN(a);
    json_object_set_new(st, "count", json_integer(0));
    for (;;) {
        ACTOR_RECEIVE(a, 1, json_pack("[{s:s}]", "add", "$integer"));
        json_object_set_new(
            st, "count",
            json_integer(json_integer_value(json_object_get(st, "count")) +
                         k * json_integer_value(
                                 json_object_get(actor_message(a), "add"))));
    }
    ACTOR_END(a);
}

static int
adder_upgrade(struct actor *a, int from_version, int point)
{
    (void)a;
    (void)from_version;
    return point;
}

static int
toy_compile(const char *name, int version, const char *source, size_t len,
            struct behavior **out, char *why, size_t whylen)
{
    char text[32];
    if (len >= sizeof text || len < 7 || memcmp(source, "adder:", 6) != 0) {
        snprintf(why, whylen, "line 1: not an adder");
        return AD_EBADCODE;
    }
    memcpy(text, source, len);
    text[len] = '\0';
    struct behavior *b = calloc(1, sizeof *b);
    json_int_t *k = malloc(sizeof *k);
    char *n = strdup(name);
    if (b == NULL || k == NULL || n == NULL) {
        free(b);
        free(k);
        free(n);
        return AD_ENOMEM;
    }
    *k = strtoll(text + 6, NULL, 10);
    b->name = n;
    b->version = version;
    b->doc = "adds K times";
    b->step = adder_step;
    b->upgrade = adder_upgrade;
    b->data = k;
    *out = b;
    return AD_OK;
}

static const char *
toy_check_args(const struct behavior *b, const json_t *args, char *why,
               size_t len)
{
    (void)b;
    if (json_object_get(args, "bad") == NULL)
        return NULL;
    snprintf(why, len, "bad is bad");
    return why;
}

static void
toy_release(struct behavior *b)
{
    free((char *)b->name);
    free(b->data);
    free(b);
}

static const struct eng_language toy = {
    .name = "toy",
    .compile = toy_compile,
    .check_args = toy_check_args,
    .release = toy_release,
};

/* PUTs source as name; returns the version, asserts created. */
static int
put(struct eng *e, const char *name, const char *source, int created_want)
{
    json_t *doc = NULL;
    int created = -1;
    char why[128] = "";
    int err = eng_behavior_put(e, name, source, strlen(source), &doc, &created,
                               why, sizeof why);
    ck_assert_msg(err == AD_OK, "put %s: %s %s", name, ad_errcode(err), why);
    ck_assert_int_eq(created, created_want);
    assert_field(doc, "language", "\"toy\"");
    int v = (int)json_integer_value(json_object_get(doc, "version"));
    json_decref(doc);
    return v;
}

START_TEST(test_put_versions)
{
    struct eng *e = open_eng();
    ck_assert_int_eq(put(e, "add", "adder:1", 1), 1);
    ck_assert_int_eq(put(e, "add", "adder:1", 0), 1); /* the same again */
    spawn(e, "one", "add", NULL);
    ck_assert_int_eq(put(e, "add", "adder:10", 1), 2);
    spawn(e, "ten", "add", NULL);
    run(e);
    send(e, "one", "{\"add\": 2}");
    send(e, "ten", "{\"add\": 2}");
    run(e);
    /* Each runs the version it was spawned with. */
    assert_actor(e, "one", "state", "{\"count\": 2}");
    assert_actor(e, "ten", "state", "{\"count\": 20}");

    json_t *doc = NULL;
    ck_assert_int_eq(eng_behavior_get(e, "add", 1, 1, &doc), AD_OK);
    assert_field(doc, "version", "2");
    assert_field(doc, "source", "\"adder:1\"");
    assert_field(doc, "source_version", "1");
    json_t *vs = json_object_get(doc, "versions");
    ck_assert_int_eq(json_array_size(vs), 2);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_array_get(vs, 0), "actors")),
        1);
    json_decref(doc);

    /* The list: registered behaviours, then the newest of each upload. */
    ck_assert_int_eq(eng_behavior_list(e, &doc), AD_OK);
    json_t *last =
        json_array_get(json_object_get(doc, "behaviors"),
                       json_array_size(json_object_get(doc, "behaviors")) - 1);
    assert_field(last, "name", "\"add\"");
    assert_field(last, "version", "2");
    json_decref(doc);

    /* Upgrade one onto version 2: it adds ten times now. */
    ck_assert_int_eq(eng_upgrade(e, "one", 2, &doc, NULL), AD_OK);
    json_decref(doc);
    send(e, "one", "{\"add\": 1}");
    run(e);
    assert_actor(e, "one", "state", "{\"count\": 12}");
    close_eng(e);
}
END_TEST

START_TEST(test_put_refusals)
{
    struct eng *e = open_eng();
    json_t *doc = NULL;
    int created = 0;
    char why[128] = "";
    ck_assert_int_eq(eng_behavior_put(e, "counter", "adder:1", 7, &doc,
                                      &created, why, sizeof why),
                     AD_EEXISTS);
    ck_assert_int_eq(eng_behavior_put(e, "add", "subber:1", 8, &doc, &created,
                                      why, sizeof why),
                     AD_EBADCODE);
    ck_assert_str_eq(why, "line 1: not an adder");
    ck_assert_ptr_null(doc);
    ck_assert_int_eq(eng_behavior_get(e, "add", 0, 0, &doc), AD_ENOTFOUND);
    /* A registered behaviour reads as one version, no source. */
    ck_assert_int_eq(eng_behavior_get(e, "counter", 0, 1, &doc), AD_OK);
    assert_field(doc, "language", "\"c\"");
    ck_assert_ptr_null(json_object_get(doc, "source"));
    json_decref(doc);
    /* Spawn args go through the language's check. */
    put(e, "add", "adder:1", 1);
    const char *w = NULL;
    json_t *args = json_pack("{s:b}", "bad", 1);
    ck_assert_int_eq(eng_spawn(e, "x", "add", args, &doc, &w), AD_EBADARGS);
    ck_assert_str_eq(w, "bad is bad");
    json_decref(args);
    close_eng(e);
}
END_TEST

START_TEST(test_delete_keeps_what_runs)
{
    struct eng *e = open_eng();
    put(e, "add", "adder:1", 1);
    spawn(e, "one", "add", NULL);
    run(e);
    json_t *doc = NULL;
    ck_assert_int_eq(eng_behavior_delete(e, "add", &doc), AD_EINUSE);
    put(e, "add", "adder:2", 1);
    ck_assert_int_eq(eng_behavior_delete(e, "add", &doc), AD_OK);
    assert_field(doc, "removed", "1");
    assert_field(doc, "kept", "1");
    json_decref(doc);
    /* The actor goes on; when it has ended, the last version can go. */
    send(e, "one", "{\"add\": 3}");
    run(e);
    assert_actor(e, "one", "state", "{\"count\": 3}");
    ck_assert_int_eq(eng_kill(e, "one", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_behavior_delete(e, "add", &doc), AD_OK);
    json_decref(doc);
    ck_assert_int_eq(eng_behavior_delete(e, "add", &doc), AD_ENOTFOUND);
    /* A number once used is not used again. */
    ck_assert_int_eq(put(e, "add", "adder:5", 1), 3);
    ck_assert_int_eq(eng_behavior_delete(e, "counter", &doc), AD_EEXISTS);
    close_eng(e);
}
END_TEST

static Suite *
eng_sources_suite(void)
{
    Suite *s = suite_create("eng_sources");
    TCase *tc = tcase("sources");
    tcase_add_test(tc, test_put_versions);
    tcase_add_test(tc, test_put_refusals);
    tcase_add_test(tc, test_delete_keeps_what_runs);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    if (eng_set_language(&toy) != AD_OK)
        return 1;
    return run_engine_suite("test_eng_sources", NULL, eng_sources_suite());
}
