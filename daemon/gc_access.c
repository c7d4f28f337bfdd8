/*  gc_access - who may do and see what. See gc_access.h. */
#include "gc_access.h"
#include "gc_holder.h"
#include "gc_util.h"

bool
gc_actor_covers (const gc_actor_t *actor, const char *grid, const char *community,
                 const char *street, const char *district)
{
    switch (actor->role) {
        case GRIDCASE__ROLE__ROLE_OFFICER:
            for (size_t i = 0; i < actor->grids; i++)
                if (streq (actor->grid[i]->id, grid))
                    return true;
            return false;
        case GRIDCASE__ROLE__ROLE_COMMITTEE:
            return streq (actor->community->id, community);
        case GRIDCASE__ROLE__ROLE_STREET:
            return streq (actor->street->id, street);
        case GRIDCASE__ROLE__ROLE_SUPERVISOR:
            return actor->district ? streq (actor->district->id, district)
                                   : streq (actor->street->id, street);
        case GRIDCASE__ROLE__ROLE_ADMIN:
            return true;
        case GRIDCASE__ROLE__ROLE_INTAKE:
            //  Where it takes reports: its community, street or district
            return actor->community  ? streq (actor->community->id, community)
                   : actor->street   ? streq (actor->street->id, street)
                   : actor->district ? streq (actor->district->id, district)
                                     : false;
        default:
            return false;
    }
}

//  An intake reads what it reported, nothing else
static bool
s_reported_by (const gc_actor_t *actor, const char *reporter)
{
    return actor->role == GRIDCASE__ROLE__ROLE_INTAKE && reporter && streq (reporter, actor->id);
}

bool
gc_actor_sees_case (const gc_actor_t *actor, const Gridcase__Case *kase)
{
    //  A gateway's own reads are public (the reply leaves out what is
    //  personal: gc_reply_public)
    if (actor->role == GRIDCASE__ROLE__ROLE_GATEWAY)
        return true;
    if (actor->role == GRIDCASE__ROLE__ROLE_INTAKE)
        return s_reported_by (actor, kase->reporter ? kase->reporter->id : NULL);
    if (actor->role != GRIDCASE__ROLE__ROLE_WORKER)
        return gc_actor_covers (actor, kase->grid, kase->community, kase->street, kase->district);
    //  Its queue, or it led the case once it was dispatched, or it helps
    const char *id = actor->department->id;
    gc_holder_t queue = gc_holder_of (kase->queue);
    if ((streq (kase->lead_department, id) && kase->dept_since) ||
        (queue.kind == GC_HOLDER_DEPT && streq (queue.id, id)))
        return true;
    for (size_t i = 0; i < kase->n_helper_departments; i++)
        if (streq (kase->helper_departments[i], id))
            return true;
    return false;
}

bool
gc_actor_sees_queue (gc_config_t *self, const gc_actor_t *actor, const char *queue)
{
    //  How deep a queue is tells nothing personal: a gateway shows every
    //  depth in its metrics
    if (actor->role == GRIDCASE__ROLE__ROLE_ADMIN || actor->role == GRIDCASE__ROLE__ROLE_GATEWAY ||
        (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district))
        return true;
    gc_holder_t holder = gc_holder_of (queue);
    const char *id = holder.id;
    if (holder.kind == GC_HOLDER_DEPT)
        return actor->role == GRIDCASE__ROLE__ROLE_WORKER && streq (actor->department->id, id);
    if (holder.kind == GC_HOLDER_COMMITTEE) {
        gc_community_t *community = gc_config_community (self, id);
        return community && gc_actor_covers (actor, "", id, community->street->id,
                                             community->street->district->id);
    }
    if (holder.kind == GC_HOLDER_STREET) {
        gc_street_t *street = gc_config_street (self, id);
        return street && gc_actor_covers (actor, "", "", id, street->district->id);
    }
    return false; //  district and supervision queues: the district's supervisors
}

bool
gc_actor_sees_entry (const gc_actor_t *actor, const Gridcase__JournalEntry *entry)
{
    if (actor->role == GRIDCASE__ROLE__ROLE_GATEWAY)
        return true;
    if (actor->role == GRIDCASE__ROLE__ROLE_INTAKE)
        return s_reported_by (actor, entry->reporter);
    if (actor->role != GRIDCASE__ROLE__ROLE_WORKER)
        return gc_actor_covers (actor, entry->grid, entry->community, entry->street,
                                entry->district);
    for (size_t i = 0; i < entry->n_departments; i++)
        if (streq (entry->departments[i], actor->department->id))
            return true;
    return false;
}

//  The actor works queue QUEUE of this case
bool
gc_actor_works_queue (const gc_actor_t *actor, const char *queue, const Gridcase__Case *kase)
{
    gc_holder_t holder = gc_holder_of (queue);
    switch (actor->role) {
        case GRIDCASE__ROLE__ROLE_COMMITTEE:
            return holder.kind == GC_HOLDER_COMMITTEE && streq (holder.id, actor->community->id);
        case GRIDCASE__ROLE__ROLE_STREET:
            return holder.kind == GC_HOLDER_STREET && streq (holder.id, actor->street->id);
        case GRIDCASE__ROLE__ROLE_WORKER:
            return holder.kind == GC_HOLDER_DEPT && streq (holder.id, actor->department->id);
        case GRIDCASE__ROLE__ROLE_SUPERVISOR:
            //  A district supervisor works the district's queues; either kind
            //  may step in for a committee or street queue in their area
            if (holder.kind == GC_HOLDER_DISTRICT || holder.kind == GC_HOLDER_SUPERVISION)
                return actor->district && streq (holder.id, actor->district->id);
            return (holder.kind == GC_HOLDER_COMMITTEE || holder.kind == GC_HOLDER_STREET) &&
                   (!kase || gc_actor_sees_case (actor, kase));
        default:
            return false;
    }
}
