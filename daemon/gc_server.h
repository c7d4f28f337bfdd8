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
    bool failed;    //  out: it could not start ...
    char why[8704]; //  ... for this reason (which file or endpoint)
} gc_server_args_t;

//  zactor body (zactor_new (gc_server_actor, &args)): it opens the store,
//  binds both sockets and starts its readers, and only then signals, once;
//  zactor_new has returned when ARGS->failed and ARGS->why say how that
//  went. It then serves until "$TERM"; the main thread blocks on its pipe
//  meanwhile.
void gc_server_actor (zsock_t *pipe, void *args);

#endif
