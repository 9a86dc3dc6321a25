// Part 5: DRF across users (max-min fairness of GPU shares). Worked out by hand from
// include/aisys/lab08/policies.hpp.
#include "policy_test_support.hpp"

namespace aisys::lab08::testing {
namespace {

TEST(Drf, ServesTheUserWithTheFewestGpusFirst) {
  // 2 GPUs busy with alice's j0 until 100. Waiting: alice's j1 (at 1), bob's j2 (at 2), alice's j3
  // (at 3), all 1 GPU. At 100 both GPUs free: bob holds 0 GPUs, alice 0 (j0 ended): j1 (older)
  // first; then alice holds 1, bob 0: j2. j3 waits.
  const Trace trace = hand_trace({{0, 2, 100, "alice"}, {1, 1, 10, "alice"}, {2, 1, 10, "bob"}, {3, 1, 10, "alice"}});
  auto drf = make_drf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *drf, hand_options(false));
  expect_job(r, 1, 100, 110, "tie at 0 GPUs: older first");
  expect_job(r, 2, 100, 110, "bob holds fewer GPUs than alice");
  expect_job(r, 3, 110, 120, "alice already holds one");
}

TEST(Drf, PreemptsTheRichestUserForANewcomer) {
  // 4 GPUs held by alice's j0 and j1 (2 each, from 0). Bob's j2 (1 GPU) arrives at 5: alice holds
  // 4 and keeps 2 >= bob's 1 after giving up j1 (latest started; tie: higher id): j1 is preempted,
  // j2 runs 5..55, j1 resumes at 55 with 95 s left: 150.
  const Trace trace = hand_trace({{0, 2, 100, "alice"}, {0, 2, 100, "alice"}, {5, 1, 50, "bob"}});
  auto drf = make_drf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 2, 2), *drf, hand_options(false));
  expect_job(r, 0, 0, 100, "kept");
  expect_job(r, 1, 0, 150, "preempted at 5");
  expect_job(r, 2, 5, 55, "starts at once");
  EXPECT_EQ(r.jobs[1].preemptions, 1);
}

TEST(Drf, DoesNotPreemptBelowFairShare) {
  // Alice holds 2 of 2 GPUs with one 2-GPU job; bob's 2-GPU job arrives: alice would keep 0 < 2,
  // so nothing is preempted.
  const Trace trace = hand_trace({{0, 2, 100, "alice"}, {5, 2, 50, "bob"}});
  auto drf = make_drf();
  const SimResult r = run_checked(trace, topo(1, 1, 1, 1, 2), *drf, hand_options(false));
  expect_job(r, 0, 0, 100, "not preempted");
  expect_job(r, 1, 100, 150, "waits");
}

TEST(Drf, InvariantsOnGeneratedTraces) {
  check_generated_invariants([] { return make_drf(); }, false);
}

TEST(Drf, FairerThanFifoAcrossUsers) {
  const Generated g = generated(41, 3000, 0.9);
  const SimOptions opt;
  FifoFirstFit fifo;
  auto drf = make_drf();
  const Metrics f = compute_metrics(g.trace, g.topology, opt, simulate(g.trace, g.topology, fifo, opt));
  const Metrics d = compute_metrics(g.trace, g.topology, opt, simulate(g.trace, g.topology, *drf, opt));
  EXPECT_GT(d.jain_fairness, f.jain_fairness) << "DRF's Jain index across users should beat FIFO's";
}

}  // namespace
}  // namespace aisys::lab08::testing
