// Lab 08, part 5: DRF across users (Ghodsi et al., NSDI'11); with GPUs the one resource it is
// max-min fairness of the users' GPU shares. The exact rules are in include/aisys/lab08/policies.hpp.
#include "aisys/kernels/error.hpp"
#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class Drf final : public Policy {
 public:
  std::string name() const override { return "drf"; }
  // TODO(student): track the GPUs each user's running jobs hold; greedy by (held, id); at
  // instants with an arrival, let the user holding the most GPUs give some back to the waiting
  // job, never below the waiting user's share.
  void schedule(Cluster& cluster) override {
    (void)cluster;
    throw NotImplemented("08", "Drf::schedule");
  }
};

}  // namespace

std::unique_ptr<Policy> make_drf() { return std::make_unique<Drf>(); }

}  // namespace aisys::lab08
