/*  gc_topics - the topics notices go out on, and who may follow them. A
    subscription is a prefix: an actor may follow it when every topic of the
    city that starts with it carries only cases the actor may read. */
#ifndef GC_TOPICS_H_INCLUDED
#define GC_TOPICS_H_INCLUDED

#include "gc_config.h"

//  True if ACTOR may subscribe to PREFIX (some topic starts with it, and
//  every topic that does is within the actor's scope); ACTOR NULL: anyone,
//  so PREFIX needs only to reach some topic of the city
bool gc_topics_may_follow (gc_config_t *config, const gc_actor_t *actor, const char *prefix);
//  True if notices go out on TOPIC (exactly this name)
bool gc_topics_known (gc_config_t *config, const char *topic);
//  True if NAME is a queue of the city (grid/, committee/, street/,
//  district/, supervision/ or dept/ and a known id)
bool gc_topics_is_queue (gc_config_t *config, const char *name);

#endif
