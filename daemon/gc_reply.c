/*  gc_reply - the replies the daemon sends. See gc_reply.h. */
#include "gc_reply.h"
#include "gc_time.h"

#include <assert.h>
#include <czmq.h>
#include <stdarg.h>

//  Out of memory for a reply: an ERROR_INTERNAL that needs none
static void
s_reply_out_of_memory (gc_reply_t *out, ProtobufCBinaryData client_id, uint64_t sequence)
{
    Gridcase__Error error = GRIDCASE__ERROR__INIT;
    error.code = GRIDCASE__ERROR_CODE__ERROR_INTERNAL;
    error.message = "out of memory for the reply; try again";
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    reply.client_id = client_id;
    reply.sequence = sequence;
    reply.result_case = GRIDCASE__REPLY__RESULT_ERROR;
    reply.error = &error;
    out->code = error.code;
    out->size = gridcase__reply__get_packed_size (&reply);
    assert (out->size <= GC_REPLY_FALLBACK); //  16-byte id, sequence, fixed text
    gridcase__reply__pack (&reply, out->fallback);
    out->data = out->fallback;
}

void
gc_reply_pack (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Reply *reply)
{
    if (request) {
        reply->client_id = request->client_id;
        reply->sequence = request->sequence;
    }
    reply->timezone = (char *)gc_city_zone ();
    out->code = reply->result_case == GRIDCASE__REPLY__RESULT_ERROR
                    ? reply->error->code
                    : GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    out->size = gridcase__reply__get_packed_size (reply);
    out->data = (uint8_t *)malloc (out->size ? out->size : 1);
    if (out->data)
        gridcase__reply__pack (reply, out->data);
    else
        s_reply_out_of_memory (out, reply->client_id, reply->sequence);
}

void
gc_reply_error (gc_reply_t *out, const Gridcase__Request *request, Gridcase__ErrorCode code,
                const char *format, ...)
{
    char message[512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    Gridcase__Error error = GRIDCASE__ERROR__INIT;
    error.code = code;
    error.message = message;
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    reply.result_case = GRIDCASE__REPLY__RESULT_ERROR;
    reply.error = &error;
    gc_reply_pack (out, request, &reply);
}

void
gc_reply_free (gc_reply_t *out)
{
    if (out->data != out->fallback)
        free (out->data);
    out->data = NULL;
    out->size = 0;
}

bool
gc_reply_copy (gc_reply_t *out, const void *data, size_t size)
{
    out->data = (uint8_t *)malloc (size ? size : 1);
    if (!out->data)
        return false;
    memcpy (out->data, data, size);
    out->size = size;
    out->code = GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    return true;
}

void
gc_reply_case (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Case *kase,
               Gridcase__JournalEntry **history, size_t count)
{
    gc_reply_case_chain (out, request, kase, history, count, NULL);
}

void
gc_reply_case_chain (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Case *kase,
                     Gridcase__JournalEntry **history, size_t count, const char *chain)
{
    Gridcase__CaseReply result = GRIDCASE__CASE_REPLY__INIT;
    result.case_ = kase;
    result.history = history;
    result.n_history = count;
    if (chain)
        result.chain = (char *)chain;
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    reply.result_case = GRIDCASE__REPLY__RESULT_CASE;
    reply.case_ = &result;
    gc_reply_pack (out, request, &reply);
}

static size_t
s_varint (uint8_t *out, uint64_t value)
{
    size_t n = 0;
    do {
        out[n++] = (uint8_t)((value & 0x7f) | (value >> 7 ? 0x80 : 0));
        value >>= 7;
    } while (value);
    return n;
}

size_t
gc_pb_head (uint8_t *out, unsigned field, size_t length)
{
    size_t n = s_varint (out, (uint64_t)field << 3 | 2);
    return n + s_varint (out + n, length);
}

void
gc_reply_case_packed (gc_reply_t *out, const Gridcase__Request *request, const void *kase,
                      size_t size)
{
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    if (request) {
        reply.client_id = request->client_id;
        reply.sequence = request->sequence;
    }
    reply.timezone = (char *)gc_city_zone ();
    uint8_t inner[GC_PB_HEAD_MAX], outer[GC_PB_HEAD_MAX];
    size_t inner_size = gc_pb_head (inner, 1, size);              //  CaseReply.case
    size_t outer_size = gc_pb_head (outer, 4, inner_size + size); //  Reply.case
    size_t head = gridcase__reply__get_packed_size (&reply);
    out->code = GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    out->size = head + outer_size + inner_size + size;
    out->data = (uint8_t *)malloc (out->size);
    if (!out->data) {
        s_reply_out_of_memory (out, reply.client_id, reply.sequence);
        return;
    }
    gridcase__reply__pack (&reply, out->data);
    memcpy (out->data + head, outer, outer_size);
    memcpy (out->data + head + outer_size, inner, inner_size);
    memcpy (out->data + head + outer_size + inner_size, kase, size);
}

void
gc_reply_storage_error (gc_reply_t *out, const Gridcase__Request *request, const char *what)
{
    gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                    "reading %s failed; see the daemon's log", what);
}

void
gc_reply_not_permitted (gc_reply_t *out, const Gridcase__Request *request, const char *role,
                        const char *id, const char *what)
{
    gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                    "%s:%s may not read %s: it is outside the %s's scope", role, id, what, role);
}
