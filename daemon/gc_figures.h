/*  gc_figures - the figures supervisors are judged by, kept in the store as
    cases move, so reading a month of a district costs a few dozen reads, not
    a rescan of the journal.

    Each area (grid/<id>, community/<id>, street/<id>, district/<id>) and each
    department (dept/<id>) has one Figures record per local day: the cases it
    received that day and what has happened to them since (a cohort), plus
    one record for "now" (day 0) with the open and overdue gauges. */
#ifndef GC_FIGURES_H_INCLUDED
#define GC_FIGURES_H_INCLUDED

#include "gc_schema.h"
#include "gc_store.h"
#include "gridcase.pb-c.h"

#define GC_FIGURES_KEY_MAX 96

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

//  The gauges now of every key of KIND ("queue": cases waiting in each
//  queue, "level": open and overdue cases on each level): FN for each one
//  with cases open, named by its id ("dept/gas", "grid")
int gc_figures_gauges (gc_txn_t *txn, const char *kind,
                       void (*fn) (const char *id, const Gridcase__Figures *gauges, void *arg),
                       void *arg);

//  Events that belong to the escalation log supervisors read
bool gc_log_event (Gridcase__EventType type);
//  The INDEX-th area or department key a log entry is filed under (its grid,
//  community, street, district, then its departments); false after the last
bool gc_log_key (const Gridcase__JournalEntry *entry, size_t index, char *key, size_t size);

#endif
