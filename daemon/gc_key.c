/*  gc_key - composite keys: fixed-width big-endian parts appended in
    order, so that byte order is numeric order; case ids and their keys.
    See gc_store.h. */
#include "gc_store.h"
#include "gc_util.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
gc_key_reset (gc_key_t *key)
{
    key->size = 0;
}

void
gc_key_bytes (gc_key_t *key, const void *data, size_t size)
{
    assert (key->size + size <= GC_KEY_MAX);
    memcpy (key->data + key->size, data, size);
    key->size += size;
}

void
gc_key_u8 (gc_key_t *key, uint8_t value)
{
    gc_key_bytes (key, &value, 1);
}

void
gc_key_u32 (gc_key_t *key, uint32_t value)
{
    uint8_t b[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8),
                    (uint8_t)value};
    gc_key_bytes (key, b, 4);
}

void
gc_key_u64 (gc_key_t *key, uint64_t value)
{
    gc_key_u32 (key, (uint32_t)(value >> 32));
    gc_key_u32 (key, (uint32_t)value);
}

void
gc_key_str (gc_key_t *key, const char *text)
{
    gc_key_bytes (key, text, strlen (text) + 1);
}

uint32_t
gc_be32 (const uint8_t *data)
{
    return (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
}

uint64_t
gc_be64 (const uint8_t *data)
{
    return (uint64_t)gc_be32 (data) << 32 | gc_be32 (data + 4);
}

bool
gc_case_id_parse (const char *id, gc_key_t *key)
{
    //  YYYYMMDD-NNNNNN, the number at least six digits and at most nine
    size_t len = id ? strlen (id) : 0;
    if (len < 15 || len > 18 || id[8] != '-')
        return false;
    uint32_t day = 0, number = 0;
    for (size_t i = 0; i < len; i++) {
        if (i == 8)
            continue;
        if (id[i] < '0' || id[i] > '9')
            return false;
        if (i < 8)
            day = day * 10 + (uint32_t)(id[i] - '0');
        else
            number = number * 10 + (uint32_t)(id[i] - '0');
    }
    if (day < 19700101 || number == 0)
        return false;
    gc_key_reset (key);
    gc_key_u32 (key, day);
    gc_key_u32 (key, number);
    return true;
}

void
gc_case_id_format (uint32_t day, uint32_t number, char *id, size_t size)
{
    snprintf (id, size, "%08u-%06u", day, number);
}

void
gc_case_id_from_key (const uint8_t *key8, char *case_id, size_t size)
{
    gc_case_id_format (gc_be32 (key8), gc_be32 (key8 + 4), case_id, size);
}

void
gc_hash (const void *data, size_t size, uint8_t *hash)
{
    gc_sha256 (data, size, hash);
}
