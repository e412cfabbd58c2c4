// p7_config.h — the configuration of cairn_p7 (P7 in BENCHMARKS.md), from
// flags and environment variables, and the error convention of the program.
//
// Options (flags override environment variables; defaults in brackets):
//   --keys=N              CAIRN_P7_KEYS          records [1000000]
//   --instances=N         CAIRN_P7_INSTANCES     instances before the add [4]
//   --instance-mb=N       CAIRN_P7_INSTANCE_MB   MiB per instance [auto]
//   --warmup-s=S          CAIRN_P7_WARMUP_S      zipfian warm-up [2]
//   --before-s=S          CAIRN_P7_BEFORE_S      steady window [5]
//   --after-s=S           CAIRN_P7_AFTER_S       window after the add [20]
//   --interval-ms=N       CAIRN_P7_INTERVAL_MS   sampling interval [100]
//   --threads=N           CAIRN_P7_THREADS       reader threads [1]
//   --strategies=a,b,c    CAIRN_P7_STRATEGIES    [cairn,consistent,modulo]
//   --migration-rate=N    CAIRN_P7_MIGRATION_RATE  Cairn's
//                         migration.rate_items_per_sec [Cairn's default]
//   --migration-wait-s=S  CAIRN_P7_MIGRATION_WAIT_S  how long to wait after
//                         the window for an unfinished migration [60]
//   --out=DIR             CAIRN_P7_OUT           results [p7_results]
//   --dir=DIR             CAIRN_P7_DIR           parent of the temp dir [/tmp]
//   CAIRN_P7_NO_WATCHDOG=1  run in-process (for a debugger); cleanup is then
//                           done only on a normal exit or SIGINT/SIGTERM
//                           (see p7_watchdog.h).
//
// instance-mb "auto" is 256 bytes per record over the initial instances, so
// the data set fits at about half full, and still fits after the add.
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_CONFIG_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

namespace p7 {

// Errors in cairn_p7 are exceptions carrying a message that names the
// culprit; the worker prints it and exits with status 1 (2 for bad options).
[[noreturn]] void Die(const std::string& what);

struct Config {
  uint64_t keys = 1000000;
  uint32_t instances = 4;
  uint64_t instance_mb = 0;  // 0: auto
  double warmup_s = 2;
  double before_s = 5;
  double after_s = 20;
  uint32_t interval_ms = 100;
  int threads = 1;
  std::vector<std::string> strategies = {"cairn", "consistent", "modulo"};
  uint64_t migration_rate = 0;  // 0: Cairn's default
  double migration_wait_s = 60;
  std::string out = "p7_results";
  std::string dir = "/tmp";
};

// Environment first, then flags; checks ranges and resolves instance_mb.
// Throws (Die) on a malformed or out-of-range value; prints the usage and
// exits 0 on --help.
Config ParseConfig(int argc, char** argv);

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_CONFIG_H_
