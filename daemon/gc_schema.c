/*  gc_schema - what the store holds, over gc_store's generic layer. See
    gc_schema.h. */
#include "gc_schema.h"
#include "gc_util.h"
#include "gc_holder.h"
#include "gridcase.h"

#include <czmq.h>
#include <errno.h>

//  --------------------------------------------------------------------------
//  The figures' view of a case

static bool
s_state_open (Gridcase__State state)
{
    return state == GRIDCASE__STATE__STATE_AT_GRID || state == GRIDCASE__STATE__STATE_QUEUED ||
           state == GRIDCASE__STATE__STATE_CLAIMED || state == GRIDCASE__STATE__STATE_IN_PROGRESS;
}

void
gc_figures_snap (const Gridcase__Case *kase, gc_figures_snap_t *snap)
{
    memset (snap, 0, sizeof (*snap));
    if (!kase)
        return;
    snap->open = kase->state != GRIDCASE__STATE__STATE_CLOSED;
    bool flagged = kase->missed || kase->level == GRIDCASE__LEVEL__LEVEL_SUPERVISION;
    snap->overdue = snap->open && s_state_open (kase->state) && flagged;
    gc_holder_t queue = gc_holder_of (kase->queue);
    if (queue.kind == GC_HOLDER_DEPT) {
        gc_copy (snap->dept, sizeof (snap->dept), queue.id);
        snap->dept_open = s_state_open (kase->state);
        snap->dept_since = kase->dept_since;
    }
    if (kase->state == GRIDCASE__STATE__STATE_QUEUED)
        gc_copy (snap->queue, sizeof (snap->queue), kase->queue);
    snap->level = kase->level;
}

//  --------------------------------------------------------------------------
//  The schema's version

#define GC_VERSION_NAME "schema"

typedef struct {
    uint32_t found;  //  the version the store holds, 0 for a new store
    size_t upgraded; //  request ids given a binding
} version_t;

//  Version 1 to 2: request ids kept before bindings existed get an all-zero
//  binding, which any resend matches, until the window forgets them
static int
s_upgrade_bindings (gc_txn_t *txn, size_t *upgraded)
{
    zlistx_t *keys = zlistx_new ();
    zlistx_set_destructor (keys, (zlistx_destructor_fn *)zchunk_destroy);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_REQUESTS);
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk)
        if (walk.value_size >= 8) {
            const uint8_t *value = (const uint8_t *)walk.value;
            zchunk_t *record = zchunk_new (NULL, walk.key_size + walk.value_size + GC_BINDING_SIZE);
            zchunk_extend (record, walk.key, walk.key_size);
            zchunk_extend (record, value, 8);
            uint8_t zero[GC_BINDING_SIZE] = {0};
            zchunk_extend (record, zero, GC_BINDING_SIZE);
            zchunk_extend (record, value + 8, walk.value_size - 8);
            zlistx_add_end (keys, record);
        }
    gc_cursor_destroy (&cursor);
    for (zchunk_t *record = (zchunk_t *)zlistx_first (keys); record;
         record = (zchunk_t *)zlistx_next (keys)) {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_bytes (&key, zchunk_data (record), GC_CLIENT_ID_SIZE + 8);
        gc_txn_put (txn, GC_DB_REQUESTS, &key, zchunk_data (record) + key.size,
                    zchunk_size (record) - key.size);
    }
    *upgraded = zlistx_size (keys);
    zlistx_destroy (&keys);
    return walk.rc == GC_NOTFOUND ? gc_txn_error (txn) : walk.rc;
}

