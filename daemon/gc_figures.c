/*  gc_figures - the supervisors' figures. See gc_figures.h.

    Times to respond and to resolve are kept as sparse histograms of whole
    seconds: exact below 128 s, above that in buckets 1/128 of their size
    wide (under 0.8 %), so a month's 95th percentile is a merge of thirty
    small lists. */
#include "gc_figures.h"
#include "gc_holder.h"
#include "gc_schema.h"
#include "gc_util.h"
#include "gridcase.h"

#include <czmq.h>
#include <errno.h>
#include <math.h>

//  Bits of Case.counted: one-off figures this case has already counted
#define AREA_RESPONDED (1u << 0)
#define AREA_RESOLVED (1u << 1)
#define AREA_LATE (1u << 2)
#define AREA_DUE (1u << 3)
#define AREA_REWORKED (1u << 4)
#define DEPT_RESPONDED (1u << 5)
#define DEPT_RESOLVED (1u << 6)
#define DEPT_LATE (1u << 7)
#define DEPT_DUE (1u << 8)
#define DEPT_REWORKED (1u << 9)
#define DEPT_BITS (0x1fu << 5)

//  Fields from this number on are computed when read, never stored
#define FIRST_COMPUTED_FIELD 21

#define HIST_SUB 128 //  buckets per power of two above 128 s

bool
gc_log_event (Gridcase__EventType type)
{
    switch (type) {
        case GRIDCASE__EVENT_TYPE__EVENT_ESCALATED:
        case GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION:
        case GRIDCASE__EVENT_TYPE__EVENT_OVERDUE:
        case GRIDCASE__EVENT_TYPE__EVENT_BOUNCED:
        case GRIDCASE__EVENT_TYPE__EVENT_LEASE_EXPIRED:
        case GRIDCASE__EVENT_TYPE__EVENT_REWORK:
        case GRIDCASE__EVENT_TYPE__EVENT_REOPENED:
        case GRIDCASE__EVENT_TYPE__EVENT_ARBITRATED:
        case GRIDCASE__EVENT_TYPE__EVENT_EXTENSION_REQUESTED:
        case GRIDCASE__EVENT_TYPE__EVENT_PARKING_REQUESTED:
        case GRIDCASE__EVENT_TYPE__EVENT_APPROVED:
        case GRIDCASE__EVENT_TYPE__EVENT_REJECTED:
        case GRIDCASE__EVENT_TYPE__EVENT_RESUMED:
            return true;
        default:
            return false;
    }
}

void
gc_figures_key (char *key, size_t size, const char *kind, const char *id)
{
    gc_join (key, size, kind, '/', id);
}

bool
gc_log_key (const Gridcase__JournalEntry *entry, size_t index, char *key, size_t size)
{
    const char *kinds[] = {"grid", "community", "street", "district"};
    const char *ids[] = {entry->grid, entry->community, entry->street, entry->district};
    if (index < 4)
        gc_figures_key (key, size, kinds[index], ids[index]);
    else if (index - 4 < entry->n_departments)
        gc_figures_key (key, size, "dept", entry->departments[index - 4]);
    else
        return false;
    return true;
}

//  --------------------------------------------------------------------------
//  Histograms: sorted (bucket, count) pairs

static uint32_t
s_bucket (uint64_t ms)
{
    uint64_t seconds = ms / 1000;
    if (seconds < HIST_SUB)
        return (uint32_t)seconds;
    int power = 63 - __builtin_clzll (seconds); //  >= 7
    uint64_t sub = (seconds >> (power - 7)) - HIST_SUB;
    return (uint32_t)(HIST_SUB + (uint64_t)(power - 7) * HIST_SUB + sub);
}

//  The smallest time in BUCKET, milliseconds
static uint64_t
s_bucket_low (uint32_t bucket)
{
    if (bucket < HIST_SUB)
        return (uint64_t)bucket * 1000;
    uint32_t power = (bucket - HIST_SUB) / HIST_SUB + 7;
    uint64_t sub = (bucket - HIST_SUB) % HIST_SUB;
    return ((HIST_SUB + sub) << (power - 7)) * 1000;
}

