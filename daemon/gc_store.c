/*  gc_store - the LMDB store. See gc_store.h. */
#include "gc_store.h"
#include "gc_util.h"

#include <czmq.h>
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

//  How long growing the map waits for the process's transactions to end
#define GC_GROW_WAIT_MS 500

//  Every named database, opened once at start-up in one transaction
static const struct {
    const char *name;
    unsigned int flags;
} s_databases[GC_DB_COUNT] = {
    [GC_DB_META] = {"meta", 0},
    [GC_DB_CASES] = {"cases", 0},
    [GC_DB_JOURNAL] = {"journal", 0},
    [GC_DB_CASE_JOURNAL] = {"case-journal", 0},
    [GC_DB_REQUESTS] = {"requests", 0},
    [GC_DB_DEADLINES] = {"deadlines", 0},
    [GC_DB_QUEUES] = {"queues", 0},
    [GC_DB_TOPICS] = {"topics", 0},
    [GC_DB_FIGURES] = {"figures", 0},
    [GC_DB_LOG] = {"log", 0},
    [GC_DB_REQUEST_AGES] = {"request-ages", 0},
};

struct _gc_store_t {
    MDB_env *env;
    MDB_dbi dbi[GC_DB_COUNT];
    char *dir;
    size_t map_size;
    size_t map_max;
    bool readonly;
    //  Growing the map needs every transaction of the process closed: each
    //  transaction holds this shared, gc_store_grow holds it exclusive
    pthread_rwlock_t grow;
    int lock; //  the writer's lock on the directory (gridcased.lock), -1: none
};

struct _gc_txn_t {
    gc_store_t *store;
    MDB_txn *txn;
    bool write;
    bool reset; //  a read ended by gc_txn_reset, not holding the growth lock
    int error;  //  sticky: the first failure aborts the commit
    void *pending[GC_PENDING_COUNT];
    gc_pending_fn *finish[GC_PENDING_COUNT];
};

struct _gc_cursor_t {
    MDB_cursor *cursor;
    gc_txn_t *txn;
    gc_key_t prefix; //  a prefix cursor: the keys that start with this (size 0: all)
};

//  --------------------------------------------------------------------------
//  Errors

const char *
gc_store_strerror (int rc)
{
    switch (rc) {
        case GC_OK:
            return "ok";
        case GC_NOTFOUND:
            return "not found";
        case GC_MAPFULL:
            return "map full";
        case GC_NOSPACE:
            return "storage full";
        case GC_CORRUPT:
            return "stored record does not decode";
        case GC_BUSY:
            return "the map must grow while a backup runs";
        default:
            return "storage error";
    }
}

static int
s_map_error (gc_store_t *store, int rc, const char *what)
{
    if (rc == 0)
        return GC_OK;
    if (rc == MDB_NOTFOUND)
        return GC_NOTFOUND;
    if (rc == MDB_MAP_FULL)
        return GC_MAPFULL;
    if (rc == ENOSPC || rc == EDQUOT) {
        zsys_error ("store %s: %s: %s", store->dir, what, mdb_strerror (rc));
        return GC_NOSPACE;
    }
    //  A write cut short by a full disk comes back from LMDB as EIO
    struct statvfs fs;
    if (rc == EIO && statvfs (store->dir, &fs) == 0 &&
        (uint64_t)fs.f_bavail * fs.f_frsize < ((uint64_t)1 << 20)) {
        zsys_error ("store %s: %s: the disk is full (%s)", store->dir, what, mdb_strerror (rc));
        return GC_NOSPACE;
    }
    zsys_error ("store %s: %s: %s", store->dir, what, mdb_strerror (rc));
    return GC_EIO;
}

//  --------------------------------------------------------------------------
//  Environment

