// The field codec shared by the replication wire (wire.cc) and the cluster
// client protocol (cluster/client_wire.cc): little-endian fixed integers,
// LEB128 varints, length-prefixed bytes, and a bounds-checked Reader.
//
// Reader reads one message's fields in order. The first problem is kept as
// an InvalidArgument naming the message and the field (and the list
// element, after set_element); every later read then fails too, so decoders
// chain reads with && and check status() once. A decoder never trusts a
// length: counts are bounded by what the remaining bytes could hold.
#ifndef CAIRN_REPLICATION_WIRE_CODEC_H_
#define CAIRN_REPLICATION_WIRE_CODEC_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cairn::replication::codec {

inline constexpr size_t kMaxVarintSize = 10;

// ---- Encoding --------------------------------------------------------------

inline void PutFixed(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) {
    out->push_back(static_cast<char>(v >> (8 * i)));
  }
}
inline void PutU8(std::string* out, uint8_t v) {
  out->push_back(static_cast<char>(v));
}
inline void PutU32(std::string* out, uint32_t v) { PutFixed(out, v, 4); }
inline void PutU64(std::string* out, uint64_t v) { PutFixed(out, v, 8); }
inline void PutBool(std::string* out, bool v) { PutU8(out, v ? 1 : 0); }

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline void PutBytes(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s.data(), s.size());
}

template <size_t N>
void PutArray(std::string* out, const std::array<uint8_t, N>& a) {
  out->append(reinterpret_cast<const char*>(a.data()), a.size());
}

// ---- Decoding --------------------------------------------------------------

class Reader {
 public:
  Reader(const char* message, std::string_view in)
      : message_(message), in_(in) {}

  size_t remaining() const { return in_.size() - pos_; }
  const absl::Status& status() const { return status_; }

  // Fields read after set_element(list, i) belong to element i of `list`
  // (e.g. "op"); errors then name it.
  void set_element(const char* list, size_t i) {
    list_ = list;
    element_ = i;
  }
  void clear_element() { list_ = nullptr; }

  bool Fail(absl::string_view field, absl::string_view problem) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(
          list_ == nullptr
              ? absl::StrCat(message_, ": field ", field, ": ", problem)
              : absl::StrCat(message_, ": ", list_, " ", element_, " field ",
                             field, ": ", problem));
    }
    return false;
  }

  bool Check(bool condition, absl::string_view field,
             absl::string_view problem) {
    return condition || Fail(field, problem);
  }

  bool Fixed(absl::string_view field, size_t bytes, uint64_t* v) {
    if (!status_.ok()) return false;
    if (remaining() < bytes) return Truncated(field, bytes);
    uint64_t r = 0;
    for (size_t i = 0; i < bytes; ++i) {
      r |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i]))
           << (8 * i);
    }
    pos_ += bytes;
    *v = r;
    return true;
  }

  bool U8(absl::string_view field, uint8_t* v) {
    uint64_t r;
    if (!Fixed(field, 1, &r)) return false;
    *v = static_cast<uint8_t>(r);
    return true;
  }
  bool U32(absl::string_view field, uint32_t* v) {
    uint64_t r;
    if (!Fixed(field, 4, &r)) return false;
    *v = static_cast<uint32_t>(r);
    return true;
  }
  bool U64(absl::string_view field, uint64_t* v) { return Fixed(field, 8, v); }

  // One byte, 0 or 1: anything else is refused so every value has one
  // encoding.
  bool Bool(absl::string_view field, bool* v) {
    uint8_t b;
    if (!U8(field, &b)) return false;
    if (b > 1) {
      return Fail(field, absl::StrCat("boolean byte ", b, " is not 0 or 1"));
    }
    *v = b == 1;
    return true;
  }

  bool Varint(absl::string_view field, uint64_t* v) {
    if (!status_.ok()) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < kMaxVarintSize; ++i) {
      if (pos_ >= in_.size()) {
        return Fail(field,
                    absl::StrCat("varint truncated after ", i, " bytes"));
      }
      const uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      if (i == kMaxVarintSize - 1 && b > 1) {
        return Fail(field, "varint overflows 64 bits");
      }
      r |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return Fail(field, "varint longer than 10 bytes");  // unreachable
  }

  // A varint length, at most `cap`, then that many bytes.
  bool Bytes(absl::string_view field, uint64_t cap, std::string* out) {
    uint64_t n;
    if (!Varint(field, &n)) return false;
    if (n > cap) {
      return Fail(field, absl::StrCat("length ", n, " over the cap ", cap));
    }
    if (n > remaining()) {
      return Fail(field, absl::StrCat("length ", n, " but only ", remaining(),
                                      " bytes remain"));
    }
    out->assign(in_.data() + pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }

  template <size_t N>
  bool Array(absl::string_view field, std::array<uint8_t, N>* out) {
    if (!status_.ok()) return false;
    if (remaining() < N) return Truncated(field, N);
    std::memcpy(out->data(), in_.data() + pos_, N);
    pos_ += N;
    return true;
  }

  // A varint element count, at most `cap` and at most what the remaining
  // bytes could hold at `min_element_size` each (so a reserve() of it is
  // bounded by the payload).
  bool Count(absl::string_view field, uint64_t cap, size_t min_element_size,
             size_t* out) {
    uint64_t n;
    if (!Varint(field, &n)) return false;
    if (n > cap) {
      return Fail(field, absl::StrCat("count ", n, " over the cap ", cap));
    }
    if (n > remaining() / min_element_size) {
      return Fail(field, absl::StrCat("count ", n, " needs at least ",
                                      n * min_element_size, " bytes but only ",
                                      remaining(), " remain"));
    }
    *out = static_cast<size_t>(n);
    return true;
  }

  // Every byte must have been read.
  bool Finish() {
    if (!status_.ok()) return false;
    if (remaining() != 0) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          message_, ": ", remaining(), " trailing bytes after the message"));
      return false;
    }
    return true;
  }

 private:
  bool Truncated(absl::string_view field, size_t bytes) {
    return Fail(field, absl::StrCat("needs ", bytes, " bytes but only ",
                                    remaining(), " remain"));
  }

  const char* message_;
  std::string_view in_;
  size_t pos_ = 0;
  const char* list_ = nullptr;
  size_t element_ = 0;
  absl::Status status_;
};

}  // namespace cairn::replication::codec

#endif  // CAIRN_REPLICATION_WIRE_CODEC_H_
