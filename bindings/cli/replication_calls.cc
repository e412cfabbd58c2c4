#include "bindings/cli/replication_calls.h"

#include <dlfcn.h>
#include <string.h>

namespace cairn::cli {
namespace {

template <typename Fn>
void Resolve(const char* name, Fn* fn) {
  void* sym = dlsym(RTLD_DEFAULT, name);
  static_assert(sizeof sym == sizeof *fn);
  memcpy(fn, &sym, sizeof *fn);
}

ReplicationCalls Load() {
  ReplicationCalls c;
  Resolve("cairn_writeoptions_set_replication_mode",
          &c.writeoptions_set_replication_mode);
  Resolve("cairn_writeoptions_set_sync_acks", &c.writeoptions_set_sync_acks);
  Resolve("cairn_peer_add", &c.peer_add);
  Resolve("cairn_peer_remove", &c.peer_remove);
  Resolve("cairn_peer_resync", &c.peer_resync);
  Resolve("cairn_replication_compare", &c.replication_compare);
  return c;
}

}  // namespace

const ReplicationCalls& GetReplicationCalls() {
  static const ReplicationCalls calls = Load();
  return calls;
}

}  // namespace cairn::cli
