/*  Hostile and buggy clients against the real gridcased process: a flood of
    pipelined reads, replies left unread, a flood of expensive reads beside
    a single reader. Each must leave the daemon serving everyone else, with
    bounded memory, and obeying SIGTERM. */
#include "daemon.h"

#include <sys/prctl.h>

//  The daemon's resident memory in KiB, from /proc
static long
s_rss_kib (pid_t pid)
{
    char path[64], line[256];
    snprintf (path, sizeof (path), "/proc/%d/status", (int)pid);
    FILE *file = fopen (path, "r");
    long kib = -1;
    while (file && fgets (line, sizeof (line), file))
        if (sscanf (line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (file)
        fclose (file);
    return kib;
}

static size_t
s_pack_as (Gridcase__Request *request, const char *role_id, uint8_t fill, uint64_t sequence,
           uint8_t *buffer)
{
    static uint8_t id[16];
    memset (id, fill, 16);
    static Gridcase__Actor actor;
    gridcase__actor__init (&actor);
    static char name[64];
    snprintf (name, sizeof (name), "%s", strchr (role_id, ':') + 1);
    actor.id = name;
    actor.role = strncmp (role_id, "worker", 6) == 0 ? GRIDCASE__ROLE__ROLE_WORKER
                                                     : GRIDCASE__ROLE__ROLE_OFFICER;
    request->actor = &actor;
    request->client_id.data = id;
    request->client_id.len = 16;
    request->sequence = sequence;
    return gridcase__request__pack (request, buffer);
}

//  A report by the officer of haihong-01 through the library; its case id
static bool
s_report (daemon_t *d, char *case_id, int64_t *took_ms)
{
    gridcase_t *client = s_client (d, 0x31);
    gridcase_set_timeout (client, 5000);
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = "haihong-01";
    report.category = "gas-leak";
    report.title = "gas smell in the stairwell";
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    Gridcase__Reply *reply = NULL;
    int64_t start = zclock_mono ();
    bool ok = gridcase_call (client, &request, &reply) == GRIDCASE_OK &&
              reply->result_case == GRIDCASE__REPLY__RESULT_CASE;
    if (took_ms)
        *took_ms = zclock_mono () - start;
    if (ok && case_id)
        snprintf (case_id, 32, "%s", reply->case_->case_->id);
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    gridcase_destroy (&client);
    return ok;
}

//  COUNT notes of SIZE bytes on CASE_ID, pipelined; true when all were taken
static bool
s_notes (daemon_t *d, const char *case_id, size_t count, size_t size)
{
    zsock_t *dealer = zsock_new_dealer (d->command);
    zsock_set_rcvtimeo (dealer, 10000);
    zsock_set_sndhwm (dealer, 0);
    char *text = (char *)malloc (size + 1);
    memset (text, 'n', size);
    text[size] = 0;
    Gridcase__NoteRequest note = GRIDCASE__NOTE_REQUEST__INIT;
    note.case_id = (char *)case_id;
    note.text = text;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_NOTE;
    request.note = &note;
    static uint8_t buffer[8192];
    for (size_t i = 0; i < count; i++)
        zsock_send (dealer, "b", buffer,
                    s_pack_as (&request, "officer:o-haihong-01", 0x41, i + 1, buffer));
    size_t ok = 0;
    for (size_t i = 0; i < count; i++) {
        zframe_t *frame = zframe_recv (dealer);
        if (!frame)
            break;
        Gridcase__Reply *reply =
            gridcase__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
        ok += reply && reply->result_case == GRIDCASE__REPLY__RESULT_CASE;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
        zframe_destroy (&frame);
    }
    free (text);
    zsock_destroy (&dealer);
    return ok == count;
}

//  A child process that pipelines COUNT gets of CASE_ID with history as
//  ROLE_ID without reading any reply, then waits to be killed; a byte on
//  *DONE says it has sent them all
static pid_t
s_flood (daemon_t *d, const char *role_id, const char *case_id, size_t count, bool history,
         int *done)
{
    int fds[2];
    if (pipe (fds))
        return -1;
    pid_t pid = fork ();
    if (pid) {
        close (fds[1]);
        *done = fds[0];
        return pid;
    }
    close (fds[0]);
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    zsys_init ();
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (dealer, 0);
    zsock_set_rcvhwm (dealer, 1);
    zsock_set_rcvbuf (dealer, 4096);
    zsock_set_sndtimeo (dealer, 2000);
    zsock_connect (dealer, "%s", d->command);
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = (char *)case_id;
    get.with_history = history;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_GET;
    request.get = &get;
    uint8_t buffer[256];
    for (size_t i = 0; i < count; i++) {
        size_t size = s_pack_as (&request, role_id, 0x66, i + 1, buffer);
        if (zmq_send (zsock_resolve (dealer), buffer, size, 0) < 0)
            break;
    }
    if (write (fds[1], "", 1) != 1)
        _exit (1);
    pause ();
    _exit (0);
}

static bool
s_wait_exit (pid_t pid, int ms, int *status)
{
    for (int waited = 0; waited < ms; waited += 10) {
        if (waitpid (pid, status, WNOHANG) == pid)
            return true;
        zclock_sleep (10);
    }
    return false;
}

//  One client pipelining a million reads (a worker asking for a case it may
//  not read) does not freeze the daemon: another client's report is answered
//  within 2 s, the flooder is disconnected, and SIGTERM is obeyed within 2 s
static bool
test_a_million_pipelined_reads_freeze_nothing (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char case_id[32];
    CHECK (s_report (&d, case_id, NULL));
    int done;
    pid_t flooder = s_flood (&d, "worker:w-gas-1", case_id, 1000000, false, &done);
    //  Every request sent (into the daemon's queues or refused), or 30 s
    zmq_pollitem_t sent = {NULL, done, ZMQ_POLLIN, 0};
    zmq_poll (&sent, 1, 30000);
    close (done);
    int64_t took = 0;
    CHECK (s_report (&d, NULL, &took));
    fprintf (stderr, "a report answered in %" PRId64 " ms during the flood\n", took);
    CHECK_OP (took, <, 2000);
    uint64_t disconnected = s_counter (&d, "disconnected_inflight");
    CHECK (disconnected >= 1 && disconnected != UINT64_MAX);
    kill (flooder, SIGKILL);
    waitpid (flooder, NULL, 0);
    pid_t pid = d.pid;
    kill (pid, SIGTERM);
    int status = 0;
    CHECK (s_wait_exit (pid, 2000, &status));
    CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    d.pid = 0;
    s_daemon_remove (&d);
    return true;
}

//  A client asking for 1,000 histories of 4 MB and reading none of them gets
//  no more reads answered once its connection is full: the daemon's memory
//  grows by at most 64 replies in libzmq and 16 MiB held (under 512 MiB; 4 GB
//  unbounded), and others are served meanwhile
static bool
s_unread_replies (const char *build, size_t address_space)
{
    daemon_t d = {0};
    d.build = build;
    d.address_space = address_space;
    CHECK (s_daemon_start (&d, NULL));
    char case_id[32];
    CHECK (s_report (&d, case_id, NULL));
    CHECK (s_notes (&d, case_id, 1000, 4000));
    long before = s_rss_kib (d.pid), peak = before;
    const long bound = 512 * 1024;
    int done;
    pid_t flooder = s_flood (&d, "officer:o-haihong-01", case_id, 1000, true, &done);
    //  Replies are held for it once its connection is full; from then on its
    //  reads wait (or it is disconnected past 16 MiB held)
    bool held = false;
    for (int i = 0; i < 600 && !held && peak - before < bound; i++) {
        zclock_sleep (100);
        long rss = s_rss_kib (d.pid);
        peak = rss > peak ? rss : peak;
        uint64_t count = s_counter (&d, "replies_held");
        held = count >= 1 && count != UINT64_MAX;
    }
    for (int i = 0; i < 30; i++) {
        zclock_sleep (100);
        long rss = s_rss_kib (d.pid);
        peak = rss > peak ? rss : peak;
    }
    fprintf (stderr, "RSS %ld MiB before, %ld MiB at the peak\n", before >> 10, peak >> 10);
    CHECK (held);
    CHECK_OP (peak - before, <, bound);
    int64_t took = 0;
    CHECK (s_report (&d, NULL, &took));
    CHECK_OP (took, <, 2000);
    kill (flooder, SIGKILL);
    waitpid (flooder, NULL, 0);
    close (done);
    s_daemon_remove (&d);
    return true;
}

static bool
test_unread_replies_are_bounded (void)
{
    return s_unread_replies (NULL, 0);
}

//  The same with the daemon built without sanitizers (make test builds it
//  too) under a 1 GiB address-space limit: no allocation fails, no crash
static bool
test_unread_replies_under_one_gib_of_address_space (void)
{
    return s_unread_replies ("build", (size_t)1 << 30);
}

//  A reader pipelining expensive reads (histories of 200 notes) does not
//  make another client's single reads wait: their p99 stays under 100 ms
static bool
test_reads_are_served_in_turn (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char case_id[32];
    CHECK (s_report (&d, case_id, NULL));
    CHECK (s_notes (&d, case_id, 200, 2000));
    //  The flooder keeps 100 histories in flight and reads every reply
    pid_t flooder = fork ();
    if (flooder == 0) {
        prctl (PR_SET_PDEATHSIG, SIGKILL);
        zsys_init ();
        zsock_t *dealer = zsock_new_dealer (d.command);
        zsock_set_rcvtimeo (dealer, 5000);
        Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
        get.case_id = case_id;
        get.with_history = true;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_GET;
        request.get = &get;
        uint8_t buffer[256];
        uint64_t sequence = 0;
        for (int i = 0; i < 100; i++)
            zsock_send (dealer, "b", buffer,
                        s_pack_as (&request, "officer:o-haihong-01", 0x67, ++sequence, buffer));
        while (true) {
            zframe_t *frame = zframe_recv (dealer);
            if (!frame)
                _exit (1);
            zframe_destroy (&frame);
            zsock_send (dealer, "b", buffer,
                        s_pack_as (&request, "officer:o-haihong-01", 0x67, ++sequence, buffer));
        }
    }
    zclock_sleep (1000);
    gridcase_t *client = s_client (&d, 0x68);
    gridcase_set_timeout (client, 5000);
    int64_t took[200];
    size_t count = 0;
    for (int i = 0; i < 200; i++) {
        Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
        get.case_id = case_id;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_GET;
        request.get = &get;
        Gridcase__Reply *reply = NULL;
        int64_t start = zclock_usecs ();
        if (gridcase_call (client, &request, &reply) == GRIDCASE_OK &&
            reply->result_case == GRIDCASE__REPLY__RESULT_CASE)
            took[count++] = zclock_usecs () - start;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
    }
    gridcase_destroy (&client);
    int flooder_status = 0;
    bool flooder_died = waitpid (flooder, &flooder_status, WNOHANG) == flooder;
    //  Stopped in the middle of the flood, the daemon exits cleanly: every
    //  read it still held (waiting its turn, at a reader) is let go (the
    //  sanitizers' leak check fails the exit otherwise)
    int status = s_daemon_stop (&d, SIGTERM);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        char command[300];
        snprintf (command, sizeof (command), "tail -c 6000 %s/daemon.log >&2", d.dir);
        if (system (command) != 0)
            fprintf (stderr, "no daemon log in %s\n", d.dir);
    }
    CHECK (WIFEXITED (status));
    CHECK_OP (WEXITSTATUS (status), ==, 0);
    kill (flooder, SIGKILL);
    waitpid (flooder, NULL, 0);
    CHECK (!flooder_died);
    CHECK_OP (count, ==, 200);
    //  Sorted, for the 99th percentile
    for (size_t i = 1; i < count; i++)
        for (size_t k = i; k > 0 && took[k - 1] > took[k]; k--) {
            int64_t swap = took[k];
            took[k] = took[k - 1];
            took[k - 1] = swap;
        }
    int64_t p99 = took[count * 99 / 100 - 1];
    fprintf (stderr, "single reads beside a flood: p50 %.1f ms, p99 %.1f ms\n",
             took[count / 2] / 1000.0, p99 / 1000.0);
    CHECK_OP (p99, <, 100 * 1000);
    s_daemon_remove (&d);
    return true;
}

//  The counters' queue depths show only the queues the reader may see
static bool
test_counters_show_only_queues_in_scope (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    char id[32], out[16384], args[256];
    CHECK (s_report (&d, id, NULL));
    snprintf (args, sizeof (args),
              "--as officer:o-haihong-01 escalate %s --reason 'needs the committee'", id);
    CHECK_OP (s_cli (&d, out, sizeof (out), args), ==, 0);
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as supervisor:sup-siming stats --json"), ==, 0);
    EXPECT_CONTAINS (out, "queue committee/haihong");
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as committee:c-haihong stats --json"), ==, 0);
    EXPECT_CONTAINS (out, "queue committee/haihong");
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as committee:c-qianpu stats --json"), ==, 0);
    CHECK (strstr (out, "\"requests\"") && !strstr (out, "queue committee/haihong"));
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as officer:o-haihong-01 stats --json"), ==, 0);
    CHECK (strstr (out, "\"requests\"") && !strstr (out, "queue "));
    CHECK_OP (s_cli (&d, out, sizeof (out), "--as worker:w-gas-1 stats --json"), ==, 0);
    CHECK (!strstr (out, "queue committee/"));
    s_daemon_remove (&d);
    return true;
}

//  A truncated or empty store is refused by the daemon and by
//  verify-journal with exit status 1 and a message naming the file
static bool
test_damaged_store_refused_with_a_message (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    CHECK (s_report (&d, NULL, NULL));
    s_daemon_stop (&d, SIGTERM);
    char command[1024], out[4096];
    const char *damage[] = {"truncate -s 8192", "truncate -s 0"};
    const char *words[] = {"is truncated", "is empty"};
    for (size_t i = 0; i < 2; i++) {
        snprintf (command, sizeof (command), "%s %s/data/data.mdb", damage[i], d.dir);
        CHECK_OP (system (command), ==, 0);
        snprintf (command, sizeof (command),
                  "%s/bin/gridcased -c deploy/sample-city.cfg -d %s/data --command "
                  "tcp://127.0.0.1:%d 2>&1",
                  s_build, d.dir, s_free_port ());
        CHECK_OP (s_run (command, out, sizeof (out)), ==, 1);
        CHECK (strstr (out, "data.mdb") && strstr (out, words[i]));
        snprintf (command, sizeof (command), "%s/data", d.dir);
        CHECK_OP (s_check_store (command, out, sizeof (out)), ==, 1);
        EXPECT_CONTAINS (out, words[i]);
    }
    s_daemon_remove (&d);
    return true;
}

//  100,000 subscriptions to made-up topics (10 MB of them): only the city's
//  topics are taken, and a connection that sends a burst of refused ones is
//  closed, so the daemon grows by little (315 MiB before)
static bool
test_a_flood_of_subscriptions_is_bounded (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    long before = s_rss_kib (d.pid);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zsock_set_sndhwm (sub, 0);
    //  One connection: closed, it does not come back to try again
    zsock_set_reconnect_ivl (sub, -1);
    CHECK_OP (zsock_connect (sub, "%s", d.events), ==, 0);
    char topic[128];
    for (int i = 0; i < 100000; i++) {
        snprintf (topic, sizeof (topic),
                  "grid/no-such-grid-%08d-padding-padding-padding-padding-padding-padding-"
                  "padding-%d",
                  i, i * 7919);
        zsock_set_subscribe (sub, topic);
    }
    //  The flooding connection is closed within a burst's worth of them
    uint64_t flooded = 0;
    long peak = before;
    for (int i = 0; i < 300 && (flooded == 0 || flooded == UINT64_MAX); i++) {
        zclock_sleep (100);
        flooded = s_counter (&d, "connections_flooded");
        long rss = s_rss_kib (d.pid);
        peak = rss > peak ? rss : peak;
    }
    for (int i = 0; i < 20; i++) {
        zclock_sleep (100);
        long rss = s_rss_kib (d.pid);
        peak = rss > peak ? rss : peak;
    }
    uint64_t refused = s_counter (&d, "subscriptions_refused");
    zsock_destroy (&sub);
    fprintf (stderr, "100,000 subscriptions: %" PRIu64 " refused, RSS %ld -> %ld MiB at the peak\n",
             refused, before >> 10, peak >> 10);
    CHECK (flooded >= 1 && flooded != UINT64_MAX);
    //  Usually 15-40 MiB (about 1,000 refused before the close); in one run
    //  of about 30 the close came after 26,747 and the peak was 145 MiB
    //  more. Unbounded, 100,000 of them took 315-400 MiB.
    CHECK_OP (peak - before, <, 256 * 1024);
    //  A subscriber to a real topic is served as before
    sub = zsock_new_sub (d.events, "grid/haihong-01");
    CHECK (sub);
    zclock_sleep (300);
    char id[32];
    CHECK (s_report (&d, id, NULL));
    zsock_set_rcvtimeo (sub, 2000);
    char *got = zstr_recv (sub);
    CHECK (got && streq (got, "grid/haihong-01"));
    zstr_free (&got);
    zsock_destroy (&sub);
    s_daemon_remove (&d);
    return true;
}

//  A raw ZMTP 3.0 peer (NULL mechanism, DEALER) on the command socket that
//  sends 64 KiB frames that all say MORE, TOTAL bytes in all; exits 0 when
//  the daemon closed the connection first, 1 when it sent them all
static pid_t
s_endless_message (daemon_t *d, size_t total)
{
    pid_t pid = fork ();
    if (pid)
        return pid;
    prctl (PR_SET_PDEATHSIG, SIGKILL);
    const char *port = strrchr (d->command, ':');
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t)atoi (port + 1));
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) != 0)
        _exit (2);
    uint8_t greeting[64] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 0, 'N', 'U', 'L', 'L'};
    uint8_t peer[64];
    size_t got = 0;
    if (send (fd, greeting, sizeof (greeting), MSG_NOSIGNAL) != sizeof (greeting))
        _exit (2);
    while (got < sizeof (peer)) {
        ssize_t n = recv (fd, peer + got, sizeof (peer) - got, 0);
        if (n <= 0)
            _exit (2);
        got += (size_t)n;
    }
    //  READY with Socket-Type = DEALER
    static const uint8_t ready[] = {0x04, 28,  5,   'R', 'E', 'A', 'D', 'Y', 11,  'S',
                                    'o',  'c', 'k', 'e', 't', '-', 'T', 'y', 'p', 'e',
                                    0,    0,   0,   6,   'D', 'E', 'A', 'L', 'E', 'R'};
    if (send (fd, ready, sizeof (ready), MSG_NOSIGNAL) != sizeof (ready))
        _exit (2);
    static uint8_t frame[9 + 65536];
    frame[0] = 0x03; //  MORE, long size
    frame[6] = 0x01; //  65,536 bytes: the size is 8 bytes, big-endian
    memset (frame + 9, 'x', 65536);
    for (size_t sent = 0; sent < total; sent += 65536) {
        size_t off = 0;
        while (off < sizeof (frame)) {
            ssize_t n = send (fd, frame + off, sizeof (frame) - off, MSG_NOSIGNAL);
            if (n <= 0)
                _exit (0); //  closed by the daemon
            off += (size_t)n;
        }
    }
    _exit (1);
}

