// Db::Check: verifies a whole database and reports what it verified and
// every problem it found, as JSON.
//
// Passes, each independent so one damaged file does not hide another:
//   1. tables: every live table file, opened alone (index block checked),
//      every data block read with its checksum verified; a damaged block is
//      reported with the keys around it (what a LevelDB repair would lose),
//      and the walk goes on after it. Every record and op-log entry stored
//      in the table, old versions included, must parse.
//   2. logs and manifest: every write-ahead log and the current manifest
//      read record by record with their checksums (LevelDB's DumpFile).
//   3. the database's view (memtable included): every record, op-log batch
//      (sequences contiguous) and metadata value must parse.
//   4. the cache: every cached item must equal LevelDB's record, version
//      and value.
// Meant for a quiet database: an item a concurrent write changes between the
// cache walk and the LevelDB read may be reported as a mismatch.
#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/cache/cache_tier.h"
#include "engine/db.h"
#include "engine/format.h"
#include "engine/ring/layout.h"
#include "engine/status.h"
#include "engine/strings.h"
#include "leveldb/comparator.h"
#include "leveldb/db.h"
#include "leveldb/dumpfile.h"
#include "leveldb/env.h"
#include "leveldb/iterator.h"
#include "leveldb/options.h"
#include "leveldb/table.h"
#include "nlohmann/json.hpp"

namespace cairn {
namespace {

using Json = nlohmann::ordered_json;

// Bytes as readable text: printable ASCII kept, the rest escaped.
std::string Printable(std::string_view bytes) {
  return absl::CHexEscape(AV(bytes));
}

// Orders LevelDB's internal keys (user key, then sequence and type,
// descending) as leveldb's own InternalKeyComparator does with the bytewise
// user comparator. Only Seek inside one table uses it.
class InternalKeyOrder : public leveldb::Comparator {
 public:
  int Compare(const leveldb::Slice& a, const leveldb::Slice& b) const override {
    if (a.size() < 8 || b.size() < 8) return a.compare(b);
    leveldb::Slice ua(a.data(), a.size() - 8), ub(b.data(), b.size() - 8);
    int r = ua.compare(ub);
    if (r != 0) return r;
    uint64_t ta = DecodeFixed64(a.data() + a.size() - 8);
    uint64_t tb = DecodeFixed64(b.data() + b.size() - 8);
    return ta > tb ? -1 : (ta < tb ? 1 : 0);
  }
  const char* Name() const override { return "leveldb.InternalKeyComparator"; }
  void FindShortestSeparator(std::string*,
                             const leveldb::Slice&) const override {}
  void FindShortSuccessor(std::string*) const override {}
};

// Keeps the corruption lines of leveldb::DumpFile's output and counts the
// rest (one Append per record), without holding the dump in memory.
class CorruptionSink : public leveldb::WritableFile {
 public:
  leveldb::Status Append(const leveldb::Slice& data) override {
    std::string_view line(data.data(), data.size());
    if (absl::StartsWith(AV(line), "corruption: ")) {
      if (corruptions.size() < 20) {
        corruptions.emplace_back(absl::StripTrailingAsciiWhitespace(AV(line)));
      } else {
        ++more;
      }
    } else {
      ++records;
    }
    return leveldb::Status::OK();
  }
  leveldb::Status Close() override { return leveldb::Status::OK(); }
  leveldb::Status Flush() override { return leveldb::Status::OK(); }
  leveldb::Status Sync() override { return leveldb::Status::OK(); }

  uint64_t records = 0;
  uint64_t more = 0;
  std::vector<std::string> corruptions;
};

struct LiveTable {
  int level;
  uint64_t number;
};

// Parses the "leveldb.sstables" property: "--- level N ---" headers, then
// one " NUMBER:SIZE[...]" line per file.
std::vector<LiveTable> ParseLiveTables(std::string_view text) {
  std::vector<LiveTable> out;
  int level = -1;
  for (absl::string_view line : absl::StrSplit(AV(text), '\n')) {
    if (absl::StartsWith(line, "--- level ")) {
      line.remove_prefix(10);
      size_t end = line.find(' ');
      if (!absl::SimpleAtoi(line.substr(0, end), &level)) level = -1;
      continue;
    }
    line = absl::StripLeadingAsciiWhitespace(line);
    size_t colon = line.find(':');
    uint64_t number = 0;
    if (colon != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(0, colon), &number)) {
      out.push_back({level, number});
    }
  }
  return out;
}

std::string TableName(uint64_t number, const char* ext) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%06llu.%s",
                static_cast<unsigned long long>(number), ext);
  return buf;
}

