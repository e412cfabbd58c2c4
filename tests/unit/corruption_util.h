// Helpers for the corruption tests (RELIABILITY R3): damaging a file, and
// reading a damaged database back against the history of what was written.
#ifndef CAIRN_TESTS_UNIT_CORRUPTION_UTIL_H_
#define CAIRN_TESTS_UNIT_CORRUPTION_UTIL_H_

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/test_util.h"

namespace cairn::testing {

// Every write in commit order: a key and its new value (nullopt: deleted).
using History = std::vector<std::pair<std::string, std::optional<std::string>>>;

// What the reads of one or more damaged copies saw.
struct Outcome {
  int trials = 0;
  int open_corruption = 0;  // Open failed with DataLoss
  int read_corruption = 0;  // opened; some read or iteration saw DataLoss
  int clean = 0;            // opened; every answer correct
  int wrong = 0;            // answers that were neither correct nor DataLoss
  int tail_lost = 0;        // trials whose state was an older prefix
  int unnamed = 0;          // DataLoss messages not naming the damaged file
  int other_error = 0;      // a status that is neither OK, NotFound, DataLoss
  std::string first_wrong, first_unnamed;

  Outcome& operator+=(const Outcome& o);
  std::string ToString() const;
};

// Flips one random bit of `path`; returns "bit B of byte N of SIZE".
std::string FlipRandomBit(const std::string& path, std::mt19937* rng);
// Truncates `path` to a random shorter length; returns "truncated to N of
// SIZE".
std::string TruncateAtRandom(const std::string& path, std::mt19937* rng);

// Opens the database at `path` with `options`, reads every key of `history`
// (and keys never written) with Get, iterates forwards and backwards, and
// classifies the answers. The final state of `history` is the only correct
// one unless a prefix is allowed (`allow_prefix`: the write-ahead log's torn
// tail); a prefix then counts as tail_lost. DataLoss messages must name
// `damaged_file` when it is not empty. `what` describes the damage for
// failure messages.
Outcome CheckCopy(const std::string& path, const History& history,
                  const OptionList& options, const std::string& damaged_file,
                  const std::string& what, bool allow_prefix);

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_UNIT_CORRUPTION_UTIL_H_
