// The dump file: a portable, checksummed sequence of records with their
// versions, written by `cairn dump` and read by `cairn load`.
//
//   header   "CAIRNDMP" | format u32 = 1 | flags u32 | XXH64 of the 16
//            bytes before it (u64)
//   record   length u32 | XXH64(payload) u64 | payload, where payload is
//            kind u8 (1 put, 2 delete) | hlc u64 | node u32 | key_len u32 |
//            key | value
//   end      a record of kind 0xEE whose key is empty and whose value is the
//            number of records before it (u64)
//
// Integers are little endian, so a dump moves between machines. flags bit 0
// says the dump includes tombstones. Every record is checked on its own,
// so a damaged one is named by its number and byte offset; the end record
// catches truncation at a record boundary, and bytes after it are damage.
//
// Reader and writer throw CliError: kExitCorruption for a damaged file
// (the message names the record and its offset), kExitError for I/O.
#ifndef CAIRN_BINDINGS_CLI_DUMP_FILE_H_
#define CAIRN_BINDINGS_CLI_DUMP_FILE_H_

#include <stdio.h>

#include <cstdint>
#include <string>

namespace cairn::cli {

inline constexpr uint32_t kDumpFormat = 1;
inline constexpr uint32_t kDumpIncludesDeleted = 1;
inline constexpr uint8_t kDumpPut = 1;
inline constexpr uint8_t kDumpDelete = 2;
inline constexpr uint8_t kDumpEnd = 0xEE;

struct DumpRecord {
  uint8_t kind = kDumpPut;
  uint64_t hlc = 0;
  uint32_t node = 0;
  std::string key;
  std::string value;
};

class DumpWriter {
 public:
  // Writes the header. `file` stays owned by the caller; `name` is for
  // messages.
  DumpWriter(FILE* file, std::string name, uint32_t flags);
  void Add(const DumpRecord& record);
  // Writes the end record and flushes.
  void Finish();
  uint64_t records() const { return records_; }

 private:
  void WriteRecord(uint8_t kind, uint64_t hlc, uint32_t node,
                   std::string_view key, std::string_view value);
  void Write(const std::string& bytes);

  FILE* file_;
  std::string name_;
  uint64_t records_ = 0;
  std::string buf_;
};

class DumpReader {
 public:
  // Reads and checks the header.
  DumpReader(FILE* file, std::string name);
  uint32_t flags() const { return flags_; }
  // The next record: true with *record, false after a valid end record
  // followed by the end of the file.
  bool Next(DumpRecord* record);
  // Bytes consumed and records returned so far.
  uint64_t offset() const { return offset_; }
  uint64_t records() const { return records_; }

 private:
  [[noreturn]] void Damaged(uint64_t at, const std::string& why) const;
  // Reads exactly n bytes; false at a clean end of file before any byte.
  bool ReadExactly(size_t n, std::string* out, uint64_t record_offset);

  FILE* file_;
  std::string name_;
  uint32_t flags_ = 0;
  uint64_t offset_ = 0;
  uint64_t records_ = 0;
};

}  // namespace cairn::cli

#endif  // CAIRN_BINDINGS_CLI_DUMP_FILE_H_
