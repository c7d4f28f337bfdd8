/*  gc_escalation - the deadline side of the daemon: walks the deadline
    index from its earliest entry and hands each due deadline to the
    lifecycle. Work is in proportion to what is due, never to the number of
    open cases: a tick with nothing due is one cursor seek. */
#ifndef GC_ESCALATION_H_INCLUDED
#define GC_ESCALATION_H_INCLUDED

#include "gc_config.h"
#include "gc_store.h"

//  Acts, inside write transaction TXN, on the deadlines due at NOW, at most
//  MAX of them, earliest first. *DONE is how many were handled. Returns the
//  store's error code.
int gc_escalation_run (gc_config_t *config, gc_txn_t *txn, int64_t now, size_t max,
                       zlistx_t *notices, size_t *done);

//  Before a batch of requests is applied in TXN: every deadline already due
//  at NOW (at most GC_CATCH_UP_MAX, earliest first) is acted on in the same
//  transaction, so that a request meets each case as its deadlines have left
//  it, whether or not the timer has run yet. One cursor seek when nothing is
//  due. *DONE is how many were handled. Returns the store's error code.
#define GC_CATCH_UP_MAX 10000
int gc_escalation_catch_up (gc_config_t *config, gc_txn_t *txn, int64_t now, zlistx_t *notices,
                            size_t *done);

//  One escalation tick as the daemon runs it. When a deadline is due at NOW,
//  acts on at most MAX of them in one write transaction and commits it
//  (gc_store_write: a full map grown, *GROWN counts that); with nothing due it only looks,
//  in a read transaction. NOTICES (empty when called) gets the notices to
//  publish. *DONE is how many deadlines were handled. Returns the store's
//  error code; on error nothing was changed and NOTICES is empty.
int gc_escalation_tick (gc_store_t *store, gc_config_t *config, int64_t now, size_t max,
                        zlistx_t *notices, size_t *done, size_t *grown);
//  The due time of the earliest armed deadline, or 0 when none is armed
int64_t gc_escalation_next (gc_txn_t *txn);

//  The escalation timer: one zloop timer, armed for the earliest entry of
//  the deadline index only, and never further ahead than a minute so that
//  a changed wall clock is noticed. When it fires, a tick acts on at most
//  GC_ESCALATION_TICK_MAX deadlines (the next tick follows at once), and
//  TICKED (ARG, rc, done, grown) lets the owner publish NOTICES and count.
//  While BUSY (ARG) says another thread is writing, the tick waits
//  GC_ESCALATION_BUSY_MS (that thread's batches act on what is due anyway).
#define GC_ESCALATION_TICK_MAX 1000
#define GC_ESCALATION_TIMER_MAX_MS 60000
#define GC_ESCALATION_BUSY_MS 5
typedef struct _gc_escalation_timer_t gc_escalation_timer_t;
typedef void (gc_ticked_fn) (void *arg, int rc, size_t done, size_t grown);
typedef bool (gc_busy_fn) (void *arg);
gc_escalation_timer_t *gc_escalation_timer_new (zloop_t *loop, gc_store_t *store,
                                                gc_config_t *config, zlistx_t *notices,
                                                gc_ticked_fn *ticked, gc_busy_fn *busy, void *arg);
void gc_escalation_timer_destroy (gc_escalation_timer_t **self_p);
//  (Re)arms for the earliest deadline in the index: at start (what fell due
//  while the daemon was down fires at once) and after every commit that may
//  have changed it
void gc_escalation_timer_arm (gc_escalation_timer_t *self);

#endif
