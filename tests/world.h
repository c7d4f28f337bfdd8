/*  A world for tests that drive the lifecycle with explicit times on a real
    store: the sample city, a temporary store, requests as any actor. */
#ifndef GC_TEST_WORLD_H_INCLUDED
#define GC_TEST_WORLD_H_INCLUDED

#include "gc_check.h"
#include "gc_schema.h"
#include "gc_chain.h"
#include "gc_escalation.h"
#include "gc_lifecycle.h"
#include "gc_rules.h"
#include "gridcase.h"

#include <czmq.h>
#include <time.h>

#define MINUTE ((int64_t)60 * 1000)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

typedef struct {
    char dir[64];
    gc_config_t *config;
    gc_store_t *store;
    zlistx_t *notices;
    uint64_t sequence;
    Gridcase__Case *kase; //  the case the last successful request returned
    Gridcase__ErrorCode code;
    char message[512];
    bool catch_up; //  as the daemon's writer: due deadlines before each request (scenarios
                   //  written out of time order leave it off and tick by hand)
} world_t;

//  Local time (the process's zone; the tests set Asia/Shanghai) as UTC ms
static inline int64_t
s_at (int year, int month, int day, int hour, int minute)
{
    struct tm tm = {0};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_isdst = -1;
    return (int64_t)mktime (&tm) * 1000;
}

//  Monday 23 November 2026, 10:00 in Xiamen
#define T0 s_at (2026, 11, 23, 10, 0)

static inline bool
s_world (world_t *w, const char *config_file)
{
    memset (w, 0, sizeof (*w));
    snprintf (w->dir, sizeof (w->dir), "/tmp/gc-test-life-XXXXXX");
    if (!mkdtemp (w->dir))
        return false;
    w->config = gc_config_load (config_file ? config_file : "deploy/sample-city.cfg");
    w->store = gc_schema_open (w->dir, NULL);
    w->notices = zlistx_new ();
    return w->config && w->store;
}

static inline void
s_world_problem (void *arg, const char *problem)
{
    fprintf (stderr, "store check after %s: %s\n", (const char *)arg, problem);
}

//  The store checker after each step: a store whose indexes or journal
//  disagree with its cases fails the test that is running, naming the step
static inline void
s_world_check (world_t *w, const char *step)
{
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    gc_check_result_t result;
    int rc = txn ? gc_check_store (txn, s_world_problem, (void *)step, &result) : GC_EIO;
    gc_txn_abort (&txn);
    if (rc != GC_OK || result.problems) {
        fprintf (stderr, "store check after %s: %s, %zu problems\n", step, gc_store_strerror (rc),
                 result.problems);
        s_test_extra_failures++;
    }
}

static inline void
s_discard_notices (world_t *w)
{
    gc_notices_drop (w->notices);
}

static inline void
s_world_end (world_t *w)
{
    if (w->kase)
        gridcase__case__free_unpacked (w->kase, NULL);
    s_discard_notices (w);
    zlistx_destroy (&w->notices);
    gc_store_destroy (&w->store);
    gc_config_destroy (&w->config);
    char command[128];
    snprintf (command, sizeof (command), "rm -rf %s", w->dir);
    if (system (command) != 0)
        fprintf (stderr, "cannot remove %s\n", w->dir);
}

//  "role:id" into WHO (its id kept in ID, 64 bytes); false if not of that form
static inline bool
s_who (const char *actor, Gridcase__Actor *who, char *id)
{
    char role[32] = "";
    if (!actor || sscanf (actor, "%31[^:]:%63s", role, id) != 2)
        return false;
    static const char *roles[] = {"",       "officer",    "committee", "street",
                                  "worker", "supervisor", "admin"};
    for (int i = 1; i < 7; i++)
        if (streq (role, roles[i]))
            who->role = (Gridcase__Role)i;
    who->id = id;
    return true;
}

//  Applies REQUEST as ACTOR ("role:id") at NOW and commits; returns the
//  error code (0: ok, w->kase is the case)
static inline Gridcase__ErrorCode
s_apply (world_t *w, int64_t now, const char *actor, Gridcase__Request *request)
{
    uint8_t client_id[16] = {1, 2, 3};
    request->client_id.data = client_id;
    request->client_id.len = 16;
    request->sequence = ++w->sequence;
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    char id[64] = "";
    if (s_who (actor, &who, id))
        request->actor = &who;
    gc_txn_t *txn = gc_txn_begin (w->store, true);
    gc_reply_t out = {0};
    //  As the daemon's writer does: the deadlines due first
    size_t fired;
    if (w->catch_up)
        gc_escalation_catch_up (w->config, txn, now, w->notices, &fired);
    gc_lifecycle_apply (w->config, txn, request, now, &out, w->notices);
    gc_txn_commit (&txn);
    s_world_check (w, gridcase_op_name (request));
    request->actor = NULL;
    Gridcase__Reply *reply = gridcase__reply__unpack (NULL, out.size, out.data);
    gc_reply_free (&out);
    w->code = GRIDCASE__ERROR_CODE__ERROR_INTERNAL;
    if (!reply)
        return w->code;
    if (reply->result_case == GRIDCASE__REPLY__RESULT_ERROR) {
        w->code = reply->error->code;
        snprintf (w->message, sizeof (w->message), "%s", reply->error->message);
    } else if (reply->result_case == GRIDCASE__REPLY__RESULT_CASE) {
        w->code = GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
        if (w->kase)
            gridcase__case__free_unpacked (w->kase, NULL);
        //  Keep the case beyond the reply
        size_t size = gridcase__case__get_packed_size (reply->case_->case_);
        uint8_t *buffer = (uint8_t *)malloc (size + 1);
        gridcase__case__pack (reply->case_->case_, buffer);
        w->kase = gridcase__case__unpack (NULL, size, buffer);
        free (buffer);
    }
    gridcase__reply__free_unpacked (reply, NULL);
    return w->code;
}

