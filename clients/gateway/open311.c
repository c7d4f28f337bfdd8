/*  gridcase-gateway's Open311 GeoReport v2 endpoints. See gateway.h.

    discovery    what this server offers
    services     one service per category of the city
    services/ID  a service's definition (no extra attributes: every
                 service is realtime)
    tokens/ID    404: realtime services answer with a request id at once
    requests, requests/ID, servicerequestupdates: requests.c */
#include "gateway.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void
s_discovery (gw_t *self, gw_format_t format, gw_reply_t *reply)
{
    struct stat info;
    char changed[40], url[512];
    gw_iso_time ((int64_t)(stat (self->city->file, &info) == 0 ? info.st_mtime : time (NULL)) *
                     1000,
                 changed, sizeof (changed));
    snprintf (url, sizeof (url), "%s/open311/v2", self->base_url);
    json_t *formats = json_pack ("[s, s]", "application/json", "text/xml");
    json_t *endpoint = json_pack ("{s:s, s:s, s:s, s:s, s:o}", "specification",
                                  "http://wiki.open311.org/GeoReport_v2", "url", url, "changeset",
                                  changed, "type", "production", "formats", formats);
    json_t *discovery =
        json_pack ("{s:s, s:s, s:s, s:[o]}", "changeset", changed, "contact",
                   "the district's grid-governance command centre", "key_service",
                   "api keys are given by the command centre's operator", "endpoints", endpoint);
    gw_document (reply, 200, format, "discovery", discovery);
}

//  The service of CATEGORY: its code, name, the department it goes to
static json_t *
s_service (gc_category_t *category)
{
    const char *group = category->department ? category->department->name : "district";
    char description[512];
    snprintf (description, sizeof (description),
              "%s: handled by %s; %s cases come first to the grid officer", category->name, group,
              gridcase_severity_name (category->severity));
    return json_pack ("{s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "service_code", category->id,
                      "service_name", category->name, "description", description, "metadata", 0,
                      "type", "realtime", "keywords", gridcase_severity_name (category->severity),
                      "group", group);
}

static void
s_services (gw_t *self, gw_format_t format, gw_reply_t *reply)
{
    json_t *services = json_array ();
    zlistx_t *codes = zhashx_keys (self->city->categories);
    zlistx_set_comparator (codes, (zlistx_comparator_fn *)strcmp);
    zlistx_sort (codes);
    for (const char *code = (const char *)zlistx_first (codes); code;
         code = (const char *)zlistx_next (codes))
        json_array_append_new (services, s_service (gc_config_category (self->city, code)));
    zlistx_destroy (&codes);
    gw_document (reply, 200, format, "services", services);
}

static void
s_service_definition (gw_t *self, const char *code, gw_format_t format, gw_reply_t *reply)
{
    gc_category_t *category = gc_config_category (self->city, code);
    if (!category) {
        gw_unknown_service (reply, format, code);
        return;
    }
    gw_document (reply, 200, format, "service_definition",
                 json_pack ("{s:s, s:[]}", "service_code", category->id, "attributes"));
}

bool
gw_open311 (gw_t *self, const gw_request_t *request, const char *path, gw_format_t format,
            gw_reply_t *reply)
{
    bool get = strcmp (request->method, "GET") == 0;
    bool post = strcmp (request->method, "POST") == 0;
    if (strcmp (path, "discovery") == 0 && get)
        s_discovery (self, format, reply);
    else if (strcmp (path, "services") == 0 && get)
        s_services (self, format, reply);
    else if (strncmp (path, "services/", 9) == 0 && get && !strchr (path + 9, '/'))
        s_service_definition (self, path + 9, format, reply);
    else if (strncmp (path, "tokens/", 7) == 0 && get)
        gw_error (reply, 404, format,
                  "no such token: every service is realtime, a request gets its id at once");
    else if (strcmp (path, "requests") == 0 && post)
        gw_requests_post (self, request, format, reply);
    else if (strcmp (path, "requests") == 0 && get)
        gw_requests_get (self, request, NULL, format, reply);
    else if (strncmp (path, "requests/", 9) == 0 && get && path[9] && !strchr (path + 9, '/'))
        gw_requests_get (self, request, path + 9, format, reply);
    else if (strcmp (path, "servicerequestupdates") == 0 && get)
        gw_request_updates (self, request, format, reply);
    else
        return false;
    return true;
}
