/*  A real city's days through the daemon: replays the timeline la311.py
    made from Los Angeles 311 data (EVENTS: time in the data's ms, row,
    action, role, actor, two arguments) against gridcased running with
    --time-scale SCALE, each event when its time comes, the first HOURS of
    the data. One DEALER keeps every request due in flight; a case's events
    go in order, each after the answer to the one before. A worker whose
    case the deadlines took to the district has the district's supervisor
    resolve it instead.

    At the end it reads the whole journal and the figures for the whole
    time, and prints:
        requests=N rps=N p50_us=N p99_us=N errors=N late_ms=N
        escalated_community=N ... supervision=N overdue=N
        figures received=N/N dispatched=N/N resolved=N/N closed=N/N
        escalated=N/N match=yes|no
    (each figure: the daemon's / the journal's count).

    Usage: bench_replay ENDPOINT EVENTS SCALE HOURS */
#include "gridcase.pb-c.h"

#include <czmq.h>

#define ROWS_MAX 20000

typedef struct {
    int64_t t; //  the data's ms since its first request
    int row;
    char action[16];
    Gridcase__Role role;
    char actor[64];
    char arg[2][64];
    uint64_t sequence; //  its request's, once sent
    bool answered;
} event_t;

typedef struct {
    char id[32];   //  the case's id, once the report is answered
    size_t next;   //  the index in EVENTS of the row's next event to send
    bool busy;     //  a request of this row in flight
    bool district; //  deadlines took it to the district: its supervisor acts
} row_t;

static event_t *s_events;
static size_t s_count;
static row_t s_rows[ROWS_MAX];
static size_t *s_by_sequence; //  sequence -> event index
static int64_t *s_sent_at;

static Gridcase__Role
s_role (const char *name)
{
    const char *names[] = {"",           "officer", "committee", "street", "worker",
                           "supervisor", "admin",   "gateway",   "intake"};
    for (int i = 1; i < 9; i++)
        if (streq (name, names[i]))
            return (Gridcase__Role)i;
    return GRIDCASE__ROLE__ROLE_UNSPECIFIED;
}

static bool
s_load (const char *file, int64_t until)
{
    FILE *f = fopen (file, "r");
    if (!f)
        return false;
    size_t capacity = 1 << 16;
    s_events = (event_t *)calloc (capacity, sizeof (event_t));
    char line[512];
    while (fgets (line, sizeof (line), f)) {
        event_t e = {0};
        line[strcspn (line, "\n")] = 0;
        char *field[7] = {"", "", "", "", "", "", ""}, *rest = line;
        int n = 0;
        while (n < 7 && rest)
            field[n++] = strsep (&rest, "\t");
        if (n < 5)
            continue;
        e.t = atoll (field[0]);
        if (e.t > until)
            break;
        e.row = atoi (field[1]);
        snprintf (e.action, sizeof (e.action), "%s", field[2]);
        e.role = s_role (field[3]);
        snprintf (e.actor, sizeof (e.actor), "%s", field[4]);
        snprintf (e.arg[0], sizeof (e.arg[0]), "%s", field[5]);
        snprintf (e.arg[1], sizeof (e.arg[1]), "%s", field[6]);
        if (e.row < 0 || e.row >= ROWS_MAX)
            continue;
        if (s_count == capacity) {
            capacity *= 2;
            s_events = (event_t *)realloc (s_events, capacity * sizeof (event_t));
        }
        s_events[s_count++] = e;
    }
    fclose (f);
    //  Each row starts at its first event
    for (size_t i = 0; i < ROWS_MAX; i++)
        s_rows[i].next = SIZE_MAX;
    for (size_t i = s_count; i-- > 0;)
        s_rows[s_events[i].row].next = i;
    return s_count > 0;
}

//  The row's event after I, or SIZE_MAX
static size_t
s_row_after (size_t i)
{
    for (size_t j = i + 1; j < s_count; j++)
        if (s_events[j].row == s_events[i].row)
            return j;
    return SIZE_MAX;
}

