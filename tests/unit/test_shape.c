/*
 * test_shape.c - the Check suite of engine/shape.c: one case per kind of
 * shape (literals, wildcards, addresses, $literal, $list_of, $one_of,
 * tuples, object shapes), one for shape_match_any, one for what shape_check
 * rejects and one for the depth bound.  Shapes and values are written as
 * JSON text, as behaviours and docs/shapes.md write them.
 */
#include "engine/shape.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/*
 * Returns the JSON text parsed (new reference; the caller decrefs), any
 * value at the top and NUL bytes in strings allowed.  Fails the test when
 * text is not JSON.
 */
static json_t *
load(const char *text)
{
    json_error_t jerr;
    json_t *j;

    j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "bad JSON in the test: %s: %s", text, jerr.text);
    return j;
}

/*
 * Returns shape_match of the two JSON texts, after asserting that the shape
 * passes shape_check.
 */
static int
match(const char *shape_text, const char *value_text)
{
    char err[256] = "";
    json_t *shape, *value;
    int rc;

    shape = load(shape_text);
    value = load(value_text);
    ck_assert_msg(shape_check(shape, err, sizeof(err)) == 0,
                  "shape %s refused: %s", shape_text, err);
    rc = shape_match(shape, value);
    ck_assert_msg(rc == 0 || rc == 1, "shape_match returned %d", rc);
    json_decref(shape);
    json_decref(value);
    return rc;
}

#define MATCH(shape, value)                                                    \
    ck_assert_msg(match(shape, value) == 1, "%s should match %s", value, shape)
#define NO_MATCH(shape, value)                                                 \
    ck_assert_msg(match(shape, value) == 0, "%s should not match %s", value,   \
                  shape)

/* Returns shape_check of the JSON text, writing its error into err. */
static int
check_text(const char *shape_text, char *err, size_t errlen)
{
    json_t *shape;
    int rc;

    shape = load(shape_text);
    rc = shape_check(shape, err, errlen);
    json_decref(shape);
    return rc;
}

/* Asserts that shape_check accepts the JSON text. */
#define ACCEPTS(shape)                                                         \
    do {                                                                       \
        char err_[256] = "";                                                   \
        ck_assert_msg(check_text(shape, err_, sizeof(err_)) == 0,              \
                      "%s refused: %s", shape, err_);                          \
    } while (0)

/*
 * Asserts that shape_check refuses the JSON text with an error that contains
 * each of the (up to two) strings given.
 */
#define REJECTS(shape, part1, part2)                                           \
    do {                                                                       \
        char err_[512];                                                        \
        memset(err_, 'x', sizeof(err_));                                       \
        ck_assert_msg(check_text(shape, err_, sizeof(err_)) == -1,             \
                      "%s accepted", shape);                                   \
        ck_assert_msg(memchr(err_, '\0', sizeof(err_)) != NULL,                \
                      "error of %s not terminated", shape);                    \
        ck_assert_msg(strstr(err_, part1) != NULL,                             \
                      "error of %s lacks '%s': %s", shape, part1, err_);       \
        ck_assert_msg(strstr(err_, part2) != NULL,                             \
                      "error of %s lacks '%s': %s", shape, part2, err_);       \
    } while (0)

/*
 * Returns n arrays nested around leaf (stolen): [[...[leaf]...]].  New
 * reference.
 */
static json_t *
nest_arrays(size_t n, json_t *leaf)
{
    json_t *j = leaf, *a;

    while (n-- > 0) {
        a = json_array();
        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(json_array_append_new(a, j), 0);
        j = a;
    }
    return j;
}

/*
 * Returns n one-key objects {key: ...} nested around leaf (stolen).  New
 * reference.
 */
static json_t *
nest_objects(size_t n, const char *key, json_t *leaf)
{
    json_t *j = leaf, *o;

    while (n-- > 0) {
        o = json_object();
        ck_assert_ptr_nonnull(o);
        ck_assert_int_eq(json_object_set_new(o, key, j), 0);
        j = o;
    }
    return j;
}

/* Returns {"$one_of": [inner]} n times around leaf (stolen).  New ref. */
static json_t *
nest_one_of(size_t n, json_t *leaf)
{
    json_t *j = leaf, *o;

    while (n-- > 0) {
        o = json_object();
        ck_assert_ptr_nonnull(o);
        ck_assert_int_eq(json_object_set_new(o, "$one_of", json_pack("[o]", j)),
                         0);
        j = o;
    }
    return j;
}

/* Returns shape_check of shape (stolen), its error going nowhere. */
static int
check_steal(json_t *shape)
{
    char err[512];
    int rc;

    rc = shape_check(shape, err, sizeof(err));
    json_decref(shape);
    return rc;
}

/* Numbers compare by numeric value, integer or real. */
START_TEST(test_literal_number)
{
    MATCH("1", "1");
    MATCH("1", "1.0");
    MATCH("1", "1e0");
    MATCH("1.0", "1");
    MATCH("1.5", "1.5");
    MATCH("1.5", "1.50");
    MATCH("-3", "-3.0");
    MATCH("0", "-0.0");
    MATCH("0.0", "0");
    MATCH("100", "1e2");
    NO_MATCH("1", "2");
    NO_MATCH("1", "1.5");
    NO_MATCH("1.5", "1");
    NO_MATCH("1", "\"1\"");
    NO_MATCH("1", "true");
    NO_MATCH("0", "false");
    NO_MATCH("0", "null");
    NO_MATCH("1", "[1]");
    NO_MATCH("1", "{\"a\": 1}");
    /* Exact, not through double: 2^53 + 1 is no double. */
    MATCH("9007199254740992", "9007199254740992.0");
    NO_MATCH("9007199254740993", "9007199254740992.0");
    NO_MATCH("9007199254740992.0", "9007199254740993");
    /* 2^63 as a real is one past the largest integer. */
    NO_MATCH("9223372036854775807", "9223372036854775808.0");
    MATCH("-9223372036854775808", "-9223372036854775808.0");
    MATCH("9223372036854775807", "9223372036854775807");
    NO_MATCH("1", "1e300");
    NO_MATCH("1e300", "-1e300");
}
END_TEST

