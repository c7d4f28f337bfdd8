/*  gc_lifecycle - the case state machine. See gc_lifecycle.h.

    Every case has exactly one holder: "grid/<grid>" (the officer), a queue
    ("committee/<community>", "street/<street>", "district/<district>",
    "dept/<department>", "supervision/<district>") or an actor holding a
    lease ("worker:w-gas-1"). The table s_events declares every event:
    each request and each deadline that passes, the states it is allowed
    in, the roles, whose case it must be, its guard and its handler
    (gc_handlers.c). The README's table of events is this table's. */
#include "gc_op.h"
#include "gc_schema.h"
#include "gc_util.h"
#include "gridcase.h"

static void
s_states_text (uint32_t states, char *buffer, size_t size)
{
    size_t at = 0;
    buffer[0] = 0;
    for (int s = 1; s < 8 && at < size; s++)
        if (states & (1u << s))
            at += (size_t)snprintf (buffer + at, size - at, "%s%s", at ? ", " : "",
                                    gridcase_state_name ((Gridcase__State)s));
}

//  The case a request names ("" when none)
static const char *
s_case_id (const Gridcase__Request *request)
{
    char **named = gridcase_case_id_of ((Gridcase__Request *)request);
    return named ? *named : "";
}

//  Claim without a case id: the head of the queue (red first, then the
//  earliest deadline). Returns false with the reply set when there is none.
static bool
s_queue_head (op_t *op, const char *queue, char *id)
{
    if (!gc_actor_works_queue (op->actor, queue, NULL) &&
        !(op->actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR &&
          (gc_holder_of (queue).kind == GC_HOLDER_COMMITTEE ||
           gc_holder_of (queue).kind == GC_HOLDER_STREET))) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, "%s does not work queue '%s'",
                      op->who_text, queue);
        return false;
    }
    gc_key_t prefix;
    gc_walk_t walk = {.rc = GC_NOTFOUND};
    bool found = false;
    if (gc_key_pack (&prefix, GC_KEY_QUEUE_OF, queue)) {
        gc_cursor_t *cursor = gc_cursor_prefix (op->txn, GC_DB_QUEUES, &prefix);
        //  A street supervisor skips cases outside their street
        GC_WALK (cursor, NULL, walk) {
            Gridcase__Case *kase = NULL;
            if (!gc_key_unpack (walk.key, walk.key_size, GC_KEY_QUEUE, NULL, NULL, NULL, id))
                break;
            if (gc_txn_case_get (op->txn, id, &kase) == GC_OK) {
                found = gc_actor_works_queue (op->actor, queue, kase);
                gridcase__case__free_unpacked (kase, NULL);
            }
            if (found)
                break;
        }
        gc_cursor_destroy (&cursor);
    }
    if (walk.rc != GC_OK && walk.rc != GC_NOTFOUND) {
        gc_op_storage_error (op);
        op->refused = true;
        return false;
    }
    if (!found)
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_QUEUE_EMPTY,
                      "queue '%s' has no case to claim", queue);
    return found;
}

//  --------------------------------------------------------------------------
//  The machine: every event, what it needs and what handles it

#define DAEMON_BIT 1u //  the daemon's own events (role unspecified)
#define PEOPLE (ALL_ROLES & ~ROLE_BIT (WORKER))

typedef enum {
    LOAD_CASE,       //  the case the request names
    LOAD_NONE,       //  no case yet (a report makes one)
    LOAD_QUEUE_HEAD, //  the head of the queue the request names
} load_t;

typedef struct {
    const char *name;
    Gridcase__Request__OpCase op; //  a request, or ...
    gc_deadline_kind_t deadline;  //  ... a deadline that passed (timer event)
    load_t load;
    uint32_t states; //  STATE_BIT of each state it is allowed in (LOAD_NONE: 0)
    uint32_t roles;  //  ROLE_BIT of each role allowed; DAEMON_BIT: the daemon's own
    scope_t scope;
    bool (*guard) (op_t *op); //  checks beyond the table; refuses with a reply
    void (*apply) (op_t *op); //  what the event does to the case
} event_t;

