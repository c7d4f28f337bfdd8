/*  The lifecycle, driven with explicit times on a real store: every
    transition allowed and refused, the ladder climbing by itself, leases,
    bounces and arbitration, rework, reopening, service hours, pauses,
    regrading, duplicates and a restart in the middle of a deadline. */
#include "testutil.h"
#include "gc_schema.h"
#include "gc_journal.h"
#include "world.h"
#include "gc_figures.h"

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
    CHECK_OP (s_do (&w, t, NULL, "escalate", id, "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    CHECK_OP (s_do (&w, t, "officer:nobody", "escalate", id, "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    CHECK_OP (s_do (&w, t, "supervisor:o-haihong-01", "escalate", id, "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    //  An unknown actor learns nothing of the city: not which grids,
    //  categories or cases exist
    CHECK (!s_report (&w, t, "officer:nobody", "no-such-grid", "no-such-category", NULL, other));
    CHECK_OP (w.code, ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    CHECK_OP (s_do (&w, t, "officer:nobody", "note", "20991231-000001", "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    //  Wrong role: a worker does not escalate, a committee member does not verify
    CHECK_OP (s_do (&w, t, GAS, "escalate", id, "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    EXPECT_CONTAINS (w.message, "worker may not escalate");
    CHECK_OP (s_do (&w, t, COMMITTEE, "verify", id, "ok"), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  Wrong scope: another grid's officer, another community's committee
    CHECK_OP (s_do (&w, t, "officer:o-haihong-02", "resolve-on-site", id, NULL), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t, "officer:o-qianpu-01", "note", id, "hello"), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK (!s_report (&w, t, "officer:o-haihong-02", "haihong-01", "garbage", NULL, other));
    CHECK_OP (w.code, ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    //  Wrong state: verify, evaluate, accept, claim a case still at the grid
    CHECK_OP (s_do (&w, t, OFFICER, "verify", id, "ok"), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    EXPECT_CONTAINS (w.message, "is at_grid");
    CHECK_OP (s_do (&w, t, OFFICER, "evaluate", id, "5"), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK_OP (s_do (&w, t, SUPERVISOR, "arbitrate", id, "gas"), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    //  Unknown things
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", "20991231-000001", "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE);
    CHECK_OP (s_do (&w, t, COMMITTEE, "claim", "", "committee/haihong"), ==,
              GRIDCASE__ERROR_CODE__ERROR_QUEUE_EMPTY);
    CHECK_OP (s_do (&w, t, COMMITTEE, "claim", "", "dept/gas"), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_journal_last (&w), ==, last); //  nothing of the above was written

    //  At the committee: the worker may not claim there, the member may;
    //  only the lease holder accepts; bad arguments are refused
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "needs the gas company"), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "claim", id, NULL), ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t, COMMITTEE, "claim", id, NULL), ==, 0);
    CHECK_OP (w.kase->state, ==, GRIDCASE__STATE__STATE_CLAIMED);
    CHECK (streq (w.kase->holder, COMMITTEE));
    CHECK_OP (s_do (&w, t, "committee:c-qianpu", "accept", id, NULL), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "no-such-dept"), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT);
    CHECK_OP (s_do (&w, t, OFFICER, "evaluate", id, "7"), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "bounce", id, ""), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    CHECK_OP (s_do (&w, t, GAS, "escalate", id, "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t, GAS, "claim", id, NULL), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "accept", id, NULL), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "resolve", id, "valve replaced"), ==, 0);
    CHECK_OP (s_do (&w, t, OFFICER, "verify", id, "ok"), ==, 0);
    CHECK_OP (s_do (&w, t, OFFICER, "evaluate", id, "9"), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    CHECK_OP (s_do (&w, t, OFFICER, "evaluate", id, "5"), ==, 0);
    CHECK_OP (w.kase->state, ==, GRIDCASE__STATE__STATE_CLOSED);
    //  Closed is closed: only notes remain
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "x"), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION);
    CHECK_OP (s_do (&w, t, OFFICER, "note", id, "resident thanked us"), ==, 0);
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
    CHECK_OP (w.kase->severity, ==, GRIDCASE__SEVERITY__SEVERITY_RED);
    CHECK (streq (w.kase->holder, "grid/haihong-01"));
    CHECK_OP (s_do (&w, t + MINUTE, OFFICER, "escalate", id, "needs the gas company"), ==, 0);
    CHECK (streq (w.kase->holder, "committee/haihong"));
    CHECK_OP (w.kase->response_due, ==, t + MINUTE + 15 * MINUTE); //  red: round the clock
    //  14 minutes: nothing; 16 minutes: at the street office, and why
    CHECK_OP (s_tick (&w, t + 15 * MINUTE), ==, 0);
    CHECK_OP (s_tick (&w, t + 17 * MINUTE), ==, 1);
    CHECK (streq (s_case (&w, id)->holder, "street/lianqian"));
    CHECK_OP (w.kase->level, ==, GRIDCASE__LEVEL__LEVEL_STREET);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "committee/haihong did not take it within 15 min"));
    t += 20 * MINUTE;
    CHECK_OP (s_do (&w, t, STREET, "dispatch", id, "gas"), ==, 0);
    CHECK (streq (w.kase->holder, "dept/gas"));
    CHECK (streq (w.kase->dispatched_from, "street/lianqian"));
    //  The notices chain per topic: the dept/gas notice has no predecessor
    //  yet; the officer's topic links back to its previous notice
    uint64_t officer_prev = 0, officer_seen = 0;
    bool dept_seen = false;
    for (gc_notices_t *all = (gc_notices_t *)zlistx_first (w.notices); all;
         all = (gc_notices_t *)zlistx_next (w.notices))
        for (size_t k = 0; k < all->count; k++) {
            const gc_notice_t *sent = &all->notice[k];
            char *topic = strndup ((const char *)sent->topic, sent->topic_size);
            Gridcase__Notice *notice =
                gridcase__notice__unpack (NULL, sent->notice_size, sent->notice);
            CHECK (notice && streq (notice->topic, topic));
            if (streq (topic, "officer/o-haihong-01")) {
                CHECK_OP (notice->prev_seq, ==, officer_seen);
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
    CHECK_OP (s_do (&w, t + MINUTE, GAS, "claim", "", "dept/gas"), ==, 0);
    CHECK (streq (w.kase->id, id));
    CHECK_OP (s_do (&w, t + 2 * MINUTE, GAS, "accept", id, NULL), ==, 0);
    CHECK_OP (s_do (&w, t + 30 * MINUTE, GAS, "resolve", id, "valve replaced"), ==, 0);
    CHECK_OP (w.kase->state, ==, GRIDCASE__STATE__STATE_RESOLVED);
    CHECK (streq (w.kase->holder, "grid/haihong-01") && streq (w.kase->resolved_by, "dept/gas"));
    CHECK_OP (s_do (&w, t + HOUR, OFFICER, "verify", id, "ok"), ==, 0);
    CHECK_OP (s_do (&w, t + HOUR, OFFICER, "evaluate", id, "5"), ==, 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_CLOSED && w.kase->rating == 5);
    //  Nothing is left armed for a closed case
    CHECK_OP (s_tick (&w, t + 30 * DAY), ==, 0);
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
    CHECK_OP (s_tick (&w, t + 16 * MINUTE), ==, 1);
    CHECK (streq (s_case (&w, id)->holder, "committee/haihong"));
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "the grid officer did not settle it on the spot within 15 min"));
    //  Community: 15 min to take it
    CHECK_OP (s_tick (&w, t + 32 * MINUTE), ==, 1);
    CHECK (streq (s_case (&w, id)->holder, "street/lianqian"));
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "committee/haihong did not take it within 15 min"));
    //  Street: the sample city gives the street office an hour for red
    CHECK_OP (s_tick (&w, t + 80 * MINUTE), ==, 0);
    CHECK_OP (s_tick (&w, t + 93 * MINUTE), ==, 1);
    CHECK (streq (s_case (&w, id)->holder, "district/siming"));
    CHECK_OP (w.kase->escalation_count, ==, 3);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED,
                           "street/lianqian did not take it within 1 h"));
    //  District: the top. Recorded once as overdue, never again
    CHECK_OP (s_tick (&w, t + 110 * MINUTE), ==, 1);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_OVERDUE, "top of the ladder"));
    CHECK (streq (s_case (&w, id)->holder, "district/siming"));
    uint64_t last = s_journal_last (&w);
    CHECK_OP (s_tick (&w, t + 2 * HOUR), ==, 0);
    //  The resolution deadline at the district is recorded once as well
    CHECK_OP (s_tick (&w, t + 6 * HOUR), ==, 1);
    CHECK_OP (s_tick (&w, t + 10 * DAY), ==, 0);
    CHECK_OP (s_journal_last (&w), ==, last + 1);
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
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "gas"), ==, 0);
    //  Three claims that are never accepted (lease 30 min each)
    for (uint32_t round = 1; round <= 3; round++) {
        CHECK_OP (s_do (&w, t + MINUTE, GAS, "claim", "", "dept/gas"), ==, 0);
        CHECK_OP (w.kase->lease_until, ==, t + MINUTE + 30 * MINUTE);
        t += 32 * MINUTE;
        CHECK_OP (s_tick (&w, t), ==, 1);
        s_case (&w, id);
        CHECK_OP (w.kase->delivery_count, ==, round);
        if (round < 3) {
            CHECK_OP (w.kase->state, ==, GRIDCASE__STATE__STATE_QUEUED);
            CHECK (streq (w.kase->holder, "dept/gas"));
            CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_LEASE_EXPIRED,
                                   "worker:w-gas-1 did not accept it within 30 min"));
        }
    }
    //  The third return flags it for supervision
    CHECK_OP (w.kase->level, ==, GRIDCASE__LEVEL__LEVEL_SUPERVISION);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION,
                           "returned to dept/gas 3 times without being accepted"));
    //  A renewed lease does not expire on time; a release gives it back
    CHECK_OP (s_do (&w, t, "worker:w-gas-2", "claim", id, NULL), ==, 0);
    CHECK_OP (s_do (&w, t + 20 * MINUTE, "worker:w-gas-2", "renew", id, NULL), ==, 0);
    CHECK_OP (s_tick (&w, t + 40 * MINUTE), ==, 0);
    CHECK_OP (s_case (&w, id)->state, ==, GRIDCASE__STATE__STATE_CLAIMED);
    CHECK_OP (s_do (&w, t + 41 * MINUTE, GAS, "release", id, NULL), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t + 41 * MINUTE, "worker:w-gas-2", "release", id, "wrong district"), ==, 0);
    CHECK (w.kase->state == GRIDCASE__STATE__STATE_QUEUED && w.kase->delivery_count == 4);
    s_world_end (&w);
    return true;
}