/* Strings that do not start with "$" compare byte for byte. */
START_TEST(test_literal_string)
{
    MATCH("\"hello\"", "\"hello\"");
    MATCH("\"\"", "\"\"");
    MATCH("\"caf\\u00e9\"", "\"café\"");
    MATCH("\"a$b\"", "\"a$b\"");
    MATCH("\"a\\u0000b\"", "\"a\\u0000b\"");
    NO_MATCH("\"a\\u0000b\"", "\"a\\u0000c\"");
    NO_MATCH("\"a\\u0000b\"", "\"a\"");
    NO_MATCH("\"a\"", "\"a\\u0000b\"");
    NO_MATCH("\"hello\"", "\"Hello\"");
    NO_MATCH("\"hello\"", "\"hello \"");
    NO_MATCH("\"hello\"", "\"hell\"");
    NO_MATCH("\"\"", "null");
    NO_MATCH("\"1\"", "1");
    NO_MATCH("\"true\"", "true");
    NO_MATCH("\"null\"", "null");
    NO_MATCH("\"hello\"", "[\"hello\"]");
    NO_MATCH("\"\"", "\"$any\"");
    /* A decomposed é is other bytes than a composed one. */
    NO_MATCH("\"caf\\u00e9\"", "\"cafe\\u0301\"");
}
END_TEST

/* true, false and null match only themselves. */
START_TEST(test_literal_constant)
{
    MATCH("true", "true");
    MATCH("false", "false");
    MATCH("null", "null");
    NO_MATCH("true", "false");
    NO_MATCH("true", "1");
    NO_MATCH("true", "\"true\"");
    NO_MATCH("false", "true");
    NO_MATCH("false", "0");
    NO_MATCH("false", "null");
    NO_MATCH("false", "\"\"");
    NO_MATCH("null", "false");
    NO_MATCH("null", "0");
    NO_MATCH("null", "\"\"");
    NO_MATCH("null", "{}");
    NO_MATCH("null", "[]");
    NO_MATCH("null", "[null]");
}
END_TEST

/* Values for the wildcard table, and which wildcards each matches. */
static const char *const wild_values[] = {
    "1",    "-7",         "1.5",  "1.0",   "\"s\"",
    "\"\"", "\"$any\"",   "true", "false", "null",
    "{}",   "{\"a\": 1}", "[]",   "[1]",   "{\"$address\": \"c1\"}",
};
#define NVALUES (sizeof(wild_values) / sizeof(wild_values[0]))

static const struct {
    const char *wildcard;
    const char *expect; /* per wild_values[]: '1' matches, '0' does not */
} wild_table[] = {
    {"\"$any\"", "111111111111111"},     {"\"$string\"", "000011100000000"},
    {"\"$number\"", "111100000000000"},  {"\"$integer\"", "110000000000000"},
    {"\"$boolean\"", "000000011000000"}, {"\"$null\"", "000000000100000"},
    {"\"$object\"", "000000000011001"},  {"\"$array\"", "000000000000110"},
    {"\"$address\"", "000000000000001"},
};

/* Each type wildcard against one value of every kind. */
START_TEST(test_wildcard_table)
{
    size_t w, v;

    for (w = 0; w < sizeof(wild_table) / sizeof(wild_table[0]); w++) {
        ck_assert_uint_eq(strlen(wild_table[w].expect), NVALUES);
        for (v = 0; v < NVALUES; v++) {
            int want = wild_table[w].expect[v] == '1';

            ck_assert_msg(match(wild_table[w].wildcard, wild_values[v]) == want,
                          "%s against %s: want %d", wild_table[w].wildcard,
                          wild_values[v], want);
        }
    }
}
END_TEST

/* Wildcards inside containers, and the integer/real distinction. */
START_TEST(test_wildcard_nested)
{
    MATCH("{\"n\": \"$number\"}", "{\"n\": 2.5}");
    MATCH("{\"n\": \"$integer\"}", "{\"n\": -2}");
    NO_MATCH("{\"n\": \"$integer\"}", "{\"n\": 2.0}");
    NO_MATCH("{\"n\": \"$integer\"}", "{\"n\": 2e0}");
    MATCH("[\"$any\", \"$any\"]", "[null, {}]");
    NO_MATCH("[\"$any\"]", "[]");
    NO_MATCH("{\"a\": \"$any\"}", "{}");
    MATCH("{\"a\": \"$null\"}", "{\"a\": null}");
    NO_MATCH("{\"a\": \"$null\"}", "{\"b\": null}");
}
END_TEST

