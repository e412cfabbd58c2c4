#include "replication/options.h"

#include "absl/strings/match.h"
#include "engine/strings.h"
#include "nlohmann/json.hpp"

namespace cairn::replication {
namespace {

// Empty until the replication layer has options to act on; an option is
// listed here only once the code honours it.
constexpr absl::Span<const ReplicationOptionSpec> kReplicationOptions = {};

bool IsReplicationName(std::string_view name) {
  return absl::StartsWith(AV(name), AV(kReplicationPrefix));
}

}  // namespace

absl::Span<const ReplicationOptionSpec> ReplicationOptionTable() {
  return kReplicationOptions;
}

absl::Status SetNodeOption(NodeOptions* options, std::string_view name,
                           std::string_view value) {
  if (IsReplicationName(name)) {
    return SetOptionIn(ReplicationOptionTable(), &options->replication, name,
                       value);
  }
  return SetOption(&options->engine, name, value);
}

absl::StatusOr<std::string> GetNodeOption(const NodeOptions& options,
                                          std::string_view name) {
  if (IsReplicationName(name)) {
    return GetOptionIn(ReplicationOptionTable(), options.replication, name);
  }
  return GetOption(options.engine, name);
}

std::string NodeOptionsToJson(const NodeOptions& options) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  OptionsToJsonIn(OptionTable(), options.engine, &j);
  OptionsToJsonIn(ReplicationOptionTable(), options.replication, &j);
  return j.dump();
}

}  // namespace cairn::replication