static uint8_t s_client[16];
static uint64_t s_sequence = 1;

static void
s_send (void *socket, size_t i)
{
    event_t *e = &s_events[i];
    row_t *row = &s_rows[e->row];
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = e->role;
    actor.id = e->actor;
    if (row->district && (streq (e->action, "claim") || streq (e->action, "accept") ||
                          streq (e->action, "resolve"))) {
        actor.role = GRIDCASE__ROLE__ROLE_SUPERVISOR;
        actor.id = "sup-la";
    }
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.client_id.data = s_client;
    request.client_id.len = 16;
    request.sequence = s_sequence;
    request.actor = &actor;
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    Gridcase__EscalateRequest escalate = GRIDCASE__ESCALATE_REQUEST__INIT;
    Gridcase__DispatchRequest dispatch = GRIDCASE__DISPATCH_REQUEST__INIT;
    Gridcase__ClaimRequest claim = GRIDCASE__CLAIM_REQUEST__INIT;
    Gridcase__AcceptRequest accept = GRIDCASE__ACCEPT_REQUEST__INIT;
    Gridcase__ResolveRequest resolve = GRIDCASE__RESOLVE_REQUEST__INIT;
    Gridcase__VerifyRequest verify = GRIDCASE__VERIFY_REQUEST__INIT;
    if (streq (e->action, "report")) {
        report.grid = e->arg[0];
        report.category = e->arg[1];
        report.title = "MyLA311 request";
        request.op_case = GRIDCASE__REQUEST__OP_REPORT;
        request.report = &report;
    } else if (streq (e->action, "escalate")) {
        escalate.case_id = row->id;
        escalate.reason = "for the agency";
        request.op_case = GRIDCASE__REQUEST__OP_ESCALATE;
        request.escalate = &escalate;
    } else if (streq (e->action, "dispatch")) {
        dispatch.case_id = row->id;
        request.op_case = GRIDCASE__REQUEST__OP_DISPATCH;
        request.dispatch = &dispatch;
    } else if (streq (e->action, "claim")) {
        claim.case_id = row->id;
        request.op_case = GRIDCASE__REQUEST__OP_CLAIM;
        request.claim = &claim;
    } else if (streq (e->action, "accept")) {
        accept.case_id = row->id;
        request.op_case = GRIDCASE__REQUEST__OP_ACCEPT;
        request.accept = &accept;
    } else if (streq (e->action, "resolve")) {
        resolve.case_id = row->id;
        resolve.note = "closed in MyLA311";
        request.op_case = GRIDCASE__REQUEST__OP_RESOLVE;
        request.resolve = &resolve;
    } else {
        verify.case_id = row->id;
        verify.ok = true;
        request.op_case = GRIDCASE__REQUEST__OP_VERIFY;
        request.verify = &verify;
    }
    uint8_t buffer[2048];
    size_t size = gridcase__request__pack (&request, buffer);
    s_by_sequence[s_sequence] = i;
    s_sent_at[s_sequence] = zclock_usecs ();
    e->sequence = s_sequence++;
    row->busy = true;
    zmq_send (socket, buffer, size, 0);
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

//  One request to the daemon as the admin, answered synchronously
static Gridcase__Reply *
s_call (void *socket, Gridcase__Request *request)
{
    Gridcase__Actor admin = GRIDCASE__ACTOR__INIT;
    admin.role = GRIDCASE__ROLE__ROLE_ADMIN;
    admin.id = "admin";
    request->actor = &admin;
    request->client_id.data = s_client;
    request->client_id.len = 16;
    request->sequence = s_sequence++;
    size_t size = gridcase__request__get_packed_size (request);
    uint8_t *buffer = (uint8_t *)malloc (size);
    gridcase__request__pack (request, buffer);
    zmq_send (socket, buffer, size, 0);
    free (buffer);
    zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
    while (zmq_poll (&item, 1, 30000) == 1) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        zmq_msg_recv (&msg, socket, 0);
        Gridcase__Reply *reply =
            gridcase__reply__unpack (NULL, zmq_msg_size (&msg), zmq_msg_data (&msg));
        zmq_msg_close (&msg);
        if (reply && reply->sequence == request->sequence)
            return reply;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
    }
    return NULL;
}

