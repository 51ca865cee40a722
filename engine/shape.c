/*
 * shape.c - selective-receive shapes.  shape_check decides whether a JSON
 * document is a well-formed shape in the spelling of docs/shapes.md (and says
 * where it is not); shape_match and shape_match_any decide whether a message
 * matches.  Everything here works on borrowed jansson values, allocates
 * nothing, keeps no state, and recurses no deeper than SHAPE_DEPTH_MAX
 * containers of the shape, so a value of any depth is safe to match.
 */
#include "engine/shape.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* int_equals_real's bounds are those of a 64-bit two's-complement integer. */
_Static_assert(sizeof(json_int_t) * CHAR_BIT == 64, "json_int_t is 64 bits");

/* The type wildcards, strings that start with "$". */
enum wildcard {
    WILD_ANY,
    WILD_STRING,
    WILD_NUMBER,
    WILD_INTEGER,
    WILD_BOOLEAN,
    WILD_NULL,
    WILD_OBJECT,
    WILD_ARRAY,
    WILD_ADDRESS,
    WILD_UNKNOWN /* starts with "$" but names no wildcard */
};

/* Indexed by enum wildcard. */
static const char *const wildcard_names[] = {
    "$any",  "$string", "$number", "$integer", "$boolean",
    "$null", "$object", "$array",  "$address",
};

/* The operator forms: objects whose one key is one of these. */
enum op {
    OP_LITERAL,
    OP_LIST_OF,
    OP_ONE_OF,
    OP_NONE /* not an operator key */
};

/* Indexed by enum op. */
static const char *const op_names[] = {"$literal", "$list_of", "$one_of"};

/* The key an address object carries, as in {"$address": "NAME"}. */
#define ADDRESS_KEY "$address"

/* The error for a shape nested too deep; its argument is SHAPE_DEPTH_MAX. */
#define TOO_DEEP "the shape nests arrays and objects deeper than %d levels"

/* How many bytes of a user's string an error message quotes. */
#define QUOTE_MAX 40

/*
 * One step from a container of the shape to one of its members: the key
 * (borrowed from the shape) for an object, else the index for an array.
 */
struct step {
    const char *key; /* NULL for an array member */
    size_t keylen;   /* bytes of key */
    size_t index;    /* position in the array when key is NULL */
};

/*
 * The state of one shape_check: where the error goes and the path from the
 * root of the shape to the node being checked.  Every step enters one
 * container and shape_check enters at most SHAPE_DEPTH_MAX of them, so the
 * path fits.
 */
struct check {
    char *err;     /* borrowed; NULL when errlen is 0 */
    size_t errlen; /* bytes of err */
    struct step path[SHAPE_DEPTH_MAX + 1];
    size_t depth; /* steps in path */
};

/*
 * Returns 1 when the len bytes at s equal the NUL-terminated name, else 0.
 * Length-aware, since JSON strings and keys may hold NUL bytes.
 */
static int
bytes_are(const char *s, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(s, name, len) == 0;
}

/*
 * Returns the wildcard that the len bytes at s name (s starts with "$"), or
 * WILD_UNKNOWN.
 */
static enum wildcard
wildcard_lookup(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(wildcard_names) / sizeof(wildcard_names[0]); i++)
        if (bytes_are(s, len, wildcard_names[i]))
            return (enum wildcard)i;
    return WILD_UNKNOWN;
}

/* Returns the operator that the len bytes at key name, or OP_NONE. */
static enum op
op_lookup(const char *key, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
        if (bytes_are(key, len, op_names[i]))
            return (enum op)i;
    return OP_NONE;
}

/*
 * Returns 1 when value (borrowed) is an address, an object with exactly one
 * key "$address" whose value is a string; else 0.
 */
static int
is_address(const json_t *value)
{
    return json_is_object(value) && json_object_size(value) == 1 &&
           json_is_string(
               json_object_getn(value, ADDRESS_KEY, strlen(ADDRESS_KEY)));
}

/* Returns 1 when value (borrowed, may be NULL) has the type w names. */
static int
wildcard_match(enum wildcard w, const json_t *value)
{
    switch (w) {
    case WILD_ANY:
        return value != NULL;
    case WILD_STRING:
        return json_is_string(value);
    case WILD_NUMBER:
        return json_is_number(value);
    case WILD_INTEGER:
        return json_is_integer(value);
    case WILD_BOOLEAN:
        return json_is_boolean(value);
    case WILD_NULL:
        return json_is_null(value);
    case WILD_OBJECT:
        return json_is_object(value);
    case WILD_ARRAY:
        return json_is_array(value);
    case WILD_ADDRESS:
        return is_address(value);
    case WILD_UNKNOWN:
        return 0;
    }
    return 0;
}

