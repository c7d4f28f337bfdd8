/*  gridcase-gateway's sign-in for the supervisors' page: a roster actor's
    web password (libsodium's crypto_pwhash_str, checked with
    crypto_pwhash_str_verify), sessions named by a random token in an
    HttpOnly, SameSite=Strict cookie (Secure under TLS), ended after 30
    minutes idle or 12 hours in all, and failed attempts limited per actor
    and per address. Every sign-in, failed one and sign-out is logged. See
    gateway.h. */
#include "gateway.h"

#include <sodium.h>
#include <string.h>

#define GW_IDLE_MS ((int64_t)30 * 60 * 1000)   //  a session unused this long ends
#define GW_LIFE_MS ((int64_t)12 * 3600 * 1000) //  and any session after this
#define GW_SESSIONS_MAX 10000
#define GW_FAIL_WINDOW_MS ((int64_t)15 * 60 * 1000)
#define GW_FAILS_PER_ACTOR 5    //  failed attempts on one actor in the window
#define GW_FAILS_PER_ADDRESS 20 //  ... and from one address
#define GW_FAILURES_MAX 10000   //  the table of failures at most
#define GW_CHECKING_MAX 2       //  passwords checked at once (each takes 64 MiB)

typedef struct {
    int count;
    int64_t since;
} failures_t;

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zhashx_t *s_sessions; //  token -> gw_session_t
static zhashx_t *s_failures; //  "actor:ID" or "address:A" -> failures_t
static int s_checking;       //  passwords being checked now

static void
s_tables (void)
{
    if (!s_sessions) {
        s_sessions = zhashx_new ();
        zhashx_set_destructor (s_sessions, (zhashx_destructor_fn *)zstr_free);
        s_failures = zhashx_new ();
        zhashx_set_destructor (s_failures, (zhashx_destructor_fn *)zstr_free);
    }
}

void
gw_session_close_all (void)
{
    pthread_mutex_lock (&s_lock);
    zhashx_destroy (&s_sessions);
    zhashx_destroy (&s_failures);
    pthread_mutex_unlock (&s_lock);
}

//  The value of cookie gc_session in HEADER into TOKEN; false if none
static bool
s_cookie_token (const char *header, char *token, size_t size)
{
    for (const char *at = header; at && *at;) {
        while (*at == ' ' || *at == ';')
            at++;
        if (strncmp (at, "gc_session=", 11) == 0) {
            at += 11;
            size_t len = strcspn (at, "; ");
            if (len == 0 || len >= size)
                return false;
            memcpy (token, at, len);
            token[len] = 0;
            return true;
        }
        at = strchr (at, ';');
    }
    return false;
}

bool
gw_session_find (const gw_request_t *request, gw_session_t *session)
{
    char token[80];
    if (!request->cookie || !s_cookie_token (request->cookie, token, sizeof (token)))
        return false;
    int64_t now = zclock_time ();
    bool found = false;
    pthread_mutex_lock (&s_lock);
    s_tables ();
    gw_session_t *live = (gw_session_t *)zhashx_lookup (s_sessions, token);
    if (live && (now - live->seen > GW_IDLE_MS || now - live->created > GW_LIFE_MS)) {
        zsys_info ("web: the session of %s ended (%s)", live->actor,
                   now - live->seen > GW_IDLE_MS ? "idle 30 minutes" : "12 hours old");
        zhashx_delete (s_sessions, token);
        live = NULL;
    }
    if (live) {
        live->seen = now;
        *session = *live;
        found = true;
    }
    pthread_mutex_unlock (&s_lock);
    return found;
}

//  Counts a failure under KEY; true when KEY has had too many already
static bool
s_too_many (const char *key, int max, bool count)
{
    int64_t now = zclock_time ();
    failures_t *failures = (failures_t *)zhashx_lookup (s_failures, key);
    if (failures && now - failures->since > GW_FAIL_WINDOW_MS) {
        zhashx_delete (s_failures, key);
        failures = NULL;
    }
    if (!failures && count && zhashx_size (s_failures) < GW_FAILURES_MAX) {
        failures = (failures_t *)zmalloc (sizeof (failures_t));
        failures->since = now;
        zhashx_insert (s_failures, key, failures);
    }
    if (failures && count)
        failures->count++;
    return failures && failures->count >= max;
}

static void
s_hex (const uint8_t *bytes, size_t size, char *out)
{
    for (size_t i = 0; i < size; i++)
        snprintf (out + 2 * i, 3, "%02x", bytes[i]);
}

