/*  gc_ladder - the ladder a case climbs. See gc_ladder.h. */
#include "gc_ladder.h"
#include "gc_util.h"

//  The service hours that count for a case held by QUEUE
const gc_calendar_t *
gc_ladder_calendar (gc_config_t *config, const Gridcase__Case *kase, const char *queue)
{
    const gc_calendar_t *calendar = config->policy.severity_calendar[kase->severity];
    if (calendar)
        return calendar;
    gc_holder_t holder = gc_holder_of (queue);
    const gc_calendar_t *found = NULL;
    switch (holder.kind) {
        case GC_HOLDER_GRID: {
            gc_grid_t *grid = gc_config_grid (config, holder.id);
            found = grid ? grid->calendar : NULL;
            break;
        }
        case GC_HOLDER_COMMITTEE: {
            gc_community_t *community = gc_config_community (config, holder.id);
            found = community ? community->calendar : NULL;
            break;
        }
        case GC_HOLDER_STREET: {
            gc_street_t *street = gc_config_street (config, holder.id);
            found = street ? street->calendar : NULL;
            break;
        }
        case GC_HOLDER_DISTRICT:
        case GC_HOLDER_SUPERVISION: {
            gc_district_t *district = gc_config_district (config, holder.id);
            found = district ? district->calendar : NULL;
            break;
        }
        case GC_HOLDER_DEPT: {
            gc_department_t *department = gc_config_department (config, holder.id);
            found = department ? department->calendar : NULL;
            break;
        }
        default:
            break;
    }
    return found ? found : config->policy.calendar;
}

gc_window_t
gc_ladder_window (gc_config_t *config, const Gridcase__Case *kase, Gridcase__Level level)
{
    gc_category_t *category = gc_config_category (config, kase->category);
    if (!category) {
        //  A category removed from the config: its cases keep the general rules
        return config->policy.windows.window[level][kase->severity];
    }
    return category->windows.window[level][kase->severity];
}

int64_t
gc_ladder_due (gc_config_t *config, const Gridcase__Case *kase, const char *queue, int64_t start,
               int64_t duration)
{
    return duration > 0
               ? gc_calendar_due (gc_ladder_calendar (config, kase, queue), start, duration)
               : 0;
}

//  The queue one step up the ladder from LEVEL for this case
Gridcase__Level
gc_ladder_next (const Gridcase__Case *kase, char *queue)
{
    switch (kase->level) {
        case GRIDCASE__LEVEL__LEVEL_GRID:
            gc_holder_name (queue, GC_HOLDER_COMMITTEE, kase->community);
            return GRIDCASE__LEVEL__LEVEL_COMMUNITY;
        case GRIDCASE__LEVEL__LEVEL_COMMUNITY:
            gc_holder_name (queue, GC_HOLDER_STREET, kase->street);
            return GRIDCASE__LEVEL__LEVEL_STREET;
        case GRIDCASE__LEVEL__LEVEL_STREET:
        case GRIDCASE__LEVEL__LEVEL_SUPERVISION:
            gc_holder_name (queue, GC_HOLDER_DISTRICT, kase->district);
            return GRIDCASE__LEVEL__LEVEL_DISTRICT;
        default:
            return GRIDCASE__LEVEL__LEVEL_UNSPECIFIED; //  district: the top; department:
                                                       //  supervision
    }
}
