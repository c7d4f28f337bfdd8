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

//  A family of the daemon's counters named "PREFIX LABEL" ("queue dept/gas",
//  "open grid"), shown as METRIC{LABEL_NAME="LABEL"}; all its samples
//  together, as the format wants
static void
s_family (FILE *out, const Gridcase__StatsReply *stats, const char *prefix, const char *metric,
          const char *label_name, const char *type, const char *help)
{
    size_t len = strlen (prefix);
    bool shown = false;
    for (size_t i = 0; i < stats->n_counters; i++) {
        const char *name = stats->counters[i]->name;
        if (strncmp (name, prefix, len) != 0 || name[len] != ' ' || strchr (name + len + 1, '"') ||
            strchr (name + len + 1, '\\'))
            continue;
        if (!shown)
            fprintf (out, "# HELP %s %s\n# TYPE %s %s\n", metric, help, metric, type);
        shown = true;
        fprintf (out, "%s{%s=\"%s\"} %llu\n", metric, label_name, name + len + 1,
                 (unsigned long long)stats->counters[i]->value);
    }
}

//  Requests answered by operation and outcome: "answered report ok"
static void
s_answered (FILE *out, const Gridcase__StatsReply *stats)
{
    bool shown = false;
    for (size_t i = 0; i < stats->n_counters; i++) {
        char op[64], outcome[64];
        if (sscanf (stats->counters[i]->name, "answered %63s %63s", op, outcome) != 2)
            continue;
        if (!shown)
            fprintf (out, "# HELP gridcase_requests_answered_total requests answered, by operation "
                          "and outcome (ok, or the error)\n"
                          "# TYPE gridcase_requests_answered_total counter\n");
        shown = true;
        fprintf (out, "gridcase_requests_answered_total{op=\"%s\",outcome=\"%s\"} %llu\n", op,
                 outcome, (unsigned long long)stats->counters[i]->value);
    }
}

//  A histogram the daemon sends as "NAME_le BOUND" counts (cumulative), then
//  NAME_count and a sum
static void
s_histogram (FILE *out, const Gridcase__StatsReply *stats, const char *name, const char *metric,
             const char *sum_name, double sum_scale, const char *help)
{
    char prefix[64];
    snprintf (prefix, sizeof (prefix), "%s_le ", name);
    unsigned long long count = 0;
    double sum = 0;
    bool shown = false;
    for (size_t i = 0; i < stats->n_counters; i++) {
        const char *counter = stats->counters[i]->name;
        unsigned long long value = (unsigned long long)stats->counters[i]->value;
        if (strncmp (counter, prefix, strlen (prefix)) == 0) {
            if (!shown)
                fprintf (out, "# HELP %s %s\n# TYPE %s histogram\n", metric, help, metric);
            shown = true;
            fprintf (out, "%s_bucket{le=\"%s\"} %llu\n", metric, counter + strlen (prefix), value);
        } else if (strncmp (counter, name, strlen (name)) == 0 &&
                   strcmp (counter + strlen (name), "_count") == 0)
            count = value;
        else if (strcmp (counter, sum_name) == 0)
            sum = (double)value * sum_scale;
    }
    if (shown)
        fprintf (out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %g\n%s_count %llu\n", metric, count,
                 metric, sum, metric, count);
}

static bool
s_is (const char *name, const char *const *names)
{
    for (; *names; names++)
        if (strcmp (name, *names) == 0)
            return true;
    return false;
}

//  The daemon's: its counters, gauges, histograms and families (a stats
//  read without a period, as the gateway, which sees the whole city)
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
    if (!up) {
        if (answer)
            gridcase__reply__free_unpacked (answer, NULL);
        return;
    }
    const Gridcase__StatsReply *reply = answer->stats;
    static const char *const gauges[] = {"map_size",    "map_used",          "journal_last",
                                         "connections", "clients_in_flight", NULL};
    static const char *const units[] = {"_bytes", "_bytes", "_seq", "", "", NULL};
    for (size_t i = 0; i < reply->n_counters; i++) {
        const char *name = reply->counters[i]->name;
        unsigned long long value = (unsigned long long)reply->counters[i]->value;
        if (strspn (name, "abcdefghijklmnopqrstuvwxyz_0123456789") != strlen (name) ||
            strncmp (name, "commit_", 7) == 0)
            continue; //  a family, a histogram: below
        if (s_is (name, gauges)) {
            size_t g = 0;
            while (strcmp (gauges[g], name) != 0)
                g++;
            fprintf (out, "# TYPE gridcase_%s%s gauge\ngridcase_%s%s %llu\n", name, units[g], name,
                     units[g], value);
        } else
            fprintf (out, "# TYPE gridcase_%s_total counter\ngridcase_%s_total %llu\n", name, name,
                     value);
    }
    s_answered (out, reply);
    s_histogram (out, reply, "commit_batch", "gridcase_commit_batch_requests", "commit_batch_sum",
                 1, "requests committed together in one write transaction");
    s_histogram (out, reply, "commit_seconds", "gridcase_commit_seconds", "commit_microseconds_sum",
                 1e-6, "how long a write transaction took");
    s_family (out, reply, "queue", "gridcase_queue_depth", "queue", "gauge",
              "cases waiting in a queue");
    s_family (out, reply, "open", "gridcase_cases_open", "level", "gauge",
              "cases not closed, by where they are on the ladder");
    s_family (out, reply, "overdue", "gridcase_cases_overdue", "level", "gauge",
              "open cases past a deadline with nowhere to climb, or flagged, by level");
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
