/*  gc_store - the LMDB store: one environment, named databases opened once,
    one writer, transactions with a sticky error, big-endian composite keys.
    Nothing but this module touches LMDB. */
#ifndef GC_STORE_H_INCLUDED
#define GC_STORE_H_INCLUDED

#include "gc_util.h"
#include "gridcase.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  Result codes of every store call
#define GC_OK 0
#define GC_NOTFOUND 1 //  key absent: not an error of the store
#define GC_MAPFULL 2  //  the map is full: grow it and run the batch again
#define GC_NOSPACE 3  //  the disk is full or the map is at its maximum
#define GC_EIO 4      //  any other failure of LMDB or the file system
#define GC_CORRUPT 5  //  a stored record does not decode
#define GC_BUSY 6     //  the map must grow but a long read (a backup) holds it: try later

typedef enum {
    GC_DB_META,         //  name -> value: schema version, journal head
    GC_DB_CASES,        //  case key (8) -> packed Case
    GC_DB_JOURNAL,      //  be64 seq -> packed JournalEntry
    GC_DB_CASE_JOURNAL, //  case key (8) + be64 seq -> empty
    GC_DB_REQUESTS,  //  client id (16) + be64 sequence -> be64 time + binding (32) + packed Reply
    GC_DB_DEADLINES, //  be64 due + case key (8) + kind (1) -> empty
    GC_DB_QUEUES,    //  queue name + NUL + severity (1) + be64 due + case key -> empty
    GC_DB_TOPICS,    //  topic -> be64 seq of its last notice
    GC_DB_FIGURES,   //  figures key + NUL + be32 local day (0: now) -> packed Figures
    GC_DB_LOG,       //  area or department key + NUL + be64 seq -> empty: the escalation log
    GC_DB_REQUEST_AGES, //  be64 time + client id + be64 sequence -> empty: when to forget
    GC_DB_COUNT
} gc_db_t;

//  A composite key, built by appending fixed-width big-endian parts so that
//  byte order is numeric order and every range scan is a cursor walk.
#define GC_KEY_MAX 256
typedef struct {
    uint8_t data[GC_KEY_MAX];
    size_t size;
} gc_key_t;

void gc_key_reset (gc_key_t *key);
void gc_key_u8 (gc_key_t *key, uint8_t value);
void gc_key_u32 (gc_key_t *key, uint32_t value);
void gc_key_u64 (gc_key_t *key, uint64_t value);
void gc_key_bytes (gc_key_t *key, const void *data, size_t size);
//  A string and its terminating NUL, so "a" sorts before "ab"
void gc_key_str (gc_key_t *key, const char *text);
uint32_t gc_be32 (const uint8_t *data);
uint64_t gc_be64 (const uint8_t *data);

//  Key pictures: one character a part, in order. gc_key_pack takes each
//  part's value: 'b' a byte, 'w' a uint32_t (be32), 'q' a uint64_t (be64;
//  times as uint64_t), 's' a string (kept with its NUL, so "a" sorts before
//  "ab"), 'c' a case id (kept as be32 date + be32 number), 'i' a client id
//  (GC_CLIENT_ID_SIZE bytes); false when the key would not fit or a case id
//  is not one. gc_key_unpack takes a pointer for each part (NULL: skip it):
//  uint8_t *, uint32_t *, uint64_t *, const char ** (into the key), char
//  [GC_CASE_ID_MAX], const uint8_t ** (into the key); true when the key is
//  exactly that picture. A database's keys are declared once as a picture
//  (gc_schema.h), and a prefix of it names a range of them.
#define GC_CLIENT_ID_SIZE 16
bool gc_key_pack (gc_key_t *key, const char *picture, ...);
bool gc_key_unpack (const void *data, size_t size, const char *picture, ...);

