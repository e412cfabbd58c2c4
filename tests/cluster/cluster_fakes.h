// Fakes for the routing cluster client's tests: a node that answers, fails,
// stalls past the deadline, answers garbage codes or refuses on demand; a
// clock the test steps; an in-memory AuditLog.
//
// FakeNode is the test's handle on one node's behaviour and what it
// received; FakeTransport is the NodeTransport the Cluster holds for it.
// All thread-safe (the background-thread tests use them from several
// threads).
#ifndef CAIRN_TESTS_CLUSTER_CLUSTER_FAKES_H_
#define CAIRN_TESTS_CLUSTER_CLUSTER_FAKES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cluster/audit_log.h"
#include "cluster/client_wire.h"
#include "cluster/clock.h"
#include "cluster/refusal.h"
#include "cluster/transport.h"
#include "engine/mutex.h"

namespace cairn::cluster::testing {

class FakeNode {
 public:
  enum class Mode {
    kServe,    // a working node over an in-memory map
    kFail,     // every call: a transport failure (connection refused)
    kStall,    // every call waits until its deadline: DeadlineExceeded
    kGarbage,  // every reply carries status code 99
    kError,    // every reply carries error_code / "fake error"
    kRefuse,   // every reply is a refusal naming refuse_master
    kWrongId,  // replies to another request id
  };

  explicit FakeNode(uint32_t id) : id_(id) {
    status_.node_id = id;
    status_.capacity = 100;
  }

  uint32_t id() const { return id_; }

  void SetMode(Mode mode) {
    MutexLock lock(&mu_);
    mode_ = mode;
    cv_.SignalAll();
  }
  void SetError(absl::StatusCode code,
                const std::string& message = "fake error") {
    MutexLock lock(&mu_);
    mode_ = Mode::kError;
    error_code_ = code;
    error_message_ = message;
  }
  void SetRefuse(uint32_t master) {
    MutexLock lock(&mu_);
    mode_ = Mode::kRefuse;
    refuse_master_ = master;
  }
  void SetLoad(uint64_t w, uint64_t c, uint64_t r) {
    MutexLock lock(&mu_);
    status_.capacity = w;
    status_.cached_bytes = c;
    status_.response_us = r;
  }
  void SetServes(bool serves, uint32_t master) {
    MutexLock lock(&mu_);
    status_.serves = serves;
    status_.master = master;
    status_.why = serves ? "" : "not master";
  }
  // Wakes stalled calls (the transport was closed).
  void WakeStalls() {
    MutexLock lock(&mu_);
    ++wakeups_;
    cv_.SignalAll();
  }

  // Requests received (every method, whatever the mode).
  std::vector<ClientRequest> Requests() {
    MutexLock lock(&mu_);
    return requests_;
  }
  size_t Count(Method method) {
    MutexLock lock(&mu_);
    size_t n = 0;
    for (const ClientRequest& r : requests_) n += r.method == method;
    return n;
  }
  // Requests other than status and report_failure.
  size_t Ops() {
    MutexLock lock(&mu_);
    size_t n = 0;
    for (const ClientRequest& r : requests_) {
      n += r.method != Method::kStatus && r.method != Method::kReportFailure;
    }
    return n;
  }
  std::vector<absl::Duration> DeadlinesLeft() {
    MutexLock lock(&mu_);
    return deadlines_left_;
  }
  bool Has(const std::string& key) {
    MutexLock lock(&mu_);
    return data_.count(key) != 0;
  }
  // Waits (bounded by `timeout`, real time) until `method` was received at
  // least `n` times; returns whether it was.
  bool WaitForCount(Method method, size_t n, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    MutexLock lock(&mu_);
    while (true) {
      size_t count = 0;
      for (const ClientRequest& r : requests_) count += r.method == method;
      if (count >= n) return true;
      if (cv_.WaitWithDeadline(&mu_, deadline)) return false;
    }
  }

