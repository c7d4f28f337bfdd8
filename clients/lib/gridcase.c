/*  libgridcase - the client library. See include/gridcase.h. */
#include "lib.h"

#include <errno.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <sys/file.h>

static zsock_t *
s_connect (const char *endpoint, zcert_t *cert, const char *server_key)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    if (cert) {
        zcert_apply (cert, dealer);
        zsock_set_curve_serverkey (dealer, server_key);
    }
    zsock_set_linger (dealer, 0);
    zsock_set_sndhwm (dealer, 100000);
    zsock_set_rcvhwm (dealer, 100000);
    if (zsock_connect (dealer, "%s", endpoint) < 0) {
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
}

gridcase_t *
gridcase_new (const char *endpoint, const uint8_t *client_id, uint64_t first_sequence)
{
    gridcase_t *self = (gridcase_t *)zmalloc (sizeof (gridcase_t));
    self->endpoint = strdup (endpoint);
    self->dealer = s_connect (endpoint, NULL, NULL);
    if (!self->dealer) {
        gridcase_destroy (&self);
        return NULL;
    }
    memcpy (self->client_id, client_id, 16);
    self->sequence = first_sequence ? first_sequence : 1;
    self->timeout = 10000;
    return self;
}

void
gridcase_destroy (gridcase_t **self_p)
{
    gridcase_t *self = *self_p;
    if (self) {
        zsock_destroy (&self->dealer);
        zcert_destroy (&self->cert);
        free (self->server_key);
        free (self->endpoint);
        free (self->actor);
        free (self);
        *self_p = NULL;
    }
}

int
gridcase_set_curve (gridcase_t *self, const char *cert_file, const char *server_key)
{
    zcert_t *cert = zcert_load (cert_file);
    uint8_t binary[32];
    if (!cert || strlen (server_key) != 40 || !zmq_z85_decode (binary, server_key)) {
        zcert_destroy (&cert);
        return -1;
    }
    zcert_destroy (&self->cert);
    free (self->server_key);
    self->cert = cert;
    self->server_key = strdup (server_key);
    zsock_destroy (&self->dealer);
    self->dealer = s_connect (self->endpoint, self->cert, self->server_key);
    return self->dealer ? 0 : -1;
}

void
gridcase_set_actor (gridcase_t *self, Gridcase__Role role, const char *id)
{
    self->role = role;
    free (self->actor);
    self->actor = id ? strdup (id) : NULL;
}

void
gridcase_set_sequence (gridcase_t *self, uint64_t next)
{
    self->sequence = next ? next : 1;
}

void
gridcase_set_timeout (gridcase_t *self, int msecs)
{
    self->timeout = msecs;
}

zframe_t *
lib_pack (gridcase_t *self, Gridcase__Request *request)
{
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    Gridcase__Actor *saved = request->actor;
    if (self->actor && !request->actor) {
        actor.role = self->role;
        actor.id = self->actor;
        request->actor = &actor;
    }
    request->client_id.data = self->client_id;
    request->client_id.len = 16;
    size_t size = gridcase__request__get_packed_size (request);
    zframe_t *frame = zframe_new (NULL, size);
    gridcase__request__pack (request, zframe_data (frame));
    request->actor = saved;
    return frame;
}

int
lib_send (gridcase_t *self, const void *data, size_t size)
{
    zframe_t *frame = zframe_new (data, size);
    return zframe_send (&frame, self->dealer, 0);
}

int
lib_reconnect (gridcase_t *self)
{
    zsock_destroy (&self->dealer);
    self->dealer = s_connect (self->endpoint, self->cert, self->server_key);
    return self->dealer ? 0 : -1;
}

static int
s_send (gridcase_t *self, Gridcase__Request *request)
{
    zframe_t *frame = lib_pack (self, request);
    return zframe_send (&frame, self->dealer, 0);
}

