/*  Modules below the socket: request decoding and limits, UTF-8, endpoints,
    sizes, the city config, and the client library's names. */
#include "gc_access.h"
#include "gc_config.h"
#include "gc_geo.h"
#include "gc_lifecycle.h"
#include "gc_request.h"
#include "gc_rules.h"
#include "gc_topics.h"
#include "gc_util.h"
#include "gridcase.h"
#include "testutil.h"
#include "world.h"

#include <math.h>
#include <sys/wait.h>

static size_t
s_pack (Gridcase__Request *request, uint8_t *buffer)
{
    static uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    request->client_id.data = id;
    request->client_id.len = 16;
    if (!request->sequence)
        request->sequence = 1;
    return gridcase__request__pack (request, buffer);
}

static Gridcase__ErrorCode
s_decode (gc_arena_t *arena, const uint8_t *data, size_t size)
{
    Gridcase__ErrorCode code = GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    char why[256];
    Gridcase__Request *request = gc_request_decode (arena, data, size, &code, why, sizeof (why));
    gc_arena_reset (arena);
    return request ? GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED : code;
}

static bool
test_request_decode_and_limits (void)
{
    gc_arena_t *arena = gc_arena_new ();
    static uint8_t buffer[GC_REQUEST_MAX * 2];
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = "haihong-01";
    report.category = "gas-leak";
    report.title = "gas smell";
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    size_t size = s_pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED);
    //  Garbage and a truncated message
    CHECK_OP (s_decode (arena, (const uint8_t *)"\xff\xff\xff\xff garbage", 12), ==,
              GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    CHECK_OP (s_decode (arena, buffer, size - 3), ==, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    //  Over the size limit, before any unpacking
    CHECK_OP (s_decode (arena, buffer, GC_REQUEST_MAX + 1), ==,
              GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE);
    //  An over-long title
    char title[300];
    memset (title, 'a', sizeof (title) - 1);
    title[sizeof (title) - 1] = 0;
    report.title = title;
    size = s_pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE);
    //  Invalid UTF-8 (an overlong '/') and a NUL inside a string
    report.title = "\xc0\xaf";
    size = s_pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    report.title = "煤气味 gas";
    size = s_pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED);
    //  Texts are counted in characters: a 150-character Chinese title (450
    //  bytes) is taken, 201 characters are too many
    char chinese[201 * 3 + 1] = "";
    for (int i = 0; i < 150; i++)
        strcat (chinese, "煤");
    report.title = chinese;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED);
    for (int i = 150; i < 201; i++)
        strcat (chinese, "气");
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==,
              GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE);
    //  A title is one line, and not only blanks; a note may span lines
    report.title = "gas smell\nstairwell 3";
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    report.title = "   ";
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    report.description = "first line\nsecond line";
    report.title = "gas smell";
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==,
              GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED);
    report.description = "a bell \a in it";
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==,
              GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    report.description = "";
    //  An unknown enum value
    report.severity = (Gridcase__Severity)9;
    size = s_pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT);
    report.severity = GRIDCASE__SEVERITY__SEVERITY_RED;
    //  Too many repeated entries
    Gridcase__DispatchRequest dispatch = GRIDCASE__DISPATCH_REQUEST__INIT;
    char *helpers[GC_REPEATED_MAX + 1];
    for (int i = 0; i <= GC_REPEATED_MAX; i++)
        helpers[i] = "water";
    dispatch.case_id = "20261122-000001";
    dispatch.helpers = helpers;
    dispatch.n_helpers = GC_REPEATED_MAX + 1;
    Gridcase__Request second = GRIDCASE__REQUEST__INIT;
    second.op_case = GRIDCASE__REQUEST__OP_DISPATCH;
    second.dispatch = &dispatch;
    size = s_pack (&second, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_TOO_LARGE);
    dispatch.n_helpers = 2;
    size = s_pack (&second, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED);
    //  A wrong client id length, a zero sequence, no operation
    size = s_pack (&request, buffer);
    request.client_id.len = 8;
    size = gridcase__request__pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    Gridcase__Request empty = GRIDCASE__REQUEST__INIT;
    size = s_pack (&empty, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST);
    //  The arena counts what a batch holds, so the server can stop taking
    //  requests into one batch at a bound; a reset gives it all back
    gc_arena_reset (arena);
    CHECK_OP (gc_arena_used (arena), ==, 0);
    size = s_pack (&second, buffer);
    Gridcase__ErrorCode code;
    char why[256];
    CHECK (gc_request_decode (arena, buffer, size, &code, why, sizeof (why)));
    size_t one = gc_arena_used (arena);
    CHECK_OP (one, >, 0);
    CHECK (gc_request_decode (arena, buffer, size, &code, why, sizeof (why)));
    CHECK_OP (gc_arena_used (arena), ==, 2 * one);
    gc_arena_reset (arena);
    CHECK_OP (gc_arena_used (arena), ==, 0);
    gc_arena_destroy (&arena);
    CHECK (arena == NULL);
    return true;
}

