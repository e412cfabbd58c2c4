// A node opened through the C ABI (libcairn.so, as a host or `cairn serve`
// opens it) with replication on serves cluster clients; node.serve_clients
// false turns that off. The client side is the static NodeClient.
#include <cstdlib>
#include <memory>
#include <string>

#include "cairn/cairn.h"
#include "cluster/node_client.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/temp_dir.h"

namespace cairn::cluster {
namespace {

class Abi {
 public:
  Abi(const std::string& path,
      const std::vector<std::pair<std::string, std::string>>& options) {
    cairn_options_t* o = cairn_options_create();
    for (const auto& [name, value] : options) {
      char* err = nullptr;
      EXPECT_EQ(cairn_options_set(o, name.c_str(), value.c_str(), &err),
                CAIRN_OK)
          << (err ? err : "");
      cairn_free(err);
    }
    char* err = nullptr;
    EXPECT_EQ(cairn_open(o, path.c_str(), &db_, &err), CAIRN_OK)
        << (err ? err : "");
    cairn_free(err);
    cairn_options_destroy(o);
  }
  ~Abi() {
    if (db_ != nullptr) cairn_close(db_);
  }
  nlohmann::json Property(const char* name) {
    char* value = nullptr;
    char* err = nullptr;
    if (cairn_property(db_, name, &value, &err) != CAIRN_OK) {
      ADD_FAILURE() << (err ? err : "");
      cairn_free(err);
      return nlohmann::json::object();
    }
    nlohmann::json j = nlohmann::json::parse(value);
    cairn_free(value);
    return j;
  }
  std::string Get(const std::string& key) {
    char* value = nullptr;
    size_t len = 0;
    char* err = nullptr;
    cairn_status_t s =
        cairn_get(db_, nullptr, key.data(), key.size(), &value, &len, &err);
    cairn_free(err);
    if (s != CAIRN_OK) return "<missing>";
    std::string out(value, len);
    cairn_free(value);
    return out;
  }
  uint16_t port() {
    return Property("cairn.replication")["listen_port"].get<uint16_t>();
  }

 private:
  cairn_db_t* db_ = nullptr;
};

class TempDir : public testing::BasicTempDir {
 public:
  TempDir()
      : BasicTempDir([](const std::string& db) {
          char* err = nullptr;
          (void)cairn_destroy(db.c_str(), &err);
          cairn_free(err);
        }) {}
};

ClientRequest Put(std::string key, std::string value) {
  ClientRequest r;
  r.method = Method::kPut;
  r.ops.push_back({false, std::move(key), std::move(value)});
  return r;
}

TEST(CAbiServeTest, ANodeOpenedThroughTheCAbiServesClients) {
  TempDir dir;
  Abi node(dir.Sub("db"), {{"create_if_missing", "true"},
                           {"cache.capacity_mb", "4"},
                           {"cache.instances", "1"},
                           {"replication.node_id", "5"},
                           {"replication.listen", "127.0.0.1:0"},
                           {"node.capacity", "7"}});
  NodeClient client(NodeAddress{5, "127.0.0.1", node.port()},
                    NodeClientOptions{});
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  absl::StatusOr<ClientReply> r = client.Call(Put("k", "from a client"),
                                              deadline);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->code, 0u) << r->message;
  EXPECT_EQ(node.Get("k"), "from a client");
  ClientRequest status;
  status.method = Method::kStatus;
  r = client.Call(status, deadline);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status.node_id, 5u);
  EXPECT_EQ(r->status.capacity, 7u);
  nlohmann::json clients = node.Property("cairn.clients");
  EXPECT_EQ(clients["serving"], true);
  EXPECT_EQ(clients["requests"]["put"], 1);
  EXPECT_EQ(node.Property("cairn.options")["node.capacity"], 7);
}

TEST(CAbiServeTest, ServeClientsFalseRefusesThem) {
  TempDir dir;
  Abi node(dir.Sub("db"), {{"create_if_missing", "true"},
                           {"cache.capacity_mb", "0"},
                           {"replication.node_id", "5"},
                           {"node.serve_clients", "false"}});
  NodeClient client(NodeAddress{5, "127.0.0.1", node.port()},
                    NodeClientOptions{});
  absl::StatusOr<ClientReply> r =
      client.Call(Put("k", "v"), absl::Now() + absl::Seconds(5));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node.serve_clients"),
            std::string::npos)
      << r.status();
  EXPECT_EQ(node.Property("cairn.clients")["serving"], false);
  EXPECT_EQ(node.Get("k"), "<missing>");
}

}  // namespace
}  // namespace cairn::cluster
