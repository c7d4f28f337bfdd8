/*  The lifecycle, driven with explicit times on a real store: every
    transition allowed and refused, the ladder climbing by itself, leases,
    bounces and arbitration, rework, reopening, service hours, pauses,
    regrading, duplicates and a restart in the middle of a deadline. */
#include "gc_escalation.h"
#include "gc_lifecycle.h"
#include "gc_rules.h"
#include "testutil.h"

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
} world_t;

//  Local time in Asia/Shanghai as UTC ms
static int64_t
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

static bool
s_world (world_t *w, const char *config_file)
{
    memset (w, 0, sizeof (*w));
    snprintf (w->dir, sizeof (w->dir), "/tmp/gc-test-life-XXXXXX");
    if (!mkdtemp (w->dir))
        return false;
    w->config = gc_config_load (config_file ? config_file : "deploy/sample-city.cfg");
    w->store = gc_store_new (w->dir, NULL);
    w->notices = zlistx_new ();
    return w->config && w->store;
}

static void
s_discard_notices (world_t *w)
{
    zmsg_t *msg;
    while ((msg = (zmsg_t *)zlistx_detach (w->notices, NULL)))
        zmsg_destroy (&msg);
}

static void
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

//  Applies REQUEST as ACTOR ("role:id") at NOW and commits; returns the
//  error code (0: ok, w->kase is the case)
static Gridcase__ErrorCode
s_apply (world_t *w, int64_t now, const char *actor, Gridcase__Request *request)
{
    uint8_t client_id[16] = {1, 2, 3};
    request->client_id.data = client_id;
    request->client_id.len = 16;
    request->sequence = ++w->sequence;
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    char role[32] = "", id[64] = "";
    if (actor && sscanf (actor, "%31[^:]:%63s", role, id) == 2) {
        static const char *roles[] = {"",       "officer",    "committee", "street",
                                      "worker", "supervisor", "admin"};
        for (int i = 1; i < 7; i++)
            if (streq (role, roles[i]))
                who.role = (Gridcase__Role)i;
        who.id = id;
        request->actor = &who;
    }
    gc_txn_t *txn = gc_txn_begin (w->store, true);
    gc_reply_t out = {0};
    gc_lifecycle_apply (w->config, txn, request, now, &out, w->notices);
    gc_txn_commit (&txn);
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
static Gridcase__ErrorCode
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
static bool
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
static size_t
s_tick (world_t *w, int64_t now)
{
    gc_txn_t *txn = gc_txn_begin (w->store, true);
    size_t done = 0;
    int rc = gc_escalation_run (w->config, txn, now, 1000, w->notices, &done);
    if (rc == GC_OK)
        gc_txn_commit (&txn);
    else
        gc_txn_abort (&txn);
    return rc == GC_OK ? done : (size_t)-1;
}

//  The case as stored now (into w->kase)
static Gridcase__Case *
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
static Gridcase__JournalEntry *
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
static bool
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

static uint64_t
s_journal_last (world_t *w)
{
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    uint64_t last = gc_txn_journal_last (txn);
    gc_txn_abort (&txn);
    return last;
}

#define OFFICER "officer:o-haihong-01"
#define COMMITTEE "committee:c-haihong"
#define STREET "street:s-lianqian"
#define GAS "worker:w-gas-1"
#define SUPERVISOR "supervisor:sup-siming"

//  --------------------------------------------------------------------------

static bool
test_refused_transitions_change_nothing (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX], other[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    uint64_t last = s_journal_last (&w);
    //  Who: no actor, an unknown one, a role the roster does not give
    CHECK (s_do (&w, t, NULL, "escalate", id, "x") == GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    CHECK (s_do (&w, t, "officer:nobody", "escalate", id, "x") ==
           GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    CHECK (s_do (&w, t, "supervisor:o-haihong-01", "escalate", id, "x") ==
           GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    //  Wrong role: a worker does not escalate, a committee member does not verify
    CHECK (s_do (&w, t, GAS, "escalate", id, "x") == GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (strstr (w.message, "worker may not escalate"));
    CHECK (s_do (&w, t, COMMITTEE, "verify", id, "ok") ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  Wrong scope: another grid's officer, another community's committee
    CHECK (s_do (&w, t, "officer:o-haihong-02", "resolve-on-site", id, NULL) ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t, "officer:o-qianpu-01", "note", id, "hello") ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (!s_report (&w, t, "officer:o-haihong-02", "haihong-01", "garbage", NULL, other));
    CHECK (w.code == GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  Wrong state: verify, evaluate, accept, claim a case still at the grid
    CHECK (s_do (&w, t, OFFICER, "verify", id, "ok") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK (strstr (w.message, "is at_grid"));
    CHECK (s_do (&w, t, OFFICER, "evaluate", id, "5") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK (s_do (&w, t, SUPERVISOR, "arbitrate", id, "gas") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    //  Unknown things
    CHECK (s_do (&w, t, OFFICER, "escalate", "20991231-000001", "x") ==
           GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE);
    CHECK (s_do (&w, t, COMMITTEE, "claim", "", "committee/haihong") ==
           GRIDCASE__ERROR_CODE__ERROR_QUEUE_EMPTY);
    CHECK (s_do (&w, t, COMMITTEE, "claim", "", "dept/gas") ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_journal_last (&w) == last); //  nothing of the above was written

    //  At the committee: the worker may not claim there, the member may;
    //  only the lease holder accepts; bad arguments are refused
    CHECK (s_do (&w, t, OFFICER, "escalate", id, "needs the gas company") == 0);
    CHECK (s_do (&w, t, GAS, "claim", id, NULL) == GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t, COMMITTEE, "claim", id, NULL) == 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_CLAIMED);
    CHECK (streq (w.kase->holder, COMMITTEE));
    CHECK (s_do (&w, t, "committee:c-qianpu", "accept", id, NULL) ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", id, "no-such-dept") ==
           GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT);
    CHECK (s_do (&w, t, OFFICER, "evaluate", id, "7") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", id, "gas") == 0);
    CHECK (s_do (&w, t, GAS, "bounce", id, "") == GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    CHECK (s_do (&w, t, GAS, "escalate", id, "x") == GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t, GAS, "claim", id, NULL) == 0);
    CHECK (s_do (&w, t, GAS, "accept", id, NULL) == 0);
    CHECK (s_do (&w, t, GAS, "resolve", id, "valve replaced") == 0);
    CHECK (s_do (&w, t, OFFICER, "verify", id, "ok") == 0);
    CHECK (s_do (&w, t, OFFICER, "evaluate", id, "9") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    CHECK (s_do (&w, t, OFFICER, "evaluate", id, "5") == 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_CLOSED);
    //  Closed is closed: only notes remain
    CHECK (s_do (&w, t, OFFICER, "escalate", id, "x") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK (s_do (&w, t, OFFICER, "note", id, "resident thanked us") == 0);
    s_world_end (&w);
    return true;
}

static bool
test_story_committee_misses_and_street_dispatches (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (w.kase->severity == GRIDCASE__SEVERITY__SEVERITY_RED);
    CHECK (streq (w.kase->holder, "grid/haihong-01"));
    CHECK (s_do (&w, t + MINUTE, OFFICER, "escalate", id, "needs the gas company") == 0);
    CHECK (streq (w.kase->holder, "committee/haihong"));
    CHECK (w.kase->response_due == t + MINUTE + 15 * MINUTE); //  red: round the clock
    //  14 minutes: nothing; 16 minutes: at the street office, and why
    CHECK (s_tick (&w, t + 15 * MINUTE) == 0);
    CHECK (s_tick (&w, t + 17 * MINUTE) == 1);
    CHECK (streq (s_case (&w, id)->holder, "street/lianqian"));
    CHECK (w.kase->level == GRIDCASE__LEVEL__LEVEL_STREET);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "committee/haihong did not take it within 15 min"));
    t += 20 * MINUTE;
    CHECK (s_do (&w, t, STREET, "dispatch", id, "gas") == 0);
    CHECK (streq (w.kase->holder, "dept/gas"));
    CHECK (streq (w.kase->dispatched_from, "street/lianqian"));
    //  The notices chain per topic: the dept/gas notice has no predecessor
    //  yet; the officer's topic links back to its previous notice
    uint64_t officer_prev = 0, officer_seen = 0;
    bool dept_seen = false;
    for (zmsg_t *msg = (zmsg_t *)zlistx_first (w.notices); msg;
         msg = (zmsg_t *)zlistx_next (w.notices)) {
        char *topic = zframe_strdup (zmsg_first (msg));
        zframe_t *frame = zmsg_next (msg);
        Gridcase__Notice *notice =
            gridcase__notice__unpack (NULL, zframe_size (frame), zframe_data (frame));
        CHECK (notice && streq (notice->topic, topic));
        if (streq (topic, "officer/o-haihong-01")) {
            CHECK (notice->prev_seq == officer_seen);
            officer_prev = notice->prev_seq;
            officer_seen = notice->seq;
        }
        if (streq (topic, "dept/gas")) {
            CHECK (notice->prev_seq == 0 &&
                   notice->entry->type == GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED);
            dept_seen = true;
        }
        gridcase__notice__free_unpacked (notice, NULL);
        free (topic);
    }
    CHECK (dept_seen && officer_seen == 4 && officer_prev == 3);
    CHECK (s_do (&w, t + MINUTE, GAS, "claim", "", "dept/gas") == 0);
    CHECK (streq (w.kase->id, id));
    CHECK (s_do (&w, t + 2 * MINUTE, GAS, "accept", id, NULL) == 0);
    CHECK (s_do (&w, t + 30 * MINUTE, GAS, "resolve", id, "valve replaced") == 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_RESOLVED);
    CHECK (streq (w.kase->holder, "grid/haihong-01") && streq (w.kase->resolved_by, "dept/gas"));
    CHECK (s_do (&w, t + HOUR, OFFICER, "verify", id, "ok") == 0);
    CHECK (s_do (&w, t + HOUR, OFFICER, "evaluate", id, "5") == 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_CLOSED && w.kase->rating == 5);
    //  Nothing is left armed for a closed case
    CHECK (s_tick (&w, t + 30 * DAY) == 0);
    s_world_end (&w);
    return true;
}

static bool
test_unclaimed_red_case_climbs_every_level (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "public-order", NULL, id));
    //  Grid: the officer has 15 min to settle it on the spot
    CHECK (s_tick (&w, t + 16 * MINUTE) == 1);
    CHECK (streq (s_case (&w, id)->holder, "committee/haihong"));
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "the grid officer did not settle it on the spot within 15 min"));
    //  Community: 15 min to take it
    CHECK (s_tick (&w, t + 32 * MINUTE) == 1);
    CHECK (streq (s_case (&w, id)->holder, "street/lianqian"));
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "committee/haihong did not take it within 15 min"));
    //  Street: the sample city gives the street office an hour for red
    CHECK (s_tick (&w, t + 80 * MINUTE) == 0);
    CHECK (s_tick (&w, t + 93 * MINUTE) == 1);
    CHECK (streq (s_case (&w, id)->holder, "district/siming"));
    CHECK (w.kase->escalation_count == 3);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "street/lianqian did not take it within 1 h"));
    //  District: the top. Recorded once as overdue, never again
    CHECK (s_tick (&w, t + 110 * MINUTE) == 1);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_OVERDUE, "top of the ladder"));
    CHECK (streq (s_case (&w, id)->holder, "district/siming"));
    uint64_t last = s_journal_last (&w);
    CHECK (s_tick (&w, t + 2 * HOUR) == 0);
    //  The resolution deadline at the district is recorded once as well
    CHECK (s_tick (&w, t + 6 * HOUR) == 1);
    CHECK (s_tick (&w, t + 10 * DAY) == 0);
    CHECK (s_journal_last (&w) == last + 1);
    s_world_end (&w);
    return true;
}

