/*  gc_key - composite keys: fixed-width big-endian parts appended in
    order, so that byte order is numeric order; case ids and their keys.
    See gc_store.h. */
#include "gc_store.h"
#include "gc_util.h"

#include <assert.h>
#include <stdarg.h>
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

//  The size of fixed-width part PART (0 for a string)
static size_t
s_part_size (char part)
{
    return part == 'b'                  ? 1
           : part == 'w'                ? 4
           : part == 'q' || part == 'c' ? 8
           : part == 'i'                ? GC_CLIENT_ID_SIZE
                                        : 0;
}

bool
gc_key_pack (gc_key_t *key, const char *picture, ...)
{
    va_list args;
    va_start (args, picture);
    gc_key_reset (key);
    bool ok = true;
    for (const char *part = picture; ok && *part; part++) {
        ok = key->size + s_part_size (*part) <= GC_KEY_MAX;
        if (!ok)
            break;
        switch (*part) {
            case 'b':
                gc_key_u8 (key, (uint8_t)va_arg (args, unsigned int));
                break;
            case 'w':
                gc_key_u32 (key, va_arg (args, uint32_t));
                break;
            case 'q':
                gc_key_u64 (key, va_arg (args, uint64_t));
                break;
            case 's': {
                const char *text = va_arg (args, const char *);
                ok = key->size + strlen (text) + 1 <= GC_KEY_MAX;
                if (ok)
                    gc_key_str (key, text);
                break;
            }
            case 'c': {
                gc_key_t id;
                ok = gc_case_id_parse (va_arg (args, const char *), &id);
                if (ok)
                    gc_key_bytes (key, id.data, id.size);
                break;
            }
            case 'i':
                gc_key_bytes (key, va_arg (args, const uint8_t *), GC_CLIENT_ID_SIZE);
                break;
            default:
                assert (false);
        }
    }
    va_end (args);
    return ok;
}

bool
gc_key_unpack (const void *data, size_t size, const char *picture, ...)
{
    va_list args;
    va_start (args, picture);
    const uint8_t *at = (const uint8_t *)data, *end = at + size;
    bool ok = true;
    for (const char *part = picture; ok && *part; part++) {
        void *out = va_arg (args, void *);
        size_t width = s_part_size (*part);
        if (*part == 's') {
            const uint8_t *nul = (const uint8_t *)memchr (at, 0, (size_t)(end - at));
            ok = nul != NULL;
            if (ok && out)
                *(const char **)out = (const char *)at;
            width = ok ? (size_t)(nul - at) + 1 : 0;
        } else if ((size_t)(end - at) < width)
            ok = false;
        else if (out) {
            if (*part == 'b')
                *(uint8_t *)out = *at;
            else if (*part == 'w')
                *(uint32_t *)out = gc_be32 (at);
            else if (*part == 'q')
                *(uint64_t *)out = gc_be64 (at);
            else if (*part == 'c')
                gc_case_id_from_key (at, (char *)out, GC_CASE_ID_MAX);
            else if (*part == 'i')
                *(const uint8_t **)out = at;
        }
        at += width;
    }
    va_end (args);
    return ok && at == end;
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
