/*  gc_lifecycle - the case state machine. See gc_lifecycle.h.

    Every case has exactly one holder: "grid/<grid>" (the officer), a queue
    ("committee/<community>", "street/<street>", "district/<district>",
    "dept/<department>", "supervision/<district>") or an actor holding a
    lease ("worker:w-gas-1"). The table s_transitions says, for each
    operation, in which states and by which roles it is allowed and whose
    scope it needs; the handlers below it say what it does. Missed deadlines
    are the daemon's own events, handled at the end of this file. */
#include "gc_lifecycle.h"
#include "gc_figures.h"
#include "gc_util.h"

#include <errno.h>
#include <math.h>

#define GC_TOPICS_MAX 64

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
    Gridcase__Actor who;              //  the actor as the journal names it
    char who_text[80];                //  "worker:w-gas-1"
    int64_t now;
    gc_reply_t *out;
    zlistx_t *notices;
    Gridcase__Case *kase; //  owned, as if unpacked with the system allocator
    index_t before;
    gc_figures_snap_t figures; //  the case as the figures knew it before the change
    char from[GC_HOLDER_MAX];  //  the holder before the change
    bool refused;              //  a reply with an error is set
} op_t;

//  --------------------------------------------------------------------------
//  Small helpers

//  Replaces a string field of an owned message
static void
s_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (value ? value : "");
}

