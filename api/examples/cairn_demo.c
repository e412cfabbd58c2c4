/*
 * cairn_demo: a small C host that uses Cairn the way a host database does.
 *
 * It dlopen()s libcairn.so (no link-time dependency), takes the function
 * table from cairn_get_api(CAIRN_ABI_MAJOR), opens an embedded database in
 * a local directory, and then, timing each phase:
 *   1. loads N records (16-byte keys, 100-byte values) in atomic write
 *      batches — skipped when the database already holds them (a second
 *      run), so the first reads show the cache reattached warm,
 *   2. reads every record back twice, verifying each value, and reports the
 *      shared-memory cache's hit ratio for each pass,
 *   3. grows the cache online (first run only: the layout persists): adds a
 *      fifth cache instance, reads everything again while data migrates to
 *      it, and follows the "cairn.migration" progress until it is done,
 *   4. scans the middle half of the key space through iterator bounds,
 *   5. deletes a tenth of the records in batches and checks they are gone
 *      (point reads and a bounded scan) while their neighbours remain, then
 *      writes them back so the next run finds the full data set,
 * and finally prints the cache's state and the "cairn.stats" property.
 *
 * Usage: cairn_demo [--records N] [--batch N] [LIBRARY [DB_DIR]]
 *   LIBRARY  path to libcairn.so (else $CAIRN_LIBRARY, or the deprecated
 *            $CAIRN_LIB, else the library this demo was built with, else
 *            "libcairn.so.1" from the loader path)
 *   DB_DIR   database directory (else $CAIRN_DEMO_DB, else ./demo-db);
 *            created if missing, reused if it exists
 *   --records N  number of records (else $CAIRN_DEMO_RECORDS, else 300000)
 *   --batch N    records per write batch (default 1000)
 *   --destroy    destroy the database (files and cache segments) at the end
 *
 * Any failure prints the failing call with its status name and message and
 * exits with status 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cairn/cairn.h"

enum { kKeySize = 16, kValueSize = 100 };
/* Keys are "key" + 13 digits. */
static const uint64_t kMaxRecords = 10000000000000ull;

static const cairn_api_t* api;

static void Die(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fputs("cairn_demo: FAILED: ", stderr);
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
  va_end(args);
  exit(1);
}

/* Exits unless `status` is CAIRN_OK, naming the call, the status and the
 * message Cairn gave (which it frees). */
static void Check(cairn_status_t status, char* err, const char* call) {
  if (status == CAIRN_OK) return;
  fprintf(stderr, "cairn_demo: FAILED: %s: %s: %s\n", call,
          api->status_name(status), err != NULL ? err : "(no message)");
  api->free_fn(err);
  exit(1);
}

/* Record i: key "key%013d" (16 bytes), value 100 bytes that depend on i. */
static void MakeKey(uint64_t i, char key[kKeySize + 1]) {
  /* main() caps records below kMaxRecords; the modulo tells the compiler. */
  snprintf(key, kKeySize + 1, "key%013" PRIu64, i % kMaxRecords);
}

static void MakeValue(uint64_t i, char value[kValueSize]) {
  char head[32];
  int n = snprintf(head, sizeof head, "value-%012" PRIu64 "-", i);
  memcpy(value, head, (size_t)n);
  uint64_t x = i * 0x9E3779B97F4A7C15ull + 1; /* xorshift, seeded by i */
  for (int j = n; j < kValueSize; ++j) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    value[j] = (char)('a' + x % 26);
  }
}

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void Report(const char* phase, uint64_t ops, double seconds,
                   const char* detail) {
  double rate = seconds > 0 ? (double)ops / seconds : 0;
  printf("  %-8s %9" PRIu64 " ops  %8.3f s  %12.0f ops/s  %s\n", phase, ops,
         seconds, rate, detail);
  fflush(stdout);
}

/* The number after `"name":` inside the "total" object of the cairn.cache
 * property (0 if absent): enough JSON for a demo. */
static uint64_t CacheTotal(cairn_db_t* db, const char* name) {
  char* err = NULL;
  char* json = NULL;
  Check(api->property(db, "cairn.cache", &json, &err), err,
        "cairn_property(cairn.cache)");
  uint64_t value = 0;
  const char* total = strstr(json, "\"total\":{");
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", name);
  const char* at = total != NULL ? strstr(total, pattern) : NULL;
  if (at != NULL) value = strtoull(at + strlen(pattern), NULL, 10);
  api->free_fn(json);
  return value;
}