//  Version 2 to 3: the open and overdue cases of each level, counted from
//  the cases (the figures keep them up to date from then on)
static int
s_upgrade_levels (gc_txn_t *txn)
{
    uint64_t open[GRIDCASE__LEVEL__LEVEL_SUPERVISION + 1] = {0};
    uint64_t overdue[GRIDCASE__LEVEL__LEVEL_SUPERVISION + 1] = {0};
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASES);
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        Gridcase__Case *kase =
            gridcase__case__unpack (NULL, walk.value_size, (const uint8_t *)walk.value);
        gc_figures_snap_t snap;
        gc_figures_snap (kase, &snap);
        if (kase && snap.open && (unsigned)snap.level <= GRIDCASE__LEVEL__LEVEL_SUPERVISION) {
            open[snap.level]++;
            overdue[snap.level] += snap.overdue;
        }
        if (kase)
            gridcase__case__free_unpacked (kase, NULL);
    }
    gc_cursor_destroy (&cursor);
    for (int level = 0; level <= GRIDCASE__LEVEL__LEVEL_SUPERVISION; level++) {
        if (!open[level])
            continue;
        Gridcase__Figures gauges = GRIDCASE__FIGURES__INIT;
        gauges.open_now = open[level];
        gauges.overdue_now = overdue[level];
        char name[64];
        gc_join (name, sizeof (name), "level", '/', gridcase_level_name ((Gridcase__Level)level));
        gc_key_t key;
        uint8_t packed[64];
        size_t size = gridcase__figures__pack (&gauges, packed);
        if (gc_key_pack (&key, GC_KEY_FIGURES, name, (uint32_t)0))
            gc_txn_put (txn, GC_DB_FIGURES, &key, packed, size);
    }
    return walk.rc == GC_NOTFOUND ? gc_txn_error (txn) : walk.rc;
}

//  META's keys are names without a NUL
static void
s_meta_key (gc_key_t *key, const char *name)
{
    gc_key_reset (key);
    gc_key_bytes (key, name, strlen (name));
}

static int
s_version_read (gc_txn_t *txn, uint32_t *found)
{
    gc_key_t key;
    s_meta_key (&key, GC_VERSION_NAME);
    const void *value;
    size_t size;
    *found = 0;
    int rc = gc_txn_get (txn, GC_DB_META, &key, &value, &size);
    if (rc == GC_OK)
        gc_key_unpack (value, size, "w", found);
    return rc == GC_OK && *found == 0 ? GC_CORRUPT : rc;
}

static int
s_version_work (gc_txn_t *txn, void *arg)
{
    version_t *version = (version_t *)arg;
    version->upgraded = 0;
    int rc = s_version_read (txn, &version->found);
    if (rc != GC_OK && rc != GC_NOTFOUND)
        return rc;
    if (version->found > GC_SCHEMA_VERSION)
        return GC_OK;
    if (version->found && version->found < 2)
        s_upgrade_bindings (txn, &version->upgraded);
    if (version->found && version->found < 3)
        s_upgrade_levels (txn);
    if (version->found != GC_SCHEMA_VERSION) {
        gc_key_t key, value;
        s_meta_key (&key, GC_VERSION_NAME);
        gc_key_pack (&value, "w", GC_SCHEMA_VERSION);
        gc_txn_put (txn, GC_DB_META, &key, value.data, value.size);
    }
    return gc_txn_error (txn);
}

gc_store_t *
gc_schema_open (const char *dir, const gc_store_options_t *options)
{
    gc_store_t *store = gc_store_new (dir, options);
    if (!store)
        return NULL;
    version_t version = {0, 0};
    int rc;
    if (options && options->readonly) {
        gc_txn_t *txn = gc_txn_begin (store, false);
        rc = txn ? s_version_read (txn, &version.found) : GC_EIO;
        gc_txn_abort (&txn);
        if (rc == GC_NOTFOUND)
            rc = GC_OK, version.found = GC_SCHEMA_VERSION; //  a store never written
    } else
        rc = gc_store_write (store, s_version_work, NULL, &version, NULL);
    if (rc == GC_OK && version.found > GC_SCHEMA_VERSION) {
        zsys_error ("store %s: written by a newer gridcased (schema version %u); refusing to open",
                    dir, version.found);
        rc = GC_CORRUPT;
    } else if (rc != GC_OK)
        zsys_error ("store %s: cannot read the schema version: %s", dir, gc_store_strerror (rc));
    else if (version.found && version.found < GC_SCHEMA_VERSION && !(options && options->readonly))
        zsys_notice ("store %s: upgraded to schema version %d (%zu kept request ids)", dir,
                     GC_SCHEMA_VERSION, version.upgraded);
    if (rc != GC_OK)
        gc_store_destroy (&store);
    return store;
}

