/*  The field client without a signal, against the real gridcased: requests
    made offline name the case their report made (case_of) and the case as
    they saw it (based_on); what has moved since is refused as stale. */
#include "gridcase.h"
#include "testutil.h"

#include <czmq.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>

#include "daemon.h"

//  A report of garbage in grid haihong-01, as an officer's app makes it
static void
s_report_request (Gridcase__Request *request, Gridcase__ReportRequest *report, const char *title)
{
    gridcase__report_request__init (report);
    report->grid = "haihong-01";
    report->category = "garbage";
    report->title = (char *)title;
    gridcase__request__init (request);
    request->op_case = GRIDCASE__REQUEST__OP_REPORT;
    request->report = report;
}

//  Waits for the replies to COUNT pipelined requests, into REPLIES by the
//  order of their sequences (FIRST the first's)
static bool
s_replies (gridcase_t *client, uint64_t first, size_t count, Gridcase__Reply **replies)
{
    for (size_t got = 0; got < count; got++) {
        Gridcase__Reply *reply = NULL;
        int rc = gridcase_recv (client, &reply, 5000);
        if (rc != GRIDCASE_OK && rc != GRIDCASE_EREPLY)
            return false;
        if (reply->sequence < first || reply->sequence >= first + count) {
            gridcase__reply__free_unpacked (reply, NULL);
            return false;
        }
        replies[reply->sequence - first] = reply;
    }
    return true;
}

static void
s_free_replies (Gridcase__Reply **replies, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (replies[i])
            gridcase__reply__free_unpacked (replies[i], NULL);
}

