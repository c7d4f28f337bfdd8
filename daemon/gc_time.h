/*  gc_time - the city's time: the daemon's clock, the city's time zone,
    local days, dates, periods and durations. Dates and periods are the
    city's: the daemon runs in the city's zone (TZ), whatever the machine. */
#ifndef GC_TIME_H_INCLUDED
#define GC_TIME_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The daemon's clock, UTC milliseconds. With a time scale N > 1 it runs N
//  times faster than the wall clock from the moment the scale is set.
void gc_clock_set_scale (double scale);
double gc_clock_scale (void);
//  The wall-clock moment the scaled clock started from; setting an earlier
//  origin continues a scaled timeline across a restart
int64_t gc_clock_origin (void);
void gc_clock_set_origin (int64_t origin);
int64_t gc_clock_now (void);
//  The wall clock, UTC milliseconds, whatever the time scale: for what must
//  last in real time (the idempotency window)
int64_t gc_clock_wall (void);
//  The city's time zone, as replies name it for clients ("" until set)
void gc_city_set_zone (const char *zone);
const char *gc_city_zone (void);
//  The local date (process time zone, TZ) of a UTC millisecond time: YYYYMMDD
uint32_t gc_local_day (int64_t ms);
//  A local day: its date (YYYYMMDD), weekday (0 = Sunday) and the UTC
//  millisecond times of its midnight and the next
typedef struct {
    uint32_t day;
    int wday;
    int64_t start, end;
} gc_localday_t;
//  The local day MS falls in (remembered per thread, so cheap when repeated)
void gc_localday (int64_t ms, gc_localday_t *out);
//  The UTC millisecond time of MINUTE minutes past midnight of local DAY
//  (on wall clocks: a day the clocks change on is asked of the zone)
int64_t gc_localday_minute (const gc_localday_t *day, int minute);
//  True if DAY (YYYYMMDD) is a real date
bool gc_day_valid (uint32_t day);
//  The UTC millisecond time of local midnight at the start of DAY
int64_t gc_day_start (uint32_t day);
//  The date after DAY
uint32_t gc_day_next (uint32_t day);
//  DAY moved by DAYS (negative: back); calendar dates, no time zone
uint32_t gc_day_add (uint32_t day, int days);
//  "2026-11-22" -> 20261122; 0 when not a real date
uint32_t gc_date_parse (const char *text);
//  The ISO week DAY is in: "2026-W47"
void gc_day_week (uint32_t day, char *out, size_t size);
//  A period as people write it, the days FROM..TO (both included):
//  "2026-11-01..2026-11-30", "2026-11-22", "2026-11", "2026-W47", or
//  relative to TODAY: "today", "yesterday", "this-week", "last-week",
//  "this-month", "last-month". False when TEXT is none of these.
bool gc_period_parse (const char *text, uint32_t today, uint32_t *from, uint32_t *to);
//  "2026-11-25T18:00" or "2026-11-25 18:00" in the process's time zone (the
//  daemon's: the city's) -> UTC ms; -1 when not such a time
int64_t gc_local_time_parse (const char *text);
//  MS on the city's clock for people: "2026-11-25 18:00" (OUT, returned)
const char *gc_local_time_text (int64_t ms, char *out, size_t size);
//  Parses "90s", "15m", "4h", "3d", "1h30m" into milliseconds; -1 if not a
//  duration (the config and the CLI read durations the same way)
int64_t gc_parse_duration (const char *text);
//  Formats milliseconds as "1d 2h", "15 min", ... for messages to people
const char *gc_duration_text (int64_t ms, char *buffer, size_t size);
#endif
