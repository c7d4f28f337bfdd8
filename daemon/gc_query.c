/*  gc_query - the reading operations. See gc_query.h. */
#include "gc_query.h"
#include "gc_schema.h"
#include "gc_chain.h"
#include "gc_access.h"
#include "gc_topics.h"
#include "gc_figures.h"
#include "gc_util.h"
#include "gridcase.h"

#define GC_LIST_DEFAULT 50

//  Reads journal entry SEQ; NULL when absent or undecodable (*FAILED then)
static Gridcase__JournalEntry *
s_entry (gc_txn_t *txn, uint64_t seq, bool *failed)
{
    const void *value;
    size_t size;
    int rc = gc_chain_get (txn, seq, &value, &size);
    if (rc) {
        *failed = rc != GC_NOTFOUND;
        return NULL;
    }
    Gridcase__JournalEntry *entry =
        gridcase__journal_entry__unpack (NULL, size, (const uint8_t *)value);
    *failed = entry == NULL;
    return entry;
}

//  Up to LIMIT entries of case CASE_ID with seq > SINCE into ENTRIES; false
//  on failure
static bool
s_case_history (gc_txn_t *txn, const char *case_id, uint64_t since, size_t limit,
                Gridcase__JournalEntry **entries, size_t *count)
{
    gc_key_t prefix, start;
    if (!gc_key_pack (&prefix, GC_KEY_CASE_JOURNAL_OF, case_id))
        return true; //  no such case, no history
    gc_key_pack (&start, GC_KEY_CASE_JOURNAL, case_id, since + 1);
    gc_cursor_t *cursor = gc_cursor_prefix (txn, GC_DB_CASE_JOURNAL, &prefix);
    bool failed = false;
    uint64_t seq;
    gc_walk_t walk;
    GC_WALK (cursor, &start, walk) {
        if (failed || *count == limit ||
            !gc_key_unpack (walk.key, walk.key_size, GC_KEY_CASE_JOURNAL, NULL, &seq))
            break;
        Gridcase__JournalEntry *entry = s_entry (txn, seq, &failed);
        if (entry)
            entries[(*count)++] = entry;
    }
    gc_cursor_destroy (&cursor);
    return !failed && (walk.rc == GC_OK || walk.rc == GC_NOTFOUND);
}

static void
s_free_entries (Gridcase__JournalEntry **entries, size_t count)
{
    for (size_t i = 0; i < count; i++)
        gridcase__journal_entry__free_unpacked (entries[i], NULL);
    free (entries);
}

//  --------------------------------------------------------------------------
//  Public reads: what a gateway reads for itself (for a caller without an
//  api key) holds no personal detail. Blanked in place: the title, the
//  description, the address, the resident's contact, free text and who
//  reported it; the location moved to its grid's centre.

static void
s_blank (char *text)
{
    //  An empty field may be the descriptor's default "", which is not ours
    //  to write
    if (text && *text)
        text[0] = 0;
}

static bool
s_public (const gc_actor_t *actor)
{
    return actor->role == GRIDCASE__ROLE__ROLE_GATEWAY;
}

static void
s_public_case (gc_config_t *config, Gridcase__Case *kase)
{
    s_blank (kase->title);
    s_blank (kase->description);
    s_blank (kase->address);
    s_blank (kase->rating_comment);
    s_blank (kase->pending_reason);
    if (kase->contact) {
        s_blank (kase->contact->name);
        s_blank (kase->contact->phone);
        s_blank (kase->contact->email);
    }
    if (kase->reporter)
        s_blank (kase->reporter->id);
    gc_grid_t *grid = gc_config_grid (config, kase->grid);
    if (kase->location && grid && grid->bounded) {
        kase->location->lat = grid->lat;
        kase->location->lon = grid->lon;
    } else if (kase->location)
        kase->location->lat = kase->location->lon = 0;
}

static void
s_public_entry (Gridcase__JournalEntry *entry)
{
    s_blank (entry->reason);
    s_blank (entry->detail);
    s_blank (entry->reporter);
}

