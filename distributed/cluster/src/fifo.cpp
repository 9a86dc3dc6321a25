// FIFO with first-fit placement: the baseline policy, and the worked example of the Policy
// interface. Read this before writing a policy:
//   - schedule() is called once per instant at which something happened (arrivals, completions);
//   - cluster.pending() lists waiting jobs oldest first; cluster.job(id) says what a job needs;
//   - cluster.first_fit(n) proposes the n lowest-numbered free GPUs (or nothing);
//   - cluster.start(id, gpus) runs the job there (the simulator refuses impossible starts).
#include "aisys/cluster/fifo.hpp"

namespace aisys::cluster {

void FifoFirstFit::schedule(Cluster& cluster) {
  // Start jobs in arrival order until the oldest waiting job does not fit: strict FIFO never lets
  // a younger job overtake (no backfilling), which is what makes it fair in order and poor in JCT.
  while (!cluster.pending().empty()) {
    const JobId head = cluster.pending().front();
    const auto gpus = cluster.first_fit(cluster.job(head).gpus);
    if (!gpus) return;  // wait for GPUs to free up: a completion calls schedule() again
    cluster.start(head, *gpus);
  }
}

}  // namespace aisys::cluster
