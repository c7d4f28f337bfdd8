/*  gridcase-gateway's API for the supervisors' page: every read is made for
    the signed-in actor (on_behalf_of), so the daemon answers it in that
    actor's scope exactly as it answers the CLI. JSON is libgridcase's
    (times in UTC ISO 8601; the page shows them on the city's clock, which
    /api/me names); CSV starts with a UTF-8 BOM so that Excel on a Chinese
    Windows desktop reads it right.

    me                  who is signed in, the city's zone, the csrf token
    log                 the escalation log, newest first (area, department,
                        type, period), and the topic to follow it live on
    live                Server-Sent Events of a log topic (feed.c)
    overdue             open cases past a deadline, and every open red case
    figures[.csv]       the figures of a period, by community, street, grid
                        or department
    daily               received, closed and late per day of a period
    cases[.csv]         cases by area, state, period (CSV: every lifecycle
                        timestamp)
    case/ID             a case, its whole history, the hash chain's word
    grids               the grids' boundaries in the reader's area, each
                        with its open and overdue cases now

    See gateway.h. */
#include "gateway.h"
#include "gc_access.h"
#include "gc_time.h"
#include "gridcase_json.h"

#include <inttypes.h>
#include <string.h>

#define GW_LOG_PAGES 20  //  journal pages read for one log at most
#define GW_LOG_ROWS 500  //  log rows answered at most
#define GW_CASE_PAGES 40 //  list pages read for one answer at most
#define GW_DAYS_MAX 93   //  days of a daily series at most

int
gw_api_call (gw_t *self, const gw_session_t *session, Gridcase__Request *request,
             Gridcase__Reply **reply_p)
{
    gc_actor_t *actor = gc_config_actor (self->city, session->actor);
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    who.role = actor ? actor->role : GRIDCASE__ROLE__ROLE_UNSPECIFIED;
    who.id = (char *)session->actor;
    request->on_behalf_of = &who;
    int rc = self->call (self, request, NULL, reply_p);
    request->on_behalf_of = NULL;
    return rc;
}

static void
s_json (gw_reply_t *reply, unsigned status, json_t *document)
{
    reply->status = status;
    reply->body = json_dumps (document, JSON_COMPACT | JSON_PRESERVE_ORDER);
    reply->size = reply->body ? strlen (reply->body) : 0;
    reply->type = "application/json; charset=utf-8";
    json_decref (document);
}

static void
s_error (gw_reply_t *reply, unsigned status, const char *why)
{
    s_json (reply, status, json_pack ("{s:s}", "error", why));
}

//  A failed call as JSON: the daemon's refusal, or that it did not answer
static void
s_failed (gw_reply_t *reply, int rc, const Gridcase__Reply *answer)
{
    if (rc == GRIDCASE_EREPLY && answer && answer->error) {
        Gridcase__ErrorCode code = answer->error->code;
        unsigned status = code == GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED  ? 403
                          : code == GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE ? 404
                                                                             : 400;
        s_json (reply, status,
                json_pack ("{s:s, s:s}", "error", answer->error->message, "code",
                           gridcase_error_name (code)));
    } else
        s_error (reply, 503, "the case service does not answer now; try again");
}

//  A call that must succeed with a result: false (REPLY set) if it did not
static bool
s_call (gw_t *self, const gw_session_t *session, Gridcase__Request *request,
        Gridcase__Reply **answer, gw_reply_t *reply)
{
    int rc = gw_api_call (self, session, request, answer);
    if (rc == GRIDCASE_OK)
        return true;
    s_failed (reply, rc, *answer);
    if (*answer)
        gridcase__reply__free_unpacked (*answer, NULL);
    *answer = NULL;
    return false;
}

//  A case as JSON, with where it is in words and, while open, how long past
//  its earliest deadline
static json_t *
s_case (gw_t *self, const Gridcase__Case *kase, int64_t now)
{
    json_t *item = gridcase_json (&kase->base);
    char words[400];
    gw_words_status (self->city, kase, words, sizeof (words));
    json_object_set_new (item, "where", json_string (words));
    int64_t dues[] = {kase->response_due, kase->resolution_due, kase->verification_due};
    int64_t due = 0;
    for (size_t i = 0; i < 3; i++)
        if (dues[i] && (!due || dues[i] < due))
            due = dues[i];
    if (due && kase->state != GRIDCASE__STATE__STATE_CLOSED && !kase->paused)
        json_object_set_new (item, "past_due_ms", json_integer (now > due ? now - due : 0));
    return item;
}

