/*  gc_auth - the ZAP handler for CURVE: a client's key is let in when the
    roster holds it (its user id is then the key, in Z85), refused
    otherwise. Every refusal is counted and logged with the key and the
    peer's address, at most one line a second. */
#ifndef GC_AUTH_H_INCLUDED
#define GC_AUTH_H_INCLUDED

#include "gc_config.h"
#include <czmq.h>

typedef struct _gc_auth_t gc_auth_t;

//  Binds the process's ZAP endpoint; NULL if another handler holds it
gc_auth_t *gc_auth_new (gc_config_t *config);
void gc_auth_destroy (gc_auth_t **self_p);
//  The socket ZAP requests arrive on: call gc_auth_handle when it is readable
zsock_t *gc_auth_socket (gc_auth_t *self);
//  Answers one ZAP request; true if it refused the client
bool gc_auth_handle (gc_auth_t *self);

//  The server's certificate with its secret key, from CONFIGURED (the
//  config's server_cert) or, under systemd, the file of the same name in
//  $CREDENTIALS_DIRECTORY (LoadCredential=). NULL with WHY saying which
//  file, its mode and owner, and what the daemon needs.
zcert_t *gc_auth_server_cert (const char *configured, char *why, size_t why_size);

#endif
