// Part 3: Gandiva-style packing, time slicing and migration (two jobs per GPU at most). Times
// below follow the simulator's sharing model: k jobs on a GPU whose utilisations sum to U each run
// at share_efficiency x min(1, 1 / U) (0.95 by default).
#include "policy_test_support.hpp"

namespace aisys::lab08::testing {
namespace {

TEST(Gandiva, PlacesOnTheBestFittingNode) {
  // Two nodes of 4 GPUs. j0 (3) -> node 0 (tie: lowest) GPUs 0-2; j1 (2) -> node 1 (node 0 has one
  // free) GPUs 4,5; j2 (1) -> node 0, the fewest free that still fits: GPU 3; j3 (2) -> 6,7.
  const Trace trace = hand_trace({{0, 3, 100}, {1, 2, 100}, {2, 1, 100}, {3, 2, 100}});
  auto gandiva = make_gandiva();
  const SimResult r = run_checked(trace, topo(1, 2, 1, 2, 2), *gandiva, hand_options(false));
  EXPECT_EQ(gpus_of(r, 0), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(gpus_of(r, 1), (std::vector<int>{4, 5}));
  EXPECT_EQ(gpus_of(r, 2), (std::vector<int>{3}));
  EXPECT_EQ(gpus_of(r, 3), (std::vector<int>{6, 7}));
}

TEST(Gandiva, PacksJobsWhoseUtilisationsFit) {
  // 2 GPUs. j0 (2 GPUs, util 0.4, 100 s); j1 (1 GPU, util 0.5, 50 s) at 10 packs onto GPU 0
  // (0.4 + 0.5 <= 1): both run at 0.95 while they share. j1 ends at 10 + 50 / 0.95; j0 has then
  // done 60 s and runs its last 40 s alone.
  const Trace trace = hand_trace({{0, 2, 100, "alice", "vc-a", 0.4}, {10, 1, 50, "bob", "vc-a", 0.5}});
  SimOptions opt = hand_options(false);
  auto gandiva = make_gandiva();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *gandiva, opt);
  expect_job(r, 1, 10, 10 + 50 / 0.95, "packed");
  expect_job(r, 0, 0, 10 + 50 / 0.95 + 40, "shares GPU 0 while j1 runs");
  EXPECT_EQ(gpus_of(r, 1), (std::vector<int>{0}));
}

TEST(Gandiva, TimeSlicesJobsOfTheSameSize) {
  // 2 GPUs. j0 and j1 (2 GPUs, util 0.8, 100 s) at 0 and 10: 1.6 > 1, so no packing; j1
  // time-slices j0's GPUs: each runs at 0.95 / 1.6 = 0.59375. j0 (90 s left) ends after
  // 90 / 0.59375 s; j1 has then done 90 s and runs its last 10 s alone.
  const Trace trace = hand_trace({{0, 2, 100, "alice", "vc-a", 0.8}, {10, 2, 100, "bob", "vc-a", 0.8}});
  auto gandiva = make_gandiva();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *gandiva, hand_options(false));
  const double t0 = 10 + 90 / 0.59375;
  expect_job(r, 0, 0, t0, "slowed by the time slicing");
  expect_job(r, 1, 10, t0 + 10, "time-sliced, then alone");
}

TEST(Gandiva, StrictFifoStopsAtAJobThatCannotBePlaced) {
  // 2 GPUs. j0 (2 GPUs, util 1) from 0; j1 (2 GPUs, util 1) at 1 time-slices with it (0.475
  // each). j2 (1 GPU) at 2 finds no free GPU, no GPU with one job, no running 1-GPU job to pair
  // with: it waits, and j3 behind it too (strict FIFO). j0 ends at 1 + 99 / 0.475 with j1 1 s
  // short; j1 alone still blocks both GPUs (1 + 1 > 1) until 1 s later, then j2 and j3 start.
  const Trace trace = hand_trace({{0, 2, 100}, {1, 2, 100}, {2, 1, 10}, {3, 1, 10}});
  auto gandiva = make_gandiva();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *gandiva, hand_options(false));
  const double t0 = 1 + 99 / 0.475;
  expect_job(r, 0, 0, t0, "time-sliced from 1");
  expect_job(r, 1, 1, t0 + 1, "time-sliced, then alone");
  expect_job(r, 2, t0 + 1, t0 + 11, "nowhere to go until both GPUs are free");
  expect_job(r, 3, t0 + 1, t0 + 11, "behind j2");
}

TEST(Gandiva, MigratesTimeSlicedJobsToFreeGpus) {
  // One node of 4 GPUs. j0 -> GPUs 0,1 and j1 -> 2,3 (util 0.8, 1000 s and 20 s); j2 (2 GPUs,
  // util 0.8, 10 s) at 5 time-slices with j0 (the lowest id of the same size): both at 0.59375.
  // At 20 j1 ends, nothing is pending and GPUs 2,3 are free: j0 (lowest id) is migrated there.
  // j0 then has 5 + 15 x 0.59375 s done; j2 has 15 x 0.59375 and finishes alone.
  const Trace trace = hand_trace({{0, 2, 1000, "a", "vc-a", 0.8}, {0, 2, 20, "b", "vc-a", 0.8},
                                  {5, 2, 10, "c", "vc-a", 0.8}});
  auto gandiva = make_gandiva();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 2, 2), *gandiva, hand_options(false));
  const double j0_done = 5 + 15 * 0.59375, j2_done = 15 * 0.59375;
  expect_job(r, 2, 5, 20 + (10 - j2_done), "alone after the migration");
  expect_job(r, 0, 0, 20 + (1000 - j0_done), "migrated at 20");
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_EQ(gpus_of(r, 0, 1), (std::vector<int>{2, 3})) << "j0's second placement";
}

TEST(Gandiva, InvariantsOnGeneratedTraces) {
  check_generated_invariants([] { return make_gandiva(); }, false);
}

}  // namespace
}  // namespace aisys::lab08::testing