//  Merges histogram B into A (both sorted pairs); A's array is replaced
static void
s_hist_merge (uint32_t **a, size_t *na, const uint32_t *b, size_t nb)
{
    if (!nb)
        return;
    uint32_t *merged = (uint32_t *)malloc ((*na + nb) * sizeof (uint32_t));
    size_t i = 0, j = 0, n = 0;
    while (i + 1 < *na || j + 1 < nb) {
        if (j + 1 >= nb || (i + 1 < *na && (*a)[i] < b[j])) {
            merged[n++] = (*a)[i];
            merged[n++] = (*a)[i + 1];
            i += 2;
        } else if (i + 1 >= *na || b[j] < (*a)[i]) {
            merged[n++] = b[j];
            merged[n++] = b[j + 1];
            j += 2;
        } else {
            merged[n++] = (*a)[i];
            merged[n++] = (*a)[i + 1] + b[j + 1];
            i += 2;
            j += 2;
        }
    }
    free (*a);
    *a = merged;
    *na = n;
}

//  The value at rank ceil(P * count), milliseconds (the low end of its bucket)
static uint64_t
s_hist_percentile (const uint32_t *hist, size_t n, uint64_t count, double p)
{
    if (!count)
        return 0;
    uint64_t rank = (uint64_t)ceil (p * (double)count);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        seen += hist[i + 1];
        if (seen >= rank)
            return s_bucket_low (hist[i]);
    }
    return n >= 2 ? s_bucket_low (hist[n - 2]) : 0;
}

//  --------------------------------------------------------------------------
//  Adding

//  The fastest and slowest of SUM_COUNT and ADD_COUNT times together
static void
s_range_merge (uint64_t *min, uint64_t *max, uint64_t sum_count, uint64_t add_min, uint64_t add_max,
               uint64_t add_count)
{
    if (!add_count)
        return;
    *min = sum_count && *min < add_min ? *min : add_min;
    *max = sum_count && *max > add_max ? *max : add_max;
}

void
gc_figures_add (Gridcase__Figures *sum, const Gridcase__Figures *add)
{
    //  Before the counts are added: they say whether SUM has a range yet
    s_range_merge (&sum->respond_min_ms, &sum->respond_max_ms, sum->responded, add->respond_min_ms,
                   add->respond_max_ms, add->responded);
    s_range_merge (&sum->resolve_min_ms, &sum->resolve_max_ms, sum->resolved, add->resolve_min_ms,
                   add->resolve_max_ms, add->resolved);
    const ProtobufCMessageDescriptor *desc = &gridcase__figures__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        if (field->type != PROTOBUF_C_TYPE_UINT64 || field->label == PROTOBUF_C_LABEL_REPEATED ||
            field->id >= FIRST_COMPUTED_FIELD)
            continue;
        uint64_t *to = (uint64_t *)((char *)sum + field->offset);
        *to += *(const uint64_t *)((const char *)add + field->offset);
    }
    s_hist_merge (&sum->respond_hist, &sum->n_respond_hist, add->respond_hist, add->n_respond_hist);
    s_hist_merge (&sum->resolve_hist, &sum->n_resolve_hist, add->resolve_hist, add->n_resolve_hist);
}

void
gc_figures_clear (Gridcase__Figures *figures)
{
    free (figures->respond_hist);
    free (figures->resolve_hist);
    figures->respond_hist = figures->resolve_hist = NULL;
    figures->n_respond_hist = figures->n_resolve_hist = 0;
}

//  Adds SUM to KEY's stored record for DAY
static void
s_write (gc_txn_t *txn, const char *key, uint32_t day, const Gridcase__Figures *add)
{
    gc_key_t k;
    if (!gc_key_pack (&k, GC_KEY_FIGURES, key, day)) {
        gc_txn_fail (txn, EINVAL, "figures: a key too long");
        return;
    }
    Gridcase__Figures sum = GRIDCASE__FIGURES__INIT;
    const void *value;
    size_t size;
    if (gc_txn_get (txn, GC_DB_FIGURES, &k, &value, &size) == GC_OK) {
        Gridcase__Figures *stored = gridcase__figures__unpack (NULL, size, (const uint8_t *)value);
        if (stored) {
            gc_figures_add (&sum, stored);
            gridcase__figures__free_unpacked (stored, NULL);
        } else
            zsys_warning ("figures of %s for day %u do not decode: counting again from zero", key,
                          day);
    }
    gc_figures_add (&sum, add);
    size = gridcase__figures__get_packed_size (&sum);
    uint8_t *buffer = (uint8_t *)malloc (size ? size : 1);
    gridcase__figures__pack (&sum, buffer);
    gc_txn_put (txn, GC_DB_FIGURES, &k, buffer, size);
    free (buffer);
    gc_figures_clear (&sum);
}

