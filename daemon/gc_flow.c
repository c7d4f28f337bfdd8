/*  gc_flow - flow control of reads and replies. See gc_flow.h.

    The command socket is a ROUTER with ROUTER_MANDATORY: a reply to a client
    whose connection holds its limit of unread messages is refused (EAGAIN)
    instead of dropped, and is held here, counted in bytes, until the client
    reads. Disconnecting a client shuts down its TCP connection (the socket
    the last message came from, ZMQ_SRCFD): libzmq then closes it and frees
    everything queued for it. */
#include "gc_flow.h"

#include <errno.h>
#include <sys/socket.h>

#define GC_IDENTITY_MAX 255
//  Clients remembered as disconnected, and for how long
#define GC_GONE_MAX 10000
#define GC_GONE_MS 60000

typedef struct {
    void *task;
    gc_flow_drop_fn *drop; //  for a task that never reaches a reader
} read_t;

typedef struct {
    size_t size;
    uint8_t data[];
} held_t;

typedef struct {
    char key[GC_IDENTITY_MAX * 2 + 1]; //  the identity in hex: the clients table's key
    uint8_t id[GC_IDENTITY_MAX];
    size_t id_size;
    int fd;            //  the connection its last message came on, -1: not known
    size_t in_flight;  //  reads taken and not yet answered
    zlistx_t *waiting; //  read_t: reads waiting for a reader
    zlistx_t *held;    //  held_t: replies its connection would not take yet
    size_t held_bytes;
    void *turn;    //  its place in the round of clients with reads waiting
    void *holding; //  its place in the list of clients with replies held
} client_t;

struct _gc_flow_t {
    void *router;
    void *readers;
    gc_flow_limits_t limits;
    zhashx_t *clients; //  key -> client_t, only while it has something in flight
    zlistx_t *round;   //  client_t with reads waiting, next to be served first
    zlistx_t *holding; //  client_t with replies held
    zhashx_t *gone;    //  key -> when: clients disconnected lately, whose
                       //  messages still in libzmq's queue are dropped
    size_t waiting;    //  reads waiting, all clients
    size_t at_readers; //  reads handed to the readers and not yet answered
    uint64_t counters[GC_FLOW_COUNTER_COUNT];
};

static const char *s_counter_names[] = {
#define X(name, text) #name,
    GC_FLOW_COUNTERS (X)
#undef X
};

static void
s_read_destroy (void **item)
{
    read_t *read = (read_t *)*item;
    if (read) {
        if (read->task)
            read->drop (&read->task);
        free (read);
        *item = NULL;
    }
}

static void
s_held_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

static void
s_client_destroy (void **item)
{
    client_t *client = (client_t *)*item;
    if (client) {
        zlistx_destroy (&client->waiting);
        zlistx_destroy (&client->held);
        free (client);
        *item = NULL;
    }
}

gc_flow_t *
gc_flow_new (void *router, void *readers, const gc_flow_limits_t *limits)
{
    gc_flow_t *self = (gc_flow_t *)zmalloc (sizeof (gc_flow_t));
    self->router = router;
    self->readers = readers;
    self->limits = *limits;
    self->clients = zhashx_new ();
    zhashx_set_destructor (self->clients, s_client_destroy);
    self->round = zlistx_new ();
    self->holding = zlistx_new ();
    self->gone = zhashx_new ();
    return self;
}

void
gc_flow_destroy (gc_flow_t **self_p)
{
    gc_flow_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->round);
        zlistx_destroy (&self->holding);
        zhashx_destroy (&self->clients);
        zhashx_destroy (&self->gone);
        free (self);
        *self_p = NULL;
    }
}

static void
s_key (char *key, const void *identity, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *bytes = (const uint8_t *)identity;
    for (size_t i = 0; i < size; i++) {
        key[2 * i] = hex[bytes[i] >> 4];
        key[2 * i + 1] = hex[bytes[i] & 15];
    }
    key[2 * size] = 0;
}

