/*  A city at scale, for make bench: builds a store of CASES open cases with
    the daemon's own code (every request goes through gc_writer_batch,
    as the daemon applies it, in transactions of 1,000), then measures the
    escalation tick on it:
      - DUE red cases reported at the same moment as the rest, so they fall
        due at once, 15 minutes later;
      - QUEUED green cases escalated by their officer and dispatched by the
        committee to sanitation's queue (for the claims benchmark);
      - the others green cases held by their officers, due days from now.
    Times are the wall clock's, so a daemon started on DATADIR right after
    finds nothing due. Prints one line:
        built=N build_s=S tick_idle_us=P50 tick_idle_p99_us=P99 due=N
        escalate_ms=MS sample_case=ID
    Usage: bench_city CONFIG DATADIR CASES DUE QUEUED */
#include "gc_escalation.h"
#include "gc_schema.h"
#include "gc_lifecycle.h"
#include "gc_writer.h"
#include "gc_util.h"

#include <czmq.h>
#include <time.h>

#define BATCH 1000
#define IDLE_TICKS 2000

//  The sample city's officers and their grids
static const char *s_grids[][2] = {{"o-haihong-01", "haihong-01"},
                                   {"o-haihong-02", "haihong-02"},
                                   {"o-qianpu-01", "qianpu-01"},
                                   {"o-lianhua-01", "lianhua-01"},
                                   {"o-jiahe-01", "jiahe-01"}};
#define GRIDS (sizeof (s_grids) / sizeof (s_grids[0]))

static gc_config_t *s_config;
static gc_store_t *s_store;
static zlistx_t *s_notices;
static uint8_t s_client[16] = {'b', 'e', 'n', 'c', 'h', '-', 'c', 'i', 't', 'y'};
static uint64_t s_sequence;

static int64_t
s_nsecs (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  Applies COUNT requests in one transaction as the daemon's writer does
//  (gc_writer_batch); IDS (if not NULL) gets the case id each reply names
static void
s_apply (Gridcase__Request **requests, size_t count, int64_t now, char (*ids)[GC_CASE_ID_MAX])
{
    gc_reply_t *replies = (gc_reply_t *)calloc (count, sizeof (gc_reply_t));
    gc_write_t *writes = (gc_write_t *)calloc (count, sizeof (gc_write_t));
    for (size_t i = 0; i < count; i++)
        writes[i] = (gc_write_t){requests[i], NULL, &replies[i], 0};
    gc_writer_result_t result;
    int rc = gc_writer_batch (s_store, s_config, writes, count, now, s_notices, &result);
    gc_notices_drop (s_notices);
    free (writes);
    if (rc != GC_OK) {
        fprintf (stderr, "bench_city: the store refused a batch: %s\n", gc_store_strerror (rc));
        exit (1);
    }
    for (size_t i = 0; i < count; i++) {
        Gridcase__Reply *reply = gridcase__reply__unpack (NULL, replies[i].size, replies[i].data);
        if (!reply || reply->result_case != GRIDCASE__REPLY__RESULT_CASE) {
            fprintf (stderr, "bench_city: request %zu of a batch was refused: %s\n", i,
                     reply && reply->error ? reply->error->message : "no reply");
            exit (1);
        }
        if (ids)
            snprintf (ids[i], GC_CASE_ID_MAX, "%s", reply->case_->case_->id);
        gridcase__reply__free_unpacked (reply, NULL);
        gc_reply_free (&replies[i]);
    }
    free (replies);
}

//  One request of any kind: the parts a batch keeps alive until applied
typedef struct {
    Gridcase__Request request;
    Gridcase__Actor actor;
    Gridcase__ReportRequest report;
    Gridcase__EscalateRequest escalate;
    Gridcase__DispatchRequest dispatch;
} request_t;

static Gridcase__Request *
s_request (request_t *r, Gridcase__Role role, const char *actor)
{
    gridcase__request__init (&r->request);
    gridcase__actor__init (&r->actor);
    r->actor.role = role;
    r->actor.id = (char *)actor;
    r->request.client_id.data = s_client;
    r->request.client_id.len = sizeof (s_client);
    r->request.sequence = ++s_sequence;
    r->request.actor = &r->actor;
    return &r->request;
}

static Gridcase__Request *
s_report (request_t *r, size_t n, const char *category)
{
    Gridcase__Request *request = s_request (r, GRIDCASE__ROLE__ROLE_OFFICER, s_grids[n % GRIDS][0]);
    gridcase__report_request__init (&r->report);
    r->report.grid = (char *)s_grids[n % GRIDS][1];
    r->report.category = (char *)category;
    r->report.title = "bench: a case of the city at scale";
    request->op_case = GRIDCASE__REQUEST__OP_REPORT;
    request->report = &r->report;
    return request;
}

//  Hands the N cases IDS, just reported in haihong-01, from the officer to
//  the committee and from the committee to sanitation's queue
static void
s_to_sanitation (request_t *r, Gridcase__Request **requests, size_t n, char (*ids)[GC_CASE_ID_MAX],
                 int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        requests[i] = s_request (&r[i], GRIDCASE__ROLE__ROLE_OFFICER, s_grids[0][0]);
        gridcase__escalate_request__init (&r[i].escalate);
        r[i].escalate.case_id = ids[i];
        r[i].escalate.reason = "bench: for the department";
        requests[i]->op_case = GRIDCASE__REQUEST__OP_ESCALATE;
        requests[i]->escalate = &r[i].escalate;
    }
    s_apply (requests, n, now, NULL);
    for (size_t i = 0; i < n; i++) {
        requests[i] = s_request (&r[i], GRIDCASE__ROLE__ROLE_COMMITTEE, "c-haihong");
        gridcase__dispatch_request__init (&r[i].dispatch);
        r[i].dispatch.case_id = ids[i];
        r[i].dispatch.lead = "sanitation";
        requests[i]->op_case = GRIDCASE__REQUEST__OP_DISPATCH;
        requests[i]->dispatch = &r[i].dispatch;
    }
    s_apply (requests, n, now, NULL);
}

