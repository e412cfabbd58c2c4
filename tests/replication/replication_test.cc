// Replication between Nodes in one process, over loopback.
#include <sys/stat.h>

#include <fstream>
#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replication/node.h"
#include "tests/replication/cluster_util.h"

namespace cairn::replication::testing {
namespace {

TEST(ReplicationTest, AsyncWritesReachEveryNode) {
  Cluster c(3);
  c.Open(1);
  c.Open(2);
  c.Open(3);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "k", "v1").ok());
  ASSERT_TRUE(c.node(2).Put(WriteOptions(), "j", "w2").ok());
  for (uint32_t id : {1u, 2u, 3u}) {
    EXPECT_TRUE(WaitFor([&] { return Read(c.node(id), "k") == "v1"; }))
        << "node " << id << ": " << Read(c.node(id), "k");
    EXPECT_TRUE(WaitFor([&] { return Read(c.node(id), "j") == "w2"; }))
        << "node " << id;
  }
  ASSERT_TRUE(c.node(3).Delete(WriteOptions(), "k").ok());
  for (uint32_t id : {1u, 2u}) {
    EXPECT_TRUE(WaitFor([&] { return Read(c.node(id), "k") == "<NOT_FOUND>"; }))
        << "node " << id << ": " << Read(c.node(id), "k");
  }
  // A batch arrives whole.
  WriteBatch b;
  for (int i = 0; i < 50; ++i) b.Put(absl::StrCat("b", i), absl::StrCat(i));
  ASSERT_TRUE(c.node(1).Write(WriteOptions(), b).ok());
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(3), "b49") == "49"; }));
  bool agree = false;
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<std::string> r =
        c.node(1).CompareWithPeers(absl::Seconds(5), &agree);
    return r.ok() && agree;
  }));
  nlohmann::json st = c.Status(1);
  EXPECT_EQ(st["node_id"], 1);
  EXPECT_EQ(st["peers"].size(), 2u);
  EXPECT_EQ(c.PeerStatus(1, 2)["state"], "up") << st.dump();
  // Peers that keep up are sent the writes from memory.
  const nlohmann::json& cache = st["send_cache"];
  EXPECT_EQ(cache["capacity_bytes"].get<uint64_t>(), 32u << 20) << st.dump();
  EXPECT_GT(cache["hits"].get<uint64_t>(), 0u) << st.dump();
  EXPECT_GT(cache["batches"].get<uint64_t>(), 0u) << st.dump();
  EXPECT_LE(cache["bytes"].get<uint64_t>(), 32u << 20) << st.dump();
}

TEST(ReplicationTest, APeerThatWasDownCatchesUpFromItsCursor) {
  Cluster c(2);
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "before", "1").ok());
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), "before") == "1"; }));
  const uint64_t resyncs = c.PeerStatus(1, 2)["resyncs"].get<uint64_t>();
  c.Close(2);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(
        c.node(1).Put(WriteOptions(), absl::StrCat("k", i), "x").ok());
  }
  EXPECT_GT(c.PeerStatus(1, 2)["lag_entries"].get<uint64_t>(), 0u);
  c.Open(2);
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), "k199") == "x"; }));
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(Read(c.node(2), absl::StrCat("k", i)), "x") << i;
  }
  EXPECT_TRUE(WaitFor([&] {
    return c.PeerStatus(1, 2)["lag_entries"].get<uint64_t>() == 0;
  }));
  // Replayed from its cursor, not resynced.
  EXPECT_EQ(c.PeerStatus(1, 2)["resyncs"].get<uint64_t>(), resyncs)
      << c.Status(1).dump();
}

