/* replication_test: the ABI 1.3 replication calls (harness.h) — the table,
 * argument checks and a database without replication, replication options
 * through cairn_options_set, and two databases in this process replicating
 * to each other over loopback. */
#define _DEFAULT_SOURCE /* nanosleep, clock_gettime under _XOPEN_SOURCE */
#include <dlfcn.h>
#include <time.h>

#include "harness.h"

static void TestTable(void) {
  StartPhase("api_table_1_3");
  CheckCondition(api->abi_minor >= 3);
  CheckCondition((void*)api->writeoptions_set_replication_mode ==
                 dlsym(loaded_lib, "cairn_writeoptions_set_replication_mode"));
  CheckCondition((void*)api->writeoptions_set_sync_acks ==
                 dlsym(loaded_lib, "cairn_writeoptions_set_sync_acks"));
  CheckCondition((void*)api->peer_add == dlsym(loaded_lib, "cairn_peer_add"));
  CheckCondition((void*)api->peer_remove ==
                 dlsym(loaded_lib, "cairn_peer_remove"));
  CheckCondition((void*)api->peer_resync ==
                 dlsym(loaded_lib, "cairn_peer_resync"));
  CheckCondition((void*)api->replication_compare ==
                 dlsym(loaded_lib, "cairn_replication_compare"));
}

/* Bad arguments get CAIRN_INVALID_ARGUMENT naming them; a database without
 * replication takes the per-write choices and refuses the peer calls. */
static void TestArguments(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("arguments");

  cairn_writeoptions_t* wo = api->writeoptions_create();
  CheckOk(
      api->writeoptions_set_replication_mode(wo, CAIRN_REPLICATION_SYNC, &err),
      &err);
  CheckOk(
      api->writeoptions_set_replication_mode(wo, CAIRN_REPLICATION_ASYNC, &err),
      &err);
  CheckOk(api->writeoptions_set_replication_mode(wo, CAIRN_REPLICATION_DEFAULT,
                                                 &err),
          &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->writeoptions_set_replication_mode(wo, 3, &err), &err,
                 "replication mode 3", "CAIRN_REPLICATION_SYNC");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->writeoptions_set_replication_mode(wo, -1, &err), &err,
                 "replication mode -1", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->writeoptions_set_replication_mode(
                     NULL, CAIRN_REPLICATION_SYNC, &err),
                 &err, "write options", NULL);
  api->writeoptions_set_sync_acks(NULL, 1); /* ignored, no crash */
  api->writeoptions_set_sync_acks(wo, CAIRN_SYNC_ACKS_MAJORITY);
  api->writeoptions_set_sync_acks(wo, CAIRN_SYNC_ACKS_ALL);
  api->writeoptions_set_sync_acks(wo, 2);

  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_add(NULL, "2@x:1", &err),
                 &err, "db is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_remove(NULL, 2, &err), &err,
                 "db is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_resync(NULL, 2, &err), &err,
                 "db is NULL", NULL);
  unsigned char agree = 7;
  char* report = Strdup("scribble");
  char* old_report = report;
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->replication_compare(NULL, 100, &agree, &report, &err),
                 &err, "db is NULL", NULL);
  CheckCondition(agree == 0 && report == NULL);
  free(old_report);

  /* Without replication.node_id: the per-write choices are ignored (the
   * write commits locally) and the peer calls say replication is off. */
  cairn_db_t* db = OpenNew("plain", path, sizeof path);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_add(db, NULL, &err), &err,
                 "peer spec is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->peer_add(db, "2@127.0.0.1:1", &err), &err,
                 "replication is off", "replication.node_id");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_remove(db, 2, &err), &err,
                 "replication is off", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_resync(db, 2, &err), &err,
                 "replication is off", NULL);
  agree = 7;
  report = NULL;
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->replication_compare(db, 100, &agree, &report, &err), &err,
                 "replication is off", NULL);
  CheckCondition(agree == 0 && report == NULL);
  CheckOk(
      api->writeoptions_set_replication_mode(wo, CAIRN_REPLICATION_SYNC, &err),
      &err);
  api->writeoptions_set_sync_acks(wo, CAIRN_SYNC_ACKS_ALL);
  CheckOk(api->put(db, wo, "k", 1, "v", 1, &err), &err);
  CheckGet(db, NULL, "k", "v");
  CheckOk(api->del(db, wo, "k", 1, &err), &err);
  CheckGet(db, NULL, "k", NULL);
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckOk(api->writebatch_put(batch, "b", 1, "1", 1, &err), &err);
  CheckOk(api->write(db, wo, batch, &err), &err);
  CheckGet(db, NULL, "b", "1");
  api->writebatch_destroy(batch);

  char* value = NULL;
  CheckOk(api->property(db, "cairn.replication", &value, &err), &err);
  CheckCondition(strstr(value, "\"enabled\":false") != NULL);
  api->free_fn(value);
  api->close(db);
  api->writeoptions_destroy(wo);
}