//  A write transaction adds its changes up per record in memory and writes
//  each changed record once, when it commits: a batch of reports from one
//  grid moves the same dozen records
typedef struct {
    char key[GC_FIGURES_KEY_MAX];
    uint32_t day;
    Gridcase__Figures sum;
} pending_t;

static void
s_pending_destroy (void **item)
{
    pending_t *pending = (pending_t *)*item;
    gc_figures_clear (&pending->sum);
    free (pending);
    *item = NULL;
}

static void
s_finish (gc_txn_t *txn, void *state, bool write)
{
    zhashx_t *records = (zhashx_t *)state;
    for (pending_t *pending = (pending_t *)zhashx_first (records); write && pending;
         pending = (pending_t *)zhashx_next (records))
        s_write (txn, pending->key, pending->day, &pending->sum);
    zhashx_destroy (&records);
}

static bool
s_empty (const Gridcase__Figures *figures)
{
    const ProtobufCMessageDescriptor *desc = &gridcase__figures__descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields[i];
        if (field->type == PROTOBUF_C_TYPE_UINT64 && field->label != PROTOBUF_C_LABEL_REPEATED &&
            *(const uint64_t *)((const char *)figures + field->offset))
            return false;
    }
    return !figures->n_respond_hist && !figures->n_resolve_hist;
}

//  Adds DELTA to KEY's record for DAY
static void
s_apply (gc_txn_t *txn, const char *key, uint32_t day, const Gridcase__Figures *delta)
{
    if (!*key || s_empty (delta))
        return;
    zhashx_t *records = (zhashx_t *)gc_txn_pending (txn, GC_PENDING_FIGURES);
    if (!records) {
        records = zhashx_new ();
        zhashx_set_destructor (records, s_pending_destroy);
        gc_txn_set_pending (txn, GC_PENDING_FIGURES, records, s_finish);
    }
    char name[GC_FIGURES_KEY_MAX + 16], digits[12];
    size_t at = sizeof (digits) - 1;
    digits[at] = 0;
    for (uint32_t d = day; at == sizeof (digits) - 1 || d; d /= 10)
        digits[--at] = (char)('0' + d % 10);
    gc_join (name, sizeof (name), key, '@', digits + at);
    pending_t *pending = (pending_t *)zhashx_lookup (records, name);
    if (!pending) {
        pending = (pending_t *)zmalloc (sizeof (pending_t));
        gc_copy (pending->key, sizeof (pending->key), key);
        pending->day = day;
        gridcase__figures__init (&pending->sum);
        zhashx_insert (records, name, pending);
    }
    gc_figures_add (&pending->sum, delta);
}

//  --------------------------------------------------------------------------
//  Counting

//  One histogram entry for a single time
typedef struct {
    uint32_t pair[2];
} one_t;

static void
s_time (Gridcase__Figures *delta, bool respond, int64_t ms, one_t *one)
{
    if (ms < 0)
        ms = 0;
    one->pair[0] = s_bucket ((uint64_t)ms);
    one->pair[1] = 1;
    if (respond) {
        delta->responded = 1;
        delta->respond_ms_sum = (uint64_t)ms;
        delta->respond_min_ms = delta->respond_max_ms = (uint64_t)ms;
        delta->respond_hist = one->pair;
        delta->n_respond_hist = 2;
    } else {
        delta->resolved = 1;
        delta->resolve_ms_sum = (uint64_t)ms;
        delta->resolve_min_ms = delta->resolve_max_ms = (uint64_t)ms;
        delta->resolve_hist = one->pair;
        delta->n_resolve_hist = 2;
    }
}

//  One side of the figures: the area's or the department's
typedef struct {
    Gridcase__Figures delta;
    one_t respond, resolve;
    uint32_t responded, resolved, late, due, reworked; //  its bits of Case.counted
    int64_t since;                                     //  when it received the case
} side_t;

static void
s_side_respond (side_t *side, uint32_t *counted, int64_t now)
{
    if (*counted & side->responded)
        return;
    *counted |= side->responded;
    s_time (&side->delta, true, now - side->since, &side->respond);
}

static void
s_side_resolve (side_t *side, uint32_t *counted, int64_t now)
{
    if (*counted & side->resolved)
        return;
    *counted |= side->resolved;
    s_time (&side->delta, false, now - side->since, &side->resolve);
    if (!(*counted & side->due)) {
        *counted |= side->due;
        side->delta.due = 1;
    }
    if (!(*counted & side->late))
        side->delta.on_time = 1;
}

