// Lab 08 hidden tests: every policy on traces and clusters the public tests do not use (a larger
// cluster, overload), with the platform's invariants checked after each run.
#include "policy_test_support.hpp"

namespace aisys::lab08::testing {
namespace {

// 512 GPUs (8 racks) at offered load 1.2: queues build up and every preemption path is taken.
template <typename MakePolicy>
void overloaded(MakePolicy make, bool oracle) {
  GeneratorOptions o;
  o.seed = aisys::testing::case_seed(801);
  o.jobs = 2500;
  o.cluster_gpus = 512;
  o.offered_load = 1.2;
  const Trace trace = generate_trace(o);
  std::cout << "[ trace ] " << trace.source << "  (" << aisys::testing::rerun_command() << ")\n";
  const Topology topology(TopologySpec{8, 8, 2, 2, 2});
  SimOptions opt;
  opt.oracle = oracle;
  auto policy = make();
  const SimResult r = run_checked(trace, topology, *policy, opt);
  for (const auto& o2 : r.jobs) ASSERT_GE(o2.finish_s, o2.submit_s);
}

TEST(SjfSrtf, HiddenOverloadedLargerCluster) {
  overloaded([] { return make_sjf(); }, true);
  overloaded([] { return make_srtf(); }, true);
}
TEST(TiresiasLas, HiddenOverloadedLargerCluster) { overloaded([] { return make_tiresias_las(); }, false); }
TEST(Gandiva, HiddenOverloadedLargerCluster) { overloaded([] { return make_gandiva(); }, false); }
TEST(Hived, HiddenOverloadedLargerCluster) { overloaded([] { return make_hived(); }, false); }
TEST(Drf, HiddenOverloadedLargerCluster) { overloaded([] { return make_drf(); }, false); }

}  // namespace
}  // namespace aisys::lab08::testing