//  --------------------------------------------------------------------------
//  Who

static void
s_me (gw_t *self, const gw_session_t *session, gw_reply_t *reply)
{
    gc_actor_t *actor = gc_config_actor (self->city, session->actor);
    const char *area = !actor                                      ? ""
                       : actor->role == GRIDCASE__ROLE__ROLE_ADMIN ? "the whole city"
                       : actor->district                           ? actor->district->id
                       : actor->street                             ? actor->street->id
                       : actor->community                          ? actor->community->id
                       : actor->department                         ? actor->department->id
                       : actor->grids                              ? actor->grid[0]->id
                                                                   : "";
    const char *kind = !actor              ? ""
                       : actor->district   ? "district"
                       : actor->street     ? "street"
                       : actor->community  ? "community"
                       : actor->department ? "department"
                       : actor->grids      ? "grid"
                                           : "city";
    s_json (reply, 200,
            json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "actor", session->actor, "role",
                       actor ? gc_role_name (actor->role) : "", "name",
                       actor && actor->name ? actor->name : session->actor, "area_kind", kind,
                       "area", area, "timezone", self->city->timezone, "csrf", session->csrf));
}

//  --------------------------------------------------------------------------
//  The escalation log, newest first

//  What a log read gathers from each page
typedef struct {
    const char *type; //  only entries of this event type, NULL: all
    json_t *rows;
    bool first;
    char topic[160];
    uint64_t last_seq;
} log_t;

static bool
s_log_page (const Gridcase__JournalReply *page, void *arg)
{
    log_t *log = (log_t *)arg;
    for (size_t i = 0; i < page->n_entries; i++) {
        const Gridcase__JournalEntry *entry = page->entries[i];
        if (log->type && *log->type && strcmp (log->type, gridcase_event_name (entry->type)) != 0)
            continue;
        json_array_append_new (log->rows, gridcase_json (&entry->base));
        if (json_array_size (log->rows) > GW_LOG_ROWS)
            json_array_remove (log->rows, 0); //  the newest are kept
    }
    if (log->first)
        snprintf (log->topic, sizeof (log->topic), "%s", page->follow_topic);
    log->first = false;
    log->last_seq = page->last_seq;
    return true;
}

static void
s_log (gw_t *self, const gw_request_t *request, const gw_session_t *session, gw_reply_t *reply)
{
    const char *area = gw_arg (request, "area"), *department = gw_arg (request, "department");
    const char *period = gw_arg (request, "period");
    log_t log = {gw_arg (request, "type"), json_array (), true, "", 0};
    Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
    journal.log_only = true;
    journal.area = (char *)(area && *area ? area : "");
    journal.department = (char *)(department && *department ? department : "");
    journal.period = (char *)(period && *period ? period : "");
    gc_actor_t *actor = gc_config_actor (self->city, session->actor);
    Gridcase__Actor who = GRIDCASE__ACTOR__INIT;
    who.role = actor ? actor->role : GRIDCASE__ROLE__ROLE_UNSPECIFIED;
    who.id = (char *)session->actor;
    Gridcase__Reply *failed = NULL;
    int rc = gw_journal_pages (self, &who, &journal, GW_LOG_PAGES, s_log_page, &log, &failed);
    if (rc != GRIDCASE_OK) {
        s_failed (reply, rc, failed);
        if (failed)
            gridcase__reply__free_unpacked (failed, NULL);
        json_decref (log.rows);
        return;
    }
    //  Newest first
    json_t *newest = json_array ();
    for (size_t i = json_array_size (log.rows); i > 0; i--)
        json_array_append (newest, json_array_get (log.rows, i - 1));
    json_decref (log.rows);
    s_json (reply, 200,
            json_pack ("{s:o, s:s, s:I}", "entries", newest, "follow_topic", log.topic, "last_seq",
                       (json_int_t)log.last_seq));
}

