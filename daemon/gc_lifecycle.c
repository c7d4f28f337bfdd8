/*  gc_lifecycle - what each request does to a case. See gc_lifecycle.h. */
#include "gc_lifecycle.h"
#include "gc_util.h"

#include <math.h>

#define GC_JOURNAL_PAGE 1000

//  Appends ENTRY to the journal and queues a notice for each topic in TOPICS
//  (NULL-terminated), chaining each topic's previous notice.
static void
s_journal (gc_txn_t *txn, Gridcase__JournalEntry *entry, const char *const *topics,
           zlistx_t *notices)
{
    uint8_t prev_hash[GC_HASH_SIZE];
    entry->prev_hash.data = prev_hash;
    if (gc_txn_journal_append (txn, entry))
        return;
    for (const char *const *topic = topics; *topic; topic++) {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_str (&key, *topic);
        const void *value;
        size_t size;
        uint64_t prev_seq = 0;
        if (gc_txn_get (txn, GC_DB_TOPICS, &key, &value, &size) == GC_OK && size == 8)
            prev_seq = gc_be64 ((const uint8_t *)value);
        gc_key_t seq;
        gc_key_reset (&seq);
        gc_key_u64 (&seq, entry->seq);
        if (gc_txn_put (txn, GC_DB_TOPICS, &key, seq.data, 8))
            return;
        Gridcase__Notice notice = GRIDCASE__NOTICE__INIT;
        notice.topic = (char *)*topic;
        notice.seq = entry->seq;
        notice.prev_seq = prev_seq;
        notice.entry = entry;
        size_t packed = gridcase__notice__get_packed_size (&notice);
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, *topic);
        zframe_t *frame = zframe_new (NULL, packed);
        gridcase__notice__pack (&notice, zframe_data (frame));
        zmsg_append (msg, &frame);
        zlistx_add_end (notices, msg);
    }
    entry->prev_hash.data = NULL;
    entry->prev_hash.len = 0;
}

static void
s_case_reply (gc_reply_t *out, const Gridcase__Request *request, Gridcase__Case *kase)
{
    Gridcase__CaseReply result = GRIDCASE__CASE_REPLY__INIT;
    result.case_ = kase;
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    reply.result_case = GRIDCASE__REPLY__RESULT_CASE;
    reply.case_ = &result;
    gc_reply_pack (out, request, &reply);
}

static void
s_storage_error (gc_reply_t *out, const Gridcase__Request *request, gc_txn_t *txn)
{
    int rc = gc_txn_error (txn);
    gc_reply_error (out, request,
                    rc == GC_NOSPACE ? GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL
                                     : GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                    "the store failed (%s); nothing was changed", gc_store_strerror (rc));
}

static void
s_report (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request, int64_t now,
          gc_reply_t *out, zlistx_t *notices)
{
    const Gridcase__ReportRequest *report = request->report;
    gc_grid_t *grid = gc_config_grid (config, report->grid);
    if (!grid) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID, "unknown grid '%s'",
                        report->grid);
        return;
    }
    gc_category_t *category = gc_config_category (config, report->category);
    if (!category) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CATEGORY,
                        "unknown category '%s'", report->category);
        return;
    }
    if (!*report->title) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "a report needs a title");
        return;
    }
    if (report->location &&
        (fabs (report->location->lat) > 90 || fabs (report->location->lon) > 180)) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "location %f,%f is not a latitude and longitude", report->location->lat,
                        report->location->lon);
        return;
    }
    if (*report->link_to) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                        "linking a report to an open case is not served by this version");
        return;
    }
    uint32_t day = gc_local_day (now);
    uint32_t number = gc_txn_case_next_number (txn, day);
    if (number == 0) {
        s_storage_error (out, request, txn);
        return;
    }
    char id[GC_CASE_ID_MAX];
    gc_case_id_format (day, number, id, sizeof (id));
    char holder[80];
    snprintf (holder, sizeof (holder), "grid/%s", grid->id);

    Gridcase__Case kase = GRIDCASE__CASE__INIT;
    Gridcase__Actor reporter = GRIDCASE__ACTOR__INIT;
    if (request->actor) {
        reporter.role = request->actor->role;
        reporter.id = request->actor->id;
    }
    kase.id = id;
    kase.state = GRIDCASE__STATE__STATE_AT_GRID;
    kase.level = GRIDCASE__LEVEL__LEVEL_GRID;
    kase.holder = holder;
    kase.grid = grid->id;
    kase.community = grid->community->id;
    kase.street = grid->community->street->id;
    kase.district = grid->community->street->district->id;
    kase.category = category->id;
    kase.severity = report->severity ? report->severity : category->severity;
    kase.title = report->title;
    kase.description = report->description;
    kase.address = report->address;
    kase.location = report->location;
    kase.reporter = &reporter;
    kase.created_at = now;
    kase.updated_at = now;
    kase.lead_department = category->department ? category->department->id : (char *)"";

    Gridcase__JournalEntry entry = GRIDCASE__JOURNAL_ENTRY__INIT;
    entry.time = now;
    entry.type = GRIDCASE__EVENT_TYPE__EVENT_REPORTED;
    entry.case_id = id;
    entry.actor = &reporter;
    entry.from = "";
    entry.to = holder;
    entry.reason = "reported";
    entry.state = kase.state;
    entry.level = kase.level;
    entry.severity = kase.severity;
    entry.detail = report->title;
    const char *topics[] = {holder, NULL};
    s_journal (txn, &entry, topics, notices);
    kase.journal_seq = entry.seq;
    gc_txn_case_put (txn, &kase);
    if (gc_txn_error (txn)) {
        s_storage_error (out, request, txn);
        return;
    }
    s_case_reply (out, request, &kase);
}

