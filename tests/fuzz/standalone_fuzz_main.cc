// A driver for fuzz targets when libFuzzer is not available (gcc builds):
// replays the corpus files given on the command line, then runs
// deterministic random mutations of them, bounded by -runs=N. Exits non-zero
// if the target aborts (the process dies) — so it catches crashes and
// sanitizer reports, not coverage.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long runs = 100000;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "-runs=", 6) == 0) {
      runs = atol(argv[i] + 6);
    } else if (argv[i][0] != '-') {
      std::ifstream in(argv[i], std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in),
                          std::istreambuf_iterator<char>());
    }
  }
  if (corpus.empty()) corpus.emplace_back();
  for (const std::string& c : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(c.data()),
                           c.size());
  }
  std::mt19937_64 rng(42);
  for (long r = 0; r < runs; ++r) {
    std::string s = corpus[rng() % corpus.size()];
    int edits = 1 + rng() % 8;
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0:
          if (!s.empty())
            s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 1:
          s.insert(s.begin() + (s.empty() ? 0 : rng() % (s.size() + 1)),
                   static_cast<char>(rng()));
          break;
        case 2:
          if (!s.empty()) s.erase(rng() % s.size(), 1 + rng() % 4);
          break;
        case 3:
          s.resize(rng() % 64, static_cast<char>(rng()));
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()),
                           s.size());
  }
  printf("standalone fuzz: %ld runs over %zu seeds, no crash\n", runs,
         corpus.size());
  return 0;
}
