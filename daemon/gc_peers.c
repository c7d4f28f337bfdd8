/*  gc_peers - connection limits through the socket monitor. See gc_peers.h.

    libzmq gives no handle on one connection of a socket; the monitor tells
    each accepted connection's file descriptor, and the kernel (TCP_INFO)
    how many bytes arrived on it. Closing a connection is a shutdown() of
    its descriptor: libzmq sees the connection end and frees all it held for
    it (its queues, its subscriptions, a message it was still receiving). */
#include "gc_peers.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

//  What ZMTP adds on the wire beyond the frames' bytes: a frame's header and
//  a CURVE box are under 64 bytes; the handshake and the heartbeat's
//  answers are allowed for apart
#define GC_FRAME_OVERHEAD 64
#define GC_HANDSHAKE_ALLOWANCE (16 * 1024)
#define GC_HEARTBEAT_PER_S 16

//  The kernel's struct tcp_info goes on past glibc's (which ends at
//  tcpi_total_retrans): the fields up to the bytes received
typedef struct {
    struct tcp_info base;
    uint64_t pacing_rate;
    uint64_t max_pacing_rate;
    uint64_t bytes_acked;
    uint64_t bytes_received; //  since Linux 4.1
} tcp_info_t;

typedef struct {
    int fd;
    int64_t accepted; //  when
    int64_t since;    //  accepted, or its last message
    uint64_t bytes;   //  bytes received on it when it was accepted (the handshake)
    uint64_t taken;   //  bytes of the messages the server took from it, with overhead
} peer_t;

struct _gc_peers_t {
    char name[32];
    gc_peers_limits_t limits;
    zsock_t *monitor;
    zhashx_t *peers; //  fd (as a pointer key) -> peer_t
    uint64_t counters[GC_PEERS_COUNTER_COUNT];
};

static const char *s_counter_names[] = {
#define X(name, text) #name,
    GC_PEERS_COUNTERS (X)
#undef X
};

static size_t
s_hash (const void *key)
{
    return (size_t)(uintptr_t)key;
}

static int
s_compare (const void *a, const void *b)
{
    return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b;
}

static void
s_peer_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

#define S_KEY(fd) ((void *)(uintptr_t)((unsigned)(fd) + 1))

gc_peers_t *
gc_peers_new (zsock_t *socket, const char *name, const gc_peers_limits_t *limits)
{
    gc_peers_t *self = (gc_peers_t *)zmalloc (sizeof (gc_peers_t));
    snprintf (self->name, sizeof (self->name), "%s", name);
    self->limits = *limits;
    self->peers = zhashx_new ();
    zhashx_set_key_hasher (self->peers, s_hash);
    zhashx_set_key_comparator (self->peers, s_compare);
    zhashx_set_key_duplicator (self->peers, NULL);
    zhashx_set_key_destructor (self->peers, NULL);
    zhashx_set_destructor (self->peers, s_peer_destroy);
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "inproc://gridcase-monitor-%s-%p", name, (void *)self);
    zmq_socket_monitor (zsock_resolve (socket), endpoint,
                        ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED);
    self->monitor = zsock_new (ZMQ_PAIR);
    zsock_connect (self->monitor, "%s", endpoint);
    return self;
}

