/*  libgridcase - the client library for field apps, department systems and
    dashboards. Requests and replies are the protobuf-c messages generated from
    proto/gridcase.proto (gridcase.pb-c.h, installed beside this header).

    Every request carries this client's id (16 bytes, kept by the client) and
    its own increasing sequence number. A retry resends the same id, so the
    daemon answers it with the original reply and changes nothing. */
#ifndef GRIDCASE_H_INCLUDED
#define GRIDCASE_H_INCLUDED

#include "gridcase.pb-c.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Results of gridcase_call and gridcase_recv
#define GRIDCASE_OK 0
#define GRIDCASE_EREPLY 1       //  the daemon answered with an error (reply->error)
#define GRIDCASE_EUNREACHABLE 3 //  no reply within the timeout, after every retry
#define GRIDCASE_ELOCAL 4       //  the request could not be sent (see errno / log)
#define GRIDCASE_EQUEUED 5      //  no reply: the request waits in the outbox (gridcase_flush)
#define GRIDCASE_EBUSY 6        //  another flush of this outbox is under way
#define GRIDCASE_EOLD 7         //  the daemon is too old for this client (gridcase_server_info)

//  The wire protocol's revision this library speaks: raised when a request
//  or a field that clients rely on is added (2: ServerInfo). A daemon says
//  its own in ServerInfoReply.protocol.
#define GRIDCASE_PROTOCOL 2

typedef struct _gridcase_t gridcase_t;

//  The library's version ("0.2.0"), as gridcased --version prints the daemon's
const char *gridcase_version (void);

//  Connects a DEALER to ENDPOINT ("tcp://127.0.0.1:7570") as the client with
//  id CLIENT_ID (16 bytes), whose next request gets sequence FIRST_SEQUENCE.
gridcase_t *gridcase_new (const char *endpoint, const uint8_t *client_id, uint64_t first_sequence);
void gridcase_destroy (gridcase_t **self_p);

//  CURVE: encrypt and authenticate with this client's certificate (CERT_FILE,
//  as gridcase keygen writes it: NAME with NAME_secret beside it) and the
//  server's public key (40 characters of Z85). The daemon then knows the
//  client by its key; the actor it names is ignored. 0, or -1 if the
//  certificate or the key cannot be used.
int gridcase_set_curve (gridcase_t *self, const char *cert_file, const char *server_key);

//  In local mode the daemon takes the actor from the request
void gridcase_set_actor (gridcase_t *self, Gridcase__Role role, const char *id);
//  The sequence the next request gets (from gridcase_identity_reserve, when
//  several processes share one client id)
void gridcase_set_sequence (gridcase_t *self, uint64_t next);
//  Total time gridcase_call waits, across retries (default 10000 ms)
void gridcase_set_timeout (gridcase_t *self, int msecs);

//  Sends REQUEST (stamped with the client id, the next sequence and the actor)
//  and waits for its reply, resending the same request id while none comes.
//  On GRIDCASE_OK or GRIDCASE_EREPLY, *REPLY_P is the reply: free it with
//  gridcase__reply__free_unpacked (reply, NULL).
int gridcase_call (gridcase_t *self, Gridcase__Request *request, Gridcase__Reply **reply_p);

//  Asks the daemon what it is (ServerInfo) and checks that it speaks at
//  least protocol MIN_PROTOCOL. GRIDCASE_OK: *REPLY_P holds the answer
//  (reply->server_info; free it as gridcase_call's). GRIDCASE_EOLD: the
//  daemon is older, or older than ServerInfo itself; WHY (WHY_SIZE bytes)
//  says which version it is and what to upgrade. Otherwise gridcase_call's
//  results, with WHY set.
int gridcase_server_info (gridcase_t *self, uint32_t min_protocol, Gridcase__Reply **reply_p,
                          char *why, size_t why_size);

//  gridcase_call under the request id (CLIENT_ID, 16 bytes, and SEQUENCE)
//  instead of this client's own: for a request that brings its own id (an
//  HTTP Idempotency-Key), so that the daemon applies it once whoever sends
//  it again, and answers a different request under the same id with
//  conflict. Never through the outbox.
int gridcase_call_as (gridcase_t *self, const uint8_t *client_id, uint64_t sequence,
                      Gridcase__Request *request, Gridcase__Reply **reply_p);

//  Pipelining: send without waiting (returns the sequence used, 0 on error),
//  then collect replies in any order with gridcase_recv.
uint64_t gridcase_send (gridcase_t *self, Gridcase__Request *request);
//  Waits up to TIMEOUT ms (-1: forever) for any reply; GRIDCASE_EUNREACHABLE on timeout
int gridcase_recv (gridcase_t *self, Gridcase__Reply **reply_p, int timeout);

