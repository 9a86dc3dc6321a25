// aisys/pipeline/planning.hpp: the cost and memory model a pipeline planner optimises (lab 06,
// part 5), defined once so the lab, its tests and the benchmark agree. It prices a configuration;
// choosing one is the student's work.
//
// A stage holds 1/p of the model. Its per-sample costs (forward, backward-input, backward-weight)
// and the activations one sample's forward keeps are given for the whole stage. At m micro-batches
// of b = global_batch / m samples and v chunks per stage, one chunk op on one micro-batch costs
//   op_overhead_s + per_sample_cost * b / v
// (the overhead models kernel launches and small, inefficient GEMMs: it makes tiny micro-batches
// expensive), a message between stages carries message_bytes_per_sample * b bytes, an in-flight
// (micro-batch, chunk) keeps activation_bytes_per_sample * b / v bytes and a pending weight
// gradient weight_stash_bytes_per_sample * b / v. Peak memory: simulator.hpp.
#pragma once

#include "aisys/pipeline/schedule.hpp"
#include "aisys/pipeline/simulator.hpp"

namespace aisys::pipeline {

struct PlanProblem {
  int stages = 4;        // p
  int global_batch = 64; // samples per optimizer step; m must divide it
  double forward_s_per_sample = 1e-3;
  double backward_input_s_per_sample = 1e-3;
  double backward_weight_s_per_sample = 1e-3;
  double op_overhead_s = 0;
  double activation_bytes_per_sample = 1 << 20;
  double weight_stash_bytes_per_sample = 0;  // what a pending W keeps (layer inputs, output grads)
  double message_bytes_per_sample = 0;
  double latency_s = 0;
  double bandwidth_Bps = 0;          // 0: infinite
  double memory_budget_bytes = 0;    // per stage, for activations
  int max_chunks = 4;                // interleaved 1F1B is considered for v = 2 .. max_chunks
};

// Throws InvalidArgument naming the field when the problem is malformed (p < 1, batch < 1,
// negative costs, budget <= 0, max_chunks < 1).
void check(const PlanProblem& problem);

// Costs of one chunk op at m micro-batches and v chunks (m must divide the global batch).
Costs costs_for(const PlanProblem& problem, int microbatches, int chunks);
// Bytes one in-flight (micro-batch, chunk) keeps (also in costs_for(...).activation_bytes).
double activation_bytes(const PlanProblem& problem, int microbatches, int chunks);

struct Evaluation {
  double step_time = 0;          // the simulated makespan
  double bubble_fraction = 0;
  int peak_activations = 0;      // over stages
  double peak_memory_bytes = 0;  // over stages (simulator.hpp)
  bool fits = false;             // peak_memory_bytes <= memory_budget_bytes
};

// Simulates `s` under the problem's costs (validating it; a deadlock throws ScheduleError).
// Throws InvalidArgument when the schedule's stages differ from the problem's or its micro-batches
// do not divide the global batch.
Evaluation evaluate(const PlanProblem& problem, const Schedule& s);

}  // namespace aisys::pipeline