void
gc_peers_destroy (gc_peers_t **self_p)
{
    gc_peers_t *self = *self_p;
    if (self) {
        zsock_destroy (&self->monitor);
        zhashx_destroy (&self->peers);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
gc_peers_monitor (gc_peers_t *self)
{
    return self->monitor;
}

static uint64_t
s_bytes_received (int fd)
{
    tcp_info_t info;
    socklen_t size = sizeof (info);
    memset (&info, 0, sizeof (info));
    if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0 || size < sizeof (info))
        return 0;
    return info.bytes_received;
}

static void
s_close (gc_peers_t *self, peer_t *peer, gc_peers_counter_t reason)
{
    shutdown (peer->fd, SHUT_RDWR);
    self->counters[reason]++;
    zsys_warning ("%s socket: closed a connection: %s", self->name, s_counter_names[reason]);
    zhashx_delete (self->peers, S_KEY (peer->fd));
}

void
gc_peers_event (gc_peers_t *self)
{
    zmsg_t *event = zmsg_recv (self->monitor);
    zframe_t *head = event ? zmsg_first (event) : NULL;
    if (head && zframe_size (head) == 6) {
        uint16_t type;
        uint32_t value;
        memcpy (&type, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
        int fd = (int)value;
        if (type == ZMQ_EVENT_ACCEPTED) {
            if (zhashx_size (self->peers) >= self->limits.connections_max) {
                shutdown (fd, SHUT_RDWR);
                self->counters[GC_PEERS_refused]++;
                zsys_warning ("%s socket: %zu connections: closed a new one", self->name,
                              zhashx_size (self->peers));
            } else {
                peer_t *peer = (peer_t *)zmalloc (sizeof (peer_t));
                peer->fd = fd;
                peer->accepted = peer->since = zclock_mono ();
                peer->bytes = s_bytes_received (fd);
                zhashx_update (self->peers, S_KEY (fd), peer);
            }
        } else
            zhashx_delete (self->peers, S_KEY (fd));
    }
    zmsg_destroy (&event);
}

void
gc_peers_active (gc_peers_t *self, int fd, size_t frames, size_t bytes, int64_t now)
{
    peer_t *peer = fd >= 0 ? (peer_t *)zhashx_lookup (self->peers, S_KEY (fd)) : NULL;
    if (peer) {
        peer->since = now;
        peer->taken += bytes + frames * GC_FRAME_OVERHEAD;
    }
}

//  Bytes libzmq read from the connection and holds: not yet messages taken
static uint64_t
s_unread (const peer_t *peer, uint64_t received, int64_t now)
{
    int queued = 0; //  still in the kernel, not read by libzmq
    if (ioctl (peer->fd, FIONREAD, &queued) != 0 || queued < 0)
        queued = 0;
    uint64_t taken = peer->bytes + peer->taken + GC_HANDSHAKE_ALLOWANCE +
                     GC_HEARTBEAT_PER_S * (uint64_t)(now - peer->accepted) / 1000;
    uint64_t read = received > (uint64_t)queued ? received - (uint64_t)queued : 0;
    return read > taken ? read - taken : 0;
}

void
gc_peers_check (gc_peers_t *self, int64_t now)
{
    //  Collected first: closing deletes from the table
    size_t count = zhashx_size (self->peers), over = 0;
    if (!count)
        return;
    peer_t **closing = (peer_t **)calloc (count, sizeof (peer_t *));
    gc_peers_counter_t *reasons = (gc_peers_counter_t *)calloc (count, sizeof (*reasons));
    if (!closing || !reasons) {
        free (closing);
        free (reasons);
        return;
    }
    for (peer_t *peer = (peer_t *)zhashx_first (self->peers); peer;
         peer = (peer_t *)zhashx_next (self->peers)) {
        uint64_t allowance = self->limits.flood_bytes +
                             self->limits.flood_per_s * (uint64_t)(now - peer->accepted) / 1000;
        bool counted = self->limits.flood_bytes || self->limits.unread_max;
        uint64_t bytes = counted ? s_bytes_received (peer->fd) : 0;
        bool flooded =
            self->limits.flood_bytes && bytes > peer->bytes && bytes - peer->bytes > allowance;
        bool unread =
            self->limits.unread_max && s_unread (peer, bytes, now) > self->limits.unread_max;
        if (flooded || unread ||
            (self->limits.idle_ms && now - peer->since > self->limits.idle_ms)) {
            reasons[over] = flooded ? GC_PEERS_flooded : unread ? GC_PEERS_unread : GC_PEERS_idle;
            closing[over++] = peer;
        }
    }
    for (size_t i = 0; i < over; i++)
        s_close (self, closing[i], reasons[i]);
    free (closing);
    free (reasons);
}

size_t
gc_peers_count (gc_peers_t *self)
{
    return zhashx_size (self->peers);
}

uint64_t
gc_peers_counter (gc_peers_t *self, gc_peers_counter_t id)
{
    return self->counters[id];
}

const char *
gc_peers_counter_name (gc_peers_counter_t id)
{
    return s_counter_names[id];
}
