// C ABI: library identity, cairn_free, and the plugin's function table.
#include <stdlib.h>

#include "cairn/cairn.h"

extern "C" {

const char* cairn_status_name(cairn_status_t status) {
  switch (status) {
    case CAIRN_OK:
      return "OK";
    case CAIRN_NOT_FOUND:
      return "NOT_FOUND";
    case CAIRN_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case CAIRN_IO_ERROR:
      return "IO_ERROR";
    case CAIRN_CORRUPTION:
      return "CORRUPTION";
    case CAIRN_BUSY:
      return "BUSY";
    case CAIRN_UNAVAILABLE:
      return "UNAVAILABLE";
    case CAIRN_TIMEOUT:
      return "TIMEOUT";
    case CAIRN_NOT_SUPPORTED:
      return "NOT_SUPPORTED";
    case CAIRN_INTERNAL:
      return "INTERNAL";
  }
  return "UNKNOWN_STATUS";
}

void cairn_free(void* ptr) { free(ptr); }

uint32_t cairn_abi_major(void) { return CAIRN_ABI_MAJOR; }
uint32_t cairn_abi_minor(void) { return CAIRN_ABI_MINOR; }
const char* cairn_version(void) { return CAIRN_VERSION_STRING; }

static const cairn_api_t kApi = {
    sizeof(cairn_api_t),
    CAIRN_ABI_MINOR,
    cairn_status_name,
    cairn_free,
    cairn_abi_major,
    cairn_abi_minor,
    cairn_version,
    cairn_options_create,
    cairn_options_destroy,
    cairn_options_set,
    cairn_options_get,
    cairn_open,
    cairn_close,
    cairn_destroy,
    cairn_readoptions_create,
    cairn_readoptions_destroy,
    cairn_readoptions_set_snapshot,
    cairn_readoptions_set_lower_bound,
    cairn_readoptions_set_upper_bound,
    cairn_readoptions_set_verify_checksums,
    cairn_readoptions_set_fill_cache,
    cairn_writeoptions_create,
    cairn_writeoptions_destroy,
    cairn_writeoptions_set_sync,
    cairn_put,
    cairn_delete,
    cairn_get,
    cairn_writebatch_create,
    cairn_writebatch_destroy,
    cairn_writebatch_put,
    cairn_writebatch_delete,
    cairn_writebatch_clear,
    cairn_writebatch_count,
    cairn_write,
    cairn_iter_create,
    cairn_iter_destroy,
    cairn_iter_seek_to_first,
    cairn_iter_seek_to_last,
    cairn_iter_seek,
    cairn_iter_seek_for_prev,
    cairn_iter_next,
    cairn_iter_prev,
    cairn_iter_valid,
    cairn_iter_key,
    cairn_iter_value,
    cairn_iter_status,
    cairn_snapshot_create,
    cairn_snapshot_release,
    cairn_property,
    cairn_cache_add_instance,
    cairn_cache_remove_instance,
    cairn_cache_transfer,
    /* ABI 1.2: shared-memory orphan reclaim */
    cairn_gc_segments,
    cairn_readoptions_set_include_deleted,
    cairn_iter_deleted,
    cairn_iter_version,
    cairn_writebatch_put_versioned,
    cairn_writebatch_delete_versioned,
    cairn_property_int,
    cairn_compact_range,
    /* ABI 1.2: maintenance and batch sizes (compact_range is above) */
    cairn_approximate_sizes,
    cairn_repair,
    cairn_writebatch_append,
    cairn_writebatch_approximate_size,
    /* ABI 1.2: checking a database */
    cairn_check,
    /* ABI 1.2: reads without allocation */
    cairn_get_into,
    cairn_multi_get,
    /* ABI 1.3: replication */
    cairn_writeoptions_set_replication_mode,
    cairn_writeoptions_set_sync_acks,
    cairn_peer_add,
    cairn_peer_remove,
    cairn_peer_resync,
    cairn_replication_compare,
    /* ABI 1.4: cluster client */
    cairn_cluster_open,
    cairn_cluster_close,
    cairn_cluster_put,
    cairn_cluster_delete,
    cairn_cluster_get,
    cairn_cluster_write,
    cairn_cluster_scan,
    cairn_cluster_nodes,
    cairn_cluster_stats,
    cairn_cluster_audit,
};

const cairn_api_t* cairn_get_api(uint32_t abi_major) {
  return abi_major == CAIRN_ABI_MAJOR ? &kApi : nullptr;
}

}  // extern "C"
