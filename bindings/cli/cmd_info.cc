// stats, options, cache (show, add, remove, transfer).
#include <stdio.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "bindings/cli/cli.h"
#include "bindings/cli/progress.h"
#include "nlohmann/json.hpp"

namespace cairn::cli {
namespace {

using Json = nlohmann::ordered_json;

Json ParseJson(const std::string& text, const char* what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw CliError(kExitError, std::string(what) + ": not valid JSON");
  }
  return j;
}

// "a.b: value" lines, nested objects flattened; arrays and scalars as JSON.
void PrintFlat(const Json& j, const std::string& prefix) {
  for (const auto& [name, value] : j.items()) {
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (value.is_object()) {
      PrintFlat(value, key);
    } else {
      printf("%s: %s\n", key.c_str(),
             value.is_string() ? value.get<std::string>().c_str()
                               : value.dump().c_str());
    }
  }
}

std::string Bytes(uint64_t n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

// "64M", "1G", "65536", "512KiB" -> bytes.
uint64_t ParseSize(const std::string& s) {
  size_t end = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(s, &end);
  } catch (...) {
    end = 0;
  }
  std::string unit = s.substr(end);
  uint64_t mul = 0;
  if (unit.empty() || unit == "B") mul = 1;
  if (unit == "K" || unit == "KiB") mul = 1ull << 10;
  if (unit == "M" || unit == "MiB") mul = 1ull << 20;
  if (unit == "G" || unit == "GiB") mul = 1ull << 30;
  if (end == 0 || mul == 0 || n > UINT64_MAX / mul) {
    throw CliError(kExitUsage, "capacity '" + s +
                                   "': expected bytes with an optional K, M "
                                   "or G suffix, e.g. 64M");
  }
  return n * mul;
}

void PrintCache(const Json& c) {
  if (!c.value("enabled", false)) {
    printf("cache: disabled\n");
    return;
  }
  const Json& t = c["total"];
  uint64_t hits = t.value("hits", uint64_t{0});
  uint64_t misses = t.value("misses", uint64_t{0});
  printf("epoch %llu, %s, %zu instances\n",
         static_cast<unsigned long long>(c.value("epoch", uint64_t{0})),
         c.value("migrating", false) ? "migrating" : "stable",
         c["instances"].size());
  printf("capacity %s, used %s, %llu items\n",
         Bytes(t.value("capacity_bytes", uint64_t{0})).c_str(),
         Bytes(t.value("used_bytes", uint64_t{0})).c_str(),
         static_cast<unsigned long long>(t.value("items", uint64_t{0})));
  if (hits + misses > 0) {
    printf("hit ratio %.1f%% (%llu hits, %llu misses)\n",
           100.0 * hits / (hits + misses),
           static_cast<unsigned long long>(hits),
           static_cast<unsigned long long>(misses));
  } else {
    printf("hit ratio - (no lookups yet)\n");
  }
  printf("%-4s %-9s %6s %11s %11s %8s %s\n", "id", "role", "share", "capacity",
         "used", "items", "open");
  for (const Json& i : c["instances"]) {
    printf("%-4llu %-9s %5.1f%% %11s %11s %8llu %s\n",
           static_cast<unsigned long long>(i.value("id", uint64_t{0})),
           i.value("role", std::string("?")).c_str(),
           100.0 * i.value("share", 0.0),
           Bytes(i.value("capacity_bytes", uint64_t{0})).c_str(),
           Bytes(i.value("used_bytes", uint64_t{0})).c_str(),
           static_cast<unsigned long long>(i.value("items", uint64_t{0})),
           i.value("open", std::string("?")).c_str());
  }
}

// Polls "cairn.migration" until the migration is over (the migration runs
// in this process: the tool owns the database), with a progress bar on a
// terminal. Exits with an error after `timeout_s` seconds (0: no limit).
void WaitForMigration(const Database& db, double timeout_s) {
  Progress progress("migrating", 0, StderrIsTerminal());
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    Json m = ParseJson(db.Property("cairn.migration"), "cairn.migration");
    uint64_t moved = m.value("moved_total", uint64_t{0});
    progress.set_total(moved + m.value("remaining_estimate", uint64_t{0}));
    progress.Update(moved);
    if (m.value("state", std::string()) != "migrating") break;
    double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (timeout_s > 0 && waited > timeout_s) {
      throw CliError(kExitError,
                     "the migration is still running after " +
                         std::to_string(static_cast<int>(timeout_s)) +
                         " s; it goes on when the database is next opened");
    }
    // A tool polling a background job: nothing to synchronise with.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  progress.Finish();
}

struct WaitFlags {
  bool no_wait = false;
  double timeout_s = 0;
};

void AddWaitFlags(CLI::App* cmd, WaitFlags* w) {
  cmd->add_flag("--no-wait", w->no_wait,
                "Return at once; the migration goes on when the database is "
                "next opened");
  cmd->add_option("--timeout", w->timeout_s,
                  "Give up waiting after this many seconds (default: none)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

void AddInfoCommands(CLI::App& app, Globals& g) {
  // ---- stats
  {
    auto* cmd = app.add_subcommand(
        "stats", "Print the database's counters (cairn.stats)");
    auto json = std::make_shared<bool>(false);
    auto name = std::make_shared<std::string>();
    cmd->add_option("counter", *name,
                    "Print one counter as an integer: a cairn.stats counter "
                    "(puts, gets, last_sequence, ...) or a full name "
                    "(cairn.cache.hits, leveldb.num-files-at-level0)");
    cmd->add_flag("--json", *json, "Print the JSON property");
    cmd->callback([&g, json, name] {
      Database db(g, false);
      if (!name->empty()) {
        std::string full = name->find('.') == std::string::npos
                               ? "cairn.stats." + *name
                               : *name;
        uint64_t value = 0;
        char* err = nullptr;
        Check(cairn_property_int(db.get(), full.c_str(), &value, &err), &err,
              "counter " + full);
        printf("%llu\n", static_cast<unsigned long long>(value));
        return;
      }
      Json j = ParseJson(db.Property("cairn.stats"), "cairn.stats");
      if (*json) {
        printf("%s\n", j.dump(2).c_str());
      } else {
        PrintFlat(j, "");
      }
    });
  }
  // ---- options
  {
    auto* cmd = app.add_subcommand(
        "options", "Print the database's effective options (cairn.options)");
    auto json = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json, "Print the JSON property");
    cmd->callback([&g, json] {
      Database db(g, false);
      Json j = ParseJson(db.Property("cairn.options"), "cairn.options");
      if (*json) {
        printf("%s\n", j.dump(2).c_str());
      } else {
        PrintFlat(j, "");
      }
    });
  }
  // ---- cache
  auto* cache = app.add_subcommand(
      "cache", "Show the shared-memory cache, or change its instances");
  {
    auto json = std::make_shared<bool>(false);
    cache->add_flag("--json", *json, "Print the JSON property (cairn.cache)");
    cache->callback([&g, cache, json] {
      if (!cache->get_subcommands().empty()) return;  // add/remove/transfer
      Database db(g, false);
      Json c = ParseJson(db.Property("cairn.cache"), "cairn.cache");
      if (*json) {
        printf("%s\n", c.dump(2).c_str());
      } else {
        PrintCache(c);
      }
    });
  }
  {
    auto* cmd = cache->add_subcommand(
        "add", "Add an instance and wait for the migration to it");
    auto capacity = std::make_shared<std::string>();
    auto w = std::make_shared<WaitFlags>();
    cmd->add_option("capacity", *capacity, "Capacity, e.g. 64M")->required();
    AddWaitFlags(cmd, w.get());
    cmd->callback([&g, capacity, w] {
      uint64_t bytes = ParseSize(*capacity);
      Database db(g, false);
      uint32_t id = 0;
      char* err = nullptr;
      Check(cairn_cache_add_instance(db.get(), bytes, &id, &err), &err,
            "cache add " + *capacity);
      printf("added instance %u (%s)\n", id, Bytes(bytes).c_str());
      fflush(stdout);
      if (!w->no_wait) WaitForMigration(db, w->timeout_s);
    });
  }
  {
    auto* cmd = cache->add_subcommand(
        "remove", "Remove an instance and wait while it drains");
    auto id = std::make_shared<uint32_t>(0);
    auto w = std::make_shared<WaitFlags>();
    cmd->add_option("id", *id, "Instance id")->required();
    AddWaitFlags(cmd, w.get());
    cmd->callback([&g, id, w] {
      Database db(g, false);
      char* err = nullptr;
      Check(cairn_cache_remove_instance(db.get(), *id, &err), &err,
            "cache remove " + std::to_string(*id));
      printf("removing instance %u\n", *id);
      fflush(stdout);
      if (!w->no_wait) WaitForMigration(db, w->timeout_s);
    });
  }
  {
    auto* cmd = cache->add_subcommand(
        "transfer", "Move now what one instance holds for another");
    auto ids = std::make_shared<std::vector<uint32_t>>();
    cmd->add_option("from_to", *ids, "FROM TO instance ids")
        ->required()
        ->expected(2);
    cmd->callback([&g, ids] {
      Database db(g, false);
      char* err = nullptr;
      Check(cairn_cache_transfer(db.get(), (*ids)[0], (*ids)[1], &err), &err,
            "cache transfer " + std::to_string((*ids)[0]) + " " +
                std::to_string((*ids)[1]));
      printf("transferred %u -> %u\n", (*ids)[0], (*ids)[1]);
    });
  }
}

}  // namespace cairn::cli
