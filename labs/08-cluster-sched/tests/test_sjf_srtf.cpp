// Part 1: SJF and SRTF with oracle durations. Every start and finish below is worked out by hand
// from the rules in include/aisys/lab08/policies.hpp.
#include "policy_test_support.hpp"

#include <iostream>

namespace aisys::lab08::testing {
namespace {

TEST(SjfSrtf, SjfStartsTheShortestJobThatFits) {
  // 2 GPUs. j0 (2 GPUs, 100 s) runs 0..100. At 100 the queue by duration is j3 (10 s), j2 (30 s,
  // 2 GPUs), j1 (50 s): j3 starts, j2 does not fit and is skipped, j1 starts; j2 runs when both
  // GPUs are free at 150.
  const Trace trace = hand_trace({{0, 2, 100}, {10, 1, 50}, {20, 2, 30}, {30, 1, 10}});
  auto sjf = make_sjf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *sjf, hand_options(true));
  expect_job(r, 0, 0, 100, "runs alone");
  expect_job(r, 3, 100, 110, "shortest at 100");
  expect_job(r, 1, 100, 150, "j2 does not fit at 100, j1 does");
  expect_job(r, 2, 150, 180, "waits for two free GPUs");
  EXPECT_EQ(r.jobs[0].preemptions + r.jobs[1].preemptions, 0) << "SJF never preempts";
}

TEST(SjfSrtf, SjfIsNonPreemptive) {
  // A long job running when a short one arrives keeps its GPU.
  const Trace trace = hand_trace({{0, 1, 100}, {5, 1, 1}});
  auto sjf = make_sjf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 1), *sjf, hand_options(true));
  expect_job(r, 0, 0, 100, "not preempted");
  expect_job(r, 1, 100, 101, "waits");
}

TEST(SjfSrtf, SrtfPreemptsTheLongestRemainingJob) {
  // 2 GPUs, free preemption. j0 (100 s) on GPU 0; j1 (20 s) at 10 on GPU 1; j2 (5 s) at 15: the
  // running jobs have 85 s and 15 s left, so j0 (the longest) is preempted and j2 runs 15..20;
  // j0 resumes at 20 with 85 s left: 105. j1 is untouched: 10..30.
  const Trace trace = hand_trace({{0, 1, 100}, {10, 1, 20}, {15, 1, 5}});
  auto srtf = make_srtf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *srtf, hand_options(true));
  expect_job(r, 0, 0, 105, "preempted once");
  expect_job(r, 1, 10, 30, "shorter than j2's victim");
  expect_job(r, 2, 15, 20, "starts at once");
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_EQ(r.jobs[1].preemptions, 0);
}

TEST(SjfSrtf, SrtfCountsCheckpointingGpus) {
  // The same trace plus j3 (3 s at 20), with a 10 s checkpoint and a 5 s restore: j0 is preempted
  // at 15 and keeps GPU 0 until 25. j3's arrival during the checkpoint must not preempt j1 too:
  // the checkpointing GPU counts as on its way back.
  const Trace trace = hand_trace({{0, 1, 100}, {10, 1, 20}, {15, 1, 5}, {20, 1, 3}});
  SimOptions opt = hand_options(true);
  opt.checkpoint_s = 10;
  opt.restore_s = 5;
  auto srtf = make_srtf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *srtf, opt);
  EXPECT_EQ(r.jobs[1].preemptions, 0) << "j1 was preempted although j0's GPU was on its way back";
  // At 25 the queue by remaining time is j3 (3 s), j2 (5 s), j0 (85 s): j3 runs 25..28, then j2
  // 28..33 on the same GPU; j0 gets GPU 1 when j1 ends at 30, restores until 35, finishes at 120.
  expect_job(r, 3, 25, 28, "shortest when the GPU comes back");
  expect_job(r, 2, 25 + 3, 33, "next shortest");
  expect_job(r, 0, 0, 120, "checkpoint 15..25, restore 30..35, then 85 s of work");
}

TEST(SjfSrtf, SrtfDoesNotPreemptForAJobThatCannotFit) {
  // j1 needs 2 GPUs, only j0 (1 GPU) is longer; preempting it frees 1 of 2 (the other GPU is
  // j1's, shorter): nothing is preempted.
  const Trace trace = hand_trace({{0, 1, 100}, {0, 1, 10}, {5, 2, 20}});
  auto srtf = make_srtf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *srtf, hand_options(true));
  EXPECT_EQ(r.jobs[0].preemptions, 0);
  // At 10 j1 (20 s) is shorter than j0 (90 s left) and now preempting j0 would make it fit, but
  // SRTF makes room only at arrivals: j1 waits for j0 to finish.
  expect_job(r, 2, 100, 120, "waits for both GPUs");
}

TEST(SjfSrtf, InvariantsOnGeneratedTraces) {
  check_generated_invariants([] { return make_sjf(); }, true);
  check_generated_invariants([] { return make_srtf(); }, true);
}

TEST(SjfSrtf, BothBeatFifoOnAverageJct) {
  // On one lightly queued trace, first-fit packing can make SJF lose to FIFO by a hair (fewer
  // GPUs free when a wide job's turn comes); over several heavy-tailed traces at high load, the
  // shortest-first policies must win clearly. Averaged over three traces.
  double fifo_jct = 0, sjf_jct = 0, srtf_jct = 0;
  for (std::uint64_t salt = 11; salt <= 13; ++salt) {
    const Generated g = generated(salt, 3000, 1.0);
    SimOptions opt;
    opt.oracle = true;
    FifoFirstFit fifo;
    auto sjf = make_sjf();
    auto srtf = make_srtf();
    fifo_jct += compute_metrics(g.trace, g.topology, opt, simulate(g.trace, g.topology, fifo, opt)).avg_jct_s / 3;
    sjf_jct += compute_metrics(g.trace, g.topology, opt, simulate(g.trace, g.topology, *sjf, opt)).avg_jct_s / 3;
    srtf_jct += compute_metrics(g.trace, g.topology, opt, simulate(g.trace, g.topology, *srtf, opt)).avg_jct_s / 3;
  }
  std::cout << "[ jct ] mean over 3 traces: FIFO " << fifo_jct << " s, SJF " << sjf_jct << " s, SRTF " << srtf_jct
            << " s\n";
  EXPECT_LT(sjf_jct, fifo_jct) << "SJF should beat FIFO's average JCT on heavy-tailed traces";
  EXPECT_LT(srtf_jct, fifo_jct) << "SRTF should beat FIFO's average JCT on heavy-tailed traces";
}

}  // namespace
}  // namespace aisys::lab08::testing
