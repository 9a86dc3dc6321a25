// Lab 08, part 5 (reference): DRF across users (Ghodsi et al., NSDI'11). With GPUs the one
// resource, a user's dominant share is its share of the GPUs, so DRF is max-min fairness: the user
// holding the fewest GPUs is served first, and a user far above its share gives GPUs back when a
// poorer user's job arrives.
#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class Drf final : public Policy {
 public:
  std::string name() const override { return "drf"; }
  void on_arrival(Cluster& cluster, JobId id) override {
    add_pending(cluster, id);
    arrived_ = true;
  }
  void on_finish(Cluster& cluster, JobId id) override { held_[cluster.job(id).user] -= cluster.job(id).gpus; }
  void on_suspended(Cluster& cluster, JobId id) override {
    checkpointing_gpus_ -= cluster.job(id).gpus;
    add_pending(cluster, id);
  }

  void schedule(Cluster& cluster) override {
    // Greedy: repeatedly start the fitting pending job with the smallest (user's GPUs, id).
    while (cluster.free_gpus() > 0) {
      const auto [best, user] = pick(cluster.free_gpus());
      if (best < 0) break;
      const int gpus = cluster.job(best).gpus;
      cluster.start(best, *cluster.first_fit(gpus));
      remove_pending(user, gpus, best);
      held_[user] += gpus;
    }
    if (arrived_) make_room(cluster);
    arrived_ = false;
  }

 private:
  // Pending jobs per user, by GPU count, each in arrival (id) order: the oldest job of a user that
  // fits is the smallest id among the sizes <= the free GPUs (a handful of sizes).
  using BySize = std::map<int, std::set<JobId>>;

  void add_pending(const Cluster& cluster, JobId id) {
    const auto v = cluster.job(id);
    pending_[v.user][v.gpus].insert(id);
  }
  void remove_pending(int user, int gpus, JobId id) {
    auto& by_size = pending_[user];
    auto it = by_size.find(gpus);
    it->second.erase(id);
    if (it->second.empty()) by_size.erase(it);
    if (by_size.empty()) pending_.erase(user);
  }
  int held(int user) const {
    auto it = held_.find(user);
    return it == held_.end() ? 0 : it->second;
  }
  // The pending job with the smallest (held GPUs of its user, id) among those of at most
  // `max_gpus` GPUs; {-1, -1} if none.
  std::pair<JobId, int> pick(int max_gpus) const {
    JobId best = -1;
    int best_user = -1, best_held = 0;
    for (const auto& [user, by_size] : pending_) {
      JobId oldest = -1;
      for (const auto& [gpus, ids] : by_size) {
        if (gpus > max_gpus) break;
        if (oldest < 0 || *ids.begin() < oldest) oldest = *ids.begin();
      }
      if (oldest < 0) continue;
      const int h = held(user);
      if (best < 0 || h < best_held || (h == best_held && oldest < best)) {
        best = oldest;
        best_user = user;
        best_held = h;
      }
    }
    return {best, best_user};
  }

  void make_room(Cluster& cluster) {
    // The highest-priority pending job (none fits now).
    const auto [w, w_user] = pick(std::numeric_limits<int>::max());
    if (w < 0) return;
    const auto wv = cluster.job(w);
    const int w_held = held(w_user);
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

  std::map<int, BySize> pending_;  // by user
  std::map<int, int> held_;        // GPUs held by each user's running jobs
  bool arrived_ = false;
  int checkpointing_gpus_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_drf() { return std::make_unique<Drf>(); }

}  // namespace aisys::lab08
