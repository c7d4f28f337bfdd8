/*  gc_rules - how long each party has: deadline windows per severity, level
    and category, and service-hours calendars that say which hours count. */
#ifndef GC_RULES_H_INCLUDED
#define GC_RULES_H_INCLUDED

#include "gc_util.h"
#include "gc_zpl.h"
#include "gridcase.pb-c.h"
#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define GC_LEVELS 7     //  Level enum values 0..6
#define GC_SEVERITIES 4 //  Severity enum values 0..3

//  How long the holder of a case has at one level: to take it (response)
//  and to settle it (resolution). Milliseconds of service time; 0: none.
typedef struct {
    int64_t response;
    int64_t resolution;
} gc_window_t;

//  A deadline table: one window per level and severity
typedef struct {
    gc_window_t window[GC_LEVELS][GC_SEVERITIES];
} gc_windows_t;

//  Service hours. "always" counts every hour of every day.
typedef struct {
    char *id;
    bool always;
    uint8_t days;    //  bit 0 Sunday .. bit 6 Saturday
    size_t spans;    //  opening spans per day, in order: as many as a day holds
    int *span_start; //  minutes after local midnight
    int *span_end;
    size_t holidays;   //  no limit but memory
    uint32_t *holiday; //  YYYYMMDD, local dates closed all day, sorted
} gc_calendar_t;

//  Parses a calendar node (days, hours, holidays: the last on as many lines
//  as it takes); NULL with the mistake reported through ZPL
gc_calendar_t *gc_calendar_new (zconfig_t *node, gc_zpl_t *zpl);
//  The round-the-clock calendar
gc_calendar_t *gc_calendar_always (void);
void gc_calendar_destroy (gc_calendar_t **self_p);

//  The moment DURATION of service time has passed after START (UTC ms),
//  counting only the calendar's open hours in the process's time zone.
int64_t gc_calendar_due (const gc_calendar_t *self, int64_t start, int64_t duration);

//  The built-in windows: red 15 min / 4 h, yellow 2 h / 3 d, green 24 h / 7 d;
//  at the grid the officer has the response time to settle it on the spot.
void gc_windows_default (gc_windows_t *self);
//  Applies the overrides under NODE: "severity = S" children with response
//  and resolution, and "level = L" children holding such severity children.
//  Returns 0, or -1 with the mistake reported through ZPL.
int gc_windows_apply (gc_windows_t *self, zconfig_t *node, gc_zpl_t *zpl);

//  "red" -> SEVERITY_RED; SEVERITY_UNSPECIFIED when unknown
Gridcase__Severity gc_severity_from_name (const char *name);
//  "grid" -> LEVEL_GRID; 0 when unknown
Gridcase__Level gc_level_from_name (const char *name);

#endif
