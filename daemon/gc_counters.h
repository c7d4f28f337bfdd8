/*  gc_counters - the answer to a stats request without a period: what the
    daemon counted since it started (requests, commits, refusals, closed
    connections, ...), the map's size, the journal's last seq, and the depth
    of each queue the reader may see. */
#ifndef GC_COUNTERS_H_INCLUDED
#define GC_COUNTERS_H_INCLUDED

#include "gc_config.h"
#include "gc_request.h"
#include "gc_store.h"

//  Answers a stats request without a period: the daemon's counters (COUNT
//  NAMES and VALUES), the map's size, the journal's last seq, and the depth
//  of each queue the reader may see
void gc_counters_reply (gc_config_t *config, gc_store_t *store, const Gridcase__Request *request,
                        const char **names, const uint64_t *values, size_t count, gc_reply_t *out);

#endif