//  The history's place in the journal's hash chain: each entry carries the
//  hash of the entry before it, and the last one the case record's hash
static void
s_chain_words (gc_txn_t *txn, const Gridcase__Case *kase, Gridcase__JournalEntry **history,
               size_t count, char *out, size_t size)
{
    for (size_t i = 0; i < count; i++)
        if (!gc_chain_links (txn, history[i])) {
            snprintf (out, size,
                      "broken: entry %" PRIu64 " does not carry the hash of entry %" PRIu64
                      " (one of them was altered); gridcased --check says more",
                      history[i]->seq, history[i]->seq - 1);
            return;
        }
    gc_key_t key;
    const void *stored;
    size_t stored_size;
    uint8_t hash[GC_HASH_SIZE];
    bool sealed = true;
    if (count && history[count - 1]->seq == kase->journal_seq &&
        gc_key_pack (&key, GC_KEY_CASE, kase->id) &&
        gc_txn_get (txn, GC_DB_CASES, &key, &stored, &stored_size) == GC_OK) {
        gc_hash (stored, stored_size, hash);
        const Gridcase__JournalEntry *last = history[count - 1];
        sealed = last->case_sha256.len == GC_HASH_SIZE &&
                 memcmp (last->case_sha256.data, hash, GC_HASH_SIZE) == 0;
    }
    if (!sealed)
        snprintf (out, size,
                  "broken: the case record is not the one entry %" PRIu64
                  " sealed (altered); gridcased --check says more",
                  kase->journal_seq);
    else
        snprintf (out, size,
                  "intact: each of its %zu entries carries the hash of the entry before it in "
                  "the journal, and the case record is the one the last sealed",
                  count);
}

static void
s_get (gc_config_t *config, gc_txn_t *txn, const gc_actor_t *actor,
       const Gridcase__Request *request, gc_reply_t *out)
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
        gc_reply_storage_error (out, request, "the case");
        return;
    }
    if (!gc_actor_sees_case (actor, kase)) {
        char what[100];
        snprintf (what, sizeof (what), "case %s (grid %s)", kase->id, kase->grid);
        gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id, what);
        gridcase__case__free_unpacked (kase, NULL);
        return;
    }
    Gridcase__JournalEntry **history = NULL;
    size_t count = 0;
    bool ok = true;
    if (get->with_history) {
        history = (Gridcase__JournalEntry **)calloc (GC_JOURNAL_PAGE, sizeof (*history));
        ok = history && s_case_history (txn, get->case_id, 0, GC_JOURNAL_PAGE, history, &count);
    }
    if (s_public (actor)) {
        s_public_case (config, kase);
        for (size_t i = 0; i < count; i++)
            s_public_entry (history[i]);
    }
    char chain[300] = "";
    if (get->with_history && ok)
        s_chain_words (txn, kase, history, count, chain, sizeof (chain));
    if (get->with_history && !history)
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for the history of %s; try again", get->case_id);
    else if (ok)
        gc_reply_case_chain (out, request, kase, history, count, get->with_history ? chain : NULL);
    else
        gc_reply_storage_error (out, request, "the case's history");
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

//  What a journal read keeps
typedef struct {
    const gc_actor_t *actor;
    const Gridcase__JournalRequest *query;
    bool has_area;
    gc_area_t area;
    int64_t from, to; //  time bounds from the period; 0: open
} filter_t;

static bool
s_entry_matches (const filter_t *filter, const Gridcase__JournalEntry *entry, bool case_checked)
{
    const Gridcase__JournalRequest *query = filter->query;
    if (!case_checked && !gc_actor_sees_entry (filter->actor, entry))
        return false;
    if (query->escalations_only && !s_is_escalation (entry->type))
        return false;
    if (query->log_only && !gc_log_event (entry->type))
        return false;
    if ((filter->from && entry->time < filter->from) || (filter->to && entry->time >= filter->to))
        return false;
    if (filter->has_area) {
        const char *place[] = {entry->district, entry->street, entry->community, entry->grid};
        if (!streq (place[filter->area.kind], filter->area.id))
            return false;
    }
    if (*query->department) {
        bool found = false;
        for (size_t i = 0; i < entry->n_departments && !found; i++)
            found = streq (entry->departments[i], query->department);
        if (!found)
            return false;
    }
    if (!*query->topic)
        return true;
    for (size_t i = 0; i < entry->n_topics; i++)
        if (streq (entry->topics[i], query->topic))
            return true;
    return false;
}

