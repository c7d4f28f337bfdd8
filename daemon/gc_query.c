/*  gc_query - the reading operations. See gc_query.h. */
#include "gc_query.h"

#define GC_LIST_DEFAULT 50

static void
s_storage_error (gc_reply_t *out, const Gridcase__Request *request, const char *what)
{
    gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_STORAGE,
                    "reading %s failed; see the daemon's log", what);
}

//  Reads journal entry SEQ; NULL when absent or undecodable (*FAILED then)
static Gridcase__JournalEntry *
s_entry (gc_txn_t *txn, uint64_t seq, bool *failed)
{
    gc_key_t key;
    gc_key_reset (&key);
    gc_key_u64 (&key, seq);
    const void *value;
    size_t size;
    int rc = gc_txn_get (txn, GC_DB_JOURNAL, &key, &value, &size);
    if (rc) {
        *failed = rc != GC_NOTFOUND;
        return NULL;
    }
    Gridcase__JournalEntry *entry =
        gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
    *failed = entry == NULL;
    return entry;
}

//  Up to LIMIT entries of case KEY with seq > SINCE into ENTRIES; false on failure
static bool
s_case_history (gc_txn_t *txn, const gc_key_t *key, uint64_t since, size_t limit,
                Gridcase__JournalEntry **entries, size_t *count)
{
    gc_key_t start = *key;
    gc_key_u64 (&start, since + 1);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASE_JOURNAL);
    const void *k;
    size_t ksize;
    bool failed = false;
    int rc = cursor ? gc_cursor_seek (cursor, &start, &k, &ksize, NULL, NULL) : GC_EIO;
    while (!failed && rc == GC_OK && *count < limit && ksize == 16 &&
           memcmp (k, key->data, 8) == 0) {
        Gridcase__JournalEntry *entry = s_entry (txn, gc_be64 ((const uint8_t *)k + 8), &failed);
        if (entry)
            entries[(*count)++] = entry;
        rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL);
    }
    gc_cursor_destroy (&cursor);
    return !failed && (rc == GC_OK || rc == GC_NOTFOUND);
}

static void
s_free_entries (Gridcase__JournalEntry **entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gridcase__journal_entry__free_unpacked (entries[i], NULL);
    free (entries);
}

static void
s_get (gc_txn_t *txn, const Gridcase__Request *request, gc_reply_t *out)
{
    const Gridcase__GetRequest *get = request->get;
    Gridcase__Case *kase = NULL;
    int rc = gc_txn_case_get (txn, get->case_id, &kase);
    if (rc == GC_NOTFOUND) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'",
                        get->case_id);
        return;
    }
    if (rc) {
        s_storage_error (out, request, "the case");
        return;
    }
    Gridcase__JournalEntry **history = NULL;
    size_t count = 0;
    bool ok = true;
    if (get->with_history) {
        gc_key_t key;
        gc_case_id_parse (get->case_id, &key);
        history = (Gridcase__JournalEntry **)calloc (GC_JOURNAL_PAGE, sizeof (*history));
        ok = s_case_history (txn, &key, 0, GC_JOURNAL_PAGE, history, &count);
    }
    if (ok)
        gc_reply_case (out, request, kase, history, count);
    else
        s_storage_error (out, request, "the case's history");
    s_free_entries (history, count);
    gridcase__case__free_unpacked (kase, NULL);
}

static bool
s_is_escalation (Gridcase__EventType type)
{
    return type == GRIDCASE__EVENT_TYPE__EVENT_ESCALATED ||
           type == GRIDCASE__EVENT_TYPE__EVENT_SUPERVISION ||
           type == GRIDCASE__EVENT_TYPE__EVENT_OVERDUE;
}

static bool
s_entry_matches (const Gridcase__JournalRequest *query, const Gridcase__JournalEntry *entry)
{
    if (query->escalations_only && !s_is_escalation (entry->type))
        return false;
    if (!*query->topic)
        return true;
    for (size_t i = 0; i < entry->n_topics; i++)
        if (streq (entry->topics[i], query->topic))
            return true;
    return false;
}

