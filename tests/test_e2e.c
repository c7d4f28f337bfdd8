/*  End to end, with the real gridcased process on a free loopback port and a
    temporary data directory: the CLI, repeated request ids, bad input, and
    kill -9 right after 1,000 pipelined reports were acknowledged. */
#include "gridcase.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <lmdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "daemon.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

static Gridcase__Request *
s_report_request (Gridcase__Request *request, Gridcase__ReportRequest *report, const char *grid,
                  const char *title)
{
    gridcase__report_request__init (report);
    report->grid = (char *)grid;
    report->category = "gas-leak";
    report->title = (char *)title;
    gridcase__request__init (request);
    request->op_case = GRIDCASE__REQUEST__OP_REPORT;
    request->report = report;
    return request;
}

static bool
test_cli_report_then_show (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char out[8192], args[512];
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category gas-leak "
                     "--title 'gas smell, stairwell 3' --address 'building 3'"),
              ==, 0);
    char id[32];
    CHECK_OP (sscanf (out, "%31s", id), ==, 1);
    CHECK (strlen (id) == 15 && id[8] == '-'); //  YYYYMMDD-NNNNNN
    CHECK (streq (out + 15, "\n"));            //  the id alone on stdout
    snprintf (args, sizeof (args), "show %s --json", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    EXPECT_CONTAINS (out, "\"state\":\"at_grid\"");
    EXPECT_CONTAINS (out, "\"holder\":\"grid/haihong-01\"");
    EXPECT_CONTAINS (out, "\"community\":\"haihong\"");
    EXPECT_CONTAINS (out, "\"street\":\"lianqian\"");
    EXPECT_CONTAINS (out, "\"severity\":\"red\"");
    EXPECT_CONTAINS (out, "\"title\":\"gas smell, stairwell 3\"");
    snprintf (args, sizeof (args), "journal --case %s --json", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    EXPECT_CONTAINS (out, "\"type\":\"reported\"");
    EXPECT_CONTAINS (out, "\"actor\":\"officer:o-haihong-01\"");
    EXPECT_CONTAINS (out, "\"to\":\"grid/haihong-01\"");
    //  Refusals: exit 1 with the code on stderr; usage: exit 2
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "report --grid nowhere --category gas-leak --title x 2>/dev/null"),
              ==, 1);
    CHECK_OP (s_cli (&d, out, sizeof (out), "show 20991231-000001 2>/dev/null"), ==, 1);
    CHECK_OP (s_cli (&d, out, sizeof (out), "report --grid haihong-01 2>/dev/null"), ==, 2);
    //  A usage error is one line on stderr; --version and COMMAND --help answer
    CHECK_OP (s_cli (&d, out, sizeof (out), "report --grid haihong-01 2>&1"), ==, 2);
    CHECK (strstr (out, "needs --grid, --category and --title") && strchr (out, '\n') &&
           strchr (out, '\n')[1] == 0);
    CHECK_OP (s_cli (&d, out, sizeof (out), "--version"), ==, 0);
    CHECK_OP (strncmp (out, "gridcase ", 9), ==, 0);
    CHECK_OP (s_cli (&d, out, sizeof (out), "report --help"), ==, 0);
    CHECK (strstr (out, "usage: gridcase [OPTIONS] report --grid G") && !strstr (out, "claim"));
    //  Figures of a period without cases: rates and times are null, not 0
    CHECK_OP (s_cli (&d, out, sizeof (out), "stats --period 2020-01 --json"), ==, 0);
    CHECK (strstr (out, "\"received\":0") && strstr (out, "\"on_time_rate\":null") &&
           strstr (out, "\"resolve_p95_ms\":null") && strstr (out, "\"satisfaction\":null"));
    //  100 first uses of a fresh state directory at once each keep a client id
    char many[2048];
    snprintf (many, sizeof (many),
              "for i in $(seq 100); do (GRIDCASE_STATE_DIR=%s/fresh/state GRIDCASE_ENDPOINT=%s "
              "%s/bin/gridcase --timeout 60000 --as supervisor:sup-siming show %s > /dev/null "
              "2> %s/err.$i; echo $? > %s/rc.$i) & done; wait; cat %s/rc.* | sort | uniq -c | "
              "grep -qx ' *100 0' && ! grep -l 'client id' %s/err.*",
              d.dir, d.command, s_build, id, d.dir, d.dir, d.dir, d.dir);
    CHECK_OP (system (many), ==, 0);
    //  Queues and topics that do not exist are errors, not empty answers
    CHECK_OP (s_cli (&d, out, sizeof (out), "queue dept/nowhere 2>&1"), ==, 1);
    CHECK (strstr (out, "unknown_queue") && strstr (out, "no queue 'dept/nowhere'"));
    CHECK_OP (s_cli (&d, out, sizeof (out), "queue gas 2>&1"), ==, 1);
    EXPECT_CONTAINS (out, "unknown_queue");
    CHECK_OP (s_cli (&d, out, sizeof (out), "watch gas 2>&1"), ==, 1);
    CHECK (strstr (out, "unknown_queue") && strstr (out, "no notices go out on 'gas'"));
    CHECK_OP (s_cli (&d, out, sizeof (out), "queue dept/gas"), ==, 0);
    //  Nobody listening: exit 3
    char dead[2048];
    snprintf (dead, sizeof (dead),
              "GRIDCASE_STATE_DIR=%s/cli %s/bin/gridcase -e tcp://127.0.0.1:%d --timeout 1500 "
              "show %s 2>/dev/null",
              d.dir, s_build, s_free_port (), id);
    CHECK_OP (WEXITSTATUS (system (dead)), ==, 3);
    //  SIGTERM shuts the daemon down cleanly
    int status = s_daemon_stop (&d, SIGTERM);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    s_daemon_remove (&d);
    return true;
}

static bool
test_repeated_request_id_gives_one_case (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    zsock_t *dealer = zsock_new_dealer (d.command);
    uint8_t id[16];
    memset (id, 0x5A, 16);
    Gridcase__Request request;
    Gridcase__ReportRequest report;
    s_report_request (&request, &report, "haihong-02", "blocked drain");
    report.category = "blocked-drain";
    request.client_id.data = id;
    request.client_id.len = 16;
    request.sequence = 7;
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = GRIDCASE__ROLE__ROLE_OFFICER;
    actor.id = "o-haihong-02";
    request.actor = &actor;
    uint8_t packed[1024];
    size_t size = gridcase__request__pack (&request, packed);
    zframe_t *replies[3];
    //  Twice in one go (one batch), then once more after the commit
    CHECK_OP (zsock_send (dealer, "b", packed, size), ==, 0);
    CHECK_OP (zsock_send (dealer, "b", packed, size), ==, 0);
    zsock_set_rcvtimeo (dealer, 5000);
    replies[0] = zframe_recv (dealer);
    replies[1] = zframe_recv (dealer);
    CHECK_OP (zsock_send (dealer, "b", packed, size), ==, 0);
    replies[2] = zframe_recv (dealer);
    CHECK (replies[0] && replies[1] && replies[2]);
    CHECK (zframe_eq (replies[0], replies[1]) && zframe_eq (replies[0], replies[2]));
    Gridcase__Reply *reply =
        gridcase__reply__unpack (NULL, zframe_size (replies[0]), zframe_data (replies[0]));
    CHECK (reply && reply->result_case == GRIDCASE__REPLY__RESULT_CASE);
    CHECK_OP (reply->sequence, ==, 7);
    char case_id[32];
    snprintf (case_id, sizeof (case_id), "%s", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    uint8_t first[4096];
    size_t size_first = zframe_size (replies[0]);
    CHECK_OP (size_first, <=, sizeof (first));
    memcpy (first, zframe_data (replies[0]), size_first);
    for (int i = 0; i < 3; i++)
        zframe_destroy (&replies[i]);
    //  The same id from another sender (a worker replaying the officer's
    //  id) or with another request is refused: nobody gets the officer's case
    Gridcase__Actor worker = GRIDCASE__ACTOR__INIT;
    worker.role = GRIDCASE__ROLE__ROLE_WORKER;
    worker.id = "w-gas-1";
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    note.case_id = case_id;
    note.text = "replayed";
    Gridcase__Request replay = GRIDCASE__REQUEST__INIT;
    replay.client_id = request.client_id;
    replay.sequence = 7;
    replay.actor = &worker;
    replay.op_case = GRIDCASE__REQUEST__OP_NOTE;
    replay.note = &note;
    zframe_t *frames[1];
    frames[0] = zframe_new (packed, gridcase__request__pack (&replay, packed));
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_CONFLICT);
    replay.actor = &actor;
    frames[0] = zframe_new (packed, gridcase__request__pack (&replay, packed));
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_CONFLICT);
    //  A worker taking the officer's next id first does not make the
    //  officer's escalation vanish: it is refused in the open
    replay.actor = &worker;
    replay.sequence = 8;
    frames[0] = zframe_new (packed, gridcase__request__pack (&replay, packed));
    s_raw_error (dealer, frames, 1);
    Gridcase__EscalateRequest escalate = GRIDCASE__ESCALATE_REQUEST__INIT;
    escalate.case_id = case_id;
    escalate.reason = "needs the committee";
    Gridcase__Request next = GRIDCASE__REQUEST__INIT;
    next.client_id = request.client_id;
    next.sequence = 8;
    next.actor = &actor;
    next.op_case = GRIDCASE__REQUEST__OP_ESCALATE;
    next.escalate = &escalate;
    frames[0] = zframe_new (packed, gridcase__request__pack (&next, packed));
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_CONFLICT);
    //  The identical first request still gets its reply byte for byte
    size = gridcase__request__pack (&request, packed);
    CHECK_OP (zsock_send (dealer, "b", packed, size), ==, 0);
    zframe_t *again = zframe_recv (dealer);
    CHECK (again && zframe_size (again) == size_first &&
           memcmp (zframe_data (again), first, size_first) == 0);
    zframe_destroy (&again);
    zsock_destroy (&dealer);
    CHECK_OP (s_counter (&d, "conflicts"), ==, 3);
    //  One case, one journal entry
    char out[8192];
    CHECK_OP (s_cli (&d, out, sizeof (out), "journal --json"), ==, 0);
    int entries = 0;
    for (char *p = out; (p = strstr (p, "\"type\":\"reported\"")); p++)
        entries++;
    CHECK_OP (entries, ==, 1);
    EXPECT_CONTAINS (out, case_id);
    CHECK (!strstr (out, "replayed"));
    s_daemon_remove (&d);
    return true;
}

