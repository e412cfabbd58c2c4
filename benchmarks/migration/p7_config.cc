#include "p7_config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace p7 {

void Die(const std::string& what) { throw std::runtime_error(what); }

namespace {

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void SetOption(Config* c, const std::string& name, const std::string& v) {
  auto u64 = [&] {
    char* end = nullptr;
    errno = 0;
    unsigned long long x = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') {
      Die("option " + name + ": not a non-negative integer: '" + v + "'");
    }
    return static_cast<uint64_t>(x);
  };
  auto dbl = [&] {
    char* end = nullptr;
    double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(x >= 0)) {
      Die("option " + name + ": not a non-negative number: '" + v + "'");
    }
    return x;
  };
  if (name == "keys") {
    c->keys = u64();
  } else if (name == "instances") {
    c->instances = static_cast<uint32_t>(u64());
  } else if (name == "instance-mb") {
    c->instance_mb = u64();
  } else if (name == "warmup-s") {
    c->warmup_s = dbl();
  } else if (name == "before-s") {
    c->before_s = dbl();
  } else if (name == "after-s") {
    c->after_s = dbl();
  } else if (name == "interval-ms") {
    c->interval_ms = static_cast<uint32_t>(u64());
  } else if (name == "threads") {
    c->threads = static_cast<int>(u64());
  } else if (name == "strategies") {
    c->strategies = Split(v);
  } else if (name == "migration-rate") {
    c->migration_rate = u64();
  } else if (name == "migration-wait-s") {
    c->migration_wait_s = dbl();
  } else if (name == "out") {
    c->out = v;
  } else if (name == "dir") {
    c->dir = v;
  } else {
    Die("unknown option --" + name + " (see p7_config.h)");
  }
}

}  // namespace

Config ParseConfig(int argc, char** argv) {
  Config c;
  static const char* const kNames[] = {
      "keys",       "instances",      "instance-mb",      "warmup-s",
      "before-s",   "after-s",        "interval-ms",      "threads",
      "strategies", "migration-rate", "migration-wait-s", "out",
      "dir"};
  for (const char* name : kNames) {
    std::string env = "CAIRN_P7_";
    for (const char* p = name; *p; ++p) {
      env += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
    }
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v) {
      SetOption(&c, name, v);
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf(
          "usage: cairn_p7 [--keys=N] [--instances=N] [--instance-mb=N]\n"
          "  [--warmup-s=S] [--before-s=S] [--after-s=S] [--interval-ms=N]\n"
          "  [--threads=N] [--strategies=cairn,consistent,modulo]\n"
          "  [--migration-rate=N] [--migration-wait-s=S] [--out=DIR] "
          "[--dir=DIR]\n(see p7_config.h)\n");
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0 || arg.find('=') == std::string::npos) {
      Die("bad argument '" + arg + "': expected --name=value");
    }
    const size_t eq = arg.find('=');
    SetOption(&c, arg.substr(2, eq - 2), arg.substr(eq + 1));
  }
  if (c.keys < 16) Die("--keys must be at least 16");
  if (c.instances < 1 || c.instances > 64) Die("--instances must be 1..64");
  if (c.threads < 1 || c.threads > 16) Die("--threads must be 1..16");
  if (c.interval_ms < 10) Die("--interval-ms must be at least 10");
  for (const std::string& s : c.strategies) {
    if (s != "cairn" && s != "consistent" && s != "modulo") {
      Die("unknown strategy '" + s + "' (cairn, consistent, modulo)");
    }
  }
  if (c.instance_mb == 0) {
    // 256 bytes per record over the initial instances: a record takes ~136
    // bytes (20-byte header + 16 + 100), so ~55% full before the add.
    const uint64_t bytes = c.keys * 256 / c.instances;
    c.instance_mb = std::max<uint64_t>(1, (bytes + (1 << 20) - 1) >> 20);
  }
  return c;
}

}  // namespace p7
