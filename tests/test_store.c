/*  The store: cases, journal order and chain, reopening, the idempotency
    window, and map growth from a tiny initial map. */
#include "gc_request.h"
#include "gc_schema.h"
#include "gc_chain.h"
#include "gc_store.h"
#include "testutil.h"

#include <czmq.h>
#include <lmdb.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[256];

static void
s_fresh_dir (void)
{
    snprintf (s_dir, sizeof (s_dir), "/tmp/gc-test-store-XXXXXX");
    assert (mkdtemp (s_dir));
}

static void
s_remove_dir (void)
{
    char command[300];
    snprintf (command, sizeof (command), "rm -rf %s", s_dir);
    if (system (command) != 0)
        fprintf (stderr, "cannot remove %s\n", s_dir);
}

static void
s_case (Gridcase__Case *kase, char *id, const char *title)
{
    gridcase__case__init (kase);
    kase->id = id;
    kase->title = (char *)title;
    kase->state = GRIDCASE__STATE__STATE_AT_GRID;
    kase->holder = "grid/haihong-01";
}

static bool
test_case_put_get (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    CHECK (store);
    gc_txn_t *txn = gc_txn_begin (store, true);
    CHECK_OP (gc_txn_case_next_number (txn, 20261122), ==, 1);
    Gridcase__Case kase;
    s_case (&kase, "20261122-000001", "gas smell");
    CHECK_OP (gc_txn_case_put (txn, &kase), ==, GC_OK);
    //  Inside the same transaction the new case is seen and numbers move on
    CHECK_OP (gc_txn_case_next_number (txn, 20261122), ==, 2);
    CHECK_OP (gc_txn_case_next_number (txn, 20261123), ==, 1);
    CHECK_OP (gc_txn_case_next_number (txn, 20261121), ==, 1);
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);

    txn = gc_txn_begin (store, false);
    Gridcase__Case *got = NULL;
    CHECK_OP (gc_txn_case_get (txn, "20261122-000001", &got), ==, GC_OK);
    CHECK (streq (got->title, "gas smell"));
    CHECK_OP (got->state, ==, GRIDCASE__STATE__STATE_AT_GRID);
    gridcase__case__free_unpacked (got, NULL);
    CHECK_OP (gc_txn_case_get (txn, "20261122-000002", &got), ==, GC_NOTFOUND);
    CHECK_OP (gc_txn_case_get (txn, "not-an-id", &got), ==, GC_NOTFOUND);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    CHECK (store == NULL);
    s_remove_dir ();
    return true;
}

static bool
s_append (gc_store_t *store, const char *case_id, const char *reason)
{
    gc_txn_t *txn = gc_txn_begin (store, true);
    Gridcase__JournalEntry entry = GRIDCASE__JOURNAL_ENTRY__INIT;
    entry.case_id = (char *)case_id;
    entry.reason = (char *)reason;
    entry.type = GRIDCASE__EVENT_TYPE__EVENT_NOTE;
    int rc = gc_chain_append (txn, &entry);
    return rc == GC_OK && gc_txn_commit (&txn) == GC_OK;
}

//  Walks the journal: entries in seq order, each prev_hash the hash of the one before
static int
s_verify_chain (gc_store_t *store, const char **reasons)
{
    gc_txn_t *txn = gc_txn_begin (store, false);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_JOURNAL);
    const void *k, *v;
    size_t ks, vs;
    uint8_t prev[GC_HASH_SIZE] = {0};
    int count = 0;
    int rc = gc_cursor_seek (cursor, NULL, &k, &ks, &v, &vs);
    while (rc == GC_OK) {
        Gridcase__JournalEntry *e = gridcase__journal_entry__unpack (NULL, vs, v);
        if (!e || e->seq != (uint64_t)count + 1 || gc_be64 (k) != e->seq ||
            e->prev_hash.len != GC_HASH_SIZE || memcmp (e->prev_hash.data, prev, GC_HASH_SIZE) ||
            (reasons && !streq (e->reason, reasons[count]))) {
            count = -1;
            gridcase__journal_entry__free_unpacked (e, NULL);
            break;
        }
        gridcase__journal_entry__free_unpacked (e, NULL);
        gc_hash (v, vs, prev);
        count++;
        rc = gc_cursor_next (cursor, &k, &ks, &v, &vs);
    }
    gc_cursor_destroy (&cursor);
    gc_txn_abort (&txn);
    return count;
}

