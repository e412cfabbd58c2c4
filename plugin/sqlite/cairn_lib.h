// CairnLibrary: finds and loads libcairn.so.1 for the SQLite extension.
//
// The extension reaches Cairn exactly as any host does (SPEC D1): it
// dlopen()s the library and calls cairn_get_api(CAIRN_ABI_MAJOR). It does
// not link libcairn, so loading the extension never fails with a bare
// linker error: a missing or too old library becomes a SQLite error that
// says which file was tried. Search order:
//   1. $CAIRN_LIBRARY, when set (a full path);
//   2. libcairn.so.1 in the directory the extension was loaded from;
//   3. libcairn.so.1 on the dynamic loader's default path.
// The library is loaded once per process and never unloaded. Thread-safe.
#ifndef CAIRN_PLUGIN_SQLITE_CAIRN_LIB_H_
#define CAIRN_PLUGIN_SQLITE_CAIRN_LIB_H_

#include <string>

#include "cairn/cairn.h"

namespace cairn::sqlite {

// The ABI minor the extension needs (cairn_property and batches: 1.0).
inline constexpr uint32_t kNeededAbiMinor = 0;

// Returns the API table, or nullptr with *error set. `anchor` is any
// address inside the extension (used to find its directory).
const cairn_api_t* LoadCairn(const void* anchor, std::string* error);

// Takes a Cairn error message (frees it) and returns it with the status
// name, e.g. "CAIRN_BUSY: ... held by pid 42".
std::string TakeCairnMessage(const cairn_api_t* api, cairn_status_t status,
                             char* message);

}  // namespace cairn::sqlite

#endif  // CAIRN_PLUGIN_SQLITE_CAIRN_LIB_H_
