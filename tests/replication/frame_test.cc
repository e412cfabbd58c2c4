// The frame codec (replication/frame.h): round trips with and without a mac,
// and every frame case of RELIABILITY B1 at the codec level — lengths 0, 1,
// cap, cap+1 and 2^32-1, truncated and byte-at-a-time input, bad magic,
// flags, type, checksum and mac, replayed, reordered and reflected frames,
// the pre-authentication cap — with the buffer bounded throughout.
#include "replication/frame.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cairn::replication {
namespace {

constexpr size_t kMaxFrameBytes = kFrameHeaderSize + kPreAuthMaxPayload;

std::string Encode(FrameType type, std::string_view payload,
                   MacState* mac = nullptr) {
  std::string out;
  absl::Status st = FrameEncoder::Encode(type, payload, mac, &out);
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

// A bare header with the given fields and a zero checksum: the decoder checks
// magic, flags, type and length before it waits for the payload.
std::string Header(uint8_t type, uint8_t flags, uint32_t length,
                   uint16_t magic = kFrameMagic) {
  std::string h(kFrameHeaderSize, '\0');
  h[0] = static_cast<char>(magic & 0xff);
  h[1] = static_cast<char>(magic >> 8);
  h[2] = static_cast<char>(type);
  h[3] = static_cast<char>(flags);
  for (int i = 0; i < 4; ++i) h[4 + i] = static_cast<char>(length >> (8 * i));
  return h;
}

// Feeds `bytes` and returns every frame until the decoder wants more; fails
// the test on an error.
std::vector<Frame> DecodeAll(FrameDecoder& d, std::string_view bytes) {
  d.Feed(bytes.data(), bytes.size());
  std::vector<Frame> frames;
  for (;;) {
    absl::StatusOr<std::optional<Frame>> f = d.Next();
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok() || !f->has_value()) return frames;
    frames.push_back(std::move(**f));
  }
}

absl::Status FeedExpectingError(FrameDecoder& d, std::string_view bytes) {
  d.Feed(bytes.data(), bytes.size());
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<std::optional<Frame>> f = d.Next();
    if (!f.ok()) return f.status();
    if (!f->has_value()) return absl::OkStatus();
  }
  return absl::OkStatus();
}

// Two ends of one authenticated connection, each filling its MacStates from
// its own point of view (frame.h).
struct Connection {
  std::array<uint8_t, kNonceSize> client_nonce{};
  std::array<uint8_t, kNonceSize> server_nonce{};
  MacState client_send, client_recv, server_send, server_recv;

  explicit Connection(std::string secret = "s3cret") {
    for (size_t i = 0; i < kNonceSize; ++i) {
      client_nonce[i] = static_cast<uint8_t>(i + 1);
      server_nonce[i] = static_cast<uint8_t>(0xa0 + i);
    }
    for (MacState* m : {&client_send, &client_recv}) {
      m->secret = secret;
      m->nonce_local = client_nonce;
      m->nonce_remote = server_nonce;
    }
    for (MacState* m : {&server_send, &server_recv}) {
      m->secret = secret;
      m->nonce_local = server_nonce;
      m->nonce_remote = client_nonce;
    }
    client_send.direction = server_recv.direction = Direction::kClientToServer;
    server_send.direction = client_recv.direction = Direction::kServerToClient;
  }
};

