/*  libgridcase's names of enum values, one way for every enum: the value's
    name without the prefix all its values share, in lower case ("at_grid"
    for STATE_AT_GRID), read from the protobuf-c descriptor; and which
    operations only read. The daemon uses the same. See gridcase.h. */
#include "gridcase.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

//  Each enum's names, made once and kept: a name handed out is never
//  overwritten (callers print several in one line)
#define S_ENUMS_MAX 32
static struct {
    const ProtobufCEnumDescriptor *desc;
    char **names; //  by index in desc->values
} s_enums[S_ENUMS_MAX];
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;

//  The names of DESC's values; made once under S_LOCK, then read without it
//  (a table is published, release, only after its names are written)
static char **
s_names_find (const ProtobufCEnumDescriptor *desc)
{
    for (size_t i = 0; i < S_ENUMS_MAX; i++) {
        const ProtobufCEnumDescriptor *at = __atomic_load_n (&s_enums[i].desc, __ATOMIC_ACQUIRE);
        if (!at)
            break;
        if (at == desc)
            return s_enums[i].names;
    }
    return NULL;
}

static char **
s_names_of (const ProtobufCEnumDescriptor *desc)
{
    char **names = s_names_find (desc);
    if (names)
        return names;
    pthread_mutex_lock (&s_lock);
    names = s_names_find (desc);
    if (!names) {
        //  The prefix every value shares, up to its last underscore
        size_t prefix = strlen (desc->values[0].name);
        for (unsigned i = 1; i < desc->n_values; i++) {
            size_t same = 0;
            while (same < prefix && desc->values[i].name[same] == desc->values[0].name[same])
                same++;
            prefix = same;
        }
        while (prefix && desc->values[0].name[prefix - 1] != '_')
            prefix--;
        names = (char **)calloc (desc->n_values, sizeof (char *));
        for (unsigned i = 0; names && i < desc->n_values; i++) {
            names[i] = strdup (desc->values[i].name + prefix);
            for (char *c = names[i]; c && *c; c++)
                *c = (char)tolower ((unsigned char)*c);
        }
        for (size_t i = 0; names && i < S_ENUMS_MAX; i++)
            if (!s_enums[i].desc) {
                s_enums[i].names = names;
                __atomic_store_n (&s_enums[i].desc, desc, __ATOMIC_RELEASE);
                break;
            }
    }
    pthread_mutex_unlock (&s_lock);
    return names;
}

const char *
gridcase_enum_name (const ProtobufCEnumDescriptor *desc, int value)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (desc, value);
    if (!v)
        return "";
    char **names = s_names_of (desc); //  no lock once the table is made
    const char *name = names ? names[v - desc->values] : NULL;
    return name ? name : "";
}

#define S_NAME_FN(fn, type, desc)                                                                  \
    const char *fn (type value)                                                                    \
    {                                                                                              \
        const char *name = gridcase_enum_name (&desc, (int)value);                                 \
        return *name ? name : "unspecified";                                                       \
    }

S_NAME_FN (gridcase_error_name, Gridcase__ErrorCode, gridcase__error_code__descriptor)
S_NAME_FN (gridcase_severity_name, Gridcase__Severity, gridcase__severity__descriptor)
S_NAME_FN (gridcase_state_name, Gridcase__State, gridcase__state__descriptor)
S_NAME_FN (gridcase_level_name, Gridcase__Level, gridcase__level__descriptor)
S_NAME_FN (gridcase_role_name, Gridcase__Role, gridcase__role__descriptor)
S_NAME_FN (gridcase_event_name, Gridcase__EventType, gridcase__event_type__descriptor)

static int
s_enum_parse (const ProtobufCEnumDescriptor *desc, const char *prefix, const char *name)
{
    char full[64];
    size_t len = strlen (prefix);
    if (!name || len + strlen (name) >= sizeof (full))
        return 0;
    memcpy (full, prefix, len);
    for (size_t i = 0; name[i]; i++)
        full[len + i] = name[i] == '-' ? '_' : (char)toupper ((unsigned char)name[i]);
    full[len + strlen (name)] = 0;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name (desc, full);
    return v ? v->value : 0;
}

Gridcase__Severity
gridcase_severity_parse (const char *name)
{
    return (Gridcase__Severity)s_enum_parse (&gridcase__severity__descriptor, "SEVERITY_", name);
}

Gridcase__Role
gridcase_role_parse (const char *name)
{
    return (Gridcase__Role)s_enum_parse (&gridcase__role__descriptor, "ROLE_", name);
}

Gridcase__State
gridcase_state_parse (const char *name)
{
    return (Gridcase__State)s_enum_parse (&gridcase__state__descriptor, "STATE_", name);
}

Gridcase__Level
gridcase_level_parse (const char *name)
{
    return (Gridcase__Level)s_enum_parse (&gridcase__level__descriptor, "LEVEL_", name);
}

bool
gridcase_reads (const Gridcase__Request *request)
{
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_GET:
        case GRIDCASE__REQUEST__OP_LIST:
        case GRIDCASE__REQUEST__OP_JOURNAL:
        case GRIDCASE__REQUEST__OP_STATS:
        case GRIDCASE__REQUEST__OP_BACKUP:
        case GRIDCASE__REQUEST__OP_SERVER_INFO:
            return true;
        default:
            return false;
    }
}

const char *
gridcase_op_name (const Gridcase__Request *request)
{
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field (&gridcase__request__descriptor, request->op_case);
    return field ? field->name : "none";
}

char **
gridcase_case_id_of (Gridcase__Request *request)
{
    const ProtobufCFieldDescriptor *op =
        protobuf_c_message_descriptor_get_field (&gridcase__request__descriptor, request->op_case);
    ProtobufCMessage *body = op ? *(ProtobufCMessage **)((char *)request + op->offset) : NULL;
    const ProtobufCFieldDescriptor *field =
        body ? protobuf_c_message_descriptor_get_field_by_name (body->descriptor, "case_id") : NULL;
    if (!field || field->type != PROTOBUF_C_TYPE_STRING)
        return NULL;
    return (char **)((char *)body + field->offset);
}

const char *
gridcase_version (void)
{
    return GC_VERSION;
}
