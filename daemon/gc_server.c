/*  gc_server - the socket front. See gc_server.h.

    Data flows one way: socket -> decode and validate -> apply inside one
    write transaction for the whole batch -> commit -> replies -> notices.
    The writer thread (gc_writer) applies and commits; this thread takes and
    decodes the next batch meanwhile, and answers the last one, so decoding
    and replying overlap with the commit's flushes. Batches go in order: one
    with the writer, one waiting at most; while both are taken the command
    socket is left unread. Reads go, after the batch's commit, to reader
    threads: each answers in its own read transaction and hands the reply
    back to be sent, so a long list or a month of figures never holds up a
    commit. */
#include "gc_server.h"
#include "gc_schema.h"
#include "gc_auth.h"
#include "gc_counters.h"
#include "gc_escalation.h"
#include "gc_figures.h"
#include "gc_flow.h"
#include "gc_journal.h"
#include "gc_peers.h"
#include "gc_lifecycle.h"
#include "gc_query.h"
#include "gc_reader.h"
#include "gc_request.h"
#include "gc_store.h"
#include "gc_topics.h"
#include "gc_util.h"
#include "gc_writer.h"
#include "gridcase.h"

#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

//  Requests taken off the socket for one commit at most
#define GC_BATCH_MAX 512
//  A batch stops taking requests once their unpacked form holds this much
//  (each may take GC_UNPACK_BUDGET): garbage cannot pile up in one batch
#define GC_BATCH_UNPACKED_MAX ((size_t)16 << 20)

//  Bounds per client of the command socket (see the README's security section)
#define GC_CLIENT_READS_MAX 1000                //  reads in flight
#define GC_CLIENT_UNSENT_MAX ((size_t)16 << 20) //  reply bytes held for it in the daemon
#define GC_CLIENT_QUEUED_MAX 64                 //  replies queued in libzmq (SNDHWM)
#define GC_CLIENT_RECEIVED_MAX 256              //  requests queued in libzmq (RCVHWM)
#define GC_READS_WAITING_MAX 20000              //  reads waiting for a reader, all clients
#define GC_READS_PER_READER 2                   //  reads handed to one reader at once
//  What libzmq may hold from one command connection beyond the requests the
//  server took: its queue of whole requests at the largest, and 4 MiB more
#define GC_UNREAD_MAX ((size_t)GC_CLIENT_RECEIVED_MAX * GC_MESSAGE_HARD_MAX + ((size_t)4 << 20))
//  Bytes a subscriber may send: its subscriptions (a few hundred bytes for a
//  few topics) and the heartbeat's answers; checked every quarter second and every
//  128 refused subscriptions
#define GC_SUBSCRIBER_BYTES (64 * 1024)
#define GC_SUBSCRIBER_BYTES_PER_S 16
#define GC_REFUSED_CHECK 128
//  ZMTP heartbeats: a peer that answers nothing for this long is closed
#define GC_HEARTBEAT_IVL_MS 10000
#define GC_HEARTBEAT_TIMEOUT_MS 30000

//  Counters reported by the stats request
#define GC_COUNTERS(X)                                                                             \
    X (requests, "requests received")                                                              \
    X (replies, "replies sent")                                                                    \
    X (commits, "write transactions committed")                                                    \
    X (batched, "requests committed in a shared transaction")                                      \
    X (repeated, "repeated request ids answered with the original reply")                          \
    X (conflicts, "request ids refused: used by another sender or for another request")            \
    X (rejected_bad_request, "requests that did not decode")                                       \
    X (rejected_too_large, "requests over a size or count limit")                                  \
    X (rejected_invalid, "requests with an invalid field")                                         \
    X (dropped_frames, "messages with a wrong frame count")                                        \
    X (dropped_gone, "requests dropped: their client had been disconnected")                       \
    X (unauthenticated, "CURVE handshakes refused: the client's key is not in the roster")         \
    X (errors, "error replies")                                                                    \
    X (storage_failures, "batches refused because the store failed or was full")                   \
    X (map_grown, "times the map grew")                                                            \
    X (notices, "notices published")                                                               \
    X (notices_dropped, "notices the events socket did not take")                                  \
    X (subscriptions, "subscriptions to notice topics taken")                                      \
    X (subscriptions_refused, "subscriptions refused: a topic outside the subscriber's scope")     \
    X (reads, "reads answered by the reader threads")                                              \
    X (ticks, "escalation ticks run")                                                              \
    X (deadlines, "deadlines acted on")                                                            \
    X (tick_failures, "escalation ticks the store refused")                                        \
    X (forgotten, "request ids forgotten after the idempotency window")

typedef enum {
#define X(name, text) C_##name,
    GC_COUNTERS (X)
#undef X
        C_COUNT
} counter_t;

static const char *s_counter_names[] = {
#define X(name, text) #name,
    GC_COUNTERS (X)
#undef X
};

