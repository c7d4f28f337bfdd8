/*  gc_writer - a batch of changing requests in one write transaction. See
    gc_writer.h. */
#include "gc_writer.h"
#include "gc_schema.h"
#include "gc_escalation.h"
#include "gc_lifecycle.h"
#include "gc_util.h"
#include "gridcase.h"

//  Request ids forgotten per commit
#define GC_FORGET_BATCH 10000

//  A request that names its case by the request of this client that made
//  it (case_of: a report queued in the same outbox, its case id unknown
//  when queued): the case id that request's kept reply holds, into ID.
//  False, with OUT set, when there is none.
static bool
s_case_of (gc_txn_t *txn, const Gridcase__Request *request, const uint8_t *binding, char *id,
           gc_reply_t *out)
{
    char **slot = gridcase_case_id_of ((Gridcase__Request *)request);
    const char *named = slot ? *slot : NULL;
    if (!named || *named) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        named ? "give the case's id or case_of (the request that made it), not both"
                              : "case_of names the case an operation is about; %s makes one",
                        gridcase_op_name (request));
        return false;
    }
    const void *stored;
    size_t size;
    uint8_t kept[GC_BINDING_SIZE];
    static const uint8_t unbound[GC_BINDING_SIZE / 2] = {0};
    int rc =
        gc_txn_request_get (txn, request->client_id.data, request->case_of, kept, &stored, &size);
    //  Only the sender's own requests: a copied client id reaches nothing
    if (rc == GC_OK && memcmp (kept, binding, GC_BINDING_SIZE / 2) != 0 &&
        memcmp (kept, unbound, GC_BINDING_SIZE / 2) != 0)
        rc = GC_NOTFOUND;
    Gridcase__Reply *reply =
        rc == GC_OK ? gridcase__reply__unpack (NULL, size, (const uint8_t *)stored) : NULL;
    bool found = reply && reply->result_case == GRIDCASE__REPLY__RESULT_CASE && reply->case_ &&
                 reply->case_->case_ && *reply->case_->case_->id;
    if (found)
        snprintf (id, GC_CASE_ID_MAX, "%s", reply->case_->case_->id);
    else if (reply && reply->result_case == GRIDCASE__REPLY__RESULT_ERROR && reply->error)
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE,
                        "request #%" PRIu64 " of this client, which case_of names, was refused "
                        "(%s: %s): there is no case to act on",
                        request->case_of, gridcase_error_name (reply->error->code),
                        reply->error->message);
    else if (rc == GC_OK || rc == GC_NOTFOUND)
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE,
                        "request #%" PRIu64 " of this client, which case_of names, %s",
                        request->case_of,
                        rc == GC_OK ? "made no case"
                                    : "has not arrived (send it first) or was forgotten after "
                                      "the idempotency window");
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    return found;
}

gc_request_outcome_t
gc_writer_request (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                   const uint8_t *binding, int64_t now, gc_reply_t *out, zlistx_t *notices)
{
    static const uint8_t unbound[GC_BINDING_SIZE] = {0};
    if (!binding)
        binding = unbound;
    const void *stored;
    size_t size;
    uint8_t kept[GC_BINDING_SIZE];
    int rc =
        gc_txn_request_get (txn, request->client_id.data, request->sequence, kept, &stored, &size);
    if (rc == GC_OK) {
        //  The id is bound to whoever sent it first and to what they sent
        bool legacy = memcmp (kept, unbound, GC_BINDING_SIZE) == 0;
        bool same_sender = memcmp (kept, binding, GC_BINDING_SIZE / 2) == 0;
        bool same_request = memcmp (kept + GC_BINDING_SIZE / 2, binding + GC_BINDING_SIZE / 2,
                                    GC_BINDING_SIZE / 2) == 0;
        if (!legacy && !(same_sender && same_request)) {
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_CONFLICT,
                            "request id #%" PRIu64 " of this client id was already used %s; "
                            "nothing was changed (use a new sequence number)",
                            request->sequence,
                            same_sender ? "for a different request" : "by another sender");
            return GC_REQUEST_CONFLICT;
        }
        //  A repeated id: the original reply, nothing changed
        if (!gc_reply_copy (out, stored, size))
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                            "out of memory for the original reply; send it again");
        return GC_REQUEST_REPEATED;
    }
    if (rc != GC_NOTFOUND)
        return GC_REQUEST_APPLIED;
    if (request->case_of) {
        //  Applied as if it named the case; kept under its own id as sent
        char id[GC_CASE_ID_MAX];
        Gridcase__Request named;
        void *body = NULL;
        if (s_case_of (txn, request, binding, id, out)) {
            body = gc_request_with_case (request, id, &named);
            if (body)
                gc_lifecycle_apply (config, txn, &named, now, out, notices);
            else
                gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                                "out of memory for request #%" PRIu64 "; send it again",
                                request->sequence);
        }
        free (body);
    } else
        gc_lifecycle_apply (config, txn, request, now, out, notices);
    if (gc_txn_error (txn) == GC_OK)
        //  The window runs on the wall clock, whatever --time-scale says: a
        //  field device stays offline for real days, not scaled ones
        gc_txn_request_put (txn, request->client_id.data, request->sequence, gc_clock_wall (),
                            binding, out->data, out->size);
    return GC_REQUEST_APPLIED;
}

