// Metrics computed from hand-made outcomes: JCT statistics, fairness, SLA, fragmentation.
#include <gtest/gtest.h>

#include "aisys/cluster/metrics.hpp"

namespace aisys::cluster {
namespace {

TEST(Metrics, QuantilesInterpolate) {
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0);
  EXPECT_DOUBLE_EQ(quantile({3, 1, 2}, 0.5), 2);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 1.0), 4);
  EXPECT_DOUBLE_EQ(quantile({10, 20}, 0.95), 19.5);
}

TEST(Metrics, FragmentationCountsFreeGpusTheNextGangCannotUse) {
  // Nodes of 8 GPUs with 3, 8, 1 and 0 free. A 4-GPU job can use only the node with 8 free:
  // (12 - 8) / 12. A 1-GPU job can use all. A 16-GPU job needs whole free nodes: 8 of 12 usable.
  const std::vector<int> free = {3, 8, 1, 0};
  EXPECT_DOUBLE_EQ(fragmentation(free, 8, 4), 4.0 / 12);
  EXPECT_DOUBLE_EQ(fragmentation(free, 8, 1), 0.0);
  EXPECT_DOUBLE_EQ(fragmentation(free, 8, 16), 4.0 / 12);
  EXPECT_DOUBLE_EQ(fragmentation(free, 8, 2), 1.0 / 12);
  EXPECT_DOUBLE_EQ(fragmentation({0, 0}, 8, 2), -1);
}

TEST(Metrics, FromHandMadeOutcomes) {
  TraceBuilder b;
  b.add("a", 0, "alice", "vc-a", 1, 100);  // runs 0..100: JCT 100, slowdown 1
  b.add("b", 0, "bob", "vc-b", 2, 100);    // waits until 100, runs 100..200: JCT 200
  b.add("c", 50, "bob", "vc-b", 1, 50);    // waits 50..200 (SLA 100 s missed), runs 200..250
  const Trace trace = std::move(b).build("hand");
  const Topology topo(TopologySpec{1, 1, 1, 1, 2});  // 2 GPUs, one node
  SimOptions opt;
  opt.sla_wait_s = 100;
  opt.vc_quota = {1, 2};
  SimResult r;
  r.policy = "hand";
  r.jobs.resize(3);
  r.jobs[0] = {0, 0, 100, 0, 0, kGpu, true};
  r.jobs[1] = {0, 100, 200, 100, 0, kSwitch, true};
  r.jobs[2] = {50, 200, 250, 150, 0, kGpu, true};
  r.busy_gpu_s = 100 + 200 + 50;
  r.events = 6;
  r.wall_s = 0.5;
  const Metrics m = compute_metrics(trace, topo, opt, r);
  EXPECT_DOUBLE_EQ(m.avg_jct_s, (100 + 200 + 200) / 3.0);
  EXPECT_DOUBLE_EQ(m.p50_jct_s, 200);
  EXPECT_DOUBLE_EQ(m.avg_queue_s, (0 + 100 + 150) / 3.0);
  EXPECT_DOUBLE_EQ(m.makespan_s, 250);
  EXPECT_DOUBLE_EQ(m.throughput_per_h, 3 / (250 / 3600.0));
  EXPECT_DOUBLE_EQ(m.utilization, 350 / (2 * 250.0));
  EXPECT_EQ(m.sla_misses_total, 1);
  EXPECT_EQ(m.sla_misses[1], 1);
  EXPECT_EQ(m.fits_in_node_jobs, 1);
  EXPECT_EQ(m.cross_node_jobs, 0);
  EXPECT_DOUBLE_EQ(m.events_per_s, 12);
  // Jain over users of mean duration/JCT: alice 1, bob (0.5 + 0.25) / 2 = 0.375.
  const double x1 = 1, x2 = 0.375;
  EXPECT_DOUBLE_EQ(m.jain_fairness, (x1 + x2) * (x1 + x2) / (2 * (x1 * x1 + x2 * x2)));
  // Finish-time fairness: at 0 two users are in the system (share 1 GPU each): a: 100 / 100,
  // b: 200 / (100 * 2) = 1; c arrives at 50 with alice and bob in: 200 / 50 = 4.
  EXPECT_DOUBLE_EQ(m.ftf_max, 4);
  EXPECT_DOUBLE_EQ(m.ftf_mean, (1 + 1 + 4) / 3.0);
  const auto j = to_json(m, trace);
  EXPECT_EQ(j["sla_misses"]["vc-b"], 1);
  EXPECT_EQ(j["policy"], "hand");
}

}  // namespace
}  // namespace aisys::cluster
