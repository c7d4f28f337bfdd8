/*  gc_rules - deadline windows and service-hours calendars. See gc_rules.h. */
#include "gc_rules.h"
#include "gc_util.h"

#include <time.h>

#define MINUTE_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MINUTE_MS)
#define DAY_MS (24 * HOUR_MS)

//  A calendar walk gives up after this many days (a calendar always has
//  open hours, so only an absurd duration gets this far)
#define GC_CALENDAR_DAYS_MAX 3660

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

//  The next item of a list separated by spaces or commas ("" at its end)
static const char *
s_next_item (const char *p)
{
    return p + strspn (p, " ,");
}

//  "mon-fri sat" -> bits
static int
s_parse_days (const char *text, uint8_t *days)
{
    *days = 0;
    for (const char *p = s_next_item (text); *p; p = s_next_item (p)) {
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

//  "08:30-12:00 14:00-17:30": NULL, or what is wrong
static const char *
s_parse_hours (gc_calendar_t *self, const char *text)
{
    for (const char *p = s_next_item (text); *p; p = s_next_item (p)) {
        int start, end;
        if (strlen (p) < 11 || p[5] != '-' || s_parse_clock (p, &start) ||
            s_parse_clock (p + 6, &end) || (p[11] && p[11] != ' ' && p[11] != ','))
            return "hours are spans like '08:30-12:00 14:00-17:30'";
        if (end <= start)
            return "a span ends after it starts (up to 24:00)";
        if (self->spans && start < self->span_end[self->spans - 1])
            return "spans come in order and do not overlap";
        self->span_start = (int *)realloc (self->span_start, (self->spans + 1) * sizeof (int));
        self->span_end = (int *)realloc (self->span_end, (self->spans + 1) * sizeof (int));
        self->span_start[self->spans] = start;
        self->span_end[self->spans] = end;
        self->spans++;
        p += 11;
    }
    return self->spans ? NULL : "hours are spans like '08:30-12:00 14:00-17:30'";
}

//  "2026-10-01 2026-10-02": NULL, or what is wrong, with the date in BAD
static const char *
s_parse_holidays (gc_calendar_t *self, const char *text, char bad[16])
{
    for (const char *p = s_next_item (text); *p; p = s_next_item (p)) {
        size_t length = strcspn (p, " ,");
        snprintf (bad, 16, "%.*s", (int)(length < 15 ? length : 15), p);
        int y, m, d, n = 0;
        if (sscanf (p, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || length != 10 ||
            y < 1970 || !gc_day_valid ((uint32_t)(y * 10000 + m * 100 + d)))
            return "a holiday is a real date like 2026-10-01";
        self->holiday =
            (uint32_t *)realloc (self->holiday, (self->holidays + 1) * sizeof (uint32_t));
        self->holiday[self->holidays++] = (uint32_t)(y * 10000 + m * 100 + d);
        p += 10;
    }
    return NULL;
}

static int
s_day_order (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

gc_calendar_t *
gc_calendar_new (zconfig_t *node, gc_zpl_t *zpl)
{
    gc_calendar_t *self = (gc_calendar_t *)zmalloc (sizeof (gc_calendar_t));
    self->id = strdup (zconfig_value (node));
    zconfig_t *days = gc_zpl_child (node, "days");
    zconfig_t *hours = gc_zpl_child (node, "hours");
    const char *fault = NULL;
    if (s_parse_days (days ? zconfig_value (days) : "mon-fri", &self->days))
        gc_zpl_error (zpl, days, "calendar '%s': days are like 'mon-fri sat'", self->id);
    else if (!hours)
        gc_zpl_error (zpl, node, "calendar '%s' has no hours (like '08:30-12:00 14:00-17:30')",
                      self->id);
    else if ((fault = s_parse_hours (self, zconfig_value (hours))))
        gc_zpl_error (zpl, hours, "calendar '%s': %s", self->id, fault);
    else {
        //  Holidays may take as many lines as the city needs
        for (zconfig_t *line = zconfig_child (node); line && !fault; line = zconfig_next (line)) {
            char bad[16] = "";
            if (streq (zconfig_name (line), "holidays") &&
                (fault = s_parse_holidays (self, zconfig_value (line), bad)))
                gc_zpl_error (zpl, line, "calendar '%s': '%s': %s", self->id, bad, fault);
        }
        if (!fault) {
            if (self->holidays)
                qsort (self->holiday, self->holidays, sizeof (uint32_t), s_day_order);
            return self;
        }
    }
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
        free (self->span_start);
        free (self->span_end);
        free (self->holiday);
        free (self);
        *self_p = NULL;
    }
}

static bool
s_open_on (const gc_calendar_t *self, const gc_localday_t *day)
{
    return (self->days & (1 << day->wday)) &&
           !(self->holidays &&
             bsearch (&day->day, self->holiday, self->holidays, sizeof (uint32_t), s_day_order));
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

Gridcase__Severity
gc_severity_from_name (const char *name)
{
    if (streq (name, "red"))
        return GRIDCASE__SEVERITY__SEVERITY_RED;
    if (streq (name, "yellow"))
        return GRIDCASE__SEVERITY__SEVERITY_YELLOW;
    if (streq (name, "green"))
        return GRIDCASE__SEVERITY__SEVERITY_GREEN;
    return GRIDCASE__SEVERITY__SEVERITY_UNSPECIFIED;
}

//  Reads response/resolution under a severity node into WINDOW
static int
s_window_apply (gc_window_t *window, zconfig_t *node, gc_zpl_t *zpl)
{
    const char *names[] = {"response", "resolution"};
    int64_t *fields[] = {&window->response, &window->resolution};
    for (int i = 0; i < 2; i++) {
        zconfig_t *item = gc_zpl_child (node, names[i]);
        if (!item)
            continue;
        int64_t ms = gc_parse_duration (zconfig_value (item));
        if (ms <= 0) {
            gc_zpl_error (zpl, item, "%s '%s' is not a duration like 15m, 4h or 3d", names[i],
                          zconfig_value (item));
            return -1;
        }
        *fields[i] = ms;
    }
    return 0;
}

//  Applies the "severity = S" children of NODE to levels FROM..TO
static int
s_severities_apply (gc_windows_t *self, zconfig_t *node, int from, int to, gc_zpl_t *zpl)
{
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        if (!streq (zconfig_name (child), "severity"))
            continue;
        Gridcase__Severity severity = gc_severity_from_name (zconfig_value (child));
        if (!severity) {
            gc_zpl_error (zpl, child, "severity '%s' is not red, yellow or green",
                          zconfig_value (child));
            return -1;
        }
        for (int level = from; level <= to; level++)
            if (s_window_apply (&self->window[level][severity], child, zpl))
                return -1;
    }
    return 0;
}

int
gc_windows_apply (gc_windows_t *self, zconfig_t *node, gc_zpl_t *zpl)
{
    //  General severity rules first; the grid keeps its own meaning (the
    //  officer's time to settle), so a general rule reaches it only through
    //  "level = grid"
    if (s_severities_apply (self, node, GRIDCASE__LEVEL__LEVEL_COMMUNITY, GC_LEVELS - 1, zpl))
        return -1;
    for (zconfig_t *child = zconfig_child (node); child; child = zconfig_next (child)) {
        if (!streq (zconfig_name (child), "level"))
            continue;
        Gridcase__Level level = gc_level_from_name (zconfig_value (child));
        if (!level) {
            gc_zpl_error (zpl, child,
                          "level '%s' is not grid, community, street, district, department or "
                          "supervision",
                          zconfig_value (child));
            return -1;
        }
        if (s_severities_apply (self, child, level, level, zpl))
            return -1;
    }
    return 0;
}
