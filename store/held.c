/*
 * held.c - messages held in memory within a write transaction.
 *
 * After store_hold_begin, store_mailbox_append gives each message its
 * seq (the next the table would give) and keeps it here instead of
 * inserting it; the receiver's row is counted and woken in SQLite as
 * before.  A message taken in the same transaction is forgotten: it was
 * never written, and its seq is never given again.  What is still held
 * is inserted, with its seq, when the transaction commits
 * (store__held_flush), and before anything else reads or deletes the
 * messages table (mailbox.c: count, clear, bury) or a savepoint is set;
 * a rollback drops it all (store__held_drop), with the rows it counted.
 * So a commit stores exactly what the plain inserts and deletes would
 * have left, and a crash before it leaves nothing of the transaction.
 *
 * Invariants, while holding:
 *   - every held seq is above every stored seq, and seqs are given in
 *     the order of the appends, so seq order is still arrival order
 *     (per-sender FIFO, selective receive's order);
 *   - an actor's stored count (actors.mailbox) is its stored messages
 *     plus its held ones;
 *   - sqlite_sequence is raised at each flush to the last seq given, so
 *     a seq taken in memory (which an actor's scanned may name) is never
 *     given again.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "store/store_int.h"

static const char *const sql[Q_COUNT] = {
    [Q_HELD_LAST] = "SELECT max(coalesce((SELECT seq FROM sqlite_sequence "
                    "WHERE name = 'messages'), 0), coalesce((SELECT max(seq) "
                    "FROM messages), 0))",
    [Q_HELD_INSERT] = "INSERT INTO messages (seq, actor, sender, body, "
                      "created, hops) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_HELD_RAISE] = "UPDATE sqlite_sequence SET seq = ?1 "
                     "WHERE name = 'messages' AND seq < ?1",
    [Q_HELD_SEQUENCE] = "INSERT INTO sqlite_sequence (name, seq) "
                        "SELECT 'messages', ?1 WHERE NOT EXISTS (SELECT 1 "
                        "FROM sqlite_sequence WHERE name = 'messages')",
};

/* The box of actor in h's table, or an empty slot where it would go. */
static struct store_held_box *
held__box(struct store_held *h, int64_t actor)
{
    size_t mask = h->nbox_cap - 1;
    size_t i = (size_t)((uint64_t)actor * 0x9E3779B97F4A7C15u >> 32) & mask;
    while (h->box[i].actor != 0 && h->box[i].actor != actor)
        i = (i + 1) & mask;
    return &h->box[i];
}

/* The box of actor, or NULL when none of its messages is held. */
static struct store_held_box *
held__find(struct store_held *h, int64_t actor)
{
    if (h->nbox == 0)
        return NULL;
    struct store_held_box *b = held__box(h, actor);
    return b->actor == actor ? b : NULL;
}

/* Makes room for one more box (the table is kept at most half full). */
static int
held__boxes_grow(struct store_held *h)
{
    if (h->nbox_cap != 0 && (h->nbox + 1) * 2 <= h->nbox_cap)
        return AD_OK;
    struct store_held_box *old = h->box;
    size_t old_cap = h->nbox_cap;
    size_t cap = old_cap ? old_cap * 2 : 64;
    struct store_held_box *box = calloc(cap, sizeof *box);
    if (box == NULL)
        return AD_ENOMEM;
    h->box = box;
    h->nbox_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].actor != 0)
            *held__box(h, old[i].actor) = old[i];
    free(old);
    return AD_OK;
}

/* Forgets every held message (their memory too); seqs go on from next. */
static void
held__clear(struct store_held *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->msg[i].text);
    h->n = 0;
    h->base = h->next;
    if (h->nbox != 0)
        memset(h->box, 0, h->nbox_cap * sizeof *h->box);
    h->nbox = 0;
}

int
store_hold_begin(struct store *s)
{
    store__held_drop(s); /* next: read at the first append */
    s->held.on = s->writing;
    return s->held.on ? AD_OK : AD_EINVAL;
}

int
store__held_on(struct store *s)
{
    return s->held.on;
}

