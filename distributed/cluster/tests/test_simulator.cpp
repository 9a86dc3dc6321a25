// The simulator on hand-worked traces (every start and end time computed by hand in the comments),
// its checks of impossible policy actions, and the invariants on generated traces.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "aisys/cluster/fifo.hpp"
#include "aisys/cluster/generator.hpp"
#include "aisys/cluster/invariants.hpp"
#include "aisys/cluster/metrics.hpp"
#include "aisys/cluster/simulator.hpp"

namespace aisys::cluster {
namespace {

Trace make_trace(std::initializer_list<std::tuple<double, int, double, double>> rows) {
  TraceBuilder b;
  int i = 0;
  for (const auto& [submit, gpus, duration, util] : rows) {
    const std::string name = std::string("j").append(std::to_string(i));
    const std::string user = std::string("u").append(std::to_string(i % 2));
    ++i;
    b.add(name, submit, user, "vc", gpus, duration, util);
  }
  return std::move(b).build("hand-made");
}

// 1 rack x 1 node x 1 socket x 2 switches x 2 GPUs = 4 GPUs.
Topology four_gpus() { return Topology(TopologySpec{1, 1, 1, 2, 2}); }

SimOptions hand_options() {
  SimOptions o;
  o.span_speed = {1.0, 1.0, 0.8, 0.5, 0.5, 0.5};
  o.checkpoint_s = 10;
  o.restore_s = 5;
  return o;
}

void expect_clean(const Trace& trace, const Topology& topo, const SimOptions& opt,
                  const SimResult& r, int share = 1) {
  for (const auto& v : check_invariants(trace, topo, opt, r, share)) ADD_FAILURE() << v;
}

TEST(Simulator, FifoHandWorked) {
  // j0: t=0, 2 GPUs, 100 s -> GPUs 0,1 (one switch, speed 1): runs 0..100.
  // j1: t=10, 4 GPUs, 40 s -> waits for j0; at 100 runs on all 4 (socket level, speed 0.8):
  //     100 + 40 / 0.8 = 150.
  // j2: t=20, 1 GPU, 30 s -> strict FIFO: behind j1 although a GPU is free; 150..180.
  const Trace trace = make_trace({{0, 2, 100, 1}, {10, 4, 40, 1}, {20, 1, 30, 1}});
  const Topology topo = four_gpus();
  FifoFirstFit fifo;
  const SimOptions opt = hand_options();
  const SimResult r = simulate(trace, topo, fifo, opt);
  ASSERT_EQ(r.jobs.size(), 3u);
  EXPECT_DOUBLE_EQ(r.jobs[0].first_start_s, 0);
  EXPECT_DOUBLE_EQ(r.jobs[0].finish_s, 100);
  EXPECT_DOUBLE_EQ(r.jobs[1].first_start_s, 100);
  EXPECT_DOUBLE_EQ(r.jobs[1].finish_s, 150);
  EXPECT_EQ(r.jobs[1].first_span, kSocket);
  EXPECT_DOUBLE_EQ(r.jobs[2].first_start_s, 150);
  EXPECT_DOUBLE_EQ(r.jobs[2].finish_s, 180);
  EXPECT_EQ(r.events, 6u);  // 3 arrivals + 3 completions
  // Busy GPU-seconds: 2 x 100 + 4 x 50 + 1 x 30.
  EXPECT_DOUBLE_EQ(r.busy_gpu_s, 430);
  expect_clean(trace, topo, opt, r);
  const Metrics m = compute_metrics(trace, topo, opt, r);
  EXPECT_DOUBLE_EQ(m.avg_jct_s, (100 + 140 + 160) / 3.0);
  EXPECT_DOUBLE_EQ(m.makespan_s, 180);
  EXPECT_DOUBLE_EQ(m.utilization, 430 / (4 * 180.0));
}

// A policy made of lambdas, for the tests.
class ScriptedPolicy final : public Policy {
 public:
  std::function<void(Cluster&)> on_schedule;
  std::function<void(Cluster&, JobId)> suspended;
  int share = 1;
  std::string name() const override { return "scripted"; }
  int max_jobs_per_gpu() const override { return share; }
  void on_suspended(Cluster& c, JobId id) override {
    if (suspended) suspended(c, id);
  }
  void schedule(Cluster& c) override { on_schedule(c); }
};

TEST(Simulator, PreemptionCostsCheckpointAndRestore) {
  // j0 (1 GPU, 100 s) runs 0..50, is preempted at 50 (wake-up), checkpoints 50..60, is restarted
  // at 60, restores 60..65, then does its last 50 s: finishes at 115.
  const Trace trace = make_trace({{0, 1, 100, 1}});
  const Topology topo = four_gpus();
  const SimOptions opt = hand_options();
  ScriptedPolicy p;
  bool preempted = false;
  p.on_schedule = [&](Cluster& c) {
    if (c.now() == 0) {
      c.start(0, std::vector<int>{3});
      c.wake_at(50);
    } else if (c.now() == 50 && !preempted) {
      EXPECT_DOUBLE_EQ(c.job(0).executed_s, 50);
      EXPECT_DOUBLE_EQ(c.job(0).attained_gpu_s, 50);
      c.preempt(0);
      preempted = true;
      EXPECT_EQ(c.job(0).state, JobState::kSuspending);
      EXPECT_EQ(c.free_gpus(), 3);  // held while checkpointing
    }
  };
  p.suspended = [](Cluster& c, JobId id) {
    EXPECT_DOUBLE_EQ(c.now(), 60);
    EXPECT_EQ(c.free_gpus(), 4);
    c.start(id, std::vector<int>{1});
  };
  const SimResult r = simulate(trace, topo, p, opt);
  EXPECT_DOUBLE_EQ(r.jobs[0].finish_s, 115);
  EXPECT_EQ(r.jobs[0].preemptions, 1);
  EXPECT_DOUBLE_EQ(r.busy_gpu_s, 115);
  expect_clean(trace, topo, opt, r);
}

TEST(Simulator, SharingSlowsJobsByTheirUtilisation) {
  // Two jobs with utilisation 0.8 on GPU 0: U = 1.6, each runs at 0.95 / 1.6 = 0.59375.
  // j1 (20 s) finishes at 20 / 0.59375; j0 has then done 20 s and finishes 80 s later alone.
  const Trace trace = make_trace({{0, 1, 100, 0.8}, {0, 1, 20, 0.8}});
  const Topology topo = four_gpus();
  SimOptions opt = hand_options();
  opt.share_efficiency = 0.95;
  ScriptedPolicy p;
  p.share = 2;
  p.on_schedule = [](Cluster& c) {
    for (JobId id : std::vector<JobId>(c.pending().begin(), c.pending().end())) c.start(id, std::vector<int>{0});
  };
  const SimResult r = simulate(trace, topo, p, opt);
  const double t1 = 20 / 0.59375;
  EXPECT_NEAR(r.jobs[1].finish_s, t1, 1e-9);
  EXPECT_NEAR(r.jobs[0].finish_s, t1 + 80, 1e-9);
  expect_clean(trace, topo, opt, r, 2);
}

std::string error_of(const Trace& trace, const Topology& topo, Policy& p, SimOptions opt = {}) {
  try {
    simulate(trace, topo, p, opt);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Simulator, RefusesToOvercommitAGpu) {
  const Trace trace = make_trace({{0, 2, 10, 1}, {0, 1, 10, 1}});
  ScriptedPolicy p;
  p.on_schedule = [](Cluster& c) {
    c.start(0, std::vector<int>{0, 1});
    c.start(1, std::vector<int>{1});
  };
  const std::string e = error_of(trace, four_gpus(), p);
  EXPECT_NE(e.find("policy 'scripted' started job j1 on GPU 1, which job j0 holds"), std::string::npos) << e;
}

TEST(Simulator, RefusesPartialGangs) {
  const Trace trace = make_trace({{0, 2, 10, 1}});
  ScriptedPolicy p;
  p.on_schedule = [](Cluster& c) { c.start(0, std::vector<int>{0}); };
  const std::string e = error_of(trace, four_gpus(), p);
  EXPECT_NE(e.find("on 1 GPUs; it needs exactly 2 (gang scheduling)"), std::string::npos) << e;
}

TEST(Simulator, RefusesDoubleStartsAndBadGpus) {
  const Trace trace = make_trace({{0, 1, 10, 1}});
  ScriptedPolicy p;
  p.on_schedule = [](Cluster& c) {
    if (c.job(0).state == JobState::kPending) c.start(0, std::vector<int>{0});
    c.start(0, std::vector<int>{1});
  };
  EXPECT_NE(error_of(trace, four_gpus(), p).find("started job j0 (id 0) which is running"), std::string::npos);
  p.on_schedule = [](Cluster& c) { c.start(0, std::vector<int>{9}); };
  EXPECT_NE(error_of(trace, four_gpus(), p).find("on GPU 9, which does not exist"), std::string::npos);
}

TEST(Simulator, OracleOnlyWhenGiven) {
  const Trace trace = make_trace({{0, 1, 10, 1}});
  ScriptedPolicy p;
  double seen = -1;
  p.on_schedule = [&](Cluster& c) {
    if (!c.pending().empty()) {
      seen = c.oracle_remaining_s(0);
      c.start(0, std::vector<int>{0});
    }
  };
  const std::string e = error_of(trace, four_gpus(), p);
  EXPECT_NE(e.find("no oracle"), std::string::npos) << e;
  SimOptions opt;
  opt.oracle = true;
  simulate(trace, four_gpus(), p, opt);
  EXPECT_DOUBLE_EQ(seen, 10);
}

TEST(Simulator, NamesAPolicyThatLeavesJobsWaiting) {
  const Trace trace = make_trace({{0, 1, 10, 1}, {5, 2, 10, 1}});
  ScriptedPolicy p;
  p.on_schedule = [](Cluster& c) {
    if (c.job(0).state == JobState::kPending) c.start(0, std::vector<int>{0});
  };
  const std::string e = error_of(trace, four_gpus(), p);
  EXPECT_NE(e.find("left 1 job(s) unfinished"), std::string::npos) << e;
  EXPECT_NE(e.find("job j1 (2 GPUs"), std::string::npos) << e;
}

TEST(Simulator, WakeUpsMustBeInTheFuture) {
  const Trace trace = make_trace({{0, 1, 10, 1}});
  ScriptedPolicy p;
  p.on_schedule = [](Cluster& c) { c.wake_at(c.now()); };
  EXPECT_NE(error_of(trace, four_gpus(), p).find("a wake-up must be later than now"), std::string::npos);
}

TEST(Simulator, EndlessWakeUpsHitTheEventLimit) {
  const Trace trace = make_trace({{0, 1, 10, 1}});
  ScriptedPolicy p;
  p.on_schedule = [](Cluster& c) { c.wake_at(c.now() + 1e-3); };
  SimOptions opt;
  opt.max_events = 1000;
  EXPECT_NE(error_of(trace, four_gpus(), p, opt).find("more than 1000 events"), std::string::npos);
}

TEST(Simulator, JobLargerThanTheClusterIsNamed) {
  const Trace trace = make_trace({{0, 8, 10, 1}});
  FifoFirstFit fifo;
  const std::string e = error_of(trace, four_gpus(), fifo);
  EXPECT_NE(e.find("job j0 asks for 8 GPUs"), std::string::npos) << e;
}

TEST(Simulator, FifoOnAGeneratedTraceKeepsEveryInvariantAndIsDeterministic) {
  GeneratorOptions g;
  g.seed = 20261123;
  g.jobs = 3000;
  g.cluster_gpus = 256;
  g.offered_load = 0.9;
  std::cout << "[ seed ] generator seed " << g.seed << "\n";
  const Trace trace = generate_trace(g);
  const Topology topo(TopologySpec{4, 8, 2, 2, 2});
  FifoFirstFit fifo;
  const SimOptions opt;
  const SimResult a = simulate(trace, topo, fifo, opt);
  expect_clean(trace, topo, opt, a);
  const SimResult b = simulate(trace, topo, fifo, opt);
  ASSERT_EQ(a.jobs.size(), b.jobs.size());
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    ASSERT_EQ(a.jobs[i].finish_s, b.jobs[i].finish_s) << "job " << i;
  }
  const Metrics m = compute_metrics(trace, topo, opt, a);
  // Rates never exceed 1, so the GPUs were held at least as long as the work asks for.
  EXPECT_GE(m.utilization * topo.gpus() * m.makespan_s, trace.total_gpu_seconds() * (1 - 1e-9));
  EXPECT_LE(m.utilization, 1.0);
  EXPECT_GE(m.avg_jct_s, m.avg_queue_s);
}

TEST(Simulator, InvariantCheckerCatchesABrokenRecord) {
  const Trace trace = make_trace({{0, 2, 100, 1}, {0, 2, 100, 1}});
  const Topology topo = four_gpus();
  FifoFirstFit fifo;
  const SimOptions opt = hand_options();
  SimResult r = simulate(trace, topo, fifo, opt);
  ASSERT_TRUE(check_invariants(trace, topo, opt, r).empty());
  r.allocations[1].gpus = r.allocations[0].gpus;  // both jobs on the same GPUs
  r.segments[0].rate = 0.5;                       // and half the work of one missing
  const auto v = check_invariants(trace, topo, opt, r);
  std::string all;
  for (const auto& s : v) all += s + "\n";
  EXPECT_NE(all.find("held by 2 jobs"), std::string::npos) << all;
  EXPECT_NE(all.find("work not conserved"), std::string::npos) << all;
}

}  // namespace
}  // namespace aisys::cluster

namespace aisys::cluster {
namespace {

TEST(Simulator, DefaultQuotasFollowDemandInWholeNodesAndHoldTheLargestJob) {
  // 4 nodes of 8 GPUs. VC a asks for 99% of the GPU-seconds, VC b for 1% but has a 16-GPU job:
  // b gets the two nodes its largest job needs, a the rest.
  TraceBuilder b;
  b.add("a0", 0, "u", "vc-a", 8, 99000);
  b.add("b0", 0, "v", "vc-b", 16, 62.5);
  const Trace trace = std::move(b).build("quotas");
  const Topology topo(TopologySpec{1, 4, 2, 2, 2});
  EXPECT_EQ(default_vc_quotas(trace, topo), (std::vector<int>{16, 16}));
  // Without the large job, demand alone decides: 3 nodes and 1.
  TraceBuilder c;
  c.add("a0", 0, "u", "vc-a", 8, 3000);
  c.add("b0", 0, "v", "vc-b", 8, 1000);
  EXPECT_EQ(default_vc_quotas(std::move(c).build("quotas"), topo), (std::vector<int>{24, 8}));
}

}  // namespace
}  // namespace aisys::cluster
