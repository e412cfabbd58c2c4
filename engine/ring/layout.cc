#include "engine/ring/layout.h"

#include <xxhash.h>

#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/strings.h"

namespace cairn::ring {
namespace {

constexpr char kMagic[4] = {'C', 'R', 'N', 'G'};
constexpr uint32_t kFormat = 1;

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) {
    buf[i] = static_cast<char>(static_cast<uint64_t>(v) >> (8 * i));
  }
  out->append(buf, sizeof(T));
}

void PutRing(std::string* out, const Ring& ring) {
  Put<uint32_t>(out, static_cast<uint32_t>(ring.members().size()));
  for (const Member& m : ring.members()) {
    Put<uint32_t>(out, m.id);
    Put<uint64_t>(out, m.capacity_bytes);
  }
  for (uint16_t owner : ring.table()) Put<uint16_t>(out, owner);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  bool Get(T* v) {
    if (in_.size() < sizeof(T)) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      x |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    }
    *v = static_cast<T>(x);
    in_.remove_prefix(sizeof(T));
    return true;
  }
  size_t left() const { return in_.size(); }

 private:
  std::string_view in_;
};

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("cache ring metadata is malformed: ", AV(what)));
}

absl::StatusOr<Ring> GetRing(Reader* r) {
  uint32_t count = 0;
  if (!r->Get(&count)) return Malformed("truncated member count");
  if (count == 0 || count > kMaxMembers) {
    return Malformed(absl::StrCat("member count ", count));
  }
  // Bound the allocation by what the input can hold.
  if (r->left() < static_cast<size_t>(count) * 12 + kBuckets * 2) {
    return Malformed("truncated ring");
  }
  std::vector<Member> members(count);
  for (Member& m : members) {
    r->Get(&m.id);
    r->Get(&m.capacity_bytes);
  }
  std::vector<uint16_t> table(kBuckets);
  for (uint16_t& owner : table) r->Get(&owner);
  absl::StatusOr<Ring> ring =
      Ring::FromParts(std::move(members), std::move(table));
  if (!ring.ok()) return Malformed(SV(ring.status().message()));
  return ring;
}

}  // namespace

std::string EncodeLayout(const Layout& layout) {
  std::string out(kMagic, sizeof(kMagic));
  Put<uint32_t>(&out, kFormat);
  Put<uint64_t>(&out, layout.epoch);
  Put<uint64_t>(&out, layout.base_capacity_bytes);
  Put<uint32_t>(&out, layout.base_instances);
  Put<uint32_t>(&out, layout.next_id);
  Put<uint8_t>(&out, layout.previous ? 1 : 0);
  const MigrationProgress& p = layout.progress;
  for (uint64_t v : {p.from_epoch, p.started_ms, p.finished_ms, p.moved_lazy,
                     p.moved_mover, p.moved_transfer}) {
    Put<uint64_t>(&out, v);
  }
  PutRing(&out, layout.current);
  if (layout.previous) PutRing(&out, *layout.previous);
  Put<uint64_t>(&out, XXH3_64bits(out.data(), out.size()));
  return out;
}

absl::StatusOr<Layout> DecodeLayout(std::string_view in) {
  if (in.size() < sizeof(kMagic) + 8 ||
      std::memcmp(in.data(), kMagic, sizeof(kMagic)) != 0) {
    return Malformed("bad magic or too short");
  }
  const std::string_view body = in.substr(0, in.size() - 8);
  Reader tail(in.substr(in.size() - 8));
  uint64_t sum = 0;
  tail.Get(&sum);
  if (sum != XXH3_64bits(body.data(), body.size())) {
    return Malformed("checksum mismatch");
  }
  Reader r(body.substr(sizeof(kMagic)));
  Layout layout;
  uint32_t format = 0;
  uint8_t has_previous = 0;
  MigrationProgress& p = layout.progress;
  if (!r.Get(&format)) return Malformed("truncated header");
  if (format != kFormat) return Malformed(absl::StrCat("format ", format));
  if (!r.Get(&layout.epoch) || !r.Get(&layout.base_capacity_bytes) ||
      !r.Get(&layout.base_instances) || !r.Get(&layout.next_id) ||
      !r.Get(&has_previous) || !r.Get(&p.from_epoch) || !r.Get(&p.started_ms) ||
      !r.Get(&p.finished_ms) || !r.Get(&p.moved_lazy) ||
      !r.Get(&p.moved_mover) || !r.Get(&p.moved_transfer)) {
    return Malformed("truncated header");
  }
  if (has_previous > 1) return Malformed("bad previous-ring flag");
  absl::StatusOr<Ring> current = GetRing(&r);
  if (!current.ok()) return current.status();
  layout.current = std::move(*current);
  if (has_previous) {
    absl::StatusOr<Ring> previous = GetRing(&r);
    if (!previous.ok()) return previous.status();
    layout.previous = std::move(*previous);
  }
  if (r.left() != 0) return Malformed("trailing bytes");
  for (const Member& m : layout.current.members()) {
    if (m.id >= layout.next_id) {
      return Malformed(
          absl::StrCat("instance id ", m.id, " >= next id ", layout.next_id));
    }
  }
  return layout;
}

uint64_t LayoutId(const Layout& layout) {
  const uint64_t words[3] = {
      layout.epoch, layout.current.Fingerprint(),
      layout.previous ? layout.previous->Fingerprint() : 0};
  return XXH3_64bits(words, sizeof(words)) | 1;  // 0 means "none recorded"
}

}  // namespace cairn::ring
