/*  gc_check - the store checker. See gc_check.h. */
#include "gc_check.h"
#include "gc_schema.h"
#include "gc_chain.h"
#include "gc_figures.h"
#include "gc_lifecycle.h"
#include "gridcase.h"

#include <czmq.h>
#include <time.h>

typedef struct {
    gc_check_report_fn *report;
    void *arg;
    gc_check_result_t *result;
    uint64_t expected; //  the seq the next journal entry must have
    zhashx_t *heads;   //  topic -> last seq seen in the journal (uint64_t *)
    zhashx_t *log;     //  "key seq" the escalation-log index must hold
    zhashx_t *deadlines;
    zhashx_t *queued;
    zhashx_t *gauges; //  figures key -> what the cases say now (gauge_t)
} check_t;

//  The gauges of one area, department or queue: cases open and overdue now
typedef struct {
    int64_t open, overdue;
} gauge_t;

static void
s_gauge_add (check_t *self, const char *kind, const char *id, int64_t open, int64_t overdue)
{
    char key[GC_FIGURES_KEY_MAX];
    gc_figures_key (key, sizeof (key), kind, id);
    gauge_t *gauge = (gauge_t *)zhashx_lookup (self->gauges, key);
    if (!gauge) {
        gauge = (gauge_t *)zmalloc (sizeof (gauge_t));
        zhashx_insert (self->gauges, key, gauge);
    }
    gauge->open += open;
    gauge->overdue += overdue;
}

static void
s_problem (check_t *self, const char *format, ...)
{
    va_list args;
    va_start (args, format);
    char *text = zsys_vprintf (format, args);
    va_end (args);
    self->result->problems++;
    self->report (self->arg, text);
    free (text);
}

static const char *
s_time (int64_t ms, char *buffer, size_t size)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r (&seconds, &tm);
    strftime (buffer, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

static const char *
s_kind_name (unsigned kind)
{
    static const char *names[] = {"?",          "response", "resolution", "lease", "verification",
                                  "evaluation", "resume"};
    return kind < 7 ? names[kind] : "?";
}

//  How a deadline index entry is named, expected or found
static void
s_deadline_text (char *name, size_t size, int64_t due, const char *id, unsigned kind)
{
    char when[32];
    snprintf (name, size, "case %s: %s deadline due %s (%" PRId64 ")", id, s_kind_name (kind),
              s_time (due, when, sizeof (when)), due);
}

static void
s_seq_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

//  --------------------------------------------------------------------------
//  The journal: its chain, and what the log index and topic heads must hold

static void
s_entry (check_t *self, uint64_t seq, const uint8_t *data, size_t size, uint8_t *hash)
{
    if (seq != self->expected)
        s_problem (self,
                   seq > self->expected
                       ? "journal: entries %" PRIu64 "..%" PRIu64 " are missing (removed)"
                       : "journal: entry %" PRIu64 " comes out of order after %" PRIu64,
                   seq > self->expected ? self->expected : seq,
                   seq > self->expected ? seq - 1 : self->expected - 1);
    Gridcase__JournalEntry *entry = gridcase__journal_entry__unpack (NULL, size, data);
    if (!entry)
        s_problem (self, "journal: entry %" PRIu64 " does not decode (altered)", seq);
    else {
        if (entry->seq != seq)
            s_problem (self, "journal: entry %" PRIu64 " says it is entry %" PRIu64 " (altered)",
                       seq, entry->seq);
        if (entry->prev_hash.len != GC_HASH_SIZE ||
            memcmp (entry->prev_hash.data, hash, GC_HASH_SIZE) != 0)
            s_problem (self,
                       "journal: entry %" PRIu64 " does not carry the hash of the entry before "
                       "it (one of the two was altered)",
                       seq);
        for (size_t i = 0; i < entry->n_topics; i++) {
            uint64_t *head = (uint64_t *)zhashx_lookup (self->heads, entry->topics[i]);
            if (!head) {
                head = (uint64_t *)zmalloc (sizeof (uint64_t));
                zhashx_insert (self->heads, entry->topics[i], head);
            }
            *head = seq;
        }
        char key[GC_FIGURES_KEY_MAX], item[GC_FIGURES_KEY_MAX + 24];
        for (size_t i = 0; gc_log_event (entry->type) && gc_log_key (entry, i, key, sizeof (key));
             i++) {
            snprintf (item, sizeof (item), "%s %" PRIu64, key, seq);
            zhashx_insert (self->log, item, (void *)1);
        }
        gridcase__journal_entry__free_unpacked (entry, NULL);
    }
    gc_hash (data, size, hash);
    self->expected = seq + 1;
    self->result->entries++;
}

static int
s_journal (check_t *self, gc_txn_t *txn)
{
    uint8_t *hash = self->result->head;
    memset (hash, 0, GC_HASH_SIZE);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_JOURNAL);
    gc_walk_t walk;
    uint64_t seq;
    GC_WALK (cursor, NULL, walk) {
        if (!gc_key_unpack (walk.key, walk.key_size, GC_KEY_JOURNAL, &seq))
            s_problem (self, "journal: a key of %zu bytes is not a sequence number", walk.key_size);
        else
            s_entry (self, seq, (const uint8_t *)walk.value, walk.value_size, hash);
    }
    gc_cursor_destroy (&cursor);
    if (walk.rc != GC_NOTFOUND)
        return walk.rc;
    //  The head recorded beside the journal catches a removed or altered tail
    uint64_t head_seq = 0;
    uint8_t head_hash[GC_HASH_SIZE];
    int rc = gc_chain_head (txn, &head_seq, head_hash);
    if (rc == GC_OK && head_seq != self->expected - 1)
        s_problem (self,
                   "journal: last written at entry %" PRIu64 " but ends at %" PRIu64
                   " (entries removed from the end)",
                   head_seq, self->expected - 1);
    else if (rc == GC_OK && memcmp (head_hash, hash, GC_HASH_SIZE) != 0)
        s_problem (self,
                   "journal: the last entry, %" PRIu64 ", is not the one recorded when it was "
                   "written (altered)",
                   head_seq);
    else if (rc == GC_NOTFOUND && self->expected > 1)
        s_problem (self, "journal: the head recorded beside it is missing");
    return rc == GC_NOTFOUND || rc == GC_OK ? GC_OK : rc;
}

