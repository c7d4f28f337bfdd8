/*  gc_handlers - what each event does to a case: the handlers the
    machine's table (gc_lifecycle.c) names. A handler holds only what the
    event does and never refuses: the table has checked the role, the state
    and the scope, and the event's guard (gc_guards.c) the rest, before it
    runs. */
#include "gc_op.h"
#include "gc_schema.h"
#include "gc_ladder.h"
#include "gc_util.h"

//  --------------------------------------------------------------------------
//  Handlers: the table's "what it does"; gc_op_record stores the change.

static const char *
s_text_or (const char *text, const char *fallback)
{
    return text && *text ? text : fallback;
}

void
gc_handle_note (op_t *op)
{
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_NOTE, "note", op->request->note->text);
}

void
gc_handle_resolve_on_site (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char holder[GC_HOLDER_MAX];
    gc_holder_name (holder, GC_HOLDER_GRID, kase->grid);
    kase->state = GRIDCASE__STATE__STATE_VERIFIED;
    gc_op_set (&kase->resolved_by, holder);
    kase->resolved_at = op->now;
    kase->response_due = kase->resolution_due = 0;
    //  The officer was there: no second visit to verify
    kase->evaluation_due = op->now + op->config->policy.evaluation;
    gc_op_clear_pause (kase);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_RESOLVED_ON_SITE,
                  "settled on the spot by the grid officer; waiting for the resident's evaluation",
                  op->request->resolve_on_site->note);
}

//  Moves the case one step up the ladder; false if it is at the top
static bool
s_climb (op_t *op, const char *why)
{
    Gridcase__Case *kase = op->kase;
    char queue[GC_HOLDER_MAX];
    Gridcase__Level next = gc_ladder_next (kase, queue);
    if (!next)
        return false;
    gc_op_enter (op, next, queue);
    kase->escalation_count++;
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED, why, NULL);
    return true;
}

void
gc_handle_escalate (op_t *op)
{
    char why[600];
    snprintf (why, sizeof (why), "escalated by %s: %s", op->who_text,
              s_text_or (op->request->escalate->reason, "no reason given"));
    s_climb (op, why);
}

void
gc_handle_claim (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    kase->state = GRIDCASE__STATE__STATE_CLAIMED;
    gc_op_set (&kase->holder, op->who_text);
    //  Taking the case is the response; the lease guards the acceptance
    kase->response_due = 0;
    kase->missed &= ~MISSED_RESPONSE;
    kase->lease_until = op->now + op->config->policy.lease;
    char why[200], span[40];
    snprintf (why, sizeof (why), "claimed from %s; accept within %s", kase->queue,
              gc_duration_text (op->config->policy.lease, span, sizeof (span)));
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_CLAIMED, why, NULL);
}

void
gc_handle_accept (op_t *op)
{
    op->kase->state = GRIDCASE__STATE__STATE_IN_PROGRESS;
    op->kase->lease_until = 0;
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_ACCEPTED, "work started", NULL);
}

void
gc_handle_renew (op_t *op)
{
    op->kase->lease_until = op->now + op->config->policy.lease;
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_RENEWED, "lease renewed", NULL);
}

void
gc_handle_release (op_t *op)
{
    gc_op_requeue (op);
    char why[600];
    snprintf (why, sizeof (why), "released by %s: %s", op->who_text,
              s_text_or (op->request->release->reason, "no reason given"));
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_RELEASED, why, NULL);
}