bool
gw_session_login (gw_t *self, const char *actor_id, const char *password, const char *address,
                  gw_session_t *session, unsigned *status, char *why, size_t why_size)
{
    char by_actor[160], by_address[100];
    snprintf (by_actor, sizeof (by_actor), "actor:%.120s", actor_id);
    snprintf (by_address, sizeof (by_address), "address:%s", address);
    pthread_mutex_lock (&s_lock);
    s_tables ();
    bool locked = s_too_many (by_actor, GW_FAILS_PER_ACTOR, false) ||
                  s_too_many (by_address, GW_FAILS_PER_ADDRESS, false);
    //  A flood of sign-ins waits its turn outside, not in memory
    bool busy = !locked && s_checking >= GW_CHECKING_MAX;
    if (!locked && !busy)
        s_checking++;
    pthread_mutex_unlock (&s_lock);
    if (busy) {
        *status = 503;
        snprintf (why, why_size, "too many sign-ins at once; try again in a moment");
        return false;
    }
    if (locked) {
        zsys_warning ("web: sign-in as '%.80s' from %s refused: too many failed attempts", actor_id,
                      address);
        *status = 429;
        snprintf (why, why_size, "too many failed attempts; try again in 15 minutes");
        return false;
    }
    //  The hash is checked even for an unknown actor, so both take as long
    static const char *s_dummy = "$argon2id$v=19$m=65536,t=2,p=1$2kBvlQ3bo9mWUB9amA/xMA$"
                                 "nB+mHSTnOykekigt8PkSJG7moYsMQE0tSsPwiBYf4os";
    gc_actor_t *actor = gc_config_actor (self->city, actor_id);
    const char *hashed = actor && actor->password ? actor->password : s_dummy;
    bool ok = sodium_init () >= 0 &&
              crypto_pwhash_str_verify (hashed, password, strlen (password)) == 0 && actor &&
              actor->password && actor->role != GRIDCASE__ROLE__ROLE_GATEWAY;
    pthread_mutex_lock (&s_lock);
    s_checking--;
    if (!ok) {
        s_too_many (by_actor, GW_FAILS_PER_ACTOR, true);
        s_too_many (by_address, GW_FAILS_PER_ADDRESS, true);
    } else {
        zhashx_delete (s_failures, by_actor);
        memset (session, 0, sizeof (*session));
        uint8_t random[32];
        randombytes_buf (random, sizeof (random));
        s_hex (random, sizeof (random), session->token);
        randombytes_buf (random, sizeof (random));
        s_hex (random, sizeof (random), session->csrf);
        snprintf (session->actor, sizeof (session->actor), "%s", actor->id);
        session->created = session->seen = zclock_time ();
        if (zhashx_size (s_sessions) >= GW_SESSIONS_MAX) {
            //  Full: the oldest way out is to end idle ones
            int64_t now = zclock_time ();
            zlistx_t *idle = zlistx_new ();
            for (gw_session_t *each = (gw_session_t *)zhashx_first (s_sessions); each;
                 each = (gw_session_t *)zhashx_next (s_sessions))
                if (now - each->seen > GW_IDLE_MS / 6)
                    zlistx_add_end (idle, (void *)zhashx_cursor (s_sessions));
            for (const char *key = (const char *)zlistx_first (idle); key;
                 key = (const char *)zlistx_next (idle))
                zhashx_delete (s_sessions, key);
            zlistx_destroy (&idle);
        }
        ok = zhashx_size (s_sessions) < GW_SESSIONS_MAX;
        if (ok) {
            gw_session_t *kept = (gw_session_t *)zmalloc (sizeof (gw_session_t));
            *kept = *session;
            zhashx_insert (s_sessions, kept->token, kept);
        }
    }
    pthread_mutex_unlock (&s_lock);
    if (!ok) {
        zsys_warning ("web: failed sign-in as '%.80s' from %s%s", actor_id, address,
                      !actor             ? " (not in the roster)"
                      : !actor->password ? " (no web password in the roster)"
                                         : "");
        *status = 401;
        snprintf (why, why_size, "the actor or the password is wrong");
        return false;
    }
    zsys_notice ("web: %s (%s) signed in from %s", actor->id, gc_role_name (actor->role), address);
    return true;
}

void
gw_session_logout (const char *token)
{
    pthread_mutex_lock (&s_lock);
    s_tables ();
    gw_session_t *live = (gw_session_t *)zhashx_lookup (s_sessions, token);
    if (live) {
        zsys_notice ("web: %s signed out", live->actor);
        zhashx_delete (s_sessions, token);
    }
    pthread_mutex_unlock (&s_lock);
}

void
gw_session_cookie (gw_t *self, const gw_session_t *session, char *out, size_t size)
{
    snprintf (out, size, "gc_session=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
              session ? session->token : "", self->tls ? "; Secure" : "",
              session ? "" : "; Max-Age=0");
}
