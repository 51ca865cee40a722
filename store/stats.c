/*
 * stats.c - what the database holds, counted for /metrics and operators:
 * actors by status, messages queued, timers, dead letters, and the size
 * of the database's files.  Read in the caller's read transaction; the
 * counts scan their tables (a scrape of a million actors reads them all).
 */
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_STATS_ACTORS] = "SELECT status, count(*) FROM actors "
                       "WHERE behavior NOT GLOB '_*' GROUP BY status",
    [Q_STATS_TOTALS] = "SELECT (SELECT count(*) FROM messages), "
                       "(SELECT count(*) FROM timers), "
                       "(SELECT count(*) FROM dead_letters), "
                       "(SELECT page_count * page_size "
                       "FROM pragma_page_count, pragma_page_size)",
};

int
store_counts(struct store *s, struct store_counts *out)
{
    memset(out, 0, sizeof *out);
    int err = AD_OK;
    sqlite3_stmt *st = store__stmt(s, sql, Q_STATS_ACTORS, &err);
    if (st == NULL)
        return err;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        enum store_status status;
        if (store_status_parse((const char *)sqlite3_column_text(st, 0),
                               &status) == AD_OK)
            out->actors[status] = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store__err(s, rc);
    st = store__stmt(s, sql, Q_STATS_TOTALS, &err);
    if (st == NULL)
        return err;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->queued = sqlite3_column_int64(st, 0);
        out->timers = sqlite3_column_int64(st, 1);
        out->dead_letters = sqlite3_column_int64(st, 2);
        out->db_bytes = sqlite3_column_int64(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store__err(s, rc);
    const char *file = sqlite3_db_filename(s->db, "main");
    const char *wal = file ? sqlite3_filename_wal(file) : NULL;
    struct stat sb;
    if (wal != NULL && stat(wal, &sb) == 0)
        out->wal_bytes = (int64_t)sb.st_size;
    return AD_OK;
}