// With no send cache every batch is read from the op log at a snapshot,
// which the sender reuses across batches while writes go on: overwrites and
// deletes made meanwhile still arrive, in order, and the nodes converge.
TEST(ReplicationTest, APeerSentFromTheLogWhileWritesGoOnConverges) {
  Cluster c(2, {{"replication.send_cache_mb", "0"},
                {"replication.batch_max_ops", "16"}});
  c.Open(1);
  c.Open(2);
  auto write_round = [&](int round) {
    for (int b = 0; b < 40; ++b) {
      WriteBatch batch;
      for (int i = 0; i < 10; ++i) {
        const int k = (b * 10 + i) % 300;  // every key written more than once
        if ((k + round) % 7 == 0) {
          batch.Delete(absl::StrCat("k", k));
        } else {
          batch.Put(absl::StrCat("k", k), absl::StrCat(round, "-", b, "-", i));
        }
      }
      ASSERT_TRUE(c.node(1).Write(WriteOptions(), batch).ok());
    }
  };
  write_round(0);
  c.Close(2);
  write_round(1);  // replayed from the log when node 2 returns ...
  c.Open(2);
  write_round(2);  // ... while these are written
  write_round(3);
  for (int k = 0; k < 300; ++k) {
    const std::string key = absl::StrCat("k", k);
    const std::string want = Read(c.node(1), key);
    EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), key) == want; }))
        << key << ": node 1 holds " << want << ", node 2 "
        << Read(c.node(2), key);
  }
  bool agree = false;
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<std::string> r =
        c.node(1).CompareWithPeers(absl::Seconds(5), &agree);
    return r.ok() && agree;
  }));
  const nlohmann::json st = c.Status(1);
  EXPECT_EQ(st["send_cache"]["capacity_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(st["send_cache"]["hits"].get<uint64_t>(), 0u) << st.dump();
}

// A node catching up on a peer's log differs from it in every bucket;
// its periodic digest comparison must wait until it holds what the peer had,
// or it pushes its whole database back to the peer (which skips every
// record). The horizon is off: the writes are seconds old at most, and a
// comparison that left them out would find nothing to push.
TEST(ReplicationTest, ANodeCatchingUpDoesNotPushItsDatabaseBack) {
  Cluster c(2, {{"replication.digest_interval_ms", "20"},
                {"replication.digest_horizon_ms", "0"},
                {"replication.heartbeat_ms", "20"}});
  // Node 1 sends one operation per round trip, so node 2 catches up slowly;
  // node 2's own sender keeps up (it only tells node 1 how far it got).
  const OptionList slow_sender = {{"replication.batch_max_ops", "1"},
                                  {"replication.inflight_max_batches", "1"}};
  c.Open(1, slow_sender);
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "first", "1").ok());
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), "first") == "1"; }));
  c.Close(2);
  constexpr int kKeys = 8000;
  for (int i = 0; i < kKeys; ++i) {
    ASSERT_TRUE(c.node(1).Put(WriteOptions(), absl::StrCat("k", i), "v").ok());
  }
  c.Open(2);
  const std::string last = absl::StrCat("k", kKeys - 1);
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), last) == "v"; },
                      absl::Seconds(60)));
  // Once caught up, the comparisons run and agree.
  EXPECT_TRUE(WaitFor([&] {
    const nlohmann::json p = c.PeerStatus(2, 1);
    return p.contains("digest") && p["digest"].is_object() &&
           p["digest"]["agree"] == true;
  })) << c.Status(2).dump();
  const nlohmann::json in = c.PeerStatus(1, 2)["inbound"];
  EXPECT_EQ(in["ops_skipped"].get<uint64_t>(), 0u)
      << "node 2 pushed records node 1 already held: " << c.Status(1).dump();
  EXPECT_EQ(in["ops_applied"].get<uint64_t>(), 0u) << c.Status(1).dump();
}

// With coalescing a partial batch waits for the one in flight to be
// acknowledged; without it, it leaves at once. Either way every write
// arrives.
TEST(ReplicationTest, CoalescingHoldsPartialBatchesForTheAckInFlight) {
  for (const char* coalesce : {"true", "false"}) {
    SCOPED_TRACE(std::string("replication.coalesce=") + coalesce);
    Cluster c(2, {{"replication.coalesce", coalesce}});
    c.Open(1);
    c.Open(2);
    // Node 1 learns of node 2 when it opens and starts with a resync; writes
    // made before that link is up would travel in the resync's snapshot and
    // leave no partial batch to hold (as a slow sanitized run showed).
    ASSERT_TRUE(c.node(1).Put(WriteOptions(), "warm", "up").ok());
    ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), "warm") == "up"; }));
    ASSERT_TRUE(WaitFor([&] {
      const nlohmann::json p = c.PeerStatus(1, 2);
      return p["state"] == "up" && p["lag_entries"] == 0;
    })) << c.Status(1).dump();
    constexpr int kPuts = 3000;
    for (int i = 0; i < kPuts; ++i) {
      ASSERT_TRUE(
          c.node(1).Put(WriteOptions(), absl::StrCat("c", i), "v").ok());
    }
    const std::string last = absl::StrCat("c", kPuts - 1);
    ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), last) == "v"; }));
    for (int i = 0; i < kPuts; i += 97) {
      EXPECT_EQ(Read(c.node(2), absl::StrCat("c", i)), "v") << i;
    }
    const nlohmann::json p = c.PeerStatus(1, 2);
    if (std::string(coalesce) == "true") {
      EXPECT_GT(p["coalesced_waits"].get<uint64_t>(), 0u) << p.dump();
    } else {
      EXPECT_EQ(p["coalesced_waits"].get<uint64_t>(), 0u) << p.dump();
    }
  }
}

