/*  gridcase as a Debian service, with the real gridcased: a roster taken
    again on SIGHUP without a restart, what systemd is told (ready, the
    watchdog, status, reload, stopping), ServerInfo, and the man pages. */
#include "gridcase.h"
#include "testutil.h"

#include <czmq.h>
#include <pthread.h>
#include <sys/un.h>

#include "daemon.h"

//  Replaces FROM (its first occurrence) in FILE by TO; false if absent
static bool
s_edit (const char *file, const char *from, const char *to)
{
    zchunk_t *chunk = zchunk_slurp (file, 0);
    if (!chunk)
        return false;
    zchunk_extend (chunk, "", 1);
    char *text = (char *)zchunk_data (chunk);
    char *at = strstr (text, from);
    FILE *out = at ? fopen (file, "w") : NULL;
    if (out) {
        fprintf (out, "%.*s%s%s", (int)(at - text), text, to, at + strlen (from));
        fclose (out);
    }
    zchunk_destroy (&chunk);
    return out != NULL;
}

//  True once the daemon's log in D holds TEXT (waits up to 5 s)
static bool
s_logged (daemon_t *d, const char *text)
{
    char file[300];
    snprintf (file, sizeof (file), "%s/daemon.log", d->dir);
    for (int i = 0; i < 100; i++) {
        zchunk_t *chunk = zchunk_slurp (file, 0);
        bool found = false;
        if (chunk) {
            zchunk_extend (chunk, "", 1);
            found = strstr ((char *)zchunk_data (chunk), text) != NULL;
            zchunk_destroy (&chunk);
        }
        if (found)
            return true;
        zclock_sleep (50);
    }
    return false;
}

//  A client of D that connects with the certificate DIR/NAME
static gridcase_t *
s_keyed (daemon_t *d, const char *name, uint8_t fill)
{
    char cert[300];
    snprintf (cert, sizeof (cert), "%s/%s", d->dir, name);
    gridcase_t *client = s_client (d, fill);
    gridcase_set_timeout (client, 3000);
    if (gridcase_set_curve (client, cert, s_server_public (d)))
        gridcase_destroy (&client);
    return client;
}

//  CLIENT reports a red gas leak in GRID; the reply's error code (0: ok, -1:
//  no reply)
static int
s_report_in (gridcase_t *client, const char *grid)
{
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = (char *)grid;
    report.category = "gas-leak";
    report.title = "reported across a reload";
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    Gridcase__Reply *reply = NULL;
    int rc = gridcase_call (client, &request, &reply);
    int code = rc == GRIDCASE_OK ? 0 : rc == GRIDCASE_EREPLY ? (int)reply->error->code : -1;
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    return code;
}

//  CLIENT asks for the daemon's counters; the reply's error code as above
static int
s_stats (gridcase_t *client)
{
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    Gridcase__Reply *reply = NULL;
    int rc = gridcase_call (client, &request, &reply);
    int code = rc == GRIDCASE_OK ? 0 : rc == GRIDCASE_EREPLY ? (int)reply->error->code : -1;
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    return code;
}

