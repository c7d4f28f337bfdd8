/*  gc_op - one event on one case, as the lifecycle's rooms share it: the
    operation in hand (op_t), and the steps every handler is made of: who
    asks, loading the case, refusing, moving it (gc_op_enter), recording it
    in the journal and the indexes (gc_op_record). gc_lifecycle.c is the
    machine (the table of events), gc_handlers.c what each event does.
    Internal to the daemon's lifecycle; nothing else includes it. */
#ifndef GC_OP_H_INCLUDED
#define GC_OP_H_INCLUDED

#include "gc_access.h"
#include "gridcase.h"
#include "gc_figures.h"
#include "gc_lifecycle.h"

#define STATE_BIT(s) (1u << GRIDCASE__STATE__STATE_##s)
#define ROLE_BIT(r) (1u << GRIDCASE__ROLE__ROLE_##r)
#define OPEN_STATES                                                                                \
    (STATE_BIT (AT_GRID) | STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS))
#define ALL_STATES (OPEN_STATES | STATE_BIT (RESOLVED) | STATE_BIT (VERIFIED) | STATE_BIT (CLOSED))
#define ALL_ROLES 0x7eu

//  Bits of Case.missed: deadlines missed and recorded at the top of the ladder
#define MISSED_RESPONSE 1u
#define MISSED_RESOLUTION 2u

typedef gc_case_index_t index_t;

//  One operation on one case
typedef struct {
    gc_config_t *config;
    gc_txn_t *txn;
    const Gridcase__Request *request; //  NULL: the daemon's own event
    gc_actor_t *actor;                //  NULL: the daemon
    gc_actor_t *via;                  //  the gateway it acts through, NULL: none
    gc_grid_t *grid;                  //  a report's grid (its guard found it)
    Gridcase__Actor who;              //  the actor as the journal names it
    char who_text[80];                //  "worker:w-gas-1"
    int64_t now;
    gc_reply_t *out;
    zlistx_t *notices;
    Gridcase__Case *kase;  //  owned, as if unpacked with the system allocator
    Gridcase__Case *other; //  a second case a guard loaded (link: the case that goes on)
    index_t before;
    gc_figures_snap_t figures;   //  the case as the figures knew it before the change
    char from[GC_HOLDER_MAX];    //  the holder before the change
    bool refused;                //  a reply with an error is set
    gc_deadline_kind_t deadline; //  a timer event: which deadline ...
    int64_t due;                 //  ... due when
} op_t;

typedef enum {
    SCOPE_NONE,   //  nothing beyond the role (a report's guard checks its grid)
    SCOPE_AREA,   //  the case is in the actor's area
    SCOPE_HOLDER, //  the actor holds the case
    SCOPE_LEASE,  //  the actor holds the case's lease
    SCOPE_QUEUE,  //  the actor works the case's queue
} scope_t;

//  The steps (gc_op.c)
void gc_op_back_to_resolver (op_t *op);
void gc_op_begin (op_t *op);
void gc_op_clear_pause (Gridcase__Case *kase);
void gc_op_enter (op_t *op, Gridcase__Level level, const char *queue);
bool gc_op_has_deadline (const index_t *index, int64_t due, uint8_t kind);
bool gc_op_identify (op_t *op);
bool gc_op_load (op_t *op, const char *id);
void gc_op_record (op_t *op, Gridcase__EventType type, const char *reason, const char *detail);
void gc_op_refuse (op_t *op, Gridcase__ErrorCode code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
void gc_op_requeue (op_t *op);
bool gc_op_scope_ok (op_t *op, scope_t scope);
void gc_op_set (char **field, const char *value);
void gc_op_storage_error (op_t *op);

//  What an event needs beyond the table (gc_guards.c): false, with the
//  refusal replied, when it cannot happen
bool gc_guard_approve (op_t *op);
bool gc_guard_arbitrate (op_t *op);
bool gc_guard_bounce (op_t *op);
bool gc_guard_claim (op_t *op);
bool gc_guard_deadline_armed (op_t *op);
bool gc_guard_dispatch (op_t *op);
bool gc_guard_escalate (op_t *op);
bool gc_guard_evaluate (op_t *op);
bool gc_guard_extend (op_t *op);
bool gc_guard_fresh (op_t *op);
bool gc_guard_link (op_t *op);
bool gc_guard_note (op_t *op);
bool gc_guard_regrade (op_t *op);
bool gc_guard_report (op_t *op);
//  The department a dispatch leads with (named, or the category's; "": none)
const char *gc_dispatch_lead (op_t *op);
//  When an extension or parking asked for ends
int64_t gc_extend_until (op_t *op);

//  What each event does to the case (gc_handlers.c)
void gc_handle_accept (op_t *op);
void gc_handle_approve (op_t *op);
void gc_handle_arbitrate (op_t *op);
void gc_handle_bounce (op_t *op);
void gc_handle_claim (op_t *op);
void gc_handle_deadline_missed (op_t *op);
void gc_handle_dispatch (op_t *op);
void gc_handle_escalate (op_t *op);
void gc_handle_evaluate (op_t *op);
void gc_handle_extend (op_t *op);
void gc_handle_lease_expired (op_t *op);
void gc_handle_link (op_t *op);
void gc_handle_note (op_t *op);
void gc_handle_regrade (op_t *op);
void gc_handle_release (op_t *op);
void gc_handle_renew (op_t *op);
void gc_handle_report (op_t *op);
void gc_handle_resolve (op_t *op);
void gc_handle_resolve_on_site (op_t *op);
void gc_handle_resume (op_t *op);
void gc_handle_unrated (op_t *op);
void gc_handle_unverified (op_t *op);
void gc_handle_verify (op_t *op);

#endif