//  --------------------------------------------------------------------------
//  Lists of cases

typedef bool (case_filter_fn) (const Gridcase__Case *kase, void *arg);

//  Every case the list query LIST finds for SESSION (pages followed), each
//  kept by FILTER into ITEMS; false (REPLY set) if a call failed
static bool
s_cases (gw_t *self, const gw_session_t *session, Gridcase__ListRequest *list,
         case_filter_fn *filter, void *arg, json_t *items, zlistx_t *raw, gw_reply_t *reply)
{
    char after[64] = "";
    int64_t now = (int64_t)zclock_time ();
    for (int page = 0; page < GW_CASE_PAGES; page++) {
        Gridcase__Request call = GRIDCASE__REQUEST__INIT;
        call.op_case = GRIDCASE__REQUEST__OP_LIST;
        call.list = list;
        list->after = after;
        list->limit = 500;
        Gridcase__Reply *answer = NULL;
        if (!s_call (self, session, &call, &answer, reply))
            return false;
        for (size_t i = 0; answer->list && i < answer->list->n_cases; i++) {
            Gridcase__Case *kase = answer->list->cases[i];
            if (filter && !filter (kase, arg))
                continue;
            if (items)
                json_array_append_new (items, s_case (self, kase, now));
            if (raw) {
                //  A copy that outlives the reply
                size_t size = gridcase__case__get_packed_size (kase);
                uint8_t *packed = (uint8_t *)malloc (size ? size : 1);
                gridcase__case__pack (kase, packed);
                Gridcase__Case *copy = gridcase__case__unpack (NULL, size, packed);
                free (packed);
                if (copy)
                    zlistx_add_end (raw, copy);
            }
        }
        snprintf (after, sizeof (after), "%s", answer->list ? answer->list->next_after : "");
        gridcase__reply__free_unpacked (answer, NULL);
        if (!*after)
            break;
    }
    list->after = NULL;
    return true;
}

static bool
s_open_red (const Gridcase__Case *kase, void *arg)
{
    (void)arg;
    return kase->severity == GRIDCASE__SEVERITY__SEVERITY_RED &&
           kase->state != GRIDCASE__STATE__STATE_CLOSED;
}

static void
s_overdue (gw_t *self, const gw_request_t *request, const gw_session_t *session, gw_reply_t *reply)
{
    const char *area = gw_arg (request, "area");
    json_t *overdue = json_array (), *red = json_array ();
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.area = (char *)(area && *area ? area : "");
    list.overdue = true;
    bool ok = s_cases (self, session, &list, NULL, NULL, overdue, NULL, reply);
    Gridcase__ListRequest reds = GRIDCASE__LIST_REQUEST__INIT;
    reds.area = list.area;
    reds.severity = GRIDCASE__SEVERITY__SEVERITY_RED;
    ok = ok && s_cases (self, session, &reds, s_open_red, NULL, red, NULL, reply);
    if (!ok) {
        json_decref (overdue);
        json_decref (red);
        return;
    }
    s_json (reply, 200, json_pack ("{s:o, s:o}", "overdue", overdue, "red", red));
}

//  The list query of a cases read: area, state, period
static bool
s_list_query (const gw_request_t *request, Gridcase__ListRequest *list, gw_reply_t *reply)
{
    const char *area = gw_arg (request, "area"), *state = gw_arg (request, "state");
    const char *period = gw_arg (request, "period");
    list->area = (char *)(area && *area ? area : "");
    list->period = (char *)(period && *period ? period : "");
    if (state && *state) {
        int value = (int)gridcase_state_parse (state);
        if (value <= 0) {
            s_error (reply, 400,
                     "state is at_grid, queued, claimed, in_progress, resolved, "
                     "verified or closed");
            return false;
        }
        list->state = (Gridcase__State)value;
    }
    return true;
}

static void
s_case_list (gw_t *self, const gw_request_t *request, const gw_session_t *session,
             gw_reply_t *reply)
{
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    if (!s_list_query (request, &list, reply))
        return;
    json_t *items = json_array ();
    if (s_cases (self, session, &list, NULL, NULL, items, NULL, reply))
        s_json (reply, 200, json_pack ("{s:o}", "cases", items));
    else
        json_decref (items);
}

