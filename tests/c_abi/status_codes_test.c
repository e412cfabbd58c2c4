/* status_codes_test: each status says what the caller should do (harness.h).
 * An I/O failure is CAIRN_IO_ERROR, a held database CAIRN_BUSY, a call the
 * state forbids (a full ring, the last instance) CAIRN_INVALID_ARGUMENT, a
 * replication.* option the replication layer does not know
 * CAIRN_INVALID_ARGUMENT naming it, a cache call with the cache off
 * CAIRN_NOT_SUPPORTED, and a record damaged on disk CAIRN_CORRUPTION: codes
 * chosen by meaning, not borrowed by number. */
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"

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

  /* replication.* names reach the replication layer's table (a peer list
   * is a string there, checked at open: replication_test covers it). */
  CheckStatusMsg(CAIRN_INVALID_ARGUMENT,
                 api->options_set(options, "replication.node_id", "x", &err),
                 &err, "replication.node_id", NULL);
  api->options_destroy(options);
}

/* Finds `needle` in the table files (*.ldb) of the database at `path`;
 * stores the file's path and the offset. Returns 1 if found. */
static int FindInTables(const char* path, const char* needle, size_t n,
                        char* file, size_t file_size, long* offset) {
  DIR* dir = opendir(path);
  struct dirent* e;
  int found = 0;
  CheckCondition(dir != NULL);
  while (!found && (e = readdir(dir)) != NULL) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 4, ".ldb") != 0) continue;
    int w = snprintf(file, file_size, "%s/%s", path, e->d_name);
    CheckCondition(w > 0 && (size_t)w < file_size);
    FILE* f = fopen(file, "rb");
    CheckCondition(f != NULL);
    char* data = malloc(1 << 20);
    CheckCondition(data != NULL);
    size_t size = fread(data, 1, 1 << 20, f);
    fclose(f);
    for (size_t i = 0; !found && i + n <= size; ++i) {
      if (memcmp(data + i, needle, n) == 0) {
        *offset = (long)i;
        found = 1;
      }
    }
    free(data);
  }
  closedir(dir);
  return found;
}

/* A record damaged on disk: a get that verifies checksums, and an iterator
 * that does, report CAIRN_CORRUPTION (alarm), never a wrong value and never
 * another status. */
static void TestCorruption(void) {
  char* err = NULL;
  char path[PATH_MAX];
  char table[PATH_MAX + 300];
  char value[2001];
  char* got = NULL;
  size_t got_len = 0;
  long offset = 0;
  cairn_db_t* db = NULL;
  cairn_iterator_t* it = NULL;
  uint32_t x = 12345;
  StartPhase("corruption");
  /* Incompressible text, so the table holds it byte for byte. */
  for (size_t i = 0; i < sizeof value - 1; ++i) {
    x = x * 1103515245u + 12345u;
    value[i] = (char)('a' + (x >> 16) % 26);
  }
  value[sizeof value - 1] = '\0';

  /* No cache (LevelDB answers every get) and no compression. */
  cairn_options_t* options = CreateOptions();
  CheckOk(api->options_set(options, "cache.capacity_mb", "0", &err), &err);
  CheckOk(api->options_set(options, "compression", "none", &err), &err);
  MakePath(path, sizeof path, "corrupt");
  CheckOk(api->open(options, path, &db, &err), &err);
  Put(db, "before", "intact");
  Put(db, "damaged", value);
  api->close(db);
  /* Reopening replays the write-ahead log into a table file. */
  CheckOk(api->open(options, path, &db, &err), &err);
  api->close(db);
  CheckCondition(
      FindInTables(path, value, strlen(value), table, sizeof table, &offset));
  FILE* f = fopen(table, "r+b");
  CheckCondition(f != NULL);
  CheckCondition(fseek(f, offset + 1000, SEEK_SET) == 0);
  CheckCondition(fputc(value[1000] ^ 0x20, f) != EOF);
  CheckCondition(fclose(f) == 0);

  /* Checked by default: the damage is CORRUPTION at open (when the damaged
   * block also holds metadata the open reads) or at the get, naming the
   * table file either way. */
  const char* table_name = strrchr(table, '/') + 1;
  cairn_status_t s = api->open(options, path, &db, &err);
  if (s == CAIRN_OK) {
    CheckStatusMsg(CAIRN_CORRUPTION,
                   api->get(db, NULL, "damaged", 7, &got, &got_len, &err), &err,
                   table_name, NULL);
    api->close(db);
  } else {
    CheckStatusMsg(CAIRN_CORRUPTION, s, &err, table_name, NULL);
  }
  /* With checks off for the database, a read that asks for them still gets
   * CORRUPTION. */
  CheckOk(api->options_set(options, "verify_checksums", "false", &err), &err);
  CheckOk(api->options_set(options, "paranoid_checks", "false", &err), &err);
  CheckOk(api->open(options, path, &db, &err), &err);
  cairn_readoptions_t* ro = api->readoptions_create();
  api->readoptions_set_verify_checksums(ro, 1);
  CheckStatusMsg(CAIRN_CORRUPTION,
                 api->get(db, ro, "damaged", 7, &got, &got_len, &err), &err,
                 "checksum", NULL);
  CheckCondition(got == NULL && got_len == 0);
  CheckOk(api->iter_create(db, ro, &it, &err), &err);
  api->iter_seek(it, "damaged", 7);
  CheckCondition(!api->iter_valid(it));
  CheckStatusMsg(CAIRN_CORRUPTION, api->iter_status(it, &err), &err, "checksum",
                 NULL);
  api->iter_destroy(it);
  api->readoptions_destroy(ro);
  api->close(db);
  api->options_destroy(options);
}

int main(int argc, char** argv) {
  static const Phase kPhases[] = {{"status_codes", TestStatusCodes},
                                  {"corruption", TestCorruption}};
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
