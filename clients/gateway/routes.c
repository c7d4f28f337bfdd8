/*  gridcase-gateway's routes: which endpoint a request is for, in which
    format. See gateway.h. */
#include "gateway.h"
#include "gc_util.h"

#include <string.h>

#define GW_URL_MAX 2048

//  The route a request to PATH (below /open311/v2/, no extension) is counted
//  under
static const char *
s_open311_route (const char *method, const char *path)
{
    if (strcmp (path, "discovery") == 0)
        return "discovery";
    if (strcmp (path, "services") == 0)
        return "services";
    if (strncmp (path, "services/", 9) == 0)
        return "service";
    if (strncmp (path, "tokens/", 7) == 0)
        return "tokens";
    if (strcmp (path, "requests") == 0)
        return strcmp (method, "POST") == 0 ? "post_requests" : "requests";
    if (strncmp (path, "requests/", 9) == 0)
        return "request";
    if (strcmp (path, "servicerequestupdates") == 0)
        return "updates";
    return "open311";
}

const char *
gw_route (gw_t *self, const gw_request_t *request, gw_reply_t *reply)
{
    const char *url = request->url, *method = request->method;
    if (strcmp (url, "/metrics") == 0 && strcmp (method, "GET") == 0) {
        gw_metrics (self, reply);
        return "metrics";
    }
    if (gw_web (self, request, reply))
        return strncmp (url, "/api/", 5) == 0      ? "api"
               : strncmp (url, "/static/", 8) == 0 ? "static"
                                                   : "page";
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
            //  Parameters first: too many, or not UTF-8, is a bad request
            //  whatever the endpoint
            bool text = !request->too_many;
            for (size_t i = 0; text && i < request->args; i++)
                text = gc_utf8_valid (request->arg[i].name, strlen (request->arg[i].name)) &&
                       gc_utf8_valid (request->arg[i].value, strlen (request->arg[i].value));
            if (!text) {
                gw_error (reply, 400, format,
                          request->too_many ? "too many parameters (at most 64)"
                                            : "a parameter is not UTF-8 text");
                return s_open311_route (method, path);
            }
            if (gw_open311 (self, request, path, format, reply))
                return s_open311_route (method, path);
        } else if (dot) {
            gw_error (reply, 400, GW_JSON, "the format is .json or .xml");
            return route;
        }
    }
    gw_error (reply, 404, format,
              "no such endpoint (GET /open311/v2/discovery.json lists them; /metrics)");
    return route;
}
