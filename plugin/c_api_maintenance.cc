// C ABI 1.2: compaction, size estimates, repair and batch sizes.
// Argument checks and status mapping only; the engine does the work
// (engine/db_maintenance.cc).
#include <optional>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

using cairn::plugin::BadBytes;
using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::Report;

extern "C" {

cairn_status_t cairn_compact_range(cairn_db_t* db, const char* start,
                                   size_t startlen, const char* limit,
                                   size_t limitlen, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (BadBytes(start, startlen) || BadBytes(limit, limitlen)) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "start or limit is NULL with nonzero length", errmsg);
    }
    std::optional<std::string_view> begin;
    std::optional<std::string_view> end;
    if (start != nullptr) begin.emplace(start, startlen);
    if (limit != nullptr) end.emplace(limit, limitlen);
    // The node has no reason to intercept maintenance: straight to the engine.
    return Report(db->node->engine().CompactRange(begin, end), errmsg);
  });
}

cairn_status_t cairn_approximate_sizes(cairn_db_t* db, size_t num_ranges,
                                       const char* const* range_start,
                                       const size_t* range_start_len,
                                       const char* const* range_limit,
                                       const size_t* range_limit_len,
                                       uint64_t* sizes, char** errmsg) {
  return Guard(errmsg, [&] {
    if (db == nullptr)
      return Fail(CAIRN_INVALID_ARGUMENT, "db is NULL", errmsg);
    if (num_ranges == 0) return CAIRN_OK;
    if (range_start == nullptr || range_start_len == nullptr ||
        range_limit == nullptr || range_limit_len == nullptr ||
        sizes == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "range arrays and sizes must not be NULL", errmsg);
    }
    std::vector<cairn::Db::KeyRange> ranges;
    ranges.reserve(num_ranges);
    for (size_t i = 0; i < num_ranges; ++i) {
      if (BadBytes(range_start[i], range_start_len[i]) ||
          BadBytes(range_limit[i], range_limit_len[i])) {
        return Fail(
            CAIRN_INVALID_ARGUMENT,
            absl::StrCat("range ", i,
                         ": start or limit is NULL with nonzero length"),
            errmsg);
      }
      ranges.push_back({{range_start[i], range_start_len[i]},
                        {range_limit[i], range_limit_len[i]}});
    }
    absl::StatusOr<std::vector<uint64_t>> out =
        db->node->engine().ApproximateSizes(ranges);
    if (!out.ok()) return Report(out.status(), errmsg);
    for (size_t i = 0; i < num_ranges; ++i) sizes[i] = (*out)[i];
    return CAIRN_OK;
  });
}

cairn_status_t cairn_repair(const cairn_options_t* options, const char* path,
                            char** errmsg) {
  return Guard(errmsg, [&] {
    if (path == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "path is NULL", errmsg);
    }
    const cairn::Options o =
        options ? options->options.node.engine : cairn::Options();
    return Report(cairn::Db::Repair(o, path), errmsg);
  });
}

cairn_status_t cairn_writebatch_append(cairn_writebatch_t* dst,
                                       const cairn_writebatch_t* src,
                                       char** errmsg) {
  return Guard(errmsg, [&] {
    if (dst == nullptr || src == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "dst and src must not be NULL",
                  errmsg);
    }
    dst->batch.Append(src->batch);
    return CAIRN_OK;
  });
}

size_t cairn_writebatch_approximate_size(const cairn_writebatch_t* batch) {
  return batch == nullptr ? 0 : batch->batch.ByteSize();
}

}  // extern "C"
