/*  gc_reply - the replies the daemon sends: packed once, stamped with the
    request's id, kept as they are for a repeated request id; errors with a
    code and words; a case reply from the case as stored, not packed again. */
#ifndef GC_REPLY_H_INCLUDED
#define GC_REPLY_H_INCLUDED

#include "gridcase.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  A packed Reply ready to send and to keep for repeated request ids. When
//  memory runs out, the reply is an ERROR_INTERNAL packed into FALLBACK.
#define GC_REPLY_FALLBACK 128
typedef struct {
    uint8_t *data; //  malloc'd, or FALLBACK
    size_t size;
    Gridcase__ErrorCode code; //  ERROR_UNSPECIFIED when the reply is not an error
    uint8_t fallback[GC_REPLY_FALLBACK];
} gc_reply_t;

//  Packs REPLY, stamping it with REQUEST's id (REQUEST may be NULL)
void gc_reply_pack (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Reply *reply);
void gc_reply_error (gc_reply_t *out, const Gridcase__Request *request, Gridcase__ErrorCode code,
                     const char *format, ...) __attribute__ ((format (printf, 4, 5)));
void gc_reply_free (gc_reply_t *out);
//  The replies of a read that failed in the store (reading WHAT), or that
//  asked for WHAT outside the reader's (ROLE, ID) scope
void gc_reply_storage_error (gc_reply_t *out, const Gridcase__Request *request, const char *what);
void gc_reply_not_permitted (gc_reply_t *out, const Gridcase__Request *request, const char *role,
                             const char *id, const char *what);
//  OUT holds a copy of the packed reply DATA of SIZE; false when out of memory
bool gc_reply_copy (gc_reply_t *out, const void *data, size_t size);

//  A CaseReply holding KASE (and HISTORY entries, may be 0)
void gc_reply_case (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Case *kase,
                    Gridcase__JournalEntry **history, size_t count);
//  ... with CHAIN: the history's place in the journal's hash chain, in words
void gc_reply_case_chain (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Case *kase,
                          Gridcase__JournalEntry **history, size_t count, const char *chain);
//  A CaseReply holding the case as stored (its packed bytes, CASE of SIZE):
//  the same bytes as gc_reply_case without packing the case again
void gc_reply_case_packed (gc_reply_t *out, const Gridcase__Request *request, const void *kase,
                           size_t size);
//  Writes the key of length-delimited field FIELD and then LENGTH, as
//  protobuf encodes them before a submessage's bytes; returns their size
//  (at most GC_PB_HEAD_MAX)
#define GC_PB_HEAD_MAX 15
size_t gc_pb_head (uint8_t *out, unsigned field, size_t length);

#endif
