/*  gridcase-gateway's calls to the daemon: each HTTP thread has its own
    libgridcase client (a DEALER), made at its first call, under the
    gateway's roster entry; and what a failed call becomes in HTTP. See
    gateway.h. */
#include "gateway.h"

#include <string.h>

#define GW_CALL_TIMEOUT 10000 //  ms a call waits for the daemon, resends included

static __thread gridcase_t *s_client;
//  Every thread's client, to close them all when the gateway stops
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zlistx_t *s_clients;

void
gw_daemon_close_all (void)
{
    pthread_mutex_lock (&s_lock);
    gridcase_t *client;
    while (s_clients && (client = (gridcase_t *)zlistx_detach (s_clients, NULL)))
        gridcase_destroy (&client);
    zlistx_destroy (&s_clients);
    pthread_mutex_unlock (&s_lock);
}

int
gw_daemon_call (gw_t *self, Gridcase__Request *request, const uint8_t *client_id,
                Gridcase__Reply **reply_p)
{
    *reply_p = NULL;
    if (!s_client) {
        //  A client id of its own for each thread and run: what the gateway
        //  sends without an Idempotency-Key is applied each time it is sent
        uint8_t own[16];
        zuuid_t *uuid = zuuid_new ();
        memcpy (own, zuuid_data (uuid), sizeof (own));
        zuuid_destroy (&uuid);
        s_client = gridcase_new (self->command, own, 1);
        if (!s_client)
            return GRIDCASE_ELOCAL;
        if (self->cert && gridcase_set_curve (s_client, self->cert, self->server_key)) {
            zsys_error ("cannot use the certificate %s for the daemon at %s", self->cert,
                        self->command);
            gridcase_destroy (&s_client);
            return GRIDCASE_ELOCAL;
        }
        gridcase_set_actor (s_client, GRIDCASE__ROLE__ROLE_GATEWAY, self->actor);
        gridcase_set_timeout (s_client, GW_CALL_TIMEOUT);
        pthread_mutex_lock (&s_lock);
        if (!s_clients)
            s_clients = zlistx_new ();
        zlistx_add_end (s_clients, s_client);
        pthread_mutex_unlock (&s_lock);
    }
    return client_id ? gridcase_call_as (s_client, client_id, 1, request, reply_p)
                     : gridcase_call (s_client, request, reply_p);
}

void
gw_daemon_error (int rc, const Gridcase__Reply *reply, gw_format_t format, gw_reply_t *out)
{
    if (rc != GRIDCASE_EREPLY || !reply || !reply->error) {
        gw_error (out, 503, format,
                  rc == GRIDCASE_EUNREACHABLE
                      ? "the case service does not answer now; nothing was done, try again later"
                      : "the gateway cannot reach the case service; try again later");
        return;
    }
    unsigned status = 400;
    switch (reply->error->code) {
        case GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE:
        case GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CATEGORY:
            status = 404;
            break;
        case GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED:
        case GRIDCASE__ERROR_CODE__ERROR_UNAUTHENTICATED:
        case GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR:
            status = 403;
            break;
        case GRIDCASE__ERROR_CODE__ERROR_CONFLICT:
            status = 409;
            break;
        case GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE:
            status = 413;
            break;
        case GRIDCASE__ERROR_CODE__ERROR_BUSY:
        case GRIDCASE__ERROR_CODE__ERROR_STORAGE:
        case GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL:
            status = 503;
            break;
        case GRIDCASE__ERROR_CODE__ERROR_INTERNAL:
        case GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED:
            status = 500;
            break;
        default:
            break;
    }
    char text[600];
    snprintf (text, sizeof (text), "%s: %s", gridcase_error_name (reply->error->code),
              reply->error->message);
    gw_error (out, status, format, text);
}

int
gw_journal_pages (gw_t *self, Gridcase__Actor *on_behalf, Gridcase__JournalRequest *query,
                  int max_pages, gw_page_fn *fn, void *arg, Gridcase__Reply **failed)
{
    *failed = NULL;
    uint64_t since = query->since;
    for (int page = 0; page < max_pages; page++) {
        Gridcase__Request call = GRIDCASE__REQUEST__INIT;
        call.on_behalf_of = on_behalf;
        call.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        call.journal = query;
        query->since = since;
        Gridcase__Reply *answer = NULL;
        int rc = self->call (self, &call, NULL, &answer);
        if (rc != GRIDCASE_OK || !answer->journal) {
            *failed = answer;
            return rc == GRIDCASE_OK ? GRIDCASE_EREPLY : rc;
        }
        const Gridcase__JournalReply *got = answer->journal;
        bool more = fn (got, arg);
        //  A filtered read says how far it looked when it found nothing more
        uint64_t next = got->n_entries ? got->entries[got->n_entries - 1]->seq : since;
        if (got->scanned_to > next)
            next = got->scanned_to;
        bool done = !more || next <= since || next >= got->last_seq;
        since = next;
        gridcase__reply__free_unpacked (answer, NULL);
        if (done)
            break;
    }
    return GRIDCASE_OK;
}
