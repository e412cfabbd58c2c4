#include "replication/frame.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <limits>

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include "absl/strings/str_cat.h"

namespace cairn::replication {
namespace {

// Header byte offsets.
constexpr size_t kMagicOffset = 0;
constexpr size_t kTypeOffset = 2;
constexpr size_t kFlagsOffset = 3;
constexpr size_t kLengthOffset = 4;
constexpr size_t kChecksumOffset = 8;
// The checksum covers the header up to itself, then the payload.
constexpr size_t kChecksummedHeader = kChecksumOffset;

void PutLe(uint64_t v, size_t bytes, char* out) {
  for (size_t i = 0; i < bytes; ++i) out[i] = static_cast<char>(v >> (8 * i));
}

uint64_t GetLe(const char* in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  }
  return v;
}

// 1..12 are the replication frames, 13..31 are reserved for the cluster
// client protocol: both pass the codec; the layers above decide which they
// expect.
bool KnownType(uint8_t type) {
  return type >= static_cast<uint8_t>(FrameType::kHello) &&
         type <= static_cast<uint8_t>(FrameType::kMaxKnown);
}

bool MacActive(const MacState* mac) {
  return mac != nullptr && !mac->secret.empty();
}

uint64_t Checksum(const char* header, std::string_view payload) {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, header, kChecksummedHeader);
  XXH3_64bits_update(&state, payload.data(), payload.size());
  return XXH3_64bits_digest(&state);
}

// An HMAC-SHA256 context per thread, keyed with the last secret it saw.
// Fetching the algorithms and keying a fresh context costs microseconds per
// frame; re-initialising a keyed one reuses its key schedule.
class ThreadHmac {
 public:
  ThreadHmac() = default;
  ThreadHmac(const ThreadHmac&) = delete;
  ThreadHmac& operator=(const ThreadHmac&) = delete;
  ~ThreadHmac() {
    EVP_MAC_CTX_free(ctx_);
    EVP_MAC_free(mac_);
  }

  // Starts a mac under `secret`; false if OpenSSL fails.
  bool Init(std::string_view secret) {
    if (ctx_ == nullptr) {
      mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
      ctx_ = mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr;
      if (ctx_ == nullptr) return false;
    }
    if (keyed_ && secret == secret_) {
      return EVP_MAC_init(ctx_, nullptr, 0, nullptr) == 1;
    }
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()};
    keyed_ = EVP_MAC_init(ctx_,
                          reinterpret_cast<const unsigned char*>(secret.data()),
                          secret.size(), params) == 1;
    if (keyed_) secret_.assign(secret.data(), secret.size());
    return keyed_;
  }

  bool Update(const void* data, size_t n) {
    return EVP_MAC_update(ctx_, static_cast<const unsigned char*>(data), n) ==
           1;
  }

  bool Final(std::array<uint8_t, kMacSize>* out) {
    size_t written = 0;
    return EVP_MAC_final(ctx_, out->data(), &written, out->size()) == 1 &&
           written == out->size();
  }

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
  bool keyed_ = false;
  std::string secret_;
};

// HMAC-SHA256(secret, direction | counter | sender nonce | receiver nonce |
// header | payload), streamed so the payload is never copied.
std::array<uint8_t, kMacSize> FrameMac(
    std::string_view secret, Direction direction, uint64_t counter,
    const std::array<uint8_t, kNonceSize>& sender_nonce,
    const std::array<uint8_t, kNonceSize>& receiver_nonce, const char* header,
    std::string_view payload) {
  char prefix[1 + 8];
  prefix[0] = static_cast<char>(direction);
  PutLe(counter, 8, prefix + 1);

  thread_local ThreadHmac hmac;
  std::array<uint8_t, kMacSize> out{};
  const bool ok = hmac.Init(secret) && hmac.Update(prefix, sizeof(prefix)) &&
                  hmac.Update(sender_nonce.data(), sender_nonce.size()) &&
                  hmac.Update(receiver_nonce.data(), receiver_nonce.size()) &&
                  hmac.Update(header, kFrameHeaderSize) &&
                  hmac.Update(payload.data(), payload.size()) &&
                  hmac.Final(&out);
  // OpenSSL failing here means no HMAC at all (a broken installation): an
  // all-zero mac never verifies against a real one, so the peer refuses the
  // frame rather than trusting it.
  if (!ok) out.fill(0);
  return out;
}

}  // namespace

std::array<uint8_t, kMacSize> HmacSha256(std::string_view secret,
                                         std::string_view data) {
  std::array<uint8_t, kMacSize> out{};
  unsigned int written = 0;
  // HMAC() wants a non-null key pointer even for an empty key.
  static const char kEmpty = 0;
  const void* key = secret.empty() ? &kEmpty : secret.data();
  if (secret.size() > static_cast<size_t>(INT_MAX) ||
      HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           out.data(), &written) == nullptr ||
      written != out.size()) {
    out.fill(0);
  }
  return out;
}

bool MacEqual(const uint8_t* a, const uint8_t* b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}

absl::Status RandomBytes(uint8_t* out, size_t n) {
  while (n > 0) {
    const int chunk =
        static_cast<int>(std::min<size_t>(n, static_cast<size_t>(INT_MAX)));
    if (RAND_bytes(out, chunk) != 1) {
      return absl::InternalError(absl::StrCat("RAND_bytes failed to produce ",
                                              chunk, " random bytes"));
    }
    out += chunk;
    n -= static_cast<size_t>(chunk);
  }
  return absl::OkStatus();
}