static bool
test_bad_input_gets_errors_and_daemon_keeps_serving (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    zsock_t *dealer = zsock_new_dealer (d.command);
    zsock_set_rcvtimeo (dealer, 5000);
    zframe_t *frames[3];
    //  Garbage bytes
    frames[0] = zframe_new ("\xff\xfe garbage \x01\x02", 13);
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    //  A truncated protobuf
    Gridcase__Request request;
    Gridcase__ReportRequest report;
    s_report_request (&request, &report, "haihong-01", "truncated");
    uint8_t id[16] = {9};
    request.client_id.data = id;
    request.client_id.len = 16;
    request.sequence = 1;
    uint8_t packed[1024];
    size_t size = gridcase__request__pack (&request, packed);
    frames[0] = zframe_new (packed, size - 4);
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    //  An oversized frame (over the request limit, under the transport's)
    frames[0] = zframe_new (NULL, 100 * 1024);
    memset (zframe_data (frames[0]), 0x0A, 100 * 1024);
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE);
    //  A wrong frame count
    frames[0] = zframe_new (packed, size);
    frames[1] = zframe_new (packed, size);
    CHECK_OP (s_raw_error (dealer, frames, 2), ==, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    //  Invalid UTF-8 in the title
    report.title = "\xe7\xbd";
    request.sequence = 2;
    size = gridcase__request__pack (&request, packed);
    frames[0] = zframe_new (packed, size);
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    //  An unknown grid: unknown_actor first when the request names nobody
    //  (an unknown actor learns nothing of the city), unknown_grid for one
    //  the roster holds
    report.title = "unknown grid";
    report.grid = "atlantis-01";
    request.sequence = 3;
    size = gridcase__request__pack (&request, packed);
    frames[0] = zframe_new (packed, size);
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR);
    Gridcase__Actor officer = GRIDCASE__ACTOR__INIT;
    officer.role = GRIDCASE__ROLE__ROLE_OFFICER;
    officer.id = "o-haihong-01";
    request.actor = &officer;
    request.sequence = 4;
    size = gridcase__request__pack (&request, packed);
    frames[0] = zframe_new (packed, size);
    CHECK_OP (s_raw_error (dealer, frames, 1), ==, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID);
    request.actor = NULL;
    //  A message over the transport limit: libzmq drops it with the connection
    zsock_t *rude = zsock_new_dealer (d.command);
    zsock_set_rcvtimeo (rude, 1000);
    frames[0] = zframe_new (NULL, 2 * 1024 * 1024);
    memset (zframe_data (frames[0]), 0x0A, 2 * 1024 * 1024);
    CHECK_OP (s_raw_error (rude, frames, 1), ==, -1);
    zsock_destroy (&rude);
    zsock_destroy (&dealer);
    //  Counted, nothing stored, and the daemon still serves
    CHECK_OP (s_counter (&d, "rejected_bad_request"), ==, 2);
    CHECK_OP (s_counter (&d, "rejected_too_large"), ==, 1);
    CHECK_OP (s_counter (&d, "rejected_invalid"), ==, 1);
    CHECK_OP (s_counter (&d, "dropped_frames"), ==, 1);
    CHECK_OP (s_counter (&d, "journal_last"), ==, 0);
    char out[256];
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category garbage "
                     "--title 'still serving'"),
              ==, 0);
    CHECK_OP (s_counter (&d, "journal_last"), ==, 1);
    CHECK_OP (waitpid (d.pid, NULL, WNOHANG), ==, 0); //  alive
    s_daemon_remove (&d);
    return true;
}

static bool
test_kill9_after_1000_acknowledged_reports (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gridcase_t *client = s_client (&d, 0x42);
    //  Reports from two communities: the district supervisor's hotline desk
    gridcase_set_actor (client, GRIDCASE__ROLE__ROLE_SUPERVISOR, "sup-siming");
    const int total = 1000;
    //  Pipeline every report, then collect the acknowledgements
    for (int i = 0; i < total; i++) {
        Gridcase__Request request;
        Gridcase__ReportRequest report;
        char title[64];
        snprintf (title, sizeof (title), "report %d", i);
        s_report_request (&request, &report, i % 2 ? "haihong-01" : "qianpu-02", title);
        CHECK_OP (gridcase_send (client, &request), ==, (uint64_t)i + 1);
    }
    char (*ids)[32] = calloc ((size_t)total, 32);
    int acked = 0;
    while (acked < total) {
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_recv (client, &reply, 20000), ==, GRIDCASE_OK);
        CHECK (reply->sequence >= 1 && reply->sequence <= (uint64_t)total);
        snprintf (ids[reply->sequence - 1], 32, "%s", reply->case_->case_->id);
        gridcase__reply__free_unpacked (reply, NULL);
        acked++;
    }
    gridcase_destroy (&client);
    //  Right after the last acknowledgement: no clean shutdown
    int status = s_daemon_stop (&d, SIGKILL);
    CHECK (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
    CHECK (s_daemon_start (&d, NULL));
    client = s_client (&d, 0x43);
    gridcase_set_actor (client, GRIDCASE__ROLE__ROLE_SUPERVISOR, "sup-siming");
    int found = 0, journaled = 0;
    for (int i = 0; i < total; i++) {
        Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
        get.case_id = ids[i];
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_GET;
        request.get = &get;
        Gridcase__Reply *reply = NULL;
        if (gridcase_call (client, &request, &reply) == GRIDCASE_OK) {
            char title[64];
            snprintf (title, sizeof (title), "report %d", i);
            if (streq (reply->case_->case_->title, title))
                found++;
        }
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
        Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
        journal.case_id = ids[i];
        request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        request.journal = &journal;
        reply = NULL;
        if (gridcase_call (client, &request, &reply) == GRIDCASE_OK &&
            reply->journal->n_entries == 1 &&
            reply->journal->entries[0]->type == GRIDCASE__EVENT_TYPE__EVENT_REPORTED &&
            streq (reply->journal->entries[0]->case_id, ids[i]))
            journaled++;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
    }
    gridcase_destroy (&client);
    free (ids);
    CHECK_OP (found, ==, total);
    CHECK_OP (journaled, ==, total);
    CHECK_OP (s_counter (&d, "journal_last"), ==, (uint64_t)total);
    s_daemon_remove (&d);
    return true;
}

