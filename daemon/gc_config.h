/*  gc_config - the city and the daemon's settings, read from a ZPL file with
    czmq's zconfig: topology (district > street > community > grid),
    departments, categories, rules, calendars and the roster of actors. */
#ifndef GC_CONFIG_H_INCLUDED
#define GC_CONFIG_H_INCLUDED

#include "gc_rules.h"
#include "gc_zpl.h"
#include "gridcase.pb-c.h"
#include <czmq.h>
#include <pthread.h>
#include <stdbool.h>

#define GC_READERS_MAX 16

//  Every place and department has a calendar: its queue's service hours
typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar;
} gc_district_t;

typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar;
    gc_district_t *district;
} gc_street_t;

typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar;
    gc_street_t *street;
} gc_community_t;

typedef struct _gc_actor_t gc_actor_t;

//  A grid's officers, as many as the roster names. Never changed once
//  made: a reloaded roster gives the grid a new one (gc_grid_crew reads it)
typedef struct {
    size_t count;
    gc_actor_t *officer[];
} gc_crew_t;

typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar; //  the community's: the officer keeps its hours
    gc_community_t *community;
    gc_crew_t *crew; //  NULL: no officer; read it with gc_grid_crew
    bool bounded;    //  the grids file gives it a boundary ...
    double lat, lon; //  ... whose centre this is
} gc_grid_t;

typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar;
} gc_department_t;

typedef struct {
    char *id;
    char *name;
    gc_calendar_t *calendar;     //  unused; keeps the common layout
    gc_department_t *department; //  NULL: the district command centre (fallback owner)
    Gridcase__Severity severity;
    gc_windows_t windows; //  the rules with this category's overrides applied
} gc_category_t;

//  A person allowed to act, from the roster: a role and its scope
struct _gc_actor_t {
    char *id;
    char *name;
    gc_calendar_t *calendar; //  unused; keeps the common layout
    Gridcase__Role role;
    size_t grids; //  officer: the grids they look after, as many as the roster names
    gc_grid_t **grid;
    gc_community_t *community;   //  committee
    gc_street_t *street;         //  street, or a street supervisor
    gc_district_t *district;     //  a district supervisor
    gc_department_t *department; //  worker
    char *key;                   //  its CURVE public key (Z85), NULL if none
    size_t api_keys;             //  api keys it holds (a gateway authenticates them)
    char *password;              //  its web password's hash (crypto_pwhash_str), NULL: none
};

//  Rules that are not deadline windows
typedef struct {
    int64_t lease;           //  a claim not accepted within this goes back to its queue
    int64_t verification;    //  the officer verifies a resolution within this
    int64_t evaluation;      //  without a rating the case closes after this
    int64_t pause_max;       //  the longest extension or parking a supervisor may approve
    uint32_t max_deliveries; //  returned to its queue this often: it escalates
    gc_calendar_t *calendar; //  queues without a calendar of their own
    gc_calendar_t *severity_calendar[GC_SEVERITIES]; //  NULL: the queue's calendar
    gc_windows_t windows; //  deadline windows before any category's overrides
} gc_policy_t;

//  The kinds of place and the departments, for walking them all
typedef enum {
    GC_KIND_DISTRICT,
    GC_KIND_STREET,
    GC_KIND_COMMUNITY,
    GC_KIND_GRID,
    GC_KIND_DEPARTMENT,
    GC_KIND_COUNT
} gc_kind_t;

typedef struct {
    size_t count;
    void **items; //  gc_district_t *, ... sorted by id
} gc_list_t;

