/*  gc_util - small helpers shared by the daemon's modules. */
#ifndef GC_UTIL_H_INCLUDED
#define GC_UTIL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

//  The bytes that bind a kept request id to its sender and its request
#define GC_BINDING_SIZE 32

//  The SHA-256 of DATA (SIZE bytes) into HASH (32 bytes)
void gc_sha256 (const void *data, size_t size, uint8_t *hash);
//  Frees what libcrypto keeps for the calling thread: the last call of a
//  thread that hashed and ends before the process does
void gc_sha256_thread_end (void);
//  "sha256:" and the hex SHA-256 of api key KEY, as the roster holds it
//  (HASHED: 72 bytes at least)
void gc_api_key_hash (const char *key, char *hashed, size_t hashed_size);

//  True if TEXT starts with PREFIX; *REST (if not NULL) is what follows
bool gc_prefixed (const char *text, const char *prefix, const char **rest);
//  Copies TEXT into OUT of SIZE bytes (cut short if need be, always ended)
void gc_copy (char *out, size_t size, const char *text);
//  A, SEP and B into OUT of SIZE bytes (cut short if need be, always ended);
//  a snprintf "%s/%s" without the format's cost
void gc_join (char *out, size_t size, const char *a, char sep, const char *b);
//  Creates DIR and its missing parents; 0 or -1 with errno
int gc_mkdir_p (const char *dir, mode_t mode);
//  True if DATA is well-formed UTF-8 without NUL bytes
bool gc_utf8_valid (const char *data, size_t size);
//  True if ENDPOINT is loopback only (tcp on 127.x/::1/localhost, ipc, inproc)
bool gc_endpoint_is_local (const char *endpoint);
//  Parses "64M", "1G", "4096": bytes, or 0 when not a size
size_t gc_parse_size (const char *text);

#include "gc_time.h"

#endif
