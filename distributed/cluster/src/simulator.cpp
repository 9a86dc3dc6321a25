// The discrete-event cluster simulator (see simulator.hpp for the model). One Simulation object per
// run: it is the Cluster handle the policy acts through, and it checks every action.
#include "aisys/cluster/simulator.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <queue>
#include <set>

#include "aisys/cluster/metrics.hpp"
#include "aisys/cluster/policy.hpp"

namespace aisys::cluster {

const char* state_name(JobState state) {
  switch (state) {
    case JobState::kNotArrived: return "not arrived";
    case JobState::kPending: return "pending";
    case JobState::kRunning: return "running";
    case JobState::kSuspending: return "suspending";
    case JobState::kFinished: return "finished";
  }
  return "?";
}

std::vector<int> default_vc_quotas(const Trace& trace, const Topology& topology) {
  const int nvc = std::max<int>(1, static_cast<int>(trace.vcs.size()));
  const auto n = static_cast<size_t>(nvc);
  std::vector<double> demand(n, 0.0);
  std::vector<int> largest(n, 0);
  for (const Job& j : trace.jobs) {
    demand[static_cast<size_t>(j.vc)] += j.gpus * j.duration_s;
    largest[static_cast<size_t>(j.vc)] = std::max(largest[static_cast<size_t>(j.vc)], j.gpus);
  }
  double total = 0;
  for (double d : demand) total += d;
  // Whole nodes when every VC can have one; single GPUs on a tiny cluster.
  const int unit = topology.gpus() >= nvc * topology.gpus_per_node() ? topology.gpus_per_node() : 1;
  const int units = topology.gpus() / unit;
  std::vector<double> exact(n);
  std::vector<int> quota(n), floor_units(n);
  int given = 0, needed = 0;
  for (size_t v = 0; v < n; ++v) {
    exact[v] = (total > 0 ? demand[v] / total : 1.0 / nvc) * units;
    floor_units[v] = (largest[v] + unit - 1) / unit;  // room for the VC's largest job
    needed += floor_units[v];
  }
  if (needed > units) std::fill(floor_units.begin(), floor_units.end(), 0);  // cannot honour all
  for (size_t v = 0; v < n; ++v) {
    quota[v] = std::max(floor_units[v], static_cast<int>(std::floor(exact[v])));
    given += quota[v];
  }
  // Too many (floors raised some VCs): take back from the VCs furthest above their share; too
  // few: give to the largest remainders. Ties: lower VC index.
  while (given > units) {
    size_t pick = n;
    for (size_t v = 0; v < n; ++v) {
      if (quota[v] > floor_units[v] && (pick == n || quota[v] - exact[v] > quota[pick] - exact[pick])) pick = v;
    }
    --quota[pick];
    --given;
  }
  while (given < units) {
    size_t pick = 0;
    for (size_t v = 1; v < n; ++v) {
      if (exact[v] - quota[v] > exact[pick] - quota[pick]) pick = v;
    }
    ++quota[pick];
    ++given;
  }
  for (int& q : quota) q *= unit;
  return quota;
}

namespace {

enum EventType : std::uint8_t { kFinish = 0, kCheckpointDone = 1, kWake = 2 };

struct Event {
  double t;
  EventType type;
  JobId job;
  std::uint32_t version;
  bool operator>(const Event& o) const {
    if (t != o.t) return t > o.t;
    if (type != o.type) return type > o.type;
    return job > o.job;
  }
};

struct JobRuntime {
  JobState state = JobState::kNotArrived;
  double work_done = 0;      // at last_update
  double last_update = 0;
  double rate = 0;           // progress rate while not restoring
  double overhead_left = 0;  // restore time left
  double executed = 0;       // at last_update
  double last_start = -1;
  double pending_since = 0;
  int starts = 0;
  std::vector<int> held;
  std::uint32_t version = 0;
  int running_index = -1;
  double segment_start = 0, segment_overhead = 0, allocation_start = 0;
};

class Simulation final : public Cluster {
 public:
  Simulation(const Trace& trace, const Topology& topology, Policy& policy, const SimOptions& options)
      : trace_(trace), topo_(topology), policy_(policy), opt_(options),
        policy_name_(policy.name()), max_share_(policy.max_jobs_per_gpu()) {
    if (max_share_ < 1) throw PolicyError("policy '" + policy_name_ + "': max_jobs_per_gpu() < 1");
    for (const Job& j : trace.jobs) {
      if (j.gpus > topology.gpus()) {
        throw InvalidArgument("trace " + trace.source + ": job " + j.name + " asks for " +
                              std::to_string(j.gpus) + " GPUs; the cluster " + topology.describe() +
                              " has " + std::to_string(topology.gpus()));
      }
    }
    if (opt_.vc_quota.empty()) opt_.vc_quota = default_vc_quotas(trace, topology);
    if (opt_.vc_quota.size() < std::max<size_t>(1, trace.vcs.size())) {
      throw InvalidArgument("SimOptions::vc_quota has " + std::to_string(opt_.vc_quota.size()) +
                            " entries; the trace has " + std::to_string(trace.vcs.size()) + " VCs");
    }
    if (opt_.sample_interval_s <= 0) throw InvalidArgument("SimOptions::sample_interval_s must be > 0");
    for (double s : opt_.span_speed) {
      if (!(s > 0 && s <= 1)) throw InvalidArgument("SimOptions::span_speed entries must be in (0, 1]");
    }
    if (!(opt_.share_efficiency > 0 && opt_.share_efficiency <= 1)) {
      throw InvalidArgument("SimOptions::share_efficiency must be in (0, 1]");
    }
    const size_t n = trace.jobs.size();
    jobs_.resize(n);
    result_.policy = policy_name_;
    result_.jobs.resize(n);
    for (size_t i = 0; i < n; ++i) result_.jobs[i].submit_s = trace.jobs[i].submit_s;
    on_gpu_.resize(static_cast<size_t>(topology.gpus()));
    util_.assign(static_cast<size_t>(topology.gpus()), 0.0);
    for (int level = 0; level < kLevels; ++level) {
      free_in_[level].assign(static_cast<size_t>(topology.cells(level)), topology.cell_size(level));
    }
    vc_used_.assign(opt_.vc_quota.size(), 0);
    stamp_.assign(static_cast<size_t>(topology.gpus()), 0);
    max_events_ = opt_.max_events ? opt_.max_events : 1000 * static_cast<std::uint64_t>(n) + 1000000;
  }