// A sender that sent everything while writes keep coming lets them gather
// (replication.max_send_delay_us) instead of being woken by each commit;
// a sync write does not wait for that: it kicks the sender. Here the delay
// (3 s, within the 10 s heartbeat that bounds it) is longer than the sync
// timeout (2 s), so a sync write that waited for it would time out.
TEST(ReplicationTest, AGatheringSenderSendsSyncWritesAtOnce) {
  Cluster c(2, {{"replication.max_send_delay_us", "3000000"},
                {"replication.heartbeat_ms", "10000"},
                {"replication.sync_timeout_ms", "2000"},
                {"replication.coalesce", "false"}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(1, 2)["state"] == "up"; }));
  constexpr int kPuts = 2000;
  for (int i = 0; i < kPuts; ++i) {
    ASSERT_TRUE(c.node(1).Put(WriteOptions(), absl::StrCat("g", i), "v").ok());
  }
  // Every write arrives, the last ones after at most the delay.
  const std::string last = absl::StrCat("g", kPuts - 1);
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), last) == "v"; }));
  const nlohmann::json p = c.PeerStatus(1, 2);
  EXPECT_GT(p["gathered_waits"].get<uint64_t>(), 0u) << p.dump();
  // The sender now gathers for 3 s; a sync write still returns acknowledged.
  ReplicaWrite sync;
  sync.mode = ReplicationMode::kSync;
  for (int i = 0; i < 3; ++i) {
    absl::Status s =
        c.node(1).Put(WriteOptions(), absl::StrCat("s", i), "1", sync);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(Read(c.node(2), absl::StrCat("s", i)), "1");
    // An async write between them starts the sender gathering again.
    ASSERT_TRUE(c.node(1).Put(WriteOptions(), absl::StrCat("a", i), "v").ok());
  }
}

TEST(ReplicationTest, SyncWritesWaitForTheAckAndTimeOutNamingThePeer) {
  Cluster c(2, {{"replication.mode", "sync"},
                {"replication.sync_timeout_ms", "300"}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(1, 2)["state"] == "up"; }));
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "s", "1").ok());
  // Acknowledged durably: the peer has it already.
  EXPECT_EQ(Read(c.node(2), "s"), "1");
  c.Close(2);
  absl::Status s = c.node(1).Put(WriteOptions(), "t", "2");
  EXPECT_TRUE(absl::IsDeadlineExceeded(s) || absl::IsUnavailable(s)) << s;
  EXPECT_NE(s.message().find("durable locally"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("node(s) 2"), std::string_view::npos) << s;
  // Still written here, and delivered once the peer returns.
  EXPECT_EQ(Read(c.node(1), "t"), "2");
  c.Open(2);
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), "t") == "2"; }));
  // A per-write override: async on a sync node returns at once.
  c.Close(2);
  ReplicaWrite async;
  async.mode = ReplicationMode::kAsync;
  EXPECT_TRUE(c.node(1).Put(WriteOptions(), "u", "3", async).ok());
}

