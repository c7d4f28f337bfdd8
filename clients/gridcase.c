/*  gridcase - the command line client: one command, a subcommand per task.
    Exit codes: 0 ok, 1 error reply, 2 usage, 3 daemon unreachable. */
#include "cli.h"
#include "gridcase_json.h"

#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *s_usage_text =
    "usage: gridcase [-e ENDPOINT] [--as ROLE:ID] [--timeout MS] COMMAND [ARGS]\n"
    "\n"
    "officer\n"
    "  report --grid G --category C --title T [--severity red|yellow|green]\n"
    "         [--description D] [--address A] [--lat X --lon Y] [--link-to ID]\n"
    "                           report a case; prints its id\n"
    "  note ID --text T         add a note to a case's journal\n"
    "  resolve ID [--note N]    settle it on the spot (officer) or resolve it (holder)\n"
    "  escalate ID [--reason R] hand it one step up the ladder\n"
    "  verify ID --ok|--failed [--note N]\n"
    "                           verify a resolution on site; failed: rework\n"
    "  evaluate ID --rating 1-5 [--comment C]\n"
    "                           the resident's rating; 1-2 reopens the case\n"
    "  link ID --to OTHER       close ID as a duplicate of the open case OTHER\n"
    "committee, street, department workers\n"
    "  queue Q [--limit N] [--after ID] [--json]\n"
    "                           what waits in queue Q (committee/haihong, dept/gas, ...)\n"
    "  claim --queue Q | claim ID\n"
    "                           take the head of Q (or case ID); prints the case id\n"
    "  accept ID | renew ID | release ID [--reason R]\n"
    "                           start work on a claim, extend its lease, give it back\n"
    "  dispatch ID [--lead D] [--helpers D1,D2] [--note N]\n"
    "                           send it to a lead department (default: the category's)\n"
    "  bounce ID --reason R     a department returns a case that is not its own\n"
    "  extend ID --for DURATION|--until TIME --reason R [--park]\n"
    "                           ask a supervisor to stop the clock (extension or parking)\n"
    "supervisors\n"
    "  approve ID [--reason R] | reject ID [--reason R]\n"
    "                           rule on an extension or parking\n"
    "  arbitrate ID --department D [--reason R]\n"
    "                           decide which department owns a bounced case\n"
    "  regrade ID --severity S [--reason R]\n"
    "                           change the severity; deadlines follow at once\n"
    "everyone\n"
    "  show ID [--history] [--json]\n"
    "                           one case, optionally with its journal\n"
    "  list [--state S] [--level L] [--area A] [--severity S] [--overdue] [--period P]\n"
    "       [--limit N] [--after ID] [--json|--csv]\n"
    "                           cases, filtered\n"
    "  journal [--since N] [--case ID] [--topic T] [--escalations] [--limit N] [--json]\n"
    "                           journal entries after sequence N\n"
    "  watch TOPIC [--since N] [--json] [--events ENDPOINT]\n"
    "                           follow a topic (dept/gas, committee/haihong, officer/ID,\n"
    "                           supervision/siming, log); fetches what it missed\n"
    "supervisors' view\n"
    "  log [--follow] [--since N] [--area A] [--department D] [--period P] [--limit N]\n"
    "      [--json|--csv]       the escalation log; --follow goes on live\n"
    "  stats [--period P] [--by department|street|community|grid] [--area A] [--json|--csv]\n"
    "                           the figures; without options the daemon's counters\n"
    "  weekly --community C [--week 2026-W47] [--csv]\n"
    "                           the weekly report\n"
    "  verify-journal           check the journal's hash chain as the daemon serves it\n"
    "                           (a store on disk: gridcased --check DIR)\n"
    "operator\n"
    "  backup DIR               a compacting copy of the store, taken while serving\n"
    "  keygen NAME              a CURVE key pair: NAME (public) and NAME_secret\n"
    "\n"
    "  -e, --endpoint ENDPOINT  the daemon's command socket (default $GRIDCASE_ENDPOINT,\n"
    "                           else tcp://127.0.0.1:7570)\n"
    "      --as ROLE:ID         the actor in local mode, e.g. officer:o-haihong-01\n"
    "                           (default $GRIDCASE_AS)\n"
    "      --timeout MS         give up after MS milliseconds (default 10000)\n"
    "      --cert FILE          CURVE: this client's certificate (gridcase keygen; default\n"
    "                           $GRIDCASE_CERT); the daemon knows you by its key\n"
    "      --server-key KEY     CURVE: the server's public key, or its certificate file\n"
    "                           (default $GRIDCASE_SERVER_KEY)\n"
    "      --local              show times in this machine's time zone, not the city's\n"
    "\n"
    "Dates and times are the city's, in its time zone, whatever this machine's is.\n"
    "DURATION is like 90s, 15m, 4h, 3d or 1h30m; TIME is like 2026-11-25T18:00;\n"
    "PERIOD is 2026-11-01..2026-11-30, 2026-11-22, 2026-11, 2026-W47, today, yesterday,\n"
    "this-week, last-week, this-month or last-month (stats: default this-month).\n"
    "Pages: --limit N cases or entries; stderr says how to get the next page\n"
    "(--after ID for list and queue, --since N for journal and log).\n"
    "exit status: 0 ok, 1 the daemon refused (code and message on stderr), 2 usage,\n"
    "3 daemon unreachable\n";

