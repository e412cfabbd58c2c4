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
#include <sqlite3ext.h>

#include <cstring>

#include "plugin/sqlite/vtab.h"

namespace cairn::sqlite {
namespace {

// Rough row count of a full scan; only the ratios between plans matter.
constexpr double kFullScanRows = 1e6;

bool IsBinary(sqlite3_index_info* info, int i) {
  const char* coll = sqlite3_vtab_collation(info, i);
  return coll == nullptr || sqlite3_stricmp(coll, "BINARY") == 0;
}

}  // namespace

int BestIndex(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  int eq = -1, lower = -1, upper = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn != 0 || !IsBinary(info, i)) continue;
    switch (c.op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
        if (eq < 0) eq = i;
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
  info->estimatedCost = plan & kPlanEq ? 10.0 : 10.0 + rows;
  return SQLITE_OK;
}

}  // namespace cairn::sqlite