void
gc_handle_dispatch (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__DispatchRequest *dispatch = op->request->dispatch;
    const char *lead = gc_dispatch_lead (op);
    char queue[GC_HOLDER_MAX], why[700];
    if (!*lead) {
        //  The fallback owner: a category without a department
        gc_holder_name (queue, GC_HOLDER_DISTRICT, kase->district);
        gc_op_set (&kase->dispatched_from, kase->queue);
        gc_op_enter (op, GRIDCASE__LEVEL__LEVEL_DISTRICT, queue);
        snprintf (why, sizeof (why),
                  "category '%s' has no department: the district command centre owns it",
                  kase->category);
        gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED, why, dispatch->note);
        return;
    }
    for (size_t i = 0; i < kase->n_helper_departments; i++)
        free (kase->helper_departments[i]);
    free (kase->helper_departments);
    kase->helper_departments = NULL;
    kase->n_helper_departments = 0;
    if (dispatch->n_helpers) {
        kase->helper_departments = (char **)calloc (dispatch->n_helpers, sizeof (char *));
        for (size_t i = 0; i < dispatch->n_helpers; i++)
            kase->helper_departments[i] = strdup (dispatch->helpers[i]);
        kase->n_helper_departments = dispatch->n_helpers;
    }
    gc_op_set (&kase->lead_department, lead);
    gc_op_set (&kase->dispatched_from, kase->queue);
    gc_holder_name (queue, GC_HOLDER_DEPT, lead);
    gc_op_enter (op, GRIDCASE__LEVEL__LEVEL_DEPARTMENT, queue);
    int at = snprintf (why, sizeof (why), "dispatched by %s to %s as lead", op->who_text, lead);
    for (size_t i = 0; i < dispatch->n_helpers && at < (int)sizeof (why); i++)
        at += snprintf (why + at, sizeof (why) - (size_t)at, "%s%s", i ? ", " : "; helped by ",
                        dispatch->helpers[i]);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED, why, dispatch->note);
}

void
gc_handle_resolve (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char holder[GC_HOLDER_MAX];
    gc_holder_name (holder, GC_HOLDER_GRID, kase->grid);
    gc_op_set (&kase->resolved_by, kase->queue);
    kase->resolved_at = op->now;
    kase->state = GRIDCASE__STATE__STATE_RESOLVED;
    gc_op_set (&kase->holder, holder);
    kase->response_due = kase->resolution_due = kase->lease_until = 0;
    kase->verification_due = op->now + op->config->policy.verification;
    gc_op_clear_pause (kase);
    char why[300];
    snprintf (why, sizeof (why), "resolved by %s for %s; the grid officer verifies on site",
              op->who_text, kase->resolved_by);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_RESOLVED, why, op->request->resolve->note);
}

void
gc_handle_bounce (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const char *reason = op->request->bounce->reason;
    char department[GC_HOLDER_MAX];
    snprintf (department, sizeof (department), "%s", gc_holder_of (kase->queue).id);
    char why[700], queue[GC_HOLDER_MAX];
    kase->bounce_count++;
    if (kase->bounce_count >= 2) {
        gc_holder_name (queue, GC_HOLDER_SUPERVISION, kase->district);
        gc_op_enter (op, GRIDCASE__LEVEL__LEVEL_SUPERVISION, queue);
        snprintf (why, sizeof (why),
                  "bounced by %s (bounce %u): a supervisor arbitrates which department owns it: %s",
                  department, kase->bounce_count, reason);
    } else {
        snprintf (queue, sizeof (queue), "%s", kase->dispatched_from);
        Gridcase__Level level = gc_holder_level_of (queue);
        if (!level || level == GRIDCASE__LEVEL__LEVEL_DEPARTMENT) {
            gc_holder_name (queue, GC_HOLDER_DISTRICT, kase->district);
            level = GRIDCASE__LEVEL__LEVEL_DISTRICT;
        }
        gc_op_enter (op, level, queue);
        snprintf (why, sizeof (why), "bounced by %s back to %s: %s", department, queue, reason);
    }
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_BOUNCED, why, NULL);
}

void
gc_handle_verify (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__VerifyRequest *verify = op->request->verify;
    if (verify->ok) {
        kase->state = GRIDCASE__STATE__STATE_VERIFIED;
        kase->verification_due = 0;
        kase->evaluation_due = op->now + op->config->policy.evaluation;
        gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_VERIFIED,
                      "verified on site by the grid officer; waiting for the resident's evaluation",
                      verify->note);
        return;
    }
    kase->rework_count++;
    gc_op_back_to_resolver (op);
    char why[300];
    snprintf (why, sizeof (why), "verification failed on site: rework %u for %s",
              kase->rework_count, kase->holder);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_REWORK, why, verify->note);
}

void
gc_handle_evaluate (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__EvaluateRequest *evaluate = op->request->evaluate;
    kase->rating = evaluate->rating;
    gc_op_set (&kase->rating_comment, evaluate->comment);
    char why[300];
    if (evaluate->rating <= 2) {
        kase->reopen_count++;
        gc_op_back_to_resolver (op);
        snprintf (why, sizeof (why), "resident dissatisfied (rating %u): reopened to %s",
                  evaluate->rating, kase->holder);
        gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_REOPENED, why, evaluate->comment);
        return;
    }
    kase->state = GRIDCASE__STATE__STATE_CLOSED;
    kase->evaluation_due = 0;
    kase->closed_at = op->now;
    snprintf (why, sizeof (why), "resident rated %u: closed", evaluate->rating);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_EVALUATED, why, evaluate->comment);
}