//  A report, a note and a settlement on the spot made in a basement go out
//  together when the signal returns: the note and the settlement name the
//  case by the report's request id, and arrive in order on that case
static bool
test_offline_requests_name_the_case_their_report_made (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gridcase_t *client = s_client (&d, 0x15);
    Gridcase__Request report;
    Gridcase__ReportRequest body;
    s_report_request (&report, &body, "bins overflowing by block 3");
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    note.text = "residents say since Friday";
    Gridcase__Request noted = GRIDCASE__REQUEST__INIT;
    noted.op_case = GRIDCASE__REQUEST__OP_NOTE;
    noted.note = &note;
    Gridcase__ResolveOnSiteRequest settle = GRIDCASE__RESOLVE_ON_SITE_REQUEST__INIT;
    settle.note = "cleared with the property manager";
    Gridcase__Request settled = GRIDCASE__REQUEST__INIT;
    settled.op_case = GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE;
    settled.resolve_on_site = &settle;

    uint64_t first = gridcase_send (client, &report);
    CHECK_OP (first, >, 0);
    noted.case_of = first;
    settled.case_of = first;
    CHECK_OP (gridcase_send (client, &noted), ==, first + 1);
    CHECK_OP (gridcase_send (client, &settled), ==, first + 2);
    Gridcase__Reply *replies[3] = {NULL};
    CHECK (s_replies (client, first, 3, replies));
    for (int i = 0; i < 3; i++)
        CHECK_OP (replies[i]->result_case, ==, GRIDCASE__REPLY__RESULT_CASE);
    const char *id = replies[0]->case_->case_->id;
    CHECK (streq (replies[1]->case_->case_->id, id));
    CHECK (streq (replies[2]->case_->case_->id, id));
    EXPECT_OP (replies[2]->case_->case_->state, ==, GRIDCASE__STATE__STATE_VERIFIED);

    //  The case's history: reported, the note, settled, in that order
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = (char *)id;
    get.with_history = true;
    Gridcase__Request asked = GRIDCASE__REQUEST__INIT;
    asked.op_case = GRIDCASE__REQUEST__OP_GET;
    asked.get = &get;
    Gridcase__Reply *history = NULL;
    CHECK_OP (gridcase_call (client, &asked, &history), ==, GRIDCASE_OK);
    CHECK_OP (history->case_->n_history, ==, 3);
    EXPECT_OP (history->case_->history[0]->type, ==, GRIDCASE__EVENT_TYPE__EVENT_REPORTED);
    EXPECT_OP (history->case_->history[1]->type, ==, GRIDCASE__EVENT_TYPE__EVENT_NOTE);
    EXPECT (streq (history->case_->history[1]->detail, "residents say since Friday"));
    EXPECT_OP (history->case_->history[2]->type, ==, GRIDCASE__EVENT_TYPE__EVENT_RESOLVED_ON_SITE);
    gridcase__reply__free_unpacked (history, NULL);

    //  Sent again (the flush that lost its replies): the same answers, one case
    gridcase_set_sequence (client, first + 1);
    Gridcase__Reply *again = NULL;
    CHECK_OP (gridcase_call (client, &noted, &again), ==, GRIDCASE_OK);
    EXPECT (streq (again->case_->case_->id, id));
    gridcase__reply__free_unpacked (again, NULL);
    s_free_replies (replies, 3);

    //  A reference to what never arrived, or to a refused report, or beside a
    //  case id: refused, and nothing changes
    Gridcase__Reply *reply = NULL;
    gridcase_set_sequence (client, first + 100);
    noted.case_of = first + 50;
    CHECK_OP (gridcase_call (client, &noted, &reply), ==, GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE);
    EXPECT_CONTAINS (reply->error->message, "has not arrived");
    gridcase__reply__free_unpacked (reply, NULL);
    body.grid = "no-such-grid";
    uint64_t refused = gridcase_send (client, &report);
    CHECK (s_replies (client, refused, 1, &reply));
    CHECK_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID);
    gridcase__reply__free_unpacked (reply, NULL);
    noted.case_of = refused;
    CHECK_OP (gridcase_call (client, &noted, &reply), ==, GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE);
    EXPECT_CONTAINS (reply->error->message, "was refused (unknown_grid");
    gridcase__reply__free_unpacked (reply, NULL);
    note.case_id = (char *)"20261122-000001";
    noted.case_of = first;
    CHECK_OP (gridcase_call (client, &noted, &reply), ==, GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    gridcase__reply__free_unpacked (reply, NULL);
    report.case_of = first;
    body.grid = "haihong-01";
    CHECK_OP (gridcase_call (client, &report, &reply), ==, GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    gridcase__reply__free_unpacked (reply, NULL);

    //  Another client cannot reach this client's report by its number
    gridcase_t *other = s_client (&d, 0x51);
    note.case_id = "";
    noted.case_of = first;
    CHECK_OP (gridcase_call (other, &noted, &reply), ==, GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE);
    gridcase__reply__free_unpacked (reply, NULL);
    gridcase_destroy (&other);
    gridcase_destroy (&client);
    s_daemon_remove (&d);
    return true;
}

//  Runs one request as ACTOR (officer or supervisor of the sample roster)
static int
s_as (daemon_t *d, Gridcase__Role role, const char *actor, Gridcase__Request *request,
      Gridcase__Reply **reply)
{
    gridcase_t *client = s_client (d, (uint8_t)(0x20 + role));
    gridcase_set_actor (client, role, actor);
    static uint64_t sequence = 1;
    gridcase_set_sequence (client, sequence++);
    int rc = gridcase_call (client, request, reply);
    gridcase_destroy (&client);
    return rc;
}

//  An action made offline on the case as the officer last saw it is refused
//  as stale when someone else has moved the case since, and says what
//  happened; a note still lands, and the officer's own moves do not count
static bool
test_stale_actions_are_refused (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    Gridcase__Request report;
    Gridcase__ReportRequest body;
    s_report_request (&report, &body, "a lift stuck between floors");
    Gridcase__Reply *reply = NULL;
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01", &report, &reply), ==,
              GRIDCASE_OK);
    char id[32];
    snprintf (id, sizeof (id), "%s", reply->case_->case_->id);
    uint64_t seen = reply->case_->case_->journal_seq;
    gridcase__reply__free_unpacked (reply, NULL);

    //  While the officer is in the basement, the street's supervisor
    //  escalates the case to the committee
    Gridcase__EscalateRequest escalate = GRIDCASE__ESCALATE_REQUEST__INIT;
    escalate.case_id = id;
    escalate.reason = "the lift company must come";
    Gridcase__Request escalated = GRIDCASE__REQUEST__INIT;
    escalated.op_case = GRIDCASE__REQUEST__OP_ESCALATE;
    escalated.escalate = &escalate;
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_SUPERVISOR, "sup-lianqian", &escalated, &reply), ==,
              GRIDCASE_OK);
    gridcase__reply__free_unpacked (reply, NULL);

    //  The officer's settlement, made on the case as it was, is refused
    Gridcase__ResolveOnSiteRequest settle = GRIDCASE__RESOLVE_ON_SITE_REQUEST__INIT;
    settle.case_id = id;
    Gridcase__Request settled = GRIDCASE__REQUEST__INIT;
    settled.op_case = GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE;
    settled.resolve_on_site = &settle;
    settled.based_on = seen;
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01", &settled, &reply), ==,
              GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_STALE);
    EXPECT_CONTAINS (reply->error->message, "escalated by sup-lianqian");
    EXPECT_CONTAINS (reply->error->message, "the lift company must come");
    gridcase__reply__free_unpacked (reply, NULL);

    //  A note made as it was is still the officer's word on the case
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    note.case_id = id;
    note.text = "the residents on floor 9 are fine";
    Gridcase__Request noted = GRIDCASE__REQUEST__INIT;
    noted.op_case = GRIDCASE__REQUEST__OP_NOTE;
    noted.note = &note;
    noted.based_on = seen;
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01", &noted, &reply), ==,
              GRIDCASE_OK);
    uint64_t noted_at = reply->case_->case_->journal_seq;
    gridcase__reply__free_unpacked (reply, NULL);

    //  The officer's own moves are not surprises: a second case, escalated
    //  by the officer, then noted on by the committee, is escalated again
    //  by the officer on what they saw before their own move
    s_report_request (&report, &body, "graffiti on the bike shed");
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01", &report, &reply), ==,
              GRIDCASE_OK);
    char own[32];
    snprintf (own, sizeof (own), "%s", reply->case_->case_->id);
    uint64_t before = reply->case_->case_->journal_seq;
    gridcase__reply__free_unpacked (reply, NULL);
    escalate.case_id = own;
    escalated.based_on = before;
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01", &escalated, &reply), ==,
              GRIDCASE_OK);
    EXPECT_OP (reply->case_->case_->level, ==, GRIDCASE__LEVEL__LEVEL_COMMUNITY);
    gridcase__reply__free_unpacked (reply, NULL);
    //  A based_on that is not the case's: refused, not guessed at
    settle.case_id = own;
    settled.based_on = noted_at;
    CHECK_OP (s_as (&d, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01", &settled, &reply), ==,
              GRIDCASE_EREPLY);
    EXPECT_OP (reply->error->code, ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    gridcase__reply__free_unpacked (reply, NULL);
    s_daemon_remove (&d);
    return true;
}

//  What gridcase_flush told, in order: each request's sequence and outcome
typedef struct {
    uint64_t sequences[512];
    Gridcase__ErrorCode codes[512];
    char ids[512][32];
    size_t count;
} told_t;

static void
s_told (const Gridcase__Request *request, const Gridcase__Reply *reply, void *arg)
{
    told_t *told = (told_t *)arg;
    if (told->count == 512)
        return;
    told->sequences[told->count] = request->sequence;
    told->codes[told->count] =
        reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? reply->error->code : 0;
    snprintf (told->ids[told->count], 32, "%s",
              reply->result_case == GRIDCASE__REPLY__RESULT_CASE ? reply->case_->case_->id : "");
    told->count++;
}

//  An officer's morning in basements: 50 reports, notes on every fifth and
//  settlements on the spot of every tenth, all made with the daemon down.
//  Each waits in the outbox; when the daemon is back one flush delivers
//  them in order, every case once, its notes and settlement on it
static bool
test_the_outbox_delivers_what_was_made_offline (void)
{
    daemon_t d = {0};
    d.same_ports = true;
    CHECK (s_daemon_start (&d, NULL));
    s_daemon_stop (&d, SIGTERM);
    char dir[200];
    snprintf (dir, sizeof (dir), "%s/outbox", d.dir);
    gridcase_outbox_t *outbox = gridcase_outbox_open (dir);
    CHECK (outbox);
    gridcase_t *client = s_client (&d, 0x0B);
    gridcase_set_outbox (client, outbox);
    gridcase_set_timeout (client, 50);
    size_t queued = 0;
    for (int i = 0; i < 50; i++) {
        char title[64];
        snprintf (title, sizeof (title), "offline report %d", i);
        Gridcase__Request report;
        Gridcase__ReportRequest body;
        s_report_request (&report, &body, title);
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (client, &report, &reply), ==, GRIDCASE_EQUEUED);
        CHECK (!reply);
        queued++;
        uint64_t made_by = report.sequence;
        if (i % 5 == 0) {
            Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
            note.text = title;
            Gridcase__Request noted = GRIDCASE__REQUEST__INIT;
            noted.op_case = GRIDCASE__REQUEST__OP_NOTE;
            noted.note = &note;
            noted.case_of = made_by;
            CHECK_OP (gridcase_call (client, &noted, &reply), ==, GRIDCASE_EQUEUED);
            queued++;
        }
        if (i % 10 == 0) {
            Gridcase__ResolveOnSiteRequest settle = GRIDCASE__RESOLVE_ON_SITE_REQUEST__INIT;
            Gridcase__Request settled = GRIDCASE__REQUEST__INIT;
            settled.op_case = GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE;
            settled.resolve_on_site = &settle;
            settled.case_of = made_by;
            CHECK_OP (gridcase_call (client, &settled, &reply), ==, GRIDCASE_EQUEUED);
            queued++;
        }
    }
    CHECK_OP (gridcase_outbox_waiting (outbox), ==, queued);
    //  The first call tried to send, in vain; the others queued without
    //  trying while its back-off ran
    int delay = gridcase_flush_delay (client);
    EXPECT (delay >= 750 && delay <= 1250);
    //  A fresh start waits 1 s after a failed flush, then 2 s
    gridcase_t *app = s_client (&d, 0x0C);
    gridcase_set_outbox (app, outbox);
    gridcase_set_timeout (app, 50);
    told_t told = {0};
    CHECK_OP (gridcase_flush (app, s_told, &told), ==, GRIDCASE_EUNREACHABLE);
    int first_delay = gridcase_flush_delay (app);
    CHECK_OP (gridcase_flush (app, s_told, &told), ==, GRIDCASE_EUNREACHABLE);
    int second_delay = gridcase_flush_delay (app);
    EXPECT (first_delay >= 750 && first_delay <= 1250);
    EXPECT (second_delay >= 1500 && second_delay <= 2500);
    CHECK_OP (told.count, ==, 0);
    gridcase_destroy (&app);

    //  Back: one flush delivers everything, in the order it was made
    CHECK (s_daemon_start (&d, NULL));
    gridcase_set_timeout (client, 5000);
    CHECK_OP (gridcase_flush (client, s_told, &told), ==, GRIDCASE_OK);
    CHECK_OP (gridcase_flush_delay (client), ==, 0);
    CHECK_OP (told.count, ==, queued);
    CHECK_OP (gridcase_outbox_waiting (outbox), ==, 0);
    for (size_t i = 0; i < told.count; i++) {
        EXPECT_OP (told.codes[i], ==, 0);
        if (i)
            EXPECT_OP (told.sequences[i], >, told.sequences[i - 1]);
    }
    //  Every case once: 50 of them, 5 settled on the spot
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.limit = 500;
    Gridcase__Request listed = GRIDCASE__REQUEST__INIT;
    listed.op_case = GRIDCASE__REQUEST__OP_LIST;
    listed.list = &list;
    Gridcase__Reply *reply = NULL;
    CHECK_OP (gridcase_call (client, &listed, &reply), ==, GRIDCASE_OK);
    CHECK_OP (reply->list->n_cases, ==, 50);
    size_t settled = 0;
    for (size_t i = 0; i < reply->list->n_cases; i++)
        settled += reply->list->cases[i]->state == GRIDCASE__STATE__STATE_VERIFIED;
    EXPECT_OP (settled, ==, 5);
    gridcase__reply__free_unpacked (reply, NULL);
    //  The outbox keeps what was delivered, with each report's case id
    gridcase_outbox_item_t *items = NULL;
    size_t count = 0;
    CHECK_OP (gridcase_outbox_items (outbox, &items, &count), ==, 0);
    CHECK_OP (count, ==, queued);
    EXPECT (items[0].answered_at >= items[0].queued_at && items[0].reply &&
            items[0].reply->result_case == GRIDCASE__REPLY__RESULT_CASE);
    gridcase_outbox_items_free (&items, count);
    gridcase_destroy (&client);
    gridcase_outbox_close (&outbox);
    s_daemon_remove (&d);
    return true;
}