//  --------------------------------------------------------------------------
//  The scaled clock's timeline

//  A scaled clock (--time-scale) keeps one timeline across restarts, so a
//  deadline that passed while the daemon was down fires right after start:
//  META "scaled-clock" holds the timeline's origin and its scale (x 1000)
static int
s_clock_work (gc_txn_t *txn, void *arg)
{
    (void)arg;
    gc_key_t key, stored;
    gc_key_pack (&key, "s", "scaled-clock");
    const void *value;
    size_t size;
    uint64_t origin, scale = (uint64_t)(gc_clock_scale () * 1000), was;
    if (gc_txn_get (txn, GC_DB_META, &key, &value, &size) == GC_OK &&
        gc_key_unpack (value, size, "qq", &origin, &was) && was == scale) {
        gc_clock_set_origin ((int64_t)origin);
        zsys_info ("scaled clock: continuing the timeline of the previous run");
        return GC_OK;
    }
    gc_key_pack (&stored, "qq", (uint64_t)gc_clock_origin (), scale);
    return gc_txn_put (txn, GC_DB_META, &key, stored.data, stored.size);
}

void
gc_schema_clock_resume (gc_store_t *store)
{
    gc_store_write (store, s_clock_work, NULL, NULL, NULL);
}

//  --------------------------------------------------------------------------
//  Cases

int
gc_txn_case_put (gc_txn_t *self, const Gridcase__Case *kase)
{
    void *data;
    int rc = gc_txn_case_reserve (self, kase->id, gridcase__case__get_packed_size (kase), &data);
    if (rc == GC_OK)
        gridcase__case__pack (kase, (uint8_t *)data);
    return rc;
}

//  The last case number of a day as this transaction knows it: found once
//  with a cursor, then moved on by each case it writes under the next one
typedef struct {
    uint32_t day;
    uint32_t last;
    gc_key_t next; //  the key of case LAST + 1
} case_number_t;

static void
s_case_number_set (case_number_t *known, uint32_t day, uint32_t last)
{
    char id[GC_CASE_ID_MAX];
    known->day = day;
    known->last = last;
    gc_case_id_format (day, last + 1, id, sizeof (id));
    gc_key_pack (&known->next, GC_KEY_CASE, id);
}

static void
s_case_number_finish (gc_txn_t *txn, void *state, bool commit)
{
    (void)txn;
    (void)commit;
    free (state);
}

int
gc_txn_case_reserve (gc_txn_t *self, const char *id, size_t size, void **data)
{
    gc_key_t key;
    *data = NULL;
    if (!gc_key_pack (&key, GC_KEY_CASE, id))
        return gc_txn_fail (self, EINVAL, "cases: a case id that is not one");
    case_number_t *known = (case_number_t *)gc_txn_pending (self, GC_PENDING_CASE_NUMBER);
    if (known && known->next.size == key.size && !memcmp (known->next.data, key.data, key.size))
        s_case_number_set (known, known->day, known->last + 1);
    return gc_txn_reserve (self, GC_DB_CASES, &key, size, data);
}

int
gc_txn_case_get (gc_txn_t *self, const char *id, Gridcase__Case **case_p)
{
    gc_key_t key;
    if (!gc_key_pack (&key, GC_KEY_CASE, id))
        return GC_NOTFOUND;
    const void *value;
    size_t size;
    int rc = gc_txn_get (self, GC_DB_CASES, &key, &value, &size);
    if (rc)
        return rc;
    *case_p = gridcase__case__unpack (NULL, size, (const uint8_t *)value);
    if (!*case_p) {
        zsys_error ("store %s: case %s does not decode", gc_txn_dir (self), id);
        return GC_CORRUPT;
    }
    return GC_OK;
}

