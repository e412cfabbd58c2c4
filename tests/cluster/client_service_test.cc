// A node serving clients end to end: in-process Nodes with replication on
// loopback, ClientSessions behind their listeners, NodeClients in front.
// Every method, batch atomicity, scan bounds, W/C/R, refusal when the role
// does not serve, authentication, and a client write replicating.
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cluster/client_session.h"
#include "cluster/node_client.h"
#include "engine/mutex.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "replication/connection.h"
#include "tests/replication/cluster_util.h"

namespace cairn::cluster {
namespace {

using replication::testing::Cluster;
using replication::testing::OptionList;
using replication::testing::WaitFor;

// A role a test flips.
class SwitchableRole final : public NodeRole {
 public:
  View Current() override {
    MutexLock lock(&mu_);
    View now = view_;
    if (switch_after_ > 0 && --switch_after_ == 0) view_ = next_;
    return now;
  }
  void Set(View view) {
    MutexLock lock(&mu_);
    view_ = std::move(view);
  }
  // The view changes to `next` once Current() answered `calls` more times
  // (as a lease lapsing while a request is served).
  void SetAfter(int calls, View next) {
    MutexLock lock(&mu_);
    switch_after_ = calls;
    next_ = std::move(next);
  }

 private:
  Mutex mu_;
  View view_ ABSL_GUARDED_BY(mu_);
  int switch_after_ ABSL_GUARDED_BY(mu_) = 0;
  View next_ ABSL_GUARDED_BY(mu_);
};

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

ClientRequest Op(Method method, std::string key, std::string value = "") {
  ClientRequest r;
  r.method = method;
  r.client_id = "test-client";
  r.ops.push_back(
      {method == Method::kDelete, std::move(key), std::move(value)});
  return r;
}

ClientRequest Scan(std::string start, std::string end, uint32_t limit) {
  ClientRequest r;
  r.method = Method::kScan;
  r.scan_start = std::move(start);
  r.scan_end = std::move(end);
  r.scan_limit = limit;
  return r;
}

ClientRequest StatusRequest() {
  ClientRequest r;
  r.method = Method::kStatus;
  return r;
}

class ClientServiceTest : public ::testing::Test {
 protected:
  // Opens node 1 (of `n`) serving clients with role_, plus `options`.
  void Start(OptionList options = {}, int n = 1) {
    cluster_ = std::make_unique<Cluster>(n, std::move(options));
    cluster_->ServeClients(ServeClients(role_));
    cluster_->Open(1);
    client_ = Client(1);
  }

  std::unique_ptr<NodeClient> Client(uint32_t id,
                                     NodeClientOptions options = {}) {
    return std::make_unique<NodeClient>(
        NodeAddress{id, "127.0.0.1", cluster_->port(id)}, options);
  }

  ClientReply Call(const ClientRequest& r) {
    absl::StatusOr<ClientReply> reply = client_->Call(r, Soon());
    EXPECT_TRUE(reply.ok()) << reply.status();
    return reply.ok() ? *reply : ClientReply{};
  }

  void ExpectCode(const ClientReply& reply, absl::StatusCode code,
                  std::string_view names) {
    EXPECT_EQ(reply.code, static_cast<uint32_t>(code)) << reply.message;
    EXPECT_NE(reply.message.find(names), std::string::npos)
        << "'" << names << "' not in: " << reply.message;
  }

  nlohmann::json Clients(uint32_t id = 1) {
    return nlohmann::json::parse(*cluster_->node(id).Property("cairn.clients"));
  }