//  The operator removes a lost phone's key and moves an officer to another
//  grid, then sends SIGHUP: the key's next request gets no service, the
//  officer's scope is the new one, everyone else goes on on the same
//  connections; a roster with a mistake is refused and the one in use stays
static bool
test_sighup_takes_the_roster_again (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-service-XXXXXX");
    CHECK (mkdtemp (d.dir));
    char command[2048], file[300], roster[300];
    const char *names[] = {"server", "lost", "moved", "admin"};
    for (size_t i = 0; i < 4; i++) {
        snprintf (command, sizeof (command), "%s/bin/gridcase keygen %s/%s > /dev/null", s_build,
                  d.dir, names[i]);
        CHECK_OP (system (command), ==, 0);
    }
    //  The sample roster with keys: the lost phone is o-haihong-01's, the
    //  moved officer o-haihong-02 (haihong-02 and -03)
    snprintf (roster, sizeof (roster), "%s/roster.cfg", d.dir);
    snprintf (command, sizeof (command), "cp deploy/sample-roster.cfg %s", roster);
    CHECK_OP (system (command), ==, 0);
    const char *owners[] = {"lost", "o-haihong-01", "moved", "o-haihong-02", "admin", "admin"};
    for (size_t i = 0; i < 6; i += 2) {
        snprintf (file, sizeof (file), "%s/%s", d.dir, owners[i]);
        zcert_t *cert = zcert_load (file);
        CHECK (cert);
        char from[64], to[200];
        snprintf (from, sizeof (from), "    actor = %s\n", owners[i + 1]);
        snprintf (to, sizeof (to), "    actor = %s\n        key = \"%s\"\n", owners[i + 1],
                  zcert_public_txt (cert));
        zcert_destroy (&cert);
        CHECK (s_edit (roster, from, to));
    }
    char settings[400];
    snprintf (settings, sizeof (settings), "    curve = on\n    server_cert = \"%s/server\"\n",
              d.dir);
    CHECK (s_daemon_config (&d, settings, roster));
    snprintf (d.cert, sizeof (d.cert), "%s/admin", d.dir);
    snprintf (d.server_key, sizeof (d.server_key), "%s/server", d.dir);
    CHECK (s_daemon_start (&d, NULL));
    gridcase_t *lost = s_keyed (&d, "lost", 0x11);
    gridcase_t *moved = s_keyed (&d, "moved", 0x22);
    gridcase_t *admin = s_keyed (&d, "admin", 0x33);
    CHECK (lost && moved && admin);
    CHECK_OP (s_report_in (lost, "haihong-01"), ==, 0);
    CHECK_OP (s_report_in (moved, "haihong-02"), ==, 0);
    CHECK_OP (s_report_in (moved, "qianpu-01"), ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);

    //  The lost phone's key goes; o-haihong-02 now looks after qianpu-01
    snprintf (file, sizeof (file), "%s/lost", d.dir);
    zcert_t *cert = zcert_load (file);
    CHECK (cert);
    char line[200];
    snprintf (line, sizeof (line), "        key = \"%s\"\n", zcert_public_txt (cert));
    zcert_destroy (&cert);
    CHECK (s_edit (roster, line, ""));
    CHECK (s_edit (roster, "        grid = haihong-02\n        grid = haihong-03\n",
                   "        grid = qianpu-01\n"));
    kill (d.pid, SIGHUP);
    CHECK (s_logged (&d, "roster reloaded from"));
    //  The same connections: the lost key is refused, the others go on
    CHECK_OP (s_report_in (lost, "haihong-01"), ==, GRIDCASE__ERROR_CODE__ERROR_UNAUTHENTICATED);
    CHECK_OP (s_report_in (moved, "qianpu-01"), ==, 0);
    CHECK_OP (s_report_in (moved, "haihong-02"), ==, GRIDCASE__ERROR_CODE__ERROR_NOT_PERMITTED);
    CHECK_OP (s_stats (admin), ==, 0);
    //  A new connection with the lost key gets nowhere either
    gridcase_t *again = s_keyed (&d, "lost", 0x44);
    CHECK (again);
    gridcase_set_timeout (again, 1000);
    CHECK_OP (s_report_in (again, "haihong-01"), ==, -1);
    gridcase_destroy (&again);

    //  A roster with a mistake: refused with its file and line, the roster
    //  in use stays
    CHECK (s_edit (roster, "        role = committee\n", "        role = comittee\n"));
    int line_no = 0;
    snprintf (command, sizeof (command), "grep -n -m1 'role = comittee' %s | cut -d: -f1", roster);
    char out[8192];
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
    line_no = atoi (out);
    CHECK (line_no > 0);
    kill (d.pid, SIGHUP);
    char where[400];
    snprintf (where, sizeof (where), "%s:%d: ", roster, line_no);
    CHECK (s_logged (&d, where));
    CHECK (s_logged (&d, "reload refused, the roster in use stays"));
    CHECK_OP (s_report_in (moved, "qianpu-01"), ==, 0);
    CHECK_OP (s_report_in (lost, "haihong-01"), ==, GRIDCASE__ERROR_CODE__ERROR_UNAUTHENTICATED);
    //  gridcased --check-config names the same file and line, and exits 1
    snprintf (command, sizeof (command), "%s/bin/gridcased --check-config -c %s 2>&1", s_build,
              d.config_file);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, where);
    EXPECT_CONTAINS (out, "has no role");
    CHECK_OP (s_stats (admin), ==, 0);
    gridcase_destroy (&lost);
    gridcase_destroy (&moved);
    gridcase_destroy (&admin);
    CHECK_OP (s_daemon_stop (&d, SIGTERM), ==, 0);
    s_daemon_remove (&d);
    return true;
}

