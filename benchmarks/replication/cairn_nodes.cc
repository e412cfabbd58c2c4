#include "cairn_nodes.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace cairn_repl {
namespace {

std::string TakeError(cairn_status_t s, char* err) {
  std::string out = std::string(cairn_status_name(s)) + ": " +
                    (err != nullptr ? err : "(no message)");
  cairn_free(err);
  return out;
}

// The first "listen_port" anywhere in the JSON document, or -1.
int FindListenPort(const nlohmann::json& j) {
  if (j.is_object()) {
    auto it = j.find("listen_port");
    if (it != j.end() && it->is_number_integer()) return it->get<int>();
    for (const auto& [k, v] : j.items()) {
      const int port = FindListenPort(v);
      if (port >= 0) return port;
    }
  }
  return -1;
}

// The database at `path`, or null with *status and *error.
cairn_db_t* OpenDb(const std::string& path, const OptionList& options,
                   cairn_status_t* status, std::string* error) {
  cairn_options_t* o = cairn_options_create();
  char* err = nullptr;
  for (const auto& [name, value] : options) {
    const cairn_status_t s =
        cairn_options_set(o, name.c_str(), value.c_str(), &err);
    if (s != CAIRN_OK) {
      *status = s;
      *error = "cairn option " + name + "=" + value + ": " + TakeError(s, err);
      cairn_options_destroy(o);
      return nullptr;
    }
  }
  cairn_db_t* db = nullptr;
  const cairn_status_t s = cairn_open(o, path.c_str(), &db, &err);
  cairn_options_destroy(o);
  *status = s;
  if (s != CAIRN_OK) {
    *error = "cairn_open " + path + ": " + TakeError(s, err);
    return nullptr;
  }
  return db;
}

}  // namespace

OptionList BaseOptions() {
  // Cairn's defaults (a 64 MiB cache, write policy "update"), created fresh.
  return {{"create_if_missing", "true"}};
}

std::unique_ptr<CairnNode> CairnNode::Open(const std::string& path,
                                           const OptionList& options,
                                           cairn_status_t* status,
                                           std::string* error) {
  cairn_db_t* db = OpenDb(path, options, status, error);
  if (db == nullptr) return nullptr;
  return std::unique_ptr<CairnNode>(new CairnNode(db, path));
}

void CairnNode::Close() {
  cairn_close(db_);
  db_ = nullptr;
}

bool CairnNode::Reopen(const OptionList& options, std::string* error) {
  Close();
  cairn_status_t status;
  db_ = OpenDb(path_, options, &status, error);
  return db_ != nullptr;
}

CairnNode::~CairnNode() {
  cairn_close(db_);
  char* err = nullptr;
  if (cairn_destroy(path_.c_str(), &err) != CAIRN_OK) {
    fprintf(stderr, "cairn_repl_bench: cairn_destroy %s: %s\n", path_.c_str(),
            err != nullptr ? err : "");
  }
  cairn_free(err);
}

bool CairnNode::Property(const char* name, std::string* value,
                         std::string* error) {
  char* v = nullptr;
  char* err = nullptr;
  const cairn_status_t s = cairn_property(db_, name, &v, &err);
  if (s != CAIRN_OK) {
    *error = std::string("cairn_property ") + name + ": " + TakeError(s, err);
    return false;
  }
  value->assign(v);
  cairn_free(v);
  return true;
}

bool CairnNode::ListenPort(int* port, std::string* error) {
  std::string text;
  if (!Property("cairn.replication", &text, error)) return false;
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  *port = j.is_discarded() ? -1 : FindListenPort(j);
  if (*port <= 0) {
    *error = "no listen_port in cairn.replication of " + path_ + ": " + text;
    return false;
  }
  return true;
}