/* "$address" matches exactly {"$address": STRING}. */
START_TEST(test_address)
{
    MATCH("\"$address\"", "{\"$address\": \"c1\"}");
    MATCH("\"$address\"", "{\"$address\": \"\"}");
    NO_MATCH("\"$address\"", "{\"$address\": 1}");
    NO_MATCH("\"$address\"", "{\"$address\": null}");
    NO_MATCH("\"$address\"", "{\"$address\": {\"$address\": \"c1\"}}");
    NO_MATCH("\"$address\"", "{\"$address\": \"c1\", \"x\": 1}");
    NO_MATCH("\"$address\"", "{\"address\": \"c1\"}");
    NO_MATCH("\"$address\"", "{\"$Address\": \"c1\"}");
    NO_MATCH("\"$address\"", "{}");
    NO_MATCH("\"$address\"", "\"c1\"");
    NO_MATCH("\"$address\"", "[\"c1\"]");
    NO_MATCH("\"$address\"", "null");
    MATCH("{\"to\": \"$address\"}",
          "{\"to\": {\"$address\": \"c1\"}, \"once\": true}");
    NO_MATCH("{\"to\": \"$address\"}", "{\"to\": \"c1\"}");
    MATCH("{\"$list_of\": \"$address\"}",
          "[{\"$address\": \"a\"}, {\"$address\": \"b\"}]");
    NO_MATCH("{\"$list_of\": \"$address\"}", "[{\"$address\": \"a\"}, \"b\"]");
    /* An address is an object, so object shapes see it as one. */
    MATCH("\"$object\"", "{\"$address\": \"c1\"}");
    MATCH("{}", "{\"$address\": \"c1\"}");
}
END_TEST

/* {"$literal": X} matches exactly X, numbers compared numerically. */
START_TEST(test_literal_operator)
{
    MATCH("{\"$literal\": \"$any\"}", "\"$any\"");
    NO_MATCH("{\"$literal\": \"$any\"}", "\"x\"");
    NO_MATCH("{\"$literal\": \"$any\"}", "1");
    MATCH("{\"$literal\": \"$x\"}", "\"$x\"");
    MATCH("{\"$literal\": \"$$x\"}", "\"$$x\"");
    NO_MATCH("{\"$literal\": \"$$x\"}", "\"$x\"");
    MATCH("{\"$literal\": {\"$address\": \"c1\"}}", "{\"$address\": \"c1\"}");
    NO_MATCH("{\"$literal\": {\"$address\": \"c1\"}}",
             "{\"$address\": \"c2\"}");
    NO_MATCH("{\"$literal\": {\"$address\": \"c1\"}}",
             "{\"$address\": \"c1\", \"x\": 1}");
    MATCH("{\"$literal\": 1}", "1.0");
    NO_MATCH("{\"$literal\": 1}", "\"1\"");
    MATCH("{\"$literal\": [1, {\"a\": 2}]}", "[1.0, {\"a\": 2.0}]");
    NO_MATCH("{\"$literal\": [1, {\"a\": 2}]}", "[1, {\"a\": 2, \"b\": 3}]");
    NO_MATCH("{\"$literal\": [1, {\"a\": 2}]}", "[1]");
    NO_MATCH("{\"$literal\": [1, {\"a\": 2}]}", "[1, {\"a\": 2}, 3]");
    NO_MATCH("{\"$literal\": [1, 2]}", "[2, 1]");
    MATCH("{\"$literal\": {\"a\": 1, \"b\": []}}", "{\"b\": [], \"a\": 1}");
    NO_MATCH("{\"$literal\": {\"a\": 1, \"b\": []}}", "{\"a\": 1}");
    NO_MATCH("{\"$literal\": {\"a\": 1}}", "{\"a\": 1, \"b\": 2}");
    NO_MATCH("{\"$literal\": {\"a\": 1}}", "{\"b\": 1}");
    MATCH("{\"$literal\": {}}", "{}");
    NO_MATCH("{\"$literal\": {}}", "{\"a\": 1}");
    NO_MATCH("{\"$literal\": {}}", "[]");
    MATCH("{\"$literal\": []}", "[]");
    NO_MATCH("{\"$literal\": []}", "[1]");
    MATCH("{\"$literal\": null}", "null");
    NO_MATCH("{\"$literal\": null}", "false");
    MATCH("{\"$literal\": true}", "true");
    NO_MATCH("{\"$literal\": true}", "1");
    MATCH("{\"$literal\": {\"$literal\": 1}}", "{\"$literal\": 1}");
    NO_MATCH("{\"$literal\": {\"$literal\": 1}}", "1");
    MATCH("{\"$literal\": {\"$list_of\": \"$any\"}}",
          "{\"$list_of\": \"$any\"}");
    NO_MATCH("{\"$literal\": {\"$list_of\": \"$any\"}}", "[1]");
    MATCH("{\"$literal\": [\"a\\u0000b\"]}", "[\"a\\u0000b\"]");
    NO_MATCH("{\"$literal\": [\"a\\u0000b\"]}", "[\"a\"]");
    MATCH("{\"k\": {\"$literal\": \"$any\"}}", "{\"k\": \"$any\", \"z\": 0}");
    NO_MATCH("{\"k\": {\"$literal\": \"$any\"}}", "{\"k\": 3}");
}
END_TEST

/* Object keys holding NUL bytes compare by all their bytes. */
START_TEST(test_literal_operator_nul_key)
{
    json_t *lit, *shape, *good, *bad;

    lit = json_object();
    good = json_object();
    bad = json_object();
    ck_assert_int_eq(json_object_setn_new(lit, "a\0b", 3, json_integer(1)), 0);
    ck_assert_int_eq(json_object_setn_new(good, "a\0b", 3, json_real(1.0)), 0);
    ck_assert_int_eq(json_object_setn_new(bad, "a\0c", 3, json_integer(1)), 0);
    shape = json_pack("{s:O}", "$literal", lit);
    ck_assert_ptr_nonnull(shape);
    ck_assert_int_eq(shape_check(shape, NULL, 0), 0);
    ck_assert_int_eq(shape_match(shape, good), 1);
    ck_assert_int_eq(shape_match(shape, bad), 0);
    /* The same object as an object shape. */
    ck_assert_int_eq(shape_check(lit, NULL, 0), 0);
    ck_assert_int_eq(shape_match(lit, good), 1);
    ck_assert_int_eq(shape_match(lit, bad), 0);
    json_decref(shape);
    json_decref(lit);
    json_decref(good);
    json_decref(bad);
}
END_TEST

