// workload.h — keys, values and key distributions shared by the Cairn and
// LevelDB benchmarks, so both stores see exactly the same operation stream.
//
// Keys are 16 bytes: the 64-bit key index in fixed-width lowercase hex. The
// loaded data set holds the even indices 2*i for i in [0, N); the odd ones
// are misses that sort between present keys, so a miss has to be rejected by
// the bloom filter rather than by the table's key range.
//
// Distributions follow YCSB: uniform, and a zipfian (theta = 0.99) whose
// ranks are scrambled by a bijection of [0, N) so that the hot keys are
// spread over the key space (and the LSM's tables) instead of clustered.
// "scan" reads every present key once per pass, in that scrambled order: a
// key comes back only after N other gets, so a cache holding fewer than N
// records never hits on it (the cache-miss benchmark, P11).
//
// Thread safety: ZipfianGenerator, ValuePool and IndexStream are immutable
// after construction and may be shared; each thread owns its random engine
// and its StreamCursor.
#ifndef CAIRN_BENCHMARKS_WORKLOAD_H_
#define CAIRN_BENCHMARKS_WORKLOAD_H_

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cairn_bench {

inline constexpr size_t kKeySize = 16;
inline constexpr size_t kValueSize = 100;

// Writes the 16-byte key for `index` into `out` (no NUL).
inline void FormatKey(uint64_t index, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = static_cast<int>(kKeySize) - 1; i >= 0; --i) {
    out[i] = kHex[index & 0xf];
    index >>= 4;
  }
}

// Key of the i-th loaded record, and the key of a miss next to it.
inline uint64_t PresentIndex(uint64_t i) { return 2 * i; }
inline uint64_t MissingIndex(uint64_t i) { return 2 * i + 1; }

// A bijection of [0, n): cycle-walks an invertible mixer over the smallest
// power of two >= n. Each step (xor-shift, multiply by an odd constant,
// both modulo 2^k) is a permutation, so the walk ends, in < 2 steps on
// average.
class IndexScrambler {
 public:
  explicit IndexScrambler(uint64_t n) : n_(n) {
    while (bits_ < 64 && (uint64_t{1} << bits_) < n) ++bits_;
    mask_ = bits_ == 64 ? ~uint64_t{0} : (uint64_t{1} << bits_) - 1;
    shift_ = bits_ / 2 + 1;
  }

  uint64_t operator()(uint64_t x) const {
    if (n_ <= 1) return 0;
    do {
      x = Mix(x);
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t Mix(uint64_t x) const {
    x ^= x >> shift_;
    x = (x * 0x9e3779b97f4a7c15ULL) & mask_;
    x ^= x >> shift_;
    x = (x * 0xbf58476d1ce4e5b9ULL) & mask_;
    x ^= x >> shift_;
    return x;
  }

  uint64_t n_;
  int bits_ = 0;
  int shift_ = 1;
  uint64_t mask_ = 0;
};

// YCSB's ZipfianGenerator (Gray et al., "Quickly generating billion-record
// synthetic databases") over ranks [0, n), rank 0 the most popular, followed
// by IndexScrambler. Construction is O(n) (zeta); Next() is O(1).
class ZipfianGenerator {
 public:
  explicit ZipfianGenerator(uint64_t n, double theta = 0.99)
      : n_(n), theta_(theta), scrambler_(n) {
    zetan_ = Zeta(n, theta);
    const double zeta2 = Zeta(2, theta);
    alpha_ = 1.0 / (1.0 - theta);
    eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) /
           (1.0 - zeta2 / zetan_);
    half_pow_theta_ = 1.0 + std::pow(0.5, theta);
  }

  // Popularity rank in [0, n), unscrambled.
  template <typename Engine>
  uint64_t NextRank(Engine& engine) const {
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    const double uz = u * zetan_;
    if (uz < 1.0) return 0;
    if (uz < half_pow_theta_) return n_ > 1 ? 1 : 0;
    const auto rank = static_cast<uint64_t>(
        static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
    return rank < n_ ? rank : n_ - 1;
  }

  // Record index in [0, n), hot ranks spread over the key space.
  template <typename Engine>
  uint64_t Next(Engine& engine) const {
    return scrambler_(NextRank(engine));
  }

  uint64_t n() const { return n_; }
  double theta() const { return theta_; }
  // Probability of rank r under the exact distribution (for tests).
  double Probability(uint64_t rank) const {
    return 1.0 / std::pow(static_cast<double>(rank + 1), theta_) / zetan_;
  }

 private:
  static double Zeta(uint64_t n, double theta) {
    double sum = 0;
    for (uint64_t i = 1; i <= n; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i), theta);
    }
    return sum;
  }

  uint64_t n_;
  double theta_;
  IndexScrambler scrambler_;
  double zetan_ = 0;
  double alpha_ = 0;
  double eta_ = 0;
  double half_pow_theta_ = 0;
};

