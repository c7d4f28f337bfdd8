/*  gc_journal - recording an event of a case: the journal entry appended
    to the hash chain, filed in the escalation-log index when it is a log
    event, and a notice prepared for each topic it concerns (the queues it
    left and entered, the grid's officers, helper departments, the
    district's supervision, the log), each chained to its topic's previous
    notice through the topic heads. */
#ifndef GC_JOURNAL_H_INCLUDED
#define GC_JOURNAL_H_INCLUDED

#include "gc_config.h"
#include "gc_holder.h"
#include "gc_store.h"

//  The notices of one journal entry, made in one allocation (free it): for
//  each topic the entry goes out on, the topic and the packed Notice, to be
//  sent as two frames after the commit
typedef struct {
    const uint8_t *topic;
    size_t topic_size;
    const uint8_t *notice;
    size_t notice_size;
} gc_notice_t;

typedef struct {
    bool escalation; //  an escalation, a supervision flag or an overdue case
    size_t count;
    gc_notice_t *notice; //  COUNT of them, in the same allocation
} gc_notices_t;

//  Appends ENTRY (about KASE as it is now) in TXN, and adds to NOTICES
//  (gc_notices_t) the entry's notices to publish after the commit. ENTRY's
//  seq and prev_hash are set; its topics are left empty again. Failures
//  stick in TXN.
void gc_journal_record (gc_config_t *config, gc_txn_t *txn, const Gridcase__Case *kase,
                        Gridcase__JournalEntry *entry, zlistx_t *notices);

#endif
