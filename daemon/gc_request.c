/*  gc_request - decoding and validating requests. See gc_request.h. */
#include "gc_request.h"
#include "gc_util.h"
#include "gridcase.h"

#include <ctype.h>
#include <czmq.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>
#include <math.h>

//  Unpacking one request may use at most this much memory
#define GC_UNPACK_BUDGET (512 * 1024)
#define GC_CHUNK_SIZE 4096 //  most requests unpack into one chunk

typedef struct _chunk_t {
    struct _chunk_t *next;
    size_t size;
    size_t used;
    max_align_t data[];
} chunk_t;

struct _gc_arena_t {
    chunk_t *chunks;
    size_t budget; //  bytes left for the request being unpacked
    size_t used;   //  bytes given out since the last reset
};

size_t
gc_arena_used (const gc_arena_t *self)
{
    return self->used;
}

gc_arena_t *
gc_arena_new (void)
{
    return (gc_arena_t *)zmalloc (sizeof (gc_arena_t));
}

void
gc_arena_reset (gc_arena_t *self)
{
    //  Keep one standard chunk for the next batch
    self->used = 0;
    chunk_t *keep = NULL;
    while (self->chunks) {
        chunk_t *chunk = self->chunks;
        self->chunks = chunk->next;
        if (!keep && chunk->size == GC_CHUNK_SIZE)
            keep = chunk;
        else
            free (chunk);
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
        self->chunks = keep;
    }
}

void
gc_arena_destroy (gc_arena_t **self_p)
{
    gc_arena_t *self = *self_p;
    if (self) {
        gc_arena_reset (self);
        free (self->chunks);
        free (self);
        *self_p = NULL;
    }
}

gc_task_t *
gc_task_new (gc_arena_t **arena_p, Gridcase__Request *request, const char *actor)
{
    gc_task_t *self = (gc_task_t *)zmalloc (sizeof (gc_task_t));
    self->arena = *arena_p;
    *arena_p = NULL;
    self->request = request;
    snprintf (self->actor, sizeof (self->actor), "%s", actor);
    return self;
}

void
gc_task_destroy (gc_task_t **self_p)
{
    gc_task_t *self = *self_p;
    if (self) {
        gc_arena_destroy (&self->arena);
        free (self);
        *self_p = NULL;
    }
}

static void *
s_arena_alloc (void *data, size_t size)
{
    gc_arena_t *self = (gc_arena_t *)data;
    size = (size + sizeof (max_align_t) - 1) & ~(sizeof (max_align_t) - 1);
    if (size > self->budget)
        return NULL; //  protobuf-c turns this into a failed unpack
    self->budget -= size;
    self->used += size;
    chunk_t *chunk = self->chunks;
    if (!chunk || chunk->size - chunk->used < size) {
        size_t chunk_size = size > GC_CHUNK_SIZE ? size : GC_CHUNK_SIZE;
        chunk = (chunk_t *)malloc (sizeof (chunk_t) + chunk_size);
        if (!chunk)
            return NULL;
        chunk->size = chunk_size;
        chunk->used = 0;
        chunk->next = self->chunks;
        self->chunks = chunk;
    }
    void *result = (char *)chunk->data + chunk->used;
    chunk->used += size;
    return result;
}

static void
s_arena_free (void *data, void *pointer)
{
    (void)data;
    (void)pointer; //  freed with the whole arena
}

//  --------------------------------------------------------------------------
//  Limits per field, by name

//  Free texts are counted in characters (Unicode code points; the bytes are
//  bounded at 4 a character); multi-line ones may hold line breaks and tabs,
//  no text any other control character, and none may be only blanks
typedef struct {
    const char *name;
    size_t chars;
    bool lines;
} text_t;

static const text_t *
s_text (const char *field)
{
    static const text_t texts[] = {
        {"title", 200, false},   {"description", 4000, true}, {"address", 500, false},
        {"text", 4000, true},    {"note", 4000, true},        {"reason", 2000, false},
        {"comment", 2000, true}, {"path", 1024, false},       {"detail", 4000, true},
        {"name", 100, false},    {"phone", 40, false},        {"email", 254, false},
    };
    for (size_t i = 0; i < sizeof (texts) / sizeof (texts[0]); i++)
        if (streq (field, texts[i].name))
            return &texts[i];
    return NULL; //  ids: grids, categories, cases, queues, departments, areas
}

