/*  gc_figures - the figures supervisors are judged by, kept in the store as
    cases move, so reading a month of a district costs a few dozen reads, not
    a rescan of the journal.

    Each area (grid/<id>, community/<id>, street/<id>, district/<id>) and each
    department (dept/<id>) has one Figures record per local day: the cases it
    received that day and what has happened to them since (a cohort), plus
    one record for "now" (day 0) with the open and overdue gauges. */
#ifndef GC_FIGURES_H_INCLUDED
#define GC_FIGURES_H_INCLUDED

#include "gc_store.h"
#include "gridcase.pb-c.h"

#define GC_FIGURES_KEY_MAX 96

//  What the figures need to know of a case before an event changes it
typedef struct {
    bool open;          //  not closed
    bool overdue;       //  open, past a deadline with nowhere to climb, or flagged
    char dept[64];      //  the department whose queue it is in, "" for none
    bool dept_open;     //  ... and it still has work to do there
    int64_t dept_since; //  when that department received it
    char queue[128];    //  the queue it waits in (QUEUED only)
} gc_figures_snap_t;

//  The snapshot of KASE (NULL: a case that does not exist yet)
void gc_figures_snap (const Gridcase__Case *kase, gc_figures_snap_t *snap);

//  Counts event TYPE, which just changed KASE from BEFORE at NOW; BY_DAEMON
//  when the daemon did it (a missed deadline). Updates the case's own
//  bookkeeping (counted, dept_since, responded_at) before it is stored.
void gc_figures_count (gc_txn_t *txn, Gridcase__Case *kase, const gc_figures_snap_t *before,
                       Gridcase__EventType type, bool by_daemon, int64_t now);

//  The key of KASE's area of KIND ("grid", "community", "street", "district")
void gc_figures_key (char *key, size_t size, const char *kind, const char *id);

//  Adds KEY's figures for local days FROM..TO (both included) and its gauges
//  now into SUM (initialised by the caller). GC_OK or a store error.
int gc_figures_read (gc_txn_t *txn, const char *key, uint32_t from_day, uint32_t to_day,
                     Gridcase__Figures *sum);
//  Adds ADD into SUM, histograms included
void gc_figures_add (Gridcase__Figures *sum, const Gridcase__Figures *add);
//  Computes the rates, means and 95th percentiles of F and drops its histograms
void gc_figures_finish (Gridcase__Figures *figures);
//  Frees what gc_figures_read and gc_figures_add allocated in F
void gc_figures_clear (Gridcase__Figures *figures);

//  Cases waiting in each queue now: calls FN for each non-empty queue
int gc_figures_queues (gc_txn_t *txn, void (*fn) (const char *queue, uint64_t depth, void *arg),
                       void *arg);

//  Events that belong to the escalation log supervisors read
bool gc_log_event (Gridcase__EventType type);
//  The INDEX-th area or department key a log entry is filed under (its grid,
//  community, street, district, then its departments); false after the last
bool gc_log_key (const Gridcase__JournalEntry *entry, size_t index, char *key, size_t size);

#endif