//  The first seq whose entry is at or after TIME (entries are appended in
//  time order); LAST + 1 when none is
static uint64_t
s_seq_at (gc_txn_t *txn, int64_t time, uint64_t last, bool *failed)
{
    uint64_t low = 1, high = last + 1;
    while (low < high && !*failed) {
        uint64_t middle = low + (high - low) / 2;
        Gridcase__JournalEntry *entry = s_entry (txn, middle, failed);
        if (!entry)
            break;
        if (entry->time < time)
            low = middle + 1;
        else
            high = middle;
        gridcase__journal_entry__free_unpacked (entry, NULL);
    }
    return low;
}

//  The log index to walk for this read, if one holds every entry it can
//  return: the area's, the department's, or the reader's own area's
static bool
s_log_key (const filter_t *filter, char *key, size_t size)
{
    const gc_actor_t *actor = filter->actor;
    if (!filter->query->log_only)
        return false;
    if (filter->has_area)
        snprintf (key, size, "%s", filter->area.key);
    else if (*filter->query->department)
        gc_figures_key (key, size, "dept", filter->query->department);
    else if (actor->role == GRIDCASE__ROLE__ROLE_COMMITTEE)
        gc_figures_key (key, size, "community", actor->community->id);
    else if (actor->role == GRIDCASE__ROLE__ROLE_STREET ||
             (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && !actor->district))
        gc_figures_key (key, size, "street", actor->street->id);
    else if (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR)
        gc_figures_key (key, size, "district", actor->district->id);
    else if (actor->role == GRIDCASE__ROLE__ROLE_WORKER)
        gc_figures_key (key, size, "dept", actor->department->id);
    else if (actor->role == GRIDCASE__ROLE__ROLE_OFFICER && actor->grids == 1)
        gc_figures_key (key, size, "grid", actor->grid[0]->id);
    else
        return false;
    return true;
}

//  Walks the journal (or the log index KEY) from seq START, keeping what
//  matches, until the page is full, the period ends or the scan cap is hit
static bool
s_journal_walk (gc_txn_t *txn, const filter_t *filter, const char *key, uint64_t start,
                size_t limit, Gridcase__JournalReply *result)
{
    //  The log index of one area, or the journal
    gc_key_t area, first;
    if (key &&
        (!gc_key_pack (&area, GC_KEY_LOG_OF, key) || !gc_key_pack (&first, GC_KEY_LOG, key, start)))
        return true; //  a name too long for any area: an empty log
    if (!key)
        gc_key_pack (&first, GC_KEY_JOURNAL, start);
    gc_cursor_t *cursor =
        key ? gc_cursor_prefix (txn, GC_DB_LOG, &area) : gc_cursor_new (txn, GC_DB_JOURNAL);
    size_t scanned = 0;
    bool failed = false, ended = true;
    uint64_t seq;
    gc_walk_t walk;
    GC_WALK (cursor, &first, walk) {
        if (key && !gc_key_unpack (walk.key, walk.key_size, GC_KEY_LOG, NULL, &seq))
            break; //  not an entry of this area's log
        Gridcase__JournalEntry *entry;
        if (key)
            entry = s_entry (txn, seq, &failed);
        else
            entry = gridcase__journal_entry__unpack (NULL, walk.value_size,
                                                     (const uint8_t *)walk.value);
        if (!entry) {
            failed = true;
            break;
        }
        if (filter->to && entry->time >= filter->to) {
            gridcase__journal_entry__free_unpacked (entry, NULL);
            break; //  the period is over
        }
        if (result->n_entries == limit) {
            //  Full: the next page starts at this entry
            ended = false;
            gridcase__journal_entry__free_unpacked (entry, NULL);
            break;
        }
        result->scanned_to = entry->seq;
        if (s_entry_matches (filter, entry, false))
            result->entries[result->n_entries++] = entry;
        else
            gridcase__journal_entry__free_unpacked (entry, NULL);
        if (++scanned == GC_JOURNAL_SCAN_MAX) {
            ended = false;
            break;
        }
    }
    gc_cursor_destroy (&cursor);
    //  Nothing more to find: tell the reader it has seen everything
    bool ok = !failed && (walk.rc == GC_OK || walk.rc == GC_NOTFOUND);
    if (ended && ok)
        result->scanned_to = result->last_seq;
    return ok;
}

