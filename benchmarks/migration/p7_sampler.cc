#include "p7_sampler.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string_view>
#include <thread>

#include "p7_watchdog.h"

namespace p7 {

using json = nlohmann::ordered_json;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

namespace {

struct alignas(64) ReaderCounters {
  std::atomic<uint64_t> ops{0}, hits{0}, misses{0}, errors{0};
};

uint64_t WallMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

void Summarize(Result* r, const Config& cfg) {
  uint64_t hits = 0, misses = 0, ops = 0;
  double secs = 0;
  for (const Sample& s : r->series) {
    if (s.phase != "before") continue;
    hits += s.hits;
    misses += s.misses;
    ops += s.ops;
    secs += s.t_end - s.t_start;
  }
  json& j = r->summary;
  const double steady =
      hits + misses == 0 ? NAN : static_cast<double>(hits) / (hits + misses);
  const double steady_ops = secs > 0 ? ops / secs : NAN;
  j["steady_hit_ratio"] = steady;
  j["steady_ops_per_sec"] = steady_ops;
  double min_ratio = INFINITY, min_at = NAN, min_ops = INFINITY;
  std::optional<double> recovery = 0.0;
  double last_end = 0;
  for (const Sample& s : r->series) {
    if (s.phase != "after") continue;
    const double hr = s.hit_ratio();
    if (!std::isnan(hr) && hr < min_ratio) {
      min_ratio = hr;
      min_at = s.t_end;
    }
    min_ops = std::min(min_ops, s.ops_per_sec());
    if (!std::isnan(hr) && hr < 0.99 * steady) recovery = s.t_end;
    last_end = s.t_end;
  }
  if (recovery && *recovery >= last_end && last_end > 0) recovery.reset();
  j["min_hit_ratio_after"] = min_ratio;
  j["min_hit_ratio_after_t_s"] = min_at;
  j["min_after_pct_of_steady"] = 100.0 * min_ratio / steady;
  j["min_ops_after_pct_of_steady"] = 100.0 * min_ops / steady_ops;
  if (recovery) {
    j["recovery_to_99pct_s"] = *recovery;
  } else {
    j["recovery_to_99pct_s"] = nullptr;  // not within the window
  }
  j["window_after_s"] = cfg.after_s;
  j["add_call_ms"] = r->add_call_ms;
  if (!r->simulated) {
    const MigrationInfo& m = r->migration_end;
    j["migration_finished"] = r->migration_finished;
    j["migration_finished_in_window"] = r->migration_finished_in_window;
    if (r->migration_finished && m.started_ms != 0) {
      j["migration_duration_s"] = (m.finished_ms - m.started_ms) / 1000.0;
    } else {
      j["migration_duration_s"] = nullptr;
    }
    j["migration_end_t_s"] = r->migration_end_t;
    j["migration_rate_items_per_sec"] = m.rate;
    j["moved_lazy"] = m.moved_lazy;
    j["moved_mover"] = m.moved_mover;
    j["moved_total"] = m.moved_total;
    j["p7_goal_met"] =
        r->migration_finished && 100.0 * min_ratio / steady >= 90.0;
  } else {
    j["ring_moved_share"] = r->ring_moved_share;
  }
}

}  // namespace

Result RunStrategy(const Config& cfg, Strategy& st,
                   const cairn_bench::ZipfianGenerator& zipf,
                   const cairn_bench::ValuePool& pool) {
  Result r;
  r.name = st.name();
  r.description = st.description();
  r.simulated = st.simulated();
  std::printf("\n== %s: %s\n", r.name.c_str(), r.description.c_str());
  std::fflush(stdout);

  // Load the cache: one sequential read of every key.
  const Clock::time_point load_start = Clock::now();
  {
    char key[cairn_bench::kKeySize];
    for (uint64_t i = 0; i < cfg.keys && !StopRequested(); ++i) {
      cairn_bench::FormatKey(cairn_bench::PresentIndex(i), key);
      if (st.Read(i, std::string_view(key, sizeof(key))) ==
          ReadResult::kError) {
        ++r.errors;
      }
    }
  }
  r.load_s = Seconds(Clock::now() - load_start);
  r.items_after_load = st.CachedItems();
  r.instances_before = st.Instances();
  std::printf("   cache loaded in %.1f s: %" PRIu64 " of %" PRIu64
              " records cached in %u instances of %" PRIu64 " MiB\n",
              r.load_s, r.items_after_load, cfg.keys, r.instances_before,
              cfg.instance_mb);
  std::fflush(stdout);

  // Readers.
  std::vector<ReaderCounters> counters(cfg.threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < cfg.threads; ++t) {
    readers.emplace_back([&, t] {
      auto engine = cairn_bench::ThreadEngine(t, /*salt=*/7);
      ReaderCounters& c = counters[t];
      uint64_t ops = 0, hits = 0, misses = 0, errors = 0;
      char key[cairn_bench::kKeySize];
      while (!stop.load(std::memory_order_relaxed)) {
        for (int k = 0; k < 64; ++k) {
          const uint64_t i = zipf.Next(engine);
          cairn_bench::FormatKey(cairn_bench::PresentIndex(i), key);
          switch (st.Read(i, std::string_view(key, sizeof(key)))) {
            case ReadResult::kHit:
              ++hits;
              break;
            case ReadResult::kMiss:
              ++misses;
              break;
            case ReadResult::kUnknown:
              break;
            case ReadResult::kError:
              ++errors;
              break;
          }
          ++ops;
        }
        c.ops.store(ops, std::memory_order_relaxed);
        c.hits.store(hits, std::memory_order_relaxed);
        c.misses.store(misses, std::memory_order_relaxed);
        c.errors.store(errors, std::memory_order_relaxed);
      }
    });
  }

  // Sampling. The add happens right after the sample that ends the
  // "before" window; t = 0 is when the add call starts.
  const auto interval = std::chrono::milliseconds(cfg.interval_ms);
  const int warm_n =
      static_cast<int>(std::lround(cfg.warmup_s * 1000 / cfg.interval_ms));
  const int before_n = std::max(
      1, static_cast<int>(std::lround(cfg.before_s * 1000 / cfg.interval_ms)));
  const int after_n = std::max(
      1, static_cast<int>(std::lround(cfg.after_s * 1000 / cfg.interval_ms)));
  const Clock::time_point start = Clock::now();
  const Clock::time_point add_at = start + interval * (warm_n + before_n);
  Clock::time_point t_add = add_at;  // replaced by the real call time
  std::thread adder;
  std::atomic<bool> add_done{false};
  uint64_t add_wall_ms = 0;

  auto totals = [&](uint64_t* ops, uint64_t* hits, uint64_t* misses) {
    *ops = *hits = *misses = 0;
    for (ReaderCounters& c : counters) {
      *ops += c.ops.load(std::memory_order_relaxed);
      *hits += c.hits.load(std::memory_order_relaxed);
      *misses += c.misses.load(std::memory_order_relaxed);
    }
    st.CacheCounts(hits, misses);
  };
  uint64_t prev_ops, prev_hits, prev_misses;
  totals(&prev_ops, &prev_hits, &prev_misses);
  Clock::time_point prev_t = Clock::now();

  for (int k = 1; k <= warm_n + before_n + after_n && !StopRequested(); ++k) {
    std::this_thread::sleep_until(start + interval * k);
    const Clock::time_point now = Clock::now();
    uint64_t ops, hits, misses;
    totals(&ops, &hits, &misses);
    Sample s;
    s.phase = k <= warm_n              ? "warmup"
              : k <= warm_n + before_n ? "before"
                                       : "after";
    s.t_start = Seconds(prev_t - t_add);
    s.t_end = Seconds(now - t_add);
    s.ops = ops - prev_ops;
    s.hits = hits - prev_hits;
    s.misses = misses - prev_misses;
    s.instances = st.Instances();
    s.migration = st.Migration();
    r.series.push_back(s);
    prev_ops = ops;
    prev_hits = hits;
    prev_misses = misses;
    prev_t = now;
    if (k == warm_n + before_n) {
      // Re-base the times recorded so far on the real start of the add.
      const Clock::time_point call = Clock::now();
      const double shift = Seconds(call - t_add);
      for (Sample& old : r.series) {
        old.t_start -= shift;
        old.t_end -= shift;
      }
      t_add = call;
      add_wall_ms = WallMs();
      adder = std::thread([&] {
        const Clock::time_point c0 = Clock::now();
        st.AddInstance();
        r.add_call_ms = Seconds(Clock::now() - c0) * 1000;
        add_done = true;
      });
    }
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  if (adder.joinable()) adder.join();
  for (ReaderCounters& c : counters) r.errors += c.errors.load();
  r.instances_after = st.Instances();
  if (st.simulated()) r.ring_moved_share = st.ring_moved_share();
  if (!st.simulated()) {
    r.add_error = st.add_error();
    // Did the migration end on its own? Poll (without load) a while.
    MigrationInfo m = st.Migration();
    r.migration_finished_in_window = m.state == "stable" && m.finished_ms != 0;
    const Clock::time_point deadline =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(cfg.migration_wait_s));
    while (m.state != "stable" && Clock::now() < deadline && !StopRequested() &&
           r.add_error.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      m = st.Migration();
    }
    r.migration_end = m;
    r.migration_finished = m.state == "stable" && m.finished_ms != 0;
    if (r.migration_finished) {
      r.migration_end_t = (static_cast<double>(m.finished_ms) -
                           static_cast<double>(add_wall_ms)) /
                          1000.0;
    }
  }
  Summarize(&r, cfg);
  return r;
}

}  // namespace p7
