/*  libgridcase's outbox: changing requests kept on the device until the
    daemon has answered them. See include/gridcase.h.

    An LMDB environment in the outbox's directory, three databases keyed by
    the order requests were queued in (be64): "waiting" (be64 queued_at +
    the request as packed and sent), "delivered" and "refused" (be64
    queued_at + be64 answered_at + be32 request size + the request + the
    reply as it came). A request leaves "waiting" for one of the others in
    the transaction that records its reply. */
#include "lib.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GC_OUTBOX_MAP ((size_t)256 << 20)
#define GC_OUTBOX_DELIVERED_MAX 1000
#define GC_OUTBOX_REFUSED_MAX 10000
//  Requests sent before their replies are waited for
#define GC_OUTBOX_WINDOW 256
#define GC_FLUSH_DELAY_MAX (300 * 1000)

enum { WAITING, DELIVERED, REFUSED, DB_COUNT };
static const char *s_db_names[DB_COUNT] = {"waiting", "delivered", "refused"};

struct _gridcase_outbox_t {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    int lock; //  DIR/flush.lock: one flush at a time, across processes
    pthread_mutex_t flushing;
};

static void
s_be64 (uint8_t *out, uint64_t value)
{
    for (int i = 7; i >= 0; i--, value >>= 8)
        out[i] = (uint8_t)value;
}

static uint64_t
s_get_be64 (const uint8_t *data)
{
    uint64_t value = 0;
    for (int i = 0; i < 8; i++)
        value = value << 8 | data[i];
    return value;
}

static int64_t
s_now_ms (void)
{
    return zclock_time ();
}

gridcase_outbox_t *
gridcase_outbox_open (const char *dir)
{
    if (zsys_dir_create ("%s", dir) != 0)
        return NULL;
    gridcase_outbox_t *self = (gridcase_outbox_t *)zmalloc (sizeof (gridcase_outbox_t));
    self->lock = -1;
    pthread_mutex_init (&self->flushing, NULL);
    char path[1024];
    snprintf (path, sizeof (path), "%s/flush.lock", dir);
    self->lock = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    MDB_txn *txn = NULL;
    int rc = self->lock < 0 ? errno : mdb_env_create (&self->env);
    if (!rc)
        rc = mdb_env_set_maxdbs (self->env, DB_COUNT);
    if (!rc)
        rc = mdb_env_set_mapsize (self->env, GC_OUTBOX_MAP);
    if (!rc)
        rc = mdb_env_open (self->env, dir, MDB_NOTLS, 0600);
    if (!rc)
        rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    for (int db = 0; !rc && db < DB_COUNT; db++)
        rc = mdb_dbi_open (txn, s_db_names[db], MDB_CREATE, &self->dbi[db]);
    if (!rc) {
        rc = mdb_txn_commit (txn);
        txn = NULL;
    }
    if (txn)
        mdb_txn_abort (txn);
    if (rc) {
        gridcase_outbox_close (&self);
        errno = rc > 0 && rc < 4096 ? rc : EIO;
    }
    return self;
}

void
gridcase_outbox_close (gridcase_outbox_t **self_p)
{
    gridcase_outbox_t *self = *self_p;
    if (self) {
        if (self->env)
            mdb_env_close (self->env);
        if (self->lock >= 0)
            close (self->lock);
        pthread_mutex_destroy (&self->flushing);
        free (self);
        *self_p = NULL;
    }
}

//  The key after the last of every database: the order of the next request
static uint64_t
s_next_key (gridcase_outbox_t *self, MDB_txn *txn)
{
    uint64_t next = 1;
    for (int db = 0; db < DB_COUNT; db++) {
        MDB_cursor *cursor;
        MDB_val k, v;
        if (mdb_cursor_open (txn, self->dbi[db], &cursor))
            continue;
        if (mdb_cursor_get (cursor, &k, &v, MDB_LAST) == 0 && k.mv_size == 8 &&
            s_get_be64 ((const uint8_t *)k.mv_data) >= next)
            next = s_get_be64 ((const uint8_t *)k.mv_data) + 1;
        mdb_cursor_close (cursor);
    }
    return next;
}

