/*
 * registry.c - the behaviours this process knows, and eng_init.
 *
 * Behaviours register (actor_register) while the process is single
 * threaded, before eng_init; after it the registry is only read, from any
 * thread, without a lock.  It grows as needed: there is no fixed number
 * of behaviours.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/eng_int.h"
#include "engine/watchdog.h"

static const struct behavior **registry; /* owned array, borrowed entries */
static size_t registry_count, registry_cap;
static int initialized;
/* The name of the last behaviour refused because its name was taken, for
 * eng_registry_taken; "" when none since it was last read. */
static char taken[65];

int
eng__behavior_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '_')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
            return 0;
    return 1;
}

int
actor_register(const struct behavior *b)
{
    if (initialized || b == NULL || b->name == NULL || b->step == NULL ||
        !eng__behavior_name_valid(b->name))
        return -1;
    if (eng__behavior(b->name)) {
        snprintf(taken, sizeof taken, "%s", b->name);
        return -1;
    }
    if (registry_count == registry_cap) {
        size_t cap = registry_cap ? registry_cap * 2 : 16;
        const struct behavior **r = realloc(registry, cap * sizeof *r);
        if (r == NULL)
            return -1;
        registry = r;
        registry_cap = cap;
    }
    registry[registry_count++] = b;
    return 0;
}

const char *
eng_registry_taken(char *buf, size_t len)
{
    if (taken[0] == '\0')
        return NULL;
    snprintf(buf, len, "%s", taken);
    taken[0] = '\0';
    return buf;
}

const struct behavior *
eng__behavior(const char *name)
{
    for (size_t i = 0; i < registry_count; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

int
actor_behavior_known(const char *name)
{
    return name != NULL && eng__behavior(name) != NULL;
}

json_t *
eng_behaviors(void)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < registry_count; i++) {
        const struct behavior *b = registry[i];
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:i, s:s}", "name", b->name,
                                        "language", "c", "version", b->version,
                                        "doc", b->doc ? b->doc : ""));
    }
    return json_pack("{s:o*}", "behaviors", list);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
eng__init_once(void)
{
    wd_init();
    initialized = 1;
}

int
eng_init(void)
{
    pthread_once(&init_once, eng__init_once);
    return AD_OK;
}

int
eng__initialized(void)
{
    return initialized;
}
