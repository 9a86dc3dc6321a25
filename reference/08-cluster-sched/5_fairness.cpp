// Lab 08, part 5 (reference): DRF across users (Ghodsi et al., NSDI'11). With GPUs the one
// resource, a user's dominant share is its share of the GPUs, so DRF is max-min fairness: the user
// holding the fewest GPUs is served first, and a user far above its share gives GPUs back when a
// poorer user's job arrives.
#include <algorithm>
#include <map>
#include <vector>

#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class Drf final : public Policy {
 public:
  std::string name() const override { return "drf"; }
  void on_arrival(Cluster&, JobId) override { arrived_ = true; }
  void on_finish(Cluster& cluster, JobId id) override { held_[cluster.job(id).user] -= cluster.job(id).gpus; }
  void on_suspended(Cluster& cluster, JobId id) override { checkpointing_gpus_ -= cluster.job(id).gpus; }

  void schedule(Cluster& cluster) override {
    // Greedy: repeatedly start the fitting pending job with the smallest (user's GPUs, id).
    while (cluster.free_gpus() > 0) {
      JobId best = -1;
      int best_held = 0;
      for (JobId id : cluster.pending()) {
        const auto v = cluster.job(id);
        if (v.gpus > cluster.free_gpus()) continue;
        const int h = held(v.user);
        if (best < 0 || h < best_held) {
          best = id;
          best_held = h;
        }
      }
      if (best < 0) break;
      const auto v = cluster.job(best);
      cluster.start(best, *cluster.first_fit(v.gpus));
      held_[v.user] += v.gpus;
    }
    if (arrived_ && !cluster.pending().empty()) make_room(cluster);
    arrived_ = false;
  }

 private:
  int held(int user) const {
    auto it = held_.find(user);
    return it == held_.end() ? 0 : it->second;
  }

  void make_room(Cluster& cluster) {
    // The highest-priority pending job (none fits now).
    JobId w = -1;
    int w_held = 0;
    for (JobId id : cluster.pending()) {
      const int h = held(cluster.job(id).user);
      if (w < 0 || h < w_held) {
        w = id;
        w_held = h;
      }
    }
    const auto wv = cluster.job(w);
    int victim = -1, victim_held = -1;
    for (const auto& [user, h] : held_) {
      if (user != wv.user && h > victim_held) {
        victim = user;
        victim_held = h;
      }
    }
    if (victim < 0) return;
    std::vector<JobId> jobs;
    for (JobId r : cluster.running()) {
      if (cluster.job(r).user == victim) jobs.push_back(r);
    }
    std::sort(jobs.begin(), jobs.end(), [&](JobId a, JobId b) {
      const double sa = cluster.job(a).last_start_s, sb = cluster.job(b).last_start_s;
      return sa != sb ? sa > sb : a > b;
    });
    int available = cluster.free_gpus() + checkpointing_gpus_, chosen_gpus = 0;
    std::vector<JobId> chosen;
    for (JobId r : jobs) {
      if (available >= wv.gpus) break;
      const int g = cluster.job(r).gpus;
      if (victim_held - chosen_gpus - g < w_held + wv.gpus) break;
      chosen.push_back(r);
      chosen_gpus += g;
      available += g;
    }
    if (available < wv.gpus) return;
    for (JobId r : chosen) {
      const auto rv = cluster.job(r);
      held_[rv.user] -= rv.gpus;
      checkpointing_gpus_ += rv.gpus;
      cluster.preempt(r);
    }
  }

  std::map<int, int> held_;  // GPUs held by each user's running jobs
  bool arrived_ = false;
  int checkpointing_gpus_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_drf() { return std::make_unique<Drf>(); }

}  // namespace aisys::lab08
