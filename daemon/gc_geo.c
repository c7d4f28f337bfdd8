/*  gc_geo - grid boundaries and point lookup. See gc_geo.h. */
#include "gc_geo.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_GEO_CELLS_MAX 256 //  cells per side of the index at most

typedef struct {
    double lon, lat;
} point_t;

typedef struct {
    size_t count;
    point_t *points; //  closed: the last point repeats the first
} ring_t;

//  One polygon: an outer ring and its holes
typedef struct {
    size_t grid; //  index into grids
    size_t rings;
    ring_t *ring;
    double min_lon, min_lat, max_lon, max_lat;
} polygon_t;

typedef struct {
    char *id;
    double lat, lon; //  centre
} grid_t;

typedef struct {
    size_t count;
    size_t *polygon;
} cell_t;

struct _gc_geo_t {
    size_t grids;
    grid_t *grid;
    size_t polygons;
    polygon_t *polygon;
    double min_lon, min_lat, max_lon, max_lat;
    size_t side; //  cells per side
    cell_t *cell;
};

void
gc_geo_destroy (gc_geo_t **self_p)
{
    gc_geo_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->grids; i++)
        free (self->grid[i].id);
    for (size_t i = 0; i < self->polygons; i++) {
        for (size_t r = 0; r < self->polygon[i].rings; r++)
            free (self->polygon[i].ring[r].points);
        free (self->polygon[i].ring);
    }
    for (size_t i = 0; self->cell && i < self->side * self->side; i++)
        free (self->cell[i].polygon);
    free (self->cell);
    free (self->polygon);
    free (self->grid);
    free (self);
    *self_p = NULL;
}

//  A ring of [lon, lat] positions into RING; false when it is not one
static bool
s_ring (json_t *positions, ring_t *ring)
{
    size_t count = json_array_size (positions);
    if (count < 4)
        return false;
    ring->points = (point_t *)calloc (count, sizeof (point_t));
    if (!ring->points)
        return false;
    for (size_t i = 0; i < count; i++) {
        json_t *position = json_array_get (positions, i);
        json_t *lon = json_array_get (position, 0), *lat = json_array_get (position, 1);
        if (!json_is_number (lon) || !json_is_number (lat))
            return false;
        ring->points[i].lon = json_number_value (lon);
        ring->points[i].lat = json_number_value (lat);
        if (fabs (ring->points[i].lon) > 180 || fabs (ring->points[i].lat) > 90)
            return false;
    }
    ring->count = count;
    //  GeoJSON closes a ring; close it when a file forgot
    return ring->points[0].lon == ring->points[count - 1].lon &&
           ring->points[0].lat == ring->points[count - 1].lat;
}

//  The polygon COORDINATES (rings) into a new polygon of grid GRID
static bool
s_polygon (gc_geo_t *self, json_t *coordinates, size_t grid)
{
    size_t rings = json_array_size (coordinates);
    if (rings == 0)
        return false;
    polygon_t *grown =
        (polygon_t *)realloc (self->polygon, (self->polygons + 1) * sizeof (polygon_t));
    if (!grown)
        return false;
    self->polygon = grown;
    polygon_t *polygon = &self->polygon[self->polygons++];
    memset (polygon, 0, sizeof (*polygon));
    polygon->grid = grid;
    polygon->ring = (ring_t *)calloc (rings, sizeof (ring_t));
    if (!polygon->ring)
        return false;
    polygon->rings = rings;
    for (size_t r = 0; r < rings; r++)
        if (!s_ring (json_array_get (coordinates, r), &polygon->ring[r]))
            return false;
    const ring_t *outer = &polygon->ring[0];
    polygon->min_lon = polygon->max_lon = outer->points[0].lon;
    polygon->min_lat = polygon->max_lat = outer->points[0].lat;
    for (size_t i = 1; i < outer->count; i++) {
        polygon->min_lon = fmin (polygon->min_lon, outer->points[i].lon);
        polygon->max_lon = fmax (polygon->max_lon, outer->points[i].lon);
        polygon->min_lat = fmin (polygon->min_lat, outer->points[i].lat);
        polygon->max_lat = fmax (polygon->max_lat, outer->points[i].lat);
    }
    return true;
}