//  Reports kept 64 in flight on one connection until STOP; what came back
typedef struct {
    const char *endpoint;
    bool stop; //  set and read with __atomic: the stream runs on its own thread
    size_t acked, refused, lost;
} stream_t;

static void *
s_stream (void *arg)
{
    stream_t *stream = (stream_t *)arg;
    uint8_t id[16];
    memset (id, 0x5E, 16);
    id[0] = (uint8_t)getpid ();
    gridcase_t *client = gridcase_new (stream->endpoint, id, 1);
    gridcase_set_actor (client, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01");
    size_t in_flight = 0;
    while (!__atomic_load_n (&stream->stop, __ATOMIC_RELAXED) || in_flight) {
        while (!__atomic_load_n (&stream->stop, __ATOMIC_RELAXED) && in_flight < 64) {
            Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
            report.grid = "haihong-01";
            report.category = "garbage";
            report.title = "reported while the roster reloads";
            Gridcase__Request request = GRIDCASE__REQUEST__INIT;
            request.op_case = GRIDCASE__REQUEST__OP_REPORT;
            request.report = &report;
            if (!gridcase_send (client, &request))
                break;
            in_flight++;
        }
        Gridcase__Reply *reply = NULL;
        int rc = gridcase_recv (client, &reply, 5000);
        if (rc == GRIDCASE_OK)
            __atomic_add_fetch (&stream->acked, 1, __ATOMIC_RELAXED);
        else if (rc == GRIDCASE_EREPLY)
            stream->refused++;
        else {
            stream->lost += in_flight;
            break;
        }
        in_flight--;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
    }
    gridcase_destroy (&client);
    return NULL;
}

//  How many times the daemon's log in D holds TEXT
static size_t
s_log_count (daemon_t *d, const char *text)
{
    char file[300];
    snprintf (file, sizeof (file), "%s/daemon.log", d->dir);
    zchunk_t *chunk = zchunk_slurp (file, 0);
    size_t count = 0;
    if (chunk) {
        zchunk_extend (chunk, "", 1);
        for (const char *at = (char *)zchunk_data (chunk); (at = strstr (at, text)); at++)
            count++;
        zchunk_destroy (&chunk);
    }
    return count;
}

//  SIGHUPs while reports stream in: the writer thread is busy most of the
//  time, so each reload waits for it to finish its batch; every one is
//  taken, once, and every report is answered as if nothing happened
static bool
test_sighup_under_load_is_taken_between_batches (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    stream_t stream = {d.command, false, 0, 0, 0};
    pthread_t thread;
    CHECK_OP (pthread_create (&thread, NULL, s_stream, &stream), ==, 0);
    zclock_sleep (300);
    const int reloads = 20;
    for (int i = 1; i <= reloads; i++) {
        kill (d.pid, SIGHUP);
        for (int wait = 0; wait < 100 && s_log_count (&d, "roster reloaded from") < (size_t)i;
             wait++)
            zclock_sleep (50);
        CHECK_OP (s_log_count (&d, "roster reloaded from"), ==, (size_t)i);
    }
    size_t before = __atomic_load_n (&stream.acked, __ATOMIC_RELAXED);
    zclock_sleep (300);
    __atomic_store_n (&stream.stop, true, __ATOMIC_RELAXED);
    pthread_join (thread, NULL);
    printf ("%d reloads under load: %zu reports acknowledged\n", reloads, stream.acked);
    CHECK_OP (stream.acked, >, before); //  still served after the last reload
    CHECK_OP (stream.refused, ==, 0);
    CHECK_OP (stream.lost, ==, 0);
    CHECK_OP (s_daemon_stop (&d, SIGTERM), ==, 0);
    s_daemon_remove (&d);
    return true;
}

//  The datagrams gridcased sent to the socket the test plays systemd on
typedef struct {
    int fd;
    char path[200];
    char said[65536];
    size_t size;
} notify_t;

static bool
s_notify_open (notify_t *n, const char *dir)
{
    memset (n, 0, sizeof (*n));
    snprintf (n->path, sizeof (n->path), "%s/notify", dir);
    n->fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {0};
    addr.sun_family = AF_UNIX;
    if (strlen (n->path) >= sizeof (addr.sun_path))
        return false;
    memcpy (addr.sun_path, n->path, strlen (n->path) + 1);
    return n->fd >= 0 && bind (n->fd, (struct sockaddr *)&addr, sizeof (addr)) == 0;
}

//  Reads what arrives for up to MS, or until TEXT has been said
static bool
s_notify_until (notify_t *n, const char *text, int ms)
{
    int64_t end = zclock_mono () + ms;
    while (!strstr (n->said, text) && zclock_mono () < end) {
        zmq_pollitem_t item = {NULL, n->fd, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 50) == 1 && n->size + 4096 < sizeof (n->said)) {
            ssize_t got = recv (n->fd, n->said + n->size, 4095, 0);
            if (got > 0) {
                n->size += (size_t)got;
                n->said[n->size++] = '\n';
                n->said[n->size] = 0;
            }
        }
    }
    return strstr (n->said, text) != NULL;
}

