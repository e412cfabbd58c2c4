// Fuzzes the etcd reply parsers (cluster/etcd_wire.h; RELIABILITY B3): a
// reply from etcd — or from whatever answers at its address — is either
// parsed or refused with a status; it never crashes, throws or hangs.
//
// Input: a selector byte (picks the parser), then the reply body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cluster/etcd_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  namespace w = cairn::cluster::etcd_wire;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  switch (data[0] % 7) {
    case 0: {
      auto r = w::ParseLeaseGrant(body);
      if (r.ok() && (r->id == 0 || r->ttl_seconds <= 0)) abort();
      break;
    }
    case 1:
      (void)w::ParseKeepAlive(body);
      break;
    case 2: {
      auto r = w::ParseTxn(body);
      if (r.ok() && r->succeeded && r->current.has_value()) abort();
      break;
    }
    case 3:
      (void)w::ParseRange(body);
      break;
    case 4:
      (void)w::ParseDeleteRange(body);
      break;
    case 5:
      (void)w::ParseObject(body);
      break;
    case 6:
      if (w::ParseErrorReply(400, body).ok()) abort();
      break;
  }
  return 0;
}
