// The control protocol of `cairn serve`: one command per line on stdin,
// exactly one reply line on stdout. It lets tests and the demo drive a
// running node without linking anything.
//
// Commands (tokens separated by spaces or tabs):
//   put KEY VALUE            write (the database's replication.mode)
//   sync-put KEY VALUE ACKS  write in sync mode waiting for ACKS peers (a
//                            count, "majority" or "all")
//   del KEY                  delete (missing keys are fine)
//   get KEY                  -> "ok VALUE" (NOT_FOUND when missing)
//   count                    -> "ok N", the number of live keys
//   keys [PREFIX]            -> "ok K1 K2 ..." every live key (with PREFIX)
//   checksum [PREFIX]        -> "ok N HASH": the live keys' count and an
//                            XXH3-64 (hex) of their keys and values in key
//                            order; equal on nodes that hold the same data
//   status                   -> "ok JSON", property "cairn.replication"
//   compare TIMEOUT_MS       -> "ok AGREE JSON": cairn_replication_compare,
//                            AGREE 1 when every peer agreed, else 0
//   peer-add ID@HOST:PORT    cairn_peer_add
//   peer-remove ID           cairn_peer_remove
//   resync ID                cairn_peer_resync
//   quit                     -> "ok", then the server closes and exits 0
// Replies: "ok" or "ok VALUE..." on success, "err STATUS_NAME message" on
// failure (STATUS_NAME as cairn_status_name; a malformed line is
// INVALID_ARGUMENT, a call this library lacks NOT_SUPPORTED).
//
// Keys and values are written as the tool writes them everywhere
// (bytes.h: escaped, `\xNN` for other bytes) with one addition: a space is
// `\x20` in replies, so a token never holds one. Every line, even an empty
// or malformed one, gets exactly one reply.
//
// Thread-compatible: one thread executes commands.
#ifndef CAIRN_BINDINGS_CLI_SERVE_CONTROL_H_
#define CAIRN_BINDINGS_CLI_SERVE_CONTROL_H_

#include <string>
#include <string_view>

#include "cairn/cairn.h"

namespace cairn::cli {

class ServeControl {
 public:
  // `db` must outlive this object.
  explicit ServeControl(cairn_db_t* db) : db_(db) {}

  // The reply to `line` (no trailing newline). Sets *quit for "quit".
  std::string Execute(std::string_view line, bool* quit);

  // The "cairn.replication" property as one line of JSON, or an error reply.
  std::string StatusJson(cairn_status_t* status);

 private:
  cairn_db_t* const db_;
};

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_SERVE_CONTROL_H_
