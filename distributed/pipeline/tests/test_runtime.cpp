// The pipeline runtime at 1, 2 and 4 ranks on the platform's own schedules (the no-pipelining
// baseline, with and without split backward and interleaved chunks): one step equals single-process
// training; wrong schedules and arguments are refused on every rank before any message is sent;
// emulated compute takes at least its cost.
#include <gtest/gtest.h>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/kernels/mlp.hpp"
#include "aisys/pipeline/check.hpp"
#include "aisys/pipeline/runtime.hpp"

namespace aisys::pipeline {
namespace {

class PipelineRuntimeMpi : public comm::testing::MpiTest {};

const std::vector<int> kWidths = {12, 24, 20, 16, 24, 20, 16, 24, 5};  // 8 layers

// The baseline with every Backward split into BackwardInput then BackwardWeight.
Schedule split_backward(Schedule s) {
  s.name += "-split";
  for (auto& prog : s.program) {
    std::vector<Instruction> out;
    for (const Instruction& in : prog) {
      if (in.op == Op::kBackward) {
        out.push_back(backward_input(in.microbatch, in.chunk));
        out.push_back(backward_weight(in.microbatch, in.chunk));
      } else {
        out.push_back(in);
      }
    }
    prog = std::move(out);
  }
  return s;
}

TEST_F(PipelineRuntimeMpi, OneStepEqualsSingleProcess) {
  const int p = world().size();
  const std::uint64_t seed = testing::case_seed(61);
  for (int v : {1, 2}) {
    for (int m : {1, 4}) {
      const Schedule s = sequential_schedule(p, m, v);
      EXPECT_EQ(check_step_against_single_process(world(), s, kWidths, 32, seed), "") << "v=" << v << " m=" << m;
      EXPECT_EQ(check_step_against_single_process(world(), split_backward(s), kWidths, 32, seed), "") << "v=" << v << " m=" << m;
    }
  }
}

TEST_F(PipelineRuntimeMpi, DeadlockedScheduleRefusedOnEveryRank) {
  const int p = world().size();
  if (p < 2) GTEST_SKIP() << "needs two ranks";
  Schedule s = sequential_schedule(p, 2);
  // Stage 0 waits for micro-batch 0's gradient before sending its activation: a cycle.
  auto& prog = s.program[0];
  std::swap(prog[1], prog[2]);
  ASSERT_EQ(to_string(prog).substr(0, 11), "F0 RG0 SA0 ");
  kernels::Mlp model(kWidths, 1);
  try {
    PipelineRuntime runtime(world(), model, s);
    ADD_FAILURE() << "a deadlocked schedule was accepted";
  } catch (const ScheduleError& e) {
    EXPECT_NE(std::string(e.what()).find("deadlock"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("stage 0 waits at instruction 1 (RG0)"), std::string::npos) << e.what();
  }
}

TEST_F(PipelineRuntimeMpi, BadArgumentsRefused) {
  const int p = world().size();
  kernels::Mlp model(kWidths, 1);
  EXPECT_THROW(PipelineRuntime(world(), model, sequential_schedule(p + 1, 2)), InvalidArgument);
  kernels::Mlp tiny({4, 3}, 1);  // one layer
  if (p > 1) {
    EXPECT_THROW(PipelineRuntime(world(), tiny, sequential_schedule(p, 2)), InvalidArgument);
  }
  PipelineRuntime runtime(world(), model, sequential_schedule(p, 4));
  std::vector<float> x(12 * 6, 0.5f);
  std::vector<int> labels(6, 1);
  EXPECT_THROW(runtime.step(x.data(), labels.data(), 6), InvalidArgument);  // 6 rows, 4 micro-batches
}

TEST_F(PipelineRuntimeMpi, EmulatedComputeTakesAtLeastItsCost) {
  const int p = world().size();
  kernels::Mlp model(kWidths, 1);
  RuntimeOptions opt;
  opt.emulate = true;
  opt.emulated.forward = 0.002;
  opt.emulated.backward_input = 0.003;
  opt.emulated.backward_weight = 0.001;
  opt.emulated.message_bytes = 4096;
  const Schedule s = split_backward(sequential_schedule(p, 3));
  PipelineRuntime runtime(world(), model, s, opt);
  const StepResult r = runtime.step(nullptr, nullptr, 3);
  ASSERT_EQ(r.timeline.size(), s.program[static_cast<std::size_t>(world().rank())].size());
  for (const TimedOp& op : r.timeline) {
    const double want = op.instruction.op == Op::kForward ? 0.002 : op.instruction.op == Op::kBackwardInput ? 0.003
                      : op.instruction.op == Op::kBackwardWeight ? 0.001 : 0.0;
    EXPECT_GE(op.end - op.start, want) << to_string(op.instruction);
  }
  // Rank 0 computes first and last: nothing overlaps in the baseline, so its step lasts at least
  // every stage's compute in turn.
  if (world().rank() == 0) {
    EXPECT_GE(r.seconds, 3 * p * 0.006);
  }
  const auto all = gather_timelines(world(), s, r.timeline);
  if (world().rank() == 0) {
    ASSERT_EQ(all.size(), static_cast<std::size_t>(p));
    for (int q = 0; q < p; ++q) EXPECT_EQ(all[static_cast<std::size_t>(q)].size(), s.program[static_cast<std::size_t>(q)].size());
  }
}

}  // namespace
}  // namespace aisys::pipeline
