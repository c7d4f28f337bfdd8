/*  gc_lifecycle - the case state machine: what each changing request and
    each missed deadline does to a case, inside the writer's transaction:
    authorise, check the transition in the table, move the case, journal it,
    keep its queue and deadline index entries, prepare its notices. Nothing
    here touches a socket. */
#ifndef GC_LIFECYCLE_H_INCLUDED
#define GC_LIFECYCLE_H_INCLUDED

#include "gc_config.h"
#include "gc_holder.h"
#include "gc_request.h"
#include "gc_store.h"

//  Kinds of deadline in the deadline index
typedef enum {
    GC_DEADLINE_RESPONSE = 1,     //  the holder must take the case
    GC_DEADLINE_RESOLUTION = 2,   //  the holder must settle it
    GC_DEADLINE_LEASE = 3,        //  a claim not accepted returns to its queue
    GC_DEADLINE_VERIFICATION = 4, //  the officer verifies on site
    GC_DEADLINE_EVALUATION = 5,   //  without a rating the case closes
    GC_DEADLINE_RESUME = 6,       //  an approved pause ends
} gc_deadline_kind_t;

//  What a case looks like in the indexes: its armed deadlines and its place
//  in a queue. Derived from the case alone, so an update can move them and
//  a checker can recompute them.
typedef struct {
    size_t deadlines;
    int64_t due[4];
    uint8_t kind[4]; //  gc_deadline_kind_t
    bool queued;
    char queue[GC_HOLDER_MAX];
    uint8_t severity;
    int64_t queue_due;
} gc_case_index_t;
void gc_case_index (const Gridcase__Case *kase, gc_case_index_t *index);

//  Applies REQUEST (a changing operation) in TXN at time NOW. Writes the
//  reply into OUT; appends each notice to publish after the commit to NOTICES
//  (zmsg_t: topic frame, packed Notice frame). Every check is made before the
//  first write, so a refused request changes nothing.
void gc_lifecycle_apply (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                         int64_t now, gc_reply_t *out, zlistx_t *notices);

//  The machine's table of events as a Markdown table (the README's, which a
//  test holds against it): each event, the states the case must be in, the
//  roles that may cause it, and whose case it must be
void gc_lifecycle_describe (FILE *out);

//  Destroys the notices waiting in NOTICES (a change that was not committed)
void gc_notices_drop (zlistx_t *notices);

//  Acts on the deadline of KIND due at DUE for case CASE_ID, at time NOW: a
//  missed response or resolution climbs the ladder, an expired lease returns
//  the case to its queue, and so on. A stale index entry is removed. Returns
//  the store's error code (GC_OK also when there was nothing to do).
int gc_lifecycle_deadline (gc_config_t *config, gc_txn_t *txn, const char *case_id,
                           gc_deadline_kind_t kind, int64_t due, int64_t now, zlistx_t *notices);

#endif
