#include "p7_output.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "nlohmann/json.hpp"
#include "workload.h"

namespace p7 {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kLevelDbOptionsNote =
    "LevelDB options: Cairn's defaults (same database for all strategies)";

std::string Num(double x, const char* fmt = "%.6g") {
  if (std::isnan(x) || std::isinf(x)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, x);
  return buf;
}

json SanitizeNan(json j) {
  if (j.is_number_float() && !std::isfinite(j.get<double>())) return nullptr;
  if (j.is_object() || j.is_array()) {
    for (auto& v : j) v = SanitizeNan(v);
  }
  return j;
}

}  // namespace

void WriteOutputs(const Config& cfg, const std::vector<Result>& results,
                  double total_s) {
  std::filesystem::create_directories(cfg.out);
  const std::string csv_path = cfg.out + "/p7_timeseries.csv";
  {
    std::ofstream csv(csv_path);
    csv << "strategy,simulated,phase,t_start_s,t_end_s,ops,hits,misses,"
           "hit_ratio,ops_per_sec,instances,migration_state,moved_total,"
           "remaining_estimate\n";
    for (const Result& r : results) {
      for (const Sample& s : r.series) {
        csv << r.name << ',' << (r.simulated ? 1 : 0) << ',' << s.phase << ','
            << Num(s.t_start, "%.4f") << ',' << Num(s.t_end, "%.4f") << ','
            << s.ops << ',' << s.hits << ',' << s.misses << ','
            << Num(s.hit_ratio(), "%.6f") << ',' << Num(s.ops_per_sec(), "%.1f")
            << ',' << s.instances << ',' << s.migration.state << ','
            << s.migration.moved_total << ',' << s.migration.remaining << '\n';
      }
    }
    if (!csv) Die("cannot write " + csv_path);
  }
  json j;
  j["benchmark"] = "P7 add a cache instance under load";
  j["note"] =
      "cairn is the product through its C ABI; consistent and modulo are "
      "SIMULATIONS over the same ShmInstance (and ring::Ring) code, with "
      "misses read from a Cairn database with cache.capacity_mb=0";
  j["config"] = {
      {"keys", cfg.keys},
      {"key_bytes", cairn_bench::kKeySize},
      {"value_bytes", cairn_bench::kValueSize},
      {"distribution", "zipfian"},
      {"theta", 0.99},
      {"instances_before", cfg.instances},
      {"instance_mb", cfg.instance_mb},
      {"warmup_s", cfg.warmup_s},
      {"before_s", cfg.before_s},
      {"after_s", cfg.after_s},
      {"interval_ms", cfg.interval_ms},
      {"threads", cfg.threads},
      {"migration_rate", cfg.migration_rate == 0 ? json("cairn default")
                                                 : json(cfg.migration_rate)},
      {"leveldb", kLevelDbOptionsNote},
      {"total_run_s", total_s}};
  json list = json::array();
  for (const Result& r : results) {
    json e;
    e["name"] = r.name;
    e["simulated"] = r.simulated;
    e["description"] = r.description;
    e["instances_before"] = r.instances_before;
    e["instances_after"] = r.instances_after;
    e["items_after_load"] = r.items_after_load;
    e["load_s"] = r.load_s;
    e["read_errors"] = r.errors;
    if (!r.add_error.empty()) e["add_error"] = r.add_error;
    e["summary"] = r.summary;
    json series = json::array();
    for (const Sample& s : r.series) {
      json p = {{"phase", s.phase},
                {"t_start_s", s.t_start},
                {"t_end_s", s.t_end},
                {"ops", s.ops},
                {"hits", s.hits},
                {"misses", s.misses},
                {"hit_ratio", s.hit_ratio()},
                {"ops_per_sec", s.ops_per_sec()},
                {"instances", s.instances}};
      if (!r.simulated) {
        p["migration_state"] = s.migration.state;
        p["moved_total"] = s.migration.moved_total;
        p["remaining_estimate"] = s.migration.remaining;
      }
      series.push_back(p);
    }
    e["series"] = series;
    list.push_back(e);
  }
  j["strategies"] = list;
  const std::string json_path = cfg.out + "/p7.json";
  std::ofstream out(json_path);
  out << SanitizeNan(j).dump(1) << '\n';
  if (!out) Die("cannot write " + json_path);
  std::printf("\nwrote %s and %s\n", csv_path.c_str(), json_path.c_str());
}

void PrintSummary(const std::vector<Result>& results) {
  std::printf(
      "\nP7 summary (cairn = product via C ABI; consistent, modulo = "
      "SIMULATED over the same instance code)\n");
  std::printf("%-11s %-9s %8s %10s %9s %11s %11s %9s\n", "strategy", "kind",
              "steady", "min after", "min/stdy", "recover99", "steady op/s",
              "migr s");
  for (const Result& r : results) {
    const json& s = r.summary;
    auto d = [&](const char* k) {
      return s.contains(k) && s[k].is_number() ? s[k].get<double>() : NAN;
    };
    // Not recovered: "><window> s". (Appended rather than written as
    // ">" + ..., which trips a false -Wrestrict in GCC 12 at -O3.)
    std::string recovery =
        s["recovery_to_99pct_s"].is_null()
            ? std::string(">").append(Num(d("window_after_s"), "%.0f"))
            : Num(d("recovery_to_99pct_s"), "%.1f");
    recovery += " s";
    std::string migr = r.simulated ? "-"
                       : s["migration_duration_s"].is_null()
                           ? "unfinished"
                           : Num(d("migration_duration_s"), "%.2f");
    std::printf("%-11s %-9s %8s %10s %8s%% %11s %11s %9s\n", r.name.c_str(),
                r.simulated ? "simulated" : "product",
                Num(d("steady_hit_ratio"), "%.4f").c_str(),
                Num(d("min_hit_ratio_after"), "%.4f").c_str(),
                Num(d("min_after_pct_of_steady"), "%.1f").c_str(),
                recovery.c_str(), Num(d("steady_ops_per_sec"), "%.0f").c_str(),
                migr.c_str());
    if (!r.simulated) {
      std::printf("   cairn: migration %s; moved lazily %" PRIu64
                  ", by the mover %" PRIu64 " (rate %" PRIu64
                  "/s); add call %.1f ms; P7 goal (min >= 90%% of "
                  "steady, migration finishes on its own): %s\n",
                  r.migration_finished ? (r.migration_finished_in_window
                                              ? "finished within the window"
                                              : "finished after the window")
                                       : "DID NOT FINISH",
                  r.migration_end.moved_lazy, r.migration_end.moved_mover,
                  r.migration_end.rate, r.add_call_ms,
                  s.value("p7_goal_met", false) ? "MET" : "NOT MET");
    } else if (!std::isnan(r.ring_moved_share)) {
      std::printf(
          "   %s: the ring moved %.1f%% of its buckets to the new "
          "instance\n",
          r.name.c_str(), 100 * r.ring_moved_share);
    }
    if (r.errors != 0) {
      std::printf("   %s: %" PRIu64 " READ ERRORS (failed or wrong values)\n",
                  r.name.c_str(), r.errors);
    }
    if (!r.add_error.empty()) std::printf("   %s\n", r.add_error.c_str());
  }
  std::fflush(stdout);
}

}  // namespace p7
