/*
 * cairn.h — the stable C ABI of Cairn, an embeddable storage engine.
 *
 * Cairn is a durable key-value store (LevelDB underneath) that a host
 * process loads as a plugin (`dlopen("libcairn.so.1")`). Keys and values are
 * byte strings passed as pointer + length. Every record carries a version
 * (hybrid logical clock + node id) and every write is appended to an op log
 * that replication consumes.
 *
 * Conventions (LevelDB's c.h, with statuses instead of bare errptr):
 *  - Every call that can fail returns a cairn_status_t and takes an optional
 *    `char** errmsg`. It may be NULL. When the call fails and errmsg is not
 *    NULL, *errmsg receives a malloc'd, NUL-terminated message naming the
 *    culprit; free it with cairn_free(). On success *errmsg is untouched.
 *    Cairn never frees what *errmsg held before (so an uninitialised
 *    pointer is safe): free every message you receive.
 *  - A missing key is CAIRN_NOT_FOUND, never a NULL pointer with CAIRN_OK.
 *  - Every buffer Cairn hands out (values, property strings, messages) is
 *    owned by the caller and released with cairn_free(). Pointers returned by
 *    cairn_iter_key()/cairn_iter_value() are the exception: they are borrowed
 *    and valid until the iterator is moved or destroyed.
 *  - Cairn copies everything it keeps: keys, bounds and option strings may be
 *    freed by the caller as soon as a call returns. The one exception is a
 *    snapshot set on read options: the options refer to it, so release the
 *    snapshot only after the last read that uses those options.
 *  - NULL options objects (cairn_readoptions_t*, cairn_writeoptions_t*,
 *    cairn_options_t*) mean "defaults".
 *  - A call that creates a handle through an out-parameter (cairn_open,
 *    cairn_iter_create, cairn_snapshot_create) sets it to NULL on failure;
 *    value out-parameters are NULL/0 on failure.
 *
 * Thread safety:
 *  - A cairn_db_t may be used from any number of threads at once, except that
 *    cairn_close() must not race with any other call on the same handle.
 *  - Options objects, write batches and iterators are not thread-safe to
 *    modify: change each from one thread at a time (they may move between
 *    threads). Read and write options objects that nobody modifies may be
 *    passed to calls on several threads at once.
 *  - A cairn_snapshot_t may be read through from several threads at once.
 *
 * Lifetime:
 *  - cairn_close() invalidates the iterators and snapshots still open on
 *    that database: later calls on them fail with CAIRN_UNAVAILABLE and do
 *    not crash, but their handles must still be destroyed / released.
 *  - The database handle itself is freed by cairn_close(); using it after is
 *    undefined behaviour, as with free().
 *
 * Plugin use: a host that dlopen()s the library calls
 * cairn_get_api(CAIRN_ABI_MAJOR) and uses the returned function table, so it
 * needs no link-time dependency and can check the minor version it got.
 */
#ifndef CAIRN_CAIRN_H_
#define CAIRN_CAIRN_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CAIRN_EXPORT __attribute__((visibility("default")))
#else
#define CAIRN_EXPORT
#endif

/* The ABI version this header describes. The major changes only when a
 * published signature or struct layout would change (never planned); the
 * minor grows when functions are appended to cairn_api_t. */
#define CAIRN_ABI_MAJOR 1
#define CAIRN_ABI_MINOR 4

typedef enum {
  CAIRN_OK = 0,
  CAIRN_NOT_FOUND = 1,        /* key or database does not exist */
  CAIRN_INVALID_ARGUMENT = 2, /* caller error: do not retry as is */
  CAIRN_IO_ERROR = 3,         /* filesystem failure, permission, disk full */
  CAIRN_CORRUPTION = 4,       /* data failed a checksum or parse: alarm */
  CAIRN_BUSY = 5,             /* held by another owner (names its pid) */
  CAIRN_UNAVAILABLE = 6,      /* closed or temporarily unavailable: retry */
  CAIRN_TIMEOUT = 7,          /* a deadline passed */
  CAIRN_NOT_SUPPORTED = 8,    /* not available in this build or mode */
  CAIRN_INTERNAL = 9          /* a bug in Cairn: please report */
} cairn_status_t;

typedef struct cairn_db_t cairn_db_t;
typedef struct cairn_options_t cairn_options_t;
typedef struct cairn_readoptions_t cairn_readoptions_t;
typedef struct cairn_writeoptions_t cairn_writeoptions_t;
typedef struct cairn_writebatch_t cairn_writebatch_t;
typedef struct cairn_iterator_t cairn_iterator_t;
typedef struct cairn_snapshot_t cairn_snapshot_t;

/* ---- Library ----------------------------------------------------------- */

/* "OK", "NOT_FOUND", ...; "UNKNOWN_STATUS" for values outside the enum.
 * The string is static: do not free it. */
CAIRN_EXPORT const char* cairn_status_name(cairn_status_t status);

/* Frees any buffer Cairn returned (values, messages, properties). NULL ok. */
CAIRN_EXPORT void cairn_free(void* ptr);

CAIRN_EXPORT uint32_t cairn_abi_major(void);
CAIRN_EXPORT uint32_t cairn_abi_minor(void);
/* Library version, e.g. "0.1.0". Static string. */
CAIRN_EXPORT const char* cairn_version(void);

/* ---- Database options (set by name) ------------------------------------ */

/* Options are named strings so new ones never change the ABI. The full list,
 * with types, defaults and documentation, is in the README and in
 * cairn_property(db, "cairn.options"). */
CAIRN_EXPORT cairn_options_t* cairn_options_create(void);
CAIRN_EXPORT void cairn_options_destroy(cairn_options_t* options);
/* Unknown names and malformed or out-of-range values fail with
 * CAIRN_INVALID_ARGUMENT and a message naming the option and the value; the
 * options object is then unchanged. */