//  A request that arrives after a deadline but before the timer acted on it
//  meets the case as the deadline left it: the writer fires what is due in
//  the same transaction first (the world's catch_up, as the daemon does)
static bool
test_deadlines_due_act_before_the_next_request (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    w.catch_up = true;
    int64_t t = T0;
    char id[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t + MINUTE, GAS, "claim", "", "dept/gas"), ==, 0);
    //  31 minutes later, no tick: the lease has ended, so the accept is refused
    //  and the case is back in its queue with the expiry in the journal
    CHECK_OP (s_do (&w, t + 32 * MINUTE, GAS, "accept", id, NULL), !=, 0);
    CHECK_OP (s_case (&w, id)->state, ==, GRIDCASE__STATE__STATE_QUEUED);
    CHECK (w.kase->delivery_count == 1 && streq (w.kase->holder, "dept/gas"));
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_LEASE_EXPIRED,
                           "did not accept it within 30 min"));
    //  Nothing is left for the timer
    CHECK_OP (s_tick (&w, t + 32 * MINUTE), ==, 0);
    //  The officer's time to settle on the spot has passed, untouched by any
    //  tick: the case has climbed to the committee before the officer's
    //  resolution arrives, which is refused
    char late[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, late));
    int64_t due = s_case (&w, late)->resolution_due;
    CHECK_OP (due, >, t);
    CHECK_OP (s_do (&w, due + MINUTE, OFFICER, "resolve-on-site", late, NULL), !=, 0);
    CHECK_OP (s_case (&w, late)->level, ==, GRIDCASE__LEVEL__LEVEL_COMMUNITY);
    CHECK (s_journal_says (&w, late, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED, ""));
    s_world_end (&w);
    return true;
}