absl::Status FrameEncoder::Encode(FrameType type, std::string_view payload,
                                  MacState* mac, std::string* out) {
  const uint8_t type_byte = static_cast<uint8_t>(type);
  if (!KnownType(type_byte)) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame type ", type_byte, " is unknown (1..",
                     static_cast<int>(FrameType::kMaxKnown), ")"));
  }
  if (payload.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame payload of ", payload.size(),
                     " bytes over the format's limit of ",
                     std::numeric_limits<uint32_t>::max()));
  }
  char header[kFrameHeaderSize];
  PutLe(kFrameMagic, 2, header + kMagicOffset);
  header[kTypeOffset] = static_cast<char>(type_byte);
  header[kFlagsOffset] = 0;
  PutLe(payload.size(), 4, header + kLengthOffset);
  PutLe(Checksum(header, payload), 8, header + kChecksumOffset);

  const bool with_mac = MacActive(mac);
  out->reserve(out->size() + kFrameHeaderSize + payload.size() +
               (with_mac ? kMacSize : 0));
  out->append(header, kFrameHeaderSize);
  out->append(payload.data(), payload.size());
  if (with_mac) {
    const std::array<uint8_t, kMacSize> tag =
        FrameMac(mac->secret, mac->direction, mac->counter, mac->nonce_local,
                 mac->nonce_remote, header, payload);
    out->append(reinterpret_cast<const char*>(tag.data()), tag.size());
    ++mac->counter;
  }
  return absl::OkStatus();
}

void FrameDecoder::Authenticated(uint32_t max_payload, MacState* mac) {
  max_payload_ = max_payload;
  authenticated_ = true;
  mac_ = mac;
}

void FrameDecoder::Feed(const char* data, size_t n) {
  // A dead decoder keeps nothing: the connection is closing.
  if (!error_.ok()) return;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  buffer_.append(data, n);
}

absl::StatusOr<std::optional<Frame>> FrameDecoder::Next() {
  if (!error_.ok()) return error_;
  const size_t available = buffer_.size() - pos_;
  if (available < kFrameHeaderSize) return std::nullopt;

  // Check the header before waiting for the payload: a length over the cap
  // fails now, before a byte of it is buffered.
  const char* header = buffer_.data() + pos_;
  const uint64_t magic = GetLe(header + kMagicOffset, 2);
  const uint8_t type = static_cast<uint8_t>(header[kTypeOffset]);
  const uint8_t flags = static_cast<uint8_t>(header[kFlagsOffset]);
  const uint64_t length = GetLe(header + kLengthOffset, 4);
  if (magic != kFrameMagic) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("frame magic 0x", absl::Hex(magic, absl::kZeroPad4),
                     " is not 0x", absl::Hex(kFrameMagic, absl::kZeroPad4)));
  } else if (flags != 0) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("frame flags ", flags, " are not 0 (reserved)"));
  } else if (!KnownType(type)) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("frame type ", type, " is unknown (1..",
                     static_cast<int>(FrameType::kMaxKnown), ")"));
  } else if (length > max_payload_) {
    error_ = absl::InvalidArgumentError(
        absl::StrCat("frame length ", length, " over the cap ", max_payload_,
                     authenticated_ ? "" : " (before authentication)"));
  }
  if (!error_.ok()) {
    buffer_.clear();
    buffer_.shrink_to_fit();
    pos_ = 0;
    return error_;
  }

  const bool with_mac = MacActive(mac_);
  const size_t frame_size = kFrameHeaderSize + static_cast<size_t>(length) +
                            (with_mac ? kMacSize : 0);
  if (available < frame_size) return std::nullopt;

  const std::string_view payload(header + kFrameHeaderSize,
                                 static_cast<size_t>(length));
  const uint64_t stored = GetLe(header + kChecksumOffset, 8);
  const uint64_t computed = Checksum(header, payload);
  if (stored != computed) {
    error_ = absl::DataLossError(
        absl::StrCat("frame checksum 0x", absl::Hex(stored, absl::kZeroPad16),
                     " does not match its content (0x",
                     absl::Hex(computed, absl::kZeroPad16), "), type ", type,
                     " length ", length));
  } else if (with_mac) {
    // The sender's local nonce is our remote one.
    const std::array<uint8_t, kMacSize> expected =
        FrameMac(mac_->secret, mac_->direction, mac_->counter,
                 mac_->nonce_remote, mac_->nonce_local, header, payload);
    const auto* received =
        reinterpret_cast<const uint8_t*>(payload.data() + payload.size());
    if (!MacEqual(expected.data(), received, kMacSize)) {
      error_ = absl::UnauthenticatedError(absl::StrCat(
          "frame mac does not verify (frame ", mac_->counter,
          " of this direction, type ", type, " length ", length,
          "): wrong secret, or a replayed, reordered or reflected frame"));
    }
  }
  if (!error_.ok()) {
    buffer_.clear();
    buffer_.shrink_to_fit();
    pos_ = 0;
    return error_;
  }
  if (with_mac) ++mac_->counter;

  Frame frame;
  frame.type = static_cast<FrameType>(type);
  frame.payload.assign(payload.data(), payload.size());
  pos_ += frame_size;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ >= buffer_.size() / 2) {
    // Drop the consumed prefix once it is most of the buffer, so the copy
    // is amortised and the buffer stays within about two frames.
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return std::optional<Frame>(std::move(frame));
}

}  // namespace cairn::replication
