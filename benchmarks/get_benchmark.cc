#include "get_benchmark.h"

#include <map>
#include <memory>
#include <mutex>
#include <utility>

namespace cairn_bench {
namespace {

const ZipfianGenerator& Zipf() {
  static const ZipfianGenerator zipf(Config().keys, 0.99);
  return zipf;
}

}  // namespace

const IndexStream& StreamFor(Distribution distribution, int thread_index) {
  static std::mutex mutex;
  static std::map<std::pair<Distribution, int>, std::unique_ptr<IndexStream>>
      streams;
  if (distribution == Distribution::kScan) thread_index = 0;
  std::lock_guard<std::mutex> lock(mutex);
  auto& stream = streams[{distribution, thread_index}];
  if (stream == nullptr) {
    stream = std::make_unique<IndexStream>(distribution, Config().keys, &Zipf(),
                                           thread_index);
  }
  return *stream;
}

}  // namespace cairn_bench
