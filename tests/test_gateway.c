/*  gridcase-gateway, the real program on a free loopback port beside the
    real daemon, asked with curl: Open311's discovery and services in JSON
    and XML, the spec's errors, metrics, and what it refuses to start on. */
#include "gridcase.h"
#include "testutil.h"

#include <czmq.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "daemon.h"

typedef struct {
    pid_t pid;
    char url[64]; //  http://127.0.0.1:PORT
    char log[300];
} gateway_t;

//  Starts the gateway on the city CONFIG with EXTRA arguments; true once it
//  answers
static bool
s_gateway_start (gateway_t *g, daemon_t *d, const char *config, const char *extra)
{
    int port = s_free_port ();
    snprintf (g->url, sizeof (g->url), "http://127.0.0.1:%d", port);
    snprintf (g->log, sizeof (g->log), "%s/gateway.log", d->dir);
    char command[1500];
    snprintf (command, sizeof (command),
              "exec %s/bin/gridcase-gateway -c %s --listen 127.0.0.1:%d --command %s --events %s "
              "%s 2>>%s",
              s_build, config, port, d->command, d->events, extra ? extra : "", g->log);
    g->pid = fork ();
    if (g->pid == 0) {
        execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit (127);
    }
    if (s_started_count < 64)
        s_started[s_started_count++] = g->pid;
    for (int attempt = 0; attempt < 50; attempt++) {
        char probe[200], out[64];
        snprintf (probe, sizeof (probe), "curl -s -o /dev/null -w '%%{http_code}' %s/metrics",
                  g->url);
        if (s_run (probe, out, sizeof (out)) == 0 && streq (out, "200"))
            return true;
        if (waitpid (g->pid, NULL, WNOHANG) == g->pid)
            return false;
        zclock_sleep (100);
    }
    return false;
}

//  GET PATH from the gateway: its HTTP status, the body in OUT
static int
s_get (gateway_t *g, const char *path, char *out, size_t size)
{
    char command[600];
    snprintf (command, sizeof (command), "curl -s -w '\\n%%{http_code}' '%s%s'", g->url, path);
    if (s_run (command, out, size) != 0)
        return -1;
    char *last = strrchr (out, '\n');
    if (!last)
        return -1;
    *last = 0;
    return atoi (last + 1);
}

