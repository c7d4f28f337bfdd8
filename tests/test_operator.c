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
    snprintf (path, sizeof (path), "cp deploy/sample-roster.cfg %s/", dir);
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
            CHECK (s_run (command, out, sizeof (out)) == 0);
            line = atoi (out);
            snprintf (command, sizeof (command), "sed -i '%ds/officer/offcer/' %s/%s", line, dir,
                      file);
            CHECK (system (command) == 0);
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
    snprintf (command, sizeof (command), "%s/bin/gridcased --check -c %s/city.cfg", s_build, dir);
    CHECK (s_run (command, out, sizeof (out)) == 0);
    CHECK (strstr (out, "is good: 2 streets, 4 communities, 10 grids"));
    snprintf (command, sizeof (command), "rm -rf %s", dir);
    CHECK (system (command) == 0);
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
    return TESTS_DONE ();
}