//  Reports COUNT cases of CATEGORY at NOW, BATCH a transaction, spread over
//  the grids; QUEUED: all in haihong-01, then on to sanitation's queue.
//  SAMPLE (if not NULL) gets the first case's id.
static void
s_report_many (size_t count, const char *category, bool queued, int64_t now, char *sample)
{
    request_t *r = (request_t *)calloc (BATCH, sizeof (request_t));
    Gridcase__Request *requests[BATCH];
    char (*ids)[GC_CASE_ID_MAX] = calloc (BATCH, GC_CASE_ID_MAX);
    for (size_t done = 0; done < count;) {
        size_t n = count - done < BATCH ? count - done : BATCH;
        for (size_t i = 0; i < n; i++)
            requests[i] = s_report (&r[i], queued ? 0 : done + i, category);
        s_apply (requests, n, now, ids);
        if (sample && !*sample)
            snprintf (sample, GC_CASE_ID_MAX, "%s", ids[0]);
        if (queued)
            s_to_sanitation (r, requests, n, ids, now);
        done += n;
    }
    free (ids);
    free (r);
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
    if (argc != 6) {
        fprintf (stderr, "usage: bench_city CONFIG DATADIR CASES DUE QUEUED\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (stderr);
    size_t cases = strtoul (argv[3], NULL, 10), due = strtoul (argv[4], NULL, 10),
           queued = strtoul (argv[5], NULL, 10);
    if (due + queued > cases) {
        fprintf (stderr, "bench_city: DUE + QUEUED is more than CASES\n");
        return 2;
    }
    s_config = gc_config_load (argv[1]);
    if (!s_config)
        return 1;
    setenv ("TZ", s_config->timezone, 1);
    tzset ();
    gc_store_options_t options = {(size_t)1 << 30, (size_t)64 << 30, false};
    s_store = gc_schema_open (argv[2], &options);
    if (!s_store)
        return 1;
    s_notices = zlistx_new ();
    char sample[GC_CASE_ID_MAX] = "";

    int64_t now = gc_clock_now ();
    int64_t started = s_nsecs ();
    s_report_many (due, "gas-leak", false, now, NULL);
    s_report_many (cases - due - queued, "garbage", false, now, sample);
    s_report_many (queued, "garbage", true, now, NULL);
    double build_s = (double)(s_nsecs () - started) / 1e9;

    //  A tick with nothing due, as the timer runs it at most every minute
    int64_t *times = (int64_t *)malloc (IDLE_TICKS * sizeof (int64_t));
    size_t done = 0, grown = 0;
    for (int i = 0; i < IDLE_TICKS; i++) {
        int64_t t = s_nsecs ();
        int rc =
            gc_escalation_tick (s_store, s_config, now + 1000, BATCH, s_notices, &done, &grown);
        times[i] = s_nsecs () - t;
        if (rc != GC_OK || done) {
            fprintf (stderr, "bench_city: a tick found %zu due (rc %d)\n", done, rc);
            return 1;
        }
    }
    qsort (times, IDLE_TICKS, sizeof (int64_t), s_compare);

    //  The DUE red cases fall due together: tick until none is left
    gc_txn_t *txn = gc_txn_begin (s_store, false);
    int64_t first = gc_escalation_next (txn);
    gc_txn_abort (&txn);
    size_t escalated = 0;
    started = s_nsecs ();
    do {
        gc_escalation_tick (s_store, s_config, first, BATCH, s_notices, &done, &grown);
        gc_notices_drop (s_notices);
        escalated += done;
    } while (done);
    double escalate_ms = (double)(s_nsecs () - started) / 1e6;

    printf ("built=%zu build_s=%.1f tick_idle_us=%.2f tick_idle_p99_us=%.2f due=%zu "
            "escalate_ms=%.0f sample_case=%s\n",
            cases, build_s, (double)times[IDLE_TICKS / 2] / 1000,
            (double)times[IDLE_TICKS * 99 / 100] / 1000, escalated, escalate_ms, sample);
    free (times);
    zlistx_destroy (&s_notices);
    gc_store_destroy (&s_store);
    gc_config_destroy (&s_config);
    return escalated == due ? 0 : 1;
}