//  BODY as XML: its root element's name into ROOT, and how many elements
//  named ITEM are its children; -1 when it is not well-formed
static int
s_xml (const char *body, char *root, size_t size, const char *item)
{
    xmlDocPtr doc = xmlReadMemory (body, (int)strlen (body), "reply.xml", NULL,
                                   XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return -1;
    xmlNodePtr top = xmlDocGetRootElement (doc);
    snprintf (root, size, "%s", top ? (const char *)top->name : "");
    int count = 0;
    for (xmlNodePtr child = top ? top->children : NULL; child; child = child->next)
        count += child->type == XML_ELEMENT_NODE && streq ((const char *)child->name, item);
    xmlFreeDoc (doc);
    return count;
}

//  The categories of the sample city: its services
static size_t
s_sample_categories (void)
{
    FILE *file = fopen ("deploy/sample-city.cfg", "r");
    char line[512];
    size_t count = 0;
    bool within = false; //  in the categories section (not the rules' overrides)
    while (file && fgets (line, sizeof (line), file)) {
        if (line[0] != ' ' && line[0] != '#' && line[0] != '\n')
            within = strncmp (line, "categories", 10) == 0;
        count += within && strstr (line, "    category = ") == line;
    }
    if (file)
        fclose (file);
    return count;
}

//  Discovery and the services, in both formats, as the spec names them
static bool
test_open311_discovery_and_services (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, "deploy/sample-city.cfg", NULL));
    static char body[1 << 16];
    char root[64];

    CHECK_OP (s_get (&g, "/open311/v2/discovery.json", body, sizeof (body)), ==, 200);
    json_error_t error;
    json_t *discovery = json_loads (body, 0, &error);
    CHECK (discovery);
    json_t *endpoint = json_array_get (json_object_get (discovery, "endpoints"), 0);
    EXPECT (endpoint && streq (json_string_value (json_object_get (endpoint, "specification")),
                               "http://wiki.open311.org/GeoReport_v2"));
    //  Times in ISO 8601 with the city's offset
    EXPECT_CONTAINS (json_string_value (json_object_get (discovery, "changeset")), "+08:00");
    json_decref (discovery);
    CHECK_OP (s_get (&g, "/open311/v2/discovery.xml", body, sizeof (body)), ==, 200);
    EXPECT_OP (s_xml (body, root, sizeof (root), "endpoints"), ==, 1);
    EXPECT (streq (root, "discovery"));
    EXPECT_CONTAINS (body, "<format>text/xml</format>");

    //  One service per category, realtime, its department as the group
    size_t categories = s_sample_categories ();
    CHECK_OP (categories, >, 0);
    CHECK_OP (s_get (&g, "/open311/v2/services.json", body, sizeof (body)), ==, 200);
    json_t *services = json_loads (body, 0, &error);
    CHECK (json_is_array (services));
    EXPECT_OP (json_array_size (services), ==, categories);
    bool gas = false;
    size_t i;
    json_t *service;
    json_array_foreach (services, i, service)
    {
        EXPECT (streq (json_string_value (json_object_get (service, "type")), "realtime"));
        EXPECT (json_is_false (json_object_get (service, "metadata")));
        if (streq (json_string_value (json_object_get (service, "service_code")), "gas-leak")) {
            gas = true;
            EXPECT_CONTAINS (json_string_value (json_object_get (service, "group")), "Gas");
        }
    }
    EXPECT (gas);
    json_decref (services);
    CHECK_OP (s_get (&g, "/open311/v2/services.xml", body, sizeof (body)), ==, 200);
    EXPECT_OP (s_xml (body, root, sizeof (root), "service"), ==, (int)categories);
    EXPECT (streq (root, "services"));
    CHECK_OP (s_get (&g, "/open311/v2/services/gas-leak.json", body, sizeof (body)), ==, 200);
    EXPECT_CONTAINS (body, "\"service_code\":\"gas-leak\"");
    CHECK_OP (s_get (&g, "/open311/v2/services/gas-leak.xml", body, sizeof (body)), ==, 200);
    EXPECT_OP (s_xml (body, root, sizeof (root), "service_code"), ==, 1);
    EXPECT (streq (root, "service_definition"));

    //  The spec's errors, in the format asked for, never an HTML page
    CHECK_OP (s_get (&g, "/open311/v2/services/no-such.json", body, sizeof (body)), ==, 404);
    json_t *errors = json_loads (body, 0, &error);
    CHECK (json_is_array (errors));
    EXPECT_OP (json_integer_value (json_object_get (json_array_get (errors, 0), "code")), ==, 404);
    EXPECT_CONTAINS (
        json_string_value (json_object_get (json_array_get (errors, 0), "description")), "no-such");
    json_decref (errors);
    CHECK_OP (s_get (&g, "/open311/v2/services/no-such.xml", body, sizeof (body)), ==, 404);
    EXPECT_OP (s_xml (body, root, sizeof (root), "error"), ==, 1);
    EXPECT (streq (root, "errors"));
    CHECK_OP (s_get (&g, "/open311/v2/tokens/abc.json", body, sizeof (body)), ==, 404);
    CHECK_OP (s_get (&g, "/open311/v2/services.html", body, sizeof (body)), ==, 400);
    EXPECT_CONTAINS (body, "\"code\":400");
    CHECK_OP (s_get (&g, "/nothing-here", body, sizeof (body)), ==, 404);
    EXPECT_CONTAINS (body, "\"code\":404");
    //  What it answered, counted by route and status
    CHECK_OP (s_get (&g, "/metrics", body, sizeof (body)), ==, 200);
    EXPECT_CONTAINS (body,
                     "gridcase_gateway_http_requests_total{route=\"services\",status=\"200\"} 2");
    EXPECT_CONTAINS (body,
                     "gridcase_gateway_http_requests_total{route=\"service\",status=\"404\"} 2");
    EXPECT_CONTAINS (body, "# TYPE gridcase_gateway_http_request_seconds histogram");

    //  What a client mangles still gets the spec's error: bytes that are
    //  not UTF-8, bad percent-encoding, a NUL
    CHECK_OP (s_get (&g, "/open311/v2/services/%FF%FE.json", body, sizeof (body)), ==, 404);
    EXPECT_CONTAINS (body, "\"code\":404");
    EXPECT_CONTAINS (body, "not UTF-8");
    CHECK_OP (s_get (&g, "/open311/v2/services/%FF%FE.xml", body, sizeof (body)), ==, 404);
    EXPECT_OP (s_xml (body, root, sizeof (root), "error"), ==, 1);
    CHECK_OP (s_get (&g, "/open311/v2/services/%ZZ.json", body, sizeof (body)), ==, 404);
    EXPECT_CONTAINS (body, "\"code\":404");
    CHECK_OP (s_get (&g, "/open311/v2/services/a%00b.json", body, sizeof (body)), ==, 404);
    //  10,000 parameters: refused by the HTTP layer (414), and it serves on
    static char url[200000];
    int at = snprintf (url, sizeof (url), "/open311/v2/services.json?");
    for (int p = 0; p < 10000 && at < (int)sizeof (url) - 32; p++)
        at += snprintf (url + at, sizeof (url) - (size_t)at, "%sp%d=%d", p ? "&" : "", p, p);
    char command[200200];
    snprintf (command, sizeof (command), "curl -s -o /dev/null -w '%%{http_code}' '%s%s'", g.url,
              url);
    char code[16];
    CHECK_OP (s_run (command, code, sizeof (code)), ==, 0);
    EXPECT (streq (code, "414"));
    //  20 MB sent to it: answered, never held in memory
    snprintf (command, sizeof (command),
              "head -c 20000000 /dev/zero | curl -s -o /dev/null -w '%%{http_code}' -X POST "
              "--data-binary @- %s/open311/v2/nothing.json",
              g.url);
    CHECK_OP (s_run (command, code, sizeof (code)), ==, 0);
    EXPECT (streq (code, "404"));
    CHECK_OP (s_get (&g, "/open311/v2/services/gas-leak.json", body, sizeof (body)), ==, 200);

    //  SIGTERM stops it cleanly
    kill (g.pid, SIGTERM);
    int status = -1;
    waitpid (g.pid, &status, 0);
    EXPECT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    s_daemon_remove (&d);
    return true;
}