//  --------------------------------------------------------------------------
//  CSV, as spreadsheets read it: a BOM, quoted fields, CRLF

static void
s_csv_field (FILE *out, const char *text, bool last)
{
    bool quote = strpbrk (text, ",\"\r\n") != NULL;
    if (quote) {
        fputc ('"', out);
        for (const char *c = text; *c; c++) {
            if (*c == '"')
                fputc ('"', out);
            fputc (*c, out);
        }
        fputc ('"', out);
    } else
        fputs (text, out);
    fputs (last ? "\r\n" : ",", out);
}

static void
s_csv_reply (gw_reply_t *reply, char *text, size_t size, const char *file)
{
    reply->status = 200;
    reply->body = text;
    reply->size = size;
    reply->type = "text/csv; charset=utf-8";
    reply->disposition = file;
}

static void
s_cases_csv (gw_t *self, const gw_request_t *request, const gw_session_t *session,
             gw_reply_t *reply)
{
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    if (!s_list_query (request, &list, reply))
        return;
    zlistx_t *cases = zlistx_new ();
    if (!s_cases (self, session, &list, NULL, NULL, NULL, cases, reply)) {
        Gridcase__Case *kase;
        while ((kase = (Gridcase__Case *)zlistx_detach (cases, NULL)))
            gridcase__case__free_unpacked (kase, NULL);
        zlistx_destroy (&cases);
        return;
    }
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    fputs ("\xEF\xBB\xBF", out);
    static const char *columns[] = {"id",           "state",
                                    "level",        "severity",
                                    "category",     "grid",
                                    "community",    "street",
                                    "holder",       "title",
                                    "created_at",   "responded_at",
                                    "resolved_at",  "closed_at",
                                    "response_due", "resolution_due",
                                    "level_since",  "escalation_count",
                                    "bounce_count", "rework_count",
                                    "rating"};
    size_t ncolumns = sizeof (columns) / sizeof (columns[0]);
    for (size_t c = 0; c < ncolumns; c++)
        s_csv_field (out, columns[c], c + 1 == ncolumns);
    Gridcase__Case *kase;
    while ((kase = (Gridcase__Case *)zlistx_detach (cases, NULL))) {
        char t[6][40], n[4][16];
        const int64_t times[] = {kase->created_at, kase->responded_at, kase->resolved_at,
                                 kase->closed_at,  kase->response_due, kase->resolution_due};
        for (int i = 0; i < 6; i++)
            gc_local_time_text (times[i], t[i], sizeof (t[i]));
        for (int i = 0; i < 6; i++)
            if (!times[i])
                t[i][0] = 0;
        char since[40];
        gc_local_time_text (kase->level_since, since, sizeof (since));
        snprintf (n[0], sizeof (n[0]), "%u", kase->escalation_count);
        snprintf (n[1], sizeof (n[1]), "%u", kase->bounce_count);
        snprintf (n[2], sizeof (n[2]), "%u", kase->rework_count);
        snprintf (n[3], sizeof (n[3]), "%u", kase->rating);
        const char *fields[] = {kase->id,
                                gridcase_state_name (kase->state),
                                gridcase_level_name (kase->level),
                                gridcase_severity_name (kase->severity),
                                kase->category,
                                kase->grid,
                                kase->community,
                                kase->street,
                                kase->holder,
                                kase->title,
                                t[0],
                                t[1],
                                t[2],
                                t[3],
                                t[4],
                                t[5],
                                kase->level_since ? since : "",
                                n[0],
                                n[1],
                                n[2],
                                kase->rating ? n[3] : ""};
        for (size_t c = 0; c < ncolumns; c++)
            s_csv_field (out, fields[c], c + 1 == ncolumns);
        gridcase__case__free_unpacked (kase, NULL);
    }
    zlistx_destroy (&cases);
    fclose (out);
    s_csv_reply (reply, text, size, "attachment; filename=\"cases.csv\"");
}

//  --------------------------------------------------------------------------
//  Figures

