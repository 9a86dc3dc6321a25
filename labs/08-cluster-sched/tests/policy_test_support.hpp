// Lab 08 test support: hand-made traces, small topologies, a run that checks the platform's
// invariants after every simulation, and generated Philly-shaped traces from the logged test seed
// (rerun one with AISYS_SEED=S, or `aisys test 08 --part NAME --seed S`). Shared by tests/ and
// the hidden tests.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/cluster/fifo.hpp"
#include "aisys/cluster/generator.hpp"
#include "aisys/cluster/invariants.hpp"
#include "aisys/cluster/metrics.hpp"
#include "aisys/cluster/simulator.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/lab08/policies.hpp"

namespace aisys::lab08::testing {

using namespace aisys::cluster;

// One job of a hand-made trace.
struct Row {
  double submit_s;
  int gpus;
  double duration_s;
  std::string user = "alice";
  std::string vc = "vc-a";
  double gpu_util = 1.0;
};

inline Trace hand_trace(std::initializer_list<Row> rows) {
  TraceBuilder b;
  int i = 0;
  for (const Row& r : rows) {
    b.add(std::string("j").append(std::to_string(i++)), r.submit_s, r.user, r.vc, r.gpus, r.duration_s, r.gpu_util);
  }
  return std::move(b).build("hand-made");
}

// racks x nodes x sockets x switches x GPUs.
inline Topology topo(int racks, int nodes, int sockets, int switches, int gpus) {
  return Topology(TopologySpec{racks, nodes, sockets, switches, gpus});
}

// Hand-worked runs: every placement at full speed, free preemption (unless a test says otherwise).
inline SimOptions hand_options(bool oracle) {
  SimOptions o;
  o.span_speed = {1, 1, 1, 1, 1, 1};
  o.checkpoint_s = 0;
  o.restore_s = 0;
  o.oracle = oracle;
  return o;
}

// Runs and checks the invariants (no overcommitted GPU, no start before arrival, whole gangs,
// work conserved).
inline SimResult run_checked(const Trace& trace, const Topology& topology, Policy& policy,
                             const SimOptions& options) {
  SimResult r = simulate(trace, topology, policy, options);
  for (const auto& v : check_invariants(trace, topology, options, r, policy.max_jobs_per_gpu())) {
    ADD_FAILURE() << "policy " << policy.name() << ": " << v;
  }
  return r;
}

// The start and finish of job `id` must be as worked out by hand.
inline void expect_job(const SimResult& r, int id, double start, double finish, const char* why) {
  SCOPED_TRACE(why);
  const JobOutcome& o = r.jobs.at(static_cast<size_t>(id));
  EXPECT_NEAR(o.first_start_s, start, 1e-6) << "job j" << id << " first start";
  EXPECT_NEAR(o.finish_s, finish, 1e-6) << "job j" << id << " finish";
}

// The GPUs of job `id`'s n-th allocation (in order of release).
inline std::vector<int> gpus_of(const SimResult& r, int id, int nth = 0) {
  for (const Allocation& a : r.allocations) {
    if (a.job == id && nth-- == 0) return a.gpus;
  }
  return {};
}
inline std::vector<const Allocation*> allocations_of(const SimResult& r, int id) {
  std::vector<const Allocation*> out;
  for (const Allocation& a : r.allocations) {
    if (a.job == id) out.push_back(&a);
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->start_s < b->start_s; });
  return out;
}

// A generated Philly-shaped trace on a 256-GPU cluster (4 racks x 8 nodes x 8 GPUs), from the
// test seed mixed with `salt`.
struct Generated {
  Trace trace;
  Topology topology{TopologySpec{4, 8, 2, 2, 2}};
  std::uint64_t seed = 0;
};
inline Generated generated(std::uint64_t salt, int jobs = 2000, double load = 0.9) {
  Generated g;
  GeneratorOptions o;
  o.seed = aisys::testing::case_seed(salt);
  o.jobs = jobs;
  o.cluster_gpus = g.topology.gpus();
  o.offered_load = load;
  g.seed = o.seed;
  g.trace = generate_trace(o);
  std::cout << "[ trace ] " << g.trace.source << "  (" << aisys::testing::rerun_command() << ")\n";
  return g;
}

// Runs the policy on three generated traces with realistic checkpoint costs and checks every
// invariant, and that the same trace gives the same result twice.
template <typename MakePolicy>
void check_generated_invariants(MakePolicy make, bool oracle) {
  for (std::uint64_t salt = 1; salt <= 3; ++salt) {
    const Generated g = generated(salt, 1500, 0.9);
    SimOptions opt;
    opt.oracle = oracle;
    auto p1 = make();
    const SimResult a = run_checked(g.trace, g.topology, *p1, opt);
    auto p2 = make();
    const SimResult b = simulate(g.trace, g.topology, *p2, opt);
    for (size_t i = 0; i < a.jobs.size(); ++i) {
      ASSERT_EQ(a.jobs[i].finish_s, b.jobs[i].finish_s)
          << "policy " << p1->name() << ": job " << i << " finished at different times on the same "
          << "trace (seed " << g.seed << "): a policy must be deterministic";
    }
  }
}

}  // namespace aisys::lab08::testing