CAIRN_EXPORT cairn_status_t cairn_options_set(cairn_options_t* options,
                                              const char* name,
                                              const char* value, char** errmsg);
/* The current value of an option, in canonical form (malloc'd). */
CAIRN_EXPORT cairn_status_t cairn_options_get(const cairn_options_t* options,
                                              const char* name, char** value,
                                              char** errmsg);

/* ---- Open, close, destroy ---------------------------------------------- */

/* Opens the database in directory `path`. One process owns a database at a
 * time: a second open, from this or another process, fails with CAIRN_BUSY
 * and a message naming the owner's pid. A missing database without
 * create_if_missing is CAIRN_NOT_FOUND; error_if_exists on an existing one is
 * CAIRN_INVALID_ARGUMENT. A database of a newer on-disk format than this
 * library reads is CAIRN_NOT_SUPPORTED (the message names both versions), and
 * is left as it was. On failure *db is set to NULL. */
CAIRN_EXPORT cairn_status_t cairn_open(const cairn_options_t* options,
                                       const char* path, cairn_db_t** db,
                                       char** errmsg);
/* Flushes nothing extra (unsynced writes are in the LevelDB log and survive
 * a process crash), releases the lock and frees the handle. NULL is ok. */
CAIRN_EXPORT void cairn_close(cairn_db_t* db);
/* Deletes the database at `path` and everything Cairn keeps for it,
 * including its shared-memory cache segments (which live outside the
 * directory: delete databases with this, not `rm -rf`). Fails with
 * CAIRN_BUSY while the database is open anywhere. */
CAIRN_EXPORT cairn_status_t cairn_destroy(const char* path, char** errmsg);

/* ---- Read and write options -------------------------------------------- */

CAIRN_EXPORT cairn_readoptions_t* cairn_readoptions_create(void);
CAIRN_EXPORT void cairn_readoptions_destroy(cairn_readoptions_t* options);
/* Reads see the database as of the snapshot. NULL clears. The snapshot must
 * outlive the reads that use it. */
CAIRN_EXPORT void cairn_readoptions_set_snapshot(
    cairn_readoptions_t* options, const cairn_snapshot_t* snapshot);
/* Iterator bounds: keys >= lower and < upper. The bytes are copied. A NULL
 * key with keylen 0 clears the bound; NULL with keylen > 0 is
 * CAIRN_INVALID_ARGUMENT. */
CAIRN_EXPORT cairn_status_t
cairn_readoptions_set_lower_bound(cairn_readoptions_t* options, const char* key,
                                  size_t keylen, char** errmsg);
CAIRN_EXPORT cairn_status_t
cairn_readoptions_set_upper_bound(cairn_readoptions_t* options, const char* key,
                                  size_t keylen, char** errmsg);
/* Verify LevelDB block checksums on reads with these options: 1 always, 0
 * never. Unset (the default), reads follow the database's verify_checksums
 * option, which is on: a damaged block is then CAIRN_CORRUPTION, never a
 * wrong value. Off saves a CRC32C per table block read from disk. */
CAIRN_EXPORT void cairn_readoptions_set_verify_checksums(
    cairn_readoptions_t* options, unsigned char verify);
/* Whether reads may fill caches (default 1). Set 0 for one-off scans. */
CAIRN_EXPORT void cairn_readoptions_set_fill_cache(cairn_readoptions_t* options,
                                                   unsigned char fill);

CAIRN_EXPORT cairn_writeoptions_t* cairn_writeoptions_create(void);
CAIRN_EXPORT void cairn_writeoptions_destroy(cairn_writeoptions_t* options);
/* sync=1: fsync the log before the write returns, so it survives a machine
 * crash. Default 0: the write survives a process crash only. */
CAIRN_EXPORT void cairn_writeoptions_set_sync(cairn_writeoptions_t* options,
                                              unsigned char sync);

/* ---- Point operations -------------------------------------------------- */

/* Keys must be 1..max_key_size bytes, values 0..max_value_size bytes;
 * anything else is CAIRN_INVALID_ARGUMENT and writes nothing. */
CAIRN_EXPORT cairn_status_t cairn_put(cairn_db_t* db,
                                      const cairn_writeoptions_t* options,
                                      const char* key, size_t keylen,
                                      const char* value, size_t valuelen,
                                      char** errmsg);
/* Deleting a missing key is CAIRN_OK (it still writes a versioned
 * tombstone, so replicas converge). */
CAIRN_EXPORT cairn_status_t cairn_delete(cairn_db_t* db,
                                         const cairn_writeoptions_t* options,
                                         const char* key, size_t keylen,
                                         char** errmsg);
/* On CAIRN_OK, *value is a malloc'd copy (never NULL, even for an empty
 * value) and *valuelen its length. On any other status *value is NULL and
 * *valuelen 0. */
CAIRN_EXPORT cairn_status_t cairn_get(cairn_db_t* db,
                                      const cairn_readoptions_t* options,
                                      const char* key, size_t keylen,
                                      char** value, size_t* valuelen,
                                      char** errmsg);

/* ---- Reads without allocation (ABI 1.2) -------------------------------- */

/* cairn_get into the caller's buffer: no allocation and one copy on a cache
 * hit. On CAIRN_OK, *vallen is the value's whole length and the first
 * min(*vallen, buflen) bytes of the value are in `buf`; *vallen > buflen
 * means the buffer was too small: call again with *vallen bytes (as with
 * snprintf). buflen 0 (buf may then be NULL) asks only for the length. On
 * any other status *vallen is 0 and the buffer's contents are unspecified.
 * `vallen` must not be NULL. */
CAIRN_EXPORT cairn_status_t cairn_get_into(cairn_db_t* db,
                                           const cairn_readoptions_t* options,
                                           const char* key, size_t keylen,
                                           char* buf, size_t buflen,
                                           size_t* vallen, char** errmsg);
