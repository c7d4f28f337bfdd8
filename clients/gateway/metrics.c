/*  gridcase-gateway's metrics in the Prometheus text exposition format
    (version 0.0.4, which OpenMetrics readers take too): the daemon's
    counters, map size and queue depths (a stats read without a period, as
    the gateway, which sees every queue), and the gateway's own: HTTP
    requests by route and status, and how long they took. Debian has no C
    library for the format; it is a few lines of text. See gateway.h. */
#include "gateway.h"

#include <stdio.h>
#include <string.h>

#define GW_SERIES_MAX 64
static const double s_bounds[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
#define GW_BOUNDS (sizeof (s_bounds) / sizeof (s_bounds[0]))

typedef struct {
    char route[32];
    unsigned status;
    uint64_t count;
} series_t;

typedef struct {
    char route[32];
    uint64_t buckets[GW_BOUNDS]; //  at most each bound (cumulative when shown)
    uint64_t count;
    double sum;
} latency_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static series_t s_series[GW_SERIES_MAX];
static size_t s_series_count;
static latency_t s_latency[GW_SERIES_MAX];
static size_t s_latency_count;

void
gw_metrics_count (const char *route, unsigned status, double seconds)
{
    pthread_mutex_lock (&s_lock);
    series_t *series = NULL;
    for (size_t i = 0; i < s_series_count && !series; i++)
        if (s_series[i].status == status && strcmp (s_series[i].route, route) == 0)
            series = &s_series[i];
    if (!series && s_series_count < GW_SERIES_MAX) {
        series = &s_series[s_series_count++];
        snprintf (series->route, sizeof (series->route), "%s", route);
        series->status = status;
    }
    if (series)
        series->count++;
    latency_t *latency = NULL;
    for (size_t i = 0; i < s_latency_count && !latency; i++)
        if (strcmp (s_latency[i].route, route) == 0)
            latency = &s_latency[i];
    if (!latency && s_latency_count < GW_SERIES_MAX) {
        latency = &s_latency[s_latency_count++];
        snprintf (latency->route, sizeof (latency->route), "%s", route);
    }
    if (latency) {
        for (size_t b = 0; b < GW_BOUNDS; b++)
            if (seconds <= s_bounds[b]) {
                latency->buckets[b]++;
                break;
            }
        latency->count++;
        latency->sum += seconds;
    }
    pthread_mutex_unlock (&s_lock);
}

//  The daemon's: gridcase_NAME_total for a counter, gauges for the map's
//  size, the journal's last seq and each queue's depth
static void
s_daemon_metrics (gw_t *self, FILE *out)
{
    Gridcase__Request call = GRIDCASE__REQUEST__INIT;
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    call.op_case = GRIDCASE__REQUEST__OP_STATS;
    call.stats = &stats;
    Gridcase__Reply *answer = NULL;
    int rc = self->call (self, &call, NULL, &answer);
    bool up = rc == GRIDCASE_OK && answer->stats;
    fprintf (out,
             "# HELP gridcase_up 1 when the daemon answered the gateway's stats read\n"
             "# TYPE gridcase_up gauge\ngridcase_up %d\n",
             up ? 1 : 0);
    bool queues = false;
    for (size_t i = 0; up && i < answer->stats->n_counters; i++) {
        const Gridcase__Counter *counter = answer->stats->counters[i];
        const char *name = counter->name;
        unsigned long long value = (unsigned long long)counter->value;
        if (strncmp (name, "queue ", 6) == 0) {
            if (!queues)
                fprintf (out, "# HELP gridcase_queue_depth cases waiting in a queue\n"
                              "# TYPE gridcase_queue_depth gauge\n");
            queues = true;
            fprintf (out, "gridcase_queue_depth{queue=\"%s\"} %llu\n", name + 6, value);
        } else if (strcmp (name, "map_size") == 0)
            fprintf (out,
                     "# HELP gridcase_map_size_bytes the store's map size\n"
                     "# TYPE gridcase_map_size_bytes gauge\ngridcase_map_size_bytes %llu\n",
                     value);
        else if (strcmp (name, "map_used") == 0)
            fprintf (out,
                     "# HELP gridcase_map_used_bytes bytes of the map in use\n"
                     "# TYPE gridcase_map_used_bytes gauge\ngridcase_map_used_bytes %llu\n",
                     value);
        else if (strcmp (name, "journal_last") == 0)
            fprintf (out,
                     "# HELP gridcase_journal_last_seq the journal's newest entry\n"
                     "# TYPE gridcase_journal_last_seq gauge\n"
                     "gridcase_journal_last_seq %llu\n",
                     value);
        else if (strspn (name, "abcdefghijklmnopqrstuvwxyz_0123456789") == strlen (name))
            fprintf (out, "# TYPE gridcase_%s_total counter\ngridcase_%s_total %llu\n", name, name,
                     value);
    }
    if (answer)
        gridcase__reply__free_unpacked (answer, NULL);
}

void
gw_metrics (gw_t *self, gw_reply_t *reply)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    s_daemon_metrics (self, out);
    pthread_mutex_lock (&s_lock);
    fprintf (out, "# HELP gridcase_gateway_http_requests_total HTTP requests answered, by route "
                  "and status\n# TYPE gridcase_gateway_http_requests_total counter\n");
    for (size_t i = 0; i < s_series_count; i++)
        fprintf (out, "gridcase_gateway_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                 s_series[i].route, s_series[i].status, (unsigned long long)s_series[i].count);
    fprintf (out, "# HELP gridcase_gateway_http_request_seconds how long HTTP requests took, by "
                  "route\n# TYPE gridcase_gateway_http_request_seconds histogram\n");
    for (size_t i = 0; i < s_latency_count; i++) {
        uint64_t cumulative = 0;
        for (size_t b = 0; b < GW_BOUNDS; b++) {
            cumulative += s_latency[i].buckets[b];
            fprintf (out,
                     "gridcase_gateway_http_request_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                     s_latency[i].route, s_bounds[b], (unsigned long long)cumulative);
        }
        fprintf (out,
                 "gridcase_gateway_http_request_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
                 "gridcase_gateway_http_request_seconds_sum{route=\"%s\"} %.6f\n"
                 "gridcase_gateway_http_request_seconds_count{route=\"%s\"} %llu\n",
                 s_latency[i].route, (unsigned long long)s_latency[i].count, s_latency[i].route,
                 s_latency[i].sum, s_latency[i].route, (unsigned long long)s_latency[i].count);
    }
    pthread_mutex_unlock (&s_lock);
    fclose (out);
    reply->status = 200;
    reply->body = text;
    reply->size = size;
    reply->type = "text/plain; version=0.0.4; charset=utf-8";
}