//  Every int64 from the wire is a time or duration, every uint64 a sequence:
//  values that would overflow the daemon's arithmetic are refused on arrival
static bool
test_extreme_numbers_and_nul_bytes_are_refused (void)
{
    gc_arena_t *arena = gc_arena_new ();
    static uint8_t buffer[4096];
    const Gridcase__ErrorCode invalid = GRIDCASE__ERROR_CODE__ERROR_INVALID_ARGUMENT;
    const Gridcase__ErrorCode ok = GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED;
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    int64_t extremes[] = {INT64_MIN, INT64_MIN + 1, -1, GC_TIME_MAX + 1, INT64_MAX};
    for (size_t i = 0; i < sizeof (extremes) / sizeof (extremes[0]); i++) {
        stats.from = extremes[i];
        stats.to = 0;
        CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, invalid);
        stats.from = 0;
        stats.to = extremes[i];
        CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, invalid);
    }
    stats.from = GC_TIME_MAX;
    stats.to = GC_TIME_MAX;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, ok);
    Gridcase__ListRequest list = GRIDCASE__LIST_REQUEST__INIT;
    list.to = INT64_MIN;
    request.op_case = GRIDCASE__REQUEST__OP_LIST;
    request.list = &list;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, invalid);
    Gridcase__ExtendRequest extend = GRIDCASE__EXTEND_REQUEST__INIT;
    extend.case_id = "20261123-000001";
    extend.reason = "waiting for a part";
    extend.duration = INT64_MAX;
    request.op_case = GRIDCASE__REQUEST__OP_EXTEND;
    request.extend = &extend;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, invalid);
    extend.duration = 3600 * 1000;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, ok);
    //  A journal read from 2^64 - 1 and a sequence at the top: never wrap
    Gridcase__JournalRequest journal = GRIDCASE__JOURNAL_REQUEST__INIT;
    journal.since = UINT64_MAX;
    request.op_case = GRIDCASE__REQUEST__OP_JOURNAL;
    request.journal = &journal;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, invalid);
    journal.since = 5;
    request.sequence = UINT64_MAX;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, invalid);
    request.sequence = GC_SEQ_MAX;
    CHECK_OP (s_decode (arena, buffer, s_pack (&request, buffer)), ==, ok);
    //  A NUL byte inside a string, at the top level and nested
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = "haihong-01";
    report.category = "gas-leak";
    report.title = "gas smell XX stairwell";
    request.sequence = 1;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    size_t size = s_pack (&request, buffer);
    CHECK_OP (s_decode (arena, buffer, size), ==, ok);
    uint8_t *mark = (uint8_t *)memmem (buffer, size, "XX", 2);
    CHECK (mark);
    mark[0] = 0;
    Gridcase__ErrorCode code = ok;
    char why[256] = "";
    CHECK (!gc_request_decode (arena, buffer, size, &code, why, sizeof (why)));
    CHECK (code == invalid && strstr (why, "title") && strstr (why, "NUL"));
    gc_arena_reset (arena);
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = GRIDCASE__ROLE__ROLE_OFFICER;
    actor.id = "o-haihong-01YY";
    request.actor = &actor;
    report.title = "gas smell";
    size = s_pack (&request, buffer);
    mark = (uint8_t *)memmem (buffer, size, "YY", 2);
    CHECK (mark);
    mark[1] = 0;
    CHECK_OP (s_decode (arena, buffer, size), ==, invalid);
    gc_arena_destroy (&arena);
    return true;
}

