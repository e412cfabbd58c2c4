#include "bindings/cli/serve_control.h"

#include <stdio.h>

#include <charconv>
#include <cstdint>
#include <memory>
#include <vector>

#include "bindings/cli/bytes.h"
#include "bindings/cli/cli.h"
#include "bindings/cli/replication_calls.h"
#include "nlohmann/json.hpp"
#include "xxhash.h"

namespace cairn::cli {
namespace {

using Args = std::vector<std::string>;

// A reply line. Newlines in messages become spaces: one reply, one line.
std::string Ok(std::string_view value = {}) {
  return value.empty() ? "ok" : "ok " + std::string(value);
}

std::string Err(cairn_status_t status, std::string_view message) {
  std::string out = std::string("err ") + cairn_status_name(status) + " ";
  for (char c : message) out += (c == '\n' || c == '\r') ? ' ' : c;
  return out;
}

// The reply for a failed call; frees *err.
std::string ErrFrom(cairn_status_t status, char** err,
                    const std::string& context) {
  std::string message =
      context + ": " + (*err != nullptr ? *err : "(no message)");
  cairn_free(*err);
  *err = nullptr;
  return Err(status, message);
}

// A key or value in a reply: escaped, spaces too.
std::string Token(std::string_view bytes) {
  std::string escaped = Escape(bytes);
  std::string out;
  out.reserve(escaped.size());
  for (char c : escaped) {
    if (c == ' ') {
      out += "\\x20";
    } else {
      out += c;
    }
  }
  return out;
}

Args Split(std::string_view line) {
  Args args;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) args.emplace_back(line.substr(start, i - start));
  }
  return args;
}

// Parses a decimal uint32 argument; false when it is not one.
bool ParseU32(const std::string& text, uint32_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::string NotSupported(const char* call) {
  return Err(CAIRN_NOT_SUPPORTED,
             std::string(call) + " is not in this library (libcairn " +
                 cairn_version() + ", ABI " +
                 std::to_string(cairn_abi_major()) + "." +
                 std::to_string(cairn_abi_minor()) + "; needs ABI 1.3)");
}

using WriteOptions =
    std::unique_ptr<cairn_writeoptions_t, void (*)(cairn_writeoptions_t*)>;

WriteOptions NewWriteOptions() {
  return WriteOptions(cairn_writeoptions_create(), cairn_writeoptions_destroy);
}

std::string DoPut(cairn_db_t* db, const cairn_writeoptions_t* wo,
                  const Args& a) {
  std::string k = Parse(a[1], BytesFormat::kEscaped, "key");
  std::string v = Parse(a[2], BytesFormat::kEscaped, "value");
  char* err = nullptr;
  cairn_status_t s =
      cairn_put(db, wo, k.data(), k.size(), v.data(), v.size(), &err);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "put '" + Token(k) + "'");
  return Ok();
}

std::string SyncPut(cairn_db_t* db, const Args& a) {
  const ReplicationCalls& calls = GetReplicationCalls();
  if (calls.writeoptions_set_replication_mode == nullptr ||
      calls.writeoptions_set_sync_acks == nullptr) {
    return NotSupported("cairn_writeoptions_set_replication_mode");
  }
  uint32_t acks = 0;
  if (a[3] == "majority") {
    acks = CAIRN_SYNC_ACKS_MAJORITY;
  } else if (a[3] == "all") {
    acks = CAIRN_SYNC_ACKS_ALL;
  } else if (!ParseU32(a[3], &acks) || acks == 0) {
    return Err(CAIRN_INVALID_ARGUMENT,
               "sync-put ACKS '" + a[3] +
                   "': expected a count of peers (1 or more), 'majority' or "
                   "'all'");
  }
  WriteOptions wo = NewWriteOptions();
  char* err = nullptr;
  cairn_status_t s = calls.writeoptions_set_replication_mode(
      wo.get(), CAIRN_REPLICATION_SYNC, &err);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "replication mode");
  calls.writeoptions_set_sync_acks(wo.get(), acks);
  return DoPut(db, wo.get(), a);
}

