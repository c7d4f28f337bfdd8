/*  gridcase-gateway's supervisors' page: sign-in and sign-out, the page
    itself (one HTML document for /, /cases/ID and the wall screen), its
    static files from the web root (make web: the page's own files and the
    pinned npm libraries, each also gzipped), and its API behind a session.

    GET  /login             the sign-in form
    POST /login             actor and password: a new session, to the page
    POST /logout            with the session's csrf: the session ends
    GET  /, /cases/ID       the page (signed in; else to /login)
    GET  /static/FILE       a file of the web root
    GET  /api/...           api.c, for the session's actor

    See gateway.h. */
#include "gateway.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define GW_STATIC_MAX ((size_t)4 << 20) //  a static file at most

//  FILE of the web root (a checked relative name) into REPLY; false if
//  there is none. The gzipped copy when the client takes gzip.
static bool
s_file (gw_t *self, const gw_request_t *request, const char *name, gw_reply_t *reply)
{
    if (!self->web_root)
        return false;
    size_t len = strlen (name);
    if (!len || len > 200 || name[0] == '/' || strstr (name, "..") || strstr (name, "//") ||
        strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/") != len)
        return false;
    char path[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
    snprintf (path, sizeof (path), "%s/%s", self->web_root, name);
    //  Whatever links there are, the file lies under the root
    if (!realpath (self->web_root, root) || !realpath (path, real) ||
        strncmp (real, root, strlen (root)) != 0 || real[strlen (root)] != '/')
        return false;
    bool gzip = request->accept_encoding && strstr (request->accept_encoding, "gzip");
    char gz[PATH_MAX + 4];
    snprintf (gz, sizeof (gz), "%s.gz", real);
    zchunk_t *chunk = gzip && zsys_file_exists (gz) ? zchunk_slurp (gz, GW_STATIC_MAX) : NULL;
    if (chunk)
        reply->encoding = "gzip";
    else
        chunk = zchunk_slurp (real, GW_STATIC_MAX);
    if (!chunk)
        return false;
    reply->status = 200;
    reply->size = zchunk_size (chunk);
    reply->body = (char *)malloc (reply->size ? reply->size : 1);
    if (reply->body)
        memcpy (reply->body, zchunk_data (chunk), reply->size);
    zchunk_destroy (&chunk);
    const char *dot = strrchr (name, '.');
    reply->type = !dot                         ? "application/octet-stream"
                  : strcmp (dot, ".html") == 0 ? "text/html; charset=utf-8"
                  : strcmp (dot, ".js") == 0   ? "text/javascript; charset=utf-8"
                  : strcmp (dot, ".css") == 0  ? "text/css; charset=utf-8"
                  : strcmp (dot, ".svg") == 0  ? "image/svg+xml"
                  : strcmp (dot, ".png") == 0  ? "image/png"
                  : strcmp (dot, ".json") == 0 ? "application/json"
                                               : "application/octet-stream";
    reply->cache = strcmp (dot ? dot : "", ".html") == 0 ? NULL : "private, max-age=600";
    return true;
}

static void
s_text (gw_reply_t *reply, unsigned status, const char *type, const char *text)
{
    reply->status = status;
    reply->body = strdup (text);
    reply->size = reply->body ? strlen (reply->body) : 0;
    reply->type = type;
}

static void
s_redirect (gw_reply_t *reply, const char *location)
{
    s_text (reply, 303, "text/plain; charset=utf-8", "see other");
    reply->location = location;
}

//  A changing request from another site's page is refused: its Origin, when
//  the browser sends one, must be this host
static bool
s_same_origin (const gw_request_t *request)
{
    if (!request->origin)
        return true;
    const char *host = strstr (request->origin, "://");
    return host && request->host && strcmp (host + 3, request->host) == 0;
}

//  Where to go after signing in: a path of this site only
static const char *
s_next (const gw_request_t *request)
{
    const char *next = gw_arg (request, "next");
    if (next && next[0] == '/' && next[1] != '/' && next[1] != '\\' && strlen (next) < 200 &&
        strspn (next, "abcdefghijklmnopqrstuvwxyz0123456789/-_=?&.") == strlen (next))
        return next;
    return "/";
}

static void
s_login (gw_t *self, const gw_request_t *request, gw_reply_t *reply)
{
    const char *actor = gw_arg (request, "actor"), *password = gw_arg (request, "password");
    if (request->body_status || !s_same_origin (request)) {
        s_text (reply, request->body_status ? request->body_status : 403,
                "text/plain; charset=utf-8",
                request->body_status ? request->body_why : "a sign-in from another site");
        return;
    }
    gw_session_t session;
    unsigned status = 0;
    char why[200];
    if (!actor || !password ||
        !gw_session_login (self, actor, password, request->address, &session, &status, why,
                           sizeof (why))) {
        s_redirect (reply, status == 429   ? "/login?locked=1"
                           : status == 503 ? "/login?busy=1"
                                           : "/login?failed=1");
        return;
    }
    //  The old session, if the browser had one, ends: a session is never
    //  one whose token was known before the sign-in
    gw_session_t old;
    if (gw_session_find (request, &old))
        gw_session_logout (old.token);
    gw_session_cookie (self, &session, reply->cookie, sizeof (reply->cookie));
    s_redirect (reply, s_next (request));
}

static void
s_logout (gw_t *self, const gw_request_t *request, gw_reply_t *reply)
{
    gw_session_t session;
    const char *csrf = gw_arg (request, "csrf");
    if (!gw_session_find (request, &session) || !csrf || strcmp (csrf, session.csrf) != 0 ||
        !s_same_origin (request)) {
        s_text (reply, 403, "text/plain; charset=utf-8",
                "signing out needs the page's token (csrf)");
        return;
    }
    gw_session_logout (session.token);
    gw_session_cookie (self, NULL, reply->cookie, sizeof (reply->cookie));
    s_redirect (reply, "/login");
}

bool
gw_web (gw_t *self, const gw_request_t *request, gw_reply_t *reply)
{
    const char *url = request->url, *method = request->method;
    bool get = strcmp (method, "GET") == 0, post = strcmp (method, "POST") == 0;
    if (strcmp (url, "/login") == 0 && post)
        s_login (self, request, reply);
    else if (strcmp (url, "/logout") == 0 && post)
        s_logout (self, request, reply);
    else if (strcmp (url, "/login") == 0 && get) {
        if (!s_file (self, request, "login.html", reply))
            s_text (reply, 503, "text/plain; charset=utf-8",
                    "the supervisors' page is not built here (make web)");
    } else if (strncmp (url, "/static/", 8) == 0 && get) {
        if (!s_file (self, request, url + 8, reply))
            s_text (reply, 404, "text/plain; charset=utf-8", "no such file");
    } else if ((strcmp (url, "/") == 0 || strncmp (url, "/cases/", 7) == 0) && get) {
        gw_session_t session;
        if (!gw_session_find (request, &session)) {
            static __thread char next[300];
            bool plain = strspn (url, "abcdefghijklmnopqrstuvwxyz0123456789/-") == strlen (url);
            snprintf (next, sizeof (next), "/login?next=%s", plain ? url : "/");
            s_redirect (reply, strcmp (url, "/") == 0 ? "/login" : next);
        } else if (!s_file (self, request, "index.html", reply))
            s_text (reply, 503, "text/plain; charset=utf-8",
                    "the supervisors' page is not built here (make web)");
    } else if (strncmp (url, "/api/", 5) == 0) {
        gw_session_t session;
        if (!get)
            s_text (reply, 405, "application/json", "{\"error\":\"the API only reads\"}");
        else if (!gw_session_find (request, &session))
            s_text (reply, 401, "application/json", "{\"error\":\"sign in first\"}");
        else
            gw_api (self, request, &session, url + 5, reply);
    } else
        return false;
    return true;
}