int
cli_usage (const char *why)
{
    //  One line of what is wrong, and where to read more
    if (why)
        fprintf (stderr, "gridcase: %s (gridcase --help lists the commands)\n", why);
    else
        fprintf (stderr, "gridcase: gridcase --help lists the commands\n");
    return EXIT_USAGE;
}

//  The usage text's lines for COMMAND (its line, and the lines under it up
//  to the next command or heading); false if the text has none
static bool
s_command_help (const char *command)
{
    size_t length = strlen (command);
    bool printing = false, found = false;
    for (const char *line = s_usage_text; *line;) {
        const char *end = strchr (line, '\n');
        size_t size = end ? (size_t)(end - line) : strlen (line);
        bool names = size > length + 2 && strncmp (line, "  ", 2) == 0 &&
                     strncmp (line + 2, command, length) == 0 &&
                     (line[2 + length] == ' ' || line[2 + length] == '\n');
        bool heading = size > 0 && line[0] != ' ';
        bool another = size > 2 && strncmp (line, "  ", 2) == 0 && line[2] != ' ';
        if (names) {
            printing = found = true;
            printf ("usage: gridcase [OPTIONS] %.*s\n", (int)(size - 2), line + 2);
        } else if (printing && (heading || another))
            printing = false;
        else if (printing)
            printf ("%.*s\n", (int)size, line);
        line = end ? end + 1 : line + size;
    }
    return found;
}

//  --------------------------------------------------------------------------
//  Output helpers

//  Local time (TZ) for people
const char *
cli_time_local (int64_t ms, char *buffer, size_t size)
{
    if (ms <= 0)
        return "-";
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%d %H:%M:%S %z", &tm);
    return buffer;
}

void
cli_actor_text (const Gridcase__Actor *actor, char *buffer, size_t size)
{
    if (!actor || !*actor->id)
        snprintf (buffer, size, "%s", actor && actor->role ? gridcase_role_name (actor->role) : "");
    else if (actor->role)
        snprintf (buffer, size, "%s:%s", gridcase_role_name (actor->role), actor->id);
    else
        snprintf (buffer, size, "%s", actor->id);
}

void
cli_print_json (const ProtobufCMessage *message)
{
    char *text = gridcase_json_text (message);
    puts (text ? text : "{}");
    free (text);
}

