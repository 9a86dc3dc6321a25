// Lab 08, part 3: Gandiva-style packing and time slicing (Xiao et al., OSDI'18): up to two jobs
// per GPU. The exact rules are in include/aisys/lab08/policies.hpp.
#include "aisys/kernels/error.hpp"
#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class Gandiva final : public Policy {
 public:
  explicit Gandiva(GandivaOptions options) : opt_(options) {}
  std::string name() const override { return "gandiva"; }
  int max_jobs_per_gpu() const override { return 2; }
  // TODO(student): place pending jobs in arrival order (free GPUs on the best-fitting node, else
  // packed, else time-sliced with a running job of the same size; stop at the first that cannot
  // be placed), then migrate time-sliced jobs to free GPUs when nothing is pending.
  // cluster.jobs_on(g), cluster.util_on(g) and cluster.free_gpus_in(kNode, node) say what is where.
  void schedule(Cluster& cluster) override {
    (void)cluster;
    throw NotImplemented("08", "Gandiva::schedule");
  }

 private:
  GandivaOptions opt_;
};

}  // namespace

std::unique_ptr<Policy> make_gandiva(const GandivaOptions& options) {
  return std::make_unique<Gandiva>(options);
}

}  // namespace aisys::lab08
