/*
 * c_abi_test: a plain-C test of Cairn's stable ABI, seen exactly as a host
 * sees it.
 *
 * The program dlopen()s the built libcairn.so (path in argv[1]), takes the
 * function table from cairn_get_api(CAIRN_ABI_MAJOR) and drives every entry
 * of it, checking the contracts that cairn.h writes down: statuses and their
 * messages, ownership of returned buffers, copies of caller memory, limits,
 * iterators, snapshots, handles that outlive cairn_close(), ownership of a
 * database directory, and one handle shared by several threads. It has no
 * link-time dependency on Cairn (only libdl; glibc carries pthreads), so it
 * also proves that the table alone is enough to use the library.
 *
 * Modelled on LevelDB's db/c_test.c: phases, and a check that stops the run
 * with file:line on the first failure. Every database lives in a fresh
 * mkdtemp() directory, removed on success and kept (and printed) on failure.
 */
#define _XOPEN_SOURCE 700

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/cairn.h"

static const cairn_api_t* api;
static const char* phase = "";
static int checks;
static char base_dir[PATH_MAX];

static void StartPhase(const char* name) {
  fprintf(stderr, "=== Test %s\n", name);
  phase = name;
}

static void CleanupBaseDir(void);

static void Fail(const char* file, int line, const char* what) {
  fprintf(stderr, "%s:%d: %s: check failed: %s\n", file, line, phase, what);
  /* Clean up even on failure: databases, their shared-memory segments, and
   * the temporary directory. */
  CleanupBaseDir();
  exit(1);
}