static void s_refuse (op_t *op, Gridcase__ErrorCode code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_refuse (op_t *op, Gridcase__ErrorCode code, const char *format, ...)
{
    char message[512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    gc_reply_error (op->out, op->request, code, "%s", message);
    op->refused = true;
}

static const char *
s_state_name (Gridcase__State state)
{
    static const char *names[] = {"unspecified", "at_grid",  "queued", "claimed",
                                  "in_progress", "resolved", "closed", "verified"};
    return state < 8 ? names[state] : "?";
}

static const char *
s_severity_name (Gridcase__Severity severity)
{
    static const char *names[] = {"unspecified", "red", "yellow", "green"};
    return severity < 4 ? names[severity] : "?";
}

//  The level a queue (or grid) belongs to
static Gridcase__Level
s_queue_level (const char *queue)
{
    if (gc_prefixed (queue, "grid/", NULL))
        return GRIDCASE__LEVEL__LEVEL_GRID;
    if (gc_prefixed (queue, "committee/", NULL))
        return GRIDCASE__LEVEL__LEVEL_COMMUNITY;
    if (gc_prefixed (queue, "street/", NULL))
        return GRIDCASE__LEVEL__LEVEL_STREET;
    if (gc_prefixed (queue, "district/", NULL))
        return GRIDCASE__LEVEL__LEVEL_DISTRICT;
    if (gc_prefixed (queue, "dept/", NULL))
        return GRIDCASE__LEVEL__LEVEL_DEPARTMENT;
    if (gc_prefixed (queue, "supervision/", NULL))
        return GRIDCASE__LEVEL__LEVEL_SUPERVISION;
    return GRIDCASE__LEVEL__LEVEL_UNSPECIFIED;
}

//  The service hours that count for a case held by QUEUE
static const gc_calendar_t *
s_calendar (op_t *op, const char *queue)
{
    gc_config_t *config = op->config;
    const gc_calendar_t *calendar = config->policy.severity_calendar[op->kase->severity];
    if (calendar)
        return calendar;
    const char *id;
    const gc_calendar_t *found = NULL;
    if (gc_prefixed (queue, "grid/", &id)) {
        gc_grid_t *grid = gc_config_grid (config, id);
        found = grid ? grid->calendar : NULL;
    } else if (gc_prefixed (queue, "committee/", &id)) {
        gc_community_t *community = gc_config_community (config, id);
        found = community ? community->calendar : NULL;
    } else if (gc_prefixed (queue, "street/", &id)) {
        gc_street_t *street = gc_config_street (config, id);
        found = street ? street->calendar : NULL;
    } else if (gc_prefixed (queue, "district/", &id) || gc_prefixed (queue, "supervision/", &id)) {
        gc_district_t *district = gc_config_district (config, id);
        found = district ? district->calendar : NULL;
    } else if (gc_prefixed (queue, "dept/", &id)) {
        gc_department_t *department = gc_config_department (config, id);
        found = department ? department->calendar : NULL;
    }
    return found ? found : config->policy.calendar;
}

static gc_window_t
s_window (op_t *op, Gridcase__Level level)
{
    gc_category_t *category = gc_config_category (op->config, op->kase->category);
    if (!category) {
        //  A category removed from the config: its cases keep the general rules
        return op->config->policy.windows.window[level][op->kase->severity];
    }
    return category->windows.window[level][op->kase->severity];
}

static int64_t
s_due (op_t *op, const char *queue, int64_t start, int64_t duration)
{
    return duration > 0 ? gc_calendar_due (s_calendar (op, queue), start, duration) : 0;
}

static void
s_holder_queue (char *buffer, const char *prefix, const char *id)
{
    gc_join (buffer, GC_HOLDER_MAX, prefix, '/', id);
}

//  The queue one step up the ladder from LEVEL for this case
static Gridcase__Level
s_next_level (const Gridcase__Case *kase, char *queue)
{
    switch (kase->level) {
        case GRIDCASE__LEVEL__LEVEL_GRID:
            s_holder_queue (queue, "committee", kase->community);
            return GRIDCASE__LEVEL__LEVEL_COMMUNITY;
        case GRIDCASE__LEVEL__LEVEL_COMMUNITY:
            s_holder_queue (queue, "street", kase->street);
            return GRIDCASE__LEVEL__LEVEL_STREET;
        case GRIDCASE__LEVEL__LEVEL_STREET:
        case GRIDCASE__LEVEL__LEVEL_SUPERVISION:
            s_holder_queue (queue, "district", kase->district);
            return GRIDCASE__LEVEL__LEVEL_DISTRICT;
        default:
            return GRIDCASE__LEVEL__LEVEL_UNSPECIFIED; //  district: the top; department:
                                                       //  supervision
    }
}

//  --------------------------------------------------------------------------
//  Scope: who may act on what

//  The actor's area holds the case (a worker: the case concerns its department)
static bool
s_in_area (const gc_actor_t *actor, const Gridcase__Case *kase)
{
    return gc_actor_sees_case (actor, kase);
}

//  The actor works queue QUEUE of this case
static bool
s_serves (const gc_actor_t *actor, const char *queue, const Gridcase__Case *kase)
{
    const char *id;
    switch (actor->role) {
        case GRIDCASE__ROLE__ROLE_COMMITTEE:
            return gc_prefixed (queue, "committee/", &id) && streq (id, actor->community->id);
        case GRIDCASE__ROLE__ROLE_STREET:
            return gc_prefixed (queue, "street/", &id) && streq (id, actor->street->id);
        case GRIDCASE__ROLE__ROLE_WORKER:
            return gc_prefixed (queue, "dept/", &id) && streq (id, actor->department->id);
        case GRIDCASE__ROLE__ROLE_SUPERVISOR:
            //  A district supervisor works the district's queues; either kind
            //  may step in for a committee or street queue in their area
            if (gc_prefixed (queue, "district/", &id) || gc_prefixed (queue, "supervision/", &id))
                return actor->district && streq (id, actor->district->id);
            return (gc_prefixed (queue, "committee/", NULL) ||
                    gc_prefixed (queue, "street/", NULL)) &&
                   (!kase || s_in_area (actor, kase));
        default:
            return false;
    }
}

//  The actor holds the case: the officer of its grid, someone working its
//  queue, or the holder of its lease
static bool
s_holds (const op_t *op)
{
    const Gridcase__Case *kase = op->kase;
    switch (kase->state) {
        case GRIDCASE__STATE__STATE_AT_GRID:
            return op->actor->role == GRIDCASE__ROLE__ROLE_OFFICER && s_in_area (op->actor, kase);
        case GRIDCASE__STATE__STATE_QUEUED:
            return s_serves (op->actor, kase->queue, kase);
        case GRIDCASE__STATE__STATE_CLAIMED:
        case GRIDCASE__STATE__STATE_IN_PROGRESS:
            return streq (kase->holder, op->who_text);
        default:
            return false;
    }
}

typedef enum {
    SCOPE_AREA,   //  the case is in the actor's area
    SCOPE_HOLDER, //  the actor holds the case
    SCOPE_LEASE,  //  the actor holds the case's lease
    SCOPE_QUEUE,  //  the actor works the case's queue
} scope_t;

static bool
s_scope_ok (op_t *op, scope_t scope)
{
    switch (scope) {
        case SCOPE_AREA:
            return s_in_area (op->actor, op->kase);
        case SCOPE_HOLDER:
            //  A supervisor may step in wherever the case is in their area
            return s_holds (op) || (op->actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR &&
                                    s_in_area (op->actor, op->kase));
        case SCOPE_LEASE:
            return streq (op->kase->holder, op->who_text);
        case SCOPE_QUEUE:
            return s_serves (op->actor, op->kase->queue, op->kase);
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

static bool
s_has_deadline (const index_t *index, int64_t due, uint8_t kind)
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

//  Stores the case (its packed bytes PACKED of SIZE) and keeps its deadline
//  and queue index entries in step with it. Every failure of these writes
//  sticks in TXN (gc_txn_error), so nothing half-done is ever committed.
static void
s_save (gc_txn_t *txn, const Gridcase__Case *kase, const void *packed, size_t size,
        const index_t *before)
{
    index_t after;
    gc_case_index (kase, &after);
    for (size_t i = 0; i < before->deadlines; i++)
        if (!s_has_deadline (&after, before->due[i], before->kind[i]))
            gc_txn_deadline_del (txn, before->due[i], kase->id, before->kind[i]);
    for (size_t i = 0; i < after.deadlines; i++)
        if (!s_has_deadline (before, after.due[i], after.kind[i]))
            gc_txn_deadline_put (txn, after.due[i], kase->id, after.kind[i]);
    if (!s_same_queue_entry (before, &after)) {
        if (before->queued)
            gc_txn_queue_del (txn, before->queue, before->severity, before->queue_due, kase->id);
        if (after.queued)
            gc_txn_queue_put (txn, after.queue, after.severity, after.queue_due, kase->id);
    }
    gc_txn_case_put_packed (txn, kase->id, packed, size);
}

//  The topic that follows a holder: a lease holder's case stays on its queue
static const char *
s_topic_of (const Gridcase__Case *kase, const char *holder)
{
    if (!*holder)
        return NULL;
    return strchr (holder, ':') ? kase->queue : holder;
}

static void
s_topic_add (char **topics, size_t *count, char *storage, size_t *used, const char *topic)
{
    if (!topic || !*topic || *count == GC_TOPICS_MAX)
        return;
    for (size_t i = 0; i < *count; i++)
        if (streq (topics[i], topic))
            return;
    size_t len = strlen (topic) + 1;
    if (*used + len > GC_TOPICS_MAX * GC_HOLDER_MAX)
        return;
    memcpy (storage + *used, topic, len);
    topics[(*count)++] = storage + *used;
    *used += len;
}

//  Indexes a log entry under each area and department it concerns
static void
s_log_index (gc_txn_t *txn, const Gridcase__JournalEntry *entry)
{
    char key[GC_FIGURES_KEY_MAX];
    for (size_t i = 0; gc_log_key (entry, i, key, sizeof (key)); i++)
        gc_txn_log_put (txn, key, entry->seq);
}

//  Appends ENTRY to the journal with the topics it concerns, and queues a
//  notice on each, chained to that topic's previous notice
//  Topic heads (the seq of each topic's last notice) change many times in a
//  batch: the transaction keeps them in memory and writes each once
typedef struct {
    uint64_t seq;
} head_t;

static void
s_heads_finish (gc_txn_t *txn, void *state, bool write)
{
    zhashx_t *heads = (zhashx_t *)state;
    for (head_t *head = (head_t *)zhashx_first (heads); write && head;
         head = (head_t *)zhashx_next (heads)) {
        gc_key_t key, seq;
        gc_key_reset (&key);
        gc_key_str (&key, (const char *)zhashx_cursor (heads));
        gc_key_reset (&seq);
        gc_key_u64 (&seq, head->seq);
        gc_txn_put (txn, GC_DB_TOPICS, &key, seq.data, 8);
    }
    zhashx_destroy (&heads);
}

static void
s_head_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

//  Makes SEQ the head of TOPIC; returns the head before it (0: none)
static uint64_t
s_topic_advance (gc_txn_t *txn, const char *topic, uint64_t seq)
{
    zhashx_t *heads = (zhashx_t *)gc_txn_pending (txn, GC_PENDING_TOPICS);
    if (!heads) {
        heads = zhashx_new ();
        zhashx_set_destructor (heads, s_head_destroy);
        gc_txn_set_pending (txn, GC_PENDING_TOPICS, heads, s_heads_finish);
    }
    head_t *head = (head_t *)zhashx_lookup (heads, topic);
    if (!head) {
        head = (head_t *)zmalloc (sizeof (head_t));
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_str (&key, topic);
        const void *value;
        size_t size;
        if (gc_txn_get (txn, GC_DB_TOPICS, &key, &value, &size) == GC_OK && size == 8)
            head->seq = gc_be64 ((const uint8_t *)value);
        zhashx_insert (heads, topic, head);
    }
    uint64_t prev = head->seq;
    head->seq = seq;
    return prev;
}

//  A packed Notice: NOTICE's own fields, then the journal entry as stored
//  (field 4, packed once for all the topics it goes out on)
static zframe_t *
s_notice_frame (const Gridcase__Notice *notice, const void *entry, size_t entry_size)
{
    size_t head = gridcase__notice__get_packed_size (notice);
    uint8_t field[GC_PB_HEAD_MAX];
    size_t field_size = gc_pb_head (field, 4, entry_size);
    zframe_t *frame = zframe_new (NULL, head + field_size + entry_size);
    uint8_t *data = zframe_data (frame);
    gridcase__notice__pack (notice, data);
    memcpy (data + head, field, field_size);
    memcpy (data + head + field_size, entry, entry_size);
    return frame;
}

static void
s_journal (op_t *op, Gridcase__JournalEntry *entry)
{
    const Gridcase__Case *kase = op->kase;
    char *topics[GC_TOPICS_MAX];
    char storage[GC_TOPICS_MAX * GC_HOLDER_MAX];
    size_t count = 0, used = 0;
    char extra[GC_HOLDER_MAX];
    s_topic_add (topics, &count, storage, &used, s_topic_of (kase, entry->from));
    s_topic_add (topics, &count, storage, &used, s_topic_of (kase, entry->to));
    gc_grid_t *grid = gc_config_grid (op->config, kase->grid);
    for (size_t i = 0; grid && i < grid->officers; i++) {
        s_holder_queue (extra, "officer", grid->officer[i]->id);
        s_topic_add (topics, &count, storage, &used, extra);
    }
    for (size_t i = 0; i < kase->n_helper_departments; i++) {
        s_holder_queue (extra, "dept", kase->helper_departments[i]);
        s_topic_add (topics, &count, storage, &used, extra);
    }
    if (gc_log_event (entry->type)) {
        s_holder_queue (extra, "supervision", kase->district);
        s_topic_add (topics, &count, storage, &used, extra);
        //  The escalation log of each area and department it concerns
        char key[GC_FIGURES_KEY_MAX];
        for (size_t i = 0; gc_log_key (entry, i, key, sizeof (key)); i++) {
            snprintf (extra, sizeof (extra), "log/%s", key);
            s_topic_add (topics, &count, storage, &used, extra);
        }
    }
    s_topic_add (topics, &count, storage, &used, "log");
    entry->topics = topics;
    entry->n_topics = count;

    uint8_t prev_hash[GC_HASH_SIZE];
    entry->prev_hash.data = prev_hash;
    const void *packed;
    size_t packed_size;
    if (gc_txn_journal_append (op->txn, entry) == GC_OK &&
        gc_txn_journal_get (op->txn, entry->seq, &packed, &packed_size) == GC_OK) {
        if (gc_log_event (entry->type))
            s_log_index (op->txn, entry);
        for (size_t i = 0; i < count; i++) {
            Gridcase__Notice notice = GRIDCASE__NOTICE__INIT;
            notice.topic = topics[i];
            notice.seq = entry->seq;
            notice.prev_seq = s_topic_advance (op->txn, topics[i], entry->seq);
            zmsg_t *msg = zmsg_new ();
            zmsg_addstr (msg, topics[i]);
            zframe_t *frame = s_notice_frame (&notice, packed, packed_size);
            zmsg_append (msg, &frame);
            zlistx_add_end (op->notices, msg);
        }
    }
    entry->prev_hash.data = NULL;
    entry->prev_hash.len = 0;
    entry->topics = NULL;
    entry->n_topics = 0;
}

//  From here on, changes to the case are measured against what it is now
static void
s_begin (op_t *op)
{
    gc_case_index (op->kase, &op->before);
    gc_figures_snap (op->kase, &op->figures);
    gc_copy (op->from, sizeof (op->from), op->kase->holder);
}

//  Journals the change made to the case as event TYPE and stores the case
static void
s_record (op_t *op, Gridcase__EventType type, const char *reason, const char *detail)
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
    kase->journal_seq = gc_txn_journal_last (op->txn) + 1;
    gc_figures_count (op->txn, kase, &op->figures, type, op->actor == NULL, op->now);
    size_t size = gridcase__case__get_packed_size (kase);
    uint8_t stack[4096], hash[GC_HASH_SIZE];
    uint8_t *packed = size <= sizeof (stack) ? stack : (uint8_t *)malloc (size);
    if (!packed) {
        gc_txn_fail (op->txn, ENOMEM, "cases"); //  nothing of the batch is committed
        return;
    }
    gridcase__case__pack (kase, packed);
    gc_hash (packed, size, hash);
    entry.case_sha256.data = hash;
    entry.case_sha256.len = GC_HASH_SIZE;
    s_journal (op, &entry);
    assert (entry.seq == kase->journal_seq || gc_txn_error (op->txn));
    s_save (op->txn, kase, packed, size, &op->before);
    if (packed != stack)
        free (packed);
    s_begin (op);
}

//  Ends any pause or pending request: the case moves on
static void
s_clear_pause (Gridcase__Case *kase)
{
    kase->paused = false;
    kase->paused_at = 0;
    s_set (&kase->pending_request, "");
    s_set (&kase->pending_reason, "");
    kase->pending_until = 0;
}

//  Puts the case at LEVEL in QUEUE (for the grid: "grid/<id>") with fresh
//  deadlines counted from now in the queue's service hours
static void
s_enter (op_t *op, Gridcase__Level level, const char *queue)
{
    Gridcase__Case *kase = op->kase;
    bool grid = level == GRIDCASE__LEVEL__LEVEL_GRID;
    kase->level = level;
    kase->state = grid ? GRIDCASE__STATE__STATE_AT_GRID : GRIDCASE__STATE__STATE_QUEUED;
    s_set (&kase->holder, queue);
    s_set (&kase->queue, grid ? "" : queue);
    kase->level_since = op->now;
    kase->missed = 0;
    kase->lease_until = 0;
    kase->verification_due = 0;
    kase->evaluation_due = 0;
    gc_window_t window = s_window (op, level);
    kase->response_due = grid ? 0 : s_due (op, queue, op->now, window.response);
    kase->resolution_due = s_due (op, queue, op->now, window.resolution);
    s_clear_pause (kase);
}

//  Back to its queue after a lease ends, with a fresh response window
static void
s_requeue (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    kase->state = GRIDCASE__STATE__STATE_QUEUED;
    s_set (&kase->holder, kase->queue);
    kase->lease_until = 0;
    kase->delivery_count++;
    kase->missed &= ~MISSED_RESPONSE;
    kase->response_due = s_due (op, kase->queue, op->now, s_window (op, kase->level).response);
}

//  Returns the case to whoever resolved it (rework, dissatisfied rating)
static void
s_back_to_resolver (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char queue[GC_HOLDER_MAX];
    snprintf (queue, sizeof (queue), "%s", *kase->resolved_by ? kase->resolved_by : kase->queue);
    Gridcase__Level level = s_queue_level (queue);
    if (!level) {
        s_holder_queue (queue, "district", kase->district);
        level = GRIDCASE__LEVEL__LEVEL_DISTRICT;
    }
    s_enter (op, level, queue);
}

//  --------------------------------------------------------------------------
//  Handlers: the table's "what it does". Each may still refuse (bad
//  argument) before its first change; s_record stores the change.

static const char *
s_text_or (const char *text, const char *fallback)
{
    return text && *text ? text : fallback;
}

static void
s_on_note (op_t *op)
{
    const char *text = op->request->note->text;
    if (!*text) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT, "a note needs text");
        return;
    }
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_NOTE, "note", text);
}