// Checks what a stored value under `user_key` must look like; "" if fine.
std::string CheckStoredValue(std::string_view user_key, std::string_view value,
                             uint64_t* records, uint64_t* batches) {
  if (user_key.empty()) return "empty key";
  switch (user_key[0]) {
    case kDataPrefix: {
      ++*records;
      absl::StatusOr<RecordView> r = ParseRecord(value);
      if (!r.ok()) return std::string(r.status().message());
      return "";
    }
    case kOpLogPrefix: {
      ++*batches;
      absl::StatusOr<uint64_t> first = ParseOpLogKey(user_key);
      if (!first.ok()) return std::string(first.status().message());
      std::vector<OpEntry> ops;
      absl::Status s = ParseOpBatch(*first, value, 0, SIZE_MAX, &ops);
      if (!s.ok()) return std::string(s.message());
      return "";
    }
    default:
      return "";
  }
}

// Metadata Cairn itself writes (db.cc LoadMetadata, TrimOpLog, the cache
// layout); other names are left to their owners.
std::string CheckMetadata(std::string_view name, std::string_view value) {
  if (name == "node_id") {
    uint64_t id = 0;
    if (!absl::SimpleAtoi(AV(value), &id) || id == 0 || id > UINT32_MAX ||
        absl::StrCat(id) != value) {
      return absl::StrCat("node_id is malformed: '", Printable(value), "'");
    }
  } else if (name == "oplog.trimmed_upto" || name == "oplog.trimmed_hlc" ||
             name == "oplog.clock_hlc") {
    if (value.size() != 8) {
      return absl::StrCat(AV(name), " is ", value.size(), " bytes, expected 8");
    }
  } else if (name == "cache.layout") {
    absl::StatusOr<ring::Layout> layout = ring::DecodeLayout(value);
    if (!layout.ok()) {
      return absl::StrCat("cache.layout: ", layout.status().message(),
                          " (the cache starts a fresh layout)");
    }
  }
  return "";
}

class Checker {
 public:
  Checker(const std::string& path, leveldb::Env* env)
      : path_(path), env_(env) {}

  void Problem(std::string_view kind, std::string_view file,
               std::string message, Json extra = Json::object()) {
    Json p;
    p["kind"] = kind;
    if (!file.empty()) p["file"] = file;
    p["message"] = std::move(message);
    for (auto& [k, v] : extra.items()) p[k] = v;
    problems_.push_back(std::move(p));
  }

  Json CheckTable(const LiveTable& t) {
    Json j;
    std::string name = TableName(t.number, "ldb");
    if (!env_->FileExists(path_ + "/" + name)) {
      std::string sst = TableName(t.number, "sst");
      if (env_->FileExists(path_ + "/" + sst)) name = sst;
    }
    j["file"] = name;
    j["level"] = t.level;
    const std::string full = path_ + "/" + name;
    uint64_t size = 0;
    leveldb::RandomAccessFile* raw_file = nullptr;
    leveldb::Status s = env_->GetFileSize(full, &size);
    if (s.ok()) s = env_->NewRandomAccessFile(full, &raw_file);
    std::unique_ptr<leveldb::RandomAccessFile> file(raw_file);
    leveldb::Table* raw_table = nullptr;
    leveldb::Options lo;
    lo.comparator = &order_;
    lo.paranoid_checks = true;  // verifies the index block
    lo.env = env_;
    if (s.ok()) s = leveldb::Table::Open(lo, file.get(), size, &raw_table);
    std::unique_ptr<leveldb::Table> table(raw_table);
    if (!s.ok()) {
      j["status"] = s.ToString();
      Problem("table", name, s.ToString(),
              {{"lost", "the whole file (its index or footer is damaged)"}});
      return j;
    }
    leveldb::ReadOptions ro;
    ro.verify_checksums = true;
    ro.fill_cache = false;
    uint64_t entries = 0, records = 0, batches = 0, damaged_blocks = 0;
    std::string last_key;  // internal key of the last entry read
    bool have_last = false;
    std::unique_ptr<leveldb::Iterator> it(table->NewIterator(ro));
    it->SeekToFirst();
    while (true) {
      // The table iterator steps over a block that fails its checksum and
      // keeps the error: on a new error, note the keys around the hole and
      // go on with a fresh iterator from the first entry after it.
      if (!it->status().ok()) {
        ++damaged_blocks;
        Json range;
        range["after_key"] =
            have_last ? Json(Printable(UserKey(last_key))) : Json(nullptr);
        range["before_key"] = it->Valid()
                                  ? Json(Printable(UserKey(Sv(it->key()))))
                                  : Json(nullptr);
        Problem("table", name, it->status().ToString(),
                {{"lost_keys_between", range}});
        if (!it->Valid()) break;
        std::string resume = it->key().ToString();
        it.reset(table->NewIterator(ro));
        it->Seek(resume);
        continue;
      }
      if (!it->Valid()) break;
      ++entries;
      std::string_view ikey = Sv(it->key());
      if (ikey.size() < 8) {
        Problem("table", name, "entry with a key shorter than 8 bytes");
      } else if ((DecodeFixed64(ikey.data() + ikey.size() - 8) & 0xff) == 1) {
        // A value (type 1), not a deletion marker.
        std::string bad = CheckStoredValue(UserKey(ikey), Sv(it->value()),
                                           &records, &batches);
        if (!bad.empty()) {
          Problem(ikey[0] == kOpLogPrefix ? "op_log" : "record", name, bad,
                  {{"key", Printable(UserKey(ikey))}});
        }
      }
      last_key.assign(ikey);
      have_last = true;
      it->Next();
    }
    j["entries"] = entries;
    j["records"] = records;
    j["op_log_batches"] = batches;
    j["damaged_blocks"] = damaged_blocks;
    j["status"] = damaged_blocks == 0 ? "ok" : "damaged";
    return j;
  }

