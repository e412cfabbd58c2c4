// EtcdClient against a real etcd on loopback, and its reply parsers against
// hand-made and broken replies.
#include "cluster/etcd_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cluster/etcd_wire.h"
#include "gtest/gtest.h"
#include "tests/cluster/etcd_server.h"

namespace cairn::cluster {
namespace {

using testing::EtcdServer;

class EtcdClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = etcd_.Start();
    ASSERT_TRUE(s.ok()) << s;
    client_ = NewClient();
  }
  std::unique_ptr<EtcdClient> NewClient() {
    absl::StatusOr<std::unique_ptr<EtcdClient>> c =
        EtcdClient::Create(etcd_.endpoint());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  EtcdServer etcd_;
  std::unique_ptr<EtcdClient> client_;
};

TEST_F(EtcdClientTest, GrantKeepAliveRevoke) {
  absl::StatusOr<EtcdLease> lease = client_->LeaseGrant(5);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_NE(lease->id, 0);
  EXPECT_EQ(lease->ttl_seconds, 5);
  absl::StatusOr<int64_t> ttl = client_->LeaseKeepAlive(lease->id);
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_EQ(*ttl, 5);
  ASSERT_TRUE(client_->LeaseRevoke(lease->id).ok());
  ttl = client_->LeaseKeepAlive(lease->id);
  EXPECT_EQ(ttl.status().code(), absl::StatusCode::kNotFound) << ttl.status();
  EXPECT_TRUE(absl::StrContains(ttl.status().message(), etcd_.endpoint()))
      << ttl.status();
  // Revoking what is gone is not an error.
  EXPECT_TRUE(client_->LeaseRevoke(lease->id).ok());
}

TEST_F(EtcdClientTest, CreateIfAbsentHasExactlyOneWinner) {
  std::unique_ptr<EtcdClient> other = NewClient();
  ASSERT_NE(other, nullptr);
  absl::StatusOr<EtcdLease> l1 = client_->LeaseGrant(10);
  absl::StatusOr<EtcdLease> l2 = other->LeaseGrant(10);
  ASSERT_TRUE(l1.ok() && l2.ok());
  absl::StatusOr<EtcdTxnReply> r1, r2;
  std::atomic<int> ready{0};
  auto race = [&ready](EtcdClient* c, int64_t lease, std::string value,
                       absl::StatusOr<EtcdTxnReply>* out) {
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    *out = c->CreateIfAbsent("/cairn/t/leader", value, lease);
  };
  std::thread t1(race, client_.get(), l1->id, "1", &r1);
  std::thread t2(race, other.get(), l2->id, "2", &r2);
  t1.join();
  t2.join();
  ASSERT_TRUE(r1.ok()) << r1.status();
  ASSERT_TRUE(r2.ok()) << r2.status();
  ASSERT_NE(r1->succeeded, r2->succeeded);
  const EtcdTxnReply& loser = r1->succeeded ? *r2 : *r1;
  const std::string winner = r1->succeeded ? "1" : "2";
  const int64_t winner_lease = r1->succeeded ? l1->id : l2->id;
  ASSERT_TRUE(loser.current.has_value());
  EXPECT_EQ(loser.current->value, winner);
  EXPECT_EQ(loser.current->lease, winner_lease);
  EXPECT_EQ(loser.current->key, "/cairn/t/leader");

  // Revoking the winner's lease releases the key; the other may take it.
  ASSERT_TRUE(client_->LeaseRevoke(winner_lease).ok());
  absl::StatusOr<std::optional<EtcdKeyValue>> kv =
      client_->Get("/cairn/t/leader");
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_FALSE(kv->has_value());
  const int64_t loser_lease = r1->succeeded ? l2->id : l1->id;
  absl::StatusOr<EtcdTxnReply> again =
      client_->CreateIfAbsent("/cairn/t/leader", "3", loser_lease);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->succeeded);
  kv = client_->Get("/cairn/t/leader");
  ASSERT_TRUE(kv.ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, "3");
  absl::StatusOr<int64_t> deleted = client_->Delete("/cairn/t/leader");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, 1);
  deleted = client_->Delete("/cairn/t/leader");
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 0);
}

TEST_F(EtcdClientTest, KilledEtcdIsUnavailableNamingTheEndpoint) {
  etcd_.Kill();
  absl::StatusOr<std::optional<EtcdKeyValue>> kv = client_->Get("/x");
  EXPECT_EQ(kv.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(kv.status().message(),
                                absl::StrCat("etcd at ", etcd_.endpoint())))
      << kv.status();
  EXPECT_TRUE(absl::StrContains(kv.status().message(), "range")) << kv.status();
}