/*
 * Returns obj (borrowed) without its const, for jansson's object iterators,
 * which take a non-const object though they change nothing.  Nothing here
 * writes through the result.
 */
static json_t *
iterable(const json_t *obj)
{
    return (json_t *)obj;
}

/*
 * Returns the operator of obj (a borrowed JSON object) when its only key is
 * one, and stores that key's value (borrowed from obj) in *arg; else returns
 * OP_NONE and leaves *arg alone.
 */
static enum op
op_of(const json_t *obj, const json_t **arg)
{
    enum op op;
    void *it;

    if (json_object_size(obj) != 1)
        return OP_NONE;
    it = json_object_iter(iterable(obj));
    if (it == NULL)
        return OP_NONE;
    op = op_lookup(json_object_iter_key(it), json_object_iter_key_len(it));
    if (op != OP_NONE)
        *arg = json_object_iter_value(it);
    return op;
}

/*
 * Returns 1 when the real r holds exactly the integer i.  Compares exactly,
 * not through a conversion of i to double, which rounds above 2^53.
 */
static int
int_equals_real(json_int_t i, double r)
{
    json_int_t t;

    /* Outside this range the conversion to json_int_t is undefined. */
    if (!(r >= -0x1p63 && r < 0x1p63))
        return 0;
    t = (json_int_t)r;
    return t == i && (double)t == r;
}

/*
 * Returns 1 when a and b (borrowed) are both numbers of equal numeric value,
 * whether each is a JSON integer or a real; else 0.
 */
static int
number_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_real(a) && json_is_real(b))
        return json_real_value(a) == json_real_value(b);
    if (json_is_integer(a) && json_is_real(b))
        return int_equals_real(json_integer_value(a), json_real_value(b));
    if (json_is_real(a) && json_is_integer(b))
        return int_equals_real(json_integer_value(b), json_real_value(a));
    return 0;
}

/*
 * Returns 1 when a and b (borrowed) are both strings of the same bytes.
 */
static int
string_equal(const json_t *a, const json_t *b)
{
    size_t len;

    if (!json_is_string(a) || !json_is_string(b))
        return 0;
    len = json_string_length(a);
    return len == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), len) == 0;
}

/*
 * Returns 1 when value equals x (both borrowed): json_equal, except that
 * numbers compare by numeric value at every depth.  depth counts the
 * containers of the shape around x; a container of x past SHAPE_DEPTH_MAX
 * makes the answer 0, which bounds the recursion by the (checked) shape.
 */
static int
literal_equal(const json_t *x, const json_t *value, size_t depth)
{
    const char *key;
    size_t keylen, i;
    json_t *sub;

    if (x == NULL || value == NULL)
        return 0;
    switch (json_typeof(x)) {
    case JSON_STRING:
        return string_equal(x, value);
    case JSON_INTEGER:
    case JSON_REAL:
        return number_equal(x, value);
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return json_typeof(x) == json_typeof(value);
    case JSON_ARRAY:
        if (depth >= SHAPE_DEPTH_MAX || !json_is_array(value) ||
            json_array_size(x) != json_array_size(value))
            return 0;
        json_array_foreach(x, i, sub)
        {
            if (!literal_equal(sub, json_array_get(value, i), depth + 1))
                return 0;
        }
        return 1;
    case JSON_OBJECT:
        if (depth >= SHAPE_DEPTH_MAX || !json_is_object(value) ||
            json_object_size(x) != json_object_size(value))
            return 0;
        /* Same size and every key of x in value: the same keys. */
        json_object_keylen_foreach(iterable(x), key, keylen, sub)
        {
            if (!literal_equal(sub, json_object_getn(value, key, keylen),
                               depth + 1))
                return 0;
        }
        return 1;
    }
    return 0;
}

/*
 * Returns 1 when value matches shape (both borrowed), else 0.  depth counts
 * the containers of the shape around this one.  A shape that did not pass
 * shape_check never crashes: what is not a well-formed shape, and any
 * container past SHAPE_DEPTH_MAX, matches nothing.
 */