std::string Get(cairn_db_t* db, const Args& a) {
  std::string k = Parse(a[1], BytesFormat::kEscaped, "key");
  char* value = nullptr;
  size_t len = 0;
  char* err = nullptr;
  cairn_status_t s =
      cairn_get(db, nullptr, k.data(), k.size(), &value, &len, &err);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "key '" + Token(k) + "'");
  std::string reply = "ok " + Token(std::string_view(value, len));
  cairn_free(value);
  return reply;
}

std::string Del(cairn_db_t* db, const Args& a) {
  std::string k = Parse(a[1], BytesFormat::kEscaped, "key");
  char* err = nullptr;
  cairn_status_t s = cairn_delete(db, nullptr, k.data(), k.size(), &err);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "del '" + Token(k) + "'");
  return Ok();
}

enum class WalkOutput { kCount, kKeys, kChecksum };

void HashLengthPrefixed(XXH3_state_t* state, std::string_view bytes) {
  uint64_t n = bytes.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
  XXH3_64bits_update(state, len, sizeof len);
  XXH3_64bits_update(state, bytes.data(), bytes.size());
}

// count, keys and checksum: a walk over the live keys with `prefix`.
std::string Walk(cairn_db_t* db, const std::string& prefix, WalkOutput what) {
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> hash(
      XXH3_createState(), XXH3_freeState);
  XXH3_64bits_reset(hash.get());
  std::unique_ptr<cairn_readoptions_t, void (*)(cairn_readoptions_t*)> ro(
      cairn_readoptions_create(), cairn_readoptions_destroy);
  cairn_readoptions_set_fill_cache(ro.get(), 0);
  char* err = nullptr;
  cairn_iterator_t* it = nullptr;
  cairn_status_t s = cairn_iter_create(db, ro.get(), &it, &err);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "iterator");
  uint64_t n = 0;
  std::string out;
  for (cairn_iter_seek(it, prefix.data(), prefix.size()); cairn_iter_valid(it);
       cairn_iter_next(it)) {
    size_t klen = 0;
    const char* k = cairn_iter_key(it, &klen);
    std::string_view key(k, klen);
    if (key.substr(0, prefix.size()) != prefix) break;
    ++n;
    if (what == WalkOutput::kKeys) {
      out += ' ';
      out += Token(key);
    } else if (what == WalkOutput::kChecksum) {
      size_t vlen = 0;
      const char* v = cairn_iter_value(it, &vlen);
      HashLengthPrefixed(hash.get(), key);
      HashLengthPrefixed(hash.get(), std::string_view(v, vlen));
    }
  }
  s = cairn_iter_status(it, &err);
  cairn_iter_destroy(it);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "scan");
  switch (what) {
    case WalkOutput::kKeys:
      return "ok" + out;
    case WalkOutput::kChecksum: {
      char hex[17];
      snprintf(hex, sizeof hex, "%016llx",
               static_cast<unsigned long long>(XXH3_64bits_digest(hash.get())));
      return Ok(std::to_string(n) + " " + hex);
    }
    case WalkOutput::kCount:
      break;
  }
  return Ok(std::to_string(n));
}

std::string Compare(cairn_db_t* db, const Args& a) {
  const ReplicationCalls& calls = GetReplicationCalls();
  if (calls.replication_compare == nullptr) {
    return NotSupported("cairn_replication_compare");
  }
  uint32_t timeout_ms = 0;
  if (!ParseU32(a[1], &timeout_ms)) {
    return Err(CAIRN_INVALID_ARGUMENT,
               "compare TIMEOUT_MS '" + a[1] + "': expected milliseconds");
  }
  unsigned char agree = 0;
  char* report = nullptr;
  char* err = nullptr;
  cairn_status_t s =
      calls.replication_compare(db, timeout_ms, &agree, &report, &err);
  if (s != CAIRN_OK) return ErrFrom(s, &err, "compare");
  std::string json = report != nullptr ? report : "{}";
  cairn_free(report);
  // One line whatever the library's formatting.
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_discarded()) json = parsed.dump();
  return Ok(std::string(agree ? "1 " : "0 ") + json);
}

