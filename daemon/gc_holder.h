/*  gc_holder - who holds a case, typed. A holder's name ("grid/haihong-01",
    "committee/haihong", "street/lianqian", "district/siming",
    "dept/gas", "supervision/siming", or an actor holding a lease,
    "worker:w-gas-1") is read once into a kind and an id, so code asks
    "is it a department's queue" of a kind, never of a string prefix. */
#ifndef GC_HOLDER_H_INCLUDED
#define GC_HOLDER_H_INCLUDED

#include "gridcase.pb-c.h"
#include <stdbool.h>
#include <stddef.h>

//  A holder or queue name at most
#define GC_HOLDER_MAX 160

typedef enum {
    GC_HOLDER_NONE,        //  no holder, or a name of no kind
    GC_HOLDER_GRID,        //  the grid's officer
    GC_HOLDER_COMMITTEE,   //  a community committee's queue
    GC_HOLDER_STREET,      //  a street office's queue
    GC_HOLDER_DISTRICT,    //  the district command centre's queue
    GC_HOLDER_DEPT,        //  a department's queue
    GC_HOLDER_SUPERVISION, //  the district's supervisors' queue
    GC_HOLDER_ACTOR,       //  an actor holding a lease: "role:id"
} gc_holder_kind_t;

typedef struct {
    gc_holder_kind_t kind;
    const char *id; //  into the name read: "haihong" of "committee/haihong"; the
                    //  whole name for an actor
} gc_holder_t;

//  NAME read into a kind and an id
gc_holder_t gc_holder_of (const char *name);
//  True for the queues a committee, street or district may work (claim,
//  dispatch, resolve from): committee, street, district, supervision
bool gc_holder_is_office (gc_holder_kind_t kind);
//  The ladder's level of a holder of KIND (an actor's: unspecified)
Gridcase__Level gc_holder_level (gc_holder_kind_t kind);
//  The ladder's level of the holder named NAME
Gridcase__Level gc_holder_level_of (const char *name);
//  The name of holder KIND with ID into BUFFER (GC_HOLDER_MAX bytes)
const char *gc_holder_name (char *buffer, gc_holder_kind_t kind, const char *id);

#endif