/* {"$list_of": S} matches an array each element of which matches S. */
START_TEST(test_list_of)
{
    MATCH("{\"$list_of\": \"$integer\"}", "[]");
    MATCH("{\"$list_of\": \"$integer\"}", "[1, 2, 3]");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "[1, 2.0]");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "[1, \"a\"]");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "[null]");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "{}");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "\"[]\"");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "1");
    NO_MATCH("{\"$list_of\": \"$integer\"}", "null");
    MATCH("{\"$list_of\": \"$any\"}", "[null, 1, \"x\", [], {}]");
    MATCH("{\"$list_of\": 7}", "[7, 7.0]");
    NO_MATCH("{\"$list_of\": 7}", "[7, 8]");
    MATCH("{\"$list_of\": {\"a\": \"$string\"}}",
          "[{\"a\": \"x\", \"b\": 1}, {\"a\": \"y\"}]");
    NO_MATCH("{\"$list_of\": {\"a\": \"$string\"}}", "[{\"a\": 1}]");
    NO_MATCH("{\"$list_of\": {\"a\": \"$string\"}}", "[{\"a\": \"x\"}, 1]");
    MATCH("{\"$list_of\": {\"$list_of\": \"$number\"}}", "[[1], [], [2.5, 3]]");
    NO_MATCH("{\"$list_of\": {\"$list_of\": \"$number\"}}", "[[1], [\"x\"]]");
    NO_MATCH("{\"$list_of\": {\"$list_of\": \"$number\"}}", "[[1], 2]");
    MATCH("{\"$list_of\": [\"$string\", \"$integer\"]}",
          "[[\"a\", 1], [\"b\", 2]]");
    NO_MATCH("{\"$list_of\": [\"$string\", \"$integer\"]}",
             "[[\"a\", 1], [\"b\"]]");
    MATCH("{\"messages\": {\"$list_of\": \"$any\"}}", "{\"messages\": []}");
}
END_TEST

/* {"$one_of": [S, ...]} matches what any of its shapes matches. */
START_TEST(test_one_of)
{
    const char *req = "{\"$one_of\": [{\"add\": \"$integer\"}, "
                      "{\"call\": \"$any\", \"method\": \"get\"}]}";

    MATCH("{\"$one_of\": [\"$string\", \"$null\"]}", "\"x\"");
    MATCH("{\"$one_of\": [\"$string\", \"$null\"]}", "null");
    NO_MATCH("{\"$one_of\": [\"$string\", \"$null\"]}", "1");
    NO_MATCH("{\"$one_of\": [\"$string\", \"$null\"]}", "[null]");
    MATCH("{\"$one_of\": [1, 2, 3]}", "2");
    MATCH("{\"$one_of\": [1, 2, 3]}", "3.0");
    NO_MATCH("{\"$one_of\": [1, 2, 3]}", "4");
    MATCH("{\"$one_of\": [\"$any\"]}", "{}");
    MATCH("{\"$one_of\": [\"$integer\"]}", "5");
    NO_MATCH("{\"$one_of\": [\"$integer\"]}", "5.5");
    MATCH(req, "{\"add\": 2}");
    MATCH(req, "{\"call\": 1, \"method\": \"get\", \"address\": "
               "{\"$address\": \"me\"}}");
    NO_MATCH(req, "{\"call\": 1, \"method\": \"put\"}");
    NO_MATCH(req, "{\"add\": \"2\"}");
    NO_MATCH(req, "{}");
    MATCH("{\"$one_of\": [{\"$one_of\": [1]}, {\"$one_of\": [2]}]}", "2");
    MATCH("{\"$one_of\": [{\"$literal\": \"$x\"}, \"$integer\"]}", "\"$x\"");
    NO_MATCH("{\"$one_of\": [{\"$literal\": \"$x\"}, \"$integer\"]}", "\"$y\"");
}
END_TEST

/* A JSON array is a tuple: the same length, each element matching. */
START_TEST(test_tuple)
{
    MATCH("[]", "[]");
    NO_MATCH("[]", "[1]");
    NO_MATCH("[]", "{}");
    NO_MATCH("[]", "null");
    MATCH("[\"$string\", \"$integer\"]", "[\"a\", 1]");
    NO_MATCH("[\"$string\", \"$integer\"]", "[\"a\", 1.5]");
    NO_MATCH("[\"$string\", \"$integer\"]", "[1, \"a\"]");
    NO_MATCH("[\"$string\", \"$integer\"]", "[\"a\"]");
    NO_MATCH("[\"$string\", \"$integer\"]", "[\"a\", 1, 2]");
    NO_MATCH("[\"$string\", \"$integer\"]", "{\"0\": \"a\", \"1\": 1}");
    NO_MATCH("[\"$string\", \"$integer\"]", "\"a\"");
    MATCH("[[1, 2], [3]]", "[[1, 2], [3.0]]");
    NO_MATCH("[[1, 2], [3]]", "[[1, 2], [3, 4]]");
    NO_MATCH("[[1, 2], [3]]", "[[2, 1], [3]]");
    MATCH("[\"add\", \"$number\"]", "[\"add\", 2]");
    NO_MATCH("[\"add\", \"$number\"]", "[\"sub\", 2]");
    MATCH("[{\"a\": 1}, \"$any\"]", "[{\"a\": 1, \"b\": 2}, null]");
    MATCH("[[]]", "[[]]");
    NO_MATCH("[[]]", "[]");
    NO_MATCH("[[]]", "[[1]]");
}
END_TEST

