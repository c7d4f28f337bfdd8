/*  gridcase - the command line client: one command, a subcommand per task.
    Exit codes: 0 ok, 1 error reply, 2 usage, 3 daemon unreachable. */
#include "gridcase.h"

#include <czmq.h>
#include <getopt.h>
#include <time.h>

#define EXIT_REPLY 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

static const char *s_usage_text =
    "usage: gridcase [-e ENDPOINT] [--as ROLE:ID] [--timeout MS] COMMAND [ARGS]\n"
    "\n"
    "  report --grid G --category C --title T [--severity red|yellow|green]\n"
    "         [--description D] [--address A] [--lat X --lon Y]\n"
    "                           report a case; prints its id\n"
    "  show ID [--json]         one case\n"
    "  journal [--since N] [--case ID] [--limit N] [--json]\n"
    "                           journal entries after sequence N\n"
    "  stats [--json]           the daemon's counters\n"
    "\n"
    "  -e, --endpoint ENDPOINT  the daemon's command socket (default $GRIDCASE_ENDPOINT,\n"
    "                           else tcp://127.0.0.1:7570)\n"
    "      --as ROLE:ID         the actor in local mode, e.g. officer:o-haihong-01\n"
    "                           (default $GRIDCASE_AS)\n"
    "      --timeout MS         give up after MS milliseconds (default 10000)\n"
    "\n"
    "exit status: 0 ok, 1 the daemon refused (code and message on stderr), 2 usage,\n"
    "3 daemon unreachable\n";

static int
s_usage (const char *why)
{
    if (why)
        fprintf (stderr, "gridcase: %s\n", why);
    fputs (s_usage_text, stderr);
    return EXIT_USAGE;
}

//  --------------------------------------------------------------------------
//  Output helpers

static void
s_json_string (FILE *out, const char *text)
{
    fputc ('"', out);
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf (out, "\\%c", *p);
        else if (*p == '\n')
            fputs ("\\n", out);
        else if (*p == '\t')
            fputs ("\\t", out);
        else if (*p < 0x20)
            fprintf (out, "\\u%04x", *p);
        else
            fputc (*p, out);
    }
    fputc ('"', out);
}

//  ISO 8601 in UTC for programs
static const char *
s_time_utc (int64_t ms, char *buffer, size_t size)
{
    if (ms <= 0)
        return "";
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    size_t len = strftime (buffer, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buffer + len, size - len, ".%03dZ", (int)(ms % 1000));
    return buffer;
}

//  Local time (TZ) for people
static const char *
s_time_local (int64_t ms, char *buffer, size_t size)
{
    if (ms <= 0)
        return "-";
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%d %H:%M:%S %z", &tm);
    return buffer;
}

static void
s_actor_text (const Gridcase__Actor *actor, char *buffer, size_t size)
{
    if (!actor || !*actor->id)
        snprintf (buffer, size, "%s", actor && actor->role ? gridcase_role_name (actor->role) : "");
    else if (actor->role)
        snprintf (buffer, size, "%s:%s", gridcase_role_name (actor->role), actor->id);
    else
        snprintf (buffer, size, "%s", actor->id);
}

static void
s_print_case_json (const Gridcase__Case *c)
{
    char t1[40], t2[40], t3[40], t4[40], reporter[100];
    s_actor_text (c->reporter, reporter, sizeof (reporter));
    printf ("{\"id\":");
    s_json_string (stdout, c->id);
    printf (",\"state\":\"%s\",\"level\":\"%s\",\"holder\":", gridcase_state_name (c->state),
            gridcase_level_name (c->level));
    s_json_string (stdout, c->holder);
    const struct {
        const char *name;
        const char *value;
    } strings[] = {
        {"grid", c->grid},
        {"community", c->community},
        {"street", c->street},
        {"district", c->district},
        {"category", c->category},
        {"severity", gridcase_severity_name (c->severity)},
        {"title", c->title},
        {"description", c->description},
        {"address", c->address},
        {"reporter", reporter},
        {"lead_department", c->lead_department},
        {"created_at", s_time_utc (c->created_at, t1, sizeof (t1))},
        {"updated_at", s_time_utc (c->updated_at, t2, sizeof (t2))},
        {"response_due", s_time_utc (c->response_due, t3, sizeof (t3))},
        {"resolution_due", s_time_utc (c->resolution_due, t4, sizeof (t4))},
    };
    for (size_t i = 0; i < sizeof (strings) / sizeof (strings[0]); i++) {
        printf (",\"%s\":", strings[i].name);
        s_json_string (stdout, strings[i].value);
    }
    if (c->location)
        printf (",\"lat\":%.6f,\"lon\":%.6f", c->location->lat, c->location->lon);
    printf (",\"delivery_count\":%u,\"bounce_count\":%u,\"rework_count\":%u,"
            "\"escalation_count\":%u,\"journal_seq\":%" PRIu64 "}\n",
            c->delivery_count, c->bounce_count, c->rework_count, c->escalation_count,
            c->journal_seq);
}

