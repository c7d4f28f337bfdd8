/*  gridcase-gateway - an HTTP door to gridcased for the city's hotline and
    civic apps (Open311 GeoReport v2) and for the operator (metrics). It
    talks to the daemon through libgridcase, so the daemon stays the one
    writer. What its files share: gateway.c starts it and serves HTTP,
    routes.c says which endpoint a request is for, open311.c answers the
    Open311 endpoints, document.c writes a reply as
    JSON or XML, metrics.c counts and shows what the gateway did. */
#ifndef GW_GATEWAY_H_INCLUDED
#define GW_GATEWAY_H_INCLUDED

#include "gc_config.h"
#include "gridcase.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

//  What a reply is written as: the extension the client asked for
typedef enum { GW_JSON, GW_XML } gw_format_t;

typedef struct {
    gc_config_t *city;    //  the city: its categories are the services
    const char *base_url; //  where the gateway is reached, for discovery
} gw_t;

//  A reply to send: status and body
typedef struct {
    unsigned status;
    char *body; //  malloc'd
    size_t size;
    const char *type; //  its content type
} gw_reply_t;

//  DOCUMENT (takes it) written as FORMAT into REPLY with STATUS. A JSON
//  array becomes in XML an element named ROOT holding one element per item
//  (named by the singular of ROOT: services -> service), an object one
//  element per field.
void gw_document (gw_reply_t *reply, unsigned status, gw_format_t format, const char *root,
                  json_t *document);
//  The spec's error body, [{code, description}], in FORMAT
void gw_error (gw_reply_t *reply, unsigned status, gw_format_t format, const char *description);

//  An Open311 endpoint (PATH below /open311/v2/, without its extension);
//  false when there is none by that name
bool gw_open311 (gw_t *self, const char *method, const char *path, gw_format_t format,
                 gw_reply_t *reply);

//  The answer to METHOD on URL (as decoded by the HTTP layer) into REPLY;
//  returns the route it is counted under ("services", "unknown", ...)
const char *gw_route (gw_t *self, const char *method, const char *url, gw_reply_t *reply);

//  Counts a request to ROUTE answered with STATUS after SECONDS
void gw_metrics_count (const char *route, unsigned status, double seconds);
//  The gateway's own metrics in the Prometheus text format
void gw_metrics (gw_reply_t *reply);

#endif
