// cairn_write of a batch built with cairn_writebatch_*_versioned: its
// records keep their versions and go through the node's version-guarded
// Load (replication::Node::Load, Db::Apply). Internal to the plugin.
#ifndef CAIRN_PLUGIN_VERSIONED_BATCH_H_
#define CAIRN_PLUGIN_VERSIONED_BATCH_H_

#include "cairn/cairn.h"

namespace cairn::plugin {

// `db` and `batch` are not NULL; the batch holds versioned operations.
// A batch that also holds unversioned ones is CAIRN_INVALID_ARGUMENT.
cairn_status_t ApplyVersionedBatch(cairn_db_t* db,
                                   const cairn_writeoptions_t* options,
                                   const cairn_writebatch_t* batch,
                                   char** errmsg);

}  // namespace cairn::plugin

#endif  // CAIRN_PLUGIN_VERSIONED_BATCH_H_
