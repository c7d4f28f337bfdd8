/*  What the operator and the supervisor meet, with the real gridcased and
    CLI: a config mistake named by its file and line, the city's own dates
    on any desktop, pages that give every case once. */
#include "gridcase.h"
#include "testutil.h"

#include <czmq.h>

#include "daemon.h"

//  The sample city with FROM (its first occurrence) replaced by TO, written
//  to DIR/city.cfg with the sample roster beside it; the line TO starts on
//  in *LINE
static bool
s_city_with (const char *dir, const char *from, const char *to, int *line)
{
    char *city = NULL;
    FILE *file = fopen ("deploy/sample-city.cfg", "r");
    if (!file)
        return false;
    size_t size = 0;
    FILE *out = open_memstream (&city, &size);
    char buffer[4096];
    size_t got;
    while ((got = fread (buffer, 1, sizeof (buffer), file)) > 0)
        fwrite (buffer, 1, got, out);
    fclose (file);
    fclose (out);
    char *at = strstr (city, from);
    if (!at) {
        free (city);
        return false;
    }
    *line = 1;
    for (char *p = city; p < at; p++)
        *line += *p == '\n';
    char path[256];
    snprintf (path, sizeof (path), "%s/city.cfg", dir);
    file = fopen (path, "w");
    fprintf (file, "%.*s%s%s", (int)(at - city), city, to, at + strlen (from));
    fclose (file);
    free (city);
    snprintf (path, sizeof (path), "cp deploy/sample-roster.cfg deploy/sample-grids.geojson %s/",
              dir);
    return system (path) == 0;
}

//  Starts gridcased on DIR/city.cfg; its exit status, what it logged in OUT
static int
s_daemon_output (const char *dir, char *out, size_t size)
{
    char command[600];
    snprintf (command, sizeof (command),
              "timeout 10 %s/bin/gridcased -c %s/city.cfg -d %s/data --command "
              "tcp://127.0.0.1:%d --events tcp://127.0.0.1:%d 2>&1 & sleep 0.5; kill $! "
              "2>/dev/null; wait $!",
              s_build, dir, dir, s_free_port (), s_free_port ());
    return s_run (command, out, size);
}

static bool
test_config_mistakes_stop_the_daemon_with_their_line (void)
{
    struct {
        const char *from, *to, *says;
    } mistakes[] = {
        {"    category = garbage", "    categroy = garbage", "unknown key 'categroy'"},
        {"        department = sanitation", "        departmnt = sanitation",
         "unknown key 'departmnt' under category 'garbage'"},
        {"timezone = \"Asia/Shanghai\"", "timezone = \"Asia/Shanghia\"",
         "timezone 'Asia/Shanghia' is not in the time zone database"},
        {"curve = off", "curve = maybe", "curve 'maybe' is neither on nor off"},
        {"                grid = haihong-02", "                grid = haihong-01",
         "grid 'haihong-01' is given twice"},
        {"        department = gas\n", "        department = gsa\n",
         "names unknown department 'gsa'"},
        {"calendar = always               #   the gas",
         "calendar = allways               #   the gas", "names unknown calendar 'allways'"},
        {"    lease = 30m", "    lease = 30 minutes", "lease '30 minutes' is not a duration"},
        {"    max_deliveries = 3", "    max_deliveries = three",
         "max_deliveries 'three' is not a number"},
        {"    curve = off", "    curve = off\n    curve = on", "'curve' is given twice"},
        {"            community = haihong", "           community = haihong",
         "indent by four spaces"},
        {"        holidays = \"2026-10-01", "        holidays = \"2026-02-30",
         "'2026-02-30': a holiday is a real date"},
        {"        role = officer", "        role = offcer", "actor 'o-haihong-01' has no role"},
    };
    char dir[] = "/tmp/gc-test-config-XXXXXX";
    CHECK (mkdtemp (dir));
    for (size_t i = 0; i < sizeof (mistakes) / sizeof (mistakes[0]); i++) {
        int line;
        const char *file = strstr (mistakes[i].from, "role") ? "sample-roster.cfg" : "city.cfg";
        if (streq (file, "city.cfg"))
            CHECK (s_city_with (dir, mistakes[i].from, mistakes[i].to, &line));
        else {
            //  The roster's mistake: the sample city, the roster altered
            CHECK (s_city_with (dir, "#", "#", &line));
            char command[600];
            snprintf (command, sizeof (command),
                      "grep -n -m1 '        role = officer' %s/sample-roster.cfg | cut -d: -f1",
                      dir);
            char out[32];
            CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
            line = atoi (out);
            snprintf (command, sizeof (command), "sed -i '%ds/officer/offcer/' %s/%s", line, dir,
                      file);
            CHECK_OP (system (command), ==, 0);
        }
        //  The error names the file and the line of TO's last line, and shows it
        const char *last = mistakes[i].to;
        for (const char *nl = strchr (last, '\n'); nl && nl[1]; nl = strchr (last, '\n')) {
            last = nl + 1;
            line++;
        }
        char out[8192], where[300], text[128];
        int rc = s_daemon_output (dir, out, sizeof (out));
        snprintf (where, sizeof (where), "%s/%s:%d: ", dir, file, line);
        snprintf (text, sizeof (text), "%s", last + strspn (last, " "));
        text[strcspn (text, "\n")] = 0;
        if (rc != 1 || !strstr (out, where) || !strstr (out, mistakes[i].says) ||
            (streq (file, "city.cfg") && !strstr (out, text))) {
            fprintf (stderr, "mistake %zu (%s): exit %d, wanted '%s', '%s' and '%s' in:\n%s\n", i,
                     mistakes[i].to, rc, where, mistakes[i].says, text, out);
            return false;
        }
    }
    //  What the issue found capped is not: 65 holidays start the daemon
    zchunk_t *many = zchunk_new (NULL, 0);
    zchunk_extend (many, "        holidays = \"", 20);
    for (int i = 0; i < 65; i++) {
        char date[32];
        snprintf (date, sizeof (date), "2027-%02d-%02d ", 1 + i / 28, 1 + i % 28);
        zchunk_extend (many, date, strlen (date));
    }
    zchunk_extend (many, "\0", 1);
    int line;
    CHECK (s_city_with (dir, "        holidays = \"", (char *)zchunk_data (many), &line));
    zchunk_destroy (&many);
    char command[400], out[2048];
    snprintf (command, sizeof (command), "%s/bin/gridcased --check-config -c %s/city.cfg", s_build,
              dir);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
    EXPECT_CONTAINS (out, "is good: 2 streets, 4 communities, 10 grids");
    snprintf (command, sizeof (command), "rm -rf %s", dir);
    CHECK_OP (system (command), ==, 0);
    return true;
}

