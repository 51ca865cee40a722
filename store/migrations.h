/*
 * migrations.h - the schema migrations compiled into the binary, internal
 * to store/.  The table is generated from sql/NNN_name.sql by
 * scripts/embed-sql.sh, in order of NNN.
 */
#ifndef ACTORD_MIGRATIONS_H
#define ACTORD_MIGRATIONS_H

struct store_migration {
    int version;      /* NNN: the schema version this migration produces */
    const char *name; /* file name without .sql */
    const char *sql;  /* the whole script */
};

extern const struct store_migration store_migrations[];
extern const int store_migration_count;

#endif