static int
match_at(const json_t *shape, const json_t *value, size_t depth)
{
    const json_t *arg = NULL;
    const char *s, *key;
    size_t len, i;
    json_t *sub;

    if (shape == NULL || value == NULL)
        return 0;
    switch (json_typeof(shape)) {
    case JSON_STRING:
        s = json_string_value(shape);
        len = json_string_length(shape);
        if (len > 0 && s[0] == '$')
            return wildcard_match(wildcard_lookup(s, len), value);
        return string_equal(shape, value);
    case JSON_INTEGER:
    case JSON_REAL:
        return number_equal(shape, value);
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return json_typeof(shape) == json_typeof(value);
    case JSON_ARRAY:
        if (depth >= SHAPE_DEPTH_MAX || !json_is_array(value) ||
            json_array_size(shape) != json_array_size(value))
            return 0;
        json_array_foreach(shape, i, sub)
        {
            if (!match_at(sub, json_array_get(value, i), depth + 1))
                return 0;
        }
        return 1;
    case JSON_OBJECT:
        if (depth >= SHAPE_DEPTH_MAX)
            return 0;
        switch (op_of(shape, &arg)) {
        case OP_LITERAL:
            return literal_equal(arg, value, depth + 1);
        case OP_LIST_OF:
            if (!json_is_array(value))
                return 0;
            json_array_foreach(value, i, sub)
            {
                if (!match_at(arg, sub, depth + 1))
                    return 0;
            }
            return 1;
        case OP_ONE_OF:
            /* The list of alternatives is a container of its own. */
            if (!json_is_array(arg) || depth + 1 >= SHAPE_DEPTH_MAX)
                return 0;
            json_array_foreach(arg, i, sub)
            {
                if (match_at(sub, value, depth + 2))
                    return 1;
            }
            return 0;
        case OP_NONE:
            break;
        }
        if (!json_is_object(value))
            return 0;
        json_object_keylen_foreach(iterable(shape), key, len, sub)
        {
            if (!match_at(sub, json_object_getn(value, key, len), depth + 1))
                return 0;
        }
        return 1;
    }
    return 0;
}

/*
 * Appends to buf (size bytes, NUL-terminated, *used bytes in use) what
 * printf would of fmt, cutting it short when buf is full.  Never writes past
 * buf; a no-op when size is 0.
 */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (size == 0 || *used >= size - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n < 0)
        buf[*used] = '\0';
    else if ((size_t)n >= size - *used)
        *used = size - 1;
    else
        *used += (size_t)n;
}

/*
 * Appends to buf the len bytes at s in double quotes, the first QUOTE_MAX
 * of them and "..." when longer.  Bytes past a NUL in s are not shown.
 */
static void
append_quoted(char *buf, size_t size, size_t *used, const char *s, size_t len)
{
    append(buf, size, used, "\"%.*s%s\"",
           (int)(len > QUOTE_MAX ? QUOTE_MAX : len), s,
           len > QUOTE_MAX ? "..." : "");
}

/*
 * Writes the failure into c->err: what (a printf format and its arguments)
 * followed by where in the shape it is, as a JSON Pointer, then hint when it
 * is not NULL.  Returns -1, for the caller to return.
 */
static int __attribute__((format(printf, 3, 4)))
fail(struct check *c, const char *hint, const char *what, ...)
{
    size_t used = 0, i, k;
    va_list ap;
    int n;

    if (c->err == NULL || c->errlen == 0)
        return -1;
    c->err[0] = '\0';
    va_start(ap, what);
    n = vsnprintf(c->err, c->errlen, what, ap);
    va_end(ap);
    if (n < 0)
        c->err[0] = '\0';
    used = strlen(c->err);
    if (c->depth > 0)
        append(c->err, c->errlen, &used, " at ");
    for (i = 0; i < c->depth; i++) {
        const struct step *st = &c->path[i];

        if (st->key == NULL) {
            append(c->err, c->errlen, &used, "/%zu", st->index);
            continue;
        }
        append(c->err, c->errlen, &used, "/");
        /* JSON Pointer escapes: "~" is "~0" and "/" is "~1". */
        for (k = 0; k < st->keylen && k < QUOTE_MAX; k++) {
            if (st->key[k] == '~')
                append(c->err, c->errlen, &used, "~0");
            else if (st->key[k] == '/')
                append(c->err, c->errlen, &used, "~1");
            else if (st->key[k] != '\0')
                append(c->err, c->errlen, &used, "%c", st->key[k]);
        }
        if (st->keylen > QUOTE_MAX)
            append(c->err, c->errlen, &used, "...");
    }
    if (hint != NULL)
        append(c->err, c->errlen, &used, "; %s", hint);
    return -1;
}

