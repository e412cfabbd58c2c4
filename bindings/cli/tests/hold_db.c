/* hold_db: opens a database and keeps it open until stdin closes, so tests
 * can check what the tool does with a database another process owns.
 * Prints "ready" once the database is open. Usage: hold_db PATH */
#include <stdio.h>

#include "cairn/cairn.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: hold_db PATH\n");
    return 2;
  }
  cairn_options_t* options = cairn_options_create();
  cairn_options_set(options, "create_if_missing", "true", NULL);
  cairn_options_set(options, "cache.capacity_mb", "1", NULL);
  cairn_db_t* db = NULL;
  char* err = NULL;
  cairn_status_t s = cairn_open(options, argv[1], &db, &err);
  cairn_options_destroy(options);
  if (s != CAIRN_OK) {
    fprintf(stderr, "hold_db: %s\n", err);
    cairn_free(err);
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  while (getchar() != EOF) {
  }
  cairn_close(db);
  return 0;
}