static const event_t s_events[] = {
    {"report", GRIDCASE__REQUEST__OP_REPORT, 0, LOAD_NONE, 0, PEOPLE | ROLE_BIT (INTAKE),
     SCOPE_NONE, gc_guard_report, gc_handle_report},
    {"note", GRIDCASE__REQUEST__OP_NOTE, 0, LOAD_CASE, ALL_STATES, ALL_ROLES, SCOPE_AREA,
     gc_guard_note, gc_handle_note},
    {"resolve on site", GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE, 0, LOAD_CASE, STATE_BIT (AT_GRID),
     ROLE_BIT (OFFICER), SCOPE_HOLDER, NULL, gc_handle_resolve_on_site},
    {"escalate", GRIDCASE__REQUEST__OP_ESCALATE, 0, LOAD_CASE, OPEN_STATES,
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (SUPERVISOR),
     SCOPE_HOLDER, gc_guard_escalate, gc_handle_escalate},
    {"claim", GRIDCASE__REQUEST__OP_CLAIM, 0, LOAD_CASE, STATE_BIT (QUEUED),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER) | ROLE_BIT (SUPERVISOR),
     SCOPE_QUEUE, gc_guard_claim, gc_handle_claim},
    {"claim from a queue", GRIDCASE__REQUEST__OP_CLAIM, 0, LOAD_QUEUE_HEAD, STATE_BIT (QUEUED),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER) | ROLE_BIT (SUPERVISOR),
     SCOPE_QUEUE, NULL, gc_handle_claim},
    {"accept", GRIDCASE__REQUEST__OP_ACCEPT, 0, LOAD_CASE, STATE_BIT (CLAIMED), ALL_ROLES,
     SCOPE_LEASE, NULL, gc_handle_accept},
    {"renew", GRIDCASE__REQUEST__OP_RENEW, 0, LOAD_CASE, STATE_BIT (CLAIMED), ALL_ROLES,
     SCOPE_LEASE, NULL, gc_handle_renew},
    {"release", GRIDCASE__REQUEST__OP_RELEASE, 0, LOAD_CASE,
     STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS), ALL_ROLES, SCOPE_LEASE, NULL,
     gc_handle_release},
    {"dispatch", GRIDCASE__REQUEST__OP_DISPATCH, 0, LOAD_CASE,
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (SUPERVISOR), SCOPE_HOLDER,
     gc_guard_dispatch, gc_handle_dispatch},
    {"resolve", GRIDCASE__REQUEST__OP_RESOLVE, 0, LOAD_CASE,
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER) | ROLE_BIT (SUPERVISOR),
     SCOPE_HOLDER, NULL, gc_handle_resolve},
    {"bounce", GRIDCASE__REQUEST__OP_BOUNCE, 0, LOAD_CASE,
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS), ROLE_BIT (WORKER),
     SCOPE_HOLDER, gc_guard_bounce, gc_handle_bounce},
    {"verify", GRIDCASE__REQUEST__OP_VERIFY, 0, LOAD_CASE, STATE_BIT (RESOLVED), ROLE_BIT (OFFICER),
     SCOPE_AREA, NULL, gc_handle_verify},
    {"evaluate", GRIDCASE__REQUEST__OP_EVALUATE, 0, LOAD_CASE, STATE_BIT (VERIFIED),
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE), SCOPE_AREA, gc_guard_evaluate, gc_handle_evaluate},
    {"regrade", GRIDCASE__REQUEST__OP_REGRADE, 0, LOAD_CASE, OPEN_STATES,
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (SUPERVISOR),
     SCOPE_AREA, gc_guard_regrade, gc_handle_regrade},
    {"extend", GRIDCASE__REQUEST__OP_EXTEND, 0, LOAD_CASE, OPEN_STATES,
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER),
     SCOPE_HOLDER, gc_guard_extend, gc_handle_extend},
    {"approve", GRIDCASE__REQUEST__OP_APPROVE, 0, LOAD_CASE, OPEN_STATES, ROLE_BIT (SUPERVISOR),
     SCOPE_AREA, gc_guard_approve, gc_handle_approve},
    {"arbitrate", GRIDCASE__REQUEST__OP_ARBITRATE, 0, LOAD_CASE,
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS), ROLE_BIT (SUPERVISOR),
     SCOPE_AREA, gc_guard_arbitrate, gc_handle_arbitrate},
    {"link", GRIDCASE__REQUEST__OP_LINK, 0, LOAD_CASE, OPEN_STATES, PEOPLE, SCOPE_AREA,
     gc_guard_link, gc_handle_link},
    {"response deadline passes", 0, GC_DEADLINE_RESPONSE, LOAD_CASE, OPEN_STATES, DAEMON_BIT,
     SCOPE_NONE, gc_guard_deadline_armed, gc_handle_deadline_missed},
    {"resolution deadline passes", 0, GC_DEADLINE_RESOLUTION, LOAD_CASE, OPEN_STATES, DAEMON_BIT,
     SCOPE_NONE, gc_guard_deadline_armed, gc_handle_deadline_missed},
    {"lease ends", 0, GC_DEADLINE_LEASE, LOAD_CASE, STATE_BIT (CLAIMED), DAEMON_BIT, SCOPE_NONE,
     gc_guard_deadline_armed, gc_handle_lease_expired},
    {"verification window ends", 0, GC_DEADLINE_VERIFICATION, LOAD_CASE, STATE_BIT (RESOLVED),
     DAEMON_BIT, SCOPE_NONE, gc_guard_deadline_armed, gc_handle_unverified},
    {"evaluation window ends", 0, GC_DEADLINE_EVALUATION, LOAD_CASE, STATE_BIT (VERIFIED),
     DAEMON_BIT, SCOPE_NONE, gc_guard_deadline_armed, gc_handle_unrated},
    {"pause ends", 0, GC_DEADLINE_RESUME, LOAD_CASE, OPEN_STATES, DAEMON_BIT, SCOPE_NONE,
     gc_guard_deadline_armed, gc_handle_resume},
};