//  --------------------------------------------------------------------------
//  Cases: each against its last entry, and what the indexes must hold for it

static void
s_case (check_t *self, gc_txn_t *txn, const void *k, size_t ksize, const void *value, size_t size)
{
    self->result->cases++;
    Gridcase__Case *kase = gridcase__case__unpack (NULL, size, (const uint8_t *)value);
    if (!kase) {
        s_problem (self, "cases: a case record does not decode (altered)");
        return;
    }
    gc_key_t key;
    if (!gc_key_pack (&key, GC_KEY_CASE, kase->id) || key.size != ksize ||
        memcmp (key.data, k, ksize))
        s_problem (self, "cases: case %s is stored under another case's key", kase->id);
    const void *stored;
    size_t stored_size;
    Gridcase__JournalEntry *entry = NULL;
    if (gc_chain_get (txn, kase->journal_seq, &stored, &stored_size) != GC_OK ||
        !(entry = gridcase__journal_entry__unpack (NULL, stored_size, (const uint8_t *)stored)) ||
        !streq (entry->case_id, kase->id))
        s_problem (self,
                   "cases: case %s names journal entry %" PRIu64
                   " as its last, which is not about it (altered)",
                   kase->id, kase->journal_seq);
    else if (entry->case_sha256.len == GC_HASH_SIZE) {
        uint8_t hash[GC_HASH_SIZE];
        gc_hash (value, size, hash);
        self->result->hashed_cases++;
        if (memcmp (hash, entry->case_sha256.data, GC_HASH_SIZE) != 0)
            s_problem (
                self, "cases: case %s is not the record journal entry %" PRIu64 " stored (altered)",
                kase->id, kase->journal_seq);
    }
    if (entry)
        gridcase__journal_entry__free_unpacked (entry, NULL);
    gc_case_index_t index;
    gc_case_index (kase, &index);
    char item[GC_HOLDER_MAX + 64];
    for (size_t i = 0; i < index.deadlines; i++) {
        s_deadline_text (item, sizeof (item), index.due[i], kase->id, index.kind[i]);
        zhashx_insert (self->deadlines, item, (void *)1);
    }
    //  What the figures' gauges must count for it now
    gc_figures_snap_t snap;
    gc_figures_snap (kase, &snap);
    const char *kinds[] = {"grid", "community", "street", "district"};
    const char *ids[] = {kase->grid, kase->community, kase->street, kase->district};
    for (int i = 0; i < 4; i++)
        s_gauge_add (self, kinds[i], ids[i], snap.open, snap.overdue);
    if (*snap.dept)
        s_gauge_add (self, "dept", snap.dept, snap.dept_open, snap.dept_open && snap.overdue);
    if (*snap.queue)
        s_gauge_add (self, "queue", snap.queue, 1, 0);
    if (snap.open)
        s_gauge_add (self, "level", gridcase_level_name (snap.level), 1, snap.overdue);
    if (index.queued) {
        snprintf (item, sizeof (item), "%s %u %" PRId64 " %s", index.queue, index.severity,
                  index.queue_due, kase->id);
        zhashx_insert (self->queued, item, (void *)1);
    }
    gridcase__case__free_unpacked (kase, NULL);
}

