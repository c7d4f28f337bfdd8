/*  gc_guards - what an event needs beyond the machine's table (state,
    role, scope): sound arguments, a case in the right hands for it, and
    for a link the second case. Each guard refuses with a reply and changes
    nothing; the event's handler (gc_handlers.c) then only does what the
    event does. */
#include "gc_op.h"
#include "gc_chain.h"
#include "gc_schema.h"
#include "gc_util.h"
#include "gridcase.h"

#include <math.h>

//  --------------------------------------------------------------------------
//  What a guard and its handler both compute

const char *
gc_dispatch_lead (op_t *op)
{
    const Gridcase__DispatchRequest *dispatch = op->request->dispatch;
    gc_category_t *category = gc_config_category (op->config, op->kase->category);
    return *dispatch->lead                    ? dispatch->lead
           : category && category->department ? category->department->id
                                              : "";
}

int64_t
gc_extend_until (op_t *op)
{
    const Gridcase__ExtendRequest *extend = op->request->extend;
    return extend->until ? extend->until : extend->duration ? op->now + extend->duration : 0;
}

//  --------------------------------------------------------------------------
//  Guards of requests

bool
gc_guard_note (op_t *op)
{
    if (!*op->request->note->text) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT, "a note needs text");
        return false;
    }
    return true;
}

//  A case climbs from the grid, a committee, a street office or
//  supervision; a department bounces, and the district is the top
bool
gc_guard_escalate (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    if (kase->level == GRIDCASE__LEVEL__LEVEL_DEPARTMENT) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s is with department %s: a department bounces a case, it does not "
                      "escalate it",
                      kase->id, kase->lead_department);
        return false;
    }
    if (kase->level == GRIDCASE__LEVEL__LEVEL_DISTRICT) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s is at the district command centre, the top of the ladder", kase->id);
        return false;
    }
    return true;
}

//  An office dispatches to known departments, one lead and other helpers
bool
gc_guard_dispatch (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__DispatchRequest *dispatch = op->request->dispatch;
    if (!gc_holder_is_office (gc_holder_of (kase->queue).kind)) {
        gc_op_refuse (
            op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
            "case %s is not with a committee, street office or the district: it cannot be "
            "dispatched from %s",
            kase->id, kase->holder);
        return false;
    }
    const char *lead = gc_dispatch_lead (op);
    if (*lead && !gc_config_department (op->config, lead)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT, "unknown department '%s'",
                      lead);
        return false;
    }
    for (size_t i = 0; i < dispatch->n_helpers; i++) {
        if (!gc_config_department (op->config, dispatch->helpers[i])) {
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT,
                          "unknown helper department '%s'", dispatch->helpers[i]);
            return false;
        }
        if (streq (dispatch->helpers[i], lead)) {
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                          "department '%s' cannot lead and help at once", lead);
            return false;
        }
    }
    //  Without a department the district owns it: from the district, name one
    if (!*lead && kase->level == GRIDCASE__LEVEL__LEVEL_DISTRICT) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "category '%s' has no department: name the lead department", kase->category);
        return false;
    }
    return true;
}

//  Only a department bounces, with a reason, and not after arbitration
bool
gc_guard_bounce (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    gc_holder_t from = gc_holder_of (kase->queue);
    if (from.kind != GC_HOLDER_DEPT) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s is not with a department; only a department bounces a case",
                      kase->id);
        return false;
    }
    if (!*op->request->bounce->reason) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "a bounce needs a reason: why is case %s not the department's", kase->id);
        return false;
    }
    if (kase->arbitrated) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s was arbitrated to %s by a supervisor: it cannot be bounced again",
                      kase->id, from.id);
        return false;
    }
    return true;
}

bool
gc_guard_evaluate (op_t *op)
{
    uint32_t rating = op->request->evaluate->rating;
    if (rating < 1 || rating > 5) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "a rating is 1 to 5, not %u", rating);
        return false;
    }
    return true;
}

//  A severity to regrade to; an officer regrades only while it is at the grid
bool
gc_guard_regrade (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    if (!op->request->regrade->severity) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "regrade needs a severity: red, yellow or green");
        return false;
    }
    if (op->actor->role == GRIDCASE__ROLE__ROLE_OFFICER &&
        kase->state != GRIDCASE__STATE__STATE_AT_GRID) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                      "an officer regrades a case only while it is at the grid; case %s is %s",
                      kase->id, gridcase_state_name (kase->state));
        return false;
    }
    return true;
}

