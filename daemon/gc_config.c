/*  gc_config - the city and the daemon's settings. See gc_config.h. */
#include "gc_config.h"
#include "gc_util.h"

#define GC_DEFAULT_COMMAND "tcp://127.0.0.1:7570"
#define GC_DEFAULT_EVENTS "tcp://127.0.0.1:7571"

typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar;
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

static void
s_actor_destroy (void **item_p)
{
    gc_actor_t *actor = (gc_actor_t *)*item_p;
    if (actor)
        free (actor->key);
    s_named_destroy (item_p);
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

//  Allocates an item of SIZE for node NODE (value = id) and files it in
//  TABLE. Its calendar is the one NODE names, else INHERIT.
static void *
s_add (gc_config_t *self, zhashx_t *table, zconfig_t *node, size_t size, const char *kind,
       gc_calendar_t *inherit)
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
    const char *calendar = zconfig_get (node, "calendar", NULL);
    if (calendar && !zhashx_lookup (self->calendars, calendar)) {
        zsys_error ("config %s: %s '%s' names unknown calendar '%s'", self->file, kind, id,
                    calendar);
        return NULL;
    }
    s_named_t *item = (s_named_t *)zmalloc (size);
    item->id = strdup (id);
    item->name = strdup (zconfig_get (node, "name", id));
    item->calendar =
        calendar ? (gc_calendar_t *)zhashx_lookup (self->calendars, calendar) : inherit;
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
        gc_district_t *district = (gc_district_t *)s_add (
            self, self->districts, d, sizeof (gc_district_t), "district", self->policy.calendar);
        if (!district)
            return -1;
        for (zconfig_t *s = zconfig_child (d); s; s = zconfig_next (s)) {
            if (!streq (zconfig_name (s), "street"))
                continue;
            gc_street_t *street = (gc_street_t *)s_add (
                self, self->streets, s, sizeof (gc_street_t), "street", district->calendar);
            if (!street)
                return -1;
            street->district = district;
            for (zconfig_t *c = zconfig_child (s); c; c = zconfig_next (c)) {
                if (!streq (zconfig_name (c), "community"))
                    continue;
                gc_community_t *community =
                    (gc_community_t *)s_add (self, self->communities, c, sizeof (gc_community_t),
                                             "community", street->calendar);
                if (!community)
                    return -1;
                community->street = street;
                for (zconfig_t *g = zconfig_child (c); g; g = zconfig_next (g)) {
                    if (!streq (zconfig_name (g), "grid"))
                        continue;
                    gc_grid_t *grid = (gc_grid_t *)s_add (self, self->grids, g, sizeof (gc_grid_t),
                                                          "grid", community->calendar);
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
            !s_add (self, self->departments, d, sizeof (gc_department_t), "department",
                    self->policy.calendar))
            return -1;
    }
    list = zconfig_locate (root, "categories");
    for (zconfig_t *c = list ? zconfig_child (list) : NULL; c; c = zconfig_next (c)) {
        if (!streq (zconfig_name (c), "category"))
            continue;
        gc_category_t *category = (gc_category_t *)s_add (self, self->categories, c,
                                                          sizeof (gc_category_t), "category", NULL);
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
        category->windows = self->policy.windows;
    }
    //  Rules for one category: rules/category = ID/(severity | level)
    zconfig_t *rules = zconfig_locate (root, "rules");
    for (zconfig_t *r = rules ? zconfig_child (rules) : NULL; r; r = zconfig_next (r)) {
        if (!streq (zconfig_name (r), "category"))
            continue;
        gc_category_t *category = gc_config_category (self, zconfig_value (r));
        char why[256];
        if (!category) {
            zsys_error ("config %s: rules name unknown category '%s'", self->file,
                        zconfig_value (r));
            return -1;
        }
        if (gc_windows_apply (&category->windows, r, why, sizeof (why))) {
            zsys_error ("config %s: rules for category '%s': %s", self->file, category->id, why);
            return -1;
        }
    }
    if (zhashx_size (self->categories) == 0) {
        zsys_error ("config %s: no categories (categories/category)", self->file);
        return -1;
    }
    return 0;
}

static void
s_calendar_destroy (void **item_p)
{
    gc_calendar_destroy ((gc_calendar_t **)item_p);
}

static int
s_load_calendars (gc_config_t *self, zconfig_t *root)
{
    self->calendars = zhashx_new ();
    zhashx_set_destructor (self->calendars, s_calendar_destroy);
    zhashx_insert (self->calendars, "always", gc_calendar_always ());
    zconfig_t *list = zconfig_locate (root, "calendars");
    for (zconfig_t *c = list ? zconfig_child (list) : NULL; c; c = zconfig_next (c)) {
        if (!streq (zconfig_name (c), "calendar"))
            continue;
        char why[256];
        gc_calendar_t *calendar = gc_calendar_new (c, why, sizeof (why));
        if (!calendar) {
            zsys_error ("config %s: %s", self->file, why);
            return -1;
        }
        if (zhashx_insert (self->calendars, calendar->id, calendar)) {
            zsys_error ("config %s: calendar '%s' is defined twice (\"always\" is built in)",
                        self->file, calendar->id);
            gc_calendar_destroy (&calendar);
            return -1;
        }
    }
    return 0;
}

//  A rule that is a duration; DEFAULT_MS when absent
static int
s_rule_duration (gc_config_t *self, zconfig_t *rules, const char *name, int64_t default_ms,
                 int64_t *value)
{
    const char *text = rules ? zconfig_get (rules, name, NULL) : NULL;
    *value = text ? gc_parse_duration (text) : default_ms;
    if (*value <= 0) {
        zsys_error ("config %s: rules/%s '%s' is not a duration like 30m, 4h or 3d", self->file,
                    name, text);
        return -1;
    }
    return 0;
}

static int
s_load_rules (gc_config_t *self, zconfig_t *root)
{
    gc_policy_t *policy = &self->policy;
    zconfig_t *rules = zconfig_locate (root, "rules");
    if (s_rule_duration (self, rules, "lease", 30 * 60 * 1000LL, &policy->lease) ||
        s_rule_duration (self, rules, "verification", 24 * 3600 * 1000LL, &policy->verification) ||
        s_rule_duration (self, rules, "evaluation", 3 * 24 * 3600 * 1000LL, &policy->evaluation) ||
        s_rule_duration (self, rules, "pause_max", 30 * 24 * 3600 * 1000LL, &policy->pause_max))
        return -1;
    const char *deliveries = rules ? zconfig_get (rules, "max_deliveries", "3") : "3";
    policy->max_deliveries = (uint32_t)atoi (deliveries);
    if (policy->max_deliveries < 1 || policy->max_deliveries > 100) {
        zsys_error ("config %s: rules/max_deliveries '%s' is not a number from 1 to 100",
                    self->file, deliveries);
        return -1;
    }
    const char *calendar = rules ? zconfig_get (rules, "calendar", "always") : "always";
    policy->calendar = (gc_calendar_t *)zhashx_lookup (self->calendars, calendar);
    if (!policy->calendar) {
        zsys_error ("config %s: rules/calendar names unknown calendar '%s'", self->file, calendar);
        return -1;
    }
    gc_windows_default (&policy->windows);
    char why[256];
    if (rules && gc_windows_apply (&policy->windows, rules, why, sizeof (why))) {
        zsys_error ("config %s: rules: %s", self->file, why);
        return -1;
    }
    //  A severity may run on its own calendar: red round the clock
    for (zconfig_t *r = rules ? zconfig_child (rules) : NULL; r; r = zconfig_next (r)) {
        const char *name = zconfig_get (r, "calendar", NULL);
        if (!streq (zconfig_name (r), "severity") || !name)
            continue;
        gc_calendar_t *found = (gc_calendar_t *)zhashx_lookup (self->calendars, name);
        if (!found) {
            zsys_error ("config %s: rules/severity '%s' names unknown calendar '%s'", self->file,
                        zconfig_value (r), name);
            return -1;
        }
        policy->severity_calendar[gc_severity_from_name (zconfig_value (r))] = found;
    }
    return 0;
}

//  Reads the roster: actors with a role and the scope that role needs
static int
s_load_roster (gc_config_t *self, zconfig_t *roster)
{
    for (zconfig_t *a = roster ? zconfig_child (roster) : NULL; a; a = zconfig_next (a)) {
        if (!streq (zconfig_name (a), "actor"))
            continue;
        gc_actor_t *actor =
            (gc_actor_t *)s_add (self, self->actors, a, sizeof (gc_actor_t), "actor", NULL);
        if (!actor)
            return -1;
        const char *role = zconfig_get (a, "role", "");
        static const char *roles[] = {"",       "officer",    "committee", "street",
                                      "worker", "supervisor", "admin"};
        for (int i = 1; i < 7; i++)
            if (streq (role, roles[i]))
                actor->role = (Gridcase__Role)i;
        const char *why = NULL;
        const char *key = zconfig_get (a, "key", NULL);
        if (key) {
            uint8_t binary[32];
            actor->key = strdup (key);
            if (strlen (key) != 40 || !zmq_z85_decode (binary, key))
                why = "has a key that is not a CURVE public key (40 characters of Z85, as "
                      "gridcase keygen prints)";
            else if (zhashx_lookup (self->keys, key))
                why = "has the same key as another actor";
            else
                zhashx_insert (self->keys, key, actor);
        }
        const char *community = zconfig_get (a, "community", NULL);
        const char *street = zconfig_get (a, "street", NULL);
        const char *district = zconfig_get (a, "district", NULL);
        const char *department = zconfig_get (a, "department", NULL);
        if (community && !(actor->community = gc_config_community (self, community)))
            why = "names an unknown community";
        else if (street && !(actor->street = gc_config_street (self, street)))
            why = "names an unknown street";
        else if (district && !(actor->district = gc_config_district (self, district)))
            why = "names an unknown district";
        else if (department && !(actor->department = gc_config_department (self, department)))
            why = "names an unknown department";
        for (zconfig_t *g = zconfig_child (a); g && !why; g = zconfig_next (g)) {
            if (!streq (zconfig_name (g), "grid"))
                continue;
            gc_grid_t *grid = gc_config_grid (self, zconfig_value (g));
            if (!grid)
                why = "names an unknown grid";
            else if (actor->grids == GC_ACTOR_GRIDS_MAX || grid->officers == GC_GRID_OFFICERS_MAX)
                why = "has too many grids, or its grid too many officers";
            else {
                actor->grid[actor->grids++] = grid;
                grid->officer[grid->officers++] = actor;
            }
        }
        if (!why) {
            switch (actor->role) {
                case GRIDCASE__ROLE__ROLE_OFFICER:
                    why = actor->grids ? NULL : "is an officer without a grid";
                    break;
                case GRIDCASE__ROLE__ROLE_COMMITTEE:
                    why = actor->community ? NULL : "is a committee member without a community";
                    break;
                case GRIDCASE__ROLE__ROLE_STREET:
                    why = actor->street ? NULL : "is a street coordinator without a street";
                    break;
                case GRIDCASE__ROLE__ROLE_WORKER:
                    why = actor->department ? NULL : "is a worker without a department";
                    break;
                case GRIDCASE__ROLE__ROLE_SUPERVISOR:
                    why = actor->street || actor->district ? NULL
                                                           : "is a supervisor without a street "
                                                             "or district";
                    break;
                case GRIDCASE__ROLE__ROLE_ADMIN:
                    break;
                default:
                    why = "has no role (officer, committee, street, worker, supervisor, admin)";
            }
        }
        if (why) {
            zsys_error ("config %s: roster: actor '%s' %s", self->file, actor->id, why);
            return -1;
        }
    }
    return 0;
}

//  NAME as a path: absolute, or relative to the directory of config FILE
static char *
s_relative (const char *file, const char *name)
{
    const char *slash = strrchr (file, '/');
    if (*name == '/' || !slash)
        return strdup (name);
    size_t size = (size_t)(slash - file) + strlen (name) + 2;
    char *path = (char *)malloc (size);
    snprintf (path, size, "%.*s/%s", (int)(slash - file), file, name);
    return path;
}

//  The roster is the config's own "roster" section, or the file that
//  gridcase/roster names (relative to the config file's directory)
static int
s_load_roster_file (gc_config_t *self, zconfig_t *root)
{
    self->actors = s_table_new ();
    zhashx_set_destructor (self->actors, s_actor_destroy);
    self->keys = zhashx_new ();
    const char *name = zconfig_get (root, "gridcase/roster", NULL);
    if (!name)
        return s_load_roster (self, zconfig_locate (root, "roster"));
    char *path = s_relative (self->file, name);
    zconfig_t *roster = zconfig_load (path);
    if (!roster) {
        zsys_error ("config %s: cannot read the roster %s (ZPL)", self->file, path);
        free (path);
        return -1;
    }
    free (path);
    int rc = s_load_roster (self, zconfig_locate (roster, "roster"));
    zconfig_destroy (&roster);
    return rc;
}

static int
s_by_id (const void *a, const void *b)
{
    //  Every listed struct starts with its id
    return strcmp (**(char *const *const *)a, **(char *const *const *)b);
}

//  The items of TABLE sorted by id, for reports that walk every place
static void
s_list_build (gc_list_t *list, zhashx_t *table)
{
    list->count = zhashx_size (table);
    list->items = (void **)calloc (list->count ? list->count : 1, sizeof (void *));
    size_t i = 0;
    for (void *item = zhashx_first (table); item; item = zhashx_next (table))
        list->items[i++] = item;
    qsort (list->items, list->count, sizeof (void *), s_by_id);
}

//  True if NAME is a zone of the system's tz database (a TZif file under
//  /usr/share/zoneinfo, or $TZDIR), or UTC
static bool
s_timezone_known (const char *name)
{
    if (streq (name, "UTC"))
        return true;
    if (!*name || *name == '/' || strstr (name, ".."))
        return false;
    const char *dir = getenv ("TZDIR");
    char path[PATH_MAX];
    snprintf (path, sizeof (path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    FILE *zone = fopen (path, "rb");
    char magic[4] = "";
    bool known = zone && fread (magic, 1, 4, zone) == 4 && memcmp (magic, "TZif", 4) == 0;
    if (zone)
        fclose (zone);
    return known;
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
    pthread_mutex_init (&self->lock, NULL);
    self->file = strdup (file);
    self->timezone = strdup (zconfig_get (root, "gridcase/timezone", "Asia/Shanghai"));
    self->command = strdup (zconfig_get (root, "gridcase/command", GC_DEFAULT_COMMAND));
    self->events = strdup (zconfig_get (root, "gridcase/events", GC_DEFAULT_EVENTS));
    self->datadir = strdup (zconfig_get (root, "gridcase/datadir", "var/gridcase"));
    const char *curve = zconfig_get (root, "gridcase/curve", "off");
    const char *server_cert = zconfig_get (root, "gridcase/server_cert", NULL);
    self->server_cert = server_cert ? s_relative (file, server_cert) : NULL;
    self->districts = s_table_new ();
    self->streets = s_table_new ();
    self->communities = s_table_new ();
    self->grids = s_table_new ();
    self->departments = s_table_new ();
    self->categories = s_table_new ();

    int rc = 0;
    //  A boolean is on or off, nothing else: "curve = maybe" is a mistake,
    //  not a quiet "off"
    if (streq (curve, "on") || streq (curve, "true") || streq (curve, "yes"))
        self->curve = true;
    else if (!(streq (curve, "off") || streq (curve, "false") || streq (curve, "no"))) {
        zsys_error ("config %s: curve '%s': on or off (true/false, yes/no)", file, curve);
        rc = -1;
    }
    //  A time zone the system's tz database does not hold would run the city
    //  in UTC without a word
    if (!s_timezone_known (self->timezone)) {
        zsys_error ("config %s: timezone '%s' is not in the time zone database "
                    "(/usr/share/zoneinfo), e.g. Asia/Shanghai",
                    file, self->timezone);
        rc = -1;
    }
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
    const char *idempotency = zconfig_get (root, "gridcase/idempotency", "7d");
    self->idempotency = gc_parse_duration (idempotency);
    if (self->idempotency < 3600 * 1000) {
        zsys_error ("config %s: idempotency '%s': a duration of at least 1h, like 7d", file,
                    idempotency);
        rc = -1;
    }
    const char *readers = zconfig_get (root, "gridcase/readers", "2");
    self->readers = (size_t)atoi (readers);
    if (self->readers < 1 || self->readers > GC_READERS_MAX) {
        zsys_error ("config %s: readers '%s': between 1 and %d reader threads", file, readers,
                    GC_READERS_MAX);
        rc = -1;
    }
    const char *connections = zconfig_get (root, "gridcase/connections", "4096");
    self->connections = (size_t)atoi (connections);
    if (self->connections < 1 || self->connections > 65536) {
        zsys_error ("config %s: connections '%s': between 1 and 65536 per socket", file,
                    connections);
        rc = -1;
    }
    const char *idle = zconfig_get (root, "gridcase/idle_timeout", "10m");
    self->idle_timeout = gc_parse_duration (idle);
    if (self->idle_timeout < 1000) {
        zsys_error ("config %s: idle_timeout '%s': a duration of at least 1s, like 10m", file,
                    idle);
        rc = -1;
    }
    //  The city (calendars, rules, places, departments, categories) is this
    //  file's, or another file's that gridcase/city names
    const char *city_file = zconfig_get (root, "gridcase/city", NULL);
    zconfig_t *city_root = root;
    if (rc == 0 && city_file) {
        char *path = s_relative (file, city_file);
        city_root = zconfig_load (path);
        if (!city_root) {
            zsys_error ("config %s: cannot read the city %s (ZPL)", file, path);
            rc = -1;
        }
        free (path);
    }
    zconfig_t *city = city_root ? zconfig_locate (city_root, "city") : NULL;
    if (rc == 0 && !city) {
        zsys_error ("config %s: no 'city' section", city_file ? city_file : file);
        rc = -1;
    }
    if (rc == 0)
        rc = s_load_calendars (self, city_root);
    if (rc == 0)
        rc = s_load_rules (self, city_root);
    if (rc == 0)
        rc = s_load_city (self, city);
    if (rc == 0)
        rc = s_load_departments (self, city_root);
    if (rc == 0)
        rc = s_load_roster_file (self, root);
    if (city_root != root)
        zconfig_destroy (&city_root);
    zconfig_destroy (&root);
    if (rc) {
        gc_config_destroy (&self);
        return NULL;
    }
    s_list_build (&self->lists[GC_KIND_DISTRICT], self->districts);
    s_list_build (&self->lists[GC_KIND_STREET], self->streets);
    s_list_build (&self->lists[GC_KIND_COMMUNITY], self->communities);
    s_list_build (&self->lists[GC_KIND_GRID], self->grids);
    s_list_build (&self->lists[GC_KIND_DEPARTMENT], self->departments);
    return self;
}

void
gc_config_destroy (gc_config_t **self_p)
{
    gc_config_t *self = *self_p;
    if (self) {
        //  Children first: their tables point into their parents
        zhashx_destroy (&self->keys);
        zhashx_destroy (&self->actors);
        zhashx_destroy (&self->categories);
        zhashx_destroy (&self->departments);
        zhashx_destroy (&self->grids);
        zhashx_destroy (&self->communities);
        zhashx_destroy (&self->streets);
        zhashx_destroy (&self->districts);
        zhashx_destroy (&self->calendars);
        for (size_t i = 0; i < GC_KIND_COUNT; i++)
            free (self->lists[i].items);
        pthread_mutex_destroy (&self->lock);
        free (self->file);
        free (self->timezone);
        free (self->command);
        free (self->events);
        free (self->datadir);
        free (self->server_cert);
        free (self);
        *self_p = NULL;
    }
}

//  Lookups may come from the writer and the reader threads at once, and a
//  zhashx lookup writes the table's cache: one lock for every lookup
static void *
s_lookup (gc_config_t *self, zhashx_t *table, const char *id)
{
    pthread_mutex_lock (&self->lock);
    void *item = zhashx_lookup (table, id);
    pthread_mutex_unlock (&self->lock);
    return item;
}

gc_grid_t *
gc_config_grid (gc_config_t *self, const char *id)
{
    return (gc_grid_t *)s_lookup (self, self->grids, id);
}

gc_category_t *
gc_config_category (gc_config_t *self, const char *id)
{
    return (gc_category_t *)s_lookup (self, self->categories, id);
}

gc_department_t *
gc_config_department (gc_config_t *self, const char *id)
{
    return (gc_department_t *)s_lookup (self, self->departments, id);
}

gc_actor_t *
gc_config_actor (gc_config_t *self, const char *id)
{
    return (gc_actor_t *)s_lookup (self, self->actors, id);
}

gc_actor_t *
gc_config_actor_by_key (gc_config_t *self, const char *key)
{
    return (gc_actor_t *)s_lookup (self, self->keys, key);
}

gc_district_t *
gc_config_district (gc_config_t *self, const char *id)
{
    return (gc_district_t *)s_lookup (self, self->districts, id);
}

gc_street_t *
gc_config_street (gc_config_t *self, const char *id)
{
    return (gc_street_t *)s_lookup (self, self->streets, id);
}

gc_community_t *
gc_config_community (gc_config_t *self, const char *id)
{
    return (gc_community_t *)s_lookup (self, self->communities, id);
}

const gc_list_t *
gc_config_list (gc_config_t *self, gc_kind_t kind)
{
    return &self->lists[kind];
}

//  --------------------------------------------------------------------------
//  Actors and their scope

static const char *s_role_names[] = {"",       "officer",    "committee", "street",
                                     "worker", "supervisor", "admin"};

const char *
gc_role_name (Gridcase__Role role)
{
    return role >= 0 && role < 7 ? s_role_names[role] : "?";
}

gc_actor_t *
gc_config_identify (gc_config_t *self, const Gridcase__Actor *actor, char *why, size_t why_size)
{
    if (!actor || !*actor->id) {
        snprintf (why, why_size, "a request needs an actor (gridcase --as ROLE:ID in local mode)");
        return NULL;
    }
    gc_actor_t *found = gc_config_actor (self, actor->id);
    if (!found) {
        snprintf (why, why_size, "'%s' is not in the roster", actor->id);
        return NULL;
    }
    if (actor->role != found->role) {
        snprintf (why, why_size, "'%s' is a %s in the roster, not a %s", actor->id,
                  gc_role_name (found->role), gc_role_name (actor->role));
        return NULL;
    }
    return found;
}

bool
gc_actor_covers (const gc_actor_t *actor, const char *grid, const char *community,
                 const char *street, const char *district)
{
    switch (actor->role) {
        case GRIDCASE__ROLE__ROLE_OFFICER:
            for (size_t i = 0; i < actor->grids; i++)
                if (streq (actor->grid[i]->id, grid))
                    return true;
            return false;
        case GRIDCASE__ROLE__ROLE_COMMITTEE:
            return streq (actor->community->id, community);
        case GRIDCASE__ROLE__ROLE_STREET:
            return streq (actor->street->id, street);
        case GRIDCASE__ROLE__ROLE_SUPERVISOR:
            return actor->district ? streq (actor->district->id, district)
                                   : streq (actor->street->id, street);
        case GRIDCASE__ROLE__ROLE_ADMIN:
            return true;
        default:
            return false;
    }
}

bool
gc_actor_sees_case (const gc_actor_t *actor, const Gridcase__Case *kase)
{
    if (actor->role != GRIDCASE__ROLE__ROLE_WORKER)
        return gc_actor_covers (actor, kase->grid, kase->community, kase->street, kase->district);
    //  Its queue, or it led the case once it was dispatched, or it helps
    const char *id = actor->department->id;
    if ((streq (kase->lead_department, id) && kase->dept_since) ||
        (strncmp (kase->queue, "dept/", 5) == 0 && streq (kase->queue + 5, id)))
        return true;
    for (size_t i = 0; i < kase->n_helper_departments; i++)
        if (streq (kase->helper_departments[i], id))
            return true;
    return false;
}

bool
gc_actor_sees_queue (gc_config_t *self, const gc_actor_t *actor, const char *queue)
{
    const char *id;
    if (actor->role == GRIDCASE__ROLE__ROLE_ADMIN ||
        (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district))
        return true;
    if (gc_prefixed (queue, "dept/", &id))
        return actor->role == GRIDCASE__ROLE__ROLE_WORKER && streq (actor->department->id, id);
    if (gc_prefixed (queue, "committee/", &id)) {
        gc_community_t *community = gc_config_community (self, id);
        return community && gc_actor_covers (actor, "", id, community->street->id,
                                             community->street->district->id);
    }
    if (gc_prefixed (queue, "street/", &id)) {
        gc_street_t *street = gc_config_street (self, id);
        return street && gc_actor_covers (actor, "", "", id, street->district->id);
    }
    return false; //  district and supervision queues: the district's supervisors
}

bool
gc_actor_sees_entry (const gc_actor_t *actor, const Gridcase__JournalEntry *entry)
{
    if (actor->role != GRIDCASE__ROLE__ROLE_WORKER)
        return gc_actor_covers (actor, entry->grid, entry->community, entry->street,
                                entry->district);
    for (size_t i = 0; i < entry->n_departments; i++)
        if (streq (entry->departments[i], actor->department->id))
            return true;
    return false;
}

bool
gc_config_area (gc_config_t *self, const char *name, gc_area_t *area)
{
    memset (area, 0, sizeof (*area));
    area->grid = area->community = area->street = area->district = "";
    const char *slash = strchr (name, '/');
    const char *kinds[] = {"district", "street", "community", "grid"};
    int wanted = -1;
    if (slash) {
        for (int k = 0; k < 4; k++)
            if (strlen (kinds[k]) == (size_t)(slash - name) &&
                strncmp (name, kinds[k], (size_t)(slash - name)) == 0)
                wanted = k;
        if (wanted < 0)
            return false;
        name = slash + 1;
    }
    //  A plain id: the finest kind that has it
    gc_grid_t *grid = wanted < 0 || wanted == GC_KIND_GRID ? gc_config_grid (self, name) : NULL;
    gc_community_t *community = grid ? grid->community
                                : wanted < 0 || wanted == GC_KIND_COMMUNITY
                                    ? gc_config_community (self, name)
                                    : NULL;
    gc_street_t *street = community                                ? community->street
                          : wanted < 0 || wanted == GC_KIND_STREET ? gc_config_street (self, name)
                                                                   : NULL;
    gc_district_t *district = street ? street->district
                              : wanted < 0 || wanted == GC_KIND_DISTRICT
                                  ? gc_config_district (self, name)
                                  : NULL;
    if (!district)
        return false;
    area->kind = grid        ? GC_KIND_GRID
                 : community ? GC_KIND_COMMUNITY
                 : street    ? GC_KIND_STREET
                             : GC_KIND_DISTRICT;
    area->grid = grid ? grid->id : "";
    area->community = community ? community->id : "";
    area->street = street ? street->id : "";
    area->district = district->id;
    area->id = grid ? grid->id : community ? community->id : street ? street->id : district->id;
    area->name = grid        ? grid->name
                 : community ? community->name
                 : street    ? street->name
                             : district->name;
    snprintf (area->key, sizeof (area->key), "%s/%s", kinds[area->kind], area->id);
    return true;
}
