/*
 * behaviors.h - the eight standard behaviours of behaviors/standard.c
 * (counter, collector, forwarder, ring, gather, ticker, supervisor,
 * timer), written against actord/behavior.h as a user's would be, but
 * for the engine's name rule (util/util.h's ad_name_valid) that the
 * supervisor applies to its children's names.
 */
#ifndef ACTORD_BEHAVIORS_H
#define ACTORD_BEHAVIORS_H

struct behavior;

/* Registers every standard behaviour with actor_register.  Call once,
 * before eng_init.  Returns 0, or -1 when one could not be registered
 * (its name is taken, or eng_init has run). */
int behaviors_register_standard(void);

#endif
