/*  gridcase-gateway's service requests (Open311 GeoReport v2, and
    mySociety's servicerequestupdates):

    POST requests           a report by the api key's actor (an intake: the
                            hotline, an app), placed by lat/long or
                            address_id; applied once per Idempotency-Key
    GET requests            cases by id, service, status and date, paged
    GET requests/ID         one case
    GET servicerequestupdates
                            one update per journal entry

    Without an api key a read is the gateway's own, which the daemon answers
    without anything personal (no title, description, address, contact or
    free text; the location moved to its grid's centre). With one, the read
    is made for the key's actor, in its scope. See gateway.h. */
#include "gateway.h"
#include "gc_util.h"

#include <ctype.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define GW_DAY_MS ((int64_t)24 * 3600 * 1000)
#define GW_RANGE_MAX (90 * GW_DAY_MS) //  the widest date range asked for at once
#define GW_PAGE_SIZE_MAX 1000         //  requests in one answer at most
#define GW_IDS_MAX 100                //  service_request_id values in one read
#define GW_UPDATES_MAX 1000           //  updates in one answer at most
#define GW_DAEMON_PAGES_MAX 200       //  daemon reads behind one HTTP read at most
#define GW_IDEMPOTENCY_KEY_MAX 255
#define GW_TITLE_MAX 80

//  --------------------------------------------------------------------------
//  Times: ISO 8601 in, ISO 8601 with the city's offset out

//  "2026-11-23", "2026-11-23T09:30[:00[.123]]" and "Z", "+08:00" or
//  "+0800" after it (without one: the city's clock) -> UTC ms; -1 if not
static int64_t
s_iso_parse (const char *text)
{
    struct tm tm;
    memset (&tm, 0, sizeof (tm));
    const char *end = strptime (text, "%Y-%m-%d", &tm);
    if (!end || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999)
        return -1;
    if (*end == 'T' || *end == ' ') {
        const char *rest = strptime (end + 1, "%H:%M", &tm);
        if (!rest)
            return -1;
        end = rest;
        if (*end == ':') {
            if (!isdigit ((unsigned char)end[1]) || !isdigit ((unsigned char)end[2]))
                return -1;
            tm.tm_sec = (end[1] - '0') * 10 + (end[2] - '0');
            end += 3;
            if (*end == '.' || *end == ',') {
                end++;
                while (isdigit ((unsigned char)*end))
                    end++;
            }
        }
    }
    if (tm.tm_sec > 60)
        return -1;
    if (!*end) {
        tm.tm_isdst = -1;
        return (int64_t)mktime (&tm) * 1000;
    }
    int offset = 0;
    if (strcmp (end, "Z") == 0)
        offset = 0;
    else if ((*end == '+' || *end == '-') && isdigit ((unsigned char)end[1]) &&
             isdigit ((unsigned char)end[2])) {
        int hours = (end[1] - '0') * 10 + (end[2] - '0'), minutes = 0;
        const char *m = end + 3;
        if (*m == ':')
            m++;
        if (*m) {
            if (!isdigit ((unsigned char)m[0]) || !isdigit ((unsigned char)m[1]) || m[2])
                return -1;
            minutes = (m[0] - '0') * 10 + (m[1] - '0');
        }
        if (hours > 14 || minutes > 59)
            return -1;
        offset = (hours * 60 + minutes) * 60 * (*end == '-' ? -1 : 1);
    } else
        return -1;
    return ((int64_t)timegm (&tm) - offset) * 1000;
}

//  --------------------------------------------------------------------------
//  Who asks: the actor of the request's api key, or nobody (a public read)

//  False (REPLY set: 403) when a key is given and is no roster actor's; a
//  key of the gateway itself is refused too
static bool
s_key_actor (gw_t *self, const gw_request_t *request, gw_format_t format, gw_reply_t *reply,
             gc_actor_t **actor_p)
{
    const char *key = gw_arg (request, "api_key");
    *actor_p = key ? gc_config_actor_by_api_key (self->city, key) : NULL;
    if (key && (!*actor_p || (*actor_p)->role == GRIDCASE__ROLE__ROLE_GATEWAY)) {
        gw_error (reply, 403, format, "api_key is not valid");
        return false;
    }
    return true;
}

//  REQUEST made for ACTOR (NULL: the gateway's own read)
static void
s_on_behalf (Gridcase__Request *request, Gridcase__Actor *who, const gc_actor_t *actor)
{
    if (!actor)
        return;
    gridcase__actor__init (who);
    who->role = actor->role;
    who->id = actor->id;
    request->on_behalf_of = who;
}

