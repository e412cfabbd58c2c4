// The wire messages (replication/wire.h): a round trip of every message,
// every cap and enum check, and every decoder fed every truncation and
// random mutations of valid payloads — always a clean InvalidArgument or a
// valid value, never a crash (run under ASan/UBSan too).
#include "replication/wire.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace cairn::replication {

bool operator==(const WireOp& a, const WireOp& b) {
  return a.kind == b.kind && a.version == b.version && a.key == b.key &&
         a.value == b.value;
}

namespace {

template <size_t N>
std::array<uint8_t, N> Filled(uint8_t first) {
  std::array<uint8_t, N> a{};
  for (size_t i = 0; i < N; ++i) a[i] = static_cast<uint8_t>(first + i);
  return a;
}

std::vector<WireOp> SomeOps() {
  return {
      {OpKind::kPut, {0x0123456789abcdefull, 7}, "key", "value"},
      {OpKind::kDelete, {UINT64_MAX, UINT32_MAX}, "gone", ""},
      {OpKind::kPut, {1, 1}, std::string(300, 'k'), std::string(2000, 'v')},
      {OpKind::kPut, {2, 2}, "empty value", ""},
  };
}

Hello SomeHello() {
  Hello m;
  m.protocol_version = 7;
  m.cluster_id = "cluster-a";
  m.node_id = 42;
  m.role = Role::kClient;
  m.has_secret = true;
  m.nonce = Filled<kNonceSize>(3);
  return m;
}

Welcome SomeWelcome() {
  Welcome m;
  m.cluster_id = std::string(255, 'c');
  m.node_id = UINT32_MAX;
  m.has_secret = true;
  m.nonce = Filled<kNonceSize>(9);
  m.cursor.applied = 1234567;
  m.cursor.resync_in_progress = true;
  m.cursor.resync_from = 99;
  m.cursor.resync_resume_key = "resume here";
  return m;
}

OpBatch SomeOpBatch() {
  OpBatch m;
  m.first_sequence = 10;
  m.last_sequence = 20;
  m.sync = true;
  m.ops = SomeOps();
  return m;
}

SnapshotChunk SomeChunk() {
  SnapshotChunk m;
  m.resync_from = 500;
  m.resume_key = "next";
  m.records = SomeOps();
  return m;
}

TEST(WireTest, HelloRoundTrip) {
  const Hello m = SomeHello();
  absl::StatusOr<Hello> got = DecodeHello(EncodeHello(m));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->protocol_version, 7u);
  EXPECT_EQ(got->cluster_id, m.cluster_id);
  EXPECT_EQ(got->node_id, 42u);
  EXPECT_EQ(got->role, Role::kClient);
  EXPECT_TRUE(got->has_secret);
  EXPECT_EQ(got->nonce, m.nonce);
}

TEST(WireTest, WelcomeRoundTrip) {
  const Welcome m = SomeWelcome();
  absl::StatusOr<Welcome> got = DecodeWelcome(EncodeWelcome(m));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->protocol_version, kProtocolVersion);
  EXPECT_EQ(got->cluster_id, m.cluster_id);
  EXPECT_EQ(got->node_id, UINT32_MAX);
  EXPECT_TRUE(got->has_secret);
  EXPECT_EQ(got->nonce, m.nonce);
  EXPECT_EQ(got->cursor.applied, 1234567u);
  EXPECT_TRUE(got->cursor.resync_in_progress);
  EXPECT_EQ(got->cursor.resync_from, 99u);
  EXPECT_EQ(got->cursor.resync_resume_key, "resume here");
  // A Welcome with an ordinary cursor fits the pre-authentication cap.
  EXPECT_LE(EncodeWelcome(m).size(), kPreAuthMaxPayload);
}

