// ycsb_workload.h — YCSB's core workloads and key choosers, as in
// brianfrankcooper/YCSB's CoreWorkload with its defaults (100% of fields
// read and written, one 100-byte field):
//   A  50% read, 50% update          B  95% read, 5% update
//   C  100% read                     D  95% read latest, 5% insert
//   E  95% scan (1..100 records), 5% insert
//   F  50% read, 50% read-modify-write
// Request distributions: uniform, or zipfian with theta 0.99 scrambled
// over the key space (YCSB's ScrambledZipfianGenerator); D always reads
// "latest" (zipfian over the most recent inserts).
//
// Keys are 16 bytes ("user" + 12 hex digits of a mixed record number, so
// consecutive records are not adjacent in key order); values 100 bytes.
// Each thread owns its generators; the insert counter is shared.
#ifndef CAIRN_BENCHMARKS_YCSB_YCSB_WORKLOAD_H_
#define CAIRN_BENCHMARKS_YCSB_YCSB_WORKLOAD_H_

#include <atomic>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace cairn_ycsb {

inline constexpr size_t kKeyBytes = 16;
inline constexpr size_t kValueBytes = 100;

inline uint64_t Mix(uint64_t x) {  // splitmix64's finalizer: a bijection
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

inline void FormatKey(uint64_t record, char* out) {
  static const char kHex[] = "0123456789abcdef";
  out[0] = 'u', out[1] = 's', out[2] = 'e', out[3] = 'r';
  uint64_t h = Mix(record);
  for (int i = 15; i >= 4; --i, h >>= 4) out[i] = kHex[h & 15];
}

// A value that changes with each write (`salt`), so updates are real.
inline void FormatValue(uint64_t record, uint64_t salt, char* out) {
  uint64_t x = Mix(record ^ (salt << 40));
  for (size_t i = 0; i < kValueBytes; ++i) {
    if (i % 8 == 0) x = Mix(x + i);
    out[i] = static_cast<char>('a' + (x >> ((i % 8) * 8)) % 26);
  }
}

// YCSB's ZipfianGenerator (Gray et al.), items [0, n), theta 0.99.
class Zipfian {
 public:
  explicit Zipfian(uint64_t n, double theta = 0.99) : n_(n), theta_(theta) {
    zetan_ = Zeta(n, theta);
    const double zeta2 = Zeta(2, theta);
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1 - std::pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetan_);
  }
  template <typename Rng>
  uint64_t Next(Rng& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const double uz = u * zetan_;
    if (uz < 1.0) return 0;
    if (uz < 1.0 + std::pow(0.5, theta_)) return 1;
    const uint64_t v =
        static_cast<uint64_t>(n_ * std::pow(eta_ * u - eta_ + 1, alpha_));
    return v < n_ ? v : n_ - 1;
  }

 private:
  static double Zeta(uint64_t n, double theta) {
    double sum = 0;
    for (uint64_t i = 1; i <= n; ++i) sum += 1.0 / std::pow(i, theta);
    return sum;
  }
  uint64_t n_;
  double theta_, zetan_, alpha_, eta_;
};

enum class Op { kRead, kUpdate, kInsert, kScan, kReadModifyWrite };

struct Mix4 {  // proportions in percent
  int read, update, insert, scan, rmw;
};

inline bool WorkloadMix(char w, Mix4* m) {
  switch (w) {
    case 'A':
      *m = {50, 50, 0, 0, 0};
      return true;
    case 'B':
      *m = {95, 5, 0, 0, 0};
      return true;
    case 'C':
      *m = {100, 0, 0, 0, 0};
      return true;
    case 'D':
      *m = {95, 0, 5, 0, 0};
      return true;
    case 'E':
      *m = {0, 0, 5, 95, 0};
      return true;
    case 'F':
      *m = {50, 0, 0, 0, 50};
      return true;
  }
  return false;
}

// One thread's stream of operations and keys.
class OpStream {
 public:
  OpStream(char workload, bool zipfian, const Zipfian* zipf, uint64_t records,
           std::atomic<uint64_t>* inserted, uint64_t seed)
      : workload_(workload),
        zipfian_(zipfian),
        zipf_(zipf),
        records_(records),
        inserted_(inserted),
        rng_(seed) {
    WorkloadMix(workload, &mix_);
  }

  Op NextOp() {
    int r = std::uniform_int_distribution<int>(0, 99)(rng_);
    if ((r -= mix_.read) < 0) return Op::kRead;
    if ((r -= mix_.update) < 0) return Op::kUpdate;
    if ((r -= mix_.insert) < 0) return Op::kInsert;
    if ((r -= mix_.scan) < 0) return Op::kScan;
    return Op::kReadModifyWrite;
  }
  // A record that exists.
  uint64_t NextRecord() {
    const uint64_t n = inserted_->load(std::memory_order_relaxed);
    if (workload_ == 'D') {  // latest: the newest records most often
      const uint64_t back = zipf_->Next(rng_);
      return back < n ? n - 1 - back : n - 1;
    }
    if (zipfian_) return Mix(zipf_->Next(rng_)) % records_;
    return std::uniform_int_distribution<uint64_t>(0, records_ - 1)(rng_);
  }
  uint64_t NewRecord() {
    return inserted_->fetch_add(1, std::memory_order_relaxed);
  }
  int ScanLength() { return std::uniform_int_distribution<int>(1, 100)(rng_); }
  uint64_t Salt() { return ++salt_; }

 private:
  const char workload_;
  const bool zipfian_;
  const Zipfian* const zipf_;
  const uint64_t records_;
  std::atomic<uint64_t>* const inserted_;
  std::mt19937_64 rng_;
  Mix4 mix_{};
  uint64_t salt_ = 0;
};

}  // namespace cairn_ycsb

#endif  // CAIRN_BENCHMARKS_YCSB_YCSB_WORKLOAD_H_
