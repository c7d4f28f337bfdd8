/*  gc_config - the city and the daemon's settings, read from a ZPL file with
    czmq's zconfig: topology (district > street > community > grid),
    departments and categories. */
#ifndef GC_CONFIG_H_INCLUDED
#define GC_CONFIG_H_INCLUDED

#include "gridcase.pb-c.h"
#include <czmq.h>
#include <stdbool.h>

typedef struct {
    char *id;
    char *name;
} gc_district_t;

typedef struct {
    char *id;
    char *name;
    gc_district_t *district;
} gc_street_t;

typedef struct {
    char *id;
    char *name;
    gc_street_t *street;
} gc_community_t;

typedef struct {
    char *id;
    char *name;
    gc_community_t *community;
} gc_grid_t;

typedef struct {
    char *id;
    char *name;
} gc_department_t;

typedef struct {
    char *id;
    char *name;
    gc_department_t *department; //  NULL: the district command centre (fallback owner)
    Gridcase__Severity severity;
} gc_category_t;

typedef struct {
    char *file;
    char *timezone;
    char *command; //  command endpoint (ROUTER, bound)
    char *events;  //  events endpoint (PUB, bound)
    char *datadir;
    size_t map_size;
    size_t map_max;
    bool curve;
    zhashx_t *districts; //  id -> gc_district_t, and so on for each kind
    zhashx_t *streets;
    zhashx_t *communities;
    zhashx_t *grids;
    zhashx_t *departments;
    zhashx_t *categories;
} gc_config_t;

//  Loads FILE; on error logs what is wrong and where, and returns NULL
gc_config_t *gc_config_load (const char *file);
void gc_config_destroy (gc_config_t **self_p);

gc_grid_t *gc_config_grid (gc_config_t *self, const char *id);
gc_category_t *gc_config_category (gc_config_t *self, const char *id);
gc_department_t *gc_config_department (gc_config_t *self, const char *id);

//  "red" -> SEVERITY_RED; SEVERITY_UNSPECIFIED when unknown
Gridcase__Severity gc_severity_from_name (const char *name);

#endif