static int
s_cases (check_t *self, gc_txn_t *txn)
{
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASES);
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk)
        s_case (self, txn, walk.key, walk.key_size, walk.value, walk.value_size);
    gc_cursor_destroy (&cursor);
    return walk.rc == GC_NOTFOUND ? GC_OK : walk.rc;
}

//  --------------------------------------------------------------------------
//  The derived indexes against what they are derived from

//  Walks DB: each key, named by NAME as the expectations do, must be in
//  EXPECTED (and is taken out of it); WHAT says what a key is for messages
typedef bool (s_name_fn) (const uint8_t *key, size_t size, const void *value, size_t vsize,
                          char *name, size_t name_size);

static int
s_index (check_t *self, gc_txn_t *txn, gc_db_t db, s_name_fn *name_of, zhashx_t *expected,
         const char *what, uint64_t *count)
{
    gc_cursor_t *cursor = gc_cursor_new (txn, db);
    char name[GC_HOLDER_MAX + 64];
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        (*count)++;
        if (!name_of ((const uint8_t *)walk.key, walk.key_size, walk.value, walk.value_size, name,
                      sizeof (name)))
            s_problem (self, "%s: an entry of %zu bytes does not decode", what, walk.key_size);
        else if (zhashx_lookup (expected, name))
            zhashx_delete (expected, name);
        else
            s_problem (self, "%s: '%s' is there, but nothing it derives from says so (stale)", what,
                       name);
    }
    gc_cursor_destroy (&cursor);
    for (void *item = zhashx_first (expected); item; item = zhashx_next (expected))
        s_problem (self, "%s: '%s' is missing", what, (const char *)zhashx_cursor (expected));
    return walk.rc == GC_NOTFOUND ? GC_OK : walk.rc;
}

static bool
s_deadline_name (const uint8_t *key, size_t size, const void *value, size_t vsize, char *name,
                 size_t name_size)
{
    (void)value, (void)vsize;
    int64_t due;
    char id[GC_CASE_ID_MAX];
    uint8_t kind;
    if (!gc_deadline_key_parse (key, size, &due, id, &kind))
        return false;
    s_deadline_text (name, name_size, due, id, kind);
    return true;
}

static bool
s_queue_name (const uint8_t *key, size_t size, const void *value, size_t vsize, char *name,
              size_t name_size)
{
    (void)value, (void)vsize;
    const char *queue;
    uint8_t severity;
    uint64_t due;
    char id[GC_CASE_ID_MAX];
    if (!gc_key_unpack (key, size, GC_KEY_QUEUE, &queue, &severity, &due, id))
        return false;
    snprintf (name, name_size, "%s %u %" PRId64 " %s", queue, severity, (int64_t)due, id);
    return true;
}

static bool
s_log_name (const uint8_t *key, size_t size, const void *value, size_t vsize, char *name,
            size_t name_size)
{
    (void)value, (void)vsize;
    const char *area;
    uint64_t seq;
    if (!gc_key_unpack (key, size, GC_KEY_LOG, &area, &seq))
        return false;
    snprintf (name, name_size, "%s %" PRIu64, area, seq);
    return true;
}

