/*  The CLI talking to the daemon: one connection per process, the city's
    time zone from each reply, journal pages, following a topic. See cli.h. */
#include "cli.h"

#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

//  --------------------------------------------------------------------------
//  Talking to the daemon

//  Times are shown in the city's time zone, which every reply names: a zone
//  name of the tz database, never a path. The last one named is kept in the
//  state directory, so that times read offline (the outbox) are the
//  city's too.
static bool
s_zone_valid (const char *zone)
{
    return zone && *zone && strlen (zone) < 64 && !strstr (zone, "..") && zone[0] != '/' &&
           zone[0] != ':' &&
           strspn (zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") ==
               strlen (zone);
}

//  The zone kept in the state directory into ZONE (64 bytes); "" if none
static void
s_zone_kept (char *zone)
{
    char path[1100];
    snprintf (path, sizeof (path), "%s/timezone", cli_state_dir ());
    zone[0] = 0;
    FILE *file = fopen (path, "r");
    if (file) {
        if (!fgets (zone, 64, file))
            zone[0] = 0;
        zone[strcspn (zone, "\n")] = 0;
        fclose (file);
    }
}

static void
s_zone_apply (context_t *ctx, const char *zone)
{
    static char current[64];
    if (ctx->local_time || !s_zone_valid (zone) || streq (zone, current))
        return;
    snprintf (current, sizeof (current), "%s", zone);
    setenv ("TZ", current, 1);
    tzset ();
}

void
cli_city_zone (context_t *ctx, const char *zone)
{
    if (!s_zone_valid (zone))
        return;
    s_zone_apply (ctx, zone);
    char kept[64];
    s_zone_kept (kept);
    if (streq (kept, zone))
        return;
    //  Written whole, then put in place: a reader never sees half of it
    char path[1100], fresh[1200];
    snprintf (path, sizeof (path), "%s/timezone", cli_state_dir ());
    snprintf (fresh, sizeof (fresh), "%s.%d", path, (int)getpid ());
    FILE *file = fopen (fresh, "w");
    if (file) {
        fprintf (file, "%s\n", zone);
        if (fclose (file) == 0)
            rename (fresh, path);
        else
            remove (fresh);
    }
}

//  One connection for the whole process: a command that pages through a
//  list or the journal reuses it. Closed at exit, and the outbox with it.
static gridcase_t *s_client;
static gridcase_outbox_t *s_outbox;

static void
s_client_close (void)
{
    gridcase_destroy (&s_client);
    gridcase_outbox_close (&s_outbox);
}

const char *
cli_state_dir (void)
{
    static char dir[1024];
    const char *state_dir = getenv ("GRIDCASE_STATE_DIR");
    if (state_dir && *state_dir)
        snprintf (dir, sizeof (dir), "%s", state_dir);
    else if (getenv ("XDG_STATE_HOME"))
        snprintf (dir, sizeof (dir), "%s/gridcase", getenv ("XDG_STATE_HOME"));
    else
        snprintf (dir, sizeof (dir), "%s/.local/state/gridcase",
                  getenv ("HOME") ? getenv ("HOME") : ".");
    return dir;
}

gridcase_t *
cli_client (context_t *ctx, int *rc)
{
    //  Each request takes the next sequence of the client id this user's
    //  processes share, so concurrent ones never use the same request id
    const char *dir = cli_state_dir ();
    uint8_t client_id[16];
    uint64_t sequence;
    *rc = 0;
    if (gridcase_identity_reserve (dir, client_id, &sequence, 1)) {
        fprintf (stderr, "gridcase: cannot keep the client id in %s/client: %s\n", dir,
                 strerror (errno));
        *rc = EXIT_USAGE;
        return NULL;
    }
    if (!s_client) {
        s_client = gridcase_new (ctx->endpoint, client_id, sequence);
        if (!s_client) {
            fprintf (stderr, "gridcase: cannot connect to %s\n", ctx->endpoint);
            *rc = EXIT_UNREACHABLE;
            return NULL;
        }
        atexit (s_client_close);
        if (ctx->cert && gridcase_set_curve (s_client, ctx->cert, ctx->server_key)) {
            fprintf (stderr,
                     "gridcase: cannot use certificate %s with server key '%s' (see gridcase "
                     "keygen)\n",
                     ctx->cert, ctx->server_key);
            *rc = EXIT_USAGE;
            return NULL;
        }
        if (ctx->actor)
            gridcase_set_actor (s_client, ctx->role, ctx->actor);
        gridcase_set_timeout (s_client, ctx->timeout);
        char zone[64];
        s_zone_kept (zone);
        s_zone_apply (ctx, zone);
        if (ctx->outbox) {
            s_outbox = gridcase_outbox_open (ctx->outbox);
            if (!s_outbox) {
                fprintf (stderr, "gridcase: cannot open the outbox in %s: %s\n", ctx->outbox,
                         strerror (errno));
                *rc = EXIT_USAGE;
                return NULL;
            }
            gridcase_set_outbox (s_client, s_outbox);
        }
    }
    gridcase_set_sequence (s_client, sequence);
    return s_client;
}

gridcase_outbox_t *
cli_outbox (context_t *ctx, int *rc)
{
    gridcase_t *client = cli_client (ctx, rc);
    if (client && !s_outbox) {
        fprintf (stderr, "gridcase: no outbox: give --outbox DIR or set GRIDCASE_OUTBOX=1\n");
        *rc = EXIT_USAGE;
    }
    return client ? s_outbox : NULL;
}

//  A case named "@N" is the case this client's request N made (a report
//  queued in the outbox, its case id not known yet): case_of
static bool
s_case_reference (Gridcase__Request *request)
{
    char **named = gridcase_case_id_of (request);
    if (!named || **named != '@')
        return true;
    char *end;
    unsigned long long sequence = strtoull (*named + 1, &end, 10);
    if (*end || !sequence)
        return false;
    request->case_of = sequence;
    *named = "";
    return true;
}

int
cli_server_info (context_t *ctx, Gridcase__Reply **reply_p)
{
    int rc;
    gridcase_t *client = cli_client (ctx, &rc);
    if (!client)
        return rc;
    Gridcase__Reply *reply = NULL;
    char why[512];
    rc = gridcase_server_info (client, GRIDCASE_PROTOCOL, &reply, why, sizeof (why));
    if (reply)
        cli_city_zone (ctx, reply->timezone);
    if (rc != GRIDCASE_OK) {
        if (rc == GRIDCASE_EUNREACHABLE)
            fprintf (stderr, "gridcase: no answer from gridcased at %s within %d ms\n",
                     ctx->endpoint, ctx->timeout);
        else
            fprintf (stderr, "gridcase: %s\n", why);
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
        return rc == GRIDCASE_EOLD     ? EXIT_OLD
               : rc == GRIDCASE_EREPLY ? EXIT_REPLY
                                       : EXIT_UNREACHABLE;
    }
    if (reply_p)
        *reply_p = reply;
    else
        gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

int
cli_call (context_t *ctx, Gridcase__Request *request, Gridcase__Reply **reply_p)
{
    *reply_p = NULL;
    if (!s_case_reference (request))
        return cli_usage ("a case is an id (20261123-000012) or @N, the request N of this "
                          "outbox that made it");
    if (!gridcase_reads (request))
        request->based_on = ctx->based_on;
    int rc;
    gridcase_t *client = cli_client (ctx, &rc);
    if (!client)
        return rc;
    rc = gridcase_call (client, request, reply_p);
    if (*reply_p)
        cli_city_zone (ctx, (*reply_p)->timezone);
    if (rc == GRIDCASE_EQUEUED) {
        //  Its reference: later requests name the case it makes by it
        printf ("queued @%" PRIu64 "\n", request->sequence);
        fprintf (stderr,
                 "gridcase: no answer from gridcased at %s: %s waits in the outbox %s; gridcase "
                 "sync sends it\n",
                 ctx->endpoint, gridcase_op_name (request), ctx->outbox);
        return EXIT_QUEUED;
    }
    if (rc == GRIDCASE_EUNREACHABLE) {
        fprintf (stderr, "gridcase: no answer from gridcased at %s within %d ms\n", ctx->endpoint,
                 ctx->timeout);
        return EXIT_UNREACHABLE;
    }
    if (rc == GRIDCASE_ELOCAL) {
        fprintf (stderr, "gridcase: cannot send to %s\n", ctx->endpoint);
        return EXIT_UNREACHABLE;
    }
    if (rc == GRIDCASE_EREPLY) {
        fprintf (stderr, "gridcase: %s: %s\n", gridcase_error_name ((*reply_p)->error->code),
                 (*reply_p)->error->message);
        gridcase__reply__free_unpacked (*reply_p, NULL);
        *reply_p = NULL;
        return EXIT_REPLY;
    }
    return 0;
}

bool
cli_number (const char *text, double *value)
{
    char *end;
    *value = strtod (text, &end);
    return *text && !*end;
}

//  Prints journal entries matching QUERY from query->since on, page by page,
//  up to LIMIT entries and (when UNTIL > 0) only those before seq UNTIL.
//  Returns 0 or an exit code; *LAST is the last seq printed or examined.
int
cli_journal_pages (context_t *ctx, Gridcase__JournalRequest *query, uint64_t limit, uint64_t until,
                   cli_format_t format, uint64_t *last, char *topic, size_t topic_size)
{
    while (limit > 0) {
        query->limit = limit < 1000 ? (uint32_t)limit : 1000;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        request.journal = query;
        Gridcase__Reply *reply;
        int rc = cli_call (ctx, &request, &reply);
        if (rc)
            return rc;
        Gridcase__JournalReply *page = reply->journal;
        bool done = false;
        for (size_t i = 0; i < page->n_entries && !done; i++) {
            if (until && page->entries[i]->seq >= until)
                done = true;
            else {
                cli_print_entry (page->entries[i], format);
                query->since = page->entries[i]->seq;
            }
        }
        if (topic) {
            snprintf (topic, topic_size, "%s", page->follow_topic);
            topic = NULL;
        }
        size_t got = page->n_entries;
        //  A filtered read may stop early: carry on from where it looked
        bool more = got == query->limit ||
                    (page->scanned_to > query->since && page->scanned_to < page->last_seq);
        if (page->scanned_to > query->since && got < query->limit)
            query->since = page->scanned_to;
        gridcase__reply__free_unpacked (reply, NULL);
        if (done || !more || (until && query->since + 1 >= until))
            break;
        limit -= got < limit ? got : limit;
        if (limit == 0)
            //  The page the user asked for is full and more follow
            fprintf (stderr,
                     "gridcase: more entries follow; for the next page run the same command "
                     "with --since %" PRIu64 "\n",
                     query->since);
    }
    if (last)
        *last = query->since;
    fflush (stdout);
    return 0;
}

const char *
cli_events_endpoint (const char *given)
{
    const char *events = given ? given : getenv ("GRIDCASE_EVENTS");
    return events && *events ? events : "tcp://127.0.0.1:7571";
}

int
cli_follow (context_t *ctx, const char *events, const char *topic, Gridcase__JournalRequest *query,
            bool backlog, cli_format_t format)
{
    setvbuf (stdout, NULL, _IOLBF, 0);
    //  The daemon knows its topics: an unknown one is an error, not silence
    //  (a journal read from past the end: it reads nothing)
    Gridcase__JournalRequest probe = GRIDCASE__JOURNAL_REQUEST__INIT;
    probe.topic = (char *)topic;
    probe.since = INT64_MAX;
    probe.limit = 1;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
    request.journal = &probe;
    Gridcase__Reply *reply = NULL;
    int checked = cli_call (ctx, &request, &reply);
    if (checked)
        return checked;
    gridcase__reply__free_unpacked (reply, NULL);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zcert_t *cert = ctx->cert ? zcert_load (ctx->cert) : NULL;
    if (sub && cert) {
        zcert_apply (cert, sub);
        zsock_set_curve_serverkey (sub, ctx->server_key);
    }
    zcert_destroy (&cert);
    if (!sub || zsock_connect (sub, "%s", events) < 0) {
        fprintf (stderr, "gridcase: cannot connect to the events socket %s\n", events);
        zsock_destroy (&sub);
        return EXIT_UNREACHABLE;
    }
    zsock_set_subscribe (sub, topic);
    query->topic = (char *)topic;
    uint64_t last = query->since;
    bool anchored = backlog; //  without a backlog, the first notice is where we start
    int rc = 0;
    //  Subscribe first, then read the backlog, so nothing falls between
    if (backlog) {
        zclock_sleep (200);
        rc = cli_journal_pages (ctx, query, UINT64_MAX, 0, format, &last, NULL, 0);
    }
    //  Fault injection for tests: act as if the first N notices were lost
    const char *drop = getenv ("GRIDCASE_DROP_NOTICES");
    long dropping = drop ? atol (drop) : 0;
    while (rc == 0 && !zsys_interrupted) {
        zmsg_t *msg = zmsg_recv (sub);
        if (!msg)
            break;
        char *name = zmsg_popstr (msg);
        zframe_t *frame = zmsg_pop (msg);
        //  SUB filters by prefix: dept/gas must not also show dept/gas-2
        if (name && frame && streq (name, topic) && dropping > 0)
            dropping--;
        else if (name && frame && streq (name, topic)) {
            Gridcase__Notice *notice =
                gridcase__notice__unpack (NULL, zframe_size (frame), zframe_data (frame));
            if (notice && notice->entry && notice->seq > last) {
                if (anchored && notice->prev_seq > last) {
                    fprintf (stderr,
                             "gridcase: missed notices on %s after %" PRIu64
                             "; fetching them from the journal\n",
                             topic, last);
                    query->since = last;
                    rc = cli_journal_pages (ctx, query, UINT64_MAX, notice->seq, format, NULL, NULL,
                                            0);
                }
                cli_print_entry (notice->entry, format);
                last = notice->seq;
                anchored = true;
            }
            if (notice)
                gridcase__notice__free_unpacked (notice, NULL);
        }
        zstr_free (&name);
        zframe_destroy (&frame);
        zmsg_destroy (&msg);
    }
    zsock_destroy (&sub);
    return rc;
}
