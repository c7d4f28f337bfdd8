/*  gridcase-gateway, the real program on a free loopback port beside the
    real daemon, asked with curl: Open311's discovery and services in JSON
    and XML, the spec's errors, metrics, and what it refuses to start on. */
#include "gridcase.h"
#include "testutil.h"

#include <czmq.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "daemon.h"

typedef struct {
    pid_t pid;
    char url[64]; //  http://127.0.0.1:PORT (https with TLS)
    char log[300];
    bool tls;           //  set before start: it serves HTTPS ...
    const char *listen; //  ... on this address (default 127.0.0.1)
} gateway_t;

//  Starts the gateway on the city CONFIG with EXTRA arguments; true once it
//  answers
static bool
s_gateway_start (gateway_t *g, daemon_t *d, const char *config, const char *extra)
{
    int port = s_free_port ();
    snprintf (g->url, sizeof (g->url), "%s://127.0.0.1:%d", g->tls ? "https" : "http", port);
    snprintf (g->log, sizeof (g->log), "%s/gateway.log", d->dir);
    char command[1500];
    snprintf (command, sizeof (command),
              "exec %s/bin/gridcase-gateway -c %s --listen %s:%d --command %s --events %s "
              "%s 2>>%s",
              s_build, config, g->listen ? g->listen : "127.0.0.1", port, d->command, d->events,
              extra ? extra : "", g->log);
    g->pid = fork ();
    if (g->pid == 0) {
        execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit (127);
    }
    if (s_started_count < 64)
        s_started[s_started_count++] = g->pid;
    for (int attempt = 0; attempt < 50; attempt++) {
        char probe[200], out[64];
        snprintf (probe, sizeof (probe), "curl -sk -o /dev/null -w '%%{http_code}' %s/metrics",
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
    snprintf (command, sizeof (command), "curl -sk -w '\\n%%{http_code}' '%s%s'", g->url, path);
    if (s_run (command, out, size) != 0)
        return -1;
    char *last = strrchr (out, '\n');
    if (!last)
        return -1;
    *last = 0;
    return atoi (last + 1);
}

//  curl ARGS against the gateway: its HTTP status, the body in OUT
static int
s_curl (gateway_t *g, const char *args, char *out, size_t size)
{
    static char command[300000];
    snprintf (command, sizeof (command), "curl -s -w '\\n%%{http_code}' %s", args);
    (void)g;
    if (s_run (command, out, size) != 0)
        return -1;
    char *last = strrchr (out, '\n');
    if (!last)
        return -1;
    *last = 0;
    return atoi (last + 1);
}

//  POST FORM (curl arguments: -d, --data-urlencode, -H) to requests.FORMAT
static int
s_post (gateway_t *g, const char *format, const char *form, char *out, size_t size)
{
    char args[8192];
    snprintf (args, sizeof (args), "-X POST %s '%s/open311/v2/requests.%s'", form, g->url, format);
    return s_curl (g, args, out, size);
}

//  The grids' boundaries of the sample city, read here on their own: each
//  grid's id and the mean of its ring's corners (inside: they are convex)
typedef struct {
    char id[32];
    double lat, lon;
} inside_t;

static size_t
s_sample_insides (inside_t *insides, size_t max)
{
    json_error_t error;
    json_t *root = json_load_file ("deploy/sample-grids.geojson", 0, &error);
    size_t count = 0, i;
    json_t *feature;
    json_array_foreach (json_object_get (root, "features"), i, feature)
    {
        if (count == max)
            break;
        json_t *ring = json_array_get (
            json_object_get (json_object_get (feature, "geometry"), "coordinates"), 0);
        size_t corners = json_array_size (ring) - 1, c;
        double lat = 0, lon = 0;
        for (c = 0; c < corners; c++) {
            lon += json_number_value (json_array_get (json_array_get (ring, c), 0));
            lat += json_number_value (json_array_get (json_array_get (ring, c), 1));
        }
        snprintf (
            insides[count].id, sizeof (insides[count].id), "%s",
            json_string_value (json_object_get (json_object_get (feature, "properties"), "grid")));
        insides[count].lat = lat / (double)corners;
        insides[count].lon = lon / (double)corners;
        count++;
    }
    json_decref (root);
    return count;
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

#define HOTLINE "-d api_key=sample-hotline-key"

//  Service requests: filed by the hotline's key, placed by lat/long in the
//  grid whose boundary holds it, read back by id, service, status, date
//  and page, in both formats; the journal names the hotline and the gateway
static bool
test_open311_service_requests (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, "deploy/sample-city.cfg", NULL));
    static char body[1 << 20];
    char form[2048], root[64], path[300];
    json_error_t error;

    //  Each grid's inside lands in that grid
    inside_t insides[32];
    size_t grids = s_sample_insides (insides, 32);
    CHECK_OP (grids, ==, 10);
    char first[40] = "";
    for (size_t i = 0; i < grids; i++) {
        snprintf (form, sizeof (form),
                  HOTLINE " -d service_code=garbage -d lat=%.6f -d long=%.6f "
                          "--data-urlencode 'description=bins by block %zu'",
                  insides[i].lat, insides[i].lon, i);
        CHECK_OP (s_post (&g, "json", form, body, sizeof (body)), ==, 201);
        json_t *created = json_loads (body, 0, &error);
        const char *id =
            json_string_value (json_object_get (json_array_get (created, 0), "service_request_id"));
        CHECK (id);
        if (!*first)
            snprintf (first, sizeof (first), "%s", id);
        snprintf (path, sizeof (path), "/open311/v2/requests/%s.json?api_key=sample-hotline-key",
                  id);
        CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
        json_t *read = json_loads (body, 0, &error);
        json_t *item = json_array_get (read, 0);
        EXPECT (streq (json_string_value (json_object_get (item, "address_id")), insides[i].id));
        EXPECT (streq (json_string_value (json_object_get (item, "status")), "open"));
        EXPECT_CONTAINS (json_string_value (json_object_get (item, "requested_datetime")),
                         "+08:00");
        EXPECT_CONTAINS (json_string_value (json_object_get (item, "status_notes")),
                         "grid officer");
        EXPECT_CONTAINS (json_string_value (json_object_get (item, "description")),
                         "bins by block");
        json_decref (read);
        json_decref (created);
    }
    //  The XML of one, as the spec names its elements
    snprintf (path, sizeof (path), "/open311/v2/requests/%s.xml", first);
    CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
    EXPECT_OP (s_xml (body, root, sizeof (root), "request"), ==, 1);
    EXPECT (streq (root, "service_requests"));
    const char *elements[] = {"<service_request_id>",
                              "<status>open</status>",
                              "<status_notes>",
                              "<service_name>",
                              "<service_code>garbage</service_code>",
                              "<agency_responsible>",
                              "<requested_datetime>",
                              "<updated_datetime>",
                              "<expected_datetime>",
                              "<lat>",
                              "<long>"};
    for (size_t i = 0; i < sizeof (elements) / sizeof (elements[0]); i++)
        EXPECT_CONTAINS (body, elements[i]);
    //  The POST's own answer in XML
    CHECK_OP (s_post (&g, "xml",
                      HOTLINE " -d service_code=gas-leak -d address_id=jiahe-02 "
                              "-d 'description=gas smell'",
                      body, sizeof (body)),
              ==, 201);
    EXPECT_OP (s_xml (body, root, sizeof (root), "request"), ==, 1);
    EXPECT (streq (root, "service_requests"));
    EXPECT_CONTAINS (body, "<service_request_id>");

    //  The journal says who filed it and through which gateway
    char command[300];
    snprintf (command, sizeof (command), "--as admin:admin journal --case %s --json", first);
    CHECK_OP (s_cli (&d, body, sizeof (body), command), ==, 0);
    EXPECT_CONTAINS (body, "\"hotline-12345\"");
    EXPECT_CONTAINS (body, "\"via\":\"gateway\"");

    //  Refusals, each in the spec's error body
    CHECK_OP (s_post (&g, "json",
                      "-d api_key=wrong -d service_code=garbage -d address_id=qianpu-01", body,
                      sizeof (body)),
              ==, 403);
    json_t *errors = json_loads (body, 0, &error);
    EXPECT_OP (json_integer_value (json_object_get (json_array_get (errors, 0), "code")), ==, 403);
    EXPECT (json_is_string (json_object_get (json_array_get (errors, 0), "description")));
    json_decref (errors);
    CHECK_OP (
        s_post (&g, "xml", "-d service_code=garbage -d address_id=qianpu-01", body, sizeof (body)),
        ==, 403);
    EXPECT_OP (s_xml (body, root, sizeof (root), "error"), ==, 1);
    CHECK_OP (s_post (&g, "json", HOTLINE " -d service_code=no-such -d address_id=qianpu-01", body,
                      sizeof (body)),
              ==, 404);
    EXPECT_CONTAINS (body, "no-such");
    //  Outside every grid: a clear 400, not a default grid
    CHECK_OP (s_post (&g, "json", HOTLINE " -d service_code=garbage -d lat=39.9 -d long=116.4",
                      body, sizeof (body)),
              ==, 400);
    EXPECT_CONTAINS (body, "in no grid");
    CHECK_OP (s_post (&g, "json", HOTLINE " -d service_code=garbage -d 'address_string=Road 1'",
                      body, sizeof (body)),
              ==, 400);
    CHECK_OP (
        s_post (&g, "json", HOTLINE " -d service_code=garbage -d lat=24.47", body, sizeof (body)),
        ==, 400);
    CHECK_OP (s_post (&g, "json", HOTLINE " -d service_code=garbage -d address_id=nowhere", body,
                      sizeof (body)),
              ==, 400);
    snprintf (path, sizeof (path), "/open311/v2/requests/20200101-000001.json");
    CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 404);

    //  Dates: at most 90 days; ISO 8601 or a 400
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-11-01",
                     body, sizeof (body)),
              ==, 400);
    EXPECT_CONTAINS (body, "90 days");
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?start_date=yesterday", body, sizeof (body)), ==,
              400);
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?status=pending", body, sizeof (body)), ==, 400);

    //  Paging: disjoint pages that add up to the whole (11 requests)
    CHECK_OP (s_get (&g, "/open311/v2/requests.json", body, sizeof (body)), ==, 200);
    json_t *all = json_loads (body, 0, &error);
    CHECK_OP (json_array_size (all), ==, grids + 1);
    zhashx_t *seen = zhashx_new ();
    size_t paged = 0;
    for (int page = 1; page <= 4; page++) {
        snprintf (path, sizeof (path), "/open311/v2/requests.json?page=%d&page_size=3", page);
        CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
        json_t *items = json_loads (body, 0, &error);
        EXPECT_OP (json_array_size (items), ==, page < 4 ? 3u : 2u);
        size_t i;
        json_t *item;
        json_array_foreach (items, i, item)
        {
            const char *id = json_string_value (json_object_get (item, "service_request_id"));
            EXPECT (!zhashx_lookup (seen, id));
            zhashx_insert (seen, id, (void *)1);
            paged++;
        }
        json_decref (items);
    }
    EXPECT_OP (paged, ==, json_array_size (all));
    size_t i;
    json_t *item;
    json_array_foreach (all, i, item) EXPECT (
        zhashx_lookup (seen, json_string_value (json_object_get (item, "service_request_id"))));
    zhashx_destroy (&seen);
    json_decref (all);
    //  By service, by id list (which overrides the rest), by status
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?service_code=gas-leak", body, sizeof (body)),
              ==, 200);
    all = json_loads (body, 0, &error);
    EXPECT_OP (json_array_size (all), ==, 1);
    json_decref (all);
    snprintf (path, sizeof (path),
              "/open311/v2/requests.xml?service_request_id=%s,20200101-000001&status=closed",
              first);
    CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
    EXPECT_OP (s_xml (body, root, sizeof (root), "request"), ==, 1);
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?status=closed", body, sizeof (body)), ==, 200);
    EXPECT (streq (body, "[]"));

    //  Updates: one per journal entry, with the extended statuses
    snprintf (command, sizeof (command), "--as officer:o-haihong-01 resolve %s --note done", first);
    CHECK_OP (s_cli (&d, body, sizeof (body), command), ==, 0);
    CHECK_OP (s_get (&g, "/open311/v2/servicerequestupdates.json", body, sizeof (body)), ==, 200);
    json_t *updates = json_loads (body, 0, &error);
    EXPECT_OP (json_array_size (updates), ==, grids + 2);
    bool fixed = false;
    json_array_foreach (updates, i, item) fixed |=
        streq (json_string_value (json_object_get (item, "service_request_id")), first) &&
        streq (json_string_value (json_object_get (item, "status")), "fixed");
    EXPECT (fixed);
    json_decref (updates);
    CHECK_OP (s_get (&g, "/open311/v2/servicerequestupdates.xml", body, sizeof (body)), ==, 200);
    EXPECT_OP (s_xml (body, root, sizeof (root), "request_update"), ==, (int)grids + 2);
    EXPECT (streq (root, "service_request_updates"));

    //  Metrics: the daemon's counters and queue depths beside the gateway's
    CHECK_OP (s_get (&g, "/metrics", body, sizeof (body)), ==, 200);
    EXPECT_CONTAINS (body, "gridcase_up 1");
    EXPECT_CONTAINS (body, "gridcase_requests_total ");
    EXPECT_CONTAINS (body, "gridcase_commits_total ");
    EXPECT_CONTAINS (body, "gridcase_map_size_bytes ");
    EXPECT_CONTAINS (
        body, "gridcase_gateway_http_requests_total{route=\"post_requests\",status=\"201\"}");
    kill (g.pid, SIGTERM);
    waitpid (g.pid, NULL, 0);
    s_daemon_remove (&d);
    return true;
}

