#include "tests/replication/set_checker.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cairn::testing {
namespace {

std::string FirstFew(const std::vector<std::string>& v) {
  constexpr size_t kShown = 10;
  std::vector<std::string> shown(v.begin(),
                                 v.begin() + std::min(v.size(), kShown));
  return absl::StrCat(v.size(), " [", absl::StrJoin(shown, " "),
                      v.size() > kShown ? " ...]" : "]");
}

}  // namespace

std::string SetChecker::Result::Summary() const {
  return absl::StrCat("observed ", observed, " keys; ", acknowledged,
                      " acknowledged of ", attempted, " attempted; lost ",
                      FirstFew(lost), "; unexpected ", FirstFew(unexpected));
}

void SetChecker::Attempt(const std::string& key) {
  absl::MutexLock lock(&mu_);
  attempted_.insert(key);
}

void SetChecker::Acknowledge(const std::string& key) {
  absl::MutexLock lock(&mu_);
  acknowledged_.insert(key);
}

size_t SetChecker::acknowledged() const {
  absl::MutexLock lock(&mu_);
  return acknowledged_.size();
}

std::set<std::string> SetChecker::AcknowledgedNow() const {
  absl::MutexLock lock(&mu_);
  return acknowledged_;
}

SetChecker::Result SetChecker::Check(
    const std::vector<std::string>& observed,
    const std::set<std::string>& must_hold) const {
  std::set<std::string> seen(observed.begin(), observed.end());
  Result r;
  r.acknowledged = must_hold.size();
  r.observed = seen.size();
  for (const std::string& k : must_hold) {
    if (!seen.contains(k)) r.lost.push_back(k);
  }
  absl::MutexLock lock(&mu_);
  r.attempted = attempted_.size();
  for (const std::string& k : seen) {
    if (!attempted_.contains(k)) r.unexpected.push_back(k);
  }
  return r;
}

}  // namespace cairn::testing