//  A phone's outbox copied to a second phone (the same client id and next
//  sequence): what each then makes offline uses the same request ids. The
//  first to deliver is applied; the other is refused as a conflict, kept
//  in its outbox as refused, never retried, and makes no second case
static bool
test_a_copied_outbox_gets_conflict_not_a_second_case (void)
{
    daemon_t d = {0};
    d.same_ports = true;
    CHECK (s_daemon_start (&d, NULL));
    s_daemon_stop (&d, SIGTERM);
    char first_dir[200], second_dir[200], command[500];
    snprintf (first_dir, sizeof (first_dir), "%s/phone-1", d.dir);
    snprintf (second_dir, sizeof (second_dir), "%s/phone-2", d.dir);
    gridcase_outbox_t *first = gridcase_outbox_open (first_dir);
    CHECK (first);
    gridcase_outbox_close (&first);
    snprintf (command, sizeof (command), "cp -r %s %s", first_dir, second_dir);
    CHECK_OP (system (command), ==, 0);
    first = gridcase_outbox_open (first_dir);
    gridcase_outbox_t *second = gridcase_outbox_open (second_dir);
    CHECK (first && second);
    uint8_t id[16] = {0xD0, 0x0B, 0x1E};
    gridcase_t *phone[2] = {gridcase_new (d.command, id, 7), gridcase_new (d.command, id, 7)};
    const char *titles[2] = {"a blocked drain on Haihong Road", "a broken street light"};
    for (int i = 0; i < 2; i++) {
        gridcase_set_actor (phone[i], GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01");
        gridcase_set_outbox (phone[i], i ? second : first);
        gridcase_set_timeout (phone[i], 50);
        Gridcase__Request report;
        Gridcase__ReportRequest body;
        s_report_request (&report, &body, titles[i]);
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (phone[i], &report, &reply), ==, GRIDCASE_EQUEUED);
        CHECK_OP (report.sequence, ==, 7);
    }
    CHECK (s_daemon_start (&d, NULL));
    told_t told[2];
    memset (told, 0, sizeof (told));
    for (int i = 0; i < 2; i++) {
        gridcase_set_timeout (phone[i], 5000);
        CHECK_OP (gridcase_flush (phone[i], s_told, &told[i]), ==, GRIDCASE_OK);
        CHECK_OP (told[i].count, ==, 1);
    }
    EXPECT_OP (told[0].codes[0], ==, 0);
    EXPECT_OP (told[1].codes[0], ==, GRIDCASE__ERROR_CODE__ERROR_CONFLICT);
    //  The second phone's outbox shows the refusal, and nothing waits
    gridcase_outbox_item_t *items = NULL;
    size_t count = 0;
    CHECK_OP (gridcase_outbox_items (second, &items, &count), ==, 0);
    CHECK_OP (count, ==, 1);
    EXPECT (items[0].reply && items[0].reply->result_case == GRIDCASE__REPLY__RESULT_ERROR &&
            items[0].reply->error->code == GRIDCASE__ERROR_CODE__ERROR_CONFLICT);
    EXPECT (streq (items[0].request->report->title, titles[1]));
    gridcase_outbox_items_free (&items, count);
    EXPECT_OP (gridcase_outbox_waiting (second), ==, 0);
    //  One case: the first phone's
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    Gridcase__Request listed = GRIDCASE__REQUEST__INIT;
    listed.op_case = GRIDCASE__REQUEST__OP_LIST;
    listed.list = &list;
    Gridcase__Reply *reply = NULL;
    gridcase_t *reader = s_client (&d, 0xD1);
    CHECK_OP (gridcase_call (reader, &listed, &reply), ==, GRIDCASE_OK);
    CHECK_OP (reply->list->n_cases, ==, 1);
    EXPECT (streq (reply->list->cases[0]->title, titles[0]));
    gridcase__reply__free_unpacked (reply, NULL);
    //  Flushed again, the refusal is not sent again
    CHECK_OP (gridcase_flush (phone[1], s_told, &told[1]), ==, GRIDCASE_OK);
    EXPECT_OP (told[1].count, ==, 1);
    gridcase_destroy (&reader);
    for (int i = 0; i < 2; i++)
        gridcase_destroy (&phone[i]);
    gridcase_outbox_close (&first);
    gridcase_outbox_close (&second);
    s_daemon_remove (&d);
    return true;
}