//  Queues the packed request DATA: committed (on disk) when it returns 0
static int
s_put (gridcase_outbox_t *self, const void *data, size_t size)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    if (rc)
        return rc;
    uint8_t key[8];
    s_be64 (key, s_next_key (self, txn));
    MDB_val k = {8, key}, v = {8 + size, NULL};
    rc = mdb_put (txn, self->dbi[WAITING], &k, &v, MDB_RESERVE);
    if (!rc) {
        s_be64 ((uint8_t *)v.mv_data, (uint64_t)s_now_ms ());
        memcpy ((uint8_t *)v.mv_data + 8, data, size);
        rc = mdb_txn_commit (txn);
    } else
        mdb_txn_abort (txn);
    return rc;
}

//  Keeps at most MAX entries of DB: the oldest go
static int
s_prune (gridcase_outbox_t *self, MDB_txn *txn, int db, size_t max)
{
    MDB_stat stat;
    int rc = mdb_stat (txn, self->dbi[db], &stat);
    if (rc || stat.ms_entries <= max)
        return rc;
    MDB_cursor *cursor;
    if ((rc = mdb_cursor_open (txn, self->dbi[db], &cursor)))
        return rc;
    MDB_val k, v;
    for (size_t extra = stat.ms_entries - max; !rc && extra > 0; extra--) {
        rc = mdb_cursor_get (cursor, &k, &v, MDB_FIRST);
        if (!rc)
            rc = mdb_cursor_del (cursor, 0);
    }
    mdb_cursor_close (cursor);
    return rc;
}

//  Moves waiting request KEY to the delivered or refused ones with REPLY
static int
s_answer (gridcase_outbox_t *self, const uint8_t *key, const void *request, size_t request_size,
          const void *reply, size_t reply_size, bool refused)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin (self->env, NULL, 0, &txn);
    if (rc)
        return rc;
    MDB_val k = {8, (void *)key}, v;
    int64_t queued_at = 0;
    if (mdb_get (txn, self->dbi[WAITING], &k, &v) == 0 && v.mv_size >= 8)
        queued_at = (int64_t)s_get_be64 ((const uint8_t *)v.mv_data);
    rc = mdb_del (txn, self->dbi[WAITING], &k, NULL);
    int db = refused ? REFUSED : DELIVERED;
    MDB_val record = {8 + 8 + 4 + request_size + reply_size, NULL};
    if (!rc)
        rc = mdb_put (txn, self->dbi[db], &k, &record, MDB_RESERVE);
    if (!rc) {
        uint8_t *at = (uint8_t *)record.mv_data;
        s_be64 (at, (uint64_t)queued_at);
        s_be64 (at + 8, (uint64_t)s_now_ms ());
        for (int i = 0; i < 4; i++)
            at[16 + i] = (uint8_t)(request_size >> (24 - 8 * i));
        memcpy (at + 20, request, request_size);
        memcpy (at + 20 + request_size, reply, reply_size);
        rc = s_prune (self, txn, db, refused ? GC_OUTBOX_REFUSED_MAX : GC_OUTBOX_DELIVERED_MAX);
    }
    if (!rc)
        rc = mdb_txn_commit (txn);
    else
        mdb_txn_abort (txn);
    return rc;
}

size_t
gridcase_outbox_waiting (gridcase_outbox_t *self)
{
    MDB_txn *txn;
    MDB_stat stat = {0};
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn) == 0) {
        mdb_stat (txn, self->dbi[WAITING], &stat);
        mdb_txn_abort (txn);
    }
    return stat.ms_entries;
}

//  --------------------------------------------------------------------------
//  Flushing

//  One waiting request, as read for a flush
typedef struct {
    uint8_t key[8];
    zchunk_t *packed;
    uint64_t sequence;
    uint8_t client_id[16];
    bool answered;
} waiting_t;