//  Each grid's centre: the centroid of its polygons' outer rings (shoelace),
//  weighted by their areas
static void
s_centres (gc_geo_t *self)
{
    for (size_t g = 0; g < self->grids; g++) {
        double area = 0, lon = 0, lat = 0;
        for (size_t p = 0; p < self->polygons; p++) {
            if (self->polygon[p].grid != g)
                continue;
            const ring_t *ring = &self->polygon[p].ring[0];
            for (size_t i = 0; i + 1 < ring->count; i++) {
                const point_t *a = &ring->points[i], *b = &ring->points[i + 1];
                double cross = a->lon * b->lat - b->lon * a->lat;
                area += cross;
                lon += (a->lon + b->lon) * cross;
                lat += (a->lat + b->lat) * cross;
            }
        }
        if (area != 0) {
            self->grid[g].lon = lon / (3 * area);
            self->grid[g].lat = lat / (3 * area);
        }
    }
}

//  The index: each cell lists the polygons whose box meets it
static bool
s_index (gc_geo_t *self)
{
    self->min_lon = self->min_lat = INFINITY;
    self->max_lon = self->max_lat = -INFINITY;
    for (size_t p = 0; p < self->polygons; p++) {
        self->min_lon = fmin (self->min_lon, self->polygon[p].min_lon);
        self->min_lat = fmin (self->min_lat, self->polygon[p].min_lat);
        self->max_lon = fmax (self->max_lon, self->polygon[p].max_lon);
        self->max_lat = fmax (self->max_lat, self->polygon[p].max_lat);
    }
    size_t side = 1;
    while (side * side < self->polygons * 4 && side < GC_GEO_CELLS_MAX)
        side *= 2;
    self->side = side;
    self->cell = (cell_t *)calloc (side * side, sizeof (cell_t));
    if (!self->cell)
        return false;
    double width = (self->max_lon - self->min_lon) / (double)side;
    double height = (self->max_lat - self->min_lat) / (double)side;
    for (size_t p = 0; p < self->polygons; p++) {
        const polygon_t *polygon = &self->polygon[p];
        size_t x0 = width > 0 ? (size_t)((polygon->min_lon - self->min_lon) / width) : 0;
        size_t x1 = width > 0 ? (size_t)((polygon->max_lon - self->min_lon) / width) : 0;
        size_t y0 = height > 0 ? (size_t)((polygon->min_lat - self->min_lat) / height) : 0;
        size_t y1 = height > 0 ? (size_t)((polygon->max_lat - self->min_lat) / height) : 0;
        for (size_t y = y0; y <= y1 && y < side; y++)
            for (size_t x = x0; x <= x1 && x < side; x++) {
                cell_t *cell = &self->cell[y * side + x];
                size_t *grown =
                    (size_t *)realloc (cell->polygon, (cell->count + 1) * sizeof (size_t));
                if (!grown)
                    return false;
                cell->polygon = grown;
                cell->polygon[cell->count++] = p;
            }
    }
    return true;
}

