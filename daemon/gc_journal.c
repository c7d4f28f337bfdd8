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
        for (size_t i = 0; i < count; i++) {
            Gridcase__Notice notice = GRIDCASE__NOTICE__INIT;
            notice.topic = topics[i];
            notice.seq = entry->seq;
            notice.prev_seq = s_topic_advance (txn, topics[i], entry->seq);
            zmsg_t *msg = zmsg_new ();
            zmsg_addstr (msg, topics[i]);
            zframe_t *frame = s_notice_frame (&notice, packed, packed_size);
            zmsg_append (msg, &frame);
            zlistx_add_end (notices, msg);
        }
    }
    entry->prev_hash.data = NULL;
    entry->prev_hash.len = 0;
    entry->topics = NULL;
    entry->n_topics = 0;
}