//  A subscription is taken only when every topic it covers is in scope
static bool
test_who_may_follow_which_topics (void)
{
    gc_config_t *config = gc_config_load ("deploy/sample-city.cfg");
    CHECK (config);
    gc_actor_t *officer = gc_config_actor (config, "o-haihong-01");
    gc_actor_t *committee = gc_config_actor (config, "c-haihong");
    gc_actor_t *worker = gc_config_actor (config, "w-gas-1");
    gc_actor_t *supervisor = gc_config_actor (config, "sup-siming");
    CHECK (officer && committee && worker && supervisor);
    CHECK (!gc_topics_may_follow (config, officer, ""));
    CHECK (!gc_topics_may_follow (config, officer, "log"));
    CHECK (gc_topics_may_follow (config, officer, "officer/o-haihong-01"));
    CHECK (!gc_topics_may_follow (config, officer, "officer/"));
    CHECK (!gc_topics_may_follow (config, officer, "officer/o-haihong-02"));
    CHECK (gc_topics_may_follow (config, officer, "grid/haihong-01"));
    CHECK (!gc_topics_may_follow (config, officer, "committee/haihong"));
    CHECK (gc_topics_may_follow (config, committee, "committee/haihong"));
    CHECK (gc_topics_may_follow (config, committee, "log/community/haihong"));
    CHECK (gc_topics_may_follow (config, committee, "grid/haihong-0"));
    CHECK (!gc_topics_may_follow (config, committee, "committee/qianpu"));
    CHECK (!gc_topics_may_follow (config, committee, "log/"));
    CHECK (gc_topics_may_follow (config, worker, "dept/gas"));
    CHECK (gc_topics_may_follow (config, worker, "log/dept/gas"));
    CHECK (!gc_topics_may_follow (config, worker, "dept/"));
    CHECK (!gc_topics_may_follow (config, worker, "grid/haihong-01"));
    CHECK (gc_topics_may_follow (config, supervisor, ""));
    CHECK (gc_topics_may_follow (config, supervisor, "log"));
    //  A topic that no notice goes out on is never subscribed
    CHECK (!gc_topics_may_follow (config, supervisor, "no-such-topic"));
    gc_config_destroy (&config);
    return true;
}

static bool
test_utf8 (void)
{
    CHECK (gc_utf8_valid ("plain", 5));
    CHECK (gc_utf8_valid ("网格员", strlen ("网格员")));
    CHECK (gc_utf8_valid ("\xf0\x9f\x94\xa5", 4));  //  U+1F525
    CHECK (!gc_utf8_valid ("\xe7\xbd", 2));         //  truncated
    CHECK (!gc_utf8_valid ("\xed\xa0\x80", 3));     //  a surrogate
    CHECK (!gc_utf8_valid ("\xf4\x90\x80\x80", 4)); //  past U+10FFFF
    CHECK (!gc_utf8_valid ("a\0b", 3));             //  NUL
    CHECK (!gc_utf8_valid ("\x80", 1));
    return true;
}

static bool
test_endpoints_and_sizes (void)
{
    CHECK (gc_endpoint_is_local ("tcp://127.0.0.1:7570"));
    CHECK (gc_endpoint_is_local ("tcp://localhost:7570"));
    CHECK (gc_endpoint_is_local ("tcp://[::1]:7570"));
    CHECK (gc_endpoint_is_local ("ipc:///run/gridcase/command"));
    CHECK (!gc_endpoint_is_local ("tcp://0.0.0.0:7570"));
    CHECK (!gc_endpoint_is_local ("tcp://*:7570"));
    CHECK (!gc_endpoint_is_local ("tcp://10.0.0.5:7570"));
    CHECK (!gc_endpoint_is_local ("tcp://127.0.0.1.evil.example:7570"));
    CHECK (!gc_endpoint_is_local ("tcp://eth0:7570"));
    CHECK_OP (gc_parse_size ("64M"), ==, (size_t)64 << 20);
    CHECK_OP (gc_parse_size ("1G"), ==, (size_t)1 << 30);
    CHECK_OP (gc_parse_size ("4096"), ==, 4096);
    CHECK_OP (gc_parse_size ("12MB"), ==, (size_t)12 << 20);
    CHECK_OP (gc_parse_size ("lots"), ==, 0);
    CHECK_OP (gc_parse_size ("5X"), ==, 0);
    return true;
}

static bool
test_sample_city_config (void)
{
    gc_config_t *config = gc_config_load ("deploy/sample-city.cfg");
    CHECK (config);
    gc_grid_t *grid = gc_config_grid (config, "haihong-01");
    CHECK (grid && streq (grid->community->id, "haihong"));
    CHECK (streq (grid->community->street->id, "lianqian"));
    CHECK (streq (grid->community->street->district->id, "siming"));
    CHECK (gc_config_grid (config, "haihong-02"));
    CHECK_OP (zhashx_size (config->grids), >=, 10);
    CHECK_OP (zhashx_size (config->streets), ==, 2);
    gc_category_t *gas = gc_config_category (config, "gas-leak");
    CHECK (gas && streq (gas->department->id, "gas"));
    CHECK_OP (gas->severity, ==, GRIDCASE__SEVERITY__SEVERITY_RED);
    gc_category_t *garbage = gc_config_category (config, "garbage");
    CHECK (garbage && streq (garbage->department->id, "sanitation"));
    CHECK_OP (garbage->severity, ==, GRIDCASE__SEVERITY__SEVERITY_GREEN);
    gc_category_t *other = gc_config_category (config, "other");
    CHECK (other && other->department == NULL); //  the district is its fallback owner
    const char *departments[] = {"gas",    "sanitation",    "city-management",
                                 "police", "civil-affairs", "water"};
    for (int i = 0; i < 6; i++)
        CHECK (gc_config_department (config, departments[i]));
    CHECK (streq (config->timezone, "Asia/Shanghai"));
    CHECK (!config->curve);
    gc_config_destroy (&config);
    CHECK (config == NULL);
    return true;
}

