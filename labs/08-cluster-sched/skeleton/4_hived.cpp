// Lab 08, part 4: HiveD's buddy cells with virtual-cluster quotas (Zhao et al., OSDI'20).
// The exact rules are in include/aisys/lab08/policies.hpp.
#include "aisys/kernels/error.hpp"
#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class Hived final : public Policy {
 public:
  explicit Hived(HivedOptions) {}
  std::string name() const override { return "hived"; }
  // TODO(student): bind physical nodes to VCs (cluster.vc_quota(vc) / gpus_per_node cells each),
  // allocate buddy cells inside bound nodes (topology().level_for(g), cell_size(level)), free and
  // merge them in on_finish(), unbind nodes that are wholly free again, and refuse (PolicyError)
  // a job its VC's quota could never host.
  void schedule(Cluster& cluster) override {
    (void)cluster;
    throw NotImplemented("08", "Hived::schedule");
  }
};

}  // namespace

std::unique_ptr<Policy> make_hived(const HivedOptions& options) { return std::make_unique<Hived>(options); }

}  // namespace aisys::lab08