//  A deadline passed while the side held the case
static void
s_side_late (side_t *side, uint32_t *counted)
{
    if (*counted & side->late)
        return;
    *counted |= side->late;
    if (!(*counted & (side->due | side->resolved))) {
        *counted |= side->due;
        side->delta.due = 1;
    }
}

static void
s_side_rework (side_t *side, uint32_t *counted)
{
    if (*counted & side->reworked)
        return;
    *counted |= side->reworked;
    side->delta.reworked = 1;
}

static void
s_area_keys (const Gridcase__Case *kase, char keys[4][GC_FIGURES_KEY_MAX])
{
    gc_figures_key (keys[0], GC_FIGURES_KEY_MAX, "grid", kase->grid);
    gc_figures_key (keys[1], GC_FIGURES_KEY_MAX, "community", kase->community);
    gc_figures_key (keys[2], GC_FIGURES_KEY_MAX, "street", kase->street);
    gc_figures_key (keys[3], GC_FIGURES_KEY_MAX, "district", kase->district);
}

//  Gauges move by the difference of two snapshots
static void
s_gauges (gc_txn_t *txn, const Gridcase__Case *kase, const gc_figures_snap_t *before,
          const gc_figures_snap_t *after)
{
    char keys[4][GC_FIGURES_KEY_MAX], key[GC_FIGURES_KEY_MAX];
    Gridcase__Figures delta = GRIDCASE__FIGURES__INIT;
    delta.open_now = (uint64_t)((int64_t)after->open - (int64_t)before->open);
    delta.overdue_now = (uint64_t)((int64_t)after->overdue - (int64_t)before->overdue);
    s_area_keys (kase, keys);
    for (size_t i = 0; i < 4; i++)
        s_apply (txn, keys[i], 0, &delta);
    bool before_overdue = before->dept_open && before->overdue;
    bool after_overdue = after->dept_open && after->overdue;
    if (streq (before->dept, after->dept)) {
        delta.open_now = (uint64_t)((int64_t)after->dept_open - (int64_t)before->dept_open);
        delta.overdue_now = (uint64_t)((int64_t)after_overdue - (int64_t)before_overdue);
        gc_figures_key (key, sizeof (key), "dept", after->dept);
        if (*after->dept)
            s_apply (txn, key, 0, &delta);
    } else {
        delta.open_now = (uint64_t) - (int64_t)before->dept_open;
        delta.overdue_now = (uint64_t) - (int64_t)before_overdue;
        gc_figures_key (key, sizeof (key), "dept", before->dept);
        if (*before->dept)
            s_apply (txn, key, 0, &delta);
        delta.open_now = after->dept_open;
        delta.overdue_now = after_overdue;
        gc_figures_key (key, sizeof (key), "dept", after->dept);
        if (*after->dept)
            s_apply (txn, key, 0, &delta);
    }
    //  Open and overdue by level: where it left, where it is
    if (before->open) {
        Gridcase__Figures level = GRIDCASE__FIGURES__INIT;
        level.open_now = (uint64_t)-1;
        level.overdue_now = before->overdue ? (uint64_t)-1 : 0;
        gc_figures_key (key, sizeof (key), "level", gridcase_level_name (before->level));
        s_apply (txn, key, 0, &level);
    }
    if (after->open) {
        Gridcase__Figures level = GRIDCASE__FIGURES__INIT;
        level.open_now = 1;
        level.overdue_now = after->overdue;
        gc_figures_key (key, sizeof (key), "level", gridcase_level_name (after->level));
        s_apply (txn, key, 0, &level);
    }
    if (!streq (before->queue, after->queue)) {
        Gridcase__Figures depth = GRIDCASE__FIGURES__INIT;
        depth.open_now = (uint64_t)-1;
        gc_figures_key (key, sizeof (key), "queue", before->queue);
        if (*before->queue)
            s_apply (txn, key, 0, &depth);
        depth.open_now = 1;
        gc_figures_key (key, sizeof (key), "queue", after->queue);
        if (*after->queue)
            s_apply (txn, key, 0, &depth);
    }
}