  // Write-ahead logs and the manifest, through leveldb::DumpFile.
  Json CheckLogFile(const std::string& name, std::string_view kind) {
    Json j;
    j["file"] = name;
    CorruptionSink sink;
    leveldb::Status s = leveldb::DumpFile(env_, path_ + "/" + name, &sink);
    j["records"] = sink.records;
    if (!s.ok()) {
      j["status"] = s.ToString();
      Problem(kind, name, s.ToString());
      return j;
    }
    for (const std::string& c : sink.corruptions) Problem(kind, name, c);
    if (sink.more > 0) {
      Problem(kind, name, absl::StrCat(sink.more, " more corruptions"));
    }
    j["status"] = sink.corruptions.empty() ? "ok" : "damaged";
    return j;
  }

  Json Problems() const { return problems_; }
  bool clean() const { return problems_.empty(); }

  static std::string_view Sv(const leveldb::Slice& s) {
    return std::string_view(s.data(), s.size());
  }
  static std::string_view UserKey(std::string_view ikey) {
    return ikey.size() < 8 ? ikey : ikey.substr(0, ikey.size() - 8);
  }

 private:
  const std::string& path_;
  leveldb::Env* const env_;
  InternalKeyOrder order_;
  Json problems_ = Json::array();
};

}  // namespace