#define GC_ID_MAX 64

//  Checks string ITEM of LEN bytes of field NAME; false with CODE and WHY
static bool
s_check_string (const char *name, const char *item, size_t len, Gridcase__ErrorCode *code,
                char *why, size_t why_size)
{
    const text_t *text = s_text (name);
    size_t chars = 0, blanks = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)item[i];
        chars += (c & 0xC0) != 0x80;
        blanks += c == ' ' || c == '\t' || c == '\n' || c == '\r';
        bool allowed =
            c >= 0x20 && c != 0x7F ? true : text && text->lines && (c == '\n' || c == '\t');
        if (!allowed) {
            *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
            snprintf (why, why_size, "%s: holds a control character (0x%02x)%s", name, c,
                      text && !text->lines ? "; it must be one line" : "");
            return false;
        }
    }
    size_t limit = text ? text->chars : GC_ID_MAX;
    if ((text ? chars : len) > limit || len > limit * 4) {
        *code = GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE;
        snprintf (why, why_size, "%s: %zu %s, at most %zu", name, text ? chars : len,
                  text ? "characters" : "bytes", limit);
        return false;
    }
    if (len && blanks == len) {
        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
        snprintf (why, why_size, "%s: only blanks", name);
        return false;
    }
    return true;
}

static bool
s_check (const ProtobufCMessage *message, Gridcase__ErrorCode *code, char *why, size_t why_size,
         int depth)
{
    const ProtobufCMessageDescriptor *desc = message->descriptor;
    if (depth > 4) {
        *code = GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        snprintf (why, why_size, "messages nested too deep");
        return false;
    }
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        const char *member = (const char *)message + field->offset;
        size_t count = 1;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t chosen = *(const uint32_t *)((const char *)message + field->quantifier_offset);
            if (chosen != field->id)
                continue;
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *)((const char *)message + field->quantifier_offset);
            if (count > GC_REPEATED_MAX) {
                *code = GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE;
                snprintf (why, why_size, "%s: %zu entries, at most %d", field->name, count,
                          GC_REPEATED_MAX);
                return false;
            }
            member = count ? *(const char *const *)member : NULL;
        }
        for (size_t k = 0; k < count; k++) {
            const char *item;
            switch (field->type) {
                case PROTOBUF_C_TYPE_STRING: {
                    item = field->label == PROTOBUF_C_LABEL_REPEATED
                               ? ((const char *const *)member)[k]
                               : *(const char *const *)member;
                    size_t len = item ? strlen (item) : 0;
                    if (len > GC_REQUEST_MAX) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE;
                        snprintf (why, why_size, "%s: %zu bytes", field->name, len);
                        return false;
                    }
                    if (!gc_utf8_valid (item, len)) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
                        snprintf (why, why_size, "%s: not valid UTF-8", field->name);
                        return false;
                    }
                    if (!s_check_string (field->name, item, len, code, why, why_size))
                        return false;
                    break;
                }
                case PROTOBUF_C_TYPE_BYTES: {
                    const ProtobufCBinaryData *bytes =
                        field->label == PROTOBUF_C_LABEL_REPEATED
                            ? &((const ProtobufCBinaryData *)member)[k]
                            : (const ProtobufCBinaryData *)member;
                    if (bytes->len > 64) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE;
                        snprintf (why, why_size, "%s: %zu bytes, at most 64", field->name,
                                  bytes->len);
                        return false;
                    }
                    break;
                }
                case PROTOBUF_C_TYPE_ENUM: {
                    int value = field->label == PROTOBUF_C_LABEL_REPEATED ? ((const int *)member)[k]
                                                                          : *(const int *)member;
                    if (!protobuf_c_enum_descriptor_get_value (
                            (const ProtobufCEnumDescriptor *)field->descriptor, value)) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
                        snprintf (why, why_size, "%s: unknown value %d", field->name, value);
                        return false;
                    }
                    break;
                }
                case PROTOBUF_C_TYPE_INT64: {
                    //  Every int64 in a request is a time or a duration in
                    //  milliseconds: bounded here, so no arithmetic on it overflows
                    int64_t value = *(const int64_t *)member;
                    if (value < 0 || value > GC_TIME_MAX) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
                        snprintf (why, why_size,
                                  "%s: %" PRId64 " is not a time or duration in milliseconds "
                                  "(0 to %" PRId64 ")",
                                  field->name, value, (int64_t)GC_TIME_MAX);
                        return false;
                    }
                    break;
                }
                case PROTOBUF_C_TYPE_UINT64: {
                    //  Sequence numbers: one more must never wrap around to 0
                    uint64_t value = *(const uint64_t *)member;
                    if (value > GC_SEQ_MAX) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
                        snprintf (why, why_size, "%s: %" PRIu64 " is over %" PRIu64, field->name,
                                  value, (uint64_t)GC_SEQ_MAX);
                        return false;
                    }
                    break;
                }
                case PROTOBUF_C_TYPE_DOUBLE: {
                    double value = *(const double *)member;
                    if (!isfinite (value)) {
                        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
                        snprintf (why, why_size, "%s: not a finite number", field->name);
                        return false;
                    }
                    break;
                }
                case PROTOBUF_C_TYPE_MESSAGE: {
                    const ProtobufCMessage *sub = field->label == PROTOBUF_C_LABEL_REPEATED
                                                      ? ((const ProtobufCMessage *const *)member)[k]
                                                      : *(const ProtobufCMessage *const *)member;
                    if (sub && !s_check (sub, code, why, why_size, depth + 1))
                        return false;
                    break;
                }
                default:
                    break;
            }
        }
    }
    return true;
}

