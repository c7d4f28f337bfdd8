/*  gc_schema - what the store holds, over gc_store's generic layer: case
    records, the idempotency records, the deadline and queue indexes. See
    gc_store.h. */
#include "gc_store.h"
#include "gc_util.h"

#include <czmq.h>
#include <errno.h>

//  --------------------------------------------------------------------------
//  Cases

int
gc_txn_case_put (gc_txn_t *self, const Gridcase__Case *kase)
{
    gc_key_t key;
    if (!gc_case_id_parse (kase->id, &key))
        return gc_txn_fail (self, EINVAL, "cases: a case id that is not one");
    size_t size = gridcase__case__get_packed_size (kase);
    uint8_t stack[2048];
    uint8_t *buffer = size <= sizeof (stack) ? stack : (uint8_t *)malloc (size);
    if (!buffer)
        return gc_txn_fail (self, ENOMEM, "cases");
    gridcase__case__pack (kase, buffer);
    int rc = gc_txn_put (self, GC_DB_CASES, &key, buffer, size);
    if (buffer != stack)
        free (buffer);
    return rc;
}

int
gc_txn_case_reserve (gc_txn_t *self, const char *id, size_t size, void **data)
{
    gc_key_t key;
    *data = NULL;
    if (!gc_case_id_parse (id, &key))
        return gc_txn_fail (self, EINVAL, "cases: a case id that is not one");
    return gc_txn_reserve (self, GC_DB_CASES, &key, size, data);
}

int
gc_txn_case_get (gc_txn_t *self, const char *id, Gridcase__Case **case_p)
{
    gc_key_t key;
    if (!gc_case_id_parse (id, &key))
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
    gc_cursor_t *cursor = gc_cursor_new (self, GC_DB_CASES);
    if (!cursor)
        return 0;
    gc_key_t key;
    gc_key_reset (&key);
    gc_key_u32 (&key, day + 1);
    gc_key_u32 (&key, 0);
    //  The last key before (day + 1, 0) is the newest case of DAY, if any
    const void *k;
    size_t ksize;
    int rc = gc_cursor_seek_before (cursor, &key, &k, &ksize, NULL, NULL);
    uint32_t number = 1;
    if (rc == GC_OK && ksize == 8 && gc_be32 ((const uint8_t *)k) == day)
        number = gc_be32 ((const uint8_t *)k + 4) + 1;
    else if (rc != GC_OK && rc != GC_NOTFOUND)
        number = 0; //  the cursor's failure sticks in the transaction
    gc_cursor_destroy (&cursor);
    return number;
}

//  --------------------------------------------------------------------------
//  Idempotency

static void
s_request_key (gc_key_t *key, const uint8_t *client_id, uint64_t sequence)
{
    gc_key_reset (key);
    gc_key_bytes (key, client_id, 16);
    gc_key_u64 (key, sequence);
}

int
gc_txn_request_get (gc_txn_t *self, const uint8_t *client_id, uint64_t sequence, uint8_t *binding,
                    const void **reply, size_t *size)
{
    gc_key_t key;
    s_request_key (&key, client_id, sequence);
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
    gc_key_t key;
    s_request_key (&key, client_id, sequence);
    uint8_t stack[1024];
    size_t head = 8 + GC_BINDING_SIZE;
    uint8_t *buffer = size + head <= sizeof (stack) ? stack : (uint8_t *)malloc (size + head);
    if (!buffer)
        return gc_txn_fail (self, ENOMEM, "requests");
    gc_key_t stamp;
    gc_key_reset (&stamp);
    gc_key_u64 (&stamp, (uint64_t)now);
    memcpy (buffer, stamp.data, 8);
    if (binding)
        memcpy (buffer + 8, binding, GC_BINDING_SIZE);
    else
        memset (buffer + 8, 0, GC_BINDING_SIZE);
    memcpy (buffer + head, reply, size);
    int rc = gc_txn_put (self, GC_DB_REQUESTS, &key, buffer, size + head);
    if (buffer != stack)
        free (buffer);
    if (rc == GC_OK) {
        //  The age index: when to forget it
        gc_key_t age;
        gc_key_reset (&age);
        gc_key_u64 (&age, (uint64_t)now);
        gc_key_bytes (&age, key.data, key.size);
        rc = gc_txn_put (self, GC_DB_REQUEST_AGES, &age, "", 0);
    }
    return rc;
}

