/*  gc_query - the reading operations: one case with its history, journal
    pages (by sequence, case, topic, area, department, period; the
    escalation log), case lists and queues, and the figures. Each runs in a
    read transaction, within the reader's scope, and never changes anything. */
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

//  The roster entry of the request's actor, or NULL with an unknown_actor
//  reply in OUT: every read starts here
const gc_actor_t *gc_query_actor (gc_config_t *config, const Gridcase__Request *request,
                                  gc_reply_t *out);

//  True for a stats request without a period: the daemon's own counters
bool gc_query_is_counters (const Gridcase__Request *request);

//  Answers a reading operation (get, journal, list, stats with a period)
//  from the read transaction TXN
void gc_query_read (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                    int64_t now, gc_reply_t *out);

//  Answers a stats request with a period: the figures of the reader's area
//  (or the one it names) and one row per "by" (gc_query_stats.c)
void gc_query_stats (gc_config_t *config, gc_txn_t *txn, const gc_actor_t *actor,
                     const Gridcase__Request *request, int64_t now, gc_reply_t *out);

//  Answers a backup request (the admin only): a compacting copy of STORE
void gc_query_backup (gc_config_t *config, gc_store_t *store, const Gridcase__Request *request,
                      gc_reply_t *out);

#endif