//  The same Idempotency-Key: one case, the same answer, even from a
//  restarted gateway; the same key with another body: 409
static bool
test_open311_idempotent_post (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, "deploy/sample-city.cfg", NULL));
    static char first[8192], again[8192], body[1 << 16];
    const char *form = HOTLINE " -H 'Idempotency-Key: 7d3c-call-0042' -d service_code=garbage "
                               "-d address_id=lianhua-01 -d 'description=bins'";
    CHECK_OP (s_post (&g, "json", form, first, sizeof (first)), ==, 201);
    CHECK_OP (s_post (&g, "json", form, again, sizeof (again)), ==, 201);
    EXPECT (streq (first, again));
    kill (g.pid, SIGTERM);
    waitpid (g.pid, NULL, 0);
    CHECK (s_gateway_start (&g, &d, "deploy/sample-city.cfg", NULL));
    CHECK_OP (s_post (&g, "json", form, again, sizeof (again)), ==, 201);
    EXPECT (streq (first, again));
    CHECK_OP (s_post (&g, "json",
                      HOTLINE " -H 'Idempotency-Key: 7d3c-call-0042' -d service_code=garbage "
                              "-d address_id=lianhua-01 -d 'description=other bins'",
                      body, sizeof (body)),
              ==, 409);
    EXPECT_CONTAINS (body, "\"code\":409");
    //  Without the header a POST is applied each time, as the spec says
    const char *plain = HOTLINE " -d service_code=garbage -d address_id=lianhua-02";
    CHECK_OP (s_post (&g, "json", plain, body, sizeof (body)), ==, 201);
    CHECK_OP (s_post (&g, "json", plain, body, sizeof (body)), ==, 201);
    CHECK_OP (s_get (&g, "/open311/v2/requests.json", body, sizeof (body)), ==, 200);
    json_error_t error;
    json_t *all = json_loads (body, 0, &error);
    EXPECT_OP (json_array_size (all), ==, 3);
    json_decref (all);
    kill (g.pid, SIGTERM);
    waitpid (g.pid, NULL, 0);
    s_daemon_remove (&d);
    return true;
}