//  The waiting requests, oldest first; NULL when the outbox cannot be read
static waiting_t *
s_waiting (gridcase_outbox_t *self, size_t *count)
{
    *count = 0;
    MDB_txn *txn;
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn))
        return NULL;
    MDB_stat stat;
    mdb_stat (txn, self->dbi[WAITING], &stat);
    waiting_t *items = (waiting_t *)calloc (stat.ms_entries + 1, sizeof (waiting_t));
    MDB_cursor *cursor = NULL;
    if (!items || mdb_cursor_open (txn, self->dbi[WAITING], &cursor)) {
        free (items);
        mdb_txn_abort (txn);
        return NULL;
    }
    MDB_val k, v;
    for (int rc = mdb_cursor_get (cursor, &k, &v, MDB_FIRST); rc == 0 && *count < stat.ms_entries;
         rc = mdb_cursor_get (cursor, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || v.mv_size < 8)
            continue;
        Gridcase__Request *request =
            gridcase__request__unpack (NULL, v.mv_size - 8, (const uint8_t *)v.mv_data + 8);
        if (!request || request->client_id.len != 16) {
            if (request)
                gridcase__request__free_unpacked (request, NULL);
            continue;
        }
        waiting_t *item = &items[(*count)++];
        memcpy (item->key, k.mv_data, 8);
        item->packed = zchunk_new ((const uint8_t *)v.mv_data + 8, v.mv_size - 8);
        item->sequence = request->sequence;
        memcpy (item->client_id, request->client_id.data, 16);
        gridcase__request__free_unpacked (request, NULL);
    }
    mdb_cursor_close (cursor);
    mdb_txn_abort (txn);
    return items;
}

static void
s_waiting_free (waiting_t *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++)
        zchunk_destroy (&items[i].packed);
    free (items);
}

//  Replies that say nothing was changed and to try again later: the request
//  keeps waiting
static bool
s_transient (const Gridcase__Reply *reply)
{
    if (reply->result_case != GRIDCASE__REPLY__RESULT_ERROR || !reply->error)
        return false;
    Gridcase__ErrorCode code = reply->error->code;
    return code == GRIDCASE__ERROR_CODE__ERROR_BUSY ||
           code == GRIDCASE__ERROR_CODE__ERROR_STORAGE ||
           code == GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL;
}

//  Sends the unanswered items from FIRST on, up to WINDOW of them in flight
static int
s_send_window (gridcase_t *self, waiting_t *items, size_t count, size_t *next, size_t *in_flight)
{
    while (*next < count && *in_flight < GC_OUTBOX_WINDOW) {
        waiting_t *item = &items[(*next)++];
        if (item->answered)
            continue;
        if (lib_send (self, zchunk_data (item->packed), zchunk_size (item->packed)))
            return -1;
        (*in_flight)++;
    }
    return 0;
}

static int
s_flush (gridcase_t *self, gridcase_answered_fn *answered, void *arg)
{
    gridcase_outbox_t *outbox = self->outbox;
    size_t count;
    waiting_t *items = s_waiting (outbox, &count);
    if (!items)
        return GRIDCASE_ELOCAL;
    size_t left = count, next = 0, in_flight = 0, first = 0;
    int64_t deadline = zclock_mono () + self->timeout;
    int attempt = 1000, rc = GRIDCASE_OK;
    if (left && s_send_window (self, items, count, &next, &in_flight))
        rc = GRIDCASE_ELOCAL;
    while (rc == GRIDCASE_OK && left > 0) {
        int64_t remaining = deadline - zclock_mono ();
        if (remaining <= 0) {
            rc = GRIDCASE_EUNREACHABLE;
            break;
        }
        Gridcase__Reply *reply = NULL;
        int got = gridcase_recv (self, &reply, attempt < remaining ? attempt : (int)remaining);
        if (got == GRIDCASE_EUNREACHABLE) {
            //  Nothing in time: a new connection, and the unanswered again,
            //  in order (the daemon applies each id once)
            if (lib_reconnect (self)) {
                rc = GRIDCASE_ELOCAL;
                break;
            }
            while (first < count && items[first].answered)
                first++;
            next = first;
            in_flight = 0;
            if (s_send_window (self, items, count, &next, &in_flight))
                rc = GRIDCASE_ELOCAL;
            if (attempt < 4000)
                attempt *= 2;
            continue;
        }
        if (!reply)
            continue;
        waiting_t *item = NULL;
        for (size_t i = first; i < next && !item; i++)
            if (!items[i].answered && items[i].sequence == reply->sequence &&
                reply->client_id.len == 16 &&
                memcmp (items[i].client_id, reply->client_id.data, 16) == 0)
                item = &items[i];
        if (item && s_transient (reply)) {
            //  Nothing was changed: it waits, and so does what follows it
            gridcase__reply__free_unpacked (reply, NULL);
            rc = GRIDCASE_EUNREACHABLE;
            break;
        }
        if (item) {
            size_t size = gridcase__reply__get_packed_size (reply);
            uint8_t *packed = (uint8_t *)malloc (size + 1);
            gridcase__reply__pack (reply, packed);
            int stored =
                s_answer (outbox, item->key, zchunk_data (item->packed), zchunk_size (item->packed),
                          packed, size, reply->result_case == GRIDCASE__REPLY__RESULT_ERROR);
            free (packed);
            if (stored) {
                rc = GRIDCASE_ELOCAL;
                gridcase__reply__free_unpacked (reply, NULL);
                break;
            }
            item->answered = true;
            left--;
            in_flight--;
            if (answered) {
                Gridcase__Request *request = gridcase__request__unpack (
                    NULL, zchunk_size (item->packed), zchunk_data (item->packed));
                if (request) {
                    answered (request, reply, arg);
                    gridcase__request__free_unpacked (request, NULL);
                }
            }
            attempt = 1000; //  it answers: wait the usual time again
            deadline = zclock_mono () + self->timeout;
            if (s_send_window (self, items, count, &next, &in_flight))
                rc = GRIDCASE_ELOCAL;
        }
        gridcase__reply__free_unpacked (reply, NULL);
    }
    s_waiting_free (items, count);
    return rc;
}