  absl::StatusOr<ClientReply> Call(const ClientRequest& request,
                                   absl::Time deadline) {
    MutexLock lock(&mu_);
    requests_.push_back(request);
    deadlines_left_.push_back(deadline - absl::Now());
    cv_.SignalAll();
    ClientReply reply;
    reply.id = request.id;
    switch (mode_) {
      case Mode::kServe:
        Serve(request, &reply);
        return reply;
      case Mode::kFail:
        return absl::UnavailableError(
            absl::StrCat("connect to node ", id_, ": connection refused"));
      case Mode::kStall: {
        const uint64_t wakeups = wakeups_;
        while (mode_ == Mode::kStall && wakeups_ == wakeups &&
               !cv_.WaitWithDeadline(&mu_, deadline)) {
        }
        return absl::DeadlineExceededError(
            absl::StrCat("node ", id_, ": no reply before the deadline"));
      }
      case Mode::kGarbage:
        reply.code = 99;
        reply.message = "\xff\xfe";
        return reply;
      case Mode::kError:
        reply.code = static_cast<uint32_t>(error_code_);
        reply.message = error_message_;
        return reply;
      case Mode::kRefuse:
        return RefusalReply(
            id_, request, NodeRole::View{false, refuse_master_, "not master"});
      case Mode::kWrongId:
        reply.id = request.id + 1000;
        return reply;
    }
    return absl::InternalError("bad fake mode");
  }

 private:
  void Serve(const ClientRequest& request, ClientReply* reply)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    switch (request.method) {
      case Method::kGet: {
        auto it = data_.find(request.ops.at(0).key);
        reply->found = it != data_.end();
        if (reply->found) reply->value = it->second;
        break;
      }
      case Method::kPut:
      case Method::kDelete:
      case Method::kBatch:
        for (const BatchOp& op : request.ops) {
          if (op.is_delete) {
            data_.erase(op.key);
          } else {
            data_[op.key] = op.value;
          }
        }
        break;
      case Method::kScan:
        for (auto it = data_.lower_bound(request.scan_start);
             it != data_.end() &&
             (request.scan_end.empty() || it->first < request.scan_end);
             ++it) {
          if (reply->entries.size() == request.scan_limit) {
            reply->scan_truncated = true;
            break;
          }
          reply->entries.emplace_back(it->first, it->second);
        }
        break;
      case Method::kStatus:
        reply->status = status_;
        break;
      case Method::kReportFailure:
        break;
    }
  }

  const uint32_t id_;
  Mutex mu_;
  CondVar cv_;
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kServe;
  absl::StatusCode error_code_ ABSL_GUARDED_BY(mu_) =
      absl::StatusCode::kInternal;
  std::string error_message_ ABSL_GUARDED_BY(mu_);
  uint32_t refuse_master_ ABSL_GUARDED_BY(mu_) = 0;
  NodeStatus status_ ABSL_GUARDED_BY(mu_);
  uint64_t wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::string> data_ ABSL_GUARDED_BY(mu_);
  std::vector<ClientRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Duration> deadlines_left_ ABSL_GUARDED_BY(mu_);
};

class FakeTransport final : public NodeTransport {
 public:
  explicit FakeTransport(std::shared_ptr<FakeNode> node)
      : node_(std::move(node)) {}
  absl::StatusOr<ClientReply> Call(const ClientRequest& request,
                                   absl::Time deadline) override {
    return node_->Call(request, deadline);
  }
  std::string LocalAddress() override {
    return absl::StrCat("127.0.0.1:", 50000 + node_->id());
  }
  void Close() override { node_->WakeStalls(); }

 private:
  const std::shared_ptr<FakeNode> node_;
};

class FakeClock final : public Clock {
 public:
  absl::Time Now() override {
    MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1000000);
};

class FakeAuditLog final : public AuditLog {
 public:
  absl::Status Append(const AuditRecord& record) override {
    MutexLock lock(&mu_);
    records_.push_back(record);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<AuditRecord>> Query(const std::string& method,
                                                 absl::Time since,
                                                 absl::Time until,
                                                 size_t limit) override {
    MutexLock lock(&mu_);
    std::vector<AuditRecord> out;
    for (const AuditRecord& r : records_) {
      if ((method.empty() || r.method == method) && r.start >= since &&
          r.start < until && out.size() < limit) {
        out.push_back(r);
      }
    }
    return out;
  }
  absl::StatusOr<uint64_t> Trim() override { return 0; }
  absl::Status Flush() override { return absl::OkStatus(); }
  std::vector<AuditRecord> Records() {
    MutexLock lock(&mu_);
    return records_;
  }

 private:
  Mutex mu_;
  std::vector<AuditRecord> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cairn::cluster::testing

#endif  // CAIRN_TESTS_CLUSTER_CLUSTER_FAKES_H_
