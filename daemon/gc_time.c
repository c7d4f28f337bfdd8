/*  gc_time - the city's time: the daemon's clock (scaled for demos), the
    city's time zone, local days and their minutes, dates, weeks and
    periods as people write them, and durations. See gc_time.h. */
#include "gc_time.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

//  --------------------------------------------------------------------------
//  Clock

static double s_scale = 1.0;
static int64_t s_scale_origin = 0;

static int64_t
s_wall_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
gc_clock_set_scale (double scale)
{
    s_scale = scale > 0 ? scale : 1.0;
    s_scale_origin = s_wall_ms ();
}

void
gc_clock_set_origin (int64_t origin)
{
    s_scale_origin = origin;
}

int64_t
gc_clock_origin (void)
{
    return s_scale_origin;
}

double
gc_clock_scale (void)
{
    return s_scale;
}

int64_t
gc_clock_wall (void)
{
    return s_wall_ms ();
}

int64_t
gc_clock_now (void)
{
    int64_t wall = s_wall_ms ();
    if (s_scale == 1.0)
        return wall;
    return s_scale_origin + (int64_t)((double)(wall - s_scale_origin) * s_scale);
}

//  localtime_r and mktime are slow (past its zone file's last transition
//  glibc parses the zone's rule again on every call): each thread remembers
//  the local days it worked out, two per UTC day (a UTC day touches two
//  local days), so a deadline's walk over the coming weeks finds them again
#define LOCALDAYS 64
#define DAY_MS ((int64_t)24 * 3600 * 1000)

void
gc_localday (int64_t ms, gc_localday_t *out)
{
    static __thread gc_localday_t cache[LOCALDAYS][2];
    static __thread uint8_t turn[LOCALDAYS];
    int64_t utc_day = ms / DAY_MS - (ms % DAY_MS < 0);
    size_t slot = (size_t)((uint64_t)utc_day % LOCALDAYS);
    for (int way = 0; way < 2; way++)
        if (ms >= cache[slot][way].start && ms < cache[slot][way].end) {
            *out = cache[slot][way];
            return;
        }
    gc_localday_t *day = &cache[slot][turn[slot]++ & 1];
    time_t seconds = (time_t)(ms / 1000 - (ms % 1000 < 0));
    struct tm tm;
    localtime_r (&seconds, &tm);
    day->day = (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
    day->wday = tm.tm_wday;
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    day->start = (int64_t)mktime (&tm) * 1000;
    tm.tm_mday++;
    tm.tm_isdst = -1;
    day->end = (int64_t)mktime (&tm) * 1000;
    *out = *day;
}

int64_t
gc_localday_minute (const gc_localday_t *day, int minute)
{
    if (day->end - day->start == DAY_MS)
        return day->start + (int64_t)minute * 60000;
    //  A day the clocks change on: ask the zone
    struct tm tm = {0};
    tm.tm_year = (int)(day->day / 10000) - 1900;
    tm.tm_mon = (int)(day->day / 100 % 100) - 1;
    tm.tm_mday = (int)(day->day % 100);
    tm.tm_hour = minute / 60;
    tm.tm_min = minute % 60;
    tm.tm_isdst = -1;
    return (int64_t)mktime (&tm) * 1000;
}

uint32_t
gc_local_day (int64_t ms)
{
    gc_localday_t day;
    gc_localday (ms, &day);
    return day.day;
}

bool
gc_day_valid (uint32_t day)
{
    int year = (int)(day / 10000), month = (int)(day / 100 % 100), mday = (int)(day % 100);
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || mday < 1)
        return false;
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mday <= days[month - 1] + (month == 2 && leap);
}

int64_t
gc_day_start (uint32_t day)
{
    struct tm tm = {0};
    tm.tm_year = (int)(day / 10000) - 1900;
    tm.tm_mon = (int)(day / 100 % 100) - 1;
    tm.tm_mday = (int)(day % 100);
    tm.tm_isdst = -1;
    return (int64_t)mktime (&tm) * 1000;
}

uint32_t
gc_day_next (uint32_t day)
{
    return gc_day_add (day, 1); //  calendar arithmetic: no time zone, no clock change
}

//  --------------------------------------------------------------------------
//  Dates and periods: calendar arithmetic on YYYYMMDD needs no time zone

//  Days since 1970-01-01 of DAY, and back
static int64_t
s_day_number (uint32_t day)
{
    struct tm tm = {0};
    tm.tm_year = (int)(day / 10000) - 1900;
    tm.tm_mon = (int)(day / 100 % 100) - 1;
    tm.tm_mday = (int)(day % 100);
    tm.tm_hour = 12;
    return (int64_t)timegm (&tm) / 86400;
}