//  Checks the filters a reader asked for against its scope; false with the
//  reply set when one is not allowed
static bool
s_journal_filter (gc_config_t *config, const gc_actor_t *actor, const Gridcase__Request *request,
                  filter_t *filter, gc_reply_t *out)
{
    const Gridcase__JournalRequest *query = request->journal;
    memset (filter, 0, sizeof (*filter));
    filter->actor = actor;
    filter->query = query;
    if (*query->topic && !gc_topics_known (config, query->topic)) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_QUEUE,
                        "no notices go out on '%s': topics are queues (dept/gas, "
                        "committee/haihong, ...), officer/ID, log and log/AREA",
                        query->topic);
        return false;
    }
    //  Verifying the chain needs every entry: a reader who would be served
    //  only some would see gaps that are not there
    if (query->whole && !(actor->role == GRIDCASE__ROLE__ROLE_ADMIN ||
                          (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district))) {
        gc_reply_not_permitted (
            out, request, gc_role_name (actor->role), actor->id,
            "the whole journal (verify-journal is for the admin and the district's "
            "supervisors)");
        return false;
    }
    if (*query->area) {
        if (!gc_config_area (config, query->area, &filter->area)) {
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                            "no district, street, community or grid '%s'", query->area);
            return false;
        }
        const gc_area_t *area = &filter->area;
        if (!gc_actor_covers (actor, area->grid, area->community, area->street, area->district)) {
            char what[140];
            snprintf (what, sizeof (what), "the journal of %s", area->key);
            gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id, what);
            return false;
        }
        filter->has_area = true;
    }
    if (*query->department) {
        if (!gc_config_department (config, query->department)) {
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_DEPARTMENT,
                            "unknown department '%s'", query->department);
            return false;
        }
        bool allowed = actor->role == GRIDCASE__ROLE__ROLE_ADMIN ||
                       (actor->role == GRIDCASE__ROLE__ROLE_SUPERVISOR && actor->district) ||
                       (actor->role == GRIDCASE__ROLE__ROLE_WORKER &&
                        streq (actor->department->id, query->department));
        if (!allowed) {
            char what[140];
            snprintf (what, sizeof (what), "the journal of department %s", query->department);
            gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id, what);
            return false;
        }
    }
    uint32_t days[] = {query->from_day, query->to_day};
    for (size_t i = 0; i < 2; i++)
        if (days[i] && !gc_day_valid (days[i])) {
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                            "%u is not a date (YYYYMMDD)", days[i]);
            return false;
        }
    if (query->from_day && query->to_day && query->from_day > query->to_day) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "the period ends (%u) before it starts (%u)", query->to_day,
                        query->from_day);
        return false;
    }
    filter->from = query->from_day ? gc_day_start (query->from_day) : 0;
    filter->to = query->to_day ? gc_day_start (gc_day_next (query->to_day)) : 0;
    return true;
}

