/*  gc_check - the store checker. Reads one snapshot of a store and checks
    that it holds together: the journal's hash chain from the first entry to
    the head recorded beside it, each case record against the hash its last
    journal entry carries, and every derived index against what it is
    derived from: the deadline and queue indexes against the cases, the
    escalation-log index and the topic heads against the journal, the
    figures' gauges (open and overdue now, queue depths) against the cases. Used by
    `gridcased --check DIR` and after each step of the lifecycle tests. */
#ifndef GC_CHECK_H_INCLUDED
#define GC_CHECK_H_INCLUDED

#include "gc_store.h"

typedef struct {
    uint64_t entries;           //  journal entries read
    uint64_t cases;             //  case records read
    uint64_t hashed_cases;      //  ... of which checked against their entry's hash
    uint64_t deadlines;         //  deadline index entries
    uint64_t queued;            //  queue index entries
    uint64_t log_entries;       //  escalation-log index entries
    uint64_t topics;            //  topic heads
    uint64_t gauges;            //  figures gauges (cases open and overdue now)
    uint8_t head[GC_HASH_SIZE]; //  the hash of the last entry
    size_t problems;            //  disagreements found
} gc_check_result_t;

//  Called once for each disagreement, with a sentence that names it
typedef void (gc_check_report_fn) (void *arg, const char *problem);

//  Checks everything TXN sees (a read transaction). Returns GC_OK when the
//  whole store could be read (RESULT->problems says whether it agrees), or
//  the store's error.
int gc_check_store (gc_txn_t *txn, gc_check_report_fn *report, void *arg,
                    gc_check_result_t *result);

#endif