static bool
test_lease_expiry_redelivers_then_escalates (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (s_do (&w, t, OFFICER, "escalate", id, "gas") == 0);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", id, "gas") == 0);
    //  Three claims that are never accepted (lease 30 min each)
    for (uint32_t round = 1; round <= 3; round++) {
        CHECK (s_do (&w, t + MINUTE, GAS, "claim", "", "dept/gas") == 0);
        CHECK (w.kase->lease_until == t + MINUTE + 30 * MINUTE);
        t += 32 * MINUTE;
        CHECK (s_tick (&w, t) == 1);
        s_case (&w, id);
        CHECK (w.kase->delivery_count == round);
        if (round < 3) {
            CHECK (w.kase->state == GRIDCASE__STATE__STATE_QUEUED);
            CHECK (streq (w.kase->holder, "dept/gas"));
            CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_LEASE_EXPIRED,
                                   "worker:w-gas-1 did not accept it within 30 min"));
        }
    }
    //  The third return flags it for supervision
    CHECK (w.kase->level == GRIDCASE__LEVEL__LEVEL_SUPERVISION);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION,
                           "returned to dept/gas 3 times without being accepted"));
    //  A renewed lease does not expire on time; a release gives it back
    CHECK (s_do (&w, t, "worker:w-gas-2", "claim", id, NULL) == 0);
    CHECK (s_do (&w, t + 20 * MINUTE, "worker:w-gas-2", "renew", id, NULL) == 0);
    CHECK (s_tick (&w, t + 40 * MINUTE) == 0);
    CHECK (s_case (&w, id)->state == GRIDCASE__STATE__STATE_CLAIMED);
    CHECK (s_do (&w, t + 41 * MINUTE, GAS, "release", id, NULL) ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t + 41 * MINUTE, "worker:w-gas-2", "release", id, "wrong district") == 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_QUEUED && w.kase->delivery_count == 4);
    s_world_end (&w);
    return true;
}

