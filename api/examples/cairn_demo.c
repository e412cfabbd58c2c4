/*
 * cairn_demo: a small C host that uses Cairn the way a host database does.
 *
 * It dlopen()s libcairn.so (no link-time dependency), takes the function
 * table from cairn_get_api(CAIRN_ABI_MAJOR), opens an embedded database in
 * a local directory, and then, timing each phase:
 *   1. load: writes N records (16-byte keys, 100-byte values) in atomic
 *      write batches, on the first run only. The database is opened with
 *      cache.write_policy=invalidate, so loads do not fill the cache: the
 *      first run's first read shows a cold cache;
 *   2. read 1, read 2: reads every record back, verifying each value, with
 *      the cache hit ratio of each pass. On a second run, read 1 comes right
 *      after the open, before any write: its hits are the cache segments
 *      reattached warm from the first run;
 *   3. grow: (first run only, the layout persists) adds a fifth cache
 *      instance online and reads everything again while data migrates;
 *   4. scan: the middle half of the key space through iterator bounds;
 *   5. delete: a tenth of the records, checked gone (point reads, a bounded
 *      scan) with their neighbours intact;
 *   6. restore: writes them back and reads them, so the next run finds the
 *      full data set (and a warm cache).
 * It prints a table (phase, ops/s, hit ratio, what was verified) and the
 * counters, each labelled with what it counts since: this open
 * (cairn.stats) or the creation of the cache segments (cairn.cache, which
 * survive a warm restart). --json prints one JSON document instead.
 *
 * Usage: cairn_demo [--records N] [--batch N] [--json] [--destroy]
 *                   [LIBRARY [DB_DIR]]
 *   LIBRARY  path to libcairn.so (else $CAIRN_LIBRARY, or the deprecated
 *            $CAIRN_LIB, else the library this demo was built with, else
 *            "libcairn.so.1" from the loader path)
 *   DB_DIR   database directory (else $CAIRN_DEMO_DB, else ./demo-db);
 *            created if missing, reused if it exists
 *   --records N  number of records (else $CAIRN_DEMO_RECORDS, else 300000)
 *   --batch N    records per write batch (default 1000)
 *   --json       print the results as JSON (nothing else on stdout)
 *   --destroy    only remove the database (files and cache segments)
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

/* One line of the summary table. hit_ratio < 0: not a read phase. */
typedef struct {
  char phase[16];
  uint64_t ops;
  double seconds;
  double hit_ratio;
  char verified[200];
} Row;

static Row rows[16];
static int nrows;
static int json_output;

static void PrintRow(const Row* r) {
  double rate = r->seconds > 0 ? (double)r->ops / r->seconds : 0;
  char hits[16] = "-";
  if (r->hit_ratio >= 0)
    snprintf(hits, sizeof hits, "%.1f%%", 100 * r->hit_ratio);
  printf("%-8s %9" PRIu64 " %11.0f %10s  %s\n", r->phase, r->ops, rate, hits,
         r->verified);
  fflush(stdout);
}

static void Report(const char* phase, uint64_t ops, double seconds,
                   double hit_ratio, const char* fmt, ...) {
  if (nrows == (int)(sizeof rows / sizeof rows[0])) Die("too many phases");
  Row* r = &rows[nrows++];
  snprintf(r->phase, sizeof r->phase, "%s", phase);
  r->ops = ops;
  r->seconds = seconds;
  r->hit_ratio = hit_ratio;
  va_list args;
  va_start(args, fmt);
  vsnprintf(r->verified, sizeof r->verified, fmt, args);
  va_end(args);
  if (!json_output) PrintRow(r);
}

/* Prints `text` as a JSON string. */
static void JsonString(const char* text) {
  putchar('"');
  for (const unsigned char* p = (const unsigned char*)text; *p; ++p) {
    if (*p == '"' || *p == '\\') {
      printf("\\%c", *p);
    } else if (*p < 0x20) {
      printf("\\u%04x", *p);
    } else {
      putchar(*p);
    }
  }
  putchar('"');
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
          "usage: %s [--records N] [--batch N] [--json] [--destroy] "
          "[LIBRARY [DB_DIR]]\n"
          "  LIBRARY    libcairn.so to load (default $CAIRN_LIBRARY)\n"
          "  DB_DIR     database directory (default $CAIRN_DEMO_DB or "
          "./demo-db)\n"
          "  N          records (default $CAIRN_DEMO_RECORDS or 300000); "
          "batch size (default 1000)\n"
          "  --json     print the results as one JSON document\n"
          "  --destroy  only remove the database and its shared memory\n",
          argv0);
}