//  Case ids are "YYYYMMDD-N..." (local date of the report, then a number of
//  at least six digits); their key is be32 date + be32 number.
#define GC_CASE_ID_MAX 24
bool gc_case_id_parse (const char *id, gc_key_t *key);
void gc_case_id_format (uint32_t day, uint32_t number, char *id, size_t size);
//  The case id of a case key (8 bytes)
void gc_case_id_from_key (const uint8_t *key8, char *case_id, size_t size);

typedef struct _gc_store_t gc_store_t;
typedef struct _gc_txn_t gc_txn_t;
typedef struct _gc_cursor_t gc_cursor_t;

typedef struct {
    size_t map_size; //  initial map size, bytes
    size_t map_max;  //  the map never grows beyond this; then: storage full
    bool readonly;   //  open an existing store (or a copy) for reading only
} gc_store_options_t;

//  Opens (creating if needed) the environment in directory DIR
gc_store_t *gc_store_new (const char *dir, const gc_store_options_t *options);
void gc_store_destroy (gc_store_t **self_p);
//  Doubles the map (bounded by map_max); no transaction may be open
int gc_store_grow (gc_store_t *self);
size_t gc_store_map_size (gc_store_t *self);
//  The bytes of the map in use (pages up to the last one written); 0 if unknown
size_t gc_store_map_used (gc_store_t *self);
//  A compacting copy of the whole store into directory DIR (created if
//  missing; it must not hold a store already), taken while serving: it reads
//  one consistent snapshot and never blocks the writer. *BYTES: its size.
//  GC_OK, or an error with WHY set.
int gc_store_backup (gc_store_t *self, const char *dir, uint64_t *bytes, char *why,
                     size_t why_size);
const char *gc_store_dir (gc_store_t *self);
const char *gc_store_strerror (int rc);

//  The one way the daemon writes: runs WORK (txn, ARG) in a write
//  transaction and commits it. When the map is full, RESET (ARG) drops what
//  the attempt left in memory (replies, notices), the map grows, and WORK
//  runs again, until it fits or the map is at its maximum. On any failure
//  RESET runs too, and nothing was written. Returns the store's error code
//  (WORK's own, or the commit's); *GROWN (may be NULL) counts the growths.
typedef int (gc_work_fn) (gc_txn_t *txn, void *arg);
typedef void (gc_reset_fn) (void *arg);
int gc_store_write (gc_store_t *self, gc_work_fn *work, gc_reset_fn *reset, void *arg,
                    size_t *grown);

gc_txn_t *gc_txn_begin (gc_store_t *store, bool write);
//  A read transaction a thread answers from again and again: gc_txn_reset
//  ends the read but keeps the transaction (it holds no snapshot and does
//  not hold back the map's growth); gc_txn_renew starts it again on the
//  newest snapshot (GC_OK, or an error with the transaction still reset).
//  gc_txn_abort ends it either way.
void gc_txn_reset (gc_txn_t *self);
int gc_txn_renew (gc_txn_t *self);
//  Commits; on failure nothing was written and the error code is returned
int gc_txn_commit (gc_txn_t **self_p);
void gc_txn_abort (gc_txn_t **self_p);
//  Fails the transaction with ERROR (an errno or LMDB code) about WHAT: the
//  commit will not happen; returns the store's error code for it
int gc_txn_fail (gc_txn_t *self, int error, const char *what);
//  The first error met in this transaction, or GC_OK
int gc_txn_error (gc_txn_t *self);

//  Write-back state a module keeps for the length of a write transaction
//  (records many requests of a batch change, written once at its end).
//  FINISH (txn, state, true) runs just before the commit and writes the
//  state out (a failure it meets fails the commit); FINISH (NULL, state,
//  false) when the transaction is aborted or has already failed. Either way FINISH frees STATE.
typedef enum {
    GC_PENDING_FIGURES,
    GC_PENDING_TOPICS,
    GC_PENDING_CHAIN,
    GC_PENDING_CASE_NUMBER,
    GC_PENDING_COUNT
} gc_pending_t;
typedef void (gc_pending_fn) (gc_txn_t *txn, void *state, bool commit);
//  Whether the transaction writes (pending state is for those only)
bool gc_txn_writes (gc_txn_t *self);
//  The state kept under SLOT, or NULL
void *gc_txn_pending (gc_txn_t *self, gc_pending_t slot);
void gc_txn_set_pending (gc_txn_t *self, gc_pending_t slot, void *state, gc_pending_fn *finish);