//  Plain HTTP on a public address, or a typo in its section, stops it with
//  a message that names the address or the file and line
static bool
test_the_gateway_refuses_what_is_unsafe_or_mistaken (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-gateway-XXXXXX");
    CHECK (mkdtemp (d.dir));
    static char out[8192];
    char command[1000];
    snprintf (command, sizeof (command),
              "%s/bin/gridcase-gateway -c deploy/sample-city.cfg --listen 0.0.0.0:%d 2>&1", s_build,
              s_free_port ());
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "not loopback");
    EXPECT_CONTAINS (out, "behind_tls_proxy");
    //  A mistyped key of the gateway section, as the daemon reads it
    snprintf (command, sizeof (command),
              "sed 's|^gridcase$|gateway\\n    lisen = \"127.0.0.1:7580\"\\ngridcase|; "
              "s|roster = \"sample-roster.cfg\"|roster = \"%s/deploy/sample-roster.cfg\"|' "
              "deploy/sample-city.cfg > %s/city.cfg",
              getcwd (out, 512), d.dir);
    CHECK_OP (system (command), ==, 0);
    snprintf (command, sizeof (command), "%s/bin/gridcase-gateway -c %s/city.cfg 2>&1", s_build,
              d.dir);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "city.cfg:5");
    EXPECT_CONTAINS (out, "lisen");
    s_daemon_remove (&d);
    return true;
}

int
main (int argc, char *argv[])
{
    if (argc > 1)
        s_build = argv[1];
    zsys_init ();
    zsys_set_logstream (stderr);
    atexit (s_kill_started);
    RUN (test_open311_discovery_and_services);
    RUN (test_the_gateway_refuses_what_is_unsafe_or_mistaken);
    return TESTS_DONE ();
}