static bool
test_refuses_non_loopback_without_curve (void)
{
    daemon_t d = {0};
    char endpoint[64];
    snprintf (endpoint, sizeof (endpoint), "tcp://0.0.0.0:%d", s_free_port ());
    CHECK (s_daemon_start (&d, endpoint));
    int status;
    CHECK_OP (waitpid (d.pid, &status, 0), ==, d.pid);
    d.pid = 0;
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 1);
    char log[256], text[4096] = "";
    snprintf (log, sizeof (log), "%s/daemon.log", d.dir);
    FILE *file = fopen (log, "r");
    CHECK (file);
    size_t got = fread (text, 1, sizeof (text) - 1, file);
    text[got] = 0;
    fclose (file);
    EXPECT_CONTAINS (text, "refusing to bind tcp://0.0.0.0");
    s_daemon_remove (&d);
    //  Asking for CURVE, which this version cannot give, is refused too
    char config[] = "/tmp/gc-test-curve-XXXXXX";
    int fd = mkstemp (config);
    CHECK_OP (fd, >=, 0);
    const char *text2 = "gridcase\n    curve = on\n    command = \"tcp://0.0.0.0:7999\"\n"
                        "city\n    district = d\n        street = s\n            community = c\n"
                        "                grid = g\ncategories\n    category = x\n";
    CHECK_OP (write (fd, text2, strlen (text2)), ==, (ssize_t)strlen (text2));
    close (fd);
    char command[512];
    snprintf (command, sizeof (command),
              "%s/bin/gridcased -c %s -d /tmp/gc-test-curve-data 2>/dev/null", s_build, config);
    int status2 = system (command);
    unlink (config);
    CHECK (WIFEXITED (status2) && WEXITSTATUS (status2) == 1);
    return true;
}

//  Counts the lines of OUT that contain TEXT
static int
s_lines_with (const char *out, const char *text)
{
    int count = 0;
    for (const char *line = out; line && *line;) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen (line);
        char buffer[4096];
        snprintf (buffer, sizeof (buffer), "%.*s", (int)len, line);
        if (strstr (buffer, text))
            count++;
        line = end ? end + 1 : NULL;
    }
    return count;
}

//  The README's story, pasted as a newcomer would, against --time-scale 600
static bool
test_story_end_to_end (void)
{
    daemon_t d = {0};
    d.time_scale = "600";
    CHECK (s_daemon_start (&d, NULL));
    static char out[65536];
    char id[32], args[512];
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category gas-leak "
                     "--title 'gas smell, stairwell 3'"),
              ==, 0);
    CHECK_OP (sscanf (out, "%31s", id), ==, 1);
    snprintf (args, sizeof (args),
              "--as officer:o-haihong-01 escalate %s --reason 'needs the gas company'", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    EXPECT_CONTAINS (out, "committee/haihong");
    //  15 minutes at x600 is 1.5 s: nobody at committee haihong claims it
    zclock_sleep (4000);
    snprintf (args, sizeof (args), "show %s --json", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    EXPECT_CONTAINS (out, "\"holder\":\"street/lianqian\"");
    const char *steps[][2] = {
        {"--as street:s-lianqian dispatch %s --lead gas", "dept/gas"},
        {"--as worker:w-gas-1 claim --queue dept/gas", NULL},
        {"--as worker:w-gas-1 accept %s", "in_progress"},
        {"--as worker:w-gas-1 resolve %s --note 'valve replaced'", "resolved"},
        {"--as officer:o-haihong-01 verify %s --ok", "verified"},
        {"--as officer:o-haihong-01 evaluate %s --rating 5", "closed"},
    };
    for (size_t i = 0; i < sizeof (steps) / sizeof (steps[0]); i++) {
        snprintf (args, sizeof (args), steps[i][0], id);
        CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
        if (steps[i][1])
            EXPECT_CONTAINS (out, steps[i][1]);
        else {
            //  claim prints the case id alone
            char expect[40];
            snprintf (expect, sizeof (expect), "%s\n", id);
            CHECK (streq (out, expect));
        }
    }
    snprintf (args, sizeof (args), "show %s --json", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    CHECK (strstr (out, "\"state\":\"closed\"") && strstr (out, "\"rating\":5"));
    snprintf (args, sizeof (args), "journal --case %s --json", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    //  Every step, in order, the escalation with its reason
    const char *types[] = {"reported", "escalated", "escalated", "dispatched", "claimed",
                           "accepted", "resolved",  "verified",  "evaluated"};
    const char *line = out;
    for (size_t i = 0; i < sizeof (types) / sizeof (types[0]); i++) {
        char want[64];
        snprintf (want, sizeof (want), "\"type\":\"%s\"", types[i]);
        CHECK (line && strstr (line, want) && strstr (line, want) < strchr (line, '\n'));
        line = strchr (line, '\n') + 1;
    }
    CHECK_OP (*line, ==, 0);
    CHECK_OP (s_lines_with (out, "\"actor\":\"gridcased\""), ==, 1);
    CHECK_OP (s_lines_with (out, "committee/haihong did not take it within 15 min"), ==, 1);
    CHECK_OP (s_lines_with (out, "\"from\":\"committee/haihong\",\"to\":\"street/lianqian\""), ==,
              1);
    CHECK_OP (s_lines_with (out, "needs the gas company"), ==, 1);
    s_daemon_remove (&d);
    return true;
}

//  kill -9 while a deadline runs; a restart fires it at once
static bool
test_restart_fires_deadlines_missed_while_down (void)
{
    daemon_t d = {0};
    d.time_scale = "600";
    CHECK (s_daemon_start (&d, NULL));
    static char out[16384];
    char id[32], args[256];
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category gas-leak "
                     "--title 'gas smell'"),
              ==, 0);
    CHECK_OP (sscanf (out, "%31s", id), ==, 1);
    snprintf (args, sizeof (args), "--as officer:o-haihong-01 escalate %s", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    CHECK_OP (s_daemon_stop (&d, SIGKILL), !=, -1);
    //  Down for 2 s = 20 minutes of the daemon's clock: the committee's
    //  15 minutes pass while nobody runs
    zclock_sleep (2000);
    CHECK (s_daemon_start (&d, NULL));
    bool moved = false;
    snprintf (args, sizeof (args), "show %s --json", id);
    for (int attempt = 0; attempt < 20 && !moved; attempt++) {
        CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
        moved = strstr (out, "\"holder\":\"street/lianqian\"") != NULL;
        if (!moved)
            zclock_sleep (50);
    }
    CHECK (moved);
    snprintf (args, sizeof (args), "journal --case %s", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    CHECK_OP (s_lines_with (out, "deadline missed: committee/haihong did not take it"), ==, 1);
    s_daemon_remove (&d);
    return true;
}

//  watch: what it missed comes from the journal, then it follows live
static bool
test_watch_fetches_what_it_missed (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    static char out[65536];
    char ids[3][32], args[512];
    for (int i = 0; i < 2; i++) {
        CHECK_OP (s_cli (&d, out, sizeof (out),
                         "--as officer:o-haihong-01 report --grid haihong-01 --category gas-leak "
                         "--title leak"),
                  ==, 0);
        CHECK_OP (sscanf (out, "%31s", ids[i]), ==, 1);
    }
    //  An unrelated topic that shares the prefix must not show
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-02 report --grid haihong-02 --category gas-leak "
                     "--title other"),
              ==, 0);
    //  The watcher starts late: it has seen up to the first report (seq 1)
    char file[200], command[1024];
    snprintf (file, sizeof (file), "%s/watch.out", d.dir);
    snprintf (command, sizeof (command),
              "GRIDCASE_STATE_DIR=%s/cli GRIDCASE_ENDPOINT=%s exec %s/bin/gridcase "
              "--as officer:o-haihong-01 watch officer/o-haihong-01 --since 1 --json --events %s > "
              "%s 2>&1",
              d.dir, d.command, s_build, d.events, file);
    pid_t watcher = fork ();
    if (watcher == 0) {
        execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit (127);
    }
    zclock_sleep (700);
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category garbage "
                     "--title live"),
              ==, 0);
    CHECK_OP (sscanf (out, "%31s", ids[2]), ==, 1);
    snprintf (args, sizeof (args), "--as officer:o-haihong-01 note %s --text 'still there'",
              ids[0]);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    zclock_sleep (500);
    kill (watcher, SIGTERM);
    waitpid (watcher, NULL, 0);
    FILE *f = fopen (file, "r");
    CHECK (f);
    size_t got = fread (out, 1, sizeof (out) - 1, f);
    out[got] = 0;
    fclose (f);
    //  Seq 2 from the journal, then 4 and 5 live: each once, in order; not
    //  seq 1 (seen), not seq 3 (another officer's grid)
    const char *want[] = {"\"seq\":2,", "\"seq\":4,", "\"seq\":5,"};
    const char *at = out;
    for (size_t i = 0; i < 3; i++) {
        const char *found = strstr (at, want[i]);
        CHECK (found);
        CHECK_OP (s_lines_with (out, want[i]), ==, 1);
        at = found;
    }
    CHECK (s_lines_with (out, "\"seq\":1,") == 0 && s_lines_with (out, "\"seq\":3,") == 0);
    CHECK_OP (s_lines_with (out, "still there"), ==, 1);
    s_daemon_remove (&d);
    return true;
}