//  What the journal holds, counted here
typedef struct {
    uint64_t reported, dispatched, resolved, closed, escalated, supervision, overdue, by_hand;
    uint64_t by_level[8]; //  escalations by a missed deadline, by the level they reached
} counts_t;

static int
s_count_journal (void *socket, counts_t *counts)
{
    memset (counts, 0, sizeof (*counts));
    uint64_t since = 0;
    bool more = true;
    while (more) {
        Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
        journal.since = since;
        journal.limit = 1000;
        journal.whole = true;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        request.journal = &journal;
        Gridcase__Reply *reply = s_call (socket, &request);
        if (!reply || reply->result_case != GRIDCASE__REPLY__RESULT_JOURNAL) {
            fprintf (stderr, "bench_replay: the journal could not be read\n");
            if (reply)
                gridcase__reply__free_unpacked (reply, NULL);
            return -1;
        }
        for (size_t i = 0; i < reply->journal->n_entries; i++) {
            const Gridcase__JournalEntry *entry = reply->journal->entries[i];
            switch (entry->type) {
                case GRIDCASE__EVENT_TYPE__EVENT_REPORTED:
                    counts->reported++;
                    break;
                case GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED:
                    counts->dispatched++;
                    break;
                case GRIDCASE__EVENT_TYPE__EVENT_RESOLVED:
                case GRIDCASE__EVENT_TYPE__EVENT_RESOLVED_ON_SITE:
                    counts->resolved++;
                    break;
                case GRIDCASE__EVENT_TYPE__EVENT_CLOSED:
                    counts->closed++;
                    break;
                case GRIDCASE__EVENT_TYPE__EVENT_ESCALATED:
                    //  By a person (the officer handing it up), or by a
                    //  missed deadline (the daemon: no actor)
                    counts->escalated++;
                    if (entry->actor && entry->actor->role)
                        counts->by_hand++;
                    else if (entry->level < 8)
                        counts->by_level[entry->level]++;
                    break;
                case GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION:
                    counts->supervision++;
                    break;
                case GRIDCASE__EVENT_TYPE__EVENT_OVERDUE:
                    counts->overdue++;
                    break;
                default:
                    break;
            }
            since = entry->seq;
        }
        more = reply->journal->n_entries > 0;
        gridcase__reply__free_unpacked (reply, NULL);
    }
    return 0;
}

//  The daemon's figures of the whole city, every day from the replay's
//  first (the city's, America/Los_Angeles) on
typedef struct {
    uint64_t received, dispatched, resolved, closed, escalated;
} figures_t;

static uint32_t s_first_day;