static void
s_journal (gc_txn_t *txn, const Gridcase__Request *request, gc_reply_t *out)
{
    const Gridcase__JournalRequest *query = request->journal;
    if (*query->area || *query->department) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                        "journal by area or department is not served by this version; use "
                        "--topic or --case");
        return;
    }
    size_t limit = query->limit && query->limit < GC_JOURNAL_PAGE ? query->limit : GC_JOURNAL_PAGE;
    Gridcase__JournalReply result = GRIDCASE__JOURNAL_REPLY__INIT;
    result.entries = (Gridcase__JournalEntry **)calloc (limit, sizeof (Gridcase__JournalEntry *));
    result.last_seq = gc_txn_journal_last (txn);
    bool ok = true;
    if (*query->case_id) {
        gc_key_t key;
        if (!gc_case_id_parse (query->case_id, &key)) {
            free (result.entries);
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE, "no case '%s'",
                            query->case_id);
            return;
        }
        ok = s_case_history (txn, &key, query->since, limit, result.entries, &result.n_entries);
        //  Filters apply to the case's own entries too
        size_t kept = 0;
        for (size_t i = 0; i < result.n_entries; i++) {
            if (s_entry_matches (query, result.entries[i]))
                result.entries[kept++] = result.entries[i];
            else
                gridcase__journal_entry__free_unpacked (result.entries[i], NULL);
        }
        result.n_entries = kept;
    } else {
        gc_key_t key;
        gc_key_reset (&key);
        gc_key_u64 (&key, query->since + 1);
        gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_JOURNAL);
        const void *k, *value;
        size_t ksize, size, scanned = 0;
        int rc = cursor ? gc_cursor_seek (cursor, &key, &k, &ksize, &value, &size) : GC_EIO;
        while (ok && rc == GC_OK && result.n_entries < limit) {
            Gridcase__JournalEntry *entry =
                gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
            if (!entry) {
                ok = false;
                break;
            }
            result.scanned_to = entry->seq;
            if (s_entry_matches (query, entry))
                result.entries[result.n_entries++] = entry;
            else
                gridcase__journal_entry__free_unpacked (entry, NULL);
            if (++scanned == GC_JOURNAL_SCAN_MAX)
                break;
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
        s_storage_error (out, request, "the journal");
    s_free_entries (result.entries, result.n_entries);
}

//  --------------------------------------------------------------------------
//  Lists

static bool
s_overdue (const Gridcase__Case *c, int64_t now)
{
    if (c->state == GRIDCASE__STATE__STATE_CLOSED || c->paused)
        return false;
    int64_t dues[] = {c->response_due, c->resolution_due, c->verification_due};
    for (size_t i = 0; i < 3; i++)
        if (dues[i] && dues[i] < now)
            return true;
    return false;
}

static bool
s_case_matches (const Gridcase__ListRequest *query, const Gridcase__Case *c, int64_t now)
{
    if (query->state && c->state != query->state)
        return false;
    if (query->level && c->level != query->level)
        return false;
    if (query->severity && c->severity != query->severity)
        return false;
    if (*query->area && !streq (query->area, c->grid) && !streq (query->area, c->community) &&
        !streq (query->area, c->street) && !streq (query->area, c->district))
        return false;
    if (query->overdue && !s_overdue (c, now))
        return false;
    if (query->from && c->created_at < query->from)
        return false;
    if (query->to && c->created_at >= query->to)
        return false;
    return true;
}

typedef struct {
    Gridcase__ListReply result;
    size_t limit;
    char next_after[GC_CASE_ID_MAX];
} list_t;

static void
s_list_reply (list_t *list, const Gridcase__Request *request, gc_reply_t *out, bool ok)
{
    if (ok) {
        list->result.next_after = list->next_after;
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_LIST;
        reply.list = &list->result;
        gc_reply_pack (out, request, &reply);
    } else
        s_storage_error (out, request, "the cases");
    for (size_t i = 0; i < list->result.n_cases; i++)
        gridcase__case__free_unpacked (list->result.cases[i], NULL);
    free (list->result.cases);
}