/* The replication.* options go through cairn_options_set like the engine's,
 * and what only an open can check fails the open, naming the culprit. */
static void TestOptions(void) {
  char* err = NULL;
  char path[PATH_MAX];
  StartPhase("options");
  cairn_options_t* o = CreateOptions();
  CheckOk(api->options_set(o, "replication.mode", "sync", &err), &err);
  char* value = NULL;
  CheckOk(api->options_get(o, "replication.mode", &value, &err), &err);
  CheckCondition(strcmp(value, "sync") == 0);
  api->free_fn(value);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(o, "replication.no_such", "1", &err), &err,
                 "replication.no_such", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(o, "replication.node_id", "x", &err), &err,
                 "replication.node_id", NULL);

  /* A malformed peer list fails the open (before any socket is opened). */
  CheckOk(api->options_set(o, "replication.node_id", "1", &err), &err);
  CheckOk(api->options_set(o, "replication.peers", "x@y", &err), &err);
  MakePath(path, sizeof path, "badpeers");
  cairn_db_t* db = (cairn_db_t*)&err; /* must come back NULL */
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->open(o, path, &db, &err), &err,
                 "x@y", NULL);
  CheckCondition(db == NULL);
  /* Our own id among the peers. */
  CheckOk(api->options_set(o, "replication.peers", "1@127.0.0.1:9", &err),
          &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->open(o, path, &db, &err), &err,
                 "1@127.0.0.1:9", NULL);
  CheckCondition(db == NULL);
  api->options_destroy(o);
}

/* ---- Two nodes over loopback ------------------------------------------- */

static double NowSeconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void Pause(void) {
  struct timespec ts = {0, 5 * 1000 * 1000}; /* 5 ms between polls */
  nanosleep(&ts, NULL);
}

/* Opens node `id` listening on an ephemeral loopback port. */
static cairn_db_t* OpenNode(const char* name, unsigned id, char* path,
                            size_t path_size) {
  char* err = NULL;
  char idtext[16];
  snprintf(idtext, sizeof idtext, "%u", id);
  cairn_options_t* o = CreateOptions();
  CheckOk(api->options_set(o, "replication.node_id", idtext, &err), &err);
  CheckOk(api->options_set(o, "replication.listen", "127.0.0.1:0", &err), &err);
  /* Generous: a loaded machine must not turn a sync write into a timeout. */
  CheckOk(api->options_set(o, "replication.sync_timeout_ms", "20000", &err),
          &err);
  CheckOk(api->options_set(o, "replication.heartbeat_ms", "50", &err), &err);
  CheckOk(api->options_set(o, "replication.reconnect_max_ms", "100", &err),
          &err);
  MakePath(path, path_size, name);
  cairn_db_t* db = NULL;
  CheckOk(api->open(o, path, &db, &err), &err);
  api->options_destroy(o);
  return db;
}

/* Waits (at most 30 s) until `key` reads as `value` on `db`. */
static void AwaitValue(cairn_db_t* db, const char* key, const char* value) {
  const double deadline = NowSeconds() + 30.0;
  for (;;) {
    char* got = NULL;
    size_t len = 0;
    cairn_status_t s = api->get(db, NULL, key, strlen(key), &got, &len, NULL);
    int match =
        s == CAIRN_OK && len == strlen(value) && memcmp(got, value, len) == 0;
    api->free_fn(got);
    if (match) return;
    CheckCondition(s == CAIRN_OK || s == CAIRN_NOT_FOUND);
    if (NowSeconds() > deadline) {
      char what[256];
      snprintf(what, sizeof what, "'%s' did not reach the peer in 30 s", key);
      Fail(__FILE__, __LINE__, what);
    }
    Pause();
  }
}