static size_t
s_count (const char *text, const char *what)
{
    size_t count = 0;
    for (const char *at = strstr (text, what); at; at = strstr (at + 1, what))
        count++;
    return count;
}

//  Type=notify: READY=1 once the store is open and both sockets are bound
//  (a request is answered then), STATUS with the served counts, WATCHDOG=1
//  from the event loop at half WatchdogSec, RELOADING=1 and READY=1 around
//  a SIGHUP, STOPPING=1 on SIGTERM
static bool
test_systemd_is_told_ready_alive_and_stopping (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-service-XXXXXX");
    CHECK (mkdtemp (d.dir));
    notify_t n;
    CHECK (s_notify_open (&n, d.dir));
    setenv ("NOTIFY_SOCKET", n.path, 1);
    setenv ("WATCHDOG_USEC", "200000", 1);
    bool started = s_daemon_start (&d, NULL);
    unsetenv ("NOTIFY_SOCKET");
    unsetenv ("WATCHDOG_USEC");
    CHECK (started);
    CHECK (s_notify_until (&n, "READY=1", 2000));
    EXPECT_CONTAINS (n.said, "STATUS=serving the city of Asia/Shanghai: ");
    //  The watchdog every 100 ms: at least five pings in a second
    size_t before = s_count (n.said, "WATCHDOG=1");
    s_notify_until (&n, "never said", 1000);
    CHECK_OP (s_count (n.said, "WATCHDOG=1") - before, >=, 5);
    //  The status counts what was served
    char out[4096];
    CHECK_OP (s_cli (&d, out, sizeof (out),
                     "--as officer:o-haihong-01 report --grid haihong-01 --category garbage "
                     "--title counted"),
              ==, 0);
    CHECK (s_notify_until (&n, ", commits 1, ", 7000));
    //  A reload says so, and says ready again
    n.size = 0;
    n.said[0] = 0;
    kill (d.pid, SIGHUP);
    CHECK (s_notify_until (&n, "RELOADING=1", 2000));
    CHECK (s_notify_until (&n, "READY=1", 2000));
    CHECK_OP (s_daemon_stop (&d, SIGTERM), ==, 0);
    CHECK (s_notify_until (&n, "STOPPING=1", 1000));
    close (n.fd);
    s_daemon_remove (&d);
    return true;
}

