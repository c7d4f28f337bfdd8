/*  gc_escalation - due deadlines to the lifecycle. See gc_escalation.h. */
#include "gc_escalation.h"
#include "gc_lifecycle.h"

typedef struct {
    int64_t due;
    char case_id[GC_CASE_ID_MAX];
    uint8_t kind;
} due_t;

int
gc_escalation_run (gc_config_t *config, gc_txn_t *txn, int64_t now, size_t max, zlistx_t *notices,
                   size_t *done)
{
    *done = 0;
    due_t *due = (due_t *)calloc (max ? max : 1, sizeof (due_t));
    if (!due)
        return GC_EIO;
    //  Collect first: the lifecycle rewrites the index while it works
    size_t count = 0;
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_DEADLINES);
    const void *k;
    size_t ksize;
    int rc = cursor ? gc_cursor_seek (cursor, NULL, &k, &ksize, NULL, NULL) : GC_EIO;
    while (rc == GC_OK && count < max) {
        due_t *d = &due[count];
        if (!gc_deadline_key_parse (k, ksize, &d->due, d->case_id, &d->kind)) {
            zsys_warning ("deadline index: an entry of %zu bytes is not a deadline; skipped",
                          ksize);
        } else if (d->due > now)
            break;
        else
            count++;
        rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL);
    }
    gc_cursor_destroy (&cursor);
    if (rc != GC_OK && rc != GC_NOTFOUND) {
        free (due);
        return rc;
    }
    for (size_t i = 0; i < count; i++) {
        rc = gc_lifecycle_deadline (config, txn, due[i].case_id, (gc_deadline_kind_t)due[i].kind,
                                    due[i].due, now, notices);
        if (rc)
            break;
        (*done)++;
    }
    free (due);
    return rc == GC_NOTFOUND ? GC_OK : rc;
}

int64_t
gc_escalation_next (gc_txn_t *txn)
{
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_DEADLINES);
    const void *k;
    size_t ksize;
    int64_t next = 0;
    if (cursor && gc_cursor_seek (cursor, NULL, &k, &ksize, NULL, NULL) == GC_OK) {
        char id[GC_CASE_ID_MAX];
        uint8_t kind;
        if (!gc_deadline_key_parse (k, ksize, &next, id, &kind))
            next = 0;
    }
    gc_cursor_destroy (&cursor);
    return next;
}

int
gc_escalation_catch_up (gc_config_t *config, gc_txn_t *txn, int64_t now, zlistx_t *notices,
                        size_t *done)
{
    *done = 0;
    int64_t next = gc_escalation_next (txn);
    if (!next || next > now)
        return GC_OK;
    return gc_escalation_run (config, txn, now, GC_CATCH_UP_MAX, notices, done);
}

int
gc_escalation_tick (gc_store_t *store, gc_config_t *config, int64_t now, size_t max,
                    zlistx_t *notices, size_t *done, size_t *grown)
{
    *done = 0;
    //  Most ticks of a quiet city find nothing: a look costs no commit
    gc_txn_t *txn = gc_txn_begin (store, false);
    if (!txn)
        return GC_EIO;
    int64_t next = gc_escalation_next (txn);
    gc_txn_abort (&txn);
    if (!next || next > now)
        return GC_OK;
    int rc;
    while (true) {
        txn = gc_txn_begin (store, true);
        if (!txn)
            return GC_EIO;
        rc = gc_escalation_run (config, txn, now, max, notices, done);
        if (rc == GC_OK)
            rc = gc_txn_commit (&txn);
        else
            gc_txn_abort (&txn);
        if (rc != GC_MAPFULL)
            break;
        gc_notices_drop (notices);
        *done = 0;
        if (gc_store_grow (store) != GC_OK)
            break;
        (*grown)++;
    }
    if (rc != GC_OK) {
        gc_notices_drop (notices);
        *done = 0;
    }
    return rc;
}