//  --------------------------------------------------------------------------
//  A case as an Open311 service request

static json_t *
s_service_request (gw_t *self, const Gridcase__Case *kase, bool personal)
{
    char notes[600], requested[40], updated[40], expected[40];
    gw_words_status (self->city, kase, notes, sizeof (notes));
    gw_iso_time (kase->created_at, requested, sizeof (requested));
    gw_iso_time (kase->updated_at, updated, sizeof (updated));
    gc_category_t *category = gc_config_category (self->city, kase->category);
    json_t *item = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "service_request_id", kase->id,
        "status", kase->state == GRIDCASE__STATE__STATE_CLOSED ? "closed" : "open", "status_notes",
        notes, "service_name", category && category->name ? category->name : kase->category,
        "service_code", kase->category, "agency_responsible", gw_words_agency (self->city, kase),
        "service_notice", "", "requested_datetime", requested, "updated_datetime", updated,
        "address_id", kase->grid);
    if (!item)
        return NULL;
    if (kase->resolution_due && kase->state != GRIDCASE__STATE__STATE_CLOSED) {
        gw_iso_time (kase->resolution_due, expected, sizeof (expected));
        json_object_set_new (item, "expected_datetime", json_string (expected));
    }
    if (personal) {
        json_object_set_new (item, "description", json_string (kase->description));
        json_object_set_new (item, "address", json_string (kase->address));
    }
    if (kase->location) {
        json_object_set_new (item, "lat", json_real (kase->location->lat));
        json_object_set_new (item, "long", json_real (kase->location->lon));
    }
    json_object_set_new (item, "media_url", json_string (""));
    return item;
}

//  --------------------------------------------------------------------------
//  POST requests

