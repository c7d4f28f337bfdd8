/*  gc_schema - what the store holds, over gc_store's generic layer: the
    schema's version and its upgrades, case records, the idempotency
    records, and the deadline, queue and escalation-log indexes. The
    journal's chain is gc_chain's. */
#ifndef GC_SCHEMA_H_INCLUDED
#define GC_SCHEMA_H_INCLUDED

#include "gc_store.h"
#include "gridcase.pb-c.h"

#include <stdbool.h>

//  1: the first; 2: each kept request id holds its binding (sender, request);
//  3: the figures count open and overdue cases by level ("level/grid")
#define GC_SCHEMA_VERSION 3

//  A scaled clock (--time-scale) keeps one timeline across restarts: the
//  store keeps the timeline's origin and scale, and a run at the same scale
//  continues it (gc_clock_set_origin); another scale starts a new one
void gc_schema_clock_resume (gc_store_t *store);

//  Each database's keys (gc_key_pack pictures); an _OF picture is the
//  prefix that names a range of them
#define GC_KEY_CASE "c"
#define GC_KEY_CASES_OF_DAY "w" //  a case key is be32 date + be32 number
#define GC_KEY_JOURNAL "q"
#define GC_KEY_CASE_JOURNAL_OF GC_KEY_CASE
#define GC_KEY_CASE_JOURNAL GC_KEY_CASE_JOURNAL_OF "q"
#define GC_KEY_REQUEST "iq"
#define GC_KEY_REQUEST_AGE "q" GC_KEY_REQUEST //  when it was recorded, then the request
#define GC_KEY_DEADLINE "qcb"                 //  due, case, kind
#define GC_KEY_QUEUE_OF "s"                   //  the queue's name
#define GC_KEY_QUEUE GC_KEY_QUEUE_OF "bqc"    //  then severity, due, case
#define GC_KEY_FIGURES_OF "s"                 //  the figures key
#define GC_KEY_FIGURES GC_KEY_FIGURES_OF "w"  //  then the local day (0: now)
#define GC_KEY_LOG_OF "s"                     //  the area or department
#define GC_KEY_LOG GC_KEY_LOG_OF "q"          //  then the entry's seq
#define GC_KEY_TOPIC "s"

//  The figures' view of a case (gc_figures counts with it; a schema upgrade
//  too)
//  What the figures need to know of a case before an event changes it
typedef struct {
    bool open;             //  not closed
    bool overdue;          //  open, past a deadline with nowhere to climb, or flagged
    char dept[64];         //  the department whose queue it is in, "" for none
    bool dept_open;        //  ... and it still has work to do there
    int64_t dept_since;    //  when that department received it
    char queue[128];       //  the queue it waits in (QUEUED only)
    Gridcase__Level level; //  where it is on the ladder (open cases)
} gc_figures_snap_t;

//  The snapshot of KASE (NULL: a case that does not exist yet)
void gc_figures_snap (const Gridcase__Case *kase, gc_figures_snap_t *snap);

//  Opens the store in DIR (gc_store_new) and checks the schema version it
//  holds: a new store is stamped with this one, an older one is upgraded
//  (not when opened read-only), a newer one is refused (NULL, logged).
gc_store_t *gc_schema_open (const char *dir, const gc_store_options_t *options);

//  Cases are stored as packed Case messages, keyed by their id
int gc_txn_case_put (gc_txn_t *self, const Gridcase__Case *kase);
//  Room for case ID's record of SIZE bytes, to be packed straight into the
//  map (gc_txn_reserve)
int gc_txn_case_reserve (gc_txn_t *self, const char *id, size_t size, void **data);
//  Returns GC_OK and *CASE_P (free with gridcase__case__free_unpacked), or an error
int gc_txn_case_get (gc_txn_t *self, const char *id, Gridcase__Case **case_p);
//  The number the next case reported on local date DAY gets (1 for the first)
uint32_t gc_txn_case_next_number (gc_txn_t *self, uint32_t day);

//  The escalation log index: entry SEQ concerns area or department KEY
int gc_txn_log_put (gc_txn_t *self, const char *key, uint64_t seq);

//  The deadline index: be64 due + case key (8) + kind (1), ordered by due time
int gc_txn_deadline_put (gc_txn_t *self, int64_t due, const char *case_id, uint8_t kind);
int gc_txn_deadline_del (gc_txn_t *self, int64_t due, const char *case_id, uint8_t kind);
//  Decodes a deadline key found by a cursor; false if it is not one
bool gc_deadline_key_parse (const void *key, size_t size, int64_t *due, char *case_id,
                            uint8_t *kind);

//  Queue indexes: queue name + NUL + severity (1) + be64 due + case key (8),
//  so a queue reads red first, then by deadline
int gc_txn_queue_put (gc_txn_t *self, const char *queue, uint8_t severity, int64_t due,
                      const char *case_id);
int gc_txn_queue_del (gc_txn_t *self, const char *queue, uint8_t severity, int64_t due,
                      const char *case_id);

//  Idempotency window: the reply first given to (client id, sequence), with
//  its binding: who sent the request and what it was (GC_BINDING_SIZE bytes;
//  all zero for an id recorded before bindings existed, or BINDING NULL)
int gc_txn_request_get (gc_txn_t *self, const uint8_t *client_id, uint64_t sequence,
                        uint8_t *binding, const void **reply, size_t *size);
int gc_txn_request_put (gc_txn_t *self, const uint8_t *client_id, uint64_t sequence, int64_t now,
                        const uint8_t *binding, const void *reply, size_t size);
//  Forgets at most MAX of the replies recorded before BEFORE, oldest first;
//  *PRUNED says how many. A repeat of a forgotten id is applied as new.
int gc_txn_request_prune (gc_txn_t *self, int64_t before, size_t max, size_t *pruned);

#endif