static void
s_print_case_text (const Gridcase__Case *c)
{
    char t[64], reporter[100];
    s_actor_text (c->reporter, reporter, sizeof (reporter));
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
    printf ("reported   %s%s%s\n", s_time_local (c->created_at, t, sizeof (t)),
            *reporter ? " by " : "", reporter);
}

static void
s_print_entry (const Gridcase__JournalEntry *e, bool json)
{
    char t[64], actor[100];
    s_actor_text (e->actor, actor, sizeof (actor));
    if (json) {
        printf ("{\"seq\":%" PRIu64 ",\"time\":", e->seq);
        s_json_string (stdout, s_time_utc (e->time, t, sizeof (t)));
        printf (",\"type\":\"%s\",\"case\":", gridcase_event_name (e->type));
        s_json_string (stdout, e->case_id);
        printf (",\"actor\":");
        s_json_string (stdout, actor);
        printf (",\"from\":");
        s_json_string (stdout, e->from);
        printf (",\"to\":");
        s_json_string (stdout, e->to);
        printf (",\"reason\":");
        s_json_string (stdout, e->reason);
        printf (",\"state\":\"%s\",\"level\":\"%s\",\"detail\":", gridcase_state_name (e->state),
                gridcase_level_name (e->level));
        s_json_string (stdout, e->detail);
        printf ("}\n");
    } else
        printf ("%8" PRIu64 "  %s  %-16s %-15s %-20s %s -> %s  %s\n", e->seq,
                s_time_local (e->time, t, sizeof (t)), gridcase_event_name (e->type), e->case_id,
                *actor ? actor : "-", *e->from ? e->from : "-", e->to, e->reason);
}

//  --------------------------------------------------------------------------
//  Talking to the daemon

typedef struct {
    const char *endpoint;
    Gridcase__Role role;
    const char *actor;
    int timeout;
} context_t;

static int
s_call (context_t *ctx, Gridcase__Request *request, Gridcase__Reply **reply_p)
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
    uint8_t client_id[16];
    uint64_t sequence;
    if (gridcase_identity_reserve (dir, client_id, &sequence, 1)) {
        fprintf (stderr, "gridcase: cannot keep the client id in %s/client: %s\n", dir,
                 strerror (errno));
        return EXIT_USAGE;
    }
    gridcase_t *client = gridcase_new (ctx->endpoint, client_id, sequence);
    if (!client) {
        fprintf (stderr, "gridcase: cannot connect to %s\n", ctx->endpoint);
        return EXIT_UNREACHABLE;
    }
    if (ctx->actor)
        gridcase_set_actor (client, ctx->role, ctx->actor);
    gridcase_set_timeout (client, ctx->timeout);
    int rc = gridcase_call (client, request, reply_p);
    gridcase_destroy (&client);
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
static int
s_parse (int argc, char **argv, const char *const *names, const char **values, int *positional,
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

static bool
s_number (const char *text, double *value)
{
    char *end;
    *value = strtod (text, &end);
    return *text && !*end;
}

static int
s_cmd_report (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"grid=",    "category=", "severity=", "title=", "description=",
                           "address=", "lat=",      "lon=",      NULL};
    const char *v[9] = {0};
    int positional;
    const char *first = NULL;
    if (s_parse (argc, argv, names, v, &positional, &first))
        return EXIT_USAGE;
    if (positional)
        return s_usage ("report takes no positional arguments");
    if (!v[0] || !v[1] || !v[3])
        return s_usage ("report needs --grid, --category and --title");
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = (char *)v[0];
    report.category = (char *)v[1];
    if (v[2] && !(report.severity = gridcase_severity_parse (v[2])))
        return s_usage ("--severity is red, yellow or green");
    report.title = (char *)v[3];
    report.description = (char *)(v[4] ? v[4] : "");
    report.address = (char *)(v[5] ? v[5] : "");
    Gridcase__Location location = GRIDCASE__LOCATION__INIT;
    if (v[6] || v[7]) {
        if (!v[6] || !v[7] || !s_number (v[6], &location.lat) || !s_number (v[7], &location.lon))
            return s_usage ("--lat and --lon go together, as decimal degrees");
        report.location = &location;
    }
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    Gridcase__Reply *reply;
    int rc = s_call (ctx, &request, &reply);
    if (rc)
        return rc;
    printf ("%s\n", reply->case_->case_->id);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

static int
s_cmd_show (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"json", NULL};
    const char *v[1] = {0};
    int positional;
    const char *id = NULL;
    if (s_parse (argc, argv, names, v, &positional, &id))
        return EXIT_USAGE;
    if (positional != 1)
        return s_usage ("show takes one case id");
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = (char *)id;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_GET;
    request.get = &get;
    Gridcase__Reply *reply;
    int rc = s_call (ctx, &request, &reply);
    if (rc)
        return rc;
    if (v[0])
        s_print_case_json (reply->case_->case_);
    else
        s_print_case_text (reply->case_->case_);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

static int
s_cmd_journal (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"since=", "case=", "limit=", "json", NULL};
    const char *v[4] = {0};
    int positional;
    const char *first = NULL;
    if (s_parse (argc, argv, names, v, &positional, &first))
        return EXIT_USAGE;
    if (positional)
        return s_usage ("journal takes no positional arguments");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    double number;
    if (v[0]) {
        if (!s_number (v[0], &number) || number < 0)
            return s_usage ("--since wants a journal sequence number");
        query.since = (uint64_t)number;
    }
    query.case_id = (char *)(v[1] ? v[1] : "");
    uint64_t limit = UINT64_MAX;
    if (v[2]) {
        if (!s_number (v[2], &number) || number < 1)
            return s_usage ("--limit wants a positive number");
        limit = (uint64_t)number;
    }
    //  Page through the journal until it is read to its end or the limit
    while (limit > 0) {
        query.limit = limit < 1000 ? (uint32_t)limit : 1000;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        request.journal = &query;
        Gridcase__Reply *reply;
        int rc = s_call (ctx, &request, &reply);
        if (rc)
            return rc;
        Gridcase__JournalReply *page = reply->journal;
        for (size_t i = 0; i < page->n_entries; i++)
            s_print_entry (page->entries[i], v[3] != NULL);
        size_t got = page->n_entries;
        if (got)
            query.since = page->entries[got - 1]->seq;
        gridcase__reply__free_unpacked (reply, NULL);
        if (got < query.limit)
            break;
        limit -= got;
    }
    return 0;
}

