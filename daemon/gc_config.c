/*  gc_config - the city and the daemon's settings. See gc_config.h. */
#include "gc_config.h"
#include "gc_util.h"

#define GC_DEFAULT_COMMAND "tcp://127.0.0.1:7570"
#define GC_DEFAULT_EVENTS "tcp://127.0.0.1:7571"

typedef struct {
    char *id;
    char *name;
} s_named_t;

//  Every kind of place shares a leading id and name, so one destructor frees any
static void
s_named_destroy (void **item_p)
{
    s_named_t *item = (s_named_t *)*item_p;
    if (item) {
        free (item->id);
        free (item->name);
        free (item);
        *item_p = NULL;
    }
}

static zhashx_t *
s_table_new (void)
{
    zhashx_t *table = zhashx_new ();
    zhashx_set_destructor (table, s_named_destroy);
    return table;
}

static bool
s_id_valid (const char *id)
{
    size_t len = strlen (id);
    if (len == 0 || len > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum ((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return false;
    return true;
}

//  Allocates an item of SIZE for node NODE (value = id) and files it in TABLE
static void *
s_add (gc_config_t *self, zhashx_t *table, zconfig_t *node, size_t size, const char *kind)
{
    const char *id = zconfig_value (node);
    if (!s_id_valid (id)) {
        zsys_error ("config %s: %s '%s': an id is 1-64 letters, digits, '-', '_' or '.'",
                    self->file, kind, id);
        return NULL;
    }
    if (zhashx_lookup (table, id)) {
        zsys_error ("config %s: %s '%s' is defined twice", self->file, kind, id);
        return NULL;
    }
    s_named_t *item = (s_named_t *)zmalloc (size);
    item->id = strdup (id);
    item->name = strdup (zconfig_get (node, "name", id));
    zhashx_insert (table, id, item);
    return item;
}

Gridcase__Severity
gc_severity_from_name (const char *name)
{
    if (streq (name, "red"))
        return GRIDCASE__SEVERITY__SEVERITY_RED;
    if (streq (name, "yellow"))
        return GRIDCASE__SEVERITY__SEVERITY_YELLOW;
    if (streq (name, "green"))
        return GRIDCASE__SEVERITY__SEVERITY_GREEN;
    return GRIDCASE__SEVERITY__SEVERITY_UNSPECIFIED;
}

static int
s_load_city (gc_config_t *self, zconfig_t *city)
{
    for (zconfig_t *d = zconfig_locate (city, "district"); d; d = zconfig_next (d)) {
        if (!streq (zconfig_name (d), "district"))
            continue;
        gc_district_t *district =
            (gc_district_t *)s_add (self, self->districts, d, sizeof (gc_district_t), "district");
        if (!district)
            return -1;
        for (zconfig_t *s = zconfig_child (d); s; s = zconfig_next (s)) {
            if (!streq (zconfig_name (s), "street"))
                continue;
            gc_street_t *street =
                (gc_street_t *)s_add (self, self->streets, s, sizeof (gc_street_t), "street");
            if (!street)
                return -1;
            street->district = district;
            for (zconfig_t *c = zconfig_child (s); c; c = zconfig_next (c)) {
                if (!streq (zconfig_name (c), "community"))
                    continue;
                gc_community_t *community = (gc_community_t *)s_add (
                    self, self->communities, c, sizeof (gc_community_t), "community");
                if (!community)
                    return -1;
                community->street = street;
                for (zconfig_t *g = zconfig_child (c); g; g = zconfig_next (g)) {
                    if (!streq (zconfig_name (g), "grid"))
                        continue;
                    gc_grid_t *grid =
                        (gc_grid_t *)s_add (self, self->grids, g, sizeof (gc_grid_t), "grid");
                    if (!grid)
                        return -1;
                    grid->community = community;
                }
            }
        }
    }
    if (zhashx_size (self->grids) == 0) {
        zsys_error ("config %s: the city has no grid (city/district/street/community/grid)",
                    self->file);
        return -1;
    }
    if (zhashx_size (self->districts) != 1) {
        zsys_error ("config %s: the city must have exactly one district, found %zu", self->file,
                    zhashx_size (self->districts));
        return -1;
    }
    return 0;
}

static int
s_load_departments (gc_config_t *self, zconfig_t *root)
{
    zconfig_t *list = zconfig_locate (root, "departments");
    for (zconfig_t *d = list ? zconfig_child (list) : NULL; d; d = zconfig_next (d)) {
        if (streq (zconfig_name (d), "department") &&
            !s_add (self, self->departments, d, sizeof (gc_department_t), "department"))
            return -1;
    }
    list = zconfig_locate (root, "categories");
    for (zconfig_t *c = list ? zconfig_child (list) : NULL; c; c = zconfig_next (c)) {
        if (!streq (zconfig_name (c), "category"))
            continue;
        gc_category_t *category =
            (gc_category_t *)s_add (self, self->categories, c, sizeof (gc_category_t), "category");
        if (!category)
            return -1;
        const char *department = zconfig_get (c, "department", "");
        if (*department) {
            category->department = (gc_department_t *)zhashx_lookup (self->departments, department);
            if (!category->department) {
                zsys_error ("config %s: category '%s' names unknown department '%s'", self->file,
                            category->id, department);
                return -1;
            }
        }
        const char *severity = zconfig_get (c, "severity", "green");
        category->severity = gc_severity_from_name (severity);
        if (!category->severity) {
            zsys_error ("config %s: category '%s': severity '%s' is not red, yellow or green",
                        self->file, category->id, severity);
            return -1;
        }
    }
    if (zhashx_size (self->categories) == 0) {
        zsys_error ("config %s: no categories (categories/category)", self->file);
        return -1;
    }
    return 0;
}

gc_config_t *
gc_config_load (const char *file)
{
    zconfig_t *root = zconfig_load (file);
    if (!root) {
        zsys_error ("config %s: cannot read or parse the file (ZPL)", file);
        return NULL;
    }
    gc_config_t *self = (gc_config_t *)zmalloc (sizeof (gc_config_t));
    self->file = strdup (file);
    self->timezone = strdup (zconfig_get (root, "gridcase/timezone", "Asia/Shanghai"));
    self->command = strdup (zconfig_get (root, "gridcase/command", GC_DEFAULT_COMMAND));
    self->events = strdup (zconfig_get (root, "gridcase/events", GC_DEFAULT_EVENTS));
    self->datadir = strdup (zconfig_get (root, "gridcase/datadir", "var/gridcase"));
    self->curve = streq (zconfig_get (root, "gridcase/curve", "off"), "on");
    self->districts = s_table_new ();
    self->streets = s_table_new ();
    self->communities = s_table_new ();
    self->grids = s_table_new ();
    self->departments = s_table_new ();
    self->categories = s_table_new ();

    int rc = 0;
    const char *map_size = zconfig_get (root, "gridcase/map_size", "64M");
    const char *map_max = zconfig_get (root, "gridcase/map_max", "64G");
    self->map_size = gc_parse_size (map_size);
    self->map_max = gc_parse_size (map_max);
    if (self->map_size < 65536 || self->map_max < self->map_size) {
        zsys_error ("config %s: map_size '%s' / map_max '%s': sizes like 64M or 1G, "
                    "map_size at least 64K and not above map_max",
                    file, map_size, map_max);
        rc = -1;
    }
    zconfig_t *city = zconfig_locate (root, "city");
    if (rc == 0 && !city) {
        zsys_error ("config %s: no 'city' section", file);
        rc = -1;
    }
    if (rc == 0)
        rc = s_load_city (self, city);
    if (rc == 0)
        rc = s_load_departments (self, root);
    zconfig_destroy (&root);
    if (rc) {
        gc_config_destroy (&self);
        return NULL;
    }
    return self;
}

void
gc_config_destroy (gc_config_t **self_p)
{
    gc_config_t *self = *self_p;
    if (self) {
        //  Children first: their tables point into their parents
        zhashx_destroy (&self->categories);
        zhashx_destroy (&self->departments);
        zhashx_destroy (&self->grids);
        zhashx_destroy (&self->communities);
        zhashx_destroy (&self->streets);
        zhashx_destroy (&self->districts);
        free (self->file);
        free (self->timezone);
        free (self->command);
        free (self->events);
        free (self->datadir);
        free (self);
        *self_p = NULL;
    }
}

gc_grid_t *
gc_config_grid (gc_config_t *self, const char *id)
{
    return (gc_grid_t *)zhashx_lookup (self->grids, id);
}

gc_category_t *
gc_config_category (gc_config_t *self, const char *id)
{
    return (gc_category_t *)zhashx_lookup (self->categories, id);
}

gc_department_t *
gc_config_department (gc_config_t *self, const char *id)
{
    return (gc_department_t *)zhashx_lookup (self->departments, id);
}