  SimResult run() {
    const auto wall_start = std::chrono::steady_clock::now();
    size_t next_arrival = 0;
    const size_t n = trace_.jobs.size();
    next_sample_ = trace_.jobs.empty() ? 0 : trace_.jobs[0].submit_s;
    now_ = next_sample_;
    last_t_ = now_;
    while (true) {
      double t = std::numeric_limits<double>::infinity();
      if (next_arrival < n) t = trace_.jobs[next_arrival].submit_s;
      drop_stale_events();
      if (!events_.empty()) t = std::min(t, events_.top().t);
      if (std::isinf(t)) break;
      advance_to(t);
      // Every event of this instant: completions and checkpoint ends (freeing GPUs) first, then
      // arrivals, then one schedule() call.
      while (true) {
        drop_stale_events();
        if (events_.empty() || events_.top().t > now_) break;
        const Event e = events_.top();
        events_.pop();
        count_event();
        if (e.type == kFinish) {
          finish(e.job);
        } else if (e.type == kCheckpointDone) {
          suspended(e.job);
        } else {
          wakes_.erase(e.t);
        }
      }
      while (next_arrival < n && trace_.jobs[next_arrival].submit_s <= now_) {
        count_event();
        arrive(static_cast<JobId>(next_arrival++));
      }
      policy_.schedule(*this);
    }
    if (finished_ != n) report_stuck();
    result_.end_s = now_;
    result_.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return std::move(result_);
  }

  // ---- Cluster ----
  double now() const override { return now_; }
  const Topology& topology() const override { return topo_; }
  const SimOptions& options() const override { return opt_; }
  const Trace& trace() const override { return trace_; }
  int vc_quota(int vc) const override {
    if (vc < 0 || static_cast<size_t>(vc) >= opt_.vc_quota.size()) {
      throw PolicyError("policy '" + policy_name_ + "' asked for the quota of VC " + std::to_string(vc) +
                        ", which does not exist");
    }
    return opt_.vc_quota[static_cast<size_t>(vc)];
  }
  std::span<const JobId> pending() const override { return pending_; }
  std::span<const JobId> running() const override { return running_; }

