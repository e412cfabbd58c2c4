// The replication calls of C ABI 1.3, looked up at run time.
//
// `cairn serve` drives peers and per-write replication choices through
// cairn_peer_add, cairn_replication_compare and friends. They are resolved
// by name in the loaded libcairn (like `cairn check` resolves cairn_check),
// so this tool also runs on a 1.2 library; a missing call is reported as
// CAIRN_NOT_SUPPORTED naming it rather than failing at load time. The
// constants (CAIRN_REPLICATION_SYNC, CAIRN_SYNC_ACKS_*) are cairn.h's.
//
// Thread-safe: the table is filled once and never changes.
#ifndef CAIRN_BINDINGS_CLI_REPLICATION_CALLS_H_
#define CAIRN_BINDINGS_CLI_REPLICATION_CALLS_H_

#include <cstdint>

#include "cairn/cairn.h"

namespace cairn::cli {

struct ReplicationCalls {
  cairn_status_t (*writeoptions_set_replication_mode)(cairn_writeoptions_t*,
                                                      int, char**) = nullptr;
  void (*writeoptions_set_sync_acks)(cairn_writeoptions_t*, uint32_t) = nullptr;
  cairn_status_t (*peer_add)(cairn_db_t*, const char*, char**) = nullptr;
  cairn_status_t (*peer_remove)(cairn_db_t*, uint32_t, char**) = nullptr;
  cairn_status_t (*peer_resync)(cairn_db_t*, uint32_t, char**) = nullptr;
  cairn_status_t (*replication_compare)(cairn_db_t*, uint32_t, unsigned char*,
                                        char**, char**) = nullptr;
};

// The calls this library exports (null fields for the missing ones).
const ReplicationCalls& GetReplicationCalls();

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_REPLICATION_CALLS_H_