TEST(ReplicationTest, SyncAcknowledgementsAreAsDurableAsTheWrite) {
  // sync_durability=match: a sync-mode write without the sync flag returns
  // once the peer applied it (in its log), without waiting for its fsync;
  // with the flag, once the peer fsynced it.
  Cluster c(2, {{"replication.mode", "sync"}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(1, 2)["state"] == "up"; }));
  // The first write may reach the peer through its initial resync, whose
  // end is durable; the second is streamed.
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "warm", "0").ok());
  const uint64_t warm_seq = c.node(1).engine().LastSequence();
  ASSERT_TRUE(WaitFor([&] {
    nlohmann::json st = c.PeerStatus(1, 2);
    return st["acked_sequence"].get<uint64_t>() >= warm_seq &&
           !st["resync_in_progress"].get<bool>();
  }));
  const uint64_t durable_before =
      c.PeerStatus(1, 2)["durable_sequence"].get<uint64_t>();
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "a", "1").ok());
  EXPECT_EQ(Read(c.node(2), "a"), "1");
  const uint64_t applied_seq = c.node(1).engine().LastSequence();
  nlohmann::json st = c.PeerStatus(1, 2);
  EXPECT_GE(st["acked_sequence"].get<uint64_t>(), applied_seq);
  EXPECT_EQ(st["durable_sequence"].get<uint64_t>(), durable_before) << st;
  EXPECT_LT(st["durable_sequence"].get<uint64_t>(), applied_seq) << st;
  WriteOptions durable;
  durable.sync = true;
  ASSERT_TRUE(c.node(1).Put(durable, "b", "2").ok());
  EXPECT_GE(c.PeerStatus(1, 2)["durable_sequence"].get<uint64_t>(),
            c.node(1).engine().LastSequence());
}

TEST(ReplicationTest, SyncDurabilityFsyncMakesEveryAckDurable) {
  Cluster c(2, {{"replication.mode", "sync"},
                {"replication.sync_durability", "fsync"}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(1, 2)["state"] == "up"; }));
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "a", "1").ok());
  EXPECT_GE(c.PeerStatus(1, 2)["durable_sequence"].get<uint64_t>(),
            c.node(1).engine().LastSequence());
}

TEST(ReplicationTest, PerWriteSyncOnAnAsyncNode) {
  Cluster c(3);
  c.Open(1);
  c.Open(2);
  c.Open(3);
  ReplicaWrite all;
  all.mode = ReplicationMode::kSync;
  all.sync_acks = kSyncAcksAll;
  ASSERT_TRUE(WaitFor([&] {
    return c.PeerStatus(1, 2)["state"] == "up" &&
           c.PeerStatus(1, 3)["state"] == "up";
  }));
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "a", "1", all).ok());
  EXPECT_EQ(Read(c.node(2), "a"), "1");
  EXPECT_EQ(Read(c.node(3), "a"), "1");
  ReplicaWrite four;
  four.mode = ReplicationMode::kSync;
  four.sync_acks = 4;
  absl::Status s = c.node(1).Put(WriteOptions(), "b", "2", four);
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
}

TEST(ReplicationTest, ResyncOnRequestAndAfterTheLogWasTrimmed) {
  Cluster c(2);
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "a", "1").ok());
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), "a") == "1"; }));
  const uint64_t resyncs = c.PeerStatus(1, 2)["resyncs"].get<uint64_t>();
  c.Close(2);
  // The log is trimmed past node 2's cursor while it is away (as retention
  // does once the hold passes replication.log_retention_mb).
  const std::string big(16 << 10, 'v');
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(c.node(1).Put(WriteOptions(), absl::StrCat("big", i), big).ok());
  }
  ASSERT_TRUE(c.node(1).engine().TrimOpLog(c.node(1).engine().LastSequence() - 10).ok());
  c.Open(2);
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(WaitFor([&] {
      return Read(c.node(2), absl::StrCat("big", i)).size() == big.size();
    })) << "big" << i;
  }
  EXPECT_GT(c.PeerStatus(1, 2)["resyncs"].get<uint64_t>(), resyncs);
  // Writes after the resync flow as usual.
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "after", "1").ok());
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), "after") == "1"; }));
  // An explicit resync.
  const uint64_t before = c.PeerStatus(1, 2)["resyncs"].get<uint64_t>();
  ASSERT_TRUE(c.node(1).ResyncPeer(2).ok());
  EXPECT_TRUE(WaitFor([&] {
    return c.PeerStatus(1, 2)["resyncs"].get<uint64_t>() > before &&
           c.PeerStatus(1, 2)["state"] == "up";
  }));
  EXPECT_TRUE(absl::IsNotFound(c.node(1).ResyncPeer(9)));
}