static const char* DefaultLibrary(void) {
  const char* env = getenv("CAIRN_LIBRARY");
  if (env != NULL && env[0] != '\0') return env;
  /* The demo's former name for it, still honoured (deprecated). */
  env = getenv("CAIRN_LIB");
  if (env != NULL && env[0] != '\0') {
    fprintf(stderr,
            "cairn_demo: $CAIRN_LIB is deprecated; use $CAIRN_LIBRARY\n");
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

/* Opens (creating if missing) with loads that do not fill the cache, so a
 * first run starts cold. Sets *created. */
static cairn_db_t* OpenDb(const char* dir, int* created) {
  char* err = NULL;
  cairn_db_t* db = NULL;
  cairn_options_t* options = api->options_create();
  Check(api->options_set(options, "cache.write_policy", "invalidate", &err),
        err, "cairn_options_set(cache.write_policy)");
  /* First without create_if_missing, to tell the user what we found. */
  cairn_status_t st = api->open(options, dir, &db, &err);
  *created = st == CAIRN_NOT_FOUND;
  if (*created) {
    api->free_fn(err);
    err = NULL;
    Check(api->options_set(options, "create_if_missing", "true", &err), err,
          "cairn_options_set(create_if_missing)");
    Check(api->open(options, dir, &db, &err), err, "cairn_open");
  } else {
    Check(st, err, "cairn_open");
  }
  api->options_destroy(options);
  return db;
}

/* The number after the first `"name":` in the cairn.stats property. */
static uint64_t StatsCounter(cairn_db_t* db, const char* name) {
  char* err = NULL;
  char* json = NULL;
  Check(api->property(db, "cairn.stats", &json, &err), err,
        "cairn_property(cairn.stats)");
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", name);
  const char* at = strstr(json, pattern);
  uint64_t value = at != NULL ? strtoull(at + strlen(pattern), NULL, 10) : 0;
  api->free_fn(json);
  return value;
}

/* Writes records [first, first+records) in batches; returns the batches. */
static uint64_t Load(cairn_db_t* db, uint64_t first, uint64_t records,
                     uint64_t batch_size) {
  char* err = NULL;
  char key[kKeySize + 1], value[kValueSize];
  cairn_writebatch_t* batch = api->writebatch_create();
  uint64_t batches = 0;
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
  api->writebatch_destroy(batch);
  return batches;
}

/* Reads [first, first+count), verifying every value; returns the cache hit
 * ratio of the pass. */
static double ReadRange(cairn_db_t* db, uint64_t first, uint64_t count) {
  char* err = NULL;
  char key[kKeySize + 1], expected[kValueSize];
  uint64_t hits0 = CacheTotal(db, "hits"), misses0 = CacheTotal(db, "misses");
  for (uint64_t i = first; i < first + count; ++i) {
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
  uint64_t hits = CacheTotal(db, "hits") - hits0;
  uint64_t misses = CacheTotal(db, "misses") - misses0;
  return hits + misses == 0 ? 0.0 : (double)hits / (double)(hits + misses);
}

static void ReadPhase(cairn_db_t* db, const char* phase, uint64_t records,
                      const char* note) {
  double start = Now();
  double ratio = ReadRange(db, 0, records);
  Report(phase, records, Now() - start, ratio, "every value%s", note);
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

/* Adds a cache instance online and reads everything while data migrates
 * to it. Once per database: the grown layout persists across runs. */
static void GrowCache(cairn_db_t* db, uint64_t records) {
  if (api->abi_minor < 1) return; /* a library without cache instances */
  if (CacheInstancesOpened(db, "") >= 5) return;
  char* err = NULL;
  uint32_t id = 0;
  double start = Now();
  Check(api->cache_add_instance(db, 16u << 20, &id, &err), err,
        "cairn_cache_add_instance");
  double ratio = ReadRange(db, 0, records);
  double seconds = Now() - start;
  /* The rest of the migration: bounded, like everything a demo waits for. */
  for (int polls = 0; Migration(db, NULL) && polls < 600; ++polls) {
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  if (Migration(db, NULL)) Die("the migration did not finish in 60 s");
  Report("grow", records, seconds, ratio,
         "every value, while %" PRIu64
         " items moved to a 5th instance "
         "(16 MiB, added online)",
         Migration(db, "moved_total"));
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
  char key[kKeySize + 1];
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
  Report("delete", count, seconds, -1,
         "deleted keys NOT_FOUND, scan of their range empty, neighbours "
         "intact");
}

static void PrintJson(cairn_db_t* db, const char* dir, int created, int warm,
                      int instances, uint64_t records) {
  char* err = NULL;
  char *stats = NULL, *cache = NULL;
  Check(api->property(db, "cairn.stats", &stats, &err), err,
        "cairn_property(cairn.stats)");
  Check(api->property(db, "cairn.cache", &cache, &err), err,
        "cairn_property(cairn.cache)");
  printf("{\"version\":");
  JsonString(api->version());
  printf(",\"abi\":\"%u.%u\",\"database\":", (unsigned)api->abi_major(),
         (unsigned)api->abi_minor);
  JsonString(dir);
  printf(",\"run\":\"%s\",\"records\":%" PRIu64
         ",\"cache_instances\":%d,\"cache_instances_warm\":%d,\n\"phases\":[",
         created ? "first" : "again", records, instances, warm);
  for (int i = 0; i < nrows; ++i) {
    const Row* r = &rows[i];
    printf("%s\n {\"phase\":\"%s\",\"ops\":%" PRIu64
           ",\"seconds\":%.6f,\"ops_per_sec\":%.0f,\"hit_ratio\":",
           i ? "," : "", r->phase, r->ops, r->seconds,
           r->seconds > 0 ? (double)r->ops / r->seconds : 0);
    if (r->hit_ratio >= 0) {
      printf("%.4f", r->hit_ratio);
    } else {
      printf("null");
    }
    printf(",\"verified\":");
    JsonString(r->verified);
    putchar('}');
  }
  /* Raw properties, named by what their counters count since. */
  printf("],\n\"stats_since_open\":%s,\n\"cache_since_segments_created\":%s}\n",
         stats, cache);
  api->free_fn(stats);
  api->free_fn(cache);
}

static void PrintCounters(cairn_db_t* db, const char* dir) {
  printf("\nCounters since this open (cairn.stats): %" PRIu64 " gets, %" PRIu64
         " writes in %" PRIu64 " batches.\n",
         StatsCounter(db, "gets"), StatsCounter(db, "batch_ops"),
         StatsCounter(db, "batches"));
  printf(
      "Cache counters since its segments were created (cairn.cache; kept "
      "across warm restarts): %" PRIu64 " hits, %" PRIu64 " misses, %" PRIu64
      " items.\n",
      CacheTotal(db, "hits"), CacheTotal(db, "misses"),
      CacheTotal(db, "items"));
  printf(
      "Data: %s and its cache segments /dev/shm/cairn-*. Run again to see "
      "the warm reattach; remove both with ./scripts/demo --destroy.\n",
      dir);
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
    } else if (strcmp(arg, "--json") == 0) {
      json_output = 1;
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
  char* err = NULL;
  if (destroy) {
    Check(api->destroy(dir, &err), err, "cairn_destroy");
    printf("removed %s and its shared-memory cache (if they existed)\n", dir);
    return 0;
  }
  int created = 0;
  cairn_db_t* db = OpenDb(dir, &created);
  int warm = CacheInstancesOpened(db, "warm");
  int instances = CacheInstancesOpened(db, "");
  if (!json_output) {
    printf("Cairn %s (ABI %u.%u), loaded from %s\n", api->version(),
           (unsigned)api->abi_major(), (unsigned)api->abi_minor, lib);
    if (created) {
      printf(
          "First run: created %s; the cache starts empty (loads do not "
          "fill it: cache.write_policy=invalidate).\n",
          dir);
    } else {
      printf(
          "Run again: reopened %s; %d of %d cache instances reattached "
          "warm, so read 1 (before any write) hits the cache.\n",
          dir, warm, instances);
    }
    printf("%" PRIu64 " records: %d-byte keys, %d-byte values\n\n", records,
           kKeySize, kValueSize);
    printf("%-8s %9s %11s %10s  %s\n", "phase", "ops", "ops/s", "cache hits",
           "verified");
  }
  /* A second run finds the records (the last run wrote the full set back):
   * no load, so the first pass shows what the reattached cache serves. */
  char last_key[kKeySize + 1];
  char* last_value = NULL;
  size_t last_len = 0;
  MakeKey(records - 1, last_key);
  if (api->get(db, NULL, last_key, kKeySize, &last_value, &last_len, NULL) ==
      CAIRN_OK) {
    api->free_fn(last_value);
  } else {
    double start = Now();
    uint64_t batches = Load(db, 0, records, batch_size);
    Report("load", records, Now() - start, -1,
           "%" PRIu64 " atomic batches of up to %" PRIu64, batches, batch_size);
  }
  ReadPhase(db, "read 1", records,
            created ? " (cold cache: misses read LevelDB and fill it)"
                    : " (right after open: the reattached cache)");
  ReadPhase(db, "read 2", records, "");
  GrowCache(db, records);

  uint64_t scan_first = records / 4, scan_count = records / 2;
  double start = Now();
  uint64_t seen = ScanRange(db, scan_first, scan_count);
  double seconds = Now() - start;
  if (seen != scan_count) {
    Die("scan: saw %" PRIu64 " keys in the range, expected %" PRIu64, seen,
        scan_count);
  }
  Report("scan", seen, seconds, -1,
         "every key and value of the bounded range, in order");

  uint64_t delete_first = records / 10, delete_count = records / 10;
  if (delete_count == 0) delete_count = 1;
  DeleteRange(db, records, delete_first, delete_count, batch_size);

  start = Now();
  Load(db, delete_first, delete_count, batch_size);
  double ratio = ReadRange(db, delete_first, delete_count);
  Report("restore", delete_count, Now() - start, ratio,
         "rewritten and read back (the writes dropped any cached copies), "
         "so the next run finds every record");

  if (json_output) {
    PrintJson(db, dir, created, warm, instances, records);
  } else {
    PrintCounters(db, dir);
  }
  api->close(db);
  return 0;
}
