/*  libFuzzer target for gridcase-gateway's routes: whatever method, URL
    and parameters a client sends (as the HTTP layer hands them over,
    percent-decoded, so with any bytes in them) is routed and answered in
    JSON or XML exactly as the gateway does, on the sample city. The daemon
    is played by s_daemon, which answers each operation the way gridcased
    does (a case for a report or a get, a page of cases, of journal entries,
    counters), or refuses it, as the input says. A crash, a sanitizer report
    or a leak is a finding; so is an answer without a status or a body.

    An input: the method (first byte), the URL up to a newline, then lines
    of NAME=VALUE parameters; a line "Idempotency-Key=K" is the header.

    With GC_FUZZ_SEEDS=DIR set, it writes a seed corpus of real requests
    into DIR and exits. */
#include "gateway.h"

#include <czmq.h>
#include <string.h>

static gw_t s_gateway;
static uint8_t s_answer; //  how s_daemon answers the next call: from the input

static const char *s_methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};

//  A case as the daemon would send it, packed and unpacked like a reply
static Gridcase__Case *
s_case (Gridcase__Case *kase, Gridcase__Location *location, const char *id)
{
    gridcase__case__init (kase);
    kase->id = (char *)id;
    kase->state = (Gridcase__State)(s_answer % 8);
    kase->holder = s_answer & 8 ? "dept/gas" : s_answer & 16 ? "committee/haihong" : "grid/x";
    kase->grid = "haihong-01";
    kase->category = s_answer & 32 ? "gas-leak" : "unknown-category";
    kase->lead_department = s_answer & 64 ? "gas" : "";
    kase->district = "siming";
    kase->description = "a description";
    kase->duplicate_of = s_answer & 128 ? "20261123-000001" : "";
    kase->created_at = 1795000000000;
    kase->resolution_due = s_answer & 2 ? 1795000900000 : 0;
    gridcase__location__init (location);
    kase->location = s_answer & 4 ? location : NULL;
    return kase;
}

static int
s_daemon (gw_t *self, Gridcase__Request *request, const uint8_t *client_id,
          Gridcase__Reply **reply_p)
{
    (void)self;
    (void)client_id;
    *reply_p = NULL;
    if (s_answer % 5 == 4)
        return GRIDCASE_EUNREACHABLE;
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    Gridcase__Error error = GRIDCASE__ERROR__INIT;
    Gridcase__CaseReply case_reply = GRIDCASE__CASE_REPLY__INIT;
    Gridcase__ListReply list = GRIDCASE__LIST_REPLY__INIT;
    Gridcase__JournalReply journal = GRIDCASE__JOURNAL_REPLY__INIT;
    Gridcase__StatsReply stats = GRIDCASE__STATS_REPLY__INIT;
    Gridcase__Case kase;
    Gridcase__Location location;
    Gridcase__Case *cases[1];
    Gridcase__JournalEntry entry = GRIDCASE__JOURNAL_ENTRY__INIT, *entries[1] = {&entry};
    Gridcase__Counter counter = GRIDCASE__COUNTER__INIT, queue = GRIDCASE__COUNTER__INIT;
    Gridcase__Counter *counters[2] = {&counter, &queue};
    if (s_answer % 7 == 3) {
        reply.result_case = GRIDCASE__REPLY__RESULT_ERROR;
        reply.error = &error;
        error.code = (Gridcase__ErrorCode)(s_answer % 21);
        error.message = "refused";
    } else if (request->op_case == GRIDCASE__REQUEST__OP_REPORT ||
               request->op_case == GRIDCASE__REQUEST__OP_GET) {
        reply.result_case = GRIDCASE__REPLY__RESULT_CASE;
        reply.case_ = &case_reply;
        case_reply.case_ = s_case (&kase, &location, "20261123-000042");
    } else if (request->op_case == GRIDCASE__REQUEST__OP_LIST) {
        reply.result_case = GRIDCASE__REPLY__RESULT_LIST;
        reply.list = &list;
        cases[0] = s_case (&kase, &location, "20261123-000043");
        list.cases = cases;
        list.n_cases = 1;
        list.next_after = s_answer & 1 ? "20261123-000043" : "";
    } else if (request->op_case == GRIDCASE__REQUEST__OP_JOURNAL) {
        reply.result_case = GRIDCASE__REPLY__RESULT_JOURNAL;
        reply.journal = &journal;
        entry.seq = request->journal->since + 1;
        entry.time = 1795000000000;
        entry.type = (Gridcase__EventType)(s_answer % 28);
        entry.case_id = "20261123-000043";
        entry.to = s_answer & 8 ? "street/lianqian" : "worker:w-gas-1";
        journal.entries = entries;
        journal.n_entries = s_answer & 1;
        journal.last_seq = 5;
    } else if (request->op_case == GRIDCASE__REQUEST__OP_STATS) {
        reply.result_case = GRIDCASE__REPLY__RESULT_STATS;
        reply.stats = &stats;
        counter.name = s_answer & 1 ? "requests" : "map_size";
        queue.name = "queue dept/gas";
        stats.counters = counters;
        stats.n_counters = 2;
    }
    //  Through the wire format, as libgridcase hands a reply over
    size_t size = gridcase__reply__get_packed_size (&reply);
    uint8_t *packed = (uint8_t *)malloc (size ? size : 1);
    gridcase__reply__pack (&reply, packed);
    *reply_p = gridcase__reply__unpack (NULL, size, packed);
    free (packed);
    s_answer = (uint8_t)(s_answer * 31 + 7);
    if (!*reply_p)
        return GRIDCASE_ELOCAL;
    return reply.error ? GRIDCASE_EREPLY : GRIDCASE_OK;
}