uint64_t
gridcase_send (gridcase_t *self, Gridcase__Request *request)
{
    request->sequence = self->sequence++;
    return s_send (self, request) == 0 ? request->sequence : 0;
}

int
gridcase_recv (gridcase_t *self, Gridcase__Reply **reply_p, int timeout)
{
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    void *which = zpoller_wait (poller, timeout);
    zpoller_destroy (&poller);
    if (!which)
        return GRIDCASE_EUNREACHABLE;
    zframe_t *frame = zframe_recv (self->dealer);
    if (!frame)
        return GRIDCASE_EUNREACHABLE;
    Gridcase__Reply *reply =
        gridcase__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zframe_destroy (&frame);
    if (!reply)
        return GRIDCASE_ELOCAL;
    *reply_p = reply;
    return reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? GRIDCASE_EREPLY : GRIDCASE_OK;
}

int
gridcase_call (gridcase_t *self, Gridcase__Request *request, Gridcase__Reply **reply_p)
{
    if (self->outbox_call)
        return self->outbox_call (self, request, reply_p);
    return lib_call (self, request, reply_p);
}

int
gridcase_server_info (gridcase_t *self, uint32_t min_protocol, Gridcase__Reply **reply_p, char *why,
                      size_t why_size)
{
    Gridcase__ServerInfoRequest info = GRIDCASE__SERVER_INFO_REQUEST__INIT;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_SERVER_INFO;
    request.server_info = &info;
    //  Never through the outbox: a question for the daemon now
    int rc = lib_call (self, &request, reply_p);
    Gridcase__Reply *reply = *reply_p;
    if (rc == GRIDCASE_EREPLY && reply->error->code == GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST) {
        //  A daemon from before ServerInfo finds no operation it knows
        snprintf (why, why_size,
                  "the daemon at %s is older than gridcase 0.2 (it does not answer ServerInfo); "
                  "this client (libgridcase %s) needs protocol %u or later: upgrade gridcased",
                  self->endpoint, GC_VERSION, min_protocol);
        rc = GRIDCASE_EOLD;
    } else if (rc == GRIDCASE_EREPLY)
        snprintf (why, why_size, "the daemon at %s refused ServerInfo: %s", self->endpoint,
                  reply->error->message);
    else if (rc == GRIDCASE_OK && (reply->result_case != GRIDCASE__REPLY__RESULT_SERVER_INFO ||
                                   reply->server_info->protocol < min_protocol)) {
        bool info_given = reply->result_case == GRIDCASE__REPLY__RESULT_SERVER_INFO;
        snprintf (why, why_size,
                  "the daemon at %s is gridcased %s, protocol %u; this client (libgridcase %s) "
                  "needs protocol %u or later: upgrade gridcased",
                  self->endpoint, info_given ? reply->server_info->version : "?",
                  info_given ? reply->server_info->protocol : 0, GC_VERSION, min_protocol);
        rc = GRIDCASE_EOLD;
    } else if (rc != GRIDCASE_OK)
        snprintf (why, why_size, "no answer from the daemon at %s", self->endpoint);
    if (rc == GRIDCASE_EOLD) {
        gridcase__reply__free_unpacked (reply, NULL);
        *reply_p = NULL;
    }
    return rc;
}

int
lib_call (gridcase_t *self, Gridcase__Request *request, Gridcase__Reply **reply_p)
{
    *reply_p = NULL;
    request->sequence = self->sequence++;
    int64_t deadline = zclock_mono () + self->timeout;
    int attempt_timeout = 1000;
    if (s_send (self, request))
        return GRIDCASE_ELOCAL;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return GRIDCASE_EUNREACHABLE;
        int wait = attempt_timeout < left ? attempt_timeout : (int)left;
        Gridcase__Reply *reply = NULL;
        int rc = gridcase_recv (self, &reply, wait);
        if (rc == GRIDCASE_OK || rc == GRIDCASE_EREPLY) {
            //  A reply to this request, or an error the daemon could not tie
            //  to any request (it did not decode): both answer this call
            bool ours =
                reply->sequence == request->sequence &&
                reply->client_id.len == sizeof (self->client_id) &&
                memcmp (reply->client_id.data, self->client_id, sizeof (self->client_id)) == 0;
            if (ours || reply->sequence == 0) {
                *reply_p = reply;
                return rc;
            }
            gridcase__reply__free_unpacked (reply, NULL); //  late reply to an earlier call
            continue;
        }
        if (rc == GRIDCASE_ELOCAL)
            continue;
        //  No reply in time: reconnect (dropping what is queued) and resend
        //  the same request id; the daemon will not apply it twice
        if (lib_reconnect (self) || s_send (self, request))
            return GRIDCASE_ELOCAL;
        if (attempt_timeout < 4000)
            attempt_timeout *= 2;
    }
}

