/*  gc_ladder - the ladder a case climbs: grid officer -> committee ->
    street -> district (the top), and a department's queue -> supervision ->
    district; how long each holder has (the deadline windows of the case's
    category, level and severity) and which hours count (the calendar of the
    queue, or of the severity). */
#ifndef GC_LADDER_H_INCLUDED
#define GC_LADDER_H_INCLUDED

#include "gc_config.h"
#include "gc_holder.h"

//  The service hours that count for CASE held by QUEUE: its severity's
//  calendar if the rules give one, else the queue's (each place and
//  department inherits from above), else rules/calendar
const gc_calendar_t *gc_ladder_calendar (gc_config_t *config, const Gridcase__Case *kase,
                                         const char *queue);
//  How long the holder of CASE has at LEVEL: the category's windows (the
//  general rules for a category no longer in the config)
gc_window_t gc_ladder_window (gc_config_t *config, const Gridcase__Case *kase,
                              Gridcase__Level level);
//  START plus DURATION of QUEUE's service hours for CASE; 0 for no duration
int64_t gc_ladder_due (gc_config_t *config, const Gridcase__Case *kase, const char *queue,
                       int64_t start, int64_t duration);
//  The next step up for CASE: its level, and its queue in QUEUE
//  (GC_HOLDER_MAX); unspecified at the top (the district) and for a
//  department (whose missed window flags the case for supervision instead)
Gridcase__Level gc_ladder_next (const Gridcase__Case *kase, char *queue);

#endif
