/*
 * shape.h - selective-receive shapes, internal to engine/ (tests use it).
 * The JSON spelling of shapes is documented in docs/shapes.md.
 */
#ifndef ACTORD_SHAPE_H
#define ACTORD_SHAPE_H

#include <jansson.h>
#include <stddef.h>

/* Deepest nesting of a shape that shape_check accepts. */
#define SHAPE_DEPTH_MAX 32

/*
 * Returns 0 when shape (borrowed) is a well-formed shape, or -1 and writes
 * one sentence saying what is wrong into err (errlen bytes, NUL-terminated).
 */
int shape_check(const json_t *shape, char *err, size_t errlen);

/*
 * Returns 1 when value matches shape, 0 when it does not.  Both borrowed.
 * shape must have passed shape_check.
 */
int shape_match(const json_t *shape, const json_t *value);

/*
 * shapes is a JSON array of shapes, each passed shape_check.  Returns the
 * index of the first shape that value matches, or -1 when none does.
 */
int shape_match_any(const json_t *shapes, const json_t *value);

#endif
