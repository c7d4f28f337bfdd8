/*  gc_journal - recording an event. See gc_journal.h. */
#include "gc_journal.h"
#include "gc_schema.h"
#include "gc_chain.h"
#include "gc_figures.h"
#include "gc_request.h"
#include "gc_util.h"

#define GC_TOPICS_MAX 64

static void
s_holder_queue (char *buffer, const char *prefix, const char *id)
{
    gc_join (buffer, GC_HOLDER_MAX, prefix, '/', id);
}

//  The topic that follows a holder: a lease holder's case stays on its queue
static const char *
s_topic_of (const Gridcase__Case *kase, const char *holder)
{
    if (!*holder)
        return NULL;
    return gc_holder_of (holder).kind == GC_HOLDER_ACTOR ? kase->queue : holder;
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
        if (gc_key_pack (&key, GC_KEY_TOPIC, (const char *)zhashx_cursor (heads)) &&
            gc_key_pack (&seq, "q", head->seq))
            gc_txn_put (txn, GC_DB_TOPICS, &key, seq.data, seq.size);
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
        const void *value;
        size_t size;
        if (gc_key_pack (&key, GC_KEY_TOPIC, topic) &&
            gc_txn_get (txn, GC_DB_TOPICS, &key, &value, &size) == GC_OK)
            gc_key_unpack (value, size, "q", &head->seq);
        zhashx_insert (heads, topic, head);
    }
    uint64_t prev = head->seq;
    head->seq = seq;
    return prev;
}

void
gc_journal_record (gc_config_t *config, gc_txn_t *txn, const Gridcase__Case *kase,
                   Gridcase__JournalEntry *entry, zlistx_t *notices)
{
    char *topics[GC_TOPICS_MAX];
    char storage[GC_TOPICS_MAX * GC_HOLDER_MAX];
    size_t count = 0, used = 0;
    char extra[GC_HOLDER_MAX];
    s_topic_add (topics, &count, storage, &used, s_topic_of (kase, entry->from));
    s_topic_add (topics, &count, storage, &used, s_topic_of (kase, entry->to));
    gc_grid_t *grid = gc_config_grid (config, kase->grid);
    const gc_crew_t *crew = grid ? gc_grid_crew (grid) : NULL;
    for (size_t i = 0; crew && i < crew->count; i++) {
        s_holder_queue (extra, "officer", crew->officer[i]->id);
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
    if (gc_chain_append (txn, entry) == GC_OK &&
        gc_chain_get (txn, entry->seq, &packed, &packed_size) == GC_OK) {
        if (gc_log_event (entry->type))
            s_log_index (txn, entry);
        //  Each notice: its own fields (topic, seq, prev_seq), then the
        //  journal entry as stored (field 4, packed once for every topic)
        Gridcase__Notice notice[GC_TOPICS_MAX];
        size_t head[GC_TOPICS_MAX], total = 0;
        uint8_t field[GC_PB_HEAD_MAX];
        size_t field_size = gc_pb_head (field, 4, packed_size);
        for (size_t i = 0; i < count; i++) {
            gridcase__notice__init (&notice[i]);
            notice[i].topic = topics[i];
            notice[i].seq = entry->seq;
            notice[i].prev_seq = s_topic_advance (txn, topics[i], entry->seq);
            head[i] = gridcase__notice__get_packed_size (&notice[i]);
            total += strlen (topics[i]) + head[i] + field_size + packed_size;
        }
        gc_notices_t *out =
            (gc_notices_t *)malloc (sizeof (gc_notices_t) + count * sizeof (gc_notice_t) + total);
        if (!out) {
            gc_txn_fail (txn, ENOMEM, "out of memory for the notices of an entry");
            return;
        }
        out->escalation = entry->type == GRIDCASE__EVENT_TYPE__EVENT_ESCALATED ||
                          entry->type == GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION ||
                          entry->type == GRIDCASE__EVENT_TYPE__EVENT_OVERDUE;
        out->count = count;
        out->notice = (gc_notice_t *)(out + 1);
        uint8_t *at = (uint8_t *)(out->notice + count);
        for (size_t i = 0; i < count; i++) {
            gc_notice_t *n = &out->notice[i];
            n->topic = at;
            n->topic_size = strlen (topics[i]);
            memcpy (at, topics[i], n->topic_size);
            at += n->topic_size;
            n->notice = at;
            n->notice_size = head[i] + field_size + packed_size;
            gridcase__notice__pack (&notice[i], at);
            memcpy (at + head[i], field, field_size);
            memcpy (at + head[i] + field_size, packed, packed_size);
            at += n->notice_size;
        }
        zlistx_add_end (notices, out);
    }
    entry->prev_hash.data = NULL;
    entry->prev_hash.len = 0;
    entry->topics = NULL;
    entry->n_topics = 0;
}