//  One pause at a time, ending in the future within the policy, with a reason
bool
gc_guard_extend (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ExtendRequest *extend = op->request->extend;
    if (kase->paused || *kase->pending_request) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s already has %s %s", kase->id,
                      kase->paused ? "an approved" : "a pending", kase->pending_request);
        return false;
    }
    int64_t until = gc_extend_until (op);
    if (until <= op->now || until > op->now + op->config->policy.pause_max) {
        char span[40];
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "%s needs an end in the future and at most %s away",
                      extend->park ? "parking" : "an extension",
                      gc_duration_text (op->config->policy.pause_max, span, sizeof (span)));
        return false;
    }
    if (!*extend->reason) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "an extension or parking needs a reason");
        return false;
    }
    return true;
}

//  A pause waiting for approval, not yet run out if it is approved
bool
gc_guard_approve (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    if (!*kase->pending_request || kase->paused) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s has no extension or parking waiting for approval", kase->id);
        return false;
    }
    if (op->request->approve->approve && kase->pending_until <= op->now) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "the %s asked for case %s has already run out", kase->pending_request,
                      kase->id);
        return false;
    }
    return true;
}

bool
gc_guard_arbitrate (op_t *op)
{
    const char *department = op->request->arbitrate->department;
    if (!gc_config_department (op->config, department)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT, "unknown department '%s'",
                      department);
        return false;
    }
    return true;
}

//  Claiming a case by id with a queue named: it must be in that queue
bool
gc_guard_claim (op_t *op)
{
    const char *queue = op->request->claim->queue;
    if (*queue && !streq (queue, op->kase->queue)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "case %s is in queue %s, not %s", op->kase->id, op->kase->queue, queue);
        return false;
    }
    return true;
}

//  A case open for linking: same grid and category as KASE
static bool
s_linkable (op_t *op, const Gridcase__Case *target, const char *grid, const char *category)
{
    if (!(OPEN_STATES & (1u << target->state))) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                      "case %s is %s: only an open case takes linked reports", target->id,
                      gridcase_state_name (target->state));
        return false;
    }
    if (!streq (target->grid, grid) || !streq (target->category, category)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "case %s is %s in grid %s: a linked report must be the same category in the "
                      "same grid",
                      target->id, target->category, target->grid);
        return false;
    }
    return true;
}

//  A report's guard: the grid and category exist, the title and location
//  are sound, the reporter looks after the grid, and a case it is linked
//  to takes it
bool
gc_guard_report (op_t *op)
{
    const Gridcase__ReportRequest *report = op->request->report;
    const Gridcase__Location *location = report->location;
    if (location && (fabs (location->lat) > 90 || fabs (location->lon) > 180)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "location %f,%f is not a latitude and longitude", location->lat,
                      location->lon);
        return false;
    }
    //  Without a grid, the one whose boundary holds the location
    gc_grid_t *grid = NULL;
    if (*report->grid || !location)
        grid = gc_config_grid (op->config, report->grid);
    else if (!(grid = gc_config_locate (op->config, location->lat, location->lon))) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID,
                      op->config->geo ? "location %.6f,%.6f is in no grid of the city"
                                      : "location %.6f,%.6f cannot be placed: the city has no grid "
                                        "boundaries (the grids setting); name the grid",
                      location->lat, location->lon);
        return false;
    }
    if (!grid && !*report->grid) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID,
                      "a report names its grid or gives a location");
        return false;
    }
    if (!grid) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID, "unknown grid '%s'",
                      report->grid);
        return false;
    }
    op->grid = grid;
    if (!gc_config_category (op->config, report->category)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CATEGORY, "unknown category '%s'",
                      report->category);
        return false;
    }
    if (!*report->title) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT, "a report needs a title");
        return false;
    }
    gc_community_t *community = grid->community;
    if (!gc_actor_covers (op->actor, grid->id, community->id, community->street->id,
                          community->street->district->id)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                      "%s does not look after grid %s", op->who_text, grid->id);
        return false;
    }
    //  A duplicate report joins the open case it names (loaded for the handler)
    if (*report->link_to)
        return gc_op_load (op, report->link_to) &&
               s_linkable (op, op->kase, grid->id, report->category);
    return true;
}

//  A link names another case, open, of the same grid and category: loaded
//  into OP->other for the handler
bool
gc_guard_link (op_t *op)
{
    const Gridcase__LinkRequest *link = op->request->link;
    if (streq (link->case_id, link->duplicate_of)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "a case cannot be a duplicate of itself");
        return false;
    }
    int rc = gc_txn_case_get (op->txn, link->duplicate_of, &op->other);
    if (rc == GC_NOTFOUND) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'",
                      link->duplicate_of);
        return false;
    }
    if (rc) {
        gc_op_storage_error (op);
        op->refused = true;
        return false;
    }
    return s_linkable (op, op->other, op->kase->grid, op->kase->category) &&
           s_linkable (op, op->kase, op->other->grid, op->other->category);
}