// A listener that never accepts: the connect completes (kernel backlog) and
// the reply never comes.
TEST(EtcdClientTimeoutTest, SilentServerTimesOutWithinTheDeadline) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EtcdClient::Options o;
  o.timeout = absl::Milliseconds(200);
  auto client = EtcdClient::Create(
      absl::StrCat("127.0.0.1:", ntohs(addr.sin_port)), o);
  ASSERT_TRUE(client.ok());
  const absl::Time start = absl::Now();
  absl::StatusOr<EtcdLease> lease = (*client)->LeaseGrant(3);
  const absl::Duration took = absl::Now() - start;
  ::close(fd);
  EXPECT_EQ(lease.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(lease.status().message(), "timed out"))
      << lease.status();
  EXPECT_LT(took, absl::Seconds(2));
}

TEST(EtcdClientCreateTest, RefusesEndpointsThatDoNotParse) {
  for (const char* bad : {"", "etcd", "example.com:2379", "127.0.0.1:",
                          "127.0.0.1:99999", "127.0.0.1:0"}) {
    auto c = EtcdClient::Create(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_TRUE(EtcdClient::Create("localhost:1").ok());
  EXPECT_TRUE(EtcdClient::Create("[::1]:1").ok());
}

TEST(EtcdWireTest, ParsesWhatEtcdSends) {
  absl::StatusOr<EtcdLease> grant = etcd_wire::ParseLeaseGrant(
      R"({"header":{"revision":"1"},"ID":"4111120345795366662","TTL":"3"})");
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->id, 4111120345795366662);
  EXPECT_EQ(grant->ttl_seconds, 3);

  absl::StatusOr<EtcdLease> ka = etcd_wire::ParseKeepAlive(
      "{\"result\":{\"header\":{},\"ID\":\"7\",\"TTL\":\"3\"}}\n"
      "{\"result\":{\"ID\":\"7\",\"TTL\":\"3\"}}\n");
  ASSERT_TRUE(ka.ok()) << ka.status();
  EXPECT_EQ(ka->ttl_seconds, 3);
  ka = etcd_wire::ParseKeepAlive("{\"result\":{\"ID\":\"7\"}}\n");
  ASSERT_TRUE(ka.ok());
  EXPECT_EQ(ka->ttl_seconds, 0);  // expired: TTL omitted
  ka = etcd_wire::ParseKeepAlive(
      R"({"error":{"grpc_code":14,"http_code":503,"message":"no leader"}})");
  EXPECT_EQ(ka.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(ka.status().message(), "no leader"));

  absl::StatusOr<EtcdTxnReply> txn = etcd_wire::ParseTxn(
      R"({"header":{},"responses":[{"response_range":{"header":{},"kvs":[)"
      R"({"key":"L2NhaXJuL3gvbGVhZGVy","create_revision":"2",)"
      R"("mod_revision":"2","version":"1","value":"MQ==","lease":"9"}],)"
      R"("count":"1"}}]})");
  ASSERT_TRUE(txn.ok()) << txn.status();
  EXPECT_FALSE(txn->succeeded);
  ASSERT_TRUE(txn->current.has_value());
  EXPECT_EQ(txn->current->key, "/cairn/x/leader");
  EXPECT_EQ(txn->current->value, "1");
  EXPECT_EQ(txn->current->lease, 9);

  absl::Status err = etcd_wire::ParseErrorReply(
      400, R"({"error":"etcdserver: requested lease not found","code":5,)"
           R"("message":"etcdserver: requested lease not found"})");
  EXPECT_EQ(err.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(err.message(), "HTTP 400"));
}

TEST(EtcdWireTest, RefusesGarbageWithAClearError) {
  for (std::string_view body :
       {"", "nul", "[]", "42", "{", R"({"ID":{}})", R"({"ID":"12x"})",
        R"({"ID":"99999999999999999999","TTL":"1"})", R"({"TTL":"3"})",
        R"({"ID":18446744073709551615,"TTL":1})"}) {
    absl::StatusOr<EtcdLease> r = etcd_wire::ParseLeaseGrant(body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
  for (std::string_view body :
       {R"({"succeeded":"yes"})", R"({"responses":[]})",
        R"({"responses":[{"response_range":{"kvs":[{"key":"***"}]}}]})",
        R"({"responses":[{"response_range":{"kvs":{}}}]})",
        R"({"responses":[{"response_range":{"kvs":[1]}}]})"}) {
    absl::StatusOr<EtcdTxnReply> r = etcd_wire::ParseTxn(body);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
  }
  EXPECT_FALSE(etcd_wire::ParseKeepAlive("\n\n").ok());
  EXPECT_FALSE(etcd_wire::ParseKeepAlive(R"({"result":7})").ok());
  EXPECT_FALSE(etcd_wire::ParseRange(R"({"kvs":[{"value":7}]})").ok());
  EXPECT_FALSE(etcd_wire::ParseDeleteRange(R"({"deleted":true})").ok());
  EXPECT_EQ(etcd_wire::ParseErrorReply(502, "<html>").code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cairn::cluster