static bool
test_second_bounce_goes_to_arbitration (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "blocked-drain", NULL, id));
    CHECK (s_do (&w, t, OFFICER, "escalate", id, "the drain is under the road") == 0);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", id, "water") == 0);
    CHECK (s_do (&w, t + MINUTE, "worker:w-water-1", "bounce", id, "the drain is the road's") == 0);
    CHECK (streq (w.kase->holder, "committee/haihong") && w.kase->bounce_count == 1);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_BOUNCED,
                           "bounced by water back to committee/haihong"));
    CHECK (s_do (&w, t + 2 * MINUTE, COMMITTEE, "dispatch", id, "housing") == 0);
    CHECK (s_do (&w, t + 3 * MINUTE, "worker:w-housing-1", "bounce", id, "pipes are water's") == 0);
    CHECK (streq (w.kase->holder, "supervision/siming"));
    CHECK (w.kase->level == GRIDCASE__LEVEL__LEVEL_SUPERVISION && w.kase->bounce_count == 2);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_BOUNCED, "a supervisor arbitrates"));
    //  Only a supervisor rules; after the ruling the department keeps it
    CHECK (s_do (&w, t + 4 * MINUTE, COMMITTEE, "arbitrate", id, "water") ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t + 4 * MINUTE, "supervisor:sup-lianqian", "arbitrate", id, "water") == 0);
    CHECK (streq (w.kase->holder, "dept/water") && w.kase->arbitrated);
    CHECK (s_do (&w, t + 5 * MINUTE, "worker:w-water-1", "bounce", id, "still not ours") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    s_world_end (&w);
    return true;
}