//  A topic head names the topic and the seq it holds
static bool
s_topic_name (const uint8_t *key, size_t size, const void *value, size_t vsize, char *name,
              size_t name_size)
{
    const char *topic;
    uint64_t seq;
    if (!gc_key_unpack (key, size, GC_KEY_TOPIC, &topic) ||
        !gc_key_unpack (value, vsize, "q", &seq))
        return false;
    snprintf (name, name_size, "%s %" PRIu64, topic, seq);
    return true;
}

//  The figures' gauges (each key's record of day 0) against what the cases say
static int
s_gauges (check_t *self, gc_txn_t *txn)
{
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_FIGURES);
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        //  Gauges live in day 0
        const char *name;
        uint32_t day;
        if (gc_key_unpack (walk.key, walk.key_size, GC_KEY_FIGURES, &name, &day) && day == 0) {
            Gridcase__Figures *stored =
                gridcase__figures__unpack (NULL, walk.value_size, (const uint8_t *)walk.value);
            gauge_t *want = (gauge_t *)zhashx_lookup (self->gauges, name);
            int64_t open = want ? want->open : 0, overdue = want ? want->overdue : 0;
            if (!stored)
                s_problem (self, "figures gauges: the record of '%s' does not decode", name);
            else if ((int64_t)stored->open_now != open ||
                     (strncmp (name, "queue/", 6) != 0 && (int64_t)stored->overdue_now != overdue))
                s_problem (self,
                           "figures gauges: '%s' counts %" PRId64 " open and %" PRId64
                           " overdue now; the cases say %" PRId64 " and %" PRId64,
                           name, (int64_t)stored->open_now, (int64_t)stored->overdue_now, open,
                           overdue);
            if (stored)
                gridcase__figures__free_unpacked (stored, NULL);
            zhashx_delete (self->gauges, name);
            self->result->gauges++;
        }
    }
    gc_cursor_destroy (&cursor);
    for (gauge_t *gauge = (gauge_t *)zhashx_first (self->gauges); gauge;
         gauge = (gauge_t *)zhashx_next (self->gauges))
        if (gauge->open || gauge->overdue)
            s_problem (self,
                       "figures gauges: '%s' has no record; the cases say %" PRId64
                       " open and %" PRId64 " overdue",
                       (const char *)zhashx_cursor (self->gauges), gauge->open, gauge->overdue);
    return walk.rc == GC_NOTFOUND ? GC_OK : walk.rc;
}

int
gc_check_store (gc_txn_t *txn, gc_check_report_fn *report, void *arg, gc_check_result_t *result)
{
    memset (result, 0, sizeof (*result));
    check_t self = {report,        arg,           result,       1, zhashx_new (), zhashx_new (),
                    zhashx_new (), zhashx_new (), zhashx_new ()};
    zhashx_set_destructor (self.heads, s_seq_destroy);
    zhashx_set_destructor (self.gauges, s_seq_destroy);
    int rc = s_journal (&self, txn);
    if (rc == GC_OK)
        rc = s_cases (&self, txn);
    if (rc == GC_OK)
        rc = s_index (&self, txn, GC_DB_DEADLINES, s_deadline_name, self.deadlines,
                      "deadline index", &result->deadlines);
    if (rc == GC_OK)
        rc = s_index (&self, txn, GC_DB_QUEUES, s_queue_name, self.queued, "queue index",
                      &result->queued);
    if (rc == GC_OK)
        rc = s_index (&self, txn, GC_DB_LOG, s_log_name, self.log, "escalation-log index",
                      &result->log_entries);
    if (rc == GC_OK)
        rc = s_gauges (&self, txn);
    if (rc == GC_OK) {
        zhashx_t *heads = zhashx_new ();
        for (uint64_t *seq = (uint64_t *)zhashx_first (self.heads); seq;
             seq = (uint64_t *)zhashx_next (self.heads)) {
            char item[GC_HOLDER_MAX + 32];
            snprintf (item, sizeof (item), "%s %" PRIu64, (const char *)zhashx_cursor (self.heads),
                      *seq);
            zhashx_insert (heads, item, (void *)1);
        }
        rc =
            s_index (&self, txn, GC_DB_TOPICS, s_topic_name, heads, "topic heads", &result->topics);
        zhashx_destroy (&heads);
    }
    zhashx_destroy (&self.heads);
    zhashx_destroy (&self.log);
    zhashx_destroy (&self.deadlines);
    zhashx_destroy (&self.queued);
    zhashx_destroy (&self.gauges);
    return rc;
}