/* How many cache instances were opened in `state` ("warm", "created", ...). */
static int CacheInstancesOpened(cairn_db_t* db, const char* state) {
  char* err = NULL;
  char* json = NULL;
  Check(api->property(db, "cairn.cache", &json, &err), err,
        "cairn_property(cairn.cache)");
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"open\":\"%s", state);
  int n = 0;
  for (const char* p = json; (p = strstr(p, pattern)) != NULL; ++p) ++n;
  api->free_fn(json);
  return n;
}

static int ParseCount(const char* text, uint64_t* out) {
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v == 0) {
    return 0;
  }
  *out = v;
  return 1;
}

/* For "--flag=V" or "--flag V" at argv[*i], returns V (advancing *i past a
 * separate value), "" when the value is missing, NULL for another flag. */
static const char* FlagValue(int argc, char** argv, int* i, const char* flag) {
  size_t n = strlen(flag);
  const char* arg = argv[*i];
  if (strncmp(arg, flag, n) != 0) return NULL;
  if (arg[n] == '=') return arg + n + 1;
  if (arg[n] != '\0') return NULL;
  if (*i + 1 < argc) return argv[++*i];
  return "";
}

static void Usage(const char* argv0) {
  fprintf(stderr,
          "usage: %s [--records N] [--batch N] [LIBRARY [DB_DIR]]\n"
          "  LIBRARY  libcairn.so to load (default $CAIRN_LIBRARY)\n"
          "  DB_DIR   database directory (default $CAIRN_DEMO_DB or "
          "./demo-db)\n"
          "  N        records (default $CAIRN_DEMO_RECORDS or 300000); "
          "batch size (default 1000)\n",
          argv0);
}

static const char* DefaultLibrary(void) {
  const char* env = getenv("CAIRN_LIBRARY");
  if (env != NULL && env[0] != '\0') return env;
  /* The demo's former name for it, still honoured (deprecated). */
  env = getenv("CAIRN_LIB");
  if (env != NULL && env[0] != '\0') {
    fprintf(stderr, "cairn_demo: $CAIRN_LIB is deprecated; use $CAIRN_LIBRARY\n");
    return env;
  }
#ifdef CAIRN_DEMO_DEFAULT_LIB
  return CAIRN_DEMO_DEFAULT_LIB;
#else
  return "libcairn.so.1";
#endif
}

/* Loads the library and returns its ABI table (major CAIRN_ABI_MAJOR). */
static const cairn_api_t* LoadApi(const char* path) {
  void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) Die("dlopen: %s", dlerror());
  void* sym = dlsym(lib, "cairn_get_api");
  if (sym == NULL) Die("dlsym(cairn_get_api): %s", dlerror());
  cairn_get_api_fn get_api;
  /* POSIX guarantees the object/function pointer round trip dlsym needs. */
  _Static_assert(sizeof sym == sizeof get_api, "dlsym pointer size");
  memcpy(&get_api, &sym, sizeof get_api);
  const cairn_api_t* table = get_api(CAIRN_ABI_MAJOR);
  if (table == NULL) Die("%s does not implement ABI %d", path, CAIRN_ABI_MAJOR);
  if (table->struct_size < sizeof(cairn_api_t)) {
    Die("%s: ABI table too small (%u bytes, need %zu)", path,
        (unsigned)table->struct_size, sizeof(cairn_api_t));
  }
  /* Never dlclose'd: the library may run threads until the process exits. */
  return table;
}

static cairn_db_t* OpenDb(const char* dir) {
  char* err = NULL;
  cairn_db_t* db = NULL;
  cairn_options_t* options = api->options_create();
  /* First without create_if_missing, to tell the user what we found. */
  cairn_status_t st = api->open(options, dir, &db, &err);
  if (st == CAIRN_NOT_FOUND) {
    api->free_fn(err);
    err = NULL;
    Check(api->options_set(options, "create_if_missing", "true", &err), err,
          "cairn_options_set(create_if_missing)");
    Check(api->open(options, dir, &db, &err), err, "cairn_open");
    printf("created database %s\n", dir);
  } else {
    Check(st, err, "cairn_open");
    printf("opened existing database %s\n", dir);
  }
  api->options_destroy(options);
  return db;
}