//  TEXT's first line, at most GW_TITLE_MAX bytes, cut on a character
static void
s_title (const char *text, char *out, size_t size)
{
    size_t len = strcspn (text, "\r\n");
    if (len > GW_TITLE_MAX) {
        len = GW_TITLE_MAX;
        while (len && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    snprintf (out, size, "%.*s", (int)len, text);
}

//  A coordinate: a finite number and nothing else
static bool
s_number (const char *text, double *value)
{
    char *end = NULL;
    *value = strtod (text, &end);
    return end != text && !*end && isfinite (*value);
}

//  The request id of a POST with Idempotency-Key KEY by ACTOR: its client
//  id, the same whichever gateway process sees it
static void
s_idempotent_id (const gc_actor_t *actor, const char *key, uint8_t *client_id)
{
    char text[GW_IDEMPOTENCY_KEY_MAX + 200];
    int len = snprintf (text, sizeof (text), "gridcase-gateway idempotency%c%s%c%s", 0, actor->id,
                        0, key);
    uint8_t hash[32];
    gc_sha256 (text, (size_t)len, hash);
    memcpy (client_id, hash, 16);
}

void
gw_requests_post (gw_t *self, const gw_request_t *request, gw_format_t format, gw_reply_t *reply)
{
    gc_actor_t *actor = NULL;
    if (request->body_status) {
        gw_error (reply, request->body_status, format, request->body_why);
        return;
    }
    if (!s_key_actor (self, request, format, reply, &actor))
        return;
    if (!actor) {
        gw_error (reply, 403, format, "api_key is required to post a service request");
        return;
    }
    const char *idempotency = request->idempotency_key;
    if (idempotency && (!*idempotency || strlen (idempotency) > GW_IDEMPOTENCY_KEY_MAX)) {
        gw_error (reply, 400, format, "Idempotency-Key is 1 to 255 characters");
        return;
    }
    const char *code = gw_arg (request, "service_code");
    if (!code || !*code) {
        gw_error (reply, 400, format, "service_code is required (GET services lists them)");
        return;
    }
    gc_category_t *category = gc_config_category (self->city, code);
    if (!category) {
        gw_unknown_service (reply, format, code);
        return;
    }
    const char *lat = gw_arg (request, "lat"), *lon = gw_arg (request, "long");
    const char *address_id = gw_arg (request, "address_id");
    const char *address = gw_arg (request, "address_string");
    Gridcase__Location location = GRIDCASE__LOCATION__INIT;
    if ((lat && *lat) || (lon && *lon)) {
        if (!lat || !lon || !s_number (lat, &location.lat) || !s_number (lon, &location.lon) ||
            fabs (location.lat) > 90 || fabs (location.lon) > 180) {
            gw_error (reply, 400, format,
                      "lat and long are given together, as decimal degrees (WGS 84)");
            return;
        }
    } else if (address_id && *address_id) {
        if (!gc_config_grid (self->city, address_id)) {
            char why[300];
            snprintf (why, sizeof (why), "address_id '%.200s' is not a grid of the city",
                      address_id);
            gw_error (reply, 400, format, why);
            return;
        }
    } else {
        gw_error (reply, 400, format,
                  address && *address ? "address_string alone cannot be placed in a grid: give "
                                        "lat and long, or address_id (the grid)"
                                      : "a location is required: lat and long, or address_id "
                                        "(the grid)");
        return;
    }
    const char *description = gw_arg (request, "description");
    const char *first = gw_arg (request, "first_name"), *last = gw_arg (request, "last_name");
    const char *media = gw_arg (request, "media_url");
    char title[GW_TITLE_MAX + 8], name[512];
    s_title (description ? description : "", title, sizeof (title));
    snprintf (name, sizeof (name), "%s%s%s", first ? first : "", first && last ? " " : "",
              last ? last : "");
    char *text = NULL;
    if (media && *media &&
        asprintf (&text, "%s\n\nmedia: %s", description ? description : "", media) < 0)
        text = NULL;

    Gridcase__Request call = GRIDCASE__REQUEST__INIT;
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    Gridcase__Contact contact = GRIDCASE__CONTACT__INIT;
    Gridcase__Actor who;
    s_on_behalf (&call, &who, actor);
    call.op_case = GRIDCASE__REQUEST__OP_REPORT;
    call.report = &report;
    report.grid = (char *)(lat && *lat ? "" : address_id);
    report.category = category->id;
    report.title = *title ? title : category->name ? category->name : category->id;
    report.description = text ? text : (char *)(description ? description : "");
    report.address = (char *)(address ? address : "");
    if (lat && *lat)
        report.location = &location;
    contact.name = name;
    contact.phone = (char *)(gw_arg (request, "phone") ? gw_arg (request, "phone") : "");
    contact.email = (char *)(gw_arg (request, "email") ? gw_arg (request, "email") : "");
    report.contact = &contact;
    uint8_t client_id[16];
    if (idempotency)
        s_idempotent_id (actor, idempotency, client_id);
    Gridcase__Reply *answer = NULL;
    int rc = self->call (self, &call, idempotency ? client_id : NULL, &answer);
    free (text);
    if (rc == GRIDCASE_OK && answer->case_ && answer->case_->case_) {
        char notice[600], where[500];
        gw_words_status (self->city, answer->case_->case_, where, sizeof (where));
        snprintf (notice, sizeof (notice), "received as case %s: %s", answer->case_->case_->id,
                  where);
        json_t *created =
            json_pack ("[{s:s, s:s, s:n}]", "service_request_id", answer->case_->case_->id,
                       "service_notice", notice, "account_id");
        gw_document (reply, 201, format, "service_requests", created);
    } else if (rc == GRIDCASE_EREPLY && answer && answer->error &&
               answer->error->code == GRIDCASE__ERROR_CODE__ERROR_CONFLICT && idempotency)
        gw_error (reply, 409, format,
                  "this Idempotency-Key was used for a different request; use a new key for a "
                  "new request");
    else
        gw_daemon_error (rc, answer, format, reply);
    if (answer)
        gridcase__reply__free_unpacked (answer, NULL);
}

//  --------------------------------------------------------------------------
//  GET requests, requests/ID

//  One case by ID into ITEMS; false (REPLY set) when the daemon refused
//  for another reason than not having it
static bool
s_get_one (gw_t *self, const gc_actor_t *actor, const char *id, json_t *items, gw_format_t format,
           gw_reply_t *reply, bool missing_is_error)
{
    Gridcase__Request call = GRIDCASE__REQUEST__INIT;
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    Gridcase__Actor who;
    s_on_behalf (&call, &who, actor);
    call.op_case = GRIDCASE__REQUEST__OP_GET;
    call.get = &get;
    get.case_id = (char *)id;
    Gridcase__Reply *answer = NULL;
    int rc = self->call (self, &call, NULL, &answer);
    bool ok = true;
    if (rc == GRIDCASE_OK && answer->case_ && answer->case_->case_)
        json_array_append_new (items,
                               s_service_request (self, answer->case_->case_, actor != NULL));
    else if (rc == GRIDCASE_EREPLY && answer && answer->error &&
             answer->error->code == GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE && !missing_is_error)
        ; //  a list by ids gives those there are
    else {
        gw_daemon_error (rc, answer, format, reply);
        ok = false;
    }
    if (answer)
        gridcase__reply__free_unpacked (answer, NULL);
    return ok;
}

//  The period a read asks for: START_DATE and END_DATE, at most 90 days
//  apart; without them the last DEFAULT_SPAN ms. False (REPLY set) if bad.
static bool
s_period (const gw_request_t *request, int64_t default_span, int64_t *from, int64_t *to,
          bool *open_end, gw_format_t format, gw_reply_t *reply)
{
    const char *start = gw_arg (request, "start_date"), *end = gw_arg (request, "end_date");
    *from = start ? s_iso_parse (start) : 0;
    *to = end ? s_iso_parse (end) : 0;
    if (*from < 0 || *to < 0) {
        gw_error (reply, 400, format,
                  "start_date and end_date are ISO 8601 times, e.g. 2026-11-23T09:00:00+08:00");
        return false;
    }
    //  Without an end: up to now, and what comes in meanwhile (the daemon's
    //  clock, not this machine's, stamps a case)
    *open_end = !end && !start;
    if (!end)
        *to = start ? *from + default_span : (int64_t)time (NULL) * 1000;
    if (!start)
        *from = *to - default_span;
    if (*to < *from) {
        gw_error (reply, 400, format, "end_date is before start_date");
        return false;
    }
    if (*to - *from > GW_RANGE_MAX) {
        gw_error (reply, 400, format, "start_date and end_date are at most 90 days apart");
        return false;
    }
    return true;
}

//  A positive whole number at most MAX, or DEFAULT when not given; 0 if bad
static unsigned
s_count (const char *text, unsigned fallback, unsigned max)
{
    if (!text)
        return fallback;
    char *end = NULL;
    unsigned long value = strtoul (text, &end, 10);
    return end != text && !*end && isdigit ((unsigned char)*text) && value >= 1 && value <= max
               ? (unsigned)value
               : 0;
}

//  Requests by service, status and date, page PAGE of PAGE_SIZE, oldest
//  first (the order of case ids)
static void
s_list (gw_t *self, const gc_actor_t *actor, const gw_request_t *request, gw_format_t format,
        gw_reply_t *reply)
{
    const char *code = gw_arg (request, "service_code");
    const char *status = gw_arg (request, "status");
    int64_t from, to;
    if (code && !gc_config_category (self->city, code)) {
        gw_unknown_service (reply, format, code);
        return;
    }
    if (status && strcmp (status, "open") != 0 && strcmp (status, "closed") != 0) {
        gw_error (reply, 400, format, "status is open or closed");
        return;
    }
    unsigned page = s_count (gw_arg (request, "page"), 1, 1000000);
    unsigned page_size =
        s_count (gw_arg (request, "page_size"), GW_PAGE_SIZE_MAX, GW_PAGE_SIZE_MAX);
    if (!page || !page_size) {
        gw_error (reply, 400, format, "page is 1 or more, page_size 1 to 1000");
        return;
    }
    bool open_end = false;
    if (!s_period (request, GW_RANGE_MAX, &from, &to, &open_end, format, reply))
        return;
    uint64_t skip = (uint64_t)(page - 1) * page_size;
    json_t *items = json_array ();
    char after[64] = "";
    bool failed = false;
    for (int pages = 0; pages < GW_DAEMON_PAGES_MAX && json_array_size (items) < page_size;
         pages++) {
        Gridcase__Request call = GRIDCASE__REQUEST__INIT;
        Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
        Gridcase__Actor who;
        s_on_behalf (&call, &who, actor);
        call.op_case = GRIDCASE__REQUEST__OP_LIST;
        call.list = &list;
        list.from = from;
        list.to = open_end ? 0 : to + 1;
        list.after = after;
        list.limit = 500;
        if (status && strcmp (status, "closed") == 0)
            list.state = GRIDCASE__STATE__STATE_CLOSED;
        Gridcase__Reply *answer = NULL;
        int rc = self->call (self, &call, NULL, &answer);
        if (rc != GRIDCASE_OK || !answer->list) {
            gw_daemon_error (rc, answer, format, reply);
            if (answer)
                gridcase__reply__free_unpacked (answer, NULL);
            failed = true;
            break;
        }
        for (size_t i = 0; i < answer->list->n_cases && json_array_size (items) < page_size; i++) {
            const Gridcase__Case *kase = answer->list->cases[i];
            if ((code && strcmp (kase->category, code) != 0) ||
                (status && strcmp (status, "open") == 0 &&
                 kase->state == GRIDCASE__STATE__STATE_CLOSED))
                continue;
            if (skip) {
                skip--;
                continue;
            }
            json_array_append_new (items, s_service_request (self, kase, actor != NULL));
        }
        snprintf (after, sizeof (after), "%s", answer->list->next_after);
        gridcase__reply__free_unpacked (answer, NULL);
        if (!*after)
            break;
    }
    if (failed)
        json_decref (items);
    else
        gw_document (reply, 200, format, "service_requests", items);
}

void
gw_requests_get (gw_t *self, const gw_request_t *request, const char *id, gw_format_t format,
                 gw_reply_t *reply)
{
    gc_actor_t *actor = NULL;
    if (!s_key_actor (self, request, format, reply, &actor))
        return;
    const char *ids = id ? id : gw_arg (request, "service_request_id");
    if (!ids) {
        s_list (self, actor, request, format, reply);
        return;
    }
    //  By id: the comma list overrides every other parameter
    json_t *items = json_array ();
    char copy[GW_IDS_MAX * 24];
    if (strlen (ids) >= sizeof (copy)) {
        json_decref (items);
        gw_error (reply, 400, format, "service_request_id lists at most 100 ids");
        return;
    }
    snprintf (copy, sizeof (copy), "%s", ids);
    char *save = NULL;
    bool ok = true;
    size_t count = 0;
    for (char *one = strtok_r (copy, ",", &save); one && ok; one = strtok_r (NULL, ",", &save)) {
        while (*one == ' ')
            one++;
        if (!*one)
            continue;
        if (++count > GW_IDS_MAX) {
            gw_error (reply, 400, format, "service_request_id lists at most 100 ids");
            ok = false;
        } else
            ok = s_get_one (self, actor, one, items, format, reply, id != NULL);
    }
    if (!ok || (id && json_array_size (items) == 0)) {
        if (ok)
            gw_error (reply, 404, format, "no such service request");
        json_decref (items);
        return;
    }
    gw_document (reply, 200, format, "service_requests", items);
}

//  --------------------------------------------------------------------------
//  GET servicerequestupdates: one update per journal entry in the period

static json_t *
s_update (gw_t *self, const Gridcase__JournalEntry *entry)
{
    char id[32], when[40], holder[300], words[500];
    snprintf (id, sizeof (id), "%llu", (unsigned long long)entry->seq);
    gw_iso_time (entry->time, when, sizeof (when));
    gw_words_holder (self->city, entry->to, holder, sizeof (holder));
    const char *event = gridcase_event_name (entry->type);
    snprintf (words, sizeof (words), "%s; now with %s", event, holder);
    for (char *c = words; *c && c < words + strlen (event); c++)
        if (*c == '_')
            *c = ' ';
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "update_id", id, "service_request_id",
                      entry->case_id, "status", gw_words_update_status (entry->type, entry->state),
                      "updated_datetime", when, "description", words, "media_url", "");
}

//  What an updates read gathers from each page
typedef struct {
    gw_t *self;
    int64_t from, to;
    bool open_end;
    json_t *updates;
} updates_t;

static bool
s_updates_page (const Gridcase__JournalReply *page, void *arg)
{
    updates_t *u = (updates_t *)arg;
    for (size_t i = 0; i < page->n_entries && json_array_size (u->updates) < GW_UPDATES_MAX; i++) {
        const Gridcase__JournalEntry *entry = page->entries[i];
        if (entry->time >= u->from && (u->open_end || entry->time <= u->to))
            json_array_append_new (u->updates, s_update (u->self, entry));
    }
    return json_array_size (u->updates) < GW_UPDATES_MAX;
}

void
gw_request_updates (gw_t *self, const gw_request_t *request, gw_format_t format, gw_reply_t *reply)
{
    gc_actor_t *actor = NULL;
    updates_t u = {self, 0, 0, false, NULL};
    if (!s_key_actor (self, request, format, reply, &actor) ||
        !s_period (request, GW_DAY_MS, &u.from, &u.to, &u.open_end, format, reply))
        return;
    u.updates = json_array ();
    Gridcase__Request holder = GRIDCASE__REQUEST__INIT;
    Gridcase__Actor who;
    s_on_behalf (&holder, &who, actor);
    Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
    journal.from_day = gc_local_day (u.from);
    journal.to_day = u.open_end ? 0 : gc_local_day (u.to);
    Gridcase__Reply *failed = NULL;
    int rc = gw_journal_pages (self, holder.on_behalf_of, &journal, GW_DAEMON_PAGES_MAX,
                               s_updates_page, &u, &failed);
    if (rc == GRIDCASE_OK)
        gw_document (reply, 200, format, "service_request_updates", u.updates);
    else {
        gw_daemon_error (rc, failed, format, reply);
        if (failed)
            gridcase__reply__free_unpacked (failed, NULL);
        json_decref (u.updates);
    }
}