void
cli_print_json_value (json_t *value)
{
    char *text = json_dumps (value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
    puts (text ? text : "null");
    free (text);
    json_decref (value);
}

void
cli_print_case_json (const Gridcase__Case *c)
{
    cli_print_json (&c->base);
}

void
cli_print_case_text (const Gridcase__Case *c)
{
    char t[64], reporter[100];
    cli_actor_text (c->reporter, reporter, sizeof (reporter));
    printf ("case       %s\n", c->id);
    printf ("title      %s\n", c->title);
    printf ("state      %s at level %s, held by %s\n", gridcase_state_name (c->state),
            gridcase_level_name (c->level), c->holder);
    printf ("category   %s (%s)\n", c->category, gridcase_severity_name (c->severity));
    printf ("place      grid %s, community %s, street %s, district %s\n", c->grid, c->community,
            c->street, c->district);
    if (*c->address)
        printf ("address    %s\n", c->address);
    if (*c->description)
        printf ("details    %s\n", c->description);
    if (*c->lead_department)
        printf ("department %s\n", c->lead_department);
    printf ("reported   %s%s%s\n", cli_time_local (c->created_at, t, sizeof (t)),
            *reporter ? " by " : "", reporter);
    if (c->response_due)
        printf ("respond by %s\n", cli_time_local (c->response_due, t, sizeof (t)));
    if (c->resolution_due)
        printf ("resolve by %s\n", cli_time_local (c->resolution_due, t, sizeof (t)));
    if (c->lease_until)
        printf ("lease      until %s\n", cli_time_local (c->lease_until, t, sizeof (t)));
    if (c->verification_due)
        printf ("verify by  %s\n", cli_time_local (c->verification_due, t, sizeof (t)));
    if (c->evaluation_due)
        printf ("evaluate by %s\n", cli_time_local (c->evaluation_due, t, sizeof (t)));
    if (*c->pending_request)
        printf ("%-10s %s until %s: %s\n", c->paused ? "paused" : "asks", c->pending_request,
                cli_time_local (c->pending_until, t, sizeof (t)), c->pending_reason);
    if (*c->resolved_by)
        printf ("resolved   by %s at %s\n", c->resolved_by,
                cli_time_local (c->resolved_at, t, sizeof (t)));
    if (c->rating)
        printf ("rating     %u %s\n", c->rating, c->rating_comment);
    if (*c->duplicate_of)
        printf ("duplicate  of %s\n", c->duplicate_of);
    printf ("counts     escalated %u, delivered %u, bounced %u, rework %u, reopened %u, "
            "linked reports %u\n",
            c->escalation_count, c->delivery_count, c->bounce_count, c->rework_count,
            c->reopen_count, c->linked_reports);
}

//  One line per case for lists and queues
void
cli_print_case_line (const Gridcase__Case *c)
{
    char t[64];
    int64_t due = c->response_due ? c->response_due : c->resolution_due;
    printf ("%-16s %-6s %-11s %-22s due %-25s %s\n", c->id, gridcase_severity_name (c->severity),
            gridcase_state_name (c->state), c->holder, cli_time_local (due, t, sizeof (t)),
            c->title);
}

void
cli_csv_field (const char *text, bool last)
{
    text = text ? text : "";
    if (strpbrk (text, ",\"\n\r")) {
        putchar ('"');
        for (const char *p = text; *p; p++) {
            if (*p == '"')
                putchar ('"');
            putchar (*p);
        }
        putchar ('"');
    } else
        fputs (text, stdout);
    putchar (last ? '\n' : ',');
}

void
cli_entry_header (cli_format_t format)
{
    if (format == CLI_CSV)
        puts ("seq,time,type,case,grid,community,street,district,departments,actor,from,to,"
              "reason");
}

void
cli_print_entry (const Gridcase__JournalEntry *e, cli_format_t format)
{
    char t[64], actor[100];
    cli_actor_text (e->actor, actor, sizeof (actor));
    if (format == CLI_JSON)
        cli_print_json (&e->base);
    else if (format == CLI_CSV) {
        char seq[24], departments[200] = "";
        snprintf (seq, sizeof (seq), "%" PRIu64, e->seq);
        for (size_t i = 0, at = 0; i < e->n_departments && at < sizeof (departments); i++)
            at += (size_t)snprintf (departments + at, sizeof (departments) - at, "%s%s",
                                    i ? " " : "", e->departments[i]);
        const char *fields[] = {seq,
                                cli_time_local (e->time, t, sizeof (t)),
                                gridcase_event_name (e->type),
                                e->case_id,
                                e->grid,
                                e->community,
                                e->street,
                                e->district,
                                departments,
                                actor,
                                e->from,
                                e->to,
                                e->reason};
        size_t n = sizeof (fields) / sizeof (fields[0]);
        for (size_t i = 0; i < n; i++)
            cli_csv_field (fields[i], i + 1 == n);
    } else
        printf ("%8" PRIu64 "  %s  %-16s %-15s %-20s %s -> %s  %s\n", e->seq,
                cli_time_local (e->time, t, sizeof (t)), gridcase_event_name (e->type), e->case_id,
                *actor ? actor : "-", *e->from ? e->from : "-", e->to, e->reason);
}

//  --------------------------------------------------------------------------
//  Talking to the daemon

//  Times are shown in the city's time zone, which every reply names: a zone
//  name of the tz database, never a path
static void
s_city_zone (const char *zone)
{
    static char current[64];
    if (!zone || !*zone || streq (zone, current) || strlen (zone) >= sizeof (current) ||
        strstr (zone, "..") || zone[0] == '/' || zone[0] == ':' ||
        strspn (zone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") !=
            strlen (zone))
        return;
    snprintf (current, sizeof (current), "%s", zone);
    setenv ("TZ", current, 1);
    tzset ();
}

//  One connection for the whole process: a command that pages through a
//  list or the journal reuses it. Closed at exit.
static gridcase_t *s_client;

static void
s_client_close (void)
{
    gridcase_destroy (&s_client);
}

int
cli_call (context_t *ctx, Gridcase__Request *request, Gridcase__Reply **reply_p)
{
    const char *state_dir = getenv ("GRIDCASE_STATE_DIR");
    char dir[1024];
    if (state_dir)
        snprintf (dir, sizeof (dir), "%s", state_dir);
    else if (getenv ("XDG_STATE_HOME"))
        snprintf (dir, sizeof (dir), "%s/gridcase", getenv ("XDG_STATE_HOME"));
    else
        snprintf (dir, sizeof (dir), "%s/.local/state/gridcase",
                  getenv ("HOME") ? getenv ("HOME") : ".");
    //  Each request takes the next sequence of the client id this user's
    //  processes share, so concurrent ones never use the same request id
    uint8_t client_id[16];
    uint64_t sequence;
    if (gridcase_identity_reserve (dir, client_id, &sequence, 1)) {
        fprintf (stderr, "gridcase: cannot keep the client id in %s/client: %s\n", dir,
                 strerror (errno));
        return EXIT_USAGE;
    }
    if (!s_client) {
        s_client = gridcase_new (ctx->endpoint, client_id, sequence);
        if (!s_client) {
            fprintf (stderr, "gridcase: cannot connect to %s\n", ctx->endpoint);
            return EXIT_UNREACHABLE;
        }
        atexit (s_client_close);
        if (ctx->cert && gridcase_set_curve (s_client, ctx->cert, ctx->server_key)) {
            fprintf (stderr,
                     "gridcase: cannot use certificate %s with server key '%s' (see gridcase "
                     "keygen)\n",
                     ctx->cert, ctx->server_key);
            return EXIT_USAGE;
        }
        if (ctx->actor)
            gridcase_set_actor (s_client, ctx->role, ctx->actor);
        gridcase_set_timeout (s_client, ctx->timeout);
    }
    gridcase_set_sequence (s_client, sequence);
    gridcase_t *client = s_client;
    int rc = gridcase_call (client, request, reply_p);
    if (*reply_p && !ctx->local_time)
        s_city_zone ((*reply_p)->timezone);
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

//  Parses subcommand options: LONGOPTS are "name" (flag) or "name=" (value).
//  Values land in VALUES[i]; flags get "1". Returns 0, or a usage error.
int
cli_parse (int argc, char **argv, const char *const *names, const char **values, int *positional,
           const char **first_positional)
{
    *positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp (arg, "--", 2) != 0) {
            if (*positional == 0)
                *first_positional = arg;
            (*positional)++;
            continue;
        }
        int found = -1;
        for (int n = 0; names[n]; n++) {
            size_t len = strcspn (names[n], "=");
            if (strlen (arg + 2) == len && strncmp (arg + 2, names[n], len) == 0)
                found = n;
        }
        if (found < 0) {
            fprintf (stderr, "gridcase %s: unknown option %s\n", argv[0], arg);
            return EXIT_USAGE;
        }
        if (strchr (names[found], '=')) {
            if (i + 1 >= argc) {
                fprintf (stderr, "gridcase %s: %s needs a value\n", argv[0], arg);
                return EXIT_USAGE;
            }
            values[found] = argv[++i];
        } else
            values[found] = "1";
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

//  Prints what a changing command did: the case as JSON, or one line
int
cli_print_result (Gridcase__Reply *reply, bool json)
{
    const Gridcase__Case *c = reply->case_->case_;
    if (json)
        cli_print_case_json (c);
    else
        printf ("%s %s %s\n", c->id, gridcase_state_name (c->state), c->holder);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  Sends REQUEST and prints the case it returns
static int
s_case_call (context_t *ctx, Gridcase__Request *request, bool json)
{
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, request, &reply);
    return rc ? rc : cli_print_result (reply, json);
}

static int
s_cmd_report (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {
        "grid=", "category=", "severity=", "title=", "description=", "address=", "lat=",
        "lon=",  "link-to=",  "json",      NULL};
    const char *v[10] = {0};
    int positional;
    const char *first = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &first))
        return EXIT_USAGE;
    if (positional)
        return cli_usage ("report takes no positional arguments");
    if (!v[0] || !v[1] || !v[3])
        return cli_usage ("report needs --grid, --category and --title");
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = (char *)v[0];
    report.category = (char *)v[1];
    if (v[2] && !(report.severity = gridcase_severity_parse (v[2])))
        return cli_usage ("--severity is red, yellow or green");
    report.title = (char *)v[3];
    report.description = (char *)(v[4] ? v[4] : "");
    report.address = (char *)(v[5] ? v[5] : "");
    report.link_to = (char *)(v[8] ? v[8] : "");
    Gridcase__Location location = GRIDCASE__LOCATION__INIT;
    if (v[6] || v[7]) {
        if (!v[6] || !v[7] || !cli_number (v[6], &location.lat) ||
            !cli_number (v[7], &location.lon))
            return cli_usage ("--lat and --lon go together, as decimal degrees");
        report.location = &location;
    }
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[9])
        return cli_print_result (reply, true);
    printf ("%s\n", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

static int
s_cmd_show (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"json", "history", NULL};
    const char *v[2] = {0};
    int positional;
    const char *id = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &id))
        return EXIT_USAGE;
    if (positional != 1)
        return cli_usage ("show takes one case id");
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = (char *)id;
    get.with_history = v[1] != NULL;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_GET;
    request.get = &get;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[0])
        cli_print_case_json (reply->case_->case_);
    else
        cli_print_case_text (reply->case_->case_);
    if (v[1] && !v[0])
        printf ("history\n");
    for (size_t i = 0; i < reply->case_->n_history; i++)
        cli_print_entry (reply->case_->history[i], v[0] ? CLI_JSON : CLI_TEXT);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
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

