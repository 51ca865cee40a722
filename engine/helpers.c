/*
 * helpers.c - small things every file of the engine uses: JSON text in
 * and out of the store, the cache of parsed args, random names and ids,
 * and marking a step to be undone.  Touches no database.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "engine/eng_int.h"
#include "engine/watchdog.h"

char *
eng__dump(const json_t *v)
{
    unsigned long nomem = wd_nomem();
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (t != NULL && wd_nomem() != nomem) {
        /* Text made while an allocation failed may lack a part of it. */
        free(t);
        return NULL;
    }
    return t;
}

/* Parses stored JSON text into *out; AD_ENOMEM or AD_EBADJSON.  jansson
 * fails the same way for both (an allocation that fails inside a string
 * is an "invalid token"), so the failed allocations are counted.  It may
 * even succeed: its lexer drops a character it has no room to keep (a
 * call id came back one digit short), so a value parsed while an
 * allocation failed is not trusted either. */
int
eng__parse(const char *text, size_t len, size_t flags, json_t **out)
{
    unsigned long nomem = wd_nomem();
    *out = json_loadb(text, len, flags, NULL);
    if (wd_nomem() != nomem) {
        json_decref(*out);
        *out = NULL;
        return AD_ENOMEM;
    }
    return *out != NULL ? AD_OK : AD_EBADJSON;
}

int
eng__args(struct eng *e, int64_t id, const char *text, json_t **out)
{
    size_t len = strlen(text);
    if (e->args_cache == NULL && len <= ENG__ARGS_MAX)
        e->args_cache = calloc(ENG__ARGS_SLOTS, sizeof *e->args_cache);
    struct eng__args_slot *slot =
        e->args_cache ? &e->args_cache[(uint64_t)id % ENG__ARGS_SLOTS] : NULL;
    if (slot && slot->id == id && strcmp(slot->text, text) == 0) {
        *out = json_incref(slot->args);
        return AD_OK;
    }
    int err = eng__parse(text, len, 0, out);
    if (err != AD_OK || slot == NULL || len > ENG__ARGS_MAX)
        return err;
    char *copy = strdup(text);
    if (copy == NULL)
        return AD_OK; /* not kept, still parsed */
    free(slot->text);
    json_decref(slot->args);
    slot->id = id;
    slot->text = copy;
    slot->args = json_incref(*out);
    return AD_OK;
}

void
eng__args_abandon(struct eng *e, int64_t id)
{
    if (e->args_cache == NULL)
        return;
    struct eng__args_slot *slot =
        &e->args_cache[(uint64_t)id % ENG__ARGS_SLOTS];
    if (slot->id != id)
        return;
    free(slot->text);
    memset(slot, 0, sizeof *slot);
}

void
eng__args_free(struct eng *e)
{
    if (e->args_cache == NULL)
        return;
    for (size_t i = 0; i < ENG__ARGS_SLOTS; i++) {
        free(e->args_cache[i].text);
        json_decref(e->args_cache[i].args);
    }
    free(e->args_cache);
    e->args_cache = NULL;
}

/* Returns a new reference to the JSON in text, or, should the stored
 * text not be JSON, the text as a JSON string, so a document still shows
 * it; NULL when out of memory.  NULL text gives JSON null. */
json_t *
eng__load(const char *text)
{
    if (text == NULL)
        return json_null();
    json_t *v = NULL;
    if (eng__parse(text, strlen(text), JSON_DECODE_ANY, &v) == AD_EBADJSON)
        return json_string(text);
    return v;
}

/* Replaces *field (owned text) with the JSON text of v (borrowed). */
int
eng__set_text(char **field, const json_t *v)
{
    char *t = v ? eng__dump(v) : NULL;
    if (v && t == NULL)
        return AD_ENOMEM;
    free(*field);
    *field = t;
    return AD_OK;
}

const char *
actor_address_name(const json_t *v)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_object(v) && json_object_size(v) == 1)
        return json_string_value(json_object_get(v, "$address"));
    return NULL;
}

/* 64 random bits, for generated names and call ids; the clock stands
 * in should the kernel not answer. */
unsigned long long
eng__random64(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != sizeof r)
        r = (uint64_t)ad_mono_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)rand();
    return (unsigned long long)r;
}

/* Writes a fresh random name "a-" + 16 hex digits into buf. */
void
eng__random_name(char *buf, size_t len)
{
    snprintf(buf, len, "a-%016llx", eng__random64());
}

/* Marks the step of actor id to be undone, its actor to fail with error
 * code and the message of fmt.  The first reason of a step stands. */
void
eng__abort(struct eng *e, int64_t id, const char *code, const char *fmt, ...)
{
    if (e->abort_id != 0)
        return;
    e->abort_id = id;
    snprintf(e->abort_code, sizeof e->abort_code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->abort_msg, sizeof e->abort_msg, fmt, ap);
    va_end(ap);
    /* A limit an actor's own step hit (its CPU time, memory, state or a
     * message it made): the actor fails, logged as actor_failed too. */
    ad_log(AD_LOG_WARN, "limit_hit", "limit=%s actor_id=%lld reason=%s", code,
           (long long)id, e->abort_msg);
}
