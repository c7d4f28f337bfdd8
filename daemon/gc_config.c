/*  gc_config - the city and the daemon's settings. See gc_config.h. */
#include "gc_config.h"
#include "gridcase.h"
#include "gc_holder.h"
#include "gc_util.h"
#include "gc_zpl.h"
#include "gc_config_keys.h"
#include "gc_geo.h"

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
    if (actor) {
        free (actor->key);
        free (actor->password);
        free (actor->grid);
    }
    s_named_destroy (item_p);
}

static void
s_grid_destroy (void **item_p)
{
    gc_grid_t *grid = (gc_grid_t *)*item_p;
    if (grid)
        free (grid->crew);
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
        gc_zpl_error (self->zpl, node, "%s '%s': an id is 1-64 letters, digits, '-', '_' or '.'",
                      kind, id);
        return NULL;
    }
    if (zhashx_lookup (table, id)) {
        gc_zpl_error (self->zpl, node, "%s '%s' is defined twice", kind, id);
        return NULL;
    }
    zconfig_t *calendar = gc_zpl_child (node, "calendar");
    gc_calendar_t *found =
        calendar ? (gc_calendar_t *)zhashx_lookup (self->calendars, zconfig_value (calendar))
                 : inherit;
    if (calendar && !found) {
        gc_zpl_error (self->zpl, calendar, "%s '%s' names unknown calendar '%s'", kind, id,
                      zconfig_value (calendar));
        return NULL;
    }
    s_named_t *item = (s_named_t *)zmalloc (size);
    item->id = strdup (id);
    item->name = strdup (gc_zpl_get (node, "name", id));
    item->calendar = found;
    zhashx_insert (table, id, item);
    return item;
}

static int
s_load_city (gc_config_t *self, zconfig_t *city)
{
    for (zconfig_t *d = gc_zpl_child (city, "district"); d; d = zconfig_next (d)) {
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
        gc_zpl_error (self->zpl, city,
                      "the city has no grid (city / district / street / community / grid)");
        return -1;
    }
    if (zhashx_size (self->districts) != 1) {
        gc_zpl_error (self->zpl, city, "the city has exactly one district, not %zu",
                      zhashx_size (self->districts));
        return -1;
    }
    return 0;
}

