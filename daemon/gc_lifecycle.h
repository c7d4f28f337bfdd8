/*  gc_lifecycle - what each changing request does to a case, inside the
    writer's transaction: validate, authorise, move the case, journal it,
    prepare its notices. Nothing here touches a socket. */
#ifndef GC_LIFECYCLE_H_INCLUDED
#define GC_LIFECYCLE_H_INCLUDED

#include "gc_config.h"
#include "gc_request.h"
#include "gc_store.h"

//  Applies REQUEST (a changing operation) in TXN at time NOW. Writes the
//  reply into OUT; appends each notice to publish after the commit to NOTICES
//  (zmsg_t: topic frame, packed Notice frame). Every check is made before the
//  first write, so a refused request changes nothing.
void gc_lifecycle_apply (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                         int64_t now, gc_reply_t *out, zlistx_t *notices);

//  Answers a reading operation (get, journal) from the read transaction TXN
void gc_lifecycle_read (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                        gc_reply_t *out);

#endif
