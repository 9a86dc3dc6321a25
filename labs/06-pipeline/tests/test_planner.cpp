// Lab 06 part 5: the planner. Hand-worked cases (p = 4, a global batch of 32, F = I = W per sample,
// so the textbook bubbles give every step time; see the handout's worked table) whose optimum is
// unique; the budget is never exceeded; nothing fitting is an error that says why. The returned
// schedule is re-simulated: the planner's own numbers are not trusted.
#include <gtest/gtest.h>

#include <random>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/lab06/schedules.hpp"
#include "schedule_test_support.hpp"

namespace aisys::lab06 {
namespace {

using namespace pipeline;
using testing_support::dump;

constexpr double kMiB = 1 << 20;

// p = 4, batch 32, 1 ms per sample for each of F, I and W, 1 MiB of activations per sample.
PlanProblem worked(double overhead_s, double budget_mib, int max_chunks) {
  PlanProblem q;
  q.stages = 4;
  q.global_batch = 32;
  q.forward_s_per_sample = q.backward_input_s_per_sample = q.backward_weight_s_per_sample = 1e-3;
  q.op_overhead_s = overhead_s;
  q.activation_bytes_per_sample = kMiB;
  q.memory_budget_bytes = budget_mib * kMiB;
  q.max_chunks = max_chunks;
  return q;
}

void expect_plan(const PlanProblem& q, const char* name, int m, int v, double step_s) {
  const Plan plan = aisys::lab06::plan(q);
  const Evaluation e = evaluate(q, plan.schedule);  // re-simulated
  EXPECT_TRUE(e.fits) << "peak " << e.peak_memory_bytes / kMiB << " MiB over the budget\n" << dump(plan.schedule);
  EXPECT_NEAR(e.step_time, step_s, 1e-9) << "expected " << name << " m=" << m << " v=" << v << "\n" << dump(plan.schedule);
  EXPECT_EQ(plan.schedule.name, name);
  EXPECT_EQ(plan.schedule.microbatches, m);
  EXPECT_EQ(plan.schedule.chunks, v);
  EXPECT_NEAR(plan.step_time, e.step_time, 1e-12) << "Plan::step_time is not the schedule's simulated time";
  EXPECT_NEAR(plan.peak_memory_bytes, e.peak_memory_bytes, 1e-6) << "Plan::peak_memory_bytes is not the simulated peak";
  EXPECT_NE(plan.why.find(name), std::string::npos) << "Plan::why should name the winner: " << plan.why;
}

// 96 ms of work per stage; the bubble decides. Interleaving at v = 4, m = 32:
// 96 (4 x 32 + 3) / (4 x 32) = 98.25 ms, ahead of ZB-H1 (96 x 99 / 96 = 99) and 1F1B (105).
TEST_F(Planner, NoOverheadPrefersTheSmallestBubble) { expect_plan(worked(0, 1e6, 4), "interleaved", 32, 4, 98.25e-3); }

// Without interleaving: ZB-H1 at m = 32, 99 ms.
TEST_F(Planner, WithoutChunksZeroBubbleWins) { expect_plan(worked(0, 1e6, 1), "zb-h1", 32, 1, 99e-3); }

// 0.5 ms per op: each op costs c = 0.5 + 32 / m ms and ZB-H1 takes (3m + 3) c:
// m = 4: 127.5, m = 8: 121.5, m = 16: 127.5, m = 32: 148.5; 1F1B's best is 142.5 (m = 16).
TEST_F(Planner, OverheadMakesTinyMicroBatchesExpensive) { expect_plan(worked(0.5e-3, 1e6, 1), "zb-h1", 8, 1, 121.5e-3); }

// A 6 MiB budget: ZB-H1 at m = 8 keeps 4 micro-batches of 4 MiB on stage 0 (16 MiB), m = 16 keeps
// 8 MiB; only m = 32 (4 MiB) fits: 148.5 ms, ahead of 1F1B at m = 32 (157.5).
TEST_F(Planner, BudgetExcludesTheFastest) {
  const PlanProblem q = worked(0.5e-3, 6, 1);
  expect_plan(q, "zb-h1", 32, 1, 148.5e-3);
}

// 3 MiB: every configuration keeps at least 4 MiB on stage 0.
TEST_F(Planner, NothingFitsIsAnError) {
  try {
    aisys::lab06::plan(worked(0.5e-3, 3, 1));
    ADD_FAILURE() << "a plan was returned though nothing fits 3 MiB";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("4 MiB"), std::string::npos) << "name the smallest peak: " << e.what();
  }
}

// Random problems (seeded): the plan always fits its budget and is at least as fast as the
// no-pipelining schedule, which fits too.
TEST_F(Planner, NeverExceedsTheBudget) {
  const std::uint64_t seed = aisys::testing::case_seed(65);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 12; ++trial) {
    PlanProblem q;
    q.stages = 2 + trial % 3;
    q.global_batch = std::vector<int>{16, 24, 32}[static_cast<std::size_t>(trial % 3)];
    q.forward_s_per_sample = 0.5e-3 + 1e-3 * u(rng);
    q.backward_input_s_per_sample = 0.5e-3 + 1e-3 * u(rng);
    q.backward_weight_s_per_sample = 0.5e-3 + 1e-3 * u(rng);
    q.op_overhead_s = 0.5e-3 * u(rng);
    q.activation_bytes_per_sample = kMiB;
    q.weight_stash_bytes_per_sample = 0.25 * kMiB * u(rng);
    q.latency_s = 1e-4 * u(rng);
    q.message_bytes_per_sample = 64 << 10;
    q.bandwidth_Bps = 1e9;
    q.max_chunks = 2;
    // Between 2p and 4p times what the no-pipelining schedule at the largest m keeps (one sample's
    // activations): 1F1B and ZB-H1 at that m need at most p of them and p small W stashes, so
    // something always fits.
    const Schedule floor = sequential_schedule(q.stages, q.global_batch);
    q.memory_budget_bytes = 1e12;
    const double least = evaluate(q, floor).peak_memory_bytes;
    q.memory_budget_bytes = least * 2 * q.stages * (1 + u(rng));
    const Plan plan = aisys::lab06::plan(q);
    const Evaluation e = evaluate(q, plan.schedule);
    EXPECT_TRUE(e.fits) << "trial " << trial << " (seed " << seed << "): peak " << e.peak_memory_bytes << " B, budget "
                        << q.memory_budget_bytes << " B\n" << dump(plan.schedule);
    EXPECT_LE(e.step_time, evaluate(q, floor).step_time * (1 + 1e-9)) << "trial " << trial << " (seed " << seed << ")";
  }
}

}  // namespace
}  // namespace aisys::lab06