//  1,000 reports with distinctive address, description, name, phone and
//  email: no keyless answer holds any of them, anywhere; the key's does
static bool
test_open311_public_reads_hold_nothing_personal (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, "deploy/sample-city.cfg", NULL));
    char config[300];
    snprintf (config, sizeof (config), "%s/posts.curl", d.dir);
    FILE *file = fopen (config, "w");
    CHECK (file);
    for (int i = 0; i < 1000; i++)
        fprintf (file,
                 "%surl = \"%s/open311/v2/requests.json\"\n"
                 "data = \"api_key=sample-hotline-key&service_code=garbage&lat=24.4725&"
                 "long=118.1625&address_string=Qx%dAddr&description=Qx%dDesc&first_name=Qx%dName&"
                 "last_name=Qx%dLast&phone=Qx%dPhone&email=qx%dmail@example.org\"\n"
                 "output = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\n",
                 i ? "next\n" : "", g.url, i, i, i, i, i, i);
    fclose (file);
    char command[600];
    static char body[1 << 22];
    snprintf (command, sizeof (command), "curl -s -K %s | sort | uniq -c", config);
    CHECK_OP (s_run (command, body, sizeof (body)), ==, 0);
    EXPECT_CONTAINS (body, "1000 201");
    const char *reads[] = {"requests.json", "requests.xml", "servicerequestupdates.json",
                           "servicerequestupdates.xml", "requests.json?page=1&page_size=10"};
    for (size_t r = 0; r < sizeof (reads) / sizeof (reads[0]); r++) {
        char path[200];
        snprintf (path, sizeof (path), "/open311/v2/%s", reads[r]);
        CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
        EXPECT_OP (strlen (body), >, 1000);
        if (strstr (body, "Qx") || strstr (body, "qx")) {
            fprintf (stderr, "personal data in a keyless %s: %.300s\n", reads[r],
                     strstr (body, "Qx") ? strstr (body, "Qx") : strstr (body, "qx"));
            EXPECT (false);
        }
        //  The location is the grid's centre, not the one given
        EXPECT (!strstr (body, "24.4725"));
    }
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?page_size=1", body, sizeof (body)), ==, 200);
    json_error_t error;
    json_t *one = json_loads (body, 0, &error);
    const char *id =
        json_string_value (json_object_get (json_array_get (one, 0), "service_request_id"));
    CHECK (id);
    char path[200];
    snprintf (path, sizeof (path), "/open311/v2/requests/%s.xml", id);
    CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
    EXPECT (!strstr (body, "Qx") && !strstr (body, "qx"));
    //  With the key, its scope in full: the same reads do show them
    snprintf (path, sizeof (path), "/open311/v2/requests/%s.json?api_key=sample-hotline-key", id);
    CHECK_OP (s_get (&g, path, body, sizeof (body)), ==, 200);
    EXPECT_CONTAINS (body, "Qx0Desc");
    EXPECT_CONTAINS (body, "Qx0Addr");
    json_decref (one);
    kill (g.pid, SIGTERM);
    waitpid (g.pid, NULL, 0);
    s_daemon_remove (&d);
    return true;
}