static void
s_on_resolve_on_site (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char holder[GC_HOLDER_MAX];
    s_holder_queue (holder, "grid", kase->grid);
    kase->state = GRIDCASE__STATE__STATE_VERIFIED;
    s_set (&kase->resolved_by, holder);
    kase->resolved_at = op->now;
    kase->response_due = kase->resolution_due = 0;
    //  The officer was there: no second visit to verify
    kase->evaluation_due = op->now + op->config->policy.evaluation;
    s_clear_pause (kase);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_RESOLVED_ON_SITE,
              "settled on the spot by the grid officer; waiting for the resident's evaluation",
              op->request->resolve_on_site->note);
}

//  Moves the case one step up the ladder; false if it is at the top
static bool
s_climb (op_t *op, const char *why)
{
    Gridcase__Case *kase = op->kase;
    char queue[GC_HOLDER_MAX];
    Gridcase__Level next = s_next_level (kase, queue);
    if (!next)
        return false;
    s_enter (op, next, queue);
    kase->escalation_count++;
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_ESCALATED, why, NULL);
    return true;
}

static void
s_on_escalate (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    if (kase->level == GRIDCASE__LEVEL__LEVEL_DEPARTMENT) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s is with department %s: a department bounces a case, it does not "
                  "escalate it",
                  kase->id, kase->lead_department);
        return;
    }
    if (kase->level == GRIDCASE__LEVEL__LEVEL_DISTRICT) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s is at the district command centre, the top of the ladder", kase->id);
        return;
    }
    char why[600];
    snprintf (why, sizeof (why), "escalated by %s: %s", op->who_text,
              s_text_or (op->request->escalate->reason, "no reason given"));
    s_climb (op, why);
}