uint32_t
gc_txn_case_next_number (gc_txn_t *self, uint32_t day)
{
    case_number_t *known = (case_number_t *)gc_txn_pending (self, GC_PENDING_CASE_NUMBER);
    if (known && known->day == day)
        return known->last + 1;
    gc_key_t prefix;
    gc_key_pack (&prefix, GC_KEY_CASES_OF_DAY, day);
    gc_cursor_t *cursor = gc_cursor_prefix (self, GC_DB_CASES, &prefix);
    if (!cursor)
        return 0;
    gc_key_t after;
    gc_key_pack (&after, GC_KEY_CASES_OF_DAY, day + 1);
    //  The last key of DAY is the last before the first of the next day
    const void *k;
    size_t ksize;
    char id[GC_CASE_ID_MAX];
    int rc = gc_cursor_seek_before (cursor, &after, &k, &ksize, NULL, NULL);
    uint32_t number = 1;
    if (rc == GC_OK && gc_key_unpack (k, ksize, GC_KEY_CASE, id))
        number = (uint32_t)strtoul (id + 9, NULL, 10) + 1;
    else if (rc != GC_OK && rc != GC_NOTFOUND)
        number = 0; //  the cursor's failure sticks in the transaction
    gc_cursor_destroy (&cursor);
    if (number && gc_txn_writes (self)) {
        if (!known) {
            known = (case_number_t *)zmalloc (sizeof (case_number_t));
            gc_txn_set_pending (self, GC_PENDING_CASE_NUMBER, known, s_case_number_finish);
        }
        s_case_number_set (known, day, number - 1);
    }
    return number;
}

//  --------------------------------------------------------------------------
//  Idempotency

int
gc_txn_request_get (gc_txn_t *self, const uint8_t *client_id, uint64_t sequence, uint8_t *binding,
                    const void **reply, size_t *size)
{
    gc_key_t key;
    gc_key_pack (&key, GC_KEY_REQUEST, client_id, sequence);
    const void *value;
    size_t vsize;
    int rc = gc_txn_get (self, GC_DB_REQUESTS, &key, &value, &vsize);
    if (rc)
        return rc;
    if (vsize < 8 + GC_BINDING_SIZE)
        return GC_CORRUPT;
    memcpy (binding, (const uint8_t *)value + 8, GC_BINDING_SIZE);
    *reply = (const uint8_t *)value + 8 + GC_BINDING_SIZE;
    *size = vsize - 8 - GC_BINDING_SIZE;
    return GC_OK;
}

int
gc_txn_request_put (gc_txn_t *self, const uint8_t *client_id, uint64_t sequence, int64_t now,
                    const uint8_t *binding, const void *reply, size_t size)
{
    //  The record: be64 time + binding + the reply
    gc_key_t key, stamp;
    gc_key_pack (&key, GC_KEY_REQUEST, client_id, sequence);
    gc_key_pack (&stamp, "q", (uint64_t)now);
    uint8_t *record;
    size_t head = stamp.size + GC_BINDING_SIZE;
    if (gc_txn_reserve (self, GC_DB_REQUESTS, &key, head + size, (void **)&record) == GC_OK) {
        memcpy (record, stamp.data, stamp.size);
        if (binding)
            memcpy (record + stamp.size, binding, GC_BINDING_SIZE);
        else
            memset (record + stamp.size, 0, GC_BINDING_SIZE);
        memcpy (record + head, reply, size);
    }
    //  The age index: when to forget it
    gc_key_t age;
    gc_key_pack (&age, GC_KEY_REQUEST_AGE, (uint64_t)now, client_id, sequence);
    return gc_txn_put (self, GC_DB_REQUEST_AGES, &age, "", 0);
}

