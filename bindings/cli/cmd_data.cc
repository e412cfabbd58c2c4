// get, put, delete, scan, count.
#include <stdio.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "bindings/cli/bytes.h"
#include "bindings/cli/cli.h"
#include "nlohmann/json.hpp"

namespace cairn::cli {
namespace {

struct OutputFlags {
  bool hex = false;
  bool json = false;
  BytesFormat format() const {
    return hex ? BytesFormat::kHex : BytesFormat::kEscaped;
  }
};

void AddHexFlag(CLI::App* cmd, OutputFlags* f) {
  cmd->add_flag("--hex", f->hex,
                "Keys and values, in arguments and output, are hex");
}

// The key range of scan and count.
struct Range {
  std::string from, to, prefix;
  bool has_from = false, has_to = false, has_prefix = false;
  uint64_t limit = 0;  // 0: no limit
  bool reverse = false;
};

void AddRangeOptions(CLI::App* cmd, Range* r) {
  cmd->add_option("--from", r->from, "First key (inclusive)");
  cmd->add_option("--to", r->to, "Last key (exclusive)");
  cmd->add_option("--prefix", r->prefix, "Only keys with this prefix");
}

// The smallest key greater than every key with `prefix`; nullopt when there
// is none (the prefix is all 0xff).
std::optional<std::string> PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    unsigned char last = static_cast<unsigned char>(prefix.back());
    if (last != 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// An iterator over the range; the read options live as long as it.
class RangeIterator {
 public:
  RangeIterator(const Database& db, const CLI::App* cmd, const Range& r,
                BytesFormat format) {
    // Parsed first: a malformed bound throws before anything is allocated.
    std::optional<std::string> lower, upper;
    if (cmd->count("--prefix") > 0) {
      std::string p = Parse(r.prefix, format, "prefix");
      lower = p;
      upper = PrefixEnd(p);
    }
    if (cmd->count("--from") > 0) {
      std::string f = Parse(r.from, format, "--from");
      if (!lower || f > *lower) lower = f;
    }
    if (cmd->count("--to") > 0) {
      std::string t = Parse(r.to, format, "--to");
      if (!upper || t < *upper) upper = t;
    }
    cairn_readoptions_set_fill_cache(ro_.get(), 0);  // a one-off scan
    char* err = nullptr;
    if (lower) {
      Check(cairn_readoptions_set_lower_bound(ro_.get(), lower->data(),
                                              lower->size(), &err),
            &err, "lower bound");
    }
    if (upper) {
      Check(cairn_readoptions_set_upper_bound(ro_.get(), upper->data(),
                                              upper->size(), &err),
            &err, "upper bound");
    }
    Check(cairn_iter_create(db.get(), ro_.get(), &it_, &err), &err, "iterator");
    reverse_ = r.reverse;
    if (reverse_) {
      cairn_iter_seek_to_last(it_);
    } else {
      cairn_iter_seek_to_first(it_);
    }
  }
  ~RangeIterator() { cairn_iter_destroy(it_); }
  RangeIterator(const RangeIterator&) = delete;
  RangeIterator& operator=(const RangeIterator&) = delete;
  bool Valid() const { return cairn_iter_valid(it_) != 0; }
  void Step() { reverse_ ? cairn_iter_prev(it_) : cairn_iter_next(it_); }
  std::string_view key() const {
    size_t n = 0;
    const char* k = cairn_iter_key(it_, &n);
    return {k, n};
  }
  std::string_view value() const {
    size_t n = 0;
    const char* v = cairn_iter_value(it_, &n);
    return {v, n};
  }
  // Throws if the iteration stopped on an error rather than at the end.
  void CheckStatus() const {
    char* err = nullptr;
    Check(cairn_iter_status(it_, &err), &err, "scan");
  }

 private:
  std::unique_ptr<cairn_readoptions_t, void (*)(cairn_readoptions_t*)> ro_{
      cairn_readoptions_create(), cairn_readoptions_destroy};
  cairn_iterator_t* it_ = nullptr;
  bool reverse_ = false;
};

void WriteLine(const std::string& line) {
  fwrite(line.data(), 1, line.size(), stdout);
  fputc('\n', stdout);
}

}  // namespace

void AddDataCommands(CLI::App& app, Globals& g) {
  // ---- get
  {
    auto* cmd = app.add_subcommand("get", "Print the value of a key");
    auto key = std::make_shared<std::string>();
    auto out = std::make_shared<OutputFlags>();
    auto raw = std::make_shared<bool>(false);
    cmd->add_option("key", *key, "The key")->required();
    AddHexFlag(cmd, out.get());
    cmd->add_flag("--json", out->json, "Print {\"key\":...,\"value\":...}");
    cmd->add_flag("--raw", *raw, "Print the value's bytes exactly, no newline")
        ->excludes("--json")
        ->excludes("--hex");
    cmd->callback([&g, key, out, raw] {
      Database db(g, false);
      std::string k = Parse(*key, out->format(), "key");
      char* value = nullptr;
      size_t len = 0;
      char* err = nullptr;
      Check(
          cairn_get(db.get(), nullptr, k.data(), k.size(), &value, &len, &err),
          &err, "key '" + Escape(k) + "'");
      std::string v(value, len);
      cairn_free(value);
      if (*raw) {
        fwrite(v.data(), 1, v.size(), stdout);
      } else if (out->json) {
        WriteLine(nlohmann::ordered_json{{"key", Format(k, out->format())},
                                         {"value", Format(v, out->format())}}
                      .dump());
      } else {
        WriteLine(Format(v, out->format()));
      }
    });
  }
  // ---- put
  {
    auto* cmd = app.add_subcommand("put", "Set a key to a value");
    auto args = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<OutputFlags>();
    auto flags = std::make_shared<std::pair<bool, bool>>();  // sync, create
    cmd->add_option("key_value", *args, "KEY VALUE")->required()->expected(2);
    AddHexFlag(cmd, out.get());
    cmd->add_flag("--sync", flags->first, "fsync before returning");
    cmd->add_flag("--create", flags->second,
                  "Create the database if it does not exist");
    cmd->callback([&g, args, out, flags] {
      std::string k = Parse((*args)[0], out->format(), "key");
      std::string v = Parse((*args)[1], out->format(), "value");
      Database db(g, flags->second);
      cairn_writeoptions_t* wo = cairn_writeoptions_create();
      cairn_writeoptions_set_sync(wo, flags->first ? 1 : 0);
      char* err = nullptr;
      cairn_status_t s =
          cairn_put(db.get(), wo, k.data(), k.size(), v.data(), v.size(), &err);
      cairn_writeoptions_destroy(wo);
      Check(s, &err, "put '" + Escape(k) + "'");
    });
  }
  // ---- delete
  {
    auto* cmd =
        app.add_subcommand("delete", "Delete keys (missing keys are fine)");
    auto keys = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<OutputFlags>();
    cmd->add_option("keys", *keys, "The keys")->required();
    AddHexFlag(cmd, out.get());
    cmd->callback([&g, keys, out] {
      Database db(g, false);
      cairn_writebatch_t* batch = cairn_writebatch_create();
      char* err = nullptr;
      cairn_status_t s = CAIRN_OK;
      for (const std::string& arg : *keys) {
        std::string k;
        try {
          k = Parse(arg, out->format(), "key");
        } catch (...) {
          cairn_writebatch_destroy(batch);
          throw;
        }
        s = cairn_writebatch_delete(batch, k.data(), k.size(), &err);
        if (s != CAIRN_OK) break;
      }
      if (s == CAIRN_OK) s = cairn_write(db.get(), nullptr, batch, &err);
      cairn_writebatch_destroy(batch);
      Check(s, &err, "delete");
    });
  }
  // ---- scan
  {
    auto* cmd = app.add_subcommand(
        "scan", "Print keys and values in key order: KEY<TAB>VALUE lines");
    auto r = std::make_shared<Range>();
    auto out = std::make_shared<OutputFlags>();
    auto keys_only = std::make_shared<bool>(false);
    AddRangeOptions(cmd, r.get());
    cmd->add_option("--limit", r->limit, "At most this many records")
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--reverse", r->reverse, "Descending key order");
    cmd->add_flag("--keys-only", *keys_only, "Print keys only");
    AddHexFlag(cmd, out.get());
    cmd->add_flag("--json", out->json,
                  "One JSON object per line: {\"key\":...,\"value\":...}");
    cmd->callback([&g, cmd, r, out, keys_only] {
      Database db(g, false);
      RangeIterator it(db, cmd, *r, out->format());
      uint64_t n = 0;
      for (; it.Valid() && (r->limit == 0 || n < r->limit); it.Step(), ++n) {
        std::string k = Format(it.key(), out->format());
        if (out->json) {
          nlohmann::ordered_json j{{"key", k}};
          if (!*keys_only) j["value"] = Format(it.value(), out->format());
          WriteLine(j.dump());
        } else if (*keys_only) {
          WriteLine(k);
        } else {
          WriteLine(k + "\t" + Format(it.value(), out->format()));
        }
      }
      it.CheckStatus();
    });
  }
  // ---- count
  {
    auto* cmd = app.add_subcommand("count", "Print the number of live keys");
    auto r = std::make_shared<Range>();
    auto out = std::make_shared<OutputFlags>();
    AddRangeOptions(cmd, r.get());
    AddHexFlag(cmd, out.get());
    cmd->callback([&g, cmd, r, out] {
      Database db(g, false);
      RangeIterator it(db, cmd, *r, out->format());
      uint64_t n = 0;
      for (; it.Valid(); it.Step()) ++n;
      it.CheckStatus();
      WriteLine(std::to_string(n));
    });
  }
}

}  // namespace cairn::cli