//  What a hostile client sends to the new doors: a form over 64 KiB,
//  bytes that are not UTF-8, 10,000 parameters, slow clients holding
//  connections; each answered or cut off, and others still served
static bool
test_open311_hostile_posts (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, "deploy/sample-city.cfg", NULL));
    static char body[1 << 16];
    char args[1000], file[300];
    snprintf (file, sizeof (file), "%s/big.form", d.dir);
    FILE *out = fopen (file, "w");
    CHECK (out);
    fprintf (out, "api_key=sample-hotline-key&service_code=garbage&address_id=qianpu-01&"
                  "description=");
    for (int i = 0; i < 100000; i++)
        fputc ('a', out);
    fclose (out);
    snprintf (args, sizeof (args), "-X POST --data-binary @%s '%s/open311/v2/requests.json'", file,
              g.url);
    CHECK_OP (s_curl (&g, args, body, sizeof (body)), ==, 413);
    EXPECT_CONTAINS (body, "\"code\":413");
    //  Not UTF-8, in a value and in a name
    CHECK_OP (s_post (&g, "json",
                      HOTLINE " -d service_code=garbage -d address_id=qianpu-01 "
                              "-d 'description=%FF%FEbad'",
                      body, sizeof (body)),
              ==, 400);
    EXPECT_CONTAINS (body, "UTF-8");
    CHECK_OP (
        s_post (&g, "xml", HOTLINE " -d '%C3%28=x' -d service_code=garbage", body, sizeof (body)),
        ==, 400);
    //  Bad percent-encoding is taken as it stands
    CHECK_OP (s_post (&g, "json",
                      HOTLINE " -d service_code=garbage -d address_id=qianpu-01 "
                              "-d 'description=100%ZZ sure'",
                      body, sizeof (body)),
              ==, 201);
    //  10,000 parameters in a form
    snprintf (file, sizeof (file), "%s/many.form", d.dir);
    out = fopen (file, "w");
    CHECK (out);
    for (int i = 0; i < 10000; i++)
        fprintf (out, "%sp%d=%d", i ? "&" : "", i, i);
    fclose (out);
    snprintf (args, sizeof (args), "-X POST --data-binary @%s '%s/open311/v2/requests.json'", file,
              g.url);
    CHECK_OP (s_curl (&g, args, body, sizeof (body)), ==, 400);
    EXPECT_CONTAINS (body, "too many parameters");
    //  A body that is not a form
    snprintf (args, sizeof (args),
              "-X POST -H 'Content-Type: application/json' -d '{\"a\":1}' "
              "'%s/open311/v2/requests.json?api_key=sample-hotline-key'",
              g.url);
    CHECK_OP (s_curl (&g, args, body, sizeof (body)), ==, 400);
    EXPECT_CONTAINS (body, "form");
    //  Twenty slow clients, each with half a request: others are served
    int port = atoi (strrchr (g.url, ':') + 1);
    int slow[20];
    for (int i = 0; i < 20; i++) {
        slow[i] = socket (AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in address = {0};
        address.sin_family = AF_INET;
        address.sin_port = htons ((uint16_t)port);
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        CHECK_OP (connect (slow[i], (struct sockaddr *)&address, sizeof (address)), ==, 0);
        const char *half = "POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 100000\r\n\r\napi_key=";
        CHECK_OP (write (slow[i], half, strlen (half)), >, 0);
    }
    int64_t start = zclock_mono ();
    CHECK_OP (s_get (&g, "/open311/v2/services.json", body, sizeof (body)), ==, 200);
    CHECK_OP (s_post (&g, "json", HOTLINE " -d service_code=garbage -d address_id=qianpu-01", body,
                      sizeof (body)),
              ==, 201);
    EXPECT_OP (zclock_mono () - start, <, 5000);
    for (int i = 0; i < 20; i++)
        close (slow[i]);
    kill (g.pid, SIGTERM);
    int status = -1;
    waitpid (g.pid, &status, 0);
    EXPECT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    s_daemon_remove (&d);
    return true;
}