static void
s_collect_problem (void *arg, const char *problem)
{
    zlistx_add_end ((zlistx_t *)arg, (void *)problem);
}

//  The checker of a store after tampering: the problems it names
static zlistx_t *
s_check_problems (world_t *w)
{
    zlistx_t *problems = zlistx_new ();
    zlistx_set_duplicator (problems, (czmq_duplicator *)strdup);
    zlistx_set_destructor (problems, (czmq_destructor *)zstr_free);
    gc_txn_t *txn = gc_txn_begin (w->store, false);
    gc_check_result_t result;
    if (gc_check_store (txn, s_collect_problem, problems, &result) != GC_OK)
        zlistx_add_end (problems, "the store could not be read");
    gc_txn_abort (&txn);
    return problems;
}

static bool
s_problem_named (zlistx_t *problems, const char *text)
{
    for (const char *p = (const char *)zlistx_first (problems); p;
         p = (const char *)zlistx_next (problems))
        if (strstr (p, text))
            return true;
    fprintf (stderr, "no problem names '%s'\n", text);
    return false;
}

//  The store checker passes a store every test step wrote (the world runs it
//  after each), and names each kind of disagreement it is shown
static bool
test_store_checker_names_each_disagreement (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    char id[GC_CASE_ID_MAX], queued[GC_CASE_ID_MAX];
    CHECK (s_report (&w, T0, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (s_report (&w, T0, OFFICER, "haihong-01", "garbage", NULL, queued));
    CHECK_OP (s_do (&w, T0, OFFICER, "escalate", queued, "for the committee"), ==, 0);
    zlistx_t *problems = s_check_problems (&w);
    CHECK_OP (zlistx_size (problems), ==, 0);
    zlistx_destroy (&problems);
    //  A deadline gone, a queue entry too many, a topic head moved back, a
    //  log entry made up, a case record altered
    Gridcase__Case *kase = s_case (&w, id);
    int64_t due = kase->resolution_due;
    gc_txn_t *txn = gc_txn_begin (w.store, true);
    CHECK_OP (gc_txn_deadline_del (txn, due, id, GC_DEADLINE_RESOLUTION), ==, GC_OK);
    CHECK_OP (gc_txn_queue_put (txn, "dept/gas", 1, due, id), ==, GC_OK);
    gc_key_t key, seq;
    gc_key_reset (&key);
    gc_key_str (&key, "log");
    gc_key_reset (&seq);
    gc_key_u64 (&seq, 1);
    CHECK_OP (gc_txn_put (txn, GC_DB_TOPICS, &key, seq.data, 8), ==, GC_OK);
    CHECK_OP (gc_txn_log_put (txn, "grid/haihong-01", 1), ==, GC_OK);
    //  ... and a gauge that counts a case too many
    Gridcase__Figures gauge = GRIDCASE__FIGURES__INIT;
    gauge.open_now = 7;
    uint8_t packed[64];
    size_t packed_size = gridcase__figures__pack (&gauge, packed);
    gc_key_t figures;
    gc_key_reset (&figures);
    gc_key_str (&figures, "grid/haihong-01");
    gc_key_u32 (&figures, 0);
    CHECK_OP (gc_txn_put (txn, GC_DB_FIGURES, &figures, packed, packed_size), ==, GC_OK);
    kase = s_case (&w, queued);
    free (kase->title);
    kase->title = strdup ("altered afterwards");
    CHECK_OP (gc_txn_case_put (txn, kase), ==, GC_OK);
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    problems = s_check_problems (&w);
    CHECK (s_problem_named (problems, "deadline index: 'case "));
    CHECK (s_problem_named (problems, "resolution deadline due"));
    CHECK (s_problem_named (problems, "is missing"));
    CHECK (s_problem_named (problems, "queue index: 'dept/gas 1"));
    CHECK (s_problem_named (problems, "topic heads: 'log 1' is there"));
    CHECK (s_problem_named (problems, "escalation-log index: 'grid/haihong-01 1' is there"));
    CHECK (s_problem_named (problems, "is not the record journal entry"));
    CHECK (s_problem_named (problems, "figures gauges: 'grid/haihong-01' counts 7 open"));
    zlistx_destroy (&problems);
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
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "the drain is under the road"), ==, 0);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "water"), ==, 0);
    CHECK_OP (s_do (&w, t + MINUTE, "worker:w-water-1", "bounce", id, "the drain is the road's"),
              ==, 0);
    CHECK (streq (w.kase->holder, "committee/haihong") && w.kase->bounce_count == 1);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_BOUNCED,
                           "bounced by water back to committee/haihong"));
    CHECK_OP (s_do (&w, t + 2 * MINUTE, COMMITTEE, "dispatch", id, "housing"), ==, 0);
    CHECK_OP (s_do (&w, t + 3 * MINUTE, "worker:w-housing-1", "bounce", id, "pipes are water's"),
              ==, 0);
    CHECK (streq (w.kase->holder, "supervision/siming"));
    CHECK (w.kase->level == GRIDCASE__LEVEL__LEVEL_SUPERVISION && w.kase->bounce_count == 2);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_BOUNCED, "a supervisor arbitrates"));
    //  Only a supervisor rules; after the ruling the department keeps it
    CHECK_OP (s_do (&w, t + 4 * MINUTE, COMMITTEE, "arbitrate", id, "water"), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t + 4 * MINUTE, "supervisor:sup-lianqian", "arbitrate", id, "water"), ==,
              0);
    CHECK (streq (w.kase->holder, "dept/water") && w.kase->arbitrated);
    CHECK_OP (s_do (&w, t + 5 * MINUTE, "worker:w-water-1", "bounce", id, "still not ours"), ==,
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
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "resolve", id, "tightened"), ==, 0);
    //  Verification fails on site: back to the gas company, rework 1
    CHECK_OP (s_do (&w, t + HOUR, OFFICER, "verify", id, "failed"), ==, 0);
    CHECK (streq (w.kase->holder, "dept/gas") && w.kase->rework_count == 1);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_REWORK, "rework 1 for dept/gas"));
    CHECK_OP (s_do (&w, t + 2 * HOUR, GAS, "resolve", id, "replaced"), ==, 0);
    CHECK_OP (s_do (&w, t + 3 * HOUR, OFFICER, "verify", id, "ok"), ==, 0);
    //  The resident is dissatisfied: reopened to the department that resolved it
    CHECK_OP (s_do (&w, t + 4 * HOUR, OFFICER, "evaluate", id, "2"), ==, 0);
    CHECK (streq (w.kase->holder, "dept/gas") && w.kase->reopen_count == 1);
    CHECK_OP (w.kase->state, ==, GRIDCASE__STATE__STATE_QUEUED);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_REOPENED, "rating 2"));
    CHECK_OP (s_do (&w, t + 5 * HOUR, GAS, "resolve", id, "replaced the meter too"), ==, 0);
    //  Nobody verifies within a day, nobody rates within three: it closes
    CHECK_OP (s_tick (&w, t + 5 * HOUR + DAY + MINUTE), ==, 1);
    CHECK_OP (s_case (&w, id)->state, ==, GRIDCASE__STATE__STATE_VERIFIED);
    CHECK_OP (s_tick (&w, t + 5 * HOUR + 4 * DAY + 2 * MINUTE), ==, 1);
    CHECK_OP (s_case (&w, id)->state, ==, GRIDCASE__STATE__STATE_CLOSED);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_CLOSED, "no rating within 3 d"));
    //  Settled on the spot by the officer: no second verification
    char other[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, other));
    CHECK_OP (s_do (&w, t + MINUTE, OFFICER, "resolve-on-site", other, NULL), ==, 0);
    CHECK_OP (w.kase->state, ==, GRIDCASE__STATE__STATE_VERIFIED);
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
    CHECK_OP (s_do (&w, t, "officer:o", "escalate", id, "not mine"), ==, 0);
    //  5 minutes today, 55 tomorrow: due Tuesday 08:55, not Monday 18:55
    CHECK_OP (w.kase->response_due, ==, s_at (2026, 11, 24, 8, 55));
    CHECK_OP (s_tick (&w, s_at (2026, 11, 23, 19, 0)), ==, 0);
    CHECK_OP (s_tick (&w, s_at (2026, 11, 24, 8, 5)), ==, 0);
    CHECK_OP (s_case (&w, id)->state, ==, GRIDCASE__STATE__STATE_QUEUED);
    CHECK (streq (w.kase->holder, "committee/c"));
    CHECK_OP (s_tick (&w, s_at (2026, 11, 24, 8, 56)), ==, 1);
    CHECK (streq (s_case (&w, id)->holder, "street/s"));
    //  The calendar skips weekends and holidays
    const gc_calendar_t *office = w.config->policy.calendar;
    CHECK_OP (gc_calendar_due (office, s_at (2026, 11, 27, 17, 30), HOUR), ==,
              s_at (2026, 11, 30, 8, 30)); //  Friday 17:30 + 1 h -> Monday 08:30
    CHECK_OP (gc_calendar_due (office, s_at (2026, 11, 24, 17, 0), 2 * HOUR), ==,
              s_at (2026, 11, 26, 9, 0)); //  Wednesday 25th is a holiday
    CHECK_OP (gc_calendar_due (office, s_at (2026, 11, 28, 3, 0), 10 * HOUR), ==,
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
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "claim", id, NULL), ==, 0);
    CHECK_OP (s_do (&w, t, GAS, "accept", id, NULL), ==, 0);
    int64_t due = w.kase->resolution_due;
    CHECK_OP (due, ==, t + 2 * HOUR); //  gas leaks: 2 h at the department
    //  Asked and refused: the clock runs on
    CHECK_OP (s_do (&w, t + MINUTE, GAS, "extend", id, "7200000"), ==, 0);
    CHECK (streq (w.kase->pending_request, "extension"));
    CHECK_OP (s_do (&w, t + MINUTE, GAS, "approve", id, NULL), ==,
              GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_do (&w, t + 2 * MINUTE, SUPERVISOR, "reject", id, NULL), ==, 0);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_REJECTED, "extension refused"));
    CHECK (!w.kase->paused && !*w.kase->pending_request);
    //  Asked for 3 h at +30 min, approved at +40 min: paused until +3 h 30
    CHECK_OP (s_do (&w, t + 30 * MINUTE, GAS, "extend", id, "10800000"), ==, 0);
    CHECK_OP (s_do (&w, t + 40 * MINUTE, SUPERVISOR, "approve", id, NULL), ==, 0);
    CHECK (w.kase->paused);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_APPROVED, "the clock stops"));
    CHECK_OP (s_tick (&w, due + MINUTE), ==, 0); //  the deadline passes while paused: nothing
    CHECK_OP (s_tick (&w, t + 3 * HOUR + 31 * MINUTE), ==, 1);
    s_case (&w, id);
    CHECK (!w.kase->paused && w.kase->state == GRIDCASE__STATE__STATE_IN_PROGRESS);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_RESUMED, "the clock runs again"));
    //  The pause (2 h 50 min) moved the deadline by as much
    int64_t moved = due + (3 * HOUR + 30 * MINUTE - 40 * MINUTE);
    CHECK_OP (w.kase->resolution_due, ==, moved);
    CHECK_OP (s_tick (&w, moved + MINUTE), ==, 1);
    CHECK_OP (s_case (&w, id)->level, ==, GRIDCASE__LEVEL__LEVEL_SUPERVISION);
    CHECK (s_journal_says (&w, id, GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION,
                           "worker:w-gas-1 did not resolve it within 2 h"));
    //  Parking longer than the rules allow is refused
    CHECK_OP (s_do (&w, moved + 2 * MINUTE, GAS, "park", id, "8640000000"), ==,
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
        CHECK_OP (s_do (&w, t, OFFICER, "escalate", ids[i], "committee"), ==, 0);
        CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", ids[i], "water"), ==, 0);
    }
    //  The queue reads red first, then yellow, then green
    CHECK_OP (s_do (&w, t + MINUTE, "worker:w-water-1", "claim", "", "dept/water"), ==, 0);
    CHECK (streq (w.kase->id, gas));
    CHECK_OP (s_do (&w, t + MINUTE, "worker:w-water-1", "release", gas, NULL), ==, 0);
    //  Green regraded to red: its deadlines follow at once and it jumps ahead
    s_case (&w, trash);
    int64_t since = w.kase->level_since;
    CHECK_OP (s_do (&w, t + 2 * MINUTE, "supervisor:sup-lianqian", "regrade", trash, "red"), ==, 0);
    CHECK_OP (w.kase->severity, ==, GRIDCASE__SEVERITY__SEVERITY_RED);
    CHECK_OP (w.kase->response_due, ==, since + 15 * MINUTE);
    CHECK_OP (w.kase->resolution_due, ==, since + 4 * HOUR);
    CHECK (s_journal_says (&w, trash, GRIDCASE__EVENT_TYPE__EVENT_REGRADED, "green -> red"));
    //  Red first (the gas case, due at +11 min, then the regraded one), then yellow
    CHECK_OP (s_do (&w, t + 3 * MINUTE, "worker:w-water-1", "claim", "", "dept/water"), ==, 0);
    CHECK (streq (w.kase->id, gas));
    CHECK_OP (s_do (&w, t + 3 * MINUTE, "worker:w-water-1", "claim", "", "dept/water"), ==, 0);
    CHECK (streq (w.kase->id, trash));
    CHECK_OP (s_do (&w, t + 3 * MINUTE, "worker:w-water-1", "claim", "", "dept/water"), ==, 0);
    CHECK (streq (w.kase->id, drain));
    //  An officer regrades only at the grid
    CHECK_OP (s_do (&w, t + 3 * MINUTE, OFFICER, "regrade", drain, "red"), ==,
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
    CHECK_OP (w.code, ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    //  A second case already open: closed as a duplicate of the first
    CHECK (s_report (&w, t + 2 * MINUTE, OFFICER, "haihong-01", "garbage", NULL, second));
    CHECK (!streq (second, first));
    CHECK_OP (s_do (&w, t + 3 * MINUTE, OFFICER, "link", second, first), ==, 0);
    CHECK_OP (s_case (&w, second)->state, ==, GRIDCASE__STATE__STATE_CLOSED);
    CHECK (streq (w.kase->duplicate_of, first));
    CHECK_OP (s_case (&w, first)->linked_reports, ==, 2);
    //  A category without a department: the district command centre owns it
    char other[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "other", NULL, other));
    CHECK_OP (s_do (&w, t, OFFICER, "escalate", other, "no idea whose"), ==, 0);
    CHECK_OP (s_do (&w, t, COMMITTEE, "dispatch", other, NULL), ==, 0);
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
    CHECK_OP (s_do (&w, t + MINUTE, OFFICER, "escalate", id, "gas"), ==, 0);
    //  Down for an hour: the store is closed and opened again, no replay
    gc_store_destroy (&w.store);
    w.store = gc_schema_open (w.dir, NULL);
    CHECK (w.store);
    gc_txn_t *txn = gc_txn_begin (w.store, false);
    CHECK_OP (gc_escalation_next (txn), ==, t + 16 * MINUTE);
    gc_txn_abort (&txn);
    CHECK_OP (s_tick (&w, t + HOUR), ==, 1);
    CHECK (streq (s_case (&w, id)->holder, "street/lianqian"));
    s_world_end (&w);
    return true;
}

