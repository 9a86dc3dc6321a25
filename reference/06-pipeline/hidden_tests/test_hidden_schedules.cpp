// Lab 06 hidden tests (never shipped): shapes and costs the public tests do not use: p = 5, 6, 7;
// m = p + 1 and 3p + 2; uneven F and B; interleaved with 4 chunks; one more real step of
// ZB-H1 at m = 5 (not a multiple of the ranks).
#include <gtest/gtest.h>

#include "aisys/harness/testing.hpp"
#include "aisys/lab06/schedules.hpp"
#include "aisys/pipeline/check.hpp"
#include "schedule_test_support.hpp"

namespace aisys::lab06 {
namespace {

using namespace pipeline;
using namespace testing_support;

TEST_F(GPipe, HiddenShapesAndCosts) {
  for (int p : {5, 6, 7}) {
    for (int m : {p + 1, 3 * p + 2}) {
      const Schedule s = gpipe(p, m);
      const SimResult r = simulate(s, unit_costs(1.3, 1.7, 0.4));
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("gpipe", p, m), 1e-9) << dump(s);
      EXPECT_EQ(r.peak_activations(), m);
    }
  }
}

TEST_F(OneFOneB, HiddenShapesAndCosts) {
  for (int p : {5, 6, 7}) {
    for (int m : {p + 1, 3 * p + 2}) {
      const Schedule s = one_f_one_b(p, m);
      const SimResult r = simulate(s, unit_costs(1.3, 1.7, 0.4));
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("1f1b", p, m), 1e-9) << dump(s);
      EXPECT_EQ(r.peak_activations(), p) << dump(s);
    }
  }
}

TEST_F(Interleaved, HiddenShapesAndCosts) {
  for (int p : {3, 5}) {
    for (int m : {p, 3 * p}) {
      const Schedule s = interleaved_one_f_one_b(p, m, 4);
      const SimResult r = simulate(s, unit_costs(0.5, 0.6, 0.4));
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("interleaved", p, m, 4), 1e-9) << dump(s);
    }
  }
}

TEST_F(ZeroBubble, HiddenShapesAndCosts) {
  for (int p : {5, 6, 7}) {
    for (int m : {p + 1, 3 * p + 2}) {
      const Schedule s = zb_h1(p, m);
      const SimResult r = simulate(s, unit_costs(0.7, 0.7, 0.7));
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("zb-h1", p, m), 1e-9) << dump(s);
      EXPECT_LE(r.stages[0].peak_activations, p) << dump(s);
    }
  }
}

TEST_F(ZeroBubble, HiddenTrainsAtOddMicroBatches) {
  const std::uint64_t seed = aisys::testing::case_seed(6061);
  const Schedule s = zb_h1(world().size(), 5);
  EXPECT_EQ(check_step_against_single_process(world(), s, kTestWidths, 40, seed), "") << dump(s);
}

}  // namespace
}  // namespace aisys::lab06