static int
s_cmd_stats (context_t *ctx, int argc, char **argv)
{
    const char *names[] = {"json", NULL};
    const char *v[1] = {0};
    int positional;
    const char *first = NULL;
    if (s_parse (argc, argv, names, v, &positional, &first))
        return EXIT_USAGE;
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    Gridcase__Reply *reply;
    int rc = s_call (ctx, &request, &reply);
    if (rc)
        return rc;
    Gridcase__StatsReply *r = reply->stats;
    if (v[0])
        printf ("{");
    for (size_t i = 0; i < r->n_counters; i++) {
        if (v[0])
            printf ("%s\"%s\":%" PRIu64, i ? "," : "", r->counters[i]->name, r->counters[i]->value);
        else
            printf ("%-24s %" PRIu64 "\n", r->counters[i]->name, r->counters[i]->value);
    }
    if (v[0])
        printf ("}\n");
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

int
main (int argc, char *argv[])
{
    zsys_init ();
    zsys_set_logstream (stderr);
    context_t ctx = {getenv ("GRIDCASE_ENDPOINT"), GRIDCASE__ROLE__ROLE_UNSPECIFIED, NULL, 10000};
    if (!ctx.endpoint || !*ctx.endpoint)
        ctx.endpoint = "tcp://127.0.0.1:7570";
    const char *as = getenv ("GRIDCASE_AS");
    static const struct option options[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"as", required_argument, NULL, 'a'},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
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
                    return s_usage ("--timeout wants milliseconds");
                break;
            case 'h':
                fputs (s_usage_text, stdout);
                return 0;
            default:
                return s_usage (NULL);
        }
    }
    static char actor[128];
    if (as && *as) {
        const char *colon = strchr (as, ':');
        if (!colon || colon == as || !colon[1] || strlen (colon + 1) >= sizeof (actor))
            return s_usage ("--as wants ROLE:ID, e.g. officer:o-haihong-01");
        char role[32];
        snprintf (role, sizeof (role), "%.*s", (int)(colon - as), as);
        ctx.role = gridcase_role_parse (role);
        if (!ctx.role)
            return s_usage ("the role in --as is officer, committee, street, worker, supervisor "
                            "or admin");
        snprintf (actor, sizeof (actor), "%s", colon + 1);
        ctx.actor = actor;
    }
    if (optind >= argc)
        return s_usage ("no command given");
    const char *command = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    if (streq (command, "report"))
        return s_cmd_report (&ctx, sub_argc, sub_argv);
    if (streq (command, "show"))
        return s_cmd_show (&ctx, sub_argc, sub_argv);
    if (streq (command, "journal"))
        return s_cmd_journal (&ctx, sub_argc, sub_argv);
    if (streq (command, "stats"))
        return s_cmd_stats (&ctx, sub_argc, sub_argv);
    if (streq (command, "help"))
        return fputs (s_usage_text, stdout), 0;
    fprintf (stderr, "gridcase: unknown command '%s'\n", command);
    return s_usage (NULL);
}