static void
s_on_claim (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    kase->state = GRIDCASE__STATE__STATE_CLAIMED;
    s_set (&kase->holder, op->who_text);
    //  Taking the case is the response; the lease guards the acceptance
    kase->response_due = 0;
    kase->missed &= ~MISSED_RESPONSE;
    kase->lease_until = op->now + op->config->policy.lease;
    char why[200], span[40];
    snprintf (why, sizeof (why), "claimed from %s; accept within %s", kase->queue,
              gc_duration_text (op->config->policy.lease, span, sizeof (span)));
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_CLAIMED, why, NULL);
}

static void
s_on_accept (op_t *op)
{
    op->kase->state = GRIDCASE__STATE__STATE_IN_PROGRESS;
    op->kase->lease_until = 0;
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_ACCEPTED, "work started", NULL);
}

static void
s_on_renew (op_t *op)
{
    op->kase->lease_until = op->now + op->config->policy.lease;
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_RENEWED, "lease renewed", NULL);
}

static void
s_on_release (op_t *op)
{
    s_requeue (op);
    char why[600];
    snprintf (why, sizeof (why), "released by %s: %s", op->who_text,
              s_text_or (op->request->release->reason, "no reason given"));
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_RELEASED, why, NULL);
}

static void
s_on_dispatch (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__DispatchRequest *dispatch = op->request->dispatch;
    if (!gc_prefixed (kase->queue, "committee/", NULL) &&
        !gc_prefixed (kase->queue, "street/", NULL) &&
        !gc_prefixed (kase->queue, "district/", NULL) &&
        !gc_prefixed (kase->queue, "supervision/", NULL)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s is not with a committee, street office or the district: it cannot be "
                  "dispatched from %s",
                  kase->id, kase->holder);
        return;
    }
    gc_category_t *category = gc_config_category (op->config, kase->category);
    const char *lead = *dispatch->lead                    ? dispatch->lead
                       : category && category->department ? category->department->id
                                                          : "";
    if (*lead && !gc_config_department (op->config, lead)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT, "unknown department '%s'",
                  lead);
        return;
    }
    for (size_t i = 0; i < dispatch->n_helpers; i++) {
        if (!gc_config_department (op->config, dispatch->helpers[i])) {
            s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT,
                      "unknown helper department '%s'", dispatch->helpers[i]);
            return;
        }
        if (streq (dispatch->helpers[i], lead)) {
            s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "department '%s' cannot lead and help at once", lead);
            return;
        }
    }
    char queue[GC_HOLDER_MAX], why[700];
    if (!*lead) {
        //  The fallback owner: a category without a department
        if (kase->level == GRIDCASE__LEVEL__LEVEL_DISTRICT) {
            s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                      "category '%s' has no department: name the lead department", kase->category);
            return;
        }
        s_holder_queue (queue, "district", kase->district);
        s_set (&kase->dispatched_from, kase->queue);
        s_enter (op, GRIDCASE__LEVEL__LEVEL_DISTRICT, queue);
        snprintf (why, sizeof (why),
                  "category '%s' has no department: the district command centre owns it",
                  kase->category);
        s_record (op, GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED, why, dispatch->note);
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
    s_set (&kase->lead_department, lead);
    s_set (&kase->dispatched_from, kase->queue);
    s_holder_queue (queue, "dept", lead);
    s_enter (op, GRIDCASE__LEVEL__LEVEL_DEPARTMENT, queue);
    int at = snprintf (why, sizeof (why), "dispatched by %s to %s as lead", op->who_text, lead);
    for (size_t i = 0; i < dispatch->n_helpers && at < (int)sizeof (why); i++)
        at += snprintf (why + at, sizeof (why) - (size_t)at, "%s%s", i ? ", " : "; helped by ",
                        dispatch->helpers[i]);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED, why, dispatch->note);
}

static void
s_on_resolve (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char holder[GC_HOLDER_MAX];
    s_holder_queue (holder, "grid", kase->grid);
    s_set (&kase->resolved_by, kase->queue);
    kase->resolved_at = op->now;
    kase->state = GRIDCASE__STATE__STATE_RESOLVED;
    s_set (&kase->holder, holder);
    kase->response_due = kase->resolution_due = kase->lease_until = 0;
    kase->verification_due = op->now + op->config->policy.verification;
    s_clear_pause (kase);
    char why[300];
    snprintf (why, sizeof (why), "resolved by %s for %s; the grid officer verifies on site",
              op->who_text, kase->resolved_by);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_RESOLVED, why, op->request->resolve->note);
}

static void
s_on_bounce (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const char *reason = op->request->bounce->reason;
    const char *rest;
    char department[GC_HOLDER_MAX];
    if (!gc_prefixed (kase->queue, "dept/", &rest)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s is not with a department; only a department bounces a case", kase->id);
        return;
    }
    snprintf (department, sizeof (department), "%s", rest);
    if (!*reason) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "a bounce needs a reason: why is case %s not the department's", kase->id);
        return;
    }
    if (kase->arbitrated) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s was arbitrated to %s by a supervisor: it cannot be bounced again",
                  kase->id, department);
        return;
    }
    char why[700], queue[GC_HOLDER_MAX];
    kase->bounce_count++;
    if (kase->bounce_count >= 2) {
        s_holder_queue (queue, "supervision", kase->district);
        s_enter (op, GRIDCASE__LEVEL__LEVEL_SUPERVISION, queue);
        snprintf (why, sizeof (why),
                  "bounced by %s (bounce %u): a supervisor arbitrates which department owns it: %s",
                  department, kase->bounce_count, reason);
    } else {
        snprintf (queue, sizeof (queue), "%s", kase->dispatched_from);
        Gridcase__Level level = s_queue_level (queue);
        if (!level || level == GRIDCASE__LEVEL__LEVEL_DEPARTMENT) {
            s_holder_queue (queue, "district", kase->district);
            level = GRIDCASE__LEVEL__LEVEL_DISTRICT;
        }
        s_enter (op, level, queue);
        snprintf (why, sizeof (why), "bounced by %s back to %s: %s", department, queue, reason);
    }
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_BOUNCED, why, NULL);
}