/* Gets `num_keys` keys in one call, each into its own buffer as
 * cairn_get_into does: for key i, statuses[i] is CAIRN_OK (vallens[i] is
 * the whole length, min(vallens[i], valcaps[i]) bytes are in values[i]),
 * CAIRN_NOT_FOUND, or another status (vallens[i] 0). The cache lookups of
 * the batch overlap their memory accesses, so a batch of cached keys costs
 * much less per key than single gets; keys not cached are then read from
 * LevelDB one by one. Returns CAIRN_OK when every key was found or not
 * found; otherwise the status of the first key that failed, with its
 * message in *errmsg (every key's status is still filled in). NULL arrays
 * (with num_keys > 0) or a NULL key or value buffer with a nonzero length
 * are CAIRN_INVALID_ARGUMENT, and then no key is read. */
CAIRN_EXPORT cairn_status_t
cairn_multi_get(cairn_db_t* db, const cairn_readoptions_t* options,
                size_t num_keys, const char* const* keys, const size_t* keylens,
                char* const* values, const size_t* valcaps, size_t* vallens,
                cairn_status_t* statuses, char** errmsg);

/* ---- Atomic write batches ---------------------------------------------- */

/* A batch applies all its operations atomically, in order (a later operation
 * on the same key wins). Limits are checked by cairn_write. */
CAIRN_EXPORT cairn_writebatch_t* cairn_writebatch_create(void);
CAIRN_EXPORT void cairn_writebatch_destroy(cairn_writebatch_t* batch);
CAIRN_EXPORT cairn_status_t cairn_writebatch_put(cairn_writebatch_t* batch,
                                                 const char* key, size_t keylen,
                                                 const char* value,
                                                 size_t valuelen,
                                                 char** errmsg);
CAIRN_EXPORT cairn_status_t cairn_writebatch_delete(cairn_writebatch_t* batch,
                                                    const char* key,
                                                    size_t keylen,
                                                    char** errmsg);
CAIRN_EXPORT void cairn_writebatch_clear(cairn_writebatch_t* batch);
/* Number of operations in the batch; 0 for NULL. */
CAIRN_EXPORT size_t cairn_writebatch_count(const cairn_writebatch_t* batch);
/* Applies the batch; the batch is left unchanged and may be reused. */
CAIRN_EXPORT cairn_status_t cairn_write(cairn_db_t* db,
                                        const cairn_writeoptions_t* options,
                                        const cairn_writebatch_t* batch,
                                        char** errmsg);

/* ---- Iterators --------------------------------------------------------- */

/* Iterates live keys in bytewise order within the read options' bounds,
 * seeing a consistent view (the read options' snapshot, or an implicit one
 * taken at creation). Deleted keys are never shown. A new iterator is not
 * positioned: call a seek first. */
CAIRN_EXPORT cairn_status_t
cairn_iter_create(cairn_db_t* db, const cairn_readoptions_t* options,
                  cairn_iterator_t** iter, char** errmsg);
CAIRN_EXPORT void cairn_iter_destroy(cairn_iterator_t* iter);
CAIRN_EXPORT void cairn_iter_seek_to_first(cairn_iterator_t* iter);
CAIRN_EXPORT void cairn_iter_seek_to_last(cairn_iterator_t* iter);
/* Positions at the first key >= target (clamped to the bounds). */
CAIRN_EXPORT void cairn_iter_seek(cairn_iterator_t* iter, const char* key,
                                  size_t keylen);
/* Positions at the last key <= target (clamped to the bounds). */
CAIRN_EXPORT void cairn_iter_seek_for_prev(cairn_iterator_t* iter,
                                           const char* key, size_t keylen);
/* next/prev on an invalid iterator do nothing. */
CAIRN_EXPORT void cairn_iter_next(cairn_iterator_t* iter);
CAIRN_EXPORT void cairn_iter_prev(cairn_iterator_t* iter);
CAIRN_EXPORT unsigned char cairn_iter_valid(const cairn_iterator_t* iter);
/* Borrowed pointers, valid until the iterator moves or is destroyed; NULL
 * with length 0 when the iterator is not valid. */
CAIRN_EXPORT const char* cairn_iter_key(const cairn_iterator_t* iter,
                                        size_t* keylen);
CAIRN_EXPORT const char* cairn_iter_value(const cairn_iterator_t* iter,
                                          size_t* valuelen);
/* CAIRN_OK unless the iteration hit an error (corruption, closed db). */
CAIRN_EXPORT cairn_status_t cairn_iter_status(const cairn_iterator_t* iter,
                                              char** errmsg);

/* ---- Snapshots --------------------------------------------------------- */

CAIRN_EXPORT cairn_status_t cairn_snapshot_create(cairn_db_t* db,
                                                  cairn_snapshot_t** snapshot,
                                                  char** errmsg);
/* Releases the snapshot (also safe after cairn_close). NULL is ok. */
CAIRN_EXPORT void cairn_snapshot_release(cairn_snapshot_t* snapshot);

/* ---- Introspection ----------------------------------------------------- */

/* Properties, returned as malloc'd strings:
 *   "cairn.stats"    JSON: operation counters, op-log sequence, LevelDB
 *                    stats, cache totals
 *   "cairn.options"  JSON: the effective options of this database
 *   "cairn.cache"    JSON: the shared-memory cache, per instance and in
 *                    total, with each instance's share of the ring
 *                    ({"enabled":false} when cache.capacity_mb is 0)
 *   "cairn.migration" JSON: the ring epoch, "state" ("stable" or
 *                    "migrating"), items moved lazily / by the mover / by
 *                    transfer, items remaining (estimate), started and
 *                    finished times (ms since the Unix epoch)
 *   "cairn.replication" JSON: this node's id, mode, listen port
 *                    ("listen_port") and last sequence, and per peer its
 *                    state, failure count, acknowledged sequence, lag and
 *                    digest agreement ({"enabled":false} when
 *                    replication.node_id is not set)
 *   "leveldb.*"      passed through to LevelDB (e.g. "leveldb.stats")
 * Unknown names are CAIRN_NOT_FOUND. */
