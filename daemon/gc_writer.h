/*  gc_writer - a batch of changing requests in one write transaction: the
    deadlines already due fire first, then each request is checked against
    the idempotency records (a request id is kept with who sent it and what
    it was, and the reply it got), applied by the lifecycle when it is new,
    and its reply recorded under its id; one commit for the whole batch,
    through gc_store_write (a full map is grown and the batch run again).
    The writer thread runs such batches one after another, so that the
    server takes and decodes the next batch while one is being committed.
    And the other end of idempotency: forgetting ids past the window. */
#ifndef GC_WRITER_H_INCLUDED
#define GC_WRITER_H_INCLUDED

#include "gc_config.h"
#include "gc_request.h"
#include "gc_store.h"

//  What became of one changing request
typedef enum {
    GC_REQUEST_APPLIED,  //  new: applied (or refused by the lifecycle), its reply kept
    GC_REQUEST_REPEATED, //  an id seen before from the same sender with the same bytes:
                         //  the reply it got then, nothing changed
    GC_REQUEST_CONFLICT, //  an id seen before from another sender or with other bytes:
                         //  ERROR_CONFLICT, nothing changed
} gc_request_outcome_t;

//  One changing request of a batch: REQUEST and BINDING (gc_request_binding:
//  its sender and bytes; NULL: bound to nobody, for in-process callers) in,
//  REPLY and OUTCOME out
typedef struct {
    const Gridcase__Request *request;
    const uint8_t *binding;
    gc_reply_t *reply;
    gc_request_outcome_t outcome;
} gc_write_t;

typedef struct {
    size_t fired;     //  deadlines that were due before the batch
    size_t repeated;  //  GC_REQUEST_REPEATED
    size_t conflicts; //  GC_REQUEST_CONFLICT
    size_t grown;     //  times the map grew
} gc_writer_result_t;

//  Applies WRITES (COUNT) at NOW and commits. Returns the store's error
//  code; on error no reply is set (each is empty) and NOTICES is empty, and
//  nothing was changed.
int gc_writer_batch (gc_store_t *store, gc_config_t *config, gc_write_t *writes, size_t count,
                     int64_t now, zlistx_t *notices, gc_writer_result_t *result);

//  A batch for the writer thread: WRITES (COUNT) applied at NOW, NOTICES
//  filled, then RC, RESULT and USECS (the time it took, commit included)
//  set as gc_writer_batch sets them
typedef struct {
    gc_write_t *writes;
    size_t count;
    int64_t now;
    zlistx_t *notices;
    int rc;
    gc_writer_result_t result;
    int64_t usecs;
} gc_writer_job_t;

//  The writer thread: one batch at a time, in the order handed over. An
//  LMDB write transaction belongs to the thread that began it, so the
//  owner writes by itself (ticks, forgetting) only while the thread is idle.
typedef struct _gc_writer_thread_t gc_writer_thread_t;
gc_writer_thread_t *gc_writer_thread_new (gc_store_t *store, gc_config_t *config);
//  Waits for the batch in hand, if any, to be committed, then ends the thread
void gc_writer_thread_destroy (gc_writer_thread_t **self_p);
//  Readable when a batch is done
zsock_t *gc_writer_thread_sock (gc_writer_thread_t *self);
//  Hands JOB over; it belongs to the thread until it comes back
void gc_writer_thread_submit (gc_writer_thread_t *self, gc_writer_job_t *job);
//  The batch done, once the socket is readable
gc_writer_job_t *gc_writer_thread_done (gc_writer_thread_t *self);

//  Forgets the replies kept for request ids recorded before BEFORE (the
//  idempotency window's end), a bounded number per commit so that no
//  commit waits long, and at most ten commits a call. *FORGOTTEN, *COMMITS
//  and *GROWN (map growths) count what it did. Returns the store's error.
int gc_writer_forget (gc_store_t *store, int64_t before, size_t *forgotten, size_t *commits,
                      size_t *grown);

//  One changing request inside the caller's transaction TXN, its id checked
//  as above. Errors of the store are left in TXN (gc_txn_error).
gc_request_outcome_t gc_writer_request (gc_config_t *config, gc_txn_t *txn,
                                        const Gridcase__Request *request, const uint8_t *binding,
                                        int64_t now, gc_reply_t *out, zlistx_t *notices);

#endif