static void
s_on_verify (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__VerifyRequest *verify = op->request->verify;
    if (verify->ok) {
        kase->state = GRIDCASE__STATE__STATE_VERIFIED;
        kase->verification_due = 0;
        kase->evaluation_due = op->now + op->config->policy.evaluation;
        s_record (op, GRIDCASE__EVENT_TYPE__EVENT_VERIFIED,
                  "verified on site by the grid officer; waiting for the resident's evaluation",
                  verify->note);
        return;
    }
    kase->rework_count++;
    s_back_to_resolver (op);
    char why[300];
    snprintf (why, sizeof (why), "verification failed on site: rework %u for %s",
              kase->rework_count, kase->holder);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_REWORK, why, verify->note);
}

static void
s_on_evaluate (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__EvaluateRequest *evaluate = op->request->evaluate;
    if (evaluate->rating < 1 || evaluate->rating > 5) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT, "a rating is 1 to 5, not %u",
                  evaluate->rating);
        return;
    }
    kase->rating = evaluate->rating;
    s_set (&kase->rating_comment, evaluate->comment);
    char why[300];
    if (evaluate->rating <= 2) {
        kase->reopen_count++;
        s_back_to_resolver (op);
        snprintf (why, sizeof (why), "resident dissatisfied (rating %u): reopened to %s",
                  evaluate->rating, kase->holder);
        s_record (op, GRIDCASE__EVENT_TYPE__EVENT_REOPENED, why, evaluate->comment);
        return;
    }
    kase->state = GRIDCASE__STATE__STATE_CLOSED;
    kase->evaluation_due = 0;
    kase->closed_at = op->now;
    snprintf (why, sizeof (why), "resident rated %u: closed", evaluate->rating);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_EVALUATED, why, evaluate->comment);
}

//  Recomputes the running deadlines from when the case entered its level
static void
s_recompute (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const char *queue = *kase->queue ? kase->queue : kase->holder;
    gc_window_t window = s_window (op, kase->level);
    if (kase->response_due)
        kase->response_due = s_due (op, queue, kase->level_since, window.response);
    if (kase->resolution_due)
        kase->resolution_due = s_due (op, queue, kase->level_since, window.resolution);
    kase->missed = 0;
}

static void
s_on_regrade (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__RegradeRequest *regrade = op->request->regrade;
    if (!regrade->severity) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "regrade needs a severity: red, yellow or green");
        return;
    }
    if (op->actor->role == GRIDCASE__ROLE__ROLE_OFFICER &&
        kase->state != GRIDCASE__STATE__STATE_AT_GRID) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                  "an officer regrades a case only while it is at the grid; case %s is %s",
                  kase->id, s_state_name (kase->state));
        return;
    }
    char why[600];
    snprintf (why, sizeof (why), "%s -> %s: %s", s_severity_name (kase->severity),
              s_severity_name (regrade->severity), s_text_or (regrade->reason, "no reason given"));
    kase->severity = regrade->severity;
    if (!kase->paused)
        s_recompute (op);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_REGRADED, why, NULL);
}

static void
s_on_extend (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ExtendRequest *extend = op->request->extend;
    if (kase->paused || *kase->pending_request) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION, "case %s already has %s %s",
                  kase->id, kase->paused ? "an approved" : "a pending", kase->pending_request);
        return;
    }
    int64_t until = extend->until      ? extend->until
                    : extend->duration ? op->now + extend->duration
                                       : 0;
    if (until <= op->now || until > op->now + op->config->policy.pause_max) {
        char span[40];
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "%s needs an end in the future and at most %s away",
                  extend->park ? "parking" : "an extension",
                  gc_duration_text (op->config->policy.pause_max, span, sizeof (span)));
        return;
    }
    if (!*extend->reason) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "an extension or parking needs a reason");
        return;
    }
    s_set (&kase->pending_request, extend->park ? "parking" : "extension");
    s_set (&kase->pending_reason, extend->reason);
    kase->pending_until = until;
    char why[700], span[40];
    snprintf (why, sizeof (why), "%s asks to %s for %s: %s", op->who_text,
              extend->park ? "park the case" : "pause the clock",
              gc_duration_text (until - op->now, span, sizeof (span)), extend->reason);
    s_record (op,
              extend->park ? GRIDCASE__EVENT_TYPE__EVENT_PARKING_REQUESTED
                           : GRIDCASE__EVENT_TYPE__EVENT_EXTENSION_REQUESTED,
              why, NULL);
}

static void
s_on_approve (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ApproveRequest *approve = op->request->approve;
    if (!*kase->pending_request || kase->paused) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s has no extension or parking waiting for approval", kase->id);
        return;
    }
    char why[700];
    if (!approve->approve) {
        snprintf (why, sizeof (why), "%s refused: %s", kase->pending_request,
                  s_text_or (approve->reason, "no reason given"));
        s_clear_pause (kase);
        s_record (op, GRIDCASE__EVENT_TYPE__EVENT_REJECTED, why, NULL);
        return;
    }
    if (kase->pending_until <= op->now) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "the %s asked for case %s has already run out", kase->pending_request, kase->id);
        return;
    }
    kase->paused = true;
    kase->paused_at = op->now;
    char span[40];
    snprintf (why, sizeof (why), "%s approved: the clock stops for %s: %s", kase->pending_request,
              gc_duration_text (kase->pending_until - op->now, span, sizeof (span)),
              s_text_or (approve->reason, kase->pending_reason));
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_APPROVED, why, NULL);
}

static void
s_on_arbitrate (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    const Gridcase__ArbitrateRequest *arbitrate = op->request->arbitrate;
    if (!gc_config_department (op->config, arbitrate->department)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT, "unknown department '%s'",
                  arbitrate->department);
        return;
    }
    char queue[GC_HOLDER_MAX], why[700];
    s_set (&kase->lead_department, arbitrate->department);
    kase->arbitrated = true;
    s_holder_queue (queue, "dept", arbitrate->department);
    s_enter (op, GRIDCASE__LEVEL__LEVEL_DEPARTMENT, queue);
    snprintf (why, sizeof (why), "%s rules that %s owns it; no more bounces: %s", op->who_text,
              arbitrate->department, s_text_or (arbitrate->reason, "no reason given"));
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_ARBITRATED, why, NULL);
}

//  --------------------------------------------------------------------------
//  The state/event table

typedef struct {
    Gridcase__Request__OpCase op;
    const char *name;
    uint32_t states; //  STATE_BIT of each state it is allowed in
    uint32_t roles;  //  ROLE_BIT of each role allowed
    scope_t scope;
    void (*apply) (op_t *op);
} transition_t;

