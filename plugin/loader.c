/*
 * loader.c - the plugin loader of plugin.h: dlopen, the ABI check before
 * any of the plugin's code runs, its init, and the plugin folder.
 *
 * The order of plugin_load is the point of the module, as nginx's check
 * of NGX_MODULE_SIGNATURE: the abi field of actor_plugin is data, read
 * with dlsym, and compared before init (the first function of the plugin
 * we call) runs.  dlopen itself runs the object's ELF constructors; a
 * plugin built with ACTOR_PLUGIN has none.
 */
#include "plugin/plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actord/behavior.h"
#include "engine/engine.h"
#include "util/util.h"

/* The handles of the plugins loaded, so that a second load of one is
 * refused rather than running its init twice.  Never freed: a plugin is
 * never unloaded. */
static void **loaded;
static size_t loaded_count, loaded_cap;

static void plugin__fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the message into err (errlen bytes; may be 0). */
static void
plugin__fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Returns 1 when handle is among the loaded plugins. */
static int
plugin__is_loaded(const void *handle)
{
    for (size_t i = 0; i < loaded_count; i++)
        if (loaded[i] == handle)
            return 1;
    return 0;
}

/* Remembers handle as loaded.  Returns 0, or AD_ENOMEM. */
static int
plugin__remember(void *handle)
{
    if (loaded_count == loaded_cap) {
        size_t cap = loaded_cap ? loaded_cap * 2 : 8;
        void **l = realloc(loaded, cap * sizeof *l);
        if (l == NULL)
            return AD_ENOMEM;
        loaded = l;
        loaded_cap = cap;
    }
    loaded[loaded_count++] = handle;
    return AD_OK;
}

int
plugin_load(const char *path, char *err, size_t errlen)
{
    char name[80];
    /* dlopen searches the library path for a name without a "/": a
     * plugin is a file, so "bank.so" means ./bank.so. */
    char *rel = NULL;
    if (strchr(path, '/') == NULL) {
        size_t len = strlen(path) + 3;
        rel = malloc(len);
        if (rel == NULL) {
            plugin__fail(err, errlen, "plugin %s: out of memory", path);
            return AD_ENOMEM;
        }
        snprintf(rel, len, "./%s", path);
    }
    /* RTLD_NOW: an undefined symbol (a function this actord does not
     * export) is an error here, not a crash in the middle of a step.
     * RTLD_LOCAL: each plugin's actor_plugin and helpers stay its own. */
    void *h = dlopen(rel ? rel : path, RTLD_NOW | RTLD_LOCAL);
    free(rel);
    if (h == NULL) {
        const char *why = dlerror();
        plugin__fail(err, errlen, "plugin %s cannot be loaded: %s", path,
                     why ? why : "dlopen failed");
        return AD_EINVAL;
    }
    if (plugin__is_loaded(h)) {
        /* dlopen counted one more reference; the plugin stays loaded. */
        dlclose(h);
        plugin__fail(err, errlen, "plugin %s is loaded already", path);
        return AD_EINVAL;
    }
    /* Nothing of h is called before its abi is checked.  From here on h
     * is never closed: dlclose would run the object's destructors, and a
     * refusal stops the process anyway. */
    dlerror();
    const struct actor_plugin *p = dlsym(h, "actor_plugin");
    if (p == NULL) {
        plugin__fail(err, errlen,
                     "plugin %s has no actor_plugin symbol: it is not an "
                     "actord plugin (define it with ACTOR_PLUGIN of "
                     "actord/behavior.h)",
                     path);
        return AD_EINVAL;
    }
    /* abi is the first field in every ABI, so it is safe to read from a
     * plugin of any version; the rest is read only once it matches. */
    if (p->abi != ACTOR_ABI_VERSION) {
        plugin__fail(err, errlen,
                     "plugin %s is not binary compatible: built for actord "
                     "ABI %d, this actord has ABI %d",
                     path, p->abi, ACTOR_ABI_VERSION);
        return AD_EINVAL;
    }
    snprintf(name, sizeof name, "%s", p->name ? p->name : "unnamed");
    if (p->init == NULL) {
        plugin__fail(err, errlen, "plugin %s (%s) has no init function", path,
                     name);
        return AD_EINVAL;
    }
    int rc = plugin__remember(h);
    if (rc != AD_OK) {
        plugin__fail(err, errlen, "plugin %s (%s): out of memory", path, name);
        return rc;
    }
    char taken[72];
    /* Forget a refusal of before this plugin, so that only its own are
     * reported. */
    eng_registry_taken(taken, sizeof taken);
    int ret = p->init();
    /* A taken name is reported even when init ignored actor_register's
     * -1 and returned 0: the behaviour the plugin's author meant to
     * provide is not the one that name runs. */
    if (eng_registry_taken(taken, sizeof taken) != NULL) {
        plugin__fail(err, errlen,
                     "plugin %s (%s): behaviour \"%s\" is already registered "
                     "(by the standard behaviours or an earlier plugin)",
                     path, name, taken);
        return AD_EINVAL;
    }
    if (ret != 0) {
        plugin__fail(err, errlen, "plugin %s (%s): init failed (returned %d)",
                     path, name, ret);
        return AD_EINVAL;
    }
    ad_log(AD_LOG_INFO, "plugin_loaded", "file=%s plugin=%s", path, name);
    return AD_OK;
}

/* qsort's comparison of two names (char **). */
static int
plugin__cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* 1 when name ends in ".so" and does not start with ".". */
static int
plugin__is_so(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".so") == 0;
}

int
plugin_load_dir(const char *dir, char *err, size_t errlen)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = AD_OK;
    DIR *d = opendir(dir);
    if (d == NULL) {
        plugin__fail(err, errlen, "plugin folder %s cannot be read: %s", dir,
                     strerror(errno));
        return AD_EINVAL;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!plugin__is_so(de->d_name))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (nn == NULL) {
                rc = AD_ENOMEM;
                goto out;
            }
            names = nn;
            cap = ncap;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            rc = AD_ENOMEM;
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, plugin__cmp);
    for (size_t i = 0; i < n && rc == AD_OK; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        if (path == NULL) {
            rc = AD_ENOMEM;
            goto out;
        }
        /* A name with a "/" makes dlopen take it as a path, not a
         * library to search for. */
        snprintf(path, len, "%s/%s", dir, names[i]);
        rc = plugin_load(path, err, errlen);
        free(path);
    }
out:
    if (rc == AD_ENOMEM)
        plugin__fail(err, errlen, "plugin folder %s: out of memory", dir);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}