/* An object shape: at least those keys, each matching; more are allowed. */
START_TEST(test_object)
{
    const char *call = "{\"call\": \"$any\", \"method\": \"$string\", "
                       "\"address\": \"$address\", \"message\": \"$any\"}";

    MATCH("{}", "{}");
    MATCH("{}", "{\"a\": 1}");
    NO_MATCH("{}", "[]");
    NO_MATCH("{}", "null");
    NO_MATCH("{}", "\"{}\"");
    MATCH("{\"add\": \"$integer\"}", "{\"add\": 5}");
    MATCH("{\"add\": \"$integer\"}", "{\"add\": 5, \"from\": \"x\"}");
    NO_MATCH("{\"add\": \"$integer\"}", "{\"add\": \"5\"}");
    NO_MATCH("{\"add\": \"$integer\"}", "{\"Add\": 5}");
    NO_MATCH("{\"add\": \"$integer\"}", "{\"sub\": 5}");
    NO_MATCH("{\"add\": \"$integer\"}", "{}");
    NO_MATCH("{\"add\": \"$integer\"}", "[\"add\", 5]");
    MATCH("{\"a\": 1, \"b\": 2}", "{\"b\": 2.0, \"a\": 1, \"c\": 3}");
    NO_MATCH("{\"a\": 1, \"b\": 2}", "{\"a\": 1}");
    NO_MATCH("{\"a\": 1, \"b\": 2}", "{\"a\": 1, \"b\": 3}");
    MATCH("{\"a\": null}", "{\"a\": null}");
    NO_MATCH("{\"a\": null}", "{}");
    MATCH("{\"\": 1}", "{\"\": 1}");
    NO_MATCH("{\"\": 1}", "{\"a\": 1}");
    MATCH("{\"a$\": 1}", "{\"a$\": 1}");
    MATCH("{\"a\": {\"b\": {\"c\": \"$any\"}}}",
          "{\"a\": {\"b\": {\"c\": 0, \"d\": 1}}}");
    NO_MATCH("{\"a\": {\"b\": {\"c\": \"$any\"}}}", "{\"a\": {\"b\": {}}}");
    MATCH(call, "{\"call\": 7, \"method\": \"get\", \"address\": "
                "{\"$address\": \"me\"}, \"message\": null}");
    NO_MATCH(call, "{\"call\": 7, \"method\": \"get\", \"address\": "
                   "\"me\", \"message\": null}");
    NO_MATCH(call, "{\"call\": 7, \"method\": \"get\", \"address\": "
                   "{\"$address\": \"me\"}}");
    MATCH("{\"exit\": \"$any\", \"address\": "
          "{\"$literal\": {\"$address\": \"child\"}}}",
          "{\"exit\": 3, \"address\": {\"$address\": \"child\"}}");
    NO_MATCH("{\"exit\": \"$any\", \"address\": "
             "{\"$literal\": {\"$address\": \"child\"}}}",
             "{\"exit\": 3, \"address\": {\"$address\": \"other\"}}");
}
END_TEST

/* The combined examples of docs/shapes.md. */
START_TEST(test_object_doc_examples)
{
    const char *batch = "{\"batch\": {\"$list_of\": [\"$string\", "
                        "\"$number\"]}, \"source\": {\"$one_of\": "
                        "[\"$address\", \"$null\"]}}";
    const char *child = "{\"exit\": \"$any\", \"address\": {\"$literal\": "
                        "{\"$address\": \"worker-1\"}}}";

    MATCH(batch, "{\"batch\": [[\"t1\", 20.5], [\"t2\", 19]], "
                 "\"source\": null}");
    MATCH(batch, "{\"batch\": [], \"source\": {\"$address\": \"s\"}}");
    NO_MATCH(batch, "{\"batch\": [[\"t1\"]], \"source\": null}");
    NO_MATCH(batch, "{\"batch\": [[\"t1\", 1]]}");
    NO_MATCH(batch, "{\"batch\": [[\"t1\", 1]], \"source\": \"s\"}");
    MATCH(child, "{\"exit\": null, \"address\": {\"$address\": "
                 "\"worker-1\"}}");
    NO_MATCH(child, "{\"exception\": {}, \"address\": {\"$address\": "
                    "\"worker-1\"}}");
    MATCH("{\"response\": 7}", "{\"response\": 7, \"exception\": \"x\"}");
    NO_MATCH("{\"response\": 7}", "{\"response\": 8, \"message\": 7}");
}
END_TEST

/* shape_match_any: the first shape that matches, or -1. */
START_TEST(test_match_any)
{
    json_t *shapes, *v, *empty, *notlist;
    char err[128];
    size_t i;
    json_t *s;

    shapes = load("[{\"add\": \"$integer\"}, {\"call\": \"$any\"}, \"$any\"]");
    json_array_foreach(shapes, i, s)
    {
        ck_assert_int_eq(shape_check(s, err, sizeof(err)), 0);
    }
    v = load("{\"add\": 1}");
    ck_assert_int_eq(shape_match_any(shapes, v), 0);
    json_decref(v);
    v = load("{\"call\": 1, \"add\": \"x\"}");
    ck_assert_int_eq(shape_match_any(shapes, v), 1);
    json_decref(v);
    v = load("5");
    ck_assert_int_eq(shape_match_any(shapes, v), 2);
    ck_assert_int_eq(shape_match_any(shapes, NULL), -1);
    ck_assert_int_eq(shape_match_any(NULL, v), -1);

    empty = load("[]");
    ck_assert_int_eq(shape_match_any(empty, v), -1);
    notlist = load("\"$any\"");
    ck_assert_int_eq(shape_match_any(notlist, v), -1);
    json_decref(notlist);
    notlist = load("{\"$one_of\": [\"$any\"]}");
    ck_assert_int_eq(shape_match_any(notlist, v), -1);
    json_decref(notlist);
    json_decref(empty);
    json_decref(shapes);

    /* Earlier shapes win. */
    shapes = load("[{\"a\": 1}, \"$integer\", 5]");
    ck_assert_int_eq(shape_match_any(shapes, v), 1);
    json_decref(v);
    v = load("\"x\"");
    ck_assert_int_eq(shape_match_any(shapes, v), -1);
    json_decref(v);
    v = load("{\"a\": 1.0}");
    ck_assert_int_eq(shape_match_any(shapes, v), 0);
    json_decref(v);
    json_decref(shapes);
}
END_TEST