static int
s_cmd_journal (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"since=", "case=", "limit=", "json", "topic=", "escalations", NULL};
    const char *v[6] = {0};
    int positional;
    const char *first = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &first))
        return EXIT_USAGE;
    if (positional)
        return cli_usage ("journal takes no positional arguments");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    double number;
    if (v[0]) {
        if (!cli_number (v[0], &number) || number < 0)
            return cli_usage ("--since wants a journal sequence number");
        query.since = (uint64_t)number;
    }
    query.case_id = (char *)(v[1] ? v[1] : "");
    query.topic = (char *)(v[4] ? v[4] : "");
    query.escalations_only = v[5] != NULL;
    uint64_t limit = UINT64_MAX;
    if (v[2]) {
        if (!cli_number (v[2], &number) || number < 1)
            return cli_usage ("--limit wants a positive number");
        limit = (uint64_t)number;
    }
    return cli_journal_pages (ctx, &query, limit, 0, v[3] ? CLI_JSON : CLI_TEXT, NULL, NULL, 0);
}

//  --------------------------------------------------------------------------
//  Lists and queues

static void
s_print_case_csv (const Gridcase__Case *c)
{
    char created[64], response[64], resolution[64];
    const char *fields[] = {
        c->id,
        gridcase_severity_name (c->severity),
        gridcase_state_name (c->state),
        gridcase_level_name (c->level),
        c->holder,
        c->grid,
        c->community,
        c->street,
        c->category,
        cli_time_local (c->created_at, created, sizeof (created)),
        c->response_due ? cli_time_local (c->response_due, response, sizeof (response)) : "",
        c->resolution_due ? cli_time_local (c->resolution_due, resolution, sizeof (resolution))
                          : "",
        c->title};
    size_t n = sizeof (fields) / sizeof (fields[0]);
    for (size_t i = 0; i < n; i++)
        cli_csv_field (fields[i], i + 1 == n);
}