static bool
test_rework_reopen_and_evaluation_window (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (s_do (&w, t, OFFICER, "escalate", id, "gas") == 0);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", id, "gas") == 0);
    CHECK (s_do (&w, t, GAS, "resolve", id, "tightened") == 0);
    //  Verification fails on site: back to the gas company, rework 1
    CHECK (s_do (&w, t + HOUR, OFFICER, "verify", id, "failed") == 0);
    CHECK (streq (w.kase->holder, "dept/gas") && w.kase->rework_count == 1);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_REWORK, "rework 1 for dept/gas"));
    CHECK (s_do (&w, t + 2 * HOUR, GAS, "resolve", id, "replaced") == 0);
    CHECK (s_do (&w, t + 3 * HOUR, OFFICER, "verify", id, "ok") == 0);
    //  The resident is dissatisfied: reopened to the department that resolved it
    CHECK (s_do (&w, t + 4 * HOUR, OFFICER, "evaluate", id, "2") == 0);
    CHECK (streq (w.kase->holder, "dept/gas") && w.kase->reopen_count == 1);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_QUEUED);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_REOPENED, "rating 2"));
    CHECK (s_do (&w, t + 5 * HOUR, GAS, "resolve", id, "replaced the meter too") == 0);
    //  Nobody verifies within a day, nobody rates within three: it closes
    CHECK (s_tick (&w, t + 5 * HOUR + DAY + MINUTE) == 1);
    CHECK (s_case (&w, id)->state == GRIDCASE__STATE__STATE_VERIFIED);
    CHECK (s_tick (&w, t + 5 * HOUR + 4 * DAY + 2 * MINUTE) == 1);
    CHECK (s_case (&w, id)->state == GRIDCASE__STATE__STATE_CLOSED);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_CLOSED, "no rating within 3 d"));
    //  Settled on the spot by the officer: no second verification
    char other[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, other));
    CHECK (s_do (&w, t + MINUTE, OFFICER, "resolve-on-site", other, NULL) == 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_VERIFIED);
    CHECK (streq (w.kase->resolved_by, "grid/haihong-01"));
    s_world_end (&w);
    return true;
}

