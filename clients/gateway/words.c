/*  gridcase-gateway's words: where a case is, said so that a resident who
    called the hotline understands it (Open311 status_notes), and the
    mySociety extended status of each step. Names come from the city's
    config: "海虹社区 Haihong Community", never "committee/haihong". See
    gateway.h. */
#include "gateway.h"
#include "gc_holder.h"

#include <string.h>
#include <time.h>

void
gw_iso_time (int64_t ms, char *out, size_t size)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r (&seconds, &tm);
    char zone[8];
    strftime (out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime (zone, sizeof (zone), "%z", &tm);
    size_t at = strlen (out);
    snprintf (out + at, size - at, "%.3s:%.2s", zone, zone + 3);
}

//  The name of place or department ID of KIND, its id when it has none
static const char *
s_name (gc_config_t *city, gc_holder_kind_t kind, const char *id)
{
    const char *name = NULL;
    if (kind == GC_HOLDER_GRID) {
        gc_grid_t *grid = gc_config_grid (city, id);
        name = grid ? grid->name : NULL;
    } else if (kind == GC_HOLDER_COMMITTEE) {
        gc_community_t *community = gc_config_community (city, id);
        name = community ? community->name : NULL;
    } else if (kind == GC_HOLDER_STREET) {
        gc_street_t *street = gc_config_street (city, id);
        name = street ? street->name : NULL;
    } else if (kind == GC_HOLDER_DISTRICT || kind == GC_HOLDER_SUPERVISION) {
        gc_district_t *district = gc_config_district (city, id);
        name = district ? district->name : NULL;
    } else if (kind == GC_HOLDER_DEPT) {
        gc_department_t *department = gc_config_department (city, id);
        name = department ? department->name : NULL;
    }
    return name && *name ? name : id;
}

void
gw_words_holder (gc_config_t *city, const char *holder, char *out, size_t size)
{
    gc_holder_t of = gc_holder_of (holder);
    const char *name = s_name (city, of.kind, of.id);
    switch (of.kind) {
        case GC_HOLDER_GRID:
            snprintf (out, size, "the grid officer of %s", name);
            break;
        case GC_HOLDER_COMMITTEE:
            snprintf (out, size, "the committee of %s", name);
            break;
        case GC_HOLDER_STREET:
            snprintf (out, size, "the office of %s", name);
            break;
        case GC_HOLDER_DISTRICT:
            snprintf (out, size, "the command centre of %s", name);
            break;
        case GC_HOLDER_SUPERVISION:
            snprintf (out, size, "the supervisors of %s", name);
            break;
        case GC_HOLDER_DEPT:
            snprintf (out, size, "%s", name);
            break;
        case GC_HOLDER_ACTOR:
            snprintf (out, size, "a worker");
            break;
        default:
            snprintf (out, size, "nobody yet");
            break;
    }
}

const char *
gw_words_agency (gc_config_t *city, const Gridcase__Case *kase)
{
    if (*kase->lead_department) {
        gc_department_t *department = gc_config_department (city, kase->lead_department);
        if (department)
            return department->name && *department->name ? department->name : department->id;
    }
    gc_district_t *district = gc_config_district (city, kase->district);
    return district && district->name && *district->name ? district->name : kase->district;
}

void
gw_words_status (gc_config_t *city, const Gridcase__Case *kase, char *out, size_t size)
{
    char holder[300];
    gw_words_holder (city, kase->holder, holder, sizeof (holder));
    const char *agency = gw_words_agency (city, kase);
    switch (kase->state) {
        case GRIDCASE__STATE__STATE_AT_GRID:
            snprintf (out, size, "with %s, who settles it on the spot or passes it on", holder);
            break;
        case GRIDCASE__STATE__STATE_QUEUED:
            snprintf (out, size, "waiting with %s%s", holder,
                      kase->paused ? " (its deadline paused on approval)" : "");
            break;
        case GRIDCASE__STATE__STATE_CLAIMED:
            snprintf (out, size, "taken by a worker of %s", agency);
            break;
        case GRIDCASE__STATE__STATE_IN_PROGRESS:
            snprintf (out, size, "being worked on by %s", agency);
            break;
        case GRIDCASE__STATE__STATE_RESOLVED:
            snprintf (out, size,
                      "resolved by %s; waiting for the grid officer to verify it on site", agency);
            break;
        case GRIDCASE__STATE__STATE_VERIFIED:
            snprintf (out, size,
                      "resolved and verified on site; waiting for the resident's rating");
            break;
        case GRIDCASE__STATE__STATE_CLOSED:
            if (*kase->duplicate_of)
                snprintf (out, size, "closed: the same as request %s", kase->duplicate_of);
            else if (kase->rating)
                snprintf (out, size, "closed; the resident rated it %u of 5", kase->rating);
            else
                snprintf (out, size, "closed");
            break;
        default:
            snprintf (out, size, "received");
            break;
    }
}

const char *
gw_words_update_status (Gridcase__EventType type, Gridcase__State state)
{
    switch (type) {
        case GRIDCASE__EVENT_TYPE__EVENT_REPORTED:
            return "open";
        case GRIDCASE__EVENT_TYPE__EVENT_ESCALATED:
        case GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED:
        case GRIDCASE__EVENT_TYPE__EVENT_ARBITRATED:
            return "internal_referral";
        case GRIDCASE__EVENT_TYPE__EVENT_CLAIMED:
        case GRIDCASE__EVENT_TYPE__EVENT_EXTENSION_REQUESTED:
        case GRIDCASE__EVENT_TYPE__EVENT_PARKING_REQUESTED:
        case GRIDCASE__EVENT_TYPE__EVENT_APPROVED:
            return "action_scheduled";
        case GRIDCASE__EVENT_TYPE__EVENT_ACCEPTED:
        case GRIDCASE__EVENT_TYPE__EVENT_RENEWED:
        case GRIDCASE__EVENT_TYPE__EVENT_RESUMED:
        case GRIDCASE__EVENT_TYPE__EVENT_REJECTED:
            return "in_progress";
        case GRIDCASE__EVENT_TYPE__EVENT_BOUNCED:
            return "not_councils_responsibility";
        case GRIDCASE__EVENT_TYPE__EVENT_REGRADED:
        case GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION:
        case GRIDCASE__EVENT_TYPE__EVENT_OVERDUE:
            return "investigating";
        case GRIDCASE__EVENT_TYPE__EVENT_RESOLVED_ON_SITE:
        case GRIDCASE__EVENT_TYPE__EVENT_RESOLVED:
        case GRIDCASE__EVENT_TYPE__EVENT_VERIFIED:
            return "fixed";
        case GRIDCASE__EVENT_TYPE__EVENT_REWORK:
        case GRIDCASE__EVENT_TYPE__EVENT_REOPENED:
            return "reopen";
        case GRIDCASE__EVENT_TYPE__EVENT_LINKED:
            return "duplicate";
        case GRIDCASE__EVENT_TYPE__EVENT_EVALUATED:
        case GRIDCASE__EVENT_TYPE__EVENT_CLOSED:
            return "closed";
        default:
            //  A note, a lease that ran out, a release: the case goes on
            return state == GRIDCASE__STATE__STATE_CLOSED        ? "closed"
                   : state == GRIDCASE__STATE__STATE_IN_PROGRESS ? "in_progress"
                                                                 : "open";
    }
}
