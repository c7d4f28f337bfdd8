/*  gridcase-gateway - the HTTP door: options, the city's config and its
    gateway section, the HTTP server (libmicrohttpd) and the routes. See
    gateway.h. */
#include "gateway.h"
#include "gc_util.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>

#define GW_LISTEN_DEFAULT "127.0.0.1:7580"

static const char *s_usage =
    "usage: gridcase-gateway -c CONFIG [--listen ADDR:PORT] [--command ENDPOINT]\n"
    "                        [--events ENDPOINT]\n"
    "  -c, --config FILE      the city's config (its gateway section: listen, command,\n"
    "                         events, behind_tls_proxy)\n"
    "      --listen ADDR:PORT where HTTP is served (default " GW_LISTEN_DEFAULT ")\n"
    "      --command ENDPOINT the daemon's command socket (default the config's)\n"
    "      --events ENDPOINT  the daemon's events socket (default the config's)\n"
    "      --version          prints the version\n"
    "Serves Open311 GeoReport v2 under /open311/v2/ and metrics at /metrics.\n";

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    (void)version;
    (void)upload_data;
    static int begun;
    if (!*state) {
        //  The first call only says a request began (its body, if any, follows)
        *state = &begun;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; //  no endpoint here takes a body yet
        return MHD_YES;
    }
    int64_t start = zclock_usecs ();
    gw_reply_t reply = {0, NULL, 0, NULL};
    const char *route = gw_route ((gw_t *)cls, method, url, &reply);
    //  A reply that could not be written (out of memory) goes out empty
    struct MHD_Response *response =
        reply.body ? MHD_create_response_from_buffer (reply.size, reply.body, MHD_RESPMEM_MUST_FREE)
                   : MHD_create_response_from_buffer (0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!response) {
        free (reply.body);
        return MHD_NO; //  the connection is closed
    }
    if (!reply.type)
        reply.type = "text/plain; charset=utf-8";
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.type);
    enum MHD_Result result = MHD_queue_response (connection, reply.status, response);
    MHD_destroy_response (response);
    gw_metrics_count (route, reply.status, (double)(zclock_usecs () - start) / 1e6);
    return result;
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
    const char *proxied = zconfig_get (root, "gateway/behind_tls_proxy", "off");
    bool behind_proxy = strcmp (proxied, "on") == 0 || strcmp (proxied, "true") == 0 ||
                        strcmp (proxied, "yes") == 0;
    struct sockaddr_in address;
    int rc = 0;
    if (!s_listen_address (listen, &address)) {
        zsys_error ("listen address '%s' is not ADDR:PORT (e.g. %s)", listen, GW_LISTEN_DEFAULT);
        rc = 2;
    } else if ((ntohl (address.sin_addr.s_addr) >> 24) != 127 && !behind_proxy) {
        //  Plain HTTP carries api keys and residents' details: loopback only,
        //  unless a TLS proxy in front says otherwise
        zsys_error ("refusing to serve plain HTTP on %s, which is not loopback: put it behind a "
                    "TLS proxy and set behind_tls_proxy = on in the gateway section of %s",
                    listen, file);
        rc = 1;
    }
    char base_url[300];
    snprintf (base_url, sizeof (base_url), "http://%s", listen);
    gw_t gateway = {city, base_url};
    //  Signals wait for sigwait below: the server's threads inherit the mask
    sigset_t stop;
    sigemptyset (&stop);
    sigaddset (&stop, SIGTERM);
    sigaddset (&stop, SIGINT);
    pthread_sigmask (SIG_BLOCK, &stop, NULL);
    struct MHD_Daemon *http = NULL;
    if (rc == 0) {
        http = MHD_start_daemon (
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, s_answer, &gateway,
            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&address, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)256, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)64,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
            (size_t)(64 * 1024), MHD_OPTION_END);
        if (!http) {
            zsys_error ("cannot serve HTTP on %s: %s", listen, strerror (errno));
            rc = 1;
        }
    }
    if (rc == 0) {
        zsys_notice ("serving Open311 at %s/open311/v2/ and metrics at %s/metrics for the city "
                     "of %s (daemon at %s, notices at %s)",
                     base_url, base_url, file, command, events);
        int signal = 0;
        sigwait (&stop, &signal);
        zsys_notice ("stopping on signal %d", signal);
        MHD_stop_daemon (http);
    }
    zconfig_destroy (&root);
    gc_config_destroy (&city);
    return rc;
}