static void
s_journal (gc_config_t *config, gc_txn_t *txn, const gc_actor_t *actor,
           const Gridcase__Request *request, gc_reply_t *out)
{
    const Gridcase__JournalRequest *query = request->journal;
    filter_t filter;
    if (!s_journal_filter (config, actor, request, &filter, out))
        return;
    size_t limit = query->limit && query->limit < GC_JOURNAL_PAGE ? query->limit : GC_JOURNAL_PAGE;
    Gridcase__JournalReply result = GRIDCASE__JOURNAL_REPLY__INIT;
    result.entries = (Gridcase__JournalEntry **)calloc (limit, sizeof (Gridcase__JournalEntry *));
    if (!result.entries) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for a journal page; try again");
        return;
    }
    result.last_seq = gc_chain_last (txn);
    bool ok = true;
    char key[GC_FIGURES_KEY_MAX], topic[GC_FIGURES_KEY_MAX + 8] = "";
    if (*query->case_id) {
        Gridcase__Case *kase = NULL;
        int rc = gc_txn_case_get (txn, query->case_id, &kase);
        if (rc == GC_NOTFOUND || (rc == GC_OK && !gc_actor_sees_case (actor, kase))) {
            free (result.entries);
            char what[100];
            snprintf (what, sizeof (what), "case %s", query->case_id);
            if (rc == GC_NOTFOUND)
                gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_CASE,
                                "no case '%s'", query->case_id);
            else
                gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id, what);
            if (kase)
                gridcase__case__free_unpacked (kase, NULL);
            return;
        }
        if (kase)
            gridcase__case__free_unpacked (kase, NULL);
        ok = rc == GC_OK && s_case_history (txn, query->case_id, query->since, limit,
                                            result.entries, &result.n_entries);
        //  Filters apply to the case's own entries too
        size_t kept = 0;
        for (size_t i = 0; i < result.n_entries; i++) {
            if (s_entry_matches (&filter, result.entries[i], true))
                result.entries[kept++] = result.entries[i];
            else
                gridcase__journal_entry__free_unpacked (result.entries[i], NULL);
        }
        result.n_entries = kept;
    } else {
        uint64_t start = query->since + 1;
        if (filter.from) {
            bool failed = false;
            uint64_t at = s_seq_at (txn, filter.from, result.last_seq, &failed);
            ok = !failed;
            if (at > start)
                start = at;
        }
        bool indexed = s_log_key (&filter, key, sizeof (key));
        ok = ok && s_journal_walk (txn, &filter, indexed ? key : NULL, start, limit, &result);
    }
    //  What to subscribe to for more of the same
    if (query->log_only && !*query->topic) {
        if (s_log_key (&filter, key, sizeof (key)) && !(filter.has_area && *query->department))
            snprintf (topic, sizeof (topic), "log/%s", key);
        else if (actor->role == GRIDCASE__ROLE__ROLE_ADMIN && !filter.has_area &&
                 !*query->department)
            snprintf (topic, sizeof (topic), "log");
        result.follow_topic = topic;
    }
    for (size_t i = 0; s_public (actor) && i < result.n_entries; i++)
        s_public_entry (result.entries[i]);
    if (ok) {
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_JOURNAL;
        reply.journal = &result;
        gc_reply_pack (out, request, &reply);
    } else
        gc_reply_storage_error (out, request, "the journal");
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

typedef struct {
    gc_config_t *config;
    const gc_actor_t *actor;
    bool has_area;
    gc_area_t area;
    Gridcase__ListReply result;
    size_t limit;
    char next_after[GC_CASE_ID_MAX];
} list_t;

static bool
s_case_matches (const list_t *list, const Gridcase__ListRequest *query, const Gridcase__Case *c,
                int64_t now)
{
    if (!gc_actor_sees_case (list->actor, c))
        return false;
    if (list->has_area) {
        const char *place[] = {c->district, c->street, c->community, c->grid};
        if (!streq (place[list->area.kind], list->area.id))
            return false;
    }
    if (query->state && c->state != query->state)
        return false;
    if (query->level && c->level != query->level)
        return false;
    if (query->severity && c->severity != query->severity)
        return false;
    if (query->overdue && !s_overdue (c, now))
        return false;
    if (query->from && c->created_at < query->from)
        return false;
    if (query->to && c->created_at >= query->to)
        return false;
    return true;
}

