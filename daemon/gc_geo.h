/*  gc_geo - where the grids are: their boundaries from a GeoJSON file (a
    FeatureCollection of Polygon or MultiPolygon features, each naming its
    grid in properties.grid), the grid that holds a point, and each grid's
    centre. Lookups go through a uniform index of cells over the city, so a
    point is tested only against the few polygons whose box meets its
    cell, never against every grid. */
#ifndef GC_GEO_H_INCLUDED
#define GC_GEO_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _gc_geo_t gc_geo_t;

//  Loads FILE; NULL with WHY saying what is wrong and where (the file, the
//  feature's number and grid)
gc_geo_t *gc_geo_load (const char *file, char *why, size_t why_size);
void gc_geo_destroy (gc_geo_t **self_p);

//  How many grids have a boundary; the id of grid I of them
size_t gc_geo_grids (gc_geo_t *self);
const char *gc_geo_grid_id (gc_geo_t *self, size_t i);

//  The grid whose boundary holds LAT,LON (degrees, WGS 84); NULL when none
//  does. A point on two grids' shared edge is given to one of them.
const char *gc_geo_locate (gc_geo_t *self, double lat, double lon);

//  The centre of GRID's boundary (the centroid of its area); false when it
//  has none
bool gc_geo_centre (gc_geo_t *self, const char *grid, double *lat, double *lon);

#endif
