/*  gc_query_stats - the figures a stats request with a period reads. See
    gc_query.h. */
#include "gc_query.h"
#include "gc_access.h"
#include "gc_figures.h"
#include "gc_util.h"

//  The id of PLACE's ancestor (or itself) of kind WANT; PLACE is of kind KIND
static const char *
s_ancestor (gc_kind_t kind, const void *place, gc_kind_t want)
{
    const gc_grid_t *grid = kind == GC_KIND_GRID ? (const gc_grid_t *)place : NULL;
    const gc_community_t *community = grid                        ? grid->community
                                      : kind == GC_KIND_COMMUNITY ? (const gc_community_t *)place
                                                                  : NULL;
    const gc_street_t *street = community                ? community->street
                                : kind == GC_KIND_STREET ? (const gc_street_t *)place
                                                         : NULL;
    const gc_district_t *district = street                     ? street->district
                                    : kind == GC_KIND_DISTRICT ? (const gc_district_t *)place
                                                               : NULL;
    switch (want) {
        case GC_KIND_GRID:
            return grid ? grid->id : "";
        case GC_KIND_COMMUNITY:
            return community ? community->id : "";
        case GC_KIND_STREET:
            return street ? street->id : "";
        case GC_KIND_DISTRICT:
            return district ? district->id : "";
        default:
            return "";
    }
}

typedef struct {
    char key[GC_FIGURES_KEY_MAX]; //  "": the sum of the rows
    const char *name;
    char label[GC_FIGURES_KEY_MAX]; //  what a sum is called: "dept/*", "officer/<id>"
} row_t;

static const char *s_kind_names[] = {"district", "street", "community", "grid", "dept"};

static void
s_row (row_t *row, gc_kind_t kind, const void *item)
{
    //  Every listed struct starts with id, then name
    const char *const *fields = (const char *const *)item;
    gc_figures_key (row->key, sizeof (row->key), s_kind_names[kind], fields[0]);
    row->name = fields[1];
}

//  Which rows a figures request gets, within the reader's scope. The total
//  is TOTAL's own record, or the sum of the rows when TOTAL->key is "".
static bool
s_stats_rows (gc_config_t *config, const gc_actor_t *actor, const Gridcase__Request *request,
              row_t *total, row_t *rows, size_t *count, gc_reply_t *out)
{
    const Gridcase__StatsRequest *query = request->stats;
    *count = 0;
    if (streq (query->by, "department")) {
        const gc_list_t *departments = gc_config_list (config, GC_KIND_DEPARTMENT);
        bool all = actor->role == GRIDCASE__ROLE__ROLE_ADMIN ||
                   (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district);
        if (!all && actor->role != GRIDCASE__ROLE__ROLE_WORKER) {
            gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id,
                                    "the figures of every department");
            return false;
        }
        for (size_t i = 0; i < departments->count; i++)
            if (all || departments->items[i] == actor->department)
                s_row (&rows[(*count)++], GC_KIND_DEPARTMENT, departments->items[i]);
        total->key[0] = 0;
        total->name = all ? "all departments" : actor->department->name;
        snprintf (total->label, sizeof (total->label), "dept/*");
        return true;
    }
    int by = -1;
    for (int kind = GC_KIND_STREET; kind <= GC_KIND_GRID && *query->by; kind++)
        if (streq (query->by, s_kind_names[kind]))
            by = kind;
    if (*query->by && by < 0) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "figures are by department, street, community or grid, not '%s'",
                        query->by);
        return false;
    }
    gc_area_t area;
    const char *name = query->area;
    if (!*name) {
        //  The reader's own area
        switch (actor->role) {
            case GRIDCASE__ROLE__ROLE_COMMITTEE:
                name = actor->community->id;
                break;
            case GRIDCASE__ROLE__ROLE_STREET:
                name = actor->street->id;
                break;
            case GRIDCASE__ROLE__ROLE_SUPERVISOR:
                name = actor->district ? actor->district->id : actor->street->id;
                break;
            case GRIDCASE__ROLE__ROLE_WORKER:
                s_row (total, GC_KIND_DEPARTMENT, actor->department);
                if (by >= 0) {
                    gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id,
                                            "the figures of areas");
                    return false;
                }
                return true;
            case GRIDCASE__ROLE__ROLE_OFFICER:
                if (actor->grids == 1) {
                    name = actor->grid[0]->id;
                    break;
                }
                //  Several grids: one row each, and their sum
                for (size_t i = 0; i < actor->grids; i++)
                    s_row (&rows[(*count)++], GC_KIND_GRID, actor->grid[i]);
                total->key[0] = 0;
                total->name = actor->name;
                snprintf (total->label, sizeof (total->label), "officer/%s", actor->id);
                return true;
            default: {
                const gc_list_t *districts = gc_config_list (config, GC_KIND_DISTRICT);
                if (districts->count != 1) {
                    gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                                    "the city has %zu districts: name an area", districts->count);
                    return false;
                }
                name = ((const gc_district_t *)districts->items[0])->id;
            }
        }
    }
    if (!gc_config_area (config, name, &area)) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "no district, street, community or grid '%s'", name);
        return false;
    }
    if (!gc_actor_covers (actor, area.grid, area.community, area.street, area.district)) {
        char what[140];
        snprintf (what, sizeof (what), "the figures of %s", area.key);
        gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id, what);
        return false;
    }
    snprintf (total->key, sizeof (total->key), "%s", area.key);
    total->name = area.name;
    if (by < 0)
        return true;
    if (by <= (int)area.kind) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "%s is a %s: its figures go by a smaller kind of area than %s", area.id,
                        s_kind_names[area.kind], query->by);
        return false;
    }
    const gc_list_t *places = gc_config_list (config, (gc_kind_t)by);
    for (size_t i = 0; i < places->count; i++)
        if (streq (s_ancestor ((gc_kind_t)by, places->items[i], area.kind), area.id))
            s_row (&rows[(*count)++], (gc_kind_t)by, places->items[i]);
    return true;
}