//  The level gauges: kept by every event (each step above is checked by
//  gc_check), and built from the cases when a store of schema 2 is opened
static bool
test_schema_2_store_gets_level_gauges (void)
{
    world_t w;
    CHECK (s_world (&w, NULL));
    int64_t t = T0;
    char id[GC_CASE_ID_MAX], other[GC_CASE_ID_MAX], third[GC_CASE_ID_MAX];
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "gas-leak", NULL, id));
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, other));
    CHECK (s_report (&w, t, OFFICER, "haihong-01", "garbage", NULL, third));
    CHECK_OP (s_do (&w, t + MINUTE, OFFICER, "escalate", id, "gas"), ==, 0);
    CHECK_OP (s_do (&w, t + MINUTE, OFFICER, "resolve-on-site", third, "done"), ==, 0);
    //  As schema 2 left it: no level gauges
    gc_store_destroy (&w.store);
    gc_store_t *raw = gc_store_new (w.dir, NULL);
    CHECK (raw);
    gc_txn_t *txn = gc_txn_begin (raw, true);
    const char *levels[] = {"level/grid", "level/community"};
    for (int i = 0; i < 2; i++) {
        gc_key_t key;
        CHECK (gc_key_pack (&key, GC_KEY_FIGURES, levels[i], (uint32_t)0));
        CHECK_OP (gc_txn_del (txn, GC_DB_FIGURES, &key), ==, GC_OK);
    }
    gc_key_t name, version;
    gc_key_reset (&name);
    gc_key_bytes (&name, "schema", 6);
    gc_key_pack (&version, "w", (uint32_t)2);
    CHECK_OP (gc_txn_put (txn, GC_DB_META, &name, version.data, version.size), ==, GC_OK);
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    gc_store_destroy (&raw);
    w.store = gc_schema_open (w.dir, NULL);
    CHECK (w.store);
    s_world_check (&w, "the upgrade to schema 3");
    txn = gc_txn_begin (w.store, false);
    Gridcase__Figures grid = GRIDCASE__FIGURES__INIT, community = GRIDCASE__FIGURES__INIT;
    CHECK_OP (gc_figures_read (txn, "level/grid", 0, 0, &grid), ==, GC_OK);
    CHECK_OP (gc_figures_read (txn, "level/community", 0, 0, &community), ==, GC_OK);
    EXPECT_OP (grid.open_now, ==, 2); //  settled on the spot: open until rated
    EXPECT_OP (community.open_now, ==, 1);
    gc_figures_clear (&grid);
    gc_figures_clear (&community);
    gc_txn_abort (&txn);
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
    RUN (test_schema_2_store_gets_level_gauges);
    RUN (test_story_committee_misses_and_street_dispatches);
    RUN (test_unclaimed_red_case_climbs_every_level);
    RUN (test_lease_expiry_redelivers_then_escalates);
    RUN (test_deadlines_due_act_before_the_next_request);
    RUN (test_second_bounce_goes_to_arbitration);
    RUN (test_rework_reopen_and_evaluation_window);
    RUN (test_service_hours_count_only_open_time);
    RUN (test_extension_pauses_the_clock);
    RUN (test_regrade_recomputes_and_reorders);
    RUN (test_duplicates_link_and_fallback_owner);
    RUN (test_restart_in_the_middle_of_a_deadline);
    RUN (test_store_checker_names_each_disagreement);
    return TESTS_DONE ();
}
