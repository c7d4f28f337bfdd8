/*  gridcased - the gridcase dispatcher. A thin main: options, config, the
    server actor, signals. */
#include "gc_check.h"
#include "gc_schema.h"
#include "gc_config.h"
#include "gc_server.h"
#include "gc_util.h"

#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#ifndef GC_VERSION
#define GC_VERSION "0.2.0"
#endif
#ifndef GC_SAMPLE_CITY
#define GC_SAMPLE_CITY "/usr/local/share/gridcase/sample-city.cfg"
#endif

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: gridcased [options]\n"
             "  -c, --config FILE       city and daemon config (ZPL); default: the sample city\n"
             "  -d, --datadir DIR       LMDB data directory (default: the config's, else "
             "./var/gridcase)\n"
             "      --command ENDPOINT  command socket, e.g. tcp://127.0.0.1:7570\n"
             "      --events ENDPOINT   events socket, e.g. tcp://127.0.0.1:7571\n"
             "      --time-scale N      run the daemon's clock N times faster (tests, demos)\n"
             "      --syslog            log to syslog instead of stderr\n"
             "      --check-config      check the config (every file it names) and exit\n"
             "      --check DIR         check the store in DIR (a data directory or a copy):\n"
             "                          the journal's hash chain, the case records and every\n"
             "                          index; exit 0 when it holds together, 1 if not\n"
             "  -v, --verbose           log every request\n"
             "  -h, --help              this help\n"
             "      --version           print the version\n");
}

static char *
s_default_config (void)
{
    //  From the source tree first, then where `make install` puts it
    const char *candidates[] = {"deploy/sample-city.cfg", GC_SAMPLE_CITY};
    for (size_t i = 0; i < 2; i++)
        if (zsys_file_exists (candidates[i]))
            return strdup (candidates[i]);
    return strdup (GC_SAMPLE_CITY);
}

static void
s_print_problem (void *arg, const char *problem)
{
    (void)arg;
    printf ("PROBLEM: %s\n", problem);
}

//  gridcased --check DIR: reads the store read-only, prints each
//  disagreement and a summary; 0 when it holds together
static int
s_check_store (const char *dir)
{
    zsys_set_logident ("gridcased");
    zsys_set_logstream (stderr);
    gc_store_options_t options = {0, 0, true};
    gc_store_t *store = gc_schema_open (dir, &options);
    if (!store) {
        //  The store's own message (on stderr) says why: absent, damaged, newer
        fprintf (stderr, "gridcased: cannot open the store in %s\n", dir);
        return 1;
    }
    gc_txn_t *txn = gc_txn_begin (store, false);
    gc_check_result_t r;
    int rc = txn ? gc_check_store (txn, s_print_problem, NULL, &r) : GC_EIO;
    gc_txn_abort (&txn);
    gc_store_destroy (&store);
    if (rc != GC_OK) {
        fprintf (stderr, "gridcased: reading the store in %s failed: %s\n", dir,
                 gc_store_strerror (rc));
        return 1;
    }
    if (r.problems) {
        printf ("store %s BROKEN: %zu problem%s; %" PRIu64 " journal entries, %" PRIu64
                " cases read\n",
                dir, r.problems, r.problems == 1 ? "" : "s", r.entries, r.cases);
        return 1;
    }
    printf ("journal intact: %" PRIu64 " entries, seq 1 to %" PRIu64
            ", every hash matches; head %02x%02x%02x%02x...\n",
            r.entries, r.entries, r.head[0], r.head[1], r.head[2], r.head[3]);
    printf ("case records intact: %" PRIu64 " cases, %" PRIu64
            " match the hash their last entry carries\n",
            r.cases, r.hashed_cases);
    printf ("indexes agree with the cases and the journal: %" PRIu64 " deadlines, %" PRIu64
            " queued, %" PRIu64 " escalation-log entries, %" PRIu64 " topic heads, %" PRIu64
            " figures gauges\n",
            r.deadlines, r.queued, r.log_entries, r.topics, r.gauges);
    printf ("store %s is consistent\n", dir);
    return 0;
}

