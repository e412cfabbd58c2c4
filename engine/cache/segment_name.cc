#include "engine/cache/segment_name.h"

#include <dirent.h>
#include <unistd.h>
#include <xxhash.h>

#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cairn::cache {
namespace {

bool IsDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsHex16(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string SegmentName(std::string_view canonical_db_path,
                        uint32_t instance_id, uid_t uid) {
  const uint64_t h =
      XXH3_64bits(canonical_db_path.data(), canonical_db_path.size());
  return absl::StrFormat("/cairn-%u-%016x-%u", uid, h, instance_id);
}

std::string SegmentName(std::string_view canonical_db_path,
                        uint32_t instance_id) {
  return SegmentName(canonical_db_path, instance_id, geteuid());
}

std::string AlternateSegmentName(const std::string& primary) {
  std::random_device rd;
  const uint64_t r = (uint64_t{rd()} << 32) ^ rd();
  return absl::StrFormat("%s.%016x", primary, r);
}

std::string UserSegmentPrefix() {
  return absl::StrFormat("/cairn-%u-", geteuid());
}

std::vector<SegmentEntry> ListSegments(std::string_view canonical_db_path) {
  std::vector<SegmentEntry> out;
  std::string prefix = SegmentName(canonical_db_path, 0);
  prefix = prefix.substr(1, prefix.size() - 2);  // "cairn-<uid>-<hash>-"
  DIR* dir = opendir(kShmDir);
  if (dir == nullptr) return out;
  while (dirent* e = readdir(dir)) {
    std::string_view name(e->d_name);
    if (name.size() <= prefix.size() ||
        name.substr(0, prefix.size()) != prefix) {
      continue;
    }
    std::string_view rest = name.substr(prefix.size());
    std::string_view id = rest.substr(0, rest.find('.'));
    if (!IsDigits(id)) continue;
    if (id.size() < rest.size() && !IsHex16(rest.substr(id.size() + 1))) {
      continue;
    }
    uint32_t n = 0;
    for (char c : id) n = n * 10 + static_cast<uint32_t>(c - '0');
    std::string full = "/";
    full.append(name.data(), name.size());
    out.push_back({n, std::move(full)});
  }
  closedir(dir);
  return out;
}

}  // namespace cairn::cache
