// The client protocol's codecs: round trips, and every malformed payload
// (truncated, trailing bytes, unknown method, oversize fields) refused with
// InvalidArgument naming the field.
#include "cluster/client_wire.h"

#include <string>

#include "gtest/gtest.h"

namespace cairn::cluster {
namespace {

ClientRequest FullRequest() {
  ClientRequest r;
  r.id = 0x0102030405060708ull;
  r.method = Method::kBatch;
  r.client_id = "client-7";
  r.sync = true;
  r.ops = {{false, "k1", "v1"}, {true, "k2", ""}, {false, "", ""}};
  r.scan_start = "a";
  r.scan_end = "z";
  r.scan_limit = 77;
  r.failed_request_id = 99;
  r.failure_reason = "timed out";
  return r;
}

ClientReply FullReply() {
  ClientReply r;
  r.id = 42;
  r.code = static_cast<uint32_t>(absl::StatusCode::kUnavailable);
  r.message = "not master";
  r.found = true;
  r.value = std::string(300, 'x');  // a two-byte varint length
  r.entries = {{"a", "1"}, {"b", ""}};
  r.scan_truncated = true;
  r.status.node_id = 3;
  r.status.capacity = 100;
  r.status.cached_bytes = 1 << 20;
  r.status.response_us = 12;
  r.status.serves = false;
  r.status.master = 1;
  r.status.why = "standby";
  return r;
}

std::string Encoded(const ClientRequest& r) {
  std::string out;
  EXPECT_TRUE(EncodeRequest(r, &out).ok());
  return out;
}

std::string Encoded(const ClientReply& r) {
  std::string out;
  EXPECT_TRUE(EncodeReply(r, &out).ok());
  return out;
}

void ExpectRefused(const absl::Status& s, const std::string& field) {
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find(field), std::string_view::npos)
      << "'" << field << "' not named in: " << s;
}

TEST(ClientWireTest, RequestRoundTrips) {
  const ClientRequest in = FullRequest();
  absl::StatusOr<ClientRequest> out = DecodeRequest(Encoded(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->method, in.method);
  EXPECT_EQ(out->client_id, in.client_id);
  EXPECT_EQ(out->sync, in.sync);
  ASSERT_EQ(out->ops.size(), in.ops.size());
  for (size_t i = 0; i < in.ops.size(); ++i) {
    EXPECT_EQ(out->ops[i].is_delete, in.ops[i].is_delete);
    EXPECT_EQ(out->ops[i].key, in.ops[i].key);
    EXPECT_EQ(out->ops[i].value, in.ops[i].value);
  }
  EXPECT_EQ(out->scan_start, in.scan_start);
  EXPECT_EQ(out->scan_end, in.scan_end);
  EXPECT_EQ(out->scan_limit, in.scan_limit);
  EXPECT_EQ(out->failed_request_id, in.failed_request_id);
  EXPECT_EQ(out->failure_reason, in.failure_reason);
  EXPECT_EQ(Encoded(*out), Encoded(in));
}

TEST(ClientWireTest, EveryMethodRoundTrips) {
  for (uint8_t m = 1; m <= kMaxMethod; ++m) {
    ClientRequest in;
    in.method = static_cast<Method>(m);
    absl::StatusOr<ClientRequest> out = DecodeRequest(Encoded(in));
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->method, in.method);
    EXPECT_EQ(ParseMethod(MethodName(in.method)).value(), in.method);
  }
}

TEST(ClientWireTest, ReplyRoundTrips) {
  const ClientReply in = FullReply();
  absl::StatusOr<ClientReply> out = DecodeReply(Encoded(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->id, in.id);
  EXPECT_EQ(out->code, in.code);
  EXPECT_EQ(out->message, in.message);
  EXPECT_EQ(out->found, in.found);
  EXPECT_EQ(out->value, in.value);
  EXPECT_EQ(out->entries, in.entries);
  EXPECT_EQ(out->scan_truncated, in.scan_truncated);
  EXPECT_EQ(out->status.node_id, 3u);
  EXPECT_EQ(out->status.capacity, 100u);
  EXPECT_EQ(out->status.cached_bytes, 1u << 20);
  EXPECT_EQ(out->status.response_us, 12u);
  EXPECT_FALSE(out->status.serves);
  EXPECT_EQ(out->status.master, 1u);
  EXPECT_EQ(out->status.why, "standby");
  EXPECT_EQ(Encoded(*out), Encoded(in));
}

TEST(ClientWireTest, EveryTruncationIsRefused) {
  const std::string request = Encoded(FullRequest());
  for (size_t n = 0; n < request.size(); ++n) {
    absl::StatusOr<ClientRequest> r = DecodeRequest(request.substr(0, n));
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << n;
    EXPECT_NE(r.status().message().find("ClientRequest"), std::string::npos);
  }
  const std::string reply = Encoded(FullReply());
  for (size_t n = 0; n < reply.size(); ++n) {
    absl::StatusOr<ClientReply> r = DecodeReply(reply.substr(0, n));
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << n;
    EXPECT_NE(r.status().message().find("ClientReply"), std::string::npos);
  }
}

TEST(ClientWireTest, TrailingBytesAreRefused) {
  ExpectRefused(DecodeRequest(Encoded(FullRequest()) + "x").status(),
                "1 trailing bytes");
  ExpectRefused(DecodeReply(Encoded(FullReply()) + "xy").status(),
                "2 trailing bytes");
}

TEST(ClientWireTest, UnknownMethodIsRefused) {
  std::string p = Encoded(FullRequest());
  for (uint8_t bad : {uint8_t{0}, uint8_t{kMaxMethod + 1}, uint8_t{255}}) {
    p[8] = static_cast<char>(bad);
    ExpectRefused(DecodeRequest(p).status(), "field method");
  }
  ClientRequest r;
  r.method = static_cast<Method>(kMaxMethod + 1);
  std::string out;
  ExpectRefused(EncodeRequest(r, &out), "field method");
  EXPECT_TRUE(absl::IsInvalidArgument(ParseMethod("frobnicate").status()));
}

TEST(ClientWireTest, BadBooleansAndCodesAreRefused) {
  std::string p = Encoded(FullRequest());
  // id(8) method(1) client_id(1 + 8): the sync byte.
  p[18] = 2;
  ExpectRefused(DecodeRequest(p).status(), "field sync");

  std::string q = Encoded(FullReply());
  q[8] = 17;  // code: the low byte of a u32
  ExpectRefused(DecodeReply(q).status(), "field code");
  ClientReply bad;
  bad.code = 99;
  std::string out;
  ExpectRefused(EncodeReply(bad, &out), "field code");
}

TEST(ClientWireTest, OversizeFieldsAreRefused) {
  ClientRequest r;
  r.client_id = std::string(kMaxClientIdSize + 1, 'c');
  std::string out;
  ExpectRefused(EncodeRequest(r, &out), "field client_id");

  r = ClientRequest();
  r.failure_reason = std::string(kMaxFailureReasonSize + 1, 'r');
  ExpectRefused(EncodeRequest(r, &out), "field failure_reason");

  // A node decodes with its engine's limits: the culprit op is named.
  ClientWireLimits small;
  small.max_key_size = 4;
  small.max_value_size = 8;
  small.max_ops = 2;
  r = ClientRequest();
  r.ops = {{false, "k", "v"}, {false, "toolong", "v"}};
  ExpectRefused(DecodeRequest(Encoded(r), small).status(), "op 1 field key");
  r.ops = {{false, "k", std::string(9, 'v')}};
  ExpectRefused(DecodeRequest(Encoded(r), small).status(), "op 0 field value");
  r.ops = {{false, "a", ""}, {false, "b", ""}, {false, "c", ""}};
  ExpectRefused(DecodeRequest(Encoded(r), small).status(), "field ops");
  r.ops.clear();
  r.scan_start = "abcde";
  ExpectRefused(DecodeRequest(Encoded(r), small).status(), "field scan_start");

  ClientReply reply;
  reply.entries = {{"k", "v"}, {"k2", "v2"}, {"k3", "v3"}};
  small.max_entries = 2;
  ExpectRefused(DecodeReply(Encoded(reply), small).status(), "field entries");
  reply.message = std::string(kMaxReplyMessageSize + 1, 'm');
  ExpectRefused(EncodeReply(reply, &out), "field message");
}

TEST(ClientWireTest, ADeleteCarryingAValueIsRefused) {
  ClientRequest r;
  r.ops = {{true, "k", "v"}};
  std::string out;
  ExpectRefused(EncodeRequest(r, &out), "field value");
  // Hand-made: the same op bytes with the delete flag set.
  r.ops = {{false, "k", "v"}};
  std::string p = Encoded(r);
  // id(8) method(1) client_id(1) sync(1) count(1): the op's is_delete.
  p[12] = 1;
  ExpectRefused(DecodeRequest(p).status(), "op 0 field value");
}

TEST(ClientWireTest, AHugeCountIsRefusedBeforeAllocating) {
  // id, method get, empty client id, sync 0, then a count of 2^40 ops.
  std::string p(8, '\0');
  p += '\1';
  p += '\0';
  p += '\0';
  p += "\x80\x80\x80\x80\x80\x20";
  ExpectRefused(DecodeRequest(p).status(), "field ops");
}

}  // namespace
}  // namespace cairn::cluster