/*  The outbox: a field app's changing requests kept on the device until
    the daemon has answered them, for officers who work where there is no
    signal. It is a small LMDB environment in a directory of its own:

    - every changing request is written there, durably, with its request id
      (client id, sequence) before it is first sent, and taken out only when
      its reply has come: applied, or refused (the refusal is kept in the
      outbox's log for the officer to see);
    - after a crash or kill -9 of the app at any moment, what was written is
      still waiting or already answered: never lost, never sent with another
      id. A request sent again is the same bytes with the same id, which the
      daemon applies once;
    - waiting requests go out oldest first: a note made offline about a case
      reported offline (case_of: the report's sequence) arrives after it;
    - a refusal is final: stale (the case moved since the officer saw it,
      based_on), conflict (the id was used by another device or request) and
      every other refusal is logged, never retried, never shown as delivered;
      only storage trouble and busy (nothing was changed) are retried;
    - reads are never queued. */
typedef struct _gridcase_outbox_t gridcase_outbox_t;

//  Opens the outbox in directory DIR (created if missing); NULL on failure
//  with errno set
gridcase_outbox_t *gridcase_outbox_open (const char *dir);
void gridcase_outbox_close (gridcase_outbox_t **self_p);

//  SELF's changing requests go through OUTBOX (not owned; NULL: none):
//  gridcase_call queues the request, then flushes the outbox (unless an
//  earlier flush failed and its back-off has not run out); it returns the
//  request's reply when it came, and GRIDCASE_EQUEUED when it still waits
//  (the daemon is unreachable or busy, or the back-off runs).
void gridcase_set_outbox (gridcase_t *self, gridcase_outbox_t *outbox);

//  What gridcase_flush tells of each request answered: the request as it
//  was queued and the daemon's reply (an error reply: refused)
typedef void (gridcase_answered_fn) (const Gridcase__Request *request, const Gridcase__Reply *reply,
                                     void *arg);
//  Sends what waits in SELF's outbox, oldest first, pipelined, resending
//  the unanswered over a new connection until SELF's timeout, and stops
//  when none is answered in that time. GRIDCASE_OK when nothing waits any
//  more; GRIDCASE_EUNREACHABLE when some still do; GRIDCASE_EBUSY when a
//  flush of the same outbox is under way (in any process): two never run
//  at once; GRIDCASE_ELOCAL when the outbox cannot be read or written.
int gridcase_flush (gridcase_t *self, gridcase_answered_fn *answered, void *arg);
//  Milliseconds to wait before the next gridcase_flush: 0 after one that
//  emptied the outbox; after each one that did not, from 1 s doubling up to
//  5 min, with up to a quarter more or less of jitter (chosen when that
//  flush ended). The library never gives up on a request.
int gridcase_flush_delay (gridcase_t *self);

//  What the outbox holds, in the order it was queued: the requests waiting
//  and the answered ones it keeps (the last 1,000 delivered and the last
//  10,000 refused)
typedef struct {
    int64_t queued_at;   //  UTC ms
    int64_t answered_at; //  UTC ms; 0: still waiting
    Gridcase__Request *request;
    Gridcase__Reply *reply; //  NULL while waiting
} gridcase_outbox_item_t;
//  *ITEMS (COUNT of them): free with gridcase_outbox_items_free. 0 or -1.
int gridcase_outbox_items (gridcase_outbox_t *self, gridcase_outbox_item_t **items, size_t *count);
void gridcase_outbox_items_free (gridcase_outbox_item_t **items, size_t count);
//  How many requests wait
size_t gridcase_outbox_waiting (gridcase_outbox_t *self);

//  Reserves COUNT sequence numbers for the client whose state lives in
//  directory DIR (created if needed), creating its id on first use. Safe
//  against concurrent processes (the state file is locked). 0 or -1.
int gridcase_identity_reserve (const char *dir, uint8_t *client_id, uint64_t *first_sequence,
                               uint64_t count);

//  True for the operations that only read (get, list, journal, stats,
//  backup): never queued in an outbox, answered off the daemon's write path
bool gridcase_reads (const Gridcase__Request *request);

//  The operation's name as the protocol spells it: "report", "resolve_on_site"
const char *gridcase_op_name (const Gridcase__Request *request);
//  Where REQUEST's operation keeps the case it is about (its case_id), or
//  NULL when the operation names no case (report, and the reads but get)
char **gridcase_case_id_of (Gridcase__Request *request);

//  The short name of VALUE of enum DESC: "at_grid" for STATE_AT_GRID (the
//  prefix every value of the enum shares is left out); "" when unknown.
//  Every name below is one of these.
const char *gridcase_enum_name (const ProtobufCEnumDescriptor *desc, int value);
//  "unknown grid", ... and "red"/"at_grid"/"grid"/"reported"... for display
const char *gridcase_error_name (Gridcase__ErrorCode code);
const char *gridcase_severity_name (Gridcase__Severity severity);
const char *gridcase_state_name (Gridcase__State state);
const char *gridcase_level_name (Gridcase__Level level);
const char *gridcase_role_name (Gridcase__Role role);
const char *gridcase_event_name (Gridcase__EventType type);
//  The reverse, for parsing user input: 0 (unspecified) when unknown
Gridcase__Severity gridcase_severity_parse (const char *name);
Gridcase__Role gridcase_role_parse (const char *name);
Gridcase__State gridcase_state_parse (const char *name);
Gridcase__Level gridcase_level_parse (const char *name);

#ifdef __cplusplus
}
#endif

#endif