TEST(FrameTest, RoundTripWithoutMac) {
  std::string stream;
  const std::vector<std::pair<FrameType, std::string>> sent = {
      {FrameType::kHello, ""},
      {FrameType::kWelcome, "w"},
      {FrameType::kOpBatch, std::string(kPreAuthMaxPayload, 'b')},
      {FrameType::kError, "bye"},
  };
  for (const auto& [type, payload] : sent) stream += Encode(type, payload);
  FrameDecoder d;
  std::vector<Frame> got = DecodeAll(d, stream);
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].type, sent[i].first);
    EXPECT_EQ(got[i].payload, sent[i].second);
  }
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(FrameTest, HeaderLayoutIsAsDocumented) {
  std::string f = Encode(FrameType::kAck, "abc");
  ASSERT_EQ(f.size(), kFrameHeaderSize + 3);
  EXPECT_EQ(static_cast<uint8_t>(f[0]), 0x52);  // 'R': 0x4352 little-endian
  EXPECT_EQ(static_cast<uint8_t>(f[1]), 0x43);  // 'C'
  EXPECT_EQ(static_cast<uint8_t>(f[2]), 5);
  EXPECT_EQ(static_cast<uint8_t>(f[3]), 0);
  EXPECT_EQ(static_cast<uint8_t>(f[4]), 3);
  EXPECT_EQ(f.substr(kFrameHeaderSize), "abc");
}

TEST(FrameTest, RoundTripWithMacBothWays) {
  Connection c;
  FrameDecoder at_server, at_client;
  at_server.Authenticated(1 << 20, &c.server_recv);
  at_client.Authenticated(1 << 20, &c.client_recv);

  std::string to_server, to_client;
  for (int i = 0; i < 5; ++i) {
    to_server +=
        Encode(FrameType::kOpBatch, std::string(i * 1000, 'c'), &c.client_send);
    to_client += Encode(FrameType::kAck, std::to_string(i), &c.server_send);
  }
  EXPECT_EQ(c.client_send.counter, 5u);
  EXPECT_EQ(to_client.size(),
            5 * (kFrameHeaderSize + 1 + kMacSize));  // the mac is appended

  std::vector<Frame> got = DecodeAll(at_server, to_server);
  ASSERT_EQ(got.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(got[i].payload.size(), i * 1000u);
  got = DecodeAll(at_client, to_client);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[4].payload, "4");
  EXPECT_EQ(c.server_recv.counter, 5u);
  EXPECT_EQ(c.client_recv.counter, 5u);
}

TEST(FrameTest, LengthsZeroOneAndCapAreAccepted) {
  for (uint32_t length : {0u, 1u, kPreAuthMaxPayload}) {
    FrameDecoder d;
    std::vector<Frame> got =
        DecodeAll(d, Encode(FrameType::kHeartbeat, std::string(length, 'p')));
    ASSERT_EQ(got.size(), 1u) << length;
    EXPECT_EQ(got[0].payload.size(), length);
  }
}