void
gc_query_stats (gc_config_t *config, gc_txn_t *txn, const gc_actor_t *actor,
                const Gridcase__Request *request, int64_t now, gc_reply_t *out)
{
    const Gridcase__StatsRequest *query = request->stats;
    uint32_t from = query->from_day, to = query->to_day;
    if (!from && !to) {
        from = query->from ? gc_local_day (query->from) : 19700101;
        to = gc_local_day (query->to ? query->to - 1 : now);
    }
    if (!from)
        from = 19700101;
    if (!to)
        to = gc_local_day (now);
    if (!gc_day_valid (from) || !gc_day_valid (to) || from > to) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "period %u..%u is not two dates (YYYYMMDD), the first not after the last",
                        from, to);
        return;
    }
    size_t most = 1;
    for (int kind = 0; kind < GC_KIND_COUNT; kind++) {
        size_t count = gc_config_list (config, (gc_kind_t)kind)->count;
        most = count > most ? count : most;
    }
    if (actor->grids > most)
        most = actor->grids;
    row_t total = {{0}, NULL, {0}}, *rows = (row_t *)calloc (most, sizeof (row_t));
    size_t count;
    if (!rows) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for the figures; try again");
        return;
    }
    if (!s_stats_rows (config, actor, request, &total, rows, &count, out)) {
        free (rows);
        return;
    }
    Gridcase__Figures *figures = (Gridcase__Figures *)calloc (count + 1, sizeof (*figures));
    Gridcase__Figures **pointers = (Gridcase__Figures **)calloc (count + 1, sizeof (*pointers));
    if (!figures || !pointers) {
        free (figures);
        free (pointers);
        free (rows);
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for the figures; try again");
        return;
    }
    int rc = GC_OK;
    for (size_t i = 0; i <= count; i++) {
        gridcase__figures__init (&figures[i]);
        pointers[i] = &figures[i];
    }
    figures[0].key = *total.key ? total.key : total.label;
    figures[0].name = (char *)total.name;
    if (*total.key)
        rc = gc_figures_read (txn, total.key, from, to, &figures[0]);
    for (size_t i = 0; i < count && rc == GC_OK; i++) {
        figures[i + 1].key = rows[i].key;
        figures[i + 1].name = (char *)rows[i].name;
        rc = gc_figures_read (txn, rows[i].key, from, to, &figures[i + 1]);
        if (!*total.key)
            gc_figures_add (&figures[0], &figures[i + 1]);
    }
    for (size_t i = 0; i <= count; i++)
        gc_figures_finish (&figures[i]);
    if (rc == GC_OK) {
        Gridcase__StatsReply stats = GRIDCASE__STATS_REPLY__INIT;
        stats.figures = pointers;
        stats.n_figures = count + 1;
        stats.from_day = from;
        stats.to_day = to;
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_STATS;
        reply.stats = &stats;
        gc_reply_pack (out, request, &reply);
    } else
        gc_reply_storage_error (out, request, "the figures");
    free (pointers);
    free (figures);
    free (rows);
}
