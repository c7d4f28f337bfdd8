/*  gc_util - small helpers shared by the daemon's modules. */
#include "gc_util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int
gc_mkdir_p (const char *dir, mode_t mode)
{
    char path[PATH_MAX];
    size_t len = strlen (dir);
    if (len == 0 || len >= sizeof (path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (path, dir, len + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir (path, mode) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir (path, mode) && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat (path, &st))
        return -1;
    if (!S_ISDIR (st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

bool
gc_utf8_valid (const char *data, size_t size)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < size) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else
            return false;
        if (i + n >= size)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        //  Overlong forms, surrogates and values past U+10FFFF
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}

bool
gc_endpoint_is_local (const char *endpoint)
{
    if (strncmp (endpoint, "ipc://", 6) == 0 || strncmp (endpoint, "inproc://", 9) == 0)
        return true;
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return false;
    const char *host = endpoint + 6;
    if (strncmp (host, "127.", 4) == 0) {
        //  127.a.b.c:port, digits and dots only before the colon
        const char *p = host + 4;
        while (*p && *p != ':') {
            if (!isdigit ((unsigned char)*p) && *p != '.')
                return false;
            p++;
        }
        return *p == ':';
    }
    return strncmp (host, "localhost:", 10) == 0 || strncmp (host, "[::1]:", 6) == 0;
}

size_t
gc_parse_size (const char *text)
{
    if (!text || !isdigit ((unsigned char)*text))
        return 0;
    char *end;
    errno = 0;
    unsigned long long value = strtoull (text, &end, 10);
    if (errno)
        return 0;
    unsigned shift = 0;
    switch (*end) {
        case 0:
            break;
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        case 't':
        case 'T':
            shift = 40;
            break;
        default:
            return 0;
    }
    if (*end && end[1] && !((end[1] == 'B' || end[1] == 'b') && !end[2]))
        return 0;
    if (value > (SIZE_MAX >> shift))
        return 0;
    return (size_t)(value << shift);
}

//  --------------------------------------------------------------------------
//  Strings

void
gc_copy (char *out, size_t size, const char *text)
{
    size_t len = strnlen (text, size - 1);
    memcpy (out, text, len);
    out[len] = 0;
}

void
gc_join (char *out, size_t size, const char *a, char sep, const char *b)
{
    gc_copy (out, size, a);
    size_t at = strlen (out);
    if (at + 1 < size) {
        out[at++] = sep;
        gc_copy (out + at, size - at, b);
    }
}

bool
gc_prefixed (const char *text, const char *prefix, const char **rest)
{
    size_t len = strlen (prefix);
    if (strncmp (text, prefix, len) != 0)
        return false;
    if (rest)
        *rest = text + len;
    return true;
}

//  SHA-256 through OpenSSL's libcrypto: it uses the processor's SHA
//  instructions where there are some (about five times libsodium's portable
//  code for a journal entry here); the algorithm is looked up once
static EVP_MD *s_sha256;
static pthread_once_t s_sha256_once = PTHREAD_ONCE_INIT;

static void
s_sha256_fetch (void)
{
    s_sha256 = EVP_MD_fetch (NULL, "SHA256", NULL);
}

void
gc_sha256 (const void *data, size_t size, uint8_t *hash)
{
    pthread_once (&s_sha256_once, s_sha256_fetch);
    unsigned int length = 0;
    if (!s_sha256 || !EVP_Digest (data, size, hash, &length, s_sha256, NULL) || length != 32) {
        //  Only out of memory gets here: a hash that matches nothing
        memset (hash, 0xFF, 32);
    }
}

void
gc_api_key_hash (const char *key, char *hashed, size_t hashed_size)
{
    uint8_t hash[32];
    gc_sha256 (key, strlen (key), hash);
    size_t at = (size_t)snprintf (hashed, hashed_size, "sha256:");
    for (size_t i = 0; i < 32 && at + 2 < hashed_size; i++, at += 2)
        snprintf (hashed + at, hashed_size - at, "%02x", hash[i]);
}

void
gc_sha256_thread_end (void)
{
    OPENSSL_thread_stop ();
}
