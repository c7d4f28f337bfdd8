/*  gridcase-gateway's own metrics: HTTP requests by route and status, and
    how long they took, shown in the Prometheus text exposition format
    (version 0.0.4, which OpenMetrics readers take too). Debian has no C
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

void
gw_metrics (gw_reply_t *reply)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
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