static int
s_list_call (context_t *ctx, Gridcase__ListRequest *list, uint64_t limit, cli_format_t format)
{
    if (format == CLI_CSV)
        puts ("id,severity,state,level,holder,grid,community,street,category,created,"
              "response_due,resolution_due,title");
    while (limit > 0) {
        list->limit = limit < 500 ? (uint32_t)limit : 500;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_LIST;
        request.list = list;
        Gridcase__Reply *reply;
        int rc = cli_call (ctx, &request, &reply);
        if (rc)
            return rc;
        Gridcase__ListReply *page = reply->list;
        for (size_t i = 0; i < page->n_cases; i++) {
            if (format == CLI_JSON)
                cli_print_case_json (page->cases[i]);
            else if (format == CLI_CSV)
                s_print_case_csv (page->cases[i]);
            else
                cli_print_case_line (page->cases[i]);
        }
        static char after[64];
        snprintf (after, sizeof (after), "%s", page->next_after);
        limit -= page->n_cases < limit ? page->n_cases : limit;
        gridcase__reply__free_unpacked (reply, NULL);
        if (!*after)
            break;
        list->after = after;
        if (limit == 0)
            //  Stdout stays the cases; the way on goes to stderr
            fprintf (stderr,
                     "gridcase: more cases follow; for the next page run the same command with "
                     "--after %s\n",
                     after);
    }
    return 0;
}

static int
s_cmd_queue (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"limit=", "json", "csv", "after=", NULL};
    const char *v[4] = {0};
    int positional;
    const char *queue = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &queue))
        return EXIT_USAGE;
    if (positional != 1)
        return cli_usage ("queue takes one queue name, e.g. committee/haihong or dept/gas");
    double number = 100;
    if (v[0] && (!cli_number (v[0], &number) || number < 1))
        return cli_usage ("--limit wants a positive number");
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.queue = (char *)queue;
    list.after = (char *)(v[3] ? v[3] : "");
    return s_list_call (ctx, &list, (uint64_t)number, v[1] ? CLI_JSON : v[2] ? CLI_CSV : CLI_TEXT);
}

static int
s_cmd_list (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"state=", "level=", "area=",   "severity=", "overdue", "limit=",
                           "json",   "csv",    "period=", "after=",    NULL};
    const char *v[10] = {0};
    int positional;
    const char *first = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &first))
        return EXIT_USAGE;
    if (positional)
        return cli_usage ("list takes no positional arguments");
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    if (v[0] && !(list.state = gridcase_state_parse (v[0])))
        return cli_usage ("--state is at_grid, queued, claimed, in_progress, resolved, verified "
                          "or closed");
    if (v[1] && !(list.level = gridcase_level_parse (v[1])))
        return cli_usage ("--level is grid, community, street, district, department or "
                          "supervision");
    list.area = (char *)(v[2] ? v[2] : "");
    if (v[3] && !(list.severity = gridcase_severity_parse (v[3])))
        return cli_usage ("--severity is red, yellow or green");
    list.overdue = v[4] != NULL;
    double number = 100;
    if (v[5] && (!cli_number (v[5], &number) || number < 1))
        return cli_usage ("--limit wants a positive number");
    //  Reported in the period: the daemon reads it on the city's calendar
    list.period = (char *)(v[8] ? v[8] : "");
    list.after = (char *)(v[9] ? v[9] : ""); //  the next page: where the last one ended
    return s_list_call (ctx, &list, (uint64_t)number, v[6] ? CLI_JSON : v[7] ? CLI_CSV : CLI_TEXT);
}

//  --------------------------------------------------------------------------
//  Changing a case

//  Options shared by every command that names one case
typedef struct {
    const char *id;
    const char *v[8];
    bool json;
} case_args_t;

//  Parses "COMMAND ID [options]" with NAMES (at most 7); --json is implied
static int
s_case_args (int argc, char **argv, const char *const *names, case_args_t *args)
{
    const char *all[9];
    size_t n = 0;
    for (; names[n] && n < 7; n++)
        all[n] = names[n];
    all[n] = "json";
    all[n + 1] = NULL;
    memset (args, 0, sizeof (*args));
    int positional;
    if (cli_parse (argc, argv, all, args->v, &positional, &args->id))
        return EXIT_USAGE;
    args->json = args->v[n] != NULL;
    if (positional != 1) {
        char why[120];
        snprintf (why, sizeof (why), "%s takes one case id", argv[0]);
        return cli_usage (why);
    }
    return 0;
}

static const char *
s_or_empty (const char *text)
{
    return text ? text : "";
}