//  The CLI as a user on a desktop in time zone TZ runs it against D
static int
s_cli_in (daemon_t *d, const char *tz, char *out, size_t size, const char *args)
{
    char command[2048];
    snprintf (command, sizeof (command),
              "TZ=%s GRIDCASE_STATE_DIR=%s/cli GRIDCASE_ENDPOINT=%s "
              "GRIDCASE_AS=supervisor:sup-siming %s/bin/gridcase --timeout 5000 %s",
              tz, d->dir, d->command, s_build, args);
    return s_run (command, out, size);
}

//  The sample city runs on Asia/Shanghai (UTC+8). Kiritimati is UTC+14 and
//  Etc/GMT+12 is UTC-12: at any moment at least one of them is on another
//  date than the city, and every command must still answer for the city.
static bool
test_the_citys_dates_on_any_desktop (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char out[16384], args[512];
    CHECK_OP (s_cli_in (&d, "Pacific/Kiritimati", out, sizeof (out),
                        "--as officer:o-haihong-01 report --grid haihong-01 --category garbage "
                        "--title 'bins overflowing'"),
              ==, 0);
    char id[32], day[16];
    CHECK (sscanf (out, "%31s", id) == 1 && strlen (id) == 15);
    //  The case id starts with the city's date
    snprintf (day, sizeof (day), "%.4s-%.2s-%.2s", id, id + 4, id + 6);
    const char *zones[] = {"Pacific/Kiritimati", "Etc/GMT+12", "UTC"};
    for (int i = 0; i < 3; i++) {
        snprintf (args, sizeof (args), "list --period %s", day);
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), args), ==, 0);
        EXPECT_CONTAINS (out, id);
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), "list --period today"), ==, 0);
        EXPECT_CONTAINS (out, id);
        //  The day before and after the city's: not there
        snprintf (args, sizeof (args), "list --period yesterday");
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), args), ==, 0);
        CHECK (!strstr (out, id));
        //  The figures of this month and this week (the defaults) count it
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), "stats --by community --json"), ==, 0);
        CHECK (strstr (out, "\"key\":\"community/haihong\",\"name\":") &&
               strstr (out, "\"received\":1"));
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), "weekly --community haihong"), ==, 0);
        EXPECT_CONTAINS (out, "Cases received this week: 1");
        //  Times are shown in the city's zone, with its offset
        snprintf (args, sizeof (args), "show %s", id);
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), args), ==, 0);
        CHECK (strstr (out, "+0800") && !strstr (out, "+1400") && !strstr (out, "-1200"));
        //  ... and the escalation log of the city's day finds the same days
        snprintf (args, sizeof (args), "log --period %s --limit 5", day);
        CHECK_OP (s_cli_in (&d, zones[i], out, sizeof (out), args), ==, 0);
    }
    //  --local asks for the desktop's zone
    snprintf (args, sizeof (args), "--local show %s", id);
    CHECK_OP (s_cli_in (&d, "Pacific/Kiritimati", out, sizeof (out), args), ==, 0);
    CHECK (strstr (out, "+1400") && !strstr (out, "+0800"));
    //  --until is a time on the city's clock: 18:00 in Shanghai is 10:00 UTC;
    //  ten days after the case's day
    struct tm tm = {0};
    CHECK (strptime (day, "%Y-%m-%d", &tm));
    time_t later = timegm (&tm) + 10 * 86400;
    gmtime_r (&later, &tm);
    char until[32], expect[64];
    strftime (until, sizeof (until), "%Y-%m-%dT18:00", &tm);
    strftime (expect, sizeof (expect), "\"pending_until\":\"%Y-%m-%dT10:00:00.000Z\"", &tm);
    snprintf (args, sizeof (args),
              "--as officer:o-haihong-01 extend %s --until %s --reason 'parts on order' --park", id,
              until);
    CHECK_OP (s_cli_in (&d, "Etc/GMT+12", out, sizeof (out), args), ==, 0);
    snprintf (args, sizeof (args), "show %s --json", id);
    CHECK_OP (s_cli_in (&d, "Pacific/Kiritimati", out, sizeof (out), args), ==, 0);
    EXPECT_CONTAINS (out, expect);
    //  A period that is none: refused by the daemon with what it accepts
    CHECK_OP (s_cli_in (&d, "UTC", out, sizeof (out), "list --period 2026-13 2>&1"), ==, 1);
    CHECK (strstr (out, "invalid_argument") && strstr (out, "this-week"));
    s_daemon_remove (&d);
    return true;
}