std::string PeerCall(cairn_db_t* db, const Args& a) {
  const ReplicationCalls& calls = GetReplicationCalls();
  char* err = nullptr;
  cairn_status_t s = CAIRN_OK;
  if (a[0] == "peer-add") {
    if (calls.peer_add == nullptr) return NotSupported("cairn_peer_add");
    s = calls.peer_add(db, a[1].c_str(), &err);
  } else {
    uint32_t id = 0;
    if (!ParseU32(a[1], &id)) {
      return Err(CAIRN_INVALID_ARGUMENT,
                 a[0] + " ID '" + a[1] + "': expected a node id");
    }
    if (a[0] == "peer-remove") {
      if (calls.peer_remove == nullptr)
        return NotSupported("cairn_peer_remove");
      s = calls.peer_remove(db, id, &err);
    } else {
      if (calls.peer_resync == nullptr)
        return NotSupported("cairn_peer_resync");
      s = calls.peer_resync(db, id, &err);
    }
  }
  if (s != CAIRN_OK) return ErrFrom(s, &err, a[0] + " " + a[1]);
  return Ok();
}

struct Command {
  const char* name;
  size_t min_args, max_args;  // after the name
  const char* usage;
};

constexpr Command kCommands[] = {
    {"put", 2, 2, "put KEY VALUE"},
    {"sync-put", 3, 3, "sync-put KEY VALUE ACKS"},
    {"del", 1, 1, "del KEY"},
    {"get", 1, 1, "get KEY"},
    {"count", 0, 0, "count"},
    {"keys", 0, 1, "keys [PREFIX]"},
    {"checksum", 0, 1, "checksum [PREFIX]"},
    {"status", 0, 0, "status"},
    {"compare", 1, 1, "compare TIMEOUT_MS"},
    {"peer-add", 1, 1, "peer-add ID@HOST:PORT"},
    {"peer-remove", 1, 1, "peer-remove ID"},
    {"resync", 1, 1, "resync ID"},
    {"quit", 0, 0, "quit"},
};

}  // namespace

std::string ServeControl::StatusJson(cairn_status_t* status) {
  char* value = nullptr;
  char* err = nullptr;
  *status = cairn_property(db_, "cairn.replication", &value, &err);
  if (*status != CAIRN_OK) return ErrFrom(*status, &err, "cairn.replication");
  std::string json(value);
  cairn_free(value);
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, false);
  return parsed.is_discarded() ? json : parsed.dump();
}

std::string ServeControl::Execute(std::string_view line, bool* quit) {
  *quit = false;
  Args a = Split(line);
  if (a.empty()) return Err(CAIRN_INVALID_ARGUMENT, "empty command line");
  const Command* cmd = nullptr;
  for (const Command& c : kCommands) {
    if (a[0] == c.name) cmd = &c;
  }
  if (cmd == nullptr) {
    std::string names;
    for (const Command& c : kCommands) names += std::string(" ") + c.name;
    return Err(CAIRN_INVALID_ARGUMENT,
               "unknown command '" + a[0] + "' (commands:" + names + ")");
  }
  if (a.size() - 1 < cmd->min_args || a.size() - 1 > cmd->max_args) {
    return Err(CAIRN_INVALID_ARGUMENT,
               "wrong number of arguments; usage: " + std::string(cmd->usage));
  }
  try {
    if (a[0] == "put") return DoPut(db_, nullptr, a);
    if (a[0] == "sync-put") return SyncPut(db_, a);
    if (a[0] == "del") return Del(db_, a);
    if (a[0] == "get") return Get(db_, a);
    if (a[0] == "count") return Walk(db_, "", WalkOutput::kCount);
    if (a[0] == "keys" || a[0] == "checksum") {
      std::string prefix =
          a.size() > 1 ? Parse(a[1], BytesFormat::kEscaped, "prefix") : "";
      return Walk(db_, prefix,
                  a[0] == "keys" ? WalkOutput::kKeys : WalkOutput::kChecksum);
    }
    if (a[0] == "status") {
      cairn_status_t s;
      std::string json = StatusJson(&s);
      return s == CAIRN_OK ? Ok(json) : json;
    }
    if (a[0] == "compare") return Compare(db_, a);
    if (a[0] == "quit") {
      *quit = true;
      return Ok();
    }
    return PeerCall(db_, a);
  } catch (const CliError& e) {  // a malformed key or value
    return Err(CAIRN_INVALID_ARGUMENT, e.what());
  }
}

}  // namespace cairn::cli