static client_t *
s_client (gc_flow_t *self, const void *identity, size_t size, bool create)
{
    if (size > GC_IDENTITY_MAX)
        return NULL;
    char key[GC_IDENTITY_MAX * 2 + 1];
    s_key (key, identity, size);
    client_t *client = (client_t *)zhashx_lookup (self->clients, key);
    if (client || !create)
        return client;
    client = (client_t *)calloc (1, sizeof (client_t));
    if (!client)
        return NULL;
    memcpy (client->key, key, sizeof (key));
    memcpy (client->id, identity, size);
    client->id_size = size;
    client->fd = -1;
    client->waiting = zlistx_new ();
    client->held = zlistx_new ();
    zlistx_set_destructor (client->waiting, s_read_destroy);
    zlistx_set_destructor (client->held, s_held_destroy);
    zhashx_insert (self->clients, key, client);
    return client;
}

//  A client with nothing in flight and nothing held needs no state
static void
s_client_settle (gc_flow_t *self, client_t *client)
{
    if (client->in_flight == 0 && !client->holding && !client->turn)
        zhashx_delete (self->clients, client->key);
}

static void
s_disconnect (gc_flow_t *self, client_t *client, gc_flow_counter_t reason)
{
    if (client->fd >= 0) {
        shutdown (client->fd, SHUT_RDWR);
        self->counters[reason]++;
        zsys_warning ("client %s disconnected: %s", client->key, s_counter_names[reason]);
    } else
        self->counters[GC_FLOW_replies_dropped] += zlistx_size (client->held);
    self->waiting -= zlistx_size (client->waiting);
    //  Its connection's fd may be reused once libzmq has closed it: what is
    //  still queued from it is dropped, never answered or disconnected again
    if (zhashx_size (self->gone) >= GC_GONE_MAX)
        zhashx_purge (self->gone);
    zhashx_insert (self->gone, client->key, (void *)(intptr_t)zclock_mono ());
    if (client->turn)
        zlistx_delete (self->round, client->turn);
    if (client->holding)
        zlistx_delete (self->holding, client->holding);
    zhashx_delete (self->clients, client->key);
}

bool
gc_flow_gone (gc_flow_t *self, const void *identity, size_t size)
{
    if (!zhashx_size (self->gone) || size > GC_IDENTITY_MAX)
        return false;
    char key[GC_IDENTITY_MAX * 2 + 1];
    s_key (key, identity, size);
    void *when = zhashx_lookup (self->gone, key);
    if (!when)
        return false;
    if (zclock_mono () - (int64_t)(intptr_t)when < GC_GONE_MS)
        return true;
    zhashx_delete (self->gone, key);
    return false;
}

gc_flow_verdict_t
gc_flow_read (gc_flow_t *self, zmq_msg_t *identity, void **task_p, gc_flow_drop_fn *drop, int fd)
{
    client_t *client = s_client (self, zmq_msg_data (identity), zmq_msg_size (identity), true);
    if (!client) {
        self->counters[GC_FLOW_busy]++;
        return GC_FLOW_BUSY;
    }
    if (fd >= 0)
        client->fd = fd;
    if (client->in_flight >= self->limits.inflight_max) {
        drop (task_p);
        s_disconnect (self, client, GC_FLOW_disconnected_inflight);
        return GC_FLOW_DISCONNECTED;
    }
    read_t *read =
        self->waiting < self->limits.pending_max ? (read_t *)malloc (sizeof (read_t)) : NULL;
    if (!read) {
        self->counters[GC_FLOW_busy]++;
        s_client_settle (self, client);
        return GC_FLOW_BUSY;
    }
    read->task = *task_p;
    read->drop = drop;
    *task_p = NULL;
    zlistx_add_end (client->waiting, read);
    client->in_flight++;
    self->waiting++;
    self->counters[GC_FLOW_reads_queued]++;
    //  A client that leaves replies unread gets no turn until it reads them
    if (!client->turn && !client->holding)
        client->turn = zlistx_add_end (self->round, client);
    return GC_FLOW_QUEUED;
}

