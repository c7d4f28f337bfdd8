/*  gridcase-gateway's routes: which endpoint a request is for, in which
    format. See gateway.h. */
#include "gateway.h"

#include <string.h>

#define GW_URL_MAX 2048

const char *
gw_route (gw_t *self, const char *method, const char *url, gw_reply_t *reply)
{
    if (strcmp (url, "/metrics") == 0 && strcmp (method, "GET") == 0) {
        gw_metrics (reply);
        return "metrics";
    }
    static const char prefix[] = "/open311/v2/";
    char path[GW_URL_MAX];
    gw_format_t format = GW_JSON;
    const char *route = "unknown";
    if (strncmp (url, prefix, sizeof (prefix) - 1) == 0 &&
        strlen (url) < sizeof (path) + sizeof (prefix)) {
        snprintf (path, sizeof (path), "%s", url + sizeof (prefix) - 1);
        char *dot = strrchr (path, '.');
        bool known = dot && (strcmp (dot, ".json") == 0 || strcmp (dot, ".xml") == 0);
        if (known) {
            format = strcmp (dot, ".xml") == 0 ? GW_XML : GW_JSON;
            *dot = 0;
            if (gw_open311 (self, method, path, format, reply)) {
                char *slash = strchr (path, '/');
                if (slash)
                    *slash = 0;
                return strcmp (path, "discovery") == 0  ? "discovery"
                       : strcmp (path, "services") == 0 ? (slash ? "service" : "services")
                       : strcmp (path, "tokens") == 0   ? "tokens"
                                                        : "open311";
            }
        } else if (dot) {
            gw_error (reply, 400, GW_JSON, "the format is .json or .xml");
            return route;
        }
    }
    gw_error (reply, 404, format,
              "no such endpoint (GET /open311/v2/discovery.json lists them; /metrics)");
    return route;
}
