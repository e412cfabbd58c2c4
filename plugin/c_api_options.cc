// C ABI: database options by name, read and write options, write batches.
#include "absl/status/statusor.h"
#include "plugin/copy_out.h"
#include "plugin/handles.h"
#include "plugin/status_map.h"

using cairn::plugin::BadBytes;
using cairn::plugin::Fail;
using cairn::plugin::Guard;
using cairn::plugin::GuardVoid;
using cairn::plugin::Report;

extern "C" {

cairn_options_t* cairn_options_create(void) {
  try {
    return new cairn_options_t();
  } catch (...) {
    return nullptr;
  }
}

void cairn_options_destroy(cairn_options_t* options) { delete options; }

cairn_status_t cairn_options_set(cairn_options_t* options, const char* name,
                                 const char* value, char** errmsg) {
  return Guard(errmsg, [&] {
    if (options == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "options is NULL", errmsg);
    }
    if (name == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "option name is NULL", errmsg);
    }
    if (value == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  std::string("option ") + name + ": value is NULL", errmsg);
    }
    return Report(
        cairn::cluster::SetHostOption(&options->options, name, value),
        errmsg);
  });
}

cairn_status_t cairn_options_get(const cairn_options_t* options,
                                 const char* name, char** value,
                                 char** errmsg) {
  if (value != nullptr) *value = nullptr;
  return Guard(errmsg, [&] {
    if (options == nullptr || name == nullptr || value == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "options, name and value must not be NULL", errmsg);
    }
    absl::StatusOr<std::string> v =
        cairn::cluster::GetHostOption(options->options, name);
    if (!v.ok()) return Report(v.status(), errmsg);
    *value = cairn::plugin::CopyCString(*v);
    return CAIRN_OK;
  });
}

cairn_readoptions_t* cairn_readoptions_create(void) {
  try {
    return new cairn_readoptions_t();
  } catch (...) {
    return nullptr;
  }
}

void cairn_readoptions_destroy(cairn_readoptions_t* options) { delete options; }

void cairn_readoptions_set_snapshot(cairn_readoptions_t* options,
                                    const cairn_snapshot_t* snapshot) {
  if (options != nullptr) options->snapshot = snapshot;
}

static cairn_status_t SetBound(cairn_readoptions_t* options, const char* key,
                               size_t keylen, bool lower, char** errmsg) {
  return Guard(errmsg, [&] {
    const char* which = lower ? "lower bound" : "upper bound";
    if (options == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "read options is NULL", errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  std::string(which) + " is NULL with nonzero length", errmsg);
    }
    std::optional<std::string>& bound =
        lower ? options->options.lower_bound : options->options.upper_bound;
    if (key == nullptr) {
      bound.reset();
    } else {
      bound = std::string(key, keylen);  // copied, never borrowed
    }
    return CAIRN_OK;
  });
}

cairn_status_t cairn_readoptions_set_lower_bound(cairn_readoptions_t* options,
                                                 const char* key, size_t keylen,
                                                 char** errmsg) {
  return SetBound(options, key, keylen, true, errmsg);
}

cairn_status_t cairn_readoptions_set_upper_bound(cairn_readoptions_t* options,
                                                 const char* key, size_t keylen,
                                                 char** errmsg) {
  return SetBound(options, key, keylen, false, errmsg);
}

void cairn_readoptions_set_verify_checksums(cairn_readoptions_t* options,
                                            unsigned char verify) {
  if (options != nullptr) options->options.verify_checksums = verify != 0;
}

void cairn_readoptions_set_fill_cache(cairn_readoptions_t* options,
                                      unsigned char fill) {
  if (options != nullptr) options->options.fill_cache = fill != 0;
}

cairn_writeoptions_t* cairn_writeoptions_create(void) {
  try {
    return new cairn_writeoptions_t();
  } catch (...) {
    return nullptr;
  }
}

void cairn_writeoptions_destroy(cairn_writeoptions_t* options) {
  delete options;
}

void cairn_writeoptions_set_sync(cairn_writeoptions_t* options,
                                 unsigned char sync) {
  if (options != nullptr) options->options.sync = sync != 0;
}

cairn_writebatch_t* cairn_writebatch_create(void) {
  try {
    return new cairn_writebatch_t();
  } catch (...) {
    return nullptr;
  }
}

void cairn_writebatch_destroy(cairn_writebatch_t* batch) { delete batch; }

cairn_status_t cairn_writebatch_put(cairn_writebatch_t* batch, const char* key,
                                    size_t keylen, const char* value,
                                    size_t valuelen, char** errmsg) {
  return Guard(errmsg, [&] {
    if (batch == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "batch is NULL", errmsg);
    }
    if (BadBytes(key, keylen) || BadBytes(value, valuelen)) {
      return Fail(CAIRN_INVALID_ARGUMENT,
                  "key or value is NULL with nonzero length", errmsg);
    }
    batch->batch.Put({key, keylen}, {value, valuelen});
    return CAIRN_OK;
  });
}

cairn_status_t cairn_writebatch_delete(cairn_writebatch_t* batch,
                                       const char* key, size_t keylen,
                                       char** errmsg) {
  return Guard(errmsg, [&] {
    if (batch == nullptr) {
      return Fail(CAIRN_INVALID_ARGUMENT, "batch is NULL", errmsg);
    }
    if (BadBytes(key, keylen)) {
      return Fail(CAIRN_INVALID_ARGUMENT, "key is NULL with nonzero length",
                  errmsg);
    }
    batch->batch.Delete({key, keylen});
    return CAIRN_OK;
  });
}

void cairn_writebatch_clear(cairn_writebatch_t* batch) {
  if (batch != nullptr) batch->batch.Clear();
}

size_t cairn_writebatch_count(const cairn_writebatch_t* batch) {
  return batch == nullptr ? 0 : batch->batch.Count();
}

}  // extern "C"