#define CheckCondition(cond)                          \
  do {                                                \
    ++checks;                                         \
    if (!(cond)) Fail(__FILE__, __LINE__, #cond);     \
  } while (0)

/* Checks that `got` is `expected`. On CAIRN_OK the message must be untouched
 * (still NULL). On any other status a non-empty message must have been
 * written; it must contain `want1` and `want2` when they are not NULL. The
 * message is then freed with the table's free and *errp reset to NULL. */
static void CheckStatusAt(const char* file, int line, cairn_status_t expected,
                          cairn_status_t got, char** errp, const char* want1,
                          const char* want2) {
  char what[1024];
  ++checks;
  if (got != expected) {
    snprintf(what, sizeof what, "expected %s, got %s: %s",
             api->status_name(expected), api->status_name(got),
             *errp != NULL ? *errp : "(no message)");
    Fail(file, line, what);
  }
  if (expected == CAIRN_OK) {
    if (*errp != NULL) {
      snprintf(what, sizeof what, "CAIRN_OK but errmsg set to '%s'", *errp);
      Fail(file, line, what);
    }
    return;
  }
  if (*errp == NULL || (*errp)[0] == '\0') {
    snprintf(what, sizeof what, "%s without a message", api->status_name(got));
    Fail(file, line, what);
  }
  const char* wants[2] = {want1, want2};
  for (int i = 0; i < 2; ++i) {
    if (wants[i] != NULL && strstr(*errp, wants[i]) == NULL) {
      snprintf(what, sizeof what, "message '%s' does not mention '%s'", *errp,
               wants[i]);
      Fail(file, line, what);
    }
  }
  api->free_fn(*errp);
  *errp = NULL;
}

#define CheckStatus(expected, got, errp) \
  CheckStatusAt(__FILE__, __LINE__, (expected), (got), (errp), NULL, NULL)
#define CheckStatusMsg(expected, got, errp, want1, want2) \
  CheckStatusAt(__FILE__, __LINE__, (expected), (got), (errp), (want1), (want2))
#define CheckOk(got, errp) CheckStatus(CAIRN_OK, (got), (errp))

/* ---- Helpers ----------------------------------------------------------- */

static char* Strdup(const char* s) {
  size_t n = strlen(s) + 1;
  char* copy = malloc(n);
  if (copy == NULL) abort();
  memcpy(copy, s, n);
  return copy;
}

/* A heap copy of `s` that the caller scribbles over and frees right after
 * handing it to Cairn, to prove Cairn keeps its own copy. */
static void Scribble(char* s) {
  memset(s, 'X', strlen(s));
  free(s);
}

static size_t Len(const char* s) { return s != NULL ? strlen(s) : 0; }

static void CheckGetAt(const char* file, int line, cairn_db_t* db,
                       const cairn_readoptions_t* ro, const char* key,
                       size_t keylen, const char* expected,
                       size_t expected_len) {
  char* err = NULL;
  char* value = (char*)"sentinel";
  size_t valuelen = 12345;
  cairn_status_t st = api->get(db, ro, key, keylen, &value, &valuelen, &err);
  if (expected == NULL) {
    CheckStatusAt(file, line, CAIRN_NOT_FOUND, st, &err, NULL, NULL);
    ++checks;
    if (value != NULL || valuelen != 0) {
      Fail(file, line, "NOT_FOUND must leave *value NULL and *valuelen 0");
    }
    return;
  }
  CheckStatusAt(file, line, CAIRN_OK, st, &err, NULL, NULL);
  ++checks;
  if (value == NULL) Fail(file, line, "CAIRN_OK with a NULL value");
  if (valuelen != expected_len || memcmp(value, expected, valuelen) != 0) {
    char what[512];
    snprintf(what, sizeof what, "value of '%.*s' is '%.*s' (%zu bytes), "
             "expected '%.*s' (%zu bytes)", (int)keylen, key, (int)valuelen,
             value, valuelen, (int)expected_len, expected, expected_len);
    Fail(file, line, what);
  }
  api->free_fn(value);
}

/* Checks that `key` reads as `expected` (NULL: not found). */
#define CheckGet(db, ro, key, expected)                               \
  CheckGetAt(__FILE__, __LINE__, (db), (ro), (key), strlen(key),      \
             (expected), Len(expected))

static void Put(cairn_db_t* db, const char* key, const char* value) {
  char* err = NULL;
  CheckOk(api->put(db, NULL, key, strlen(key), value, strlen(value), &err),
          &err);
}

static void Del(cairn_db_t* db, const char* key) {
  char* err = NULL;
  CheckOk(api->del(db, NULL, key, strlen(key), &err), &err);
}

/* Checks where an iterator stands: at `key` with `value` (value NULL: not
 * checked), or not valid when `key` is NULL. */
static void CheckIterAt(const char* file, int line, cairn_iterator_t* it,
                        const char* key, const char* value) {
  char what[512];
  size_t klen = 999, vlen = 999;
  const char* k = api->iter_key(it, &klen);
  const char* v = api->iter_value(it, &vlen);
  ++checks;
  if (key == NULL) {
    if (api->iter_valid(it)) {
      snprintf(what, sizeof what, "iterator valid at '%.*s', expected invalid",
               (int)klen, k != NULL ? k : "");
      Fail(file, line, what);
    }
    if (k != NULL || klen != 0 || v != NULL || vlen != 0) {
      Fail(file, line, "invalid iterator must give NULL key/value, length 0");
    }
    return;
  }
  if (!api->iter_valid(it)) {
    snprintf(what, sizeof what, "iterator invalid, expected at '%s'", key);
    Fail(file, line, what);
  }
  if (k == NULL || klen != strlen(key) || memcmp(k, key, klen) != 0) {
    snprintf(what, sizeof what, "iterator at '%.*s', expected '%s'", (int)klen,
             k != NULL ? k : "(null)", key);
    Fail(file, line, what);
  }
  if (value != NULL &&
      (v == NULL || vlen != strlen(value) || memcmp(v, value, vlen) != 0)) {
    snprintf(what, sizeof what, "value at '%s' is '%.*s', expected '%s'", key,
             (int)vlen, v != NULL ? v : "(null)", value);
    Fail(file, line, what);
  }
}

#define CheckIter(it, key, value) \
  CheckIterAt(__FILE__, __LINE__, (it), (key), (value))

/* Walks the iterator from its current position with next (step > 0) or prev
 * and returns the keys it saw, joined by ',' (static buffer). */
static const char* Walk(cairn_iterator_t* it, int step) {
  static char out[4096];
  size_t used = 0;
  out[0] = '\0';
  for (; api->iter_valid(it);
       step > 0 ? api->iter_next(it) : api->iter_prev(it)) {
    size_t klen = 0;
    const char* k = api->iter_key(it, &klen);
    if (used + klen + 2 >= sizeof out) break;
    if (used > 0) out[used++] = ',';
    memcpy(out + used, k, klen);
    used += klen;
    out[used] = '\0';
  }
  return out;
}

#define CheckWalk(it, step, expected)                                   \
  do {                                                                  \
    const char* walked_ = Walk((it), (step));                           \
    ++checks;                                                           \
    if (strcmp(walked_, (expected)) != 0) {                             \
      char what_[8192];                                                 \
      snprintf(what_, sizeof what_, "walked '%s', expected '%s'",       \
               walked_, (expected));                                    \
      Fail(__FILE__, __LINE__, what_);                                  \
    }                                                                   \
  } while (0)

static void MakePath(char* out, size_t size, const char* name) {
  int n = snprintf(out, size, "%s/%s", base_dir, name);
  if (n < 0 || (size_t)n >= size) abort();
}

static cairn_options_t* CreateOptions(void) {
  char* err = NULL;
  cairn_options_t* options = api->options_create();
  CheckCondition(options != NULL);
  CheckOk(api->options_set(options, "create_if_missing", "true", &err), &err);
  return options;
}

/* Opens (creating) the database `name` under the test's directory. */
static cairn_db_t* OpenNew(const char* name, char* path, size_t path_size) {
  char* err = NULL;
  cairn_db_t* db = NULL;
  cairn_options_t* options = CreateOptions();
  MakePath(path, path_size, name);
  CheckOk(api->open(options, path, &db, &err), &err);
  CheckCondition(db != NULL);
  api->options_destroy(options);
  return db;
}

/* cairn_destroy each database found (by its CURRENT file): that also removes
 * its shared-memory cache segments, which live outside the directory. */
static int DestroyDatabase(const char* path, const struct stat* sb, int flag,
                           struct FTW* ftw) {
  (void)sb;
  (void)flag;
  if (strcmp(path + ftw->base, "CURRENT") == 0 && ftw->base > 0) {
    char dir[4096];
    size_t n = (size_t)ftw->base - 1;
    if (n < sizeof dir) {
      memcpy(dir, path, n);
      dir[n] = '\0';
      api->destroy(dir, NULL);
    }
  }
  return 0;
}

static int RemoveEntry(const char* path, const struct stat* sb, int flag,
                       struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void CleanupBaseDir(void) {
  if (base_dir[0] == '\0' || api == NULL) return;
  nftw(base_dir, DestroyDatabase, 16, FTW_PHYS);
  if (nftw(base_dir, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
    fprintf(stderr, "c_abi_test: could not remove %s\n", base_dir);
  }
  base_dir[0] = '\0';
}

/* ---- Phases ------------------------------------------------------------ */

static void TestApiTable(cairn_get_api_fn get_api, void* lib) {
  StartPhase("api_table");
  api = get_api(CAIRN_ABI_MAJOR);
  CheckCondition(api != NULL);
  CheckCondition(get_api(CAIRN_ABI_MAJOR) == api); /* one static table */
  CheckCondition(get_api(999) == NULL);
  CheckCondition(get_api(0) == NULL);
  CheckCondition(get_api(CAIRN_ABI_MAJOR + 1) == NULL);
  CheckCondition(get_api(UINT32_MAX) == NULL);

  /* A library may be newer than this header (more fields), never older. */
  CheckCondition(api->struct_size >= sizeof(cairn_api_t));
  const uint32_t header_minor = CAIRN_ABI_MINOR;
  CheckCondition(api->abi_minor >= header_minor);
  if (api->abi_minor == header_minor) {
    CheckCondition(api->struct_size == sizeof(cairn_api_t));
  }

#define CHECK_ENTRY(field, symbol)                   \
  do {                                               \
    CheckCondition(api->field != NULL);              \
    CheckCondition(dlsym(lib, #symbol) != NULL);     \
  } while (0)
  CHECK_ENTRY(status_name, cairn_status_name);
  CHECK_ENTRY(free_fn, cairn_free);
  CHECK_ENTRY(abi_major, cairn_abi_major);
  CHECK_ENTRY(abi_minor_fn, cairn_abi_minor);
  CHECK_ENTRY(version, cairn_version);
  CHECK_ENTRY(options_create, cairn_options_create);
  CHECK_ENTRY(options_destroy, cairn_options_destroy);
  CHECK_ENTRY(options_set, cairn_options_set);
  CHECK_ENTRY(options_get, cairn_options_get);
  CHECK_ENTRY(open, cairn_open);
  CHECK_ENTRY(close, cairn_close);
  CHECK_ENTRY(destroy, cairn_destroy);
  CHECK_ENTRY(readoptions_create, cairn_readoptions_create);
  CHECK_ENTRY(readoptions_destroy, cairn_readoptions_destroy);
  CHECK_ENTRY(readoptions_set_snapshot, cairn_readoptions_set_snapshot);
  CHECK_ENTRY(readoptions_set_lower_bound, cairn_readoptions_set_lower_bound);
  CHECK_ENTRY(readoptions_set_upper_bound, cairn_readoptions_set_upper_bound);
  CHECK_ENTRY(readoptions_set_verify_checksums,
              cairn_readoptions_set_verify_checksums);
  CHECK_ENTRY(readoptions_set_fill_cache, cairn_readoptions_set_fill_cache);
  CHECK_ENTRY(writeoptions_create, cairn_writeoptions_create);
  CHECK_ENTRY(writeoptions_destroy, cairn_writeoptions_destroy);
  CHECK_ENTRY(writeoptions_set_sync, cairn_writeoptions_set_sync);
  CHECK_ENTRY(put, cairn_put);
  CHECK_ENTRY(del, cairn_delete);
  CHECK_ENTRY(get, cairn_get);
  CHECK_ENTRY(writebatch_create, cairn_writebatch_create);
  CHECK_ENTRY(writebatch_destroy, cairn_writebatch_destroy);
  CHECK_ENTRY(writebatch_put, cairn_writebatch_put);
  CHECK_ENTRY(writebatch_delete, cairn_writebatch_delete);
  CHECK_ENTRY(writebatch_clear, cairn_writebatch_clear);
  CHECK_ENTRY(writebatch_count, cairn_writebatch_count);
  CHECK_ENTRY(write, cairn_write);
  CHECK_ENTRY(iter_create, cairn_iter_create);
  CHECK_ENTRY(iter_destroy, cairn_iter_destroy);
  CHECK_ENTRY(iter_seek_to_first, cairn_iter_seek_to_first);
  CHECK_ENTRY(iter_seek_to_last, cairn_iter_seek_to_last);
  CHECK_ENTRY(iter_seek, cairn_iter_seek);
  CHECK_ENTRY(iter_seek_for_prev, cairn_iter_seek_for_prev);
  CHECK_ENTRY(iter_next, cairn_iter_next);
  CHECK_ENTRY(iter_prev, cairn_iter_prev);
  CHECK_ENTRY(iter_valid, cairn_iter_valid);
  CHECK_ENTRY(iter_key, cairn_iter_key);
  CHECK_ENTRY(iter_value, cairn_iter_value);
  CHECK_ENTRY(iter_status, cairn_iter_status);
  CHECK_ENTRY(snapshot_create, cairn_snapshot_create);
  CHECK_ENTRY(snapshot_release, cairn_snapshot_release);
  CHECK_ENTRY(property, cairn_property);
  CHECK_ENTRY(cache_add_instance, cairn_cache_add_instance);
  CHECK_ENTRY(cache_remove_instance, cairn_cache_remove_instance);
  CHECK_ENTRY(cache_transfer, cairn_cache_transfer);
#undef CHECK_ENTRY
  CheckCondition(dlsym(lib, "cairn_get_api") != NULL);
}

static void TestLibrary(void) {
  static const char* const kNames[] = {
      "OK",          "NOT_FOUND", "INVALID_ARGUMENT", "IO_ERROR",
      "CORRUPTION",  "BUSY",      "UNAVAILABLE",      "TIMEOUT",
      "NOT_SUPPORTED", "INTERNAL"};
  StartPhase("library");
  for (int s = CAIRN_OK; s <= CAIRN_INTERNAL; ++s) {
    const char* name = api->status_name((cairn_status_t)s);
    CheckCondition(name != NULL && strcmp(name, kNames[s]) == 0);
  }
  CheckCondition(strcmp(api->status_name((cairn_status_t)10),
                        "UNKNOWN_STATUS") == 0);
  CheckCondition(strcmp(api->status_name((cairn_status_t)999),
                        "UNKNOWN_STATUS") == 0);
  CheckCondition(strcmp(api->status_name((cairn_status_t)-1),
                        "UNKNOWN_STATUS") == 0);

  CheckCondition(api->abi_major() == CAIRN_ABI_MAJOR);
  CheckCondition(api->abi_minor_fn() == api->abi_minor);

  const char* version = api->version();
  CheckCondition(version != NULL && version[0] != '\0');
  CheckCondition(api->version() == version); /* static */
  unsigned major, minor, patch;
  CheckCondition(sscanf(version, "%u.%u.%u", &major, &minor, &patch) == 3);
#ifdef CAIRN_EXPECTED_VERSION
  CheckCondition(strcmp(version, CAIRN_EXPECTED_VERSION) == 0);
#endif

  api->free_fn(NULL);
}

static void TestOptions(void) {
  char* err = NULL;
  char* value = NULL;
  StartPhase("options");
  cairn_options_t* options = api->options_create();
  CheckCondition(options != NULL);

  /* Defaults, in canonical form. */
  CheckOk(api->options_get(options, "create_if_missing", &value, &err), &err);
  CheckCondition(value != NULL && strcmp(value, "false") == 0);
  api->free_fn(value);
  value = NULL;

  /* Good values round-trip; name and value are copied. */
  char* name = Strdup("write_buffer_size");
  char* size = Strdup("8388608");
  CheckOk(api->options_set(options, name, size, &err), &err);
  Scribble(name);
  Scribble(size);
  CheckOk(api->options_get(options, "write_buffer_size", &value, &err), &err);
  CheckCondition(value != NULL && strcmp(value, "8388608") == 0);
  api->free_fn(value);
  value = NULL;

  CheckOk(api->options_set(options, "create_if_missing", "1", &err), &err);
  CheckOk(api->options_get(options, "create_if_missing", &value, &err), &err);
  CheckCondition(value != NULL && strcmp(value, "true") == 0);
  api->free_fn(value);
  value = NULL;

  /* An unknown name is named in the message. */
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "no_such_option", "1", &err), &err,
                 "no_such_option", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_get(options, "no_such_option", &value, &err),
                 &err, "no_such_option", NULL);
  CheckCondition(value == NULL);

  /* A bad value is named with its option, and changes nothing. */
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "write_buffer_size", "abc", &err),
                 &err, "write_buffer_size", "abc");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "write_buffer_size", "-1", &err),
                 &err, "write_buffer_size", "-1");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "write_buffer_size", "12abc", &err),
                 &err, "write_buffer_size", "12abc");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "write_buffer_size", "", &err),
                 &err, "write_buffer_size", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "create_if_missing", "maybe", &err),
                 &err, "create_if_missing", "maybe");
  CheckOk(api->options_get(options, "write_buffer_size", &value, &err), &err);
  CheckCondition(value != NULL && strcmp(value, "8388608") == 0);
  api->free_fn(value);
  value = NULL;

  /* NULL errmsg is accepted on success and on failure. */
  CheckCondition(api->options_set(options, "max_key_size", "1024", NULL) ==
                 CAIRN_OK);
  CheckCondition(api->options_set(options, "no_such_option", "1", NULL) ==
                 CAIRN_INVALID_ARGUMENT);
  CheckCondition(api->options_get(options, "max_key_size", &value, NULL) ==
                 CAIRN_OK);
  CheckCondition(value != NULL && strcmp(value, "1024") == 0);
  api->free_fn(value);
  value = NULL;

  /* NULL arguments. */
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_set(NULL, "create_if_missing", "true", &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_set(options, NULL, "true", &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_set(options, "create_if_missing", NULL, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_get(NULL, "create_if_missing", &value, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_get(options, NULL, &value, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_get(options, "create_if_missing", NULL, &err),
              &err);
  CheckCondition(value == NULL);

  api->options_destroy(options);
}

static void TestOpenMissing(void) {
  char* err = NULL;
  char path[PATH_MAX];
  static int not_a_db;
  cairn_db_t* db = (cairn_db_t*)&not_a_db;
  StartPhase("open_missing");
  MakePath(path, sizeof path, "missing");

  /* NULL options mean defaults, and create_if_missing defaults to false. */
  CheckStatusMsg(CAIRN_NOT_FOUND, api->open(NULL, path, &db, &err), &err, path,
                 NULL);
  CheckCondition(db == NULL);

  cairn_options_t* options = api->options_create();
  db = (cairn_db_t*)&not_a_db;
  CheckStatus(CAIRN_NOT_FOUND, api->open(options, path, &db, &err), &err);
  CheckCondition(db == NULL);
  CheckCondition(api->open(options, path, &db, NULL) == CAIRN_NOT_FOUND);
  CheckCondition(db == NULL);
  struct stat st;
  CheckCondition(stat(path, &st) != 0 && errno == ENOENT); /* no side effect */

  CheckStatus(CAIRN_INVALID_ARGUMENT, api->open(options, NULL, &db, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->open(options, path, NULL, &err),
              &err);
  api->options_destroy(options);
  api->close(NULL);
}

static void TestPointOperations(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("put_get_delete");
  cairn_db_t* db = OpenNew("point", path, sizeof path);

  Put(db, "k1", "v1");
  CheckGet(db, NULL, "k1", "v1");
  Put(db, "k1", "v2");
  CheckGet(db, NULL, "k1", "v2");
  CheckGet(db, NULL, "missing", NULL);

  /* Keys and values are byte strings: embedded NULs and high bytes. */
  static const char kBinKey[] = {'b', '\0', 'k', (char)0xff};
  static const char kBinValue[] = {'\0', '\x01', (char)0x80, '\0', 'z'};
  CheckOk(api->put(db, NULL, kBinKey, sizeof kBinKey, kBinValue,
                   sizeof kBinValue, &err),
          &err);
  CheckGetAt(__FILE__, __LINE__, db, NULL, kBinKey, sizeof kBinKey, kBinValue,
             sizeof kBinValue);
  CheckGetAt(__FILE__, __LINE__, db, NULL, kBinKey, 1, NULL, 0); /* "b" */

  /* An empty value is a value: non-NULL buffer, length 0. */
  CheckOk(api->put(db, NULL, "empty", 5, "", 0, &err), &err);
  {
    char* value = NULL;
    size_t len = 99;
    CheckOk(api->get(db, NULL, "empty", 5, &value, &len, &err), &err);
    CheckCondition(value != NULL);
    CheckCondition(len == 0);
    api->free_fn(value);
  }

  /* Keys and values are copied. */
  {
    char* key = Strdup("copied-key");
    char* value = Strdup("copied-value");
    CheckOk(api->put(db, NULL, key, strlen(key), value, strlen(value), &err),
            &err);
    Scribble(key);
    Scribble(value);
    CheckGet(db, NULL, "copied-key", "copied-value");
  }

  /* Delete, including a missing key, which is OK. */
  Del(db, "k1");
  CheckGet(db, NULL, "k1", NULL);
  Del(db, "never-written");
  CheckGet(db, NULL, "never-written", NULL);
  Put(db, "k1", "v3"); /* a deleted key can come back */
  CheckGet(db, NULL, "k1", "v3");

  /* Write and read options. */
  cairn_writeoptions_t* wo = api->writeoptions_create();
  CheckCondition(wo != NULL);
  api->writeoptions_set_sync(wo, 1);
  CheckOk(api->put(db, wo, "synced", 6, "yes", 3, &err), &err);
  CheckOk(api->del(db, wo, "k1", 2, &err), &err);
  api->writeoptions_set_sync(wo, 0);
  CheckOk(api->put(db, wo, "unsynced", 8, "yes", 3, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  CheckCondition(ro != NULL);
  api->readoptions_set_verify_checksums(ro, 1);
  api->readoptions_set_fill_cache(ro, 0);
  CheckGet(db, ro, "synced", "yes");
  CheckGet(db, ro, "unsynced", "yes");
  CheckGet(db, ro, "k1", NULL);
  api->readoptions_set_verify_checksums(ro, 0);
  api->readoptions_set_fill_cache(ro, 1);
  CheckGet(db, ro, "synced", "yes");

  /* NULL errmsg is accepted everywhere. */
  {
    char* value = NULL;
    size_t len = 0;
    CheckCondition(api->put(db, NULL, "nullerr", 7, "v", 1, NULL) == CAIRN_OK);
    CheckCondition(api->get(db, NULL, "nullerr", 7, &value, &len, NULL) ==
                   CAIRN_OK);
    CheckCondition(value != NULL && len == 1 && value[0] == 'v');
    api->free_fn(value);
    value = NULL;
    CheckCondition(api->del(db, NULL, "nullerr", 7, NULL) == CAIRN_OK);
    CheckCondition(api->get(db, NULL, "nullerr", 7, &value, &len, NULL) ==
                   CAIRN_NOT_FOUND);
    CheckCondition(value == NULL && len == 0);
    CheckCondition(api->put(NULL, NULL, "k", 1, "v", 1, NULL) ==
                   CAIRN_INVALID_ARGUMENT);
    CheckCondition(api->put(db, NULL, NULL, 1, "v", 1, NULL) ==
                   CAIRN_INVALID_ARGUMENT);
  }

  /* Bad arguments: NULL handle, NULL buffers with a length, empty key. */
  {
    char* value = (char*)"sentinel";
    size_t len = 7;
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(NULL, NULL, "k", 1, "v", 1, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(NULL, NULL, "k", 1, &err),
                &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(NULL, NULL, "k", 1, &value, &len, &err), &err);
    CheckCondition(value == NULL && len == 0);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, NULL, 3, "v", 1, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, "nullvalue", 9, NULL, 4, &err), &err);
    CheckGet(db, NULL, "nullvalue", NULL);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(db, NULL, NULL, 3, &err),
                &err);
    value = (char*)"sentinel";
    len = 7;
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(db, NULL, NULL, 3, &value, &len, &err), &err);
    CheckCondition(value == NULL && len == 0);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(db, NULL, "synced", 6, NULL, &len, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(db, NULL, "synced", 6, &value, NULL, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, "", 0, "v", 1, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(db, NULL, "", 0, &err), &err);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->put(db, NULL, NULL, 0, "v", 1, &err), &err);
  }

  /* On success *errmsg is untouched, whatever it held. */
  {
    char marker[] = "untouched";
    char* kept = marker;
    char* value = NULL;
    size_t len = 0;
    CheckCondition(api->put(db, NULL, "m", 1, "v", 1, &kept) == CAIRN_OK);
    CheckCondition(kept == marker);
    CheckCondition(api->get(db, NULL, "m", 1, &value, &len, &kept) ==
                   CAIRN_OK);
    CheckCondition(kept == marker);
    api->free_fn(value);
    CheckCondition(api->del(db, NULL, "m", 1, &kept) == CAIRN_OK);
    CheckCondition(kept == marker);
  }

  api->readoptions_destroy(ro);
  api->writeoptions_destroy(wo);
  api->close(db);
}

/* Counts the keys an iterator over the whole database shows. */
static int CountKeys(cairn_db_t* db) {
  char* err = NULL;
  cairn_iterator_t* it = NULL;
  int n = 0;
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  for (api->iter_seek_to_first(it); api->iter_valid(it); api->iter_next(it)) {
    ++n;
  }
  CheckOk(api->iter_status(it, &err), &err);
  api->iter_destroy(it);
  return n;
}

static void TestLimits(void) {
  char* err = NULL;
  char path[PATH_MAX];
  cairn_db_t* db = NULL;
  static const char k16[] = "0123456789abcdef";
  static const char k17[] = "0123456789abcdefg";
  StartPhase("limits");
  cairn_options_t* options = CreateOptions();
  CheckOk(api->options_set(options, "max_key_size", "16", &err), &err);
  CheckOk(api->options_set(options, "max_value_size", "8", &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "max_key_size", "-1", &err), &err,
                 "max_key_size", "-1");
  MakePath(path, sizeof path, "limits");
  CheckOk(api->open(options, path, &db, &err), &err);
  api->options_destroy(options); /* the database keeps its own copy */

  CheckOk(api->put(db, NULL, k16, 16, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->put(db, NULL, k17, 17, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->del(db, NULL, k17, 17, &err), &err);
  CheckOk(api->put(db, NULL, "v8", 2, "12345678", 8, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->put(db, NULL, "v9", 2, "123456789", 9, &err), &err);
  CheckGet(db, NULL, "v9", NULL);
  CheckCondition(CountKeys(db) == 2); /* nothing of the rejected puts */

  /* A batch is checked as a whole by cairn_write: nothing of it lands. */
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckOk(api->writebatch_put(batch, "ok", 2, "v", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, k16, 16, &err), &err);
  CheckOk(api->writebatch_put(batch, k17, 17, "v", 1, &err), &err);
  CheckCondition(api->writebatch_count(batch) == 3);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "ok", NULL);
  CheckGet(db, NULL, k16, "v");
  CheckCondition(CountKeys(db) == 2);
  api->writebatch_clear(batch);
  CheckOk(api->writebatch_put(batch, "big", 3, "123456789", 9, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, batch, &err), &err);
  CheckCondition(CountKeys(db) == 2);
  api->writebatch_destroy(batch);

  /* The effective options show the limits this database was opened with. */
  char* json = NULL;
  CheckOk(api->property(db, "cairn.options", &json, &err), &err);
  CheckCondition(json != NULL && strstr(json, "\"max_key_size\"") != NULL);
  CheckCondition(strstr(json, "\"max_key_size\":16") != NULL ||
                 strstr(json, "\"max_key_size\": 16") != NULL);
  api->free_fn(json);
  api->close(db);
}

static void TestWriteBatch(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("writebatch");
  cairn_db_t* db = OpenNew("batch", path, sizeof path);
  Put(db, "pre", "existing");

  CheckCondition(api->writebatch_count(NULL) == 0);
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckCondition(batch != NULL);
  CheckCondition(api->writebatch_count(batch) == 0);

  char* key = Strdup("a");
  char* value = Strdup("1");
  CheckOk(api->writebatch_put(batch, key, 1, value, 1, &err), &err);
  Scribble(key); /* the batch keeps copies */
  Scribble(value);
  CheckOk(api->writebatch_put(batch, "b", 1, "2", 1, &err), &err);
  CheckOk(api->writebatch_put(batch, "c", 1, "3", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, "b", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, "pre", 3, &err), &err);
  CheckOk(api->writebatch_put(batch, "x", 1, "first", 5, &err), &err);
  CheckOk(api->writebatch_put(batch, "x", 1, "second", 6, &err), &err);
  CheckOk(api->writebatch_put(batch, "e", 1, "", 0, &err), &err);
  CheckCondition(api->writebatch_count(batch) == 8);

  /* Nothing is visible before the write. */
  CheckGet(db, NULL, "a", NULL);
  CheckGet(db, NULL, "pre", "existing");

  CheckOk(api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "a", "1");
  CheckGet(db, NULL, "b", NULL); /* a later operation on a key wins */
  CheckGet(db, NULL, "c", "3");
  CheckGet(db, NULL, "x", "second");
  CheckGet(db, NULL, "e", "");
  CheckGet(db, NULL, "pre", NULL);

  /* The batch is unchanged by the write and can be applied again. */
  CheckCondition(api->writebatch_count(batch) == 8);
  Del(db, "a");
  Put(db, "pre", "again");
  cairn_writeoptions_t* wo = api->writeoptions_create();
  api->writeoptions_set_sync(wo, 1);
  CheckOk(api->write(db, wo, batch, &err), &err);
  api->writeoptions_destroy(wo);
  CheckGet(db, NULL, "a", "1");
  CheckGet(db, NULL, "pre", NULL);

  /* Clear empties it; an empty batch writes fine. */
  api->writebatch_clear(batch);
  CheckCondition(api->writebatch_count(batch) == 0);
  CheckOk(api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "a", "1");

  /* Reuse after clear. */
  CheckOk(api->writebatch_delete(batch, "a", 1, &err), &err);
  CheckOk(api->writebatch_put(batch, "d", 1, "4", 1, &err), &err);
  CheckCondition(api->writebatch_count(batch) == 2);
  CheckOk(api->write(db, NULL, batch, &err), &err);
  CheckGet(db, NULL, "a", NULL);
  CheckGet(db, NULL, "d", "4");

  /* An empty key in a batch is refused when added or when written; either
   * way none of the batch lands. */
  api->writebatch_clear(batch);
  CheckOk(api->writebatch_put(batch, "f", 1, "5", 1, &err), &err);
  cairn_status_t st = api->writebatch_put(batch, "", 0, "v", 1, &err);
  if (st == CAIRN_OK) {
    CheckCondition(err == NULL);
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, batch, &err),
                &err);
  } else {
    CheckStatus(CAIRN_INVALID_ARGUMENT, st, &err);
    CheckCondition(api->writebatch_count(batch) == 1);
  }
  CheckGet(db, NULL, "f", NULL);

  /* Bad arguments; a refused operation leaves the batch as it was. */
  api->writebatch_clear(batch);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put(NULL, "k", 1, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put(batch, NULL, 1, "v", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_put(batch, "k", 1, NULL, 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_delete(NULL, "k", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->writebatch_delete(batch, NULL, 1, &err), &err);
  CheckCondition(api->writebatch_put(batch, NULL, 1, "v", 1, NULL) ==
                 CAIRN_INVALID_ARGUMENT);
  CheckCondition(api->writebatch_count(batch) == 0);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(db, NULL, NULL, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->write(NULL, NULL, batch, &err),
              &err);
  CheckCondition(api->writebatch_put(batch, "g", 1, "6", 1, NULL) ==
                 CAIRN_OK);
  CheckCondition(api->write(db, NULL, batch, NULL) == CAIRN_OK);
  CheckGet(db, NULL, "g", "6");

  api->writebatch_destroy(batch);
  api->close(db);
}

static void TestIterators(void) {
  char* err = NULL;
  char path[PATH_MAX];
  char key[16], value[16];
  cairn_iterator_t* it = NULL;
  StartPhase("iterators");
  cairn_db_t* db = OpenNew("iter", path, sizeof path);

  /* Empty database. */
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  CheckIter(it, NULL, NULL); /* not positioned yet */
  api->iter_seek_to_first(it);
  CheckIter(it, NULL, NULL);
  api->iter_seek_to_last(it);
  CheckIter(it, NULL, NULL);
  CheckOk(api->iter_status(it, &err), &err);
  api->iter_destroy(it);

  for (int i = 0; i < 10; ++i) {
    snprintf(key, sizeof key, "k%d", i);
    snprintf(value, sizeof value, "v%d", i);
    Put(db, key, value);
  }
  Del(db, "k3");
  Del(db, "k7");
  Put(db, "k8", "v8-new");
  Put(db, "gone", "x"); /* before every key, then deleted */
  Del(db, "gone");
  Put(db, "zz", "x"); /* after every key, then deleted */
  Del(db, "zz");

  it = NULL;
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  CheckCondition(it != NULL);
  CheckIter(it, NULL, NULL);
  api->iter_next(it); /* does nothing on an invalid iterator */
  CheckIter(it, NULL, NULL);
  api->iter_prev(it);
  CheckIter(it, NULL, NULL);

  api->iter_seek_to_first(it);
  CheckIter(it, "k0", "v0");
  CheckWalk(it, +1, "k0,k1,k2,k4,k5,k6,k8,k9");
  CheckIter(it, NULL, NULL);
  api->iter_next(it);
  CheckIter(it, NULL, NULL);
  api->iter_seek_to_last(it);
  CheckIter(it, "k9", "v9");
  CheckWalk(it, -1, "k9,k8,k6,k5,k4,k2,k1,k0");

  api->iter_seek(it, "k3", 2);
  CheckIter(it, "k4", "v4");
  api->iter_prev(it);
  CheckIter(it, "k2", "v2");
  api->iter_next(it);
  CheckIter(it, "k4", "v4");
  api->iter_seek(it, "k8", 2);
  CheckIter(it, "k8", "v8-new");
  api->iter_seek(it, "a", 1);
  CheckIter(it, "k0", "v0");
  api->iter_seek(it, "k9x", 3);
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "zz", 2);
  CheckIter(it, NULL, NULL);

  api->iter_seek_for_prev(it, "k7", 2);
  CheckIter(it, "k6", "v6");
  api->iter_next(it);
  CheckIter(it, "k8", "v8-new");
  api->iter_seek_for_prev(it, "k5", 2);
  CheckIter(it, "k5", "v5");
  api->iter_seek_for_prev(it, "k35", 3);
  CheckIter(it, "k2", "v2");
  api->iter_seek_for_prev(it, "zzz", 3);
  CheckIter(it, "k9", "v9");
  api->iter_seek_for_prev(it, "k0", 2);
  CheckIter(it, "k0", "v0");
  api->iter_seek_for_prev(it, "gone", 4);
  CheckIter(it, NULL, NULL);
  CheckOk(api->iter_status(it, &err), &err);
  CheckCondition(api->iter_status(it, NULL) == CAIRN_OK);

  /* The iterator sees the database as of its creation. */
  Put(db, "k3", "v3-back");
  Del(db, "k0");
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "k0,k1,k2,k4,k5,k6,k8,k9");
  api->iter_destroy(it);

  /* Bounds [k2, k6): the bound buffers are freed right after being set. */
  cairn_readoptions_t* ro = api->readoptions_create();
  char* lower = Strdup("k2");
  char* upper = Strdup("k6");
  CheckOk(api->readoptions_set_lower_bound(ro, lower, 2, &err), &err);
  CheckOk(api->readoptions_set_upper_bound(ro, upper, 2, &err), &err);
  Scribble(lower);
  Scribble(upper);
  it = NULL;
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "k2", "v2");
  CheckWalk(it, +1, "k2,k3,k4,k5");
  api->iter_seek_to_last(it);
  CheckIter(it, "k5", "v5");
  CheckWalk(it, -1, "k5,k4,k3,k2");
  api->iter_seek(it, "a", 1); /* clamped to the lower bound */
  CheckIter(it, "k2", "v2");
  api->iter_seek(it, "k3", 2);
  CheckIter(it, "k3", "v3-back");
  api->iter_seek(it, "k6", 2);
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "k9", 2);
  CheckIter(it, NULL, NULL);
  api->iter_seek_for_prev(it, "zzz", 3); /* clamped to the upper bound */
  CheckIter(it, "k5", "v5");
  api->iter_seek_for_prev(it, "k6", 2);
  CheckIter(it, "k5", "v5");
  api->iter_seek_for_prev(it, "k2", 2);
  CheckIter(it, "k2", "v2");
  api->iter_seek_for_prev(it, "k1", 2);
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "k5", 2);
  api->iter_next(it); /* steps onto the upper bound: invalid */
  CheckIter(it, NULL, NULL);
  api->iter_seek(it, "k2", 2);
  api->iter_prev(it); /* steps below the lower bound: invalid */
  CheckIter(it, NULL, NULL);
  CheckOk(api->iter_status(it, &err), &err);
  api->iter_destroy(it);

  /* Only a lower bound, only an upper bound, then none (NULL, 0 clears). */
  CheckOk(api->readoptions_set_upper_bound(ro, NULL, 0, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "k2,k3,k4,k5,k6,k8,k9");
  api->iter_destroy(it);
  CheckOk(api->readoptions_set_lower_bound(ro, NULL, 0, &err), &err);
  CheckOk(api->readoptions_set_upper_bound(ro, "k4", 2, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_last(it);
  CheckWalk(it, -1, "k3,k2,k1");
  api->iter_destroy(it);
  CheckOk(api->readoptions_set_upper_bound(ro, NULL, 0, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "k1,k2,k3,k4,k5,k6,k8,k9");
  api->iter_destroy(it);

  /* An empty range [k5, k5) shows nothing. */
  CheckOk(api->readoptions_set_lower_bound(ro, "k5", 2, &err), &err);
  CheckOk(api->readoptions_set_upper_bound(ro, "k5", 2, &err), &err);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, NULL, NULL);
  api->iter_seek_to_last(it);
  CheckIter(it, NULL, NULL);
  api->iter_destroy(it);

  /* Bad arguments. */
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_lower_bound(ro, NULL, 2, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_upper_bound(ro, NULL, 2, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_lower_bound(NULL, "a", 1, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->readoptions_set_upper_bound(NULL, "a", 1, &err), &err);
  CheckCondition(api->readoptions_set_lower_bound(ro, NULL, 2, NULL) ==
                 CAIRN_INVALID_ARGUMENT);
  it = NULL;
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_create(NULL, ro, &it, &err),
              &err);
  CheckCondition(it == NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_create(db, ro, NULL, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_status(NULL, &err), &err);
  api->readoptions_destroy(ro);

  /* Borrowed key/value pointers stay valid until the iterator moves. */
  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  api->iter_seek(it, "k1", 2);
  size_t klen = 0, vlen = 0;
  const char* k = api->iter_key(it, &klen);
  const char* v = api->iter_value(it, &vlen);
  CheckCondition(klen == 2 && memcmp(k, "k1", 2) == 0);
  CheckCondition(vlen == 2 && memcmp(v, "v1", 2) == 0);
  CheckCondition(api->iter_key(it, &klen) != NULL && klen == 2);
  api->iter_destroy(it);

  api->close(db);
}

static void TestSnapshots(void) {
  char* err = NULL;
  char path[PATH_MAX];
  cairn_snapshot_t* snap = NULL;
  cairn_snapshot_t* snap2 = NULL;
  cairn_iterator_t* it = NULL;
  StartPhase("snapshots");
  cairn_db_t* db = OpenNew("snap", path, sizeof path);
  Put(db, "s1", "old");
  Put(db, "s3", "doomed");

  CheckOk(api->snapshot_create(db, &snap, &err), &err);
  CheckCondition(snap != NULL);
  Put(db, "s1", "new");
  Put(db, "s2", "later");
  Del(db, "s3");
  CheckOk(api->snapshot_create(db, &snap2, &err), &err);
  Put(db, "s4", "latest");

  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_snapshot(ro, snap);
  CheckGet(db, ro, "s1", "old");
  CheckGet(db, ro, "s2", NULL);
  CheckGet(db, ro, "s3", "doomed");
  CheckGet(db, ro, "s4", NULL);
  CheckGet(db, NULL, "s1", "new");
  CheckGet(db, NULL, "s2", "later");
  CheckGet(db, NULL, "s3", NULL);

  /* An iterator reads through the snapshot too, even if created later. */
  Put(db, "s5", "after-iter-snapshot");
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "s1", "old");
  CheckWalk(it, +1, "s1,s3");
  api->iter_destroy(it);

  api->readoptions_set_snapshot(ro, snap2);
  CheckGet(db, ro, "s1", "new");
  CheckGet(db, ro, "s3", NULL);
  CheckGet(db, ro, "s4", NULL);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_last(it);
  CheckWalk(it, -1, "s2,s1");
  api->iter_destroy(it);

  /* NULL clears the snapshot: reads see the latest state again. */
  api->readoptions_set_snapshot(ro, NULL);
  CheckGet(db, ro, "s4", "latest");
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckWalk(it, +1, "s1,s2,s4,s5");
  api->iter_destroy(it);

  /* A snapshot only reads the database it was taken on. */
  {
    char other_path[PATH_MAX];
    char* value = (char*)"sentinel";
    size_t len = 7;
    cairn_db_t* other = OpenNew("snap-other", other_path, sizeof other_path);
    Put(other, "s1", "other");
    api->readoptions_set_snapshot(ro, snap);
    CheckStatus(CAIRN_INVALID_ARGUMENT,
                api->get(other, ro, "s1", 2, &value, &len, &err), &err);
    CheckCondition(value == NULL && len == 0);
    it = NULL;
    CheckStatus(CAIRN_INVALID_ARGUMENT, api->iter_create(other, ro, &it, &err),
                &err);
    CheckCondition(it == NULL);
    api->close(other);
  }

  /* Releasing one snapshot leaves the other usable. */
  api->snapshot_release(snap2);
  api->readoptions_set_snapshot(ro, snap);
  CheckGet(db, ro, "s3", "doomed");
  api->snapshot_release(snap);
  api->snapshot_release(NULL);

  CheckStatus(CAIRN_INVALID_ARGUMENT, api->snapshot_create(NULL, &snap, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->snapshot_create(db, NULL, &err),
              &err);
  CheckCondition(api->snapshot_create(NULL, &snap, NULL) ==
                 CAIRN_INVALID_ARGUMENT);

  api->readoptions_destroy(ro);
  api->close(db);
}

/* A JSON object: '{' first, '}' last (after trailing whitespace). */
static int LooksLikeJsonObject(const char* s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ')) --n;
  return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

/* Cache instances (ABI 1.1): grow, transfer, shrink while the data stays
 * readable, and every bad request refused with its reason. */
static void TestCacheInstances(void) {
  char* err = NULL;
  char* value = NULL;
  char path[PATH_MAX];
  char key[32], val[32];
  uint32_t id = 12345;
  StartPhase("cache instances");
  cairn_db_t* db = OpenNew("cache_instances", path, sizeof path);
  for (int i = 0; i < 500; ++i) {
    snprintf(key, sizeof key, "ck%d", i);
    snprintf(val, sizeof val, "cv%d", i);
    Put(db, key, val);
  }
  CheckOk(api->cache_add_instance(db, 1 << 20, &id, &err), &err);
  CheckCondition(id == 4); /* the default cache has instances 0..3 */
  CheckOk(api->property(db, "cairn.migration", &value, &err), &err);
  CheckCondition(value != NULL && LooksLikeJsonObject(value));
  CheckCondition(strstr(value, "\"epoch\":2") != NULL);
  api->free_fn(value);
  value = NULL;
  CheckOk(api->cache_transfer(db, 0, id, &err), &err);
  CheckOk(api->cache_remove_instance(db, 1, &err), &err);
  for (int i = 0; i < 500; ++i) {
    snprintf(key, sizeof key, "ck%d", i);
    snprintf(val, sizeof val, "cv%d", i);
    CheckGet(db, NULL, key, val);
  }
  CheckOk(api->property(db, "cairn.cache", &value, &err), &err);
  CheckCondition(value != NULL && strstr(value, "\"share\"") != NULL);
  api->free_fn(value);
  value = NULL;

  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_add_instance(db, 0, &id, &err), &err,
                 "capacity", "out of range");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_add_instance(db, UINT64_MAX, &id, &err), &err,
                 "capacity", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->cache_add_instance(db, 1 << 20, NULL, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->cache_add_instance(NULL, 1 << 20, &id, &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_remove_instance(db, 77, &err), &err, "77",
                 "does not exist");
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->cache_remove_instance(NULL, 0, &err),
              &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cache_transfer(db, 2, 2, &err),
                 &err, "itself", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cache_transfer(db, 2, 77, &err),
                 &err, "77", NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->cache_transfer(NULL, 0, 2, &err),
              &err);
  CheckCondition(api->cache_transfer(db, 2, 2, NULL) == CAIRN_INVALID_ARGUMENT);
  api->close(db);

  cairn_options_t* opts = CreateOptions();
  CheckOk(api->options_set(opts, "cache.capacity_mb", "0", &err), &err);
  MakePath(path, sizeof path, "cache_off");
  cairn_db_t* off = NULL;
  CheckOk(api->open(opts, path, &off, &err), &err);
  api->options_destroy(opts);
  CheckStatusMsg(CAIRN_NOT_SUPPORTED,
                 api->cache_add_instance(off, 1 << 20, &id, &err), &err,
                 "disabled", NULL);
  CheckStatus(CAIRN_NOT_SUPPORTED, api->cache_remove_instance(off, 0, &err),
              &err);
  CheckStatus(CAIRN_NOT_SUPPORTED, api->cache_transfer(off, 0, 1, &err), &err);
  api->close(off);
}

static void TestProperties(void) {
  char* err = NULL;
  char* value = NULL;
  char path[PATH_MAX];
  StartPhase("properties");
  cairn_db_t* db = OpenNew("props", path, sizeof path);
  Put(db, "a", "1");

  CheckOk(api->property(db, "cairn.stats", &value, &err), &err);
  CheckCondition(value != NULL && LooksLikeJsonObject(value));
  api->free_fn(value);
  value = NULL;
  CheckOk(api->property(db, "cairn.options", &value, &err), &err);
  CheckCondition(value != NULL && LooksLikeJsonObject(value));
  CheckCondition(strstr(value, "\"create_if_missing\":true") != NULL ||
                 strstr(value, "\"create_if_missing\": true") != NULL);
  api->free_fn(value);
  value = NULL;
  CheckOk(api->property(db, "leveldb.stats", &value, &err), &err);
  CheckCondition(value != NULL && value[0] != '\0');
  api->free_fn(value);
  value = NULL;
  CheckCondition(api->property(db, "cairn.stats", &value, NULL) == CAIRN_OK);
  CheckCondition(value != NULL);
  api->free_fn(value);
  value = NULL;

  CheckStatusMsg(CAIRN_NOT_FOUND,
                 api->property(db, "cairn.no_such_property", &value, &err),
                 &err, "cairn.no_such_property", NULL);
  CheckCondition(value == NULL);
  CheckStatus(CAIRN_NOT_FOUND,
              api->property(db, "leveldb.no_such_property", &value, &err),
              &err);
  CheckStatus(CAIRN_NOT_FOUND, api->property(db, "", &value, &err), &err);
  CheckCondition(api->property(db, "nope", &value, NULL) == CAIRN_NOT_FOUND);
  CheckCondition(value == NULL);

  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->property(NULL, "cairn.stats", &value, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->property(db, NULL, &value, &err),
              &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->property(db, "cairn.stats", NULL, &err), &err);
  api->close(db);
}

static void TestCloseWithOpenHandles(void) {
  char* err = NULL;
  char path[PATH_MAX];
  cairn_iterator_t* it = NULL;
  cairn_iterator_t* snap_it = NULL;
  cairn_snapshot_t* snap = NULL;
  StartPhase("close_with_open_handles");
  cairn_db_t* db = OpenNew("close", path, sizeof path);
  Put(db, "a", "1");
  Put(db, "b", "2");

  CheckOk(api->iter_create(db, NULL, &it, &err), &err);
  api->iter_seek_to_first(it);
  CheckIter(it, "a", "1");
  CheckOk(api->snapshot_create(db, &snap, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_snapshot(ro, snap);
  CheckOk(api->iter_create(db, ro, &snap_it, &err), &err);
  api->iter_seek_to_last(snap_it);
  CheckIter(snap_it, "b", "2");

  api->close(db);

  /* Both iterators report UNAVAILABLE and move nowhere; nothing crashes. */
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(it, &err), &err);
  CheckCondition(api->iter_status(it, NULL) == CAIRN_UNAVAILABLE);
  api->iter_seek_to_first(it);
  api->iter_next(it);
  api->iter_prev(it);
  api->iter_seek_to_last(it);
  api->iter_seek(it, "a", 1);
  api->iter_seek_for_prev(it, "b", 1);
  CheckIter(it, NULL, NULL);
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(it, &err), &err);
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(snap_it, &err), &err);
  api->iter_next(snap_it);
  CheckIter(snap_it, NULL, NULL);

  /* The lock was released: the directory opens again, and the old handles
   * stay dead rather than reaching into the new database. */
  cairn_db_t* db2 = NULL;
  CheckOk(api->open(NULL, path, &db2, &err), &err);
  CheckGet(db2, NULL, "a", "1");
  api->iter_seek_to_first(it);
  CheckIter(it, NULL, NULL);
  CheckStatus(CAIRN_UNAVAILABLE, api->iter_status(it, &err), &err);

  /* Reads through the dead snapshot fail rather than show newer data.
   * UNAVAILABLE (the snapshot was invalidated) and INVALID_ARGUMENT (it
   * belongs to the closed handle, not the reopened one) are both fair; the
   * message must still be there. */
  {
    char* value = (char*)"sentinel";
    size_t len = 7;
    cairn_iterator_t* dead_it = NULL;
    Put(db2, "a", "newer");
    cairn_status_t st = api->get(db2, ro, "a", 1, &value, &len, &err);
    CheckCondition(st == CAIRN_UNAVAILABLE || st == CAIRN_INVALID_ARGUMENT);
    CheckStatus(st, st, &err);
    CheckCondition(value == NULL && len == 0);
    st = api->iter_create(db2, ro, &dead_it, &err);
    CheckCondition(st == CAIRN_UNAVAILABLE || st == CAIRN_INVALID_ARGUMENT);
    CheckStatus(st, st, &err);
    CheckCondition(dead_it == NULL);
  }

  api->iter_destroy(it);
  api->iter_destroy(snap_it);
  api->snapshot_release(snap);
  api->readoptions_destroy(ro);
  CheckGet(db2, NULL, "a", "newer");
  CheckGet(db2, NULL, "b", "2");
  api->close(db2);
}

static void TestOwnership(void) {
  char* err = NULL;
  char path[PATH_MAX];
  char pid[32];
  static int not_a_db;
  cairn_db_t* db2 = NULL;
  StartPhase("ownership");
  cairn_db_t* db = OpenNew("owned", path, sizeof path);
  Put(db, "k", "v");

  /* error_if_exists on an existing database. */
  cairn_options_t* options = CreateOptions();
  CheckOk(api->options_set(options, "error_if_exists", "true", &err), &err);
  api->close(db);
  db2 = (cairn_db_t*)&not_a_db;
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->open(options, path, &db2, &err),
              &err);
  CheckCondition(db2 == NULL);
  api->options_destroy(options);

  /* A second open in the same process is BUSY and names our pid. */
  CheckOk(api->open(NULL, path, &db, &err), &err);
  snprintf(pid, sizeof pid, "%ld", (long)getpid());
  db2 = (cairn_db_t*)&not_a_db;
  CheckStatusMsg(CAIRN_BUSY, api->open(NULL, path, &db2, &err), &err, pid,
                 NULL);
  CheckCondition(db2 == NULL);
  options = CreateOptions();
  CheckStatusMsg(CAIRN_BUSY, api->open(options, path, &db2, &err), &err, pid,
                 NULL);
  CheckCondition(db2 == NULL);
  api->options_destroy(options);
  CheckGet(db, NULL, "k", "v"); /* the owner is unaffected */
  Put(db, "k2", "v2");

  /* Destroy refuses an open database. */
  CheckStatusMsg(CAIRN_BUSY, api->destroy(path, &err), &err, pid, NULL);
  CheckCondition(api->destroy(path, NULL) == CAIRN_BUSY);
  CheckGet(db, NULL, "k2", "v2");
  api->close(db);

  /* Destroy removes it; open without create_if_missing then finds nothing. */
  CheckOk(api->destroy(path, &err), &err);
  struct stat st;
  CheckCondition(stat(path, &st) != 0 && errno == ENOENT);
  db = (cairn_db_t*)&not_a_db;
  CheckStatus(CAIRN_NOT_FOUND, api->open(NULL, path, &db, &err), &err);
  CheckCondition(db == NULL);
  CheckStatus(CAIRN_INVALID_ARGUMENT, api->destroy(NULL, &err), &err);

  /* A database created again at the same path starts empty. */
  db = OpenNew("owned", path, sizeof path);
  CheckGet(db, NULL, "k", NULL);
  api->close(db);
  CheckCondition(api->destroy(path, NULL) == CAIRN_OK);
}

/* ---- Threads ----------------------------------------------------------- */

/* One database handle and one snapshot shared by several threads; each
 * thread has its own batch, options and iterators, as cairn.h requires. */
enum { kThreads = 4, kKeysPerThread = 200, kSharedKeys = 50 };

typedef struct {
  cairn_db_t* db;
  const cairn_readoptions_t* snapshot_ro; /* shared, read-only */
  int id;
  int checks;
  char failure[512];
} Worker;

#define WorkerCheck(w, cond)                                          \
  do {                                                                \
    ++(w)->checks;                                                    \
    if (!(cond) && (w)->failure[0] == '\0') {                         \
      snprintf((w)->failure, sizeof (w)->failure, "%s:%d: thread %d: " \
               "%s", __FILE__, __LINE__, (w)->id, #cond);             \
    }                                                                 \
  } while (0)

/* Records the first unexpected status of a worker, freeing its message. */
static int WorkerStatus(Worker* w, int line, cairn_status_t expected,
                        cairn_status_t got, char** err) {
  ++w->checks;
  if (got != expected && w->failure[0] == '\0') {
    snprintf(w->failure, sizeof w->failure,
             "%s:%d: thread %d: expected %s, got %s: %s", __FILE__, line,
             w->id, api->status_name(expected), api->status_name(got),
             *err != NULL ? *err : "(no message)");
  }
  api->free_fn(*err);
  *err = NULL;
  return got == expected;
}

static void* RunWorker(void* arg) {
  Worker* w = arg;
  char* err = NULL;
  char key[32], value[32], prefix[16];
  snprintf(prefix, sizeof prefix, "t%d-", w->id);
  cairn_writebatch_t* batch = api->writebatch_create();
  for (int i = 0; i < kKeysPerThread; ++i) {
    snprintf(key, sizeof key, "t%d-%04d", w->id, i);
    snprintf(value, sizeof value, "v%d-%d", w->id, i);
    if (i % 2 == 0) {
      WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->put(w->db, NULL, key, strlen(key), value,
                            strlen(value), &err),
                   &err);
    } else {
      WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->writebatch_put(batch, key, strlen(key), value,
                                       strlen(value), &err),
                   &err);
    }
    if (i % 20 == 19) {
      WorkerStatus(w, __LINE__, CAIRN_OK, api->write(w->db, NULL, batch, &err),
                   &err);
      api->writebatch_clear(batch);
    }
    /* Everyone overwrites the shared keys; the snapshot must not see it. */
    snprintf(key, sizeof key, "shared-%03d", i % kSharedKeys);
    WorkerStatus(w, __LINE__, CAIRN_OK,
                 api->put(w->db, NULL, key, strlen(key), value, strlen(value),
                          &err),
                 &err);
    char* got = NULL;
    size_t len = 0;
    if (WorkerStatus(w, __LINE__, CAIRN_OK,
                     api->get(w->db, w->snapshot_ro, key, strlen(key), &got,
                              &len, &err),
                     &err)) {
      WorkerCheck(w, len == 4 && memcmp(got, "base", 4) == 0);
    }
    api->free_fn(got);
  }
  api->writebatch_destroy(batch);

  /* Own keys read back; delete every third one. */
  for (int i = 0; i < kKeysPerThread; ++i) {
    char* got = NULL;
    size_t len = 0;
    snprintf(key, sizeof key, "t%d-%04d", w->id, i);
    snprintf(value, sizeof value, "v%d-%d", w->id, i);
    if (WorkerStatus(w, __LINE__, CAIRN_OK,
                     api->get(w->db, NULL, key, strlen(key), &got, &len, &err),
                     &err)) {
      WorkerCheck(w, len == strlen(value) && memcmp(got, value, len) == 0);
    }
    api->free_fn(got);
    if (i % 3 == 0) {
      WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->del(w->db, NULL, key, strlen(key), &err), &err);
    }
  }

  /* A bounded scan of this thread's prefix sees exactly its live keys. */
  cairn_readoptions_t* ro = api->readoptions_create();
  char upper[16];
  snprintf(upper, sizeof upper, "t%d.", w->id); /* '.' follows '-' */
  WorkerStatus(w, __LINE__, CAIRN_OK,
               api->readoptions_set_lower_bound(ro, prefix, strlen(prefix),
                                                &err),
               &err);
  WorkerStatus(w, __LINE__, CAIRN_OK,
               api->readoptions_set_upper_bound(ro, upper, strlen(upper),
                                                &err),
               &err);
  cairn_iterator_t* it = NULL;
  if (WorkerStatus(w, __LINE__, CAIRN_OK,
                   api->iter_create(w->db, ro, &it, &err), &err)) {
    int n = 0, expected = 0;
    for (api->iter_seek_to_first(it); api->iter_valid(it);
         api->iter_next(it)) {
      while (expected % 3 == 0) ++expected;
      size_t klen = 0;
      const char* k = api->iter_key(it, &klen);
      snprintf(key, sizeof key, "t%d-%04d", w->id, expected);
      WorkerCheck(w, klen == strlen(key) && memcmp(k, key, klen) == 0);
      ++expected;
      ++n;
    }
    WorkerCheck(w, n == kKeysPerThread - (kKeysPerThread + 2) / 3);
    WorkerStatus(w, __LINE__, CAIRN_OK, api->iter_status(it, &err), &err);
    api->iter_destroy(it);
  }
  api->readoptions_destroy(ro);
  return NULL;
}

static void TestThreads(void) {
  char* err = NULL;
  char path[PATH_MAX], key[32];
  cairn_snapshot_t* snap = NULL;
  StartPhase("threads");
  cairn_db_t* db = OpenNew("threads", path, sizeof path);
  for (int i = 0; i < kSharedKeys; ++i) {
    snprintf(key, sizeof key, "shared-%03d", i);
    Put(db, key, "base");
  }
  CheckOk(api->snapshot_create(db, &snap, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_snapshot(ro, snap);

  Worker workers[kThreads];
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    memset(&workers[t], 0, sizeof workers[t]);
    workers[t].db = db;
    workers[t].snapshot_ro = ro;
    workers[t].id = t;
    CheckCondition(pthread_create(&threads[t], NULL, RunWorker,
                                  &workers[t]) == 0);
  }
  for (int t = 0; t < kThreads; ++t) {
    CheckCondition(pthread_join(threads[t], NULL) == 0);
  }
  for (int t = 0; t < kThreads; ++t) {
    checks += workers[t].checks;
    if (workers[t].failure[0] != '\0') {
      fprintf(stderr, "%s\n", workers[t].failure);
      Fail(__FILE__, __LINE__, "a worker thread failed (above)");
    }
  }
  CheckCondition(CountKeys(db) ==
                 kSharedKeys +
                     kThreads * (kKeysPerThread - (kKeysPerThread + 2) / 3));
  api->readoptions_destroy(ro);
  api->snapshot_release(snap);
  api->close(db);
}

/* ---- Main -------------------------------------------------------------- */

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s PATH/TO/libcairn.so\n", argv[0]);
    return 2;
  }
  StartPhase("dlopen");
  void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (lib == NULL) {
    fprintf(stderr, "%s:%d: dlopen: %s\n", __FILE__, __LINE__, dlerror());
    return 1;
  }
  void* sym = dlsym(lib, "cairn_get_api");
  CheckCondition(sym != NULL);
  cairn_get_api_fn get_api;
  /* POSIX guarantees the object/function pointer round trip dlsym needs. */
  _Static_assert(sizeof sym == sizeof get_api, "dlsym pointer size");
  memcpy(&get_api, &sym, sizeof get_api);

  const char* tmp = getenv("TMPDIR");
  char pattern[PATH_MAX];
  snprintf(pattern, sizeof pattern, "%s/cairn_c_abi_XXXXXX",
           tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
  CheckCondition(mkdtemp(pattern) != NULL);
  /* Canonical, so messages that name a path can be matched against it. */
  CheckCondition(realpath(pattern, base_dir) != NULL);

  TestApiTable(get_api, lib);
  TestLibrary();
  TestOptions();
  TestOpenMissing();
  TestPointOperations();
  TestLimits();
  TestWriteBatch();
  TestIterators();
  TestSnapshots();
  TestProperties();
  TestCacheInstances();
  TestThreads();
  TestCloseWithOpenHandles();
  TestOwnership();

  CleanupBaseDir();
  /* No dlclose: LevelDB's background thread may outlive every database, so
   * unloading the library is never safe to rely on. */
  printf("c_abi_test: %d checks passed\n", checks);
  return 0;
}
