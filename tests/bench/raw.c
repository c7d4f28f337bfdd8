/*  The raw ceiling of this machine for gridcase's job: a minimal ROUTER that
    takes every request waiting, unpacks each with protobuf-c, writes one
    record per request under a sequential key in one LMDB transaction,
    commits (synced, as gridcased does), then acknowledges each with a
    packed Reply. No validation, no lifecycle, no indexes: what is left when
    everything gridcased does beyond durability is taken away.

    Usage: bench_raw ENDPOINT DATADIR */
#include "gridcase.pb-c.h"

#include <czmq.h>
#include <lmdb.h>

#define BATCH_MAX 512

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: bench_raw ENDPOINT DATADIR\n");
        return 2;
    }
    zsys_init ();
    zsys_dir_create ("%s", argv[2]);
    MDB_env *env;
    MDB_dbi dbi;
    MDB_txn *txn;
    if (mdb_env_create (&env) || mdb_env_set_mapsize (env, (size_t)8 << 30) ||
        mdb_env_open (env, argv[2], 0, 0600) || mdb_txn_begin (env, NULL, 0, &txn) ||
        mdb_dbi_open (txn, NULL, 0, &dbi) || mdb_txn_commit (txn)) {
        fprintf (stderr, "bench_raw: cannot open LMDB in %s\n", argv[2]);
        return 1;
    }
    //  On a directory used before, the keys go on after the last one: an
    //  append under a key already there would fail (MDB_KEYEXIST)
    uint64_t key = 0;
    MDB_cursor *cursor;
    MDB_val last_key, last_value;
    if (mdb_txn_begin (env, NULL, MDB_RDONLY, &txn) == 0) {
        if (mdb_cursor_open (txn, dbi, &cursor) == 0) {
            if (mdb_cursor_get (cursor, &last_key, &last_value, MDB_LAST) == 0 &&
                last_key.mv_size == 8)
                for (int b = 0; b < 8; b++)
                    key = key << 8 | ((uint8_t *)last_key.mv_data)[b];
            mdb_cursor_close (cursor);
        }
        mdb_txn_abort (txn);
    }
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvhwm (router, 100000);
    zsock_set_sndhwm (router, 100000);
    if (zsock_bind (router, "%s", argv[1]) < 0) {
        fprintf (stderr, "bench_raw: cannot bind %s\n", argv[1]);
        return 1;
    }
    void *socket = zsock_resolve (router);
    static zmq_msg_t identity[BATCH_MAX], payload[BATCH_MAX];
    while (!zsys_interrupted) {
        zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 500) <= 0)
            continue;
        size_t count = 0;
        while (count < BATCH_MAX) {
            zmq_msg_init (&identity[count]);
            if (zmq_msg_recv (&identity[count], socket, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close (&identity[count]);
                break;
            }
            zmq_msg_init (&payload[count]);
            zmq_msg_recv (&payload[count], socket, 0);
            count++;
        }
        Gridcase__Request *requests[BATCH_MAX];
        if (mdb_txn_begin (env, NULL, 0, &txn)) {
            fprintf (stderr, "bench_raw: cannot begin a write\n");
            return 1;
        }
        for (size_t i = 0; i < count; i++) {
            requests[i] = gridcase__request__unpack (NULL, zmq_msg_size (&payload[i]),
                                                     zmq_msg_data (&payload[i]));
            uint8_t k[8];
            key++;
            for (int b = 0; b < 8; b++)
                k[b] = (uint8_t)(key >> (56 - 8 * b));
            MDB_val mk = {8, k}, mv = {zmq_msg_size (&payload[i]), zmq_msg_data (&payload[i])};
            //  Nothing is acknowledged that was not written
            int rc = mdb_put (txn, dbi, &mk, &mv, MDB_APPEND);
            if (rc) {
                fprintf (stderr, "bench_raw: write failed: %s\n", mdb_strerror (rc));
                return 1;
            }
        }
        if (mdb_txn_commit (txn)) {
            fprintf (stderr, "bench_raw: commit failed\n");
            return 1;
        }
        for (size_t i = 0; i < count; i++) {
            Gridcase__Reply reply = GRIDCASE__REPLY__INIT;
            Gridcase__CaseReply ok = GRIDCASE__CASE_REPLY__INIT;
            if (requests[i]) {
                reply.client_id = requests[i]->client_id;
                reply.sequence = requests[i]->sequence;
            }
            reply.result_case = GRIDCASE__REPLY__RESULT_CASE;
            reply.case_ = &ok;
            uint8_t buffer[256];
            size_t size = gridcase__reply__pack (&reply, buffer);
            zmq_msg_send (&identity[i], socket, ZMQ_SNDMORE);
            zmq_send (socket, buffer, size, 0);
            zmq_msg_close (&payload[i]);
            if (requests[i])
                gridcase__request__free_unpacked (requests[i], NULL);
        }
    }
    zsock_destroy (&router);
    mdb_env_close (env);
    return 0;
}
