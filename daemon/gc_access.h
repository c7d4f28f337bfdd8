/*  gc_access - authorisation in one room: who may see and act on what,
    asked the same way by the writes (the lifecycle's scope rules) and the
    reads (lists, the journal, the figures, queue depths, subscriptions). An
    actor's area is its grids, community, street or district; a worker's is
    its department's cases. */
#ifndef GC_ACCESS_H_INCLUDED
#define GC_ACCESS_H_INCLUDED

#include "gc_config.h"

//  The actor's area holds this place; finer levels may be "" (a community:
//  grid ""). A worker's area is its department, so this is false for it.
bool gc_actor_covers (const gc_actor_t *actor, const char *grid, const char *community,
                      const char *street, const char *district);
//  The actor may see the case: it is in the actor's area, or for a worker it
//  concerns the worker's department (in its queue, dispatched to it as lead,
//  or helped by it)
bool gc_actor_sees_case (const gc_actor_t *actor, const Gridcase__Case *kase);
//  The actor may see how deep QUEUE is: a queue of its area, a worker its
//  department's; the admin and a district supervisor every queue
bool gc_actor_sees_queue (gc_config_t *self, const gc_actor_t *actor, const char *queue);
//  The actor may see the journal entry (by the place and departments it names)
bool gc_actor_sees_entry (const gc_actor_t *actor, const Gridcase__JournalEntry *entry);
//  The actor works QUEUE (claims from it, dispatches and resolves what is
//  in it): a committee its community's, a street office its street's, a
//  worker its department's, a district supervisor the district's and
//  supervision queues; a supervisor may step in for a committee or street
//  queue in their area (CASE NULL: any case of it)
bool gc_actor_works_queue (const gc_actor_t *actor, const char *queue, const Gridcase__Case *kase);

#endif
