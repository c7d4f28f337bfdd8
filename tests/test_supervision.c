/*  The supervisor's view, driven with explicit times on a real store: the
    figures of a scenario with known answers, the gauges following a case
    up the ladder, and every read kept within the reader's scope. */
#include "gc_query.h"
#include "gc_writer.h"
#include "testutil.h"
#include "gc_journal.h"
#include "world.h"

#include <math.h>

#define WORKER_WATER "worker:w-water-1"

//  Runs a read as ACTOR at NOW; returns the reply (free it) or NULL
static Gridcase__Reply *
s_read (world_t *w, int64_t now, const char *actor, Gridcase__Request *request)
{
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    char id[64] = "";
    if (s_who (actor, &who, id))
        request->actor = &who;
    uint8_t client_id[16] = {9};
    request->client_id.data = client_id;
    request->client_id.len = 16;
    request->sequence = ++w->sequence;
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    gc_reply_t out = {0};
    gc_query_read (w->config, txn, request, now, &out);
    gc_txn_abort (&txn);
    request->actor = NULL;
    Gridcase__Reply *reply = gridcase__reply__unpack (NULL, out.size, out.data);
    gc_reply_free (&out);
    return reply;
}

static Gridcase__Reply *
s_stats (world_t *w, int64_t now, const char *actor, const char *area, const char *by,
         uint32_t from_day, uint32_t to_day)
{
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    stats.area = (char *)area;
    stats.by = (char *)by;
    stats.from_day = from_day;
    stats.to_day = to_day;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    return s_read (w, now, actor, &request);
}

static Gridcase__ErrorCode
s_error (const Gridcase__Reply *reply)
{
    return !reply ? GRIDCASE__ERROR_CODE__ERROR_INTERNAL
           : reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? reply->error->code
                                                                 : 0;
}

static bool
s_near (double a, double b)
{
    return fabs (a - b) < 1e-9;
}

#define AT(minutes) (T0 + (minutes)*MINUTE)
#define DAY0 20261123u

//  Ten cases reported in grid haihong-01 at T0 with chosen timings:
//   1-6  settled on the spot after 1..6 min (no second visit to verify);
//        1-5 rated 5,4,5,3,4; 6 not rated yet
//   7    escalated, the committee accepts at 10 min, resolves at 30,
//        verification fails (rework), resolved again, rated 4
//   8    red, not settled: the grid's 15 min pass and it climbs (late)
//   9    dispatched to gas at 4 min, accepted at 15, resolved at 64, rated 5
//   10   dispatched to gas at 4 min, bounced at 20
static bool
s_scenario (world_t *w, char ids[10][GC_CASE_ID_MAX])
{
    for (int i = 0; i < 10; i++)
        CHECK (
            s_report (w, T0, OFFICER, "haihong-01", i == 7 ? "gas-leak" : "garbage", NULL, ids[i]));
    for (int i = 0; i < 6; i++)
        CHECK_OP (s_do (w, AT (i + 1), OFFICER, "resolve-on-site", ids[i], NULL), ==, 0);
    const char *ratings[] = {"5", "4", "5", "3", "4"};
    for (int i = 0; i < 5; i++)
        CHECK_OP (s_do (w, AT (21), OFFICER, "evaluate", ids[i], ratings[i]), ==, 0);
    //  7: the committee, with a rework
    CHECK_OP (s_do (w, AT (1), OFFICER, "escalate", ids[6], "needs the committee"), ==, 0);
    CHECK_OP (s_do (w, AT (9), COMMITTEE, "claim", ids[6], ""), ==, 0);
    CHECK_OP (s_do (w, AT (10), COMMITTEE, "accept", ids[6], NULL), ==, 0);
    CHECK_OP (s_do (w, AT (30), COMMITTEE, "resolve", ids[6], "cleared"), ==, 0);
    CHECK_OP (s_do (w, AT (40), OFFICER, "verify", ids[6], "failed"), ==, 0);
    CHECK_OP (s_do (w, AT (50), COMMITTEE, "resolve", ids[6], "cleared again"), ==, 0);
    CHECK_OP (s_do (w, AT (55), OFFICER, "verify", ids[6], "ok"), ==, 0);
    CHECK_OP (s_do (w, AT (56), OFFICER, "evaluate", ids[6], "4"), ==, 0);
    //  9 and 10: the gas company
    for (int i = 8; i < 10; i++) {
        CHECK_OP (s_do (w, T0, OFFICER, "escalate", ids[i], "not for the grid"), ==, 0);
        CHECK_OP (s_do (w, AT (4), COMMITTEE, "dispatch", ids[i], "gas"), ==, 0);
    }
    CHECK_OP (s_do (w, AT (14), GAS, "claim", ids[8], ""), ==, 0);
    CHECK_OP (s_do (w, AT (15), GAS, "accept", ids[8], NULL), ==, 0);
    //  8: only its deadline is due
    CHECK_OP (s_tick (w, AT (16)), ==, 1);
    CHECK_OP (s_do (w, AT (20), GAS, "bounce", ids[9], "a drain, not gas"), ==, 0);
    CHECK_OP (s_do (w, AT (64), GAS, "resolve", ids[8], "valve replaced"), ==, 0);
    CHECK_OP (s_do (w, AT (70), OFFICER, "verify", ids[8], "ok"), ==, 0);
    CHECK_OP (s_do (w, AT (71), OFFICER, "evaluate", ids[8], "5"), ==, 0);
    return true;
}

