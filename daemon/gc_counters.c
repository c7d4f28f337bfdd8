/*  gc_counters - the daemon's counters reply. See gc_counters.h. */
#include "gc_counters.h"
#include "gc_chain.h"
#include "gc_access.h"
#include "gc_figures.h"
#include "gc_query.h"
#include "gc_util.h"

typedef struct {
    gc_config_t *config;
    const gc_actor_t *actor; //  who asks: only the queues it may see
    Gridcase__Counter *counters;
    size_t count, size;
    bool failed; //  out of memory
} depths_t;

static void
s_depth (const char *queue, uint64_t depth, void *arg)
{
    depths_t *depths = (depths_t *)arg;
    if (depths->failed || !gc_actor_sees_queue (depths->config, depths->actor, queue))
        return;
    if (depths->count == depths->size) {
        size_t size = depths->size ? depths->size * 2 : 64;
        Gridcase__Counter *grown =
            (Gridcase__Counter *)realloc (depths->counters, size * sizeof (Gridcase__Counter));
        if (!grown) {
            depths->failed = true;
            return;
        }
        depths->counters = grown;
        depths->size = size;
    }
    Gridcase__Counter *counter = &depths->counters[depths->count];
    gridcase__counter__init (counter);
    counter->name = (char *)malloc (strlen (queue) + 7);
    if (!counter->name) {
        depths->failed = true;
        return;
    }
    gc_join (counter->name, strlen (queue) + 7, "queue", ' ', queue);
    counter->value = depth;
    depths->count++;
}

void
gc_counters_reply (gc_config_t *config, gc_store_t *store, const Gridcase__Request *request,
                   const char **names, const uint64_t *values, size_t count, gc_reply_t *out)
{
    const gc_actor_t *actor = gc_query_actor (config, request, out);
    if (!actor)
        return;
    depths_t depths = {config, actor, NULL, 0, 0, false};
    size_t fixed = count + 2;
    Gridcase__Counter *counters = (Gridcase__Counter *)calloc (fixed, sizeof (Gridcase__Counter));
    for (size_t i = 0; counters && i < count; i++) {
        gridcase__counter__init (&counters[i]);
        counters[i].name = (char *)names[i];
        counters[i].value = values[i];
    }
    gc_txn_t *txn = gc_txn_begin (store, false);
    if (counters) {
        gridcase__counter__init (&counters[count]);
        counters[count].name = "map_size";
        counters[count].value = gc_store_map_size (store);
        gridcase__counter__init (&counters[count + 1]);
        counters[count + 1].name = "journal_last";
        counters[count + 1].value = txn ? gc_chain_last (txn) : 0;
    }
    if (txn)
        gc_figures_queues (txn, s_depth, &depths);
    gc_txn_abort (&txn);
    Gridcase__Counter **pointers =
        (Gridcase__Counter **)calloc (fixed + depths.count, sizeof (Gridcase__Counter *));
    if (!counters || !pointers || depths.failed)
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for the counters; try again");
    else {
        for (size_t i = 0; i < fixed; i++)
            pointers[i] = &counters[i];
        for (size_t i = 0; i < depths.count; i++)
            pointers[fixed + i] = &depths.counters[i];
        Gridcase__StatsReply stats = GRIDCASE__STATS_REPLY__INIT;
        stats.n_counters = fixed + depths.count;
        stats.counters = pointers;
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_STATS;
        reply.stats = &stats;
        gc_reply_pack (out, request, &reply);
    }
    for (size_t i = 0; i < depths.count; i++)
        free (depths.counters[i].name);
    free (depths.counters);
    free (pointers);
    free (counters);
}