static int
s_cmd_note (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"text=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    if (!a.v[0])
        return cli_usage ("note needs --text");
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    note.case_id = (char *)a.id;
    note.text = (char *)a.v[0];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_NOTE;
    request.note = &note;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_resolve (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"note=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    Gridcase__ResolveOnSiteRequest on_site = GRIDCASE__RESOLVE_ON_SITE_REQUEST__INIT;
    Gridcase__ResolveRequest resolve = GRIDCASE__RESOLVE_REQUEST__INIT;
    //  The officer settles on the spot; anyone else resolves what they hold
    if (ctx->role == GRIDCASE__ROLE__ROLE_OFFICER) {
        on_site.case_id = (char *)a.id;
        on_site.note = (char *)s_or_empty (a.v[0]);
        request.op_case = GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE;
        request.resolve_on_site = &on_site;
    } else {
        resolve.case_id = (char *)a.id;
        resolve.note = (char *)s_or_empty (a.v[0]);
        request.op_case = GRIDCASE__REQUEST__OP_RESOLVE;
        request.resolve = &resolve;
    }
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_escalate (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"reason=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__EscalateRequest escalate = GRIDCASE__ESCALATE_REQUEST__INIT;
    escalate.case_id = (char *)a.id;
    escalate.reason = (char *)s_or_empty (a.v[0]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_ESCALATE;
    request.escalate = &escalate;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_claim (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"queue=", "json", NULL};
    const char *v[2] = {0};
    int positional;
    const char *id = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &id))
        return EXIT_USAGE;
    if (positional > 1 || (!positional && !v[0]))
        return cli_usage ("claim --queue Q takes the head of the queue; claim ID takes one case");
    Gridcase__ClaimRequest claim = GRIDCASE__CLAIM_REQUEST__INIT;
    claim.queue = (char *)s_or_empty (v[0]);
    claim.case_id = (char *)(positional ? id : "");
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_CLAIM;
    request.claim = &claim;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[1])
        return cli_print_result (reply, true);
    //  The case id alone, for scripts: id=$(gridcase claim --queue dept/gas)
    printf ("%s\n", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  accept, renew and release differ only in their request
static int
s_cmd_lease (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"reason=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    Gridcase__AcceptRequest accept = GRIDCASE__ACCEPT_REQUEST__INIT;
    Gridcase__RenewRequest renew = GRIDCASE__RENEW_REQUEST__INIT;
    Gridcase__ReleaseRequest release = GRIDCASE__RELEASE_REQUEST__INIT;
    if (streq (argv[0], "accept")) {
        accept.case_id = (char *)a.id;
        request.op_case = GRIDCASE__REQUEST__OP_ACCEPT;
        request.accept = &accept;
    } else if (streq (argv[0], "renew")) {
        renew.case_id = (char *)a.id;
        request.op_case = GRIDCASE__REQUEST__OP_RENEW;
        request.renew = &renew;
    } else {
        release.case_id = (char *)a.id;
        release.reason = (char *)s_or_empty (a.v[0]);
        request.op_case = GRIDCASE__REQUEST__OP_RELEASE;
        request.release = &release;
    }
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_dispatch (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"lead=", "helpers=", "note=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__DispatchRequest dispatch = GRIDCASE__DISPATCH_REQUEST__INIT;
    dispatch.case_id = (char *)a.id;
    dispatch.lead = (char *)s_or_empty (a.v[0]);
    dispatch.note = (char *)s_or_empty (a.v[2]);
    char helpers[1024];
    char *helper[32];
    if (a.v[1]) {
        snprintf (helpers, sizeof (helpers), "%s", a.v[1]);
        char *save = NULL;
        for (char *h = strtok_r (helpers, ",", &save); h; h = strtok_r (NULL, ",", &save)) {
            if (dispatch.n_helpers == 32)
                return cli_usage ("at most 32 helper departments");
            helper[dispatch.n_helpers++] = h;
        }
        dispatch.helpers = helper;
    }
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_DISPATCH;
    request.dispatch = &dispatch;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_bounce (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"reason=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    if (!a.v[0])
        return cli_usage ("bounce needs --reason: why the case is not your department's");
    Gridcase__BounceRequest bounce = GRIDCASE__BOUNCE_REQUEST__INIT;
    bounce.case_id = (char *)a.id;
    bounce.reason = (char *)a.v[0];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_BOUNCE;
    request.bounce = &bounce;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_verify (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"ok", "failed", "note=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    if (!a.v[0] == !a.v[1])
        return cli_usage ("verify needs --ok or --failed");
    Gridcase__VerifyRequest verify = GRIDCASE__VERIFY_REQUEST__INIT;
    verify.case_id = (char *)a.id;
    verify.ok = a.v[0] != NULL;
    verify.note = (char *)s_or_empty (a.v[2]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_VERIFY;
    request.verify = &verify;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_evaluate (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"rating=", "comment=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    double rating;
    if (!a.v[0] || !cli_number (a.v[0], &rating) || rating < 1 || rating > 5 ||
        rating != (int)rating)
        return cli_usage ("evaluate needs --rating 1 to 5");
    Gridcase__EvaluateRequest evaluate = GRIDCASE__EVALUATE_REQUEST__INIT;
    evaluate.case_id = (char *)a.id;
    evaluate.rating = (uint32_t)rating;
    evaluate.comment = (char *)s_or_empty (a.v[1]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_EVALUATE;
    request.evaluate = &evaluate;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_regrade (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"severity=", "reason=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__RegradeRequest regrade = GRIDCASE__REGRADE_REQUEST__INIT;
    regrade.case_id = (char *)a.id;
    if (!a.v[0] || !(regrade.severity = gridcase_severity_parse (a.v[0])))
        return cli_usage ("regrade needs --severity red, yellow or green");
    regrade.reason = (char *)s_or_empty (a.v[1]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REGRADE;
    request.regrade = &regrade;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_extend (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"for=", "until=", "reason=", "park", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__ExtendRequest extend = GRIDCASE__EXTEND_REQUEST__INIT;
    extend.case_id = (char *)a.id;
    extend.park = a.v[3] != NULL || streq (argv[0], "park");
    if (!a.v[0] == !a.v[1])
        return cli_usage ("extend needs --for DURATION or --until TIME");
    if (a.v[0] && (extend.duration = gc_parse_duration (a.v[0])) <= 0)
        return cli_usage ("--for wants a duration like 2h or 3d");
    //  A time on the city's clock: the daemon reads it
    extend.until_local = (char *)(a.v[1] ? a.v[1] : "");
    if (!a.v[2])
        return cli_usage ("extend needs --reason");
    extend.reason = (char *)a.v[2];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_EXTEND;
    request.extend = &extend;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_approve (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"reason=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    Gridcase__ApproveRequest approve = GRIDCASE__APPROVE_REQUEST__INIT;
    approve.case_id = (char *)a.id;
    approve.approve = streq (argv[0], "approve");
    approve.reason = (char *)s_or_empty (a.v[0]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_APPROVE;
    request.approve = &approve;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_arbitrate (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"department=", "reason=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    if (!a.v[0])
        return cli_usage ("arbitrate needs --department");
    Gridcase__ArbitrateRequest arbitrate = GRIDCASE__ARBITRATE_REQUEST__INIT;
    arbitrate.case_id = (char *)a.id;
    arbitrate.department = (char *)a.v[0];
    arbitrate.reason = (char *)s_or_empty (a.v[1]);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_ARBITRATE;
    request.arbitrate = &arbitrate;
    return s_case_call (ctx, &request, a.json);
}

static int
s_cmd_link (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"to=", NULL};
    case_args_t a;
    if (s_case_args (argc, argv, names, &a))
        return EXIT_USAGE;
    if (!a.v[0])
        return cli_usage ("link needs --to: the open case this one duplicates");
    Gridcase__LinkRequest link = GRIDCASE__LINK_REQUEST__INIT;
    link.case_id = (char *)a.id;
    link.duplicate_of = (char *)a.v[0];
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_LINK;
    request.link = &link;
    return s_case_call (ctx, &request, a.json);
}

//  --------------------------------------------------------------------------
//  watch: follow a topic; a gap in the notices is filled from the journal

static int
s_cmd_keygen (context_t *ctx, int argc, char **argv)
{
    (void)ctx;
    const char *names[] = {NULL};
    const char *v[1] = {0};
    int positional;
    const char *name = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &name))
        return EXIT_USAGE;
    if (positional != 1)
        return cli_usage ("keygen takes one name: the file to write (NAME and NAME_secret)");
    char secret[1100];
    snprintf (secret, sizeof (secret), "%s_secret", name);
    if (zsys_file_exists (name) || zsys_file_exists (secret)) {
        fprintf (stderr, "gridcase: %s or %s exists already; not overwriting a key\n", name,
                 secret);
        return EXIT_USAGE;
    }
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "name", "%s", name);
    //  The secret file is for its owner's eyes only
    mode_t old = umask (077);
    int rc = zcert_save (cert, name);
    umask (old);
    if (rc) {
        fprintf (stderr, "gridcase: cannot write %s and %s\n", name, secret);
        zcert_destroy (&cert);
        return EXIT_USAGE;
    }
    chmod (name, 0644);
    struct stat info;
    unsigned uid = stat (secret, &info) == 0 ? (unsigned)info.st_uid : (unsigned)geteuid ();
    printf ("wrote %s (the public key, mode 0644) and %s (keep it secret: mode 0600, owner uid "
            "%u)\n"
            "public key: %s\n"
            "for the roster:   key = \"%s\"\n",
            name, secret, uid, zcert_public_txt (cert), zcert_public_txt (cert));
    if (uid == 0)
        printf ("only root can read %s: under systemd the shipped unit hands it to the daemon "
                "with LoadCredential= (see the README); elsewhere make it readable by the "
                "daemon's user\n",
                secret);
    zcert_destroy (&cert);
    return 0;
}

static int
s_cmd_backup (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {NULL};
    const char *v[1] = {0};
    int positional;
    const char *dir = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &dir))
        return EXIT_USAGE;
    if (positional != 1)
        return cli_usage ("backup takes one directory, on the daemon's machine");
    //  The daemon writes it: a relative path is taken from here
    char path[4096];
    if (*dir == '/')
        snprintf (path, sizeof (path), "%s", dir);
    else {
        char cwd[2048];
        if (!getcwd (cwd, sizeof (cwd)))
            return cli_usage ("cannot tell the current directory: give an absolute path");
        snprintf (path, sizeof (path), "%s/%s", cwd, dir);
    }
    Gridcase__BackupRequest backup = GRIDCASE__BACKUP_REQUEST__INIT;
    backup.path = path;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_BACKUP;
    request.backup = &backup;
    Gridcase__Reply *reply;
    int rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    printf ("backed up to %s: %" PRIu64 " bytes\n", reply->backup->path, reply->backup->bytes);
    gridcase__reply__free_unpacked (reply, NULL);
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

static int
s_cmd_watch (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"since=", "json", "events=", NULL};
    const char *v[3] = {0};
    int positional;
    const char *topic = NULL;
    if (cli_parse (argc, argv, names, v, &positional, &topic))
        return EXIT_USAGE;
    if (positional != 1)
        return cli_usage ("watch takes one topic, e.g. dept/gas, committee/haihong or log");
    double number = 0;
    if (v[0] && (!cli_number (v[0], &number) || number < 0))
        return cli_usage ("--since wants a journal sequence number");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    query.since = (uint64_t)number;
    return cli_follow (ctx, cli_events_endpoint (v[2]), topic, &query, v[0] != NULL,
                       v[1] ? CLI_JSON : CLI_TEXT);
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    zsys_set_logstream (stderr);
    context_t ctx = {getenv ("GRIDCASE_ENDPOINT"),
                     GRIDCASE__ROLE__ROLE_UNSPECIFIED,
                     NULL,
                     10000,
                     NULL,
                     NULL,
                     false};
    if (!ctx.endpoint || !*ctx.endpoint)
        ctx.endpoint = "tcp://127.0.0.1:7570";
    const char *as = getenv ("GRIDCASE_AS");
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"as", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'},
        {"cert", required_argument, NULL, 'c'},
        {"server-key", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"local", no_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    //  '+': stop at the subcommand; its options are its own
    while ((opt = getopt_long (argc, argv, "+e:h", options, NULL)) != -1) {
        switch (opt) {
            case 'e':
                ctx.endpoint = optarg;
                break;
            case 'a':
                as = optarg;
                break;
            case 't':
                ctx.timeout = atoi (optarg);
                if (ctx.timeout <= 0)
                    return cli_usage ("--timeout wants milliseconds");
                break;
            case 'c':
                ctx.cert = optarg;
                break;
            case 'k':
                ctx.server_key = optarg;
                break;
            case 'h':
                fputs (s_usage_text, stdout);
                return 0;
            case 'V':
                printf ("gridcase %s\n", GC_VERSION);
                return 0;
            case 'L':
                ctx.local_time = true;
                break;
            default:
                return cli_usage (NULL);
        }
    }
    static char actor[128];
    if (as && *as) {
        const char *colon = strchr (as, ':');
        if (!colon || colon == as || !colon[1] || strlen (colon + 1) >= sizeof (actor))
            return cli_usage ("--as wants ROLE:ID, e.g. officer:o-haihong-01");
        char role[32];
        snprintf (role, sizeof (role), "%.*s", (int)(colon - as), as);
        ctx.role = gridcase_role_parse (role);
        if (!ctx.role)
            return cli_usage ("the role in --as is officer, committee, street, worker, supervisor "
                              "or admin");
        snprintf (actor, sizeof (actor), "%s", colon + 1);
        ctx.actor = actor;
    }
    if (!ctx.cert && getenv ("GRIDCASE_CERT") && *getenv ("GRIDCASE_CERT"))
        ctx.cert = getenv ("GRIDCASE_CERT");
    if (!ctx.server_key)
        ctx.server_key = getenv ("GRIDCASE_SERVER_KEY");
    static char server_key[64];
    if (ctx.server_key && zsys_file_exists (ctx.server_key)) {
        //  A certificate file: its public key
        zcert_t *cert = zcert_load (ctx.server_key);
        snprintf (server_key, sizeof (server_key), "%s", cert ? zcert_public_txt (cert) : "");
        zcert_destroy (&cert);
        ctx.server_key = server_key;
    }
    if (ctx.cert && !ctx.server_key)
        return cli_usage ("--cert needs --server-key (the server's public key or its .cert file)");
    if (optind >= argc)
        return cli_usage ("no command given");
    const char *command = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    //  COMMAND --help: that command's part of the usage
    for (int i = 1; i < sub_argc; i++)
        if (streq (sub_argv[i], "--help") || streq (sub_argv[i], "-h")) {
            if (s_command_help (command))
                return 0;
            break;
        }
    static const struct {
        const char *name;
        int (*run) (context_t *ctx, int argc, char **argv);
    } commands[] = {
        {"report", s_cmd_report},       {"show", s_cmd_show},
        {"journal", s_cmd_journal},     {"stats", cli_cmd_stats},
        {"note", s_cmd_note},           {"resolve", s_cmd_resolve},
        {"escalate", s_cmd_escalate},   {"queue", s_cmd_queue},
        {"list", s_cmd_list},           {"claim", s_cmd_claim},
        {"accept", s_cmd_lease},        {"renew", s_cmd_lease},
        {"release", s_cmd_lease},       {"dispatch", s_cmd_dispatch},
        {"bounce", s_cmd_bounce},       {"verify", s_cmd_verify},
        {"evaluate", s_cmd_evaluate},   {"regrade", s_cmd_regrade},
        {"extend", s_cmd_extend},       {"park", s_cmd_extend},
        {"approve", s_cmd_approve},     {"reject", s_cmd_approve},
        {"arbitrate", s_cmd_arbitrate}, {"link", s_cmd_link},
        {"watch", s_cmd_watch},         {"log", cli_cmd_log},
        {"weekly", cli_cmd_weekly},     {"verify-journal", cli_cmd_verify_journal},
        {"backup", s_cmd_backup},       {"keygen", s_cmd_keygen},
    };
    for (size_t i = 0; i < sizeof (commands) / sizeof (commands[0]); i++)
        if (streq (command, commands[i].name))
            return commands[i].run (&ctx, sub_argc, sub_argv);
    if (streq (command, "help"))
        return fputs (s_usage_text, stdout), 0;
    char why[200];
    snprintf (why, sizeof (why), "unknown command '%s'", command);
    return cli_usage (why);
}
