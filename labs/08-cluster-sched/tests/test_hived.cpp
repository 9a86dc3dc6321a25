// Part 4: HiveD buddy cells and virtual-cluster quotas. GPU choices and times below are worked out
// by hand from include/aisys/lab08/policies.hpp.
#include "policy_test_support.hpp"

namespace aisys::lab08::testing {
namespace {

// Two nodes of 4 GPUs (2 switches of 2): cells of 1, 2 and 4 GPUs. VC a and VC b: a node each.
SimOptions two_vcs() {
  SimOptions o = hand_options(false);
  o.vc_quota = {4, 4};
  return o;
}

TEST(Hived, BuddyCellsInsideTheVcsNode) {
  // j0 (a, 1 GPU): VC a binds node 0, cell GPU 0. j1 (a, 2 GPUs): the free switch cell 2-3 (0-1
  // is split). j2 (a, 1 GPU): GPU 1, in the split switch cell, not a fresh one. j3 (a, 1 GPU):
  // VC a's one node is full and its quota is one node: it waits for GPU 0 (j0 ends at 100).
  // j4 (b, 4 GPUs): VC b binds node 1 and starts at once.
  const Trace trace = hand_trace({{0, 1, 100, "u", "vc-a"}, {1, 2, 100, "u", "vc-a"}, {2, 1, 100, "u", "vc-a"},
                                  {3, 1, 10, "u", "vc-a"}, {4, 4, 50, "v", "vc-b"}});
  auto hived = make_hived();
  const SimResult r = run_checked(trace, topo(1, 2, 1, 2, 2), *hived, two_vcs());
  EXPECT_EQ(gpus_of(r, 0), (std::vector<int>{0}));
  EXPECT_EQ(gpus_of(r, 1), (std::vector<int>{2, 3}));
  EXPECT_EQ(gpus_of(r, 2), (std::vector<int>{1}));
  EXPECT_EQ(gpus_of(r, 3), (std::vector<int>{0}));
  EXPECT_EQ(gpus_of(r, 4), (std::vector<int>{4, 5, 6, 7}));
  expect_job(r, 3, 100, 110, "waits for its VC's cell although node 1 has free GPUs at 54");
  expect_job(r, 4, 4, 54, "VC b within quota: starts at once");
}

TEST(Hived, JobsRoundUpToACell) {
  // A 3-GPU job takes a whole 4-GPU cell (node level here) and runs on its first 3 GPUs; a 1-GPU
  // job of the same VC then has no cell left in that node.
  SimOptions opt = hand_options(false);
  opt.vc_quota = {8};
  const Trace trace = hand_trace({{0, 3, 100}, {1, 1, 10}});
  auto hived = make_hived();
  const SimResult r = run_checked(trace, topo(1, 2, 1, 2, 2), *hived, opt);
  EXPECT_EQ(gpus_of(r, 0), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(gpus_of(r, 1), (std::vector<int>{4})) << "GPU 3 belongs to j0's cell";
}

TEST(Hived, QuotaIsGuaranteedAgainstAFloodingVc) {
  // VC a floods the cluster with 1-GPU jobs; VC b's 4-GPU job (within its quota) arrives later and
  // starts at once: a's jobs never leave their one node.
  TraceBuilder b;
  for (int i = 0; i < 12; ++i) b.add(std::string("a").append(std::to_string(i)), i, "u", "vc-a", 1, 1000);
  b.add("b0", 20, "v", "vc-b", 4, 10);
  const Trace trace = std::move(b).build("flood");
  auto hived = make_hived();
  const SimResult r = run_checked(trace, topo(1, 2, 1, 2, 2), *hived, two_vcs());
  expect_job(r, 12, 20, 30, "guaranteed");
  for (int i = 0; i < 12; ++i) {
    for (int g : gpus_of(r, i)) EXPECT_LT(g, 4) << "VC a's job " << i << " left its node";
  }
  // Under FIFO + first-fit the flood takes every GPU and b0 waits for 1000 s.
  FifoFirstFit fifo;
  const SimResult f = simulate(trace, topo(1, 2, 1, 2, 2), fifo, two_vcs());
  EXPECT_GT(f.jobs[12].first_start_s, 1000);
}

TEST(Hived, MultiNodeJobsTakeWholeNodesInOneRack) {
  // 2 racks x 2 nodes x 4 GPUs; VC a owns 3 nodes. j0 (a, 4 GPUs) binds node 0 (rack 0); j1 (a,
  // 8 GPUs) needs 2 whole nodes in one rack: rack 0 has one unbound node, rack 1 two: nodes 2, 3.
  SimOptions opt = hand_options(false);
  opt.vc_quota = {12, 4};
  const Trace trace = hand_trace({{0, 4, 100}, {1, 8, 100}, {2, 1, 10, "v", "vc-b"}});
  auto hived = make_hived();
  const SimResult r = run_checked(trace, topo(2, 2, 1, 2, 2), *hived, opt);
  EXPECT_EQ(gpus_of(r, 0), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(gpus_of(r, 1), (std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(gpus_of(r, 2), (std::vector<int>{4})) << "VC b binds the one node left";
}

TEST(Hived, AJobItsQuotaCanNeverHostIsNamed) {
  SimOptions opt = hand_options(false);
  opt.vc_quota = {2, 6};  // VC a: less than one node
  const Trace trace = hand_trace({{0, 1, 10}});
  auto hived = make_hived();
  try {
    simulate(trace, topo(1, 2, 1, 2, 2), *hived, opt);
    FAIL() << "a job whose VC has no node cell ran or waited forever without an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("could never run"), std::string::npos) << e.what();
  }
}

TEST(Hived, NoJobOfANodeOrLessSpansNodes) {
  const Generated g = generated(31, 2000, 0.85);
  const SimOptions opt;
  auto hived = make_hived();
  const SimResult r = run_checked(g.trace, g.topology, *hived, opt);
  const Metrics m = compute_metrics(g.trace, g.topology, opt, r);
  EXPECT_EQ(m.cross_node_jobs, 0) << "of " << m.fits_in_node_jobs << " multi-GPU jobs that fit in a node";
  FifoFirstFit fifo;
  const Metrics f = compute_metrics(g.trace, g.topology, opt, simulate(g.trace, g.topology, fifo, opt));
  EXPECT_GT(f.cross_node_jobs, 0) << "first-fit should scatter some jobs (the comparison the lab makes)";
}

TEST(Hived, InvariantsOnGeneratedTraces) {
  check_generated_invariants([] { return make_hived(); }, false);
}

}  // namespace
}  // namespace aisys::lab08::testing