//  One verb for every operation: ARG is the operation's main argument
static inline Gridcase__ErrorCode
s_do (world_t *w, int64_t now, const char *actor, const char *verb, const char *id, const char *arg)
{
    Gridcase__Request r = GRIDCASE__REQUEST__INIT;
    char *cid = (char *)id, *a = (char *)(arg ? arg : "");
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    Gridcase__ResolveOnSiteRequest on_site = GRIDCASE__RESOLVE_ON_SITE_REQUEST__INIT;
    Gridcase__EscalateRequest escalate = GRIDCASE__ESCALATE_REQUEST__INIT;
    Gridcase__ClaimRequest claim = GRIDCASE__CLAIM_REQUEST__INIT;
    Gridcase__AcceptRequest accept = GRIDCASE__ACCEPT_REQUEST__INIT;
    Gridcase__ReleaseRequest release = GRIDCASE__RELEASE_REQUEST__INIT;
    Gridcase__RenewRequest renew = GRIDCASE__RENEW_REQUEST__INIT;
    Gridcase__DispatchRequest dispatch = GRIDCASE__DISPATCH_REQUEST__INIT;
    Gridcase__ResolveRequest resolve = GRIDCASE__RESOLVE_REQUEST__INIT;
    Gridcase__BounceRequest bounce = GRIDCASE__BOUNCE_REQUEST__INIT;
    Gridcase__VerifyRequest verify = GRIDCASE__VERIFY_REQUEST__INIT;
    Gridcase__EvaluateRequest evaluate = GRIDCASE__EVALUATE_REQUEST__INIT;
    Gridcase__RegradeRequest regrade = GRIDCASE__REGRADE_REQUEST__INIT;
    Gridcase__ExtendRequest extend = GRIDCASE__EXTEND_REQUEST__INIT;
    Gridcase__ApproveRequest approve = GRIDCASE__APPROVE_REQUEST__INIT;
    Gridcase__ArbitrateRequest arbitrate = GRIDCASE__ARBITRATE_REQUEST__INIT;
    Gridcase__LinkRequest link = GRIDCASE__LINK_REQUEST__INIT;
    if (streq (verb, "note"))
        note.case_id = cid, note.text = a, r.op_case = GRIDCASE__REQUEST__OP_NOTE, r.note = &note;
    else if (streq (verb, "resolve-on-site"))
        on_site.case_id = cid, r.op_case = GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE,
        r.resolve_on_site = &on_site;
    else if (streq (verb, "escalate"))
        escalate.case_id = cid, escalate.reason = a, r.op_case = GRIDCASE__REQUEST__OP_ESCALATE,
        r.escalate = &escalate;
    else if (streq (verb, "claim"))
        claim.case_id = cid, claim.queue = a, r.op_case = GRIDCASE__REQUEST__OP_CLAIM,
        r.claim = &claim;
    else if (streq (verb, "accept"))
        accept.case_id = cid, r.op_case = GRIDCASE__REQUEST__OP_ACCEPT, r.accept = &accept;
    else if (streq (verb, "release"))
        release.case_id = cid, r.op_case = GRIDCASE__REQUEST__OP_RELEASE, r.release = &release;
    else if (streq (verb, "renew"))
        renew.case_id = cid, r.op_case = GRIDCASE__REQUEST__OP_RENEW, r.renew = &renew;
    else if (streq (verb, "dispatch"))
        dispatch.case_id = cid, dispatch.lead = a, r.op_case = GRIDCASE__REQUEST__OP_DISPATCH,
        r.dispatch = &dispatch;
    else if (streq (verb, "resolve"))
        resolve.case_id = cid, resolve.note = a, r.op_case = GRIDCASE__REQUEST__OP_RESOLVE,
        r.resolve = &resolve;
    else if (streq (verb, "bounce"))
        bounce.case_id = cid, bounce.reason = a, r.op_case = GRIDCASE__REQUEST__OP_BOUNCE,
        r.bounce = &bounce;
    else if (streq (verb, "verify"))
        verify.case_id = cid, verify.ok = streq (a, "ok"), r.op_case = GRIDCASE__REQUEST__OP_VERIFY,
        r.verify = &verify;
    else if (streq (verb, "evaluate"))
        evaluate.case_id = cid, evaluate.rating = (uint32_t)atoi (a),
        r.op_case = GRIDCASE__REQUEST__OP_EVALUATE, r.evaluate = &evaluate;
    else if (streq (verb, "regrade"))
        regrade.case_id = cid, regrade.severity = gc_severity_from_name (a),
        r.op_case = GRIDCASE__REQUEST__OP_REGRADE, r.regrade = &regrade;
    else if (streq (verb, "extend") || streq (verb, "park"))
        extend.case_id = cid, extend.duration = atoll (a), extend.park = streq (verb, "park"),
        extend.reason = "waiting for a spare part", r.op_case = GRIDCASE__REQUEST__OP_EXTEND,
        r.extend = &extend;
    else if (streq (verb, "approve") || streq (verb, "reject"))
        approve.case_id = cid, approve.approve = streq (verb, "approve"),
        r.op_case = GRIDCASE__REQUEST__OP_APPROVE, r.approve = &approve;
    else if (streq (verb, "arbitrate"))
        arbitrate.case_id = cid, arbitrate.department = a,
        r.op_case = GRIDCASE__REQUEST__OP_ARBITRATE, r.arbitrate = &arbitrate;
    else if (streq (verb, "link"))
        link.case_id = cid, link.duplicate_of = a, r.op_case = GRIDCASE__REQUEST__OP_LINK,
        r.link = &link;
    else
        return GRIDCASE__ERROR_CODE__ERROR_INTERNAL;
    return s_apply (w, now, actor, &r);
}