//  1 GB of frames that never end a message: libzmq would keep them all; the
//  daemon closes the connection once it holds over its bound (36 MiB), so
//  its memory stays bounded and others are served
static bool
test_an_endless_message_is_cut_off (void)
{
    daemon_t d = {0};
    CHECK (s_daemon_start (&d, NULL));
    long before = s_rss_kib (d.pid), peak = before;
    pid_t sender = s_endless_message (&d, (size_t)1 << 30);
    int status = -1;
    for (int i = 0; i < 400; i++) {
        long rss = s_rss_kib (d.pid);
        peak = rss > peak ? rss : peak;
        if (waitpid (sender, &status, WNOHANG) == sender)
            break;
        zclock_sleep (50);
    }
    kill (sender, SIGKILL);
    waitpid (sender, NULL, 0);
    uint64_t cut = s_counter (&d, "connections_unread");
    fprintf (stderr,
             "an endless message: RSS %ld -> %ld MiB at the peak, sender status %d, cut %d\n",
             before >> 10, peak >> 10, WIFEXITED (status) ? WEXITSTATUS (status) : -1, (int)cut);
    //  The sender never got its gigabyte through (status 1): it was cut off,
    //  or libzmq stopped reading from it once the daemon closed it
    CHECK (!(WIFEXITED (status) && WEXITSTATUS (status) == 1));
    CHECK (cut >= 1 && cut != UINT64_MAX);
    CHECK_OP (peak - before, <, 256 * 1024);
    int64_t took = 0;
    CHECK (s_report (&d, NULL, &took));
    CHECK_OP (took, <, 2000);
    s_daemon_remove (&d);
    return true;
}