//  A city whose committee keeps office hours 08:00-18:00 on weekdays and
//  answers green cases within one hour of them
static const char *s_office_city = "gridcase\n"
                                   "    timezone = \"Asia/Shanghai\"\n"
                                   "calendars\n"
                                   "    calendar = office\n"
                                   "        days = \"mon-fri\"\n"
                                   "        hours = \"08:00-18:00\"\n"
                                   "        holidays = \"2026-11-25\"\n"
                                   "rules\n"
                                   "    calendar = office\n"
                                   "    severity = green\n"
                                   "        response = 1h\n"
                                   "        resolution = 2d\n"
                                   "city\n"
                                   "    district = d\n"
                                   "        street = s\n"
                                   "            community = c\n"
                                   "                grid = g\n"
                                   "departments\n"
                                   "    department = gas\n"
                                   "categories\n"
                                   "    category = garbage\n"
                                   "        severity = green\n"
                                   "roster\n"
                                   "    actor = o\n"
                                   "        role = officer\n"
                                   "        grid = g\n"
                                   "    actor = m\n"
                                   "        role = committee\n"
                                   "        community = c\n";

static bool
test_service_hours_count_only_open_time (void)
{
    char file[] = "/tmp/gc-test-city-XXXXXX";
    int fd = mkstemp (file);
    CHECK (fd >= 0 && write (fd, s_office_city, strlen (s_office_city)) > 0);
    close (fd);
    world_t w;
    CHECK (s_world (&w, file));
    unlink (file);
    //  Monday 17:55: reported and handed to the committee at once
    int64_t t = s_at (2026, 11, 23, 17, 55);
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, "officer:o", "g", "garbage", NULL, id));
    CHECK (s_do (&w, t, "officer:o", "escalate", id, "not mine") == 0);
    //  5 minutes today, 55 tomorrow: due Tuesday 08:55, not Monday 18:55
    CHECK (w.kase->response_due == s_at (2026, 11, 24, 8, 55));
    CHECK (s_tick (&w, s_at (2026, 11, 23, 19, 0)) == 0);
    CHECK (s_tick (&w, s_at (2026, 11, 24, 8, 5)) == 0);
    CHECK (s_case (&w, id)->state == GRIDCASE__STATE__STATE_QUEUED);
    CHECK (streq (w.kase->holder, "committee/c"));
    CHECK (s_tick (&w, s_at (2026, 11, 24, 8, 56)) == 1);
    CHECK (streq (s_case (&w, id)->holder, "street/s"));
    //  The calendar skips weekends and holidays
    const gc_calendar_t *office = w.config->policy.calendar;
    CHECK (gc_calendar_due (office, s_at (2026, 11, 27, 17, 30), HOUR) ==
           s_at (2026, 11, 30, 8, 30)); //  Friday 17:30 + 1 h -> Monday 08:30
    CHECK (gc_calendar_due (office, s_at (2026, 11, 24, 17, 0), 2 * HOUR) ==
           s_at (2026, 11, 26, 9, 0)); //  Wednesday 25th is a holiday
    CHECK (gc_calendar_due (office, s_at (2026, 11, 28, 3, 0), 10 * HOUR) ==
           s_at (2026, 11, 30, 18, 0)); //  a whole working day, from a Saturday
    s_world_end (&w);
    return true;
}

