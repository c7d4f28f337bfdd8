/*  Tests with the real gridcased process: start it on a free loopback port
    with a temporary data directory, run the CLI against it, send raw frames,
    read its counters. Included by each end-to-end test program. */
#ifndef GC_TEST_DAEMON_H_INCLUDED
#define GC_TEST_DAEMON_H_INCLUDED

#include "gridcase.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <czmq.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *s_build = "build/test";

typedef struct {
    pid_t pid;
    char dir[128];
    char command[64];
    char events[64];
    const char *time_scale; //  --time-scale, or NULL
    const char *config;     //  the config file, NULL: the sample city
    char cert[200];         //  CURVE: the client certificate the CLI and readiness use
    char server_key[200];   //  CURVE: the server's certificate file
    const char *build;      //  whose bin/gridcased runs; NULL: the test build
    size_t address_space;   //  RLIMIT_AS for the daemon in bytes, 0: none
    char config_file[300];  //  a config s_daemon_config wrote
    bool same_ports;        //  a restart listens where the last start did
} daemon_t;

static inline int
s_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof (addr);
    int port = -1;
    if (bind (fd, (struct sockaddr *)&addr, sizeof (addr)) == 0 &&
        getsockname (fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs (addr.sin_port);
    close (fd);
    return port;
}

static inline gridcase_t *
s_client (daemon_t *d, uint8_t fill)
{
    uint8_t id[16];
    memset (id, fill, 16);
    id[0] = (uint8_t)getpid ();
    gridcase_t *client = gridcase_new (d->command, id, 1);
    gridcase_set_actor (client, GRIDCASE__ROLE__ROLE_OFFICER, "o-haihong-01");
    return client;
}

//  Every daemon started, so a failed test does not leave one running
static pid_t s_started[64];
static size_t s_started_count;

static inline void
s_kill_started (void)
{
    for (size_t i = 0; i < s_started_count; i++)
        kill (s_started[i], SIGKILL);
}

//  The server's public key, from its certificate file
static inline const char *
s_server_public (daemon_t *d)
{
    static char key[64];
    zcert_t *cert = zcert_load (d->server_key);
    snprintf (key, sizeof (key), "%s", cert ? zcert_public_txt (cert) : "");
    zcert_destroy (&cert);
    return key;
}

//  Starts gridcased on D's data directory and waits until it answers
static inline bool
s_daemon_start (daemon_t *d, const char *extra_command)
{
    if (!d->dir[0]) {
        snprintf (d->dir, sizeof (d->dir), "/tmp/gc-test-e2e-XXXXXX");
        if (!mkdtemp (d->dir))
            return false;
    }
    if (!d->same_ports || !d->command[0]) {
        snprintf (d->command, sizeof (d->command), "tcp://127.0.0.1:%d", s_free_port ());
        snprintf (d->events, sizeof (d->events), "tcp://127.0.0.1:%d", s_free_port ());
    }
    char binary[256], datadir[200], log[200];
    snprintf (binary, sizeof (binary), "%s/bin/gridcased", d->build ? d->build : s_build);
    snprintf (datadir, sizeof (datadir), "%s/data", d->dir);
    snprintf (log, sizeof (log), "%s/daemon.log", d->dir);
    d->pid = fork ();
    if (d->pid == 0) {
        freopen (log, "a", stderr);
        freopen ("/dev/null", "w", stdout);
        if (d->address_space) {
            struct rlimit limit = {d->address_space, d->address_space};
            setrlimit (RLIMIT_AS, &limit);
        }
        const char *args[] = {binary,
                              "-c",
                              d->config ? d->config : "deploy/sample-city.cfg",
                              "-d",
                              datadir,
                              "--command",
                              extra_command ? extra_command : d->command,
                              "--events",
                              d->events,
                              d->time_scale ? "--time-scale" : NULL,
                              d->time_scale,
                              NULL};
        execv (binary, (char *const *)args);
        _exit (127);
    }
    if (s_started_count < 64)
        s_started[s_started_count++] = d->pid;
    if (extra_command)
        return true;
    //  Ready when a stats request is answered
    gridcase_t *client = s_client (d, 0xEE);
    gridcase_set_timeout (client, 500);
    if (d->cert[0] && gridcase_set_curve (client, d->cert, s_server_public (d)))
        return false;
    bool ready = false;
    for (int attempt = 0; attempt < 40 && !ready; attempt++) {
        Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
        Gridcase__Request request = GRIDCASE__REQUEST__INIT;
        request.op_case = GRIDCASE__REQUEST__OP_STATS;
        request.stats = &stats;
        Gridcase__Reply *reply = NULL;
        ready = gridcase_call (client, &request, &reply) == GRIDCASE_OK;
        if (reply)
            gridcase__reply__free_unpacked (reply, NULL);
        if (waitpid (d->pid, NULL, WNOHANG) == d->pid)
            break;
    }
    gridcase_destroy (&client);
    return ready;
}

static inline int
s_daemon_stop (daemon_t *d, int signal)
{
    int status = -1;
    if (d->pid > 0) {
        kill (d->pid, signal);
        waitpid (d->pid, &status, 0);
        d->pid = 0;
    }
    return status;
}

static inline void
s_daemon_remove (daemon_t *d)
{
    s_daemon_stop (d, SIGKILL);
    char command[200];
    snprintf (command, sizeof (command), "rm -rf %s", d->dir);
    if (system (command) != 0)
        fprintf (stderr, "cannot remove %s\n", d->dir);
}

//  Writes D's own config, DIR/gridcase.cfg, and makes it D's: the gridcase
//  section's SETTINGS (lines indented by four), the roster ROSTER (NULL: the
//  sample roster) and the sample city; D->dir must exist
static inline bool
s_daemon_config (daemon_t *d, const char *settings, const char *roster)
{
    char cwd[256];
    if (!getcwd (cwd, sizeof (cwd)))
        return false;
    snprintf (d->config_file, sizeof (d->config_file), "%s/gridcase.cfg", d->dir);
    FILE *file = fopen (d->config_file, "w");
    if (!file)
        return false;
    fprintf (file, "gridcase\n%s", settings);
    if (roster)
        fprintf (file, "    roster = \"%s\"\n", roster);
    else
        fprintf (file, "    roster = \"%s/deploy/sample-roster.cfg\"\n", cwd);
    fprintf (file, "    city = \"%s/deploy/sample-city.cfg\"\n", cwd);
    fprintf (file, "    grids = \"%s/deploy/sample-grids.geojson\"\n", cwd);
    fclose (file);
    d->config = d->config_file;
    return true;
}

//  Runs COMMAND in a shell; its exit status (-1 if it did not exit), what it
//  printed on stdout in OUT
static inline int
s_run (const char *command, char *out, size_t size)
{
    FILE *pipe = popen (command, "r");
    if (!pipe)
        return -1;
    size_t got = fread (out, 1, size - 1, pipe);
    out[got] = 0;
    int status = pclose (pipe);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

//  Runs the CLI with ARGS against D; returns its exit status, stdout in OUT
static inline int
s_cli (daemon_t *d, char *out, size_t size, const char *args)
{
    char command[2048], curve[500] = "";
    if (d->cert[0])
        snprintf (curve, sizeof (curve), "--cert %s --server-key %s", d->cert, d->server_key);
    snprintf (command, sizeof (command),
              "GRIDCASE_STATE_DIR=%s/cli GRIDCASE_ENDPOINT=%s GRIDCASE_AS=supervisor:sup-siming "
              "%s/bin/gridcase --timeout 5000 %s %s",
              d->dir, d->command, s_build, curve, args);
    return s_run (command, out, size);
}

//  Runs gridcased --check on the store in DIR; its exit status, what it
//  printed (both streams) in OUT
static inline int
s_check_store (const char *dir, char *out, size_t size)
{
    char command[2200];
    snprintf (command, sizeof (command), "%s/bin/gridcased --check %s 2>&1", s_build, dir);
    return s_run (command, out, size);
}

//  Sends raw FRAMES (count) and returns the error code of the reply, or -1
static inline int
s_raw_error (zsock_t *dealer, zframe_t **frames, int count)
{
    for (int i = 0; i < count; i++)
        zframe_send (&frames[i], dealer, i + 1 < count ? ZFRAME_MORE : 0);
    zframe_t *frame = zframe_recv (dealer);
    if (!frame)
        return -1;
    Gridcase__Reply *reply =
        gridcase__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zframe_destroy (&frame);
    int code =
        reply && reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? (int)reply->error->code : 0;
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    return code;
}

static inline uint64_t
s_counter (daemon_t *d, const char *name)
{
    gridcase_t *client = s_client (d, 0x77);
    Gridcase__StatsRequest stats = GRIDCASE__STATS_REQUEST__INIT;
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.op_case = GRIDCASE__REQUEST__OP_STATS;
    request.stats = &stats;
    Gridcase__Reply *reply = NULL;
    uint64_t value = UINT64_MAX;
    if (gridcase_call (client, &request, &reply) == GRIDCASE_OK)
        for (size_t i = 0; i < reply->stats->n_counters; i++)
            if (streq (reply->stats->counters[i]->name, name))
                value = reply->stats->counters[i]->value;
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    gridcase_destroy (&client);
    return value;
}

#endif