//  A daemon from before ServerInfo, played by the test: every request gets
//  the answer gridcased 0.1 gave to an operation it did not know
static void
s_old_daemon (zsock_t *pipe, void *args)
{
    zsock_t *router = zsock_new_router ((const char *)args);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        zframe_t *identity = zmsg_pop (msg);
        zframe_t *body = zmsg_pop (msg);
        Gridcase__Request *request =
            body ? gridcase__request__unpack (NULL, zframe_size (body), zframe_data (body)) : NULL;
        Gridcase__Error error = GRIDCASE__ERROR__INIT;
        error.code = GRIDCASE__ERROR_CODE__ERROR_BAD_REQUEST;
        error.message = "no operation in the request";
        Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
        reply.result_case = GRIDCASE__REPLY__RESULT_ERROR;
        reply.error = &error;
        reply.timezone = "Asia/Shanghai";
        if (request) {
            reply.client_id = request->client_id;
            reply.sequence = request->sequence;
        }
        size_t size = gridcase__reply__get_packed_size (&reply);
        zframe_t *packed = zframe_new (NULL, size);
        gridcase__reply__pack (&reply, zframe_data (packed));
        zframe_send (&identity, router, ZFRAME_MORE);
        zframe_send (&packed, router, 0);
        if (request)
            gridcase__request__free_unpacked (request, NULL);
        zframe_destroy (&body);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  Clients ask the daemon what it is: the CLI's info shows it, and the CLI's
//  sync and the gateway refuse a daemon too old for them with a clear
//  message (exit 5), leaving what waits in the outbox
static bool
test_clients_refuse_a_daemon_too_old (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char out[8192], args[3072], command[2048];
    CHECK_OP (s_cli (&d, out, sizeof (out), "info"), ==, 0);
    EXPECT_CONTAINS (out, "daemon   gridcased 0.2.0 at ");
    EXPECT_CONTAINS (out, "(protocol 2, store schema 3)");
    EXPECT_CONTAINS (out, "city     思明区 Siming District, time zone Asia/Shanghai");
    EXPECT_CONTAINS (out, "mode     local");
    CHECK_OP (s_cli (&d, out, sizeof (out), "info --json"), ==, 0);
    EXPECT_CONTAINS (out, "\"protocol\":2,\"schema\":3,");
    //  A report queued while nothing answers, then the old daemon appears
    //  where the CLI looks
    char old[64];
    snprintf (old, sizeof (old), "tcp://127.0.0.1:%d", s_free_port ());
    snprintf (command, sizeof (command),
              "GRIDCASE_STATE_DIR=%s/cli GRIDCASE_ENDPOINT=%s %s/bin/gridcase --timeout 300 "
              "--outbox %s/outbox --as officer:o-haihong-01 ",
              d.dir, old, s_build, d.dir);
    snprintf (args, sizeof (args),
              "%s report --grid haihong-01 --category garbage --title 'bins' 2>/dev/null", command);
    CHECK_OP (s_run (args, out, sizeof (out)), ==, 4);
    zactor_t *fake = zactor_new (s_old_daemon, old);
    snprintf (args, sizeof (args), "%s sync 2>&1", command);
    CHECK_OP (s_run (args, out, sizeof (out)), ==, 5);
    EXPECT_CONTAINS (out, "is older than gridcase 0.2 (it does not answer ServerInfo)");
    EXPECT_CONTAINS (out, "upgrade gridcased");
    snprintf (args, sizeof (args), "%s outbox", command);
    CHECK_OP (s_run (args, out, sizeof (out)), ==, 0);
    EXPECT_CONTAINS (out, "report");
    snprintf (args, sizeof (args), "%s info 2>&1", command);
    CHECK_OP (s_run (args, out, sizeof (out)), ==, 5);
    //  The gateway will not serve for it
    snprintf (args, sizeof (args),
              "timeout 10 %s/bin/gridcase-gateway -c deploy/sample-city.cfg --listen "
              "127.0.0.1:%d --command %s --events %s 2>&1",
              s_build, s_free_port (), old, d.events);
    CHECK_OP (s_run (args, out, sizeof (out)), ==, 1);
    EXPECT_CONTAINS (out, "is older than gridcase 0.2");
    zactor_destroy (&fake);
    //  The real daemon takes what waited
    snprintf (command, sizeof (command),
              "GRIDCASE_STATE_DIR=%s/cli GRIDCASE_ENDPOINT=%s %s/bin/gridcase --outbox %s/outbox "
              "--as officer:o-haihong-01 sync 2>&1",
              d.dir, d.command, s_build, d.dir);
    CHECK_OP (s_run (command, out, sizeof (out)), ==, 0);
    EXPECT_CONTAINS (out, "1 answered; nothing waits");
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
    RUN (test_sighup_takes_the_roster_again);
    RUN (test_sighup_under_load_is_taken_between_batches);
    RUN (test_systemd_is_told_ready_alive_and_stopping);
    RUN (test_clients_refuse_a_daemon_too_old);
    return TESTS_DONE ();
}