static bool
test_journal_order_and_chain (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    CHECK (s_append (store, "20261122-000001", "first"));
    CHECK (s_append (store, "20261122-000002", "second"));
    CHECK (s_append (store, "20261122-000001", "third"));
    const char *reasons[] = {"first", "second", "third"};
    CHECK_OP (s_verify_chain (store, reasons), ==, 3);
    //  The case index lists entries 1 and 3 for the first case
    gc_txn_t *txn = gc_txn_begin (store, false);
    CHECK_OP (gc_chain_last (txn), ==, 3);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASE_JOURNAL);
    gc_key_t key;
    CHECK (gc_case_id_parse ("20261122-000001", &key));
    const void *k;
    size_t ks;
    CHECK_OP (gc_cursor_seek (cursor, &key, &k, &ks, NULL, NULL), ==, GC_OK);
    CHECK (ks == 16 && memcmp (k, key.data, 8) == 0 && gc_be64 ((const uint8_t *)k + 8) == 1);
    CHECK_OP (gc_cursor_next (cursor, &k, &ks, NULL, NULL), ==, GC_OK);
    CHECK (memcmp (k, key.data, 8) == 0 && gc_be64 ((const uint8_t *)k + 8) == 3);
    gc_cursor_destroy (&cursor);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

static bool
test_reopen_keeps_everything (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    gc_txn_t *txn = gc_txn_begin (store, true);
    Gridcase__Case kase;
    s_case (&kase, "20261122-000007", "blocked drain");
    CHECK_OP (gc_txn_case_put (txn, &kase), ==, GC_OK);
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    CHECK (s_append (store, "20261122-000007", "before"));
    //  An aborted transaction leaves nothing behind
    txn = gc_txn_begin (store, true);
    s_case (&kase, "20261122-000008", "never committed");
    CHECK_OP (gc_txn_case_put (txn, &kase), ==, GC_OK);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);

    store = gc_store_new (s_dir, NULL);
    CHECK (store);
    //  The chain continues across the restart
    CHECK (s_append (store, "20261122-000007", "after"));
    const char *reasons[] = {"before", "after"};
    CHECK_OP (s_verify_chain (store, reasons), ==, 2);
    txn = gc_txn_begin (store, false);
    Gridcase__Case *got = NULL;
    CHECK_OP (gc_txn_case_get (txn, "20261122-000007", &got), ==, GC_OK);
    CHECK (streq (got->title, "blocked drain"));
    gridcase__case__free_unpacked (got, NULL);
    CHECK_OP (gc_txn_case_get (txn, "20261122-000008", &got), ==, GC_NOTFOUND);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