void
gc_lifecycle_apply (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                    int64_t now, gc_reply_t *out, zlistx_t *notices)
{
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_REPORT:
            s_report (config, txn, request, now, out, notices);
            break;
        default:
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                            "operation '%s' is not served by this version of gridcased",
                            gc_request_op_name (request));
            break;
    }
}

//  --------------------------------------------------------------------------
//  Reads

static void
s_get (gc_txn_t *txn, const Gridcase__Request *request, gc_reply_t *out)
{
    Gridcase__Case *kase = NULL;
    int rc = gc_txn_case_get (txn, request->get->case_id, &kase);
    if (rc == GC_NOTFOUND) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'",
                        request->get->case_id);
        return;
    }
    if (rc) {
        s_storage_error (out, request, txn);
        return;
    }
    s_case_reply (out, request, kase);
    gridcase__case__free_unpacked (kase, NULL);
}

//  Collects journal entries into REPLY; returns false on a store failure
static bool
s_collect (gc_txn_t *txn, Gridcase__JournalReply *reply, uint64_t seq, size_t limit)
{
    gc_key_t key;
    gc_key_reset (&key);
    gc_key_u64 (&key, seq);
    const void *value;
    size_t size;
    int rc = gc_txn_get (txn, GC_DB_JOURNAL, &key, &value, &size);
    if (rc == GC_NOTFOUND)
        return true;
    if (rc)
        return false;
    Gridcase__JournalEntry *entry =
        gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
    if (!entry)
        return false;
    if (reply->n_entries < limit)
        reply->entries[reply->n_entries++] = entry;
    else
        gridcase__journal_entry__free_unpacked (entry, NULL);
    return true;
}

static void
s_journal_query (gc_txn_t *txn, const Gridcase__Request *request, gc_reply_t *out)
{
    const Gridcase__JournalRequest *query = request->journal;
    size_t limit = query->limit && query->limit < GC_JOURNAL_PAGE ? query->limit : GC_JOURNAL_PAGE;
    Gridcase__JournalReply result = GRIDCASE__JOURNAL_REPLY__INIT;
    result.entries = (Gridcase__JournalEntry **)calloc (limit, sizeof (Gridcase__JournalEntry *));
    result.last_seq = gc_txn_journal_last (txn);
    bool ok = true;
    gc_key_t key;
    if (*query->case_id) {
        if (!gc_case_id_parse (query->case_id, &key)) {
            free (result.entries);
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'",
                            query->case_id);
            return;
        }
        gc_key_t start = key;
        gc_key_u64 (&start, query->since + 1);
        gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASE_JOURNAL);
        const void *k;
        size_t ksize;
        int rc = cursor ? gc_cursor_seek (cursor, &start, &k, &ksize, NULL, NULL) : GC_EIO;
        while (ok && rc == GC_OK && result.n_entries < limit && ksize == 16 &&
               memcmp (k, key.data, 8) == 0) {
            ok = s_collect (txn, &result, gc_be64 ((const uint8_t *)k + 8), limit);
            rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL);
        }
        ok = ok && (rc == GC_OK || rc == GC_NOTFOUND);
        gc_cursor_destroy (&cursor);
    } else {
        gc_key_reset (&key);
        gc_key_u64 (&key, query->since + 1);
        gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_JOURNAL);
        const void *k, *value;
        size_t ksize, size;
        int rc = cursor ? gc_cursor_seek (cursor, &key, &k, &ksize, &value, &size) : GC_EIO;
        while (ok && rc == GC_OK && result.n_entries < limit) {
            Gridcase__JournalEntry *entry =
                gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
            if (entry)
                result.entries[result.n_entries++] = entry;
            else
                ok = false;
            rc = gc_cursor_next (cursor, &k, &ksize, &value, &size);
        }
        ok = ok && (rc == GC_OK || rc == GC_NOTFOUND);
        gc_cursor_destroy (&cursor);
    }
    if (ok) {
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_JOURNAL;
        reply.journal = &result;
        gc_reply_pack (out, request, &reply);
    } else
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                        "reading the journal failed; see the daemon's log");
    for (size_t i = 0; i < result.n_entries; i++)
        gridcase__journal_entry__free_unpacked (result.entries[i], NULL);
    free (result.entries);
}

void
gc_lifecycle_read (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request,
                   gc_reply_t *out)
{
    (void)config;
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_GET:
            s_get (txn, request, out);
            break;
        case GRIDCASE__REQUEST__OP_JOURNAL:
            s_journal_query (txn, request, out);
            break;
        default:
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                            "operation '%s' is not served by this version of gridcased",
                            gc_request_op_name (request));
            break;
    }
}
