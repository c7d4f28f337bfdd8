/*  gc_peers - the connections of a bound socket, watched through libzmq's
    socket monitor: each accepted TCP connection by its file descriptor.
    Past the cap new connections are closed at once; a connection that has
    sent more bytes than its allowance (a subscriber: a few subscriptions
    and the heartbeat) is closed; on the command socket a
    connection that sent no request for the idle time is closed. Each
    closing is counted. */
#ifndef GC_PEERS_H_INCLUDED
#define GC_PEERS_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    size_t connections_max; //  connections at once; more are closed when accepted
    size_t flood_bytes;     //  bytes one connection may send (0: no limit) ...
    size_t flood_per_s;     //  ... and this many more for each second it has lasted
    int64_t idle_ms;        //  without a message for this long: closed (0: never)
    size_t unread_max;      //  bytes libzmq may hold from one connection that are
                            //  not yet messages the server took (0: no limit)
} gc_peers_limits_t;

#define GC_PEERS_COUNTERS(X)                                                                       \
    X (refused, "connections closed when accepted: the cap was reached")                           \
    X (flooded, "connections closed: they sent more than their allowance")                         \
    X (idle, "connections closed: idle too long")                                                  \
    X (unread, "connections closed: libzmq held too much from them (an endless message)")

typedef enum {
#define X(name, text) GC_PEERS_##name,
    GC_PEERS_COUNTERS (X)
#undef X
        GC_PEERS_COUNTER_COUNT
} gc_peers_counter_t;

typedef struct _gc_peers_t gc_peers_t;

//  Watches SOCKET (bound, not owned); NAME says which in logs and counters
gc_peers_t *gc_peers_new (zsock_t *socket, const char *name, const gc_peers_limits_t *limits);
void gc_peers_destroy (gc_peers_t **self_p);
//  The monitor's socket: call gc_peers_event when it is readable
zsock_t *gc_peers_monitor (gc_peers_t *self);
void gc_peers_event (gc_peers_t *self);
//  A message of FRAMES frames and BYTES bytes came on connection FD
//  (ZMQ_SRCFD) at NOW (milliseconds)
void gc_peers_active (gc_peers_t *self, int fd, size_t frames, size_t bytes, int64_t now);
//  Closes the connections over their limits; call every second or so
void gc_peers_check (gc_peers_t *self, int64_t now);
size_t gc_peers_count (gc_peers_t *self);
uint64_t gc_peers_counter (gc_peers_t *self, gc_peers_counter_t id);
const char *gc_peers_counter_name (gc_peers_counter_t id);

#endif