CAIRN_EXPORT cairn_status_t cairn_property(cairn_db_t* db, const char* name,
                                           char** value, char** errmsg);

/* ---- Cache instances (ABI 1.1) ----------------------------------------- */

/* The cache is a consistent-hash ring of shared-memory instances. Adding or
 * removing one makes a new ring epoch (persisted: a reopen finds the same
 * layout) and starts a gradual migration while reads and writes go on: a
 * miss at a key's new instance takes the item from its previous instance,
 * and a background mover moves the rest at migration.rate_items_per_sec.
 * A change requested while a migration runs first finishes that migration
 * at full speed (the call waits), then starts its own. Progress is in the
 * "cairn.migration" property. All three are thread-safe and return
 * CAIRN_NOT_SUPPORTED when the cache is disabled (cache.capacity_mb = 0).
 *
 * Adds an instance of `capacity_bytes` (64 KiB .. 32 GiB, and no more than
 * /dev/shm has free: CAIRN_INVALID_ARGUMENT otherwise) and stores its id
 * (never reused) in *instance_id. */
CAIRN_EXPORT cairn_status_t cairn_cache_add_instance(cairn_db_t* db,
                                                     uint64_t capacity_bytes,
                                                     uint32_t* instance_id,
                                                     char** errmsg);
/* Removes instance `instance_id` from the ring; its items migrate to the
 * others and its segment is freed when the migration ends. An unknown id or
 * the last instance is CAIRN_INVALID_ARGUMENT. */
CAIRN_EXPORT cairn_status_t cairn_cache_remove_instance(cairn_db_t* db,
                                                        uint32_t instance_id,
                                                        char** errmsg);
/* Bulk transfer (SPEC C8): moves now everything instance `from_id` holds
 * that the current ring places on `to_id`. `from_id` may be an instance
 * being removed; `to_id` must be in the ring. Same id twice or an unknown
 * id is CAIRN_INVALID_ARGUMENT. */
CAIRN_EXPORT cairn_status_t cairn_cache_transfer(cairn_db_t* db,
                                                 uint32_t from_id,
                                                 uint32_t to_id, char** errmsg);

/* ---- Shared memory (ABI 1.2) ------------------------------------------- */

/* Removes the calling user's orphaned cache segments from /dev/shm: those
 * whose database directory no longer exists (deleted with rm -rf rather
 * than cairn_destroy) and that no live process owns. Each open also does
 * this for a bounded number of segments; this call examines them all.
 * Never touches another user's segments, nor those of a database open in
 * any process (even one whose directory was deleted while it runs), nor
 * segments of other Cairn builds. Stores the number removed in *removed
 * when `removed` is not NULL. CAIRN_UNAVAILABLE if /dev/shm cannot be
 * listed. Thread-safe; needs no database. */
CAIRN_EXPORT cairn_status_t cairn_gc_segments(uint32_t* removed, char** errmsg);
/* ---- Tools: records with versions, integer properties (ABI 1.2) ----- */

/* What dump/load tools and replication need: every record, tombstones
 * included, with its version; and writing records with given versions.
 * A version is the pair (hlc, node_id) of the header comment; (0, 0) is
 * never a record's version.
 *
 * With include_deleted=1, iterators created with these options also stop at
 * deleted keys (versioned tombstones; their value is empty). Default 0. */
CAIRN_EXPORT void cairn_readoptions_set_include_deleted(
    cairn_readoptions_t* options, unsigned char include_deleted);
/* 1 when the iterator is at a tombstone, else 0 (also when not valid). */
CAIRN_EXPORT unsigned char cairn_iter_deleted(const cairn_iterator_t* iter);
/* The version of the current record; 0 and 0 when the iterator is not
 * valid. Either out-parameter may be NULL. */
CAIRN_EXPORT void cairn_iter_version(const cairn_iterator_t* iter,
                                     uint64_t* hlc, uint32_t* node_id);
/* Like cairn_writebatch_put/_delete, but the record keeps the given version
 * instead of getting a new one. cairn_write applies a batch of these
 * version-guarded: each record is written only where it is newer than what
 * the key holds (last-writer-wins, so applying it twice writes it once),
 * gets an op-log entry like a local write, and later local writes order
 * after it. A batch must not mix versioned and plain operations
 * (CAIRN_INVALID_ARGUMENT from cairn_write). A zero hlc is
 * CAIRN_INVALID_ARGUMENT here; a zero node_id, from cairn_write. */
CAIRN_EXPORT cairn_status_t cairn_writebatch_put_versioned(
    cairn_writebatch_t* batch, const char* key, size_t keylen,
    const char* value, size_t valuelen, uint64_t hlc, uint32_t node_id,
    char** errmsg);
CAIRN_EXPORT cairn_status_t cairn_writebatch_delete_versioned(
    cairn_writebatch_t* batch, const char* key, size_t keylen, uint64_t hlc,
    uint32_t node_id, char** errmsg);

/* One counter as an integer, without parsing JSON (RocksDB's
 * GetIntProperty). Names:
 *   "cairn.stats.<counter>"  puts, deletes, batches, batch_ops, gets,
 *                            get_hits, get_misses, iterators_created,
 *                            snapshots_created, bytes_written, bytes_read,
 *                            write_errors, tombstones_purged,
 *                            last_sequence, oplog_first_sequence, node_id
 *   "cairn.cache.<total>"    capacity_bytes, used_bytes, items, hits,
 *                            misses, fills, evictions, expirations
 *                            (CAIRN_NOT_SUPPORTED when the cache is off)
 *   "leveldb.<name>"         LevelDB properties with an integer value, e.g.
 *                            "leveldb.num-files-at-level0"
 * Unknown names are CAIRN_NOT_FOUND; a LevelDB property that is not an
 * integer is CAIRN_INVALID_ARGUMENT. On failure *value is 0. */