static bool
test_extension_pauses_the_clock (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (s_do (&w, t, OFFICER, "escalate", id, "gas") == 0);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", id, "gas") == 0);
    CHECK (s_do (&w, t, GAS, "claim", id, NULL) == 0);
    CHECK (s_do (&w, t, GAS, "accept", id, NULL) == 0);
    int64_t due = w.kase->resolution_due;
    CHECK (due == t + 2 * HOUR); //  gas leaks: 2 h at the department
    //  Asked and refused: the clock runs on
    CHECK (s_do (&w, t + MINUTE, GAS, "extend", id, "7200000") == 0);
    CHECK (streq (w.kase->pending_request, "extension"));
    CHECK (s_do (&w, t + MINUTE, GAS, "approve", id, NULL) ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (s_do (&w, t + 2 * MINUTE, SUPERVISOR, "reject", id, NULL) == 0);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_REJECTED, "extension refused"));
    CHECK (!w.kase->paused && !*w.kase->pending_request);
    //  Asked for 3 h at +30 min, approved at +40 min: paused until +3 h 30
    CHECK (s_do (&w, t + 30 * MINUTE, GAS, "extend", id, "10800000") == 0);
    CHECK (s_do (&w, t + 40 * MINUTE, SUPERVISOR, "approve", id, NULL) == 0);
    CHECK (w.kase->paused);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_APPROVED, "the clock stops"));
    CHECK (s_tick (&w, due + MINUTE) == 0); //  the deadline passes while paused: nothing
    CHECK (s_tick (&w, t + 3 * HOUR + 31 * MINUTE) == 1);
    s_case (&w, id);
    CHECK (!w.kase->paused && w.kase->state == GRIDCASE__STATE__STATE_IN_PROGRESS);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_RESUMED, "the clock runs again"));
    //  The pause (2 h 50 min) moved the deadline by as much
    int64_t moved = due + (3 * HOUR + 30 * MINUTE - 40 * MINUTE);
    CHECK (w.kase->resolution_due == moved);
    CHECK (s_tick (&w, moved + MINUTE) == 1);
    CHECK (s_case (&w, id)->level == GRIDCASE__LEVEL__LEVEL_SUPERVISION);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION,
                           "worker:w-gas-1 did not resolve it within 2 h"));
    //  Parking longer than the rules allow is refused
    CHECK (s_do (&w, moved + 2 * MINUTE, GAS, "park", id, "8640000000") ==
           GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    s_world_end (&w);
    return true;
}

static bool
test_regrade_recomputes_and_reorders (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char drain[GC_CASE_ID_MAX], trash[GC_CASE_ID_MAX], gas[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "blocked-drain", NULL, drain));
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, trash));
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, gas));
    const char *ids[] = {drain, trash, gas};
    for (int i = 0; i < 3; i++) {
        CHECK (s_do (&w, t, OFFICER, "escalate", ids[i], "committee") == 0);
        CHECK (s_do (&w, t, COMMITTEE, "dispatch", ids[i], "water") == 0);
    }
    //  The queue reads red first, then yellow, then green
    CHECK (s_do (&w, t + MINUTE, "worker:w-water-1", "claim", "", "dept/water") == 0);
    CHECK (streq (w.kase->id, gas));
    CHECK (s_do (&w, t + MINUTE, "worker:w-water-1", "release", gas, NULL) == 0);
    //  Green regraded to red: its deadlines follow at once and it jumps ahead
    s_case (&w, trash);
    int64_t since = w.kase->level_since;
    CHECK (s_do (&w, t + 2 * MINUTE, "supervisor:sup-lianqian", "regrade", trash, "red") == 0);
    CHECK (w.kase->severity == GRIDCASE__SEVERITY__SEVERITY_RED);
    CHECK (w.kase->response_due == since + 15 * MINUTE);
    CHECK (w.kase->resolution_due == since + 4 * HOUR);
    CHECK (s_journal_says (&w, trash, GRIDCASE__EVENT_TYPE__EVENT_REGRADED, "green -> red"));
    //  Red first (the gas case, due at +11 min, then the regraded one), then yellow
    CHECK (s_do (&w, t + 3 * MINUTE, "worker:w-water-1", "claim", "", "dept/water") == 0);
    CHECK (streq (w.kase->id, gas));
    CHECK (s_do (&w, t + 3 * MINUTE, "worker:w-water-1", "claim", "", "dept/water") == 0);
    CHECK (streq (w.kase->id, trash));
    CHECK (s_do (&w, t + 3 * MINUTE, "worker:w-water-1", "claim", "", "dept/water") == 0);
    CHECK (streq (w.kase->id, drain));
    //  An officer regrades only at the grid
    CHECK (s_do (&w, t + 3 * MINUTE, OFFICER, "regrade", drain, "red") ==
           GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    s_world_end (&w);
    return true;
}