//  Recomputes the running deadlines from when the case entered its level
static void
s_recompute (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const char *queue = *kase->queue ? kase->queue : kase->holder;
    gc_window_t window = gc_ladder_window (op->config, op->kase, kase->level);
    if (kase->response_due)
        kase->response_due =
            gc_ladder_due (op->config, op->kase, queue, kase->level_since, window.response);
    if (kase->resolution_due)
        kase->resolution_due =
            gc_ladder_due (op->config, op->kase, queue, kase->level_since, window.resolution);
    kase->missed = 0;
}

void
gc_handle_regrade (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__RegradeRequest *regrade = op->request->regrade;
    char why[600];
    snprintf (why, sizeof (why), "%s -> %s: %s", gridcase_severity_name (kase->severity),
              gridcase_severity_name (regrade->severity),
              s_text_or (regrade->reason, "no reason given"));
    kase->severity = regrade->severity;
    if (!kase->paused)
        s_recompute (op);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_REGRADED, why, NULL);
}

void
gc_handle_extend (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ExtendRequest *extend = op->request->extend;
    int64_t until = gc_extend_until (op);
    gc_op_set (&kase->pending_request, extend->park ? "parking" : "extension");
    gc_op_set (&kase->pending_reason, extend->reason);
    kase->pending_until = until;
    char why[700], span[40];
    snprintf (why, sizeof (why), "%s asks to %s for %s: %s", op->who_text,
              extend->park ? "park the case" : "pause the clock",
              gc_duration_text (until - op->now, span, sizeof (span)), extend->reason);
    gc_op_record (op,
                  extend->park ? GRIDCASE__EVENT_TYPE__EVENT_PARKING_REQUESTED
                               : GRIDCASE__EVENT_TYPE__EVENT_EXTENSION_REQUESTED,
                  why, NULL);
}

void
gc_handle_approve (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ApproveRequest *approve = op->request->approve;
    char why[700];
    if (!approve->approve) {
        snprintf (why, sizeof (why), "%s refused: %s", kase->pending_request,
                  s_text_or (approve->reason, "no reason given"));
        gc_op_clear_pause (kase);
        gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_REJECTED, why, NULL);
        return;
    }
    kase->paused = true;
    kase->paused_at = op->now;
    char span[40];
    snprintf (why, sizeof (why), "%s approved: the clock stops for %s: %s", kase->pending_request,
              gc_duration_text (kase->pending_until - op->now, span, sizeof (span)),
              s_text_or (approve->reason, kase->pending_reason));
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_APPROVED, why, NULL);
}

void
gc_handle_arbitrate (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ArbitrateRequest *arbitrate = op->request->arbitrate;
    char queue[GC_HOLDER_MAX], why[700];
    gc_op_set (&kase->lead_department, arbitrate->department);
    kase->arbitrated = true;
    gc_holder_name (queue, GC_HOLDER_DEPT, arbitrate->department);
    gc_op_enter (op, GRIDCASE__LEVEL__LEVEL_DEPARTMENT, queue);
    snprintf (why, sizeof (why), "%s rules that %s owns it; no more bounces: %s", op->who_text,
              arbitrate->department, s_text_or (arbitrate->reason, "no reason given"));
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_ARBITRATED, why, NULL);
}

//  --------------------------------------------------------------------------
//  Applying a request

//  Records on TARGET (loaded into OP) that a duplicate report was linked to it
static void
s_link_into (op_t *op, const char *duplicate, const char *title)
{
    op->kase->linked_reports++;
    char why[300];
    if (duplicate)
        snprintf (why, sizeof (why), "case %s linked to it as a duplicate by %s", duplicate,
                  op->who_text);
    else
        snprintf (why, sizeof (why), "a duplicate report by %s linked to it", op->who_text);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_LINKED, why, title);
}

