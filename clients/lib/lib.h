/*  libgridcase's insides, shared by its files (not installed). */
#ifndef GRIDCASE_LIB_H_INCLUDED
#define GRIDCASE_LIB_H_INCLUDED

#include "gridcase.h"

#include <czmq.h>

struct _gridcase_t {
    char *endpoint;
    zsock_t *dealer;
    zcert_t *cert;    //  CURVE: this client's certificate, or NULL
    char *server_key; //  CURVE: the server's public key (Z85)
    uint8_t client_id[16];
    uint64_t sequence; //  the next one to use
    Gridcase__Role role;
    char *actor;
    int timeout;
    gridcase_outbox_t *outbox; //  changing requests wait here until answered (not owned)
    //  How gridcase_call sends a changing request through the outbox (set
    //  with it, so that a program without an outbox links no LMDB)
    int (*outbox_call) (gridcase_t *self, Gridcase__Request *request, Gridcase__Reply **reply_p);
    int flush_failures;        //  flushes in a row that left requests waiting
    int flush_delay;           //  ... and how long to wait after the last of them, ms
    int64_t flush_after;       //  gridcase_call flushes from then on (zclock_mono)
};

//  REQUEST stamped with this client's id and actor, packed (its sequence as set)
zframe_t *lib_pack (gridcase_t *self, Gridcase__Request *request);
//  Sends one packed request; 0 or -1
int lib_send (gridcase_t *self, const void *data, size_t size);
//  gridcase_call without the outbox
int lib_call (gridcase_t *self, Gridcase__Request *request, Gridcase__Reply **reply_p);
//  A new connection: what the old one had queued is dropped; 0 or -1
int lib_reconnect (gridcase_t *self);

#endif
