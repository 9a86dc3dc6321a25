// Lab 08, part 3 (reference): Gandiva-style packing and time slicing (Xiao et al., OSDI'18).
// Up to two jobs per GPU: jobs whose utilisations fit together are packed; otherwise jobs of the
// same size time-slice a GPU set; jobs that time-slice migrate to free GPUs when some appear.
#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;
using cluster::JobState;

class Gandiva final : public Policy {
 public:
  explicit Gandiva(GandivaOptions options) : opt_(options) {}
  std::string name() const override { return "gandiva"; }
  int max_jobs_per_gpu() const override { return 2; }

  void schedule(Cluster& cluster) override {
    // Strict FIFO over the pending jobs.
    while (!cluster.pending().empty()) {
      const JobId id = cluster.pending().front();
      const auto gpus = place(cluster, id);
      if (!gpus) break;
      cluster.start(id, *gpus);
    }
    if (cluster.pending().empty() && cluster.free_gpus() > 0) migrate(cluster);
  }

 private:
  std::optional<std::vector<int>> place(const Cluster& cluster, JobId id) const {
    const auto job = cluster.job(id);
    const auto& topo = cluster.topology();
    const int per_node = topo.gpus_per_node();
    // 1. Free GPUs, best-fit node.
    if (job.gpus <= per_node) {
      int best = -1, best_free = per_node + 1;
      for (int node = 0; node < topo.nodes(); ++node) {
        const int f = cluster.free_gpus_in(cluster::kNode, node);
        if (f >= job.gpus && f < best_free) {
          best = node;
          best_free = f;
        }
      }
      if (best >= 0) {
        std::vector<int> gpus;
        for (int g = topo.first_gpu(cluster::kNode, best); static_cast<int>(gpus.size()) < job.gpus; ++g) {
          if (cluster.jobs_on(g) == 0) gpus.push_back(g);
        }
        return gpus;
      }
    }
    if (auto ff = cluster.first_fit(job.gpus)) return ff;
    // 2. Packed onto GPUs holding one job with room in utilisation.
    std::vector<int> packed;
    for (int g = 0; g < topo.gpus() && static_cast<int>(packed.size()) < job.gpus; ++g) {
      if (cluster.jobs_on(g) == 1 && cluster.util_on(g) + job.gpu_util <= opt_.pack_util_limit + 1e-12) {
        packed.push_back(g);
      }
    }
    if (static_cast<int>(packed.size()) == job.gpus) return packed;
    // 3. Time-sliced with a running job of the same size that shares none of its GPUs.
    JobId partner = -1;
    for (JobId r : cluster.running()) {
      const auto rv = cluster.job(r);
      if (rv.gpus != job.gpus || (partner >= 0 && r > partner)) continue;
      if (std::all_of(rv.held.begin(), rv.held.end(), [&](int g) { return cluster.jobs_on(g) == 1; })) partner = r;
    }
    if (partner >= 0) {
      const auto held = cluster.job(partner).held;
      return std::vector<int>(held.begin(), held.end());
    }
    return std::nullopt;
  }

  // Jobs time-slicing a GPU set (utilisation above the limit) move to free GPUs when enough are
  // free: one job per shared set, lowest id first.
  void migrate(Cluster& cluster) {
    std::vector<JobId> running(cluster.running().begin(), cluster.running().end());
    std::sort(running.begin(), running.end());
    std::set<JobId> partners_kept;
    int free = cluster.free_gpus();
    for (JobId r : running) {
      if (partners_kept.count(r)) continue;
      const auto rv = cluster.job(r);
      // Time-sliced: on a GPU with another *running* job (not one already leaving) and the
      // utilisations above the limit.
      bool sliced = false;
      for (int g : rv.held) {
        if (cluster.util_on(g) <= opt_.pack_util_limit + 1e-12) continue;
        for (JobId other : cluster.jobs_on_gpu(g)) {
          if (other != r && cluster.job(other).state == JobState::kRunning) sliced = true;
        }
      }
      if (!sliced || rv.gpus > free) continue;
      for (int g : rv.held) {
        for (JobId other : cluster.jobs_on_gpu(g)) {
          if (other != r) partners_kept.insert(other);
        }
      }
      free -= rv.gpus;
      cluster.preempt(r);
    }
  }

  GandivaOptions opt_;
};

}  // namespace

std::unique_ptr<Policy> make_gandiva(const GandivaOptions& options) {
  return std::make_unique<Gandiva>(options);
}

}  // namespace aisys::lab08
