// Query planning: which key constraints and ORDER BY the cursor takes over.
//
// Only constraints on `key` with SQLite's BINARY collation are used: under
// BINARY, SQLite orders TEXT and BLOB keys exactly as Cairn orders their
// stored form (row_codec.h). Nothing is marked "omit", so SQLite re-checks
// each row and the plan can only narrow the scan, never change the answer.
//
// One subtlety: when the other operand has a numeric affinity (a column of
// another table, a CAST), SQLite converts numeric-looking TEXT keys to
// numbers before comparing, so `key = 5` can match '5' and '5.0', and
// `key < 'abc'` matches '7' whatever its bytes. CursorFilter handles both
// (a numeric bound scans; a TEXT upper bound keeps numeric-looking keys in
// range). The plan still claims "at most one row" for key equality, which
// lets UPDATE and DELETE by key run in one pass (3x faster); the price is
// that such a statement whose right side has a numeric affinity changes
// only the first of several keys that convert to the same number ('5' and
// '05'), where a native table changes all of them.
//
// `key IN (...)` is, where SQLite allows it (3.38+, sqlite3_vtab_in), one
// xFilter with the whole list: the cursor reads the listed keys in batches
// (cairn_multi_get) instead of one point read per xFilter. Otherwise SQLite
// passes the values one at a time as key equalities.
#include <sqlite3ext.h>

#include <cstring>

#include "plugin/sqlite/vtab.h"

namespace cairn::sqlite {
namespace {

// Rough row count of a full scan; only the ratios between plans matter.
constexpr double kFullScanRows = 1e6;
// Rough length of an IN list (SQLite does not tell xBestIndex).
constexpr double kInListRows = 16;

bool IsBinary(sqlite3_index_info* info, int i) {
  const char* coll = sqlite3_vtab_collation(info, i);
  return coll == nullptr || sqlite3_stricmp(coll, "BINARY") == 0;
}

// Whether constraint i is `key IN (...)` that SQLite can hand to one
// xFilter as a whole list (sqlite3_vtab_in, SQLite 3.38). The extension may
// be loaded into an older SQLite, whose API table has no sqlite3_vtab_in:
// then, or with a libcairn older than ABI 1.2 (no multi_get), SQLite feeds
// the IN values one per xFilter as key equalities.
bool CanBatchIn(const CairnTable* table, sqlite3_index_info* info, int i) {
#if SQLITE_VERSION_NUMBER >= 3038000
  return sqlite3_libversion_number() >= 3038000 &&
         table->api()->abi_minor >= 2 && sqlite3_vtab_in(info, i, -1) != 0;
#else
  (void)table, (void)info, (void)i;
  return false;
#endif
}

}  // namespace

int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const auto* table = static_cast<const CairnTable*>(vtab);
  int eq = -1, in = -1, lower = -1, upper = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn != 0 || !IsBinary(info, i)) continue;
    switch (c.op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
        if (CanBatchIn(table, info, i)) {
          if (in < 0) in = i;
        } else if (eq < 0) {
          eq = i;
        }
        break;
      case SQLITE_INDEX_CONSTRAINT_GT:
      case SQLITE_INDEX_CONSTRAINT_GE:
        if (lower < 0) lower = i;
        break;
      case SQLITE_INDEX_CONSTRAINT_LT:
      case SQLITE_INDEX_CONSTRAINT_LE:
        if (upper < 0) upper = i;
        break;
      default:
        break;
    }
  }

  int plan = 0;
  double rows = kFullScanRows;
  if (eq >= 0) {
    plan = kPlanEq;
    info->aConstraintUsage[eq].argvIndex = 1;
    rows = 1;
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else if (in >= 0) {
    // All the listed keys in one xFilter, read as batches. Several rows:
    // never SQLITE_INDEX_SCAN_UNIQUE. The cursor sorts the keys, so ORDER
    // BY key stays consumed (below).
    plan = kPlanIn;
    info->aConstraintUsage[in].argvIndex = 1;
#if SQLITE_VERSION_NUMBER >= 3038000
    sqlite3_vtab_in(info, in, 1);
#endif
    rows = kInListRows;
  } else {
    int next_arg = 1;
    if (lower >= 0) {
      plan |= kPlanLower;
      if (info->aConstraint[lower].op == SQLITE_INDEX_CONSTRAINT_GT) {
        plan |= kPlanLowerOpen;
      }
      info->aConstraintUsage[lower].argvIndex = next_arg++;
      rows /= 4;
    }
    if (upper >= 0) {
      plan |= kPlanUpper;
      if (info->aConstraint[upper].op == SQLITE_INDEX_CONSTRAINT_LT) {
        plan |= kPlanUpperOpen;
      }
      info->aConstraintUsage[upper].argvIndex = next_arg++;
      rows /= 4;
    }
  }
  // ORDER BY key [DESC] comes straight out of the cursor. (SQLite passes an
  // ORDER BY term here only when it uses the column's own collation.)
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == 0) {
    info->orderByConsumed = 1;
    if (info->aOrderBy[0].desc) plan |= kPlanDesc;
  }
  info->idxNum = plan;
  info->estimatedRows = static_cast<sqlite3_int64>(rows);
  // A point read is one cache or LevelDB lookup; a scan step is cheaper
  // per row than a lookup but there are many.
  info->estimatedCost = plan & kPlanEq   ? 10.0
                        : plan & kPlanIn ? 10.0 + 2 * rows
                                         : 10.0 + rows;
  return SQLITE_OK;
}

}  // namespace cairn::sqlite
