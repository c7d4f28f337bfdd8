/*  The supervisors' commands: the escalation log, the figures, the weekly
    report and the journal's hash chain. See cli.h. */
#include "cli.h"
#include "gridcase_json.h"

#include <math.h>

//  --------------------------------------------------------------------------
//  Dates and periods

static const char *
s_day_text (uint32_t day, char *buffer, size_t size)
{
    snprintf (buffer, size, "%04u-%02u-%02u", day / 10000, day / 100 % 100, day % 100);
    return buffer;
}

static cli_format_t
s_format (const char *json, const char *csv)
{
    return json ? CLI_JSON : csv ? CLI_CSV : CLI_TEXT;
}

//  --------------------------------------------------------------------------
//  log

static const char *const cli_cmd_log_options[] = {"follow",  "since=", "area=", "department=",
                                                  "period=", "limit=", "json",  "csv",
                                                  "events=", NULL};

static int
cli_cmd_log (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional)
        return cli_usage ("log takes no positional arguments");
    if (v[6] && v[7])
        return cli_usage ("--json or --csv, not both");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    query.log_only = true;
    query.area = (char *)(v[2] ? v[2] : "");
    query.department = (char *)(v[3] ? v[3] : "");
    double number;
    if (v[1]) {
        if (!cli_number (v[1], &number) || number < 0)
            return cli_usage ("--since wants a journal sequence number");
        query.since = (uint64_t)number;
    }
    if (v[4]) {
        if (v[0])
            return cli_usage ("--follow goes on from now; it takes no --period");
        query.period = (char *)v[4]; //  the daemon reads it on the city's calendar
    }
    uint64_t limit = UINT64_MAX;
    if (v[5]) {
        if (!cli_number (v[5], &number) || number < 1)
            return cli_usage ("--limit wants a positive number");
        limit = (uint64_t)number;
    }
    cli_format_t format = s_format (v[6], v[7]);
    cli_entry_header (format);
    uint64_t last = 0;
    char topic[160] = "";
    int rc = cli_journal_pages (ctx, &query, limit, 0, format, &last, topic, sizeof (topic));
    if (rc || !v[0])
        return rc;
    if (!*topic) {
        fprintf (stderr, "gridcase: no single notice topic carries this log live: name one "
                         "area with --area (or one department with --department)\n");
        return EXIT_USAGE;
    }
    query.since = last;
    return cli_follow (ctx, cli_events_endpoint (v[8]), topic, &query, true, format);
}

//  --------------------------------------------------------------------------
//  stats