static int
s_load_departments (gc_config_t *self, zconfig_t *root)
{
    zconfig_t *list = gc_zpl_child (root, "departments");
    for (zconfig_t *d = list ? zconfig_child (list) : NULL; d; d = zconfig_next (d))
        if (!s_add (self, self->departments, d, sizeof (gc_department_t), "department",
                    self->policy.calendar))
            return -1;
    list = gc_zpl_child (root, "categories");
    for (zconfig_t *c = list ? zconfig_child (list) : NULL; c; c = zconfig_next (c)) {
        gc_category_t *category = (gc_category_t *)s_add (self, self->categories, c,
                                                          sizeof (gc_category_t), "category", NULL);
        if (!category)
            return -1;
        zconfig_t *department = gc_zpl_child (c, "department");
        if (department && *zconfig_value (department)) {
            category->department =
                (gc_department_t *)zhashx_lookup (self->departments, zconfig_value (department));
            if (!category->department) {
                gc_zpl_error (self->zpl, department, "category '%s' names unknown department '%s'",
                              category->id, zconfig_value (department));
                return -1;
            }
        }
        zconfig_t *severity = gc_zpl_child (c, "severity");
        category->severity = gc_severity_from_name (severity ? zconfig_value (severity) : "green");
        if (!category->severity) {
            gc_zpl_error (self->zpl, severity,
                          "category '%s': severity '%s' is not red, yellow or green", category->id,
                          zconfig_value (severity));
            return -1;
        }
        category->windows = self->policy.windows;
    }
    //  Rules for one category: rules/category = ID/(severity | level)
    zconfig_t *rules = gc_zpl_child (root, "rules");
    for (zconfig_t *r = rules ? zconfig_child (rules) : NULL; r; r = zconfig_next (r)) {
        if (!streq (zconfig_name (r), "category"))
            continue;
        gc_category_t *category = gc_config_category (self, zconfig_value (r));
        if (!category) {
            gc_zpl_error (self->zpl, r, "rules name unknown category '%s'", zconfig_value (r));
            return -1;
        }
        if (gc_windows_apply (&category->windows, r, self->zpl))
            return -1;
    }
    if (zhashx_size (self->categories) == 0) {
        gc_zpl_error (self->zpl, list ? list : root, "no categories (categories / category)");
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
    zconfig_t *list = gc_zpl_child (root, "calendars");
    for (zconfig_t *c = list ? zconfig_child (list) : NULL; c; c = zconfig_next (c)) {
        gc_calendar_t *calendar = gc_calendar_new (c, self->zpl);
        if (!calendar)
            return -1;
        if (zhashx_insert (self->calendars, calendar->id, calendar)) {
            gc_zpl_error (self->zpl, c, "calendar '%s' is defined twice (\"always\" is built in)",
                          calendar->id);
            gc_calendar_destroy (&calendar);
            return -1;
        }
    }
    return 0;
}

//  A whole number from MIN to MAX, or -1
static long
s_number (const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long number = strtol (text, &end, 10);
    if (!isdigit ((unsigned char)*text) || *end || errno || number < min || number > max)
        return -1;
    return number;
}

//  A setting of SECTION that is a duration of at least MIN_MS; DEFAULT_MS
//  when absent
static int
s_duration (gc_config_t *self, zconfig_t *section, const char *name, int64_t default_ms,
            int64_t min_ms, int64_t *value)
{
    zconfig_t *item = gc_zpl_child (section, name);
    *value = item ? gc_parse_duration (zconfig_value (item)) : default_ms;
    if (*value < min_ms) {
        char least[32];
        gc_duration_text (min_ms, least, sizeof (least));
        gc_zpl_error (self->zpl, item,
                      "%s '%s' is not a duration (like 30m, 4h or 7d) of at least %s", name,
                      zconfig_value (item), least);
        return -1;
    }
    return 0;
}

static int
s_load_rules (gc_config_t *self, zconfig_t *root)
{
    gc_policy_t *policy = &self->policy;
    zconfig_t *rules = gc_zpl_child (root, "rules");
    if (s_duration (self, rules, "lease", 30 * 60 * 1000LL, 1000, &policy->lease) ||
        s_duration (self, rules, "verification", 24 * 3600 * 1000LL, 1000, &policy->verification) ||
        s_duration (self, rules, "evaluation", 3 * 24 * 3600 * 1000LL, 1000, &policy->evaluation) ||
        s_duration (self, rules, "pause_max", 30 * 24 * 3600 * 1000LL, 1000, &policy->pause_max))
        return -1;
    zconfig_t *deliveries = gc_zpl_child (rules, "max_deliveries");
    long max_deliveries = deliveries ? s_number (zconfig_value (deliveries), 1, 100) : 3;
    if (max_deliveries < 0) {
        gc_zpl_error (self->zpl, deliveries, "max_deliveries '%s' is not a number from 1 to 100",
                      zconfig_value (deliveries));
        return -1;
    }
    policy->max_deliveries = (uint32_t)max_deliveries;
    zconfig_t *calendar = gc_zpl_child (rules, "calendar");
    policy->calendar = (gc_calendar_t *)zhashx_lookup (
        self->calendars, calendar ? zconfig_value (calendar) : "always");
    if (!policy->calendar) {
        gc_zpl_error (self->zpl, calendar, "rules name unknown calendar '%s'",
                      zconfig_value (calendar));
        return -1;
    }
    gc_windows_default (&policy->windows);
    if (rules && gc_windows_apply (&policy->windows, rules, self->zpl))
        return -1;
    //  A severity may run on its own calendar: red round the clock
    for (zconfig_t *r = rules ? zconfig_child (rules) : NULL; r; r = zconfig_next (r)) {
        zconfig_t *name = gc_zpl_child (r, "calendar");
        if (!streq (zconfig_name (r), "severity") || !name)
            continue;
        gc_calendar_t *found =
            (gc_calendar_t *)zhashx_lookup (self->calendars, zconfig_value (name));
        if (!found) {
            gc_zpl_error (self->zpl, name, "rules for severity '%s' name unknown calendar '%s'",
                          zconfig_value (r), zconfig_value (name));
            return -1;
        }
        policy->severity_calendar[gc_severity_from_name (zconfig_value (r))] = found;
    }
    return 0;
}

//  Files GRID under ACTOR and ACTOR under GRID (lists grow as needed)
static void
s_actor_grid (gc_actor_t *actor, gc_grid_t *grid)
{
    actor->grid = (gc_grid_t **)realloc (actor->grid, (actor->grids + 1) * sizeof (gc_grid_t *));
    actor->grid[actor->grids++] = grid;
    size_t count = grid->crew ? grid->crew->count : 0;
    grid->crew =
        (gc_crew_t *)realloc (grid->crew, sizeof (gc_crew_t) + (count + 1) * sizeof (gc_actor_t *));
    grid->crew->officer[count] = actor;
    grid->crew->count = count + 1;
}

//  The place or department item NAME of ACTOR's node names, looked up in
//  TABLE; true when it is absent or found (then in *FOUND)
static bool
s_actor_scope (gc_config_t *self, zconfig_t *node, const char *name, zhashx_t *table, void **found)
{
    zconfig_t *item = gc_zpl_child (node, name);
    if (!item)
        return true;
    *found = zhashx_lookup (table, zconfig_value (item));
    if (!*found)
        gc_zpl_error (self->zpl, item, "actor '%s' names unknown %s '%s'", zconfig_value (node),
                      name, zconfig_value (item));
    return *found != NULL;
}

//  An actor's api keys: each "sha256:" and 64 hex digits (gridcase keygen
//  --api-key prints one), never a key in clear
static int
s_actor_api_keys (gc_config_t *self, zconfig_t *node, gc_actor_t *actor)
{
    for (zconfig_t *k = zconfig_child (node); k; k = zconfig_next (k)) {
        if (!streq (zconfig_name (k), "api_key"))
            continue;
        const char *hashed = zconfig_value (k);
        size_t hex =
            strncmp (hashed, "sha256:", 7) == 0 ? strspn (hashed + 7, "0123456789abcdef") : 0;
        const char *why = NULL;
        if (hex != 64 || strlen (hashed) != 7 + 64)
            why = "is not sha256: and 64 lowercase hex digits (gridcase keygen --api-key NAME "
                  "prints the line; the key itself never goes in the roster)";
        else if (zhashx_lookup (self->api_keys, hashed))
            why = "is another api key's too";
        if (why) {
            gc_zpl_error (self->zpl, k, "actor '%s': the api_key %s", actor->id, why);
            return -1;
        }
        zhashx_insert (self->api_keys, hashed, actor);
        actor->api_keys++;
    }
    return 0;
}

//  Reads the roster: actors with a role and the scope that role needs
static int
s_load_roster (gc_config_t *self, zconfig_t *roster)
{
    for (zconfig_t *a = roster ? zconfig_child (roster) : NULL; a; a = zconfig_next (a)) {
        gc_actor_t *actor =
            (gc_actor_t *)s_add (self, self->actors, a, sizeof (gc_actor_t), "actor", NULL);
        if (!actor)
            return -1;
        zconfig_t *role = gc_zpl_child (a, "role");
        for (int i = 1; role && i <= GRIDCASE__ROLE__ROLE_INTAKE; i++)
            if (streq (zconfig_value (role), gc_role_name ((Gridcase__Role)i)))
                actor->role = (Gridcase__Role)i;
        if (!actor->role) {
            gc_zpl_error (self->zpl, role ? role : a,
                          "actor '%s' has no role: officer, committee, street, worker, supervisor, "
                          "admin, gateway or intake",
                          actor->id);
            return -1;
        }
        if (s_actor_api_keys (self, a, actor))
            return -1;
        zconfig_t *password = gc_zpl_child (a, "password");
        if (password) {
            //  A libsodium crypto_pwhash_str hash (gridcase passwd prints it)
            const char *hashed = zconfig_value (password);
            if (strncmp (hashed, "$argon2id$", 10) != 0 && strncmp (hashed, "$argon2i$", 9) != 0) {
                gc_zpl_error (self->zpl, password,
                              "actor '%s': the password is not a hash ($argon2id$…, as gridcase "
                              "passwd prints it; the password itself never goes in the roster)",
                              actor->id);
                return -1;
            }
            actor->password = strdup (hashed);
        }
        zconfig_t *key = gc_zpl_child (a, "key");
        if (key) {
            uint8_t binary[32];
            actor->key = strdup (zconfig_value (key));
            const char *why = NULL;
            if (strlen (actor->key) != 40 || !zmq_z85_decode (binary, actor->key))
                why = "is not a CURVE public key (40 characters of Z85, as gridcase keygen "
                      "prints)";
            else if (zhashx_lookup (self->keys, actor->key))
                why = "is another actor's key too";
            if (why) {
                gc_zpl_error (self->zpl, key, "actor '%s': the key %s", actor->id, why);
                return -1;
            }
            zhashx_insert (self->keys, actor->key, actor);
        }
        if (!s_actor_scope (self, a, "community", self->communities, (void **)&actor->community) ||
            !s_actor_scope (self, a, "street", self->streets, (void **)&actor->street) ||
            !s_actor_scope (self, a, "district", self->districts, (void **)&actor->district) ||
            !s_actor_scope (self, a, "department", self->departments, (void **)&actor->department))
            return -1;
        for (zconfig_t *g = zconfig_child (a); g; g = zconfig_next (g)) {
            if (!streq (zconfig_name (g), "grid"))
                continue;
            gc_grid_t *grid = gc_config_grid (self, zconfig_value (g));
            if (!grid) {
                gc_zpl_error (self->zpl, g, "actor '%s' names unknown grid '%s'", actor->id,
                              zconfig_value (g));
                return -1;
            }
            s_actor_grid (actor, grid);
        }
        const char *why = NULL;
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
                                                       : "is a supervisor without a street or "
                                                         "district";
                break;
            case GRIDCASE__ROLE__ROLE_INTAKE:
                why = actor->community || actor->street || actor->district
                          ? NULL
                          : "is an intake (a hotline, an app) without the community, street or "
                            "district it takes reports for";
                break;
            default:
                break;
        }
        if (why) {
            gc_zpl_error (self->zpl, a, "actor '%s' %s", actor->id, why);
            return -1;
        }
    }
    return 0;
}