static void TestLoopback(void) {
  char* err = NULL;
  char path1[PATH_MAX], path2[PATH_MAX];
  char spec[64];
  StartPhase("loopback");
  cairn_db_t* one = OpenNode("node1", 1, path1, sizeof path1);
  cairn_db_t* two = OpenNode("node2", 2, path2, sizeof path2);
  Put(one, "before", "peers"); /* reaches node 2 by the first resync */

  /* Bad specs, and our own id, are refused naming the culprit. */
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_add(one, "x@y", &err), &err,
                 "x@y", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->peer_add(one, "1@127.0.0.1:9", &err), &err, NULL, NULL);
  CheckStatus(CAIRN_NOT_FOUND, api->peer_remove(one, 9, &err), &err);
  CheckStatus(CAIRN_NOT_FOUND, api->peer_resync(one, 9, &err), &err);

  snprintf(spec, sizeof spec, "2@127.0.0.1:%u", ListenPort(two));
  CheckOk(api->peer_add(one, spec, &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->peer_add(one, spec, &err), &err,
                 NULL, NULL);
  snprintf(spec, sizeof spec, "1@127.0.0.1:%u", ListenPort(one));
  CheckOk(api->peer_add(two, spec, &err), &err);

  /* Async: a put on either node becomes readable on the other. */
  Put(one, "a", "from 1");
  Put(two, "b", "from 2");
  AwaitValue(two, "a", "from 1");
  AwaitValue(one, "b", "from 2");
  AwaitValue(two, "before", "peers");

  /* Sync, one ack: when the put returns, the peer holds the write. */
  cairn_writeoptions_t* wo = api->writeoptions_create();
  CheckOk(
      api->writeoptions_set_replication_mode(wo, CAIRN_REPLICATION_SYNC, &err),
      &err);
  api->writeoptions_set_sync_acks(wo, 1);
  CheckOk(api->put(one, wo, "s", 1, "synced", 6, &err), &err);
  CheckGet(two, NULL, "s", "synced");
  api->writeoptions_set_sync_acks(wo, CAIRN_SYNC_ACKS_ALL);
  CheckOk(api->del(one, wo, "s", 1, &err), &err);
  CheckGet(two, NULL, "s", NULL);
  api->writeoptions_set_sync_acks(wo, CAIRN_SYNC_ACKS_MAJORITY);
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckOk(api->writebatch_put(batch, "w1", 2, "x", 1, &err), &err);
  CheckOk(api->writebatch_put(batch, "w2", 2, "y", 1, &err), &err);
  CheckOk(api->write(two, wo, batch, &err), &err);
  CheckGet(one, NULL, "w1", "x");
  CheckGet(one, NULL, "w2", "y");
  api->writebatch_destroy(batch);

  /* More acks than there are peers can never be met: the write is durable
   * here, and the call says so at once instead of acknowledging it. */
  api->writeoptions_set_sync_acks(wo, 5);
  CheckStatusMsg(CAIRN_UNAVAILABLE, api->put(one, wo, "t", 1, "local", 5, &err),
                 &err, "durable locally", NULL);
  CheckGet(one, NULL, "t", "local");
  AwaitValue(two, "t", "local");

  /* Both nodes hold the same data now: the digests agree. */
  unsigned char agree = 0;
  char* report = NULL;
  CheckOk(api->replication_compare(one, 10000, &agree, &report, &err), &err);
  CheckCondition(report != NULL && report[0] == '{');
  CheckCondition(strstr(report, "\"agree\":true") != NULL);
  CheckCondition(agree == 1);
  api->free_fn(report);
  agree = 0;
  CheckOk(api->replication_compare(two, 10000, &agree, NULL, &err), &err);
  CheckCondition(agree == 1);

  CheckOk(api->peer_resync(one, 2, &err), &err);
  CheckOk(api->peer_remove(one, 2, &err), &err);
  CheckStatus(CAIRN_NOT_FOUND, api->peer_remove(one, 2, &err), &err);
  api->writeoptions_destroy(wo);
  api->close(one);
  api->close(two);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"api_table_1_3", TestTable},
      {"arguments", TestArguments},
      {"options", TestOptions},
      {"loopback", TestLoopback},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
