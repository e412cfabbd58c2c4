/* cluster_test: the ABI 1.4 cluster client (harness.h) — the table, argument
 * checks, options that fail at set or at open naming the option, a round
 * trip through a client of one node in this process (a database with
 * replication on loopback, which serves clients on its replication port),
 * and CAIRN_UNAVAILABLE listing every node once the node is closed. */
#define _DEFAULT_SOURCE /* nanosleep, clock_gettime under _XOPEN_SOURCE */
#include <dlfcn.h>
#include <time.h>

#include "harness.h"

#define CheckSymbol(field, name) \
  CheckCondition((void*)api->field == dlsym(loaded_lib, name))

static void TestTable(void) {
  StartPhase("api_table_1_4");
  CheckCondition(api->abi_minor >= 4);
  CheckCondition(api->struct_size >= offsetof(cairn_api_t, cluster_audit) +
                                         sizeof api->cluster_audit);
  CheckSymbol(cluster_open, "cairn_cluster_open");
  CheckSymbol(cluster_close, "cairn_cluster_close");
  CheckSymbol(cluster_put, "cairn_cluster_put");
  CheckSymbol(cluster_delete, "cairn_cluster_delete");
  CheckSymbol(cluster_get, "cairn_cluster_get");
  CheckSymbol(cluster_write, "cairn_cluster_write");
  CheckSymbol(cluster_scan, "cairn_cluster_scan");
  CheckSymbol(cluster_nodes, "cairn_cluster_nodes");
  CheckSymbol(cluster_stats, "cairn_cluster_stats");
  CheckSymbol(cluster_audit, "cairn_cluster_audit");
}

/* ---- Helpers -------------------------------------------------------------- */

static double NowSeconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void Pause(void) {
  struct timespec ts = {0, 10 * 1000 * 1000}; /* 10 ms between polls */
  nanosleep(&ts, NULL);
}

/* Opens a client with the NULL-terminated name, value pairs in `settings`. */
static cairn_cluster_t* OpenCluster(const char* const* settings) {
  char* err = NULL;
  cairn_options_t* o = api->options_create();
  for (; settings[0] != NULL; settings += 2) {
    CheckOk(api->options_set(o, settings[0], settings[1], &err), &err);
  }
  cairn_cluster_t* cluster = NULL;
  CheckOk(api->cluster_open(o, &cluster, &err), &err);
  CheckCondition(cluster != NULL);
  api->options_destroy(o);
  return cluster;
}

/* Checks that opening with `settings` fails with CAIRN_INVALID_ARGUMENT
 * whose message has `want1` and `want2`, leaving the handle NULL. */
static void CheckOpenFailsAt(const char* file, int line,
                             const char* const* settings, const char* want1,
                             const char* want2) {
  char* err = NULL;
  cairn_options_t* o = api->options_create();
  for (; settings[0] != NULL; settings += 2) {
    CheckOk(api->options_set(o, settings[0], settings[1], &err), &err);
  }
  cairn_cluster_t* cluster = (cairn_cluster_t*)&err; /* must become NULL */
  CheckStatusAt(file, line, CAIRN_INVALID_ARGUMENT,
                api->cluster_open(o, &cluster, &err), &err, want1, want2);
  ++checks;
  if (cluster != NULL) Fail(file, line, "a failed open left a handle");
  api->options_destroy(o);
}
#define CheckOpenFails(settings, want1, want2) \
  CheckOpenFailsAt(__FILE__, __LINE__, (settings), (want1), (want2))

/* A node serving clients: node `id` with replication on an ephemeral
 * loopback port. */
static cairn_db_t* OpenNode(const char* name, unsigned id) {
  char* err = NULL;
  char text[16];
  char path[PATH_MAX];
  cairn_options_t* o = CreateOptions();
  snprintf(text, sizeof text, "%u", id);
  CheckOk(api->options_set(o, "replication.node_id", text, &err), &err);
  CheckOk(api->options_set(o, "replication.listen", "127.0.0.1:0", &err), &err);
  CheckOk(api->options_set(o, "cache.capacity_mb", "4", &err), &err);
  CheckOk(api->options_set(o, "node.capacity", "7", &err), &err);
  MakePath(path, sizeof path, name);
  cairn_db_t* db = NULL;
  CheckOk(api->open(o, path, &db, &err), &err);
  api->options_destroy(o);
  return db;
}

/* The scan callback's collector: "k=v," per entry. */
typedef struct {
  char text[1024];
  int calls;
} Collected;