static bool
s_config_refused (const char *text)
{
    char path[] = "/tmp/gc-test-config-XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t)strlen (text))
        return false;
    close (fd);
    gc_config_t *config = gc_config_load (path);
    unlink (path);
    bool refused = config == NULL;
    gc_config_destroy (&config);
    return refused;
}

static bool
test_bad_configs_are_refused (void)
{
    const char *base = "city\n    district = d\n        street = s\n            community = c\n"
                       "                grid = g1\n";
    char text[1024];
    //  A good one first, so the refusals below are for their own reason
    snprintf (text, sizeof (text), "%scategories\n    category = x\n", base);
    CHECK (!s_config_refused (text));
    //  A category naming an unknown department
    snprintf (text, sizeof (text), "%scategories\n    category = x\n        department = nope\n",
              base);
    CHECK (s_config_refused (text));
    //  An unknown severity
    snprintf (text, sizeof (text), "%scategories\n    category = x\n        severity = purple\n",
              base);
    CHECK (s_config_refused (text));
    //  A grid defined twice
    snprintf (text, sizeof (text), "%s                grid = g1\ncategories\n    category = x\n",
              base);
    CHECK (s_config_refused (text));
    //  A time zone that is not one, and a boolean that is neither on nor off
    snprintf (text, sizeof (text),
              "gridcase\n    timezone = \"Asia/Shanghia\"\n%scategories\n    category = x\n", base);
    CHECK (s_config_refused (text));
    snprintf (text, sizeof (text),
              "gridcase\n    timezone = \"Asia/Shanghai\"\n%scategories\n    category = x\n", base);
    CHECK (!s_config_refused (text));
    snprintf (text, sizeof (text), "gridcase\n    curve = maybe\n%scategories\n    category = x\n",
              base);
    CHECK (s_config_refused (text));
    //  No grid at all, and a file that is not there
    CHECK (s_config_refused ("city\n    district = d\ncategories\n    category = x\n"));
    CHECK (gc_config_load ("/nonexistent/gridcase.cfg") == NULL);
    return true;
}

static void
s_append (zchunk_t *chunk, const char *text)
{
    zchunk_extend (chunk, text, strlen (text));
}

//  A city as large as memory allows: 5,000 holidays over 100 lines, an
//  officer with 300 grids and a grid with 40 officers, 20 spans a day
static bool
test_config_has_no_small_caps (void)
{
    zchunk_t *text = zchunk_new (NULL, 0);
    s_append (text, "calendars\n    calendar = busy\n        hours = \"");
    for (int i = 0; i < 20; i++) {
        char span[32];
        snprintf (span, sizeof (span), "%02d:00-%02d:30 ", i, i);
        s_append (text, span);
    }
    s_append (text, "\"\n");
    for (int line = 0; line < 100; line++) {
        s_append (text, "        holidays = \"");
        for (int i = 0; i < 50; i++) {
            char date[16];
            uint32_t day = (uint32_t)((2030 + line) * 10000 + (1 + i / 28) * 100 + 1 + i % 28);
            snprintf (date, sizeof (date), "%u-%02u-%02u ", day / 10000, day / 100 % 100,
                      day % 100);
            s_append (text, date);
        }
        s_append (text, "\"\n");
    }
    const char *head = "city\n    district = d\n        street = s\n            community = c\n"
                       "                calendar = busy\n";
    s_append (text, head);
    for (int i = 0; i < 300; i++) {
        char grid[64];
        snprintf (grid, sizeof (grid), "                grid = g%d\n", i);
        s_append (text, grid);
    }
    const char *tail = "categories\n    category = x\nroster\n    actor = o-all\n"
                       "        role = officer\n";
    s_append (text, tail);
    for (int i = 0; i < 300; i++) {
        char grid[64];
        snprintf (grid, sizeof (grid), "        grid = g%d\n", i);
        s_append (text, grid);
    }
    for (int i = 0; i < 39; i++) {
        char actor[128];
        snprintf (actor, sizeof (actor),
                  "    actor = o-%d\n        role = officer\n        grid = g0\n", i);
        s_append (text, actor);
    }
    char path[] = "/tmp/gc-test-config-XXXXXX";
    int fd = mkstemp (path);
    CHECK_OP (fd, >=, 0);
    CHECK_OP (write (fd, zchunk_data (text), zchunk_size (text)), ==, (ssize_t)zchunk_size (text));
    close (fd);
    zchunk_destroy (&text);
    gc_config_t *config = gc_config_load (path);
    unlink (path);
    CHECK (config);
    gc_calendar_t *busy = (gc_calendar_t *)zhashx_lookup (config->calendars, "busy");
    CHECK (busy && busy->holidays == 5000 && busy->spans == 20);
    gc_actor_t *all = gc_config_actor (config, "o-all");
    CHECK (all && all->grids == 300 && streq (all->grid[299]->id, "g299"));
    gc_grid_t *first = gc_config_grid (config, "g0");
    CHECK (first && gc_grid_crew (first)->count == 40);
    gc_config_destroy (&config);
    return true;
}