  std::shared_ptr<SwitchableRole> role_ = std::make_shared<SwitchableRole>();
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<NodeClient> client_;
};

TEST_F(ClientServiceTest, EveryMethod) {
  Start();
  ClientReply r = Call(Op(Method::kPut, "k", "v"));
  EXPECT_EQ(r.code, 0u) << r.message;
  r = Call(Op(Method::kGet, "k"));
  EXPECT_EQ(r.code, 0u) << r.message;
  EXPECT_TRUE(r.found);
  EXPECT_EQ(r.value, "v");
  r = Call(Op(Method::kGet, "missing"));
  EXPECT_EQ(r.code, 0u) << r.message;
  EXPECT_FALSE(r.found);
  r = Call(Op(Method::kDelete, "k"));
  EXPECT_EQ(r.code, 0u) << r.message;
  EXPECT_FALSE(Call(Op(Method::kGet, "k")).found);

  ClientRequest batch;
  batch.method = Method::kBatch;
  batch.sync = true;
  batch.ops = {
      {false, "a", "1"}, {false, "b", "2"}, {true, "a", ""}, {false, "c", "3"}};
  r = Call(batch);
  EXPECT_EQ(r.code, 0u) << r.message;
  r = Call(Scan("", "", 10));
  EXPECT_EQ(r.code, 0u) << r.message;
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(r.entries, (Entries{{"b", "2"}, {"c", "3"}}));
  EXPECT_FALSE(r.scan_truncated);

  r = Call(StatusRequest());
  EXPECT_EQ(r.code, 0u) << r.message;
  EXPECT_EQ(r.status.node_id, 1u);
  EXPECT_TRUE(r.status.serves);

  // R4: the node counts the report, logs it and shows it.
  ClientRequest report;
  report.method = Method::kReportFailure;
  report.client_id = "reporter-9";
  report.failed_request_id = 4242;
  report.failure_reason = "reply checksum failed";
  r = Call(report);
  EXPECT_EQ(r.code, 0u) << r.message;
  nlohmann::json j = Clients();
  EXPECT_EQ(j["failures_reported"], 1);
  ASSERT_EQ(j["recent_failures"].size(), 1u);
  EXPECT_EQ(j["recent_failures"][0]["client_id"], "reporter-9");
  EXPECT_EQ(j["recent_failures"][0]["request_id"], 4242);
  EXPECT_EQ(j["requests"]["put"], 1);
  EXPECT_EQ(j["requests"]["get"], 3);
  EXPECT_EQ(j["sessions"], 1);
  std::ifstream log(cluster_->path(1) + "/LOG");
  std::stringstream ss;
  ss << log.rdbuf();
  EXPECT_NE(ss.str().find("client 'reporter-9'"), std::string::npos);
  EXPECT_NE(ss.str().find("request 4242 failed"), std::string::npos);
  EXPECT_FALSE(client_->LocalAddress().empty());
}

TEST_F(ClientServiceTest, BadRequestsAreRefusedByName) {
  Start({{"max_key_size", "16"}});
  ClientRequest get = Op(Method::kGet, "a");
  get.ops.push_back({false, "b", ""});
  ExpectCode(Call(get), absl::StatusCode::kInvalidArgument, "exactly one op");
  ClientRequest put = Op(Method::kPut, "k", "v");
  put.ops[0].is_delete = true;
  put.ops[0].value.clear();
  ExpectCode(Call(put), absl::StatusCode::kInvalidArgument, "is a delete");
  ClientRequest empty;
  empty.method = Method::kBatch;
  ExpectCode(Call(empty), absl::StatusCode::kInvalidArgument, "no ops");
  ExpectCode(Call(Scan("a", "z", 0)), absl::StatusCode::kInvalidArgument,
             "scan_limit 0");
  ExpectCode(Call(Scan("z", "a", 5)), absl::StatusCode::kInvalidArgument,
             "scan_end");
  // Over the engine's key limit: refused by the decoder, naming the op.
  ExpectCode(Call(Op(Method::kPut, std::string(17, 'k'), "v")),
             absl::StatusCode::kInvalidArgument, "op 0 field key");

  // A payload that does not decode, sent raw: answered under its id, and
  // the session goes on.
  absl::StatusOr<std::unique_ptr<replication::Connection>> raw =
      replication::Connection::Connect("127.0.0.1", cluster_->port(1),
                                       absl::Seconds(2));
  ASSERT_TRUE(raw.ok()) << raw.status();
  replication::HandshakeConfig hc;
  hc.cluster_id = "cairn";
  hc.max_frame_payload = 1 << 20;
  ASSERT_TRUE((*raw)->ClientHandshake(hc, replication::Role::kClient, 1).ok());
  std::string bad(8, '\0');
  bad[0] = 77;
  bad += "\x09";  // method 9: unknown
  ASSERT_TRUE((*raw)->Send(replication::FrameType::kClientRequest, bad).ok());
  absl::StatusOr<replication::Frame> f = (*raw)->Receive(Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<ClientReply> reply = DecodeReply(f->payload);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->id, 77u);
  ExpectCode(*reply, absl::StatusCode::kInvalidArgument, "field method");
  std::string ok;
  ClientRequest status = StatusRequest();
  status.id = 78;
  ASSERT_TRUE(EncodeRequest(status, &ok).ok());
  ASSERT_TRUE((*raw)->Send(replication::FrameType::kClientRequest, ok).ok());
  f = (*raw)->Receive(Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(DecodeReply(f->payload)->id, 78u);
  // Another frame type ends the session with a reason.
  ASSERT_TRUE((*raw)->Send(replication::FrameType::kAck, "").ok());
  f = (*raw)->Receive(Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->type, replication::FrameType::kError);
  EXPECT_GE(Clients()["bad_requests"], 1);
  EXPECT_GE(Clients()["bad_frames"], 1);
}

// A writer replaces 20 keys together in batches while a reader scans them
// (a scan reads one consistent view): the reader never sees them differ.
TEST_F(ClientServiceTest, BatchIsAtomic) {
  Start();
  constexpr int kKeys = 20;
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0};
  std::atomic<int> scans{0};
  std::thread reader([&] {
    auto client = Client(1);
    while (!done.load()) {
      absl::StatusOr<ClientReply> r = client->Call(Scan("", "", 100), Soon());
      if (!r.ok() || r->code != 0) {
        mismatches.fetch_add(1);
        continue;
      }
      ++scans;
      for (const auto& [key, value] : r->entries) {
        if (value != r->entries[0].second) {
          mismatches.fetch_add(1);
          break;
        }
      }
    }
  });
  // Until the reader scanned often enough (bounded either way).
  int batches = 0;
  for (; batches < 3000 && (batches < 100 || scans.load() < 200); ++batches) {
    ClientRequest b;
    b.method = Method::kBatch;
    const std::string v = absl::StrCat(batches);
    for (int k = 0; k < kKeys; ++k) {
      b.ops.push_back({false, absl::StrFormat("key%02d", k), v});
    }
    ASSERT_EQ(Call(b).code, 0u);
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(mismatches.load(), 0) << "over " << scans.load() << " scans";
  EXPECT_GT(scans.load(), 0);
  ClientReply r = Call(Scan("", "", 100));
  ASSERT_EQ(r.entries.size(), static_cast<size_t>(kKeys));
  EXPECT_EQ(r.entries.back().second, absl::StrCat(batches - 1));

  // A batch the node refuses (a key over the engine's limit) applies
  // nothing.
  ClientRequest bad;
  bad.method = Method::kBatch;
  bad.ops = {{false, "key00", "new"}, {false, std::string(70000, 'k'), "v"}};
  EXPECT_NE(Call(bad).code, 0u);
  EXPECT_EQ(Call(Op(Method::kGet, "key00")).value, absl::StrCat(batches - 1));
}

TEST_F(ClientServiceTest, ScanBoundsAndLimit) {
  Start({{"node.max_scan_entries", "5"}});
  ClientRequest b;
  b.method = Method::kBatch;
  for (int i = 0; i < 30; ++i) {
    b.ops.push_back({false, absl::StrFormat("k%02d", i), absl::StrCat(i)});
  }
  ASSERT_EQ(Call(b).code, 0u);
  // [k05, k08): three entries, all there.
  ClientReply r = Call(Scan("k05", "k08", 100));
  ASSERT_EQ(r.code, 0u) << r.message;
  ASSERT_EQ(r.entries.size(), 3u);
  EXPECT_EQ(r.entries[0].first, "k05");
  EXPECT_EQ(r.entries[2].first, "k07");
  EXPECT_FALSE(r.scan_truncated);
  // The request's limit.
  r = Call(Scan("k10", "", 2));
  ASSERT_EQ(r.entries.size(), 2u);
  EXPECT_EQ(r.entries[0].first, "k10");
  EXPECT_TRUE(r.scan_truncated);
  // The node's cap (node.max_scan_entries = 5) over a larger limit.
  r = Call(Scan("", "", 1000));
  ASSERT_EQ(r.entries.size(), 5u);
  EXPECT_EQ(r.entries[0].first, "k00");
  EXPECT_TRUE(r.scan_truncated);
  // Exactly the entries left: not truncated.
  r = Call(Scan("k27", "", 3));
  EXPECT_EQ(r.entries.size(), 3u);
  EXPECT_FALSE(r.scan_truncated);
  // An empty range.
  r = Call(Scan("k05", "k05", 3));
  EXPECT_EQ(r.code, 0u);
  EXPECT_TRUE(r.entries.empty());
}

TEST_F(ClientServiceTest, StatusReportsWCAndR) {
  Start({{"node.capacity", "250"}});
  ClientReply before = Call(StatusRequest());
  EXPECT_EQ(before.status.capacity, 250u);
  EXPECT_EQ(before.status.response_us, 0u);  // no data request yet
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(
        Call(Op(Method::kPut, absl::StrCat("key", i), std::string(1000, 'v')))
            .code,
        0u);
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(Call(Op(Method::kGet, absl::StrCat("key", i))).found);
  }
  ClientReply after = Call(StatusRequest());
  EXPECT_GT(after.status.cached_bytes, before.status.cached_bytes);
  EXPECT_GE(after.status.cached_bytes - before.status.cached_bytes, 50000u);
  EXPECT_GT(after.status.response_us, 0u);
  EXPECT_EQ(after.status.capacity, 250u);
  nlohmann::json j = Clients();
  EXPECT_EQ(j["status"]["capacity"], 250);
  EXPECT_GT(j["status"]["response_us"].get<uint64_t>(), 0u);
}

// R11: a master that stops serving while it applies a write (its lease
// lapsed during a pause) does not acknowledge it.
TEST_F(ClientServiceTest, AWriteServedWhileTheRoleStepsDownIsNotAcknowledged) {
  Start();
  role_->SetAfter(1, {false, 2, "leader lease lapsed"});
  ClientReply r = Call(Op(Method::kPut, "k", "v"));
  ExpectCode(r, absl::StatusCode::kUnavailable, "not acknowledged");
  EXPECT_NE(r.message.find("the master is node 2"), std::string::npos)
      << r.message;
  EXPECT_FALSE(r.status.serves);
  EXPECT_EQ(Clients()["stepped_down_while_serving"], 1);
  role_->Set({});
  role_->SetAfter(1, {false, 0, "leader lease lapsed"});
  ExpectCode(Call(Op(Method::kGet, "k")), absl::StatusCode::kUnavailable,
             "may be stale");
}

TEST_F(ClientServiceTest, ANodeThatDoesNotServeRefusesNamingTheMaster) {
  Start();
  ASSERT_EQ(Call(Op(Method::kPut, "k", "v")).code, 0u);
  role_->Set({false, 2, "standby: node 2 is master"});
  ClientReply r = Call(Op(Method::kPut, "k", "w"));
  ExpectCode(r, absl::StatusCode::kUnavailable, "the master is node 2");
  EXPECT_EQ(r.status.master, 2u);
  ExpectCode(Call(Op(Method::kGet, "k")), absl::StatusCode::kUnavailable,
             "the master is node 2");
  ExpectCode(Call(Scan("", "", 5)), absl::StatusCode::kUnavailable,
             "does not serve scan");
  r = Call(StatusRequest());
  EXPECT_EQ(r.code, 0u);
  EXPECT_FALSE(r.status.serves);
  EXPECT_EQ(r.status.master, 2u);
  EXPECT_EQ(r.status.why, "standby: node 2 is master");
  role_->Set({false, 0, "no quorum"});
  ExpectCode(Call(Op(Method::kDelete, "k")), absl::StatusCode::kUnavailable,
             "no master is known");
  EXPECT_EQ(Clients()["refused_not_serving"], 4);
  role_->Set({});
  EXPECT_EQ(Call(Op(Method::kGet, "k")).value, "v");
}

std::string WriteSecret(const std::string& path, const std::string& secret) {
  std::ofstream(path) << secret;
  ::chmod(path.c_str(), 0600);
  return path;
}

TEST_F(ClientServiceTest, TheSecretIsRequired) {
  cairn::testing::TempDir dir;
  const std::string secret = "0123456789abcdef-good";
  Start({{"replication.secret_file", WriteSecret(dir.Sub("secret"), secret)}});
  NodeClientOptions wrong;
  wrong.secret = "0123456789abcdef-bad!";
  absl::StatusOr<ClientReply> r =
      Client(1, wrong)->Call(StatusRequest(), Soon());
  // The node refuses the proof (an Error frame: FailedPrecondition here).
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("failed to prove the shared secret"),
            std::string::npos)
      << r.status();
  r = Client(1)->Call(StatusRequest(), Soon());  // no secret at all
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("secret"), std::string::npos)
      << r.status();
  NodeClientOptions right;
  right.secret = secret;
  auto good = Client(1, right);
  r = good->Call(Op(Method::kPut, "k", "v"), Soon());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 0u);
}