static void Collect(void* arg, const char* key, size_t keylen,
                    const char* value, size_t valuelen) {
  Collected* c = arg;
  size_t used = strlen(c->text);
  snprintf(c->text + used, sizeof c->text - used, "%.*s=%.*s,", (int)keylen,
           key, (int)valuelen, value);
  ++c->calls;
}

static int CountLines(const char* text) {
  int n = 0;
  for (; *text != '\0'; ++text) n += *text == '\n';
  return n;
}

/* Occurrences of `needle` in `text`. */
static int Count(const char* text, const char* needle) {
  int n = 0;
  for (const char* at = strstr(text, needle); at != NULL;
       at = strstr(at + 1, needle)) {
    ++n;
  }
  return n;
}

/* ---- Phases --------------------------------------------------------------- */

/* NULL arguments and bad input get CAIRN_INVALID_ARGUMENT with a message;
 * none of it needs a reachable node. */
static void TestArguments(void) {
  char* err = NULL;
  StartPhase("arguments");
  cairn_options_t* o = api->options_create();
  CheckOk(api->options_set(o, "cluster.nodes", "1@127.0.0.1:1", &err), &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cluster_open(o, NULL, &err), &err,
                 "cluster out-parameter is NULL", NULL);
  cairn_cluster_t* cluster = (cairn_cluster_t*)&err;
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cluster_open(NULL, &cluster, &err),
                 &err, "options is NULL", "cluster.nodes");
  CheckCondition(cluster == NULL);
  api->options_destroy(o);
  api->cluster_close(NULL); /* a no-op */

  char* value = (char*)"sentinel";
  size_t valuelen = 99;
  unsigned char truncated = 7;
  char* json = (char*)"sentinel";
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_put(NULL, NULL, "k", 1, "v", 1, &err), &err,
                 "cluster is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_delete(NULL, NULL, "k", 1, &err), &err,
                 "cluster is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_get(NULL, "k", 1, &value, &valuelen, &err), &err,
                 "must not be NULL", NULL);
  CheckCondition(value == NULL && valuelen == 0);
  cairn_writebatch_t* batch = api->writebatch_create();
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_write(NULL, NULL, batch, &err), &err,
                 "must not be NULL", NULL);
  Collected got = {{0}, 0};
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_scan(NULL, "", 0, "", 0, 10, Collect, &got,
                                   &truncated, &err),
                 &err, "must not be NULL", NULL);
  CheckCondition(truncated == 0 && got.calls == 0);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cluster_nodes(NULL, &json, &err),
                 &err, "must not be NULL", NULL);
  CheckCondition(json == NULL);
  json = (char*)"sentinel";
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT, api->cluster_stats(NULL, &json, &err),
                 &err, "must not be NULL", NULL);
  CheckCondition(json == NULL);
  json = (char*)"sentinel";
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_audit(NULL, "put", 0, 0, 10, &json, &err), &err,
                 "must not be NULL", NULL);
  CheckCondition(json == NULL);

  /* A client of a port nobody listens on: opening does not wait for it,
   * and bad arguments are refused before anything is sent. */
  const char* const settings[] = {"cluster.nodes", "1@127.0.0.1:1", NULL};
  cluster = OpenCluster(settings);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_put(cluster, NULL, NULL, 3, "v", 1, &err), &err,
                 "key is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_put(cluster, NULL, "k", 1, NULL, 2, &err), &err,
                 "value is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_delete(cluster, NULL, NULL, 1, &err), &err,
                 "key is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_get(cluster, NULL, 1, &value, &valuelen, &err),
                 &err, "key is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_get(cluster, "k", 1, NULL, &valuelen, &err),
                 &err, "must not be NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_write(cluster, NULL, NULL, &err), &err,
                 "must not be NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_write(cluster, NULL, batch, &err), &err,
                 "the batch is empty", NULL);
  CheckOk(api->writebatch_put_versioned(batch, "k", 1, "v", 1, 5, 1, &err),
          &err);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_write(cluster, NULL, batch, &err), &err,
                 "versions", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_scan(cluster, "", 0, "", 0, 10, NULL, NULL,
                                   &truncated, &err),
                 &err, "must not be NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_scan(cluster, NULL, 2, "", 0, 10, Collect, &got,
                                   &truncated, &err),
                 &err, "start or end is NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_scan(cluster, "", 0, "", 0, 0, Collect, &got,
                                   &truncated, &err),
                 &err, "limit 0", NULL);
  CheckCondition(got.calls == 0);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_nodes(cluster, NULL, &err), &err,
                 "must not be NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_stats(cluster, NULL, &err), &err,
                 "must not be NULL", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_audit(cluster, NULL, 0, 0, 10, NULL, &err), &err,
                 "must not be NULL", NULL);
  json = (char*)"sentinel";
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_audit(cluster, "put", 0, 0, 10, &json, &err),
                 &err, "audit.path", NULL);
  CheckCondition(json == NULL);
  api->writebatch_destroy(batch);
  api->cluster_close(cluster);
}