int
gc_txn_request_prune (gc_txn_t *self, int64_t before, size_t max, size_t *pruned)
{
    *pruned = 0;
    gc_key_t *ages = (gc_key_t *)malloc (max * sizeof (gc_key_t));
    gc_cursor_t *cursor = gc_cursor_new (self, GC_DB_REQUEST_AGES);
    size_t found = 0;
    uint64_t when;
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        if (found == max ||
            !gc_key_unpack (walk.key, walk.key_size, GC_KEY_REQUEST_AGE, &when, NULL, NULL) ||
            (int64_t)when >= before)
            break;
        gc_key_reset (&ages[found]);
        gc_key_bytes (&ages[found++], walk.key, walk.key_size);
    }
    gc_cursor_destroy (&cursor);
    for (size_t i = 0; i < found; i++) {
        const uint8_t *client_id;
        uint64_t sequence;
        gc_key_unpack (ages[i].data, ages[i].size, GC_KEY_REQUEST_AGE, NULL, &client_id, &sequence);
        gc_key_t key;
        gc_key_pack (&key, GC_KEY_REQUEST, client_id, sequence);
        gc_txn_del (self, GC_DB_REQUESTS, &key);
        gc_txn_del (self, GC_DB_REQUEST_AGES, &ages[i]);
    }
    free (ages);
    *pruned = found;
    return walk.rc == GC_OK || walk.rc == GC_NOTFOUND ? gc_txn_error (self) : walk.rc;
}

//  --------------------------------------------------------------------------
//  Deadline, queue and escalation-log indexes

int
gc_txn_deadline_put (gc_txn_t *self, int64_t due, const char *case_id, uint8_t kind)
{
    gc_key_t key;
    if (!gc_key_pack (&key, GC_KEY_DEADLINE, (uint64_t)due, case_id, kind))
        return gc_txn_fail (self, EINVAL, "deadline index: a case id that is not one");
    return gc_txn_put (self, GC_DB_DEADLINES, &key, "", 0);
}

int
gc_txn_deadline_del (gc_txn_t *self, int64_t due, const char *case_id, uint8_t kind)
{
    gc_key_t key;
    if (!gc_key_pack (&key, GC_KEY_DEADLINE, (uint64_t)due, case_id, kind))
        return gc_txn_fail (self, EINVAL, "deadline index: a case id that is not one");
    return gc_txn_del (self, GC_DB_DEADLINES, &key);
}

bool
gc_deadline_key_parse (const void *key, size_t size, int64_t *due, char *case_id, uint8_t *kind)
{
    return gc_key_unpack (key, size, GC_KEY_DEADLINE, (uint64_t *)due, case_id, kind);
}

static bool
s_queue_key (gc_key_t *key, const char *queue, uint8_t severity, int64_t due, const char *case_id)
{
    return strlen (queue) <= 128 &&
           gc_key_pack (key, GC_KEY_QUEUE, queue, severity, (uint64_t)due, case_id);
}

int
gc_txn_queue_put (gc_txn_t *self, const char *queue, uint8_t severity, int64_t due,
                  const char *case_id)
{
    gc_key_t key;
    if (!s_queue_key (&key, queue, severity, due, case_id))
        return gc_txn_fail (self, EINVAL, "queue index: a case id or queue name that is not one");
    return gc_txn_put (self, GC_DB_QUEUES, &key, "", 0);
}

int
gc_txn_queue_del (gc_txn_t *self, const char *queue, uint8_t severity, int64_t due,
                  const char *case_id)
{
    gc_key_t key;
    if (!s_queue_key (&key, queue, severity, due, case_id))
        return gc_txn_fail (self, EINVAL, "queue index: a case id or queue name that is not one");
    return gc_txn_del (self, GC_DB_QUEUES, &key);
}

int
gc_txn_log_put (gc_txn_t *self, const char *key, uint64_t seq)
{
    gc_key_t k;
    if (!gc_key_pack (&k, GC_KEY_LOG, key, seq))
        return gc_txn_fail (self, EINVAL, "log index: an area name too long");
    return gc_txn_put (self, GC_DB_LOG, &k, "", 0);
}