static void
s_list_reply (list_t *list, const Gridcase__Request *request, gc_reply_t *out, bool ok)
{
    for (size_t i = 0; s_public (list->actor) && i < list->result.n_cases; i++)
        s_public_case (list->config, list->result.cases[i]);
    if (ok) {
        list->result.next_after = list->next_after;
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_LIST;
        reply.list = &list->result;
        gc_reply_pack (out, request, &reply);
    } else
        gc_reply_storage_error (out, request, "the cases");
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
    if (!gc_key_pack (&prefix, GC_KEY_QUEUE_OF, query->queue))
        return true; //  a name too long for any queue: an empty one
    gc_cursor_t *cursor = gc_cursor_prefix (txn, GC_DB_QUEUES, &prefix);
    bool skipping = *query->after != 0, failed = false;
    char id[GC_CASE_ID_MAX];
    gc_walk_t walk;
    GC_WALK (cursor, NULL, walk) {
        if (!gc_key_unpack (walk.key, walk.key_size, GC_KEY_QUEUE, NULL, NULL, NULL, id))
            break;
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
            if (s_case_matches (list, query, kase, now))
                list->result.cases[list->result.n_cases++] = kase;
            else
                gridcase__case__free_unpacked (kase, NULL);
        }
    }
    gc_cursor_destroy (&cursor);
    return !failed && (walk.rc == GC_OK || walk.rc == GC_NOTFOUND);
}

//  Every case in id order (the day reported, then the number), filtered
static bool
s_list_cases (gc_txn_t *txn, const Gridcase__ListRequest *query, int64_t now, list_t *list)
{
    gc_key_t start;
    gc_key_reset (&start);
    if (*query->after && gc_key_pack (&start, GC_KEY_CASE, query->after))
        gc_key_u8 (&start, 0); //  the key right after AFTER's
    gc_cursor_t *cursor = gc_cursor_new (txn, GC_DB_CASES);
    size_t scanned = 0;
    bool failed = false;
    gc_walk_t walk;
    GC_WALK (cursor, start.size ? &start : NULL, walk) {
        Gridcase__Case *kase =
            gridcase__case__unpack (NULL, walk.value_size, (const uint8_t *)walk.value);
        if (!kase) {
            failed = true;
            break;
        }
        if (s_case_matches (list, query, kase, now)) {
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
    }
    gc_cursor_destroy (&cursor);
    return !failed && (walk.rc == GC_OK || walk.rc == GC_NOTFOUND);
}

static void
s_list (gc_config_t *config, gc_txn_t *txn, const gc_actor_t *actor,
        const Gridcase__Request *request, int64_t now, gc_reply_t *out)
{
    const Gridcase__ListRequest *query = request->list;
    list_t list;
    memset (&list, 0, sizeof (list));
    list.config = config;
    list.actor = actor;
    if (*query->area) {
        gc_area_t area;
        if (!gc_config_area (config, query->area, &area)) {
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                            "no district, street, community or grid '%s'", query->area);
            return;
        }
        if (!gc_actor_covers (actor, area.grid, area.community, area.street, area.district)) {
            char what[140];
            snprintf (what, sizeof (what), "the cases of %s", area.key);
            gc_reply_not_permitted (out, request, gc_role_name (actor->role), actor->id, what);
            return;
        }
        list.has_area = true;
        list.area = area;
    }
    if (*query->queue && !gc_topics_is_queue (config, query->queue)) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_QUEUE,
                        "no queue '%s': queues are committee/ID, street/ID, district/ID, "
                        "supervision/ID, dept/ID and grid/ID of the city",
                        query->queue);
        return;
    }
    gridcase__list_reply__init (&list.result);
    list.limit = query->limit ? (query->limit < GC_LIST_PAGE ? query->limit : GC_LIST_PAGE)
                              : GC_LIST_DEFAULT;
    list.result.cases = (Gridcase__Case **)calloc (list.limit, sizeof (Gridcase__Case *));
    if (!list.result.cases) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INTERNAL,
                        "out of memory for a list; try again");
        return;
    }
    bool ok = *query->queue ? s_list_queue (txn, query, now, &list)
                            : s_list_cases (txn, query, now, &list);
    s_list_reply (&list, request, out, ok);
}

bool
gc_query_is_counters (const Gridcase__Request *request)
{
    const Gridcase__StatsRequest *stats = request->stats;
    return request->op_case == GRIDCASE__REQUEST__OP_STATS && !stats->from_day && !stats->to_day &&
           !stats->from && !stats->to && !*stats->by && !*stats->area;
}