typedef struct {
    zmq_msg_t identity;
    zmq_msg_t payload;
    Gridcase__Request *request; //  NULL when it did not decode: reply is set
    gc_reply_t reply;
    bool forwarded;                   //  a read handed to flow control, or dropped: no reply now
    int fd;                           //  the connection it came on (ZMQ_SRCFD), -1: not known
    gc_arena_t *arena;                //  holds the request decoded (NULL: handed to a reader)
    int64_t received_us;              //  when it was taken off the socket (for -v)
    Gridcase__Actor who;              //  with CURVE: the roster's actor for the sender's key
    uint8_t binding[GC_BINDING_SIZE]; //  a changing request: its sender and bytes
} item_t;

//  Requests taken off the socket together, and what the writer makes of them
typedef struct {
    item_t items[GC_BATCH_MAX];
    size_t count;                   //  items taken
    size_t unpacked;                //  what their decoded form holds
    gc_write_t write[GC_BATCH_MAX]; //  the changing requests among them
    gc_writer_job_t job;            //  for the writer thread: those (count), notices, result
} batch_t;

typedef struct {
    gc_config_t *config;
    bool verbose;
    gc_store_t *store;
    zsock_t *command;
    zsock_t *events;
    zloop_t *loop;
    zlistx_t *notices; //  the escalation ticks'
    batch_t *batch[2];
    batch_t *writing;           //  with the writer thread, NULL: it is idle
    batch_t *waiting;           //  taken, its turn after WRITING's
    bool reading;               //  the command socket is in the loop
    gc_writer_thread_t *writer; //  applies and commits each batch
    gc_config_t *reload;        //  a roster read on SIGHUP, taken once the writer is idle
    bool forget_due;            //  old request ids to forget once the writer is idle
    uint64_t counters[C_COUNT];
    gc_escalation_timer_t *timer; //  armed for the earliest deadline
    gc_auth_t *auth;              //  the ZAP handler, with curve = on
    zsock_t *to_readers;          //  PUSH: identity + request to the next free reader
    zsock_t *from_readers;        //  PULL: identity + reply + error code back
    gc_flow_t *flow;              //  reads in turn by client, replies held for slow readers
    gc_peers_t *peers[2];         //  the connections of the command and the events socket
    size_t refused_since_check;   //  subscriptions refused since the events socket's check
    int flush_timer;              //  while replies are held: try again soon, -1: none
    size_t flush_ms;              //  ... this soon: 2 ms, doubling while nobody reads
    size_t readers;
    gc_reader_t *reader[GC_READERS_MAX];
} server_t;

//  The daemon's counters, the map and journal, and the depth of each queue
//  the reader may see
static void
s_reply_stats (server_t *self, item_t *item)
{
    enum { FIXED = C_COUNT + GC_FLOW_COUNTER_COUNT + GC_PEERS_COUNTER_COUNT + 2 };
    const char *names[FIXED];
    uint64_t values[FIXED];
    for (int i = 0; i < C_COUNT; i++) {
        names[i] = s_counter_names[i];
        values[i] = self->counters[i];
    }
    for (int i = 0; i < GC_FLOW_COUNTER_COUNT; i++) {
        names[C_COUNT + i] = gc_flow_counter_name ((gc_flow_counter_t)i);
        values[C_COUNT + i] = gc_flow_counter (self->flow, (gc_flow_counter_t)i);
    }
    //  Connections closed, both sockets together
    static const char *peer_names[GC_PEERS_COUNTER_COUNT] = {
        "connections_refused", "connections_flooded", "connections_idle", "connections_unread"};
    size_t at = C_COUNT + GC_FLOW_COUNTER_COUNT;
    for (int i = 0; i < GC_PEERS_COUNTER_COUNT; i++, at++) {
        names[at] = peer_names[i];
        values[at] = gc_peers_counter (self->peers[0], (gc_peers_counter_t)i) +
                     gc_peers_counter (self->peers[1], (gc_peers_counter_t)i);
    }
    names[at] = "clients_in_flight";
    values[at++] = gc_flow_clients (self->flow);
    names[at] = "connections";
    values[at++] = gc_peers_count (self->peers[0]) + gc_peers_count (self->peers[1]);
    gc_counters_reply (self->config, self->store, item->request, names, values, FIXED,
                       &item->reply);
}