//  LMDB maps data.mdb as it finds it: a truncated file faults (SIGBUS) on
//  the first page past its end, and a foreign one is taken for a store. So
//  the file is checked against its meta pages first: LMDB's magic and
//  version, the page size, and the last page in use (of the newer meta)
//  inside the file. An absent file is a new store. Returns false with WHY.
#define GC_LMDB_MAGIC 0xBEEFC0DE
#define GC_LMDB_META_MAGIC 16 //  page header (16 bytes), then MDB_meta
#define GC_LMDB_META_VERSION 20
#define GC_LMDB_META_PSIZE 40    //  mm_dbs[FREE_DBI].md_pad holds the page size
#define GC_LMDB_META_LAST_PG 136 //  after mm_address, mm_mapsize and two MDB_db
#define GC_LMDB_META_TXNID 144

static uint64_t
s_le64 (const uint8_t *data)
{
    uint64_t value;
    memcpy (&value, data, 8); //  LMDB writes its meta in the host's order
    return value;
}

static bool
s_data_file_ok (const char *dir, char *why, size_t why_size)
{
    char path[PATH_MAX];
    snprintf (path, sizeof (path), "%s/data.mdb", dir);
    FILE *file = fopen (path, "rb");
    if (!file)
        return true;
    struct stat info;
    uint8_t meta[2][160];
    uint32_t psize = 0;
    bool ok = fstat (fileno (file), &info) == 0;
    if (ok && info.st_size == 0)
        snprintf (why, why_size, "%s is empty (0 bytes): not a gridcase store", path);
    else if (ok && fread (meta[0], 1, sizeof (meta[0]), file) != sizeof (meta[0]))
        snprintf (why, why_size, "%s is %lld bytes: too short to be an LMDB store", path,
                  (long long)info.st_size);
    else if (ok) {
        uint32_t magic, version;
        memcpy (&magic, meta[0] + GC_LMDB_META_MAGIC, 4);
        memcpy (&version, meta[0] + GC_LMDB_META_VERSION, 4);
        memcpy (&psize, meta[0] + GC_LMDB_META_PSIZE, 4);
        if (magic != GC_LMDB_MAGIC || version != 1)
            snprintf (why, why_size, "%s is not an LMDB store (no LMDB meta page at its start)",
                      path);
        else if (psize < 512 || psize > 65536 || (psize & (psize - 1)) ||
                 (off_t)psize * 2 > info.st_size)
            snprintf (why, why_size, "%s: page size %u in its meta page does not fit the file",
                      path, psize);
        else if (fseeko (file, psize, SEEK_SET) != 0 ||
                 fread (meta[1], 1, sizeof (meta[1]), file) != sizeof (meta[1]))
            snprintf (why, why_size, "%s: cannot read its second meta page", path);
        else {
            memcpy (&magic, meta[1] + GC_LMDB_META_MAGIC, 4);
            int newer = magic == GC_LMDB_MAGIC && s_le64 (meta[1] + GC_LMDB_META_TXNID) >
                                                      s_le64 (meta[0] + GC_LMDB_META_TXNID);
            uint64_t last = s_le64 (meta[newer] + GC_LMDB_META_LAST_PG);
            if (last >= (uint64_t)info.st_size / psize)
                snprintf (why, why_size,
                          "%s is truncated: its last page in use is %" PRIu64
                          " but the file holds %lld pages of %u bytes; restore it from a backup",
                          path, last, (long long)(info.st_size / psize), psize);
            else
                why[0] = 0;
        }
    } else
        snprintf (why, why_size, "%s: %s", path, strerror (errno));
    fclose (file);
    return ok && !why[0];
}

//  Takes DIR/gridcased.lock exclusively (flock, released when the process
//  ends, however it ends) and writes this process's id in it. Returns the
//  lock's descriptor; -1 when the file system has no locks (the store is then
//  opened unguarded, with a warning); -2 when another process holds it.
static int
s_lock (const char *dir)
{
    char path[PATH_MAX];
    snprintf (path, sizeof (path), "%s/gridcased.lock", dir);
    int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        zsys_error ("store %s: cannot open its lock %s: %s", dir, path, strerror (errno));
        return -2;
    }
    if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            zsys_warning ("store %s: cannot lock %s (%s): a second daemon on it would not be "
                          "stopped",
                          dir, path, strerror (errno));
            close (fd);
            return -1;
        }
        char holder[32] = "";
        ssize_t got = pread (fd, holder, sizeof (holder) - 1, 0);
        holder[got > 0 ? got : 0] = 0;
        holder[strcspn (holder, "\n")] = 0;
        zsys_error ("store %s is in use by another gridcased (process %s): one daemon per data "
                    "directory",
                    dir, *holder ? holder : "unknown");
        close (fd);
        return -2;
    }
    char pid[32];
    int size = snprintf (pid, sizeof (pid), "%d\n", (int)getpid ());
    if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, (size_t)size, 0) != size)
        zsys_warning ("store %s: cannot write the process id into %s", dir, path);
    return fd;
}