int
gridcase_flush (gridcase_t *self, gridcase_answered_fn *answered, void *arg)
{
    gridcase_outbox_t *outbox = self->outbox;
    if (!outbox)
        return GRIDCASE_OK;
    //  One flush at a time: in this process, and across processes
    if (pthread_mutex_trylock (&outbox->flushing))
        return GRIDCASE_EBUSY;
    if (flock (outbox->lock, LOCK_EX | LOCK_NB)) {
        pthread_mutex_unlock (&outbox->flushing);
        return errno == EWOULDBLOCK ? GRIDCASE_EBUSY : GRIDCASE_ELOCAL;
    }
    int rc = s_flush (self, answered, arg);
    //  A flush that got no answer drops what its connection still queues:
    //  nothing goes out later behind the app's back, out of the order of
    //  the next flush, and no flush piles up behind another
    if (rc == GRIDCASE_EUNREACHABLE && lib_reconnect (self))
        rc = GRIDCASE_ELOCAL;
    flock (outbox->lock, LOCK_UN);
    pthread_mutex_unlock (&outbox->flushing);
    if (rc == GRIDCASE_OK)
        self->flush_failures = self->flush_delay = 0;
    else if (rc == GRIDCASE_EUNREACHABLE) {
        if (self->flush_failures < 30)
            self->flush_failures++;
        int64_t base = (int64_t)1000 << (self->flush_failures < 21 ? self->flush_failures - 1 : 20);
        if (base > GC_FLUSH_DELAY_MAX)
            base = GC_FLUSH_DELAY_MAX;
        //  A quarter more or less, so a district's phones do not all come
        //  back at the same moment
        int64_t jitter = base / 4;
        self->flush_delay = (int)(base - jitter + (int64_t)randof ((int)(2 * jitter + 1)));
        self->flush_after = zclock_mono () + self->flush_delay;
    }
    return rc;
}

int
gridcase_flush_delay (gridcase_t *self)
{
    return self->flush_delay;
}

//  --------------------------------------------------------------------------
//  A call through the outbox

typedef struct {
    uint64_t sequence;
    Gridcase__Reply *reply;
} capture_t;

static void
s_capture (const Gridcase__Request *request, const Gridcase__Reply *reply, void *arg)
{
    capture_t *capture = (capture_t *)arg;
    if (request->sequence != capture->sequence || capture->reply)
        return;
    size_t size = gridcase__reply__get_packed_size (reply);
    uint8_t *packed = (uint8_t *)malloc (size + 1);
    gridcase__reply__pack (reply, packed);
    capture->reply = gridcase__reply__unpack (NULL, size, packed);
    free (packed);
}