static bool
s_stats (gw_t *self, const gw_request_t *request, const gw_session_t *session,
         Gridcase__Reply **answer, gw_reply_t *reply)
{
    const char *area = gw_arg (request, "area"), *by = gw_arg (request, "by");
    const char *period = gw_arg (request, "period");
    Gridcase__Request call = GRIDCASE__REQUEST__INIT;
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    call.op_case = GRIDCASE__REQUEST__OP_STATS;
    call.stats = &stats;
    stats.area = (char *)(area && *area ? area : "");
    stats.by = (char *)(by && *by ? by : "");
    stats.period = (char *)(period && *period ? period : "this-month");
    if (!s_call (self, session, &call, answer, reply))
        return false;
    if (!(*answer)->stats) {
        gridcase__reply__free_unpacked (*answer, NULL);
        s_error (reply, 500, "the daemon answered the figures with something else");
        return false;
    }
    return true;
}

static void
s_figures (gw_t *self, const gw_request_t *request, const gw_session_t *session, gw_reply_t *reply)
{
    Gridcase__Reply *answer = NULL;
    if (s_stats (self, request, session, &answer, reply)) {
        s_json (reply, 200, gridcase_json (&answer->stats->base));
        gridcase__reply__free_unpacked (answer, NULL);
    }
}

static void
s_figures_csv (gw_t *self, const gw_request_t *request, const gw_session_t *session,
               gw_reply_t *reply)
{
    Gridcase__Reply *answer = NULL;
    if (!s_stats (self, request, session, &answer, reply))
        return;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    fputs ("\xEF\xBB\xBF", out);
    static const char *columns[] = {"key",
                                    "name",
                                    "received",
                                    "responded",
                                    "resolved",
                                    "closed",
                                    "on_time_rate",
                                    "closure_rate",
                                    "rework_rate",
                                    "bounce_rate",
                                    "satisfaction",
                                    "respond_mean_ms",
                                    "resolve_mean_ms",
                                    "open_now",
                                    "overdue_now"};
    size_t ncolumns = sizeof (columns) / sizeof (columns[0]);
    for (size_t c = 0; c < ncolumns; c++)
        s_csv_field (out, columns[c], c + 1 == ncolumns);
    for (size_t i = 0; i < answer->stats->n_figures; i++) {
        const Gridcase__Figures *f = answer->stats->figures[i];
        char v[13][32];
        const uint64_t counts[] = {f->received, f->responded, f->resolved, f->closed};
        for (int c = 0; c < 4; c++)
            snprintf (v[c], sizeof (v[c]), "%" PRIu64, counts[c]);
        const char *rates[] = {"on_time_rate", "closure_rate", "rework_rate", "bounce_rate",
                               "satisfaction"};
        const double values[] = {f->on_time_rate, f->closure_rate, f->rework_rate, f->bounce_rate,
                                 f->satisfaction};
        //  A rate or time with nothing to compute it from is an empty cell
        for (int c = 0; c < 5; c++)
            snprintf (v[4 + c], sizeof (v[4 + c]), "%.4f", values[c]);
        snprintf (v[9], sizeof (v[9]), "%" PRIu64, f->respond_mean_ms);
        snprintf (v[10], sizeof (v[10]), "%" PRIu64, f->resolve_mean_ms);
        for (int c = 0; c < 5; c++)
            if (gridcase_figure_undefined (f, rates[c]))
                v[4 + c][0] = 0;
        if (gridcase_figure_undefined (f, "respond_mean_ms"))
            v[9][0] = 0;
        if (gridcase_figure_undefined (f, "resolve_mean_ms"))
            v[10][0] = 0;
        snprintf (v[11], sizeof (v[11]), "%" PRIu64, f->open_now);
        snprintf (v[12], sizeof (v[12]), "%" PRIu64, f->overdue_now);
        const char *fields[] = {f->key, f->name, v[0], v[1], v[2],  v[3],  v[4], v[5],
                                v[6],   v[7],    v[8], v[9], v[10], v[11], v[12]};
        for (size_t c = 0; c < ncolumns; c++)
            s_csv_field (out, fields[c], c + 1 == ncolumns);
    }
    gridcase__reply__free_unpacked (answer, NULL);
    fclose (out);
    s_csv_reply (reply, text, size, "attachment; filename=\"figures.csv\"");
}

