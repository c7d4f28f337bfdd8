/*  gridcase-gateway - an HTTP door to gridcased for the city's hotline and
    civic apps (Open311 GeoReport v2), for the supervisors (their page) and
    for the operator (metrics). It talks to the daemon through libgridcase,
    so the daemon stays the one writer. What its files share: gateway.c
    starts it and serves HTTP, params.c reads a request's parameters,
    routes.c says which endpoint a request is for, open311.c answers the
    Open311 discovery and services, requests.c the service requests and
    their updates, words.c says where a case is in words, daemon.c calls the
    daemon, document.c writes a reply as JSON or XML, metrics.c counts and
    shows what the gateway and the daemon did; session.c signs supervisors
    in, web.c serves their page and its files, api.c its API, feed.c its
    live log. */
#ifndef GW_GATEWAY_H_INCLUDED
#define GW_GATEWAY_H_INCLUDED

#include "gc_config.h"
#include "gridcase.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

//  What a reply is written as: the extension the client asked for
typedef enum { GW_JSON, GW_XML } gw_format_t;

//  How the gateway reaches the daemon: one call, under the request id
//  CLIENT_ID and SEQUENCE when CLIENT_ID is not NULL (an Idempotency-Key),
//  else the calling thread's own; a GRIDCASE_ code, *REPLY_P set on
//  GRIDCASE_OK and GRIDCASE_EREPLY
typedef struct _gw_t gw_t;
typedef int (gw_call_fn) (gw_t *self, Gridcase__Request *request, const uint8_t *client_id,
                          Gridcase__Reply **reply_p);

struct _gw_t {
    gc_config_t *city;    //  the city: its categories are the services
    const char *base_url; //  where the gateway is reached, for discovery
    const char *command;  //  the daemon's command endpoint
    const char *actor;    //  the gateway's roster entry (local mode)
    const char *cert;     //  CURVE: the gateway's certificate, NULL: local mode
    const char *server_key;
    gw_call_fn *call;
    const char *events;   //  the daemon's events endpoint (the live log)
    const char *web_root; //  the supervisors' page's files (make web), NULL: none
    bool tls;             //  it serves HTTPS itself: cookies are Secure
};

//  One HTTP request as the routes see it: the query's and the form body's
//  parameters (decoded by libmicrohttpd), at most GW_ARGS_MAX
#define GW_ARGS_MAX 64
typedef struct {
    const char *name;
    const char *value;
} gw_arg_t;

typedef struct {
    const char *method;
    const char *url;
    size_t args;
    gw_arg_t arg[GW_ARGS_MAX];
    bool too_many;               //  more parameters came than GW_ARGS_MAX
    const char *idempotency_key; //  the Idempotency-Key header, NULL: none
    unsigned body_status;        //  a POST's body could not be read: 413 or 400 ...
    const char *body_why;        //  ... and why
    const char *cookie;          //  the Cookie header, NULL: none
    const char *origin;          //  the Origin header, NULL: none
    const char *host;            //  the Host header
    const char *accept_encoding; //  the Accept-Encoding header
    char address[64];            //  the client's address, for sign-in limits and logs
    void *connection;            //  the HTTP layer's connection (a live stream suspends it)
} gw_request_t;

//  The value of parameter NAME, NULL if not given
const char *gw_arg (const gw_request_t *request, const char *name);

typedef struct _gw_stream_t gw_stream_t;

//  A reply to send: status and body, and what else the page needs
typedef struct {
    unsigned status;
    char *body; //  malloc'd
    size_t size;
    const char *type;        //  its content type
    const char *location;    //  a redirect's Location, NULL: none
    char cookie[300];        //  a Set-Cookie value, "": none
    const char *encoding;    //  Content-Encoding (a gzip file as it is), NULL: none
    const char *cache;       //  Cache-Control, NULL: no-store
    const char *disposition; //  Content-Disposition (a CSV download), NULL: none
    gw_stream_t *stream;     //  a live stream (Server-Sent Events) instead of a body
} gw_reply_t;

//  DOCUMENT (takes it) written as FORMAT into REPLY with STATUS. A JSON
//  array becomes in XML an element named ROOT holding one element per item
//  (named by the singular of ROOT: services -> service), an object one
//  element per field.
void gw_document (gw_reply_t *reply, unsigned status, gw_format_t format, const char *root,
                  json_t *document);
//  The spec's error body, [{code, description}], in FORMAT
void gw_error (gw_reply_t *reply, unsigned status, gw_format_t format, const char *description);
//  404 for a service_code that names no category of the city
void gw_unknown_service (gw_reply_t *reply, gw_format_t format, const char *code);

//  An Open311 endpoint (PATH below /open311/v2/, without its extension);
//  false when there is none by that name
bool gw_open311 (gw_t *self, const gw_request_t *request, const char *path, gw_format_t format,
                 gw_reply_t *reply);
//  The service requests endpoints (requests.c): POST and GET requests,
//  GET requests/ID, GET servicerequestupdates
void gw_requests_post (gw_t *self, const gw_request_t *request, gw_format_t format,
                       gw_reply_t *reply);