//  HTTPS of its own: with tls_cert and tls_key it serves TLS, on a public
//  address too; plain HTTP gets nothing from it; half a pair is refused
static bool
test_the_gateway_speaks_tls (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    static char out[1 << 16];
    char command[2000], cwd[400];
    CHECK (getcwd (cwd, sizeof (cwd)));
    snprintf (command, sizeof (command),
              "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
              "-days 2 -subj /CN=localhost 2>/dev/null",
              d.dir, d.dir);
    CHECK_OP (system (command), ==, 0);
    snprintf (
        command, sizeof (command),
        "sed 's|^gridcase$|gateway\\n    tls_cert = \"cert.pem\"\\n    tls_key = \"key.pem\"\\n"
        "gridcase|; s|\"sample-roster.cfg\"|\"%s/deploy/sample-roster.cfg\"|; "
        "s|\"sample-grids.geojson\"|\"%s/deploy/sample-grids.geojson\"|' "
        "deploy/sample-city.cfg > %s/tls.cfg",
        cwd, cwd, d.dir);
    CHECK_OP (system (command), ==, 0);
    char config[300];
    snprintf (config, sizeof (config), "%s/tls.cfg", d.dir);
    gateway_t g = {0};
    g.tls = true;
    g.listen = "0.0.0.0"; //  not loopback: TLS makes it allowed
    CHECK (s_gateway_start (&g, &d, config, NULL));
    CHECK_OP (s_get (&g, "/open311/v2/discovery.json", out, sizeof (out)), ==, 200);
    EXPECT_CONTAINS (out, "https://");
    CHECK_OP (s_post (&g, "json", "-k " HOTLINE " -d service_code=garbage -d address_id=jiahe-01",
                      out, sizeof (out)),
              ==, 201);
    //  Plain HTTP to it: no answer a client could take for one
    char plain[600];
    snprintf (plain, sizeof (plain), "curl -s -o /dev/null -w '%%{http_code}' http%s/metrics",
              g.url + 5);
    s_run (plain, out, sizeof (out));
    EXPECT (!streq (out, "200"));
    kill (g.pid, SIGTERM);
    int status = -1;
    waitpid (g.pid, &status, 0);
    EXPECT (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    //  Half a pair
    snprintf (command, sizeof (command), "sed -i '/tls_key/d' %s/tls.cfg", d.dir);
    CHECK_OP (system (command), ==, 0);
    snprintf (command, sizeof (command), "%s/bin/gridcase-gateway -c %s/tls.cfg 2>&1", s_build,
              d.dir);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "both tls_cert and tls_key");
    s_daemon_remove (&d);
    return true;
}