CAIRN_EXPORT cairn_status_t cairn_property_int(cairn_db_t* db, const char* name,
                                               uint64_t* value, char** errmsg);

/* ---- Maintenance and batch sizes (ABI 1.2) ----------------------------- */

/* Compacts the stored data of the keys in [start, limit) (LevelDB's
 * CompactRange): deleted and overwritten records are dropped and the range
 * ends up in as few, as deep files as possible. A NULL start (length 0)
 * means from the first key, a NULL limit up to the last; both NULL compact
 * the whole database, op log included. Blocks until done; thread-safe.
 * start > limit is CAIRN_INVALID_ARGUMENT. */
CAIRN_EXPORT cairn_status_t cairn_compact_range(cairn_db_t* db,
                                                const char* start,
                                                size_t startlen,
                                                const char* limit,
                                                size_t limitlen, char** errmsg);
/* LevelDB's estimate of the file-system bytes used by the keys in each of
 * `num_ranges` ranges [range_start[i], range_limit[i]), stored in sizes[i].
 * Data written recently (still in the memtable, not yet in a table file)
 * counts as 0; an empty or reversed range is 0. Thread-safe. */
CAIRN_EXPORT cairn_status_t cairn_approximate_sizes(
    cairn_db_t* db, size_t num_ranges, const char* const* range_start,
    const size_t* range_start_len, const char* const* range_limit,
    const size_t* range_limit_len, uint64_t* sizes, char** errmsg);
/* Repairs the database at `path` (LevelDB's RepairDB: rebuilds the manifest
 * from the table and log files it can read, dropping what it cannot; the
 * damage is reported in <path>/LOG), then removes the database's
 * shared-memory cache segments, so the next open rebuilds the cache from
 * the repaired data. Some data may be lost: run it only on a database that
 * fails to open with CAIRN_CORRUPTION. CAIRN_BUSY while the database is open
 * anywhere; CAIRN_NOT_FOUND when `path` does not exist. `options` (NULL:
 * defaults) supplies block_size and compression for the tables it writes. */
CAIRN_EXPORT cairn_status_t cairn_repair(const cairn_options_t* options,
                                         const char* path, char** errmsg);
/* Appends a copy of every operation of `src` to `dst` (src may be dst).
 * NULL dst or src is CAIRN_INVALID_ARGUMENT. */
CAIRN_EXPORT cairn_status_t cairn_writebatch_append(
    cairn_writebatch_t* dst, const cairn_writebatch_t* src, char** errmsg);
/* The key and value bytes the batch holds (without Cairn's per-record
 * overhead: version, op-log entry); 0 for NULL. */
CAIRN_EXPORT size_t
cairn_writebatch_approximate_size(const cairn_writebatch_t* batch);

/* ---- Checking a database ----------------------------------------------- */

/* Verifies the whole database: every live table file's blocks against their
 * checksums, the write-ahead logs and manifest, the format of every record,
 * op-log entry and metadata value, and that every cached item matches
 * LevelDB. *report receives JSON (free with cairn_free) listing what was
 * verified and every problem found, each naming its file or key; a damaged
 * table block names the keys around it, the records a LevelDB repair would
 * lose. Returns CAIRN_OK when nothing is damaged, CAIRN_CORRUPTION (with
 * *report set) when something is; other statuses (report NULL) when the
 * check could not run. Reads everything: run it on a quiet database, as a
 * concurrent write can show as a cache mismatch. */
CAIRN_EXPORT cairn_status_t cairn_check(cairn_db_t* db, char** report,
                                        char** errmsg);

/* ---- Replication (ABI 1.3) --------------------------------------------- */

/* A database replicates when the option replication.node_id is set (the
 * replication.* options are listed in the README and in
 * cairn_property(db, "cairn.options")); each write is then also shipped to
 * the peer nodes, and "cairn.replication" shows how far each peer got.
 * The calls below choose per write how replication acknowledges it, and
 * manage peers while the database runs. On a database without replication
 * the write-option choices are ignored (the write commits locally as
 * always) and the peer calls fail with CAIRN_INVALID_ARGUMENT, whose message
 * says replication is off. */

/* Per-write replication mode, for cairn_writeoptions_set_replication_mode. */
#define CAIRN_REPLICATION_DEFAULT 0 /* the option replication.mode */
#define CAIRN_REPLICATION_ASYNC 1   /* return once committed locally */
#define CAIRN_REPLICATION_SYNC 2    /* also wait for the peers' acks */

/* Per-write ack counts for cairn_writeoptions_set_sync_acks, besides a plain
 * count of peers. */
#define CAIRN_SYNC_ACKS_DEFAULT 0u /* the option replication.sync_acks */
#define CAIRN_SYNC_ACKS_MAJORITY 0xFFFFFFFEu /* of the nodes, this one too */
#define CAIRN_SYNC_ACKS_ALL 0xFFFFFFFFu      /* every peer */

/* How writes with these options replicate (default
 * CAIRN_REPLICATION_DEFAULT: the database's replication.mode). In sync mode
 * a write commits locally (durable as its sync flag says), then returns
 * when the required peers acknowledged holding it durably. Past
 * replication.sync_timeout_ms it returns CAIRN_TIMEOUT, or
 * CAIRN_UNAVAILABLE when too few peers are reachable to ever acknowledge;
 * the write is then durable here and queued for the peers the message
 * names ("to be backed up"), who get it when they return: do not retry it
 * as a new write. Batches of records with given versions
 * (cairn_writebatch_put_versioned) never wait: they replicate
 * asynchronously whatever the mode. A mode other than the three
 * CAIRN_REPLICATION_* values is CAIRN_INVALID_ARGUMENT naming it, and the
 * options are then unchanged. */
