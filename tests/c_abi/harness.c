/*
 * The harness of the plain-C ABI tests, seen exactly as a host sees Cairn.
 *
 * Each test program dlopen()s the built libcairn.so (path in argv[1]), takes
 * the function table from cairn_get_api(CAIRN_ABI_MAJOR) and runs its phases
 * (or the one named by argv[2]: ctest runs each phase as its own entry, so
 * one failure never hides the next). The programs have no link-time
 * dependency on Cairn (only libdl; glibc carries pthreads), which also
 * proves the table alone is enough to use the library.
 *
 * Modelled on LevelDB's db/c_test.c: phases, and a check that stops the run
 * with file:line on the first failure. Every database lives in a fresh
 * mkdtemp() directory, removed on success and on failure.
 */
#include "harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <unistd.h>

const cairn_api_t* api;
const char* phase = "";
int checks;
char base_dir[PATH_MAX];

void StartPhase(const char* name) {
  fprintf(stderr, "=== Test %s\n", name);
  phase = name;
}

void CleanupBaseDir(void);

void Fail(const char* file, int line, const char* what) {
  fprintf(stderr, "%s:%d: %s: check failed: %s\n", file, line, phase, what);
  /* Clean up even on failure: databases, their shared-memory segments, and
   * the temporary directory. */
  CleanupBaseDir();
  exit(1);
}

/* Checks that `got` is `expected`. On CAIRN_OK the message must be untouched
 * (still NULL). On any other status a non-empty message must have been
 * written; it must contain `want1` and `want2` when they are not NULL. The
 * message is then freed with the table's free and *errp reset to NULL. */
void CheckStatusAt(const char* file, int line, cairn_status_t expected,
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

/* ---- Helpers ----------------------------------------------------------- */

char* Strdup(const char* s) {
  size_t n = strlen(s) + 1;
  char* copy = malloc(n);
  if (copy == NULL) abort();
  memcpy(copy, s, n);
  return copy;
}

/* A heap copy of `s` that the caller scribbles over and frees right after
 * handing it to Cairn, to prove Cairn keeps its own copy. */
void Scribble(char* s) {
  memset(s, 'X', strlen(s));
  free(s);
}

size_t Len(const char* s) { return s != NULL ? strlen(s) : 0; }

void CheckGetAt(const char* file, int line, cairn_db_t* db,
                const cairn_readoptions_t* ro, const char* key, size_t keylen,
                const char* expected, size_t expected_len) {
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
    snprintf(what, sizeof what,
             "value of '%.*s' is '%.*s' (%zu bytes), "
             "expected '%.*s' (%zu bytes)",
             (int)keylen, key, (int)valuelen, value, valuelen,
             (int)expected_len, expected, expected_len);
    Fail(file, line, what);
  }
  api->free_fn(value);
}

/* Checks that `key` reads as `expected` (NULL: not found). */

void Put(cairn_db_t* db, const char* key, const char* value) {
  char* err = NULL;
  CheckOk(api->put(db, NULL, key, strlen(key), value, strlen(value), &err),
          &err);
}

void Del(cairn_db_t* db, const char* key) {
  char* err = NULL;
  CheckOk(api->del(db, NULL, key, strlen(key), &err), &err);
}

/* Checks where an iterator stands: at `key` with `value` (value NULL: not
 * checked), or not valid when `key` is NULL. */
void CheckIterAt(const char* file, int line, cairn_iterator_t* it,
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

/* Walks the iterator from its current position with next (step > 0) or prev
 * and returns the keys it saw, joined by ',' (static buffer). */
const char* Walk(cairn_iterator_t* it, int step) {
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

void MakePath(char* out, size_t size, const char* name) {
  int n = snprintf(out, size, "%s/%s", base_dir, name);
  if (n < 0 || (size_t)n >= size) abort();
}

cairn_options_t* CreateOptions(void) {
  char* err = NULL;
  cairn_options_t* options = api->options_create();
  CheckCondition(options != NULL);
  CheckOk(api->options_set(options, "create_if_missing", "true", &err), &err);
  return options;
}

/* Opens (creating) the database `name` under the test's directory. */
cairn_db_t* OpenNew(const char* name, char* path, size_t path_size) {
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

void CleanupBaseDir(void) {
  if (base_dir[0] == '\0' || api == NULL) return;
  nftw(base_dir, DestroyDatabase, 16, FTW_PHYS);
  if (nftw(base_dir, RemoveEntry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
    fprintf(stderr, "c_abi_test: could not remove %s\n", base_dir);
  }
  base_dir[0] = '\0';
}

cairn_get_api_fn loaded_get_api;
void* loaded_lib;

int CountKeys(cairn_db_t* db) {
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

int RunPhases(int argc, char** argv, const Phase* phases, size_t count) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: %s PATH/TO/libcairn.so [PHASE]\n", argv[0]);
    return 2;
  }
  const char* only = argc == 3 ? argv[2] : NULL;
  int found = 0;
  for (size_t i = 0; i < count; ++i) {
    if (only == NULL || strcmp(only, phases[i].name) == 0) found = 1;
  }
  if (!found) {
    fprintf(stderr, "%s: no phase named '%s'\n", argv[0], only);
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
  loaded_get_api = get_api;
  loaded_lib = lib;
  api = get_api(CAIRN_ABI_MAJOR);
  CheckCondition(api != NULL);

  const char* tmp = getenv("TMPDIR");
  char pattern[PATH_MAX];
  snprintf(pattern, sizeof pattern, "%s/cairn_c_abi_XXXXXX",
           tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
  CheckCondition(mkdtemp(pattern) != NULL);
  /* Canonical, so messages that name a path can be matched against it. */
  CheckCondition(realpath(pattern, base_dir) != NULL);

  for (size_t i = 0; i < count; ++i) {
    if (only == NULL || strcmp(only, phases[i].name) == 0) phases[i].run();
  }

  CleanupBaseDir();
  /* No dlclose: LevelDB's background thread may outlive every database, so
   * unloading the library is never safe to rely on. */
  printf("%s: %d checks passed\n", argv[0], checks);
  return 0;
}

unsigned ListenPort(cairn_db_t* db) {
  char* err = NULL;
  char* json = NULL;
  CheckOk(api->property(db, "cairn.replication", &json, &err), &err);
  const char* at = strstr(json, "\"listen_port\":");
  CheckCondition(at != NULL);
  unsigned port = (unsigned)strtoul(at + strlen("\"listen_port\":"), NULL, 10);
  api->free_fn(json);
  CheckCondition(port > 0 && port < 65536);
  return port;
}
