/*  gc_request - decoding and validating what arrives on the command socket:
    size checked before unpack, unpack through a bounded arena, then every
    string, enum, byte field and repeated count checked against its limit. */
#ifndef GC_REQUEST_H_INCLUDED
#define GC_REQUEST_H_INCLUDED

#include "gc_reply.h"
#include "gc_util.h"
#include "gridcase.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The largest request accepted; larger ones get ERROR_TOO_LARGE
#define GC_REQUEST_MAX (64 * 1024)
//  Larger frames are cut off by libzmq (ZMQ_MAXMSGSIZE) with the connection
#define GC_MESSAGE_HARD_MAX (128 * 1024)
#define GC_REPEATED_MAX 32
//  Times and durations from the wire: 0 to the end of the year 9999 (UTC ms)
#define GC_TIME_MAX INT64_C (253402300799999)
//  Sequence numbers from the wire: one more never wraps around
#define GC_SEQ_MAX ((uint64_t)INT64_MAX)

//  A bump allocator: everything unpacked of one request, freed at once
typedef struct _gc_arena_t gc_arena_t;
gc_arena_t *gc_arena_new (void);
void gc_arena_destroy (gc_arena_t **self_p);
void gc_arena_reset (gc_arena_t *self);
//  Bytes given out since the last reset
size_t gc_arena_used (const gc_arena_t *self);

//  Decodes and checks one request. Returns NULL with CODE and WHY set when it
//  is not acceptable; the request lives in ARENA until gc_arena_reset.
Gridcase__Request *gc_request_decode (gc_arena_t *arena, const void *data, size_t size,
                                      Gridcase__ErrorCode *code, char *why, size_t why_size);

//  A read on its way to a reader thread: the request as the server thread
//  decoded it, the arena that holds it, and who asks (the roster's id).
//  Whoever holds the task last destroys it.
typedef struct {
    gc_arena_t *arena;
    Gridcase__Request *request;
    char actor[80];
} gc_task_t;
//  Takes *ARENA_P (which holds REQUEST)
gc_task_t *gc_task_new (gc_arena_t **arena_p, Gridcase__Request *request, const char *actor);
void gc_task_destroy (gc_task_t **self_p);

//  COPY becomes REQUEST with its operation naming case ID instead: a
//  shallow copy whose operation is a copy of REQUEST's (returned: free it
//  after COPY's last use). NULL when the operation names no case or memory
//  runs out.
void *gc_request_with_case (const Gridcase__Request *request, const char *id,
                            Gridcase__Request *copy);

//  Logs who asked what about which case, the outcome and the time it took:
//  what -v shows of every request. Under systemd, when standard error is
//  the journal ($JOURNAL_STREAM), it goes to the journal with the fields of
//  gc_request_log_fields beside the message; else through zsys_debug
void gc_request_log (const Gridcase__Request *request, Gridcase__ErrorCode code, int64_t took_us);

//  The journal fields of a request's log line, each "NAME=value": MESSAGE,
//  PRIORITY, GRIDCASE_OP, GRIDCASE_ACTOR, GRIDCASE_REQUEST (its sequence),
//  GRIDCASE_ERROR (ok or the code's name) and GRIDCASE_CASE (when it names
//  one); how many were filled (at most GC_LOG_FIELDS of GC_LOG_FIELD bytes)
#define GC_LOG_FIELDS 8
#define GC_LOG_FIELD 512
size_t gc_request_log_fields (const Gridcase__Request *request, Gridcase__ErrorCode code,
                              int64_t took_us, char fields[GC_LOG_FIELDS][GC_LOG_FIELD]);

//  What a request id is bound to (GC_BINDING_SIZE bytes): half the SHA-256 of
//  the sender (its CURVE key, or the actor it names in local mode), half the
//  SHA-256 of the request's bytes as they arrived
void gc_request_binding (const char *sender, const void *data, size_t size, uint8_t *binding);
#endif
