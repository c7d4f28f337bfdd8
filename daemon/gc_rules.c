/*  gc_rules - deadline windows and service-hours calendars. See gc_rules.h. */
#include "gc_rules.h"
#include "gc_config.h"
#include "gc_util.h"

#include <time.h>

#define MINUTE_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)

//  A calendar walk gives up after this many days (a calendar always has
//  open hours, so only an absurd duration gets this far)
#define GC_CALENDAR_DAYS_MAX 3660

int64_t
gc_parse_duration (const char *text)
{
    if (!text || !*text)
        return -1;
    int64_t total = 0;
    const char *p = text;
    while (*p) {
        if (!isdigit ((unsigned char)*p))
            return -1;
        char *end;
        long long number = strtoll (p, &end, 10);
        int64_t unit;
        switch (*end) {
            case 's':
                unit = 1000;
                break;
            case 'm':
                unit = MINUTE_MS;
                break;
            case 'h':
                unit = HOUR_MS;
                break;
            case 'd':
                unit = DAY_MS;
                break;
            default:
                return -1;
        }
        if (number > 100000 || total > 1000 * DAY_MS)
            return -1;
        total += number * unit;
        p = end + 1;
    }
    return total;
}

const char *
gc_duration_text (int64_t ms, char *buffer, size_t size)
{
    if (ms % DAY_MS == 0 && ms >= DAY_MS)
        snprintf (buffer, size, "%" PRId64 " d", ms / DAY_MS);
    else if (ms % HOUR_MS == 0 && ms >= HOUR_MS)
        snprintf (buffer, size, "%" PRId64 " h", ms / HOUR_MS);
    else if (ms >= HOUR_MS)
        snprintf (buffer, size, "%" PRId64 " h %" PRId64 " min", ms / HOUR_MS,
                  (ms % HOUR_MS) / MINUTE_MS);
    else if (ms >= MINUTE_MS)
        snprintf (buffer, size, "%" PRId64 " min", ms / MINUTE_MS);
    else
        snprintf (buffer, size, "%" PRId64 " s", ms / 1000);
    return buffer;
}

//  ---------------------------------------------------------------------------
//  Calendars

static const char *s_weekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int
s_weekday (const char *text, size_t len)
{
    for (int i = 0; i < 7; i++)
        if (len == 3 && strncmp (text, s_weekdays[i], 3) == 0)
            return i;
    return -1;
}

//  "mon-fri sat" -> bits
static int
s_parse_days (const char *text, uint8_t *days)
{
    *days = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        int from = s_weekday (p, strcspn (p, " ,-"));
        if (from < 0)
            return -1;
        p += 3;
        int to = from;
        if (*p == '-') {
            to = s_weekday (p + 1, strcspn (p + 1, " ,-"));
            if (to < 0)
                return -1;
            p += 4;
        }
        for (int d = from;; d = (d + 1) % 7) {
            *days |= (uint8_t)(1 << d);
            if (d == to)
                break;
        }
    }
    return *days ? 0 : -1;
}

static int
s_parse_clock (const char *text, int *minutes)
{
    int h, m, n = 0;
    if (sscanf (text, "%2d:%2d%n", &h, &m, &n) != 2 || n != 5 || h < 0 || h > 24 || m < 0 ||
        m > 59 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

//  "08:30-12:00 14:00-17:30"
static int
s_parse_hours (gc_calendar_t *self, const char *text)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (self->spans == GC_SPANS_MAX || strlen (p) < 11 || p[5] != '-')
            return -1;
        int start, end;
        if (s_parse_clock (p, &start) || s_parse_clock (p + 6, &end) || end <= start)
            return -1;
        if (self->spans && start < self->span_end[self->spans - 1])
            return -1; //  spans in order, not overlapping
        self->span_start[self->spans] = start;
        self->span_end[self->spans] = end;
        self->spans++;
        p += 11;
    }
    return self->spans ? 0 : -1;
}

//  "2026-10-01 2026-10-02"
static int
s_parse_holidays (gc_calendar_t *self, const char *text)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        int y, m, d, n = 0;
        if (self->holidays == GC_HOLIDAYS_MAX || sscanf (p, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 ||
            n != 10 || m < 1 || m > 12 || d < 1 || d > 31)
            return -1;
        self->holiday[self->holidays++] = (uint32_t)(y * 10000 + m * 100 + d);
        p += 10;
    }
    return 0;
}

gc_calendar_t *
gc_calendar_new (zconfig_t *node, char *why, size_t why_size)
{
    gc_calendar_t *self = (gc_calendar_t *)zmalloc (sizeof (gc_calendar_t));
    self->id = strdup (zconfig_value (node));
    const char *days = zconfig_get (node, "days", "mon-fri");
    const char *hours = zconfig_get (node, "hours", "");
    const char *holidays = zconfig_get (node, "holidays", "");
    if (s_parse_days (days, &self->days))
        snprintf (why, why_size, "calendar '%s': days '%s' is not like 'mon-fri sat'", self->id,
                  days);
    else if (s_parse_hours (self, hours))
        snprintf (why, why_size,
                  "calendar '%s': hours '%s' is not like '08:30-12:00 14:00-17:30' "
                  "(at most %d spans, in order)",
                  self->id, hours, GC_SPANS_MAX);
    else if (s_parse_holidays (self, holidays))
        snprintf (why, why_size,
                  "calendar '%s': holidays '%s' is not like '2026-10-01 2026-10-02' (at most %d)",
                  self->id, holidays, GC_HOLIDAYS_MAX);
    else
        return self;
    gc_calendar_destroy (&self);
    return NULL;
}

