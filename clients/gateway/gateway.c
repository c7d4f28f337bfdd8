/*  gridcase-gateway - the HTTP door: options, the city's config and its
    gateway section, the HTTP server (libmicrohttpd) and the routes. See
    gateway.h. */
#include "gateway.h"
#include "gc_util.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GW_LISTEN_DEFAULT "127.0.0.1:7580"

static const char *s_usage =
    "usage: gridcase-gateway -c CONFIG [--listen ADDR:PORT] [--command ENDPOINT]\n"
    "                        [--events ENDPOINT]\n"
    "  -c, --config FILE      the city's config (its gateway section: listen, command,\n"
    "                         events, actor, cert, server_key, threads,\n"
    "                         tls_cert, tls_key, behind_tls_proxy, web_root)\n"
    "      --listen ADDR:PORT where HTTP is served (default " GW_LISTEN_DEFAULT ")\n"
    "      --command ENDPOINT the daemon's command socket (default the config's)\n"
    "      --events ENDPOINT  the daemon's events socket (default the config's)\n"
    "      --version          prints the version\n"
    "Serves Open311 GeoReport v2 under /open311/v2/, metrics at /metrics and the\n"
    "supervisors' page at / (sign in at /login).\n";

#define GW_BODY_MAX (64 * 1024) //  a POST's form at most, names and values

//  One HTTP request while it arrives
typedef struct {
    gw_request_t request;
    struct MHD_PostProcessor *post;
    char *store; //  the form's names and values (GW_BODY_MAX bytes)
    size_t used;
    bool writing;   //  the last field's value is being written at USED
    bool too_large; //  the form did not fit
    bool bad_body;  //  a body that is not a form
} state_t;

static enum MHD_Result
s_query_arg (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    gw_request_t *request = (gw_request_t *)cls;
    if (request->args == GW_ARGS_MAX) {
        request->too_many = true;
        return MHD_NO;
    }
    request->arg[request->args].name = key;
    request->arg[request->args].value = value ? value : "";
    request->args++;
    return MHD_YES;
}

//  A piece of a form field: the start of a new one (OFF 0) or more of the last
static enum MHD_Result
s_form_arg (void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
            const char *content_type, const char *transfer_encoding, const char *data, uint64_t off,
            size_t size)
{
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)transfer_encoding;
    state_t *state = (state_t *)cls;
    gw_request_t *request = &state->request;
    if (off == 0) {
        //  The last value's terminator stays
        if (state->writing)
            state->used++;
        state->writing = false;
        size_t key_size = strlen (key) + 1;
        if (request->args == GW_ARGS_MAX) {
            request->too_many = true;
            return MHD_NO;
        }
        if (state->used + key_size + size + 1 > GW_BODY_MAX) {
            state->too_large = true;
            return MHD_NO;
        }
        memcpy (state->store + state->used, key, key_size);
        request->arg[request->args].name = state->store + state->used;
        state->used += key_size;
        request->arg[request->args].value = state->store + state->used;
        request->args++;
        state->writing = true;
    } else if (state->used + size + 1 > GW_BODY_MAX || !state->writing) {
        state->too_large = true;
        return MHD_NO;
    }
    //  The value being written is always the last thing in the store
    memcpy (state->store + state->used, data, size);
    state->used += size;
    state->store[state->used] = 0;
    return MHD_YES;
}

//  libmicrohttpd's own messages (a client that went away mid-answer, ...)
//  in the gateway's log
static void
s_http_log (void *cls, const char *format, va_list args)
{
    (void)cls;
    char text[512];
    vsnprintf (text, sizeof (text), format, args);
    text[strcspn (text, "\n")] = 0;
    zsys_info ("http: %s", text);
}

//  A live stream: what it has, or nothing yet (the connection waits), or
//  its end
static ssize_t
s_stream_read (void *cls, uint64_t pos, char *buffer, size_t max)
{
    (void)pos;
    long got = gw_feed_read ((gw_stream_t *)cls, buffer, max);
    return got < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)got;
}

static void
s_stream_free (void *cls)
{
    gw_feed_close ((gw_stream_t *)cls);
}