//  Reports a case in GRID as OFFICER and escalates it (one log entry); the id in ID
static bool
s_escalated_case (daemon_t *d, const char *officer, const char *grid, char *id)
{
    char out[256], args[512];
    snprintf (args, sizeof (args),
              "--as officer:%s report --grid %s --category garbage --title 'bins overflowing'",
              officer, grid);
    CHECK_OP (s_cli (d, out, sizeof (out), args), ==, 0);
    CHECK_OP (sscanf (out, "%31s", id), ==, 1);
    snprintf (args, sizeof (args), "--as officer:%s escalate %s --reason 'for the committee'",
              officer, id);
    CHECK_OP (s_cli (d, out, sizeof (out), args), ==, 0);
    return true;
}

static bool
test_log_follow_survives_a_missed_notice (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    static char out[65536];
    char ids[4][32];
    CHECK (s_escalated_case (&d, "o-haihong-01", "haihong-01", ids[0]));
    //  The committee follows its log; the first notice it gets is lost
    char file[200], errors[200], command[1024];
    snprintf (file, sizeof (file), "%s/follow.out", d.dir);
    snprintf (errors, sizeof (errors), "%s/follow.err", d.dir);
    snprintf (command, sizeof (command),
              "GRIDCASE_STATE_DIR=%s/cli GRIDCASE_ENDPOINT=%s GRIDCASE_DROP_NOTICES=1 exec "
              "%s/bin/gridcase --as committee:c-haihong log --follow --json --events %s > %s "
              "2> %s",
              d.dir, d.command, s_build, d.events, file, errors);
    pid_t follower = fork ();
    if (follower == 0) {
        execl ("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit (127);
    }
    zclock_sleep (800);
    CHECK (s_escalated_case (&d, "o-haihong-01", "haihong-01", ids[1])); //  lost
    CHECK (s_escalated_case (&d, "o-qianpu-01", "qianpu-01", ids[2]));   //  not its log
    CHECK (s_escalated_case (&d, "o-haihong-02", "haihong-02", ids[3])); //  reveals the loss
    zclock_sleep (600);
    kill (follower, SIGTERM);
    waitpid (follower, NULL, 0);
    FILE *f = fopen (file, "r");
    CHECK (f);
    size_t got = fread (out, 1, sizeof (out) - 1, f);
    out[got] = 0;
    fclose (f);
    //  Each of the community's three escalations once, in order; not qianpu's
    const char *at = out;
    int order[] = {0, 1, 3};
    for (size_t i = 0; i < 3; i++) {
        char want[64];
        snprintf (want, sizeof (want), "\"case\":\"%s\"", ids[order[i]]);
        const char *found = strstr (at, want);
        CHECK (found);
        CHECK_OP (s_lines_with (out, want), ==, 1);
        at = found;
    }
    char other[64];
    snprintf (other, sizeof (other), "\"case\":\"%s\"", ids[2]);
    CHECK_OP (s_lines_with (out, other), ==, 0);
    f = fopen (errors, "r");
    CHECK (f);
    got = fread (out, 1, sizeof (out) - 1, f);
    out[got] = 0;
    fclose (f);
    EXPECT_CONTAINS (out, "missed notices on log/community/haihong");
    s_daemon_remove (&d);
    return true;
}

//  Changes journal entry SEQ in the store copied to DIR: its reason is
//  rewritten (ALTER) or the entry is deleted
static bool
s_tamper (const char *dir, uint64_t seq, bool alter)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    CHECK_OP (mdb_env_create (&env), ==, 0);
    mdb_env_set_maxdbs (env, 16);
    CHECK_OP (mdb_env_open (env, dir, 0, 0600), ==, 0);
    CHECK_OP (mdb_txn_begin (env, NULL, 0, &txn), ==, 0);
    CHECK_OP (mdb_dbi_open (txn, "journal", 0, &dbi), ==, 0);
    uint8_t key_data[8];
    for (int i = 0; i < 8; i++)
        key_data[i] = (uint8_t)(seq >> (56 - 8 * i));
    MDB_val key = {8, key_data}, value;
    if (alter) {
        CHECK_OP (mdb_get (txn, dbi, &key, &value), ==, 0);
        Gridcase__JournalEntry *entry =
            gridcase__journal_entry__unpack (NULL, value.mv_size, value.mv_data);
        CHECK (entry);
        char *reason = entry->reason;
        entry->reason = "nothing happened here";
        uint8_t buffer[4096];
        MDB_val changed = {gridcase__journal_entry__pack (entry, buffer), buffer};
        entry->reason = reason; //  the unpacked one goes with the entry
        CHECK_OP (mdb_put (txn, dbi, &key, &changed, 0), ==, 0);
        gridcase__journal_entry__free_unpacked (entry, NULL);
    } else
        CHECK_OP (mdb_del (txn, dbi, &key, NULL), ==, 0);
    CHECK_OP (mdb_txn_commit (txn), ==, 0);
    mdb_env_close (env);
    return true;
}

//  Changes the title of the first case record in the store copied to DIR
static bool
s_tamper_case (const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cursor;
    CHECK_OP (mdb_env_create (&env), ==, 0);
    mdb_env_set_maxdbs (env, 16);
    CHECK_OP (mdb_env_open (env, dir, 0, 0600), ==, 0);
    CHECK_OP (mdb_txn_begin (env, NULL, 0, &txn), ==, 0);
    CHECK_OP (mdb_dbi_open (txn, "cases", 0, &dbi), ==, 0);
    CHECK_OP (mdb_cursor_open (txn, dbi, &cursor), ==, 0);
    MDB_val key, value;
    CHECK_OP (mdb_cursor_get (cursor, &key, &value, MDB_FIRST), ==, 0);
    Gridcase__Case *kase = gridcase__case__unpack (NULL, value.mv_size, value.mv_data);
    CHECK (kase);
    char *title = kase->title;
    kase->title = "nothing to see";
    uint8_t buffer[4096];
    MDB_val changed = {gridcase__case__pack (kase, buffer), buffer};
    kase->title = title;
    uint8_t key_copy[64];
    memcpy (key_copy, key.mv_data, key.mv_size);
    MDB_val same = {key.mv_size, key_copy};
    mdb_cursor_close (cursor);
    CHECK_OP (mdb_put (txn, dbi, &same, &changed, 0), ==, 0);
    gridcase__case__free_unpacked (kase, NULL);
    CHECK_OP (mdb_txn_commit (txn), ==, 0);
    mdb_env_close (env);
    return true;
}