int
store__held_append(struct store *s, int64_t actor, const char *sender,
                   const char *body, size_t len, int64_t now, int64_t hops,
                   int64_t *seq)
{
    struct store_held *h = &s->held;
    int err = AD_OK;
    if (h->next == 0) {
        sqlite3_stmt *st = store__stmt(s, sql, Q_HELD_LAST, &err);
        if (st == NULL)
            return err;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            h->next = h->base = sqlite3_column_int64(st, 0) + 1;
        else
            err = store__err(s, rc);
        store__finish(st);
        if (err != AD_OK)
            return err;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct store_held_msg *m = realloc(h->msg, cap * sizeof *m);
        if (m == NULL)
            return AD_ENOMEM;
        h->msg = m;
        h->cap = cap;
    }
    if ((err = held__boxes_grow(h)) != AD_OK)
        return err;
    size_t slen = sender ? strlen(sender) + 1 : 0;
    char *text = malloc(len + 1 + slen);
    if (text == NULL)
        return AD_ENOMEM;
    memcpy(text, body, len);
    text[len] = '\0';
    if (sender)
        memcpy(text + len + 1, sender, slen);
    struct store_held_msg *m = &h->msg[h->n];
    *m = (struct store_held_msg){.actor = actor,
                                 .text = text,
                                 .len = len,
                                 .has_sender = sender != NULL,
                                 .created = now,
                                 .hops = hops,
                                 .next = -1};
    struct store_held_box *b = held__box(h, actor);
    if (b->actor == 0) {
        *b = (struct store_held_box){.actor = actor, .first = (long)h->n};
        h->nbox++;
    } else {
        h->msg[b->last].next = (long)h->n;
    }
    b->last = (long)h->n;
    b->held++;
    h->n++;
    *seq = h->next++;
    return AD_OK;
}

int64_t
store_mailbox_held(struct store *s, int64_t actor)
{
    struct store_held_box *b = held__find(&s->held, actor);
    return b ? b->held : 0;
}

int
store__held_scan(struct store *s, int64_t actor, int64_t after, int *limit,
                 int (*fn)(void *ctx, int64_t seq, const char *sender,
                           const char *body, size_t len, int64_t hops),
                 void *ctx)
{
    struct store_held *h = &s->held;
    struct store_held_box *b = held__find(h, actor);
    if (b == NULL)
        return AD_OK;
    /* Taken ones at the front are passed over once, not at every scan. */
    while (b->first >= 0 && h->msg[b->first].text == NULL)
        b->first = h->msg[b->first].next;
    for (long i = b->first; i >= 0; i = h->msg[i].next) {
        struct store_held_msg *m = &h->msg[i];
        int64_t seq = h->base + i;
        if (m->text == NULL || seq <= after)
            continue;
        if (*limit == 0)
            return 1;
        if (*limit > 0)
            --*limit;
        int err = fn(ctx, seq, m->has_sender ? m->text + m->len + 1 : NULL,
                     m->text, m->len, m->hops);
        if (err != AD_OK)
            return err;
    }
    return AD_OK;
}

int
store__held_take(struct store *s, int64_t seq, int *taken)
{
    struct store_held *h = &s->held;
    *taken = 0;
    if (seq < h->base || seq >= h->base + (int64_t)h->n)
        return AD_OK;
    struct store_held_msg *m = &h->msg[seq - h->base];
    if (m->text == NULL)
        return AD_OK;
    free(m->text);
    m->text = NULL;
    held__box(h, m->actor)->held--;
    *taken = 1;
    return AD_OK;
}

int
store__held_flush(struct store *s)
{
    struct store_held *h = &s->held;
    if (h->n == 0) /* nothing given since the last flush */
        return AD_OK;
    int err = AD_OK;
    for (size_t i = 0; i < h->n && err == AD_OK; i++) {
        struct store_held_msg *m = &h->msg[i];
        if (m->text == NULL)
            continue;
        sqlite3_stmt *st = store__stmt(s, sql, Q_HELD_INSERT, &err);
        if (st == NULL)
            break;
        sqlite3_bind_int64(st, 1, h->base + (int64_t)i);
        sqlite3_bind_int64(st, 2, m->actor);
        store__bind_text(st, 3, m->has_sender ? m->text + m->len + 1 : NULL);
        sqlite3_bind_text64(st, 4, m->text, m->len, SQLITE_STATIC, SQLITE_UTF8);
        sqlite3_bind_int64(st, 5, m->created);
        sqlite3_bind_int64(st, 6, m->hops);
        err = store__done(s, st);
    }
    /* An insert raises sqlite_sequence to its seq; when the last seq
     * given (since the last flush) was taken in memory instead, it is
     * raised here. */
    int64_t last = h->next - 1;
    if (err == AD_OK && h->msg[h->n - 1].text == NULL) {
        int64_t changes = 0;
        err = store__run(s, sql, Q_HELD_RAISE, 1, &last, &changes);
        if (err == AD_OK && changes == 0)
            err = store__run(s, sql, Q_HELD_SEQUENCE, 1, &last, NULL);
    }
    if (err == AD_OK)
        held__clear(h);
    return err;
}

void
store__held_undo(struct store *s)
{
    held__clear(&s->held);
}

void
store__held_drop(struct store *s)
{
    struct store_held *h = &s->held;
    held__clear(h);
    h->on = 0;
    h->next = h->base = 0;
}

void
store__held_free(struct store *s)
{
    store__held_drop(s);
    free(s->held.msg);
    free(s->held.box);
    memset(&s->held, 0, sizeof s->held);
}
