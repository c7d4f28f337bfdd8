/*  gc_counters - the daemon's counters reply, and the counts kept for it
    from any thread (relaxed atomics: no thread ever waits on another for
    them). See gc_counters.h. */
#include "gc_counters.h"
#include "gc_chain.h"
#include "gc_access.h"
#include "gc_figures.h"
#include "gc_query.h"
#include "gc_util.h"
#include "gridcase.h"

#define OPS 64   //  Request op cases are below this
#define CODES 32 //  ... and error codes
static uint64_t s_answered[OPS][CODES];

//  Requests per commit, and how long a commit took (seconds)
static const uint64_t s_batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
#define BATCH_BOUNDS (sizeof (s_batch_bounds) / sizeof (s_batch_bounds[0]))
static const char *s_latency_bounds[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                         "0.025",  "0.05",  "0.1",    "0.25",  "1"};
static const int64_t s_latency_us[] = {500,   1000,  2500,   5000,   10000,
                                       25000, 50000, 100000, 250000, 1000000};
#define LATENCY_BOUNDS (sizeof (s_latency_us) / sizeof (s_latency_us[0]))
static uint64_t s_batch[BATCH_BOUNDS + 1], s_batch_count, s_batch_sum;
static uint64_t s_latency[LATENCY_BOUNDS + 1], s_latency_count, s_latency_sum_us;
static uint64_t s_escalations;

static void
s_add (uint64_t *counter, uint64_t value)
{
    __atomic_add_fetch (counter, value, __ATOMIC_RELAXED);
}

static uint64_t
s_get (const uint64_t *counter)
{
    return __atomic_load_n (counter, __ATOMIC_RELAXED);
}

void
gc_counters_answered (int op, int code)
{
    if (op >= 0 && op < OPS && code >= 0 && code < CODES)
        s_add (&s_answered[op][code], 1);
}

void
gc_counters_commit (size_t requests, int64_t usecs)
{
    size_t b = 0;
    while (b < BATCH_BOUNDS && requests > s_batch_bounds[b])
        b++;
    s_add (&s_batch[b], 1);
    s_add (&s_batch_count, 1);
    s_add (&s_batch_sum, requests);
    size_t l = 0;
    while (l < LATENCY_BOUNDS && usecs > s_latency_us[l])
        l++;
    s_add (&s_latency[l], 1);
    s_add (&s_latency_count, 1);
    s_add (&s_latency_sum_us, (uint64_t)(usecs > 0 ? usecs : 0));
}

void
gc_counters_escalated (void)
{
    s_add (&s_escalations, 1);
}

//  The counters of a reply, grown as they come; names owned
typedef struct {
    gc_config_t *config;
    const gc_actor_t *actor; //  who asks: only the queues it may see
    Gridcase__Counter *counters;
    size_t count, size;
    bool failed; //  out of memory
} list_t;

static void
s_push (list_t *list, const char *name, uint64_t value)
{
    if (list->failed)
        return;
    if (list->count == list->size) {
        size_t size = list->size ? list->size * 2 : 64;
        Gridcase__Counter *grown =
            (Gridcase__Counter *)realloc (list->counters, size * sizeof (Gridcase__Counter));
        if (!grown) {
            list->failed = true;
            return;
        }
        list->counters = grown;
        list->size = size;
    }
    Gridcase__Counter *counter = &list->counters[list->count];
    gridcase__counter__init (counter);
    counter->name = strdup (name);
    if (!counter->name) {
        list->failed = true;
        return;
    }
    counter->value = value;
    list->count++;
}

static void
s_depth (const char *queue, const Gridcase__Figures *gauges, void *arg)
{
    list_t *list = (list_t *)arg;
    if (!gc_actor_sees_queue (list->config, list->actor, queue))
        return;
    char name[GC_FIGURES_KEY_MAX + 8];
    gc_join (name, sizeof (name), "queue", ' ', queue);
    s_push (list, name, gauges->open_now);
}

