/*  gc_op - the steps of one event on one case. See gc_op.h. */
#include "gc_op.h"
#include "gc_schema.h"
#include "gc_chain.h"
#include "gc_access.h"
#include "gc_journal.h"
#include "gc_ladder.h"
#include "gc_util.h"

//  --------------------------------------------------------------------------
//  Small helpers

//  Replaces a string field of an owned message
void
gc_op_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (value ? value : "");
}

void
gc_op_refuse (op_t *op, Gridcase__ErrorCode code, const char *format, ...)
{
    char message[512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    gc_reply_error (op->out, op->request, code, "%s", message);
    op->refused = true;
}

//  --------------------------------------------------------------------------
//  Scope: who may act on what

//  The actor holds the case: the officer of its grid, someone working its
//  queue, or the holder of its lease
static bool
s_holds (const op_t *op)
{
    const Gridcase__Case *kase = op->kase;
    switch (kase->state) {
        case GRIDCASE__STATE__STATE_AT_GRID:
            return op->actor->role == GRIDCASE__ROLE__ROLE_OFFICER &&
                   gc_actor_sees_case (op->actor, kase);
        case GRIDCASE__STATE__STATE_QUEUED:
            return gc_actor_works_queue (op->actor, kase->queue, kase);
        case GRIDCASE__STATE__STATE_CLAIMED:
        case GRIDCASE__STATE__STATE_IN_PROGRESS:
            return streq (kase->holder, op->who_text);
        default:
            return false;
    }
}

bool
gc_op_scope_ok (op_t *op, scope_t scope)
{
    switch (scope) {
        case SCOPE_AREA:
            return gc_actor_sees_case (op->actor, op->kase);
        case SCOPE_HOLDER:
            //  A supervisor may step in wherever the case is in their area
            return s_holds (op) || (op->actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR &&
                                    gc_actor_sees_case (op->actor, op->kase));
        case SCOPE_LEASE:
            return streq (op->kase->holder, op->who_text);
        case SCOPE_QUEUE:
            return gc_actor_works_queue (op->actor, op->kase->queue, op->kase);
        case SCOPE_NONE:
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Indexes, journal, notices

void
gc_case_index (const Gridcase__Case *kase, gc_case_index_t *index)
{
    memset (index, 0, sizeof (*index));
    if (kase->state == GRIDCASE__STATE__STATE_CLOSED)
        return;
    if (kase->paused) {
        index->due[0] = kase->pending_until;
        index->kind[0] = GC_DEADLINE_RESUME;
        index->deadlines = 1;
    } else if (kase->state == GRIDCASE__STATE__STATE_RESOLVED) {
        index->due[0] = kase->verification_due;
        index->kind[0] = GC_DEADLINE_VERIFICATION;
        index->deadlines = kase->verification_due > 0;
    } else if (kase->state == GRIDCASE__STATE__STATE_VERIFIED) {
        index->due[0] = kase->evaluation_due;
        index->kind[0] = GC_DEADLINE_EVALUATION;
        index->deadlines = kase->evaluation_due > 0;
    } else {
        if (kase->response_due && !(kase->missed & MISSED_RESPONSE)) {
            index->due[index->deadlines] = kase->response_due;
            index->kind[index->deadlines++] = GC_DEADLINE_RESPONSE;
        }
        if (kase->resolution_due && !(kase->missed & MISSED_RESOLUTION)) {
            index->due[index->deadlines] = kase->resolution_due;
            index->kind[index->deadlines++] = GC_DEADLINE_RESOLUTION;
        }
        if (kase->state == GRIDCASE__STATE__STATE_CLAIMED && kase->lease_until) {
            index->due[index->deadlines] = kase->lease_until;
            index->kind[index->deadlines++] = GC_DEADLINE_LEASE;
        }
    }
    if (kase->state == GRIDCASE__STATE__STATE_QUEUED) {
        index->queued = true;
        gc_copy (index->queue, sizeof (index->queue), kase->queue);
        index->severity = (uint8_t)kase->severity;
        index->queue_due = kase->response_due ? kase->response_due : kase->resolution_due;
    }
}

bool
gc_op_has_deadline (const index_t *index, int64_t due, uint8_t kind)
{
    for (size_t i = 0; i < index->deadlines; i++)
        if (index->due[i] == due && index->kind[i] == kind)
            return true;
    return false;
}

static bool
s_same_queue_entry (const index_t *a, const index_t *b)
{
    return a->queued == b->queued &&
           (!a->queued || (streq (a->queue, b->queue) && a->severity == b->severity &&
                           a->queue_due == b->queue_due));
}

//  Keeps the case's deadline and queue index entries in step with it. Every
//  failure of these writes sticks in TXN (gc_txn_error), so nothing
//  half-done is ever committed.
static void
s_save_indexes (gc_txn_t *txn, const Gridcase__Case *kase, const index_t *before)
{
    index_t after;
    gc_case_index (kase, &after);
    for (size_t i = 0; i < before->deadlines; i++)
        if (!gc_op_has_deadline (&after, before->due[i], before->kind[i]))
            gc_txn_deadline_del (txn, before->due[i], kase->id, before->kind[i]);
    for (size_t i = 0; i < after.deadlines; i++)
        if (!gc_op_has_deadline (before, after.due[i], after.kind[i]))
            gc_txn_deadline_put (txn, after.due[i], kase->id, after.kind[i]);
    if (!s_same_queue_entry (before, &after)) {
        if (before->queued)
            gc_txn_queue_del (txn, before->queue, before->severity, before->queue_due, kase->id);
        if (after.queued)
            gc_txn_queue_put (txn, after.queue, after.severity, after.queue_due, kase->id);
    }
}

//  From here on, changes to the case are measured against what it is now
void
gc_op_begin (op_t *op)
{
    gc_case_index (op->kase, &op->before);
    gc_figures_snap (op->kase, &op->figures);
    gc_copy (op->from, sizeof (op->from), op->kase->holder);
}

//  Journals the change made to the case as event TYPE and stores the case
void
gc_op_record (op_t *op, Gridcase__EventType type, const char *reason, const char *detail)
{
    Gridcase__Case *kase = op->kase;
    kase->updated_at = op->now;
    Gridcase__JournalEntry entry = GRIDCASE__JOURNAL_ENTRY__INIT;
    entry.time = op->now;
    entry.type = type;
    entry.case_id = kase->id;
    entry.actor = &op->who;
    entry.from = op->from;
    entry.to = kase->holder;
    entry.reason = (char *)(reason ? reason : "");
    entry.state = kase->state;
    entry.level = kase->level;
    entry.severity = kase->severity;
    entry.detail = (char *)(detail ? detail : "");
    entry.grid = kase->grid;
    entry.community = kase->community;
    entry.street = kase->street;
    entry.district = kase->district;
    gc_figures_snap_t now;
    gc_figures_snap (kase, &now);
    char *departments[2];
    if (*op->figures.dept)
        departments[entry.n_departments++] = op->figures.dept;
    if (*now.dept && !streq (now.dept, op->figures.dept))
        departments[entry.n_departments++] = now.dept;
    entry.departments = departments;
    //  The case as it is stored after this event, whose hash the entry
    //  carries: verify-journal finds an altered case record too
    kase->journal_seq = gc_chain_last (op->txn) + 1;
    gc_figures_count (op->txn, kase, &op->figures, type, op->actor == NULL, op->now);
    //  Packed once, straight into the map (MDB_RESERVE), and hashed there
    size_t size = gridcase__case__get_packed_size (kase);
    void *stored;
    uint8_t hash[GC_HASH_SIZE];
    if (gc_txn_case_reserve (op->txn, kase->id, size, &stored) != GC_OK)
        return; //  the failure sticks: nothing of the batch is committed
    gridcase__case__pack (kase, (uint8_t *)stored);
    gc_hash (stored, size, hash);
    entry.via = op->via ? op->via->id : "";
    //  An intake reads the journal of what it reported: its entries say so
    entry.reporter = kase->reporter && kase->reporter->role == GRIDCASE__ROLE__ROLE_INTAKE
                         ? kase->reporter->id
                         : "";
    entry.case_sha256.data = hash;
    entry.case_sha256.len = GC_HASH_SIZE;
    gc_journal_record (op->config, op->txn, op->kase, &entry, op->notices);
    assert (entry.seq == kase->journal_seq || gc_txn_error (op->txn));
    s_save_indexes (op->txn, kase, &op->before);
    gc_op_begin (op);
}

//  Ends any pause or pending request: the case moves on
void
gc_op_clear_pause (Gridcase__Case *kase)
{
    kase->paused = false;
    kase->paused_at = 0;
    gc_op_set (&kase->pending_request, "");
    gc_op_set (&kase->pending_reason, "");
    kase->pending_until = 0;
}

//  Puts the case at LEVEL in QUEUE (for the grid: "grid/<id>") with fresh
//  deadlines counted from now in the queue's service hours
void
gc_op_enter (op_t *op, Gridcase__Level level, const char *queue)
{
    Gridcase__Case *kase = op->kase;
    bool grid = level == GRIDCASE__LEVEL__LEVEL_GRID;
    kase->level = level;
    kase->state = grid ? GRIDCASE__STATE__STATE_AT_GRID : GRIDCASE__STATE__STATE_QUEUED;
    gc_op_set (&kase->holder, queue);
    gc_op_set (&kase->queue, grid ? "" : queue);
    kase->level_since = op->now;
    kase->missed = 0;
    kase->lease_until = 0;
    kase->verification_due = 0;
    kase->evaluation_due = 0;
    gc_window_t window = gc_ladder_window (op->config, op->kase, level);
    kase->response_due =
        grid ? 0 : gc_ladder_due (op->config, op->kase, queue, op->now, window.response);
    kase->resolution_due = gc_ladder_due (op->config, op->kase, queue, op->now, window.resolution);
    gc_op_clear_pause (kase);
}

//  Back to its queue after a lease ends, with a fresh response window
void
gc_op_requeue (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    kase->state = GRIDCASE__STATE__STATE_QUEUED;
    gc_op_set (&kase->holder, kase->queue);
    kase->lease_until = 0;
    kase->delivery_count++;
    kase->missed &= ~MISSED_RESPONSE;
    kase->response_due =
        gc_ladder_due (op->config, op->kase, kase->queue, op->now,
                       gc_ladder_window (op->config, op->kase, kase->level).response);
}

//  Returns the case to whoever resolved it (rework, dissatisfied rating)
void
gc_op_back_to_resolver (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char queue[GC_HOLDER_MAX];
    snprintf (queue, sizeof (queue), "%s", *kase->resolved_by ? kase->resolved_by : kase->queue);
    Gridcase__Level level = gc_holder_level_of (queue);
    if (!level) {
        gc_holder_name (queue, GC_HOLDER_DISTRICT, kase->district);
        level = GRIDCASE__LEVEL__LEVEL_DISTRICT;
    }
    gc_op_enter (op, level, queue);
}

void
gc_op_storage_error (op_t *op)
{
    int rc = gc_txn_error (op->txn);
    gc_reply_free (op->out);
    gc_reply_error (op->out, op->request,
                    rc == GC_NOSPACE ? GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL
                                     : GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                    "the store failed (%s); nothing was changed", gc_store_strerror (rc));
}

//  Loads case ID into OP; false (reply set) if it is not there
bool
gc_op_load (op_t *op, const char *id)
{
    int rc = gc_txn_case_get (op->txn, id, &op->kase);
    if (rc == GC_NOTFOUND) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'", id);
        return false;
    }
    if (rc) {
        gc_op_storage_error (op);
        op->refused = true;
        return false;
    }
    gc_op_begin (op);
    return true;
}

//  Who is asking: the roster entry of the request's actor
bool
gc_op_identify (op_t *op)
{
    char why[200];
    op->actor = gc_config_identify_request (op->config, op->request, &op->via, why, sizeof (why));
    if (!op->actor) {
        gc_op_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR, "%s", why);
        return false;
    }
    op->who.role = op->actor->role;
    op->who.id = op->actor->id;
    gc_join (op->who_text, sizeof (op->who_text), gc_role_name (op->actor->role), ':',
             op->actor->id);
    return true;
}
