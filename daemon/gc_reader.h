/*  gc_reader - a thread that answers reads. It takes identity, request and
    actor frames from TASKS (inproc PUSH, bound by the server), answers each
    in its own read transaction (a list, the journal, figures, a backup),
    and sends identity, reply and an error flag to RESULTS, so a long list
    or a month of figures never holds up a commit. */
#ifndef GC_READER_H_INCLUDED
#define GC_READER_H_INCLUDED

#include "gc_config.h"
#include "gc_store.h"

typedef struct _gc_reader_t gc_reader_t;

gc_reader_t *gc_reader_new (gc_config_t *config, gc_store_t *store, bool verbose, const char *tasks,
                            const char *results);
//  Stops the thread ($TERM) and waits for it
void gc_reader_destroy (gc_reader_t **self_p);

#endif