TEST(WireTest, AuthRoundTrip) {
  Auth m;
  m.proof = Filled<kMacSize>(100);
  std::string encoded = EncodeAuth(m);
  EXPECT_EQ(encoded.size(), kMacSize);
  absl::StatusOr<Auth> got = DecodeAuth(encoded);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->proof, m.proof);
}

TEST(WireTest, OpBatchRoundTrip) {
  const OpBatch m = SomeOpBatch();
  absl::StatusOr<OpBatch> got = DecodeOpBatch(EncodeOpBatch(m), WireLimits());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->first_sequence, 10u);
  EXPECT_EQ(got->last_sequence, 20u);
  EXPECT_TRUE(got->sync);
  EXPECT_EQ(got->ops, m.ops);

  OpBatch empty;  // everything filtered out: no operations
  empty.first_sequence = empty.last_sequence = 5;
  got = DecodeOpBatch(EncodeOpBatch(empty), WireLimits());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->ops.empty());
  EXPECT_FALSE(got->sync);
}

TEST(WireTest, AckHeartbeatDigestRoundTrips) {
  absl::StatusOr<Ack> ack = DecodeAck(EncodeAck({UINT64_MAX, true}));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->applied, UINT64_MAX);
  EXPECT_TRUE(ack->durable);

  absl::StatusOr<Heartbeat> hb = DecodeHeartbeat(EncodeHeartbeat({1, 2, 3}));
  ASSERT_TRUE(hb.ok()) << hb.status();
  EXPECT_EQ(hb->id, 1u);
  EXPECT_EQ(hb->sender_time_ms, 2u);
  EXPECT_EQ(hb->last_sequence, 3u);

  for (uint32_t buckets : {1u, 1024u, 65536u}) {
    absl::StatusOr<DigestRequest> rq = DecodeDigestRequest(
        EncodeDigestRequest({77, buckets, 0x1234567890abcdefull}));
    ASSERT_TRUE(rq.ok()) << rq.status();
    EXPECT_EQ(rq->id, 77u);
    EXPECT_EQ(rq->buckets, buckets);
    EXPECT_EQ(rq->horizon_hlc, 0x1234567890abcdefull);
  }

  DigestReply reply;
  reply.id = 8;
  reply.sequence = 9;
  for (uint64_t i = 0; i < 65536; ++i) reply.hashes.push_back(i * 0x9e37);
  absl::StatusOr<DigestReply> rp = DecodeDigestReply(EncodeDigestReply(reply));
  ASSERT_TRUE(rp.ok()) << rp.status();
  EXPECT_EQ(rp->id, 8u);
  EXPECT_EQ(rp->sequence, 9u);
  EXPECT_EQ(rp->hashes, reply.hashes);
}

TEST(WireTest, SnapshotRepairErrorRoundTrips) {
  const SnapshotChunk chunk = SomeChunk();
  absl::StatusOr<SnapshotChunk> c =
      DecodeSnapshotChunk(EncodeSnapshotChunk(chunk), WireLimits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->resync_from, 500u);
  EXPECT_EQ(c->resume_key, "next");
  EXPECT_FALSE(c->last);
  EXPECT_EQ(c->records, chunk.records);

  SnapshotChunk last;
  last.last = true;
  c = DecodeSnapshotChunk(EncodeSnapshotChunk(last), WireLimits());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->last);
  EXPECT_TRUE(c->records.empty());

  Repair repair;
  repair.records = SomeOps();
  absl::StatusOr<Repair> r = DecodeRepair(EncodeRepair(repair), WireLimits());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->records, repair.records);

  for (const std::string& reason : {std::string(), std::string(1024, 'r')}) {
    absl::StatusOr<ErrorFrame> e = DecodeError(EncodeError({reason}));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->reason, reason);
  }
}

void ExpectInvalid(const absl::Status& st, const std::string& needle) {
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(std::string(st.message()).find(needle), std::string::npos)
      << "'" << st.message() << "' lacks '" << needle << "'";
}

