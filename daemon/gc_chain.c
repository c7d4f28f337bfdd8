/*  gc_chain - the journal's hash chain. See gc_chain.h. */
#include "gc_chain.h"
#include "gc_schema.h"

#include <czmq.h>

#define GC_HEAD_NAME "journal-head"

//  The head a write transaction moves as it appends, written once when it
//  commits
typedef struct {
    uint64_t seq;
    uint8_t hash[GC_HASH_SIZE];
} head_t;

static void
s_head_key (gc_key_t *key)
{
    gc_key_reset (key);
    gc_key_bytes (key, GC_HEAD_NAME, strlen (GC_HEAD_NAME));
}

static void
s_head_finish (gc_txn_t *txn, void *state, bool write)
{
    head_t *head = (head_t *)state;
    if (write) {
        gc_key_t value;
        gc_key_pack (&value, "q", head->seq);
        gc_key_bytes (&value, head->hash, GC_HASH_SIZE);
        gc_key_t key;
        s_head_key (&key);
        gc_txn_put (txn, GC_DB_META, &key, value.data, value.size);
    }
    free (head);
}

//  The last entry of the journal this transaction sees: its seq and, when
//  HASH is not NULL, its hash
static int
s_last (gc_txn_t *txn, uint64_t *seq, uint8_t *hash)
{
    *seq = 0;
    if (hash)
        memset (hash, 0, GC_HASH_SIZE);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_JOURNAL);
    if (!cursor)
        return gc_txn_error (txn);
    gc_key_t end;
    gc_key_pack (&end, GC_KEY_JOURNAL, UINT64_MAX);
    const void *k, *value;
    size_t ksize, size;
    int rc = gc_cursor_seek_before (cursor, &end, &k, &ksize, &value, &size);
    if (rc == GC_OK && gc_key_unpack (k, ksize, GC_KEY_JOURNAL, seq)) {
        if (hash)
            gc_hash (value, size, hash);
    }
    gc_cursor_destroy (&cursor);
    return rc == GC_NOTFOUND ? GC_OK : rc;
}

//  The head this write transaction moves, read from the store at its first
//  append
static head_t *
s_head (gc_txn_t *txn)
{
    head_t *head = (head_t *)gc_txn_pending (txn, GC_PENDING_CHAIN);
    if (head)
        return head;
    head = (head_t *)zmalloc (sizeof (head_t));
    if (s_last (txn, &head->seq, head->hash) != GC_OK) {
        free (head);
        return NULL;
    }
    gc_txn_set_pending (txn, GC_PENDING_CHAIN, head, s_head_finish);
    return head;
}

int
gc_chain_append (gc_txn_t *txn, Gridcase__JournalEntry *entry)
{
    head_t *head = gc_txn_error (txn) ? NULL : s_head (txn);
    if (!head)
        return gc_txn_error (txn);
    //  The caller may lend a GC_HASH_SIZE buffer to keep prev_hash readable
    uint8_t prev[GC_HASH_SIZE];
    uint8_t *lent = entry->prev_hash.data;
    entry->seq = head->seq + 1;
    entry->prev_hash.data = lent ? lent : prev;
    entry->prev_hash.len = GC_HASH_SIZE;
    memcpy (entry->prev_hash.data, head->hash, GC_HASH_SIZE);

    gc_key_t key;
    gc_key_pack (&key, GC_KEY_JOURNAL, entry->seq);
    size_t size = gridcase__journal_entry__get_packed_size (entry);
    void *packed;
    if (gc_txn_append (txn, GC_DB_JOURNAL, &key, size, &packed) == GC_OK) {
        gridcase__journal_entry__pack (entry, (uint8_t *)packed);
        gc_hash (packed, size, head->hash);
        head->seq = entry->seq;
    }
    gc_key_t index;
    if (entry->case_id[0] && gc_key_pack (&index, GC_KEY_CASE_JOURNAL, entry->case_id, entry->seq))
        gc_txn_put (txn, GC_DB_CASE_JOURNAL, &index, "", 0);
    if (!lent) {
        entry->prev_hash.data = NULL;
        entry->prev_hash.len = 0;
    }
    return gc_txn_error (txn);
}

uint64_t
gc_chain_last (gc_txn_t *txn)
{
    head_t *head = (head_t *)gc_txn_pending (txn, GC_PENDING_CHAIN);
    if (head)
        return head->seq;
    uint64_t seq;
    return s_last (txn, &seq, NULL) == GC_OK ? seq : 0;
}

int
gc_chain_head (gc_txn_t *txn, uint64_t *seq, uint8_t *hash)
{
    gc_key_t key;
    s_head_key (&key);
    const void *value;
    size_t size;
    int rc = gc_txn_get (txn, GC_DB_META, &key, &value, &size);
    if (rc != GC_OK)
        return rc;
    if (size != 8 + GC_HASH_SIZE)
        return GC_CORRUPT;
    gc_key_unpack (value, 8, "q", seq);
    memcpy (hash, (const uint8_t *)value + 8, GC_HASH_SIZE);
    return GC_OK;
}

int
gc_chain_get (gc_txn_t *txn, uint64_t seq, const void **value, size_t *size)
{
    gc_key_t key;
    gc_key_pack (&key, GC_KEY_JOURNAL, seq);
    return gc_txn_get (txn, GC_DB_JOURNAL, &key, value, size);
}

bool
gc_chain_links (gc_txn_t *txn, const Gridcase__JournalEntry *entry)
{
    uint8_t hash[GC_HASH_SIZE] = {0};
    if (entry->seq > 1) {
        const void *value;
        size_t size;
        if (gc_chain_get (txn, entry->seq - 1, &value, &size) != GC_OK)
            return false;
        gc_hash (value, size, hash);
    }
    return entry->prev_hash.len == GC_HASH_SIZE &&
           memcmp (entry->prev_hash.data, hash, GC_HASH_SIZE) == 0;
}
