/*  Restart time, for make bench: starts the daemon (COMMAND...) and
    measures from its exec to the reply to the first request: one get of
    CASE as ACTOR (a supervisor) sent to ENDPOINT, which reconnects every
    millisecond until the daemon listens. The daemon is left running.
    Prints: pid=N first_reply_ms=N
    Usage: bench_first ENDPOINT CASE ACTOR COMMAND [ARGS...] */
#include "gridcase.pb-c.h"

#include <czmq.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
    if (argc < 5) {
        fprintf (stderr, "usage: bench_first ENDPOINT CASE ACTOR COMMAND [ARGS...]\n");
        return 2;
    }
    zsys_init ();
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_set_reconnect_ivl (dealer, 1);
    zsock_set_linger (dealer, 0);
    zsock_connect (dealer, "%s", argv[1]);
    Gridcase__GetRequest get = GRIDCASE__GET_REQUEST__INIT;
    get.case_id = argv[2];
    Gridcase__Actor actor = GRIDCASE__ACTOR__INIT;
    actor.role = GRIDCASE__ROLE__ROLE_SUPERVISOR;
    actor.id = argv[3];
    uint8_t id[16] = {'b', 'e', 'n', 'c', 'h', '-', 'f', 'i', 'r', 's', 't'};
    Gridcase__Request request = GRIDCASE__REQUEST__INIT;
    request.client_id.data = id;
    request.client_id.len = 16;
    request.sequence = 1;
    request.actor = &actor;
    request.op_case = GRIDCASE__REQUEST__OP_GET;
    request.get = &get;
    uint8_t buffer[512];
    size_t size = gridcase__request__pack (&request, buffer);
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    int64_t start = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    pid_t daemon = fork ();
    if (daemon == 0) {
        execv (argv[4], argv + 4);
        _exit (127);
    }
    zmq_send (zsock_resolve (dealer), buffer, size, 0);
    zsock_set_rcvtimeo (dealer, 60000);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int rc = zmq_msg_recv (&msg, zsock_resolve (dealer), 0);
    clock_gettime (CLOCK_MONOTONIC, &now);
    int64_t elapsed = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - start;
    Gridcase__Reply *reply =
        rc < 0 ? NULL : gridcase__reply__unpack (NULL, zmq_msg_size (&msg), zmq_msg_data (&msg));
    bool ok = reply && reply->result_case == GRIDCASE__REPLY__RESULT_CASE;
    if (!ok)
        fprintf (stderr, "bench_first: %s\n",
                 !reply                                                ? "no reply within 60 s"
                 : reply->result_case == GRIDCASE__REPLY__RESULT_ERROR ? reply->error->message
                                                                       : "not a case");
    printf ("pid=%d first_reply_ms=%.1f\n", (int)daemon, (double)elapsed / 1e6);
    if (reply)
        gridcase__reply__free_unpacked (reply, NULL);
    zmq_msg_close (&msg);
    zsock_destroy (&dealer);
    return ok ? 0 : 1;
}