//  Periods as people write them, read on the calendar (no time zone)
static bool
test_periods_on_the_calendar (void)
{
    uint32_t from, to;
    CHECK (gc_period_parse ("this-week", 20261123, &from, &to) && from == 20261123 &&
           to == 20261129);
    CHECK (gc_period_parse ("last-week", 20260101, &from, &to) && from == 20251222 &&
           to == 20251228);
    CHECK (gc_period_parse ("this-month", 20261123, &from, &to) && from == 20261101 &&
           to == 20261130);
    CHECK (gc_period_parse ("last-month", 20260315, &from, &to) && from == 20260201 &&
           to == 20260228);
    CHECK (gc_period_parse ("2024-02", 20261123, &from, &to) && from == 20240201 && to == 20240229);
    CHECK (gc_period_parse ("yesterday", 20260301, &from, &to) && from == 20260228 && to == from);
    CHECK (gc_period_parse ("2026-W53", 20261123, &from, &to) && from == 20261228 &&
           to == 20270103);
    CHECK (!gc_period_parse ("2027-W53", 20261123, &from, &to));
    CHECK (gc_period_parse ("2026-11-01..2026-11-30", 20261123, &from, &to) && from == 20261101 &&
           to == 20261130);
    CHECK (!gc_period_parse ("2026-11-30..2026-11-01", 20261123, &from, &to));
    CHECK (!gc_period_parse ("2026-02-30", 20261123, &from, &to));
    CHECK (!gc_period_parse ("2026-13", 20261123, &from, &to));
    CHECK (!gc_period_parse ("next-week", 20261123, &from, &to));
    char week[16];
    gc_day_week (20261123, week, sizeof (week));
    CHECK (streq (week, "2026-W48"));
    gc_day_week (20270101, week, sizeof (week));
    CHECK (streq (week, "2026-W53"));
    gc_day_week (20241230, week, sizeof (week));
    CHECK (streq (week, "2025-W01"));
    return true;
}

//  The README's table of events is the machine's own
static bool
test_readme_events_are_the_machines (void)
{
    char *generated = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&generated, &size);
    gc_lifecycle_describe (out);
    fclose (out);
    FILE *readme = fopen ("README.md", "r");
    CHECK (readme);
    char *text = (char *)calloc (1, 1 << 20);
    size_t got = fread (text, 1, (1 << 20) - 1, readme);
    fclose (readme);
    text[got] = 0;
    const char *start = strstr (text, "<!-- events: the table below");
    CHECK (start);
    start = strchr (start, '\n') + 1;
    const char *end = strstr (start, "<!-- events end -->");
    CHECK (end);
    bool same = (size_t)(end - start) == size && memcmp (start, generated, size) == 0;
    if (!same)
        fprintf (stderr, "README.md's table of events differs from the machine's; it is:\n%s",
                 generated);
    free (text);
    free (generated);
    CHECK (same);
    return true;
}

static bool
test_client_names (void)
{
    CHECK (streq (gridcase_state_name (GRIDCASE__STATE__STATE_AT_GRID), "at_grid"));
    CHECK (streq (gridcase_state_name (GRIDCASE__STATE__STATE_IN_PROGRESS), "in_progress"));
    CHECK (streq (gridcase_severity_name (GRIDCASE__SEVERITY__SEVERITY_RED), "red"));
    CHECK (streq (gridcase_error_name (GRIDCASE__ERROR_CODE__ERROR_UNKNOWN_GRID), "unknown_grid"));
    CHECK_OP (gridcase_severity_parse ("yellow"), ==, GRIDCASE__SEVERITY__SEVERITY_YELLOW);
    CHECK_OP (gridcase_severity_parse ("purple"), ==, 0);
    CHECK_OP (gridcase_role_parse ("officer"), ==, GRIDCASE__ROLE__ROLE_OFFICER);
    CHECK_OP (gridcase_role_parse ("mayor"), ==, 0);
    return true;
}