TEST(WireTest, CapsAndEnumsAreChecked) {
  Hello hello = SomeHello();
  hello.cluster_id = std::string(256, 'c');
  ExpectInvalid(DecodeHello(EncodeHello(hello)).status(),
                "Hello: field cluster_id: length 256 over the cap 255");
  hello = SomeHello();
  for (uint8_t role : {0, 3}) {
    hello.role = static_cast<Role>(role);
    ExpectInvalid(DecodeHello(EncodeHello(hello)).status(),
                  "role " + std::to_string(role) + " is not peer");
  }

  Welcome welcome = SomeWelcome();
  welcome.cluster_id = std::string(300, 'c');
  ExpectInvalid(DecodeWelcome(EncodeWelcome(welcome)).status(),
                "length 300 over the cap 255");

  ExpectInvalid(DecodeError(EncodeError({std::string(1025, 'r')})).status(),
                "ErrorFrame: field reason: length 1025 over the cap 1024");

  for (uint32_t buckets : {0u, 65537u, UINT32_MAX}) {
    ExpectInvalid(
        DecodeDigestRequest(EncodeDigestRequest({1, buckets})).status(),
        "buckets " + std::to_string(buckets) + " outside 1..65536");
  }

  DigestReply reply;
  reply.hashes.resize(65537);
  ExpectInvalid(DecodeDigestReply(EncodeDigestReply(reply)).status(),
                "count 65537 over the cap 65536");
}

TEST(WireTest, OperationsAreChecked) {
  WireLimits limits;
  limits.max_key_size = 16;
  limits.max_value_size = 32;
  limits.max_ops = 2;
  auto batch_with = [](std::vector<WireOp> ops) {
    OpBatch m;
    m.ops = std::move(ops);
    return EncodeOpBatch(m);
  };
  ExpectInvalid(DecodeOpBatch(batch_with({{OpKind::kPut, {}, "k", ""},
                                          {OpKind::kPut, {}, "k", ""},
                                          {OpKind::kPut, {}, "k", ""}}),
                              limits)
                    .status(),
                "OpBatch: field ops: count 3 over the cap 2");
  ExpectInvalid(
      DecodeOpBatch(batch_with({{OpKind::kPut, {}, std::string(17, 'k'), ""}}),
                    limits)
          .status(),
      "op 0 field key: length 17 over the cap 16");
  ExpectInvalid(
      DecodeOpBatch(batch_with({{OpKind::kPut, {}, "k", ""},
                                {OpKind::kPut, {}, "k", std::string(33, 'v')}}),
                    limits)
          .status(),
      "op 1 field value: length 33 over the cap 32");
  ExpectInvalid(
      DecodeOpBatch(batch_with({{OpKind::kPut, {}, "", ""}}), limits).status(),
      "op 0 field key: empty key");
  ExpectInvalid(
      DecodeOpBatch(batch_with({{OpKind::kDelete, {}, "k", "v"}}), limits)
          .status(),
      "a delete carries a value of 1 bytes");
  for (uint8_t kind : {0, 3, 255}) {
    ExpectInvalid(
        DecodeOpBatch(batch_with({{static_cast<OpKind>(kind), {}, "k", ""}}),
                      limits)
            .status(),
        "kind " + std::to_string(kind) + " is not put");
  }
  // The same caps hold in snapshot chunks and repairs.
  SnapshotChunk chunk;
  chunk.records = {{OpKind::kPut, {}, std::string(17, 'k'), ""}};
  ExpectInvalid(
      DecodeSnapshotChunk(EncodeSnapshotChunk(chunk), limits).status(),
      "SnapshotChunk: op 0 field key: length 17");
  Repair repair;
  repair.records.resize(3, {OpKind::kPut, {}, "k", ""});
  ExpectInvalid(DecodeRepair(EncodeRepair(repair), limits).status(),
                "Repair: field ops: count 3 over the cap 2");
}

