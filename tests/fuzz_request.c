/*  libFuzzer target for the request path: whatever arrives on the command
    socket is decoded and checked as gridcased does, then applied to a
    scratch store of the sample city (changing requests) or read from it,
    exactly as the server thread and the readers would. The write
    transaction is committed, so later inputs meet the cases earlier ones
    made. A crash, a sanitizer report or a leak is a finding.

    With GC_FUZZ_SEEDS=DIR set, it writes a seed corpus of real requests
    (every operation, as the roster's actors) into DIR and exits. */
#include "gc_escalation.h"
#include "gc_schema.h"
#include "gc_lifecycle.h"
#include "gc_writer.h"
#include "gc_query.h"
#include "gc_request.h"
#include "gc_store.h"
#include "gridcase.h"

#include <czmq.h>

static gc_config_t *s_config;
static gc_store_t *s_store;
static gc_arena_t *s_arena;
static zlistx_t *s_notices;
static int64_t s_now;
static char s_dir[64];

//  The scratch store goes when the fuzzer ends
static void
s_remove_scratch (void)
{
    char command[128];
    snprintf (command, sizeof (command), "rm -rf %s", s_dir);
    if (system (command) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
}

//  Offline requests (the outbox): the case named by the report that made
//  it, and the case as the client last saw it
static uint64_t s_seed_case_of, s_seed_based_on;
static Gridcase__Actor *s_seed_on_behalf_of; //  a gateway's requests name whom for

static void
s_write_seed (const char *dir, int number, Gridcase__Request *request, const char *role,
              const char *id)
{
    request->case_of = s_seed_case_of;
    request->based_on = s_seed_based_on;
    request->on_behalf_of = s_seed_on_behalf_of;
    static uint8_t client_id[16] = {0x5e, 0xed};
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    static const char *roles[] = {"",           "officer", "committee", "street", "worker",
                                  "supervisor", "admin",   "gateway",   "intake"};
    for (int i = 1; i < 9; i++)
        if (streq (role, roles[i]))
            actor.role = (Gridcase__Role)i;
    actor.id = (char *)id;
    request->actor = &actor;
    request->client_id.data = client_id;
    request->client_id.len = 16;
    request->sequence = (uint64_t)number + 1;
    uint8_t buffer[4096];
    size_t size = gridcase__request__pack (request, buffer);
    char path[600];
    snprintf (path, sizeof (path), "%s/seed-%02d", dir, number);
    FILE *f = fopen (path, "wb");
    if (f) {
        fwrite (buffer, 1, size, f);
        fclose (f);
    }
}

#define SEED(field, op, Type, ...)                                                                 \
    do {                                                                                           \
        Gridcase__##Type body = __VA_ARGS__;                                                       \
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;                                       \
        request.op_case = GRIDCASE__REQUEST__OP_##op;                                              \
        request.field = &body;                                                                     \
        s_write_seed (dir, number++, &request, role, actor);                                       \
    } while (0)

static void
s_seeds (const char *dir)
{
    zsys_dir_create ("%s", dir);
    int number = 0;
    const char *role = "officer", *actor = "o-haihong-01";
    const char *id = "20261123-000001";
    Gridcase__Location where = {PROTOBUF_C_MESSAGE_INIT (&gridcase__location__descriptor), 24.45,
                                118.08};
    Gridcase__Location inside = {PROTOBUF_C_MESSAGE_INIT (&gridcase__location__descriptor), 24.4725,
                                 118.1625};
    Gridcase__Contact contact = {PROTOBUF_C_MESSAGE_INIT (&gridcase__contact__descriptor), "Wang",
                                 "13800000000", "wang@example.org"};
    SEED (report, REPORT, ReportRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__report_request__descriptor), "haihong-01",
           "gas-leak", GRIDCASE__SEVERITY__SEVERITY_RED, "gas smell", "stairwell 3",
           "Building 3, flat 302", &where, "", &contact});
    SEED (report, REPORT, ReportRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__report_request__descriptor), "haihong-01", "garbage",
           0, "bins", "", "", NULL, (char *)id, NULL});
    //  A report placed by its location alone, as the gateway sends one
    SEED (report, REPORT, ReportRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__report_request__descriptor), "", "garbage", 0,
           "bins", "", "", &inside, "", &contact});
    SEED (note, NOTE, NoteRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__note_request__descriptor), (char *)id, "talked"});
    SEED (escalate, ESCALATE, EscalateRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__escalate_request__descriptor), (char *)id,
           "needs the committee"});
    SEED (resolve_on_site, RESOLVE_ON_SITE, ResolveOnSiteRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__resolve_on_site_request__descriptor), (char *)id,
           "settled"});
    role = "committee", actor = "c-haihong";
    SEED (
        claim, CLAIM, ClaimRequest,
        {PROTOBUF_C_MESSAGE_INIT (&gridcase__claim_request__descriptor), "committee/haihong", ""});
    SEED (accept, ACCEPT, AcceptRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__accept_request__descriptor), (char *)id});
    char *helpers[] = {"police", "housing"};
    SEED (dispatch, DISPATCH, DispatchRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__dispatch_request__descriptor), (char *)id, "gas", 2,
           helpers, "urgent"});
    role = "worker", actor = "w-gas-1";
    SEED (
        bounce, BOUNCE, BounceRequest,
        {PROTOBUF_C_MESSAGE_INIT (&gridcase__bounce_request__descriptor), (char *)id, "not ours"});
    SEED (resolve, RESOLVE, ResolveRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__resolve_request__descriptor), (char *)id, "fixed"});
    SEED (extend, EXTEND, ExtendRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__extend_request__descriptor), (char *)id, true, 0,
           "a part", 3600000, ""});
    role = "supervisor", actor = "sup-siming";
    SEED (
        approve, APPROVE, ApproveRequest,
        {PROTOBUF_C_MESSAGE_INIT (&gridcase__approve_request__descriptor), (char *)id, true, "ok"});
    SEED (arbitrate, ARBITRATE, ArbitrateRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__arbitrate_request__descriptor), (char *)id, "water",
           "the drain"});
    SEED (regrade, REGRADE, RegradeRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__regrade_request__descriptor), (char *)id,
           GRIDCASE__SEVERITY__SEVERITY_YELLOW, "calmer"});
    SEED (get, GET, GetRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__get_request__descriptor), (char *)id, true});
    SEED (list, LIST, ListRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__list_request__descriptor), 0, 0, "", "haihong", 0,
           true, 0, 0, "", 10, "this-week"});
    SEED (journal, JOURNAL, JournalRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__journal_request__descriptor), 0, "", 10, false,
           "lianqian", "", "", 20261101, 20261130, true, false, "2026-11-01..2026-11-30"});
    SEED (stats, STATS, StatsRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__stats_request__descriptor), 0, 0, "community",
           20261101, 20261130, "lianqian", "2026-W47"});
    role = "officer", actor = "o-haihong-01";
    SEED (verify, VERIFY, VerifyRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__verify_request__descriptor), (char *)id, false,
           "still"});
    SEED (
        evaluate, EVALUATE, EvaluateRequest,
        {PROTOBUF_C_MESSAGE_INIT (&gridcase__evaluate_request__descriptor), (char *)id, 2, "late"});
    SEED (link, LINK, LinkRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__link_request__descriptor), "20261123-000002",
           (char *)id});
    //  Made offline after the first report (seed 0, sequence 1)
    s_seed_case_of = 1;
    SEED (note, NOTE, NoteRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__note_request__descriptor), "", "in the basement"});
    SEED (resolve_on_site, RESOLVE_ON_SITE, ResolveOnSiteRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__resolve_on_site_request__descriptor), "",
           "settled offline"});
    s_seed_case_of = 0;
    s_seed_based_on = 1;
    SEED (escalate, ESCALATE, EscalateRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__escalate_request__descriptor), (char *)id,
           "as I saw it"});
    s_seed_based_on = 0;
    //  Through the gateway, for the hotline: a report by location, reads
    Gridcase__Actor hotline = {PROTOBUF_C_MESSAGE_INIT (&gridcase__actor__descriptor),
                               GRIDCASE__ROLE__ROLE_INTAKE, "hotline-12345"};
    role = "gateway", actor = "gateway";
    s_seed_on_behalf_of = &hotline;
    SEED (report, REPORT, ReportRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__report_request__descriptor), "", "garbage", 0,
           "bins", "", "Block 3", &inside, "", &contact});
    SEED (list, LIST, ListRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__list_request__descriptor), 0, 0, "", "", 0, false, 0,
           0, "", 500, ""});
    s_seed_on_behalf_of = NULL;
    SEED (journal, JOURNAL, JournalRequest,
          {PROTOBUF_C_MESSAGE_INIT (&gridcase__journal_request__descriptor), 0, "", 0, false, "",
           "", "", 20261122, 20261123, false, false, ""});
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv ("TZ", "Asia/Shanghai", 1);
    tzset ();
    zsys_init ();
    zsys_set_logstream (NULL);
    const char *seeds = getenv ("GC_FUZZ_SEEDS");
    if (seeds) {
        s_seeds (seeds);
        exit (0);
    }
    snprintf (s_dir, sizeof (s_dir), "/tmp/gc-fuzz-XXXXXX");
    if (!mkdtemp (s_dir))
        abort ();
    atexit (s_remove_scratch);
    s_config = gc_config_load ("deploy/sample-city.cfg");
    gc_store_options_t options = {64 << 20, 1 << 30, false};
    s_store = gc_schema_open (s_dir, &options);
    if (!s_config || !s_store)
        abort ();
    s_arena = gc_arena_new ();
    s_notices = zlistx_new ();
    s_now = 1795406400000; //  Monday 23 November 2026, 10:00 in Xiamen
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    Gridcase__ErrorCode code;
    char why[256];
    Gridcase__Request *request = gc_request_decode (s_arena, data, size, &code, why, sizeof (why));
    gc_reply_t reply = {0};
    s_now += 60000; //  a minute per input, so deadlines come due
    if (request && gridcase_reads (request)) {
        gc_txn_t *txn = gc_txn_begin (s_store, false);
        if (request->op_case != GRIDCASE__REQUEST__OP_BACKUP)
            gc_query_read (s_config, txn, request, s_now, &reply);
        gc_txn_abort (&txn);
    } else if (request) {
        //  As the daemon's writer applies a batch (of one)
        uint8_t binding[GC_BINDING_SIZE];
        gc_request_binding ("fuzz", data, size, binding);
        gc_write_t write = {request, binding, &reply, 0};
        gc_writer_result_t result;
        gc_writer_batch (s_store, s_config, &write, 1, s_now, s_notices, &result);
    }
    gc_reply_free (&reply);
    //  Then whatever deadlines came due, as the escalation timer would
    size_t done = 0, grown = 0;
    gc_escalation_tick (s_store, s_config, s_now, 100, s_notices, &done, &grown);
    gc_notices_drop (s_notices);
    gc_arena_reset (s_arena);
    return 0;
}