CAIRN_EXPORT cairn_status_t cairn_writeoptions_set_replication_mode(
    cairn_writeoptions_t* options, int mode, char** errmsg);
/* How many peers must acknowledge a sync-mode write: a count (1 or more),
 * CAIRN_SYNC_ACKS_MAJORITY, CAIRN_SYNC_ACKS_ALL, or CAIRN_SYNC_ACKS_DEFAULT
 * (the default: the database's replication.sync_acks). Ignored by async
 * writes. */
CAIRN_EXPORT void cairn_writeoptions_set_sync_acks(
    cairn_writeoptions_t* options, uint32_t acks);

/* Adds peer `spec`, "id@host:port" (as in replication.peers), while the
 * database runs. The new peer gets a full resync, then the op log. A
 * malformed spec, this node's own id or an id already a peer is
 * CAIRN_INVALID_ARGUMENT naming it. The peer is not remembered across a
 * reopen: list it in replication.peers as well. Thread-safe. */
CAIRN_EXPORT cairn_status_t cairn_peer_add(cairn_db_t* db, const char* spec,
                                           char** errmsg);
/* Stops sending this node's writes to peer `node_id`, stops counting it for
 * sync acknowledgements and forgets its cursor; new connections from it are
 * refused. An unknown id is CAIRN_NOT_FOUND. Thread-safe. */
CAIRN_EXPORT cairn_status_t cairn_peer_remove(cairn_db_t* db, uint32_t node_id,
                                              char** errmsg);
/* Starts a full resync of peer `node_id` now (a snapshot stream applied
 * version-guarded while writes go on; progress in "cairn.replication").
 * Returns without waiting for it. An unknown id is CAIRN_NOT_FOUND. */
CAIRN_EXPORT cairn_status_t cairn_peer_resync(cairn_db_t* db, uint32_t node_id,
                                              char** errmsg);
/* Compares anti-entropy digests with every peer now, waiting at most
 * `timeout_ms` for their answers, and repairs the buckets that differ.
 * Returns CAIRN_OK when the comparison ran, whatever it found: *all_agree
 * (when not NULL) is 1 when every peer answered and agreed before repair,
 * else 0, and *report (when not NULL) receives JSON (free with cairn_free):
 * "agree" (the same verdict) and, per peer, its "id", "agree", the buckets
 * that differed and were repaired, or the "error" that kept it from
 * answering. Other statuses
 * (*report NULL, *all_agree 0) when the comparison could not run. */
CAIRN_EXPORT cairn_status_t cairn_replication_compare(cairn_db_t* db,
                                                      uint32_t timeout_ms,
                                                      unsigned char* all_agree,
                                                      char** report,
                                                      char** errmsg);

/* ---- Cluster client (ABI 1.4) ------------------------------------------ */

/* A routing client of a group of Cairn nodes (each a host process serving
 * clients, e.g. `cairn serve`; see the README's "Cluster" section). It is
 * opened from the cluster.* and audit.* options, set by name with
 * cairn_options_set on a cairn_options_t like any other (the table is in the
 * README, made by the cairn_cluster_options_doc tool); the engine's,
 * replication.* and node.* options are ignored by it. Every call goes to the
 * node the mode and master choice name (cluster.mode, cluster.master_choice),
 * and on a node fault to the next one (cluster.retries); a node failing more
 * than cluster.failure_threshold times is tagged failed for
 * cluster.tag_validity_ms (SPEC C3). When no node can serve a call it
 * returns CAIRN_UNAVAILABLE with a message listing every node and why.
 * With audit.path set every call leaves an audit record there (its own
 * LevelDB), queried with cairn_cluster_audit.
 *
 * Thread-safe: every call may be made from any thread on one handle. */
typedef struct cairn_cluster_t cairn_cluster_t;

/* Opens the client. A node list, mode, choice, slot table, standby order,
 * timeout or audit option that is malformed or inconsistent is
 * CAIRN_INVALID_ARGUMENT naming the option and value; an audit log held by
 * another process is CAIRN_BUSY. Opening does not wait for any node: a node
 * that is down only shows in later calls and in cairn_cluster_nodes. */
CAIRN_EXPORT cairn_status_t cairn_cluster_open(const cairn_options_t* options,
                                               cairn_cluster_t** cluster,
                                               char** errmsg);
/* Stops the client's background threads (bounded by cluster.op_timeout_ms)
 * and frees it. NULL is a no-op. No call may be in flight. */
CAIRN_EXPORT void cairn_cluster_close(cairn_cluster_t* cluster);
/* As cairn_put / cairn_delete / cairn_get, routed. Only the write option's
 * sync flag is used (the serving node commits with it). */
CAIRN_EXPORT cairn_status_t
cairn_cluster_put(cairn_cluster_t* cluster, const cairn_writeoptions_t* options,
                  const char* key, size_t keylen, const char* value,
                  size_t valuelen, char** errmsg);
CAIRN_EXPORT cairn_status_t cairn_cluster_delete(
    cairn_cluster_t* cluster, const cairn_writeoptions_t* options,
    const char* key, size_t keylen, char** errmsg);
/* *value (free with cairn_free) and *valuelen on CAIRN_OK; CAIRN_NOT_FOUND
 * when the key is absent. */
CAIRN_EXPORT cairn_status_t cairn_cluster_get(cairn_cluster_t* cluster,
                                              const char* key, size_t keylen,
                                              char** value, size_t* valuelen,
                                              char** errmsg);
/* Applies `batch` atomically at the node that takes it (routed by its first
 * key; with cluster.master_choice=slots every key must map to one node).
 * An empty batch, or one with records carrying versions
 * (cairn_writebatch_put_versioned), is CAIRN_INVALID_ARGUMENT. */
CAIRN_EXPORT cairn_status_t cairn_cluster_write(
    cairn_cluster_t* cluster, const cairn_writeoptions_t* options,
    const cairn_writebatch_t* batch, char** errmsg);