const gc_actor_t *
gc_query_actor (gc_config_t *config, const Gridcase__Request *request, gc_reply_t *out)
{
    char why[200];
    gc_actor_t *via = NULL;
    const gc_actor_t *actor = gc_config_identify_request (config, request, &via, why, sizeof (why));
    if (!actor)
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_ACTOR, "%s", why);
    return actor;
}

//  What this daemon is: its version, protocol and schema, the city, the zone
static void
s_server_info (gc_config_t *config, const Gridcase__Request *request, gc_reply_t *out)
{
    Gridcase__ServerInfoReply info = GRIDCASE__SERVER_INFO_REPLY__INIT;
    info.version = GC_VERSION;
    info.protocol = GRIDCASE_PROTOCOL;
    info.schema = GC_SCHEMA_VERSION;
    info.timezone = config->timezone;
    info.curve = config->curve;
    //  The city by its districts' names, in order of id
    const gc_list_t *districts = gc_config_list (config, GC_KIND_DISTRICT);
    char city[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < districts->count && used < sizeof (city); i++) {
        const gc_district_t *district = (const gc_district_t *)districts->items[i];
        int n = snprintf (city + used, sizeof (city) - used, "%s%s", i ? ", " : "",
                          district->name ? district->name : district->id);
        used += n > 0 ? (size_t)n : 0;
    }
    info.city = city;
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    reply.result_case = GRIDCASE__REPLY__RESULT_SERVER_INFO;
    reply.server_info = &info;
    gc_reply_pack (out, request, &reply);
}

void
gc_query_read (gc_config_t *config, gc_txn_t *txn, const Gridcase__Request *request, int64_t now,
               gc_reply_t *out)
{
    const gc_actor_t *actor = gc_query_actor (config, request, out);
    if (!actor)
        return;
    switch (request->op_case) {
        case GRIDCASE__REQUEST__OP_GET:
            s_get (config, txn, actor, request, out);
            break;
        case GRIDCASE__REQUEST__OP_JOURNAL:
            s_journal (config, txn, actor, request, out);
            break;
        case GRIDCASE__REQUEST__OP_LIST:
            s_list (config, txn, actor, request, now, out);
            break;
        case GRIDCASE__REQUEST__OP_STATS:
            gc_query_stats (config, txn, actor, request, now, out);
            break;
        case GRIDCASE__REQUEST__OP_SERVER_INFO:
            s_server_info (config, request, out);
            break;
        default:
            gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_IMPLEMENTED,
                            "operation '%s' is not served by this version of gridcased",
                            gridcase_op_name (request));
            break;
    }
}

void
gc_query_backup (gc_config_t *config, gc_store_t *store, const Gridcase__Request *request,
                 gc_reply_t *out)
{
    char why[4400];
    const gc_actor_t *actor = gc_query_actor (config, request, out);
    if (!actor)
        return;
    if (actor->role != GRIDCASE__ROLE__ROLE_ADMIN) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED,
                        "%s:%s may not take a backup: that is the admin's",
                        gc_role_name (actor->role), actor->id);
        return;
    }
    const char *path = request->backup->path;
    if (!*path) {
        gc_reply_error (out, request, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "a backup needs the directory to write it to");
        return;
    }
    uint64_t bytes = 0;
    int rc = gc_store_backup (store, path, &bytes, why, sizeof (why));
    if (rc != GC_OK) {
        gc_reply_error (out, request,
                        rc == GC_NOSPACE ? GRIDCASE__ERROR_CODE__ERROR_STORAGE_FULL
                                         : GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT,
                        "%s", why);
        return;
    }
    Gridcase__BackupReply backup = GRIDCASE__BACKUP_REPLY__INIT;
    backup.path = (char *)path;
    backup.bytes = bytes;
    Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
    reply.result_case = GRIDCASE__REPLY__RESULT_BACKUP;
    reply.backup = &backup;
    gc_reply_pack (out, request, &reply);
}