void gw_requests_get (gw_t *self, const gw_request_t *request, const char *id, gw_format_t format,
                      gw_reply_t *reply);
void gw_request_updates (gw_t *self, const gw_request_t *request, gw_format_t format,
                         gw_reply_t *reply);

//  The answer to REQUEST into REPLY; returns the route it is counted under
//  ("services", "unknown", ...)
const char *gw_route (gw_t *self, const gw_request_t *request, gw_reply_t *reply);

//  The daemon through libgridcase (daemon.c): each thread its own client
int gw_daemon_call (gw_t *self, Gridcase__Request *request, const uint8_t *client_id,
                    Gridcase__Reply **reply_p);
//  Reads the journal with QUERY page by page from its since on, made for
//  ON_BEHALF (NULL: the gateway's own read), handing each page to FN until
//  FN says enough, the journal ends or MAX_PAGES were read. GRIDCASE_OK, or
//  the failed call's code with its reply, if any, in *FAILED (free it)
typedef bool (gw_page_fn) (const Gridcase__JournalReply *page, void *arg);
int gw_journal_pages (gw_t *self, Gridcase__Actor *on_behalf, Gridcase__JournalRequest *query,
                      int max_pages, gw_page_fn *fn, void *arg, Gridcase__Reply **failed);
//  Closes every thread's client (the HTTP server has stopped)
void gw_daemon_close_all (void);
//  The HTTP status and spec error for a call that did not succeed (RC, and
//  the daemon's error in REPLY when there is one)
void gw_daemon_error (int rc, const Gridcase__Reply *reply, gw_format_t format, gw_reply_t *out);

//  MS as ISO 8601 with the city's offset: 2026-11-23T15:13:49+08:00
void gw_iso_time (int64_t ms, char *out, size_t size);

//  Words for supervisors and residents (words.c): where the case is
//  ("queued with 海虹社区 Haihong Community's committee"), a holder
//  ("committee/haihong") by name, the name of a case's agency responsible,
//  and the mySociety extended status of a journal event
void gw_words_status (gc_config_t *city, const Gridcase__Case *kase, char *out, size_t size);
void gw_words_holder (gc_config_t *city, const char *holder, char *out, size_t size);
const char *gw_words_agency (gc_config_t *city, const Gridcase__Case *kase);
const char *gw_words_update_status (Gridcase__EventType type, Gridcase__State state);

//  Who is signed in to the supervisors' page (session.c)
typedef struct {
    char token[65]; //  the cookie's value: 32 random bytes in hex
    char csrf[65];  //  what a changing request must carry
    char actor[80]; //  the roster's id
    int64_t created, seen;
} gw_session_t;

//  The session REQUEST's cookie names, still live (it is touched); false
//  when none
bool gw_session_find (const gw_request_t *request, gw_session_t *session);
//  Signs ACTOR in with PASSWORD from ADDRESS: a new session (a new token,
//  whatever cookie came); false with STATUS (401, 429) and WHY
bool gw_session_login (gw_t *self, const char *actor, const char *password, const char *address,
                       gw_session_t *session, unsigned *status, char *why, size_t why_size);
//  Ends the session with TOKEN
void gw_session_logout (const char *token);
//  The Set-Cookie value for SESSION (NULL: one that clears the cookie)
void gw_session_cookie (gw_t *self, const gw_session_t *session, char *out, size_t size);
//  Frees every session (the gateway is stopping)
void gw_session_close_all (void);

//  The supervisors' page (web.c): sign-in, the page, its static files;
//  true when PATH is one of its routes (REPLY set)
bool gw_web (gw_t *self, const gw_request_t *request, gw_reply_t *reply);
//  Its JSON and CSV API for SESSION (api.c): PATH below /api/
void gw_api (gw_t *self, const gw_request_t *request, const gw_session_t *session, const char *path,
             gw_reply_t *reply);
//  A call to the daemon made for SESSION's actor
int gw_api_call (gw_t *self, const gw_session_t *session, Gridcase__Request *request,
                 Gridcase__Reply **reply_p);

//  The live escalation log (feed.c): one SUB socket to the daemon's
//  notices, each stream a topic followed for one session, gaps filled from
//  the journal; the stream is written as Server-Sent Events
int gw_feed_start (gw_t *self);
//  Ends every stream (their connections are resumed to finish)
void gw_feed_end_all (void);
void gw_feed_stop (void);
//  A stream of TOPIC for SESSION from journal seq SINCE on (NULL: refused,
//  REPLY set)
gw_stream_t *gw_feed_open (gw_t *self, const gw_session_t *session, const char *topic,
                           uint64_t since, void *connection);
//  Up to MAX bytes of the stream into BUFFER: >0 bytes, 0 nothing yet (the
//  connection is suspended until there is), -1 it ended
long gw_feed_read (gw_stream_t *stream, char *buffer, size_t max);
//  The HTTP layer is done with the stream
void gw_feed_close (gw_stream_t *stream);

//  Counts a request to ROUTE answered with STATUS after SECONDS
void gw_metrics_count (const char *route, unsigned status, double seconds);
//  The daemon's metrics and the gateway's own in the Prometheus text format
void gw_metrics (gw_t *self, gw_reply_t *reply);

#endif