void
gc_figures_count (gc_txn_t *txn, Gridcase__Case *kase, const gc_figures_snap_t *before,
                  Gridcase__EventType type, bool by_daemon, int64_t now)
{
    side_t area, dept;
    memset (&area, 0, sizeof (area));
    memset (&dept, 0, sizeof (dept));
    gridcase__figures__init (&area.delta);
    gridcase__figures__init (&dept.delta);
    area.responded = AREA_RESPONDED;
    area.resolved = AREA_RESOLVED;
    area.late = AREA_LATE;
    area.due = AREA_DUE;
    area.reworked = AREA_REWORKED;
    area.since = kase->created_at;
    dept.responded = DEPT_RESPONDED;
    dept.resolved = DEPT_RESOLVED;
    dept.late = DEPT_LATE;
    dept.due = DEPT_DUE;
    dept.reworked = DEPT_REWORKED;

    uint32_t *counted = &kase->counted;
    gc_figures_snap_t after;
    gc_figures_snap (kase, &after);
    //  A department that receives the case starts a new count of its own
    bool received = (type == GRIDCASE__EVENT_TYPE__EVENT_DISPATCHED ||
                     type == GRIDCASE__EVENT_TYPE__EVENT_ARBITRATED) &&
                    *after.dept;
    if (received) {
        kase->dept_since = now;
        *counted &= ~DEPT_BITS;
        after.dept_since = now;
        dept.delta.received = 1;
        dept.delta.dispatched = 1;
        area.delta.dispatched = 1;
    }
    //  Events of the department's time with the case count for the department
    //  that had it before the event
    const gc_figures_snap_t *holder = received ? &after : *before->dept ? before : &after;
    dept.since = holder->dept_since;
    bool has_dept = *holder->dept != 0;

    switch (type) {
        case GRIDCASE__EVENT_TYPE__EVENT_REPORTED:
            area.delta.received = 1;
            break;
        case GRIDCASE__EVENT_TYPE__EVENT_ACCEPTED:
            if (!(*counted & AREA_RESPONDED))
                kase->responded_at = now;
            s_side_respond (&area, counted, now);
            if (has_dept)
                s_side_respond (&dept, counted, now);
            break;
        case GRIDCASE__EVENT_TYPE__EVENT_RESOLVED_ON_SITE:
        case GRIDCASE__EVENT_TYPE__EVENT_RESOLVED:
            if (!(*counted & AREA_RESPONDED))
                kase->responded_at = now;
            s_side_respond (&area, counted, now);
            s_side_resolve (&area, counted, now);
            if (has_dept) {
                s_side_respond (&dept, counted, now);
                s_side_resolve (&dept, counted, now);
            }
            break;
        case GRIDCASE__EVENT_TYPE__EVENT_ESCALATED:
        case GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION:
        case GRIDCASE__EVENT_TYPE__EVENT_OVERDUE:
            if (type != GRIDCASE__EVENT_TYPE__EVENT_OVERDUE) {
                area.delta.escalated = 1;
                if (has_dept && before->dept_open)
                    dept.delta.escalated = 1;
            }
            if (by_daemon) {
                s_side_late (&area, counted);
                if (has_dept && before->dept_open)
                    s_side_late (&dept, counted);
            }
            break;
        case GRIDCASE__EVENT_TYPE__EVENT_BOUNCED:
            area.delta.bounced = 1;
            if (has_dept)
                dept.delta.bounced = 1;
            break;
        case GRIDCASE__EVENT_TYPE__EVENT_REWORK:
            s_side_rework (&area, counted);
            if (has_dept)
                s_side_rework (&dept, counted);
            break;
        case GRIDCASE__EVENT_TYPE__EVENT_EVALUATED:
        case GRIDCASE__EVENT_TYPE__EVENT_REOPENED:
            area.delta.rated = dept.delta.rated = 1;
            area.delta.rating_sum = dept.delta.rating_sum = kase->rating;
            break;
        default:
            break;
    }
    if (before->open && !after.open) {
        area.delta.closed = 1;
        dept.delta.closed = 1;
    }
    char keys[4][GC_FIGURES_KEY_MAX], key[GC_FIGURES_KEY_MAX];
    uint32_t area_day = gc_local_day (kase->created_at);
    s_area_keys (kase, keys);
    for (size_t i = 0; i < 4; i++)
        s_apply (txn, keys[i], area_day, &area.delta);
    if (has_dept) {
        gc_figures_key (key, sizeof (key), "dept", holder->dept);
        s_apply (txn, key, gc_local_day (holder->dept_since), &dept.delta);
    }
    s_gauges (txn, kase, before, &after);
}

//  --------------------------------------------------------------------------
//  Reading