//  0 when sent, else the errno: EAGAIN (the connection is full),
//  EHOSTUNREACH (the client has gone)
static int
s_send (gc_flow_t *self, const void *identity, size_t identity_size, const void *data, size_t size)
{
    if (zmq_send (self->router, identity, identity_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return zmq_errno ();
    if (zmq_send (self->router, data, size, ZMQ_DONTWAIT) < 0)
        return zmq_errno ();
    return 0;
}

static void
s_hold (gc_flow_t *self, client_t *client, const void *data, size_t size)
{
    if (client->held_bytes + size > self->limits.unsent_max) {
        s_disconnect (self, client, GC_FLOW_disconnected_unread);
        return;
    }
    held_t *held = (held_t *)malloc (sizeof (held_t) + size);
    if (!held) {
        self->counters[GC_FLOW_replies_dropped]++;
        return;
    }
    held->size = size;
    memcpy (held->data, data, size);
    zlistx_add_end (client->held, held);
    client->held_bytes += size;
    self->counters[GC_FLOW_replies_held]++;
    if (!client->holding)
        client->holding = zlistx_add_end (self->holding, client);
    if (client->turn) {
        zlistx_delete (self->round, client->turn);
        client->turn = NULL;
    }
}

void
gc_flow_reply (gc_flow_t *self, const void *identity, size_t identity_size, const void *reply,
               size_t size, bool answers_read)
{
    client_t *client = s_client (self, identity, identity_size, false);
    if (answers_read) {
        assert (self->at_readers > 0);
        self->at_readers--;
        if (client && client->in_flight)
            client->in_flight--;
    }
    int rc =
        client && client->holding ? EAGAIN : s_send (self, identity, identity_size, reply, size);
    if (rc == EAGAIN) {
        if (!client)
            client = s_client (self, identity, identity_size, true);
        if (client)
            s_hold (self, client, reply, size);
        else
            self->counters[GC_FLOW_replies_dropped]++;
        return;
    }
    if (rc)
        self->counters[GC_FLOW_replies_dropped]++;
    if (client)
        s_client_settle (self, client);
}

void
gc_flow_dispatch (gc_flow_t *self)
{
    while (self->at_readers < self->limits.at_readers_max) {
        client_t *client = (client_t *)zlistx_detach (self->round, NULL);
        if (!client)
            break;
        client->turn = NULL;
        read_t *read = (read_t *)zlistx_detach (client->waiting, NULL);
        if (!read) {
            s_client_settle (self, client);
            continue;
        }
        //  The readers' queues hold more than at_readers_max: this never waits
        int rc = zmq_send (self->readers, client->id, client->id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0)
            rc = zmq_send (self->readers, &read->task, sizeof (read->task), ZMQ_DONTWAIT);
        assert (rc >= 0);
        read->task = NULL; //  the reader's now
        s_read_destroy ((void **)&read);
        self->waiting--;
        self->at_readers++;
        if (zlistx_size (client->waiting))
            client->turn = zlistx_add_end (self->round, client);
    }
}

bool
gc_flow_flush (gc_flow_t *self)
{
    client_t *client = (client_t *)zlistx_first (self->holding);
    while (client) {
        client_t *next = (client_t *)zlistx_next (self->holding);
        held_t *held;
        int rc = 0;
        while ((held = (held_t *)zlistx_first (client->held))) {
            rc = s_send (self, client->id, client->id_size, held->data, held->size);
            if (rc)
                break;
            client->held_bytes -= held->size;
            zlistx_delete (client->held, zlistx_cursor (client->held));
            self->counters[GC_FLOW_replies_sent_late]++;
        }
        if (rc && rc != EAGAIN) {
            //  The client has gone: what was held for it goes too
            self->counters[GC_FLOW_replies_dropped] += zlistx_size (client->held);
            zlistx_purge (client->held);
            client->held_bytes = 0;
        }
        if (!zlistx_size (client->held)) {
            zlistx_delete (self->holding, client->holding);
            client->holding = NULL;
            if (zlistx_size (client->waiting))
                client->turn = zlistx_add_end (self->round, client);
            s_client_settle (self, client);
        }
        client = next;
    }
    return zlistx_size (self->holding) > 0;
}

uint64_t
gc_flow_counter (gc_flow_t *self, gc_flow_counter_t id)
{
    return self->counters[id];
}

const char *
gc_flow_counter_name (gc_flow_counter_t id)
{
    return s_counter_names[id];
}

size_t
gc_flow_clients (gc_flow_t *self)
{
    return zhashx_size (self->clients);
}