static void
s_publish (server_t *self, zlistx_t *list)
{
    gc_notices_t *notices;
    void *socket = zsock_resolve (self->events);
    while ((notices = (gc_notices_t *)zlistx_detach (list, NULL))) {
        //  Each escalation counted once, whatever its topics
        if (notices->escalation)
            gc_counters_escalated ();
        for (size_t i = 0; i < notices->count; i++) {
            const gc_notice_t *n = &notices->notice[i];
            //  XPUB never blocks: a subscriber at its limit misses the notice
            if (zmq_send (socket, n->topic, n->topic_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
                zmq_send (socket, n->notice, n->notice_size, ZMQ_DONTWAIT) >= 0)
                self->counters[C_notices]++;
            else
                self->counters[C_notices_dropped]++;
        }
        free (notices);
    }
}

static int
s_flush_timer (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = (server_t *)arg;
    self->flush_timer = -1;
    uint64_t before = gc_flow_counter (self->flow, GC_FLOW_replies_sent_late);
    bool held = gc_flow_flush (self->flow);
    gc_flow_dispatch (self->flow);
    //  Clients that read nothing are tried less and less often (up to 100 ms)
    bool moved = gc_flow_counter (self->flow, GC_FLOW_replies_sent_late) != before;
    self->flush_ms = moved ? 2 : self->flush_ms * 2 > 100 ? 100 : self->flush_ms * 2;
    if (held)
        self->flush_timer = zloop_timer (self->loop, self->flush_ms, 1, s_flush_timer, self);
    return 0;
}

static void
s_flush (server_t *self)
{
    if (gc_flow_flush (self->flow) && self->flush_timer < 0) {
        self->flush_ms = 2;
        self->flush_timer = zloop_timer (self->loop, self->flush_ms, 1, s_flush_timer, self);
    }
}

static void
s_task_drop (void **task_p)
{
    gc_task_destroy ((gc_task_t **)task_p);
}

//  The writer's result counted; on error every changing request of the batch
//  is answered with the store's
static void
s_batch_written (server_t *self, batch_t *batch)
{
    gc_writer_job_t *job = &batch->job;
    int rc = job->rc;
    if (rc == GC_OK)
        gc_counters_commit (job->count, job->usecs);
    self->counters[C_map_grown] += job->result.grown;
    if (rc == GC_OK) {
        self->counters[C_commits]++;
        self->counters[C_deadlines] += job->result.fired;
        self->counters[C_repeated] += job->result.repeated;
        self->counters[C_conflicts] += job->result.conflicts;
        if (job->count > 1)
            self->counters[C_batched] += job->count;
        return;
    }
    self->counters[C_storage_failures]++;
    zsys_warning ("store %s: %zu changing requests refused: %s", gc_store_dir (self->store),
                  job->count, gc_store_strerror (rc));
    for (size_t i = 0; i < job->count; i++)
        gc_reply_error (job->writes[i].reply, job->writes[i].request,
                        rc == GC_NOSPACE ? GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL
                        : rc == GC_BUSY  ? GRIDCASE__ERROR_CODE__ERROR_BUSY
                                         : GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                        "%s: nothing was changed; reads still work",
                        rc == GC_NOSPACE ? "storage full"
                        : rc == GC_BUSY  ? "the store needs more room while a backup runs; try "
                                           "again shortly"
                                         : "storage error");
}

//  After the batch's commit (or with none to make): its reads go to the
//  readers, everything else is answered, its notices go out
static void
s_batch_finish (server_t *self, batch_t *batch)
{
    //  Reads go to flow control now, so they see everything committed above
    for (size_t i = 0; i < batch->count; i++) {
        item_t *item = &batch->items[i];
        if (!item->request || !gridcase_reads (item->request))
            continue;
        if (gc_query_is_counters (item->request)) {
            s_reply_stats (self, item);
            continue;
        }
        //  The actor the key says, or the one the request names (local mode);
        //  the request goes to a reader as it was decoded, with its arena
        const char *actor = item->request->actor ? item->request->actor->id : "";
        gc_task_t *task = gc_task_new (&item->arena, item->request, actor);
        gc_flow_verdict_t verdict =
            gc_flow_read (self->flow, &item->identity, (void **)&task, s_task_drop, item->fd);
        if (verdict == GC_FLOW_BUSY) {
            item->arena = task->arena; //  the request stays for the reply
            task->arena = NULL;
            gc_task_destroy (&task);
            gc_reply_error (&item->reply, item->request, GRIDCASE__ERROR_CODE__ERROR_BUSY,
                            "the daemon has too many reads waiting; try again shortly");
        } else {
            item->request = NULL;
            item->forwarded = true;
        }
    }

    for (size_t i = 0; i < batch->count; i++) {
        item_t *item = &batch->items[i];
        if (!item->forwarded) {
            if (item->reply.code != GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED)
                self->counters[C_errors]++;
            gc_counters_answered (item->request ? (int)item->request->op_case : 0,
                                  (int)item->reply.code);
            if (self->verbose && item->request)
                gc_request_log (item->request, item->reply.code,
                                zclock_usecs () - item->received_us);
            gc_flow_reply (self->flow, zmq_msg_data (&item->identity),
                           zmq_msg_size (&item->identity), item->reply.data, item->reply.size,
                           false);
            self->counters[C_replies]++;
            gc_reply_free (&item->reply);
        }
        zmq_msg_close (&item->identity);
        zmq_msg_close (&item->payload);
        if (item->arena)
            gc_arena_reset (item->arena);
    }
    batch->count = batch->unpacked = 0;
    gc_flow_dispatch (self->flow);
    s_flush (self);
    s_publish (self, batch->job.notices);
    if (batch->job.count)
        gc_escalation_timer_arm (self->timer);
}

//  A batch taken off the socket, the writer idle: its changing requests to
//  the writer thread, which applies them in one write transaction
//  (gc_writer); a batch that changes nothing is answered at once
static void
s_batch_start (server_t *self, batch_t *batch)
{
    size_t n = 0;
    for (size_t i = 0; i < batch->count; i++) {
        item_t *item = &batch->items[i];
        if (item->request && !gridcase_reads (item->request))
            batch->write[n++] = (gc_write_t){item->request, item->binding, &item->reply, 0};
    }
    batch->job.writes = batch->write;
    batch->job.count = n;
    batch->job.now = gc_clock_now ();
    if (n) {
        self->writing = batch;
        gc_writer_thread_submit (self->writer, &batch->job);
    } else
        s_batch_finish (self, batch);
}

//  --------------------------------------------------------------------------
//  Deadlines (the timer is gc_escalation's) and forgetting old request ids

//  After each escalation tick: its notices go out, its work is counted
static void
s_ticked (void *arg, int rc, size_t done, size_t grown)
{
    server_t *self = (server_t *)arg;
    self->counters[C_map_grown] += grown;
    self->counters[C_ticks]++;
    if (rc == GC_OK) {
        self->counters[C_commits] += done > 0;
        self->counters[C_deadlines] += done;
        if (done)
            zsys_info ("escalation: %zu deadline%s acted on", done, done == 1 ? "" : "s");
        s_publish (self, self->notices);
    } else {
        self->counters[C_tick_failures]++;
        zsys_warning ("escalation: store %s refused the tick (%s); trying again in 1 s",
                      gc_store_dir (self->store), gc_store_strerror (rc));
    }
}

//  The escalation timer's question: may this thread write now?
static bool
s_writer_busy (void *arg)
{
    return ((server_t *)arg)->writing != NULL;
}

//  Forgets the replies to request ids older than the idempotency window;
//  while the writer thread is busy, once it is done
static int
s_forget (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = (server_t *)arg;
    self->forget_due = self->writing != NULL;
    if (self->forget_due)
        return 0;
    size_t forgotten = 0, commits = 0, grown = 0;
    int rc = gc_writer_forget (self->store, gc_clock_wall () - self->config->idempotency,
                               &forgotten, &commits, &grown);
    self->counters[C_map_grown] += grown;
    self->counters[C_commits] += commits;
    self->counters[C_forgotten] += forgotten;
    if (rc != GC_OK)
        zsys_warning ("store %s: cannot forget old request ids now (%s); trying later",
                      gc_store_dir (self->store), gc_store_strerror (rc));
    return 0;
}

//  With CURVE the sender is who its key says: the roster entry of the key
//  that zauth let in, whatever actor the request names
static void
s_authenticate (server_t *self, item_t *item)
{
    const char *key = zmq_msg_gets (&item->payload, "User-Id");
    gc_actor_t *actor = key ? gc_config_actor_by_key (self->config, key) : NULL;
    if (!actor) {
        self->counters[C_unauthenticated]++;
        gc_reply_error (&item->reply, item->request, GRIDCASE__ERROR_CODE__ERROR_UNAUTHENTICATED,
                        "this client's key is not in the roster");
        item->request = NULL;
        return;
    }
    gridcase__actor__init (&item->who);
    item->who.role = actor->role;
    item->who.id = actor->id;
    item->request->actor = &item->who;
}

//  A changing request's id is bound to who sent it and to what it was
static void
s_bind_request (server_t *self, item_t *item)
{
    char sender[160];
    const char *key = self->config->curve ? zmq_msg_gets (&item->payload, "User-Id") : NULL;
    if (key)
        gc_copy (sender, sizeof (sender), key);
    else if (item->request->actor)
        gc_join (sender, sizeof (sender), gc_role_name (item->request->actor->role), ':',
                 item->request->actor->id);
    else
        sender[0] = 0;
    gc_request_binding (sender, zmq_msg_data (&item->payload), zmq_msg_size (&item->payload),
                        item->binding);
}

static int s_command_ready (zloop_t *loop, zsock_t *reader, void *arg);

//  The command socket in the loop, or left unread while the writer is behind
static void
s_reading (server_t *self, bool on)
{
    if (on && !self->reading)
        zloop_reader (self->loop, self->command, s_command_ready, self);
    else if (!on && self->reading)
        zloop_reader_end (self->loop, self->command);
    self->reading = on;
}

//  Takes every message waiting on the command socket, up to a batch
static int
s_command_ready (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    server_t *self = (server_t *)arg;
    void *socket = zsock_resolve (reader);
    //  While the writer is busy the next batch grows, up to its bounds
    batch_t *batch = self->waiting                     ? self->waiting
                     : self->writing == self->batch[0] ? self->batch[1]
                                                       : self->batch[0];
    size_t count = batch->count, unpacked = batch->unpacked;
    while (count < GC_BATCH_MAX && unpacked < GC_BATCH_UNPACKED_MAX) {
        item_t *item = &batch->items[count];
        zmq_msg_init (&item->identity);
        if (zmq_msg_recv (&item->identity, socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&item->identity);
            break;
        }
        //  libzmq hands over whole messages only: the rest is there already
        zmq_msg_init (&item->payload);
        bool complete = zmq_msg_more (&item->identity) &&
                        zmq_msg_recv (&item->payload, socket, ZMQ_DONTWAIT) >= 0;
        size_t frames = complete ? 2 : 1;
        size_t bytes = complete ? zmq_msg_size (&item->payload) : 0;
        item->received_us = self->verbose ? zclock_usecs () : 0;
        item->fd = complete ? zmq_msg_get (&item->payload, ZMQ_SRCFD) : -1;
        //  Drain what is left of a message with too many frames
        while (complete && zmq_msg_more (&item->payload)) {
            zmq_msg_close (&item->payload);
            zmq_msg_init (&item->payload);
            if (zmq_msg_recv (&item->payload, socket, ZMQ_DONTWAIT) < 0)
                break;
            frames++;
            bytes += zmq_msg_size (&item->payload);
        }
        gc_peers_active (self->peers[0], item->fd, frames - 1, bytes, zclock_mono ());
        if (gc_flow_gone (self->flow, zmq_msg_data (&item->identity),
                          zmq_msg_size (&item->identity))) {
            self->counters[C_dropped_gone]++;
            zmq_msg_close (&item->identity);
            zmq_msg_close (&item->payload);
            continue;
        }
        self->counters[C_requests]++;
        item->request = NULL;
        item->forwarded = false;
        memset (&item->reply, 0, sizeof (item->reply));
        if (frames != 2) {
            self->counters[C_dropped_frames]++;
            gc_reply_error (&item->reply, NULL, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST,
                            "a request is one frame, this message had %zu", frames - 1);
        } else {
            Gridcase__ErrorCode code;
            char why[256];
            if (!item->arena)
                item->arena = gc_arena_new ();
            item->request =
                gc_request_decode (item->arena, zmq_msg_data (&item->payload),
                                   zmq_msg_size (&item->payload), &code, why, sizeof (why));
            unpacked += gc_arena_used (item->arena);
            if (item->request && self->config->curve)
                s_authenticate (self, item);
            if (item->request && !gridcase_reads (item->request))
                s_bind_request (self, item);
            else if (!item->request && !item->reply.data) {
                self->counters[code == GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE ? C_rejected_too_large
                               : code == GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST
                                   ? C_rejected_bad_request
                                   : C_rejected_invalid]++;
                gc_reply_error (&item->reply, NULL, code, "%s", why);
            }
        }
        count++;
    }
    batch->count = count;
    batch->unpacked = unpacked;
    if (!self->writing) {
        if (count)
            s_batch_start (self, batch);
    } else {
        if (count)
            self->waiting = batch;
        //  Full: the socket waits until the writer is done
        if (count >= GC_BATCH_MAX || unpacked >= GC_BATCH_UNPACKED_MAX)
            s_reading (self, false);
    }
    return 0;
}

static void s_reload (server_t *self, gc_config_t *fresh);

//  The writer thread is done with a batch: the next one goes to it at once,
//  then this one is answered. What waited for an idle writer (a reload,
//  forgetting old ids) is done in between
static int
s_writer_done (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    (void)reader;
    server_t *self = (server_t *)arg;
    gc_writer_job_t *job = gc_writer_thread_done (self->writer);
    batch_t *done = self->writing;
    assert (done && job == &done->job);
    self->writing = NULL;
    if (self->reload) {
        gc_config_t *fresh = self->reload;
        self->reload = NULL;
        s_reload (self, fresh);
    }
    if (self->forget_due)
        s_forget (self->loop, 0, self);
    batch_t *next = self->waiting;
    self->waiting = NULL;
    s_batch_written (self, done);
    if (next)
        s_batch_start (self, next);
    s_batch_finish (self, done);
    s_reading (self, true);
    return 0;
}

//  A reader's reply goes out on the command socket, and the reader's place
//  to the next client's read
static int
s_reader_reply (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    server_t *self = (server_t *)arg;
    void *socket = zsock_resolve (reader);
    //  Every reply waiting, not one per loop turn
    while (true) {
        zmq_msg_t frames[3];
        size_t count = 0;
        bool more = true;
        while (more && count < 3) {
            zmq_msg_init (&frames[count]);
            if (zmq_msg_recv (&frames[count], socket, count ? 0 : ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&frames[count]);
                break;
            }
            more = zmq_msg_more (&frames[count++]);
        }
        if (count == 0)
            break;
        //  Readers always send three frames; anything else is a bug
        assert (count == 3 && !more);
        gc_flow_reply (self->flow, zmq_msg_data (&frames[0]), zmq_msg_size (&frames[0]),
                       zmq_msg_data (&frames[1]), zmq_msg_size (&frames[1]), true);
        self->counters[C_replies]++;
        self->counters[C_reads]++;
        if (*(uint8_t *)zmq_msg_data (&frames[2]))
            self->counters[C_errors]++;
        for (size_t i = 0; i < count; i++)
            zmq_msg_close (&frames[i]);
    }
    gc_flow_dispatch (self->flow);
    s_flush (self);
    return 0;
}

//  What systemd shows in `systemctl status`: what was served so far
static void
s_notify_status (server_t *self, const char *state)
{
    size_t connections = gc_peers_count (self->peers[0]) + gc_peers_count (self->peers[1]);
    sd_notifyf (0,
                "%sSTATUS=serving the city of %s: requests %" PRIu64 ", commits %" PRIu64
                ", deadlines acted on %" PRIu64 ", connections %zu",
                state, self->config->timezone, self->counters[C_requests],
                self->counters[C_commits], self->counters[C_deadlines], connections);
}

//  The roster a SIGHUP had the main thread read, FRESH: taken here, between
//  two batches, so every request after this one sees the new roster whole
static void
s_reload (server_t *self, gc_config_t *fresh)
{
    if (self->writing) {
        //  Between two batches: once the writer is done with this one
        gc_config_destroy (&self->reload);
        self->reload = fresh;
        return;
    }
    char why[512] = "";
    size_t actors = zhashx_size (fresh->actors), keys = zhashx_size (fresh->keys),
           api_keys = zhashx_size (fresh->api_keys);
    if (self->config->curve && !keys) {
        snprintf (why, sizeof (why), "no actor in it has a key: nobody could connect");
        gc_config_destroy (&fresh);
    } else
        gc_config_take_roster (self->config, &fresh, why, sizeof (why));
    if (*why)
        zsys_error ("reload refused, the roster in use stays: config %s: %s", self->config->file,
                    why);
    else
        zsys_info ("roster reloaded from %s: %zu actors, %zu CURVE keys, %zu api keys; they "
                   "apply from the next request on",
                   self->config->file, actors, keys, api_keys);
    s_notify_status (self, "READY=1\n");
}

static int
s_pipe_ready (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    server_t *self = (server_t *)arg;
    zmsg_t *msg = zmsg_recv (reader);
    char *command = msg ? zmsg_popstr (msg) : NULL;
    int rc = !command || streq (command, "$TERM") ? -1 : 0;
    zframe_t *pointer = command && streq (command, "RELOAD") ? zmsg_first (msg) : NULL;
    if (pointer && zframe_size (pointer) == sizeof (gc_config_t *)) {
        gc_config_t *fresh;
        memcpy (&fresh, zframe_data (pointer), sizeof (fresh));
        s_reload (self, fresh);
    }
    zstr_free (&command);
    zmsg_destroy (&msg);
    return rc;
}

//  From the loop itself: a loop that stopped turning stops the pings, and
//  systemd restarts the daemon (WatchdogSec=)
static int
s_watchdog (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    (void)arg;
    sd_notify (0, "WATCHDOG=1");
    return 0;
}

static int
s_status (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    s_notify_status ((server_t *)arg, "");
    return 0;
}

//  A subscription or unsubscription on the events socket. With CURVE the
//  subscriber is its key's roster entry, and a topic outside its scope is
//  not subscribed; in local mode (loopback, no identities) any topic of the
//  city is. Either way only the city's topics are ever subscribed, which
//  bounds what subscriptions cost per connection
static int
s_subscription (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    server_t *self = (server_t *)arg;
    void *socket = zsock_resolve (reader);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    //  A few at a time: the loop comes back, and sees to other sockets
    //  (the connections' monitor among them) in between
    for (int taken = 0; taken < GC_REFUSED_CHECK && zmq_msg_recv (&msg, socket, ZMQ_DONTWAIT) >= 0;
         taken++) {
        const char *data = (const char *)zmq_msg_data (&msg);
        size_t size = zmq_msg_size (&msg);
        if (size >= 1 && (data[0] == 0 || data[0] == 1) && !zmq_msg_more (&msg)) {
            bool allowed = true;
            if (data[0] == 1) {
                //  Topics are short; a longer or odd one reaches nothing. In
                //  local mode anyone may follow any topic of the city
                char topic[256];
                const char *key = self->config->curve ? zmq_msg_gets (&msg, "User-Id") : NULL;
                gc_actor_t *actor = key ? gc_config_actor_by_key (self->config, key) : NULL;
                allowed = (actor || !self->config->curve) && size - 1 < sizeof (topic) &&
                          !memchr (data + 1, 0, size - 1);
                if (allowed) {
                    memcpy (topic, data + 1, size - 1);
                    topic[size - 1] = 0;
                    allowed = gc_topics_may_follow (self->config, actor, topic);
                }
                if (!allowed && self->verbose)
                    zsys_debug ("a subscription of %s refused: outside its scope",
                                actor ? actor->id : "a client");
            }
            if (allowed) {
                //  Applies to the connection the message came from
                zmq_setsockopt (socket, data[0] ? ZMQ_SUBSCRIBE : ZMQ_UNSUBSCRIBE, data + 1,
                                size - 1);
                if (data[0])
                    self->counters[C_subscriptions]++;
            } else {
                self->counters[C_subscriptions_refused]++;
                //  A burst of refused subscriptions: close whoever sends it
                //  now, before libzmq has kept too many of them
                if (++self->refused_since_check >= GC_REFUSED_CHECK) {
                    gc_peers_check (self->peers[1], zclock_mono ());
                    self->refused_since_check = 0;
                }
            }
        }
        zmq_msg_close (&msg);
        zmq_msg_init (&msg);
    }
    zmq_msg_close (&msg);
    return 0;
}

static int
s_peers_event (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    gc_peers_t *peers = (gc_peers_t *)arg;
    (void)reader;
    gc_peers_event (peers);
    return 0;
}

static int
s_peers_check (zloop_t *loop, int timer_id, void *arg)
{
    (void)loop;
    (void)timer_id;
    server_t *self = (server_t *)arg;
    int64_t now = zclock_mono ();
    gc_peers_check (self->peers[0], now);
    gc_peers_check (self->peers[1], now);
    self->refused_since_check = 0;
    return 0;
}

static int
s_auth_ready (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void)loop;
    (void)reader;
    server_t *self = (server_t *)arg;
    if (gc_auth_handle (self->auth))
        self->counters[C_unauthenticated]++;
    return 0;
}