//  What each guard checks, in the words of the README's table
static const struct {
    bool (*guard) (op_t *op);
    const char *needs;
} s_guard_words[] = {
    {gc_guard_report, "the grid (or the one whose boundary holds its location) and category "
                      "exist, a title; a case it links to is open, same "
                      "grid and category"},
    {gc_guard_note, "some text"},
    {gc_guard_escalate, "it is below the district and not with a department"},
    {gc_guard_claim, "the queue named is its queue"},
    {gc_guard_dispatch, "it is with an office; known lead and helper departments"},
    {gc_guard_bounce, "it is with a department, a reason, not arbitrated"},
    {gc_guard_evaluate, "a rating of 1 to 5"},
    {gc_guard_regrade, "a severity; an officer's case is at the grid"},
    {gc_guard_extend, "no pause yet, an end within the policy, a reason"},
    {gc_guard_approve, "a pause waiting, not run out"},
    {gc_guard_arbitrate, "a known department"},
    {gc_guard_link, "the other case is open, same grid and category"},
    {gc_guard_deadline_armed, "the deadline is still the case's"},
};

static const char *
s_guard_words_of (bool (*guard) (op_t *op))
{
    for (size_t i = 0; guard && i < sizeof (s_guard_words) / sizeof (s_guard_words[0]); i++)
        if (s_guard_words[i].guard == guard)
            return s_guard_words[i].needs;
    return "-";
}

//  The event a request is: claim without a case id is "claim from a queue"
static const event_t *
s_request_event (const Gridcase__Request *request)
{
    bool from_queue = request->op_case == GRIDCASE__REQUEST__OP_CLAIM && !*request->claim->case_id;
    for (size_t i = 0; i < sizeof (s_events) / sizeof (s_events[0]); i++)
        if (s_events[i].op && s_events[i].op == request->op_case &&
            (s_events[i].load == LOAD_QUEUE_HEAD) == from_queue)
            return &s_events[i];
    return NULL;
}

static const event_t *
s_deadline_event (gc_deadline_kind_t kind)
{
    for (size_t i = 0; i < sizeof (s_events) / sizeof (s_events[0]); i++)
        if (!s_events[i].op && s_events[i].deadline == kind)
            return &s_events[i];
    return NULL;
}

//  Runs EVENT on OP: the case it needs, in a state the event is allowed in,
//  within the actor's scope, past its guard; then its handler
static void
s_run (op_t *op, const event_t *event, const char *id)
{
    char head[GC_CASE_ID_MAX];
    if (event->load == LOAD_QUEUE_HEAD) {
        if (!*op->request->claim->queue) {
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                          "claim needs a queue or a case id");
            return;
        }
        if (!s_queue_head (op, op->request->claim->queue, head))
            return;
        id = head;
    }
    if (event->load != LOAD_NONE) {
        if (!gc_op_load (op, id))
            return;
        //  Made on the case as it was: still the case the sender saw
        if (op->request && op->request->based_on && event->op != GRIDCASE__REQUEST__OP_NOTE &&
            !gc_guard_fresh (op))
            return;
        if (!(event->states & (1u << op->kase->state))) {
            char states[200];
            s_states_text (event->states, states, sizeof (states));
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                          "case %s is %s; %s needs it %s", op->kase->id,
                          gridcase_state_name (op->kase->state), event->name, states);
            return;
        }
        if (event->scope != SCOPE_NONE && !gc_op_scope_ok (op, event->scope)) {
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                          "%s may not %s case %s (held by %s in grid %s)", op->who_text,
                          event->name, op->kase->id, op->kase->holder, op->kase->grid);
            return;
        }
    }
    if (!event->guard || event->guard (op))
        event->apply (op);
}