//  A queue, in its order: red first, then by deadline. AFTER (a case id)
//  continues after that case.
static bool
s_list_queue (gc_txn_t *txn, const Gridcase__ListRequest *query, int64_t now, list_t *list)
{
    gc_key_t prefix;
    gc_key_reset (&prefix);
    gc_key_str (&prefix, query->queue);
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_QUEUES);
    const void *k;
    size_t ksize;
    bool skipping = *query->after != 0, failed = false;
    int rc = cursor ? gc_cursor_seek (cursor, &prefix, &k, &ksize, NULL, NULL) : GC_EIO;
    while (rc == GC_OK && ksize == prefix.size + 17 && memcmp (k, prefix.data, prefix.size) == 0) {
        char id[GC_CASE_ID_MAX];
        gc_case_id_from_key ((const uint8_t *)k + prefix.size + 9, id, sizeof (id));
        if (skipping)
            skipping = !streq (id, query->after);
        else {
            if (list->result.n_cases == list->limit) {
                snprintf (list->next_after, sizeof (list->next_after), "%s",
                          list->result.cases[list->limit - 1]->id);
                break;
            }
            Gridcase__Case *kase = NULL;
            if (gc_txn_case_get (txn, id, &kase)) {
                failed = true;
                break;
            }
            if (s_case_matches (query, kase, now))
                list->result.cases[list->result.n_cases++] = kase;
            else
                gridcase__case__free_unpacked (kase, NULL);
        }
        rc = gc_cursor_next (cursor, &k, &ksize, NULL, NULL);
    }
    gc_cursor_destroy (&cursor);
    return !failed && (rc == GC_OK || rc == GC_NOTFOUND);
}

//  Every case in id order (the day reported, then the number), filtered
static bool
s_list_cases (gc_txn_t *txn, const Gridcase__ListRequest *query, int64_t now, list_t *list)
{
    gc_key_t start;
    gc_key_reset (&start);
    if (*query->after && gc_case_id_parse (query->after, &start)) {
        //  The key right after AFTER's
        gc_key_u8 (&start, 0);
    }
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASES);
    const void *k, *value;
    size_t ksize, size, scanned = 0;
    bool failed = false;
    int rc = cursor ? gc_cursor_seek (cursor, start.size ? &start : NULL, &k, &ksize, &value, &size)
                    : GC_EIO;
    while (rc == GC_OK) {
        Gridcase__Case *kase = gridcase__case__unpack (NULL, size, (const uint8_t *)value);
        if (!kase) {
            failed = true;
            break;
        }
        if (s_case_matches (query, kase, now)) {
            if (list->result.n_cases == list->limit) {
                snprintf (list->next_after, sizeof (list->next_after), "%s",
                          list->result.cases[list->limit - 1]->id);
                gridcase__case__free_unpacked (kase, NULL);
                break;
            }
            list->result.cases[list->result.n_cases++] = kase;
        } else if (++scanned == GC_JOURNAL_SCAN_MAX) {
            //  Bounded work per request: the client continues from here
            snprintf (list->next_after, sizeof (list->next_after), "%s", kase->id);
            gridcase__case__free_unpacked (kase, NULL);
            break;
        } else
            gridcase__case__free_unpacked (kase, NULL);
        rc = gc_cursor_next (cursor, &k, &ksize, &value, &size);
    }
    gc_cursor_destroy (&cursor);
    return !failed && (rc == GC_OK || rc == GC_NOTFOUND);
}

static void
s_list (gc_txn_t *txn, const Gridcase__Request *request, int64_t now, gc_reply_t *out)
{
    const Gridcase__ListRequest *query = request->list;
    list_t list;
    memset (&list, 0, sizeof (list));
    gridcase__list_reply__init (&list.result);
    list.limit = query->limit ? (query->limit < GC_LIST_PAGE ? query->limit : GC_LIST_PAGE)
                              : GC_LIST_DEFAULT;
    list.result.cases = (Gridcase__Case **)calloc (list.limit, sizeof (Gridcase__Case *));
    bool ok = *query->queue ? s_list_queue (txn, query, now, &list)
                            : s_list_cases (txn, query, now, &list);
    s_list_reply (&list, request, out, ok);
}

void
gc_query_read (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request, int64_t now,
               gc_reply_t *out)
{
    (void)config;
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_GET:
            s_get (txn, request, out);
            break;
        case GRIDCASE__REQUEST__OP_JOURNAL:
            s_journal (txn, request, out);
            break;
        case GRIDCASE__REQUEST__OP_LIST:
            s_list (txn, request, now, out);
            break;
        default:
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                            "operation '%s' is not served by this version of gridcased",
                            gc_request_op_name (request));
            break;
    }
}
