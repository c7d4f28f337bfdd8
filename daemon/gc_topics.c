/*  gc_topics - who may follow which notices. See gc_topics.h.

    Topics (see the README's protocol): grid/<grid>, committee/<community>,
    street/<street>, district/<district>, supervision/<district>,
    dept/<department>, officer/<officer>, log, and log/<area or department
    key> (log/community/haihong, log/dept/gas). */
#include "gc_topics.h"
#include "gc_access.h"
#include "gc_util.h"

#include <czmq.h>

//  The actor may read every notice on TOPIC
static bool
s_readable (gc_config_t *config, const gc_actor_t *actor, const char *topic)
{
    if (!actor || actor->role == GRIDCASE__ROLE__ROLE_ADMIN ||
        (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district))
        return true;
    const char *id;
    if (gc_prefixed (topic, "log/", &id))
        topic = id; //  an area or department key
    else if (streq (topic, "log"))
        return false;
    if (gc_prefixed (topic, "dept/", &id))
        return actor->role == GRIDCASE__ROLE__ROLE_WORKER && streq (actor->department->id, id);
    if (gc_prefixed (topic, "officer/", &id))
        return actor->role == GRIDCASE__ROLE__ROLE_OFFICER && streq (actor->id, id);
    if (gc_prefixed (topic, "supervision/", NULL) || gc_prefixed (topic, "district/", NULL))
        return false;
    //  grid/, committee/ (its community), street/, community/ (a log key)
    char area_name[160];
    if (gc_prefixed (topic, "committee/", &id))
        gc_join (area_name, sizeof (area_name), "community", '/', id);
    else
        gc_copy (area_name, sizeof (area_name), topic);
    gc_area_t area;
    return gc_config_area (config, area_name, &area) &&
           gc_actor_covers (actor, area.grid, area.community, area.street, area.district);
}

typedef struct {
    gc_config_t *config;
    const gc_actor_t *actor;
    const char *prefix;
    bool exact; //  the topic itself, not every topic it starts
    size_t matched;
    bool refused;
} walk_t;

static void
s_topic (walk_t *walk, const char *kind, const char *id)
{
    char topic[200];
    if (id)
        gc_join (topic, sizeof (topic), kind, '/', id);
    else
        gc_copy (topic, sizeof (topic), kind);
    if (walk->exact ? !streq (topic, walk->prefix)
                    : strncmp (topic, walk->prefix, strlen (walk->prefix)) != 0)
        return;
    walk->matched++;
    if (!s_readable (walk->config, walk->actor, topic))
        walk->refused = true;
}

static bool s_walk (walk_t *walk);

bool
gc_topics_may_follow (gc_config_t *config, const gc_actor_t *actor, const char *prefix)
{
    //  A gateway follows for the people signed in to it, each in their scope
    if (actor && actor->role == GRIDCASE__ROLE__ROLE_GATEWAY)
        return true;
    walk_t walk = {config, actor, prefix, false, 0, false};
    return s_walk (&walk);
}

bool
gc_topics_known (gc_config_t *config, const char *topic)
{
    walk_t walk = {config, NULL, topic, true, 0, false};
    return s_walk (&walk);
}

bool
gc_topics_is_queue (gc_config_t *config, const char *name)
{
    return !gc_prefixed (name, "log", NULL) && !gc_prefixed (name, "officer/", NULL) &&
           gc_topics_known (config, name);
}

static bool
s_walk (walk_t *walk)
{
    gc_config_t *config = walk->config;
    //  Each kind's queue topic, then its log topic
    static const char *topics[GC_KIND_COUNT][3] = {
        [GC_KIND_DISTRICT] = {"district", "supervision", "log/district"},
        [GC_KIND_STREET] = {"street", "log/street", NULL},
        [GC_KIND_COMMUNITY] = {"committee", "log/community", NULL},
        [GC_KIND_GRID] = {"grid", "log/grid", NULL},
        [GC_KIND_DEPARTMENT] = {"dept", "log/dept", NULL},
    };
    s_topic (walk, "log", NULL);
    for (int kind = 0; kind < GC_KIND_COUNT && !walk->refused; kind++) {
        const gc_list_t *list = gc_config_list (config, (gc_kind_t)kind);
        for (size_t i = 0; i < list->count && !walk->refused; i++) {
            //  Every place and department starts with its id
            const char *id = *(char *const *)list->items[i];
            for (int t = 0; t < 3 && topics[kind][t]; t++)
                s_topic (walk, topics[kind][t], id);
            if (kind == GC_KIND_GRID) {
                const gc_grid_t *grid = (const gc_grid_t *)list->items[i];
                const gc_crew_t *crew = gc_grid_crew (grid);
                for (size_t k = 0; k < crew->count; k++)
                    s_topic (walk, "officer", crew->officer[k]->id);
            }
        }
    }
    return walk->matched > 0 && !walk->refused;
}