/*
 * Writes the failure into c->err as fail does, what being before, then the
 * len bytes at s quoted as append_quoted does, then after.  Returns -1.
 */
static int
fail_quoted(struct check *c, const char *hint, const char *before,
            const char *s, size_t len, const char *after)
{
    char what[QUOTE_MAX + 128];
    size_t used = 0;

    what[0] = '\0';
    append(what, sizeof(what), &used, "%s", before);
    append_quoted(what, sizeof(what), &used, s, len);
    append(what, sizeof(what), &used, "%s", after);
    return fail(c, hint, "%s", what);
}

/*
 * Enters the member of the current container named by key (keylen bytes,
 * borrowed) or, when key is NULL, at index.  Returns -1 when the path is
 * full, which the depth checks rule out.
 */
static int
enter(struct check *c, const char *key, size_t keylen, size_t index)
{
    if (c->depth >= sizeof(c->path) / sizeof(c->path[0]))
        return -1;
    c->path[c->depth].key = key;
    c->path[c->depth].keylen = keylen;
    c->path[c->depth].index = index;
    c->depth++;
    return 0;
}

/* Leaves the member entered last. */
static void
leave(struct check *c)
{
    if (c->depth > 0)
        c->depth--;
}

/*
 * Returns 0 when x (borrowed), found depth containers deep in the shape, is
 * any JSON whose containers stay within SHAPE_DEPTH_MAX; else -1 with the
 * error written.  This is all a $literal's value must satisfy.
 */