TEST(WireTest, SequencesAndTheLastChunkAreConsistent) {
  OpBatch batch;
  batch.first_sequence = 9;
  batch.last_sequence = 8;
  ExpectInvalid(DecodeOpBatch(EncodeOpBatch(batch), WireLimits()).status(),
                "last_sequence 8 below first_sequence 9");
  SnapshotChunk chunk;
  chunk.last = true;
  chunk.resume_key = "more";
  ExpectInvalid(
      DecodeSnapshotChunk(EncodeSnapshotChunk(chunk), WireLimits()).status(),
      "the last chunk carries a resume key of 4 bytes");
}

TEST(WireTest, HugeCountsAreRefusedBeforeAllocating) {
  // count = 2^63 in a ten-byte varint, then nothing.
  std::string repair("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10);
  WireLimits unlimited;
  unlimited.max_ops = UINT32_MAX;
  ExpectInvalid(DecodeRepair(repair, unlimited).status(), "over the cap");
  // A count within the cap but beyond what the bytes could hold.
  std::string small("\xff\xff\x03", 3);  // 65535 operations in 0 bytes
  ExpectInvalid(DecodeRepair(small, unlimited).status(),
                "count 65535 needs at least");
  std::string reply(16, '\0');
  reply += std::string("\x80\x80\x04", 3);  // 65536 hashes in 0 bytes
  ExpectInvalid(DecodeDigestReply(reply).status(), "count 65536 needs");
}

TEST(WireTest, BadVarintsBoolsAndTrailingBytes) {
  // Eleven continuation bytes; then a tenth byte that overflows 64 bits.
  ExpectInvalid(DecodeError(std::string(11, '\x80')).status(),
                "varint overflows");
  ExpectInvalid(
      DecodeError(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10))
          .status(),
      "varint overflows 64 bits");
  ExpectInvalid(DecodeError(std::string("\x80", 1)).status(),
                "varint truncated after 1 bytes");

  std::string ack = EncodeAck({1, true});
  ack.back() = 2;
  ExpectInvalid(DecodeAck(ack).status(), "Ack: field durable: boolean byte 2");

  ExpectInvalid(DecodeAck(EncodeAck({1, true}) + "x").status(),
                "Ack: 1 trailing bytes");
  ExpectInvalid(DecodeAuth(std::string(kMacSize + 1, 'a')).status(),
                "Auth: 1 trailing bytes");
  ExpectInvalid(DecodeAuth(std::string(kMacSize - 1, 'a')).status(),
                "Auth: field proof: needs 32 bytes but only 31 remain");
}

// Every decoder, behind one signature, with its valid encodings.
struct Codec {
  const char* name;
  std::function<absl::Status(std::string_view)> decode;
  std::vector<std::string> valid;
};

std::vector<Codec> AllCodecs() {
  const WireLimits limits;
  auto st = [](const auto& r) { return r.status(); };
  Repair repair;
  repair.records = SomeOps();
  DigestReply reply;
  reply.id = 1;
  reply.hashes = {1, 2, 3};
  return {
      {"Hello",
       [=](auto p) { return st(DecodeHello(p)); },
       {EncodeHello(SomeHello()), EncodeHello(Hello())}},
      {"Welcome",
       [=](auto p) { return st(DecodeWelcome(p)); },
       {EncodeWelcome(SomeWelcome()), EncodeWelcome(Welcome())}},
      {"Auth", [=](auto p) { return st(DecodeAuth(p)); }, {EncodeAuth(Auth())}},
      {"OpBatch",
       [=](auto p) { return st(DecodeOpBatch(p, limits)); },
       {EncodeOpBatch(SomeOpBatch())}},
      {"Ack", [=](auto p) { return st(DecodeAck(p)); }, {EncodeAck({5, true})}},
      {"Heartbeat",
       [=](auto p) { return st(DecodeHeartbeat(p)); },
       {EncodeHeartbeat({1, 2, 3})}},
      {"DigestRequest",
       [=](auto p) { return st(DecodeDigestRequest(p)); },
       {EncodeDigestRequest({1, 64, 0}), EncodeDigestRequest({1, 64, 99})}},
      {"DigestReply",
       [=](auto p) { return st(DecodeDigestReply(p)); },
       {EncodeDigestReply(reply)}},
      {"SnapshotChunk",
       [=](auto p) { return st(DecodeSnapshotChunk(p, limits)); },
       {EncodeSnapshotChunk(SomeChunk())}},
      {"Repair",
       [=](auto p) { return st(DecodeRepair(p, limits)); },
       {EncodeRepair(repair)}},
      {"ErrorFrame",
       [=](auto p) { return st(DecodeError(p)); },
       {EncodeError({"closing"})}},
  };
}