static bool
test_client_identity_is_kept (void)
{
    char dir[] = "/tmp/gc-test-identity-XXXXXX";
    CHECK (mkdtemp (dir));
    uint8_t first[16], second[16];
    uint64_t seq1, seq2;
    CHECK_OP (gridcase_identity_reserve (dir, first, &seq1, 5), ==, 0);
    CHECK_OP (gridcase_identity_reserve (dir, second, &seq2, 1), ==, 0);
    CHECK_OP (memcmp (first, second, 16), ==, 0);
    CHECK (seq1 == 1 && seq2 == 6);
    char command[128];
    snprintf (command, sizeof (command), "rm -rf %s", dir);
    CHECK_OP (system (command), ==, 0);
    return true;
}

//  A reply built around a case's stored bytes is the reply packed whole
static bool
test_case_reply_from_stored_bytes (void)
{
    Gridcase__Case kase = GRIDCASE__CASE__INIT;
    kase.id = "20261123-000001";
    kase.grid = "haihong-01";
    kase.title = "井盖缺失 manhole cover missing";
    char description[400];
    memset (description, 'd', sizeof (description) - 1);
    description[sizeof (description) - 1] = 0;
    kase.description = description; //  over 127 bytes: two-byte lengths
    kase.created_at = 1795000000000;
    uint8_t id[16] = {7};
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.client_id.data = id;
    request.client_id.len = 16;
    request.sequence = 300;
    uint8_t stored[2048];
    size_t size = gridcase__case__pack (&kase, stored);
    gc_reply_t whole = {0}, built = {0};
    gc_reply_case (&whole, &request, &kase, NULL, 0);
    gc_reply_case_packed (&built, &request, stored, size);
    CHECK_OP (whole.size, ==, built.size);
    CHECK_OP (memcmp (whole.data, built.data, whole.size), ==, 0);
    CHECK_OP (built.code, ==, GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED);
    Gridcase__Reply *reply = gridcase__reply__unpack (NULL, built.size, built.data);
    CHECK (reply && reply->sequence == 300 && reply->result_case == GRIDCASE__REPLY__RESULT_CASE);
    CHECK (streq (reply->case_->case_->description, description));
    gridcase__reply__free_unpacked (reply, NULL);
    gc_reply_free (&whole);
    gc_reply_free (&built);
    return true;
}

//  In a zone with daylight saving: the remembered local days and the
//  service-hours arithmetic built on them agree with the C library
static bool
s_daylight_saving (void)
{
    setenv ("TZ", "Europe/Berlin", 1);
    tzset ();
    //  Sunday 29 March 2026: the clocks go from 02:00 to 03:00
    gc_localday_t day;
    gc_localday (s_at (2026, 3, 29, 12, 0), &day);
    CHECK (day.day == 20260329 && day.wday == 0);
    CHECK_OP (day.start, ==, s_at (2026, 3, 29, 0, 0));
    CHECK_OP (day.end - day.start, ==, 23 * 3600 * 1000LL);
    CHECK_OP (gc_localday_minute (&day, 9 * 60 + 30), ==, s_at (2026, 3, 29, 9, 30));
    //  The same day again comes from memory, and one millisecond before it is Saturday
    gc_localday (day.start, &day);
    CHECK_OP (day.day, ==, 20260329);
    CHECK_OP (gc_local_day (day.start - 1), ==, 20260328);
    //  Sunday 25 October 2026 is 25 hours long
    gc_localday (s_at (2026, 10, 25, 23, 0), &day);
    CHECK_OP (day.end - day.start, ==, 25 * 3600 * 1000LL);
    CHECK_OP (gc_localday_minute (&day, 17 * 60), ==, s_at (2026, 10, 25, 17, 0));
    //  An ordinary day
    gc_localday (s_at (2026, 3, 30, 0, 0), &day);
    CHECK (day.day == 20260330 && day.wday == 1);
    CHECK_OP (gc_localday_minute (&day, 8 * 60), ==, s_at (2026, 3, 30, 8, 0));
    //  Open every day 08:00-12:00: Saturday 10:00 + 5 h is Sunday 11:00 (summer time)
    zconfig_t *node = zconfig_new ("calendar", NULL);
    zconfig_set_value (node, "daily");
    zconfig_put (node, "days", "mon-sun");
    zconfig_put (node, "hours", "08:00-12:00");
    gc_zpl_t *zpl = gc_zpl_new ();
    gc_calendar_t *daily = gc_calendar_new (node, zpl);
    gc_zpl_destroy (&zpl);
    CHECK (daily);
    CHECK_OP (gc_calendar_due (daily, s_at (2026, 3, 28, 10, 0), 5 * 3600 * 1000LL), ==,
              s_at (2026, 3, 29, 11, 0));
    CHECK_OP (gc_calendar_due (daily, s_at (2026, 10, 24, 11, 0), 2 * 3600 * 1000LL), ==,
              s_at (2026, 10, 25, 9, 0));
    gc_calendar_destroy (&daily);
    zconfig_destroy (&node);
    return true;
}