static bool
s_varint_read (const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    *value = 0;
    for (unsigned shift = 0; *p < end && shift < 64; shift += 7) {
        uint8_t byte = *(*p)++;
        *value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            return true;
    }
    return false;
}

//  protobuf-c ends strings at their first NUL byte, so a string holding one
//  would be cut short in silence: walks the wire bytes (already unpacked
//  once, so well formed) and refuses any string field that holds a NUL
static bool
s_strings_without_nul (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
                       const char **field_name, int depth)
{
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        uint64_t tag, length;
        if (!s_varint_read (&p, end, &tag))
            return false;
        const ProtobufCFieldDescriptor *field =
            tag >> 3 <= UINT32_MAX
                ? protobuf_c_message_descriptor_get_field (desc, (unsigned)(tag >> 3))
                : NULL;
        switch (tag & 7) {
            case 0:
                if (!s_varint_read (&p, end, &length))
                    return false;
                break;
            case 1:
                if (end - p < 8)
                    return false;
                p += 8;
                break;
            case 5:
                if (end - p < 4)
                    return false;
                p += 4;
                break;
            case 2:
                if (!s_varint_read (&p, end, &length) || length > (uint64_t)(end - p))
                    return false;
                if (field && field->type == PROTOBUF_C_TYPE_STRING && memchr (p, 0, length)) {
                    *field_name = field->name;
                    return false;
                }
                if (field && field->type == PROTOBUF_C_TYPE_MESSAGE && depth < 4 &&
                    !s_strings_without_nul ((const ProtobufCMessageDescriptor *)field->descriptor,
                                            p, length, field_name, depth + 1))
                    return false;
                p += length;
                break;
            default:
                return false;
        }
    }
    return true;
}

