/*  gc_server - the socket front, as a zactor: the ROUTER command socket and
    the PUB events socket, group commit of every request that arrived
    together, replies only after the commit, notices after the replies. */
#ifndef GC_SERVER_H_INCLUDED
#define GC_SERVER_H_INCLUDED

#include "gc_config.h"
#include <czmq.h>

typedef struct {
    gc_config_t *config; //  endpoints, datadir and map sizes as finally chosen
    bool verbose;
} gc_server_args_t;

//  zactor body: after start-up it sends "READY" or "FAILED <why>" on PIPE,
//  then serves until it receives "$TERM".
void gc_server_actor (zsock_t *pipe, void *args);

#endif
