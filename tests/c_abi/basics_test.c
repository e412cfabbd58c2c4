/* basics_test: The library, its function table, options and opening.
 * (harness.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include "harness.h"

static void TestApiTable(void) {
  cairn_get_api_fn get_api = loaded_get_api;
  void* lib = loaded_lib;
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

#define CHECK_ENTRY(field, symbol)               \
  do {                                           \
    CheckCondition(api->field != NULL);          \
    CheckCondition(dlsym(lib, #symbol) != NULL); \
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
  CHECK_ENTRY(gc_segments, cairn_gc_segments);
  CHECK_ENTRY(readoptions_set_include_deleted,
              cairn_readoptions_set_include_deleted);
  CHECK_ENTRY(iter_deleted, cairn_iter_deleted);
  CHECK_ENTRY(iter_version, cairn_iter_version);
  CHECK_ENTRY(writebatch_put_versioned, cairn_writebatch_put_versioned);
  CHECK_ENTRY(writebatch_delete_versioned, cairn_writebatch_delete_versioned);
  CHECK_ENTRY(property_int, cairn_property_int);
  CHECK_ENTRY(compact_range, cairn_compact_range);
  CHECK_ENTRY(approximate_sizes, cairn_approximate_sizes);
  CHECK_ENTRY(repair, cairn_repair);
  CHECK_ENTRY(writebatch_append, cairn_writebatch_append);
  CHECK_ENTRY(writebatch_approximate_size, cairn_writebatch_approximate_size);
  CHECK_ENTRY(check, cairn_check);
  CHECK_ENTRY(get_into, cairn_get_into);
  CHECK_ENTRY(multi_get, cairn_multi_get);
#undef CHECK_ENTRY
  CheckCondition(dlsym(lib, "cairn_get_api") != NULL);
}

static void TestLibrary(void) {
  static const char* const kNames[] = {
      "OK",   "NOT_FOUND",   "INVALID_ARGUMENT", "IO_ERROR",      "CORRUPTION",
      "BUSY", "UNAVAILABLE", "TIMEOUT",          "NOT_SUPPORTED", "INTERNAL"};
  StartPhase("library");
  for (int s = CAIRN_OK; s <= CAIRN_INTERNAL; ++s) {
    const char* name = api->status_name((cairn_status_t)s);
    CheckCondition(name != NULL && strcmp(name, kNames[s]) == 0);
  }
  CheckCondition(
      strcmp(api->status_name((cairn_status_t)10), "UNKNOWN_STATUS") == 0);
  CheckCondition(
      strcmp(api->status_name((cairn_status_t)999), "UNKNOWN_STATUS") == 0);
  CheckCondition(
      strcmp(api->status_name((cairn_status_t)-1), "UNKNOWN_STATUS") == 0);

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
                 api->options_set(options, "write_buffer_size", "", &err), &err,
                 "write_buffer_size", NULL);
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
              api->options_set(options, "create_if_missing", NULL, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_get(NULL, "create_if_missing", &value, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_get(options, NULL, &value, &err), &err);
  CheckStatus(CAIRN_INVALID_ARGUMENT,
              api->options_get(options, "create_if_missing", NULL, &err), &err);
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

int main(int argc, char** argv) {
  static const Phase kPhases[] = {
      {"api_table", TestApiTable},
      {"library", TestLibrary},
      {"options", TestOptions},
      {"open_missing", TestOpenMissing},
  };
  return RunPhases(argc, argv, kPhases, sizeof kPhases / sizeof kPhases[0]);
}
