#include "plugin/sqlite/cairn_lib.h"

#include <dlfcn.h>

#include <cstdlib>

namespace cairn::sqlite {
namespace {

constexpr char kSoname[] = "libcairn.so.1";

struct Loaded {
  const cairn_api_t* api = nullptr;
  std::string error;
};

std::string DirectoryOf(const void* anchor) {
  Dl_info info;
  if (dladdr(anchor, &info) == 0 || info.dli_fname == nullptr) return {};
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

Loaded Load(const void* anchor) {
  Loaded out;
  std::string tried;
  void* handle = nullptr;
  auto attempt = [&](const std::string& file) {
    handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      tried += "\n  " + file + ": " + (why ? why : "not found");
    }
    return handle != nullptr;
  };
  const char* env = std::getenv("CAIRN_LIBRARY");
  if (env != nullptr && *env != '\0') {
    attempt(env);  // an explicit choice is not second-guessed
  } else {
    std::string dir = DirectoryOf(anchor);
    if (dir.empty() || !attempt(dir + kSoname)) attempt(kSoname);
  }
  if (handle == nullptr) {
    out.error =
        "cairn: cannot load the Cairn library (set CAIRN_LIBRARY to "
        "its path); tried:" +
        tried;
    return out;
  }
  auto get_api =
      reinterpret_cast<cairn_get_api_fn>(dlsym(handle, "cairn_get_api"));
  const cairn_api_t* api = get_api ? get_api(CAIRN_ABI_MAJOR) : nullptr;
  if (api == nullptr) {
    out.error = "cairn: the loaded Cairn library does not provide ABI " +
                std::to_string(CAIRN_ABI_MAJOR);
    return out;
  }
  if (api->abi_minor < kNeededAbiMinor) {
    out.error = "cairn: the loaded Cairn library has ABI 1." +
                std::to_string(api->abi_minor) + "; the extension needs 1." +
                std::to_string(kNeededAbiMinor);
    return out;
  }
  out.api = api;
  return out;
}

}  // namespace

const cairn_api_t* LoadCairn(const void* anchor, std::string* error) {
  // Loaded once: a failure is remembered too, so every connection gets the
  // same message instead of retrying dlopen.
  // (A function-local static, not a heap object: SQLite may unload the
  // extension, and its memory must go with it.)
  static const Loaded loaded = Load(anchor);
  if (loaded.api == nullptr) *error = loaded.error;
  return loaded.api;
}

std::string TakeCairnMessage(const cairn_api_t* api, cairn_status_t status,
                             char* message) {
  std::string out = std::string(api->status_name(status)) + ": " +
                    (message != nullptr ? message : "(no message)");
  api->free_fn(message);
  return out;
}

}  // namespace cairn::sqlite