static batch_t *
s_batch_new (void)
{
    batch_t *self = (batch_t *)zmalloc (sizeof (batch_t));
    self->job.notices = zlistx_new ();
    return self;
}

//  A batch still taken at the end (the daemon stops): its requests go unanswered
static void
s_batch_destroy (batch_t **self_p)
{
    batch_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++) {
            gc_reply_free (&self->items[i].reply);
            zmq_msg_close (&self->items[i].identity);
            zmq_msg_close (&self->items[i].payload);
        }
        for (size_t i = 0; i < GC_BATCH_MAX; i++)
            gc_arena_destroy (&self->items[i].arena);
        gc_notices_drop (self->job.notices);
        zlistx_destroy (&self->job.notices);
        free (self);
        *self_p = NULL;
    }
}

static void
s_server_destroy (server_t **self_p)
{
    server_t *self = *self_p;
    if (self) {
        //  The batch in hand is committed before the writer ends
        gc_writer_thread_destroy (&self->writer);
        for (size_t i = 0; i < self->readers; i++)
            gc_reader_destroy (&self->reader[i]);
        gc_flow_destroy (&self->flow);
        gc_peers_destroy (&self->peers[0]);
        gc_peers_destroy (&self->peers[1]);
        gc_escalation_timer_destroy (&self->timer);
        zsock_destroy (&self->to_readers);
        zsock_destroy (&self->from_readers);
        zloop_destroy (&self->loop);
        zsock_destroy (&self->command);
        zsock_destroy (&self->events);
        gc_auth_destroy (&self->auth);
        if (self->notices)
            gc_notices_drop (self->notices);
        zlistx_destroy (&self->notices);
        for (int b = 0; b < 2; b++)
            s_batch_destroy (&self->batch[b]);
        gc_config_destroy (&self->reload);
        gc_store_destroy (&self->store);
        free (self);
        *self_p = NULL;
    }
}