//  With CURVE the gateway is known by its key, the daemon's roster says it
//  is a gateway, and it files for the hotline as before
static bool
test_the_gateway_over_curve (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-gateway-XXXXXX");
    CHECK (mkdtemp (d.dir));
    static char out[1 << 16];
    char command[1200];
    snprintf (command, sizeof (command),
              "%s/bin/gridcase keygen %s/server > /dev/null && "
              "%s/bin/gridcase keygen %s/gw > /dev/null",
              s_build, d.dir, s_build, d.dir);
    CHECK_OP (system (command), ==, 0);
    char file[300];
    snprintf (file, sizeof (file), "%s/gw", d.dir);
    zcert_t *cert = zcert_load (file);
    char gw_key[64] = "", server_key[64] = "";
    if (cert)
        snprintf (gw_key, sizeof (gw_key), "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    snprintf (file, sizeof (file), "%s/server", d.dir);
    cert = zcert_load (file);
    if (cert)
        snprintf (server_key, sizeof (server_key), "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    CHECK (*gw_key && *server_key);
    //  The sample roster, the gateway holding its key (Z85 has characters
    //  that sed would read as its own)
    FILE *in = fopen ("deploy/sample-roster.cfg", "r");
    snprintf (file, sizeof (file), "%s/roster.cfg", d.dir);
    FILE *roster_out = fopen (file, "w");
    CHECK (in && roster_out);
    char line[1024];
    while (fgets (line, sizeof (line), in)) {
        fputs (line, roster_out);
        if (streq (line, "    actor = gateway\n"))
            fprintf (roster_out, "        key = \"%s\"\n", gw_key);
    }
    fclose (in);
    fclose (roster_out);
    char settings[400], roster[300];
    snprintf (settings, sizeof (settings), "    curve = on\n    server_cert = \"%s/server\"\n",
              d.dir);
    snprintf (roster, sizeof (roster), "%s/roster.cfg", d.dir);
    CHECK (s_daemon_config (&d, settings, roster));
    snprintf (d.cert, sizeof (d.cert), "%s/gw", d.dir);
    snprintf (d.server_key, sizeof (d.server_key), "%s/server", d.dir);
    CHECK (s_daemon_start (&d, NULL));
    //  Its config: the daemon's, and a gateway section with its certificate
    FILE *config = fopen (d.config_file, "a");
    CHECK (config);
    fprintf (config, "gateway\n    cert = \"%s/gw\"\n    server_key = \"%s\"\n", d.dir, server_key);
    fclose (config);
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, d.config_file, NULL));
    CHECK_OP (s_post (&g, "json", HOTLINE " -d service_code=garbage -d address_id=jiahe-01", out,
                      sizeof (out)),
              ==, 201);
    json_error_t error;
    json_t *created = json_loads (out, 0, &error);
    const char *id =
        json_string_value (json_object_get (json_array_get (created, 0), "service_request_id"));
    CHECK (id);
    char path[200];
    snprintf (path, sizeof (path), "/open311/v2/requests/%s.json?api_key=sample-hotline-key", id);
    CHECK_OP (s_get (&g, path, out, sizeof (out)), ==, 200);
    EXPECT_CONTAINS (out, "jiahe-01");
    json_decref (created);
    CHECK_OP (s_get (&g, "/metrics", out, sizeof (out)), ==, 200);
    EXPECT_CONTAINS (out, "gridcase_up 1");
    kill (g.pid, SIGTERM);
    waitpid (g.pid, NULL, 0);
    //  Without its certificate it does not start against a CURVE daemon
    snprintf (command, sizeof (command),
              "sed -i '/^    cert = /d' %s && %s/bin/gridcase-gateway "
              "-c %s 2>&1",
              d.config_file, s_build, d.config_file);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "CURVE");
    s_daemon_remove (&d);
    return true;
}