static bool
test_idempotent_replay (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    uint8_t client[16], other[16], binding[GC_BINDING_SIZE], kept[GC_BINDING_SIZE];
    memset (client, 0xAB, 16);
    memset (other, 0xCD, 16);
    gc_request_binding ("officer:o-haihong-01", "request bytes", 13, binding);
    gc_txn_t *txn = gc_txn_begin (store, true);
    CHECK_OP (gc_txn_request_put (txn, client, 41, 1000, binding, "first reply", 11), ==, GC_OK);
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    gc_store_destroy (&store);
    store = gc_store_new (s_dir, NULL);
    txn = gc_txn_begin (store, false);
    const void *reply;
    size_t size;
    CHECK_OP (gc_txn_request_get (txn, client, 41, kept, &reply, &size), ==, GC_OK);
    CHECK (size == 11 && memcmp (reply, "first reply", 11) == 0);
    CHECK_OP (memcmp (kept, binding, GC_BINDING_SIZE), ==, 0);
    CHECK_OP (gc_txn_request_get (txn, client, 42, kept, &reply, &size), ==, GC_NOTFOUND);
    CHECK_OP (gc_txn_request_get (txn, other, 41, kept, &reply, &size), ==, GC_NOTFOUND);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

//  A store of schema 1 (request ids kept without a binding) is upgraded on
//  open: its ids keep their replies, bound to nobody; a newer one is refused
//  open: its ids keep their replies, bound to nobody
static bool
test_schema_1_request_ids_are_upgraded (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_schema_open (s_dir, NULL);
    gc_store_destroy (&store);
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi meta, requests;
    CHECK_OP (mdb_env_create (&env), ==, 0);
    mdb_env_set_maxdbs (env, 32);
    CHECK_OP (mdb_env_open (env, s_dir, 0, 0600), ==, 0);
    CHECK_OP (mdb_txn_begin (env, NULL, 0, &txn), ==, 0);
    CHECK_OP (mdb_dbi_open (txn, "meta", 0, &meta), ==, 0);
    CHECK_OP (mdb_dbi_open (txn, "requests", 0, &requests), ==, 0);
    uint8_t version[4] = {0, 0, 0, 1}, key[24], value[8 + 5] = {0, 0, 0, 0, 0, 0, 0, 9};
    memset (key, 0xAB, 16);
    memset (key + 16, 0, 8);
    key[23] = 7;
    memcpy (value + 8, "reply", 5);
    MDB_val k = {6, "schema"}, v = {4, version};
    CHECK_OP (mdb_put (txn, meta, &k, &v, 0), ==, 0);
    k = (MDB_val){24, key};
    v = (MDB_val){sizeof (value), value};
    CHECK_OP (mdb_put (txn, requests, &k, &v, 0), ==, 0);
    CHECK_OP (mdb_txn_commit (txn), ==, 0);
    mdb_env_close (env);
    store = gc_schema_open (s_dir, NULL);
    CHECK (store);
    gc_txn_t *read = gc_txn_begin (store, false);
    const void *reply;
    size_t size;
    uint8_t kept[GC_BINDING_SIZE], none[GC_BINDING_SIZE] = {0};
    CHECK_OP (gc_txn_request_get (read, key, 7, kept, &reply, &size), ==, GC_OK);
    CHECK (size == 5 && memcmp (reply, "reply", 5) == 0);
    CHECK_OP (memcmp (kept, none, GC_BINDING_SIZE), ==, 0);
    gc_txn_abort (&read);
    gc_store_destroy (&store);
    //  A store of a newer schema is refused, read-only too, and left as it was
    CHECK_OP (mdb_env_create (&env), ==, 0);
    mdb_env_set_maxdbs (env, 32);
    CHECK_OP (mdb_env_open (env, s_dir, 0, 0600), ==, 0);
    CHECK_OP (mdb_txn_begin (env, NULL, 0, &txn), ==, 0);
    CHECK_OP (mdb_dbi_open (txn, "meta", 0, &meta), ==, 0);
    version[3] = GC_SCHEMA_VERSION + 1;
    k = (MDB_val){6, "schema"};
    v = (MDB_val){4, version};
    CHECK_OP (mdb_put (txn, meta, &k, &v, 0), ==, 0);
    CHECK_OP (mdb_txn_commit (txn), ==, 0);
    mdb_env_close (env);
    CHECK (gc_schema_open (s_dir, NULL) == NULL);
    gc_store_options_t readonly = {0, 0, true};
    CHECK (gc_schema_open (s_dir, &readonly) == NULL);
    store = gc_store_new (s_dir, &readonly);
    read = gc_txn_begin (store, false);
    gc_key_t name;
    gc_key_reset (&name);
    gc_key_bytes (&name, "schema", 6);
    const void *stored;
    CHECK_OP (gc_txn_get (read, GC_DB_META, &name, &stored, &size), ==, GC_OK);
    CHECK_OP (((const uint8_t *)stored)[3], ==, GC_SCHEMA_VERSION + 1);
    gc_txn_abort (&read);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

//  Writes SIZE bytes of FILL as DIR/data.mdb, or truncates it to SIZE
static void
s_data_file (size_t size, int fill, bool truncate_only)
{
    char path[300];
    snprintf (path, sizeof (path), "%s/data.mdb", s_dir);
    if (truncate_only) {
        assert (truncate (path, (off_t)size) == 0);
        return;
    }
    FILE *file = fopen (path, "wb");
    assert (file);
    for (size_t i = 0; i < size; i++)
        fputc (fill, file);
    fclose (file);
}

//  An empty, truncated or foreign data.mdb is refused before LMDB maps it:
//  no new empty store over it, no SIGBUS
static bool
test_damaged_store_files_are_refused (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    CHECK (store);
    gc_txn_t *txn = gc_txn_begin (store, true);
    char value[1000];
    memset (value, 'v', sizeof (value));
    for (uint32_t i = 0; i < 2000; i++) {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_u32 (&key, i);
        CHECK_OP (gc_txn_put (txn, GC_DB_META, &key, value, sizeof (value)), ==, GC_OK);
    }
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    gc_store_destroy (&store);
    //  Intact, it opens again
    store = gc_store_new (s_dir, NULL);
    CHECK (store);
    gc_store_destroy (&store);
    //  Cut to a third: its last pages are gone
    char path[300];
    snprintf (path, sizeof (path), "%s/data.mdb", s_dir);
    struct stat info;
    CHECK_OP (stat (path, &info), ==, 0);
    s_data_file ((size_t)info.st_size / 3, 0, true);
    CHECK (gc_store_new (s_dir, NULL) == NULL);
    gc_store_options_t readonly = {0, 0, true};
    CHECK (gc_store_new (s_dir, &readonly) == NULL);
    //  Empty, and not LMDB at all
    s_data_file (0, 0, false);
    CHECK (gc_store_new (s_dir, NULL) == NULL);
    CHECK (stat (path, &info) == 0 && info.st_size == 0);
    s_data_file (100000, 'x', false);
    CHECK (gc_store_new (s_dir, NULL) == NULL);
    s_remove_dir ();
    return true;
}

static void *
s_long_read (void *arg)
{
    //  A read transaction held for a second, as a backup's copy holds one
    gc_txn_t *txn = gc_txn_begin ((gc_store_t *)arg, false);
    zclock_sleep (1000);
    gc_txn_abort (&txn);
    return NULL;
}

//  A backup makes room in the map before its copy starts; growing the map
//  while a long read holds it answers busy within half a second instead of
//  waiting for the read to end
static bool
test_map_growth_never_waits_for_a_backup (void)
{
    s_fresh_dir ();
    gc_store_options_t options = {1 << 20, (size_t)1 << 30, false};
    gc_store_t *store = gc_store_new (s_dir, &options);
    CHECK (store);
    gc_txn_t *txn = gc_txn_begin (store, true);
    char value[1000];
    memset (value, 'v', sizeof (value));
    for (uint32_t i = 0; i < 300; i++) {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_u32 (&key, i);
        CHECK_OP (gc_txn_put (txn, GC_DB_META, &key, value, sizeof (value)), ==, GC_OK);
    }
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    CHECK_OP (gc_store_map_size (store), ==, 1 << 20);
    char backup[300], why[300];
    snprintf (backup, sizeof (backup), "%s/backup", s_dir);
    uint64_t bytes = 0;
    CHECK_OP (gc_store_backup (store, backup, &bytes, why, sizeof (why)), ==, GC_OK);
    CHECK_OP (gc_store_map_size (store), >=, (size_t)64 << 20);
    pthread_t reader;
    CHECK_OP (pthread_create (&reader, NULL, s_long_read, store), ==, 0);
    zclock_sleep (100);
    int64_t start = zclock_mono ();
    CHECK_OP (gc_store_grow (store), ==, GC_BUSY);
    int64_t waited = zclock_mono () - start;
    CHECK (waited >= 400 && waited < 900);
    pthread_join (reader, NULL);
    size_t before = gc_store_map_size (store);
    CHECK_OP (gc_store_grow (store), ==, GC_OK);
    CHECK_OP (gc_store_map_size (store), ==, 2 * before);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

static bool
test_old_request_ids_are_forgotten (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    uint8_t client[16];
    memset (client, 0xAB, 16);
    const int64_t day = 24 * 3600 * 1000LL;
    gc_txn_t *txn = gc_txn_begin (store, true);
    //  Requests 1..5 answered on days 1..5
    for (uint64_t seq = 1; seq <= 5; seq++)
        CHECK_OP (gc_txn_request_put (txn, client, seq, (int64_t)seq * day, NULL, "reply", 5), ==,
                  GC_OK);
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    //  On day 10 with a 7-day window, those before day 3 go: 1 and 2, one at a time
    size_t pruned = 0, total = 0;
    do {
        txn = gc_txn_begin (store, true);
        CHECK_OP (gc_txn_request_prune (txn, 10 * day - 7 * day, 1, &pruned), ==, GC_OK);
        CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
        total += pruned;
    } while (pruned);
    CHECK_OP (total, ==, 2);
    txn = gc_txn_begin (store, false);
    const void *reply;
    uint8_t kept[GC_BINDING_SIZE];
    size_t size;
    CHECK_OP (gc_txn_request_get (txn, client, 1, kept, &reply, &size), ==, GC_NOTFOUND);
    CHECK_OP (gc_txn_request_get (txn, client, 2, kept, &reply, &size), ==, GC_NOTFOUND);
    for (uint64_t seq = 3; seq <= 5; seq++)
        CHECK_OP (gc_txn_request_get (txn, client, seq, kept, &reply, &size), ==, GC_OK);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

static bool
test_map_growth_from_tiny_map (void)
{
    s_fresh_dir ();
    gc_store_options_t options = {64 * 1024, 64 << 20, false};
    gc_store_t *store = gc_store_new (s_dir, &options);
    CHECK (store);
    size_t initial = gc_store_map_size (store);
    int grown = 0;
    char title[600];
    memset (title, 'x', sizeof (title) - 1);
    title[sizeof (title) - 1] = 0;
    //  A reader's transaction, reset between its reads, holds back neither
    //  the growth nor the newest snapshot
    gc_txn_t *reader = gc_txn_begin (store, false);
    CHECK (reader);
    gc_txn_reset (reader);
    //  The writer's loop: on a full map abort, grow, run the batch again
    for (uint32_t batch = 0; batch < 40; batch++) {
        int rc;
        do {
            gc_txn_t *txn = gc_txn_begin (store, true);
            for (uint32_t i = 1; i <= 50; i++) {
                char id[GC_CASE_ID_MAX];
                gc_case_id_format (20261122, batch * 50 + i, id, sizeof (id));
                Gridcase__Case kase;
                s_case (&kase, id, title);
                gc_txn_case_put (txn, &kase);
            }
            rc = gc_txn_commit (&txn);
            if (rc == GC_MAPFULL) {
                CHECK_OP (gc_store_grow (store), ==, GC_OK);
                grown++;
            }
        } while (rc == GC_MAPFULL);
        CHECK_OP (rc, ==, GC_OK);
        CHECK_OP (gc_txn_renew (reader), ==, GC_OK);
        CHECK_OP (gc_txn_case_next_number (reader, 20261122), ==, (batch + 1) * 50 + 1);
        gc_txn_reset (reader);
    }
    gc_txn_abort (&reader);
    CHECK_OP (grown, >, 0);
    CHECK_OP (gc_store_map_size (store), >, initial);
    gc_txn_t *txn = gc_txn_begin (store, false);
    CHECK_OP (gc_txn_case_next_number (txn, 20261122), ==, 2001);
    Gridcase__Case *got = NULL;
    CHECK_OP (gc_txn_case_get (txn, "20261122-001999", &got), ==, GC_OK);
    CHECK_OP (strlen (got->title), ==, sizeof (title) - 1);
    gridcase__case__free_unpacked (got, NULL);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

static bool
test_map_maximum_is_storage_full (void)
{
    s_fresh_dir ();
    gc_store_options_t options = {64 * 1024, 128 * 1024, false};
    gc_store_t *store = gc_store_new (s_dir, &options);
    int rc = GC_OK;
    char title[1000];
    memset (title, 'y', sizeof (title) - 1);
    title[sizeof (title) - 1] = 0;
    for (uint32_t n = 1; n < 1000 && rc != GC_NOSPACE; n++) {
        gc_txn_t *txn = gc_txn_begin (store, true);
        char id[GC_CASE_ID_MAX];
        gc_case_id_format (20261122, n, id, sizeof (id));
        Gridcase__Case kase;
        s_case (&kase, id, title);
        gc_txn_case_put (txn, &kase);
        rc = gc_txn_commit (&txn);
        if (rc == GC_MAPFULL)
            rc = gc_store_grow (store);
    }
    CHECK_OP (rc, ==, GC_NOSPACE);
    //  Reads still work
    gc_txn_t *txn = gc_txn_begin (store, false);
    Gridcase__Case *got = NULL;
    CHECK_OP (gc_txn_case_get (txn, "20261122-000001", &got), ==, GC_OK);
    gridcase__case__free_unpacked (got, NULL);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

static bool
test_keys_sort_numerically (void)
{
    gc_key_t a, b;
    gc_key_reset (&a);
    gc_key_u64 (&a, 255);
    gc_key_reset (&b);
    gc_key_u64 (&b, 256);
    CHECK_OP (memcmp (a.data, b.data, 8), <, 0);
    CHECK_OP (gc_be64 (b.data), ==, 256);
    CHECK (gc_case_id_parse ("20261122-000042", &a));
    CHECK (gc_be32 (a.data) == 20261122 && gc_be32 (a.data + 4) == 42);
    //  A seven-digit number still sorts after six digits
    CHECK (gc_case_id_parse ("20261122-1000000", &b));
    CHECK_OP (memcmp (a.data, b.data, 8), <, 0);
    CHECK (!gc_case_id_parse ("20261122-00004x", &a));
    CHECK (!gc_case_id_parse ("2026112-000042", &a));
    CHECK (!gc_case_id_parse ("20261122-000000", &a));
    char id[GC_CASE_ID_MAX];
    gc_case_id_format (20261122, 42, id, sizeof (id));
    CHECK (streq (id, "20261122-000042"));
    return true;
}

//  A key packed from a picture reads back through the same picture, and
//  only through it; a picture's prefix names the range of its keys
static bool
test_keys_pack_and_unpack_by_picture (void)
{
    gc_key_t key, prefix;
    CHECK (
        gc_key_pack (&key, GC_KEY_QUEUE, "dept/gas", 2, (uint64_t)1764000000, "20261122-000042"));
    CHECK_OP (key.size, ==, strlen ("dept/gas") + 1 + 1 + 8 + 8);
    const char *queue = NULL;
    uint8_t severity = 0;
    uint64_t due = 0;
    char id[GC_CASE_ID_MAX] = "";
    CHECK (gc_key_unpack (key.data, key.size, GC_KEY_QUEUE, &queue, &severity, &due, id));
    CHECK (streq (queue, "dept/gas"));
    CHECK_OP (severity, ==, 2);
    CHECK_OP (due, ==, 1764000000);
    CHECK (streq (id, "20261122-000042"));
    //  Parts may be skipped; a key of another shape is not taken for one
    CHECK (gc_key_unpack (key.data, key.size, GC_KEY_QUEUE, NULL, NULL, NULL, id));
    CHECK (!gc_key_unpack (key.data, key.size, GC_KEY_LOG, &queue, &due));
    CHECK (!gc_key_unpack (key.data, key.size - 1, GC_KEY_QUEUE, NULL, NULL, NULL, NULL));
    CHECK (!gc_key_unpack ("no-nul", 6, GC_KEY_TOPIC, &queue));
    //  The prefix picture is the start of every key of the queue
    CHECK (gc_key_pack (&prefix, GC_KEY_QUEUE_OF, "dept/gas"));
    CHECK (prefix.size < key.size && memcmp (prefix.data, key.data, prefix.size) == 0);
    //  What cannot be a key is refused, not cut
    CHECK (!gc_key_pack (&key, GC_KEY_DEADLINE, (uint64_t)1, "not-a-case", 1));
    char name[GC_KEY_MAX + 1];
    memset (name, 'x', GC_KEY_MAX);
    name[GC_KEY_MAX] = 0;
    CHECK (!gc_key_pack (&key, GC_KEY_LOG, name, (uint64_t)1));
    //  Values are packed the same way: be64 order is numeric order
    gc_key_t low, high;
    CHECK (gc_key_pack (&low, GC_KEY_REQUEST_AGE, (uint64_t)255,
                        (const uint8_t *)"0123456789abcdef", (uint64_t)7));
    CHECK (gc_key_pack (&high, GC_KEY_REQUEST_AGE, (uint64_t)256,
                        (const uint8_t *)"0123456789abcdef", (uint64_t)1));
    CHECK_OP (memcmp (low.data, high.data, low.size), <, 0);
    const uint8_t *client = NULL;
    uint64_t when = 0, sequence = 0;
    CHECK (gc_key_unpack (high.data, high.size, GC_KEY_REQUEST_AGE, &when, &client, &sequence));
    CHECK (when == 256 && sequence == 1 && memcmp (client, "0123456789abcdef", 16) == 0);
    return true;
}

//  A write whose key cannot be built fails the whole transaction: the error
//  sticks, the commit refuses, and nothing written before it lands
static bool
test_a_failed_write_fails_the_commit (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    CHECK (store);
    for (size_t i = 0; i < 3; i++) {
        gc_txn_t *txn = gc_txn_begin (store, true);
        Gridcase__Case kase;
        char id[] = "20261123-000001";
        s_case (&kase, id, "written before the failure");
        CHECK_OP (gc_txn_case_put (txn, &kase), ==, GC_OK);
        void *room;
        int rc = i == 0   ? gc_txn_deadline_put (txn, 1, "not-a-case", 1)
                 : i == 1 ? gc_txn_queue_put (txn, "dept/gas", 1, 1, "not-a-case")
                          : gc_txn_case_reserve (txn, "not-a-case", 1, &room);
        EXPECT_OP (rc, !=, GC_OK);
        EXPECT_OP (gc_txn_error (txn), !=, GC_OK);
        EXPECT_OP (gc_txn_commit (&txn), !=, GC_OK);
        txn = gc_txn_begin (store, false);
        Gridcase__Case *found = NULL;
        EXPECT_OP (gc_txn_case_get (txn, id, &found), ==, GC_NOTFOUND);
        gc_txn_abort (&txn);
    }
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

//  A prefix cursor walks only the keys that start with its prefix
static bool
test_prefix_cursor_stays_within_its_prefix (void)
{
    s_fresh_dir ();
    gc_store_t *store = gc_store_new (s_dir, NULL);
    CHECK (store);
    gc_txn_t *txn = gc_txn_begin (store, true);
    const char *queues[] = {"dept/gas", "dept/gas2", "dept/ga", "dept/gas"};
    for (int i = 0; i < 4; i++) {
        char id[32];
        snprintf (id, sizeof (id), "20261123-%06d", i + 1);
        CHECK_OP (gc_txn_queue_put (txn, queues[i], 1, 1000 + i, id), ==, GC_OK);
    }
    CHECK_OP (gc_txn_commit (&txn), ==, GC_OK);
    txn = gc_txn_begin (store, false);
    gc_key_t prefix;
    gc_key_reset (&prefix);
    gc_key_str (&prefix, "dept/gas");
    gc_cursor_t *cursor = gc_cursor_prefix (txn, GC_DB_QUEUES, &prefix);
    const void *k;
    size_t ksize;
    int found = 0;
    for (int rc = gc_cursor_seek (cursor, NULL, &k, &ksize, NULL, NULL); rc == GC_OK;
         rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL)) {
        EXPECT_OP (memcmp (k, prefix.data, prefix.size), ==, 0);
        found++;
    }
    EXPECT_OP (found, ==, 2); //  the first and the last, not dept/gas2 or dept/ga
    gc_cursor_destroy (&cursor);
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    s_remove_dir ();
    return true;
}

int
main (void)
{
    zsys_init ();
    RUN (test_keys_sort_numerically);
    RUN (test_keys_pack_and_unpack_by_picture);
    RUN (test_case_put_get);
    RUN (test_a_failed_write_fails_the_commit);
    RUN (test_prefix_cursor_stays_within_its_prefix);
    RUN (test_journal_order_and_chain);
    RUN (test_reopen_keeps_everything);
    RUN (test_idempotent_replay);
    RUN (test_schema_1_request_ids_are_upgraded);
    RUN (test_damaged_store_files_are_refused);
    RUN (test_map_growth_never_waits_for_a_backup);
    RUN (test_old_request_ids_are_forgotten);
    RUN (test_map_growth_from_tiny_map);
    RUN (test_map_maximum_is_storage_full);
    return TESTS_DONE ();
}
