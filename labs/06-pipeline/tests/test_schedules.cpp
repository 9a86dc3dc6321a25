// Lab 06 parts 1-4: each generator's schedule is valid (the platform's validator and a deadlock-free
// simulation) at every shape of the handout, reaches the textbook bubble fraction with its costs,
// keeps the activation memory the schedule promises, and trains: one step run by the platform's
// runtime across the job's ranks equals single-process training (a seeded MLP and data set).
#include <gtest/gtest.h>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/lab06/schedules.hpp"
#include "aisys/pipeline/check.hpp"
#include "schedule_test_support.hpp"

namespace aisys::lab06 {
namespace {

using namespace pipeline;
using namespace testing_support;


void expect_shape(const Schedule& s, const char* name, int p, int m, int v) {
  EXPECT_EQ(s.name, name);
  EXPECT_EQ(s.stages, p);
  EXPECT_EQ(s.microbatches, m);
  EXPECT_EQ(s.chunks, v);
}

// Runs one step at the job's size with each m and compares with single-process training.
template <typename Make>
void expect_trains(comm::Communicator& c, Make make, std::vector<int> ms) {
  const std::uint64_t seed = aisys::testing::case_seed(606);
  for (int m : ms) {
    const Schedule s = make(c.size(), m);
    EXPECT_EQ(check_step_against_single_process(c, s, kTestWidths, 48, seed), "") << dump(s);
  }
}

TEST_F(GPipe, ValidAtEveryShape) {
  for (const Shape& sh : shapes()) {
    const Schedule s = gpipe(sh.p, sh.m);
    expect_shape(s, "gpipe", sh.p, sh.m, 1);
    simulates(s);
  }
}

TEST_F(GPipe, BubbleAndMemory) {
  for (const Shape& sh : shapes()) {
    const Schedule s = gpipe(sh.p, sh.m);
    SimResult r;
    if (!simulates(s, &r, unit_costs(1, 1.5, 0.5))) continue;
    EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("gpipe", sh.p, sh.m), 1e-9) << dump(s);
    for (const StageTimeline& st : r.stages) EXPECT_EQ(st.peak_activations, sh.m) << dump(s);
  }
}

TEST_F(GPipe, TrainsLikeOneProcess) { expect_trains(world(), gpipe, {1, 3, 8}); }

TEST_F(OneFOneB, ValidAtEveryShape) {
  for (const Shape& sh : shapes()) {
    const Schedule s = one_f_one_b(sh.p, sh.m);
    expect_shape(s, "1f1b", sh.p, sh.m, 1);
    simulates(s);
  }
}

TEST_F(OneFOneB, BubbleAndMemory) {
  for (const Shape& sh : shapes()) {
    const Schedule s = one_f_one_b(sh.p, sh.m);
    SimResult r;
    if (!simulates(s, &r, unit_costs(1, 1.5, 0.5))) continue;
    EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("1f1b", sh.p, sh.m), 1e-9) << dump(s);
    for (int stage = 0; stage < sh.p; ++stage) {
      // Stage r keeps min(p - r, m): at most p, however many micro-batches.
      EXPECT_EQ(r.stages[static_cast<std::size_t>(stage)].peak_activations, std::min(sh.p - stage, sh.m))
          << "stage " << stage << "\n" << dump(s);
    }
  }
}

TEST_F(OneFOneB, TrainsLikeOneProcess) { expect_trains(world(), one_f_one_b, {1, 3, 8}); }

TEST_F(Interleaved, ValidWhereDefined) {
  for (const Shape& sh : shapes()) {
    for (int v : {1, 2, 3}) {
      if (sh.m % sh.p != 0) {
        EXPECT_THROW(interleaved_one_f_one_b(sh.p, sh.m, v), InvalidArgument) << "p=" << sh.p << " m=" << sh.m;
        continue;
      }
      const Schedule s = interleaved_one_f_one_b(sh.p, sh.m, v);
      expect_shape(s, "interleaved", sh.p, sh.m, v);
      simulates(s);
    }
  }
  EXPECT_THROW(interleaved_one_f_one_b(2, 4, 0), InvalidArgument);
}

TEST_F(Interleaved, BubbleAndMemory) {
  for (const Shape& sh : shapes()) {
    if (sh.m % sh.p != 0) continue;
    for (int v : {2, 3, 4}) {
      const Schedule s = interleaved_one_f_one_b(sh.p, sh.m, v);
      SimResult r;
      if (!simulates(s, &r, unit_costs(1, 1.5, 0.5))) continue;
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("interleaved", sh.p, sh.m, v), 1e-9) << dump(s);
      // Megatron's warm-up bounds what stage 0 keeps: 2 (p - 1) + (v - 1) p + 1 chunk activations.
      EXPECT_LE(r.stages[0].peak_activations, 2 * (sh.p - 1) + (v - 1) * sh.p + 1) << dump(s);
    }
  }
}

TEST_F(Interleaved, TrainsLikeOneProcess) {
  expect_trains(world(), [](int p, int m) { return interleaved_one_f_one_b(p, m, 2); }, {world().size(), 2 * world().size()});
}

TEST_F(ZeroBubble, ValidAtEveryShape) {
  for (const Shape& sh : shapes()) {
    const Schedule s = zb_h1(sh.p, sh.m);
    expect_shape(s, "zb-h1", sh.p, sh.m, 1);
    simulates(s);
    for (const auto& prog : s.program) {
      for (const Instruction& in : prog) EXPECT_NE(in.op, Op::kBackward) << "ZB-H1 splits every backward\n" << dump(s);
    }
  }
}

TEST_F(ZeroBubble, BubbleAndMemory) {
  for (const Shape& sh : shapes()) {
    const Schedule s = zb_h1(sh.p, sh.m);
    SimResult r;
    if (!simulates(s, &r, unit_costs())) continue;
    if (sh.m >= sh.p) {
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("zb-h1", sh.p, sh.m), 1e-9) << dump(s);
    }
    // Never slower than 1F1B with the same costs: (m + p - 1) (F + I + W).
    EXPECT_LE(r.makespan, (sh.m + sh.p - 1) * 3.0 + 1e-9) << dump(s);
    for (int stage = 0; stage < sh.p; ++stage) {
      const StageTimeline& st = r.stages[static_cast<std::size_t>(stage)];
      EXPECT_LE(st.peak_activations, sh.p - stage) << "stage " << stage << ": 1F1B's memory\n" << dump(s);
      EXPECT_LE(st.peak_pending_weight, sh.p) << "stage " << stage << ": W's must not pile up\n" << dump(s);
    }
  }
}

TEST_F(ZeroBubble, TrainsLikeOneProcess) { expect_trains(world(), zb_h1, {1, 3, 8}); }

}  // namespace
}  // namespace aisys::lab06