gc_store_t *
gc_store_new (const char *dir, const gc_store_options_t *options)
{
    if (!(options && options->readonly) && gc_mkdir_p (dir, 0700)) {
        zsys_error ("store %s: cannot create directory: %s", dir, strerror (errno));
        return NULL;
    }
    //  One writer per store: a second daemon on the same directory stops here
    int lock = options && options->readonly ? -1 : s_lock (dir);
    if (lock == -2)
        return NULL;
    char why[PATH_MAX + 200] = "";
    if (!s_data_file_ok (dir, why, sizeof (why))) {
        zsys_error ("store %s: refusing to open: %s", dir, why);
        if (lock >= 0)
            close (lock);
        return NULL;
    }
    gc_store_t *self = (gc_store_t *)zmalloc (sizeof (gc_store_t));
    self->lock = lock;
    self->dir = strdup (dir);
    self->readonly = options && options->readonly;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init (&attr);
    //  A waiting grow goes before new transactions, so it is never starved
    pthread_rwlockattr_setkind_np (&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init (&self->grow, &attr);
    pthread_rwlockattr_destroy (&attr);
    self->map_size = options && options->map_size ? options->map_size : (size_t)64 << 20;
    self->map_max = options && options->map_max ? options->map_max : (size_t)64 << 30;
    if (self->map_max < self->map_size)
        self->map_max = self->map_size;
    MDB_txn *txn = NULL;
    const char *step = "mdb_env_create";
    int rc = mdb_env_create (&self->env);
    if (rc)
        goto fail;
    step = "set max databases";
    if ((rc = mdb_env_set_maxdbs (self->env, GC_DB_COUNT)))
        goto fail;
    step = "set map size";
    if ((rc = mdb_env_set_mapsize (self->env, self->map_size)))
        goto fail;
    step = "open";
    //  MDB_NOTLS: read transactions may move between threads (long reads)
    if ((rc = mdb_env_open (self->env, dir, MDB_NOTLS | (self->readonly ? MDB_RDONLY : 0), 0600)))
        goto fail;
    MDB_envinfo info;
    mdb_env_info (self->env, &info);
    self->map_size = info.me_mapsize; //  an existing, larger map keeps its size
    if (self->map_max < self->map_size)
        self->map_max = self->map_size;

    step = "open databases";
    if ((rc = mdb_txn_begin (self->env, NULL, self->readonly ? MDB_RDONLY : 0, &txn)))
        goto fail;
    for (int db = 0; db < GC_DB_COUNT; db++) {
        if ((rc = mdb_dbi_open (txn, s_databases[db].name,
                                s_databases[db].flags | (self->readonly ? 0 : MDB_CREATE),
                                &self->dbi[db])))
            goto fail;
    }
    step = "commit start-up transaction";
    rc = mdb_txn_commit (txn);
    txn = NULL;
    if (rc)
        goto fail;
    return self;

fail:
    zsys_error ("store %s: %s: %s", dir, step, mdb_strerror (rc));
    if (txn)
        mdb_txn_abort (txn);
    if (self->env)
        mdb_env_close (self->env);
    pthread_rwlock_destroy (&self->grow);
    if (self->lock >= 0)
        close (self->lock);
    free (self->dir);
    free (self);
    return NULL;
}

void
gc_store_destroy (gc_store_t **self_p)
{
    assert (self_p);
    gc_store_t *self = *self_p;
    if (self) {
        mdb_env_close (self->env);
        pthread_rwlock_destroy (&self->grow);
        if (self->lock >= 0)
            close (self->lock); //  releases the lock
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

//  Sets the map to SIZE once every transaction of the process has ended, as
//  LMDB requires, waiting for them at most WAIT_MS (-1: as long as it takes)
static int
s_resize (gc_store_t *self, size_t size, int wait_ms)
{
    int locked;
    if (wait_ms < 0)
        locked = pthread_rwlock_wrlock (&self->grow);
    else {
        struct timespec deadline;
        clock_gettime (CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += (long)wait_ms * 1000000L;
        deadline.tv_sec += deadline.tv_nsec / 1000000000L;
        deadline.tv_nsec %= 1000000000L;
        locked = pthread_rwlock_timedwrlock (&self->grow, &deadline);
    }
    if (locked)
        return GC_BUSY;
    int rc = size > __atomic_load_n (&self->map_size, __ATOMIC_RELAXED)
                 ? mdb_env_set_mapsize (self->env, size)
                 : 0;
    size_t before = self->map_size;
    if (!rc && size > before)
        __atomic_store_n (&self->map_size, size, __ATOMIC_RELAXED);
    pthread_rwlock_unlock (&self->grow);
    if (rc)
        return s_map_error (self, rc, "grow map");
    if (size > before)
        zsys_info ("store %s: map grown from %zu KiB to %zu KiB", self->dir, before >> 10,
                   size >> 10);
    return GC_OK;
}

int
gc_store_grow (gc_store_t *self)
{
    size_t map_size = __atomic_load_n (&self->map_size, __ATOMIC_RELAXED);
    if (map_size >= self->map_max) {
        zsys_error ("store %s: map is at its maximum of %zu KiB: storage full", self->dir,
                    self->map_max >> 10);
        return GC_NOSPACE;
    }
    size_t size = map_size * 2;
    if (size > self->map_max)
        size = self->map_max;
    //  Transactions end within milliseconds; a backup's takes as long as the
    //  copy: then the writer answers busy instead of waiting for it
    int rc = s_resize (self, size, GC_GROW_WAIT_MS);
    if (rc == GC_BUSY)
        zsys_warning ("store %s: the map is full and a backup is running: changes are refused "
                      "as busy until it ends",
                      self->dir);
    return rc;
}

int
gc_store_write (gc_store_t *self, gc_work_fn *work, gc_reset_fn *reset, void *arg, size_t *grown)
{
    while (true) {
        gc_txn_t *txn = gc_txn_begin (self, true);
        int rc = txn ? work (txn, arg) : GC_EIO;
        if (rc == GC_OK)
            rc = gc_txn_error (txn);
        if (rc == GC_OK)
            rc = gc_txn_commit (&txn);
        gc_txn_abort (&txn);
        if (rc == GC_OK)
            return GC_OK;
        if (reset)
            reset (arg);
        if (rc != GC_MAPFULL)
            return rc;
        rc = gc_store_grow (self);
        if (rc != GC_OK)
            return rc;
        if (grown)
            (*grown)++;
    }
}

int
gc_store_backup (gc_store_t *self, const char *dir, uint64_t *bytes, char *why, size_t why_size)
{
    char file[4200];
    struct stat st;
    if (*dir != '/') {
        snprintf (why, why_size, "backup directory '%s' is not an absolute path", dir);
        return GC_EIO;
    }
    if (gc_mkdir_p (dir, 0700)) {
        snprintf (why, why_size, "cannot create backup directory %s: %s", dir, strerror (errno));
        return errno == ENOSPC ? GC_NOSPACE : GC_EIO;
    }
    snprintf (file, sizeof (file), "%s/data.mdb", dir);
    if (stat (file, &st) == 0) {
        snprintf (why, why_size, "%s already holds a store (data.mdb): choose an empty directory",
                  dir);
        return GC_EIO;
    }
    //  The copy runs its own read transaction, and the map cannot grow under
    //  it: room first, as much again as the store uses (64 MiB at least)
    size_t used = gc_store_map_used (self);
    if (used) {
        size_t room = used > ((size_t)64 << 20) ? used : ((size_t)64 << 20);
        size_t wanted = used + room > self->map_max ? self->map_max : used + room;
        if (wanted > __atomic_load_n (&self->map_size, __ATOMIC_RELAXED))
            s_resize (self, wanted, -1);
    }
    pthread_rwlock_rdlock (&self->grow);
    int rc = mdb_env_copy2 (self->env, dir, MDB_CP_COMPACT);
    pthread_rwlock_unlock (&self->grow);
    if (rc) {
        snprintf (why, why_size, "copying the store to %s failed: %s", dir, mdb_strerror (rc));
        unlink (file);
        return rc == ENOSPC || rc == EDQUOT ? GC_NOSPACE : GC_EIO;
    }
    *bytes = stat (file, &st) == 0 ? (uint64_t)st.st_size : 0;
    zsys_info ("store %s: backed up to %s (%" PRIu64 " bytes, compacted)", self->dir, dir, *bytes);
    return GC_OK;
}

size_t
gc_store_map_used (gc_store_t *self)
{
    MDB_envinfo info;
    MDB_stat stat_env;
    if (mdb_env_info (self->env, &info) || mdb_env_stat (self->env, &stat_env))
        return 0;
    return (info.me_last_pgno + 1) * (size_t)stat_env.ms_psize;
}

size_t
gc_store_map_size (gc_store_t *self)
{
    return __atomic_load_n (&self->map_size, __ATOMIC_RELAXED);
}

const char *
gc_store_dir (gc_store_t *self)
{
    return self->dir;
}

//  --------------------------------------------------------------------------
//  Transactions

//  Begins an LMDB transaction under the growth lock (held shared until it ends)
static int
s_begin (gc_store_t *store, bool write, MDB_txn **txn)
{
    pthread_rwlock_rdlock (&store->grow);
    int rc = mdb_txn_begin (store->env, NULL, write ? 0 : MDB_RDONLY, txn);
    if (rc == MDB_MAP_RESIZED) {
        //  Another process grew the map: adopt its size
        mdb_env_set_mapsize (store->env, 0);
        rc = mdb_txn_begin (store->env, NULL, write ? 0 : MDB_RDONLY, txn);
    }
    if (rc) {
        pthread_rwlock_unlock (&store->grow);
        s_map_error (store, rc, "begin transaction");
    }
    return rc;
}

gc_txn_t *
gc_txn_begin (gc_store_t *store, bool write)
{
    gc_txn_t *self = (gc_txn_t *)zmalloc (sizeof (gc_txn_t));
    self->store = store;
    self->write = write;
    if (s_begin (store, write, &self->txn)) {
        free (self);
        return NULL;
    }
    return self;
}

void
gc_txn_reset (gc_txn_t *self)
{
    assert (!self->write && !self->reset);
    mdb_txn_reset (self->txn);
    pthread_rwlock_unlock (&self->store->grow);
    self->reset = true;
    self->error = GC_OK;
}

int
gc_txn_renew (gc_txn_t *self)
{
    assert (self->reset);
    pthread_rwlock_rdlock (&self->store->grow);
    int rc = mdb_txn_renew (self->txn);
    if (rc) {
        //  The map changed under it: a new transaction instead
        pthread_rwlock_unlock (&self->store->grow);
        mdb_txn_abort (self->txn);
        self->txn = NULL;
        if (s_begin (self->store, false, &self->txn))
            return GC_EIO; //  the transaction stays reset, to be renewed or aborted
    }
    self->reset = false;
    return GC_OK;
}

int
gc_txn_error (gc_txn_t *self)
{
    return self->error;
}

static int
s_fail (gc_txn_t *self, int rc, const char *what)
{
    int code = s_map_error (self->store, rc, what);
    if (code != GC_OK && code != GC_NOTFOUND && self->error == GC_OK)
        self->error = code;
    return code;
}

int
gc_txn_fail (gc_txn_t *self, int error, const char *what)
{
    return s_fail (self, error, what);
}

bool
gc_txn_writes (gc_txn_t *self)
{
    return self->write;
}

void *
gc_txn_pending (gc_txn_t *self, gc_pending_t slot)
{
    return self->pending[slot];
}

void
gc_txn_set_pending (gc_txn_t *self, gc_pending_t slot, void *state, gc_pending_fn *finish)
{
    assert (self->write && !self->pending[slot]);
    self->pending[slot] = state;
    self->finish[slot] = finish;
}

//  Writes out (COMMIT) or drops the modules' write-back state
static void
s_finish_pending (gc_txn_t *self, bool commit)
{
    for (int slot = 0; slot < GC_PENDING_COUNT; slot++)
        if (self->pending[slot]) {
            bool write = commit && self->error == GC_OK;
            self->finish[slot](write ? self : NULL, self->pending[slot], write);
            self->pending[slot] = NULL;
        }
}

int
gc_txn_commit (gc_txn_t **self_p)
{
    gc_txn_t *self = *self_p;
    *self_p = NULL;
    s_finish_pending (self, true);
    int rc = self->error;
    if (rc != GC_OK) {
        mdb_txn_abort (self->txn);
        pthread_rwlock_unlock (&self->store->grow);
        free (self);
        return rc;
    }
    int mrc = mdb_txn_commit (self->txn);
    pthread_rwlock_unlock (&self->store->grow);
    rc = mrc ? s_map_error (self->store, mrc, "commit") : GC_OK;
    free (self);
    return rc;
}

void
gc_txn_abort (gc_txn_t **self_p)
{
    gc_txn_t *self = *self_p;
    if (self) {
        s_finish_pending (self, false);
        if (self->txn)
            mdb_txn_abort (self->txn);
        if (!self->reset)
            pthread_rwlock_unlock (&self->store->grow);
        free (self);
        *self_p = NULL;
    }
}

static int
s_put (gc_txn_t *self, gc_db_t db, const gc_key_t *key, const void *value, size_t size,
       unsigned int flags)
{
    if (self->error)
        return self->error;
    assert (self->write);
    MDB_val k = {key->size, (void *)key->data};
    MDB_val v = {size, (void *)value};
    int rc = mdb_put (self->txn, self->store->dbi[db], &k, &v, flags);
    return rc ? s_fail (self, rc, s_databases[db].name) : GC_OK;
}

int
gc_txn_put (gc_txn_t *self, gc_db_t db, const gc_key_t *key, const void *value, size_t size)
{
    return s_put (self, db, key, value, size, 0);
}

static int
s_reserve (gc_txn_t *self, gc_db_t db, const gc_key_t *key, size_t size, void **data,
           unsigned int flags)
{
    *data = NULL;
    if (self->error)
        return self->error;
    assert (self->write);
    MDB_val k = {key->size, (void *)key->data};
    MDB_val v = {size, NULL};
    int rc = mdb_put (self->txn, self->store->dbi[db], &k, &v, MDB_RESERVE | flags);
    if (rc)
        return s_fail (self, rc, s_databases[db].name);
    *data = v.mv_data;
    return GC_OK;
}

int
gc_txn_reserve (gc_txn_t *self, gc_db_t db, const gc_key_t *key, size_t size, void **data)
{
    return s_reserve (self, db, key, size, data, 0);
}

int
gc_txn_append (gc_txn_t *self, gc_db_t db, const gc_key_t *key, size_t size, void **data)
{
    return s_reserve (self, db, key, size, data, MDB_APPEND);
}

int
gc_txn_get (gc_txn_t *self, gc_db_t db, const gc_key_t *key, const void **value, size_t *size)
{
    if (self->error)
        return self->error;
    MDB_val k = {key->size, (void *)key->data};
    MDB_val v;
    int rc = mdb_get (self->txn, self->store->dbi[db], &k, &v);
    if (rc)
        return rc == MDB_NOTFOUND ? GC_NOTFOUND : s_fail (self, rc, s_databases[db].name);
    *value = v.mv_data;
    *size = v.mv_size;
    return GC_OK;
}

int
gc_txn_del (gc_txn_t *self, gc_db_t db, const gc_key_t *key)
{
    if (self->error)
        return self->error;
    MDB_val k = {key->size, (void *)key->data};
    int rc = mdb_del (self->txn, self->store->dbi[db], &k, NULL);
    if (rc)
        return rc == MDB_NOTFOUND ? GC_NOTFOUND : s_fail (self, rc, s_databases[db].name);
    return GC_OK;
}

//  --------------------------------------------------------------------------
//  Cursors

gc_cursor_t *
gc_cursor_new (gc_txn_t *txn, gc_db_t db)
{
    gc_cursor_t *self = (gc_cursor_t *)zmalloc (sizeof (gc_cursor_t));
    int rc = mdb_cursor_open (txn->txn, txn->store->dbi[db], &self->cursor);
    if (rc) {
        s_fail (txn, rc, s_databases[db].name);
        free (self);
        return NULL;
    }
    self->txn = txn;
    return self;
}

gc_cursor_t *
gc_cursor_prefix (gc_txn_t *txn, gc_db_t db, const gc_key_t *prefix)
{
    gc_cursor_t *self = gc_cursor_new (txn, db);
    if (self)
        self->prefix = *prefix;
    return self;
}

void
gc_cursor_destroy (gc_cursor_t **self_p)
{
    gc_cursor_t *self = *self_p;
    if (self) {
        mdb_cursor_close (self->cursor);
        free (self);
        *self_p = NULL;
    }
}

static int
s_cursor_get (gc_cursor_t *self, MDB_val *k, MDB_cursor_op op, const void **key, size_t *ksize,
              const void **value, size_t *vsize)
{
    MDB_val v;
    int rc = mdb_cursor_get (self->cursor, k, &v, op);
    if (rc)
        return rc == MDB_NOTFOUND ? GC_NOTFOUND : s_fail (self->txn, rc, "cursor");
    //  A prefix cursor ends where its prefix does
    if (self->prefix.size && (k->mv_size < self->prefix.size ||
                              memcmp (k->mv_data, self->prefix.data, self->prefix.size) != 0))
        return GC_NOTFOUND;
    if (key)
        *key = k->mv_data;
    if (ksize)
        *ksize = k->mv_size;
    if (value)
        *value = v.mv_data;
    if (vsize)
        *vsize = v.mv_size;
    return GC_OK;
}

int
gc_cursor_seek (gc_cursor_t *self, const gc_key_t *key, const void **k, size_t *ksize,
                const void **value, size_t *vsize)
{
    MDB_val mk = {0, NULL};
    if (!key && self->prefix.size)
        key = &self->prefix; //  a prefix cursor starts at its prefix
    if (key) {
        mk.mv_size = key->size;
        mk.mv_data = (void *)key->data;
    }
    return s_cursor_get (self, &mk, key ? MDB_SET_RANGE : MDB_FIRST, k, ksize, value, vsize);
}

int
gc_cursor_next (gc_cursor_t *self, const void **k, size_t *ksize, const void **value, size_t *vsize)
{
    MDB_val mk;
    return s_cursor_get (self, &mk, MDB_NEXT, k, ksize, value, vsize);
}

int
gc_cursor_seek_before (gc_cursor_t *self, const gc_key_t *key, const void **k, size_t *ksize,
                       const void **value, size_t *vsize)
{
    MDB_val mk = {key->size, (void *)key->data};
    int rc = s_cursor_get (self, &mk, MDB_SET_RANGE, k, ksize, value, vsize);
    if (rc == GC_OK)
        return s_cursor_get (self, &mk, MDB_PREV, k, ksize, value, vsize);
    return rc == GC_NOTFOUND ? s_cursor_get (self, &mk, MDB_LAST, k, ksize, value, vsize) : rc;
}

const char *
gc_txn_dir (gc_txn_t *self)
{
    return self->store->dir;
}