//  SIGHUP (systemctl reload): the config file read again here, off the
//  server's thread, and its roster handed to the server, which takes it
//  between two batches. A file with a mistake changes nothing.
static void
s_reload (zactor_t *server, gc_config_t *config)
{
    sd_notify (0, "RELOADING=1\nSTATUS=reading the roster again");
    zsys_info ("SIGHUP: reading the roster and keys again from %s", config->file);
    gc_config_t *fresh = gc_config_load (config->file);
    if (!fresh) {
        zsys_error ("reload refused, the roster in use stays: config %s has the mistakes above",
                    config->file);
        sd_notify (0, "READY=1\nSTATUS=the reload was refused: see the log");
        return;
    }
    zsock_send (server, "sp", "RELOAD", fresh);
}

int
main (int argc, char *argv[])
{
    enum {
        OPT_COMMAND = 256,
        OPT_EVENTS,
        OPT_TIME_SCALE,
        OPT_SYSLOG,
        OPT_VERSION,
        OPT_CHECK,
        OPT_CHECK_STORE
    };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"datadir", required_argument, NULL, 'd'},
        {"command", required_argument, NULL, OPT_COMMAND},
        {"events", required_argument, NULL, OPT_EVENTS},
        {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
        {"syslog", no_argument, NULL, OPT_SYSLOG},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"check", required_argument, NULL, OPT_CHECK_STORE},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    char *config_file = NULL;
    const char *datadir = NULL, *command = NULL, *events = NULL;
    double time_scale = 1.0;
    bool verbose = false, use_syslog = false, check = false;
    int opt;
    while ((opt = getopt_long (argc, argv, "c:d:vh", options, NULL)) != -1) {
        switch (opt) {
            case 'c':
                free (config_file);
                config_file = strdup (optarg);
                break;
            case 'd':
                datadir = optarg;
                break;
            case OPT_COMMAND:
                command = optarg;
                break;
            case OPT_EVENTS:
                events = optarg;
                break;
            case OPT_TIME_SCALE: {
                char *end;
                time_scale = strtod (optarg, &end);
                if (*end || time_scale < 1 || time_scale > 1e6) {
                    fprintf (stderr, "gridcased: --time-scale wants a number from 1 to 1000000\n");
                    return 2;
                }
                break;
            }
            case OPT_SYSLOG:
                use_syslog = true;
                break;
            case OPT_CHECK:
                check = true;
                break;
            case OPT_CHECK_STORE:
                return s_check_store (optarg);
            case 'v':
                verbose = true;
                break;
            case 'h':
                s_usage (stdout);
                return 0;
            case OPT_VERSION:
                printf ("gridcased %s\n", GC_VERSION);
                return 0;
            default:
                s_usage (stderr);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "gridcased: unexpected argument '%s'\n", argv[optind]);
        s_usage (stderr);
        return 2;
    }
    zsys_set_logident ("gridcased");
    zsys_set_logstream (use_syslog ? NULL : stderr);
    zsys_set_logsystem (use_syslog);
    if (!config_file)
        config_file = s_default_config ();

    gc_config_t *config = gc_config_load (config_file);
    free (config_file);
    if (!config)
        return 1;
    if (check) {
        printf ("config %s is good: %zu streets, %zu communities, %zu grids, %zu departments, "
                "%zu categories, %zu calendars, %zu actors; the city's time zone is %s\n",
                config->file, zhashx_size (config->streets), zhashx_size (config->communities),
                zhashx_size (config->grids), zhashx_size (config->departments),
                zhashx_size (config->categories), zhashx_size (config->calendars),
                zhashx_size (config->actors), config->timezone);
        gc_config_destroy (&config);
        return 0;
    }
    //  Calendars and case ids use the city's time zone
    setenv ("TZ", config->timezone, 1);
    tzset ();
    gc_city_set_zone (config->timezone);
    if (datadir) {
        free (config->datadir);
        config->datadir = strdup (datadir);
    }
    if (command) {
        free (config->command);
        config->command = strdup (command);
    }
    if (events) {
        free (config->events);
        config->events = strdup (events);
    }
    if (config->curve) {
        //  Never bind a public address without the security it asks for
        const char *why = !zsys_has_curve () ? "this libzmq has no CURVE support"
                          : !config->server_cert
                              ? "it needs server_cert, the server's certificate (gridcase keygen)"
                          : !zhashx_size (config->keys)
                              ? "no actor in the roster has a key: nobody could connect"
                              : NULL;
        if (why) {
            zsys_error ("config %s: curve = on, but %s", config->file, why);
            gc_config_destroy (&config);
            return 1;
        }
        zsys_info ("CURVE: encrypted, clients authenticated by their key (%zu keys in the "
                   "roster); the roster's actor rules, not what the client names",
                   zhashx_size (config->keys));
    } else {
        const char *endpoints[] = {config->command, config->events};
        for (int i = 0; i < 2; i++) {
            if (!gc_endpoint_is_local (endpoints[i])) {
                zsys_error ("refusing to bind %s: without CURVE gridcased binds loopback only "
                            "(tcp://127.0.0.1:PORT, ipc://, inproc://)",
                            endpoints[i]);
                gc_config_destroy (&config);
                return 1;
            }
        }
        zsys_warning ("local mode: no encryption, no keys, clients name their own actor; "
                      "loopback only (%s)",
                      config->file);
    }
    if (time_scale != 1.0) {
        gc_clock_set_scale (time_scale);
        zsys_warning ("the clock runs %g times faster than the wall clock (--time-scale)",
                      time_scale);
    }
    //  Room for every connection the sockets allow, and the store's files
    struct rlimit files;
    rlim_t wanted = (rlim_t)config->connections * 2 + 256;
    if (getrlimit (RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < wanted) {
        files.rlim_cur = files.rlim_max < wanted ? files.rlim_max : wanted;
        setrlimit (RLIMIT_NOFILE, &files);
        if (files.rlim_cur < wanted)
            zsys_warning ("only %lu file descriptors (ulimit -n): fewer than the %zu "
                          "connections per socket the config allows can be served",
                          (unsigned long)files.rlim_cur, config->connections);
    }
    //  SIGINT, SIGTERM and SIGHUP are this thread's alone, read from a
    //  signalfd: blocked before the server's threads start, so they inherit
    //  the block and whichever thread the kernel would pick, it is seen here
    sigset_t caught;
    sigemptyset (&caught);
    sigaddset (&caught, SIGINT);
    sigaddset (&caught, SIGTERM);
    sigaddset (&caught, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &caught, NULL);
    int signals = signalfd (-1, &caught, SFD_CLOEXEC);
    gc_server_args_t args = {config, verbose, false, ""};
    zactor_t *server = zactor_new (gc_server_actor, &args);
    int rc = 0;
    if (args.failed) {
        zsys_error ("cannot start: %s", args.why);
        rc = 1;
    } else {
        //  Block until a signal, or until the server ends by itself
        zmq_pollitem_t items[] = {{zsock_resolve (server), 0, ZMQ_POLLIN, 0},
                                  {NULL, signals, ZMQ_POLLIN, 0}};
        while (zmq_poll (items, signals >= 0 ? 2 : 1, -1) >= 0 || errno == EINTR) {
            if (items[1].revents & ZMQ_POLLIN) {
                struct signalfd_siginfo info;
                if (read (signals, &info, sizeof (info)) != (ssize_t)sizeof (info))
                    continue;
                if (info.ssi_signo == SIGHUP) {
                    s_reload (server, config);
                    continue;
                }
                zsys_info ("signal %u received: shutting down", info.ssi_signo);
                break;
            }
            if (items[0].revents & ZMQ_POLLIN) {
                char *message = zstr_recv (server);
                zstr_free (&message);
                zsys_info ("the server ended: shutting down");
                break;
            }
        }
    }
    if (signals >= 0)
        close (signals);
    sd_notify (0, "STOPPING=1\nSTATUS=stopping: finishing the batch in hand");
    zactor_destroy (&server);
    gc_config_destroy (&config);
    return rc;
}