gc_geo_t *
gc_geo_load (const char *file, char *why, size_t why_size)
{
    json_error_t error;
    json_t *root = json_load_file (file, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        snprintf (why, why_size, "%s:%d: not GeoJSON: %s", file, error.line, error.text);
        return NULL;
    }
    gc_geo_t *self = (gc_geo_t *)calloc (1, sizeof (gc_geo_t));
    json_t *features = json_object_get (root, "features");
    const char *type = json_string_value (json_object_get (root, "type"));
    bool ok = self && type && strcmp (type, "FeatureCollection") == 0 && json_is_array (features);
    if (self && !ok)
        snprintf (why, why_size, "%s: not a GeoJSON FeatureCollection", file);
    size_t count = ok ? json_array_size (features) : 0;
    if (ok) {
        self->grid = (grid_t *)calloc (count ? count : 1, sizeof (grid_t));
        ok = self->grid != NULL;
    }
    for (size_t i = 0; ok && i < count; i++) {
        json_t *feature = json_array_get (features, i);
        const char *grid =
            json_string_value (json_object_get (json_object_get (feature, "properties"), "grid"));
        json_t *geometry = json_object_get (feature, "geometry");
        const char *shape = json_string_value (json_object_get (geometry, "type"));
        json_t *coordinates = json_object_get (geometry, "coordinates");
        if (!grid || !*grid) {
            snprintf (why, why_size, "%s: feature %zu has no properties.grid naming its grid", file,
                      i + 1);
            ok = false;
            break;
        }
        size_t g = 0;
        while (g < self->grids && strcmp (self->grid[g].id, grid) != 0)
            g++;
        if (g < self->grids) {
            snprintf (why, why_size, "%s: feature %zu: grid '%s' has a boundary already", file,
                      i + 1, grid);
            ok = false;
            break;
        }
        self->grid[g].id = strdup (grid);
        self->grids++;
        if (shape && strcmp (shape, "Polygon") == 0)
            ok = s_polygon (self, coordinates, g);
        else if (shape && strcmp (shape, "MultiPolygon") == 0) {
            ok = json_array_size (coordinates) > 0;
            for (size_t p = 0; ok && p < json_array_size (coordinates); p++)
                ok = s_polygon (self, json_array_get (coordinates, p), g);
        } else
            ok = false;
        if (!ok)
            snprintf (why, why_size,
                      "%s: feature %zu (grid '%s'): the geometry is not a Polygon or MultiPolygon "
                      "of closed rings of at least 4 [longitude, latitude] positions",
                      file, i + 1, grid);
    }
    if (ok && !self->polygons) {
        snprintf (why, why_size, "%s: no grid boundary in it", file);
        ok = false;
    }
    if (ok) {
        s_centres (self);
        ok = s_index (self);
        if (!ok)
            snprintf (why, why_size, "%s: out of memory", file);
    }
    json_decref (root);
    if (!ok)
        gc_geo_destroy (&self);
    return self;
}

size_t
gc_geo_grids (gc_geo_t *self)
{
    return self->grids;
}

const char *
gc_geo_grid_id (gc_geo_t *self, size_t i)
{
    return i < self->grids ? self->grid[i].id : NULL;
}

//  Even-odd rule over every ring: inside the outer ring and no hole
static bool
s_inside (const polygon_t *polygon, double lat, double lon)
{
    bool inside = false;
    for (size_t r = 0; r < polygon->rings; r++) {
        const ring_t *ring = &polygon->ring[r];
        for (size_t i = 0, j = ring->count - 1; i < ring->count; j = i++) {
            const point_t *a = &ring->points[i], *b = &ring->points[j];
            if ((a->lat > lat) != (b->lat > lat) &&
                lon < (b->lon - a->lon) * (lat - a->lat) / (b->lat - a->lat) + a->lon)
                inside = !inside;
        }
    }
    return inside;
}

const char *
gc_geo_locate (gc_geo_t *self, double lat, double lon)
{
    if (!(lon >= self->min_lon && lon <= self->max_lon && lat >= self->min_lat &&
          lat <= self->max_lat))
        return NULL; //  also NaN
    double width = (self->max_lon - self->min_lon) / (double)self->side;
    double height = (self->max_lat - self->min_lat) / (double)self->side;
    size_t x = width > 0 ? (size_t)((lon - self->min_lon) / width) : 0;
    size_t y = height > 0 ? (size_t)((lat - self->min_lat) / height) : 0;
    if (x >= self->side)
        x = self->side - 1;
    if (y >= self->side)
        y = self->side - 1;
    const cell_t *cell = &self->cell[y * self->side + x];
    for (size_t i = 0; i < cell->count; i++) {
        const polygon_t *polygon = &self->polygon[cell->polygon[i]];
        if (lon >= polygon->min_lon && lon <= polygon->max_lon && lat >= polygon->min_lat &&
            lat <= polygon->max_lat && s_inside (polygon, lat, lon))
            return self->grid[polygon->grid].id;
    }
    return NULL;
}

bool
gc_geo_centre (gc_geo_t *self, const char *grid, double *lat, double *lon)
{
    for (size_t g = 0; self && g < self->grids; g++)
        if (strcmp (self->grid[g].id, grid) == 0) {
            *lat = self->grid[g].lat;
            *lon = self->grid[g].lon;
            return true;
        }
    return false;
}