int
gc_txn_request_prune (gc_txn_t *self, int64_t before, size_t max, size_t *pruned)
{
    *pruned = 0;
    gc_key_t *ages = (gc_key_t *)malloc (max * sizeof (gc_key_t));
    gc_cursor_t *cursor = gc_cursor_new (self, GC_DB_REQUEST_AGES);
    const void *k;
    size_t ksize, found = 0;
    int rc = cursor ? gc_cursor_seek (cursor, NULL, &k, &ksize, NULL, NULL) : GC_EIO;
    while (rc == GC_OK && found < max && ksize == 8 + 24 &&
           (int64_t)gc_be64 ((const uint8_t *)k) < before) {
        gc_key_reset (&ages[found]);
        gc_key_bytes (&ages[found++], k, ksize);
        rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL);
    }
    gc_cursor_destroy (&cursor);
    for (size_t i = 0; i < found; i++) {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_bytes (&key, ages[i].data + 8, 24);
        gc_txn_del (self, GC_DB_REQUESTS, &key);
        gc_txn_del (self, GC_DB_REQUEST_AGES, &ages[i]);
    }
    free (ages);
    *pruned = found;
    if (rc == GC_NOTFOUND)
        rc = GC_OK;
    return rc == GC_OK ? gc_txn_error (self) : rc;
}

//  --------------------------------------------------------------------------
//  Deadline and queue indexes

static bool
s_deadline_key (gc_key_t *key, int64_t due, const char *case_id, uint8_t kind)
{
    gc_key_t id;
    if (!gc_case_id_parse (case_id, &id))
        return false;
    gc_key_reset (key);
    gc_key_u64 (key, (uint64_t)due);
    gc_key_bytes (key, id.data, id.size);
    gc_key_u8 (key, kind);
    return true;
}

int
gc_txn_deadline_put (gc_txn_t *self, int64_t due, const char *case_id, uint8_t kind)
{
    gc_key_t key;
    if (!s_deadline_key (&key, due, case_id, kind))
        return gc_txn_fail (self, EINVAL, "deadline index: a case id that is not one");
    return gc_txn_put (self, GC_DB_DEADLINES, &key, "", 0);
}

int
gc_txn_deadline_del (gc_txn_t *self, int64_t due, const char *case_id, uint8_t kind)
{
    gc_key_t key;
    if (!s_deadline_key (&key, due, case_id, kind))
        return gc_txn_fail (self, EINVAL, "deadline index: a case id that is not one");
    return gc_txn_del (self, GC_DB_DEADLINES, &key);
}

bool
gc_deadline_key_parse (const void *key, size_t size, int64_t *due, char *case_id, uint8_t *kind)
{
    if (size != 17)
        return false;
    const uint8_t *data = (const uint8_t *)key;
    *due = (int64_t)gc_be64 (data);
    gc_case_id_from_key (data + 8, case_id, GC_CASE_ID_MAX);
    *kind = data[16];
    return true;
}

static bool
s_queue_key (gc_key_t *key, const char *queue, uint8_t severity, int64_t due, const char *case_id)
{
    gc_key_t id;
    if (!gc_case_id_parse (case_id, &id) || strlen (queue) > 128)
        return false;
    gc_key_reset (key);
    gc_key_str (key, queue);
    gc_key_u8 (key, severity);
    gc_key_u64 (key, (uint64_t)due);
    gc_key_bytes (key, id.data, id.size);
    return true;
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
