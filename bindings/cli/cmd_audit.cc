// audit: query a cluster client's audit log (cluster/audit_log.h) by method
// and time, or apply its retention.
//
//   cairn audit PATH [--method M] [--since T] [--until T] [--limit N]
//                    [--json | --table]
//   cairn audit PATH --trim [--retention-hours H] [--retention-mb MB]
//
// Times are RFC 3339 (2026-11-30T12:00:00Z, 2026-11-30T13:00:00+01:00),
// relative to now (-10m, -2h, -1d, -1h30m; "now"), or microseconds since
// the epoch (as start_us in the JSON output).
//
// Unlike the other subcommands this one reads the audit log directly
// (through cairn_audit, LevelDB and Abseil, not the engine): the C ABI has
// no audit call yet. A log open in a running client is held by it (LevelDB
// locks its directory): a query then reads a copy (audit_snapshot.h) and
// --trim exits 4 (busy).
#include <stdio.h>
#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bindings/cli/audit_snapshot.h"
#include "bindings/cli/cli.h"
#include "cluster/audit_log.h"
#include "cluster/client_wire.h"

namespace cairn::cli {
namespace {

// Copies of a log in use made before giving up (a compaction during the
// copy spoils one).
constexpr int kSnapshotAttempts = 5;

struct AuditArgs {
  std::string path;
  std::string method;
  std::string since;
  std::string until;
  uint64_t limit = 1000;
  bool json = false;
  bool table = false;
  bool trim = false;
  double retention_hours = 24 * 7;
  uint64_t retention_mb = 256;
};

int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound: return kExitNotFound;
    case absl::StatusCode::kAborted: return kExitBusy;
    case absl::StatusCode::kDataLoss: return kExitCorruption;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition: return kExitUsage;
    case absl::StatusCode::kUnimplemented: return kExitNotSupported;
    default: return kExitError;
  }
}

[[noreturn]] void Fail(const absl::Status& s) {
  throw CliError(ExitCodeFor(s), std::string(s.message()));
}

// RFC 3339, a duration relative to now (absl's "-1h30m", plus days "-2d"),
// "now", or integer microseconds since the epoch.
absl::Time ParseTimeArg(const std::string& flag, const std::string& text,
                        absl::Time now) {
  if (text == "now") return now;
  int64_t us = 0;
  if (absl::SimpleAtoi(text, &us)) return absl::FromUnixMicros(us);
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return t;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    absl::Duration d;
    int64_t days = 0;
    if (text.size() > 2 && text.back() == 'd' &&
        absl::SimpleAtoi(text.substr(1, text.size() - 2), &days) &&
        days >= 0 && days <= 1'000'000) {
      d = absl::Hours(24 * days);
      return text[0] == '-' ? now - d : now + d;
    }
    if (absl::ParseDuration(text, &d)) return now + d;
  }
  throw CliError(kExitUsage,
                 flag + " '" + text +
                     "': expected an RFC 3339 time (2026-11-30T12:00:00Z), "
                     "a time relative to now (-10m, -2h, -1d, now) or "
                     "microseconds since the epoch");
}