//  Reports a case; returns its id (static buffer per call site is the caller's)
static inline bool
s_report (world_t *w, int64_t now, const char *actor, const char *grid, const char *category,
          const char *link_to, char *id)
{
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = (char *)grid;
    report.category = (char *)category;
    report.title = "reported in a test";
    report.link_to = (char *)(link_to ? link_to : "");
    Gridcase__Request r = GRIDCASE__REQUEST__INIT;
    r.op_case = GRIDCASE__REQUEST__OP_REPORT;
    r.report = &report;
    if (s_apply (w, now, actor, &r))
        return false;
    snprintf (id, GC_CASE_ID_MAX, "%s", w->kase->id);
    return true;
}

//  Runs the escalation engine at NOW; returns how many deadlines it acted on
static inline size_t
s_tick (world_t *w, int64_t now)
{
    gc_txn_t *txn = gc_txn_begin (w->store, true);
    size_t done = 0;
    int rc = gc_escalation_run (w->config, txn, now, 1000, w->notices, &done);
    if (rc == GC_OK)
        gc_txn_commit (&txn);
    else
        gc_txn_abort (&txn);
    s_world_check (w, "a tick");
    return rc == GC_OK ? done : (size_t)-1;
}

//  The case as stored now (into w->kase)
static inline Gridcase__Case *
s_case (world_t *w, const char *id)
{
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    if (w->kase)
        gridcase__case__free_unpacked (w->kase, NULL);
    w->kase = NULL;
    gc_txn_case_get (txn, id, &w->kase);
    gc_txn_abort (&txn);
    return w->kase;
}

//  The latest journal entry of case ID (free it)
static inline Gridcase__JournalEntry *
s_last_entry (world_t *w, const char *id)
{
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    Gridcase__Case *kase = NULL;
    Gridcase__JournalEntry *entry = NULL;
    if (gc_txn_case_get (txn, id, &kase) == GC_OK) {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_u64 (&key, kase->journal_seq);
        const void *value;
        size_t size;
        if (gc_txn_get (txn, GC_DB_JOURNAL, &key, &value, &size) == GC_OK)
            entry = gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
        gridcase__case__free_unpacked (kase, NULL);
    }
    gc_txn_abort (&txn);
    return entry;
}

//  The latest entry of ID is of TYPE and its reason contains TEXT
static inline bool
s_journal_says (world_t *w, const char *id, Gridcase__EventType type, const char *text)
{
    Gridcase__JournalEntry *entry = s_last_entry (w, id);
    bool ok = entry && entry->type == type && strstr (entry->reason, text);
    if (!ok)
        fprintf (stderr, "journal of %s: type %d reason '%s', wanted %d '%s'\n", id,
                 entry ? (int)entry->type : -1, entry ? entry->reason : "", type, text);
    if (entry)
        gridcase__journal_entry__free_unpacked (entry, NULL);
    return ok;
}

static inline uint64_t
s_journal_last (world_t *w)
{
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    uint64_t last = gc_chain_last (txn);
    gc_txn_abort (&txn);
    return last;
}

#define OFFICER "officer:o-haihong-01"
#define COMMITTEE "committee:c-haihong"
#define STREET "street:s-lianqian"
#define GAS "worker:w-gas-1"
#define SUPERVISOR "supervisor:sup-siming"

#endif