  JobView job(JobId id) const override {
    check_id(id, "job");
    const Job& j = trace_.jobs[static_cast<size_t>(id)];
    const JobRuntime& r = jobs_[static_cast<size_t>(id)];
    JobView v;
    v.id = id;
    v.submit_s = j.submit_s;
    v.user = j.user;
    v.vc = j.vc;
    v.gpus = j.gpus;
    v.gpu_util = j.gpu_util;
    v.state = r.state;
    v.executed_s = r.executed + (r.state == JobState::kRunning ? now_ - r.last_update : 0.0);
    v.attained_gpu_s = v.executed_s * j.gpus;
    v.last_start_s = r.last_start;
    v.pending_since_s = r.pending_since;
    v.starts = r.starts;
    v.held = r.held;
    return v;
  }

  int free_gpus() const override { return free_in_[kClusterLevel][0]; }
  int free_gpus_in(int level, int cell) const override {
    if (level < 0 || level >= kLevels || cell < 0 || cell >= topo_.cells(level)) {
      throw PolicyError("policy '" + policy_name_ + "' asked for cell " + std::to_string(cell) +
                        " of level " + std::to_string(level) + ", which does not exist");
    }
    return free_in_[level][static_cast<size_t>(cell)];
  }
  int jobs_on(int gpu) const override {
    check_gpu(gpu);
    return static_cast<int>(on_gpu_[static_cast<size_t>(gpu)].size());
  }
  std::span<const JobId> jobs_on_gpu(int gpu) const override {
    check_gpu(gpu);
    return on_gpu_[static_cast<size_t>(gpu)];
  }
  double util_on(int gpu) const override {
    check_gpu(gpu);
    return util_[static_cast<size_t>(gpu)];
  }

  std::optional<std::vector<int>> first_fit(int n) const override {
    if (n < 1 || n > free_gpus()) return std::nullopt;
    std::vector<int> gpus;
    gpus.reserve(static_cast<size_t>(n));
    const int per_node = topo_.gpus_per_node();
    for (int node = 0; node < topo_.nodes() && static_cast<int>(gpus.size()) < n; ++node) {
      if (free_in_[kNode][static_cast<size_t>(node)] == 0) continue;
      for (int g = node * per_node; g < (node + 1) * per_node && static_cast<int>(gpus.size()) < n; ++g) {
        if (on_gpu_[static_cast<size_t>(g)].empty()) gpus.push_back(g);
      }
    }
    return gpus;
  }

  void start(JobId id, std::span<const int> gpus) override {
    check_id(id, "start");
    const Job& j = trace_.jobs[static_cast<size_t>(id)];
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    if (r.state != JobState::kPending) {
      fail("started job " + j.name + " (id " + std::to_string(id) + ") which is " + state_name(r.state));
    }
    if (static_cast<int>(gpus.size()) != j.gpus) {
      fail("started job " + j.name + " on " + std::to_string(gpus.size()) + " GPUs; it needs exactly " +
           std::to_string(j.gpus) + " (gang scheduling)");
    }
    ++stamp_value_;
    for (int g : gpus) {
      if (g < 0 || g >= topo_.gpus()) fail("started job " + j.name + " on GPU " + std::to_string(g) + ", which does not exist");
      if (stamp_[static_cast<size_t>(g)] == stamp_value_) fail("started job " + j.name + " on GPU " + std::to_string(g) + " twice");
      stamp_[static_cast<size_t>(g)] = stamp_value_;
      const auto& on = on_gpu_[static_cast<size_t>(g)];
      if (static_cast<int>(on.size()) >= max_share_) {
        fail("started job " + j.name + " on GPU " + std::to_string(g) + ", which job " +
             trace_.jobs[static_cast<size_t>(on.front())].name + " holds" +
             (max_share_ > 1 ? " with " + std::to_string(on.size() - 1) + " other(s) (at most " + std::to_string(max_share_) + " jobs per GPU)"
                             : " (GPUs are exclusive for this policy)"));
      }
    }
    auto it = std::lower_bound(pending_.begin(), pending_.end(), id);
    pending_.erase(it);
    JobOutcome& out = result_.jobs[static_cast<size_t>(id)];
    out.pending_s += now_ - r.pending_since;
    if (out.first_start_s < 0) {
      out.first_start_s = now_;
      out.first_span = topo_.span_level(gpus);
    }
    r.held.assign(gpus.begin(), gpus.end());
    r.state = JobState::kRunning;
    r.last_update = now_;
    r.overhead_left = r.starts > 0 ? opt_.restore_s : 0.0;
    ++r.starts;
    r.last_start = now_;
    r.allocation_start = now_;
    r.running_index = static_cast<int>(running_.size());
    running_.push_back(id);
    vc_used_[static_cast<size_t>(j.vc)] += j.gpus;
    for (int g : gpus) occupy(g, id, j.gpu_util);
    r.rate = compute_rate(id);
    open_segment(r);
    schedule_finish(id);
    if (max_share_ > 1) refresh_neighbours(id);
  }