// Keys longer than a Welcome may carry (it travels before authentication,
// under a 4 KiB cap): the resume point is sent as a prefix.
std::string LongKey(int i) {
  return std::string(5000, 'k') + absl::StrCat(1000 + i);
}

TEST(ReplicationTest, AnInterruptedResyncResumesByKeyUnderConcurrentWrites) {
  // 1 MiB/s: the 3 MiB stream takes about three seconds.
  Cluster c(2, {{"replication.resync_rate_mb", "1"},
                {"replication.batch_max_bytes", "65536"}});
  c.Open(1);
  const std::string value(8 << 10, 'r');
  for (int i = 0; i < 384; ++i) {
    ASSERT_TRUE(
        c.node(1).Put(WriteOptions(), LongKey(i), value).ok());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load() && i < 100000; ++i) {
      ASSERT_TRUE(c.node(1)
                      .Put(WriteOptions(), absl::StrCat("live", i),
                           absl::StrCat(i))
                      .ok());
      written.store(i + 1);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  c.Open(2);  // a new peer: a full resync
  ASSERT_TRUE(WaitFor([&] {
    return c.PeerStatus(1, 2)["resync_in_progress"] == true;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  c.Close(2);  // mid-stream
  c.Open(2);
  EXPECT_TRUE(WaitFor([&] {
    return c.PeerStatus(1, 2)["resyncs_resumed"].get<uint64_t>() >= 1;
  })) << c.Status(1).dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop.store(true);
  writer.join();
  const int n = written.load();
  for (int i = 0; i < 384; ++i) {
    ASSERT_TRUE(WaitFor([&] {
      return Read(c.node(2), LongKey(i)).size() == value.size();
    })) << i;
  }
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(WaitFor([&] {
      return Read(c.node(2), absl::StrCat("live", i)) == absl::StrCat(i);
    })) << "live" << i;
  }
  bool agree = false;
  EXPECT_TRUE(WaitFor([&] {
    return c.node(1).CompareWithPeers(absl::Seconds(5), &agree).ok() && agree;
  }));
}

// Tombstones go only once every peer acknowledged them: a delete survives a
// peer that was down across the purge, and nothing comes back to life.
TEST(ReplicationTest, TombstonesArePurgedOnlyAfterEveryPeerHasThem) {
  Cluster c(3, {{"replication.tombstone_grace_ms", "0"}});
  c.Open(1);
  c.Open(2);
  c.Open(3);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "doomed", "alive").ok());
  for (uint32_t id : {2u, 3u}) {
    ASSERT_TRUE(WaitFor([&] { return Read(c.node(id), "doomed") == "alive"; }));
  }
  c.Close(3);
  ASSERT_TRUE(c.node(1).Delete(WriteOptions(), "doomed").ok());
  ASSERT_TRUE(
      WaitFor([&] { return Read(c.node(2), "doomed") == "<NOT_FOUND>"; }));
  // Node 3 has not acknowledged the delete: the tombstone stays on 1 and 2
  // (past the probe margin, so a purge would have run by now).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  for (uint32_t id : {1u, 2u}) {
    absl::StatusOr<Record> r =
        c.node(id).engine().GetRecord(ReadOptions(), "doomed");
    ASSERT_TRUE(r.ok()) << "node " << id << ": " << r.status();
    EXPECT_EQ(r->kind, OpKind::kDelete);
  }
  c.Open(3);  // still holding the live value
  EXPECT_TRUE(
      WaitFor([&] { return Read(c.node(3), "doomed") == "<NOT_FOUND>"; }));
  // Now every peer has it: purged everywhere, and nothing resurrected.
  for (uint32_t id : {1u, 2u, 3u}) {
    EXPECT_TRUE(WaitFor([&] {
      return absl::IsNotFound(
          c.node(id).engine().GetRecord(ReadOptions(), "doomed").status());
    })) << "node " << id << " " << c.Status(id).dump();
  }
  for (uint32_t id : {1u, 2u, 3u}) {
    bool agree = false;
    EXPECT_TRUE(WaitFor([&] {
      return c.node(id).CompareWithPeers(absl::Seconds(5), &agree).ok() &&
             agree;
    }));
    EXPECT_EQ(Read(c.node(id), "doomed"), "<NOT_FOUND>") << id;
  }
  EXPECT_GE(c.Status(1)["tombstones_purged"].get<uint64_t>(), 1u);
}

