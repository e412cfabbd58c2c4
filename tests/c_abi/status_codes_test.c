/* status_codes_test: each status says what the caller should do (harness.h).
 * An I/O failure is CAIRN_IO_ERROR, a held database CAIRN_BUSY, a call the
 * state forbids (a full ring, the last instance) CAIRN_INVALID_ARGUMENT, a
 * replication.* option the replication layer does not know
 * CAIRN_INVALID_ARGUMENT naming it, and a cache call with the cache off
 * CAIRN_NOT_SUPPORTED: codes chosen by meaning, not borrowed by number. */
#include "harness.h"

#include <fcntl.h>
#include <unistd.h>

static void TestStatusCodes(void) {
  StartPhase("status_codes");
  char* err = NULL;
  char path[PATH_MAX];

  /* A path under a regular file: the filesystem refuses it. */
  char file[PATH_MAX];
  MakePath(file, sizeof file, "a-file");
  int fd = open(file, O_CREAT | O_WRONLY, 0600);
  CheckCondition(fd >= 0);
  close(fd);
  CheckCondition(strlen(file) + 4 < sizeof path);
  memcpy(path, file, strlen(file));
  memcpy(path + strlen(file), "/db", 4);
  cairn_options_t* options = CreateOptions();
  cairn_db_t* db = NULL;
  CheckStatusMsg(CAIRN_IO_ERROR, api->open(options, path, &db, &err), &err,
                 path, NULL);
  CheckCondition(db == NULL);

  /* A second open of a held database: busy, naming the owner. */
  db = OpenNew("held", path, sizeof path);
  cairn_db_t* second = NULL;
  CheckStatusMsg(CAIRN_BUSY, api->open(options, path, &second, &err), &err,
                 "already open", NULL);
  api->close(db);

  /* The ring is full at 256 instances: the call is wrong, not the disk. */
  CheckOk(api->options_set(options, "cache.instances", "256", &err), &err);
  CheckOk(api->options_set(options, "cache.capacity_mb", "16", &err), &err);
  MakePath(path, sizeof path, "full-ring");
  CheckOk(api->open(options, path, &db, &err), &err);
  uint32_t id = 0;
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_add_instance(db, 1u << 20, &id, &err), &err,
                 "256 instances", NULL);
  api->close(db);

  /* The last instance cannot be removed. */
  CheckOk(api->options_set(options, "cache.instances", "1", &err), &err);
  CheckOk(api->options_set(options, "cache.capacity_mb", "1", &err), &err);
  MakePath(path, sizeof path, "one-instance");
  CheckOk(api->open(options, path, &db, &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cache_remove_instance(db, 0, &err), &err, "last", NULL);
  api->close(db);

  /* With the cache off, cache calls are not supported. */
  CheckOk(api->options_set(options, "cache.capacity_mb", "0", &err), &err);
  MakePath(path, sizeof path, "no-cache");
  CheckOk(api->open(options, path, &db, &err), &err);
  CheckStatus(CAIRN_NOT_SUPPORTED,
              api->cache_add_instance(db, 1u << 20, &id, &err), &err);
  api->close(db);

  /* replication.* names reach the replication layer's table. */
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "replication.peers", "x", &err),
                 &err, "replication.peers", NULL);
  api->options_destroy(options);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {{"status_codes", TestStatusCodes}};
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
