/*
 * fuzz_shape.c - libFuzzer target for engine/shape.c.
 *
 * Input: SHAPE \n VALUE.  The bytes up to the first newline (or NUL,
 * whichever comes first) are a shape in the JSON spelling of
 * docs/shapes.md, the rest is a JSON value (any value).  When the shape
 * loads and passes shape_check, shape_match runs on the value, and
 * shape_match_any on the array [shape, "$any"] must answer 0 or 1 in
 * agreement with it.  A shape that fails shape_check must still leave a
 * NUL-terminated error sentence; shape_match on it must not crash either
 * (its contract: answered, never crashed on).  Everything loaded is freed,
 * so LeakSanitizer sees a leak in the module.
 *
 * Built and run by tests/fuzz/run.sh; seeds in tests/fuzz/corpus/shape/.
 */
#include "engine/shape.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t split = 0;
    while (split < size && text[split] != '\n' && text[split] != '\0')
        split++;
    const char *vtext = split < size ? text + split + 1 : text + size;
    size_t vlen = split < size ? size - split - 1 : 0;

    json_error_t jerr;
    json_t *shape = json_loadb(text, split, JSON_DECODE_ANY, &jerr);
    json_t *value = json_loadb(vtext, vlen, JSON_DECODE_ANY, &jerr);
    if (shape == NULL)
        goto out;

    char err[160];
    memset(err, 'x', sizeof err);
    int ok = shape_check(shape, err, sizeof err) == 0;
    if (!ok && memchr(err, '\0', sizeof err) == NULL)
        abort(); /* the error sentence must be NUL-terminated */
    /* Also with no room for an error at all. */
    if ((shape_check(shape, NULL, 0) == 0) != ok)
        abort();

    int m = shape_match(shape, value != NULL ? value : shape);
    if (m != 0 && m != 1)
        abort();
    if (ok) {
        json_t *shapes = json_pack("[O, s]", shape, "$any");
        if (shapes == NULL)
            abort();
        int i = shape_match_any(shapes, value != NULL ? value : shape);
        if (i != (m ? 0 : 1))
            abort(); /* "$any" matches every value */
        json_decref(shapes);
        /* A well-formed shape matched against itself must not crash. */
        (void)shape_match(shape, shape);
    }
out:
    json_decref(shape);
    json_decref(value);
    return 0;
}