std::string FormatStart(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

void PrintTable(const std::vector<cluster::AuditRecord>& records) {
  printf("%-27s %10s %-14s %-16s %-21s %5s %6s %-18s %s\n", "START",
         "ELAPSED_US", "METHOD", "CLIENT", "ADDRESS", "NODE", "SHARD",
         "OUTCOME", "PARAMS");
  for (const cluster::AuditRecord& r : records) {
    std::string params = r.params;
    if (!r.message.empty()) params += "  [" + r.message + "]";
    printf("%-27s %10lld %-14s %-16s %-21s %5u %6lld %-18s %s\n",
           FormatStart(r.start).c_str(),
           static_cast<long long>(absl::ToInt64Microseconds(r.elapsed())),
           r.method.c_str(), r.client_id.c_str(), r.client_address.c_str(),
           r.node, static_cast<long long>(r.shard), r.outcome.c_str(),
           params.c_str());
  }
}

void RunAudit(const AuditArgs& a) {
  if (!a.method.empty()) {
    absl::StatusOr<cluster::Method> m = cluster::ParseMethod(a.method);
    if (!m.ok()) {
      throw CliError(kExitUsage,
                     "--method: " + std::string(m.status().message()));
    }
  }
  if (a.json && a.table) {
    throw CliError(kExitUsage, "--json and --table exclude each other");
  }
  if (a.limit == 0) {
    throw CliError(kExitUsage, "--limit: expected a positive count, got 0");
  }
  if (a.trim && (!a.method.empty() || !a.since.empty() || !a.until.empty())) {
    throw CliError(kExitUsage,
                   "--trim applies retention to the whole log: it takes no "
                   "--method, --since or --until");
  }
  const absl::Time now = absl::Now();
  const absl::Time since =
      a.since.empty() ? absl::InfinitePast() : ParseTimeArg("--since", a.since, now);
  const absl::Time until = a.until.empty()
                               ? absl::InfiniteFuture()
                               : ParseTimeArg("--until", a.until, now);
  // A missing log is not created by a query.
  struct stat st;
  if (stat((a.path + "/CURRENT").c_str(), &st) != 0) {
    throw CliError(kExitNotFound,
                   "no audit log at '" + a.path + "' (no LevelDB CURRENT file)");
  }
  cluster::AuditOptions options;
  options.trim_interval = absl::ZeroDuration();
  options.trim_at_open = false;  // a query never drops; --trim counts
  if (a.trim) {
    if (!(a.retention_hours > 0)) {
      throw CliError(kExitUsage, "--retention-hours: expected a positive "
                                 "number of hours");
    }
    if (a.retention_mb == 0) {
      throw CliError(kExitUsage,
                     "--retention-mb: expected a positive size, got 0");
    }
    options.retention_age =
        absl::Seconds(static_cast<int64_t>(a.retention_hours * 3600));
    options.retention_bytes = a.retention_mb << 20;
  }
  absl::StatusOr<std::unique_ptr<cluster::AuditLog>> log =
      cluster::AuditLog::Open(a.path, options);
  // A running client holds its log: a query reads a copy (audit_snapshot.h);
  // --trim, which must change the log itself, stays busy.
  AuditSnapshot snapshot;
  for (int attempt = 0; !a.trim && attempt < kSnapshotAttempts &&
                        log.status().code() == absl::StatusCode::kAborted;
       ++attempt) {
    if (attempt == 0) {
      fprintf(stderr, "cairn: %s is open in another process; reading a copy\n",
              a.path.c_str());
    }
    log = cluster::AuditLog::Open(snapshot.Take(a.path), options);
    if (!log.ok() && attempt + 1 < kSnapshotAttempts) {
      log = absl::AbortedError(log.status().message());  // copy again
    }
  }
  if (!log.ok()) Fail(log.status());
  if (a.trim) {
    absl::StatusOr<uint64_t> dropped = (*log)->Trim();
    if (!dropped.ok()) Fail(dropped.status());
    printf("dropped %llu records (retention %g hours, %llu MiB)\n",
           static_cast<unsigned long long>(*dropped), a.retention_hours,
           static_cast<unsigned long long>(a.retention_mb));
    return;
  }
  absl::StatusOr<std::vector<cluster::AuditRecord>> records =
      (*log)->Query(a.method, since, until, a.limit);
  if (!records.ok()) Fail(records.status());
  if (a.table) {
    PrintTable(*records);
  } else {
    for (const cluster::AuditRecord& r : *records) {
      printf("%s\n", cluster::AuditRecordJson(r).c_str());
    }
  }
}

}  // namespace

void AddAuditCommand(CLI::App& app, Globals&) {
  auto* cmd = app.add_subcommand(
      "audit",
      "Query a cluster client's audit log by method and time (one JSON line "
      "per record), or apply its retention");
  auto a = std::make_shared<AuditArgs>();
  cmd->add_option("path", a->path, "Audit log directory")->required();
  cmd->add_option("-m,--method", a->method,
                  "Only this method: get, put, delete, batch, scan, status, "
                  "report_failure");
  cmd->add_option("--since", a->since,
                  "Records that started at or after T: RFC 3339 "
                  "(2026-11-30T12:00:00Z), relative (-10m, -2h, -1d, now) or "
                  "microseconds since the epoch");
  cmd->add_option("--until", a->until, "Records that started before T");
  cmd->add_option("-n,--limit", a->limit,
                  "At most N records, oldest first (default 1000)");
  cmd->add_flag("--json", a->json, "One JSON object per line (the default)");
  cmd->add_flag("--table", a->table, "A readable table instead of JSON");
  cmd->add_flag("--trim", a->trim,
                "Apply retention now: drop records older than "
                "--retention-hours and the oldest beyond --retention-mb");
  cmd->add_option("--retention-hours", a->retention_hours,
                  "With --trim: keep this many hours (default 168)");
  cmd->add_option("--retention-mb", a->retention_mb,
                  "With --trim: keep at most this many MiB (default 256)");
  cmd->callback([a] { RunAudit(*a); });
}

}  // namespace cairn::cli