static bool
test_local_days_across_daylight_saving (void)
{
    //  In a child, so the zone and the days it remembers stay there
    pid_t child = fork ();
    CHECK_OP (child, >=, 0);
    if (child == 0)
        _exit (s_daylight_saving () ? 0 : 1);
    int status;
    CHECK_OP (waitpid (child, &status, 0), ==, child);
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    return true;
}

//  Grid boundaries: a point inside a grid's polygon finds that grid (the
//  lookup against a plain scan of every polygon, on a lattice of points
//  over the city), one outside finds none; a broken file names itself
static bool
test_grid_boundaries_place_points (void)
{
    char why[512];
    gc_geo_t *geo = gc_geo_load ("deploy/sample-grids.geojson", why, sizeof (why));
    CHECK (geo);
    CHECK_OP (gc_geo_grids (geo), ==, 10);
    //  The centres of these convex grids are inside them
    for (size_t i = 0; i < gc_geo_grids (geo); i++) {
        const char *id = gc_geo_grid_id (geo, i);
        double lat, lon;
        CHECK (gc_geo_centre (geo, id, &lat, &lon));
        const char *found = gc_geo_locate (geo, lat, lon);
        EXPECT (found && streq (found, id));
    }
    EXPECT (gc_geo_locate (geo, 39.9, 116.4) == NULL);
    EXPECT (gc_geo_locate (geo, 24.4725, 118.1500) == NULL); //  west of the city
    EXPECT (gc_geo_locate (geo, NAN, 118.1625) == NULL);
    //  Every point of a fine lattice lands in at most one grid, and points
    //  well inside the city's box land in one
    size_t placed = 0, total = 0;
    for (double lat = 24.4701; lat < 24.4799; lat += 0.0007)
        for (double lon = 118.1601; lon < 118.1899; lon += 0.0007) {
            total++;
            placed += gc_geo_locate (geo, lat, lon) != NULL;
        }
    EXPECT_OP (placed, ==, total);
    gc_geo_destroy (&geo);
    //  A file that is not GeoJSON, or a feature without its grid
    char path[] = "/tmp/gc-test-geo-XXXXXX";
    int fd = mkstemp (path);
    CHECK_OP (fd, >=, 0);
    const char *bad = "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", "
                      "\"properties\": {}, \"geometry\": {\"type\": \"Point\", \"coordinates\": "
                      "[1, 2]}}]}";
    CHECK_OP (write (fd, bad, strlen (bad)), ==, (ssize_t)strlen (bad));
    close (fd);
    CHECK (gc_geo_load (path, why, sizeof (why)) == NULL);
    EXPECT_CONTAINS (why, path);
    EXPECT_CONTAINS (why, "feature 1");
    unlink (path);
    return true;
}