int
gridcase_call_as (gridcase_t *self, const uint8_t *client_id, uint64_t sequence,
                  Gridcase__Request *request, Gridcase__Reply **reply_p)
{
    uint8_t own_id[sizeof (self->client_id)];
    memcpy (own_id, self->client_id, sizeof (own_id));
    uint64_t own_sequence = self->sequence;
    memcpy (self->client_id, client_id, sizeof (self->client_id));
    self->sequence = sequence;
    int rc = lib_call (self, request, reply_p);
    memcpy (self->client_id, own_id, sizeof (own_id));
    self->sequence = own_sequence;
    return rc;
}

//  Creates DIR and its parents; one made meanwhile by another process (the
//  first use of a state directory from many processes at once) is fine
static int
s_mkdir_p (const char *dir)
{
    char path[1024];
    if (snprintf (path, sizeof (path), "%s", dir) >= (int)sizeof (path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *slash = path + 1; *slash; slash++)
        if (*slash == '/') {
            *slash = 0;
            if (mkdir (path, 0700) && errno != EEXIST)
                return -1;
            *slash = '/';
        }
    if (mkdir (path, 0700) && errno != EEXIST)
        return -1;
    return 0;
}

int
gridcase_identity_reserve (const char *dir, uint8_t *client_id, uint64_t *first_sequence,
                           uint64_t count)
{
    if (s_mkdir_p (dir))
        return -1;
    char path[1024];
    snprintf (path, sizeof (path), "%s/client", dir);
    int fd = open (path, O_RDWR | O_CREAT, 0600);
    if (fd < 0)
        return -1;
    if (flock (fd, LOCK_EX)) {
        close (fd);
        return -1;
    }
    //  The file holds "<32 hex digits> <next sequence>\n"
    char text[128] = "";
    ssize_t size = read (fd, text, sizeof (text) - 1);
    text[size > 0 ? size : 0] = 0;
    char hex[33];
    unsigned long long next = 0;
    bool valid = sscanf (text, "%32s %llu", hex, &next) == 2 && strlen (hex) == 32 && next > 0;
    for (int i = 0; valid && i < 16; i++) {
        unsigned byte;
        valid = sscanf (hex + 2 * i, "%2x", &byte) == 1;
        client_id[i] = (uint8_t)byte;
    }
    if (!valid) {
        //  A new client: 16 random bytes
        int random = open ("/dev/urandom", O_RDONLY);
        valid = random >= 0 && read (random, client_id, 16) == 16;
        if (random >= 0)
            close (random);
        next = 1;
    }
    int rc = -1;
    if (valid) {
        *first_sequence = next;
        for (int i = 0; i < 16; i++)
            snprintf (hex + 2 * i, 3, "%02x", client_id[i]);
        int len =
            snprintf (text, sizeof (text), "%s %llu\n", hex, (unsigned long long)(next + count));
        if (lseek (fd, 0, SEEK_SET) == 0 && ftruncate (fd, 0) == 0 &&
            write (fd, text, (size_t)len) == len && fsync (fd) == 0)
            rc = 0;
    }
    flock (fd, LOCK_UN);
    close (fd);
    return rc;
}
