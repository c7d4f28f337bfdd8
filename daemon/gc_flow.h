/*  gc_flow - flow control between the command socket's clients, the reader
    threads and the replies: every client's reads wait in its own queue and
    go to the readers in turn (round robin), never more than a few per reader
    at once, so one client's flood of reads delays another's read by a few
    reads at most and no send between threads ever blocks. Replies that
    libzmq will not take yet (the client does not read) wait in the client's
    own queue, counted in bytes. A client over its limit on reads in flight
    or on unread reply bytes is disconnected, and the reason counted. */
#ifndef GC_FLOW_H_INCLUDED
#define GC_FLOW_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t inflight_max;   //  reads one client may have taken and not yet had answered
    size_t unsent_max;     //  reply bytes one client may leave unread in the daemon
    size_t at_readers_max; //  reads handed to the reader threads at once, all clients
    size_t pending_max;    //  reads waiting for a reader, all clients together
} gc_flow_limits_t;

//  What happened to a read or a reply
#define GC_FLOW_COUNTERS(X)                                                                        \
    X (reads_queued, "reads queued for the reader threads")                                        \
    X (busy, "reads refused with busy: every client together had too many waiting")                \
    X (disconnected_inflight, "clients disconnected: too many reads in flight")                    \
    X (disconnected_unread, "clients disconnected: too many reply bytes left unread")              \
    X (replies_held, "replies held back until the client read the earlier ones")                   \
    X (replies_sent_late, "held replies sent once the client read")                                \
    X (replies_dropped, "replies dropped: the client had gone or could not be disconnected")

typedef enum {
#define X(name, text) GC_FLOW_##name,
    GC_FLOW_COUNTERS (X)
#undef X
        GC_FLOW_COUNTER_COUNT
} gc_flow_counter_t;

//  What became of a read handed to gc_flow_read
typedef enum {
    GC_FLOW_QUEUED,       //  it waits for a reader
    GC_FLOW_BUSY,         //  refused: the caller answers ERROR_BUSY
    GC_FLOW_DISCONNECTED, //  the client was over its limit and is disconnected
} gc_flow_verdict_t;

typedef struct _gc_flow_t gc_flow_t;

//  ROUTER is the command socket (ROUTER_MANDATORY set), READERS the PUSH
//  socket to the reader threads; neither is owned
gc_flow_t *gc_flow_new (void *router, void *readers, const gc_flow_limits_t *limits);
void gc_flow_destroy (gc_flow_t **self_p);

//  True if the client IDENTITY was disconnected lately: what still arrives
//  from it was queued before and is dropped
bool gc_flow_gone (gc_flow_t *self, const void *identity, size_t size);
//  A read from the client IDENTITY (FD its connection, -1 when unknown):
//  *TASK_P is queued and later sent to a reader as two frames, the identity
//  and the task's pointer. The task is taken (*TASK_P set to NULL) when it
//  is queued or the client disconnected (DROP frees it); left to the caller
//  when the verdict is busy. DROP frees too a task that never reaches a
//  reader (its client disconnected, the flow destroyed).
typedef void (gc_flow_drop_fn) (void **task_p);
gc_flow_verdict_t gc_flow_read (gc_flow_t *self, zmq_msg_t *identity, void **task_p,
                                gc_flow_drop_fn *drop, int fd);
//  Sends REPLY (SIZE bytes) to the client IDENTITY now, or holds it until
//  the client reads; ANSWERS_READ: it answers a read that was in flight
void gc_flow_reply (gc_flow_t *self, const void *identity, size_t identity_size, const void *reply,
                    size_t size, bool answers_read);
//  Hands waiting reads to the readers, in turn by client, while they have room
void gc_flow_dispatch (gc_flow_t *self);
//  Sends held replies the clients' connections take now; true while some
//  are still held (the caller tries again soon)
bool gc_flow_flush (gc_flow_t *self);
//  Counter ID's value
uint64_t gc_flow_counter (gc_flow_t *self, gc_flow_counter_t id);
const char *gc_flow_counter_name (gc_flow_counter_t id);
//  Clients with reads in flight or replies held
size_t gc_flow_clients (gc_flow_t *self);

#endif