TEST(WireTest, EveryTruncationIsACleanError) {
  for (const Codec& c : AllCodecs()) {
    for (const std::string& valid : c.valid) {
      ASSERT_TRUE(c.decode(valid).ok()) << c.name;
      for (size_t n = 0; n < valid.size(); ++n) {
        absl::Status s = c.decode(std::string(valid.data(), n));
        ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument)
            << c.name << " truncated to " << n << " of " << valid.size();
        ASSERT_EQ(s.message().rfind(c.name, 0), 0u) << s;
      }
    }
  }
}

TEST(WireTest, RandomMutationsGiveAValueOrACleanError) {
  std::mt19937_64 rng(12);
  size_t accepted = 0, refused = 0;
  for (const Codec& c : AllCodecs()) {
    for (const std::string& valid : c.valid) {
      for (int round = 0; round < 400; ++round) {
        // Large payloads get fewer rounds' worth of edits near the start.
        std::string s = valid.size() > 4096 ? valid.substr(0, 4096) : valid;
        for (int e = 1 + rng() % 4; e > 0; --e) {
          switch (rng() % 4) {
            case 0:
              if (!s.empty()) s[rng() % s.size()] ^= 1 << (rng() % 8);
              break;
            case 1:
              s.insert(s.empty() ? 0 : rng() % s.size(), 1,
                       static_cast<char>(rng()));
              break;
            case 2:
              if (!s.empty()) s.erase(rng() % s.size(), 1 + rng() % 8);
              break;
            case 3:
              if (!s.empty()) s[rng() % s.size()] = static_cast<char>(0xff);
              break;
          }
        }
        absl::Status st = c.decode(s);
        if (st.ok()) {
          ++accepted;
        } else {
          ++refused;
          ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
        }
      }
    }
  }
  EXPECT_GT(refused, 0u);
}

TEST(WireTest, AuthProofIsTheDocumentedHmac) {
  const auto cn = Filled<kNonceSize>(1), sn = Filled<kNonceSize>(50);
  const auto client = AuthProof("key", true, cn, sn, "cl", 1, 2);
  const auto server = AuthProof("key", false, cn, sn, "cl", 1, 2);
  EXPECT_NE(client, server);
  std::string data = "cairn-client";
  data.append(reinterpret_cast<const char*>(cn.data()), cn.size());
  data.append(reinterpret_cast<const char*>(sn.data()), sn.size());
  data += "cl";
  data += std::string("\x01\0\0\0\x02\0\0\0", 8);
  EXPECT_EQ(client, HmacSha256("key", data));
  // Every input matters.
  EXPECT_NE(client, AuthProof("kez", true, cn, sn, "cl", 1, 2));
  EXPECT_NE(client, AuthProof("key", true, sn, cn, "cl", 1, 2));
  EXPECT_NE(client, AuthProof("key", true, cn, sn, "cm", 1, 2));
  EXPECT_NE(client, AuthProof("key", true, cn, sn, "cl", 2, 1));
}

}  // namespace
}  // namespace cairn::replication