/* Options a set can check fail at cairn_options_set; the rest fail the
 * open. Either way the message names the option. */
static void TestOptions(void) {
  char* err = NULL;
  StartPhase("options");
  cairn_options_t* o = api->options_create();
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(o, "cluster.mode", "bogus", &err), &err,
                 "cluster.mode", "bogus");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(o, "cluster.master_choice", "random", &err),
                 &err, "cluster.master_choice", "random");
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(o, "cluster.op_timeout_ms", "0", &err), &err,
                 "cluster.op_timeout_ms", NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(o, "cluster.no_such", "1", &err), &err,
                 "cluster.no_such", NULL);
  CheckOk(api->options_set(o, "cluster.mode", "standby", &err), &err);
  char* value = NULL;
  CheckOk(api->options_get(o, "cluster.mode", &value, &err), &err);
  CheckCondition(strcmp(value, "standby") == 0);
  api->free_fn(value);
  api->options_destroy(o);

  const char* const no_nodes[] = {NULL};
  CheckOpenFails(no_nodes, "cluster.nodes", "no node given");
  const char* const duplicate[] = {
      "cluster.nodes", "1@127.0.0.1:1,2@127.0.0.1:2,1@127.0.0.1:3", NULL};
  CheckOpenFails(duplicate, "cluster.nodes", "node id 1 appears twice");
  const char* const malformed[] = {"cluster.nodes", "1@127.0.0.1:1,x@y", NULL};
  CheckOpenFails(malformed, "cluster.nodes", "x@y");
  const char* const uncovered[] = {"cluster.nodes",
                                   "1@127.0.0.1:1,2@127.0.0.1:2",
                                   "cluster.master_choice",
                                   "slots",
                                   "cluster.slots",
                                   "8",
                                   "cluster.slot_table",
                                   "0-2:1,3-5:2",
                                   NULL};
  CheckOpenFails(uncovered, "cluster.slot_table", "slots 6-7 have no node");
  const char* const unknown_node[] = {
      "cluster.nodes", "1@127.0.0.1:1", "cluster.slots", "4",
      "cluster.slot_table", "0-3:9", NULL};
  CheckOpenFails(unknown_node, "cluster.slot_table", "node 9");
  const char* const order[] = {"cluster.nodes", "1@127.0.0.1:1,2@127.0.0.1:2",
                               "cluster.mode",  "standby",
                               "cluster.standby_order", "2,3",
                               NULL};
  CheckOpenFails(order, "cluster.standby_order", "3");
}

/* put, get, delete, write, scan, nodes, stats and audit through a client of
 * one node. */