static bool
test_duplicates_link_and_fallback_owner (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char first[GC_CASE_ID_MAX], again[GC_CASE_ID_MAX], second[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, first));
    //  The same report linked: no new case
    CHECK (s_report (&w, t + MINUTE, OFFICER, "haihong-01", "garbage", first, again));
    CHECK (streq (again, first) && w.kase->linked_reports == 1);
    CHECK (s_journal_says (&w, first, GRIDCASE__EVENT_TYPE__EVENT_LINKED, "duplicate report"));
    CHECK (!s_report (&w, t + MINUTE, OFFICER, "haihong-01", "gas-leak", first, again));
    CHECK (w.code == GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    //  A second case already open: closed as a duplicate of the first
    CHECK (s_report (&w, t + 2 * MINUTE, OFFICER, "haihong-01", "garbage", NULL, second));
    CHECK (!streq (second, first));
    CHECK (s_do (&w, t + 3 * MINUTE, OFFICER, "link", second, first) == 0);
    CHECK (s_case (&w, second)->state == GRIDCASE__STATE__STATE_CLOSED);
    CHECK (streq (w.kase->duplicate_of, first));
    CHECK (s_case (&w, first)->linked_reports == 2);
    //  A category without a department: the district command centre owns it
    char other[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "other", NULL, other));
    CHECK (s_do (&w, t, OFFICER, "escalate", other, "no idea whose") == 0);
    CHECK (s_do (&w, t, COMMITTEE, "dispatch", other, NULL) == 0);
    CHECK (streq (w.kase->holder, "district/siming"));
    CHECK (s_journal_says (&w, other, GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED,
                           "the district command centre owns it"));
    s_world_end (&w);
    return true;
}

static bool
test_restart_in_the_middle_of_a_deadline (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (s_do (&w, t + MINUTE, OFFICER, "escalate", id, "gas") == 0);
    //  Down for an hour: the store is closed and opened again, no replay
    gc_store_destroy (&w.store);
    w.store = gc_store_new (w.dir, NULL);
    CHECK (w.store);
    gc_txn_t *txn = gc_txn_begin (w.store, false);
    CHECK (gc_escalation_next (txn) == t + 16 * MINUTE);
    gc_txn_abort (&txn);
    CHECK (s_tick (&w, t + HOUR) == 1);
    CHECK (streq (s_case (&w, id)->holder, "street/lianqian"));
    s_world_end (&w);
    return true;
}

int
main (int argc, char **argv)
{
    (void)argc;
    (void)argv;
    setenv ("TZ", "Asia/Shanghai", 1);
    tzset ();
    zsys_init ();
    zsys_set_logstream (stderr);
    RUN (test_refused_transitions_change_nothing);
    RUN (test_story_committee_misses_and_street_dispatches);
    RUN (test_unclaimed_red_case_climbs_every_level);
    RUN (test_lease_expiry_redelivers_then_escalates);
    RUN (test_second_bounce_goes_to_arbitration);
    RUN (test_rework_reopen_and_evaluation_window);
    RUN (test_service_hours_count_only_open_time);
    RUN (test_extension_pauses_the_clock);
    RUN (test_regrade_recomputes_and_reorders);
    RUN (test_duplicates_link_and_fallback_owner);
    RUN (test_restart_in_the_middle_of_a_deadline);
    return TESTS_DONE ();
}