static bool
test_figures_of_a_scenario_with_known_answers (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    char ids[10][GC_CASE_ID_MAX];
    CHECK (s_scenario (&w, ids));

    Gridcase__Reply *reply = s_stats (&w, AT (80), SUPERVISOR, "haihong", "grid", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK (reply->stats->from_day == DAY0 && reply->stats->to_day == DAY0);
    //  The community, then its three grids; all ten cases are in haihong-01
    CHECK_OP (reply->stats->n_figures, ==, 4);
    CHECK (streq (reply->stats->figures[0]->key, "community/haihong"));
    CHECK (streq (reply->stats->figures[1]->key, "grid/haihong-01"));
    for (size_t i = 0; i < 2; i++) {
        const Gridcase__Figures *f = reply->stats->figures[i];
        CHECK_OP (f->received, ==, 10);
        CHECK_OP (f->responded, ==, 8);  //  1-7 and 9
        CHECK_OP (f->resolved, ==, 8);   //  1-7 and 9
        CHECK_OP (f->due, ==, 9);        //  the resolved, and 8 past its deadline
        CHECK_OP (f->on_time, ==, 8);    //  8 is late
        CHECK_OP (f->closed, ==, 7);     //  1-5, 7, 9
        CHECK_OP (f->reworked, ==, 1);   //  7
        CHECK_OP (f->dispatched, ==, 2); //  9, 10
        CHECK_OP (f->bounced, ==, 1);    //  10
        CHECK_OP (f->escalated, ==, 4);  //  7, 9, 10 by the officer, 8 by the daemon
        CHECK (f->rated == 7 && f->rating_sum == 30);
        CHECK_OP (f->open_now, ==, 3);    //  6 (not rated), 8, 10
        CHECK_OP (f->overdue_now, ==, 0); //  8 climbed: someone new has it in time
        CHECK (s_near (f->on_time_rate, 8.0 / 9));
        CHECK (s_near (f->closure_rate, 0.7));
        CHECK (s_near (f->rework_rate, 0.125));
        CHECK (s_near (f->bounce_rate, 0.5));
        CHECK (s_near (f->satisfaction, 30.0 / 7));
        //  Respond: 1,2,3,4,5,6,10,15 min; resolve: 1,2,3,4,5,6,30,64 min
        CHECK_OP (f->respond_mean_ms, ==, 345000);
        CHECK_OP (f->respond_p95_ms, ==, 15 * MINUTE);
        CHECK_OP (f->resolve_mean_ms, ==, 862500);
        CHECK_OP (f->resolve_p95_ms, ==, 64 * MINUTE);
    }
    CHECK (reply->stats->figures[2]->received == 0 && reply->stats->figures[3]->received == 0);
    gridcase__reply__free_unpacked (reply, NULL);

    //  The gas company: received 9 and 10 at 4 min
    reply = s_stats (&w, AT (80), SUPERVISOR, "", "department", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    const Gridcase__Figures *gas = NULL;
    for (size_t i = 0; i < reply->stats->n_figures; i++)
        if (streq (reply->stats->figures[i]->key, "dept/gas"))
            gas = reply->stats->figures[i];
    CHECK (gas);
    CHECK (gas->received == 2 && gas->dispatched == 2 && gas->bounced == 1);
    CHECK (gas->responded == 1 && gas->respond_mean_ms == 11 * MINUTE);
    CHECK (gas->resolved == 1 && gas->resolve_p95_ms == 60 * MINUTE);
    CHECK (gas->due == 1 && gas->on_time == 1 && gas->closed == 1);
    CHECK (gas->rated == 1 && s_near (gas->satisfaction, 5));
    CHECK (gas->open_now == 0 && s_near (gas->bounce_rate, 0.5));
    //  The total of all departments is their sum
    CHECK (streq (reply->stats->figures[0]->name, "all departments"));
    CHECK_OP (reply->stats->figures[0]->received, ==, 2);
    gridcase__reply__free_unpacked (reply, NULL);

    //  Another period holds none of it; the gauges are now, whatever the period
    reply = s_stats (&w, AT (80), SUPERVISOR, "haihong-01", "", 20261124, 20261130);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK (reply->stats->figures[0]->received == 0 && reply->stats->figures[0]->open_now == 3);
    gridcase__reply__free_unpacked (reply, NULL);
    s_world_end (&w);
    return true;
}

static bool
test_overdue_and_open_follow_the_case (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, T0, OFFICER, "haihong-01", "gas-leak", NULL, id));
    //  Nobody takes it: grid -> committee -> street -> district -> overdue
    CHECK_OP (s_tick (&w, AT (16)), ==, 1);
    CHECK_OP (s_tick (&w, AT (32)), ==, 1);
    CHECK_OP (s_tick (&w, AT (93)), ==, 1);
    CHECK_OP (s_tick (&w, AT (200)), ==, 1);
    CHECK_OP (s_case (&w, id)->missed, !=, 0);
    Gridcase__Reply *reply = s_stats (&w, AT (201), SUPERVISOR, "siming", "", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    const Gridcase__Figures *f = reply->stats->figures[0];
    CHECK (f->open_now == 1 && f->overdue_now == 1 && f->escalated == 3 && f->due == 1);
    gridcase__reply__free_unpacked (reply, NULL);
    //  The district dispatches it: no longer overdue; the gas company has it
    CHECK_OP (s_do (&w, AT (202), SUPERVISOR, "dispatch", id, "gas"), ==, 0);
    reply = s_stats (&w, AT (203), SUPERVISOR, "siming", "department", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK_OP (reply->stats->figures[0]->open_now, ==, 1);
    gridcase__reply__free_unpacked (reply, NULL);
    reply = s_stats (&w, AT (203), SUPERVISOR, "siming", "", DAY0, DAY0);
    CHECK (reply->stats->figures[0]->overdue_now == 0 && reply->stats->figures[0]->open_now == 1);
    gridcase__reply__free_unpacked (reply, NULL);
    //  The gas company misses its response: flagged, overdue again, for it too
    CHECK_OP (s_tick (&w, AT (213)), ==, 1);
    reply = s_stats (&w, AT (214), GAS, "", "department", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK_OP (reply->stats->n_figures, ==, 2); //  a worker sees its own department only
    CHECK (reply->stats->figures[1]->overdue_now == 1 && reply->stats->figures[1]->escalated == 1);
    gridcase__reply__free_unpacked (reply, NULL);
    //  Resolved: nothing open at the department any more
    CHECK_OP (s_do (&w, AT (215), GAS, "claim", id, ""), ==, 0);
    CHECK_OP (s_do (&w, AT (216), GAS, "resolve", id, "fixed"), ==, 0);
    reply = s_stats (&w, AT (217), GAS, "", "", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK (reply->stats->figures[0]->open_now == 0 && reply->stats->figures[0]->on_time == 0);
    gridcase__reply__free_unpacked (reply, NULL);
    s_world_end (&w);
    return true;
}

static size_t
s_count_list (world_t *w, const char *actor, const char *area, Gridcase__ErrorCode *code)
{
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.area = (char *)area;
    list.limit = 100;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_LIST;
    request.list = &list;
    Gridcase__Reply *reply = s_read (w, AT (90), actor, &request);
    *code = s_error (reply);
    size_t count = *code ? 0 : reply->list->n_cases;
    gridcase__reply__free_unpacked (reply, NULL);
    return count;
}

//  The escalation log as ACTOR reads it; returns the entries' count
static size_t
s_count_log (world_t *w, const char *actor, const char *area, const char *department,
             uint32_t from_day, Gridcase__ErrorCode *code, char *topic)
{
    Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
    journal.log_only = true;
    journal.area = (char *)area;
    journal.department = (char *)department;
    journal.from_day = from_day;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
    request.journal = &journal;
    Gridcase__Reply *reply = s_read (w, AT (90), actor, &request);
    *code = s_error (reply);
    size_t count = *code ? 0 : reply->journal->n_entries;
    if (!*code && topic)
        snprintf (topic, 64, "%s", reply->journal->follow_topic);
    gridcase__reply__free_unpacked (reply, NULL);
    return count;
}

static bool
test_reads_stay_within_scope (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    char ids[10][GC_CASE_ID_MAX], other[GC_CASE_ID_MAX];
    CHECK (s_scenario (&w, ids));
    CHECK (s_report (&w, AT (5), "officer:o-qianpu-01", "qianpu-01", "garbage", NULL, other));
    CHECK_OP (s_do (&w, AT (6), "officer:o-qianpu-01", "escalate", other, "for the committee"), ==,
              0);
    Gridcase__ErrorCode code;
    char topic[64];

    //  Lists: each committee its own community, the district everything
    CHECK (s_count_list (&w, COMMITTEE, "", &code) == 10 && !code);
    CHECK (s_count_list (&w, "committee:c-qianpu", "", &code) == 1 && !code);
    CHECK (s_count_list (&w, SUPERVISOR, "", &code) == 11 && !code);
    CHECK (s_count_list (&w, "supervisor:sup-lianqian", "qianpu", &code) == 1 && !code);
    CHECK_OP (s_count_list (&w, "committee:c-qianpu", "haihong", &code), ==, 0);
    CHECK_OP (code, ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  A worker sees what concerns its department: 9 and 10
    CHECK (s_count_list (&w, GAS, "", &code) == 2 && !code);
    CHECK (s_count_list (&w, WORKER_WATER, "", &code) == 0 && !code);

    //  One case: not from another community
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = ids[0];
    get.with_history = true;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_GET;
    request.get = &get;
    Gridcase__Reply *reply = s_read (&w, AT (90), "committee:c-qianpu", &request);
    CHECK_OP (s_error (reply), ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    EXPECT_CONTAINS (reply->error->message, ids[0]);
    gridcase__reply__free_unpacked (reply, NULL);
    reply = s_read (&w, AT (90), COMMITTEE, &request);
    CHECK (s_error (reply) == 0 && reply->case_->n_history == 3); //  reported, settled, rated
    gridcase__reply__free_unpacked (reply, NULL);
    //  No actor, or one not in the roster: refused
    reply = s_read (&w, AT (90), "", &request);
    CHECK_OP (s_error (reply), ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    gridcase__reply__free_unpacked (reply, NULL);

    //  The escalation log: 4 escalations, 1 bounce, 1 rework in haihong
    CHECK (s_count_log (&w, COMMITTEE, "", "", 0, &code, topic) == 6 && !code);
    CHECK (streq (topic, "log/community/haihong"));
    CHECK (s_count_log (&w, "committee:c-qianpu", "", "", 0, &code, topic) == 1 && !code);
    CHECK (s_count_log (&w, SUPERVISOR, "", "", 0, &code, topic) == 7 && !code);
    CHECK (streq (topic, "log/district/siming"));
    CHECK (s_count_log (&w, SUPERVISOR, "qianpu-01", "", 0, &code, NULL) == 1 && !code);
    CHECK_OP (s_count_log (&w, "committee:c-qianpu", "haihong", "", 0, &code, NULL), ==, 0);
    CHECK_OP (code, ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  By department: the gas company's bounce
    CHECK (s_count_log (&w, SUPERVISOR, "", "gas", 0, &code, topic) == 1 && !code);
    CHECK (streq (topic, "log/dept/gas"));
    CHECK (s_count_log (&w, GAS, "", "", 0, &code, NULL) == 1 && !code);
    CHECK_OP (s_count_log (&w, COMMITTEE, "", "gas", 0, &code, NULL), ==, 0);
    CHECK_OP (code, ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  By period: nothing happened on the 24th
    CHECK (s_count_log (&w, SUPERVISOR, "", "", 20261124, &code, NULL) == 0 && !code);
    CHECK (s_count_log (&w, SUPERVISOR, "", "", DAY0, &code, NULL) == 7 && !code);

    //  Figures of another community: refused
    reply = s_stats (&w, AT (90), "committee:c-qianpu", "haihong", "", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    gridcase__reply__free_unpacked (reply, NULL);
    reply = s_stats (&w, AT (90), "committee:c-qianpu", "", "", DAY0, DAY0);
    CHECK (s_error (reply) == 0 && reply->stats->figures[0]->received == 1);
    gridcase__reply__free_unpacked (reply, NULL);
    reply = s_stats (&w, AT (90), COMMITTEE, "", "department", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    gridcase__reply__free_unpacked (reply, NULL);
    s_world_end (&w);
    return true;
}

//  Puts COUNT reports from haihong-01 into one write transaction, as the
//  daemon does with a batch, then commits it or aborts it; false if the
//  store refused
static bool
s_batch (world_t *w, size_t count, bool commit)
{
    gc_txn_t *txn = gc_txn_begin (w->store, true);
    if (!txn)
        return false;
    for (size_t i = 0; i < count; i++) {
        Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
        report.grid = "haihong-01";
        report.category = "garbage";
        report.title = "bins overflowing";
        Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
        who.role = GRIDCASE__ROLE__ROLE_OFFICER;
        who.id = "o-haihong-01";
        uint8_t client_id[16] = {4, 2};
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.client_id.data = client_id;
        request.client_id.len = 16;
        request.sequence = ++w->sequence;
        request.actor = &who;
        request.op_case = GRIDCASE__REQUEST__OP_REPORT;
        request.report = &report;
        gc_reply_t out = {0};
        gc_writer_request (w->config, txn, &request, NULL, T0, &out, w->notices);
        gc_reply_free (&out);
    }
    if (commit)
        return gc_txn_commit (&txn) == GC_OK;
    gc_txn_abort (&txn);
    return true;
}

//  The officer's topic: the prev_seq of each notice on it, in order
static size_t
s_officer_chain (world_t *w, uint64_t *prev, uint64_t *seq, size_t max)
{
    size_t n = 0;
    for (gc_notices_t *all = (gc_notices_t *)zlistx_first (w->notices); all;
         all = (gc_notices_t *)zlistx_next (w->notices))
        for (size_t k = 0; k < all->count && n < max; k++) {
            const gc_notice_t *sent = &all->notice[k];
            char *topic = strndup ((const char *)sent->topic, sent->topic_size);
            if (streq (topic, "officer/o-haihong-01")) {
                Gridcase__Notice *notice =
                    gridcase__notice__unpack (NULL, sent->notice_size, sent->notice);
                if (notice) {
                    prev[n] = notice->prev_seq;
                    seq[n++] = notice->seq;
                    gridcase__notice__free_unpacked (notice, NULL);
                }
            }
            free (topic);
        }
    return n;
}

//  A batch's figures and topic heads are added up in memory and written at
//  its commit: an aborted batch leaves no trace, a committed one counts each
//  case once, and the next batch's notices link back to the last one
static bool
test_a_batch_counts_at_its_commit (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    CHECK (s_batch (&w, 3, false));
    s_discard_notices (&w);
    Gridcase__Reply *reply = s_stats (&w, AT (1), SUPERVISOR, "haihong-01", "", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK (reply->stats->n_figures == 0 || reply->stats->figures[0]->received == 0);
    gridcase__reply__free_unpacked (reply, NULL);

    CHECK (s_batch (&w, 5, true));
    uint64_t prev[16], seq[16];
    size_t n = s_officer_chain (&w, prev, seq, 16);
    CHECK (n == 5 && prev[0] == 0);
    for (size_t i = 1; i < n; i++)
        CHECK_OP (prev[i], ==, seq[i - 1]); //  within the batch, from memory
    uint64_t last = seq[n - 1];
    s_discard_notices (&w);
    reply = s_stats (&w, AT (1), SUPERVISOR, "haihong-01", "", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    CHECK_OP (reply->stats->n_figures, >=, 1);
    CHECK_OP (reply->stats->figures[0]->received, ==, 5);
    CHECK_OP (reply->stats->figures[0]->open_now, ==, 5);
    gridcase__reply__free_unpacked (reply, NULL);

    //  The next batch: its first notice links to the head stored at commit
    CHECK (s_batch (&w, 2, true));
    n = s_officer_chain (&w, prev, seq, 16);
    CHECK (n == 2 && prev[0] == last && prev[1] == seq[0]);
    s_discard_notices (&w);
    reply = s_stats (&w, AT (1), SUPERVISOR, "haihong-01", "", DAY0, DAY0);
    CHECK (s_error (reply) == 0 && reply->stats->figures[0]->received == 7);
    gridcase__reply__free_unpacked (reply, NULL);
    s_world_end (&w);
    return true;
}

//  A percentile is never outside the fastest and slowest: with one case of
//  37 min 13 s (a 16 s wide bucket starts at 37 min 4 s), the 95th is that
//  case's own time, the mean's
static bool
test_percentiles_stay_within_the_range (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, T0, OFFICER, "haihong-01", "garbage", NULL, id));
    int64_t took = 37 * MINUTE + 13 * 1000;
    CHECK_OP (s_do (&w, T0 + took, OFFICER, "resolve-on-site", id, NULL), ==, 0);
    Gridcase__Reply *reply = s_stats (&w, T0 + took, SUPERVISOR, "haihong-01", "", DAY0, DAY0);
    CHECK_OP (s_error (reply), ==, 0);
    const Gridcase__Figures *f = reply->stats->figures[0];
    CHECK (f->resolved == 1 && f->resolve_mean_ms == (uint64_t)took);
    CHECK_OP (f->resolve_p95_ms, ==, (uint64_t)took);
    CHECK (f->resolve_min_ms == (uint64_t)took && f->resolve_max_ms == (uint64_t)took);
    gridcase__reply__free_unpacked (reply, NULL);
    s_world_end (&w);
    return true;
}

int
main (void)
{
    setenv ("TZ", "Asia/Shanghai", 1);
    tzset ();
    zsys_init ();
    zsys_set_logstream (stderr);
    RUN (test_figures_of_a_scenario_with_known_answers);
    RUN (test_overdue_and_open_follow_the_case);
    RUN (test_reads_stay_within_scope);
    RUN (test_a_batch_counts_at_its_commit);
    RUN (test_percentiles_stay_within_the_range);
    return TESTS_DONE ();
}
