/*
 * plugin.h - the plugin loader: behaviours in shared objects, loaded by
 * actord and actorctl at start (--load FILE, --plugin-dir DIR).
 *
 * A plugin is a shared object built against include/actord/behavior.h
 * that defines the symbol actor_plugin (ACTOR_PLUGIN).  The loader reads
 * its abi before calling anything in it, refuses one built for another
 * ACTOR_ABI_VERSION, then calls its init, which registers its
 * behaviours with actor_register.  A plugin is never unloaded: its
 * behaviours, and actors stored by them, may run until the process ends.
 *
 * Load plugins after behaviors_register_standard (the standard
 * behaviours keep their names) and before eng_init (the registry is
 * frozen after it), while the process has one thread.  The program must
 * export the behaviour API to the plugin (the Makefile links actord and
 * actorctl with --dynamic-list plugin/exports.list).
 */
#ifndef ACTORD_PLUGIN_H
#define ACTORD_PLUGIN_H

#include <stddef.h>

/*
 * Loads the plugin at path and runs its init.  Returns 0, or AD_EINVAL
 * (AD_ENOMEM when out of memory) with one sentence naming path and what
 * is wrong in err (errlen bytes, always terminated): the file cannot be
 * loaded (dlerror's text), it has no actor_plugin symbol, it was built
 * for another ABI ("is not binary compatible"), it has no init, its init
 * returned non-zero, a behaviour it registered has a name taken already,
 * or it is loaded already.  After a refusal the process should not
 * start: a failed init may have registered some of its behaviours.
 */
int plugin_load(const char *path, char *err, size_t errlen);

/*
 * Loads every file whose name ends in ".so" in the folder dir (not its
 * subfolders; names starting with "." are skipped), in name order
 * (strcmp, so "10-a.so" before "20-b.so"), with plugin_load; stops at
 * the first refusal.  Returns 0, or as plugin_load, or AD_EINVAL when
 * dir cannot be read.
 */
int plugin_load_dir(const char *dir, char *err, size_t errlen);

#endif