//  Periods and times as people wrote them, resolved on the city's calendar
//  and clock (the daemon runs in the city's time zone), so that every
//  desktop gets the same answer
static bool
s_city_dates (Gridcase__Request *request, char *why, size_t why_size)
{
    const char *period = NULL;
    uint32_t *from_day = NULL, *to_day = NULL, from = 0, to = 0;
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_LIST:
            period = request->list->period;
            break;
        case GRIDCASE__REQUEST__OP_JOURNAL:
            period = request->journal->period;
            from_day = &request->journal->from_day, to_day = &request->journal->to_day;
            break;
        case GRIDCASE__REQUEST__OP_STATS:
            period = request->stats->period;
            from_day = &request->stats->from_day, to_day = &request->stats->to_day;
            break;
        case GRIDCASE__REQUEST__OP_EXTEND:
            if (*request->extend->until_local) {
                request->extend->until = gc_local_time_parse (request->extend->until_local);
                if (request->extend->until <= 0) {
                    snprintf (why, why_size,
                              "until '%.64s' is not a time like 2026-11-25T18:00 (the city's)",
                              request->extend->until_local);
                    return false;
                }
            }
            return true;
        default:
            return true;
    }
    if (!period || !*period)
        return true;
    if (!gc_period_parse (period, gc_local_day (gc_clock_now ()), &from, &to)) {
        snprintf (why, why_size,
                  "period '%.64s' is not like 2026-11-25, 2026-11-01..2026-11-30, 2026-11, "
                  "2026-W47, today, yesterday, this-week, last-week, this-month or last-month",
                  period);
        return false;
    }
    if (from_day) {
        *from_day = from;
        *to_day = to;
    } else {
        request->list->from = gc_day_start (from);
        request->list->to = gc_day_start (gc_day_next (to));
    }
    return true;
}