static void TestRoundTrip(void) {
  char* err = NULL;
  char nodes[64];
  char audit[PATH_MAX];
  StartPhase("round_trip");
  cairn_db_t* node = OpenNode("node1", 1);
  const unsigned port = ListenPort(node);
  snprintf(nodes, sizeof nodes, "1@127.0.0.1:%u", port);
  MakePath(audit, sizeof audit, "audit");
  const char* const settings[] = {"cluster.nodes", nodes,
                                  "audit.path", audit,
                                  "cluster.heartbeat_interval_ms", "50",
                                  "cluster.op_timeout_ms", "5000",
                                  NULL};
  cairn_cluster_t* cluster = OpenCluster(settings);

  cairn_writeoptions_t* sync = api->writeoptions_create();
  api->writeoptions_set_sync(sync, 1);
  CheckOk(api->cluster_put(cluster, NULL, "a", 1, "1", 1, &err), &err);
  CheckOk(api->cluster_put(cluster, sync, "b", 1, "22", 2, &err), &err);
  CheckOk(api->cluster_put(cluster, NULL, "empty", 5, NULL, 0, &err), &err);
  CheckGet(node, NULL, "a", "1"); /* it went to the node */

  char* value = NULL;
  size_t valuelen = 0;
  CheckOk(api->cluster_get(cluster, "b", 1, &value, &valuelen, &err), &err);
  CheckCondition(valuelen == 2 && memcmp(value, "22", 2) == 0);
  api->free_fn(value);
  CheckOk(api->cluster_get(cluster, "empty", 5, &value, &valuelen, &err), &err);
  CheckCondition(value != NULL && valuelen == 0);
  api->free_fn(value);
  value = (char*)"sentinel";
  valuelen = 99;
  CheckStatus(CAIRN_NOT_FOUND,
              api->cluster_get(cluster, "zz", 2, &value, &valuelen, &err),
              &err);
  CheckCondition(value == NULL && valuelen == 0);

  CheckOk(api->cluster_delete(cluster, NULL, "a", 1, &err), &err);
  CheckOk(api->cluster_delete(cluster, sync, "never", 5, &err), &err);
  CheckStatus(CAIRN_NOT_FOUND,
              api->cluster_get(cluster, "a", 1, &value, &valuelen, &err),
              &err);
  CheckGet(node, NULL, "a", NULL);

  cairn_writebatch_t* batch = api->writebatch_create();
  CheckOk(api->writebatch_put(batch, "c", 1, "3", 1, &err), &err);
  CheckOk(api->writebatch_put(batch, "d", 1, "4", 1, &err), &err);
  CheckOk(api->writebatch_delete(batch, "b", 1, &err), &err);
  CheckOk(api->cluster_write(cluster, sync, batch, &err), &err);
  api->writebatch_destroy(batch);
  CheckGet(node, NULL, "b", NULL);
  CheckGet(node, NULL, "d", "4");

  /* The keys now: c, d, empty. */
  Collected got = {{0}, 0};
  unsigned char truncated = 7;
  CheckOk(api->cluster_scan(cluster, "", 0, NULL, 0, 100, Collect, &got,
                            &truncated, &err),
          &err);
  CheckCondition(strcmp(got.text, "c=3,d=4,empty=,") == 0);
  CheckCondition(truncated == 0);
  memset(&got, 0, sizeof got);
  CheckOk(api->cluster_scan(cluster, "c", 1, "e", 1, 1, Collect, &got,
                            &truncated, &err),
          &err);
  CheckCondition(strcmp(got.text, "c=3,") == 0 && truncated == 1);
  memset(&got, 0, sizeof got);
  /* Continue from the last key plus a zero byte. */
  CheckOk(api->cluster_scan(cluster, "c\0", 2, "e", 1, 5, Collect, &got, NULL,
                            &err),
          &err);
  CheckCondition(strcmp(got.text, "d=4,") == 0);

  /* nodes: the node, up once a heartbeat answered (bounded wait). */
  char* json = NULL;
  const double deadline = NowSeconds() + 10.0;
  for (;;) {
    CheckOk(api->cluster_nodes(cluster, &json, &err), &err);
    CheckCondition(json != NULL && json[0] == '[');
    if (strstr(json, "\"status_known\":true") != NULL) break;
    api->free_fn(json);
    CheckCondition(NowSeconds() < deadline);
    Pause();
  }
  char want[64];
  snprintf(want, sizeof want, "\"address\":\"127.0.0.1:%u\"", port);
  CheckCondition(strstr(json, want) != NULL);
  CheckCondition(strstr(json, "\"id\":1") != NULL);
  CheckCondition(strstr(json, "\"state\":\"up\"") != NULL);
  CheckCondition(strstr(json, "\"failures\":0") != NULL);
  CheckCondition(strstr(json, "\"capacity\":7") != NULL);
  CheckCondition(strstr(json, "\"cached_bytes\":") != NULL);
  CheckCondition(strstr(json, "\"response_us\":") != NULL);
  CheckCondition(strstr(json, "\"score\":") != NULL);
  api->free_fn(json);

  /* stats: 3 puts, 4 gets, 2 deletes, 1 batch, 3 scans. */
  CheckOk(api->cluster_stats(cluster, &json, &err), &err);
  CheckCondition(strstr(json, "\"requests\":13") != NULL);
  CheckCondition(strstr(json, "\"audit_records\":13") != NULL);
  CheckCondition(strstr(json, "\"faults\":0") != NULL);
  api->free_fn(json);

  /* audit: by method, with a time range and a limit. */
  CheckOk(api->cluster_audit(cluster, "put", 0, 0, 100, &json, &err), &err);
  CheckCondition(CountLines(json) == 3);
  CheckCondition(Count(json, "\"method\":\"put\"") == 3);
  CheckCondition(strstr(json, "key=\\\"b\\\" value_bytes=2 sync") != NULL);
  CheckCondition(Count(json, "\"outcome\":\"OK\"") == 3);
  api->free_fn(json);
  CheckOk(api->cluster_audit(cluster, NULL, 0, 0, 100, &json, &err), &err);
  CheckCondition(CountLines(json) == 13);
  api->free_fn(json);
  CheckOk(api->cluster_audit(cluster, "", 0, 0, 2, &json, &err), &err);
  CheckCondition(CountLines(json) == 2);
  api->free_fn(json);
  CheckOk(api->cluster_audit(cluster, "batch", 0, 0, 100, &json, &err), &err);
  CheckCondition(CountLines(json) == 1);
  CheckCondition(strstr(json, "ops=3 puts=2 deletes=1") != NULL);
  api->free_fn(json);
  /* Nothing started before 1970-01-01T00:00:01Z or after year 2200. */
  CheckOk(api->cluster_audit(cluster, "put", 0, 1000000, 100, &json, &err),
          &err);
  CheckCondition(strcmp(json, "") == 0);
  api->free_fn(json);
  CheckOk(api->cluster_audit(cluster, "put", INT64_C(7258118400000000), 0, 100,
                             &json, &err),
          &err);
  CheckCondition(strcmp(json, "") == 0);
  api->free_fn(json);
  json = (char*)"sentinel";
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_audit(cluster, "nope", 0, 0, 10, &json, &err),
                 &err, "nope", NULL);
  CheckCondition(json == NULL);
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->cluster_audit(cluster, "put", 0, 0, 0, &json, &err),
                 &err, "limit 0", NULL);

  api->writeoptions_destroy(sync);
  api->cluster_close(cluster);
  api->close(node);
}

