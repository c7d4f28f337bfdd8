/*  gc_counters - the answer to a stats request without a period: what the
    daemon counted since it started (requests, commits, refusals, closed
    connections, ...), the map's size and use, the journal's last seq, and
    the depth of each queue the reader may see; for those who see the whole
    city also requests answered by operation and outcome, commit batch sizes
    and latencies, escalations, and open and overdue cases by level. */
#ifndef GC_COUNTERS_H_INCLUDED
#define GC_COUNTERS_H_INCLUDED

#include "gc_config.h"
#include "gc_request.h"
#include "gc_store.h"

//  Counts a request answered: its operation (a Request op case, 0: it did
//  not decode) and outcome (an error code, 0: done); from any thread
void gc_counters_answered (int op, int code);
//  Counts a commit of REQUESTS requests that took USECS
void gc_counters_commit (size_t requests, int64_t usecs);
//  Counts an escalation committed (by a person, a missed deadline, a flag)
void gc_counters_escalated (void);

//  Answers a stats request without a period: the daemon's counters (COUNT
//  NAMES and VALUES), the map's size, the journal's last seq, and the depth
//  of each queue the reader may see
void gc_counters_reply (gc_config_t *config, gc_store_t *store, const Gridcase__Request *request,
                        const char **names, const uint64_t *values, size_t count, gc_reply_t *out);

#endif