TEST(FrameTest, LengthOverTheCapFailsAtTheHeader) {
  for (uint32_t length : {kPreAuthMaxPayload + 1, UINT32_MAX}) {
    FrameDecoder d;
    // Only the header: the decoder refuses it before any payload arrives.
    absl::Status st = FeedExpectingError(d, Header(1, 0, length));
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << length;
    EXPECT_NE(st.message().find("frame length " + std::to_string(length) +
                                " over the cap 4096"),
              std::string::npos)
        << st;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(FrameTest, TruncatedFrameFedOneByteAtATimeWaitsThenDecodes) {
  for (bool with_mac : {false, true}) {
    Connection c;
    FrameDecoder d;
    if (with_mac) d.Authenticated(kPreAuthMaxPayload, &c.server_recv);
    const std::string frame = Encode(FrameType::kOpBatch, std::string(300, 'z'),
                                     with_mac ? &c.client_send : nullptr);
    for (size_t i = 0; i + 1 < frame.size(); ++i) {
      d.Feed(&frame[i], 1);
      absl::StatusOr<std::optional<Frame>> f = d.Next();
      ASSERT_TRUE(f.ok()) << "byte " << i << ": " << f.status();
      ASSERT_FALSE(f->has_value())
          << "a frame after only " << i + 1 << " bytes";
      ASSERT_EQ(d.buffered(), i + 1);
    }
    d.Feed(&frame.back(), 1);
    absl::StatusOr<std::optional<Frame>> f = d.Next();
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_TRUE(f->has_value());
    EXPECT_EQ((*f)->payload, std::string(300, 'z'));
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(FrameTest, BadMagicFlagsAndTypeAreRefused) {
  struct Case {
    std::string header;
    std::string message;
  } cases[] = {
      {Header(1, 0, 0, 0x4353), "frame magic 0x4353 is not 0x4352"},
      {Header(1, 0x80, 0), "frame flags 128 are not 0"},
      {Header(0, 0, 0), "frame type 0 is unknown"},
      {Header(32, 0, 0), "frame type 32 is unknown"},
      {Header(255, 0, 0), "frame type 255 is unknown"},
  };
  for (const Case& c : cases) {
    FrameDecoder d;
    absl::Status st = FeedExpectingError(d, c.header);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << st;
  }
}

TEST(FrameTest, ReservedTypesPassTheCodec) {
  // 13..31 belong to the cluster client protocol (issue 13).
  for (int type : {13, 20, 31}) {
    FrameDecoder d;
    std::vector<Frame> got =
        DecodeAll(d, Encode(static_cast<FrameType>(type), "r"));
    ASSERT_EQ(got.size(), 1u) << type;
    EXPECT_EQ(static_cast<int>(got[0].type), type);
  }
}

TEST(FrameTest, EncoderRefusesUnknownTypesAndHugePayloads) {
  std::string out;
  EXPECT_EQ(
      FrameEncoder::Encode(static_cast<FrameType>(0), "", nullptr, &out).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FrameEncoder::Encode(static_cast<FrameType>(32), "", nullptr, &out)
                .code(),
            absl::StatusCode::kInvalidArgument);
  // The size is checked before a byte is read.
  const char one = 'x';
  std::string_view huge(&one, size_t{UINT32_MAX} + 1);
  absl::Status st =
      FrameEncoder::Encode(FrameType::kOpBatch, huge, nullptr, &out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("4294967296"), std::string::npos) << st;
  EXPECT_TRUE(out.empty());
}

TEST(FrameTest, BadChecksumIsDataLoss) {
  const std::string good = Encode(FrameType::kOpBatch, "payload");
  // A flipped payload byte, and a flipped checksum byte.
  for (size_t at : {kFrameHeaderSize + 2, size_t{9}}) {
    std::string bad = good;
    bad[at] ^= 0x01;
    FrameDecoder d;
    absl::Status st = FeedExpectingError(d, bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << at;
    EXPECT_NE(st.message().find("checksum"), std::string::npos) << st;
    EXPECT_EQ(d.buffered(), 0u);
  }
}

TEST(FrameTest, BadMacIsUnauthenticated) {
  Connection c;
  std::string frame = Encode(FrameType::kAck, "ack", &c.client_send);
  frame.back() ^= 0x01;
  FrameDecoder d;
  d.Authenticated(1 << 20, &c.server_recv);
  absl::Status st = FeedExpectingError(d, frame);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_NE(st.message().find("mac does not verify"), std::string::npos);
  EXPECT_EQ(c.server_recv.counter, 0u);
}

TEST(FrameTest, WrongSecretFailsTheMac) {
  Connection sender("one secret"), receiver("another secret");
  FrameDecoder d;
  d.Authenticated(1 << 20, &receiver.server_recv);
  absl::Status st = FeedExpectingError(
      d, Encode(FrameType::kAck, "ack", &sender.client_send));
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
}

TEST(FrameTest, ConnectionsWithDifferentSecretsInterleave) {
  // One thread serving several connections, each with its own secret.
  Connection a("secret a"), b("secret b");
  FrameDecoder at_a, at_b;
  at_a.Authenticated(1 << 20, &a.server_recv);
  at_b.Authenticated(1 << 20, &b.server_recv);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        DecodeAll(at_a, Encode(FrameType::kAck, "a", &a.client_send)).size(),
        1u);
    ASSERT_EQ(
        DecodeAll(at_b, Encode(FrameType::kAck, "b", &b.client_send)).size(),
        1u);
  }
}

TEST(FrameTest, ReplayedFrameFailsItsMac) {
  Connection c;
  const std::string first = Encode(FrameType::kAck, "one", &c.client_send);
  FrameDecoder d;
  d.Authenticated(1 << 20, &c.server_recv);
  ASSERT_EQ(DecodeAll(d, first).size(), 1u);
  // The same bytes again: the receiver now expects counter 1.
  absl::Status st = FeedExpectingError(d, first);
  EXPECT_EQ(st.code(), absl::StatusCode::kUnauthenticated) << st;
  EXPECT_NE(st.message().find("frame 1 "), std::string::npos) << st;
}

TEST(FrameTest, ReorderedFramesFailTheirMac) {
  Connection c;
  const std::string first = Encode(FrameType::kAck, "one", &c.client_send);
  const std::string second = Encode(FrameType::kAck, "two", &c.client_send);
  FrameDecoder d;
  d.Authenticated(1 << 20, &c.server_recv);
  EXPECT_EQ(FeedExpectingError(d, second + first).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(FrameTest, ReflectedFrameFailsItsMac) {
  Connection c;
  // The client's own frame sent back to it by a man in the middle.
  const std::string mine = Encode(FrameType::kAck, "ack", &c.client_send);
  FrameDecoder at_client;
  at_client.Authenticated(1 << 20, &c.client_recv);
  EXPECT_EQ(FeedExpectingError(at_client, mine).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(FrameTest, FrameWithoutMacIsRefusedOnceAuthenticated) {
  Connection c;
  FrameDecoder d;
  d.Authenticated(1 << 20, &c.server_recv);
  // 32 more bytes of anything stand where the mac should be.
  std::string frame = Encode(FrameType::kAck, "ack") + std::string(32, '\0');
  EXPECT_EQ(FeedExpectingError(d, frame).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(FrameTest, PreAuthCapThenTheRaisedCap) {
  Connection c;
  const std::string big(kPreAuthMaxPayload + 1, 'B');
  FrameDecoder before;
  absl::Status st = FeedExpectingError(before, Encode(FrameType::kHello, big));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("before authentication"), std::string::npos)
      << st;

  FrameDecoder after;
  ASSERT_EQ(DecodeAll(after, Encode(FrameType::kHello, "small")).size(), 1u);
  after.Authenticated(1 << 16, &c.server_recv);
  std::vector<Frame> got =
      DecodeAll(after, Encode(FrameType::kOpBatch, big, &c.client_send));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, big);
  st = FeedExpectingError(after, Header(4, 0, (1 << 16) + 1));
  EXPECT_NE(st.message().find("over the cap 65536"), std::string::npos) << st;
  EXPECT_EQ(st.message().find("before authentication"), std::string::npos)
      << st;

  // Authenticated without a secret: the raised cap, no mac.
  FrameDecoder no_secret;
  no_secret.Authenticated(1 << 16, nullptr);
  got = DecodeAll(no_secret, Encode(FrameType::kOpBatch, big));
  ASSERT_EQ(got.size(), 1u);
  st = FeedExpectingError(no_secret, Header(4, 0, UINT32_MAX));
  EXPECT_EQ(st.message(), "frame length 4294967295 over the cap 65536");
}

TEST(FrameTest, DeadDecoderKeepsItsErrorAndNothingElse) {
  FrameDecoder d;
  absl::Status first = FeedExpectingError(d, Header(99, 0, 0));
  ASSERT_FALSE(first.ok());
  const std::string good = Encode(FrameType::kAck, "ack");
  for (int i = 0; i < 3; ++i) {
    d.Feed(good.data(), good.size());
    EXPECT_EQ(d.buffered(), 0u);
    absl::StatusOr<std::optional<Frame>> f = d.Next();
    ASSERT_FALSE(f.ok());
    EXPECT_EQ(f.status(), first);
  }
}

TEST(FrameTest, BufferStaysWithinOneFrameWhileStreaming) {
  std::mt19937 rng(7);
  std::string stream;
  size_t frames = 0;
  for (int i = 0; i < 200; ++i, ++frames) {
    stream += Encode(FrameType::kOpBatch,
                     std::string(rng() % (kPreAuthMaxPayload + 1), 'q'));
  }
  FrameDecoder d;
  size_t pos = 0, decoded = 0, max_buffered = 0;
  while (pos < stream.size()) {
    const size_t chunk =
        std::min<size_t>(1 + rng() % 5000, stream.size() - pos);
    d.Feed(stream.data() + pos, chunk);
    pos += chunk;
    for (;;) {
      absl::StatusOr<std::optional<Frame>> f = d.Next();
      ASSERT_TRUE(f.ok()) << f.status();
      if (!f->has_value()) break;
      ++decoded;
    }
    max_buffered = std::max(max_buffered, d.buffered());
  }
  EXPECT_EQ(decoded, frames);
  EXPECT_EQ(d.buffered(), 0u);
  EXPECT_LT(max_buffered, kMaxFrameBytes);
}

TEST(FrameTest, RandomMutationsGiveFramesOrACleanError) {
  Connection c;
  std::string plain, macd;
  for (int i = 0; i < 8; ++i) {
    plain += Encode(static_cast<FrameType>(1 + i), std::string(i * 37, 'm'));
    macd += Encode(static_cast<FrameType>(1 + i), std::string(i * 37, 'm'),
                   &c.client_send);
  }
  std::mt19937_64 rng(12);
  for (int round = 0; round < 3000; ++round) {
    const bool with_mac = round % 2 == 1;
    std::string s = with_mac ? macd : plain;
    for (int e = 1 + rng() % 4; e > 0; --e) {
      switch (rng() % 3) {
        case 0:
          s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 1:
          s.insert(rng() % s.size(), 1, static_cast<char>(rng()));
          break;
        case 2:
          s.erase(rng() % s.size(), 1 + rng() % 8);
          break;
      }
      if (s.empty()) s = "x";
    }
    MacState recv = c.server_recv;
    recv.counter = 0;
    FrameDecoder d;
    if (with_mac) d.Authenticated(kPreAuthMaxPayload, &recv);
    size_t pos = 0;
    bool failed = false;
    while (pos < s.size() && !failed) {
      const size_t chunk = std::min<size_t>(1 + rng() % 64, s.size() - pos);
      d.Feed(s.data() + pos, chunk);
      pos += chunk;
      for (int n = 0; n < 100; ++n) {
        absl::StatusOr<std::optional<Frame>> f = d.Next();
        if (!f.ok()) {
          failed = true;
          EXPECT_FALSE(f.status().message().empty());
          break;
        }
        if (!f->has_value()) break;
        EXPECT_LE((*f)->payload.size(), kPreAuthMaxPayload);
      }
      ASSERT_LE(d.buffered(), kMaxFrameBytes + kMacSize + 64);
    }
  }
}

TEST(FrameTest, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  std::array<uint8_t, kMacSize> mac =
      HmacSha256("Jefe", "what do ya want for nothing?");
  static const uint8_t kExpected[kMacSize] = {
      0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
      0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
      0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  EXPECT_TRUE(MacEqual(mac.data(), kExpected, kMacSize));
  mac[31] ^= 1;
  EXPECT_FALSE(MacEqual(mac.data(), kExpected, kMacSize));
}

TEST(FrameTest, RandomBytesDiffer) {
  std::array<uint8_t, kNonceSize> a{}, b{};
  ASSERT_TRUE(RandomBytes(a.data(), a.size()).ok());
  ASSERT_TRUE(RandomBytes(b.data(), b.size()).ok());
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace cairn::replication