static const char *
s_span (uint64_t ms, char *buffer, size_t size)
{
    uint64_t s = ms / 1000;
    if (s < 60)
        snprintf (buffer, size, "%" PRIu64 "s", s);
    else if (s < 3600 && s % 60)
        snprintf (buffer, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else if (s < 3600)
        snprintf (buffer, size, "%" PRIu64 "m", s / 60);
    else if (s < 86400)
        snprintf (buffer, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
    else
        snprintf (buffer, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
    return buffer;
}

static const char *
s_rate (double rate, uint64_t whole, char *buffer, size_t size)
{
    if (!whole)
        return "-";
    snprintf (buffer, size, "%.1f%%", rate * 100);
    return buffer;
}

static void
s_figures_table_header (void)
{
    printf ("%-26s %6s %6s %8s %8s %7s %7s %15s %15s %6s %5s %7s\n", "area or department", "recv",
            "closed", "closure", "on-time", "rework", "bounce", "respond avg/p95",
            "resolve avg/p95", "rating", "open", "overdue");
}

static void
s_figures_row (const Gridcase__Figures *f)
{
    char a[32], b[32], c[32], d[32], r1[16], r2[16], r3[16], r4[16], respond[40], resolve[40],
        rating[16];
    if (f->responded)
        snprintf (respond, sizeof (respond), "%s/%s", s_span (f->respond_mean_ms, a, sizeof (a)),
                  s_span (f->respond_p95_ms, b, sizeof (b)));
    else
        snprintf (respond, sizeof (respond), "-");
    if (f->resolved)
        snprintf (resolve, sizeof (resolve), "%s/%s", s_span (f->resolve_mean_ms, c, sizeof (c)),
                  s_span (f->resolve_p95_ms, d, sizeof (d)));
    else
        snprintf (resolve, sizeof (resolve), "-");
    if (f->rated)
        snprintf (rating, sizeof (rating), "%.2f", f->satisfaction);
    else
        snprintf (rating, sizeof (rating), "-");
    printf ("%-26s %6" PRIu64 " %6" PRIu64 " %8s %8s %7s %7s %15s %15s %6s %5" PRIu64 " %7" PRIu64
            "\n",
            *f->key ? f->key : f->name, f->received, f->closed,
            s_rate (f->closure_rate, f->received, r1, sizeof (r1)),
            s_rate (f->on_time_rate, f->due, r2, sizeof (r2)),
            s_rate (f->rework_rate, f->resolved, r3, sizeof (r3)),
            s_rate (f->bounce_rate, f->dispatched, r4, sizeof (r4)), respond, resolve, rating,
            f->open_now, f->overdue_now);
}

//  Every field of Figures but the stored histograms, by its schema name
static bool
s_figures_field (const ProtobufCFieldDescriptor *field)
{
    return field->label != PROTOBUF_C_LABEL_REPEATED;
}

static void
s_figures_csv_header (void)
{
    const ProtobufCMessageDescriptor *desc = &gridcase__figures__descriptor;
    bool first = true;
    for (unsigned i = 0; i < desc->n_fields; i++)
        if (s_figures_field (&desc->fields[i])) {
            printf ("%s%s", first ? "" : ",", desc->fields[i].name);
            first = false;
        }
    printf ("\n");
}

//  One Figures record as a CSV line, field by field (an empty cell where
//  there is nothing to compute)
static void
s_figures_csv (const Gridcase__Figures *f)
{
    const ProtobufCMessageDescriptor *desc = &gridcase__figures__descriptor;
    size_t count = 0;
    for (unsigned i = 0; i < desc->n_fields; i++)
        count += s_figures_field (&desc->fields[i]);
    size_t n = 0;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        if (!s_figures_field (field))
            continue;
        const void *at = (const char *)f + field->offset;
        char cell[32] = "";
        const char *text = cell;
        if (field->type == PROTOBUF_C_TYPE_STRING)
            text = *(char *const *)at;
        else if (gridcase_figure_undefined (f, field->name))
            ;
        else if (field->type == PROTOBUF_C_TYPE_DOUBLE)
            snprintf (cell, sizeof (cell), "%.4f", *(const double *)at);
        else
            snprintf (cell, sizeof (cell), "%" PRIu64, *(const uint64_t *)at);
        cli_csv_field (text, ++n == count);
    }
}

static int
s_stats_call (context_t *ctx, Gridcase__StatsRequest *stats, Gridcase__Reply **reply)
{
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = stats;
    return cli_call (ctx, &request, reply);
}

static void
s_print_figures (const Gridcase__StatsReply *r, cli_format_t format)
{
    char from[16], to[16];
    s_day_text (r->from_day, from, sizeof (from));
    s_day_text (r->to_day, to, sizeof (to));
    if (format == CLI_JSON) {
        json_t *object = json_object ();
        json_object_set_new (object, "from", json_string (from));
        json_object_set_new (object, "to", json_string (to));
        json_t *figures = json_array ();
        for (size_t i = 0; i < r->n_figures; i++)
            json_array_append_new (figures, gridcase_json (&r->figures[i]->base));
        json_object_set_new (object, "figures", figures);
        cli_print_json_value (object);
    } else if (format == CLI_CSV) {
        s_figures_csv_header ();
        for (size_t i = 0; i < r->n_figures; i++)
            s_figures_csv (r->figures[i]);
    } else {
        printf ("cases received %s to %s, followed to now\n", from, to);
        s_figures_table_header ();
        for (size_t i = 0; i < r->n_figures; i++)
            s_figures_row (r->figures[i]);
    }
}

//  The daemon's counters and queue depths
static int
s_counters (context_t *ctx, bool json)
{
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    Gridcase__Reply *reply;
    int rc = s_stats_call (ctx, &stats, &reply);
    if (rc)
        return rc;
    Gridcase__StatsReply *r = reply->stats;
    json_t *object = json ? json_object () : NULL;
    for (size_t i = 0; i < r->n_counters; i++) {
        if (json)
            json_object_set_new (object, r->counters[i]->name,
                                 json_integer ((json_int_t)r->counters[i]->value));
        else
            printf ("%-32s %" PRIu64 "\n", r->counters[i]->name, r->counters[i]->value);
    }
    if (json)
        cli_print_json_value (object);
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

static const char *const cli_cmd_stats_options[] = {"period=", "by=", "area=", "json", "csv", NULL};

static int
cli_cmd_stats (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional)
        return cli_usage ("stats takes no positional arguments");
    if (v[3] && v[4])
        return cli_usage ("--json or --csv, not both");
    if (!v[0] && !v[1] && !v[2])
        return s_counters (ctx, v[3] != NULL);
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    //  The daemon reads the period on the city's calendar: this month there
    stats.period = (char *)(v[0] ? v[0] : "this-month");
    stats.by = (char *)(v[1] ? v[1] : "");
    stats.area = (char *)(v[2] ? v[2] : "");
    Gridcase__Reply *reply;
    int rc = s_stats_call (ctx, &stats, &reply);
    if (rc)
        return rc;
    s_print_figures (reply->stats, s_format (v[3], v[4]));
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  --------------------------------------------------------------------------
//  weekly

static void
s_rate_line (const char *label, double rate, uint64_t part, uint64_t whole, const char *of)
{
    char r[16];
    printf ("  %-34s %s", label, s_rate (rate, whole, r, sizeof (r)));
    if (whole)
        printf ("  (%" PRIu64 " of %" PRIu64 " %s)", part, whole, of);
    printf ("\n");
}

static void
s_weekly_text (const Gridcase__StatsReply *r, const char *week)
{
    const Gridcase__Figures *f = r->figures[0];
    char from[16], to[16], a[32], b[32];
    printf ("例行报告 weekly report: %s (%s), week %s, %s to %s\n\n", f->name, f->key, week,
            s_day_text (r->from_day, from, sizeof (from)), s_day_text (r->to_day, to, sizeof (to)));
    printf ("Cases received this week: %" PRIu64 ", followed to now\n", f->received);
    s_rate_line ("closure rate 结案率", f->closure_rate, f->closed, f->received, "closed");
    s_rate_line ("on-time handling rate 按期处置率", f->on_time_rate, f->on_time, f->due,
                 "due handled on time");
    s_rate_line ("rework rate 返工率", f->rework_rate, f->reworked, f->resolved,
                 "resolved sent back");
    s_rate_line ("bounce rate", f->bounce_rate, f->bounced, f->dispatched, "dispatches bounced");
    printf ("  %-34s %" PRIu64 "\n", "escalations", f->escalated);
    if (f->responded)
        printf ("  %-34s mean %s, 95th percentile %s\n", "time to respond",
                s_span (f->respond_mean_ms, a, sizeof (a)),
                s_span (f->respond_p95_ms, b, sizeof (b)));
    if (f->resolved)
        printf ("  %-34s mean %s, 95th percentile %s\n", "time to resolve",
                s_span (f->resolve_mean_ms, a, sizeof (a)),
                s_span (f->resolve_p95_ms, b, sizeof (b)));
    if (f->rated)
        printf ("  %-34s %.2f of 5 (%" PRIu64 " ratings)\n", "satisfaction", f->satisfaction,
                f->rated);
    printf ("Now: %" PRIu64 " open, %" PRIu64 " overdue\n\nBy grid\n", f->open_now, f->overdue_now);
    s_figures_table_header ();
    for (size_t i = 1; i < r->n_figures; i++)
        s_figures_row (r->figures[i]);
}

static const char *const cli_cmd_weekly_options[] = {"community=", "week=", "csv", NULL};

static int
cli_cmd_weekly (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional || !v[0])
        return cli_usage ("weekly needs --community C (and --week 2026-W47, default this week)");
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    int year, number, used = 0;
    if (v[1] && (sscanf (v[1], "%4d-W%2d%n", &year, &number, &used) != 2 || v[1][used]))
        return cli_usage ("--week is an ISO week like 2026-W47");
    //  This week is the city's, whatever the desktop's calendar says
    stats.period = (char *)(v[1] ? v[1] : "this-week");
    char area[128];
    snprintf (area, sizeof (area), "community/%s", v[0]);
    stats.area = area;
    stats.by = "grid";
    Gridcase__Reply *reply;
    int rc = s_stats_call (ctx, &stats, &reply);
    if (rc)
        return rc;
    if (v[2]) {
        s_print_figures (reply->stats, CLI_CSV);
        gridcase__reply__free_unpacked (reply, NULL);
        return 0;
    }
    char week[16];
    gc_day_week (reply->stats->from_day, week, sizeof (week));
    s_weekly_text (reply->stats, week);
    uint32_t from_day = reply->stats->from_day, to_day = reply->stats->to_day;
    gridcase__reply__free_unpacked (reply, NULL);

    printf ("\nEscalation log of the week\n");
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    query.log_only = true;
    query.area = area;
    query.from_day = from_day;
    query.to_day = to_day;
    rc = cli_journal_pages (ctx, &query, UINT64_MAX, 0, CLI_TEXT, NULL, NULL, 0);
    if (rc)
        return rc;

    printf ("\nOverdue now\n");
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.area = area;
    list.overdue = true;
    list.limit = 500;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_LIST;
    request.list = &list;
    rc = cli_call (ctx, &request, &reply);
    if (rc)
        return rc;
    for (size_t i = 0; i < reply->list->n_cases; i++)
        cli_print_case_line (reply->list->cases[i]);
    if (!reply->list->n_cases)
        printf ("  none\n");
    gridcase__reply__free_unpacked (reply, NULL);
    return 0;
}

//  --------------------------------------------------------------------------
//  verify-journal

#define CLI_HASH_SIZE 32 //  SHA-256, the journal chain's hash

typedef struct {
    uint64_t expected;           //  the seq the next entry must have
    uint64_t seen;               //  entries read
    uint8_t hash[CLI_HASH_SIZE]; //  hash of the previous entry as stored
    size_t breaks;
} chain_t;

//  Checks one stored entry (its key SEQ and bytes) against the chain so far
static void
s_chain_step (chain_t *chain, uint64_t seq, const uint8_t *data, size_t size)
{
    Gridcase__JournalEntry *entry = gridcase__journal_entry__unpack (NULL, size, data);
    if (seq != chain->expected) {
        chain->breaks++;
        if (seq > chain->expected)
            printf ("BREAK at seq %" PRIu64 ": entries %" PRIu64 "..%" PRIu64
                    " are missing (removed)\n",
                    chain->expected, chain->expected, seq - 1);
        else
            printf ("BREAK at seq %" PRIu64 ": out of order after %" PRIu64 "\n", seq,
                    chain->expected - 1);
    }
    if (!entry) {
        chain->breaks++;
        printf ("BREAK at seq %" PRIu64 ": the entry does not decode (altered)\n", seq);
    } else {
        if (entry->seq != seq) {
            chain->breaks++;
            printf ("BREAK at seq %" PRIu64 ": the entry says it is seq %" PRIu64 " (altered)\n",
                    seq, entry->seq);
        }
        if (entry->prev_hash.len != CLI_HASH_SIZE ||
            memcmp (entry->prev_hash.data, chain->hash, CLI_HASH_SIZE) != 0) {
            chain->breaks++;
            if (seq == chain->expected)
                printf ("BREAK at seq %" PRIu64 ": it does not carry the hash of entry %" PRIu64
                        ": entry %" PRIu64 " (or this one) was altered\n",
                        seq, seq - 1, seq - 1);
            else
                printf ("BREAK at seq %" PRIu64 ": it does not carry the hash of the entry "
                        "before it\n",
                        seq);
        }
        gridcase__journal_entry__free_unpacked (entry, NULL);
    }
    gc_sha256 (data, size, chain->hash);
    chain->expected = seq + 1;
    chain->seen++;
}

//  Reads the journal from the daemon, page by page, packing each entry again
static int
s_verify_daemon (context_t *ctx, chain_t *chain)
{
    Gridcase__JournalRequest query = GRIDCASE__JOURNAL_REQUEST__INIT;
    query.whole = true; //  not_permitted for a reader who cannot read all of it
    while (true) {
        query.limit = 1000;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
        request.journal = &query;
        Gridcase__Reply *reply;
        int rc = cli_call (ctx, &request, &reply);
        if (rc)
            return rc;
        Gridcase__JournalReply *page = reply->journal;
        for (size_t i = 0; i < page->n_entries; i++) {
            Gridcase__JournalEntry *entry = page->entries[i];
            size_t size = gridcase__journal_entry__get_packed_size (entry);
            uint8_t *data = (uint8_t *)malloc (size ? size : 1);
            gridcase__journal_entry__pack (entry, data);
            s_chain_step (chain, entry->seq, data, size);
            free (data);
            query.since = entry->seq;
        }
        bool more = page->n_entries == query.limit;
        if (!more && query.since < page->last_seq) {
            chain->breaks++;
            printf ("BREAK: entries after %" PRIu64 " up to %" PRIu64
                    " were not served to this reader; verify as admin, or the store itself "
                    "with gridcased --check\n",
                    query.since, page->last_seq);
        }
        gridcase__reply__free_unpacked (reply, NULL);
        if (!more)
            return 0;
    }
}

static const char *const cli_cmd_verify_journal_options[] = {"data=", NULL};

static int
cli_cmd_verify_journal (context_t *ctx, const cli_args_t *a)
{
    const char *const *v = a->v;
    int positional = a->positionals;
    if (positional)
        return cli_usage ("verify-journal takes no positional arguments");
    if (v[0])
        //  Reading a store is the daemon side's: the CLI does not link LMDB
        return cli_usage ("to check a data directory or a copy of one, run gridcased --check "
                          "DIR (it checks the journal, the case records and every index)");
    chain_t chain;
    memset (&chain, 0, sizeof (chain));
    chain.expected = 1;
    int rc = s_verify_daemon (ctx, &chain);
    if (rc)
        return rc;
    uint64_t entries = chain.seen;
    if (chain.breaks) {
        printf ("journal BROKEN: %zu break%s; %" PRIu64 " entries read, up to seq %" PRIu64 "\n",
                chain.breaks, chain.breaks == 1 ? "" : "s", entries, chain.expected - 1);
        return EXIT_REPLY;
    }
    printf ("journal intact: %" PRIu64 " entries, seq 1 to %" PRIu64
            ", every hash matches; head %02x%02x%02x%02x...\n",
            entries, entries, chain.hash[0], chain.hash[1], chain.hash[2], chain.hash[3]);
    return 0;
}

const cli_command_t cli_supervising_commands[] = {
    {"log", cli_cmd_log, cli_cmd_log_options, false},
    {"stats", cli_cmd_stats, cli_cmd_stats_options, false},
    {"weekly", cli_cmd_weekly, cli_cmd_weekly_options, false},
    {"verify-journal", cli_cmd_verify_journal, cli_cmd_verify_journal_options, false},
    {NULL, NULL, NULL, false},
};
