/*  gc_escalation - due deadlines to the lifecycle. See gc_escalation.h. */
#include "gc_escalation.h"
#include "gc_schema.h"
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
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        due_t *d = &due[count];
        if (count == max)
            break;
        if (!gc_deadline_key_parse (walk.key, walk.key_size, &d->due, d->case_id, &d->kind)) {
            zsys_warning ("deadline index: an entry of %zu bytes is not a deadline; skipped",
                          walk.key_size);
        } else if (d->due > now)
            break;
        else
            count++;
    }
    gc_cursor_destroy (&cursor);
    if (walk.rc != GC_OK && walk.rc != GC_NOTFOUND) {
        free (due);
        return walk.rc;
    }
    int rc = GC_OK;
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

typedef struct {
    gc_config_t *config;
    int64_t now;
    size_t max;
    zlistx_t *notices;
    size_t done;
} tick_t;

static int
s_tick_work (gc_txn_t *txn, void *arg)
{
    tick_t *tick = (tick_t *)arg;
    return gc_escalation_run (tick->config, txn, tick->now, tick->max, tick->notices, &tick->done);
}

static void
s_tick_reset (void *arg)
{
    tick_t *tick = (tick_t *)arg;
    gc_notices_drop (tick->notices);
    tick->done = 0;
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
    tick_t tick = {config, now, max, notices, 0};
    int rc = gc_store_write (store, s_tick_work, s_tick_reset, &tick, grown);
    *done = tick.done;
    return rc;
}

//  --------------------------------------------------------------------------
//  The escalation timer

struct _gc_escalation_timer_t {
    zloop_t *loop;
    gc_store_t *store;
    gc_config_t *config;
    zlistx_t *notices;
    gc_ticked_fn *ticked;
    gc_busy_fn *busy;
    void *arg;
    int timer_id;     //  -1 when none is armed
    int64_t armed_at; //  the deadline (daemon clock) it is armed for
};

static int s_timer_fired (zloop_t *loop, int timer_id, void *arg);

gc_escalation_timer_t *
gc_escalation_timer_new (zloop_t *loop, gc_store_t *store, gc_config_t *config, zlistx_t *notices,
                         gc_ticked_fn *ticked, gc_busy_fn *busy, void *arg)
{
    gc_escalation_timer_t *self = (gc_escalation_timer_t *)zmalloc (sizeof (gc_escalation_timer_t));
    self->loop = loop;
    self->store = store;
    self->config = config;
    self->notices = notices;
    self->ticked = ticked;
    self->busy = busy;
    self->arg = arg;
    self->timer_id = -1;
    return self;
}

void
gc_escalation_timer_destroy (gc_escalation_timer_t **self_p)
{
    gc_escalation_timer_t *self = *self_p;
    if (self) {
        if (self->timer_id >= 0)
            zloop_timer_end (self->loop, self->timer_id);
        free (self);
        *self_p = NULL;
    }
}

static void
s_timer_set (gc_escalation_timer_t *self, size_t msecs)
{
    if (self->timer_id >= 0)
        zloop_timer_end (self->loop, self->timer_id);
    self->timer_id = zloop_timer (self->loop, msecs, 1, s_timer_fired, self);
}

void
gc_escalation_timer_arm (gc_escalation_timer_t *self)
{
    gc_txn_t *txn = gc_txn_begin (self->store, false);
    int64_t next = txn ? gc_escalation_next (txn) : 0;
    gc_txn_abort (&txn);
    if (self->timer_id >= 0 && next == self->armed_at)
        return;
    self->armed_at = next;
    if (!next) {
        if (self->timer_id >= 0)
            zloop_timer_end (self->loop, self->timer_id);
        self->timer_id = -1;
        return;
    }
    //  Daemon time to wall time: the clock may run faster than the wall
    double delay = (double)(next - gc_clock_now ()) / gc_clock_scale ();
    s_timer_set (self, delay <= 1                            ? 1
                       : delay >= GC_ESCALATION_TIMER_MAX_MS ? GC_ESCALATION_TIMER_MAX_MS
                                                             : (size_t)delay + 1);
}

//  Runs the deadlines that are due, in one transaction, then re-arms; a
//  store that refuses the tick is tried again in a second
static int
s_timer_fired (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    gc_escalation_timer_t *self = (gc_escalation_timer_t *)arg;
    self->timer_id = -1;
    if (self->busy && self->busy (self->arg)) {
        s_timer_set (self, GC_ESCALATION_BUSY_MS);
        return 0;
    }
    size_t done = 0, grown = 0;
    int rc = gc_escalation_tick (self->store, self->config, gc_clock_now (), GC_ESCALATION_TICK_MAX,
                                 self->notices, &done, &grown);
    self->ticked (self->arg, rc, done, grown);
    if (rc == GC_OK)
        gc_escalation_timer_arm (self);
    else {
        self->armed_at = 0;
        s_timer_set (self, 1000);
    }
    return 0;
}
