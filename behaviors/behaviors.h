/*
 * behaviors.h - the standard behaviours (counter, collector, forwarder,
 * ring), written against actord/behavior.h exactly as a user's would be.
 */
#ifndef ACTORD_BEHAVIORS_H
#define ACTORD_BEHAVIORS_H

/* Registers every standard behaviour with actor_register.  Call once,
 * before eng_init.  Returns 0, or -1 when one could not be registered
 * (its name is taken, or eng_init has run). */
int behaviors_register_standard(void);

#endif