static const transition_t s_transitions[] = {
    {GRIDCASE__REQUEST__OP_NOTE, "note", ALL_STATES, ALL_ROLES, SCOPE_AREA, s_on_note},
    {GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE, "resolve on site", STATE_BIT (AT_GRID),
     ROLE_BIT (OFFICER), SCOPE_HOLDER, s_on_resolve_on_site},
    {GRIDCASE__REQUEST__OP_ESCALATE, "escalate", OPEN_STATES,
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (SUPERVISOR),
     SCOPE_HOLDER, s_on_escalate},
    {GRIDCASE__REQUEST__OP_CLAIM, "claim", STATE_BIT (QUEUED),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER) | ROLE_BIT (SUPERVISOR),
     SCOPE_QUEUE, s_on_claim},
    {GRIDCASE__REQUEST__OP_ACCEPT, "accept", STATE_BIT (CLAIMED), ALL_ROLES, SCOPE_LEASE,
     s_on_accept},
    {GRIDCASE__REQUEST__OP_RENEW, "renew", STATE_BIT (CLAIMED), ALL_ROLES, SCOPE_LEASE, s_on_renew},
    {GRIDCASE__REQUEST__OP_RELEASE, "release", STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS),
     ALL_ROLES, SCOPE_LEASE, s_on_release},
    {GRIDCASE__REQUEST__OP_DISPATCH, "dispatch",
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (SUPERVISOR), SCOPE_HOLDER, s_on_dispatch},
    {GRIDCASE__REQUEST__OP_RESOLVE, "resolve",
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS),
     ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER) | ROLE_BIT (SUPERVISOR),
     SCOPE_HOLDER, s_on_resolve},
    {GRIDCASE__REQUEST__OP_BOUNCE, "bounce",
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS), ROLE_BIT (WORKER),
     SCOPE_HOLDER, s_on_bounce},
    {GRIDCASE__REQUEST__OP_VERIFY, "verify", STATE_BIT (RESOLVED), ROLE_BIT (OFFICER), SCOPE_AREA,
     s_on_verify},
    {GRIDCASE__REQUEST__OP_EVALUATE, "evaluate", STATE_BIT (VERIFIED),
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE), SCOPE_AREA, s_on_evaluate},
    {GRIDCASE__REQUEST__OP_REGRADE, "regrade", OPEN_STATES,
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (SUPERVISOR),
     SCOPE_AREA, s_on_regrade},
    {GRIDCASE__REQUEST__OP_EXTEND, "extend", OPEN_STATES,
     ROLE_BIT (OFFICER) | ROLE_BIT (COMMITTEE) | ROLE_BIT (STREET) | ROLE_BIT (WORKER),
     SCOPE_HOLDER, s_on_extend},
    {GRIDCASE__REQUEST__OP_APPROVE, "approve", OPEN_STATES, ROLE_BIT (SUPERVISOR), SCOPE_AREA,
     s_on_approve},
    {GRIDCASE__REQUEST__OP_ARBITRATE, "arbitrate",
     STATE_BIT (QUEUED) | STATE_BIT (CLAIMED) | STATE_BIT (IN_PROGRESS), ROLE_BIT (SUPERVISOR),
     SCOPE_AREA, s_on_arbitrate},
};

static const transition_t *
s_transition (Gridcase__Request__OpCase op)
{
    for (size_t i = 0; i < sizeof (s_transitions) / sizeof (s_transitions[0]); i++)
        if (s_transitions[i].op == op)
            return &s_transitions[i];
    return NULL;
}

static void
s_states_text (uint32_t states, char *buffer, size_t size)
{
    size_t at = 0;
    buffer[0] = 0;
    for (int s = 1; s < 8 && at < size; s++)
        if (states & (1u << s))
            at += (size_t)snprintf (buffer + at, size - at, "%s%s", at ? ", " : "",
                                    s_state_name ((Gridcase__State)s));
}

//  --------------------------------------------------------------------------
//  Applying a request

static void
s_storage_error (op_t *op)
{
    int rc = gc_txn_error (op->txn);
    gc_reply_free (op->out);
    gc_reply_error (op->out, op->request,
                    rc == GC_NOSPACE ? GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL
                                     : GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                    "the store failed (%s); nothing was changed", gc_store_strerror (rc));
}

//  Loads case ID into OP; false (reply set) if it is not there
static bool
s_load (op_t *op, const char *id)
{
    int rc = gc_txn_case_get (op->txn, id, &op->kase);
    if (rc == GC_NOTFOUND) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'", id);
        return false;
    }
    if (rc) {
        s_storage_error (op);
        op->refused = true;
        return false;
    }
    s_begin (op);
    return true;
}

//  Who is asking: the roster entry of the request's actor
static bool
s_identify (op_t *op)
{
    char why[200];
    op->actor = gc_config_identify (op->config, op->request->actor, why, sizeof (why));
    if (!op->actor) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR, "%s", why);
        return false;
    }
    op->who.role = op->actor->role;
    op->who.id = op->actor->id;
    gc_join (op->who_text, sizeof (op->who_text), gc_role_name (op->actor->role), ':',
             op->actor->id);
    return true;
}

//  The case a request names
static const char *
s_case_id (const Gridcase__Request *request)
{
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_NOTE:
            return request->note->case_id;
        case GRIDCASE__REQUEST__OP_RESOLVE_ON_SITE:
            return request->resolve_on_site->case_id;
        case GRIDCASE__REQUEST__OP_ESCALATE:
            return request->escalate->case_id;
        case GRIDCASE__REQUEST__OP_CLAIM:
            return request->claim->case_id;
        case GRIDCASE__REQUEST__OP_ACCEPT:
            return request->accept->case_id;
        case GRIDCASE__REQUEST__OP_RELEASE:
            return request->release->case_id;
        case GRIDCASE__REQUEST__OP_RENEW:
            return request->renew->case_id;
        case GRIDCASE__REQUEST__OP_DISPATCH:
            return request->dispatch->case_id;
        case GRIDCASE__REQUEST__OP_RESOLVE:
            return request->resolve->case_id;
        case GRIDCASE__REQUEST__OP_BOUNCE:
            return request->bounce->case_id;
        case GRIDCASE__REQUEST__OP_VERIFY:
            return request->verify->case_id;
        case GRIDCASE__REQUEST__OP_EVALUATE:
            return request->evaluate->case_id;
        case GRIDCASE__REQUEST__OP_REGRADE:
            return request->regrade->case_id;
        case GRIDCASE__REQUEST__OP_EXTEND:
            return request->extend->case_id;
        case GRIDCASE__REQUEST__OP_APPROVE:
            return request->approve->case_id;
        case GRIDCASE__REQUEST__OP_ARBITRATE:
            return request->arbitrate->case_id;
        case GRIDCASE__REQUEST__OP_LINK:
            return request->link->case_id;
        default:
            return "";
    }
}