//  --------------------------------------------------------------------------
//  The CLI in the field

//  Runs the CLI as the grid officer with the outbox of state directory
//  STATE (under D's directory), on a machine set to UTC; its exit status,
//  stdout in OUT
static int
s_officer (daemon_t *d, const char *state, char *out, size_t size, const char *args)
{
    char command[2048];
    snprintf (command, sizeof (command),
              "TZ=UTC GRIDCASE_STATE_DIR=%s/%s GRIDCASE_OUTBOX=1 GRIDCASE_ENDPOINT=%s "
              "GRIDCASE_AS=officer:o-haihong-01 %s/bin/gridcase --timeout 300 %s",
              d->dir, state, d->command, s_build, args);
    return s_run (command, out, size);
}

//  Lines of TEXT that start with PREFIX
static size_t
s_lines (const char *text, const char *prefix)
{
    size_t count = 0;
    for (const char *line = text; line && *line;
         line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
        count += strncmp (line, prefix, strlen (prefix)) == 0;
    return count;
}

//  The officer's morning with the CLI: 50 reports, notes and settlements
//  made with the daemon down each print "queued @N" and exit 4; gridcase
//  outbox lists them; gridcase sync delivers them all, every case once
static bool
test_the_cli_queues_offline_and_syncs (void)
{
    daemon_t d = {0};
    d.same_ports = true;
    CHECK (s_daemon_start (&d, NULL));
    s_daemon_stop (&d, SIGTERM);
    static char out[1 << 16];
    char args[300];
    size_t queued = 0;
    for (int i = 0; i < 50; i++) {
        snprintf (args, sizeof (args),
                  "report --grid haihong-01 --category garbage --title 'cli offline %d'", i);
        CHECK_OP (s_officer (&d, "phone", out, sizeof (out), args), ==, 4);
        uint64_t ref = 0;
        CHECK (sscanf (out, "queued @%" SCNu64, &ref) == 1 && ref > 0);
        queued++;
        if (i % 5 == 0) {
            snprintf (args, sizeof (args), "note @%" PRIu64 " --text 'seen from the stairs'", ref);
            CHECK_OP (s_officer (&d, "phone", out, sizeof (out), args), ==, 4);
            queued++;
        }
        if (i % 10 == 0) {
            snprintf (args, sizeof (args), "resolve @%" PRIu64 " --note 'cleared'", ref);
            CHECK_OP (s_officer (&d, "phone", out, sizeof (out), args), ==, 4);
            queued++;
        }
    }
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "outbox"), ==, 0);
    CHECK_OP (s_lines (out, "waiting"), ==, queued);
    //  Still down: sync says so and leaves everything waiting
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "sync"), ==, 3);
    CHECK (s_daemon_start (&d, NULL));
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "sync"), ==, 0);
    CHECK_OP (s_lines (out, "delivered"), ==, queued);
    EXPECT_CONTAINS (out, "delivered @");
    EXPECT_CONTAINS (out, "report in haihong-01: cli offline 49: case ");
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "outbox"), ==, 0);
    EXPECT_OP (s_lines (out, "waiting"), ==, 0);
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "outbox --all"), ==, 0);
    EXPECT_OP (s_lines (out, "delivered"), ==, queued);
    //  The city's clock, remembered from the daemon's replies, whatever this
    //  machine's zone
    EXPECT_CONTAINS (out, "+0800  report in haihong-01");
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "sync"), ==, 0);
    EXPECT_OP (s_lines (out, "delivered"), ==, 0);
    //  50 cases, 5 of them settled on the spot
    CHECK_OP (s_cli (&d, out, sizeof (out), "list --limit 500"), ==, 0);
    EXPECT_OP (s_lines (out, "2"), ==, 50);
    CHECK_OP (s_cli (&d, out, sizeof (out), "list --limit 500 --state verified"), ==, 0);
    EXPECT_OP (s_lines (out, "2"), ==, 5);

    //  Online, the outbox answers at once; a settlement made on the case as
    //  it was before the supervisor escalated it is refused as stale, and
    //  the outbox keeps the refusal for the officer
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out),
                         "report --grid haihong-01 --category garbage --title 'online'"),
              ==, 0);
    char id[32];
    CHECK (sscanf (out, "%31s", id) == 1);
    snprintf (args, sizeof (args), "show %s --json", id);
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), args), ==, 0);
    const char *at = strstr (out, "\"journal_seq\":");
    CHECK (at);
    uint64_t seen = strtoull (at + strlen ("\"journal_seq\":"), NULL, 10);
    snprintf (args, sizeof (args), "escalate %s --reason 'needs the committee'", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    snprintf (args, sizeof (args), "--based-on %" PRIu64 " resolve %s", seen, id);
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), args), ==, 1);
    CHECK_OP (s_officer (&d, "phone", out, sizeof (out), "outbox"), ==, 0);
    EXPECT_OP (s_lines (out, "refused"), ==, 1);
    EXPECT_CONTAINS (out, "stale: case ");
    EXPECT_CONTAINS (out, "escalated by sup-siming");
    s_daemon_remove (&d);
    return true;
}