typedef struct {
    char *file;
    char *timezone;
    char *command; //  command endpoint (ROUTER, bound)
    char *events;  //  events endpoint (PUB, bound)
    char *datadir;
    size_t map_size;
    size_t map_max;
    bool curve;
    char *server_cert;    //  the server's CURVE certificate (with its secret), for curve = on
    size_t readers;       //  threads answering reads
    size_t connections;   //  connections per socket at most
    int64_t idle_timeout; //  a command connection without a request this long is closed (ms)
    int64_t idempotency;  //  a request id's reply is kept at least this long (ms)
    zhashx_t *districts;  //  id -> gc_district_t, and so on for each kind
    zhashx_t *streets;
    zhashx_t *communities;
    zhashx_t *grids;
    zhashx_t *departments;
    zhashx_t *categories;
    zhashx_t *calendars;
    zhashx_t *actors;
    zhashx_t *keys;     //  CURVE public key (Z85) -> actor
    zhashx_t *api_keys; //  "sha256:" and the hex SHA-256 of an api key -> actor
    char *grids_file;   //  the grids' boundaries (GeoJSON), NULL: none
    struct _gc_geo_t *geo;
    gc_policy_t policy;
    gc_list_t lists[GC_KIND_COUNT];
    pthread_mutex_t lock; //  lookups come from several threads
    zlistx_t *retired;    //  rosters replaced by a reload, freed with the config
    gc_zpl_t *zpl;        //  while loading: the files, to say where a mistake is
} gc_config_t;

//  Loads FILE (and the city and roster files it names), checked strictly:
//  on a mistake logs each one as FILE:LINE with the line, and returns NULL
gc_config_t *gc_config_load (const char *file);
void gc_config_destroy (gc_config_t **self_p);

//  Takes FRESH's roster (its actors, CURVE keys, api keys and the grids'
//  officers) in place of SELF's, at once for every thread that looks one
//  up; FRESH is a config loaded later from the same file, and is destroyed.
//  The roster replaced stays in memory until SELF is destroyed, as a thread
//  may still hold one of its actors. -1 with WHY when FRESH's roster names
//  a place or department SELF does not have (the city changed: that takes
//  a restart); SELF is then unchanged.
int gc_config_take_roster (gc_config_t *self, gc_config_t **fresh_p, char *why, size_t why_size);
//  GRID's officers now (never NULL)
const gc_crew_t *gc_grid_crew (const gc_grid_t *grid);

gc_grid_t *gc_config_grid (gc_config_t *self, const char *id);
gc_category_t *gc_config_category (gc_config_t *self, const char *id);
gc_department_t *gc_config_department (gc_config_t *self, const char *id);
gc_actor_t *gc_config_actor (gc_config_t *self, const char *id);
//  The roster entry that holds CURVE public key KEY (Z85)
gc_actor_t *gc_config_actor_by_key (gc_config_t *self, const char *key);
//  The roster entry that holds api key KEY (as given, in clear), NULL if none
gc_actor_t *gc_config_actor_by_api_key (gc_config_t *self, const char *key);
//  The grid whose boundary holds LAT,LON; NULL when none does (or the city
//  has no grids file)
gc_grid_t *gc_config_locate (gc_config_t *self, double lat, double lon);
gc_district_t *gc_config_district (gc_config_t *self, const char *id);
gc_street_t *gc_config_street (gc_config_t *self, const char *id);
gc_community_t *gc_config_community (gc_config_t *self, const char *id);

//  Who asks: the roster entry of ACTOR, or NULL with WHY set
gc_actor_t *gc_config_identify (gc_config_t *self, const Gridcase__Actor *actor, char *why,
                                size_t why_size);
//  Whom REQUEST is made for: its actor, or the actor a gateway names in
//  on_behalf_of (then VIA is the gateway); NULL with WHY set
gc_actor_t *gc_config_identify_request (gc_config_t *self, const Gridcase__Request *request,
                                        gc_actor_t **via, char *why, size_t why_size);
//  "officer", "committee", ... for messages
const char *gc_role_name (Gridcase__Role role);

//  An area named by a person: "haihong", or "community/haihong". Fills the
//  ids of the place and those above it (finer ones ""), its KIND and its
//  figures KEY ("community/haihong"). False when there is no such place.
typedef struct {
    gc_kind_t kind;
    const char *id;
    const char *name;
    const char *grid, *community, *street, *district;
    char key[96];
} gc_area_t;
bool gc_config_area (gc_config_t *self, const char *name, gc_area_t *area);

//  Every district, street, community, grid or department, sorted by id
const gc_list_t *gc_config_list (gc_config_t *self, gc_kind_t kind);

#endif