void
gc_lifecycle_describe (FILE *out)
{
    static const char *scopes[] = {
        [SCOPE_NONE] = "-",
        [SCOPE_AREA] = "in their area",
        [SCOPE_HOLDER] = "they hold it (a supervisor: in their area)",
        [SCOPE_LEASE] = "they hold its lease",
        [SCOPE_QUEUE] = "they work its queue",
    };
    fprintf (out, "| event | the case is | who | whose case | and also |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < sizeof (s_events) / sizeof (s_events[0]); i++) {
        const event_t *event = &s_events[i];
        char states[200] = "- (it makes one)", roles[200] = "";
        if (event->load != LOAD_NONE)
            s_states_text (event->states, states, sizeof (states));
        size_t at = 0;
        for (int r = 0; r <= GRIDCASE__ROLE__ROLE_INTAKE && at < sizeof (roles); r++)
            if (event->roles & (1u << r))
                at += (size_t)snprintf (roles + at, sizeof (roles) - at, "%s%s", at ? ", " : "",
                                        r ? gc_role_name ((Gridcase__Role)r) : "the daemon");
        fprintf (out, "| %s%s | %s | %s | %s | %s |\n", event->name,
                 event->load == LOAD_QUEUE_HEAD ? " (the head of the queue)" : "", states, roles,
                 event->op == GRIDCASE__REQUEST__OP_REPORT ? "the grid is in their area"
                                                           : scopes[event->scope],
                 s_guard_words_of (event->guard));
    }
}

void
gc_lifecycle_apply (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                    int64_t now, gc_reply_t *out, zlistx_t *notices)
{
    op_t op = {0};
    op.config = config;
    op.txn = txn;
    op.request = request;
    op.now = now;
    op.out = out;
    op.notices = notices;
    gridcase__actor__init (&op.who);
    //  Who asks comes first: an unknown actor learns nothing of the city
    const event_t *event = s_request_event (request);
    if (!gc_op_identify (&op))
        ;
    else if (!event)
        gc_op_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                      "operation '%s' is not served by this version of gridcased",
                      gridcase_op_name (request));
    else if (!(event->roles & (1u << op.actor->role)))
        gc_op_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, "a %s may not %s a case",
                      gc_role_name (op.actor->role), event->name);
    else
        s_run (&op, event, s_case_id (request));
    if (!op.refused) {
        if (gc_txn_error (txn))
            gc_op_storage_error (&op);
        else if (op.kase) {
            //  The reply holds the case as stored, packed once
            gc_key_t key;
            const void *stored;
            size_t size;
            if (gc_key_pack (&key, GC_KEY_CASE, op.kase->id) &&
                gc_txn_get (txn, GC_DB_CASES, &key, &stored, &size) == GC_OK)
                gc_reply_case_packed (out, request, stored, size);
            else
                gc_reply_case (out, request, op.kase, NULL, 0);
        }
    }
    if (op.kase)
        gridcase__case__free_unpacked (op.kase, NULL);
    if (op.other)
        gridcase__case__free_unpacked (op.other, NULL);
}

int
gc_lifecycle_deadline (gc_config_t *config, gc_txn_t *txn, const char *case_id,
                       gc_deadline_kind_t kind, int64_t due, int64_t now, zlistx_t *notices)
{
    gc_reply_t ignored = {0};
    op_t op = {0};
    op.config = config;
    op.txn = txn;
    op.now = now;
    op.out = &ignored;
    op.notices = notices;
    op.deadline = kind;
    op.due = due;
    gridcase__actor__init (&op.who);
    op.who.id = "gridcased";
    snprintf (op.who_text, sizeof (op.who_text), "gridcased");
    const event_t *event = s_deadline_event (kind);
    if (event)
        s_run (&op, event, case_id);
    //  An index entry for a case that is not there, or not in a state the
    //  event is for: stale, dropped (the guard drops one the case no longer arms)
    if (!event || op.refused)
        gc_txn_deadline_del (txn, due, case_id, (uint8_t)kind);
    if (op.kase)
        gridcase__case__free_unpacked (op.kase, NULL);
    if (op.other)
        gridcase__case__free_unpacked (op.other, NULL);
    gc_reply_free (&ignored);
    return gc_txn_error (txn);
}

void
gc_notices_drop (zlistx_t *notices)
{
    void *entry_notices;
    while ((entry_notices = zlistx_detach (notices, NULL)))
        free (entry_notices);
}