absl::StatusOr<std::string> Db::Check(bool* clean) {
  leveldb::Env* env = trail_env_.get();
  Checker checker(path_, env);
  Json report;
  report["path"] = path_;

  // 1. Table files.
  std::string sstables;
  if (!ldb_->GetProperty("leveldb.sstables", &sstables)) {
    return absl::InternalError("LevelDB did not list its table files");
  }
  Json tables = Json::array();
  for (const LiveTable& t : ParseLiveTables(sstables)) {
    tables.push_back(checker.CheckTable(t));
  }
  report["tables"] = std::move(tables);

  // 2. Write-ahead logs and the current manifest.
  std::vector<std::string> children;
  leveldb::Status ls = env->GetChildren(path_, &children);
  if (!ls.ok()) return FromLevelDB(ls, "listing the database directory");
  std::sort(children.begin(), children.end());
  Json logs = Json::array();
  for (const std::string& name : children) {
    uint64_t number = 0;
    if (absl::EndsWith(name, ".log") &&
        absl::SimpleAtoi(AV(name).substr(0, name.size() - 4), &number)) {
      logs.push_back(checker.CheckLogFile(name, "write_ahead_log"));
    }
  }
  report["write_ahead_logs"] = std::move(logs);
  std::string current;
  ls = leveldb::ReadFileToString(env, path_ + "/CURRENT", &current);
  std::string manifest(absl::StripTrailingAsciiWhitespace(current));
  if (!ls.ok() || !absl::StartsWith(manifest, "MANIFEST-") ||
      !absl::EndsWith(current, "\n")) {
    checker.Problem("manifest", "CURRENT",
                    ls.ok() ? absl::StrCat("CURRENT names no manifest: '",
                                           Printable(current), "'")
                            : ls.ToString());
  } else {
    report["manifest"] = checker.CheckLogFile(manifest, "manifest");
  }

  // 3. The database's view: records, op log, metadata.
  leveldb::ReadOptions ro;
  ro.verify_checksums = true;
  ro.fill_cache = false;
  uint64_t records = 0, tombstones = 0, batches = 0, operations = 0,
           metadata = 0, other = 0;
  uint64_t expect_seq = 0, first_seq = 0, last_seq = 0;
  {
    std::unique_ptr<leveldb::Iterator> it(ldb_->NewIterator(ro));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key = Checker::Sv(it->key());
      std::string_view value = Checker::Sv(it->value());
      if (key.empty()) {
        ++other;
        continue;
      }
      if (key[0] == kDataPrefix) {
        ++records;
        absl::StatusOr<RecordView> r = ParseRecord(value);
        if (!r.ok()) {
          checker.Problem("record", "", std::string(r.status().message()),
                          {{"key", Printable(key.substr(1))}});
        } else if (r->kind == OpKind::kDelete) {
          ++tombstones;
        }
      } else if (key[0] == kOpLogPrefix) {
        ++batches;
        absl::StatusOr<uint64_t> first = ParseOpLogKey(key);
        std::vector<OpEntry> ops;
        absl::Status s = first.ok()
                             ? ParseOpBatch(*first, value, 0, SIZE_MAX, &ops)
                             : first.status();
        if (!s.ok()) {
          checker.Problem("op_log", "", std::string(s.message()),
                          {{"key", Printable(key)}});
          expect_seq = 0;  // unknown past a batch that does not parse
          continue;
        }
        if (expect_seq != 0 && *first != expect_seq) {
          checker.Problem("op_log", "",
                          absl::StrCat("op log jumps from sequence ",
                                       expect_seq - 1, " to ", *first));
        }
        if (first_seq == 0) first_seq = *first;
        operations += ops.size();
        expect_seq = *first + ops.size();
        last_seq = expect_seq - 1;
      } else if (key[0] == kMetaPrefix) {
        ++metadata;
        std::string bad = CheckMetadata(key.substr(1), value);
        if (!bad.empty()) checker.Problem("metadata", "", bad);
      } else {
        ++other;
      }
    }
    if (!it->status().ok()) {
      checker.Problem("leveldb", "", it->status().ToString());
    }
  }
  if (first_seq != 0 && first_seq > OpLogFirstSequence()) {
    checker.Problem("op_log", "",
                    absl::StrCat("op log starts at sequence ", first_seq,
                                 ", expected ", OpLogFirstSequence()));
  }
  Json view;
  view["records"] = records;
  view["tombstones"] = tombstones;
  view["op_log_batches"] = batches;
  view["op_log_operations"] = operations;
  view["op_log_first_sequence"] = first_seq;
  view["op_log_last_sequence"] = last_seq;
  view["metadata"] = metadata;
  view["other_keys"] = other;
  report["records"] = std::move(view);

  // 4. The cache against LevelDB.
  Json cache_json;
  cache_json["enabled"] = cache_ != nullptr;
  if (cache_) {
    uint64_t items = 0, mismatches = 0;
    cache_->ForEachItem([&](uint32_t instance, std::string_view key,
                            std::string_view value, const Version& version) {
      ++items;
      std::string raw;
      leveldb::Status s = ldb_->Get(ro, DataKey(key), &raw);
      std::string why;
      if (s.IsNotFound()) {
        why = "cached, but LevelDB has no record";
      } else if (!s.ok()) {
        why = s.ToString();
      } else if (absl::StatusOr<RecordView> r = ParseRecord(raw); !r.ok()) {
        why = std::string(r.status().message());
      } else if (r->kind != OpKind::kPut) {
        why = "cached, but LevelDB holds a tombstone";
      } else if (r->version != version) {
        why = absl::StrCat("cached version ", version.ToString(),
                           " differs from LevelDB's ", r->version.ToString());
      } else if (r->value != value) {
        why = "cached value differs from LevelDB's";
      }
      if (!why.empty()) {
        ++mismatches;
        checker.Problem("cache", "", why,
                        {{"key", Printable(key)}, {"instance", instance}});
      }
      return true;
    });
    cache_json["items_checked"] = items;
    cache_json["mismatches"] = mismatches;
  }
  report["cache"] = std::move(cache_json);

  *clean = checker.clean();
  report["clean"] = *clean;
  report["problems"] = checker.Problems();
  return report.dump();
}

}  // namespace cairn