static int
check_literal(struct check *c, const json_t *x, size_t depth)
{
    const char *key;
    size_t keylen, i;
    json_t *sub;
    int rc = 0;

    if (x == NULL)
        return fail(c, NULL, "a shape is missing");
    if (!json_is_array(x) && !json_is_object(x))
        return 0;
    if (depth >= SHAPE_DEPTH_MAX)
        return fail(c, NULL, TOO_DEEP, SHAPE_DEPTH_MAX);
    if (json_is_array(x)) {
        json_array_foreach(x, i, sub)
        {
            if (enter(c, NULL, 0, i) < 0)
                return fail(c, NULL, "the shape nests too deep");
            rc = check_literal(c, sub, depth + 1);
            leave(c);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    json_object_keylen_foreach(iterable(x), key, keylen, sub)
    {
        if (enter(c, key, keylen, 0) < 0)
            return fail(c, NULL, "the shape nests too deep");
        rc = check_literal(c, sub, depth + 1);
        leave(c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int check_at(struct check *c, const json_t *shape, size_t depth);

/*
 * Returns 0 when obj (a borrowed object, depth containers deep, itself
 * within SHAPE_DEPTH_MAX) is a well-formed operator form or object shape;
 * else -1 with the error written.
 */
static int
check_object(struct check *c, const json_t *obj, size_t depth)
{
    const json_t *arg = NULL;
    const char *key;
    size_t keylen, i;
    enum op op;
    json_t *sub;
    int rc;

    op = op_of(obj, &arg);
    if (op == OP_LITERAL || op == OP_LIST_OF || op == OP_ONE_OF) {
        if (enter(c, op_names[op], strlen(op_names[op]), 0) < 0)
            return fail(c, NULL, "the shape nests too deep");
        if (op == OP_LITERAL)
            rc = check_literal(c, arg, depth + 1);
        else if (op == OP_LIST_OF)
            rc = check_at(c, arg, depth + 1);
        else if (!json_is_array(arg) || json_array_size(arg) == 0)
            rc = fail(c, NULL, "\"$one_of\" takes a non-empty array of shapes");
        else if (depth + 1 >= SHAPE_DEPTH_MAX)
            rc = fail(c, NULL, TOO_DEEP, SHAPE_DEPTH_MAX);
        else {
            rc = 0;
            json_array_foreach(arg, i, sub)
            {
                if (enter(c, NULL, 0, i) < 0)
                    return fail(c, NULL, "the shape nests too deep");
                rc = check_at(c, sub, depth + 2);
                leave(c);
                if (rc < 0)
                    break;
            }
        }
        leave(c);
        return rc;
    }

    /* An object shape: no key may start with "$". */
    json_object_keylen_foreach(iterable(obj), key, keylen, sub)
    {
        if (keylen == 0 || key[0] != '$')
            continue;
        /* A lone operator key was taken above, so this one has company. */
        op = op_lookup(key, keylen);
        if (op != OP_NONE)
            return fail(c, NULL, "\"%s\" must be the only key of its object",
                        op_names[op]);
        if (bytes_are(key, keylen, ADDRESS_KEY))
            return fail(c,
                        "to match an address, use \"$address\" or "
                        "{\"$literal\": {\"$address\": NAME}}",
                        "the key \"$address\" starts with \"$\" but is not an "
                        "operator");
        return fail_quoted(c,
                           "to match a key that starts with \"$\", "
                           "use {\"$literal\": ...}",
                           "the key ", key, keylen,
                           " starts with \"$\" but is not an operator");
    }
    json_object_keylen_foreach(iterable(obj), key, keylen, sub)
    {
        if (enter(c, key, keylen, 0) < 0)
            return fail(c, NULL, "the shape nests too deep");
        rc = check_at(c, sub, depth + 1);
        leave(c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Returns 0 when shape (borrowed), found depth containers deep, is a
 * well-formed shape; else -1 with the error written.
 */
static int
check_at(struct check *c, const json_t *shape, size_t depth)
{
    const char *s;
    size_t len, i;
    json_t *sub;
    int rc;

    if (shape == NULL)
        return fail(c, NULL, "a shape is missing");
    switch (json_typeof(shape)) {
    case JSON_STRING:
        s = json_string_value(shape);
        len = json_string_length(shape);
        if (len > 0 && s[0] == '$' && wildcard_lookup(s, len) == WILD_UNKNOWN)
            return fail_quoted(c,
                               "to match a string that starts with \"$\", "
                               "use {\"$literal\": ...}",
                               "unknown wildcard ", s, len, "");
        return 0;
    case JSON_INTEGER:
    case JSON_REAL:
    case JSON_TRUE:
    case JSON_FALSE:
    case JSON_NULL:
        return 0;
    case JSON_ARRAY:
        if (depth >= SHAPE_DEPTH_MAX)
            return fail(c, NULL, TOO_DEEP, SHAPE_DEPTH_MAX);
        json_array_foreach(shape, i, sub)
        {
            if (enter(c, NULL, 0, i) < 0)
                return fail(c, NULL, "the shape nests too deep");
            rc = check_at(c, sub, depth + 1);
            leave(c);
            if (rc < 0)
                return rc;
        }
        return 0;
    case JSON_OBJECT:
        if (depth >= SHAPE_DEPTH_MAX)
            return fail(c, NULL, TOO_DEEP, SHAPE_DEPTH_MAX);
        return check_object(c, shape, depth);
    }
    return fail(c, NULL, "a shape is not a JSON value");
}

/*
 * Returns 0 when shape (borrowed) is a well-formed shape, or -1 and writes
 * one sentence saying what is wrong, and where, into err (errlen bytes,
 * NUL-terminated; nothing is written when errlen is 0).  Leaves err alone on
 * success.
 */
int
shape_check(const json_t *shape, char *err, size_t errlen)
{
    struct check c;

    c.err = errlen > 0 ? err : NULL;
    c.errlen = err != NULL ? errlen : 0;
    c.depth = 0;
    return check_at(&c, shape, 0);
}

/*
 * Returns 1 when value matches shape, 0 when it does not (also when either
 * is NULL).  Both borrowed.  shape must have passed shape_check; one that
 * did not is answered, never crashed on.
 */
int
shape_match(const json_t *shape, const json_t *value)
{
    return match_at(shape, value, 0);
}

/*
 * shapes (borrowed) is a JSON array of shapes, each passed shape_check.
 * Returns the index of the first shape that value (borrowed) matches, or -1
 * when none does or shapes is not an array.
 */
int
shape_match_any(const json_t *shapes, const json_t *value)
{
    size_t i;
    json_t *shape;

    if (!json_is_array(shapes))
        return -1;
    json_array_foreach(shapes, i, shape)
    {
        if (i > INT_MAX)
            break;
        if (shape_match(shape, value))
            return (int)i;
    }
    return -1;
}