  void preempt(JobId id) override {
    check_id(id, "preempt");
    const Job& j = trace_.jobs[static_cast<size_t>(id)];
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    if (r.state != JobState::kRunning) {
      fail("preempted job " + j.name + " (id " + std::to_string(id) + ") which is " + state_name(r.state));
    }
    touch(id);
    close_segment(id, r);
    remove_running(id, r);
    r.state = JobState::kSuspending;
    ++r.version;  // its finish event is void
    ++result_.jobs[static_cast<size_t>(id)].preemptions;
    if (opt_.record_segments && opt_.checkpoint_s > 0) {
      result_.segments.push_back({id, now_, now_ + opt_.checkpoint_s, 0.0});
    }
    events_.push({now_ + opt_.checkpoint_s, kCheckpointDone, id, r.version});
  }

  void wake_at(double t) override {
    if (!(t > now_) || std::isinf(t)) {
      fail("asked to be woken at " + std::to_string(t) + " s; it is " + std::to_string(now_) +
           " s (a wake-up must be later than now)");
    }
    if (wakes_.insert(t).second) events_.push({t, kWake, -1, 0});
  }

  double oracle_duration_s(JobId id) const override {
    check_oracle(id);
    return trace_.jobs[static_cast<size_t>(id)].duration_s;
  }
  double oracle_remaining_s(JobId id) const override {
    check_oracle(id);
    const JobRuntime& r = jobs_[static_cast<size_t>(id)];
    double done = r.work_done;
    if (r.state == JobState::kRunning) {
      const double dt = now_ - r.last_update;
      done += r.rate * std::max(0.0, dt - r.overhead_left);
    }
    return std::max(0.0, trace_.jobs[static_cast<size_t>(id)].duration_s - done);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw PolicyError("policy '" + policy_name_ + "' " + what + " (at t = " + std::to_string(now_) + " s)");
  }
  void check_id(JobId id, const char* what) const {
    if (id < 0 || static_cast<size_t>(id) >= trace_.jobs.size()) {
      fail(std::string("named job id ") + std::to_string(id) + " in " + what + "; ids are 0.." +
           std::to_string(static_cast<long>(trace_.jobs.size()) - 1));
    }
  }
  void check_gpu(int gpu) const {
    if (gpu < 0 || gpu >= topo_.gpus()) fail("asked about GPU " + std::to_string(gpu) + ", which does not exist");
  }
  void check_oracle(JobId id) const {
    check_id(id, "oracle");
    if (!opt_.oracle) {
      fail("read a job's duration, but this run gives no oracle (SimOptions::oracle is off): the "
           "policy must decide without knowing durations");
    }
    if (jobs_[static_cast<size_t>(id)].state == JobState::kNotArrived) fail("read the duration of a job not yet submitted");
  }

  void count_event() {
    if (++result_.events > max_events_) {
      throw PolicyError("policy '" + policy_name_ + "': more than " + std::to_string(max_events_) +
                        " events (an endless loop of preemptions or wake-ups?) at t = " + std::to_string(now_) + " s");
    }
  }

  void drop_stale_events() {
    while (!events_.empty()) {
      const Event& e = events_.top();
      if (e.type == kWake) return;
      const JobRuntime& r = jobs_[static_cast<size_t>(e.job)];
      if (e.version == r.version) return;
      events_.pop();
    }
  }

  // Moves the clock: integrates busy GPUs and takes the samples that fall before t.
  void advance_to(double t) {
    if (t < now_) t = now_;
    while (next_sample_ <= t) {
      take_sample(next_sample_);
      next_sample_ += opt_.sample_interval_s;
    }
    result_.busy_gpu_s += static_cast<double>(busy_) * (t - last_t_);
    last_t_ = t;
    now_ = t;
  }