gc_calendar_t *
gc_calendar_always (void)
{
    gc_calendar_t *self = (gc_calendar_t *)zmalloc (sizeof (gc_calendar_t));
    self->id = strdup ("always");
    self->always = true;
    return self;
}

void
gc_calendar_destroy (gc_calendar_t **self_p)
{
    gc_calendar_t *self = *self_p;
    if (self) {
        free (self->id);
        free (self);
        *self_p = NULL;
    }
}

static bool
s_open_on (const gc_calendar_t *self, const gc_localday_t *day)
{
    if (!(self->days & (1 << day->wday)))
        return false;
    for (size_t i = 0; i < self->holidays; i++)
        if (self->holiday[i] == day->day)
            return false;
    return true;
}

int64_t
gc_calendar_due (const gc_calendar_t *self, int64_t start, int64_t duration)
{
    if (self->always || duration <= 0)
        return start + duration;
    int64_t remaining = duration;
    int64_t t = start;
    for (int i = 0; i < GC_CALENDAR_DAYS_MAX; i++) {
        gc_localday_t day;
        gc_localday (t, &day);
        if (s_open_on (self, &day)) {
            for (size_t span = 0; span < self->spans; span++) {
                int64_t from = gc_localday_minute (&day, self->span_start[span]);
                int64_t until = gc_localday_minute (&day, self->span_end[span]);
                if (t >= until)
                    continue;
                if (from < t)
                    from = t;
                if (remaining <= until - from)
                    return from + remaining;
                remaining -= until - from;
            }
        }
        //  On to midnight of the next local day
        t = day.end;
    }
    return start + duration;
}

//  ---------------------------------------------------------------------------
//  Deadline windows

Gridcase__Level
gc_level_from_name (const char *name)
{
    static const char *names[GC_LEVELS] = {"",         "grid",       "community",  "street",
                                           "district", "department", "supervision"};
    for (int i = 1; i < GC_LEVELS; i++)
        if (streq (name, names[i]))
            return (Gridcase__Level)i;
    return GRIDCASE__LEVEL__LEVEL_UNSPECIFIED;
}

void
gc_windows_default (gc_windows_t *self)
{
    static const gc_window_t base[GC_SEVERITIES] = {
        {0, 0},
        {15 * MINUTE_MS, 4 * HOUR_MS},
        {2 * HOUR_MS, 3 * DAY_MS},
        {24 * HOUR_MS, 7 * DAY_MS},
    };
    memset (self, 0, sizeof (*self));
    for (int level = 1; level < GC_LEVELS; level++)
        for (int severity = 1; severity < GC_SEVERITIES; severity++)
            self->window[level][severity] = base[severity];
    //  The officer holds the case from the start: settle it on the spot
    //  within the response time, or it climbs
    for (int severity = 1; severity < GC_SEVERITIES; severity++) {
        self->window[GRIDCASE__LEVEL__LEVEL_GRID][severity].response = 0;
        self->window[GRIDCASE__LEVEL__LEVEL_GRID][severity].resolution = base[severity].response;
    }
}

//  Reads response/resolution under a severity node into WINDOW
static int
s_window_apply (gc_window_t *window, zconfig_t *node, char *why, size_t why_size)
{
    const char *names[] = {"response", "resolution"};
    int64_t *fields[] = {&window->response, &window->resolution};
    for (int i = 0; i < 2; i++) {
        const char *text = zconfig_get (node, names[i], NULL);
        if (!text)
            continue;
        int64_t ms = gc_parse_duration (text);
        if (ms <= 0) {
            snprintf (why, why_size, "%s '%s' is not a duration like 15m, 4h or 3d", names[i],
                      text);
            return -1;
        }
        *fields[i] = ms;
    }
    return 0;
}

//  Applies the "severity = S" children of NODE to levels FROM..TO
static int
s_severities_apply (gc_windows_t *self, zconfig_t *node, int from, int to, char *why,
                    size_t why_size)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        if (!streq (zconfig_name (child), "severity"))
            continue;
        Gridcase__Severity severity = gc_severity_from_name (zconfig_value (child));
        if (!severity) {
            snprintf (why, why_size, "severity '%s' is not red, yellow or green",
                      zconfig_value (child));
            return -1;
        }
        for (int level = from; level <= to; level++)
            if (s_window_apply (&self->window[level][severity], child, why, why_size))
                return -1;
    }
    return 0;
}

int
gc_windows_apply (gc_windows_t *self, zconfig_t *node, char *why, size_t why_size)
{
    //  General severity rules first; the grid keeps its own meaning (the
    //  officer's time to settle), so a general rule reaches it only through
    //  "level = grid"
    if (s_severities_apply (self, node, GRIDCASE__LEVEL__LEVEL_COMMUNITY, GC_LEVELS - 1, why,
                            why_size))
        return -1;
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        if (!streq (zconfig_name (child), "level"))
            continue;
        Gridcase__Level level = gc_level_from_name (zconfig_value (child));
        if (!level) {
            snprintf (why, why_size,
                      "level '%s' is not grid, community, street, district, department or "
                      "supervision",
                      zconfig_value (child));
            return -1;
        }
        if (s_severities_apply (self, child, level, level, why, why_size))
            return -1;
    }
    return 0;
}