//  A new case at its grid, or (link_to) a duplicate report added to an open case
void
gc_handle_report (op_t *op)
{
    const Gridcase__ReportRequest *report = op->request->report;
    gc_grid_t *grid = op->grid; //  its guard found it
    gc_category_t *category = gc_config_category (op->config, report->category);
    gc_community_t *community = grid->community;
    if (*report->link_to) {
        s_link_into (op, NULL, report->title); //  the guard loaded the case
        return;
    }
    uint32_t day = gc_local_day (op->now);
    uint32_t number = gc_txn_case_next_number (op->txn, day);
    if (number == 0)
        return;
    char id[GC_CASE_ID_MAX], holder[GC_HOLDER_MAX];
    gc_case_id_format (day, number, id, sizeof (id));
    gc_holder_name (holder, GC_HOLDER_GRID, grid->id);

    Gridcase__Case *kase = (Gridcase__Case *)calloc (1, sizeof (Gridcase__Case));
    gridcase__case__init (kase);
    op->kase = kase;
    gc_op_set (&kase->id, id);
    gc_op_set (&kase->grid, grid->id);
    gc_op_set (&kase->community, community->id);
    gc_op_set (&kase->street, community->street->id);
    gc_op_set (&kase->district, community->street->district->id);
    gc_op_set (&kase->category, category->id);
    kase->severity = report->severity ? report->severity : category->severity;
    gc_op_set (&kase->title, report->title);
    gc_op_set (&kase->description, report->description);
    gc_op_set (&kase->address, report->address);
    if (report->location) {
        kase->location = (Gridcase__Location *)calloc (1, sizeof (Gridcase__Location));
        gridcase__location__init (kase->location);
        kase->location->lat = report->location->lat;
        kase->location->lon = report->location->lon;
    }
    if (report->contact &&
        (*report->contact->name || *report->contact->phone || *report->contact->email)) {
        kase->contact = (Gridcase__Contact *)calloc (1, sizeof (Gridcase__Contact));
        gridcase__contact__init (kase->contact);
        gc_op_set (&kase->contact->name, report->contact->name);
        gc_op_set (&kase->contact->phone, report->contact->phone);
        gc_op_set (&kase->contact->email, report->contact->email);
    }
    gc_op_set (&kase->via, op->via ? op->via->id : "");
    kase->reporter = (Gridcase__Actor *)calloc (1, sizeof (Gridcase__Actor));
    gridcase__actor__init (kase->reporter);
    kase->reporter->role = op->actor->role;
    gc_op_set (&kase->reporter->id, op->actor->id);
    kase->created_at = op->now;
    gc_op_set (&kase->lead_department, category->department ? category->department->id : "");
    gc_op_enter (op, GRIDCASE__LEVEL__LEVEL_GRID, holder);
    op->from[0] = 0;
    char why[200], span[40];
    snprintf (why, sizeof (why), "reported; the officer settles it on the spot within %s",
              gc_duration_text (
                  gc_ladder_window (op->config, op->kase, GRIDCASE__LEVEL__LEVEL_GRID).resolution,
                  span, sizeof (span)));
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_REPORTED, why, report->title);
}

void
gc_handle_link (op_t *op)
{
    //  The duplicate closes, pointing at the case that goes on (its guard
    //  loaded it)
    Gridcase__Case *kase = op->kase, *target = op->other;
    op->other = NULL;
    char why[300];
    gc_op_set (&kase->duplicate_of, target->id);
    kase->state = GRIDCASE__STATE__STATE_CLOSED;
    kase->closed_at = op->now;
    gc_op_clear_pause (kase);
    snprintf (why, sizeof (why), "closed as a duplicate of case %s by %s", target->id,
              op->who_text);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_LINKED, why, NULL);
    char duplicate[GC_CASE_ID_MAX];
    snprintf (duplicate, sizeof (duplicate), "%s", kase->id);
    gridcase__case__free_unpacked (kase, NULL);
    op->kase = target;
    gc_op_begin (op);
    s_link_into (op, duplicate, NULL);
}

//  --------------------------------------------------------------------------
//  Deadlines: the daemon's own events