/* Called once per entry of a scan, in key order; the pointers are valid only
 * during the call. */
typedef void (*cairn_cluster_scan_fn)(void* arg, const char* key, size_t keylen,
                                      const char* value, size_t valuelen);
/* The keys in [start, end) (endlen 0: to the last key) at the node the
 * start key routes to, at most `limit` (1 or more; the node caps it at its
 * node.max_scan_entries), each passed to `fn`. *truncated (when not NULL)
 * is 1 when the scan stopped at the limit: continue from the last key plus
 * a zero byte. `fn` is called only after the whole reply arrived, so a
 * failed call never calls it. */
CAIRN_EXPORT cairn_status_t cairn_cluster_scan(
    cairn_cluster_t* cluster, const char* start, size_t startlen,
    const char* end, size_t endlen, uint32_t limit, cairn_cluster_scan_fn fn,
    void* arg, unsigned char* truncated, char** errmsg);
/* *json (free with cairn_free): every node as the client sees it, a JSON
 * array of objects with id, address, state ("unknown", "up", "tagged"),
 * failures, tag_expiry_us, times_tagged, last_error, capacity (W),
 * cached_bytes (C), response_us (R), ranked, score, serves, master, why and
 * standby_position. */
CAIRN_EXPORT cairn_status_t cairn_cluster_nodes(cairn_cluster_t* cluster,
                                                char** json, char** errmsg);
/* *json (free with cairn_free): the client's counters as a JSON object
 * (requests, faults, retries, refusals, heartbeats, reports_sent,
 * reports_failed, reports_dropped, audit_records, audit_failures). */
CAIRN_EXPORT cairn_status_t cairn_cluster_stats(cairn_cluster_t* cluster,
                                                char** json, char** errmsg);
/* The audit records of `method` ("get", "put", "delete", "batch", "scan";
 * NULL or "" for all) that started in [since_us, until_us) (microseconds
 * since the Unix epoch; until_us 0: now and later), oldest first, at most
 * `limit` (1 or more), as JSON lines in *jsonl (free with cairn_free; ""
 * when none): start_us, end_us, elapsed_us, client_id, client_address,
 * method, params, shard, node, outcome, message. Without audit.path it is
 * CAIRN_INVALID_ARGUMENT; an unknown method too, naming it. */
CAIRN_EXPORT cairn_status_t cairn_cluster_audit(
    cairn_cluster_t* cluster, const char* method, int64_t since_us,
    int64_t until_us, uint32_t limit, char** jsonl, char** errmsg);

/* ---- Plugin entry point ------------------------------------------------ */

/* Function table for hosts that dlopen() the library. Fields are only ever
 * appended; check struct_size or abi_minor before using a later field. */