TEST(ReplicationTest, CompareFindsAndRepairsADivergence) {
  Cluster c(2);
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(2, 1)["state"] == "up"; }));
  // A record on node 2 that claims to come from node 1: the relay never
  // sends it back to node 1, so only anti-entropy can find it.
  ReceivedOp op{OpKind::kPut, Version{(uint64_t{1} << 40), 1}, "ghost", "g"};
  ASSERT_TRUE(c.node(2).engine().Apply(WriteOptions(), 1, {&op, 1}).ok());
  EXPECT_EQ(Read(c.node(1), "ghost"), "<NOT_FOUND>");
  bool agree = true;
  absl::StatusOr<std::string> report =
      c.node(2).CompareWithPeers(absl::Seconds(5), &agree);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(agree) << *report;
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(1), "ghost") == "g"; }));
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<std::string> r =
        c.node(2).CompareWithPeers(absl::Seconds(5), &agree);
    return r.ok() && agree;
  }));
}

// Periodic comparisons leave out the records written within
// replication.digest_horizon_ms: under steady writes they push nothing the
// peer already has, yet still repair an old divergence. An on-demand
// comparison covers every record.
TEST(ReplicationTest, PeriodicComparisonsLeaveOutRecentWrites) {
  // A horizon longer than any wait below, so the recent record stays
  // recent however slow the machine (a sanitizer build, a busy CI host).
  Cluster c(2, {{"replication.digest_interval_ms", "20"},
                {"replication.heartbeat_ms", "20"},
                {"replication.digest_horizon_ms", "120000"}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(WaitFor([&] { return c.PeerStatus(2, 1)["state"] == "up"; }));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 200000 && !stop.load(); ++i) {
      (void)c.node(1).Put(WriteOptions(), absl::StrCat("w", i % 5000), "v");
    }
  });
  // Records on node 2 that claim to come from node 1: the relay never sends
  // them back, so only anti-entropy can find them. One is recent, one old.
  const uint64_t now_hlc = HybridClock().Now();
  const uint64_t old_hlc = now_hlc - (uint64_t{600000} << 16);  // 10 min
  ReceivedOp recent{OpKind::kPut, Version{now_hlc, 1}, "ghost-new", "n"};
  ReceivedOp old{OpKind::kPut, Version{old_hlc, 1}, "ghost-old", "o"};
  ASSERT_TRUE(c.node(2).engine().Apply(WriteOptions(), 1, {&recent, 1}).ok());
  ASSERT_TRUE(c.node(2).engine().Apply(WriteOptions(), 1, {&old, 1}).ok());
  const bool repaired =
      WaitFor([&] { return Read(c.node(1), "ghost-old") == "o"; });
  stop.store(true);
  writer.join();
  ASSERT_TRUE(repaired) << c.Status(2).dump();
  EXPECT_EQ(Read(c.node(1), "ghost-new"), "<NOT_FOUND>");
  const nlohmann::json in = c.PeerStatus(1, 2)["inbound"];
  EXPECT_EQ(in["ops_skipped"].get<uint64_t>(), 0u)
      << "node 2 pushed records node 1 already held: " << c.Status(1).dump();

  bool agree = true;
  absl::StatusOr<std::string> report =
      c.node(2).CompareWithPeers(absl::Seconds(5), &agree);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(1), "ghost-new") == "n"; }))
      << *report;
}

TEST(ReplicationTest, PeersAddedAndRemovedAtRunTime) {
  Cluster c(2);
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "x", "1").ok());
  ASSERT_TRUE(WaitFor([&] { return Read(c.node(2), "x") == "1"; }));
  EXPECT_TRUE(absl::IsAlreadyExists(
      c.node(1).AddPeer(absl::StrCat("2@127.0.0.1:", c.port(2)))));
  EXPECT_TRUE(absl::IsInvalidArgument(c.node(1).AddPeer("1@127.0.0.1:9")));
  EXPECT_TRUE(absl::IsInvalidArgument(c.node(1).AddPeer("two@127.0.0.1:9")));
  ASSERT_TRUE(c.node(1).RemovePeer(2).ok());
  EXPECT_TRUE(absl::IsNotFound(c.node(1).RemovePeer(2)));
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "y", "1").ok());
  EXPECT_EQ(c.Status(1)["peers"].size(), 0u);
}

