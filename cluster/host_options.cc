#include "cluster/host_options.h"

#include "absl/strings/match.h"

namespace cairn::cluster {
namespace {

bool IsCoordinationName(std::string_view name) {
  return absl::StartsWith(absl::string_view(name.data(), name.size()),
                          absl::string_view(kCoordinationPrefix.data(),
                                            kCoordinationPrefix.size()));
}

}  // namespace

absl::Status SetHostOption(HostOptions* options, std::string_view name,
                           std::string_view value) {
  if (IsClusterOptionName(name)) {
    return SetClusterOption(&options->cluster, name, value);
  }
  if (IsCoordinationName(name)) {
    return SetCoordinationOption(&options->coordination, name, value);
  }
  return replication::SetNodeOption(&options->node, name, value);
}

absl::StatusOr<std::string> GetHostOption(const HostOptions& options,
                                          std::string_view name) {
  if (IsClusterOptionName(name)) return GetClusterOption(options.cluster, name);
  if (IsCoordinationName(name)) {
    return GetCoordinationOption(options.coordination, name);
  }
  return replication::GetNodeOption(options.node, name);
}

}  // namespace cairn::cluster