//  A phone's state copied to a second phone: both queue a report under the
//  same request id; the second's sync prints the conflict, its outbox shows
//  it refused, and there is no second case
static bool
test_the_cli_shows_a_conflict_from_a_copied_phone (void)
{
    daemon_t d = {0};
    d.same_ports = true;
    CHECK (s_daemon_start (&d, NULL));
    s_daemon_stop (&d, SIGTERM);
    static char out[1 << 14];
    CHECK_OP (s_officer (&d, "phone-1", out, sizeof (out), "outbox"), ==, 0);
    char command[600];
    snprintf (command, sizeof (command), "cp -r %s/phone-1 %s/phone-2", d.dir, d.dir);
    CHECK_OP (system (command), ==, 0);
    uint64_t ref[2];
    for (int i = 0; i < 2; i++) {
        char args[200];
        snprintf (args, sizeof (args),
                  "report --grid haihong-01 --category garbage --title 'phone %d'", i + 1);
        CHECK_OP (s_officer (&d, i ? "phone-2" : "phone-1", out, sizeof (out), args), ==, 4);
        CHECK (sscanf (out, "queued @%" SCNu64, &ref[i]) == 1);
    }
    CHECK_OP (ref[0], ==, ref[1]);
    CHECK (s_daemon_start (&d, NULL));
    CHECK_OP (s_officer (&d, "phone-1", out, sizeof (out), "sync"), ==, 0);
    EXPECT_OP (s_lines (out, "delivered"), ==, 1);
    CHECK_OP (s_officer (&d, "phone-2", out, sizeof (out), "sync"), ==, 0);
    EXPECT_OP (s_lines (out, "refused"), ==, 1);
    EXPECT_CONTAINS (out, "conflict");
    CHECK_OP (s_officer (&d, "phone-2", out, sizeof (out), "outbox"), ==, 0);
    EXPECT_OP (s_lines (out, "refused"), ==, 1);
    EXPECT_CONTAINS (out, "phone 2: conflict");
    CHECK_OP (s_cli (&d, out, sizeof (out), "list"), ==, 0);
    EXPECT_OP (s_lines (out, "2"), ==, 1);
    EXPECT_CONTAINS (out, "phone 1");
    s_daemon_remove (&d);
    return true;
}