static void
s_done (void *cls, struct MHD_Connection *connection, void **state_p,
        enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)connection;
    (void)code;
    state_t *state = (state_t *)*state_p;
    if (state) {
        if (state->post)
            MHD_destroy_post_processor (state->post);
        free (state->store);
        free (state);
        *state_p = NULL;
    }
}

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **state_p)
{
    (void)version;
    state_t *state = (state_t *)*state_p;
    if (!state) {
        //  The first call only says a request began (its body, if any, follows)
        state = (state_t *)calloc (1, sizeof (state_t));
        if (!state)
            return MHD_NO;
        *state_p = state;
        state->request.method = method;
        state->request.url = url;
        MHD_get_connection_values (connection, MHD_GET_ARGUMENT_KIND, s_query_arg, &state->request);
        if (strcmp (method, "POST") == 0) {
            state->store = (char *)malloc (GW_BODY_MAX);
            state->post = state->store
                              ? MHD_create_post_processor (connection, 16 * 1024, s_form_arg, state)
                              : NULL;
            //  A body that is not a form (or none at all) is refused below
            state->bad_body = !state->post;
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (state->post && !state->too_large && !state->request.too_many &&
            MHD_post_process (state->post, upload_data, *upload_data_size) != MHD_YES &&
            !state->too_large && !state->request.too_many)
            state->bad_body = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    int64_t start = zclock_usecs ();
    gw_reply_t reply;
    memset (&reply, 0, sizeof (reply));
    const char *route = "unknown";
    //  A body that could not be read is refused by the endpoint that takes one
    if (state->too_large) {
        state->request.body_status = 413;
        state->request.body_why = "the form is larger than 64 KiB";
    } else if (state->bad_body) {
        state->request.body_status = 400;
        state->request.body_why =
            "the body is a form: application/x-www-form-urlencoded or multipart/form-data";
    }
    gw_request_t *request = &state->request;
    request->idempotency_key =
        MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Idempotency-Key");
    request->cookie = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Cookie");
    request->origin = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Origin");
    request->host = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Host");
    request->accept_encoding =
        MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Accept-Encoding");
    request->connection = connection;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info && info->client_addr && info->client_addr->sa_family == AF_INET)
        inet_ntop (AF_INET, &((const struct sockaddr_in *)info->client_addr)->sin_addr,
                   request->address, sizeof (request->address));
    route = gw_route ((gw_t *)cls, request, &reply);
    //  A live stream is read as it comes; a reply that could not be written
    //  (out of memory) goes out empty
    struct MHD_Response *response =
        reply.stream ? MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096, s_stream_read,
                                                          reply.stream, s_stream_free)
        : reply.body
            ? MHD_create_response_from_buffer (reply.size, reply.body, MHD_RESPMEM_MUST_FREE)
            : MHD_create_response_from_buffer (0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!response && reply.stream)
        gw_feed_close (reply.stream);
    if (!response) {
        free (reply.body);
        return MHD_NO; //  the connection is closed
    }
    if (!reply.type)
        reply.type = "text/plain; charset=utf-8";
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.type);
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Referrer-Policy", "same-origin");
    MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL,
                             reply.cache ? reply.cache : "no-store");
    if (strncmp (reply.type, "text/html", 9) == 0) {
        //  The page runs only its own scripts: a case title is never code
        MHD_add_response_header (response, "Content-Security-Policy",
                                 "default-src 'self'; script-src 'self'; style-src 'self'; "
                                 "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                                 "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
        MHD_add_response_header (response, "X-Frame-Options", "DENY");
    }
    if (reply.location)
        MHD_add_response_header (response, MHD_HTTP_HEADER_LOCATION, reply.location);
    if (*reply.cookie)
        MHD_add_response_header (response, MHD_HTTP_HEADER_SET_COOKIE, reply.cookie);
    if (reply.encoding) {
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_ENCODING, reply.encoding);
        MHD_add_response_header (response, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    }
    if (reply.disposition)
        MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_DISPOSITION, reply.disposition);
    if (reply.status == 503)
        MHD_add_response_header (response, MHD_HTTP_HEADER_RETRY_AFTER, "5");
    enum MHD_Result result = MHD_queue_response (connection, reply.status, response);
    MHD_destroy_response (response);
    gw_metrics_count (route, reply.status, (double)(zclock_usecs () - start) / 1e6);
    return result;
}

