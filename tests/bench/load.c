/*  Load for the benchmark: CONNECTIONS DEALER sockets, each keeping PIPELINE
    report requests in flight (closed loop) for SECONDS, or together sending
    RATE reports a second (open loop, when RATE > 0). Works against gridcased
    and the raw loop alike (the same wire protocol). With QUEUE and WORKER
    the requests are claims of the head of QUEUE by WORKER instead of
    reports. Prints one line:
        rps=N p50_us=N p99_us=N p999_us=N acked=N errors=N
    Usage: bench_load ENDPOINT CONNECTIONS PIPELINE SECONDS [RATE [QUEUE WORKER]] */
#include "gridcase.pb-c.h"

#include <czmq.h>
#include <poll.h>

#define RING 256

typedef struct {
    zsock_t *dealer;
    uint8_t id[16];
    uint64_t next;
    uint64_t acked_to;
    int64_t sent_at[RING]; //  by sequence % RING, in microseconds
    size_t in_flight;
} conn_t;

static int64_t
s_usecs (void)
{
    return zclock_usecs ();
}

static const char *s_queue, *s_worker;

static void
s_send (conn_t *c, const char *description)
{
    Gridcase__ReportRequest report = GRIDCASE__REPORT_REQUEST__INIT;
    report.grid = "haihong-01";
    report.category = "garbage";
    report.title = "bins overflowing by the gate";
    report.description = (char *)description;
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = GRIDCASE__ROLE__ROLE_OFFICER;
    actor.id = "o-haihong-01";
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.client_id.data = c->id;
    request.client_id.len = 16;
    request.sequence = c->next;
    request.actor = &actor;
    request.op_case = GRIDCASE__REQUEST__OP_REPORT;
    request.report = &report;
    Gridcase__ClaimRequest claim = GRIDCASE__CLAIM_REQUEST__INIT;
    if (s_queue) {
        claim.queue = (char *)s_queue;
        actor.role = GRIDCASE__ROLE__ROLE_WORKER;
        actor.id = (char *)s_worker;
        request.op_case = GRIDCASE__REQUEST__OP_CLAIM;
        request.claim = &claim;
    }
    uint8_t buffer[1024];
    size_t size = gridcase__request__pack (&request, buffer);
    c->sent_at[c->next % RING] = s_usecs ();
    zmq_send (zsock_resolve (c->dealer), buffer, size, ZMQ_DONTWAIT);
    c->next++;
    c->in_flight++;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
    if (argc < 5) {
        fprintf (stderr, "usage: bench_load ENDPOINT CONNECTIONS PIPELINE SECONDS "
                         "[RATE [QUEUE WORKER]]\n");
        return 2;
    }
    zsys_init ();
    int connections = atoi (argv[2]), pipeline = atoi (argv[3]);
    double seconds = atof (argv[4]), rate = argc > 5 ? atof (argv[5]) : 0;
    if (argc > 7) {
        s_queue = argv[6];
        s_worker = argv[7];
    }
    if (connections < 1 || connections > 1000 || pipeline < 1 || pipeline > RING / 2)
        return 2;
    char description[201];
    memset (description, 'd', 200);
    description[200] = 0;
    conn_t *conns = (conn_t *)calloc ((size_t)connections, sizeof (conn_t));
    zmq_pollitem_t *items = (zmq_pollitem_t *)calloc ((size_t)connections, sizeof (*items));
    struct pollfd *fds = (struct pollfd *)calloc ((size_t)connections, sizeof (*fds));
    FILE *random = fopen ("/dev/urandom", "rb");
    for (int i = 0; i < connections; i++) {
        conns[i].dealer = zsock_new (ZMQ_DEALER);
        zsock_set_sndhwm (conns[i].dealer, 100000);
        zsock_set_rcvhwm (conns[i].dealer, 100000);
        zsock_set_linger (conns[i].dealer, 0);
        zsock_connect (conns[i].dealer, "%s", argv[1]);
        if (!random || fread (conns[i].id, 1, 16, random) != 16)
            return 1;
        conns[i].next = 1;
        items[i].socket = zsock_resolve (conns[i].dealer);
        items[i].events = ZMQ_POLLIN;
        fds[i].fd = zsock_fd (conns[i].dealer);
        fds[i].events = POLLIN;
    }
    fclose (random);
    zclock_sleep (300); //  let every connection come up
    size_t capacity = 1 << 20, count = 0, errors = 0;
    int64_t *latencies = (int64_t *)malloc (capacity * sizeof (int64_t));
    int64_t start = s_usecs (), end = start + (int64_t)(seconds * 1e6);
    int64_t interval = rate > 0 ? (int64_t)(1e6 / rate) : 0, next_send = start;
    int turn = 0;
    while (true) {
        int64_t now = s_usecs ();
        bool sending = now < end;
        if (sending && !interval) {
            for (int i = 0; i < connections; i++)
                while (conns[i].in_flight < (size_t)pipeline)
                    s_send (&conns[i], description);
        } else if (sending) {
            //  Open loop: the sends that are due, spread over the connections
            while (next_send <= now) {
                conn_t *c = &conns[turn++ % connections];
                if (c->in_flight < (size_t)RING / 2)
                    s_send (c, description);
                next_send += interval;
            }
        }
        size_t waiting = 0;
        for (int i = 0; i < connections; i++)
            waiting += conns[i].in_flight;
        if (!sending && !waiting)
            break;
        if (!sending && now > end + 10 * 1000000)
            break; //  replies lost: give up after 10 s
        if (interval) {
            //  Sleep to the microsecond until the next send or a reply: a
            //  sender that spins takes the CPU the systems measured need
            int64_t wait = next_send - s_usecs ();
            struct timespec timeout = {0, 0};
            if (wait > 0)
                timeout.tv_nsec = (long)(wait > 100000 ? 100000 : wait) * 1000;
            ppoll (fds, (nfds_t)connections, &timeout, NULL);
        } else
            zmq_poll (items, connections, 100);
        for (int i = 0; i < connections; i++) {
            //  Open loop: every socket is drained (their descriptors only
            //  say that something changed)
            if (!interval && !(items[i].revents & ZMQ_POLLIN))
                continue;
            zmq_msg_t msg;
            zmq_msg_init (&msg);
            while (zmq_msg_recv (&msg, items[i].socket, ZMQ_DONTWAIT) >= 0) {
                Gridcase__Reply *reply =
                    gridcase__reply__unpack (NULL, zmq_msg_size (&msg), zmq_msg_data (&msg));
                int64_t got = s_usecs ();
                if (reply) {
                    if (reply->result_case == GRIDCASE__REPLY__RESULT_ERROR)
                        errors++;
                    else if (got <= end + 10 * 1000000) {
                        if (count == capacity) {
                            capacity *= 2;
                            latencies = (int64_t *)realloc (latencies, capacity * sizeof (int64_t));
                        }
                        latencies[count++] = got - conns[i].sent_at[reply->sequence % RING];
                    }
                    gridcase__reply__free_unpacked (reply, NULL);
                }
                conns[i].in_flight--;
            }
            zmq_msg_close (&msg);
        }
    }
    double elapsed = (double)(s_usecs () - start) / 1e6;
    qsort (latencies, count, sizeof (int64_t), s_compare);
#define AT(p) (count ? latencies[(size_t)((double)(count - 1) * (p))] : 0)
    printf ("rps=%.0f p50_us=%" PRId64 " p99_us=%" PRId64 " p999_us=%" PRId64
            " acked=%zu errors=%zu\n",
            (double)count / elapsed, AT (0.5), AT (0.99), AT (0.999), count, errors);
    for (int i = 0; i < connections; i++)
        zsock_destroy (&conns[i].dealer);
    free (conns);
    free (items);
    free (fds);
    free (latencies);
    return errors ? 1 : 0;
}