//  Only a gateway names whom a request is for, only an actor with an api
//  key, and an api key is found by its hash; an intake reads what it
//  reported and reports anywhere in its district
static bool
test_gateway_delegation_and_intake_scope (void)
{
    gc_config_t *config = gc_config_load ("deploy/sample-city.cfg");
    CHECK (config);
    gc_actor_t *hotline = gc_config_actor_by_api_key (config, "sample-hotline-key");
    CHECK (hotline && streq (hotline->id, "hotline-12345"));
    EXPECT (gc_config_actor_by_api_key (config, "sample-hotline-key ") == NULL);
    EXPECT (gc_config_actor_by_api_key (config, "") == NULL);
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    Gridcase__Actor sender = GRIDCASE__ACTOR__INIT, behalf = GRIDCASE__ACTOR__INIT;
    request.actor = &sender;
    request.on_behalf_of = &behalf;
    behalf.role = GRIDCASE__ROLE__ROLE_INTAKE;
    behalf.id = "hotline-12345";
    char why[200];
    gc_actor_t *via = NULL;
    sender.role = GRIDCASE__ROLE__ROLE_GATEWAY;
    sender.id = "gateway";
    gc_actor_t *actor = gc_config_identify_request (config, &request, &via, why, sizeof (why));
    EXPECT (actor == hotline && via && streq (via->id, "gateway"));
    sender.role = GRIDCASE__ROLE__ROLE_OFFICER;
    sender.id = "o-haihong-01";
    EXPECT (gc_config_identify_request (config, &request, &via, why, sizeof (why)) == NULL);
    EXPECT_CONTAINS (why, "only a gateway");
    sender.role = GRIDCASE__ROLE__ROLE_GATEWAY;
    sender.id = "gateway";
    behalf.role = GRIDCASE__ROLE__ROLE_OFFICER;
    behalf.id = "o-haihong-01";
    EXPECT (gc_config_identify_request (config, &request, &via, why, sizeof (why)) == NULL);
    EXPECT_CONTAINS (why, "holds no api key");
    //  The hotline: reports anywhere in the district, reads its own only
    EXPECT (gc_actor_covers (hotline, "jiahe-02", "jiahe", "jialian", "siming"));
    EXPECT (!gc_actor_covers (hotline, "x", "x", "x", "elsewhere"));
    Gridcase__Case kase = GRIDCASE__CASE__INIT;
    Gridcase__Actor reporter = GRIDCASE__ACTOR__INIT;
    kase.grid = "jiahe-02", kase.community = "jiahe", kase.street = "jialian";
    kase.district = "siming";
    kase.reporter = &reporter;
    reporter.role = GRIDCASE__ROLE__ROLE_INTAKE, reporter.id = "hotline-12345";
    EXPECT (gc_actor_sees_case (hotline, &kase));
    reporter.role = GRIDCASE__ROLE__ROLE_OFFICER, reporter.id = "o-jiahe-01";
    EXPECT (!gc_actor_sees_case (hotline, &kase));
    gc_config_destroy (&config);
    return true;
}

//  What -v writes to the journal beside each request's message: the case,
//  the actor, the request id and the outcome as fields a query can select
static bool
test_request_log_fields_for_the_journal (void)
{
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = GRIDCASE__ROLE__ROLE_WORKER;
    actor.id = "w-gas-01";
    Gridcase__ClaimRequest claim = GRIDCASE__CLAIM_REQUEST__INIT;
    claim.case_id = "20261123-0042";
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.actor = &actor;
    request.sequence = 77;
    request.op_case = GRIDCASE__REQUEST__OP_CLAIM;
    request.claim = &claim;
    char fields[GC_LOG_FIELDS][GC_LOG_FIELD];
    size_t count =
        gc_request_log_fields (&request, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED, 1500, fields);
    CHECK_OP (count, ==, 7);
    CHECK (streq (fields[0],
                  "MESSAGE=worker:w-gas-01 claim 20261123-0042 #77 -> not_permitted in 1.50 ms"));
    EXPECT_CONTAINS (fields[1], "PRIORITY=6");
    EXPECT_CONTAINS (fields[2], "GRIDCASE_OP=claim");
    EXPECT_CONTAINS (fields[3], "GRIDCASE_ACTOR=worker:w-gas-01");
    EXPECT_CONTAINS (fields[4], "GRIDCASE_REQUEST=77");
    EXPECT_CONTAINS (fields[5], "GRIDCASE_ERROR=not_permitted");
    EXPECT_CONTAINS (fields[6], "GRIDCASE_CASE=20261123-0042");
    //  A request about no case has no case field, and ok is debug
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    count = gc_request_log_fields (&request, GRIDCASE__ERROR_CODE__ERROR_UNSPECIFIED, 10, fields);
    CHECK_OP (count, ==, 6);
    EXPECT_CONTAINS (fields[1], "PRIORITY=7");
    EXPECT_CONTAINS (fields[5], "GRIDCASE_ERROR=ok");
    return true;
}

int
main (void)
{
    zsys_init ();
    RUN (test_request_log_fields_for_the_journal);
    RUN (test_request_decode_and_limits);
    RUN (test_grid_boundaries_place_points);
    RUN (test_gateway_delegation_and_intake_scope);
    RUN (test_extreme_numbers_and_nul_bytes_are_refused);
    RUN (test_who_may_follow_which_topics);
    RUN (test_utf8);
    RUN (test_endpoints_and_sizes);
    RUN (test_sample_city_config);
    RUN (test_bad_configs_are_refused);
    RUN (test_config_has_no_small_caps);
    RUN (test_periods_on_the_calendar);
    RUN (test_readme_events_are_the_machines);
    RUN (test_client_names);
    RUN (test_client_identity_is_kept);
    RUN (test_local_days_across_daylight_saving);
    RUN (test_case_reply_from_stored_bytes);
    return TESTS_DONE ();
}