/* With its only node closed, every call is CAIRN_UNAVAILABLE and the
 * message lists every node and why. */
static void TestUnavailable(void) {
  char* err = NULL;
  char nodes[64], two_nodes[96], want[64];
  StartPhase("unavailable");
  cairn_db_t* node = OpenNode("node1", 1);
  const unsigned port = ListenPort(node);
  snprintf(nodes, sizeof nodes, "1@127.0.0.1:%u", port);
  snprintf(want, sizeof want, "node 1 (127.0.0.1:%u)", port);
  const char* const settings[] = {"cluster.nodes", nodes, NULL};
  cairn_cluster_t* cluster = OpenCluster(settings);
  CheckOk(api->cluster_put(cluster, NULL, "k", 1, "v", 1, &err), &err);
  api->close(node);

  CheckStatusMsg(CAIRN_UNAVAILABLE,
                 api->cluster_put(cluster, NULL, "k", 1, "v", 1, &err), &err,
                 want, NULL);
  char* value = (char*)"sentinel";
  size_t valuelen = 99;
  CheckStatusMsg(CAIRN_UNAVAILABLE,
                 api->cluster_get(cluster, "k", 1, &value, &valuelen, &err),
                 &err, want, NULL);
  CheckCondition(value == NULL && valuelen == 0);
  CheckStatusMsg(CAIRN_UNAVAILABLE,
                 api->cluster_delete(cluster, NULL, "k", 1, &err), &err, want,
                 NULL);
  Collected got = {{0}, 0};
  unsigned char truncated = 7;
  CheckStatusMsg(CAIRN_UNAVAILABLE,
                 api->cluster_scan(cluster, "", 0, NULL, 0, 10, Collect, &got,
                                   &truncated, &err),
                 &err, want, NULL);
  CheckCondition(got.calls == 0 && truncated == 0);
  char* json = NULL;
  CheckOk(api->cluster_stats(cluster, &json, &err), &err);
  CheckCondition(strstr(json, "\"faults\":0") == NULL);
  api->free_fn(json);
  api->cluster_close(cluster);

  /* Two nodes, neither up (port 1: nobody listens): both are listed. */
  snprintf(two_nodes, sizeof two_nodes, "%s,2@127.0.0.1:1", nodes);
  const char* const both[] = {"cluster.nodes", two_nodes, NULL};
  cluster = OpenCluster(both);
  CheckStatusMsg(CAIRN_UNAVAILABLE,
                 api->cluster_put(cluster, NULL, "k", 1, "v", 1, &err), &err,
                 want, "node 2 (127.0.0.1:1)");
  api->cluster_close(cluster);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"api_table_1_4", TestTable},
      {"arguments", TestArguments},
      {"options", TestOptions},
      {"round_trip", TestRoundTrip},
      {"unavailable", TestUnavailable},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