//  Claim without a case id: the head of the queue (red first, then the
//  earliest deadline). Returns false with the reply set when there is none.
static bool
s_queue_head (op_t *op, const char *queue, char *id)
{
    if (!s_serves (op->actor, queue, NULL) &&
        !(op->actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR &&
          (gc_prefixed (queue, "committee/", NULL) || gc_prefixed (queue, "street/", NULL)))) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, "%s does not work queue '%s'",
                  op->who_text, queue);
        return false;
    }
    gc_key_t prefix;
    gc_key_reset (&prefix);
    gc_key_str (&prefix, queue);
    gc_cursor_t *cursor = gc_cursor_new (op->txn, GC_DB_QUEUES);
    const void *k;
    size_t ksize;
    int rc = cursor ? gc_cursor_seek (cursor, &prefix, &k, &ksize, NULL, NULL) : GC_EIO;
    bool found = false;
    //  A street supervisor skips cases outside their street
    while (rc == GC_OK && ksize == prefix.size + 17 && memcmp (k, prefix.data, prefix.size) == 0) {
        gc_case_id_from_key ((const uint8_t *)k + prefix.size + 9, id, GC_CASE_ID_MAX);
        Gridcase__Case *kase = NULL;
        if (gc_txn_case_get (op->txn, id, &kase) == GC_OK) {
            found = s_serves (op->actor, queue, kase);
            gridcase__case__free_unpacked (kase, NULL);
        }
        if (found)
            break;
        rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL);
    }
    gc_cursor_destroy (&cursor);
    if (rc != GC_OK && rc != GC_NOTFOUND) {
        s_storage_error (op);
        op->refused = true;
        return false;
    }
    if (!found)
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_QUEUE_EMPTY, "queue '%s' has no case to claim",
                  queue);
    return found;
}

//  A case open for linking: same grid and category as KASE
static bool
s_linkable (op_t *op, const Gridcase__Case *target, const char *grid, const char *category)
{
    if (!(OPEN_STATES & (1u << target->state))) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                  "case %s is %s: only an open case takes linked reports", target->id,
                  s_state_name (target->state));
        return false;
    }
    if (!streq (target->grid, grid) || !streq (target->category, category)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "case %s is %s in grid %s: a linked report must be the same category in the "
                  "same grid",
                  target->id, target->category, target->grid);
        return false;
    }
    return true;
}

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
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_LINKED, why, title);
}

static void
s_report (op_t *op)
{
    const Gridcase__ReportRequest *report = op->request->report;
    gc_grid_t *grid = gc_config_grid (op->config, report->grid);
    if (!grid) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID, "unknown grid '%s'", report->grid);
        return;
    }
    gc_category_t *category = gc_config_category (op->config, report->category);
    if (!category) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CATEGORY, "unknown category '%s'",
                  report->category);
        return;
    }
    if (!*report->title) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT, "a report needs a title");
        return;
    }
    if (report->location &&
        (fabs (report->location->lat) > 90 || fabs (report->location->lon) > 180)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "location %f,%f is not a latitude and longitude", report->location->lat,
                  report->location->lon);
        return;
    }
    if (!s_identify (op))
        return;
    if (op->actor->role == GRIDCASE__ROLE__ROLE_WORKER) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                  "a worker does not report cases; the grid officer does");
        return;
    }
    gc_community_t *community = grid->community;
    if (!gc_actor_covers (op->actor, grid->id, community->id, community->street->id,
                          community->street->district->id)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, "%s does not look after grid %s",
                  op->who_text, grid->id);
        return;
    }
    if (*report->link_to) {
        if (!s_load (op, report->link_to))
            return;
        if (!s_linkable (op, op->kase, grid->id, category->id))
            return;
        s_link_into (op, NULL, report->title);
        return;
    }
    uint32_t day = gc_local_day (op->now);
    uint32_t number = gc_txn_case_next_number (op->txn, day);
    if (number == 0)
        return;
    char id[GC_CASE_ID_MAX], holder[GC_HOLDER_MAX];
    gc_case_id_format (day, number, id, sizeof (id));
    s_holder_queue (holder, "grid", grid->id);

    Gridcase__Case *kase = (Gridcase__Case *)calloc (1, sizeof (Gridcase__Case));
    gridcase__case__init (kase);
    op->kase = kase;
    s_set (&kase->id, id);
    s_set (&kase->grid, grid->id);
    s_set (&kase->community, community->id);
    s_set (&kase->street, community->street->id);
    s_set (&kase->district, community->street->district->id);
    s_set (&kase->category, category->id);
    kase->severity = report->severity ? report->severity : category->severity;
    s_set (&kase->title, report->title);
    s_set (&kase->description, report->description);
    s_set (&kase->address, report->address);
    if (report->location) {
        kase->location = (Gridcase__Location *)calloc (1, sizeof (Gridcase__Location));
        gridcase__location__init (kase->location);
        kase->location->lat = report->location->lat;
        kase->location->lon = report->location->lon;
    }
    kase->reporter = (Gridcase__Actor *)calloc (1, sizeof (Gridcase__Actor));
    gridcase__actor__init (kase->reporter);
    kase->reporter->role = op->actor->role;
    s_set (&kase->reporter->id, op->actor->id);
    kase->created_at = op->now;
    s_set (&kase->lead_department, category->department ? category->department->id : "");
    s_enter (op, GRIDCASE__LEVEL__LEVEL_GRID, holder);
    op->from[0] = 0;
    char why[200], span[40];
    snprintf (why, sizeof (why), "reported; the officer settles it on the spot within %s",
              gc_duration_text (s_window (op, GRIDCASE__LEVEL__LEVEL_GRID).resolution, span,
                                sizeof (span)));
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_REPORTED, why, report->title);
}