//  Per day of the period: received, closed (of those received that day) and
//  late (due, not on time)
static void
s_daily (gw_t *self, const gw_request_t *request, const gw_session_t *session, gw_reply_t *reply)
{
    const char *period = gw_arg (request, "period"), *area = gw_arg (request, "area");
    uint32_t from = 0, to = 0;
    if (!gc_period_parse (period && *period ? period : "this-month",
                          gc_local_day ((int64_t)zclock_time ()), &from, &to)) {
        s_error (reply, 400, "period is a day, a month, a week or a range (2026-11, 2026-W47)");
        return;
    }
    json_t *days = json_array ();
    int count = 0;
    for (uint32_t day = from; day && day <= to && count < GW_DAYS_MAX;
         day = gc_day_next (day), count++) {
        Gridcase__Request call = GRIDCASE__REQUEST__INIT;
        Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
        call.op_case = GRIDCASE__REQUEST__OP_STATS;
        call.stats = &stats;
        stats.area = (char *)(area && *area ? area : "");
        stats.from_day = stats.to_day = day;
        Gridcase__Reply *answer = NULL;
        if (!s_call (self, session, &call, &answer, reply)) {
            json_decref (days);
            return;
        }
        const Gridcase__Figures *f =
            answer->stats && answer->stats->n_figures ? answer->stats->figures[0] : NULL;
        char date[16];
        snprintf (date, sizeof (date), "%04u-%02u-%02u", day / 10000, day / 100 % 100, day % 100);
        json_array_append_new (
            days,
            json_pack ("{s:s, s:I, s:I, s:I}", "day", date, "received",
                       (json_int_t)(f ? f->received : 0), "closed", (json_int_t)(f ? f->closed : 0),
                       "late", (json_int_t)(f && f->due > f->on_time ? f->due - f->on_time : 0)));
        gridcase__reply__free_unpacked (answer, NULL);
    }
    s_json (reply, 200, json_pack ("{s:o}", "days", days));
}

//  --------------------------------------------------------------------------
//  One case

static void
s_one_case (gw_t *self, const gw_session_t *session, const char *id, gw_reply_t *reply)
{
    Gridcase__Request call = GRIDCASE__REQUEST__INIT;
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    call.op_case = GRIDCASE__REQUEST__OP_GET;
    call.get = &get;
    get.case_id = (char *)id;
    get.with_history = true;
    Gridcase__Reply *answer = NULL;
    if (!s_call (self, session, &call, &answer, reply))
        return;
    if (!answer->case_ || !answer->case_->case_) {
        gridcase__reply__free_unpacked (answer, NULL);
        s_error (reply, 500, "the daemon answered the case with something else");
        return;
    }
    json_t *history = json_array ();
    for (size_t i = 0; i < answer->case_->n_history; i++)
        json_array_append_new (history, gridcase_json (&answer->case_->history[i]->base));
    s_json (reply, 200,
            json_pack ("{s:o, s:o, s:s}", "case",
                       s_case (self, answer->case_->case_, (int64_t)zclock_time ()), "history",
                       history, "chain", answer->case_->chain));
    gridcase__reply__free_unpacked (answer, NULL);
}

//  --------------------------------------------------------------------------
//  The map: the grids of the reader's area, each with its cases now

