/*  gc_query - the reading operations: one case with its history, journal
    pages (by sequence, by case, by topic), case lists and queues. Each runs
    in a read transaction and never changes anything. */
#ifndef GC_QUERY_H_INCLUDED
#define GC_QUERY_H_INCLUDED

#include "gc_config.h"
#include "gc_request.h"
#include "gc_store.h"

//  The largest page of journal entries or cases one reply carries
#define GC_JOURNAL_PAGE 1000
#define GC_LIST_PAGE 500
//  A filtered journal read examines at most this many entries per request
#define GC_JOURNAL_SCAN_MAX 100000

//  Answers a reading operation (get, journal, list) from the read transaction TXN
void gc_query_read (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                    int64_t now, gc_reply_t *out);

#endif
