// C ABI 1.2: reads without allocation — a get into the caller's buffer and a
// batched multi-get. Argument checks and status mapping only.
#include <string.h>

#include <string_view>

#include "absl/strings/str_cat.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

using cairn::plugin::BadBytes;
using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;

namespace {

// The batch's state lives on the stack up to this many keys; larger
// batches are read in chunks of it.
constexpr size_t kChunk = 64;

}  // namespace

extern "C" {

cairn_status_t cairn_get_into(cairn_db_t* db,
                              const cairn_readoptions_t* options,
                              const char* key, size_t keylen, char* buf,
                              size_t buflen, size_t* vallen, char** errmsg) {
  if (vallen != nullptr) *vallen = 0;
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (vallen == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "vallen out-parameter is NULL",
                  errmsg);
    }
    if (BadBytes(buf, buflen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "buf is NULL with nonzero buflen",
                  errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    // A zero-length buffer still asks for the size: never a discarding
    // destination, whose size() would be meaningless to the caller.
    char probe = 0;
    cairn::ValueDest dest(buf != nullptr ? buf : &probe, buflen);
    absl::Status s = db->node->GetInto(
        cairn::plugin::ToPointReadOptions(options), {key, keylen}, &dest);
    if (!s.ok()) return Report(s, errmsg);
    *vallen = dest.size();
    return CAIRN_OK;
  });
}

cairn_status_t cairn_multi_get(cairn_db_t* db,
                               const cairn_readoptions_t* options,
                               size_t num_keys, const char* const* keys,
                               const size_t* keylens, char* const* values,
                               const size_t* valcaps, size_t* vallens,
                               cairn_status_t* statuses, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (num_keys == 0) return CAIRN_OK;
    if (keys == nullptr || keylens == nullptr || values == nullptr ||
        valcaps == nullptr || vallens == nullptr || statuses == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "keys, keylens, values, valcaps, vallens and statuses must "
                  "not be NULL",
                  errmsg);
    }
    for (size_t i = 0; i < num_keys; ++i) {
      if (BadBytes(keys[i], keylens[i])) {
        return Fail(CAIRN_INVALID_ARGUMENT,
                    absl::StrCat("keys[", i, "] is NULL with keylens[", i,
                                 "] = ", keylens[i]),
                    errmsg);
      }
      if (BadBytes(values[i], valcaps[i])) {
        return Fail(CAIRN_INVALID_ARGUMENT,
                    absl::StrCat("values[", i, "] is NULL with valcaps[", i,
                                 "] = ", valcaps[i]),
                    errmsg);
      }
    }
    const cairn::ReadOptions ro = cairn::plugin::ToPointReadOptions(options);
    std::string_view k[kChunk];
    cairn::ValueDest dests[kChunk];
    absl::Status st[kChunk];
    char probe[kChunk];
    cairn_status_t result = CAIRN_OK;
    for (size_t begin = 0; begin < num_keys; begin += kChunk) {
      const size_t count =
          num_keys - begin < kChunk ? num_keys - begin : kChunk;
      for (size_t i = 0; i < count; ++i) {
        k[i] = std::string_view(keys[begin + i], keylens[begin + i]);
        char* v = values[begin + i];
        dests[i] =
            cairn::ValueDest(v != nullptr ? v : &probe[i], valcaps[begin + i]);
      }
      db->node->MultiGet(ro, absl::MakeConstSpan(k, count), dests, st);
      for (size_t i = 0; i < count; ++i) {
        vallens[begin + i] = st[i].ok() ? dests[i].size() : 0;
        cairn_status_t& status = statuses[begin + i];
        if (st[i].ok()) {
          status = CAIRN_OK;
        } else if (st[i].code() == absl::StatusCode::kNotFound) {
          status = CAIRN_NOT_FOUND;
        } else {
          // The call reports its first failed key, with the message.
          status = Report(st[i], result == CAIRN_OK ? errmsg : nullptr);
          if (result == CAIRN_OK) result = status;
        }
      }
    }
    return result;
  });
}

}  // extern "C"