static void
s_grids (gw_t *self, const gw_session_t *session, gw_reply_t *reply)
{
    gc_actor_t *actor = gc_config_actor (self->city, session->actor);
    json_t *features = json_array ();
    json_error_t error;
    json_t *file =
        self->city->grids_file ? json_load_file (self->city->grids_file, 0, &error) : NULL;
    //  The figures by grid, now (open and overdue), as far as the reader sees
    Gridcase__Request call = GRIDCASE__REQUEST__INIT;
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    call.op_case = GRIDCASE__REQUEST__OP_STATS;
    call.stats = &stats;
    stats.by = "grid";
    stats.period = "today";
    Gridcase__Reply *answer = NULL;
    int rc = gw_api_call (self, session, &call, &answer);
    //  Without boundaries: each grid without a shape, for a plain layout by
    //  community
    if (!file) {
        file = json_pack ("{s:[]}", "features");
        const gc_list_t *grids = &self->city->lists[GC_KIND_GRID];
        for (size_t g = 0; g < grids->count; g++)
            json_array_append_new (json_object_get (file, "features"),
                                   json_pack ("{s:s, s:{s:s}, s:n}", "type", "Feature",
                                              "properties", "grid",
                                              ((gc_grid_t *)grids->items[g])->id, "geometry"));
    }
    size_t i;
    json_t *feature;
    json_array_foreach (json_object_get (file, "features"), i, feature)
    {
        const char *id =
            json_string_value (json_object_get (json_object_get (feature, "properties"), "grid"));
        gc_grid_t *grid = id ? gc_config_grid (self->city, id) : NULL;
        if (!grid || !actor)
            continue;
        gc_community_t *community = grid->community;
        bool sees = actor->role == GRIDCASE__ROLE__ROLE_WORKER ||
                    gc_actor_covers (actor, grid->id, community->id, community->street->id,
                                     community->street->district->id);
        if (!sees)
            continue;
        uint64_t open = 0, overdue = 0;
        char key[160];
        snprintf (key, sizeof (key), "grid/%s", grid->id);
        for (size_t f = 0; rc == GRIDCASE_OK && answer->stats && f < answer->stats->n_figures; f++)
            if (strcmp (answer->stats->figures[f]->key, key) == 0) {
                open = answer->stats->figures[f]->open_now;
                overdue = answer->stats->figures[f]->overdue_now;
            }
        json_t *copy = json_deep_copy (feature);
        json_t *properties = json_object_get (copy, "properties");
        json_object_set_new (properties, "name", json_string (grid->name ? grid->name : id));
        json_object_set_new (properties, "community", json_string (community->id));
        json_object_set_new (properties, "open", json_integer ((json_int_t)open));
        json_object_set_new (properties, "overdue", json_integer ((json_int_t)overdue));
        json_array_append_new (features, copy);
    }
    if (answer)
        gridcase__reply__free_unpacked (answer, NULL);
    json_decref (file);
    s_json (reply, 200,
            json_pack ("{s:s, s:o, s:b}", "type", "FeatureCollection", "features", features,
                       "bounded", self->city->grids_file != NULL));
}

//  --------------------------------------------------------------------------

void
gw_api (gw_t *self, const gw_request_t *request, const gw_session_t *session, const char *path,
        gw_reply_t *reply)
{
    if (strcmp (path, "me") == 0)
        s_me (self, session, reply);
    else if (strcmp (path, "log") == 0)
        s_log (self, request, session, reply);
    else if (strcmp (path, "live") == 0) {
        const char *topic = gw_arg (request, "topic"), *since = gw_arg (request, "since");
        reply->stream = topic && *topic ? gw_feed_open (self, session, topic,
                                                        since ? strtoull (since, NULL, 10) : 0,
                                                        request->connection)
                                        : NULL;
        if (reply->stream) {
            reply->status = 200;
            reply->type = "text/event-stream; charset=utf-8";
        } else
            s_error (reply, 400, "live needs a topic the log read named (follow_topic)");
    } else if (strcmp (path, "overdue") == 0)
        s_overdue (self, request, session, reply);
    else if (strcmp (path, "figures") == 0)
        s_figures (self, request, session, reply);
    else if (strcmp (path, "figures.csv") == 0)
        s_figures_csv (self, request, session, reply);
    else if (strcmp (path, "daily") == 0)
        s_daily (self, request, session, reply);
    else if (strcmp (path, "cases") == 0)
        s_case_list (self, request, session, reply);
    else if (strcmp (path, "cases.csv") == 0)
        s_cases_csv (self, request, session, reply);
    else if (strncmp (path, "case/", 5) == 0 && path[5])
        s_one_case (self, session, path + 5, reply);
    else if (strcmp (path, "grids") == 0)
        s_grids (self, session, reply);
    else
        s_error (reply, 404, "no such API");
}
