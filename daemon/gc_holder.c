/*  gc_holder - who holds a case, typed. See gc_holder.h. */
#include "gc_holder.h"
#include "gc_util.h"

#include <string.h>

static const struct {
    gc_holder_kind_t kind;
    const char *prefix;
    Gridcase__Level level;
} s_kinds[] = {
    {GC_HOLDER_GRID, "grid", GRIDCASE__LEVEL__LEVEL_GRID},
    {GC_HOLDER_COMMITTEE, "committee", GRIDCASE__LEVEL__LEVEL_COMMUNITY},
    {GC_HOLDER_STREET, "street", GRIDCASE__LEVEL__LEVEL_STREET},
    {GC_HOLDER_DISTRICT, "district", GRIDCASE__LEVEL__LEVEL_DISTRICT},
    {GC_HOLDER_DEPT, "dept", GRIDCASE__LEVEL__LEVEL_DEPARTMENT},
    {GC_HOLDER_SUPERVISION, "supervision", GRIDCASE__LEVEL__LEVEL_SUPERVISION},
};
#define KINDS (sizeof (s_kinds) / sizeof (s_kinds[0]))

gc_holder_t
gc_holder_of (const char *name)
{
    gc_holder_t holder = {GC_HOLDER_NONE, ""};
    if (!name || !*name)
        return holder;
    const char *slash = strchr (name, '/');
    for (size_t i = 0; slash && i < KINDS; i++) {
        size_t len = strlen (s_kinds[i].prefix);
        if ((size_t)(slash - name) == len && strncmp (name, s_kinds[i].prefix, len) == 0 &&
            slash[1]) {
            holder.kind = s_kinds[i].kind;
            holder.id = slash + 1;
            return holder;
        }
    }
    if (!slash && strchr (name, ':')) {
        holder.kind = GC_HOLDER_ACTOR;
        holder.id = name;
    }
    return holder;
}

bool
gc_holder_is_office (gc_holder_kind_t kind)
{
    return kind == GC_HOLDER_COMMITTEE || kind == GC_HOLDER_STREET || kind == GC_HOLDER_DISTRICT ||
           kind == GC_HOLDER_SUPERVISION;
}

Gridcase__Level
gc_holder_level (gc_holder_kind_t kind)
{
    for (size_t i = 0; i < KINDS; i++)
        if (s_kinds[i].kind == kind)
            return s_kinds[i].level;
    return GRIDCASE__LEVEL__LEVEL_UNSPECIFIED;
}

Gridcase__Level
gc_holder_level_of (const char *name)
{
    return gc_holder_level (gc_holder_of (name).kind);
}

const char *
gc_holder_name (char *buffer, gc_holder_kind_t kind, const char *id)
{
    for (size_t i = 0; i < KINDS; i++)
        if (s_kinds[i].kind == kind) {
            gc_join (buffer, GC_HOLDER_MAX, s_kinds[i].prefix, '/', id);
            return buffer;
        }
    gc_copy (buffer, GC_HOLDER_MAX, id);
    return buffer;
}