//  The city's own copy of the sample files in D's directory: its config
static bool
s_own_city (daemon_t *d, char *config, size_t size)
{
    char command[600];
    snprintf (command, sizeof (command),
              "cp deploy/sample-city.cfg deploy/sample-roster.cfg deploy/sample-grids.geojson %s/",
              d->dir);
    snprintf (config, size, "%s/sample-city.cfg", d->dir);
    return system (command) == 0;
}

//  The hotline's api key is revoked: after SIGHUP to the daemon and the
//  gateway, its next POST is refused (403) while reads go on, and nothing
//  was restarted
static bool
test_the_gateway_takes_the_roster_again (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-gateway-XXXXXX");
    CHECK (mkdtemp (d.dir));
    char config[300], command[1200], out[8192];
    CHECK (s_own_city (&d, config, sizeof (config)));
    d.config = config;
    CHECK (s_daemon_start (&d, NULL));
    gateway_t g = {0};
    CHECK (s_gateway_start (&g, &d, config, NULL));
    pid_t daemon_pid = d.pid, gateway_pid = g.pid;
    static char body[65536];
    const char *form = HOTLINE " -d service_code=garbage -d address_id=qianpu-01 "
                               "--data-urlencode 'description=bins full'";
    CHECK_OP (s_post (&g, "json", form, body, sizeof (body)), ==, 201);
    snprintf (command, sizeof (command),
              "sed -i '/api_key = \"sha256:789adc/d' %s/sample-roster.cfg", d.dir);
    CHECK_OP (system (command), ==, 0);
    kill (d.pid, SIGHUP);
    kill (g.pid, SIGHUP);
    bool reloaded = false;
    for (int i = 0; i < 50 && !reloaded; i++) {
        zclock_sleep (100);
        snprintf (command, sizeof (command), "grep -c 'roster reloaded' %s/daemon.log %s", d.dir,
                  g.log);
        s_run (command, out, sizeof (out));
        reloaded = strstr (out, ":1\n") && !strstr (out, ":0");
    }
    CHECK (reloaded);
    CHECK_OP (s_post (&g, "json", form, body, sizeof (body)), ==, 403);
    EXPECT_CONTAINS (body, "api_key is not valid");
    CHECK_OP (s_get (&g, "/open311/v2/requests.json?service_code=garbage", body, sizeof (body)), ==,
              200);
    EXPECT_CONTAINS (body, "\"address_id\":\"qianpu-01\"");
    CHECK (d.pid == daemon_pid && g.pid == gateway_pid);
    CHECK_OP (waitpid (g.pid, NULL, WNOHANG), ==, 0);
    kill (g.pid, SIGTERM);
    waitpid (g.pid, NULL, 0);
    CHECK_OP (s_daemon_stop (&d, SIGTERM), ==, 0);
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
    RUN (test_open311_service_requests);
    RUN (test_open311_idempotent_post);
    RUN (test_open311_public_reads_hold_nothing_personal);
    RUN (test_open311_hostile_posts);
    RUN (test_the_gateway_speaks_tls);
    RUN (test_the_gateway_over_curve);
    RUN (test_the_gateway_takes_the_roster_again);
    return TESTS_DONE ();
}