// 100-byte values that compress to about half, like db_bench's: slices of a
// pool made of random printable runs each followed by a copy of itself.
// `value_size` other than kValueSize is for the cache reattach benchmark,
// which fills 1 GiB faster with larger values.
class ValuePool {
 public:
  explicit ValuePool(size_t size = 1 << 20, uint64_t seed = 301,
                     size_t value_size = kValueSize)
      : value_size_(value_size) {
    std::mt19937_64 engine(seed);
    std::uniform_int_distribution<int> printable(' ', '~');
    const size_t run_size = value_size_ / 2 > 0 ? value_size_ / 2 : 1;
    data_.reserve(size + 2 * value_size_);
    while (data_.size() < size + value_size_) {
      std::string run(run_size, ' ');
      for (char& c : run) c = static_cast<char>(printable(engine));
      data_ += run;
      data_ += run;
    }
  }

  std::string_view Value(uint64_t index) const {
    const size_t offset = (index * 97) % (data_.size() - value_size_);
    return std::string_view(data_.data() + offset, value_size_);
  }

  size_t value_size() const { return value_size_; }

 private:
  size_t value_size_;
  std::string data_;
};

// Per-thread random engine with a seed that depends only on the thread's
// index, so the Cairn and LevelDB runs draw identical key streams.
inline std::mt19937_64 ThreadEngine(int thread_index, uint64_t salt) {
  return std::mt19937_64(0x5eed0000ULL + salt * 1000003ULL +
                         static_cast<uint64_t>(thread_index));
}

enum class Distribution { kUniform, kZipfian, kMiss, kScan };

inline const char* DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kZipfian:
      return "zipf";
    case Distribution::kMiss:
      return "miss";
    case Distribution::kScan:
      return "scan";
  }
  return "unknown";
}

// A precomputed, cyclic stream of key indices for one thread, so the timed
// loop pays a sequential load rather than a pow() per operation, and every
// store replays the same keys in the same order. A kScan stream is the pass
// itself (N indices, the same for every thread); walk it with a shared
// StreamCursor so that threads and successive runs continue one pass.
class IndexStream {
 public:
  static constexpr size_t kLength = size_t{1} << 20;

  IndexStream(Distribution distribution, uint64_t n,
              const ZipfianGenerator* zipf, int thread_index)
      : indices_(distribution == Distribution::kScan ? n : kLength) {
    if (distribution == Distribution::kScan) {
      const IndexScrambler scramble(n);
      for (uint64_t i = 0; i < n; ++i) indices_[i] = PresentIndex(scramble(i));
      return;
    }
    auto engine =
        ThreadEngine(thread_index, static_cast<uint64_t>(distribution));
    std::uniform_int_distribution<uint64_t> uniform(0, n - 1);
    for (uint64_t& index : indices_) {
      switch (distribution) {
        case Distribution::kUniform:
          index = PresentIndex(uniform(engine));
          break;
        case Distribution::kZipfian:
          index = PresentIndex(zipf->Next(engine));
          break;
        case Distribution::kMiss:
          index = MissingIndex(uniform(engine));
          break;
        case Distribution::kScan:
          break;
      }
    }
  }

  size_t size() const { return indices_.size(); }

  // The i-th index of the stream, wrapping around (not for timed loops: it
  // divides; StreamCursor does not).
  uint64_t operator[](size_t i) const { return indices_[i % indices_.size()]; }

 private:
  friend class StreamCursor;
  std::vector<uint64_t> indices_;
};

// One thread's walk over an IndexStream. A private cursor starts at the
// stream's beginning and wraps around. A shared one claims the stream in
// chunks of kChunk positions from a counter shared by every thread and run
// on the same data set, so that together they read each position once per
// pass, in (nearly) the stream's order.
class StreamCursor {
 public:
  static constexpr uint64_t kChunk = 1024;

  explicit StreamCursor(const IndexStream& stream,
                        std::atomic<uint64_t>* shared_chunks = nullptr)
      : indices_(stream.indices_.data()),
        size_(stream.indices_.size()),
        shared_chunks_(shared_chunks) {}

  uint64_t Next() {
    if (position_ == end_) Claim();
    return indices_[position_++];
  }

 private:
  void Claim() {
    if (shared_chunks_ == nullptr) {
      position_ = 0;
      end_ = size_;
      return;
    }
    const uint64_t chunks = (size_ + kChunk - 1) / kChunk;
    const uint64_t chunk =
        shared_chunks_->fetch_add(1, std::memory_order_relaxed) % chunks;
    position_ = chunk * kChunk;
    end_ = std::min<uint64_t>(position_ + kChunk, size_);
  }

  const uint64_t* indices_;
  uint64_t size_;
  std::atomic<uint64_t>* shared_chunks_;
  uint64_t position_ = 0;
  uint64_t end_ = 0;
};

}  // namespace cairn_bench

#endif  // CAIRN_BENCHMARKS_WORKLOAD_H_
