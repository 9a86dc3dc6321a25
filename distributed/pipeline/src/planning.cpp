// The planner's cost and memory model (planning.hpp).
#include "aisys/pipeline/planning.hpp"

#include <string>

namespace aisys::pipeline {

namespace {

void need(bool ok, const char* field, const std::string& why) {
  if (!ok) throw InvalidArgument(std::string("pipeline plan problem: ") + field + " " + why);
}

}  // namespace

void check(const PlanProblem& q) {
  need(q.stages >= 1, "stages", "must be at least 1 (got " + std::to_string(q.stages) + ")");
  need(q.global_batch >= 1, "global_batch", "must be at least 1 (got " + std::to_string(q.global_batch) + ")");
  need(q.forward_s_per_sample >= 0 && q.backward_input_s_per_sample >= 0 && q.backward_weight_s_per_sample >= 0,
       "costs", "must not be negative");
  need(q.op_overhead_s >= 0 && q.latency_s >= 0 && q.bandwidth_Bps >= 0 && q.message_bytes_per_sample >= 0,
       "overhead, latency, bandwidth and message bytes", "must not be negative");
  need(q.activation_bytes_per_sample > 0, "activation_bytes_per_sample", "must be positive");
  need(q.weight_stash_bytes_per_sample >= 0, "weight_stash_bytes_per_sample", "must not be negative");
  need(q.memory_budget_bytes > 0, "memory_budget_bytes", "must be positive");
  need(q.max_chunks >= 1, "max_chunks", "must be at least 1");
}

Costs costs_for(const PlanProblem& q, int m, int v) {
  check(q);
  if (m < 1 || q.global_batch % m != 0) {
    throw InvalidArgument("pipeline plan: " + std::to_string(m) + " micro-batches do not divide the global batch of " +
                          std::to_string(q.global_batch));
  }
  if (v < 1) throw InvalidArgument("pipeline plan: chunks must be at least 1 (got " + std::to_string(v) + ")");
  const double share = static_cast<double>(q.global_batch / m) / v;
  Costs c;
  c.forward = q.op_overhead_s + q.forward_s_per_sample * share;
  c.backward_input = q.op_overhead_s + q.backward_input_s_per_sample * share;
  c.backward_weight = q.op_overhead_s + q.backward_weight_s_per_sample * share;
  c.latency_s = q.latency_s;
  c.bandwidth_Bps = q.bandwidth_Bps;
  c.message_bytes = q.message_bytes_per_sample * (q.global_batch / m);
  c.activation_bytes = q.activation_bytes_per_sample * share;
  c.weight_stash_bytes = q.weight_stash_bytes_per_sample * share;
  return c;
}

double activation_bytes(const PlanProblem& q, int m, int v) {
  return costs_for(q, m, v).activation_bytes;
}

Evaluation evaluate(const PlanProblem& q, const Schedule& s) {
  if (s.stages != q.stages) {
    throw InvalidArgument("pipeline plan: schedule '" + s.name + "' has " + std::to_string(s.stages) +
                          " stages, the problem " + std::to_string(q.stages));
  }
  const Costs c = costs_for(q, s.microbatches, s.chunks);
  const SimResult r = simulate(s, c);
  Evaluation e;
  e.step_time = r.makespan;
  e.bubble_fraction = r.bubble_fraction;
  e.peak_activations = r.peak_activations();
  e.peak_memory_bytes = r.peak_memory_bytes();
  e.fits = e.peak_memory_bytes <= q.memory_budget_bytes * (1 + 1e-12);
  return e;
}

}  // namespace aisys::pipeline
