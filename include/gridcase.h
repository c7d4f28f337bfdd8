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

typedef struct _gridcase_t gridcase_t;

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

//  Pipelining: send without waiting (returns the sequence used, 0 on error),
//  then collect replies in any order with gridcase_recv.
uint64_t gridcase_send (gridcase_t *self, Gridcase__Request *request);
//  Waits up to TIMEOUT ms (-1: forever) for any reply; GRIDCASE_EUNREACHABLE on timeout
int gridcase_recv (gridcase_t *self, Gridcase__Reply **reply_p, int timeout);

//  Reserves COUNT sequence numbers for the client whose state lives in
//  directory DIR (created if needed), creating its id on first use. Safe
//  against concurrent processes (the state file is locked). 0 or -1.
int gridcase_identity_reserve (const char *dir, uint8_t *client_id, uint64_t *first_sequence,
                               uint64_t count);

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
