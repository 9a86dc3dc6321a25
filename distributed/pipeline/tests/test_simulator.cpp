// The simulator on hand-written schedules: timings worked out by hand, link latency and
// bandwidth, peak activations, every validation rule and deadlock diagnosis.
#include <gtest/gtest.h>

#include "aisys/pipeline/simulator.hpp"

namespace aisys::pipeline {
namespace {

Schedule from_text(int p, int m, int v, std::vector<std::string> stages, std::string name = "hand") {
  Schedule s = make_schedule(std::move(name), p, m, v);
  for (int r = 0; r < p; ++r) s.program[static_cast<std::size_t>(r)] = parse_program(stages[static_cast<std::size_t>(r)]);
  return s;
}

// GPipe by hand at p = 2, m = 2.
Schedule gpipe22() {
  return from_text(2, 2, 1, {"F0 SA0 F1 SA1 RG1 B1 RG0 B0 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"});
}

std::string error_of(const Schedule& s, const Costs& c = {}) {
  try {
    simulate(s, c);
  } catch (const ScheduleError& e) {
    return e.what();
  }
  return "";
}

TEST(PipelineSimulator, HandWorkedGpipe) {
  Costs c;  // F = I = W = 1: B = 2
  const SimResult r = simulate(gpipe22(), c);
  // stage 1: F0 [1,2] F1 [2,3] B1 [3,5] B0 [5,7]
  // stage 0: F0 [0,1] F1 [1,2], waits for stage 1's B1, B1 [5,7] B0 [7,9]
  EXPECT_DOUBLE_EQ(r.makespan, 9);
  EXPECT_DOUBLE_EQ(r.stages[0].finish, 9);
  EXPECT_DOUBLE_EQ(r.stages[1].finish, 7);
  EXPECT_DOUBLE_EQ(r.stages[0].busy, 6);
  // (9 - 6) + (9 - 6) idle over 2 x 9: (p - 1) / (m + p - 1) = 1/3.
  EXPECT_NEAR(r.bubble_fraction, 1.0 / 3, 1e-12);
  EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("gpipe", 2, 2), 1e-12);
  EXPECT_EQ(r.stages[0].peak_activations, 2);
  EXPECT_EQ(r.peak_activations(), 2);
  // The receive of stage 0's RG1 waited from 2 to 5.
  const TimedOp& rg1 = r.stages[0].ops[4];
  EXPECT_EQ(rg1.instruction, recv_grad(1));
  EXPECT_DOUBLE_EQ(rg1.start, 2);
  EXPECT_DOUBLE_EQ(rg1.end, 5);
}

TEST(PipelineSimulator, LatencyAndOneMessageAtATimePerLink) {
  Costs c;
  c.forward = 0.1;
  c.latency_s = 0.25;
  c.message_bytes = 100;
  c.bandwidth_Bps = 100;  // 1 s on the wire
  const SimResult r = simulate(gpipe22(), c);
  // SA0 leaves at 0.1, arrives 1.35; SA1 is ready at 0.2 but the link is busy until 1.1: arrives 2.35.
  EXPECT_DOUBLE_EQ(r.stages[1].ops[0].end, 1.35);
  EXPECT_DOUBLE_EQ(r.stages[1].ops[2].end, 2.35);
}

TEST(PipelineSimulator, SplitBackwardCostsAndMemory) {
  Costs c;
  c.forward = 1;
  c.backward_input = 2;
  c.backward_weight = 3;
  c.activation_bytes = 100;
  c.weight_stash_bytes = 10;
  const SimResult r = simulate(from_text(1, 2, 1, {"F0 F1 I0 I1 W0 W1 OPT"}), c);
  EXPECT_DOUBLE_EQ(r.makespan, 12);
  EXPECT_DOUBLE_EQ(r.bubble_fraction, 0);
  EXPECT_EQ(r.peak_activations(), 2);
  EXPECT_EQ(r.stages[0].peak_pending_weight, 2);
  EXPECT_DOUBLE_EQ(r.peak_memory_bytes(), 200 + 10);  // during I0: both activations and I0's stash
  const SimResult r2 = simulate(from_text(1, 2, 1, {"F0 I0 W0 F1 I1 W1 OPT"}), c);
  EXPECT_EQ(r2.peak_activations(), 1);
  EXPECT_EQ(r2.stages[0].peak_pending_weight, 1);
  EXPECT_DOUBLE_EQ(r2.peak_memory_bytes(), 110);
  const SimResult r3 = simulate(from_text(1, 2, 1, {"F0 B0 F1 B1 OPT"}), c);
  EXPECT_DOUBLE_EQ(r3.peak_memory_bytes(), 100);
}

TEST(PipelineSimulator, InterleavedVirtualStagesWrapAround) {
  // p = 2, v = 2, m = 1: virtual stages r0c0 -> r1c0 -> r0c1 -> r1c1.
  const Schedule s = from_text(2, 1, 2, {"F0 SA0 RA0.1 F0.1 SA0.1 RG0.1 B0.1 SG0.1 RG0 B0 OPT",
                                         "RA0 F0 SA0 RA0.1 F0.1 B0.1 SG0.1 RG0 B0 SG0 OPT"});
  const SimResult r = simulate(s, Costs{});
  EXPECT_DOUBLE_EQ(r.makespan, 12);  // one op at a time: 4 x (F + B)
  EXPECT_EQ(r.stages[1].peak_activations, 2);
}

TEST(PipelineSimulator, ValidationNamesStageInstructionAndRule) {
  struct Case {
    std::vector<std::string> stages;
    const char* expect;
  };
  const Case cases[] = {
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 OPT", "RA0 F0 RA1 B1 F1 SG1 B0 SG0 OPT"},
       "stage 1, instruction 3 (B1): Backward of micro-batch 1, chunk 0 before its Forward (instruction 4)"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 OPT"},
       "stage 1, micro-batch 0, chunk 0 (virtual stage 1): no SendGrad"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 OPT", "RA0 F0 RA1 F1 F1 B1 SG1 B0 SG0 OPT"},
       "stage 1, instruction 4 (F1): a second Forward of micro-batch 1, chunk 0 (the first at instruction 3)"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "stage 0: no OptimizerStep"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 OPT B0", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "OptimizerStep before the backward"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 OPT", "F0 RA0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "instruction 0 (F0): runs before its RecvActivation"},
      {{"SA0 F0 F1 SA1 RG1 B1 RG0 B0 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "sends before the Forward"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 SG0 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "the first one: it has no SendGrad"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 I0 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "no BackwardWeight"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 W0 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "both Backward"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 F2 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "micro-batch 2 is outside [0, 2)"},
      {{"F0 SA0 F1 SA1 RG1 B1 RG0 B0 F0.1 OPT", "RA0 F0 RA1 F1 B1 SG1 B0 SG0 OPT"}, "chunk 1 is outside [0, 1)"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of(from_text(2, 2, 1, c.stages));
    EXPECT_NE(e.find(c.expect), std::string::npos) << "expected: " << c.expect << "\ngot: " << e;
    EXPECT_NE(e.find("schedule 'hand' (p=2, m=2)"), std::string::npos) << e;
  }
}

TEST(PipelineSimulator, DeadlockCycleNamed) {
  // Stage 0 waits for a gradient before sending the activation stage 1 waits for.
  const Schedule s = from_text(2, 1, 1, {"F0 RG0 SA0 B0 OPT", "RA0 F0 B0 SG0 OPT"}, "1f1b-wrong");
  const std::string e = error_of(s);
  EXPECT_NE(e.find("deadlock"), std::string::npos) << e;
  EXPECT_NE(e.find("stage 0 waits at instruction 1 (RG0) for stage 1's SG0 (its instruction 3)"), std::string::npos) << e;
  EXPECT_NE(e.find("stage 1 waits at instruction 0 (RA0) for stage 0's SA0 (its instruction 2)"), std::string::npos) << e;
  EXPECT_NE(e.find("a cycle of waiting stages 0 -> 1 -> 0"), std::string::npos) << e;
}

TEST(PipelineSimulator, DeadlockAcrossThreeStages) {
  // Micro-batch order differs between stages: stage 1 wants mb 1 first, stage 0 sends mb 0 first
  // and then waits for mb 0's gradient, which needs stage 1 to take mb 0 first.
  const Schedule s = from_text(3, 2, 1,
                               {"F0 SA0 RG0 B0 F1 SA1 RG1 B1 OPT",
                                "RA1 F1 SA1 RA0 F0 SA0 RG0 B0 SG0 RG1 B1 SG1 OPT",
                                "RA0 F0 B0 SG0 RA1 F1 B1 SG1 OPT"});
  const std::string e = error_of(s);
  EXPECT_NE(e.find("deadlock"), std::string::npos) << e;
  EXPECT_NE(e.find("stage 1 waits at instruction 0 (RA1) for stage 0's SA1"), std::string::npos) << e;
  EXPECT_NE(e.find("cycle of waiting stages"), std::string::npos) << e;
}

TEST(PipelineSimulator, TheoreticalBubbles) {
  EXPECT_DOUBLE_EQ(theoretical_bubble("1f1b", 4, 8), 3.0 / 11);
  EXPECT_DOUBLE_EQ(theoretical_bubble("interleaved", 4, 8, 2), 3.0 / 19);
  EXPECT_DOUBLE_EQ(theoretical_bubble("zb-h1", 4, 8), 3.0 / 27);
  EXPECT_THROW(theoretical_bubble("nope", 4, 8), InvalidArgument);
}

}  // namespace
}  // namespace aisys::pipeline