static void
s_link (op_t *op)
{
    const Gridcase__LinkRequest *link = op->request->link;
    if (!s_identify (op) || !s_load (op, link->case_id))
        return;
    if (op->actor->role == GRIDCASE__ROLE__ROLE_WORKER || !s_in_area (op->actor, op->kase)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, "%s may not link cases in grid %s",
                  op->who_text, op->kase->grid);
        return;
    }
    if (streq (link->case_id, link->duplicate_of)) {
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                  "a case cannot be a duplicate of itself");
        return;
    }
    Gridcase__Case *target = NULL;
    int rc = gc_txn_case_get (op->txn, link->duplicate_of, &target);
    if (rc == GC_NOTFOUND)
        s_refuse (op, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'", link->duplicate_of);
    else if (rc)
        s_storage_error (op);
    bool ok = rc == GC_OK && s_linkable (op, target, op->kase->grid, op->kase->category) &&
              s_linkable (op, op->kase, target->grid, target->category);
    if (!ok) {
        if (target)
            gridcase__case__free_unpacked (target, NULL);
        op->refused = true;
        return;
    }
    //  The duplicate closes, pointing at the case that goes on
    Gridcase__Case *kase = op->kase;
    char why[300];
    s_set (&kase->duplicate_of, target->id);
    kase->state = GRIDCASE__STATE__STATE_CLOSED;
    kase->closed_at = op->now;
    s_clear_pause (kase);
    snprintf (why, sizeof (why), "closed as a duplicate of case %s by %s", target->id,
              op->who_text);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_LINKED, why, NULL);
    char duplicate[GC_CASE_ID_MAX];
    snprintf (duplicate, sizeof (duplicate), "%s", kase->id);
    gridcase__case__free_unpacked (kase, NULL);
    op->kase = target;
    s_begin (op);
    s_link_into (op, duplicate, NULL);
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
    const transition_t *transition = s_transition (request->op_case);
    if (request->op_case == GRIDCASE__REQUEST__OP_REPORT)
        s_report (&op);
    else if (request->op_case == GRIDCASE__REQUEST__OP_LINK)
        s_link (&op);
    else if (!transition)
        s_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                  "operation '%s' is not served by this version of gridcased",
                  gc_request_op_name (request));
    else if (s_identify (&op)) {
        if (!(transition->roles & (1u << op.actor->role)))
            s_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, "a %s may not %s a case",
                      gc_role_name (op.actor->role), transition->name);
        else {
            const char *id = s_case_id (request);
            char head[GC_CASE_ID_MAX];
            if (request->op_case == GRIDCASE__REQUEST__OP_CLAIM && !*id) {
                if (!*request->claim->queue)
                    s_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                              "claim needs a queue or a case id");
                else if (s_queue_head (&op, request->claim->queue, head))
                    id = head;
            }
            if (!op.refused && s_load (&op, id)) {
                char states[200];
                if (!(transition->states & (1u << op.kase->state))) {
                    s_states_text (transition->states, states, sizeof (states));
                    s_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_INVALID_TRANSITION,
                              "case %s is %s; %s needs it %s", op.kase->id,
                              s_state_name (op.kase->state), transition->name, states);
                } else if (!s_scope_ok (&op, transition->scope))
                    s_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                              "%s may not %s case %s (held by %s in grid %s)", op.who_text,
                              transition->name, op.kase->id, op.kase->holder, op.kase->grid);
                else if (request->op_case == GRIDCASE__REQUEST__OP_CLAIM &&
                         *request->claim->queue && !streq (request->claim->queue, op.kase->queue))
                    s_refuse (&op, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                              "case %s is in queue %s, not %s", op.kase->id, op.kase->queue,
                              request->claim->queue);
                else
                    transition->apply (&op);
            }
        }
    }
    if (!op.refused) {
        if (gc_txn_error (txn))
            s_storage_error (&op);
        else if (op.kase) {
            //  The reply holds the case as stored, packed once
            gc_key_t key;
            const void *stored;
            size_t size;
            if (gc_case_id_parse (op.kase->id, &key) &&
                gc_txn_get (txn, GC_DB_CASES, &key, &stored, &size) == GC_OK)
                gc_reply_case_packed (out, request, stored, size);
            else
                gc_reply_case (out, request, op.kase, NULL, 0);
        }
    }
    if (op.kase)
        gridcase__case__free_unpacked (op.kase, NULL);
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
        s_record (op, GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION, text, NULL);
        return;
    }
    snprintf (text, sizeof (text), "%s: escalated", why);
    if (!s_climb (op, text)) {
        //  The top of the ladder: record it once; supervisors see it overdue
        kase->missed |= response ? MISSED_RESPONSE : MISSED_RESOLUTION;
        snprintf (text, sizeof (text), "%s; the district command centre is the top of the ladder",
                  why);
        s_record (op, GRIDCASE__EVENT_TYPE__EVENT_OVERDUE, text, NULL);
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
    time_t seconds = (time_t)(due / 1000);
    struct tm tm;
    localtime_r (&seconds, &tm);
    strftime (when, sizeof (when), "%Y-%m-%d %H:%M", &tm);
    gc_window_t window = s_window (op, kase->level);
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

static void
s_lease_expired (op_t *op)
{
    Gridcase__Case *kase = op->kase;
    char span[40], why[400];
    snprintf (why, sizeof (why), "lease expired: %s did not accept it within %s", op->from,
              gc_duration_text (op->config->policy.lease, span, sizeof (span)));
    s_requeue (op);
    if (kase->delivery_count >= op->config->policy.max_deliveries) {
        char more[500];
        snprintf (more, sizeof (more), "%s; returned to %s %u times without being accepted", why,
                  kase->queue, kase->delivery_count);
        s_missed (op, GC_DEADLINE_RESPONSE, more);
        return;
    }
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_LEASE_EXPIRED, why, NULL);
}

//  Shifts every running deadline by the length of the pause that ends now
static void
s_resume (op_t *op)
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
    s_clear_pause (kase);
    s_record (op, GRIDCASE__EVENT_TYPE__EVENT_RESUMED, why, NULL);
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
    gridcase__actor__init (&op.who);
    op.who.id = "gridcased";
    snprintf (op.who_text, sizeof (op.who_text), "gridcased");
    if (!s_load (&op, case_id)) {
        gc_reply_free (&ignored);
        //  An index entry for a case that is not there: drop it
        gc_txn_deadline_del (txn, due, case_id, (uint8_t)kind);
        return gc_txn_error (txn);
    }
    if (!s_has_deadline (&op.before, due, (uint8_t)kind))
        gc_txn_deadline_del (txn, due, case_id, (uint8_t)kind); //  stale
    else {
        switch (kind) {
            case GC_DEADLINE_RESPONSE:
            case GC_DEADLINE_RESOLUTION: {
                char why[400];
                s_missed_text (&op, kind, why, sizeof (why));
                s_missed (&op, kind, why);
                break;
            }
            case GC_DEADLINE_LEASE:
                s_lease_expired (&op);
                break;
            case GC_DEADLINE_VERIFICATION: {
                char span[40], why[300];
                snprintf (why, sizeof (why),
                          "not verified on site within %s: taken as verified; waiting for the "
                          "resident's evaluation",
                          gc_duration_text (config->policy.verification, span, sizeof (span)));
                op.kase->state = GRIDCASE__STATE__STATE_VERIFIED;
                op.kase->verification_due = 0;
                op.kase->evaluation_due = now + config->policy.evaluation;
                s_record (&op, GRIDCASE__EVENT_TYPE__EVENT_VERIFIED, why, NULL);
                break;
            }
            case GC_DEADLINE_EVALUATION: {
                char span[40], why[300];
                snprintf (why, sizeof (why), "no rating within %s: closed",
                          gc_duration_text (config->policy.evaluation, span, sizeof (span)));
                op.kase->state = GRIDCASE__STATE__STATE_CLOSED;
                op.kase->evaluation_due = 0;
                op.kase->closed_at = now;
                s_record (&op, GRIDCASE__EVENT_TYPE__EVENT_CLOSED, why, NULL);
                break;
            }
            case GC_DEADLINE_RESUME:
                s_resume (&op);
                break;
        }
    }
    gridcase__case__free_unpacked (op.kase, NULL);
    gc_reply_free (&ignored);
    return gc_txn_error (txn);
}

void
gc_notices_drop (zlistx_t *notices)
{
    zmsg_t *msg;
    while ((msg = (zmsg_t *)zlistx_detach (notices, NULL)))
        zmsg_destroy (&msg);
}