bool CairnNode::CompactionDue(bool* due, std::string* error) {
  std::string stats;
  if (!Property("leveldb.stats", &stats, error)) return false;
  // Rows after the dashed line: level, files, size (MiB), then times.
  const size_t dashes = stats.find("---");
  if (dashes == std::string::npos) {
    *error = "leveldb.stats of " + path_ + " has no table: " + stats;
    return false;
  }
  std::istringstream in(stats.substr(dashes));
  std::string line;
  std::getline(in, line);  // the dashes
  *due = false;
  int level = 0, files = 0;
  double mib = 0;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    if (!(row >> level >> files >> mib)) continue;
    const double limit = std::pow(10.0, level);
    *due |= level == 0 ? files >= 4 : mib > limit;
  }
  return true;
}

bool CairnNode::Has(std::string_view key) {
  size_t len = 0;
  char* err = nullptr;
  const cairn_status_t s = cairn_get_into(db_, nullptr, key.data(), key.size(),
                                          buf_, sizeof(buf_), &len, &err);
  cairn_free(err);
  return s == CAIRN_OK;
}

bool CairnNode::WaitFor(std::string_view key, std::chrono::microseconds pause,
                        std::chrono::milliseconds timeout,
                        Clock::time_point* when) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (Has(key)) {
      *when = Clock::now();
      return true;
    }
    if (Clock::now() >= deadline) return false;
    if (pause.count() == 0) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(pause);
    }
  }
}

bool Put(cairn_db_t* db, const cairn_writeoptions_t* wo, std::string_view key,
         std::string_view value, std::string* error) {
  char* err = nullptr;
  const cairn_status_t s = cairn_put(db, wo, key.data(), key.size(),
                                     value.data(), value.size(), &err);
  if (s == CAIRN_OK) return true;
  *error = "cairn_put: " + TakeError(s, err);
  return false;
}

bool OpenPair(const std::string& dir, const OptionList& extra, NodePair* pair,
              cairn_status_t* status, std::string* error) {
  const auto options_for = [&](int id, const std::string& peers, int port) {
    OptionList o = BaseOptions();
    o.emplace_back("replication.node_id", std::to_string(id));
    o.emplace_back("replication.listen", "127.0.0.1:" + std::to_string(port));
    if (!peers.empty()) o.emplace_back("replication.peers", peers);
    o.insert(o.end(), extra.begin(), extra.end());
    return o;
  };
  // Both learn the other's port at run time and add it as a peer, as a
  // host adding a node would.
  int port1 = 0, port2 = 0;
  pair->second =
      CairnNode::Open(dir + "/node2", options_for(2, "", 0), status, error);
  if (pair->second == nullptr || !pair->second->ListenPort(&port2, error)) {
    return false;
  }
  pair->first =
      CairnNode::Open(dir + "/node1", options_for(1, "", 0), status, error);
  if (pair->first == nullptr || !pair->first->ListenPort(&port1, error)) {
    return false;
  }
  const struct {
    CairnNode* node;
    std::string spec;
  } adds[] = {{pair->first.get(), "2@127.0.0.1:" + std::to_string(port2)},
              {pair->second.get(), "1@127.0.0.1:" + std::to_string(port1)}};
  for (const auto& add : adds) {
    char* err = nullptr;
    *status = cairn_peer_add(add.node->db(), add.spec.c_str(), &err);
    if (*status != CAIRN_OK) {
      *error = "cairn_peer_add " + add.spec + ": " + TakeError(*status, err);
      return false;
    }
  }
  pair->second_reopen =
      options_for(2, "1@127.0.0.1:" + std::to_string(port1), port2);
  // The probe: replication works end to end before anything is measured.
  const std::string probe = "probe-" + dir;
  if (!Put(pair->first->db(), nullptr, probe, "probe", error)) return false;
  Clock::time_point seen;
  if (!pair->second->WaitFor(probe, std::chrono::microseconds(200),
                             std::chrono::milliseconds(60000), &seen)) {
    *status = CAIRN_TIMEOUT;
    *error = "a write on node 1 did not reach node 2 within 60 s";
    return false;
  }
  return true;
}

}  // namespace cairn_repl