static int
s_figures (void *socket, figures_t *out)
{
    memset (out, 0, sizeof (*out));
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    stats.from_day = s_first_day;
    stats.to_day = 20991231;
    stats.area = "la";
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    Gridcase__Reply *reply = s_call (socket, &request);
    if (!reply || reply->result_case != GRIDCASE__REPLY__RESULT_STATS || !reply->stats->n_figures) {
        fprintf (stderr, "bench_replay: no figures: %s\n",
                 reply && reply->error ? reply->error->message : "no answer");
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
        return -1;
    }
    const Gridcase__Figures *f = reply->stats->figures[0];
    *out = (figures_t){f->received, f->dispatched, f->resolved, f->closed, f->escalated};
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  --check: the journal counted here against the daemon's figures, on a
//  daemon whose clock no longer races (restarted without --time-scale)
static int
s_check (const char *endpoint, uint32_t first_day)
{
    zsys_init ();
    s_first_day = first_day;
    FILE *random = fopen ("/dev/urandom", "rb");
    if (!random || fread (s_client, 1, 16, random) != 16)
        return 1;
    fclose (random);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_connect (dealer, "%s", endpoint);
    void *socket = zsock_resolve (dealer);
    //  Figures read before and after the count of the journal, until both
    //  agree (nothing happened in between)
    counts_t counts = {0};
    figures_t before, after;
    bool steady = false;
    for (int attempt = 0; attempt < 20 && !steady; attempt++) {
        if (s_figures (socket, &before) || s_count_journal (socket, &counts) ||
            s_figures (socket, &after)) {
            zsock_destroy (&dealer);
            return 1;
        }
        steady = memcmp (&before, &after, sizeof (before)) == 0;
    }
    printf ("escalated=%" PRIu64 " by_hand=%" PRIu64 " by_deadline_to_community=%" PRIu64
            " to_street=%" PRIu64 " to_district=%" PRIu64 " supervision=%" PRIu64
            " overdue=%" PRIu64 "\n",
            counts.escalated, counts.by_hand, counts.by_level[GRIDCASE__LEVEL__LEVEL_COMMUNITY],
            counts.by_level[GRIDCASE__LEVEL__LEVEL_STREET],
            counts.by_level[GRIDCASE__LEVEL__LEVEL_DISTRICT], counts.supervision, counts.overdue);
    const figures_t *f = &after;
    bool match = steady && f->received == counts.reported && f->dispatched == counts.dispatched &&
                 f->resolved == counts.resolved && f->closed == counts.closed &&
                 f->escalated == counts.escalated + counts.supervision;
    printf ("figures received=%" PRIu64 "/%" PRIu64 " dispatched=%" PRIu64 "/%" PRIu64
            " resolved=%" PRIu64 "/%" PRIu64 " closed=%" PRIu64 "/%" PRIu64 " escalated=%" PRIu64
            "/%" PRIu64 " match=%s\n",
            f->received, counts.reported, f->dispatched, counts.dispatched, f->resolved,
            counts.resolved, f->closed, counts.closed, f->escalated,
            counts.escalated + counts.supervision,
            match    ? "yes"
            : steady ? "no"
                     : "unsteady");
    zsock_destroy (&dealer);
    return match ? 0 : 1;
}

int
main (int argc, char **argv)
{
    if (argc == 4 && streq (argv[2], "--check"))
        return s_check (argv[1], (uint32_t)atol (argv[3]));
    if (argc != 5) {
        fprintf (stderr, "usage: bench_replay ENDPOINT EVENTS SCALE HOURS\n"
                         "       bench_replay ENDPOINT --check FIRST_DAY\n");
        return 2;
    }
    zsys_init ();
    double scale = atof (argv[3]), hours = atof (argv[4]);
    if (scale < 1 || hours <= 0 || !s_load (argv[2], (int64_t)(hours * 3600000)))
        return 2;
    //  Sequences: every event, the supervisor's retries, the reads at the end
    size_t sequences = 3 * s_count + 100000;
    s_by_sequence = (size_t *)calloc (sequences, sizeof (size_t));
    s_sent_at = (int64_t *)calloc (sequences, sizeof (int64_t));
    FILE *random = fopen ("/dev/urandom", "rb");
    if (!random || fread (s_client, 1, 16, random) != 16)
        return 1;
    fclose (random);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (dealer, 0);
    zsock_set_rcvhwm (dealer, 0);
    zsock_connect (dealer, "%s", argv[1]);
    void *socket = zsock_resolve (dealer);
    zclock_sleep (200);

    size_t answered = 0, errors = 0, taken = 0, first_unsent = 0;
    int64_t *latencies = (int64_t *)malloc (sequences * sizeof (int64_t));
    size_t latency_count = 0;
    int64_t late_max = 0; //  the most an event went out after its time, in the data's ms
    int64_t start = zclock_usecs ();
    size_t in_flight = 0;
    while (answered < s_count) {
        int64_t now = (int64_t)((double)(zclock_usecs () - start) * scale / 1000.0);
        //  Every due event whose row is free and whose turn it is
        for (size_t i = first_unsent; i < s_count && s_events[i].t <= now; i++) {
            event_t *e = &s_events[i];
            row_t *row = &s_rows[e->row];
            if (e->sequence || row->busy || row->next != i)
                continue;
            if (now - e->t > late_max)
                late_max = now - e->t;
            s_send (socket, i);
            in_flight++;
        }
        while (first_unsent < s_count && s_events[first_unsent].sequence)
            first_unsent++;
        //  Sleep to the next event's time, or until an answer comes
        int64_t next_t = first_unsent < s_count ? s_events[first_unsent].t : now + 1000;
        long wait_ms = (long)((double)(next_t - now) / scale);
        zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
        zmq_poll (&item, 1,
                  in_flight ? (wait_ms < 1    ? 0
                               : wait_ms > 50 ? 50
                                              : wait_ms)
                            : (wait_ms < 1     ? 1
                               : wait_ms > 200 ? 200
                                               : wait_ms));
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        while (zmq_msg_recv (&msg, socket, ZMQ_DONTWAIT) >= 0) {
            Gridcase__Reply *reply =
                gridcase__reply__unpack (NULL, zmq_msg_size (&msg), zmq_msg_data (&msg));
            if (!reply || !reply->sequence || reply->sequence >= s_sequence) {
                if (reply)
                    gridcase__reply__free_unpacked (reply, NULL);
                continue;
            }
            size_t i = s_by_sequence[reply->sequence];
            event_t *e = &s_events[i];
            row_t *row = &s_rows[e->row];
            latencies[latency_count++] = zclock_usecs () - s_sent_at[reply->sequence];
            in_flight--;
            bool retry = false;
            if (reply->result_case == GRIDCASE__REPLY__RESULT_ERROR) {
                //  The deadlines took the case from the agency to the
                //  district: its supervisor takes it from here
                if (!row->district && (streq (e->action, "claim") || streq (e->action, "accept") ||
                                       streq (e->action, "resolve"))) {
                    row->district = true;
                    taken++;
                    retry = streq (e->action, "resolve") || streq (e->action, "claim");
                } else if (!streq (e->action, "accept")) {
                    errors++;
                    if (errors <= 5)
                        fprintf (stderr, "bench_replay: %s of row %d (%s) refused: %s\n", e->action,
                                 e->row, row->id, reply->error->message);
                }
            } else if (streq (e->action, "report") && reply->case_ && reply->case_->case_) {
                snprintf (row->id, sizeof (row->id), "%s", reply->case_->case_->id);
                if (!s_first_day) //  the case id starts with its city date
                    s_first_day = (uint32_t)atol (row->id);
            }
            row->busy = false;
            if (retry)
                e->sequence = 0; //  sent again, by the supervisor
            else {
                e->answered = true;
                answered++;
                row->next = s_row_after (i);
                if (streq (e->action, "report") && !*row->id) {
                    //  No case: the row's other events cannot be sent
                    for (size_t j = row->next; j != SIZE_MAX; j = s_row_after (j)) {
                        s_events[j].sequence = UINT64_MAX;
                        answered++;
                    }
                    row->next = SIZE_MAX;
                }
            }
            if (retry && i < first_unsent)
                first_unsent = i;
            gridcase__reply__free_unpacked (reply, NULL);
        }
        zmq_msg_close (&msg);
    }
    double elapsed = (double)(zclock_usecs () - start) / 1e6;
    qsort (latencies, latency_count, sizeof (int64_t), s_compare);
#define AT(p) (latency_count ? latencies[(size_t)((double)(latency_count - 1) * (p))] : 0)
    printf ("requests=%zu rps=%.0f p50_us=%" PRId64 " p99_us=%" PRId64
            " errors=%zu taken_by_district=%zu late_ms=%.1f\n",
            latency_count, (double)latency_count / elapsed, AT (0.5), AT (0.99), errors, taken,
            (double)late_max / scale);

    printf ("first_day=%u\n", s_first_day);
    zsock_destroy (&dealer);
    free (latencies);
    free (s_events);
    free (s_by_sequence);
    free (s_sent_at);
    return 0;
}
