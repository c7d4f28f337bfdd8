/*  libgridcase's JSON, driven by the descriptors. See gridcase_json.h. */
#include "gridcase_json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *
gridcase_time_iso (int64_t ms, char *buffer, size_t size)
{
    if (ms <= 0) {
        buffer[0] = 0;
        return buffer;
    }
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    size_t len = strftime (buffer, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf (buffer + len, size - len, ".%03dZ", (int)(ms % 1000));
    return buffer;
}

//  Fields that hold a time in milliseconds
static bool
s_is_time (const ProtobufCFieldDescriptor *field)
{
    if (field->type != PROTOBUF_C_TYPE_INT64)
        return false;
    const char *name = field->name;
    size_t len = strlen (name);
    const char *suffixes[] = {"_at", "_due", "_until", "_since"};
    for (size_t i = 0; i < sizeof (suffixes) / sizeof (suffixes[0]); i++) {
        size_t n = strlen (suffixes[i]);
        if (len > n && strcmp (name + len - n, suffixes[i]) == 0)
            return true;
    }
    return strcmp (name, "time") == 0 || strcmp (name, "until") == 0;
}

//  The JSON name of FIELD of a message of DESC
static const char *
s_json_name (const ProtobufCMessageDescriptor *desc, const ProtobufCFieldDescriptor *field)
{
    if (desc == &gridcase__journal_entry__descriptor && strcmp (field->name, "case_id") == 0)
        return "case";
    return field->name;
}

bool
gridcase_figure_undefined (const Gridcase__Figures *f, const char *field)
{
    static const struct {
        const char *field;
        size_t of; //  the count it is computed over
    } over[] = {
        {"on_time_rate", offsetof (Gridcase__Figures, due)},
        {"closure_rate", offsetof (Gridcase__Figures, received)},
        {"rework_rate", offsetof (Gridcase__Figures, resolved)},
        {"bounce_rate", offsetof (Gridcase__Figures, dispatched)},
        {"satisfaction", offsetof (Gridcase__Figures, rated)},
        {"respond_mean_ms", offsetof (Gridcase__Figures, responded)},
        {"respond_p95_ms", offsetof (Gridcase__Figures, responded)},
        {"respond_min_ms", offsetof (Gridcase__Figures, responded)},
        {"respond_max_ms", offsetof (Gridcase__Figures, responded)},
        {"resolve_mean_ms", offsetof (Gridcase__Figures, resolved)},
        {"resolve_p95_ms", offsetof (Gridcase__Figures, resolved)},
        {"resolve_min_ms", offsetof (Gridcase__Figures, resolved)},
        {"resolve_max_ms", offsetof (Gridcase__Figures, resolved)},
    };
    for (size_t i = 0; i < sizeof (over) / sizeof (over[0]); i++)
        if (strcmp (field, over[i].field) == 0)
            return *(const uint64_t *)((const char *)f + over[i].of) == 0;
    return false;
}

static json_t *s_message (const ProtobufCMessage *message);

//  Fields kept for the daemon's own bookkeeping: not shown
static bool
s_internal (const ProtobufCMessageDescriptor *desc, const ProtobufCFieldDescriptor *field)
{
    if (desc == &gridcase__figures__descriptor)
        return strcmp (field->name, "respond_hist") == 0 ||
               strcmp (field->name, "resolve_hist") == 0;
    return desc == &gridcase__case__descriptor && strcmp (field->name, "counted") == 0;
}

//  One value of FIELD stored at AT
static json_t *
s_value (const ProtobufCFieldDescriptor *field, const void *at)
{
    char text[64];
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            return json_string (*(char *const *)at ? *(char *const *)at : "");
        case PROTOBUF_C_TYPE_BOOL:
            return json_boolean (*(const protobuf_c_boolean *)at);
        case PROTOBUF_C_TYPE_ENUM:
            return json_string (gridcase_enum_name (
                (const ProtobufCEnumDescriptor *)field->descriptor, *(const int *)at));
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
            return json_integer (*(const int32_t *)at);
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            return json_integer (*(const uint32_t *)at);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            if (s_is_time (field))
                return json_string (gridcase_time_iso (*(const int64_t *)at, text, sizeof (text)));
            return json_integer (*(const int64_t *)at);
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            //  Beyond 2^63 a JSON integer would wrap: a string then
            if (*(const uint64_t *)at > (uint64_t)INT64_MAX) {
                snprintf (text, sizeof (text), "%llu", (unsigned long long)*(const uint64_t *)at);
                return json_string (text);
            }
            return json_integer ((json_int_t) * (const uint64_t *)at);
        case PROTOBUF_C_TYPE_FLOAT:
            return json_real (*(const float *)at);
        case PROTOBUF_C_TYPE_DOUBLE:
            return json_real (*(const double *)at);
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *data = (const ProtobufCBinaryData *)at;
            char *hex = (char *)malloc (data->len * 2 + 1);
            for (size_t i = 0; i < data->len; i++)
                snprintf (hex + 2 * i, 3, "%02x", data->data[i]);
            hex[data->len * 2] = 0;
            json_t *value = json_string (hex);
            free (hex);
            return value;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *inner = *(ProtobufCMessage *const *)at;
            return inner ? s_message (inner) : json_null ();
        }
    }
    return json_null ();
}

//  How many bytes one value of FIELD takes in a repeated array
static size_t
s_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (void *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        default:
            return 4;
    }
}

//  An Actor reads "role:id" (or either alone)
static json_t *
s_actor (const Gridcase__Actor *actor)
{
    const char *role = actor->role ? gridcase_role_name (actor->role) : "";
    const char *id = actor->id ? actor->id : "";
    char *text = (char *)malloc (strlen (role) + strlen (id) + 2);
    sprintf (text, "%s%s%s", role, *role && *id ? ":" : "", id);
    json_t *value = json_string (text);
    free (text);
    return value;
}

static json_t *
s_message (const ProtobufCMessage *message)
{
    const ProtobufCMessageDescriptor *desc = message->descriptor;
    if (desc == &gridcase__actor__descriptor)
        return s_actor ((const Gridcase__Actor *)message);
    json_t *object = json_object ();
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        const char *base = (const char *)message;
        const void *at = base + field->offset;
        const char *name = s_json_name (desc, field);
        if (s_internal (desc, field))
            continue;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            //  Of a oneof, only the member that is set
            if (*(const uint32_t *)(base + field->quantifier_offset) != field->id)
                continue;
        }
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *)(base + field->quantifier_offset);
            const char *items = *(const char *const *)at;
            json_t *array = json_array ();
            for (size_t k = 0; k < count; k++)
                json_array_append_new (array, s_value (field, items + k * s_size (field)));
            json_object_set_new (object, name, array);
        } else if (desc == &gridcase__figures__descriptor &&
                   gridcase_figure_undefined ((const Gridcase__Figures *)message, field->name))
            json_object_set_new (object, name, json_null ());
        else
            json_object_set_new (object, name, s_value (field, at));
    }
    return object;
}

json_t *
gridcase_json (const ProtobufCMessage *message)
{
    return s_message (message);
}

char *
gridcase_json_text (const ProtobufCMessage *message)
{
    json_t *value = s_message (message);
    char *text = json_dumps (value, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
    json_decref (value);
    return text;
}
