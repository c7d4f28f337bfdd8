/*  gc_reader - a thread that answers reads. See gc_reader.h. */
#include "gc_reader.h"
#include "gc_query.h"
#include "gc_request.h"

typedef struct {
    gc_config_t *config;
    gc_store_t *store;
    bool verbose;     //  log every read (-v)
    char tasks[64];   //  where reads come from
    char results[64]; //  where replies go
} reader_args_t;

//  Answers one read: identity and request in, identity, reply and code out
static void
s_reader_answer (reader_args_t *args, gc_arena_t *arena, zmsg_t *task, zsock_t *results)
{
    int64_t start = args->verbose ? zclock_usecs () : 0;
    zframe_t *identity = zmsg_pop (task);
    zframe_t *payload = zmsg_pop (task);
    char *actor_id = zmsg_popstr (task);
    gc_reply_t reply = {0};
    Gridcase__ErrorCode code;
    char why[256];
    Gridcase__Request *request =
        payload ? gc_request_decode (arena, zframe_data (payload), zframe_size (payload), &code,
                                     why, sizeof (why))
                : NULL;
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    gc_actor_t *actor = actor_id && *actor_id ? gc_config_actor (args->config, actor_id) : NULL;
    if (request && args->config->curve) {
        //  The server thread checked the key; this is its roster entry
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
        gc_txn_t *txn = gc_txn_begin (args->store, false);
        if (txn)
            gc_query_read (args->config, txn, request, gc_clock_now (), &reply);
        else
            gc_reply_error (&reply, request, GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                            "cannot read the store; see the daemon's log");
        gc_txn_abort (&txn);
    }
    if (args->verbose && request)
        gc_request_log (request, reply.code, zclock_usecs () - start);
    //  Always three frames back, so the server counts the read as answered;
    //  the server takes at most a few reads per reader, so this never waits
    void *socket = zsock_resolve (results);
    uint8_t error = reply.code != GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    zmq_send (socket, identity ? zframe_data (identity) : NULL,
              identity ? zframe_size (identity) : 0, ZMQ_SNDMORE);
    zmq_send (socket, reply.data, reply.size, ZMQ_SNDMORE);
    zmq_send (socket, &error, 1, 0);
    gc_reply_free (&reply);
    zframe_destroy (&identity);
    zframe_destroy (&payload);
    zstr_free (&actor_id);
    gc_arena_reset (arena);
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
    gc_arena_t *arena = gc_arena_new ();
    zpoller_t *poller = zpoller_new (pipe, tasks, NULL);
    zsock_signal (pipe, 0);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == tasks) {
            zmsg_t *task = zmsg_recv (tasks);
            if (task)
                s_reader_answer (args, arena, task, results);
            zmsg_destroy (&task);
        } else {
            //  $TERM on the pipe, or interrupted
            char *command = which == pipe ? zstr_recv (pipe) : NULL;
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
    }
    zpoller_destroy (&poller);
    gc_arena_destroy (&arena);
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