#define GC_FRESH_SCAN_MAX 1000

//  A request made on the case as it was (based_on: the case's journal_seq as
//  the client last saw it) still fits it: since then nobody else changed
//  its state or holder. Whoever asks may have moved it themselves (an
//  officer's own escalation made offline before a note); a note is never
//  stale (the machine does not ask).
bool
gc_guard_fresh (op_t *op)
{
    uint64_t based_on = op->request->based_on;
    Gridcase__Case *kase = op->kase;
    if (kase->journal_seq <= based_on)
        return true;
    //  The case as the client saw it: its entry at BASED_ON
    const void *value;
    size_t size;
    Gridcase__JournalEntry *seen = NULL;
    if (gc_chain_get (op->txn, based_on, &value, &size) == GC_OK)
        seen = gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
    if (!seen || !streq (seen->case_id, kase->id)) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "based_on %" PRIu64 " is not an entry of case %s", based_on, kase->id);
        if (seen)
            gridcase__journal_entry__free_unpacked (seen, NULL);
        return false;
    }
    Gridcase__State state = seen->state;
    char holder[GC_HOLDER_MAX];
    snprintf (holder, sizeof (holder), "%s", seen->to);
    gridcase__journal_entry__free_unpacked (seen, NULL);
    //  What happened since, in order: the first change by someone else
    gc_key_t prefix, start;
    gc_key_pack (&prefix, GC_KEY_CASE_JOURNAL_OF, kase->id);
    gc_key_pack (&start, GC_KEY_CASE_JOURNAL, kase->id, based_on + 1);
    gc_cursor_t *cursor = gc_cursor_prefix (op->txn, GC_DB_CASE_JOURNAL, &prefix);
    gc_walk_t walk;
    bool fresh = true;
    uint64_t seq;
    size_t read = 0;
    GC_WALK (cursor, &start, walk) {
        //  Bounded work in the write path whatever based_on says: that much
        //  since is not the case the sender saw
        if (++read > GC_FRESH_SCAN_MAX) {
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_STALE,
                          "case %s has more than %d entries since entry %" PRIu64
                          " you saw; your %s was not applied",
                          kase->id, GC_FRESH_SCAN_MAX, based_on, gridcase_op_name (op->request));
            fresh = false;
            break;
        }
        Gridcase__JournalEntry *entry = NULL;
        if (gc_key_unpack (walk.key, walk.key_size, GC_KEY_CASE_JOURNAL, NULL, &seq) &&
            gc_chain_get (op->txn, seq, &value, &size) == GC_OK)
            entry = gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
        if (!entry)
            continue;
        bool moved = entry->state != state || !streq (entry->to, holder);
        bool by_them = entry->actor && streq (entry->actor->id, op->actor->id);
        if (moved && !by_them) {
            char when[40];
            gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_STALE,
                          "case %s has moved since you saw it (entry %" PRIu64
                          "): %s by %s at %s (%s), now %s with %s; your %s was not applied",
                          kase->id, based_on, gridcase_event_name (entry->type),
                          entry->actor && *entry->actor->id ? entry->actor->id : "gridcased",
                          gc_local_time_text (entry->time, when, sizeof (when)), entry->reason,
                          gridcase_state_name (kase->state), kase->holder,
                          gridcase_op_name (op->request));
            fresh = false;
        }
        state = entry->state;
        snprintf (holder, sizeof (holder), "%s", entry->to);
        gridcase__journal_entry__free_unpacked (entry, NULL);
        if (!fresh)
            break;
    }
    gc_cursor_destroy (&cursor);
    if (fresh && walk.rc != GC_NOTFOUND && walk.rc != GC_OK) {
        gc_op_storage_error (op);
        op->refused = true;
        return false;
    }
    return fresh;
}

//  --------------------------------------------------------------------------
//  Guards of the daemon's own events

//  A timer event's guard: the deadline is still armed on the case as it is
//  (a stale index entry is removed and nothing else happens)
bool
gc_guard_deadline_armed (op_t *op)
{
    if (gc_op_has_deadline (&op->before, op->due, (uint8_t)op->deadline))
        return true;
    gc_txn_deadline_del (op->txn, op->due, op->kase->id, (uint8_t)op->deadline);
    return false;
}
