#include "cluster/clock.h"

namespace cairn::cluster {
namespace {

class Real final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace

Clock* RealClock() {
  static Clock* const clock = new Real();
  return clock;
}

}  // namespace cairn::cluster
