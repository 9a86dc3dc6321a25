// Instructions and their text form, the no-pipelining baseline, the layer partition and the
// planner's cost model (planning.hpp).
#include <gtest/gtest.h>

#include "aisys/pipeline/planning.hpp"
#include "aisys/pipeline/schedule.hpp"
#include "aisys/pipeline/simulator.hpp"

namespace aisys::pipeline {
namespace {

TEST(PipelineSchedule, TextRoundTrip) {
  const std::string text = "RA0 F0 SA0 RG0.1 I0.1 W0.1 SG0.1 B12 OPT";
  const auto prog = parse_program(text);
  ASSERT_EQ(prog.size(), 9u);
  EXPECT_EQ(prog[3], recv_grad(0, 1));
  EXPECT_EQ(prog[7], backward(12));
  EXPECT_EQ(prog[8].op, Op::kOptimizerStep);
  EXPECT_EQ(to_string(prog), text);
  EXPECT_STREQ(op_name(Op::kSendGrad), "SendGrad");
}

TEST(PipelineSchedule, ParseErrorsNameTheToken) {
  for (const char* bad : {"X3", "F", "F-1", "F3.", "F3x", "SA3.1.2"}) {
    try {
      parse_program(std::string("F0 ") + bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(PipelineSchedule, ShapeChecked) {
  EXPECT_THROW(make_schedule("x", 0, 1), InvalidArgument);
  EXPECT_THROW(make_schedule("x", 2, 0), InvalidArgument);
  EXPECT_THROW(make_schedule("x", 2, 2, 0), InvalidArgument);
  const Schedule s = make_schedule("x", 3, 2, 2);
  EXPECT_EQ(s.program.size(), 3u);
  EXPECT_EQ(s.virtual_stage(1, 1), 4);
  EXPECT_EQ(s.rank_chunk(4), std::make_pair(1, 1));
}

TEST(PipelineSchedule, PartitionLayers) {
  const auto parts = partition_layers(7, 3);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], std::make_pair(0, 3));
  EXPECT_EQ(parts[1], std::make_pair(3, 5));
  EXPECT_EQ(parts[2], std::make_pair(5, 7));
  EXPECT_THROW(partition_layers(3, 4), InvalidArgument);
}

TEST(PipelineSchedule, SequentialBaselineHasNoOverlap) {
  for (int p : {1, 2, 3, 4}) {
    for (int v : {1, 2}) {
      const Schedule s = sequential_schedule(p, 3, v);
      Costs c;
      c.forward = 1;
      c.backward_input = 1.5;
      c.backward_weight = 0.5;
      const SimResult r = simulate(s, c);
      EXPECT_DOUBLE_EQ(r.makespan, 3.0 * p * v * 3.0) << "p=" << p << " v=" << v;
      EXPECT_NEAR(r.bubble_fraction, theoretical_bubble("sequential", p, 3, v), 1e-12);
      EXPECT_EQ(r.peak_activations(), v);  // one micro-batch in flight, through each of its chunks
    }
  }
}

TEST(PipelinePlanning, CostsFollowTheMicroBatchAndChunk) {
  PlanProblem q;
  q.stages = 2;
  q.global_batch = 32;
  q.forward_s_per_sample = 1.0;
  q.backward_input_s_per_sample = 2.0;
  q.backward_weight_s_per_sample = 3.0;
  q.op_overhead_s = 0.5;
  q.message_bytes_per_sample = 10;
  q.activation_bytes_per_sample = 100;
  q.memory_budget_bytes = 1000;
  const Costs c = costs_for(q, 4, 2);  // 8 samples, half the stage
  EXPECT_DOUBLE_EQ(c.forward, 0.5 + 4.0);
  EXPECT_DOUBLE_EQ(c.backward_input, 0.5 + 8.0);
  EXPECT_DOUBLE_EQ(c.backward_weight, 0.5 + 12.0);
  EXPECT_DOUBLE_EQ(c.message_bytes, 80);
  EXPECT_DOUBLE_EQ(activation_bytes(q, 4, 2), 400);
  EXPECT_THROW(costs_for(q, 5, 1), InvalidArgument);  // 5 does not divide 32
  const Evaluation e = evaluate(q, sequential_schedule(2, 4));
  // Sequential: every micro-batch alone, 2 stages x (F + I + W) at 8 samples each.
  EXPECT_DOUBLE_EQ(e.step_time, 4 * 2 * ((0.5 + 8) + (0.5 + 16) + (0.5 + 24)));
  EXPECT_EQ(e.peak_activations, 1);
  EXPECT_DOUBLE_EQ(e.peak_memory_bytes, 800);
  EXPECT_TRUE(e.fits);
  q.memory_budget_bytes = 799;
  EXPECT_FALSE(evaluate(q, sequential_schedule(2, 4)).fits);
  EXPECT_THROW(evaluate(q, sequential_schedule(3, 4)), InvalidArgument);
  q.memory_budget_bytes = 0;
  EXPECT_THROW(check(q), InvalidArgument);
}

}  // namespace
}  // namespace aisys::pipeline
