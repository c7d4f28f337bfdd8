/*  gc_zpl - config files read strictly. czmq's zconfig parses ZPL; this
    remembers where each item came from (file and line) so that a mistake
    is reported as FILE:LINE with the line's own text, and checks each
    section against the keys it may hold: a misspelled key stops the daemon
    instead of dropping what it meant. */
#ifndef GC_ZPL_H_INCLUDED
#define GC_ZPL_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>

//  ZPL's (and zconfig's) longest line, in bytes
#define GC_ZPL_LINE_MAX 1024

//  How often a key may appear among its siblings
typedef enum {
    GC_ZPL_ONCE,  //  at most once
    GC_ZPL_IDS,   //  any number of times, each with a different value
    GC_ZPL_LINES, //  any number of times (a list spread over several lines)
} gc_zpl_repeat_t;

//  One key a section may hold; a key with CHILDREN is a section itself. A
//  table of keys ends with a NULL name.
typedef struct gc_zpl_key_t {
    const char *name;
    gc_zpl_repeat_t repeat;
    const struct gc_zpl_key_t *children;
} gc_zpl_key_t;

typedef struct _gc_zpl_t gc_zpl_t;

gc_zpl_t *gc_zpl_new (void);
//  Frees every tree it loaded
void gc_zpl_destroy (gc_zpl_t **self_p);

//  Loads PATH; the tree belongs to SELF. NULL, with the reason logged
//  (which line, what is wrong with it), when it cannot be read or parsed.
zconfig_t *gc_zpl_load (gc_zpl_t *self, const char *path);

//  Logs "config FILE:LINE: MESSAGE: the line's text" for NODE of a tree
//  SELF loaded (NODE NULL: "config MESSAGE"), and counts the error
void gc_zpl_error (gc_zpl_t *self, zconfig_t *node, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
//  How many errors were reported
size_t gc_zpl_errors (gc_zpl_t *self);

//  Checks the children of SECTION, and theirs, against KEYS: an unknown
//  key, a key repeated that may not be, a value given twice, or lines
//  indented under a key that has none are each reported. Returns the
//  number of mistakes found.
size_t gc_zpl_check (gc_zpl_t *self, zconfig_t *section, const gc_zpl_key_t *keys);

//  The child NAME of SECTION (SECTION may be NULL), or NULL
zconfig_t *gc_zpl_child (zconfig_t *section, const char *name);
//  Its value, or DEFAULT_VALUE when SECTION has no child NAME
const char *gc_zpl_get (zconfig_t *section, const char *name, const char *default_value);

#endif
