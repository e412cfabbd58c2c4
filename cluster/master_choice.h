// Master choice: which node a request goes to (SPEC C2, C4, B2). Pure
// functions of their arguments; thread-safe.
//
// Every choice works over the *available* nodes: configured, not tagged
// failed (SPEC C3) and serving. The Cluster (cluster.h) computes that set;
// these functions only rank and pick, so they are tested with hand-computed
// tables.
//
// Load (SPEC C4). Over the available nodes with a known status, each of W
// (capacity), C (cached bytes) and R (response time) is ranked 1..n:
//   rank_asc(W):  the smallest W gets 1, the largest n (more capacity wins);
//   rank_desc(C): the largest C gets 1, the smallest n (less data wins);
//   rank_desc(R): the slowest gets 1, the fastest n (faster wins);
// score = 0.25*rank(W) + 0.25*rank(C) + 0.50*rank(R); the highest score is
// master. Equal values share the mean of the ranks they span (fractional
// ranking: W = 5, 5, 9 rank 1.5, 1.5, 3), so a tie neither helps nor hurts
// a node against the others and the rank sum stays n(n+1)/2. Equal scores
// are broken by node id: the LOWER id wins. Scores are computed exactly (in
// eighths, integers) so ties are real ties, not rounding accidents.
//
// Hash. The node at index XXH3(key) mod (number of available nodes) of the
// available nodes sorted by id. When a node is tagged the modulus changes
// and most keys move, between every pair of nodes (the price of plain
// hashing; consistent_hash avoids it). Fallback order for retries: the
// choice with the failed node removed, repeatedly (the node the key goes to
// once the failed one is tagged).
//
// Consistent hash: rendezvous (highest random weight) hashing. Every node
// gets weight mix(XXH3(key), node id); the highest weight wins. Losing a
// node moves exactly that node's keys (each to its next-highest node), and
// its return moves exactly those keys back, whatever the order of losses:
// the owner is a function of the key and the available set only. (The
// engine's Ring, engine/ring/ring.h, moves the least relative to the
// previous table, so after several losses and returns its table depends on
// their history; a client choosing per request needs the history-free
// property, hence rendezvous.) Retry order: descending weight.
//
// Slots (SPEC B2): slot = XXH3(key) mod slots, then the slot table. A
// slot's node is the only candidate: when it is unavailable the request
// fails with Unavailable naming the slot and the node (no fallback: another
// node would take writes for a slot it is not primary of).
#ifndef CAIRN_CLUSTER_MASTER_CHOICE_H_
#define CAIRN_CLUSTER_MASTER_CHOICE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace cairn::cluster {

// The key hash every choice uses (XXH3-64, seed 0; stable across processes
// and machines).
uint64_t KeyHash(std::string_view key);

// One available node's last reported load.
struct LoadSample {
  uint32_t id = 0;
  uint64_t capacity = 0;      // W
  uint64_t cached_bytes = 0;  // C
  uint64_t response_us = 0;   // R
};

// A node's ranks and score; ranks are fractional (x.5 on ties).
struct LoadScore {
  uint32_t id = 0;
  double rank_w = 0;
  double rank_c = 0;
  double rank_r = 0;
  double score = 0;
};

// The samples ranked and scored, best first (score descending, then id
// ascending). Ids are expected distinct.
std::vector<LoadScore> RankByLoad(absl::Span<const LoadSample> samples);

// Hash: the chosen node, then the retry order (every available node once).
// `available` in any order; empty gives an empty result.
std::vector<uint32_t> HashOrder(uint64_t key_hash,
                                absl::Span<const uint32_t> available);

// Rendezvous weight of `node` for `key_hash`; the order is weight
// descending, then id ascending.
uint64_t RendezvousWeight(uint64_t key_hash, uint32_t node);
std::vector<uint32_t> RendezvousOrder(uint64_t key_hash,
                                      absl::Span<const uint32_t> available);

// The slot of a key hash among `slots` (> 0) slots.
inline uint32_t SlotOf(uint64_t key_hash, uint32_t slots) {
  return static_cast<uint32_t>(key_hash % slots);
}

}  // namespace cairn::cluster

#endif  // CAIRN_CLUSTER_MASTER_CHOICE_H_