static void
s_seeds (const char *dir)
{
    static const char *urls[] = {
        "/open311/v2/discovery.json",
        "/open311/v2/discovery.xml",
        "/open311/v2/services.json",
        "/open311/v2/services.xml",
        "/open311/v2/services/gas-leak.json",
        "/open311/v2/services/nope.xml",
        "/open311/v2/tokens/abc.json",
        "/open311/v2/requests.json\nservice_code=gas-leak\nlat=24.4725\nlong=118.1625\n"
        "api_key=sample-hotline-key\ndescription=gas smell\nIdempotency-Key=k1",
        "/metrics",
        "/open311/v2/requests.xml\nstatus=open\nservice_code=garbage\npage=2\npage_size=3\n"
        "start_date=2026-11-01T00:00:00+08:00\nend_date=2026-11-23",
        "/open311/v2/requests/20261123-000001.json\napi_key=sample-hotline-key",
        "/open311/v2/requests.json\nservice_request_id=20261123-000001,20261123-000002",
        "/open311/v2/servicerequestupdates.xml\nstart_date=2026-11-22T00:00Z",
        "/open311/v2/requests.json\napi_key=sample-hotline-key\naddress_id=haihong-01\n"
        "service_code=garbage\nfirst_name=Wang\nlast_name=Li\nphone=1\nemail=a@b\n"
        "media_url=http://x/y.jpg",
        "/open311/v2/services.html"};
    zsys_dir_create ("%s", dir);
    for (size_t i = 0; i < sizeof (urls) / sizeof (urls[0]); i++) {
        char path[600];
        snprintf (path, sizeof (path), "%s/seed-%02zu", dir, i);
        FILE *file = fopen (path, "wb");
        if (file) {
            fputc (strstr (urls[i], "service_code=") && !strstr (urls[i], "status=") ? 1 : 0,
                   file);                      //  the method: POST to file a request, else GET
            fputc ((int)(i * 37 % 256), file); //  how the daemon answers
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
    s_gateway.call = s_daemon;
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    gw_request_t request;
    memset (&request, 0, sizeof (request));
    request.method = s_methods[data[0] % (sizeof (s_methods) / sizeof (s_methods[0]))];
    s_answer = data[1];
    //  The HTTP layer hands over strings: the rest, split into lines
    char *text = (char *)malloc (size - 1);
    memcpy (text, data + 2, size - 2);
    text[size - 2] = 0;
    char *save = NULL;
    request.url = strtok_r (text, "\n", &save);
    if (!request.url)
        request.url = "";
    for (char *line = strtok_r (NULL, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        char *equals = strchr (line, '=');
        if (equals)
            *equals = 0;
        if (strcmp (line, "Idempotency-Key") == 0)
            request.idempotency_key = equals ? equals + 1 : "";
        else if (request.args == GW_ARGS_MAX)
            request.too_many = true;
        else {
            request.arg[request.args].name = line;
            request.arg[request.args].value = equals ? equals + 1 : "";
            request.args++;
        }
    }
    gw_reply_t reply;
    memset (&reply, 0, sizeof (reply));
    const char *route = gw_route (&s_gateway, &request, &reply);
    if (!route || !reply.status || !reply.type || (!reply.body && reply.size))
        abort ();
    free (reply.body);
    free (text);
    return 0;
}