static uint32_t
s_day_of_number (int64_t number)
{
    time_t t = (time_t)(number * 86400 + 43200);
    struct tm tm;
    gmtime_r (&t, &tm);
    return (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

uint32_t
gc_day_add (uint32_t day, int days)
{
    return s_day_of_number (s_day_number (day) + days);
}

uint32_t
gc_date_parse (const char *text)
{
    int year, month, day, used = 0;
    if (sscanf (text, "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3 || text[used] || used != 10)
        return 0;
    uint32_t date = (uint32_t)(year * 10000 + month * 100 + day);
    return gc_day_valid (date) ? date : 0;
}

//  Monday of ISO week WEEK of YEAR; 0 when the year has no such week
static uint32_t
s_week_monday (int year, int week)
{
    //  4 January is always in week 1
    int64_t jan4 = s_day_number ((uint32_t)(year * 10000 + 104));
    int64_t monday1 = jan4 - (jan4 + 3) % 7; //  day 0 (1970-01-01) was a Thursday
    int64_t next_jan4 = s_day_number ((uint32_t)((year + 1) * 10000 + 104));
    int64_t next_monday1 = next_jan4 - (next_jan4 + 3) % 7;
    int64_t monday = monday1 + (int64_t)(week - 1) * 7;
    return week >= 1 && monday < next_monday1 ? s_day_of_number (monday) : 0;
}

void
gc_day_week (uint32_t day, char *out, size_t size)
{
    int64_t number = s_day_number (day);
    int64_t thursday = number - (number + 3) % 7 + 3; //  the week's Thursday decides its year
    uint32_t date = s_day_of_number (thursday);
    int year = (int)(date / 10000);
    int64_t monday1 = s_day_number (s_week_monday (year, 1));
    snprintf (out, size, "%04d-W%02d", year, (int)((number - monday1) / 7 + 1));
}

bool
gc_period_parse (const char *text, uint32_t today, uint32_t *from, uint32_t *to)
{
    int64_t monday = s_day_number (today) - (s_day_number (today) + 3) % 7;
    uint32_t first = today / 100 * 100 + 1;
    if (!strcmp (text, "today"))
        *from = *to = today;
    else if (!strcmp (text, "yesterday"))
        *from = *to = gc_day_add (today, -1);
    else if (!strcmp (text, "this-week"))
        *from = s_day_of_number (monday), *to = s_day_of_number (monday + 6);
    else if (!strcmp (text, "last-week"))
        *from = s_day_of_number (monday - 7), *to = s_day_of_number (monday - 1);
    else if (!strcmp (text, "this-month"))
        *from = first, *to = gc_day_add (gc_day_add (first, 31) / 100 * 100 + 1, -1);
    else if (!strcmp (text, "last-month"))
        *to = gc_day_add (first, -1), *from = *to / 100 * 100 + 1;
    else if (strstr (text, "..")) {
        const char *dots = strstr (text, "..");
        char head[16];
        if ((size_t)(dots - text) >= sizeof (head))
            return false;
        snprintf (head, sizeof (head), "%.*s", (int)(dots - text), text);
        *from = gc_date_parse (head);
        *to = gc_date_parse (dots + 2);
        return *from && *to && *from <= *to;
    } else if (strchr (text, 'W')) {
        int year, week, used = 0;
        if (sscanf (text, "%4d-W%2d%n", &year, &week, &used) != 2 || text[used] || used != 8 ||
            year < 1970 || year > 9998)
            return false;
        *from = s_week_monday (year, week);
        *to = *from ? gc_day_add (*from, 6) : 0;
    } else {
        int year, month, used = 0;
        if (sscanf (text, "%4d-%2d%n", &year, &month, &used) == 2 && !text[used] && used == 7 &&
            month >= 1 && month <= 12 && year >= 1970 && year <= 9999) {
            *from = (uint32_t)(year * 10000 + month * 100 + 1);
            *to = gc_day_add (gc_day_add (*from, 31) / 100 * 100 + 1, -1);
        } else
            *from = *to = gc_date_parse (text);
    }
    return *from != 0 && *to != 0;
}

int64_t
gc_local_time_parse (const char *text)
{
    struct tm tm = {0};
    const char *end = strptime (text, "%Y-%m-%dT%H:%M", &tm);
    if (!end || *end) {
        memset (&tm, 0, sizeof (tm));
        end = strptime (text, "%Y-%m-%d %H:%M", &tm);
    }
    if (!end || *end || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999)
        return -1;
    tm.tm_isdst = -1;
    return (int64_t)mktime (&tm) * 1000;
}

static char s_city_zone[64];

void
gc_city_set_zone (const char *zone)
{
    snprintf (s_city_zone, sizeof (s_city_zone), "%s", zone);
}

const char *
gc_city_zone (void)
{
    return s_city_zone;
}

//  --------------------------------------------------------------------------
//  Durations

#define MINUTE_MS ((int64_t)60 * 1000)
#define HOUR_MS (60 * MINUTE_MS)

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

const char *
gc_local_time_text (int64_t ms, char *out, size_t size)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r (&seconds, &tm);
    strftime (out, size, "%Y-%m-%d %H:%M", &tm);
    return out;
}
