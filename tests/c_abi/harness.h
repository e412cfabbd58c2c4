/*
 * The harness of the plain-C ABI tests (see harness.c): the loaded function
 * table, phases, checks that stop a phase with file:line on the first
 * failure, and helpers shared by the phase files.
 */
#ifndef CAIRN_TESTS_C_ABI_HARNESS_H_
#define CAIRN_TESTS_C_ABI_HARNESS_H_

#define _XOPEN_SOURCE 700

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cairn/cairn.h"

extern const cairn_api_t* api;
extern int checks;
extern char base_dir[PATH_MAX];
/* What main() loaded: the entry point and the library handle. */
extern cairn_get_api_fn loaded_get_api;
extern void* loaded_lib;

void StartPhase(const char* name);
void Fail(const char* file, int line, const char* what);
void CheckStatusAt(const char* file, int line, cairn_status_t expected,
                   cairn_status_t got, char** errp, const char* want1,
                   const char* want2);
char* Strdup(const char* s);
void Scribble(char* s);
size_t Len(const char* s);
void CheckGetAt(const char* file, int line, cairn_db_t* db,
                const cairn_readoptions_t* ro, const char* key, size_t keylen,
                const char* expected, size_t expected_len);
void Put(cairn_db_t* db, const char* key, const char* value);
void Del(cairn_db_t* db, const char* key);
void CheckIterAt(const char* file, int line, cairn_iterator_t* it,
                 const char* key, const char* value);
const char* Walk(cairn_iterator_t* it, int step);
void MakePath(char* out, size_t size, const char* name);
cairn_options_t* CreateOptions(void);
cairn_db_t* OpenNew(const char* name, char* path, size_t path_size);
void CleanupBaseDir(void);
int CountKeys(cairn_db_t* db);
/* The "listen_port" of a replicating node's "cairn.replication" property. */
unsigned ListenPort(cairn_db_t* db);

#define CheckCondition(cond)                      \
  do {                                            \
    ++checks;                                     \
    if (!(cond)) Fail(__FILE__, __LINE__, #cond); \
  } while (0)

#define CheckStatus(expected, got, errp) \
  CheckStatusAt(__FILE__, __LINE__, (expected), (got), (errp), NULL, NULL)

#define CheckStatusMsg(expected, got, errp, want1, want2) \
  CheckStatusAt(__FILE__, __LINE__, (expected), (got), (errp), (want1), (want2))

#define CheckOk(got, errp) CheckStatus(CAIRN_OK, (got), (errp))

#define CheckGet(db, ro, key, expected)                                      \
  CheckGetAt(__FILE__, __LINE__, (db), (ro), (key), strlen(key), (expected), \
             Len(expected))

#define CheckIter(it, key, value) \
  CheckIterAt(__FILE__, __LINE__, (it), (key), (value))

#define CheckWalk(it, step, expected)                                      \
  do {                                                                     \
    const char* walked_ = Walk((it), (step));                              \
    ++checks;                                                              \
    if (strcmp(walked_, (expected)) != 0) {                                \
      char what_[8192];                                                    \
      snprintf(what_, sizeof what_, "walked '%s', expected '%s'", walked_, \
               (expected));                                                \
      Fail(__FILE__, __LINE__, what_);                                     \
    }                                                                      \
  } while (0)

/* One phase of a test program: a name (the ctest entry is
 * c_abi.<program>.<name>) and its body. */
typedef struct {
  const char* name;
  void (*run)(void);
} Phase;

/* Loads the library named by argv[1], makes the temporary directory, runs
 * the phase named by argv[2] (every phase when absent), cleans up. */
int RunPhases(int argc, char** argv, const Phase* phases, size_t count);

#endif /* CAIRN_TESTS_C_ABI_HARNESS_H_ */
