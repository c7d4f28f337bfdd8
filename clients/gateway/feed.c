/*  gridcase-gateway's live escalation log: one thread holds one SUB socket
    on the daemon's notices and subscribes to the topics the open streams
    follow (log/community/haihong, ...). Each notice goes to the streams of
    its topic whose actor may see its entry (gc_access, the daemon's own
    rule); a notice whose prev_seq is past the last one a stream had means
    some were missed, and the stream is first filled from the journal
    (JournalRequest.topic, made for the stream's actor), as log --follow
    does. A stream is written as Server-Sent Events; while it has nothing
    to send its connection is suspended, and resumed when it has (or every
    15 s for a keep-alive, which also finds connections that went away).

    GRIDCASE_DROP_NOTICES=N drops every Nth notice on purpose (tests of the
    gap filling), and says so in the log. See gateway.h. */
#include "gateway.h"
#include "gc_access.h"
#include "gridcase_json.h"

#include <microhttpd.h>
#include <string.h>

#define GW_STREAMS_MAX 200            //  live streams at most
#define GW_STREAMS_PER_SESSION 4      //  ... and per session
#define GW_STREAM_BUFFER (256 * 1024) //  unsent bytes a stream holds at most
#define GW_KEEPALIVE_MS 15000

struct _gw_stream_t {
    char topic[160];
    char actor[80];
    char token[65]; //  its session
    uint64_t last;  //  the journal seq it has given up to, on its topic
    char *buffer;   //  SSE text not yet read by the HTTP layer
    size_t length;
    bool suspended; //  its connection waits for data
    bool ended;     //  nothing more will come (overflow, stop)
    struct MHD_Connection *connection;
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zlistx_t *s_streams; //  gw_stream_t *
static bool s_changed;      //  the topics wanted changed
static zactor_t *s_thread;
static gw_t *s_gateway;

//  Appends TEXT to STREAM and wakes its connection (the lock is held)
static void
s_append (gw_stream_t *stream, const char *text, size_t size)
{
    if (stream->ended)
        return;
    if (stream->length + size > GW_STREAM_BUFFER) {
        //  A reader that does not keep up is cut off; its page reconnects
        //  and reads the log again
        stream->ended = true;
    } else {
        char *grown = (char *)realloc (stream->buffer, stream->length + size);
        if (!grown)
            stream->ended = true;
        else {
            stream->buffer = grown;
            memcpy (stream->buffer + stream->length, text, size);
            stream->length += size;
        }
    }
    if (stream->suspended) {
        stream->suspended = false;
        MHD_resume_connection (stream->connection);
    }
}

//  ENTRY as one event of STREAM, if its actor may see it (the lock is held)
static void
s_event (gw_stream_t *stream, const Gridcase__JournalEntry *entry)
{
    if (entry->seq <= stream->last)
        return;
    stream->last = entry->seq;
    gc_actor_t *actor = gc_config_actor (s_gateway->city, stream->actor);
    if (!actor || !gc_actor_sees_entry (actor, entry))
        return;
    char *json = gridcase_json_text (&entry->base);
    char *text = NULL;
    int size = json ? asprintf (&text, "id: %llu\nevent: entry\ndata: %s\n\n",
                                (unsigned long long)entry->seq, json)
                    : -1;
    if (size > 0)
        s_append (stream, text, (size_t)size);
    free (text);
    free (json);
}

//  The entries of STREAM's topic after its last, from the journal, made for
//  its actor; called without the lock (it calls the daemon)
//  A page of the journal into the stream, if it is still there
static bool
s_fill_page (const Gridcase__JournalReply *page, void *arg)
{
    gw_stream_t *probe = (gw_stream_t *)arg;
    pthread_mutex_lock (&s_lock);
    bool listed = zlistx_find (s_streams, probe) != NULL;
    for (size_t i = 0; listed && i < page->n_entries; i++)
        s_event (probe, page->entries[i]);
    pthread_mutex_unlock (&s_lock);
    return listed;
}

static void
s_fill (gw_stream_t *probe)
{
    pthread_mutex_lock (&s_lock);
    //  Its connection may have closed (and freed it) since the gap was seen
    if (!zlistx_find (s_streams, probe)) {
        pthread_mutex_unlock (&s_lock);
        return;
    }
    char topic[160], actor[80];
    snprintf (topic, sizeof (topic), "%s", probe->topic);
    snprintf (actor, sizeof (actor), "%s", probe->actor);
    uint64_t since = probe->last;
    pthread_mutex_unlock (&s_lock);
    gc_actor_t *who = gc_config_actor (s_gateway->city, actor);
    if (!who)
        return;
    Gridcase__Actor on_behalf = GRIDCASE__ACTOR__INIT;
    on_behalf.role = who->role;
    on_behalf.id = who->id;
    Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
    journal.topic = topic;
    journal.since = since;
    Gridcase__Reply *failed = NULL;
    if (gw_journal_pages (s_gateway, &on_behalf, &journal, 20, s_fill_page, probe, &failed) !=
        GRIDCASE_OK)
        zsys_warning ("web: cannot fill the live log of %s on %s from the journal", actor, topic);
    if (failed)
        gridcase__reply__free_unpacked (failed, NULL);
}

//  The topics wanted now, subscribed to and dropped as streams come and go
static void
s_subscriptions (zsock_t *sub, zhashx_t *subscribed)
{
    pthread_mutex_lock (&s_lock);
    s_changed = false;
    zhashx_t *wanted = zhashx_new ();
    for (gw_stream_t *stream = (gw_stream_t *)zlistx_first (s_streams); stream;
         stream = (gw_stream_t *)zlistx_next (s_streams))
        zhashx_update (wanted, stream->topic, (void *)1);
    pthread_mutex_unlock (&s_lock);
    for (const void *one = zhashx_first (wanted); one; one = zhashx_next (wanted)) {
        const char *topic = (const char *)zhashx_cursor (wanted);
        if (!zhashx_lookup (subscribed, topic)) {
            zsock_set_subscribe (sub, topic);
            zhashx_insert (subscribed, topic, (void *)1);
        }
    }
    zlistx_t *gone = zlistx_new ();
    for (const void *one = zhashx_first (subscribed); one; one = zhashx_next (subscribed))
        if (!zhashx_lookup (wanted, zhashx_cursor (subscribed)))
            zlistx_add_end (gone, (void *)zhashx_cursor (subscribed));
    for (const char *topic = (const char *)zlistx_first (gone); topic;
         topic = (const char *)zlistx_next (gone)) {
        zsock_set_unsubscribe (sub, topic);
        zhashx_delete (subscribed, topic);
    }
    zlistx_destroy (&gone);
    zhashx_destroy (&wanted);
}

//  One notice: to every stream of its topic, gaps filled first
static void
s_notice (const char *topic, zframe_t *body)
{
    Gridcase__Notice *notice =
        gridcase__notice__unpack (NULL, zframe_size (body), zframe_data (body));
    if (!notice || !notice->entry) {
        if (notice)
            gridcase__notice__free_unpacked (notice, NULL);
        return;
    }
    zlistx_t *gaps = zlistx_new ();
    pthread_mutex_lock (&s_lock);
    for (gw_stream_t *stream = (gw_stream_t *)zlistx_first (s_streams); stream;
         stream = (gw_stream_t *)zlistx_next (s_streams))
        if (strcmp (stream->topic, topic) == 0) {
            if (notice->prev_seq > stream->last)
                zlistx_add_end (gaps, stream);
            else
                s_event (stream, notice->entry);
        }
    pthread_mutex_unlock (&s_lock);
    //  A missed notice: the journal has it, and this one too
    for (gw_stream_t *stream = (gw_stream_t *)zlistx_first (gaps); stream;
         stream = (gw_stream_t *)zlistx_next (gaps))
        s_fill (stream);
    zlistx_destroy (&gaps);
    gridcase__notice__free_unpacked (notice, NULL);
}

static void
s_keepalive (void)
{
    pthread_mutex_lock (&s_lock);
    for (gw_stream_t *stream = (gw_stream_t *)zlistx_first (s_streams); stream;
         stream = (gw_stream_t *)zlistx_next (s_streams))
        s_append (stream, ": keep-alive\n\n", 14);
    pthread_mutex_unlock (&s_lock);
}

static void
s_feed_thread (zsock_t *pipe, void *arg)
{
    gw_t *self = (gw_t *)arg;
    zsock_t *sub = zsock_new (ZMQ_SUB);
    if (self->cert) {
        zcert_t *cert = zcert_load (self->cert);
        if (cert) {
            zcert_apply (cert, sub);
            zsock_set_curve_serverkey (sub, self->server_key);
        }
        zcert_destroy (&cert);
    }
    zsock_connect (sub, "%s", self->events);
    zsock_signal (pipe, 0);
    long drop = getenv ("GRIDCASE_DROP_NOTICES") ? atol (getenv ("GRIDCASE_DROP_NOTICES")) : 0;
    if (drop > 0)
        zsys_warning ("web: GRIDCASE_DROP_NOTICES=%ld: every %ldth notice is dropped on purpose "
                      "(a test of the live log's gap filling)",
                      drop, drop);
    zhashx_t *subscribed = zhashx_new ();
    zpoller_t *poller = zpoller_new (pipe, sub, NULL);
    int64_t keepalive = zclock_mono () + GW_KEEPALIVE_MS;
    long received = 0;
    while (true) {
        void *which = zpoller_wait (poller, 100);
        if (which == pipe)
            break; //  $TERM
        if (which == sub) {
            char *topic = NULL;
            zframe_t *body = NULL;
            if (zsock_recv (sub, "sf", &topic, &body) == 0 && topic && body &&
                !(drop > 0 && ++received % drop == 0))
                s_notice (topic, body);
            zstr_free (&topic);
            zframe_destroy (&body);
        }
        pthread_mutex_lock (&s_lock);
        bool changed = s_changed;
        pthread_mutex_unlock (&s_lock);
        if (changed)
            s_subscriptions (sub, subscribed);
        if (zclock_mono () >= keepalive) {
            s_keepalive ();
            keepalive = zclock_mono () + GW_KEEPALIVE_MS;
        }
    }
    zpoller_destroy (&poller);
    zhashx_destroy (&subscribed);
    zsock_destroy (&sub);
    gw_daemon_close_all ();
}

int
gw_feed_start (gw_t *self)
{
    s_gateway = self;
    s_streams = zlistx_new ();
    s_thread = zactor_new (s_feed_thread, self);
    return s_thread ? 0 : -1;
}

void
gw_feed_end_all (void)
{
    pthread_mutex_lock (&s_lock);
    for (gw_stream_t *stream = (gw_stream_t *)(s_streams ? zlistx_first (s_streams) : NULL); stream;
         stream = (gw_stream_t *)zlistx_next (s_streams)) {
        stream->ended = true;
        if (stream->suspended) {
            stream->suspended = false;
            MHD_resume_connection (stream->connection);
        }
    }
    pthread_mutex_unlock (&s_lock);
}

void
gw_feed_stop (void)
{
    zactor_destroy (&s_thread);
    pthread_mutex_lock (&s_lock);
    gw_stream_t *stream;
    while (s_streams && (stream = (gw_stream_t *)zlistx_detach (s_streams, NULL))) {
        free (stream->buffer);
        free (stream);
    }
    zlistx_destroy (&s_streams);
    pthread_mutex_unlock (&s_lock);
}

gw_stream_t *
gw_feed_open (gw_t *self, const gw_session_t *session, const char *topic, uint64_t since,
              void *connection)
{
    (void)self;
    if (strlen (topic) >= sizeof (((gw_stream_t *)0)->topic) || !connection)
        return NULL;
    pthread_mutex_lock (&s_lock);
    size_t mine = 0;
    for (gw_stream_t *each = (gw_stream_t *)zlistx_first (s_streams); each;
         each = (gw_stream_t *)zlistx_next (s_streams))
        mine += strcmp (each->token, session->token) == 0;
    gw_stream_t *stream = NULL;
    if (s_streams && zlistx_size (s_streams) < GW_STREAMS_MAX && mine < GW_STREAMS_PER_SESSION) {
        stream = (gw_stream_t *)zmalloc (sizeof (gw_stream_t));
        snprintf (stream->topic, sizeof (stream->topic), "%s", topic);
        snprintf (stream->actor, sizeof (stream->actor), "%s", session->actor);
        snprintf (stream->token, sizeof (stream->token), "%s", session->token);
        stream->last = since;
        stream->connection = (struct MHD_Connection *)connection;
        //  The browser reconnects after 3 s if the stream ends
        const char *hello = "retry: 3000\n\n";
        stream->buffer = strdup (hello);
        stream->length = stream->buffer ? strlen (hello) : 0;
        zlistx_add_end (s_streams, stream);
        s_changed = true;
    }
    pthread_mutex_unlock (&s_lock);
    return stream;
}

long
gw_feed_read (gw_stream_t *stream, char *buffer, size_t max)
{
    long got = 0;
    pthread_mutex_lock (&s_lock);
    if (stream->length) {
        size_t size = stream->length < max ? stream->length : max;
        memcpy (buffer, stream->buffer, size);
        memmove (stream->buffer, stream->buffer + size, stream->length - size);
        stream->length -= size;
        got = (long)size;
    } else if (stream->ended)
        got = -1;
    else {
        stream->suspended = true;
        MHD_suspend_connection (stream->connection);
    }
    pthread_mutex_unlock (&s_lock);
    return got;
}

void
gw_feed_close (gw_stream_t *stream)
{
    pthread_mutex_lock (&s_lock);
    void *handle = s_streams ? zlistx_find (s_streams, stream) : NULL;
    if (handle)
        zlistx_delete (s_streams, handle);
    s_changed = true;
    pthread_mutex_unlock (&s_lock);
    if (handle) {
        free (stream->buffer);
        free (stream);
    }
}