static void Load(cairn_db_t* db, const char* phase, uint64_t first,
                 uint64_t records, uint64_t batch_size) {
  char* err = NULL;
  char key[kKeySize + 1], value[kValueSize];
  cairn_writebatch_t* batch = api->writebatch_create();
  uint64_t batches = 0;
  double start = Now();
  for (uint64_t i = first; i < first + records; ++i) {
    MakeKey(i, key);
    MakeValue(i, value);
    Check(api->writebatch_put(batch, key, kKeySize, value, kValueSize, &err),
          err, "cairn_writebatch_put");
    if (api->writebatch_count(batch) == batch_size ||
        i + 1 == first + records) {
      Check(api->write(db, NULL, batch, &err), err, "cairn_write");
      api->writebatch_clear(batch);
      ++batches;
    }
  }
  double seconds = Now() - start;
  api->writebatch_destroy(batch);
  char detail[128];
  snprintf(detail, sizeof detail,
           "%" PRIu64 " atomic batches of up to %" PRIu64, batches,
           batch_size);
  Report(phase, records, seconds, detail);
}

static void ReadAll(cairn_db_t* db, const char* phase, uint64_t records) {
  char* err = NULL;
  char key[kKeySize + 1], expected[kValueSize];
  uint64_t hits0 = CacheTotal(db, "hits"), misses0 = CacheTotal(db, "misses");
  double start = Now();
  for (uint64_t i = 0; i < records; ++i) {
    char* value = NULL;
    size_t len = 0;
    MakeKey(i, key);
    MakeValue(i, expected);
    Check(api->get(db, NULL, key, kKeySize, &value, &len, &err), err,
          "cairn_get");
    if (len != kValueSize || memcmp(value, expected, kValueSize) != 0) {
      Die("cairn_get(%s): wrong value (%zu bytes)", key, len);
    }
    api->free_fn(value);
  }
  double seconds = Now() - start;
  uint64_t hits = CacheTotal(db, "hits") - hits0;
  uint64_t misses = CacheTotal(db, "misses") - misses0;
  char detail[128];
  snprintf(detail, sizeof detail,
           "every value verified; cache hit ratio %.1f%% (%" PRIu64
           " hits, %" PRIu64 " misses)",
           hits + misses == 0 ? 0.0 : 100.0 * hits / (hits + misses), hits,
           misses);
  Report(phase, records, seconds, detail);
}

/* The number after `"name":` in the cairn.migration property (0 if absent);
 * with name NULL, 1 while the state is "migrating". */
static uint64_t Migration(cairn_db_t* db, const char* name) {
  char* err = NULL;
  char* json = NULL;
  Check(api->property(db, "cairn.migration", &json, &err), err,
        "cairn_property(cairn.migration)");
  uint64_t value = 0;
  if (name == NULL) {
    value = strstr(json, "\"state\":\"migrating\"") != NULL;
  } else {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", name);
    const char* at = strstr(json, pattern);
    if (at != NULL) value = strtoull(at + strlen(pattern), NULL, 10);
  }
  api->free_fn(json);
  return value;
}

/* Adds a cache instance online and shows the data migrating to it while it
 * is read. Once per database: the grown layout persists across runs. */