typedef struct cairn_api_t {
  uint32_t struct_size;
  uint32_t abi_minor;
  const char* (*status_name)(cairn_status_t);
  void (*free_fn)(void*); /* cairn_free; not `free`, which hosts may #define */
  uint32_t (*abi_major)(void);
  uint32_t (*abi_minor_fn)(void);
  const char* (*version)(void);
  cairn_options_t* (*options_create)(void);
  void (*options_destroy)(cairn_options_t*);
  cairn_status_t (*options_set)(cairn_options_t*, const char*, const char*,
                                char**);
  cairn_status_t (*options_get)(const cairn_options_t*, const char*, char**,
                                char**);
  cairn_status_t (*open)(const cairn_options_t*, const char*, cairn_db_t**,
                         char**);
  void (*close)(cairn_db_t*);
  cairn_status_t (*destroy)(const char*, char**);
  cairn_readoptions_t* (*readoptions_create)(void);
  void (*readoptions_destroy)(cairn_readoptions_t*);
  void (*readoptions_set_snapshot)(cairn_readoptions_t*,
                                   const cairn_snapshot_t*);
  cairn_status_t (*readoptions_set_lower_bound)(cairn_readoptions_t*,
                                                const char*, size_t, char**);
  cairn_status_t (*readoptions_set_upper_bound)(cairn_readoptions_t*,
                                                const char*, size_t, char**);
  void (*readoptions_set_verify_checksums)(cairn_readoptions_t*, unsigned char);
  void (*readoptions_set_fill_cache)(cairn_readoptions_t*, unsigned char);
  cairn_writeoptions_t* (*writeoptions_create)(void);
  void (*writeoptions_destroy)(cairn_writeoptions_t*);
  void (*writeoptions_set_sync)(cairn_writeoptions_t*, unsigned char);
  cairn_status_t (*put)(cairn_db_t*, const cairn_writeoptions_t*, const char*,
                        size_t, const char*, size_t, char**);
  cairn_status_t (*del)(cairn_db_t*, const cairn_writeoptions_t*, const char*,
                        size_t, char**);
  cairn_status_t (*get)(cairn_db_t*, const cairn_readoptions_t*, const char*,
                        size_t, char**, size_t*, char**);
  cairn_writebatch_t* (*writebatch_create)(void);
  void (*writebatch_destroy)(cairn_writebatch_t*);
  cairn_status_t (*writebatch_put)(cairn_writebatch_t*, const char*, size_t,
                                   const char*, size_t, char**);
  cairn_status_t (*writebatch_delete)(cairn_writebatch_t*, const char*, size_t,
                                      char**);
  void (*writebatch_clear)(cairn_writebatch_t*);
  size_t (*writebatch_count)(const cairn_writebatch_t*);
  cairn_status_t (*write)(cairn_db_t*, const cairn_writeoptions_t*,
                          const cairn_writebatch_t*, char**);
  cairn_status_t (*iter_create)(cairn_db_t*, const cairn_readoptions_t*,
                                cairn_iterator_t**, char**);
  void (*iter_destroy)(cairn_iterator_t*);
  void (*iter_seek_to_first)(cairn_iterator_t*);
  void (*iter_seek_to_last)(cairn_iterator_t*);
  void (*iter_seek)(cairn_iterator_t*, const char*, size_t);
  void (*iter_seek_for_prev)(cairn_iterator_t*, const char*, size_t);
  void (*iter_next)(cairn_iterator_t*);
  void (*iter_prev)(cairn_iterator_t*);
  unsigned char (*iter_valid)(const cairn_iterator_t*);
  const char* (*iter_key)(const cairn_iterator_t*, size_t*);
  const char* (*iter_value)(const cairn_iterator_t*, size_t*);
  cairn_status_t (*iter_status)(const cairn_iterator_t*, char**);
  cairn_status_t (*snapshot_create)(cairn_db_t*, cairn_snapshot_t**, char**);
  void (*snapshot_release)(cairn_snapshot_t*);
  cairn_status_t (*property)(cairn_db_t*, const char*, char**, char**);
  /* ABI 1.0 ends here; later minors append below. */
  /* ABI 1.1 */
  cairn_status_t (*cache_add_instance)(cairn_db_t*, uint64_t, uint32_t*,
                                       char**);
  cairn_status_t (*cache_remove_instance)(cairn_db_t*, uint32_t, char**);
  cairn_status_t (*cache_transfer)(cairn_db_t*, uint32_t, uint32_t, char**);
  /* ABI 1.2: shared-memory orphan reclaim */
  cairn_status_t (*gc_segments)(uint32_t*, char**);
  /* ABI 1.2: tools (records with versions, integer properties, compaction) */
  void (*readoptions_set_include_deleted)(cairn_readoptions_t*, unsigned char);
  unsigned char (*iter_deleted)(const cairn_iterator_t*);
  void (*iter_version)(const cairn_iterator_t*, uint64_t*, uint32_t*);
  cairn_status_t (*writebatch_put_versioned)(cairn_writebatch_t*, const char*,
                                             size_t, const char*, size_t,
                                             uint64_t, uint32_t, char**);
  cairn_status_t (*writebatch_delete_versioned)(cairn_writebatch_t*,
                                                const char*, size_t, uint64_t,
                                                uint32_t, char**);
  cairn_status_t (*property_int)(cairn_db_t*, const char*, uint64_t*, char**);
  cairn_status_t (*compact_range)(cairn_db_t*, const char*, size_t, const char*,
                                  size_t, char**);
  /* ABI 1.2: maintenance and batch sizes (compact_range is above) */
  cairn_status_t (*approximate_sizes)(cairn_db_t*, size_t, const char* const*,
                                      const size_t*, const char* const*,
                                      const size_t*, uint64_t*, char**);
  cairn_status_t (*repair)(const cairn_options_t*, const char*, char**);
  cairn_status_t (*writebatch_append)(cairn_writebatch_t*,
                                      const cairn_writebatch_t*, char**);
  size_t (*writebatch_approximate_size)(const cairn_writebatch_t*);
  /* ABI 1.2: checking a database */
  cairn_status_t (*check)(cairn_db_t*, char**, char**);
  /* ABI 1.2: reads without allocation */
  cairn_status_t (*get_into)(cairn_db_t*, const cairn_readoptions_t*,
                             const char*, size_t, char*, size_t, size_t*,
                             char**);
  cairn_status_t (*multi_get)(cairn_db_t*, const cairn_readoptions_t*, size_t,
                              const char* const*, const size_t*, char* const*,
                              const size_t*, size_t*, cairn_status_t*, char**);
  /* ABI 1.3: replication */
  cairn_status_t (*writeoptions_set_replication_mode)(cairn_writeoptions_t*,
                                                      int, char**);
  void (*writeoptions_set_sync_acks)(cairn_writeoptions_t*, uint32_t);
  cairn_status_t (*peer_add)(cairn_db_t*, const char*, char**);
  cairn_status_t (*peer_remove)(cairn_db_t*, uint32_t, char**);
  cairn_status_t (*peer_resync)(cairn_db_t*, uint32_t, char**);
  cairn_status_t (*replication_compare)(cairn_db_t*, uint32_t, unsigned char*,
                                        char**, char**);
  /* ABI 1.4: cluster client */
  cairn_status_t (*cluster_open)(const cairn_options_t*, cairn_cluster_t**,
                                 char**);
  void (*cluster_close)(cairn_cluster_t*);
  cairn_status_t (*cluster_put)(cairn_cluster_t*, const cairn_writeoptions_t*,
                                const char*, size_t, const char*, size_t,
                                char**);
  cairn_status_t (*cluster_delete)(cairn_cluster_t*,
                                   const cairn_writeoptions_t*, const char*,
                                   size_t, char**);
  cairn_status_t (*cluster_get)(cairn_cluster_t*, const char*, size_t, char**,
                                size_t*, char**);
  cairn_status_t (*cluster_write)(cairn_cluster_t*, const cairn_writeoptions_t*,
                                  const cairn_writebatch_t*, char**);
  cairn_status_t (*cluster_scan)(cairn_cluster_t*, const char*, size_t,
                                 const char*, size_t, uint32_t,
                                 cairn_cluster_scan_fn, void*, unsigned char*,
                                 char**);
  cairn_status_t (*cluster_nodes)(cairn_cluster_t*, char**, char**);
  cairn_status_t (*cluster_stats)(cairn_cluster_t*, char**, char**);
  cairn_status_t (*cluster_audit)(cairn_cluster_t*, const char*, int64_t,
                                  int64_t, uint32_t, char**, char**);
} cairn_api_t;

/* Returns the function table for `abi_major`, or NULL when this library
 * does not implement that major version. The table is static. */
CAIRN_EXPORT const cairn_api_t* cairn_get_api(uint32_t abi_major);

typedef const cairn_api_t* (*cairn_get_api_fn)(uint32_t abi_major);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CAIRN_CAIRN_H_ */