int
gc_figures_read (gc_txn_t *txn, const char *key, uint32_t from_day, uint32_t to_day,
                 Gridcase__Figures *sum)
{
    gc_key_t start, name, now;
    if (!gc_key_pack (&name, GC_KEY_FIGURES_OF, key))
        return GC_OK; //  a key too long for any figures: none
    gc_key_pack (&start, GC_KEY_FIGURES, key, from_day ? from_day : 1);
    gc_key_pack (&now, GC_KEY_FIGURES, key, 0);
    gc_cursor_t *cursor = gc_cursor_prefix (txn, GC_DB_FIGURES, &name);
    uint32_t on;
    gc_walk_t walk;
    GC_WALK (cursor, &start, walk) {
        if (!gc_key_unpack (walk.key, walk.key_size, GC_KEY_FIGURES, NULL, &on) || on > to_day)
            break;
        Gridcase__Figures *day =
            gridcase__figures__unpack (NULL, walk.value_size, (const uint8_t *)walk.value);
        if (!day) {
            walk.rc = GC_CORRUPT;
            break;
        }
        //  Gauges live in day 0 only
        day->open_now = day->overdue_now = 0;
        gc_figures_add (sum, day);
        gridcase__figures__free_unpacked (day, NULL);
    }
    gc_cursor_destroy (&cursor);
    if (walk.rc != GC_OK && walk.rc != GC_NOTFOUND)
        return walk.rc;
    const void *value;
    size_t size;
    int rc = gc_txn_get (txn, GC_DB_FIGURES, &now, &value, &size);
    if (rc == GC_OK) {
        Gridcase__Figures *gauges = gridcase__figures__unpack (NULL, size, (const uint8_t *)value);
        if (!gauges)
            return GC_CORRUPT;
        sum->open_now += gauges->open_now;
        sum->overdue_now += gauges->overdue_now;
        gridcase__figures__free_unpacked (gauges, NULL);
    }
    return rc == GC_NOTFOUND ? GC_OK : rc;
}

static double
s_ratio (uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0;
}

//  A percentile from buckets, kept within the fastest and slowest times (a
//  bucket's low end may lie below every value in it). MAX 0: figures kept
//  before the range was, nothing to clamp to.
static uint64_t
s_within (uint64_t value, uint64_t min, uint64_t max)
{
    if (!max)
        return value;
    return value < min ? min : value > max ? max : value;
}

void
gc_figures_finish (Gridcase__Figures *f)
{
    f->on_time_rate = s_ratio (f->on_time, f->due);
    f->closure_rate = s_ratio (f->closed, f->received);
    f->rework_rate = s_ratio (f->reworked, f->resolved);
    f->bounce_rate = s_ratio (f->bounced, f->dispatched);
    f->satisfaction = s_ratio (f->rating_sum, f->rated);
    f->respond_mean_ms = f->responded ? f->respond_ms_sum / f->responded : 0;
    f->resolve_mean_ms = f->resolved ? f->resolve_ms_sum / f->resolved : 0;
    f->respond_p95_ms =
        s_within (s_hist_percentile (f->respond_hist, f->n_respond_hist, f->responded, 0.95),
                  f->respond_min_ms, f->respond_max_ms);
    f->resolve_p95_ms =
        s_within (s_hist_percentile (f->resolve_hist, f->n_resolve_hist, f->resolved, 0.95),
                  f->resolve_min_ms, f->resolve_max_ms);
    gc_figures_clear (f);
}

int
gc_figures_gauges (gc_txn_t *txn, const char *kind,
                   void (*fn) (const char *id, const Gridcase__Figures *gauges, void *arg),
                   void *arg)
{
    char prefix[GC_FIGURES_KEY_MAX];
    gc_join (prefix, sizeof (prefix), kind, '/', "");
    gc_key_t start;
    gc_key_reset (&start);
    gc_key_bytes (&start, prefix, strlen (prefix));
    gc_cursor_t *cursor = gc_cursor_prefix (txn, GC_DB_FIGURES, &start);
    //  Each key's gauges are its record of day 0 (now)
    const char *name;
    uint32_t day;
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        if (gc_key_unpack (walk.key, walk.key_size, GC_KEY_FIGURES, &name, &day) && day == 0) {
            Gridcase__Figures *gauges =
                gridcase__figures__unpack (NULL, walk.value_size, (const uint8_t *)walk.value);
            if (gauges && gauges->open_now)
                fn (name + start.size, gauges, arg);
            if (gauges)
                gridcase__figures__free_unpacked (gauges, NULL);
        }
    }
    gc_cursor_destroy (&cursor);
    return walk.rc == GC_NOTFOUND ? GC_OK : walk.rc;
}