//  --------------------------------------------------------------------------
//  A network that fails: a TCP proxy that cuts each connection after a
//  random number of bytes, either way

typedef struct {
    int listener;
    int upstream_port;
    atomic_bool stop;
    atomic_int cuts;
    pthread_t thread;
} proxy_t;

static int
s_proxy_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t)port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *)&addr, sizeof (addr))) {
        close (fd);
        return -1;
    }
    return fd;
}

static void *
s_proxy_run (void *arg)
{
    proxy_t *proxy = (proxy_t *)arg;
    enum { PAIRS = 32 };
    int a[PAIRS], b[PAIRS];
    long budget[PAIRS];
    for (int i = 0; i < PAIRS; i++)
        a[i] = b[i] = -1;
    while (!atomic_load (&proxy->stop)) {
        struct pollfd fds[1 + 2 * PAIRS];
        fds[0] = (struct pollfd){proxy->listener, POLLIN, 0};
        for (int i = 0; i < PAIRS; i++) {
            fds[1 + 2 * i] = (struct pollfd){a[i], POLLIN, 0};
            fds[2 + 2 * i] = (struct pollfd){b[i], POLLIN, 0};
        }
        if (poll (fds, 1 + 2 * PAIRS, 100) <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            int client = accept (proxy->listener, NULL, NULL);
            int slot = -1;
            for (int i = 0; i < PAIRS && slot < 0; i++)
                if (a[i] < 0)
                    slot = i;
            int server = client >= 0 && slot >= 0 ? s_proxy_connect (proxy->upstream_port) : -1;
            if (server < 0) {
                if (client >= 0)
                    close (client);
            } else {
                a[slot] = client;
                b[slot] = server;
                budget[slot] = 2000 + random () % 60000;
            }
        }
        for (int i = 0; i < PAIRS; i++) {
            for (int side = 0; side < 2 && a[i] >= 0; side++) {
                if (!(fds[1 + 2 * i + side].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                int from = side ? b[i] : a[i], to = side ? a[i] : b[i];
                char buffer[16384];
                ssize_t got = read (from, buffer, sizeof (buffer));
                bool cut = got <= 0;
                if (got > 0) {
                    budget[i] -= got;
                    //  Past its budget the connection breaks mid-message
                    size_t pass = budget[i] < 0 ? (size_t)(got / 2) : (size_t)got;
                    cut = write (to, buffer, pass) != (ssize_t)pass || budget[i] < 0;
                }
                if (cut) {
                    close (a[i]);
                    close (b[i]);
                    a[i] = b[i] = -1;
                    atomic_fetch_add (&proxy->cuts, 1);
                }
            }
        }
    }
    for (int i = 0; i < PAIRS; i++)
        if (a[i] >= 0) {
            close (a[i]);
            close (b[i]);
        }
    return NULL;
}

//  A proxy on a free loopback port to UPSTREAM_PORT; its port
static int
s_proxy_start (proxy_t *proxy, int upstream_port)
{
    proxy->listener = socket (AF_INET, SOCK_STREAM, 0);
    int on = 1;
    setsockopt (proxy->listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof (on));
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof (addr);
    if (bind (proxy->listener, (struct sockaddr *)&addr, sizeof (addr)) ||
        listen (proxy->listener, 16) ||
        getsockname (proxy->listener, (struct sockaddr *)&addr, &len))
        return -1;
    proxy->upstream_port = upstream_port;
    atomic_store (&proxy->stop, false);
    pthread_create (&proxy->thread, NULL, s_proxy_run, proxy);
    return ntohs (addr.sin_port);
}

static void
s_proxy_stop (proxy_t *proxy)
{
    atomic_store (&proxy->stop, true);
    pthread_join (proxy->thread, NULL);
    close (proxy->listener);
}

//  The flushing app, in a process of its own (this program run with
//  --flush DIR ENDPOINT): flushes until nothing waits, whatever happens
static int
s_flush_app (const char *dir, const char *endpoint)
{
    zsys_init ();
    gridcase_outbox_t *outbox = gridcase_outbox_open (dir);
    if (!outbox)
        return 2;
    uint8_t id[16] = {0xF1};
    id[1] = (uint8_t)getpid ();
    gridcase_t *client = gridcase_new (endpoint, id, 1);
    gridcase_set_outbox (client, outbox);
    gridcase_set_timeout (client, 1500);
    int rc;
    while ((rc = gridcase_flush (client, NULL, NULL)) != GRIDCASE_OK) {
        if (rc == GRIDCASE_ELOCAL)
            return 3;
        //  The test's network comes back at once: a short wait, not the back-off
        zclock_sleep (50);
    }
    gridcase_destroy (&client);
    gridcase_outbox_close (&outbox);
    return 0;
}

static pid_t
s_flush_spawn (const char *dir, const char *endpoint)
{
    pid_t pid = fork ();
    if (pid == 0) {
        const char *args[] = {"/proc/self/exe", "--flush", dir, endpoint, NULL};
        execv ("/proc/self/exe", (char *const *)args);
        _exit (127);
    }
    return pid;
}

//  5,000 requests made offline are flushed through a network that cuts
//  connections at random, by an app killed (kill -9) at random moments and
//  started again: each request is applied exactly once
static bool
test_a_broken_network_and_killed_app_apply_each_request_once (void)
{
    enum { REQUESTS = 5000 };
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char dir[200];
    snprintf (dir, sizeof (dir), "%s/outbox", d.dir);
    gridcase_outbox_t *outbox = gridcase_outbox_open (dir);
    CHECK (outbox);
    //  Made where nothing answers
    char nowhere[64];
    snprintf (nowhere, sizeof (nowhere), "tcp://127.0.0.1:%d", s_free_port ());
    uint8_t id[16] = {0xC4, 0x05};
    gridcase_t *officer = gridcase_new (nowhere, id, 1);
    gridcase_set_actor (officer, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01");
    gridcase_set_outbox (officer, outbox);
    gridcase_set_timeout (officer, 10);
    for (int i = 0; i < REQUESTS; i++) {
        char title[64];
        snprintf (title, sizeof (title), "chaos %d", i);
        Gridcase__Request report;
        Gridcase__ReportRequest body;
        s_report_request (&report, &body, title);
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (officer, &report, &reply), ==, GRIDCASE_EQUEUED);
    }
    gridcase_destroy (&officer);
    CHECK_OP (gridcase_outbox_waiting (outbox), ==, REQUESTS);
    gridcase_outbox_close (&outbox);

    proxy_t proxy = {0};
    int port = 0;
    CHECK (sscanf (d.command, "tcp://127.0.0.1:%d", &port) == 1);
    int proxy_port = s_proxy_start (&proxy, port);
    CHECK_OP (proxy_port, >, 0);
    char through[64];
    snprintf (through, sizeof (through), "tcp://127.0.0.1:%d", proxy_port);
    int kills = 0;
    for (int round = 0; round < 8; round++) {
        pid_t app = s_flush_spawn (dir, through);
        zclock_sleep (100 + randof (500));
        kill (app, SIGKILL);
        int status;
        waitpid (app, &status, 0);
        kills += WIFSIGNALED (status);
    }
    pid_t app = s_flush_spawn (dir, through);
    int status = -1;
    for (int waited = 0; waited < 1200 && waitpid (app, &status, WNOHANG) != app; waited++)
        zclock_sleep (100);
    if (!WIFEXITED (status))
        kill (app, SIGKILL);
    s_proxy_stop (&proxy);
    CHECK (WIFEXITED (status));
    CHECK_OP (WEXITSTATUS (status), ==, 0);

    //  Nothing waits, nothing was refused, and every report made one case
    outbox = gridcase_outbox_open (dir);
    CHECK (outbox);
    CHECK_OP (gridcase_outbox_waiting (outbox), ==, 0);
    gridcase_outbox_item_t *items = NULL;
    size_t count = 0;
    CHECK_OP (gridcase_outbox_items (outbox, &items, &count), ==, 0);
    size_t refused = 0;
    for (size_t i = 0; i < count; i++)
        refused += items[i].reply && items[i].reply->result_case == GRIDCASE__REPLY__RESULT_ERROR;
    gridcase_outbox_items_free (&items, count);
    gridcase_outbox_close (&outbox);
    EXPECT_OP (refused, ==, 0);
    gridcase_t *reader = s_client (&d, 0xC5);
    zhashx_t *titles = zhashx_new ();
    size_t cases = 0;
    char after[32] = "";
    while (true) {
        Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
        list.limit = 500;
        list.after = after;
        Gridcase__Request listed = GRIDCASE__REQUEST__INIT;
        listed.op_case = GRIDCASE__REQUEST__OP_LIST;
        listed.list = &list;
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (reader, &listed, &reply), ==, GRIDCASE_OK);
        for (size_t i = 0; i < reply->list->n_cases; i++) {
            cases++;
            zhashx_insert (titles, reply->list->cases[i]->title, (void *)1);
        }
        bool more = *reply->list->next_after;
        snprintf (after, sizeof (after), "%s", reply->list->next_after);
        gridcase__reply__free_unpacked (reply, NULL);
        if (!more)
            break;
    }
    gridcase_destroy (&reader);
    fprintf (stderr,
             "outbox through a broken network: %d flushing apps killed, %d connections cut, %zu "
             "cases, %" PRIu64 " requests answered again from the idempotency records\n",
             kills, atomic_load (&proxy.cuts), cases, (uint64_t)s_counter (&d, "repeated"));
    EXPECT_OP (cases, ==, REQUESTS);
    EXPECT_OP (zhashx_size (titles), ==, REQUESTS);
    zhashx_destroy (&titles);
    EXPECT_OP (atomic_load (&proxy.cuts), >, 0);
    s_daemon_remove (&d);
    return true;
}

int
main (int argc, char *argv[])
{
    if (argc == 4 && streq (argv[1], "--flush"))
        return s_flush_app (argv[2], argv[3]);
    if (argc > 1)
        s_build = argv[1];
    zsys_init ();
    zsys_set_logstream (stderr);
    atexit (s_kill_started);
    RUN (test_offline_requests_name_the_case_their_report_made);
    RUN (test_stale_actions_are_refused);
    RUN (test_the_outbox_delivers_what_was_made_offline);
    RUN (test_a_copied_outbox_gets_conflict_not_a_second_case);
    RUN (test_the_cli_queues_offline_and_syncs);
    RUN (test_the_cli_shows_a_conflict_from_a_copied_phone);
    RUN (test_a_broken_network_and_killed_app_apply_each_request_once);
    return TESTS_DONE ();
}