//  A stats request on DEALER; true if answered within a second
static bool
s_stats_answered (zsock_t *dealer, uint64_t sequence)
{
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    uint8_t buffer[256];
    size_t size = s_pack_as (&request, "officer:o-haihong-01", 0x70, sequence, buffer);
    zsock_set_rcvtimeo (dealer, 1000);
    if (zsock_send (dealer, "b", buffer, size) != 0)
        return false;
    zframe_t *reply = zframe_recv (dealer);
    bool answered = reply != NULL;
    zframe_destroy (&reply);
    return answered;
}

//  With connections = 4 and idle_timeout = 2s: connections past the cap are
//  closed as they come, and connections that send nothing are closed after
//  2 s; a client whose connection was closed is served again when it sends
static bool
test_connections_are_capped_and_idle_ones_closed (void)
{
    daemon_t d = {0};
    snprintf (d.dir, sizeof (d.dir), "/tmp/gc-test-attacks-XXXXXX");
    CHECK (mkdtemp (d.dir));
    CHECK (s_daemon_config (&d, "    connections = 4\n    idle_timeout = 2s\n", NULL));
    CHECK (s_daemon_start (&d, NULL));
    zclock_sleep (300); //  the readiness check's connection has ended
    zsock_t *clients[6];
    for (int i = 0; i < 6; i++) {
        clients[i] = zsock_new_dealer (d.command);
        CHECK (clients[i]);
    }
    int answered = 0;
    for (int i = 0; i < 6; i++)
        answered += s_stats_answered (clients[i], 1);
    //  The cap acts on libzmq's monitor events, which come a moment after a
    //  connection: a request that arrived in that moment may be answered
    //  before its connection is closed. Past the cap, not all are served.
    EXPECT_OP (answered, >=, 4);
    EXPECT_OP (answered, <=, 5);
    for (int i = 0; i < 6; i++)
        zsock_destroy (&clients[i]);
    zclock_sleep (300);
    uint64_t refused = s_counter (&d, "connections_refused");
    CHECK (refused >= 2 && refused != UINT64_MAX);
    //  Idle: three connections that say nothing for 3 s are closed
    for (int i = 0; i < 3; i++) {
        clients[i] = zsock_new_dealer (d.command);
        CHECK (s_stats_answered (clients[i], 2));
    }
    zclock_sleep (3000);
    uint64_t idle = s_counter (&d, "connections_idle");
    CHECK (idle >= 3 && idle != UINT64_MAX);
    //  ... and their clients, sending again, are served on a new connection
    for (int i = 0; i < 3; i++) {
        CHECK (s_stats_answered (clients[i], 3));
        zsock_destroy (&clients[i]);
    }
    s_daemon_remove (&d);
    return true;
}

int
main (int argc, char *argv[])
{
    if (argc > 1)
        s_build = argv[1];
    //  AddressSanitizer keeps 256 MiB of freed memory by default: the memory
    //  bounds measured here are the daemon's, not the quarantine's
    setenv ("ASAN_OPTIONS", "quarantine_size_mb=8", 0);
    zsys_init ();
    zsys_set_logstream (stderr);
    atexit (s_kill_started);
    RUN (test_a_million_pipelined_reads_freeze_nothing);
    RUN (test_unread_replies_are_bounded);
    RUN (test_unread_replies_under_one_gib_of_address_space);
    RUN (test_reads_are_served_in_turn);
    RUN (test_counters_show_only_queues_in_scope);
    RUN (test_damaged_store_refused_with_a_message);
    RUN (test_a_flood_of_subscriptions_is_bounded);
    RUN (test_an_endless_message_is_cut_off);
    RUN (test_connections_are_capped_and_idle_ones_closed);
    return TESTS_DONE ();
}