typedef struct {
    gc_config_t *config;
    gc_write_t *writes;
    size_t count;
    int64_t now;
    zlistx_t *notices;
    gc_writer_result_t *result;
} batch_t;

static int
s_batch_work (gc_txn_t *txn, void *arg)
{
    batch_t *batch = (batch_t *)arg;
    gc_writer_result_t *result = batch->result;
    //  Deadlines first: what is due has happened, timer or not
    int rc =
        gc_escalation_catch_up (batch->config, txn, batch->now, batch->notices, &result->fired);
    for (size_t i = 0; rc == GC_OK && i < batch->count; i++) {
        gc_write_t *write = &batch->writes[i];
        write->outcome = gc_writer_request (batch->config, txn, write->request, write->binding,
                                            batch->now, write->reply, batch->notices);
        result->repeated += write->outcome == GC_REQUEST_REPEATED;
        result->conflicts += write->outcome == GC_REQUEST_CONFLICT;
        rc = gc_txn_error (txn);
    }
    return rc;
}

//  The attempt did not commit: its replies and notices go
static void
s_batch_reset (void *arg)
{
    batch_t *batch = (batch_t *)arg;
    for (size_t i = 0; i < batch->count; i++)
        gc_reply_free (batch->writes[i].reply);
    gc_notices_drop (batch->notices);
    batch->result->fired = batch->result->repeated = batch->result->conflicts = 0;
}

int
gc_writer_batch (gc_store_t *store, gc_config_t *config, gc_write_t *writes, size_t count,
                 int64_t now, zlistx_t *notices, gc_writer_result_t *result)
{
    memset (result, 0, sizeof (*result));
    batch_t batch = {config, writes, count, now, notices, result};
    size_t grown = 0;
    int rc = gc_store_write (store, s_batch_work, s_batch_reset, &batch, &grown);
    result->grown = grown;
    return rc;
}

//  --------------------------------------------------------------------------
//  The writer thread

struct _gc_writer_thread_t {
    zactor_t *actor;
    gc_store_t *store;
    gc_config_t *config;
};

//  Jobs come and go as their address, one frame; anything else ($TERM) ends it
static void
s_writer_actor (zsock_t *pipe, void *args)
{
    gc_writer_thread_t *self = (gc_writer_thread_t *)args;
    void *socket = zsock_resolve (pipe);
    zsock_signal (pipe, 0);
    while (true) {
        gc_writer_job_t *job;
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, socket, 0) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        bool is_job = zmq_msg_size (&msg) == sizeof (job) && !zmq_msg_more (&msg);
        if (is_job)
            memcpy (&job, zmq_msg_data (&msg), sizeof (job));
        zmq_msg_close (&msg);
        if (!is_job)
            break;
        int64_t start = zclock_usecs ();
        job->rc = gc_writer_batch (self->store, self->config, job->writes, job->count, job->now,
                                   job->notices, &job->result);
        job->usecs = zclock_usecs () - start;
        if (zmq_send (socket, &job, sizeof (job), 0) < 0)
            break;
    }
    gc_sha256_thread_end ();
}

gc_writer_thread_t *
gc_writer_thread_new (gc_store_t *store, gc_config_t *config)
{
    gc_writer_thread_t *self = (gc_writer_thread_t *)zmalloc (sizeof (gc_writer_thread_t));
    self->store = store;
    self->config = config;
    self->actor = zactor_new (s_writer_actor, self);
    return self;
}

void
gc_writer_thread_destroy (gc_writer_thread_t **self_p)
{
    gc_writer_thread_t *self = *self_p;
    if (self) {
        zactor_destroy (&self->actor);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
gc_writer_thread_sock (gc_writer_thread_t *self)
{
    return zactor_sock (self->actor);
}

void
gc_writer_thread_submit (gc_writer_thread_t *self, gc_writer_job_t *job)
{
    int rc = zmq_send (zsock_resolve (zactor_sock (self->actor)), &job, sizeof (job), 0);
    assert (rc == sizeof (job));
    (void)rc;
}

gc_writer_job_t *
gc_writer_thread_done (gc_writer_thread_t *self)
{
    gc_writer_job_t *job = NULL;
    int rc = zmq_recv (zsock_resolve (zactor_sock (self->actor)), &job, sizeof (job), 0);
    assert (rc == sizeof (job));
    (void)rc;
    return job;
}

//  --------------------------------------------------------------------------
//  Forgetting

typedef struct {
    int64_t before;
    size_t pruned;
} forget_t;

static int
s_forget_work (gc_txn_t *txn, void *arg)
{
    forget_t *forget = (forget_t *)arg;
    return gc_txn_request_prune (txn, forget->before, GC_FORGET_BATCH, &forget->pruned);
}

static void
s_forget_reset (void *arg)
{
    ((forget_t *)arg)->pruned = 0;
}

int
gc_writer_forget (gc_store_t *store, int64_t before, size_t *forgotten, size_t *commits,
                  size_t *grown)
{
    *forgotten = *commits = *grown = 0;
    for (int round = 0; round < 10; round++) {
        forget_t forget = {before, 0};
        size_t growths = 0;
        int rc = gc_store_write (store, s_forget_work, s_forget_reset, &forget, &growths);
        *grown += growths;
        if (rc != GC_OK)
            return rc;
        (*commits)++;
        *forgotten += forget.pruned;
        if (forget.pruned < GC_FORGET_BATCH)
            break;
    }
    return GC_OK;
}