//  The PEM file NAME (relative to the directory of config FILE) as a
//  string; NULL when NAME is NULL or it cannot be read (logged)
static char *
s_pem (const char *file, const char *name)
{
    if (!name)
        return NULL;
    char path[1024];
    const char *slash = strrchr (file, '/');
    if (name[0] == '/' || !slash)
        snprintf (path, sizeof (path), "%s", name);
    else
        snprintf (path, sizeof (path), "%.*s/%s", (int)(slash - file), file, name);
    zchunk_t *chunk = zchunk_slurp (path, 1 << 20);
    char *text = chunk ? zchunk_strdup (chunk) : NULL;
    zchunk_destroy (&chunk);
    if (!text || !strstr (text, "-----BEGIN ")) {
        zsys_error ("cannot read %s as a PEM file (named in the gateway section of %s)", path,
                    file);
        free (text);
        return NULL;
    }
    return text;
}

//  ADDR:PORT into ADDRESS; false when it is not one
static bool
s_listen_address (const char *text, struct sockaddr_in *address)
{
    char host[64];
    int port = 0, used = 0;
    if (sscanf (text, "%63[^:]:%d%n", host, &port, &used) != 2 || text[used] || port <= 0 ||
        port > 65535)
        return false;
    memset (address, 0, sizeof (*address));
    address->sin_family = AF_INET;
    address->sin_port = htons ((uint16_t)port);
    if (strcmp (host, "localhost") == 0)
        snprintf (host, sizeof (host), "127.0.0.1");
    return inet_pton (AF_INET, host, &address->sin_addr) == 1;
}

//  The daemon must be new enough for this gateway: -1 (logged) when it says
//  it is older; one that does not answer yet is only warned of
static int
s_daemon_check (gw_t *gateway)
{
    uint8_t id[16];
    zuuid_t *uuid = zuuid_new ();
    memcpy (id, zuuid_data (uuid), sizeof (id));
    zuuid_destroy (&uuid);
    gridcase_t *client = gridcase_new (gateway->command, id, 1);
    if (!client ||
        (gateway->cert && gridcase_set_curve (client, gateway->cert, gateway->server_key))) {
        gridcase_destroy (&client);
        zsys_error ("cannot connect to the daemon at %s%s%s", gateway->command,
                    gateway->cert ? " with the certificate " : "",
                    gateway->cert ? gateway->cert : "");
        return -1;
    }
    gridcase_set_actor (client, GRIDCASE__ROLE__ROLE_GATEWAY, gateway->actor);
    gridcase_set_timeout (client, 2000);
    Gridcase__Reply *reply = NULL;
    char why[512];
    int rc = gridcase_server_info (client, GRIDCASE_PROTOCOL, &reply, why, sizeof (why));
    if (rc == GRIDCASE_OK)
        zsys_notice ("the daemon at %s is gridcased %s (protocol %u) for %s", gateway->command,
                     reply->server_info->version, reply->server_info->protocol,
                     reply->server_info->city);
    else if (rc == GRIDCASE_EOLD)
        zsys_error ("%s", why);
    else
        zsys_warning ("%s: requests get 503 until it answers", why);
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    gridcase_destroy (&client);
    return rc == GRIDCASE_EOLD ? -1 : 0;
}