static bool
test_verify_journal_finds_altered_and_removed_entries (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    static char out[65536];
    char id[32];
    for (int i = 0; i < 3; i++)
        CHECK (s_escalated_case (&d, "o-haihong-01", "haihong-01", id));
    //  Through the daemon, as the admin who reads the whole journal
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as admin:admin verify-journal"), ==, 0);
    EXPECT_CONTAINS (out, "journal intact: 6 entries");
    //  An officer reads only part of the journal: not permitted, never a
    //  false BROKEN for the entries it was not served
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as officer:o-haihong-01 verify-journal 2>&1"), ==,
              1);
    CHECK (strstr (out, "not_permitted") && strstr (out, "the whole journal"));
    CHECK (!strstr (out, "BROKEN"));
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as supervisor:sup-siming verify-journal"), ==, 0);
    EXPECT_CONTAINS (out, "journal intact: 6 entries");
    //  Copies of the data directory, once the daemon has stopped
    CHECK_OP (WEXITSTATUS (s_daemon_stop (&d, SIGTERM)), ==, 0);
    char command[1024], args[300];
    snprintf (command, sizeof (command),
              "for c in intact altered removed tail case; do mkdir -p %s/$c && cp %s/data/data.mdb "
              "%s/$c/; done",
              d.dir, d.dir, d.dir);
    CHECK_OP (system (command), ==, 0);
    char dir[256];
    snprintf (dir, sizeof (dir), "%s/altered", d.dir);
    CHECK (s_tamper (dir, 3, true));
    snprintf (dir, sizeof (dir), "%s/removed", d.dir);
    CHECK (s_tamper (dir, 2, false));
    snprintf (dir, sizeof (dir), "%s/tail", d.dir);
    CHECK (s_tamper (dir, 6, false));
    snprintf (dir, sizeof (dir), "%s/case", d.dir);
    CHECK (s_tamper_case (dir));

    //  The store checker reads each copy (gridcased --check DIR)
    snprintf (dir, sizeof (dir), "%s/intact", d.dir);
    CHECK_OP (s_check_store (dir, out, sizeof (out)), ==, 0);
    EXPECT_CONTAINS (out, "journal intact: 6 entries");
    EXPECT_CONTAINS (out, "case records intact: 3 cases, 3 match");
    EXPECT_CONTAINS (out, "indexes agree with the cases and the journal");
    //  A case record changed behind the journal's back
    snprintf (dir, sizeof (dir), "%s/case", d.dir);
    CHECK_OP (s_check_store (dir, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "is not the record journal entry");
    EXPECT_CONTAINS (out, "BROKEN: 1 problem;");
    snprintf (dir, sizeof (dir), "%s/altered", d.dir);
    CHECK_OP (s_check_store (dir, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "entry 4 does not carry the hash of the entry before it");
    EXPECT_CONTAINS (out, "6 journal entries");
    snprintf (dir, sizeof (dir), "%s/removed", d.dir);
    CHECK_OP (s_check_store (dir, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "journal: entries 2..2 are missing (removed)");
    //  The case whose last entry that was no longer finds it either
    EXPECT_CONTAINS (out, "names journal entry 2 as its last, which is not about it");
    EXPECT_CONTAINS (out, "5 journal entries");
    snprintf (dir, sizeof (dir), "%s/tail", d.dir);
    CHECK_OP (s_check_store (dir, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "last written at entry 6 but ends at 5");
    //  The CLI reads through the daemon only; a directory is gridcased's to check
    snprintf (args, sizeof (args), "verify-journal --data %s/intact 2>&1", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 2);
    EXPECT_CONTAINS (out, "gridcased --check DIR");
    s_daemon_remove (&d);
    return true;
}

static bool
test_backup_while_serving_restores_every_case (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gridcase_t *client = s_client (&d, 0x51);
    const int total = 200;
    char (*ids)[32] = calloc ((size_t)total, 32);
    for (int i = 0; i < total; i++) {
        Gridcase__Request request;
        Gridcase__ReportRequest report;
        char title[64];
        snprintf (title, sizeof (title), "backed up %d", i);
        s_report_request (&request, &report, "haihong-01", title);
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (client, &request, &reply), ==, GRIDCASE_OK);
        snprintf (ids[i], 32, "%s", reply->case_->case_->id);
        gridcase__reply__free_unpacked (reply, NULL);
    }
    static char out[65536];
    char args[512];
    //  Only the admin takes backups
    snprintf (args, sizeof (args), "--as supervisor:sup-siming backup %s/backup 2>&1", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 1);
    EXPECT_CONTAINS (out, "not_permitted");
    snprintf (args, sizeof (args), "--as admin:admin backup %s/backup", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    EXPECT_CONTAINS (out, "backed up to");
    //  Not over an existing backup
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 1);
    //  A report after the backup is not in it
    Gridcase__Request request;
    Gridcase__ReportRequest report;
    s_report_request (&request, &report, "haihong-01", "after the backup");
    Gridcase__Reply *reply = NULL;
    CHECK_OP (gridcase_call (client, &request, &reply), ==, GRIDCASE_OK);
    char later[32];
    snprintf (later, sizeof (later), "%s", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    gridcase_destroy (&client);
    CHECK_OP (WEXITSTATUS (s_daemon_stop (&d, SIGTERM)), ==, 0);
    snprintf (args, sizeof (args), "%s/backup", d.dir);
    CHECK_OP (s_check_store (args, out, sizeof (out)), ==, 0);
    EXPECT_CONTAINS (out, "journal intact: 200 entries");
    EXPECT_CONTAINS (out, "is consistent");
    //  Restore as the README says: the copy's data.mdb in an empty datadir
    char command[600];
    snprintf (command, sizeof (command),
              "rm -rf %s/data && mkdir %s/data && cp %s/backup/data.mdb %s/data/", d.dir, d.dir,
              d.dir, d.dir);
    CHECK_OP (system (command), ==, 0);
    CHECK (s_daemon_start (&d, NULL));
    client = s_client (&d, 0x52);
    int found = 0;
    for (int i = 0; i <= total; i++) {
        Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
        get.case_id = i < total ? ids[i] : later;
        Gridcase__Request read = GRIDCASE__REQUEST__INIT;
        read.op_case = GRIDCASE__REQUEST__OP_GET;
        read.get = &get;
        reply = NULL;
        if (gridcase_call (client, &read, &reply) == GRIDCASE_OK)
            found += i < total ? 1 : 1000;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
    }
    gridcase_destroy (&client);
    free (ids);
    CHECK_OP (found, ==, total); //  every case before the backup; not the one after
    CHECK_OP (s_counter (&d, "journal_last"), ==, (uint64_t)total);
    s_daemon_remove (&d);
    return true;
}

//  Reads FILE into a new string
static char *
s_slurp (const char *file)
{
    FILE *f = fopen (file, "r");
    if (!f)
        return NULL;
    static char text[65536];
    size_t got = fread (text, 1, sizeof (text) - 1, f);
    text[got] = 0;
    fclose (f);
    return strdup (text);
}

//  A public key from a certificate written by gridcase keygen
static bool
s_public_key (const char *file, char *key)
{
    zcert_t *cert = zcert_load (file);
    bool loaded = cert != NULL;
    if (loaded)
        snprintf (key, 64, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return loaded;
}

static bool
test_curve_knows_clients_by_their_key (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-e2e-XXXXXX");
    CHECK (mkdtemp (d.dir));
    static char out[65536];
    char command[1024], args[512];
    //  Keys for the server, an officer, the admin, and a stranger
    const char *names[] = {"server", "officer", "admin", "stranger"};
    for (size_t i = 0; i < 4; i++) {
        snprintf (command, sizeof (command), "%s/bin/gridcase keygen %s/%s > /dev/null", s_build,
                  d.dir, names[i]);
        CHECK_OP (system (command), ==, 0);
    }
    char officer_key[64], admin_key[64], file[300];
    snprintf (file, sizeof (file), "%s/officer", d.dir);
    CHECK (s_public_key (file, officer_key));
    snprintf (file, sizeof (file), "%s/admin", d.dir);
    CHECK (s_public_key (file, admin_key));
    //  The sample roster, with keys for the officer and the admin
    char *roster = s_slurp ("deploy/sample-roster.cfg");
    CHECK (roster);
    snprintf (file, sizeof (file), "%s/roster.cfg", d.dir);
    FILE *f = fopen (file, "w");
    CHECK (f);
    for (char *line = strtok (roster, "\n"); line; line = strtok (NULL, "\n")) {
        fprintf (f, "%s\n", line);
        if (streq (line, "    actor = o-haihong-01"))
            fprintf (f, "        key = \"%s\"\n", officer_key);
        if (streq (line, "    actor = admin"))
            fprintf (f, "        key = \"%s\"\n", admin_key);
    }
    fclose (f);
    free (roster);
    char settings[400], roster_file[300];
    snprintf (settings, sizeof (settings), "    curve = on\n    server_cert = \"%s/server\"\n",
              d.dir);
    snprintf (roster_file, sizeof (roster_file), "%s/roster.cfg", d.dir);
    CHECK (s_daemon_config (&d, settings, roster_file));
    snprintf (d.cert, sizeof (d.cert), "%s/officer", d.dir);
    snprintf (d.server_key, sizeof (d.server_key), "%s/server", d.dir);
    CHECK (s_daemon_start (&d, NULL));
    //  The officer's key subscribes to everything ("") and to its own topic:
    //  only its own topic is taken
    zcert_t *officer_cert = zcert_load (d.cert);
    CHECK (officer_cert);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zcert_apply (officer_cert, sub);
    zsock_set_curve_serverkey (sub, s_server_public (&d));
    zsock_set_rcvtimeo (sub, 1500);
    zsock_set_subscribe (sub, "");
    zsock_set_subscribe (sub, "officer/o-haihong-01");
    CHECK_OP (zsock_connect (sub, "%s", d.events), ==, 0);
    zclock_sleep (500);

    //  The key says who: the officer, whatever --as claims
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as admin:admin report --grid haihong-01 --category garbage --title keyed "
                     "--json"),
              ==, 0);
    EXPECT_CONTAINS (out, "\"reporter\":\"officer:o-haihong-01\"");
    size_t notices = 0, foreign = 0;
    char *topic;
    zframe_t *notice;
    while (zsock_recv (sub, "sf", &topic, &notice) == 0) {
        notices++;
        foreign += !streq (topic, "officer/o-haihong-01");
        zstr_free (&topic);
        zframe_destroy (&notice);
    }
    zsock_destroy (&sub);
    zcert_destroy (&officer_cert);
    CHECK (notices == 1 && foreign == 0);
    snprintf (args, sizeof (args), "--as admin:admin backup %s/backup 2>&1", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 1);
    EXPECT_CONTAINS (out, "not_permitted: officer:o-haihong-01 may not take a backup");
    //  The admin's key may
    snprintf (d.cert, sizeof (d.cert), "%s/admin", d.dir);
    snprintf (args, sizeof (args), "backup %s/backup", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    //  A key not in the roster, and no key at all, get nowhere
    snprintf (d.cert, sizeof (d.cert), "%s/stranger", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), "--timeout 1500 list 2>/dev/null"), ==, 3);
    d.cert[0] = 0;
    CHECK_OP (s_cli (&d, out, sizeof (out), "--timeout 1500 list 2>/dev/null"), ==, 3);
    //  Nothing but the officer's report was changed
    snprintf (d.cert, sizeof (d.cert), "%s/admin", d.dir);
    CHECK_OP (s_cli (&d, out, sizeof (out), "stats --json"), ==, 0);
    const char *last = strstr (out, "\"journal_last\":");
    CHECK (last && atoi (last + 15) == 1);
    const char *refused_topics = strstr (out, "\"subscriptions_refused\":");
    CHECK (refused_topics && atoi (refused_topics + 24) == 1);
    //  The stranger's handshakes were refused, counted and logged with its key
    const char *refused = strstr (out, "\"unauthenticated\":");
    CHECK (refused && atoi (refused + 18) >= 1);
    char stranger_key[64], log[512];
    snprintf (file, sizeof (file), "%s/stranger", d.dir);
    CHECK (s_public_key (file, stranger_key));
    snprintf (log, sizeof (log), "%s/daemon.log", d.dir);
    char *text = zsys_sprintf ("refused a client with key %s from 127.0.0.1", stranger_key);
    FILE *file_log = fopen (log, "r");
    bool logged = false;
    char line[1024];
    while (file_log && !logged && fgets (line, sizeof (line), file_log))
        logged = strstr (line, text) != NULL;
    if (file_log)
        fclose (file_log);
    zstr_free (&text);
    CHECK (logged);
    s_daemon_remove (&d);
    return true;
}

//  Reports TITLE in haihong-01; the reply's error code (0: ok), its id in ID
static int
s_report_one (gridcase_t *client, const char *title, char *id)
{
    Gridcase__Request request;
    Gridcase__ReportRequest report;
    s_report_request (&request, &report, "haihong-01", title);
    Gridcase__Reply *reply = NULL;
    int rc = gridcase_call (client, &request, &reply);
    int code = rc == GRIDCASE_OK ? 0 : rc == GRIDCASE_EREPLY ? (int)reply->error->code : -1;
    if (rc == GRIDCASE_OK && id)
        snprintf (id, 32, "%s", reply->case_->case_->id);
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    return code;
}

static bool
test_full_disk_refuses_writes_and_keeps_reads (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-e2e-XXXXXX");
    CHECK (mkdtemp (d.dir));
    char command[600], disk[200];
    snprintf (disk, sizeof (disk), "%s/disk", d.dir);
    snprintf (command, sizeof (command), "mkdir -p %s && mount -t tmpfs -o size=3m tmpfs %s", disk,
              disk);
    CHECK_OP (system (command), ==, 0);
    //  The data directory on the small disk: d.dir/data is a link to it
    char datadir[200];
    snprintf (datadir, sizeof (datadir), "%s/data", d.dir);
    CHECK_OP (symlink (disk, datadir), ==, 0);
    bool ok = s_daemon_start (&d, NULL);
    //  Fill the disk but for about 256 KiB
    struct statvfs fs;
    ok = ok && statvfs (disk, &fs) == 0;
    unsigned long long free_kib = ok ? fs.f_bavail * fs.f_frsize / 1024 : 0;
    snprintf (command, sizeof (command),
              "dd if=/dev/zero of=%s/filler bs=1k count=%llu status=none", disk,
              free_kib > 256 ? free_kib - 256 : 0);
    ok = ok && system (command) == 0;
    gridcase_t *client = ok ? s_client (&d, 0x61) : NULL;
    int accepted = 0, full = 0;
    char first[32] = "", id[32];
    char title[180];
    memset (title, 'x', sizeof (title) - 1);
    title[sizeof (title) - 1] = 0;
    for (int i = 0; ok && i < 20000 && !full; i++) {
        int code = s_report_one (client, title, id);
        if (code == 0) {
            accepted++;
            if (!*first)
                snprintf (first, sizeof (first), "%s", id);
        } else if (code == GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL)
            full = 1;
        else {
            fprintf (stderr, "report %d on a full disk: code %d\n", i, code);
            ok = false;
        }
    }
    //  Reads work on a full disk
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = first;
    Gridcase__Request read = GRIDCASE__REQUEST__INIT;
    read.op_case = GRIDCASE__REQUEST__OP_GET;
    read.get = &get;
    Gridcase__Reply *reply = NULL;
    bool readable = ok && gridcase_call (client, &read, &reply) == GRIDCASE_OK;
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    uint64_t journal = ok ? s_counter (&d, "journal_last") : 0;
    uint64_t failures = ok ? s_counter (&d, "storage_failures") : 0;
    //  Space returns: writes work again
    snprintf (command, sizeof (command), "rm -f %s/filler", disk);
    ok = ok && system (command) == 0;
    bool again = ok && s_report_one (client, "space again", NULL) == 0;
    gridcase_destroy (&client);
    s_daemon_stop (&d, SIGTERM);
    snprintf (command, sizeof (command), "umount %s", disk);
    if (system (command) != 0)
        fprintf (stderr, "cannot unmount %s\n", disk);
    CHECK (ok);
    CHECK (accepted > 0 && full);
    CHECK (readable);
    //  Nothing half-applied: one journal entry per accepted report
    CHECK_OP (journal, ==, (uint64_t)accepted);
    CHECK_OP (failures, >=, 1);
    CHECK (again);
    s_daemon_remove (&d);
    return true;
}

static bool
test_a_subscriber_that_stops_reading_never_stalls (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    //  Subscribes to everything and never reads
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_rcvhwm (sub, 10);
    zsock_set_subscribe (sub, "");
    CHECK_OP (zsock_connect (sub, "%s", d.events), ==, 0);
    zclock_sleep (300);
    gridcase_t *client = s_client (&d, 0x71);
    const int total = 5000;
    for (int i = 0; i < total; i++) {
        Gridcase__Request request;
        Gridcase__ReportRequest report;
        s_report_request (&request, &report, "haihong-01", "while nobody reads");
        CHECK_OP (gridcase_send (client, &request), >, 0);
    }
    int acknowledged = 0;
    for (int i = 0; i < total; i++) {
        Gridcase__Reply *reply = NULL;
        if (gridcase_recv (client, &reply, 20000) != GRIDCASE_OK)
            break;
        if (reply->result_case == GRIDCASE__REPLY__RESULT_CASE)
            acknowledged++;
        gridcase__reply__free_unpacked (reply, NULL);
    }
    gridcase_destroy (&client);
    //  Every report acknowledged; the notices the subscriber left went away
    CHECK_OP (acknowledged, ==, total);
    CHECK_OP (s_counter (&d, "notices"), >=, (uint64_t)total);
    zsock_destroy (&sub);
    s_daemon_remove (&d);
    return true;
}

//  --------------------------------------------------------------------------
//  kill -9 at random moments under load

#define CRASH_CLIENTS 8
#define CRASH_WINDOW 8 //  requests in flight per client
#define CRASH_MAX 60000

//  What one client sent: by sequence, the title or note text, and whether
//  the daemon acknowledged it
typedef struct {
    uint8_t id[16];
    uint64_t next; //  the next sequence to use
    gridcase_t *link;
    size_t in_flight;
    char text[CRASH_MAX][40];
    char case_of[CRASH_MAX][24]; //  a note: the case it is on
    bool acked[CRASH_MAX];
    char acked_case[CRASH_MAX][24];
} crasher_t;

//  Sends request SEQ of client C again or for the first time
static Gridcase__Request *
s_crash_request (crasher_t *c, uint64_t seq, Gridcase__Request *request,
                 Gridcase__ReportRequest *report, Gridcase__NoteRequest *note)
{
    gridcase__request__init (request);
    if (*c->case_of[seq]) {
        gridcase__note_request__init (note);
        note->case_id = c->case_of[seq];
        note->text = c->text[seq];
        request->op_case = GRIDCASE__REQUEST__OP_NOTE;
        request->note = note;
    } else
        s_report_request (request, report, "haihong-01", c->text[seq]);
    return request;
}

static void
s_crash_reply (crasher_t *c, Gridcase__Reply *reply)
{
    uint64_t seq = reply->sequence;
    if (seq < CRASH_MAX && reply->result_case == GRIDCASE__REPLY__RESULT_CASE && !c->acked[seq]) {
        c->acked[seq] = true;
        snprintf (c->acked_case[seq], 24, "%s", reply->case_->case_->id);
        c->in_flight--;
    }
}

//  One round: every client pipelines until the daemon is killed at KILL_AT
static void
s_crash_round (daemon_t *d, crasher_t *clients, int64_t kill_at, int round)
{
    for (int k = 0; k < CRASH_CLIENTS; k++) {
        clients[k].link = gridcase_new (d->command, clients[k].id, clients[k].next);
        gridcase_set_actor (clients[k].link, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01");
        clients[k].in_flight = 0;
    }
    while (zclock_mono () < kill_at) {
        for (int k = 0; k < CRASH_CLIENTS; k++) {
            crasher_t *c = &clients[k];
            while (c->in_flight < CRASH_WINDOW && c->next < CRASH_MAX) {
                uint64_t seq = c->next;
                //  Every other request is a note on a case this client saw acknowledged
                uint64_t last = seq > 2 ? seq - 2 : 0;
                if (seq % 2 == 0 && last && c->acked[last] && !*c->case_of[last])
                    memcpy (c->case_of[seq], c->acked_case[last], 24);
                snprintf (c->text[seq], 40, "%c%d-%d-%" PRIu64, *c->case_of[seq] ? 'n' : 'r', round,
                          k, seq);
                Gridcase__Request request;
                Gridcase__ReportRequest report;
                Gridcase__NoteRequest note;
                if (gridcase_send (c->link, s_crash_request (c, seq, &request, &report, &note)) !=
                    seq)
                    break;
                c->next++;
                c->in_flight++;
            }
            Gridcase__Reply *reply = NULL;
            while (gridcase_recv (c->link, &reply, 0) != GRIDCASE_EUNREACHABLE && reply) {
                s_crash_reply (c, reply);
                gridcase__reply__free_unpacked (reply, NULL);
                reply = NULL;
            }
        }
        zclock_sleep (1);
    }
    kill (d->pid, SIGKILL);
    waitpid (d->pid, NULL, 0);
    d->pid = 0;
    for (int k = 0; k < CRASH_CLIENTS; k++)
        gridcase_destroy (&clients[k].link);
}

//  After a restart: every request not acknowledged is sent again with its
//  own id; the daemon answers with the original reply if it had committed it
static bool
s_crash_retry (daemon_t *d, crasher_t *clients, size_t *replayed)
{
    for (int k = 0; k < CRASH_CLIENTS; k++) {
        crasher_t *c = &clients[k];
        for (uint64_t seq = 1; seq < c->next; seq++) {
            if (c->acked[seq])
                continue;
            gridcase_t *link = gridcase_new (d->command, c->id, seq);
            gridcase_set_actor (link, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01");
            Gridcase__Request request;
            Gridcase__ReportRequest report;
            Gridcase__NoteRequest note;
            Gridcase__Reply *reply = NULL;
            int rc =
                gridcase_call (link, s_crash_request (c, seq, &request, &report, &note), &reply);
            gridcase_destroy (&link);
            CHECK (rc == GRIDCASE_OK && reply->sequence == seq);
            s_crash_reply (c, reply);
            gridcase__reply__free_unpacked (reply, NULL);
            (*replayed)++;
        }
    }
    return true;
}

static bool
test_kill9_at_random_moments_loses_nothing_acknowledged (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    crasher_t *clients = (crasher_t *)calloc (CRASH_CLIENTS, sizeof (crasher_t));
    for (int k = 0; k < CRASH_CLIENTS; k++) {
        memset (clients[k].id, 0xC0 + k, 16);
        clients[k].id[0] = (uint8_t)getpid ();
        clients[k].next = 1;
    }
    srand ((unsigned)getpid ());
    size_t replayed = 0;
    //  Five rounds, killed 2 to 8 s in: about 25 s of load in all
    for (int round = 0; round < 5; round++) {
        s_crash_round (&d, clients, zclock_mono () + 2000 + rand () % 6000, round);
        CHECK (s_daemon_start (&d, NULL));
        CHECK (s_crash_retry (&d, clients, &replayed));
    }
    //  Everything sent is in the journal exactly once, as the reply said
    zhashx_t *seen = zhashx_new ();
    gridcase_t *reader = s_client (&d, 0x7A);
    gridcase_set_actor (reader, GRIDCASE__ROLE__ROLE_ADMIN, "admin");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    size_t entries = 0, twice = 0;
    while (true) {
        query.limit = 1000;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        request.journal = &query;
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (reader, &request, &reply), ==, GRIDCASE_OK);
        size_t got = reply->journal->n_entries;
        for (size_t i = 0; i < got; i++) {
            Gridcase__JournalEntry *e = reply->journal->entries[i];
            const char *text = e->type == GRIDCASE__EVENT_TYPE__EVENT_REPORTED ? e->detail
                               : e->type == GRIDCASE__EVENT_TYPE__EVENT_NOTE   ? e->detail
                                                                               : NULL;
            if (text && zhashx_lookup (seen, text))
                twice++;
            else if (text)
                zhashx_insert (seen, text, strdup (e->case_id));
            query.since = e->seq;
            entries++;
        }
        gridcase__reply__free_unpacked (reply, NULL);
        if (got < 1000)
            break;
    }
    gridcase_destroy (&reader);
    size_t sent = 0, missing = 0, wrong = 0;
    zhashx_set_destructor (seen, NULL);
    for (int k = 0; k < CRASH_CLIENTS; k++)
        for (uint64_t seq = 1; seq < clients[k].next; seq++) {
            sent++;
            const char *case_id = (const char *)zhashx_lookup (seen, clients[k].text[seq]);
            if (!clients[k].acked[seq] || !case_id)
                missing++;
            else if (!streq (case_id, clients[k].acked_case[seq]))
                wrong++;
        }
    for (char *v = (char *)zhashx_first (seen); v; v = (char *)zhashx_next (seen))
        free (v);
    zhashx_destroy (&seen);
    free (clients);
    printf ("kill -9 rounds: %zu requests, %zu sent again after a restart, %zu journal entries\n",
            sent, replayed, entries);
    CHECK_OP (sent, >, 1000);
    CHECK (missing == 0 && twice == 0 && wrong == 0);
    static char out[4096];
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as admin:admin verify-journal"), ==, 0);
    EXPECT_CONTAINS (out, "journal intact");
    //  The store the crashes left holds together: chain, cases and every index
    CHECK_OP (WEXITSTATUS (s_daemon_stop (&d, SIGTERM)), ==, 0);
    char data[200];
    snprintf (data, sizeof (data), "%s/data", d.dir);
    if (s_check_store (data, out, sizeof (out)) != 0) {
        fprintf (stderr, "%s", out);
        return false;
    }
    EXPECT_CONTAINS (out, "is consistent");
    s_daemon_remove (&d);
    return true;
}

//  One writer per store: a second daemon on the same data directory stops at
//  once with exit 1, naming the directory and the first daemon's process;
//  the first goes on serving
static bool
test_a_second_daemon_on_the_same_directory_stops (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char command[1024], out[4096];
    snprintf (command, sizeof (command),
              "timeout 10 %s/bin/gridcased -c deploy/sample-city.cfg -d %s/data --command "
              "tcp://127.0.0.1:%d --events tcp://127.0.0.1:%d 2>&1",
              s_build, d.dir, s_free_port (), s_free_port ());
    int64_t start = zclock_mono ();
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    CHECK_OP (zclock_mono () - start, <, 5000);
    char expected[300];
    snprintf (expected, sizeof (expected),
              "store %s/data is in use by another gridcased (process %d)", d.dir, (int)d.pid);
    EXPECT_CONTAINS (out, expected);
    char answer[8192];
    CHECK_OP (s_cli (&d, answer, sizeof (answer),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category gas-leak "
                     "--title 'still served'"),
              ==, 0);
    //  Once the first has gone, even by kill -9, the directory is free again
    s_daemon_stop (&d, SIGKILL);
    CHECK (s_daemon_start (&d, NULL));
    s_daemon_remove (&d);
    return true;
}

//  The idempotency window is on the wall clock: at --time-scale 500000 seven
//  days of the daemon's clock pass in 1.2 s, yet a report acknowledged
//  before a restart and sent again after it gets its original reply
static bool
test_idempotency_window_runs_on_the_wall_clock (void)
{
    daemon_t d = {0};
    d.time_scale = "500000";
    CHECK (s_daemon_start (&d, NULL));
    Gridcase__Request request;
    Gridcase__ReportRequest report;
    s_report_request (&request, &report, "haihong-01", "sent twice across a restart");
    uint8_t id[16];
    memset (id, 0x3C, 16);
    request.client_id.data = id;
    request.client_id.len = 16;
    request.sequence = 1;
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = GRIDCASE__ROLE__ROLE_OFFICER;
    actor.id = "o-haihong-01";
    request.actor = &actor;
    uint8_t packed[1024];
    size_t size = gridcase__request__pack (&request, packed);
    zsock_t *dealer = zsock_new_dealer (d.command);
    zsock_set_rcvtimeo (dealer, 5000);
    CHECK_OP (zsock_send (dealer, "b", packed, size), ==, 0);
    zframe_t *first = zframe_recv (dealer);
    CHECK (first);
    zsock_destroy (&dealer);
    CHECK_OP (WEXITSTATUS (s_daemon_stop (&d, SIGTERM)), ==, 0);
    zclock_sleep (2500); //  over 14 days of the daemon's clock
    CHECK (s_daemon_start (&d, NULL));
    dealer = zsock_new_dealer (d.command);
    zsock_set_rcvtimeo (dealer, 5000);
    CHECK_OP (zsock_send (dealer, "b", packed, size), ==, 0);
    zframe_t *again = zframe_recv (dealer);
    CHECK (again && zframe_eq (first, again));
    zframe_destroy (&first);
    zframe_destroy (&again);
    zsock_destroy (&dealer);
    CHECK_OP (s_counter (&d, "forgotten"), ==, 0);
    static char out[65536];
    CHECK_OP (s_cli (&d, out, sizeof (out), "journal --json"), ==, 0);
    int reports = 0;
    for (char *p = out; (p = strstr (p, "\"type\":\"reported\"")); p++)
        reports++;
    CHECK_OP (reports, ==, 1);
    s_daemon_remove (&d);
    return true;
}

//  make install puts everything the installed daemon needs in place: it
//  starts on its installed sample city and serves
static bool
test_installed_sample_city_starts (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-install-XXXXXX");
    CHECK (mkdtemp (d.dir));
    char command[600];
    snprintf (
        command, sizeof (command),
        "make --no-print-directory -s install DESTDIR=%s/root PREFIX=/usr/local > %s/make.log "
        "2>&1",
        d.dir, d.dir);
    CHECK_OP (system (command), ==, 0);
    static char build[300], config[300];
    snprintf (build, sizeof (build), "%s/root/usr/local", d.dir);
    snprintf (config, sizeof (config), "%s/root/usr/local/share/gridcase/sample-city.cfg", d.dir);
    d.build = build;
    d.config = config;
    CHECK (s_daemon_start (&d, NULL));
    char out[8192];
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category gas-leak "
                     "--title 'installed'"),
              ==, 0);
    //  A program finds the library through pkg-config, and its version
    snprintf (command, sizeof (command),
              "export PKG_CONFIG_PATH=%s/root/usr/local/lib/pkgconfig; pkg-config --modversion "
              "libgridcase && pkg-config --libs --cflags libgridcase",
              d.dir);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
    EXPECT_CONTAINS (out, GC_VERSION);
    EXPECT_CONTAINS (out, "-lgridcase");
    EXPECT (streq (gridcase_version (), GC_VERSION));
    //  The supervisors' page is installed where the installed gateway looks
    snprintf (command, sizeof (command), "%s/root/usr/local/share/gridcase/web/index.html", d.dir);
    EXPECT (zsys_file_exists (command));
    //  ... and the man pages (each renders) and the completion
    const char *pages[] = {"man8/gridcased.8", "man1/gridcase.1", "man5/gridcase.conf.5",
                           "man8/gridcase-gateway.8"};
    for (size_t i = 0; i < 4; i++) {
        snprintf (command, sizeof (command),
                  "man -l %s/root/usr/local/share/man/%s 2>&1 | grep -c '^NAME'", d.dir, pages[i]);
        CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
        EXPECT_CONTAINS (out, "1");
    }
    snprintf (command, sizeof (command),
              "%s/root/usr/local/share/bash-completion/completions/gridcase", d.dir);
    EXPECT (zsys_file_exists (command));
    s_daemon_remove (&d);
    return true;
}