  void take_sample(double t) {
    Sample s{t, busy_, static_cast<int>(pending_.size()), static_cast<int>(running_.size()), -1.0};
    if (!pending_.empty() && free_gpus() > 0) {
      // Weighted by the pending jobs' sizes (few distinct sizes: a short list of (gpus, count)).
      std::vector<std::pair<int, int>> sizes;
      for (JobId id : pending_) {
        const int g = trace_.jobs[static_cast<size_t>(id)].gpus;
        auto it = std::find_if(sizes.begin(), sizes.end(), [g](const auto& p) { return p.first == g; });
        if (it == sizes.end()) sizes.push_back({g, 1});
        else ++it->second;
      }
      double sum = 0;
      for (const auto& [g, count] : sizes) sum += count * fragmentation(free_in_[kNode], topo_.gpus_per_node(), g);
      s.fragmentation = sum / static_cast<double>(pending_.size());
    }
    result_.samples.push_back(s);
  }

  void arrive(JobId id) {
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    const Job& j = trace_.jobs[static_cast<size_t>(id)];
    r.state = JobState::kPending;
    r.pending_since = now_;
    r.last_update = now_;
    result_.jobs[static_cast<size_t>(id)].within_quota =
        vc_used_[static_cast<size_t>(j.vc)] + j.gpus <= opt_.vc_quota[static_cast<size_t>(j.vc)];
    pending_.push_back(id);  // arrivals come in id order, after every pending id
    policy_.on_arrival(*this, id);
  }

  void finish(JobId id) {
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    touch(id);
    r.work_done = trace_.jobs[static_cast<size_t>(id)].duration_s;
    close_segment(id, r);
    remove_running(id, r);
    release(id, r);
    r.state = JobState::kFinished;
    ++r.version;
    ++finished_;
    result_.jobs[static_cast<size_t>(id)].finish_s = now_;
    policy_.on_finish(*this, id);
  }

  void suspended(JobId id) {
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    release(id, r);
    r.state = JobState::kPending;
    r.pending_since = now_;
    ++r.version;
    pending_.insert(std::lower_bound(pending_.begin(), pending_.end(), id), id);
    policy_.on_suspended(*this, id);
  }

  void release(JobId id, JobRuntime& r) {
    const Job& j = trace_.jobs[static_cast<size_t>(id)];
    if (opt_.record_segments) result_.allocations.push_back({id, r.allocation_start, now_, r.held});
    for (int g : r.held) vacate(g, id, j.gpu_util);
    vc_used_[static_cast<size_t>(j.vc)] -= j.gpus;
    if (max_share_ > 1) refresh_gpus(r.held, id);
    r.held.clear();
  }

  void occupy(int g, JobId id, double util) {
    auto& on = on_gpu_[static_cast<size_t>(g)];
    if (on.empty()) {
      ++busy_;
      for (int level = 1; level < kLevels; ++level) --free_in_[level][static_cast<size_t>(topo_.cell_of(g, level))];
      --free_in_[0][static_cast<size_t>(g)];
    }
    on.push_back(id);
    util_[static_cast<size_t>(g)] += util;
  }

  void vacate(int g, JobId id, double util) {
    auto& on = on_gpu_[static_cast<size_t>(g)];
    on.erase(std::find(on.begin(), on.end(), id));
    util_[static_cast<size_t>(g)] = on.empty() ? 0.0 : util_[static_cast<size_t>(g)] - util;
    if (on.empty()) {
      --busy_;
      for (int level = 0; level < kLevels; ++level) ++free_in_[level][static_cast<size_t>(topo_.cell_of(g, level))];
    }
  }

  void remove_running(JobId id, JobRuntime& r) {
    (void)id;
    const int i = r.running_index;
    const JobId last = running_.back();
    running_[static_cast<size_t>(i)] = last;
    jobs_[static_cast<size_t>(last)].running_index = i;
    running_.pop_back();
    r.running_index = -1;
  }

  double compute_rate(JobId id) const {
    const JobRuntime& r = jobs_[static_cast<size_t>(id)];
    double rate = opt_.span_speed[static_cast<size_t>(topo_.span_level(r.held))];
    double share = 1.0;
    for (int g : r.held) {
      const auto& on = on_gpu_[static_cast<size_t>(g)];
      if (on.size() > 1) {
        share = std::min(share, opt_.share_efficiency * std::min(1.0, 1.0 / util_[static_cast<size_t>(g)]));
      }
    }
    return rate * share;
  }