static zsock_t *
s_bind (int type, const char *endpoint, zcert_t *cert, char *why, size_t why_size)
{
    zsock_t *sock = zsock_new (type);
    if (cert) {
        //  CURVE server: zauth checks every client's key against the roster
        zcert_apply (cert, sock);
        zsock_set_curve_server (sock, 1);
        zsock_set_zap_domain (sock, "gridcase");
    }
    if (type == ZMQ_ROUTER) {
        zsock_set_maxmsgsize (sock, GC_MESSAGE_HARD_MAX);
        zsock_set_rcvhwm (sock, GC_CLIENT_RECEIVED_MAX);
        zsock_set_sndhwm (sock, GC_CLIENT_QUEUED_MAX);
        //  A full client connection refuses a reply (flow control holds it)
        //  instead of dropping it
        zsock_set_router_mandatory (sock, 1);
    }
    if (type == ZMQ_XPUB) {
        //  Every subscription comes to the server, which takes it only when
        //  the subscriber may read what the topic carries; libzmq keeps a
        //  copy of each until the connection ends, so few are let in at once
        zsock_set_xpub_manual (sock, 1);
        zsock_set_rcvhwm (sock, GC_REFUSED_CHECK);
    }
    zsock_set_heartbeat_ivl (sock, GC_HEARTBEAT_IVL_MS);
    zsock_set_heartbeat_timeout (sock, GC_HEARTBEAT_TIMEOUT_MS);
    if (zsock_bind (sock, "%s", endpoint) < 0) {
        snprintf (why, why_size, "cannot bind %s: %s", endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
    }
    return sock;
}

void
gc_server_actor (zsock_t *pipe, void *args)
{
    gc_server_args_t *options = (gc_server_args_t *)args;
    server_t *self = (server_t *)zmalloc (sizeof (server_t));
    self->config = options->config;
    self->verbose = options->verbose;
    char why[2 * PATH_MAX + 512] = "";
    gc_store_options_t store_options = {self->config->map_size, self->config->map_max, false};
    self->store = gc_schema_open (self->config->datadir, &store_options);
    if (!self->store)
        snprintf (why, sizeof (why), "cannot open the store in %s", self->config->datadir);
    zcert_t *cert = NULL;
    if (self->store && self->config->curve) {
        cert = gc_auth_server_cert (self->config->server_cert, why, sizeof (why));
        if (cert)
            self->auth = gc_auth_new (self->config);
    }
    bool ready = self->store && (!self->config->curve || self->auth);
    if (ready)
        self->command = s_bind (ZMQ_ROUTER, self->config->command, cert, why, sizeof (why));
    if (self->command)
        self->events = s_bind (ZMQ_XPUB, self->config->events, cert, why, sizeof (why));
    zcert_destroy (&cert);
    if (!self->events) {
        options->failed = true;
        gc_copy (options->why, sizeof (options->why), why);
        s_server_destroy (&self);
        zsock_signal (pipe, 1);
        //  Wait for $TERM so zactor_destroy does not block
        char *command = zstr_recv (pipe);
        zstr_free (&command);
        return;
    }
    self->notices = zlistx_new ();
    self->batch[0] = s_batch_new ();
    self->batch[1] = s_batch_new ();
    self->writer = gc_writer_thread_new (self->store, self->config);
    //  The readers: inproc PUSH out, PULL back, bound before they connect
    char tasks[64], results[64];
    snprintf (tasks, sizeof (tasks), "inproc://gridcase-reads-%p", (void *)self);
    snprintf (results, sizeof (results), "inproc://gridcase-replies-%p", (void *)self);
    self->to_readers = zsock_new (ZMQ_PUSH);
    zsock_set_sndhwm (self->to_readers, 100000);
    zsock_set_rcvhwm (self->to_readers, 100000);
    zsock_bind (self->to_readers, "%s", tasks);
    self->from_readers = zsock_new (ZMQ_PULL);
    zsock_set_rcvhwm (self->from_readers, 100000);
    zsock_bind (self->from_readers, "%s", results);
    self->readers = self->config->readers;
    for (size_t i = 0; i < self->readers; i++) {
        self->reader[i] = gc_reader_new (self->config, self->store, self->verbose, tasks, results);
    }
    gc_flow_limits_t limits = {GC_CLIENT_READS_MAX, GC_CLIENT_UNSENT_MAX,
                               GC_READS_PER_READER * self->readers, GC_READS_WAITING_MAX};
    self->flow =
        gc_flow_new (zsock_resolve (self->command), zsock_resolve (self->to_readers), &limits);
    self->loop = zloop_new ();
    self->flush_timer = -1;
    if (gc_clock_scale () != 1.0)
        gc_schema_clock_resume (self->store);
    //  Deadlines that passed while the daemon was down fire right away
    self->timer = gc_escalation_timer_new (self->loop, self->store, self->config, self->notices,
                                           s_ticked, s_writer_busy, self);
    gc_escalation_timer_arm (self->timer);
    //  Old request ids are forgotten now and every ten minutes
    s_forget (self->loop, 0, self);
    zloop_timer (self->loop, 600 * 1000, 0, s_forget, self);
    zloop_reader (self->loop, pipe, s_pipe_ready, self);
    if (self->auth)
        zloop_reader (self->loop, gc_auth_socket (self->auth), s_auth_ready, self);
    s_reading (self, true);
    zloop_reader (self->loop, gc_writer_thread_sock (self->writer), s_writer_done, self);
    zloop_reader (self->loop, self->from_readers, s_reader_reply, self);
    zloop_reader (self->loop, self->events, s_subscription, self);
    //  libzmq keeps every frame of a message until its last: what it holds
    //  from a connection beyond its queue of whole requests is such a message
    //  A command connection idle for idle_timeout is closed: its client
    //  reconnects by itself when it next sends
    gc_peers_limits_t command_limits = {self->config->connections, 0, 0, self->config->idle_timeout,
                                        GC_UNREAD_MAX};
    gc_peers_limits_t events_limits = {self->config->connections, GC_SUBSCRIBER_BYTES,
                                       GC_SUBSCRIBER_BYTES_PER_S, 0, 0};
    self->peers[0] = gc_peers_new (self->command, "command", &command_limits);
    self->peers[1] = gc_peers_new (self->events, "events", &events_limits);
    for (int i = 0; i < 2; i++)
        zloop_reader (self->loop, gc_peers_monitor (self->peers[i]), s_peers_event, self->peers[i]);
    zloop_timer (self->loop, 250, 0, s_peers_check, self);
    //  Under systemd (Type=notify): a watchdog ping at half its interval,
    //  the served counts every 5 s
    uint64_t watchdog_us = 0;
    if (sd_watchdog_enabled (0, &watchdog_us) > 0 && watchdog_us >= 2000)
        zloop_timer (self->loop, watchdog_us / 2000, 0, s_watchdog, self);
    if (getenv ("NOTIFY_SOCKET"))
        zloop_timer (self->loop, 5000, 0, s_status, self);
    //  Signals are the main thread's business: it sends $TERM
    zloop_set_nonstop (self->loop, true);
    zsys_info ("serving commands on %s, notices on %s, store %s (map %zu MiB), %zu reader "
               "threads",
               self->config->command, self->config->events, self->config->datadir,
               gc_store_map_size (self->store) >> 20, self->readers);
    s_notify_status (self, "READY=1\n");
    zsock_signal (pipe, 0);
    zloop_start (self->loop);
    zsys_info ("stopping: %" PRIu64 " requests served, %" PRIu64 " commits",
               self->counters[C_requests], self->counters[C_commits]);
    s_server_destroy (&self);
    gc_sha256_thread_end ();
}