static int
s_outbox_call (gridcase_t *self, Gridcase__Request *request, Gridcase__Reply **reply_p)
{
    *reply_p = NULL;
    if (gridcase_reads (request) || request->op_case == GRIDCASE__REQUEST__OP__NOT_SET)
        return lib_call (self, request, reply_p); //  reads are never queued
    request->sequence = self->sequence++;
    zframe_t *frame = lib_pack (self, request);
    int rc = s_put (self->outbox, zframe_data (frame), zframe_size (frame));
    zframe_destroy (&frame);
    if (rc) {
        errno = rc > 0 && rc < 4096 ? rc : EIO;
        return GRIDCASE_ELOCAL;
    }
    //  While the daemon does not answer, queue without trying each time:
    //  the next try comes when the back-off says
    if (self->flush_failures && zclock_mono () < self->flush_after)
        return GRIDCASE_EQUEUED;
    capture_t capture = {request->sequence, NULL};
    rc = gridcase_flush (self, s_capture, &capture);
    if (capture.reply) {
        *reply_p = capture.reply;
        return capture.reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? GRIDCASE_EREPLY
                                                                           : GRIDCASE_OK;
    }
    return rc == GRIDCASE_ELOCAL ? GRIDCASE_ELOCAL : GRIDCASE_EQUEUED;
}

void
gridcase_set_outbox (gridcase_t *self, gridcase_outbox_t *outbox)
{
    self->outbox = outbox;
    self->outbox_call = outbox ? s_outbox_call : NULL;
}

//  --------------------------------------------------------------------------
//  What the outbox holds

static void
s_items_of (gridcase_outbox_t *self, MDB_txn *txn, int db, zlistx_t *list)
{
    MDB_cursor *cursor;
    if (mdb_cursor_open (txn, self->dbi[db], &cursor))
        return;
    MDB_val k, v;
    for (int rc = mdb_cursor_get (cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get (cursor, &k, &v, MDB_NEXT)) {
        const uint8_t *at = (const uint8_t *)v.mv_data;
        size_t head = db == WAITING ? 8 : 20;
        if (k.mv_size != 8 || v.mv_size < head)
            continue;
        size_t request_size = db == WAITING ? v.mv_size - 8
                                            : (size_t)at[16] << 24 | (size_t)at[17] << 16 |
                                                  (size_t)at[18] << 8 | at[19];
        if (head + request_size > v.mv_size)
            continue;
        gridcase_outbox_item_t *item =
            (gridcase_outbox_item_t *)zmalloc (sizeof (gridcase_outbox_item_t) + 8);
        item->queued_at = (int64_t)s_get_be64 (at);
        item->answered_at = db == WAITING ? 0 : (int64_t)s_get_be64 (at + 8);
        item->request = gridcase__request__unpack (NULL, request_size, at + head);
        if (db != WAITING)
            item->reply = gridcase__reply__unpack (NULL, v.mv_size - head - request_size,
                                                   at + head + request_size);
        memcpy ((uint8_t *)(item + 1), k.mv_data, 8); //  its order, for sorting
        if (item->request)
            zlistx_add_end (list, item);
        else
            free (item);
    }
    mdb_cursor_close (cursor);
}

static int
s_item_compare (const void *a, const void *b)
{
    return memcmp ((const gridcase_outbox_item_t *)a + 1, (const gridcase_outbox_item_t *)b + 1, 8);
}

int
gridcase_outbox_items (gridcase_outbox_t *self, gridcase_outbox_item_t **items, size_t *count)
{
    *items = NULL;
    *count = 0;
    MDB_txn *txn;
    if (mdb_txn_begin (self->env, NULL, MDB_RDONLY, &txn))
        return -1;
    zlistx_t *list = zlistx_new ();
    zlistx_set_comparator (list, s_item_compare);
    for (int db = 0; db < DB_COUNT; db++)
        s_items_of (self, txn, db, list);
    mdb_txn_abort (txn);
    zlistx_sort (list);
    *items =
        (gridcase_outbox_item_t *)calloc (zlistx_size (list) + 1, sizeof (gridcase_outbox_item_t));
    for (gridcase_outbox_item_t *item = (gridcase_outbox_item_t *)zlistx_first (list); item;
         item = (gridcase_outbox_item_t *)zlistx_next (list)) {
        (*items)[(*count)++] = *item;
        free (item);
    }
    zlistx_destroy (&list);
    return 0;
}

void
gridcase_outbox_items_free (gridcase_outbox_item_t **items, size_t count)
{
    for (size_t i = 0; *items && i < count; i++) {
        gridcase__request__free_unpacked ((*items)[i].request, NULL);
        if ((*items)[i].reply)
            gridcase__reply__free_unpacked ((*items)[i].reply, NULL);
    }
    free (*items);
    *items = NULL;
}
