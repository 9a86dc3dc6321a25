// Lab 08, part 1 (reference): shortest-job-first and shortest-remaining-time-first with oracle
// durations. Both keep the pending jobs in a set ordered by (duration or remaining time, id),
// which is constant while a job waits, so each schedule() walks only that set.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;
using Key = std::pair<double, JobId>;

// Starts every pending job that fits, in key order; returns nothing, updates `queue`.
void greedy(Cluster& cluster, std::set<Key>& queue) {
  for (auto it = queue.begin(); it != queue.end() && cluster.free_gpus() > 0;) {
    const JobId id = it->second;
    const int gpus = cluster.job(id).gpus;
    if (gpus <= cluster.free_gpus()) {
      cluster.start(id, *cluster.first_fit(gpus));
      it = queue.erase(it);
    } else {
      ++it;
    }
  }
}

class Sjf final : public Policy {
 public:
  std::string name() const override { return "sjf"; }
  void on_arrival(Cluster& cluster, JobId id) override {
    queue_.insert({cluster.oracle_duration_s(id), id});
  }
  void schedule(Cluster& cluster) override { greedy(cluster, queue_); }

 private:
  std::set<Key> queue_;
};

class Srtf final : public Policy {
 public:
  std::string name() const override { return "srtf"; }
  void on_arrival(Cluster& cluster, JobId id) override {
    queue_.insert({cluster.oracle_duration_s(id), id});
    arrived_ = true;
  }
  void on_suspended(Cluster& cluster, JobId id) override {
    checkpointing_gpus_ -= cluster.job(id).gpus;
    queue_.insert({cluster.oracle_remaining_s(id), id});
  }
  void schedule(Cluster& cluster) override {
    greedy(cluster, queue_);
    if (arrived_ && !queue_.empty()) make_room(cluster);
    arrived_ = false;
  }

 private:
  void make_room(Cluster& cluster) {
    const auto [w_remaining, w] = *queue_.begin();
    const int need = cluster.job(w).gpus;
    std::vector<Key> lower;  // running jobs with lower priority than w
    for (JobId r : cluster.running()) {
      const Key k{cluster.oracle_remaining_s(r), r};
      if (k > Key{w_remaining, w}) lower.push_back(k);
    }
    std::sort(lower.begin(), lower.end(), std::greater<>());  // lowest priority first
    int available = cluster.free_gpus() + checkpointing_gpus_;
    size_t chosen = 0;
    while (available < need && chosen < lower.size()) available += cluster.job(lower[chosen++].second).gpus;
    if (available < need) return;
    for (size_t i = 0; i < chosen; ++i) {
      checkpointing_gpus_ += cluster.job(lower[i].second).gpus;
      cluster.preempt(lower[i].second);
    }
  }

  std::set<Key> queue_;
  bool arrived_ = false;
  int checkpointing_gpus_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_sjf() { return std::make_unique<Sjf>(); }
std::unique_ptr<Policy> make_srtf() { return std::make_unique<Srtf>(); }

}  // namespace aisys::lab08
