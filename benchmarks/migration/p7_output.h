// p7_output.h — what cairn_p7 writes: <out>/p7_timeseries.csv (one row per
// strategy and interval), <out>/p7.json (configuration, series and summary;
// NaN and infinities become null) and a summary table on stdout.
// plot_p7.py turns the files into a PNG and a Markdown summary, and the
// ctest smoke test (p7_smoke.cmake) checks the CSV's header and series.
#ifndef CAIRN_BENCHMARKS_MIGRATION_P7_OUTPUT_H_
#define CAIRN_BENCHMARKS_MIGRATION_P7_OUTPUT_H_

#include <vector>

#include "p7_config.h"
#include "p7_sampler.h"

namespace p7 {

// Creates cfg.out if needed and writes both files; throws (Die) if it
// cannot. total_s: the whole run, for the record.
void WriteOutputs(const Config& cfg, const std::vector<Result>& results,
                  double total_s);

void PrintSummary(const std::vector<Result>& results);

}  // namespace p7

#endif  // CAIRN_BENCHMARKS_MIGRATION_P7_OUTPUT_H_
