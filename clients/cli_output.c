/*  The CLI's output: cases and journal entries as text, one line, CSV or
    JSON (libgridcase's encoder), times for people, and what a mistaken
    command line is told. See cli.h. */
#include "cli.h"

#include <sys/stat.h>
#include <unistd.h>

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
    char t[64], actor[240];
    cli_actor_text (e->actor, actor, sizeof (actor));
    if (*e->via) {
        //  Acting through a gateway: who, and through which
        size_t at = strlen (actor);
        snprintf (actor + at, sizeof (actor) - at, " via %s", e->via);
    }
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