int gc_txn_put (gc_txn_t *self, gc_db_t db, const gc_key_t *key, const void *value, size_t size);
//  Room for a value of SIZE under KEY, written in place (MDB_RESERVE): *DATA
//  is valid until the next write of the transaction
int gc_txn_reserve (gc_txn_t *self, gc_db_t db, const gc_key_t *key, size_t size, void **data);
//  The same, for a KEY greater than every key in DB (sequential writes)
int gc_txn_append (gc_txn_t *self, gc_db_t db, const gc_key_t *key, size_t size, void **data);
//  VALUE points into the map and is valid until the transaction ends
int gc_txn_get (gc_txn_t *self, gc_db_t db, const gc_key_t *key, const void **value, size_t *size);
int gc_txn_del (gc_txn_t *self, gc_db_t db, const gc_key_t *key);

//  The store's directory, for messages
const char *gc_txn_dir (gc_txn_t *self);

//  Cursors walk a database in key order from a starting key
gc_cursor_t *gc_cursor_new (gc_txn_t *txn, gc_db_t db);
//  A cursor over the keys of DB that start with PREFIX only: a seek from
//  NULL starts at the first of them, and seek and next answer GC_NOTFOUND
//  past the last. Every walk of one case's entries, one queue, one area's
//  log or figures is one of these.
gc_cursor_t *gc_cursor_prefix (gc_txn_t *txn, gc_db_t db, const gc_key_t *prefix);
void gc_cursor_destroy (gc_cursor_t **self_p);
//  Positions at the first key >= KEY (NULL: the first key); then gc_cursor_next
//  moves on. Both return GC_OK, GC_NOTFOUND at the end, or an error.
int gc_cursor_seek (gc_cursor_t *self, const gc_key_t *key, const void **k, size_t *ksize,
                    const void **value, size_t *vsize);
int gc_cursor_next (gc_cursor_t *self, const void **k, size_t *ksize, const void **value,
                    size_t *vsize);
//  A walk: where a cursor stands. GC_WALK (cursor, start, walk) { ... }
//  runs its body on each entry from START (NULL: the first, or the first of
//  a prefix cursor's keys) to the end; after it, walk.rc is GC_NOTFOUND
//  when the walk reached the end, GC_OK when the body left it (break), or
//  the store's error. CURSOR may be NULL (gc_cursor_new failed): GC_EIO.
typedef struct {
    const void *key, *value;
    size_t key_size, value_size;
    int rc;
} gc_walk_t;
#define GC_WALK(cursor, start, walk)                                                               \
    for ((walk).rc = (cursor) ? gc_cursor_seek ((cursor), (start), &(walk).key, &(walk).key_size,  \
                                                &(walk).value, &(walk).value_size)                 \
                              : GC_EIO;                                                            \
         (walk).rc == GC_OK; (walk).rc = gc_cursor_next ((cursor), &(walk).key, &(walk).key_size,  \
                                                         &(walk).value, &(walk).value_size))
//  Positions at the last key before KEY (the last of all when none is
//  after it); GC_NOTFOUND when there is none before it
int gc_cursor_seek_before (gc_cursor_t *self, const gc_key_t *key, const void **k, size_t *ksize,
                           const void **value, size_t *vsize);

//  SHA-256 of DATA, the journal chain's hash
#define GC_HASH_SIZE 32
void gc_hash (const void *data, size_t size, uint8_t *hash);

#endif
