// Lab 08, part 2 (reference): Tiresias' discretised two-dimensional least-attained-service
// scheduler (Gu et al., NSDI'19), without duration knowledge.
//
// Each job's priority key is (queue, entry time into that queue, id). Pending and running jobs sit
// in two ordered sets; demotions (a running job's service crossing a threshold) and promotions (a
// pending job waiting past the starvation limit) are found through min-heaps of their due times,
// with wake-ups asked for the earliest, so nothing is rescanned per event.
#include <algorithm>
#include <cmath>
#include <queue>
#include <set>
#include <tuple>
#include <vector>

#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;
using cluster::JobState;

struct Key {
  int queue;
  double entry;
  JobId id;
  auto operator<=>(const Key&) const = default;
};

struct Due {
  double t;
  JobId id;
  unsigned version;
  bool operator>(const Due& o) const { return std::tie(t, id) > std::tie(o.t, o.id); }
};
using DueHeap = std::priority_queue<Due, std::vector<Due>, std::greater<Due>>;

class TiresiasLas final : public Policy {
 public:
  explicit TiresiasLas(LasOptions options) : opt_(std::move(options)) {}
  std::string name() const override { return "tiresias-las"; }

  void on_arrival(Cluster& cluster, JobId id) override {
    grow(id);
    state_[id] = {Key{0, cluster.now(), id}, 0.0, 0};
    pending_.insert(state_[id].key);
    changed_ = true;
  }
  void on_finish(Cluster&, JobId id) override { running_.erase(state_[id].key); }
  void on_suspended(Cluster& cluster, JobId id) override {
    checkpointing_gpus_ -= cluster.job(id).gpus;
    JobInfo& s = state_[id];
    ++s.version;
    pending_.insert(s.key);
    if (s.key.queue > 0 && opt_.starve_factor > 0) {
      const double wait = std::max(opt_.starve_min_wait_s, opt_.starve_factor * cluster.job(id).executed_s);
      promotions_.push({cluster.now() + wait, id, s.version});
    }
  }

  void schedule(Cluster& cluster) override {
    const double now = cluster.now();
    // Demotions: running jobs whose service reached their queue's threshold.
    while (!demotions_.empty() && demotions_.top().t <= now) {
      const Due d = demotions_.top();
      demotions_.pop();
      JobInfo& s = state_[d.id];
      if (d.version != s.version || cluster.job(d.id).state != JobState::kRunning) continue;
      const int q = queue_of(service(cluster, d.id));
      if (q > s.key.queue) {
        running_.erase(s.key);
        s.key = Key{q, now, d.id};
        running_.insert(s.key);
        changed_ = true;
      }
      push_demotion(cluster, d.id);
    }
    // Promotions: pending jobs that waited past the starvation limit go back to queue 0.
    while (!promotions_.empty() && promotions_.top().t <= now) {
      const Due d = promotions_.top();
      promotions_.pop();
      JobInfo& s = state_[d.id];
      if (d.version != s.version || cluster.job(d.id).state != JobState::kPending) continue;
      pending_.erase(s.key);
      s.key = Key{0, now, d.id};
      s.service_base = cluster.job(d.id).attained_gpu_s;
      pending_.insert(s.key);
      changed_ = true;
    }
    // Greedy by priority.
    for (auto it = pending_.begin(); it != pending_.end() && cluster.free_gpus() > 0;) {
      const JobId id = it->id;
      const int gpus = cluster.job(id).gpus;
      if (gpus <= cluster.free_gpus()) {
        cluster.start(id, *cluster.first_fit(gpus));
        JobInfo& s = state_[id];
        ++s.version;
        running_.insert(s.key);
        push_demotion(cluster, id);
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
    if (changed_ && !pending_.empty()) make_room(cluster);
    changed_ = false;
    // Wake up for the next demotion or promotion.
    for (DueHeap* h : {&demotions_, &promotions_}) {
      if (!h->empty() && h->top().t > now) cluster.wake_at(h->top().t);
    }
  }

 private:
  struct JobInfo {
    Key key{};
    double service_base = 0;  // attained service at the last promotion
    unsigned version = 0;     // bumped at every start and suspension: stale heap entries skip
  };

  void grow(JobId id) {
    if (static_cast<size_t>(id) >= state_.size()) state_.resize(static_cast<size_t>(id) + 1024);
  }
  double service(const Cluster& cluster, JobId id) const {
    return cluster.job(id).attained_gpu_s - state_[static_cast<size_t>(id)].service_base;
  }
  int queue_of(double service_gpu_s) const {
    int q = 0;
    // A small tolerance: the wake-up lands on the crossing up to rounding.
    while (q < static_cast<int>(opt_.thresholds_gpu_s.size()) &&
           service_gpu_s >= opt_.thresholds_gpu_s[static_cast<size_t>(q)] - 1e-6) {
      ++q;
    }
    return q;
  }
  void push_demotion(const Cluster& cluster, JobId id) {
    const JobInfo& s = state_[static_cast<size_t>(id)];
    if (s.key.queue >= static_cast<int>(opt_.thresholds_gpu_s.size())) return;
    const double left = opt_.thresholds_gpu_s[static_cast<size_t>(s.key.queue)] - service(cluster, id);
    demotions_.push({cluster.now() + std::max(0.0, left) / cluster.job(id).gpus, id, s.version});
  }

  void make_room(Cluster& cluster) {
    const Key w = *pending_.begin();
    const int need = cluster.job(w.id).gpus;
    int available = cluster.free_gpus() + checkpointing_gpus_;
    std::vector<JobId> chosen;
    for (auto it = running_.rbegin(); it != running_.rend() && available < need && w < *it; ++it) {
      chosen.push_back(it->id);
      available += cluster.job(it->id).gpus;
    }
    if (available < need) return;
    for (JobId id : chosen) {
      running_.erase(state_[id].key);
      checkpointing_gpus_ += cluster.job(id).gpus;
      ++state_[id].version;
      cluster.preempt(id);
    }
  }

  LasOptions opt_;
  std::vector<JobInfo> state_;
  std::set<Key> pending_, running_;
  DueHeap demotions_, promotions_;
  bool changed_ = false;
  int checkpointing_gpus_ = 0;
};

}  // namespace

std::unique_ptr<Policy> make_tiresias_las(const LasOptions& options) {
  return std::make_unique<TiresiasLas>(options);
}

}  // namespace aisys::lab08