Gridcase__Request *
gc_request_decode (gc_arena_t *arena, const void *data, size_t size, Gridcase__ErrorCode *code,
                   char *why, size_t why_size)
{
    if (size > GC_REQUEST_MAX) {
        *code = GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE;
        snprintf (why, why_size, "request of %zu bytes, at most %d", size, GC_REQUEST_MAX);
        return NULL;
    }
    ProtobufCAllocator allocator = {s_arena_alloc, s_arena_free, arena};
    arena->budget = GC_UNPACK_BUDGET;
    Gridcase__Request *request =
        gridcase__request__unpack (&allocator, size, (const uint8_t *)data);
    if (!request) {
        *code = GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        snprintf (why, why_size, "not a gridcase Request (%zu bytes do not decode)", size);
        return NULL;
    }
    if (!s_check (&request->base, code, why, why_size, 0))
        return NULL;
    const char *field = NULL;
    if (!s_strings_without_nul (&gridcase__request__descriptor, (const uint8_t *)data, size, &field,
                                0)) {
        *code = field ? GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT
                      : GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        snprintf (why, why_size, field ? "%s: holds a NUL byte" : "%s: malformed",
                  field ? field : "request");
        return NULL;
    }
    if (request->client_id.len != 16) {
        *code = GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        snprintf (why, why_size, "client_id must be 16 bytes, not %zu", request->client_id.len);
        return NULL;
    }
    if (request->sequence == 0) {
        *code = GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        snprintf (why, why_size, "sequence must be greater than 0");
        return NULL;
    }
    if (request->op_case == GRIDCASE__REQUEST__OP__NOT_SET) {
        *code = GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        snprintf (why, why_size, "no operation in the request");
        return NULL;
    }
    if (!s_city_dates (request, why, why_size)) {
        *code = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    return request;
}

void *
gc_request_with_case (const Gridcase__Request *request, const char *id, Gridcase__Request *copy)
{
    if (!gridcase_case_id_of ((Gridcase__Request *)request))
        return NULL;
    const ProtobufCFieldDescriptor *op =
        protobuf_c_message_descriptor_get_field (&gridcase__request__descriptor, request->op_case);
    const ProtobufCMessage *body =
        *(const ProtobufCMessage *const *)((const char *)request + op->offset);
    size_t size = body->descriptor->sizeof_message;
    void *body_copy = malloc (size);
    if (!body_copy)
        return NULL;
    memcpy (body_copy, body, size);
    *copy = *request;
    *(void **)((char *)copy + op->offset) = body_copy;
    *gridcase_case_id_of (copy) = (char *)id;
    return body_copy;
}

size_t
gc_request_log_fields (const Gridcase__Request *request, Gridcase__ErrorCode code, int64_t took_us,
                       char fields[GC_LOG_FIELDS][GC_LOG_FIELD])
{
    //  The case it is about: the operation's case_id, when it has one
    char **named = gridcase_case_id_of ((Gridcase__Request *)request);
    const char *kase = named ? *named : "";
    const ProtobufCEnumValue *outcome =
        code ? protobuf_c_enum_descriptor_get_value (&gridcase__error_code__descriptor, code)
             : NULL;
    const ProtobufCEnumValue *role =
        request->actor ? protobuf_c_enum_descriptor_get_value (&gridcase__role__descriptor,
                                                               request->actor->role)
                       : NULL;
    //  As the CLI shows them: officer, not_permitted
    char who[16] = "-", what[32] = "ok";
    for (size_t i = 0; role && role->name[5 + i] && i + 1 < sizeof (who); i++) {
        who[i] = (char)tolower ((unsigned char)role->name[5 + i]);
        who[i + 1] = 0;
    }
    for (size_t i = 0; outcome && outcome->name[6 + i] && i + 1 < sizeof (what); i++) {
        what[i] = (char)tolower ((unsigned char)outcome->name[6 + i]);
        what[i + 1] = 0;
    }
    const char *actor = request->actor && request->actor->id ? request->actor->id : "-";
    size_t count = 0;
    snprintf (fields[count++], GC_LOG_FIELD, "MESSAGE=%s:%s %s%s%s #%" PRIu64 " -> %s in %.2f ms",
              who, actor, gridcase_op_name (request), *kase ? " " : "", kase, request->sequence,
              what, (double)took_us / 1000.0);
    snprintf (fields[count++], GC_LOG_FIELD, "PRIORITY=%d", code ? 6 : 7);
    snprintf (fields[count++], GC_LOG_FIELD, "GRIDCASE_OP=%s", gridcase_op_name (request));
    snprintf (fields[count++], GC_LOG_FIELD, "GRIDCASE_ACTOR=%s:%s", who, actor);
    snprintf (fields[count++], GC_LOG_FIELD, "GRIDCASE_REQUEST=%" PRIu64, request->sequence);
    snprintf (fields[count++], GC_LOG_FIELD, "GRIDCASE_ERROR=%s", what);
    if (*kase)
        snprintf (fields[count++], GC_LOG_FIELD, "GRIDCASE_CASE=%s", kase);
    return count;
}

//  True when standard error is the journal's stream (systemd sets
//  $JOURNAL_STREAM to its device and inode)
static bool
s_journal (void)
{
    static int journal = -1;
    if (journal < 0) {
        const char *stream = getenv ("JOURNAL_STREAM");
        unsigned long long device, inode;
        struct stat info;
        journal = stream && sscanf (stream, "%llu:%llu", &device, &inode) == 2 &&
                  fstat (STDERR_FILENO, &info) == 0 && (unsigned long long)info.st_dev == device &&
                  (unsigned long long)info.st_ino == inode;
    }
    return journal == 1;
}

void
gc_request_log (const Gridcase__Request *request, Gridcase__ErrorCode code, int64_t took_us)
{
    char fields[GC_LOG_FIELDS][GC_LOG_FIELD];
    size_t count = gc_request_log_fields (request, code, took_us, fields);
    if (s_journal ()) {
        struct iovec vector[GC_LOG_FIELDS + 1];
        for (size_t i = 0; i < count; i++)
            vector[i] = (struct iovec){fields[i], strlen (fields[i])};
        vector[count++] = (struct iovec){"SYSLOG_IDENTIFIER=gridcased", 27};
        sd_journal_sendv (vector, (int)count);
    } else
        zsys_debug ("%s", fields[0] + 8);
}

void
gc_request_binding (const char *sender, const void *data, size_t size, uint8_t *binding)
{
    uint8_t hash[32];
    gc_sha256 (sender, strlen (sender), hash);
    memcpy (binding, hash, GC_BINDING_SIZE / 2);
    gc_sha256 (data, size, hash);
    memcpy (binding + GC_BINDING_SIZE / 2, hash, GC_BINDING_SIZE / 2);
}