//  Where a missed response or resolution deadline takes the case. WHY says
//  what was missed; the ladder decides the rest.
static void
s_missed (op_t *op, gc_deadline_kind_t kind, const char *why)
{
    Gridcase__Case *kase = op->kase;
    bool response = kind == GC_DEADLINE_RESPONSE;
    char text[600];
    if (kase->level == GRIDCASE__LEVEL__LEVEL_DEPARTMENT) {
        //  The department keeps the work, under a supervisor's eye, with a
        //  new deadline
        kase->level = GRIDCASE__LEVEL__LEVEL_SUPERVISION;
        kase->level_since = op->now;
        s_recompute (op);
        kase->escalation_count++;
        snprintf (text, sizeof (text), "%s: flagged for supervision", why);
        gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION, text, NULL);
        return;
    }
    snprintf (text, sizeof (text), "%s: escalated", why);
    if (!s_climb (op, text)) {
        //  The top of the ladder: record it once; supervisors see it overdue
        kase->missed |= response ? MISSED_RESPONSE : MISSED_RESOLUTION;
        snprintf (text, sizeof (text), "%s; the district command centre is the top of the ladder",
                  why);
        gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_OVERDUE, text, NULL);
    }
}

//  "deadline missed: committee/haihong did not take it within 15 min (due ...)"
static void
s_missed_text (op_t *op, gc_deadline_kind_t kind, char *why, size_t size)
{
    Gridcase__Case *kase = op->kase;
    bool response = kind == GC_DEADLINE_RESPONSE;
    int64_t due = response ? kase->response_due : kase->resolution_due;
    char span[40], when[40];
    gc_local_time_text (due, when, sizeof (when));
    gc_window_t window = gc_ladder_window (op->config, op->kase, kase->level);
    gc_duration_text (response ? window.response : window.resolution, span, sizeof (span));
    if (kase->level == GRIDCASE__LEVEL__LEVEL_GRID)
        snprintf (why, size,
                  "deadline missed: the grid officer did not settle it on the spot within %s "
                  "(due %s)",
                  span, when);
    else
        snprintf (why, size, "deadline missed: %s did not %s it within %s (due %s)", op->from,
                  response ? "take" : "resolve", span, when);
}

void
gc_handle_lease_expired (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char span[40], why[400];
    snprintf (why, sizeof (why), "lease expired: %s did not accept it within %s", op->from,
              gc_duration_text (op->config->policy.lease, span, sizeof (span)));
    gc_op_requeue (op);
    if (kase->delivery_count >= op->config->policy.max_deliveries) {
        char more[500];
        snprintf (more, sizeof (more), "%s; returned to %s %u times without being accepted", why,
                  kase->queue, kase->delivery_count);
        s_missed (op, GC_DEADLINE_RESPONSE, more);
        return;
    }
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_LEASE_EXPIRED, why, NULL);
}

//  Shifts every running deadline by the length of the pause that ends now
void
gc_handle_resume (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    //  The clock stood still from approval to the end asked for
    int64_t paused = kase->pending_until - kase->paused_at;
    if (kase->response_due)
        kase->response_due += paused;
    if (kase->resolution_due)
        kase->resolution_due += paused;
    if (kase->lease_until)
        kase->lease_until += paused;
    char why[300], span[40];
    snprintf (why, sizeof (why), "%s ended after %s: the clock runs again", kase->pending_request,
              gc_duration_text (paused, span, sizeof (span)));
    gc_op_clear_pause (kase);
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_RESUMED, why, NULL);
}

//  The timer events' handlers

void
gc_handle_deadline_missed (op_t *op)
{
    char why[400];
    s_missed_text (op, op->deadline, why, sizeof (why));
    s_missed (op, op->deadline, why);
}

void
gc_handle_unverified (op_t *op)
{
    char span[40], why[300];
    snprintf (why, sizeof (why),
              "not verified on site within %s: taken as verified; waiting for the resident's "
              "evaluation",
              gc_duration_text (op->config->policy.verification, span, sizeof (span)));
    op->kase->state = GRIDCASE__STATE__STATE_VERIFIED;
    op->kase->verification_due = 0;
    op->kase->evaluation_due = op->now + op->config->policy.evaluation;
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_VERIFIED, why, NULL);
}

void
gc_handle_unrated (op_t *op)
{
    char span[40], why[300];
    snprintf (why, sizeof (why), "no rating within %s: closed",
              gc_duration_text (op->config->policy.evaluation, span, sizeof (span)));
    op->kase->state = GRIDCASE__STATE__STATE_CLOSED;
    op->kase->evaluation_due = 0;
    op->kase->closed_at = op->now;
    gc_op_record (op, GRIDCASE__EVENT_TYPE__EVENT_CLOSED, why, NULL);
}