//  Pages: 250 cases through list and queue 100 at a time, each exactly once,
//  and the journal 100 entries at a time, by the cursor stderr names
static bool
test_paging_gives_each_case_once (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    gridcase_t *client = s_client (&d, 7);
    zhashx_t *reported = zhashx_new ();
    for (int i = 0; i < 250; i++) {
        Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
        report.grid = "haihong-01";
        report.category = "garbage";
        char title[32];
        snprintf (title, sizeof (title), "bins %d", i);
        report.title = title;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_REPORT;
        request.report = &report;
        Gridcase__Reply *reply = NULL;
        CHECK_OP (gridcase_call (client, &request, &reply), ==, 0);
        zhashx_insert (reported, reply->case_->case_->id, (void *)1);
        gridcase__reply__free_unpacked (reply, NULL);
    }
    gridcase_destroy (&client);
    //  (queue pages through the same code, by the same cursor)
    const char *commands[] = {"list --area haihong-01"};
    for (int c = 0; c < 1; c++) {
        zhashx_t *seen = zhashx_new ();
        char after[64] = "";
        int pages = 0;
        for (; pages < 10; pages++) {
            char args[300], out[65536], hint[512];
            snprintf (args, sizeof (args), "%s --limit 100 %s%s 2>%s/hint", commands[c],
                      *after ? "--after " : "", after, d.dir);
            CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
            for (char *line = strtok (out, "\n"); line; line = strtok (NULL, "\n")) {
                char id[32];
                CHECK_OP (sscanf (line, "%31s", id), ==, 1);
                CHECK (zhashx_lookup (reported, id));
                CHECK_OP (zhashx_insert (seen, id, (void *)1), ==, 0); //  never twice
            }
            snprintf (args, sizeof (args), "cat %s/hint", d.dir);
            CHECK_OP (s_run (args, hint, sizeof (hint)), ==, 0);
            char *at = strstr (hint, "--after ");
            if (!at)
                break;
            CHECK_OP (sscanf (at + 8, "%63s", after), ==, 1);
        }
        CHECK_OP (pages, ==, 2); //  100, 100, then 50 and no hint
        CHECK_OP (zhashx_size (seen), ==, 250);
        zhashx_destroy (&seen);
    }
    //  The journal: 250 reports, 100 entries a page, --since from the hint
    uint64_t since = 0, entries = 0;
    for (int page = 0; page < 10; page++) {
        char args[300], out[65536], hint[512];
        snprintf (args, sizeof (args), "journal --limit 100 --since %" PRIu64 " 2>%s/hint", since,
                  d.dir);
        CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
        for (char *line = strtok (out, "\n"); line; line = strtok (NULL, "\n")) {
            uint64_t seq;
            CHECK (sscanf (line, "%" SCNu64, &seq) == 1 && seq == since + 1 + (entries % 100));
            entries++;
        }
        snprintf (args, sizeof (args), "cat %s/hint", d.dir);
        CHECK_OP (s_run (args, hint, sizeof (hint)), ==, 0);
        char *at = strstr (hint, "--since ");
        if (!at)
            break;
        CHECK (sscanf (at + 8, "%" SCNu64, &since) == 1 && since == entries);
    }
    CHECK_OP (entries, ==, 250);
    zhashx_destroy (&reported);
    s_daemon_remove (&d);
    return true;
}

int
main (int argc, char *argv[])
{
    if (argc > 1)
        s_build = argv[1];
    zsys_init ();
    zsys_set_logstream (stderr);
    atexit (s_kill_started);
    RUN (test_config_mistakes_stop_the_daemon_with_their_line);
    RUN (test_the_citys_dates_on_any_desktop);
    RUN (test_paging_gives_each_case_once);
    return TESTS_DONE ();
}
