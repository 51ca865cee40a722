/*
 * version.h - the version of actord, the one place it is written: actord
 * --version and actorctl --version print it.  Packaging reads it from
 * here (sed -n 's/^#define ACTORD_VERSION "\(.*\)"$/\1/p' util/version.h).
 */
#ifndef ACTORD_VERSION_H
#define ACTORD_VERSION_H

#define ACTORD_VERSION "0.4.0"

#endif