TEST_F(ClientServiceTest, WrongNodeOrClusterOrServingOffIsRefused) {
  Start();
  // The address answers as node 1, not 9.
  absl::StatusOr<ClientReply> r =
      std::make_unique<NodeClient>(
          NodeAddress{9, "127.0.0.1", cluster_->port(1)}, NodeClientOptions{})
          ->Call(StatusRequest(), Soon());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node 9"), std::string::npos)
      << r.status();
  NodeClientOptions other;
  other.cluster_id = "elsewhere";
  r = Client(1, other)->Call(StatusRequest(), Soon());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cluster"), std::string::npos)
      << r.status();

  Cluster off(1, {{"node.serve_clients", "false"}});
  off.ServeClients(ServeClients());
  off.Open(1);
  EXPECT_FALSE(off.node(1).serving_clients());
  r = NodeClient(NodeAddress{1, "127.0.0.1", off.port(1)}, {})
          .Call(StatusRequest(), Soon());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node.serve_clients"), std::string::npos)
      << r.status();
  EXPECT_EQ(
      nlohmann::json::parse(*off.node(1).Property("cairn.clients"))["serving"],
      false);
}

TEST_F(ClientServiceTest, AClientWriteReplicates) {
  Start({}, 2);
  cluster_->Open(2);
  ASSERT_EQ(Call(Op(Method::kPut, "replicated", "yes")).code, 0u);
  EXPECT_TRUE(WaitFor([&] {
    return replication::testing::Read(cluster_->node(2), "replicated") == "yes";
  }));
  // And a client of node 2 reads it there.
  auto client2 = Client(2);
  absl::StatusOr<ClientReply> r =
      client2->Call(Op(Method::kGet, "replicated"), Soon());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->value, "yes");
}

// The node closes an idle session; the client notices before its next
// request and reconnects, so the idle close is not a failure.
TEST_F(ClientServiceTest, AnIdleSessionIsClosedAndTheClientReconnects) {
  Start({{"node.client_idle_ms", "100"}});
  ASSERT_EQ(Call(Op(Method::kPut, "k", "v")).code, 0u);
  EXPECT_EQ(Clients()["sessions"], 1);
  ASSERT_TRUE(WaitFor([&] { return Clients()["sessions"] == 0; }));
  ClientReply r = Call(Op(Method::kGet, "k"));
  EXPECT_EQ(r.value, "v");
  EXPECT_EQ(Clients()["sessions_total"], 2);
}

TEST_F(ClientServiceTest, OneClientIsSharedByThreads) {
  Start();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string key = absl::StrCat("t", t, "-", i);
        absl::StatusOr<ClientReply> r =
            client_->Call(Op(Method::kPut, key, key), Soon());
        if (!r.ok() || r->code != 0) ++failures;
        r = client_->Call(Op(Method::kGet, key), Soon());
        if (!r.ok() || r->value != key) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace cairn::cluster
