/*  libFuzzer target for gridcase-gateway's routes: whatever method and URL
    a client sends (as the HTTP layer hands them over, percent-decoded, so
    with any bytes in them) is routed and answered in JSON or XML exactly as
    the gateway does, on the sample city. A crash, a sanitizer report or a
    leak is a finding; so is an answer without a status or a body.

    With GC_FUZZ_SEEDS=DIR set, it writes a seed corpus of real requests
    into DIR and exits. */
#include "gateway.h"

#include <czmq.h>
#include <string.h>

static gw_t s_gateway;

static const char *s_methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};

static void
s_seeds (const char *dir)
{
    static const char *urls[] = {"/open311/v2/discovery.json",
                                 "/open311/v2/discovery.xml",
                                 "/open311/v2/services.json",
                                 "/open311/v2/services.xml",
                                 "/open311/v2/services/gas-leak.json",
                                 "/open311/v2/services/nope.xml",
                                 "/open311/v2/tokens/abc.json",
                                 "/open311/v2/requests.json",
                                 "/metrics",
                                 "/open311/v2/services.html"};
    zsys_dir_create ("%s", dir);
    for (size_t i = 0; i < sizeof (urls) / sizeof (urls[0]); i++) {
        char path[600];
        snprintf (path, sizeof (path), "%s/seed-%02zu", dir, i);
        FILE *file = fopen (path, "wb");
        if (file) {
            fputc ((int)(i % 2), file); //  the method: GET or POST
            fputs (urls[i], file);
            fclose (file);
        }
    }
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    zsys_init ();
    zsys_set_logstream (NULL);
    const char *seeds = getenv ("GC_FUZZ_SEEDS");
    if (seeds) {
        s_seeds (seeds);
        exit (0);
    }
    s_gateway.city = gc_config_load ("deploy/sample-city.cfg");
    if (!s_gateway.city)
        abort ();
    setenv ("TZ", s_gateway.city->timezone, 1);
    tzset ();
    s_gateway.base_url = "http://127.0.0.1:7580";
    return 0;
}

//  The first byte picks the method, the rest is the URL
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *method = s_methods[data[0] % (sizeof (s_methods) / sizeof (s_methods[0]))];
    char *url = (char *)malloc (size);
    memcpy (url, data + 1, size - 1);
    url[size - 1] = 0; //  the HTTP layer hands over a string
    gw_reply_t reply = {0, NULL, 0, NULL};
    const char *route = gw_route (&s_gateway, method, url, &reply);
    if (!route || !reply.status || !reply.type || (!reply.body && reply.size))
        abort ();
    free (reply.body);
    free (url);
    return 0;
}
