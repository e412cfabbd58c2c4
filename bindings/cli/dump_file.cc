#include "bindings/cli/dump_file.h"

#include <errno.h>
#include <string.h>

#include <utility>

#include "bindings/cli/cli.h"
#include "xxhash.h"

namespace cairn::cli {
namespace {

constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'D', 'M', 'P'};
constexpr size_t kHeaderSize = 24;
constexpr size_t kFrameSize = 12;     // length u32 + checksum u64
constexpr size_t kPayloadFixed = 17;  // kind + hlc + node + key_len
// Larger than any record Cairn accepts (64 KiB keys, 64 MiB values by
// default, configurable): a damaged length must not allocate gigabytes.
constexpr uint32_t kMaxPayload = 1u << 30;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t Hash(std::string_view bytes) {
  return XXH64(bytes.data(), bytes.size(), 0);
}

}  // namespace

DumpWriter::DumpWriter(FILE* file, std::string name, uint32_t flags)
    : file_(file), name_(std::move(name)) {
  std::string header(kMagic, sizeof kMagic);
  PutU32(&header, kDumpFormat);
  PutU32(&header, flags);
  PutU64(&header, Hash(header));
  Write(header);
}

void DumpWriter::Add(const DumpRecord& r) {
  WriteRecord(r.kind, r.hlc, r.node, r.key, r.value);
  ++records_;
}

void DumpWriter::Finish() {
  std::string count;
  PutU64(&count, records_);
  WriteRecord(kDumpEnd, 0, 0, {}, count);
  if (fflush(file_) != 0) {
    throw CliError(kExitError, "writing " + name_ + ": " + strerror(errno));
  }
}

void DumpWriter::WriteRecord(uint8_t kind, uint64_t hlc, uint32_t node,
                             std::string_view key, std::string_view value) {
  std::string payload;
  payload.reserve(kPayloadFixed + key.size() + value.size());
  payload.push_back(static_cast<char>(kind));
  PutU64(&payload, hlc);
  PutU32(&payload, node);
  PutU32(&payload, static_cast<uint32_t>(key.size()));
  payload.append(key);
  payload.append(value);
  buf_.clear();
  PutU32(&buf_, static_cast<uint32_t>(payload.size()));
  PutU64(&buf_, Hash(payload));
  Write(buf_);
  Write(payload);
}

void DumpWriter::Write(const std::string& bytes) {
  if (fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    throw CliError(kExitError, "writing " + name_ + ": " + strerror(errno));
  }
}

DumpReader::DumpReader(FILE* file, std::string name)
    : file_(file), name_(std::move(name)) {
  std::string header;
  if (!ReadExactly(kHeaderSize, &header, 0)) {
    Damaged(0, "empty file (no dump header)");
  }
  if (memcmp(header.data(), kMagic, sizeof kMagic) != 0) {
    Damaged(0, "not a Cairn dump (bad magic)");
  }
  if (GetU64(header.data() + 16) !=
      Hash(std::string_view(header).substr(0, 16))) {
    Damaged(0, "header checksum mismatch");
  }
  uint32_t format = GetU32(header.data() + 8);
  if (format != kDumpFormat) {
    throw CliError(kExitNotSupported,
                   name_ + ": dump format " + std::to_string(format) +
                       " is not supported (this tool reads format " +
                       std::to_string(kDumpFormat) + ")");
  }
  flags_ = GetU32(header.data() + 12);
}

void DumpReader::Damaged(uint64_t at, const std::string& why) const {
  throw CliError(kExitCorruption, name_ + ": damaged dump: record " +
                                      std::to_string(records_ + 1) +
                                      " at offset " + std::to_string(at) +
                                      ": " + why);
}

bool DumpReader::ReadExactly(size_t n, std::string* out,
                             uint64_t record_offset) {
  out->resize(n);
  size_t got = fread(out->data(), 1, n, file_);
  offset_ += got;
  if (got == n) return true;
  if (ferror(file_)) {
    throw CliError(kExitError, "reading " + name_ + ": " + strerror(errno));
  }
  if (got == 0 && offset_ == record_offset) return false;
  Damaged(record_offset, "truncated (the file ends at offset " +
                             std::to_string(offset_) + ")");
}

bool DumpReader::Next(DumpRecord* r) {
  const uint64_t at = offset_;
  std::string frame, payload;
  if (!ReadExactly(kFrameSize, &frame, at)) {
    Damaged(at, "truncated: the file ends before the end record");
  }
  uint32_t length = GetU32(frame.data());
  if (length < kPayloadFixed || length > kMaxPayload) {
    Damaged(at, "bad record length " + std::to_string(length));
  }
  if (!ReadExactly(length, &payload, at)) {
    Damaged(at, "truncated (the file ends at offset " +
                    std::to_string(offset_) + ")");
  }
  if (GetU64(frame.data() + 4) != Hash(payload)) {
    Damaged(at, "checksum mismatch");
  }
  const char* p = payload.data();
  uint8_t kind = static_cast<uint8_t>(p[0]);
  uint32_t key_len = GetU32(p + 13);
  if (key_len > length - kPayloadFixed) {
    Damaged(at,
            "key length " + std::to_string(key_len) + " exceeds the record");
  }
  if (kind == kDumpEnd) {
    if (key_len != 0 || length != kPayloadFixed + 8) {
      Damaged(at, "malformed end record");
    }
    uint64_t count = GetU64(p + kPayloadFixed);
    if (count != records_) {
      Damaged(at, "the end record counts " + std::to_string(count) +
                      " records, the file holds " + std::to_string(records_));
    }
    char extra;
    if (fread(&extra, 1, 1, file_) != 0) {
      Damaged(offset_, "unexpected bytes after the end record");
    }
    return false;
  }
  if (kind != kDumpPut && kind != kDumpDelete) {
    Damaged(at, "unknown record kind " + std::to_string(kind));
  }
  if (kind == kDumpDelete && length != kPayloadFixed + key_len) {
    Damaged(at, "a deleted key with a value");
  }
  r->kind = kind;
  r->hlc = GetU64(p + 1);
  r->node = GetU32(p + 9);
  r->key.assign(p + kPayloadFixed, key_len);
  r->value.assign(p + kPayloadFixed + key_len,
                  length - kPayloadFixed - key_len);
  ++records_;
  return true;
}

}  // namespace cairn::cli