/* Every kind of well-formed shape is accepted. */
START_TEST(test_check_accepts)
{
    size_t w;

    for (w = 0; w < sizeof(wild_table) / sizeof(wild_table[0]); w++)
        ACCEPTS(wild_table[w].wildcard);
    ACCEPTS("1");
    ACCEPTS("-1.5e10");
    ACCEPTS("true");
    ACCEPTS("false");
    ACCEPTS("null");
    ACCEPTS("\"\"");
    ACCEPTS("\"text\"");
    ACCEPTS("\"a$\"");
    ACCEPTS("[]");
    ACCEPTS("{}");
    ACCEPTS("{\"$literal\": \"$anything\"}");
    ACCEPTS("{\"$literal\": {\"$address\": \"c1\", \"$x\": [\"$y\"]}}");
    ACCEPTS("{\"$literal\": {\"$literal\": 1, \"$list_of\": 2}}");
    ACCEPTS("{\"$literal\": null}");
    ACCEPTS("{\"$list_of\": {}}");
    ACCEPTS("{\"$list_of\": {\"$one_of\": [1, \"$string\"]}}");
    ACCEPTS("{\"$one_of\": [1]}");
    ACCEPTS("{\"$one_of\": [[], {}, {\"$literal\": []}]}");
    ACCEPTS("[\"$any\", [\"$any\", {\"k\": \"$any\"}]]");
    ACCEPTS("{\"\": \"\", \"a$b\": \"x\"}");
    ACCEPTS("{\"add\": \"$integer\"}");
}
END_TEST

/* What shape_check refuses, and that its error says what and where. */
START_TEST(test_check_rejects)
{
    REJECTS("\"$foo\"", "unknown wildcard \"$foo\"", "$literal");
    REJECTS("\"$\"", "unknown wildcard", "\"$\"");
    REJECTS("\"$$x\"", "unknown wildcard", "$$x");
    REJECTS("\"$Any\"", "unknown wildcard", "$Any");
    REJECTS("\"$any \"", "unknown wildcard", "$any ");
    REJECTS("\"$any\\u0000\"", "unknown wildcard", "$any");
    REJECTS("\"$int\"", "unknown wildcard", "$int");
    REJECTS("\"$literal\"", "unknown wildcard", "$literal");
    REJECTS("{\"a\": [1, \"$foo\"]}", "unknown wildcard", " at /a/1");
    REJECTS("{\"a/b~c\": \"$x\"}", "unknown wildcard", " at /a~1b~0c");
    REJECTS("{\"$foo\": 1}", "\"$foo\"", "operator");
    REJECTS("{\"$any\": 1}", "\"$any\"", "$literal");
    REJECTS("{\"$address\": \"c1\"}", "\"$address\"", "to match an address");
    REJECTS("{\"x\": {\"$address\": \"c1\"}}", "\"$address\"", " at /x");
    REJECTS("{\"a\": 1, \"$b\": 2}", "\"$b\"", "operator");
    REJECTS("{\"$literal\": 1, \"a\": 2}", "\"$literal\" must be the only key",
            "its object");
    REJECTS("{\"$list_of\": 1, \"a\": 2}", "\"$list_of\" must be the only key",
            "its object");
    REJECTS("{\"a\": 2, \"$one_of\": [1]}", "\"$one_of\" must be the only key",
            "its object");
    REJECTS("{\"$list_of\": 1, \"$one_of\": [1]}", "must be the only key", "$");
    REJECTS("{\"$literal\": 1, \"$literal2\": 1}", "", "$literal");
    REJECTS("{\"k\": {\"$literal\": 1, \"$list_of\": 1}}", "only key",
            " at /k");
    REJECTS("{\"$list_of\": \"$foo\"}", "unknown wildcard", " at /$list_of");
    REJECTS("{\"$list_of\": {\"$bad\": 1}}", "\"$bad\"", " at /$list_of");
    REJECTS("{\"$one_of\": []}", "\"$one_of\" takes a non-empty array",
            "shapes");
    REJECTS("{\"$one_of\": \"$any\"}", "\"$one_of\" takes a non-empty array",
            "shapes");
    REJECTS("{\"$one_of\": {\"a\": 1}}", "non-empty array", "$one_of");
    REJECTS("{\"$one_of\": null}", "non-empty array", "$one_of");
    REJECTS("{\"$one_of\": [1, \"$int\"]}", "unknown wildcard",
            " at /$one_of/1");
    REJECTS("[1, [2, {\"x\": {\"$one_of\": [\"$nope\"]}}]]", "\"$nope\"",
            " at /1/1/x/$one_of/0");
}
END_TEST

