// Lab 08, part 2: Tiresias' discretised two-dimensional least-attained-service scheduler
// (Gu et al., NSDI'19), without duration knowledge: never call cluster.oracle_*() here.
// The exact rules are in include/aisys/lab08/policies.hpp.
#include "aisys/kernels/error.hpp"
#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class TiresiasLas final : public Policy {
 public:
  explicit TiresiasLas(LasOptions options) : opt_(std::move(options)) {}
  std::string name() const override { return "tiresias-las"; }
  // TODO(student): keep each job's priority key (queue, entry time, id); demote running jobs when
  // their attained service (cluster.job(id).attained_gpu_s) crosses a threshold and promote
  // pending jobs that waited too long, asking cluster.wake_at() for both instants; then greedy,
  // then make room at instants when a job arrived, was demoted or was promoted.
  void schedule(Cluster& cluster) override {
    (void)cluster;
    throw NotImplemented("08", "TiresiasLas::schedule");
  }

 private:
  LasOptions opt_;
};

}  // namespace

std::unique_ptr<Policy> make_tiresias_las(const LasOptions& options) {
  return std::make_unique<TiresiasLas>(options);
}

}  // namespace aisys::lab08
