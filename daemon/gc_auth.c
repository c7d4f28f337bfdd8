/*  gc_auth - the ZAP handler (ZeroMQ RFC 27). See gc_auth.h. */
#include "gc_auth.h"
#include "gc_util.h"

#include <sys/stat.h>
#include <unistd.h>

//  Refusals logged at most this often; the others are counted in the next line
#define GC_AUTH_LOG_MS 1000

struct _gc_auth_t {
    gc_config_t *config;
    zsock_t *handler;
    int64_t logged_at; //  when the last refusal was logged
    uint64_t unlogged; //  refusals since, not logged
};

gc_auth_t *
gc_auth_new (gc_config_t *config)
{
    zsock_t *handler = zsock_new (ZMQ_REP);
    if (!handler || zsock_bind (handler, "inproc://zeromq.zap.01") < 0) {
        zsys_error ("cannot take the ZAP endpoint: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&handler);
        return NULL;
    }
    gc_auth_t *self = (gc_auth_t *)zmalloc (sizeof (gc_auth_t));
    self->config = config;
    self->handler = handler;
    return self;
}

void
gc_auth_destroy (gc_auth_t **self_p)
{
    gc_auth_t *self = *self_p;
    if (self) {
        zsock_destroy (&self->handler);
        free (self);
        *self_p = NULL;
    }
}

zsock_t *
gc_auth_socket (gc_auth_t *self)
{
    return self->handler;
}

static void
s_refused (gc_auth_t *self, const char *key, const char *address, const char *why)
{
    int64_t now = zclock_mono ();
    if (self->logged_at && now - self->logged_at < GC_AUTH_LOG_MS) {
        self->unlogged++;
        return;
    }
    if (self->unlogged)
        zsys_warning ("refused a client %s%s from %s: %s (and %" PRIu64
                      " more refusals in the last second, not logged one by one)",
                      *key ? "with key " : "", key, address, why, self->unlogged);
    else
        zsys_warning ("refused a client %s%s from %s: %s", *key ? "with key " : "", key, address,
                      why);
    self->logged_at = now;
    self->unlogged = 0;
}

bool
gc_auth_handle (gc_auth_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return false;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *credentials = zmsg_pop (request);
    char key[41] = "";
    const char *status = "400", *why = "only CURVE clients are served";
    if (mechanism && streq (mechanism, "CURVE") && credentials && zframe_size (credentials) == 32) {
        zmq_z85_encode (key, zframe_data (credentials), 32);
        if (gc_config_actor_by_key (self->config, key))
            status = "200";
        else
            why = "this key is not in the roster";
    }
    if (*status != '2')
        s_refused (self, key, address ? address : "?", why);
    //  The reply: version, sequence, status, text, user id, metadata
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence ? sequence : "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, *status == '2' ? "OK" : why);
    zmsg_addstr (reply, *status == '2' ? key : "");
    zmsg_addmem (reply, NULL, 0);
    zmsg_send (&reply, self->handler);
    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&credentials);
    zmsg_destroy (&request);
    return *status != '2';
}

//  --------------------------------------------------------------------------
//  The server's certificate

//  The server's certificate: under systemd, LoadCredential= puts the key
//  files (read by systemd as root) where the service's own user can read
//  them, $CREDENTIALS_DIRECTORY; a certificate of the same name there wins
static void
s_server_cert_path (const char *configured, char *path, size_t size)
{
    const char *credentials = getenv ("CREDENTIALS_DIRECTORY");
    const char *base = strrchr (configured, '/');
    base = base ? base + 1 : configured;
    if (credentials && *credentials) {
        snprintf (path, size, "%s/%s_secret", credentials, base);
        if (access (path, R_OK) == 0) {
            snprintf (path, size, "%s/%s", credentials, base);
            return;
        }
    }
    snprintf (path, size, "%s", configured);
}

//  Why the certificate PATH (and PATH_secret) did not load, in words an
//  operator can act on: which file, its mode and owner, who the daemon is
static void
s_server_cert_why (const char *path, char *why, size_t size)
{
    char secret[PATH_MAX + 8];
    snprintf (secret, sizeof (secret), "%s_secret", path);
    struct stat info;
    const char *missing = stat (path, &info) != 0     ? path
                          : stat (secret, &info) != 0 ? secret
                                                      : NULL;
    if (missing)
        snprintf (why, size,
                  "cannot load the server certificate: %s does not exist (gridcase keygen NAME "
                  "writes NAME and NAME_secret; server_cert names NAME)",
                  missing);
    else if (access (secret, R_OK) != 0)
        snprintf (why, size,
                  "cannot read the server's secret key %s: mode %04o, owner uid %u gid %u, "
                  "and gridcased runs as uid %u gid %u; make it readable by the daemon's user "
                  "(under systemd: LoadCredential=, see the README)",
                  secret, (unsigned)(info.st_mode & 07777), (unsigned)info.st_uid,
                  (unsigned)info.st_gid, (unsigned)geteuid (), (unsigned)getegid ());
    else
        snprintf (why, size,
                  "cannot load the server certificate %s with its secret key %s: not a "
                  "certificate written by gridcase keygen",
                  path, secret);
}

zcert_t *
gc_auth_server_cert (const char *configured, char *why, size_t why_size)
{
    char path[PATH_MAX];
    s_server_cert_path (configured, path, sizeof (path));
    zcert_t *cert = zcert_load (path);
    if (!cert || zmq_z85_decode ((uint8_t[32]){0}, zcert_secret_txt (cert)) == NULL ||
        streq (zcert_secret_txt (cert), "0000000000000000000000000000000000000000")) {
        zcert_destroy (&cert);
        s_server_cert_why (path, why, why_size);
    }
    return cert;
}