static void
s_level (const char *level, const Gridcase__Figures *gauges, void *arg)
{
    list_t *list = (list_t *)arg;
    char name[GC_FIGURES_KEY_MAX + 8];
    gc_join (name, sizeof (name), "open", ' ', level);
    s_push (list, name, gauges->open_now);
    gc_join (name, sizeof (name), "overdue", ' ', level);
    s_push (list, name, gauges->overdue_now);
}

//  What is counted across the whole city: for those who see all of it
static void
s_city_counts (list_t *list)
{
    char name[96];
    for (int op = 0; op < OPS; op++)
        for (int code = 0; code < CODES; code++) {
            uint64_t count = s_get (&s_answered[op][code]);
            if (!count)
                continue;
            const char *op_name = "undecoded";
            if (op) {
                Gridcase__Request request = GRIDCASE__REQUEST__INIT;
                request.op_case = (Gridcase__Request__OpCase)op;
                op_name = gridcase_op_name (&request);
            }
            snprintf (name, sizeof (name), "answered %s %s", op_name,
                      code ? gridcase_error_name ((Gridcase__ErrorCode)code) : "ok");
            s_push (list, name, count);
        }
    uint64_t cumulative = 0;
    for (size_t b = 0; b < BATCH_BOUNDS; b++) {
        cumulative += s_get (&s_batch[b]);
        snprintf (name, sizeof (name), "commit_batch_le %llu",
                  (unsigned long long)s_batch_bounds[b]);
        s_push (list, name, cumulative);
    }
    s_push (list, "commit_batch_count", s_get (&s_batch_count));
    s_push (list, "commit_batch_sum", s_get (&s_batch_sum));
    cumulative = 0;
    for (size_t l = 0; l < LATENCY_BOUNDS; l++) {
        cumulative += s_get (&s_latency[l]);
        snprintf (name, sizeof (name), "commit_seconds_le %s", s_latency_bounds[l]);
        s_push (list, name, cumulative);
    }
    s_push (list, "commit_seconds_count", s_get (&s_latency_count));
    s_push (list, "commit_microseconds_sum", s_get (&s_latency_sum_us));
    s_push (list, "escalations", s_get (&s_escalations));
}

void
gc_counters_reply (gc_config_t *config, gc_store_t *store, const Gridcase__Request *request,
                   const char **names, const uint64_t *values, size_t count, gc_reply_t *out)
{
    const gc_actor_t *actor = gc_query_actor (config, request, out);
    if (!actor)
        return;
    list_t list = {config, actor, NULL, 0, 0, false};
    for (size_t i = 0; i < count; i++)
        s_push (&list, names[i], values[i]);
    s_push (&list, "map_size", gc_store_map_size (store));
    s_push (&list, "map_used", gc_store_map_used (store));
    gc_txn_t *txn = gc_txn_begin (store, false);
    s_push (&list, "journal_last", txn ? gc_chain_last (txn) : 0);
    bool city = actor->role == GRIDCASE__ROLE__ROLE_ADMIN ||
                actor->role == GRIDCASE__ROLE__ROLE_GATEWAY ||
                (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district);
    if (city)
        s_city_counts (&list);
    if (txn) {
        gc_figures_gauges (txn, "queue", s_depth, &list);
        if (city)
            gc_figures_gauges (txn, "level", s_level, &list);
    }
    gc_txn_abort (&txn);
    Gridcase__Counter **pointers =
        (Gridcase__Counter **)calloc (list.count ? list.count : 1, sizeof (Gridcase__Counter *));
    if (!pointers || list.failed)
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for the counters; try again");
    else {
        for (size_t i = 0; i < list.count; i++)
            pointers[i] = &list.counters[i];
        Gridcase__StatsReply stats = GRIDCASE__STATS_REPLY__INIT;
        stats.n_counters = list.count;
        stats.counters = pointers;
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_STATS;
        reply.stats = &stats;
        gc_reply_pack (out, request, &reply);
    }
    for (size_t i = 0; i < list.count; i++)
        free (list.counters[i].name);
    free (list.counters);
    free (pointers);
}
