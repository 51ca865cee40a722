/*
 * fuzz_spawn.c - libFuzzer target for the engine's spawn and message
 * paths, below the router: eng_spawn with any behaviour name and any args
 * object, then messages and calls to the actor, with the standard
 * behaviours (counter, collector, forwarder, ring, ticker, timer,
 * supervisor, gather; behaviors/standard.c) running on them.
 *
 * Input: lines.
 *
 *   BEHAVIOR LF ARGS LF { MESSAGE LF | !METHOD SP PAYLOAD LF } ...
 *
 * BEHAVIOR is the behaviour name (any bytes up to a NUL); ARGS is a JSON
 * value given to eng_spawn as is when it is an object (a null or
 * malformed one spawns with NULL, other values are skipped, as eng_spawn
 * takes only objects).  Each later line is a JSON message sent with
 * eng_send to the spawned actor, "fz", or, when it starts with "!", a
 * call: eng_call_begin with METHOD and the JSON PAYLOAD (none when
 * malformed), some steps, eng_call_poll, eng_call_end.  After every send
 * eng_run runs a few steps.  The invariants: eng_spawn answers an ad_err
 * with a static why for AD_EBADARGS, and a spawned actor's document names
 * it and its behaviour.
 *
 * One engine (fuzz_common.h) serves every input: "fz" is killed before
 * each spawn, and the database is replaced every FUZZ_RESET_EVERY inputs.
 * Built and run by tests/fuzz/run.sh; seeds in tests/fuzz/corpus/spawn/.
 */
#include "engine/engine.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most messages and calls one input sends. */
#define FUZZ_SENDS_MAX 16

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

/* Sets *line and *len to the next line of [*p, end) and moves *p past it;
 * returns 0 at the end. */
static int
next_line(const char **p, const char *end, const char **line, size_t *len)
{
    if (*p >= end)
        return 0;
    const char *lf = memchr(*p, '\n', (size_t)(end - *p));
    *line = *p;
    *len = lf ? (size_t)(lf - *p) : (size_t)(end - *p);
    *p = lf ? lf + 1 : end;
    return 1;
}

/* One call to fz: method (len bytes), then a JSON payload after a space. */
static void
call(const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len);
    size_t mlen = sp ? (size_t)(sp - line) : len;
    char method[65];
    if (mlen >= sizeof method)
        mlen = sizeof method - 1;
    memcpy(method, line, mlen);
    method[mlen] = '\0';
    json_t *payload = sp ? json_loadb(sp + 1, len - (size_t)(sp - line) - 1,
                                      JSON_DECODE_ANY, NULL)
                         : NULL;
    if (fuzz_too_big(payload, 0)) {
        json_decref(payload);
        return;
    }
    char box[ENG_CALL_ID_LEN + 8], id[ENG_CALL_ID_LEN];
    int err = eng_call_begin(fuzz_eng, "fz", method, payload, box, id);
    json_decref(payload);
    if (err != AD_OK)
        return;
    eng_run(fuzz_eng, 32, 50, NULL);
    json_t *reply = NULL;
    eng_call_poll(fuzz_eng, "fz", box, &reply);
    json_decref(reply);
    if (eng_call_end(fuzz_eng, box) != AD_OK)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    const char *line;
    size_t len;
    if (!next_line(&p, end, &line, &len))
        return 0;
    char behavior[80];
    size_t blen = len < sizeof behavior - 1 ? len : sizeof behavior - 1;
    memcpy(behavior, line, blen);
    behavior[blen] = '\0';

    json_t *args = NULL;
    if (next_line(&p, end, &line, &len))
        args = json_loadb(line, len, JSON_DECODE_ANY, NULL);
    if (json_is_null(args)) {
        json_decref(args);
        args = NULL;
    }
    if ((args != NULL && !json_is_object(args)) || fuzz_too_big(args, 0)) {
        json_decref(args);
        return 0;
    }

    json_t *doc = NULL;
    eng_kill(fuzz_eng, "fz", &doc);
    json_decref(doc);
    doc = NULL;
    const char *why = NULL;
    int err = eng_spawn(fuzz_eng, "fz", behavior, args, &doc, &why);
    json_decref(args);
    if (err == AD_EBADARGS && why == NULL)
        abort();
    if (err == AD_OK) {
        if (!json_is_object(doc) ||
            strcmp(json_string_value(json_object_get(doc, "name")), "fz") ||
            strcmp(json_string_value(json_object_get(doc, "behavior")),
                   behavior))
            abort();
        json_decref(doc);
        eng_run(fuzz_eng, 32, 50, NULL);
        for (int sends = 0;
             sends < FUZZ_SENDS_MAX && next_line(&p, end, &line, &len);
             sends++) {
            if (len > 0 && line[0] == '!') {
                call(line + 1, len - 1);
                continue;
            }
            json_t *msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
            if (msg == NULL || fuzz_too_big(msg, 0)) {
                json_decref(msg);
                continue;
            }
            eng_send(fuzz_eng, "fz", msg, NULL);
            json_decref(msg);
            eng_run(fuzz_eng, 32, 50, NULL);
        }
    } else if (doc != NULL) {
        abort(); /* a failed spawn leaves *doc alone */
    }
    fuzz_tick();
    return 0;
}
