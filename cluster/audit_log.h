// AuditLog: a durable record of every routed request (RELIABILITY R1-R6),
// kept in its own LevelDB (never the data database).
//
// Records are keyed by (start time, sequence) with a secondary index by
// (method, start time, sequence), so a query by method and time range reads
// only the matching records. Retention drops the oldest records by age and
// by total size, in the background and at open. Append is thread-safe and
// cheap: with a flush_interval it encodes the record and queues it, and a
// writer thread puts what is queued into the log in one LevelDB write at
// most flush_interval later, off the caller's path (at one client a write
// per record cost ~30% of routed throughput, BENCHMARKS P15). Records in
// the log survive a process kill (LevelDB's log is written, not synced,
// unless `sync` is set; a machine crash may then lose the last ones); a
// kill loses only records still queued, at most the last flush_interval's.
#ifndef CAIRN_CLUSTER_AUDIT_LOG_H_
#define CAIRN_CLUSTER_AUDIT_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cairn::cluster {

struct AuditRecord {
  absl::Time start;
  absl::Time end;
  std::string client_id;
  std::string client_address;  // host:port of the client's connection
  std::string method;          // MethodName(), e.g. "get"
  // Keys truncated to AuditOptions::key_bytes, values as sizes only, e.g.
  // key="user:17" value_bytes=100; batch: ops=3 first_key=...; scan: range.
  std::string params;
  int64_t shard = -1;   // slot or ring position routed by (-1: none)
  uint32_t node = 0;    // the node the request went to (0: none)
  std::string outcome;  // absl::StatusCodeToString, "OK" on success
  std::string message;  // the error message, when not OK
  absl::Duration elapsed() const { return end - start; }
};

struct AuditOptions {
  size_t key_bytes = 64;                               // audit.key_bytes
  absl::Duration retention_age = absl::Hours(24 * 7);  // audit.retention_hours
  uint64_t retention_bytes = 256ull << 20;             // audit.retention_mb
  bool sync = false;                                   // audit.sync
  // audit.flush_ms: how long an appended record may wait in memory before
  // a writer thread puts it, with the others waiting, into the log in one
  // LevelDB write. Zero (or `sync`): Append writes the record itself.
  absl::Duration flush_interval = absl::ZeroDuration();
  // retention_age absl::InfiniteDuration() or retention_bytes UINT64_MAX:
  // no retention by that measure. retention_bytes counts the keys and
  // values of the records and their index entries (LevelDB's files take
  // somewhat more until they are compacted).

  // How often a background thread applies retention; it also runs as soon
  // as an append takes the log past retention_bytes. Zero: no thread (only
  // Open and Trim apply retention). Negative is refused.
  absl::Duration trim_interval = absl::Minutes(1);
  // Whether Open applies retention (a reader such as `cairn audit` opens
  // without, so a query never drops records).
  bool trim_at_open = true;
};

class AuditLog {
 public:
  // Opens the log at `path`, creating the directory (0700) and the log when
  // missing. Refuses (FailedPrecondition, naming the path) a directory that
  // holds a Cairn data database or any LevelDB that is not an audit log;
  // Aborted when another handle or process has the log open.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      const std::string& path, const AuditOptions& options);
  virtual ~AuditLog() = default;

  // Writes the record, or with a flush_interval queues it for the writer
  // thread (bounded: past 64 Ki queued records Append waits for the
  // writer). A failed background write is returned by the next Append,
  // Flush or Query.
  [[nodiscard]] virtual absl::Status Append(const AuditRecord& record) = 0;
  // Returns once every record appended before the call is in the log.
  [[nodiscard]] virtual absl::Status Flush() = 0;
  // Records of `method` ("" for every method) that started in
  // [since, until), oldest first, at most `limit` (0 is refused). Flushes
  // first, so a query sees every record appended before it.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AuditRecord>> Query(
      const std::string& method, absl::Time since, absl::Time until,
      size_t limit) = 0;
  // Applies retention now; returns how many records it dropped.
  [[nodiscard]] virtual absl::StatusOr<uint64_t> Trim() = 0;
};

// One JSON object per record, without a newline (keys: start_us, end_us,
// elapsed_us, client_id, client_address, method, params, shard, node,
// outcome, message).
std::string AuditRecordJson(const AuditRecord& record);

// The parameters string for a request (keys truncated to `key_bytes`,
// values as sizes).
struct ClientRequest;
std::string AuditParams(const ClientRequest& request, size_t key_bytes);

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_AUDIT_LOG_H_