//  The grids' boundaries: every feature names a grid of the city; each
//  bounded grid keeps its centre
static int
s_load_grids (gc_config_t *self, zconfig_t *setting)
{
    char why[512];
    self->geo = gc_geo_load (self->grids_file, why, sizeof (why));
    if (!self->geo) {
        gc_zpl_error (self->zpl, setting, "grids: %s", why);
        return -1;
    }
    for (size_t i = 0; i < gc_geo_grids (self->geo); i++) {
        const char *id = gc_geo_grid_id (self->geo, i);
        gc_grid_t *grid = gc_config_grid (self, id);
        if (!grid) {
            gc_zpl_error (self->zpl, setting,
                          "grids: %s gives a boundary to '%s', not a grid of "
                          "the city",
                          self->grids_file, id);
            return -1;
        }
        grid->bounded = gc_geo_centre (self->geo, id, &grid->lat, &grid->lon);
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

//  The file that setting NAME of SETTINGS names, loaded and checked against
//  KEYS; ROOT itself when there is no such setting. NULL on error.
static zconfig_t *
s_load_part (gc_config_t *self, zconfig_t *root, zconfig_t *settings, const char *name,
             const gc_zpl_key_t *keys)
{
    zconfig_t *item = gc_zpl_child (settings, name);
    if (!item)
        return root;
    char *path = s_relative (self->file, zconfig_value (item));
    zconfig_t *part = gc_zpl_load (self->zpl, path);
    if (!part)
        gc_zpl_error (self->zpl, item, "cannot read the %s %s", name, path);
    else if (gc_zpl_check (self->zpl, part, keys))
        part = NULL;
    free (path);
    return part;
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

//  The daemon's own settings (the gridcase section)
static int
s_load_settings (gc_config_t *self, zconfig_t *settings)
{
    gc_zpl_t *zpl = self->zpl;
    size_t errors = gc_zpl_errors (zpl);
    self->timezone = strdup (gc_zpl_get (settings, "timezone", "Asia/Shanghai"));
    self->command = strdup (gc_zpl_get (settings, "command", GC_DEFAULT_COMMAND));
    self->events = strdup (gc_zpl_get (settings, "events", GC_DEFAULT_EVENTS));
    self->datadir = strdup (gc_zpl_get (settings, "datadir", "var/gridcase"));
    const char *grids = gc_zpl_get (settings, "grids", NULL);
    self->grids_file = grids ? s_relative (self->file, grids) : NULL;
    const char *server_cert = gc_zpl_get (settings, "server_cert", NULL);
    self->server_cert = server_cert ? s_relative (self->file, server_cert) : NULL;
    //  A boolean is on or off, nothing else: "curve = maybe" is a mistake,
    //  not a quiet "off"
    zconfig_t *curve = gc_zpl_child (settings, "curve");
    const char *value = curve ? zconfig_value (curve) : "off";
    if (streq (value, "on") || streq (value, "true") || streq (value, "yes"))
        self->curve = true;
    else if (!(streq (value, "off") || streq (value, "false") || streq (value, "no")))
        gc_zpl_error (zpl, curve, "curve '%s' is neither on nor off (true/false, yes/no)", value);
    //  A time zone the system's tz database does not hold would run the city
    //  in UTC without a word
    if (!s_timezone_known (self->timezone))
        gc_zpl_error (zpl, gc_zpl_child (settings, "timezone"),
                      "timezone '%s' is not in the time zone database (/usr/share/zoneinfo), "
                      "e.g. Asia/Shanghai",
                      self->timezone);
    zconfig_t *map_size = gc_zpl_child (settings, "map_size");
    zconfig_t *map_max = gc_zpl_child (settings, "map_max");
    self->map_size = gc_parse_size (map_size ? zconfig_value (map_size) : "64M");
    self->map_max = gc_parse_size (map_max ? zconfig_value (map_max) : "64G");
    if (self->map_size < 65536 || self->map_max < self->map_size)
        gc_zpl_error (zpl, map_size ? map_size : map_max,
                      "map_size / map_max: sizes like 64M or 1G, map_size at least 64K and not "
                      "above map_max");
    if (s_duration (self, settings, "idempotency", 7 * 24 * 3600 * 1000LL, 3600 * 1000,
                    &self->idempotency) ||
        s_duration (self, settings, "idle_timeout", 10 * 60 * 1000LL, 1000, &self->idle_timeout))
        return -1;
    zconfig_t *readers = gc_zpl_child (settings, "readers");
    long number = readers ? s_number (zconfig_value (readers), 1, GC_READERS_MAX) : 2;
    if (number < 0)
        gc_zpl_error (zpl, readers, "readers '%s': from 1 to %d reader threads",
                      zconfig_value (readers), GC_READERS_MAX);
    self->readers = (size_t)number;
    zconfig_t *connections = gc_zpl_child (settings, "connections");
    number = connections ? s_number (zconfig_value (connections), 1, 65536) : 4096;
    if (number < 0)
        gc_zpl_error (zpl, connections, "connections '%s': from 1 to 65536 per socket",
                      zconfig_value (connections));
    self->connections = (size_t)number;
    return gc_zpl_errors (zpl) > errors ? -1 : 0;
}

gc_config_t *
gc_config_load (const char *file)
{
    gc_config_t *self = (gc_config_t *)zmalloc (sizeof (gc_config_t));
    pthread_mutex_init (&self->lock, NULL);
    self->file = strdup (file);
    self->zpl = gc_zpl_new ();
    self->districts = s_table_new ();
    self->streets = s_table_new ();
    self->communities = s_table_new ();
    self->grids = s_table_new ();
    zhashx_set_destructor (self->grids, s_grid_destroy);
    self->departments = s_table_new ();
    self->categories = s_table_new ();
    self->calendars = zhashx_new ();
    zhashx_set_destructor (self->calendars, s_calendar_destroy);
    zhashx_insert (self->calendars, "always", gc_calendar_always ());
    self->actors = s_table_new ();
    zhashx_set_destructor (self->actors, s_actor_destroy);
    self->keys = zhashx_new ();
    self->api_keys = zhashx_new ();

    //  Every file is checked whole before anything is read from it, so one
    //  start shows every misspelled key
    zconfig_t *root = gc_zpl_load (self->zpl, file);
    int rc = root && gc_zpl_check (self->zpl, root, gc_config_file_all) == 0 ? 0 : -1;
    zconfig_t *settings = root ? gc_zpl_child (root, "gridcase") : NULL;
    //  The city (calendars, rules, places, departments, categories) is this
    //  file's, or another file's that gridcase/city names; the roster too
    zconfig_t *city_root =
        rc ? NULL : s_load_part (self, root, settings, "city", gc_config_file_city);
    zconfig_t *roster_root =
        rc ? NULL : s_load_part (self, root, settings, "roster", gc_config_file_roster);
    const char *parts[] = {"calendars", "rules", "city", "departments", "categories", "roster"};
    for (size_t i = 0; city_root && roster_root && i < 6; i++) {
        zconfig_t *ignored = gc_zpl_child (root, parts[i]);
        if (ignored && (i == 5 ? roster_root : city_root) != root)
            gc_zpl_error (self->zpl, ignored,
                          "this section would be ignored: gridcase/%s names the file to read it "
                          "from",
                          i == 5 ? "roster" : "city");
    }
    //  The settings' own mistakes are worth seeing in the same start
    if ((root && s_load_settings (self, settings)) || !city_root || !roster_root ||
        gc_zpl_errors (self->zpl))
        rc = -1;
    if (rc == 0 && !gc_zpl_child (city_root, "city")) {
        gc_zpl_error (self->zpl, city_root, "no 'city' section");
        rc = -1;
    }
    if (rc == 0)
        rc = s_load_calendars (self, city_root);
    if (rc == 0)
        rc = s_load_rules (self, city_root);
    if (rc == 0)
        rc = s_load_city (self, gc_zpl_child (city_root, "city"));
    if (rc == 0)
        rc = s_load_departments (self, city_root);
    if (rc == 0)
        rc = s_load_roster (self, gc_zpl_child (roster_root, "roster"));
    if (rc == 0 && self->grids_file)
        rc = s_load_grids (self, gc_zpl_child (settings, "grids"));
    gc_zpl_destroy (&self->zpl);
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
        zlistx_destroy (&self->retired);
        zhashx_destroy (&self->keys);
        zhashx_destroy (&self->api_keys);
        gc_geo_destroy (&self->geo);
        free (self->grids_file);
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

//  --------------------------------------------------------------------------
//  A roster reloaded

static void *s_lookup (gc_config_t *self, zhashx_t *table, const char *id);

//  A roster replaced: its tables and the grids' officer lists, kept until
//  the config goes
typedef struct {
    zhashx_t *actors, *keys, *api_keys;
    size_t crews;
    gc_crew_t **crew;
} s_retired_t;

static void
s_retired_destroy (void **item_p)
{
    s_retired_t *retired = (s_retired_t *)*item_p;
    if (retired) {
        zhashx_destroy (&retired->keys);
        zhashx_destroy (&retired->api_keys);
        zhashx_destroy (&retired->actors);
        for (size_t i = 0; i < retired->crews; i++)
            free (retired->crew[i]);
        free (retired->crew);
        free (retired);
        *item_p = NULL;
    }
}

//  Points ACTOR (of a fresh config) at SELF's places; false, with WHY, if
//  SELF lacks one of them
static bool
s_actor_rehome (gc_config_t *self, gc_actor_t *actor, char *why, size_t why_size)
{
    struct {
        const char *kind;
        void **item;
        zhashx_t *table;
    } scope[] = {{"community", (void **)&actor->community, self->communities},
                 {"street", (void **)&actor->street, self->streets},
                 {"district", (void **)&actor->district, self->districts},
                 {"department", (void **)&actor->department, self->departments}};
    for (size_t i = 0; i < sizeof (scope) / sizeof (scope[0]); i++) {
        if (!*scope[i].item)
            continue;
        const char *id = *(char **)*scope[i].item;
        *scope[i].item = s_lookup (self, scope[i].table, id);
        if (!*scope[i].item) {
            snprintf (why, why_size,
                      "actor '%s' names %s '%s', which the running city does not have", actor->id,
                      scope[i].kind, id);
            return false;
        }
    }
    for (size_t i = 0; i < actor->grids; i++) {
        const char *id = actor->grid[i]->id;
        actor->grid[i] = gc_config_grid (self, id);
        if (!actor->grid[i]) {
            snprintf (why, why_size,
                      "actor '%s' names grid '%s', which the running city does not have", actor->id,
                      id);
            return false;
        }
    }
    return true;
}

int
gc_config_take_roster (gc_config_t *self, gc_config_t **fresh_p, char *why, size_t why_size)
{
    gc_config_t *fresh = *fresh_p;
    int rc = 0;
    //  Each fresh actor is pointed at the running city's places: a copy of
    //  the fresh config's, not to be kept after it goes
    for (gc_actor_t *actor = (gc_actor_t *)zhashx_first (fresh->actors); actor && rc == 0;
         actor = (gc_actor_t *)zhashx_next (fresh->actors))
        if (!s_actor_rehome (self, actor, why, why_size))
            rc = -1;
    const gc_list_t *grids = &self->lists[GC_KIND_GRID];
    gc_crew_t **crew = rc == 0 ? (gc_crew_t **)zmalloc (grids->count * sizeof (gc_crew_t *)) : NULL;
    for (size_t i = 0; crew && i < grids->count; i++) {
        //  The fresh grid's officer list, moved to the running grid of that id
        gc_grid_t *grid = (gc_grid_t *)grids->items[i];
        gc_grid_t *other = (gc_grid_t *)zhashx_lookup (fresh->grids, grid->id);
        crew[i] = other ? other->crew : NULL;
        if (other)
            other->crew = NULL;
    }
    if (rc == 0) {
        s_retired_t *retired = (s_retired_t *)zmalloc (sizeof (s_retired_t));
        pthread_mutex_lock (&self->lock);
        retired->actors = self->actors;
        retired->keys = self->keys;
        retired->api_keys = self->api_keys;
        self->actors = fresh->actors;
        self->keys = fresh->keys;
        self->api_keys = fresh->api_keys;
        fresh->actors = fresh->keys = fresh->api_keys = NULL;
        retired->crews = grids->count;
        retired->crew = crew;
        for (size_t i = 0; i < grids->count; i++) {
            gc_grid_t *grid = (gc_grid_t *)grids->items[i];
            crew[i] = __atomic_exchange_n (&grid->crew, crew[i], __ATOMIC_ACQ_REL);
        }
        if (!self->retired) {
            self->retired = zlistx_new ();
            zlistx_set_destructor (self->retired, s_retired_destroy);
        }
        zlistx_add_end (self->retired, retired);
        pthread_mutex_unlock (&self->lock);
    }
    gc_config_destroy (fresh_p);
    return rc;
}

const gc_crew_t *
gc_grid_crew (const gc_grid_t *grid)
{
    static const gc_crew_t none = {0};
    const gc_crew_t *crew = __atomic_load_n (&grid->crew, __ATOMIC_ACQUIRE);
    return crew ? crew : &none;
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

const char *
gc_role_name (Gridcase__Role role)
{
    return gridcase_role_name (role); //  the names libgridcase gives every client
}

gc_actor_t *
gc_config_actor_by_api_key (gc_config_t *self, const char *key)
{
    char hashed[80];
    gc_api_key_hash (key, hashed, sizeof (hashed));
    return (gc_actor_t *)s_lookup (self, self->api_keys, hashed);
}

gc_grid_t *
gc_config_locate (gc_config_t *self, double lat, double lon)
{
    const char *id = self->geo ? gc_geo_locate (self->geo, lat, lon) : NULL;
    return id ? gc_config_grid (self, id) : NULL;
}

gc_actor_t *
gc_config_identify_request (gc_config_t *self, const Gridcase__Request *request, gc_actor_t **via,
                            char *why, size_t why_size)
{
    *via = NULL;
    gc_actor_t *sender = gc_config_identify (self, request->actor, why, why_size);
    if (!sender || !request->on_behalf_of)
        return sender;
    //  Only a gateway names someone else, and only someone who holds an api
    //  key (whom a gateway can have authenticated), never another gateway
    if (sender->role != GRIDCASE__ROLE__ROLE_GATEWAY) {
        snprintf (why, why_size, "only a gateway acts on behalf of someone; %s is a %s", sender->id,
                  gc_role_name (sender->role));
        return NULL;
    }
    gc_actor_t *actor = gc_config_identify (self, request->on_behalf_of, why, why_size);
    if (actor &&
        ((!actor->api_keys && !actor->password) || actor->role == GRIDCASE__ROLE__ROLE_GATEWAY)) {
        snprintf (why, why_size,
                  "'%s' holds no api key or web password: gateway %s cannot act for it", actor->id,
                  sender->id);
        return NULL;
    }
    if (actor)
        *via = sender;
    return actor;
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