//  SIGHUP (systemctl reload): the roster again, for api keys and web
//  passwords; a file with a mistake changes nothing
static void
s_reload (gc_config_t *city)
{
    sd_notify (0, "RELOADING=1");
    gc_config_t *fresh = gc_config_load (city->file);
    char why[512] = "the config has the mistakes above";
    if (fresh && gc_config_take_roster (city, &fresh, why, sizeof (why)) == 0)
        zsys_notice ("roster reloaded from %s: api keys and web passwords apply from the next "
                     "request on",
                     city->file);
    else {
        gc_config_destroy (&fresh);
        zsys_error ("reload refused, the roster in use stays: config %s: %s", city->file, why);
    }
    sd_notify (0, "READY=1");
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    zsys_set_logident ("gridcase-gateway");
    zsys_set_logstream (stderr); //  stdout is for what is asked for (--version, -h)
    const char *file = NULL, *listen = NULL, *command = NULL, *events = NULL;
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"listen", required_argument, NULL, 'l'},
                                            {"command", required_argument, NULL, 'C'},
                                            {"events", required_argument, NULL, 'E'},
                                            {"help", no_argument, NULL, 'h'},
                                            {"version", no_argument, NULL, 'V'},
                                            {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long (argc, argv, "c:h", options, NULL)) != -1) {
        if (opt == 'c')
            file = optarg;
        else if (opt == 'l')
            listen = optarg;
        else if (opt == 'C')
            command = optarg;
        else if (opt == 'E')
            events = optarg;
        else if (opt == 'h')
            return fputs (s_usage, stdout), 0;
        else if (opt == 'V')
            return printf ("gridcase-gateway %s\n", GC_VERSION), 0;
        else
            return fputs (s_usage, stderr), 2;
    }
    if (!file || optind < argc)
        return fputs (s_usage, stderr), 2;
    //  The same strict reading as the daemon's: a typo stops it with its line
    gc_config_t *city = gc_config_load (file);
    if (!city)
        return 1;
    setenv ("TZ", city->timezone, 1);
    tzset ();
    zconfig_t *root = zconfig_load (file);
    if (!listen)
        listen = zconfig_get (root, "gateway/listen", GW_LISTEN_DEFAULT);
    if (!command)
        command = zconfig_get (root, "gateway/command", city->command);
    if (!events)
        events = zconfig_get (root, "gateway/events", city->events);
    const char *actor = zconfig_get (root, "gateway/actor", "gateway");
    const char *cert = zconfig_get (root, "gateway/cert", NULL);
    //  Under systemd the certificate may come as credentials (LoadCredential=
    //  NAME and NAME_secret): a bare name is looked up there first
    char credential[1024];
    const char *credentials = getenv ("CREDENTIALS_DIRECTORY");
    if (cert && !strchr (cert, '/') && credentials && *credentials) {
        snprintf (credential, sizeof (credential), "%s/%s_secret", credentials, cert);
        if (access (credential, R_OK) == 0) {
            snprintf (credential, sizeof (credential), "%s/%s", credentials, cert);
            cert = credential;
        }
    }
    const char *server_key = zconfig_get (root, "gateway/server_key", NULL);
    long threads = strtol (zconfig_get (root, "gateway/threads", "8"), NULL, 10);
    //  The page's files: the config's, else the build's beside this binary
    //  (build/bin/../web), else the installed ones
    char web_root[1100] = "", exe[1024];
    const char *configured = zconfig_get (root, "gateway/web_root", NULL);
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr (exe, '/');
        if (slash)
            *slash = 0;
        snprintf (web_root, sizeof (web_root), "%s/../web", exe);
    }
    if (configured)
        snprintf (web_root, sizeof (web_root), "%s", configured);
    else if (!*web_root || !zsys_file_exists (web_root))
        snprintf (web_root, sizeof (web_root), "%s", GC_WEB_ROOT);
    const char *proxied = zconfig_get (root, "gateway/behind_tls_proxy", "off");
    bool behind_proxy = strcmp (proxied, "on") == 0 || strcmp (proxied, "true") == 0 ||
                        strcmp (proxied, "yes") == 0;
    //  TLS of its own (libmicrohttpd with GnuTLS): a PEM certificate and key
    char *tls_cert = s_pem (file, zconfig_get (root, "gateway/tls_cert", NULL));
    char *tls_key = s_pem (file, zconfig_get (root, "gateway/tls_key", NULL));
    bool tls = tls_cert && tls_key;
    struct sockaddr_in address;
    int rc = 0;
    if (!s_listen_address (listen, &address)) {
        zsys_error ("listen address '%s' is not ADDR:PORT (e.g. %s)", listen, GW_LISTEN_DEFAULT);
        rc = 2;
    } else if ((zconfig_get (root, "gateway/tls_cert", NULL) && !tls_cert) ||
               (zconfig_get (root, "gateway/tls_key", NULL) && !tls_key) ||
               !!tls_cert != !!tls_key) {
        if (!!tls_cert != !!tls_key)
            zsys_error ("TLS needs both tls_cert and tls_key (PEM files) in the gateway section "
                        "of %s",
                        file);
        rc = 1;
    } else if (tls && !MHD_is_feature_supported (MHD_FEATURE_TLS)) {
        zsys_error ("this libmicrohttpd was built without TLS: put the gateway behind a TLS "
                    "proxy instead (behind_tls_proxy = on in %s)",
                    file);
        rc = 1;
    } else if ((ntohl (address.sin_addr.s_addr) >> 24) != 127 && !behind_proxy && !tls) {
        //  Plain HTTP carries api keys and residents' details: loopback only,
        //  unless it speaks TLS or a TLS proxy in front says so
        zsys_error ("refusing to serve plain HTTP on %s, which is not loopback: give the gateway "
                    "section of %s tls_cert and tls_key, or put it behind a TLS proxy and set "
                    "behind_tls_proxy = on",
                    listen, file);
        rc = 1;
    }
    gc_actor_t *self = gc_config_actor (city, actor);
    if (rc == 0 && (!self || self->role != GRIDCASE__ROLE__ROLE_GATEWAY)) {
        zsys_error ("the gateway acts as '%s' (actor in the gateway section of %s), which is not "
                    "a gateway in the roster (role = gateway)",
                    actor, file);
        rc = 1;
    }
    if (rc == 0 && (threads < 1 || threads > 64)) {
        zsys_error ("threads in the gateway section of %s is 1 to 64", file);
        rc = 1;
    }
    if (rc == 0 && city->curve && (!cert || !server_key)) {
        zsys_error ("the daemon runs CURVE (curve = on in %s): the gateway section needs cert "
                    "(the gateway's certificate, from gridcase keygen) and server_key",
                    file);
        rc = 1;
    }
    char base_url[300];
    snprintf (base_url, sizeof (base_url), "%s://%s", tls ? "https" : "http", listen);
    gw_t gateway = {city,
                    base_url,
                    command,
                    actor,
                    city->curve ? cert : NULL,
                    server_key,
                    gw_daemon_call,
                    events,
                    zsys_file_exists (web_root) ? web_root : NULL,
                    tls};
    if (rc == 0 && !gateway.web_root)
        zsys_warning ("the supervisors' page is not served: no web root at %s (make web)",
                      web_root);
    //  Signals wait for sigwait below: the server's threads inherit the mask
    sigset_t stop;
    sigemptyset (&stop);
    sigaddset (&stop, SIGTERM);
    sigaddset (&stop, SIGINT);
    sigaddset (&stop, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &stop, NULL);
    struct MHD_Daemon *http = NULL;
    if (rc == 0 && s_daemon_check (&gateway))
        rc = 1;
    if (rc == 0) {
        struct MHD_OptionItem options[] = {
            {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)s_done, NULL},
            {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)s_http_log, NULL},
            {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)threads, NULL},
            {MHD_OPTION_SOCK_ADDR, 0, &address},
            //  64 connections per HTTP thread; 128 from one address, as
            //  libmicrohttpd frees a closed connection's place only when its
            //  thread next turns: at 64 a client that reconnects its 50 at
            //  once was refused some (make bench, wrk's third run)
            {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)(64 * threads), NULL},
            {MHD_OPTION_PER_IP_CONNECTION_LIMIT, 128, NULL},
            {MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL},
            {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
            {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, tls_cert},
            {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, tls_key},
            {MHD_OPTION_END, 0, NULL}};
        http = MHD_start_daemon (
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                MHD_ALLOW_SUSPEND_RESUME | (tls ? MHD_USE_TLS : 0),
            0, NULL, NULL, s_answer, &gateway, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
        if (!http) {
            zsys_error ("cannot serve %s on %s: %s", tls ? "HTTPS" : "HTTP", listen,
                        tls ? "check tls_cert and tls_key (PEM) and the address"
                            : strerror (errno));
            rc = 1;
        }
    }
    if (rc == 0 && gw_feed_start (&gateway)) {
        zsys_error ("cannot start the live log's thread");
        MHD_stop_daemon (http);
        rc = 1;
    }
    if (rc == 0) {
        zsys_notice ("serving Open311 at %s/open311/v2/ and metrics at %s/metrics for the city "
                     "of %s (daemon at %s, notices at %s)",
                     base_url, base_url, file, command, events);
        sd_notify (0, "READY=1\nSTATUS=serving Open311, the page and metrics");
        int signal = 0;
        while (sigwait (&stop, &signal) == 0 && signal == SIGHUP)
            s_reload (city);
        zsys_notice ("stopping on signal %d", signal);
        sd_notify (0, "STOPPING=1");
        //  Live streams end first: a suspended connection would hold the stop
        gw_feed_end_all ();
        MHD_stop_daemon (http);
        gw_feed_stop ();
        gw_daemon_close_all ();
        gw_session_close_all ();
    }
    free (tls_cert);
    free (tls_key);
    zconfig_destroy (&root);
    gc_config_destroy (&city);
    return rc;
}