//  The server's key under systemd: with $CREDENTIALS_DIRECTORY (what
//  LoadCredential= gives) holding the certificate, the daemon takes it from
//  there; a certificate that is nowhere is named in a clear error
static bool
test_server_key_from_systemd_credentials (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-e2e-XXXXXX");
    CHECK (mkdtemp (d.dir));
    char command[1024], file[400];
    snprintf (command, sizeof (command),
              "mkdir -p %s/credentials && %s/bin/gridcase keygen %s/credentials/server > "
              "%s/keygen.out && %s/bin/gridcase keygen %s/admin > /dev/null",
              d.dir, s_build, d.dir, d.dir, s_build, d.dir);
    CHECK_OP (system (command), ==, 0);
    char admin_key[64];
    snprintf (file, sizeof (file), "%s/admin", d.dir);
    CHECK (s_public_key (file, admin_key));
    snprintf (file, sizeof (file), "%s/roster.cfg", d.dir);
    FILE *f = fopen (file, "w");
    CHECK (f);
    fprintf (f, "roster\n    actor = admin\n        role = admin\n        key = \"%s\"\n",
             admin_key);
    fclose (f);
    CHECK (
        s_daemon_config (&d, "    curve = on\n    server_cert = \"/etc/nowhere/server\"\n", file));
    snprintf (file, sizeof (file), "%s", d.config_file);
    //  Without the credentials: the error names the missing file
    snprintf (command, sizeof (command),
              "%s/bin/gridcased -c %s -d %s/data --command tcp://127.0.0.1:%d --events "
              "tcp://127.0.0.1:%d 2>&1",
              s_build, file, d.dir, s_free_port (), s_free_port ());
    char out[4096];
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "/etc/nowhere/server does not exist");
    //  With them, as systemd's LoadCredential= hands them over
    snprintf (d.cert, sizeof (d.cert), "%s/admin", d.dir);
    snprintf (d.server_key, sizeof (d.server_key), "%s/credentials/server", d.dir);
    char credentials[300];
    snprintf (credentials, sizeof (credentials), "%s/credentials", d.dir);
    setenv ("CREDENTIALS_DIRECTORY", credentials, 1);
    bool started = s_daemon_start (&d, NULL);
    unsetenv ("CREDENTIALS_DIRECTORY");
    CHECK (started);
    //  keygen said what it wrote, with the secret's mode and owner
    snprintf (file, sizeof (file), "%s/keygen.out", d.dir);
    f = fopen (file, "r");
    CHECK (f);
    size_t got = fread (out, 1, sizeof (out) - 1, f);
    out[got] = 0;
    fclose (f);
    EXPECT_CONTAINS (out, "(keep it secret: mode 0600, owner ");
    //  --group: the daemon's group reads the secret (here: this user's own)
    struct group *own = getgrgid (getegid ());
    CHECK (own);
    snprintf (command, sizeof (command), "%s/bin/gridcase keygen %s/grouped --group %s", s_build,
              d.dir, own->gr_name);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
    char says[200];
    snprintf (says, sizeof (says), "mode 0640, owner %s, group %s)",
              getpwuid (geteuid ()) ? getpwuid (geteuid ())->pw_name : "?", own->gr_name);
    EXPECT_CONTAINS (out, says);
    struct stat info;
    snprintf (file, sizeof (file), "%s/grouped_secret", d.dir);
    CHECK_OP (stat (file, &info), ==, 0);
    CHECK_OP (info.st_mode & 0777, ==, 0640);
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
    RUN (test_cli_report_then_show);
    RUN (test_repeated_request_id_gives_one_case);
    RUN (test_bad_input_gets_errors_and_daemon_keeps_serving);
    RUN (test_kill9_after_1000_acknowledged_reports);
    RUN (test_refuses_non_loopback_without_curve);
    RUN (test_story_end_to_end);
    RUN (test_restart_fires_deadlines_missed_while_down);
    RUN (test_watch_fetches_what_it_missed);
    RUN (test_log_follow_survives_a_missed_notice);
    RUN (test_verify_journal_finds_altered_and_removed_entries);
    RUN (test_backup_while_serving_restores_every_case);
    RUN (test_curve_knows_clients_by_their_key);
    RUN (test_full_disk_refuses_writes_and_keeps_reads);
    RUN (test_a_subscriber_that_stops_reading_never_stalls);
    RUN (test_kill9_at_random_moments_loses_nothing_acknowledged);
    RUN (test_a_second_daemon_on_the_same_directory_stops);
    RUN (test_idempotency_window_runs_on_the_wall_clock);
    RUN (test_installed_sample_city_starts);
    RUN (test_server_key_from_systemd_credentials);
    return TESTS_DONE ();
}
