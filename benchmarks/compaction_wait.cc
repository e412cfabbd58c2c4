#include "compaction_wait.h"

#include <sstream>

namespace cairn_bench {

// Rows of the table look like "  1        5        9         0  ...":
// level, files, size in MB, then compaction time and traffic.
bool StatsShowCompactionDue(const std::string& stats) {
  std::istringstream lines(stats);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    int level = -1;
    long files = 0;
    double size_mb = 0;
    if (!(fields >> level >> files >> size_mb) || level < 0) continue;
    if (level == 0 && files >= 4) return true;
    if (level >= 1) {
      double limit_mb = 1;
      for (int i = 0; i < level; ++i) limit_mb *= 10;
      if (size_mb > limit_mb) return true;
    }
  }
  return false;
}

}  // namespace cairn_bench