static void GrowCache(cairn_db_t* db, uint64_t records) {
  if (api->abi_minor < 1) return; /* a library without cache instances */
  if (CacheInstancesOpened(db, "") >= 5) {
    printf("cache: already grown to 5 instances by an earlier run (the ring "
           "layout persists)\n");
    return;
  }
  char* err = NULL;
  uint32_t id = 0;
  double start = Now();
  Check(api->cache_add_instance(db, 16u << 20, &id, &err), err,
        "cairn_cache_add_instance");
  printf("cache: added instance %u (16 MiB) online; ring epoch %" PRIu64
         " -> %" PRIu64 ", data migrating while we read\n",
         (unsigned)id, Migration(db, "from_epoch"), Migration(db, "epoch"));
  ReadAll(db, "read #3", records);
  for (int polls = 0; Migration(db, NULL) && polls < 600; ++polls) {
    printf("  migrating: %" PRIu64 " moved lazily, %" PRIu64
           " by the mover, ~%" PRIu64 " left\n",
           Migration(db, "moved_lazy"), Migration(db, "moved_mover"),
           Migration(db, "remaining_estimate"));
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  if (Migration(db, NULL)) Die("the migration did not finish in 60 s");
  printf("cache: migration finished in %.2f s: %" PRIu64
         " items moved lazily by reads, %" PRIu64 " by the mover\n",
         Now() - start, Migration(db, "moved_lazy"),
         Migration(db, "moved_mover"));
}

/* Iterates [first, first+count) through bounds; returns the keys seen,
 * verifying order and values. */
static uint64_t ScanRange(cairn_db_t* db, uint64_t first, uint64_t count) {
  char* err = NULL;
  char lower[kKeySize + 1], upper[kKeySize + 1];
  char key[kKeySize + 1], expected[kValueSize];
  cairn_readoptions_t* ro = api->readoptions_create();
  cairn_iterator_t* it = NULL;
  MakeKey(first, lower);
  MakeKey(first + count, upper);
  Check(api->readoptions_set_lower_bound(ro, lower, kKeySize, &err), err,
        "cairn_readoptions_set_lower_bound");
  Check(api->readoptions_set_upper_bound(ro, upper, kKeySize, &err), err,
        "cairn_readoptions_set_upper_bound");
  api->readoptions_set_fill_cache(ro, 0);
  Check(api->iter_create(db, ro, &it, &err), err, "cairn_iter_create");
  uint64_t seen = 0;
  for (api->iter_seek_to_first(it); api->iter_valid(it); api->iter_next(it)) {
    size_t klen = 0, vlen = 0;
    const char* k = api->iter_key(it, &klen);
    const char* v = api->iter_value(it, &vlen);
    uint64_t i = first + seen;
    MakeKey(i, key);
    MakeValue(i, expected);
    if (klen != kKeySize || memcmp(k, key, kKeySize) != 0) {
      Die("scan: expected key %s, got '%.*s'", key, (int)klen, k);
    }
    if (vlen != kValueSize || memcmp(v, expected, kValueSize) != 0) {
      Die("scan: wrong value for %s", key);
    }
    ++seen;
  }
  Check(api->iter_status(it, &err), err, "cairn_iter_status");
  api->iter_destroy(it);
  api->readoptions_destroy(ro);
  return seen;
}

/* Deletes [first, first+count) in batches, then checks the keys are gone. */
static void DeleteRange(cairn_db_t* db, uint64_t records, uint64_t first,
                        uint64_t count, uint64_t batch_size) {
  char* err = NULL;
  char key[kKeySize + 1], detail[160];
  cairn_writebatch_t* batch = api->writebatch_create();
  double start = Now();
  for (uint64_t i = first; i < first + count; ++i) {
    MakeKey(i, key);
    Check(api->writebatch_delete(batch, key, kKeySize, &err), err,
          "cairn_writebatch_delete");
    if (api->writebatch_count(batch) == batch_size || i + 1 == first + count) {
      Check(api->write(db, NULL, batch, &err), err, "cairn_write");
      api->writebatch_clear(batch);
    }
  }
  double seconds = Now() - start;
  api->writebatch_destroy(batch);
  MakeKey(first, key);
  snprintf(detail, sizeof detail, "records %" PRIu64 "..%" PRIu64 " from %s",
           first, first + count - 1, key);
  Report("delete", count, seconds, detail);

  start = Now();
  for (uint64_t i = first; i < first + count; ++i) {
    char* value = NULL;
    size_t len = 0;
    MakeKey(i, key);
    cairn_status_t st = api->get(db, NULL, key, kKeySize, &value, &len, &err);
    if (st != CAIRN_NOT_FOUND) {
      if (st == CAIRN_OK) {
        api->free_fn(value);
        Die("cairn_get(%s): deleted key still readable", key);
      }
      Check(st, err, "cairn_get (deleted key)");
    }
    api->free_fn(err);
    err = NULL;
  }
  uint64_t left = ScanRange(db, first, count);
  if (left != 0) Die("scan over the deleted range saw %" PRIu64 " keys", left);
  /* The neighbours on both sides are untouched. */
  for (int side = 0; side < 2; ++side) {
    if (side == 0 && first == 0) continue;
    if (side == 1 && first + count >= records) continue;
    uint64_t i = side == 0 ? first - 1 : first + count;
    char* value = NULL;
    size_t len = 0;
    MakeKey(i, key);
    Check(api->get(db, NULL, key, kKeySize, &value, &len, &err), err,
          "cairn_get (neighbour of the deleted range)");
    api->free_fn(value);
  }
  seconds = Now() - start;
  Report("verify", count, seconds,
         "deleted keys: NOT_FOUND, bounded scan empty, neighbours intact");
}

int main(int argc, char** argv) {
  const char* positional[2] = {NULL, NULL};
  int npositional = 0;
  uint64_t records = 300000, batch_size = 1000;
  int destroy = 0;
  const char* env_records = getenv("CAIRN_DEMO_RECORDS");
  if (env_records != NULL && env_records[0] != '\0' &&
      !ParseCount(env_records, &records)) {
    Die("CAIRN_DEMO_RECORDS: expected a positive integer, got '%s'",
        env_records);
  }
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    uint64_t* target = NULL;
    const char* text = NULL;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      Usage(argv[0]);
      return 0;
    } else if (strcmp(arg, "--destroy") == 0) {
      destroy = 1;
      continue;
    } else if ((text = FlagValue(argc, argv, &i, "--records")) != NULL) {
      target = &records;
    } else if ((text = FlagValue(argc, argv, &i, "--batch")) != NULL) {
      target = &batch_size;
    } else if (arg[0] == '-' && arg[1] != '\0') {
      Usage(argv[0]);
      Die("unknown flag '%s'", arg);
    } else if (npositional < 2) {
      positional[npositional++] = arg;
      continue;
    } else {
      Usage(argv[0]);
      Die("unexpected argument '%s'", arg);
    }
    if (!ParseCount(text, target)) {
      Usage(argv[0]);
      Die("%s: expected a positive integer", arg);
    }
  }
  if (records >= kMaxRecords) {
    Die("--records: at most %" PRIu64 " (keys have 13 digits)",
        kMaxRecords - 1);
  }
  const char* lib = positional[0] != NULL ? positional[0] : DefaultLibrary();
  const char* dir = positional[1];
  if (dir == NULL) dir = getenv("CAIRN_DEMO_DB");
  if (dir == NULL || dir[0] == '\0') dir = "./demo-db";

  api = LoadApi(lib);
  printf("Cairn %s (ABI %u.%u) loaded from %s\n", api->version(),
         (unsigned)api->abi_major(), (unsigned)api->abi_minor, lib);
  cairn_db_t* db = OpenDb(dir);

  printf("%" PRIu64 " records: %d-byte keys, %d-byte values\n", records,
         kKeySize, kValueSize);
  int warm = CacheInstancesOpened(db, "warm");
  if (warm > 0) {
    printf("cache: %d instance(s) reattached warm from the previous run\n",
           warm);
  }
  /* A second run finds the records (the last run wrote the full set back):
   * skip the load so the first pass shows what a warm cache serves. */
  char last_key[kKeySize + 1];
  char* last_value = NULL;
  size_t last_len = 0;
  MakeKey(records - 1, last_key);
  if (api->get(db, NULL, last_key, kKeySize, &last_value, &last_len, NULL) ==
      CAIRN_OK) {
    api->free_fn(last_value);
    printf("found the records from a previous run: skipping the load\n");
  } else {
    Load(db, "load", 0, records, batch_size);
  }
  ReadAll(db, "read #1", records);
  ReadAll(db, "read #2", records);
  GrowCache(db, records);

  uint64_t scan_first = records / 4, scan_count = records / 2;
  double start = Now();
  uint64_t seen = ScanRange(db, scan_first, scan_count);
  double seconds = Now() - start;
  if (seen != scan_count) {
    Die("scan: saw %" PRIu64 " keys in the range, expected %" PRIu64, seen,
        scan_count);
  }
  char detail[160], lower[kKeySize + 1], upper[kKeySize + 1];
  MakeKey(scan_first, lower);
  MakeKey(scan_first + scan_count, upper);
  snprintf(detail, sizeof detail, "bounds [%s, %s): %" PRIu64 " keys, in order",
           lower, upper, seen);
  Report("scan", seen, seconds, detail);

  uint64_t delete_first = records / 10, delete_count = records / 10;
  if (delete_count == 0) delete_count = 1;
  DeleteRange(db, records, delete_first, delete_count, batch_size);

  Load(db, "restore", delete_first, delete_count, batch_size);

  char* err = NULL;
  char* stats = NULL;
  Check(api->property(db, "cairn.cache", &stats, &err), err,
        "cairn_property(cairn.cache)");
  printf("cairn.cache: %s\n", stats);
  api->free_fn(stats);
  Check(api->property(db, "cairn.stats", &stats, &err), err,
        "cairn_property(cairn.stats)");
  printf("cairn.stats: %s\n", stats);
  api->free_fn(stats);
  api->close(db);
  if (destroy) {
    Check(api->destroy(dir, &err), err, "cairn_destroy");
    printf("OK: database %s destroyed\n", dir);
  } else {
    printf("OK: database left in %s; run again to see the cache reattach "
           "warm\n", dir);
  }
  return 0;
}
