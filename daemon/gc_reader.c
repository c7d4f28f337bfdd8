/*  gc_reader - a thread that answers reads. See gc_reader.h. */
#include "gc_reader.h"
#include "gc_counters.h"
#include "gc_query.h"
#include "gc_request.h"

typedef struct {
    gc_config_t *config;
    gc_store_t *store;
    bool verbose;     //  log every read (-v)
    char tasks[64];   //  where reads come from
    char results[64]; //  where replies go
} reader_args_t;

//  The reader's transaction, renewed for each read and reset after it
static gc_txn_t *
s_read_begin (reader_args_t *args, gc_txn_t **txn_p)
{
    if (*txn_p && gc_txn_renew (*txn_p) != GC_OK)
        gc_txn_abort (txn_p);
    if (!*txn_p)
        *txn_p = gc_txn_begin (args->store, false);
    return *txn_p;
}

//  Answers one read: identity and task in, identity, reply and code out
static void
s_reader_answer (reader_args_t *args, gc_txn_t **txn_p, zmsg_t *msg, zsock_t *results)
{
    int64_t start = args->verbose ? zclock_usecs () : 0;
    zframe_t *identity = zmsg_pop (msg);
    zframe_t *pointer = zmsg_pop (msg);
    gc_task_t *task = NULL;
    if (pointer && zframe_size (pointer) == sizeof (task))
        memcpy (&task, zframe_data (pointer), sizeof (task));
    Gridcase__Request *request = task ? task->request : NULL;
    gc_reply_t reply = {0};
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    if (request && args->config->curve) {
        //  The server thread checked the key; this is its roster entry
        gc_actor_t *actor = *task->actor ? gc_config_actor (args->config, task->actor) : NULL;
        request->actor = actor ? &who : NULL;
        who.role = actor ? actor->role : GRIDCASE__ROLE__ROLE_UNSPECIFIED;
        who.id = actor ? actor->id : "";
    }
    if (!request)
        gc_reply_error (&reply, NULL, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "a read could not be handed over");
    else if (request->op_case == GRIDCASE__REQUEST__OP_BACKUP)
        gc_query_backup (args->config, args->store, request, &reply);
    else {
        gc_txn_t *txn = s_read_begin (args, txn_p);
        if (txn) {
            gc_query_read (args->config, txn, request, gc_clock_now (), &reply);
            gc_txn_reset (txn);
        } else
            gc_reply_error (&reply, request, GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                            "cannot read the store; see the daemon's log");
    }
    if (args->verbose && request)
        gc_request_log (request, reply.code, zclock_usecs () - start);
    gc_counters_answered (request ? (int)request->op_case : 0, (int)reply.code);
    //  Always three frames back, so the server counts the read as answered;
    //  the server takes at most a few reads per reader, so this never waits
    void *socket = zsock_resolve (results);
    uint8_t error = reply.code != GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    zmq_send (socket, identity ? zframe_data (identity) : NULL,
              identity ? zframe_size (identity) : 0, ZMQ_SNDMORE);
    zmq_send (socket, reply.data, reply.size, ZMQ_SNDMORE);
    zmq_send (socket, &error, 1, 0);
    gc_reply_free (&reply);
    gc_task_destroy (&task);
    zframe_destroy (&identity);
    zframe_destroy (&pointer);
}

//  Tasks still queued for this reader when it stops are dropped unanswered
static void
s_reader_drop_queued (zsock_t *tasks)
{
    zsock_set_rcvtimeo (tasks, 0);
    zmsg_t *msg;
    while ((msg = zmsg_recv (tasks))) {
        zframe_t *pointer = zmsg_last (msg);
        gc_task_t *task = NULL;
        if (pointer && zframe_size (pointer) == sizeof (task))
            memcpy (&task, zframe_data (pointer), sizeof (task));
        gc_task_destroy (&task);
        zmsg_destroy (&msg);
    }
}

static void
s_reader_actor (zsock_t *pipe, void *argument)
{
    reader_args_t *args = (reader_args_t *)argument;
    zsock_t *tasks = zsock_new (ZMQ_PULL);
    zsock_t *results = zsock_new (ZMQ_PUSH);
    zsock_set_rcvhwm (tasks, 1000);
    zsock_connect (tasks, "%s", args->tasks);
    zsock_connect (results, "%s", args->results);
    gc_txn_t *txn = NULL;
    zpoller_t *poller = zpoller_new (pipe, tasks, NULL);
    //  A signal does not end a reader: the server stops handing out reads,
    //  then ends each reader with $TERM, and the reader lets go of what is
    //  still queued for it. Ending on the signal itself would leave reads
    //  the server hands out meanwhile in a socket nobody reads.
    zpoller_set_nonstop (poller, true);
    zsock_signal (pipe, 0);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == tasks) {
            zmsg_t *task = zmsg_recv (tasks);
            if (task)
                s_reader_answer (args, &txn, task, results);
            zmsg_destroy (&task);
        } else if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = command && streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
    }
    zpoller_destroy (&poller);
    s_reader_drop_queued (tasks);
    gc_txn_abort (&txn);
    zsock_destroy (&tasks);
    zsock_destroy (&results);
    free (args);
    gc_sha256_thread_end ();
}

struct _gc_reader_t {
    zactor_t *actor;
};

gc_reader_t *
gc_reader_new (gc_config_t *config, gc_store_t *store, bool verbose, const char *tasks,
               const char *results)
{
    reader_args_t *args = (reader_args_t *)zmalloc (sizeof (reader_args_t));
    args->config = config;
    args->store = store;
    args->verbose = verbose;
    snprintf (args->tasks, sizeof (args->tasks), "%s", tasks);
    snprintf (args->results, sizeof (args->results), "%s", results);
    gc_reader_t *self = (gc_reader_t *)zmalloc (sizeof (gc_reader_t));
    self->actor = zactor_new (s_reader_actor, args);
    return self;
}

void
gc_reader_destroy (gc_reader_t **self_p)
{
    gc_reader_t *self = *self_p;
    if (self) {
        zactor_destroy (&self->actor);
        free (self);
        *self_p = NULL;
    }
}