/* The error buffer is never overrun and always terminated. */
START_TEST(test_check_error_buffer)
{
    char err[64], big[2048], wide[512];
    json_t *shape;
    size_t n;

    shape = load("{\"a\": \"$foo\"}");
    ck_assert_int_eq(shape_check(shape, NULL, 0), -1);
    ck_assert_int_eq(shape_check(shape, NULL, 100), -1);
    err[0] = 'x';
    ck_assert_int_eq(shape_check(shape, err, 0), -1);
    ck_assert_int_eq(err[0], 'x');
    for (n = 1; n < sizeof(err); n++) {
        memset(err, 'x', sizeof(err));
        ck_assert_int_eq(shape_check(shape, err, n), -1);
        ck_assert_uint_lt(strlen(err), n);
        ck_assert_int_eq(err[n], 'x');
    }
    json_decref(shape);

    /* A long wildcard and a long key are quoted in part. */
    memset(big, 'k', sizeof(big) - 1);
    big[0] = '$';
    big[sizeof(big) - 1] = '\0';
    shape = json_pack("{s:s}", big + 1, big);
    ck_assert_ptr_nonnull(shape);
    memset(err, 'x', sizeof(err));
    ck_assert_int_eq(shape_check(shape, err, sizeof(err)), -1);
    ck_assert_uint_lt(strlen(err), sizeof(err));
    ck_assert_ptr_nonnull(strstr(err, "unknown wildcard \"$kkk"));
    json_decref(shape);
    shape = json_pack("{s:i}", big, 1);
    ck_assert_ptr_nonnull(shape);
    ck_assert_int_eq(shape_check(shape, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "...\""));
    json_decref(shape);

    /* A long key in the path is cut short too. */
    shape = json_pack("{s:s}", big + 1, "$nope");
    ck_assert_ptr_nonnull(shape);
    ck_assert_int_eq(shape_check(shape, wide, sizeof(wide)), -1);
    ck_assert_ptr_nonnull(strstr(wide, "\"$nope\" at /kkkkkkkkkk"));
    ck_assert_ptr_nonnull(strstr(wide, "k...; "));
    ck_assert_uint_lt(strlen(wide), 200);
    json_decref(shape);

    /* A success leaves err alone. */
    shape = load("{\"a\": \"$any\"}");
    strcpy(err, "untouched");
    ck_assert_int_eq(shape_check(shape, err, sizeof(err)), 0);
    ck_assert_str_eq(err, "untouched");
    json_decref(shape);
    ck_assert_int_eq(shape_check(NULL, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing"));
}
END_TEST

/* Shapes that did not pass shape_check match nothing and crash nothing. */
START_TEST(test_unchecked)
{
    json_t *v = load("[1]");
    json_t *s;

    ck_assert_int_eq(shape_match(NULL, v), 0);
    ck_assert_int_eq(shape_match(NULL, NULL), 0);
    s = load("\"$foo\"");
    ck_assert_int_eq(shape_match(s, v), 0);
    ck_assert_int_eq(shape_match(s, NULL), 0);
    json_decref(s);
    s = load("\"$any\"");
    ck_assert_int_eq(shape_match(s, NULL), 0);
    json_decref(s);
    s = load("{\"$one_of\": []}");
    ck_assert_int_eq(shape_match(s, v), 0);
    json_decref(s);
    s = load("{\"$one_of\": 5}");
    ck_assert_int_eq(shape_match(s, v), 0);
    json_decref(s);
    s = load("{\"$list_of\": \"$nope\"}");
    ck_assert_int_eq(shape_match(s, v), 0);
    json_decref(s);
    json_decref(v);
}
END_TEST

/* shape_check takes SHAPE_DEPTH_MAX nested containers and no more. */
START_TEST(test_depth_check)
{
    const size_t max = SHAPE_DEPTH_MAX;
    char err[2048];
    json_t *s;

    ck_assert_int_eq(check_steal(nest_arrays(max, json_string("$any"))), 0);
    ck_assert_int_eq(check_steal(nest_arrays(max + 1, json_string("$any"))),
                     -1);
    ck_assert_int_eq(check_steal(nest_arrays(max - 1, json_array())), 0);
    ck_assert_int_eq(check_steal(nest_arrays(max, json_array())), -1);
    ck_assert_int_eq(check_steal(nest_objects(max, "a", json_integer(1))), 0);
    ck_assert_int_eq(check_steal(nest_objects(max + 1, "a", json_integer(1))),
                     -1);
    ck_assert_int_eq(check_steal(nest_objects(max, "$list_of", json_null())),
                     0);
    ck_assert_int_eq(
        check_steal(nest_objects(max + 1, "$list_of", json_null())), -1);
    /* Each $one_of is two containers: the object and its list. */
    ck_assert_int_eq(check_steal(nest_one_of(max / 2, json_true())), 0);
    ck_assert_int_eq(check_steal(nest_one_of(max / 2 + 1, json_true())), -1);
    /* {"$one_of": [[...]]}: the list is the outermost of those arrays. */
    ck_assert_int_eq(check_steal(nest_objects(
                         1, "$one_of", nest_arrays(max - 1, json_null()))),
                     0);
    ck_assert_int_eq(
        check_steal(nest_objects(1, "$one_of", nest_arrays(max, json_null()))),
        -1);
    /* A $one_of's list counts even when its shapes are scalars. */
    ck_assert_int_eq(
        check_steal(nest_objects(max - 2, "a", load("{\"$one_of\": [1]}"))), 0);
    ck_assert_int_eq(
        check_steal(nest_objects(max - 1, "a", load("{\"$one_of\": [1]}"))),
        -1);
    /* A $literal's value counts too. */
    ck_assert_int_eq(check_steal(nest_objects(
                         1, "$literal", nest_arrays(max - 1, json_null()))),
                     0);
    ck_assert_int_eq(
        check_steal(nest_objects(1, "$literal", nest_arrays(max, json_null()))),
        -1);
    ck_assert_int_eq(check_steal(nest_objects(
                         1, "$literal", nest_objects(max, "k", json_null()))),
                     -1);

    /* The error says so, and where. */
    s = nest_objects(max + 1, "a", json_integer(1));
    ck_assert_int_eq(shape_check(s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "deeper than 32"));
    ck_assert_ptr_nonnull(strstr(err, " at /a/a/a/"));
    json_decref(s);

    /* Far too deep: refused without walking all of it. */
    s = nest_arrays(3000, json_null());
    ck_assert_int_eq(shape_check(s, err, sizeof(err)), -1);
    ck_assert_uint_lt(strlen(err), sizeof(err));
    json_decref(s);
}
END_TEST

/* Matching at the depth limit, and values far deeper than any shape. */
START_TEST(test_depth_match)
{
    const size_t max = SHAPE_DEPTH_MAX;
    json_t *shape, *value, *s;

    shape = nest_arrays(max, json_string("$integer"));
    ck_assert_int_eq(shape_check(shape, NULL, 0), 0);
    value = nest_arrays(max, json_integer(4));
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(value);
    value = nest_arrays(max, json_real(4.5));
    ck_assert_int_eq(shape_match(shape, value), 0);
    json_decref(value);
    json_decref(shape);

    shape = nest_objects(1, "$literal", nest_arrays(max - 1, json_integer(2)));
    ck_assert_int_eq(shape_check(shape, NULL, 0), 0);
    value = nest_arrays(max - 1, json_real(2.0));
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(value);
    json_decref(shape);

    /* Unchecked and too deep: no match, and no crash. */
    shape = nest_arrays(max + 8, json_integer(1));
    value = nest_arrays(max + 8, json_integer(1));
    ck_assert_int_eq(shape_match(shape, value), 0);
    json_decref(shape);
    shape = nest_objects(1, "$literal", nest_arrays(max + 8, json_null()));
    s = nest_arrays(max + 8, json_null());
    ck_assert_int_eq(shape_match(shape, s), 0);
    json_decref(s);
    json_decref(shape);
    json_decref(value);
    /* The list of a $one_of one level too deep, around a scalar. */
    shape = nest_objects(max - 2, "a", load("{\"$one_of\": [1]}"));
    value = nest_objects(max - 2, "a", json_integer(1));
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(shape);
    json_decref(value);
    shape = nest_objects(max - 1, "a", load("{\"$one_of\": [1]}"));
    value = nest_objects(max - 1, "a", json_integer(1));
    ck_assert_int_eq(shape_match(shape, value), 0);
    json_decref(shape);
    json_decref(value);
    shape = nest_arrays(3000, json_null());
    value = nest_arrays(3000, json_null());
    ck_assert_int_eq(shape_match(shape, value), 0);
    json_decref(shape);

    /* A deep value only goes as deep as the shape looks. */
    shape = load("\"$array\"");
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(shape);
    shape = load("\"$any\"");
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(shape);
    shape = load("[[[\"$any\"]]]");
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(shape);
    shape = load("{\"$list_of\": {\"$list_of\": \"$array\"}}");
    ck_assert_int_eq(shape_match(shape, value), 1);
    json_decref(shape);
    shape = load("{\"$literal\": [[[null]]]}");
    ck_assert_int_eq(shape_match(shape, value), 0);
    json_decref(shape);
    shape = load("{\"$one_of\": [[[null]], {\"$literal\": [[[[]]]]}]}");
    ck_assert_int_eq(shape_match(shape, value), 0);
    json_decref(shape);
    json_decref(value);
}
END_TEST

static Suite *
shape_suite(void)
{
    Suite *s = suite_create("shape");
    TCase *tc;

    tc = tcase_create("literal");
    tcase_add_test(tc, test_literal_number);
    tcase_add_test(tc, test_literal_string);
    tcase_add_test(tc, test_literal_constant);
    suite_add_tcase(s, tc);

    tc = tcase_create("wildcard");
    tcase_add_test(tc, test_wildcard_table);
    tcase_add_test(tc, test_wildcard_nested);
    suite_add_tcase(s, tc);

    tc = tcase_create("address");
    tcase_add_test(tc, test_address);
    suite_add_tcase(s, tc);

    tc = tcase_create("$literal");
    tcase_add_test(tc, test_literal_operator);
    tcase_add_test(tc, test_literal_operator_nul_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("$list_of");
    tcase_add_test(tc, test_list_of);
    suite_add_tcase(s, tc);

    tc = tcase_create("$one_of");
    tcase_add_test(tc, test_one_of);
    suite_add_tcase(s, tc);

    tc = tcase_create("tuple");
    tcase_add_test(tc, test_tuple);
    suite_add_tcase(s, tc);

    tc = tcase_create("object");
    tcase_add_test(tc, test_object);
    tcase_add_test(tc, test_object_doc_examples);
    suite_add_tcase(s, tc);

    tc = tcase_create("match_any");
    tcase_add_test(tc, test_match_any);
    suite_add_tcase(s, tc);

    tc = tcase_create("check");
    tcase_add_test(tc, test_check_accepts);
    tcase_add_test(tc, test_check_rejects);
    tcase_add_test(tc, test_check_error_buffer);
    tcase_add_test(tc, test_unchecked);
    suite_add_tcase(s, tc);

    tc = tcase_create("depth");
    tcase_add_test(tc, test_depth_check);
    tcase_add_test(tc, test_depth_match);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    sr = srunner_create(shape_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