  // Brings a running job's progress up to now.
  void touch(JobId id) {
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    if (r.state != JobState::kRunning) return;
    const double dt = now_ - r.last_update;
    const double o = std::min(dt, r.overhead_left);
    r.overhead_left -= o;
    r.work_done += r.rate * (dt - o);
    r.executed += dt;
    r.last_update = now_;
  }

  void open_segment(JobRuntime& r) {
    r.segment_start = now_;
    r.segment_overhead = r.overhead_left;
  }
  void close_segment(JobId id, JobRuntime& r) {
    if (!opt_.record_segments) return;
    const double overhead_end = std::min(now_, r.segment_start + r.segment_overhead);
    if (overhead_end > r.segment_start) result_.segments.push_back({id, r.segment_start, overhead_end, 0.0});
    if (now_ > overhead_end) result_.segments.push_back({id, overhead_end, now_, r.rate});
  }

  void schedule_finish(JobId id) {
    JobRuntime& r = jobs_[static_cast<size_t>(id)];
    ++r.version;
    const double remaining = std::max(0.0, trace_.jobs[static_cast<size_t>(id)].duration_s - r.work_done);
    events_.push({now_ + r.overhead_left + remaining / r.rate, kFinish, id, r.version});
  }

  // Sharing: the jobs on the GPUs of `id` (other than it) change rate.
  void refresh_neighbours(JobId id) { refresh_gpus(jobs_[static_cast<size_t>(id)].held, id); }
  void refresh_gpus(const std::vector<int>& gpus, JobId except) {
    ++stamp_value_;
    for (int g : gpus) {
      for (JobId other : on_gpu_[static_cast<size_t>(g)]) {
        if (other == except) continue;
        JobRuntime& o = jobs_[static_cast<size_t>(other)];
        if (o.state != JobState::kRunning) continue;
        if (job_stamp_.size() < jobs_.size()) job_stamp_.assign(jobs_.size(), 0);
        if (job_stamp_[static_cast<size_t>(other)] == stamp_value_) continue;
        job_stamp_[static_cast<size_t>(other)] = stamp_value_;
        const double rate = compute_rate(other);
        if (rate == o.rate) continue;
        touch(other);
        close_segment(other, o);
        o.rate = rate;
        open_segment(o);
        schedule_finish(other);
      }
    }
  }

  [[noreturn]] void report_stuck() const {
    size_t left = 0;
    JobId example = -1;
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].state != JobState::kFinished) {
        ++left;
        if (example < 0) example = static_cast<JobId>(i);
      }
    }
    const Job& j = trace_.jobs[static_cast<size_t>(example)];
    throw PolicyError("policy '" + policy_name_ + "' left " + std::to_string(left) +
                      " job(s) unfinished with nothing running and no wake-up asked (at t = " +
                      std::to_string(now_) + " s, " + std::to_string(free_gpus()) +
                      " GPUs free): e.g. job " + j.name + " (" + std::to_string(j.gpus) +
                      " GPUs, submitted at " + std::to_string(j.submit_s) + " s) is " +
                      state_name(jobs_[static_cast<size_t>(example)].state));
  }

  const Trace& trace_;
  const Topology& topo_;
  Policy& policy_;
  SimOptions opt_;
  std::string policy_name_;
  int max_share_;
  std::uint64_t max_events_ = 0;

  double now_ = 0, last_t_ = 0, next_sample_ = 0;
  std::vector<JobRuntime> jobs_;
  std::vector<JobId> pending_, running_;
  std::vector<std::vector<JobId>> on_gpu_;
  std::vector<double> util_;
  std::array<std::vector<int>, kLevels> free_in_;
  std::vector<int> vc_used_;
  std::vector<std::uint32_t> stamp_, job_stamp_;
  std::uint32_t stamp_value_ = 0;
  int busy_ = 0;
  size_t finished_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::set<double> wakes_;
  SimResult result_;
};

}  // namespace

SimResult simulate(const Trace& trace, const Topology& topology, Policy& policy,
                   const SimOptions& options) {
  Simulation sim(trace, topology, policy, options);
  return sim.run();
}

}  // namespace aisys::cluster