TEST(ReplicationTest, AHandshakeWithTheWrongNodeIsRefused) {
  Cluster c(2);
  c.Open(2);
  // Node 1 believes node 3 listens where node 2 does.
  c.Open(1, {{"replication.peers", absl::StrCat("3@127.0.0.1:", c.port(2))}});
  EXPECT_TRUE(WaitFor([&] {
    std::string e = c.PeerStatus(1, 3)["last_error"];
    return e.find("is node 2, but the peer list says node 3") !=
           std::string::npos;
  })) << c.Status(1).dump();
}

std::string WriteSecret(const std::string& dir, const std::string& name,
                        const std::string& secret, mode_t mode) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << secret;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(ReplicationTest, SecretsAuthenticateAndAWrongOneIsRefused) {
  cairn::testing::TempDir dir;
  std::string good = WriteSecret(dir.path(), "good", "0123456789abcdef-good", 0600);
  std::string bad = WriteSecret(dir.path(), "bad", "0123456789abcdef-bad!", 0600);
  Cluster c(3, {{"replication.secret_file", good}});
  c.Open(1);
  c.Open(2);
  ASSERT_TRUE(c.node(1).Put(WriteOptions(), "k", "v").ok());
  EXPECT_TRUE(WaitFor([&] { return Read(c.node(2), "k") == "v"; }));
  EXPECT_TRUE(c.Status(1)["authenticated"].get<bool>());
  c.Open(3, {{"replication.secret_file", bad}});
  EXPECT_TRUE(WaitFor([&] {
    std::string e = c.PeerStatus(3, 1)["last_error"];
    return e.find("secret") != std::string::npos;
  })) << c.Status(3).dump();
  EXPECT_EQ(Read(c.node(3), "k"), "<NOT_FOUND>");
}

TEST(ReplicationOptionsTest, BadOptionsFailTheOpenNamingTheCulprit) {
  cairn::testing::TempDir dir;
  auto open = [&](const OptionList& opts) {
    NodeOptions o;
    o.engine.create_if_missing = true;
    for (auto& [k, v] : opts) {
      absl::Status s = SetNodeOption(&o, k, v);
      if (!s.ok()) return s;
    }
    return Node::Open(o, dir.Sub("db")).status();
  };
  struct Case {
    OptionList opts;
    std::string expect;
  } cases[] = {
      {{{"replication.node_id", "1"},
        {"replication.peers", "2@127.0.0.1:1,2@127.0.0.1:2"}},
       "peer id 2 appears twice"},
      {{{"replication.node_id", "1"}, {"replication.peers", "1@127.0.0.1:1"}},
       "this node's own replication.node_id"},
      {{{"replication.node_id", "1"}, {"replication.peers", "2@nowhere:1"}},
       "not an IP address"},
      {{{"replication.node_id", "1"}, {"replication.peers", "2@127.0.0.1"}},
       "expected host:port"},
      {{{"replication.node_id", "1"}, {"replication.listen", "0.0.0.0:0"}},
       "needs replication.secret_file"},
      {{{"replication.node_id", "1"}, {"replication.sync_acks", "most"}},
       "replication.sync_acks"},
      {{{"replication.node_id", "1"},
        {"replication.failed_task_policy", "retry:x"}},
       "replication.failed_task_policy"},
      {{{"replication.peers", "2@127.0.0.1:1"}}, "replication.node_id set"},
  };
  for (const Case& k : cases) {
    absl::Status s = open(k.opts);
    EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
    EXPECT_NE(s.message().find(k.expect), std::string_view::npos)
        << s.message() << " (expected '" << k.expect << "')";
  }
  std::string loose =
      WriteSecret(dir.path(), "loose", "0123456789abcdef-loose", 0644);
  absl::Status s =
      open({{"replication.node_id", "1"}, {"replication.secret_file", loose}});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("permissions too loose"), std::string_view::npos)
      << s;
}

}  // namespace
}  // namespace cairn::replication::testing
