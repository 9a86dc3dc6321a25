// aisys/cluster/simulator.hpp: a discrete-event simulator of a GPU cluster running a trace under a
// scheduling policy.
//
// Model (distributed/README.md#the-simulator has the long version):
//   - Jobs arrive at Job::submit_s and are *pending* until the policy starts them on exactly
//     Job::gpus GPUs (gang scheduling: all at once).
//   - A running job progresses at a rate in (0, 1] work-seconds per second:
//       rate = placement speed (SimOptions::span_speed[span level of its GPUs])
//            x sharing factor (1 when alone; with k jobs on a GPU whose utilisations sum to U:
//              share_efficiency x min(1, 1 / U), the worst of its GPUs)
//     and finishes when it has done Job::duration_s of work.
//   - Preemption: Cluster::preempt() suspends a running job; it keeps its GPUs for checkpoint_s
//     (no progress), then is pending again with its progress kept. A job started after a
//     preemption first spends restore_s restoring (holding its GPUs, no progress).
//   - GPU sharing (time slicing, packing) is allowed when the policy says so
//     (Policy::max_jobs_per_gpu() > 1).
// Progress is tracked lazily (a job is touched only when its rate changes), so each event costs
// O(log n) plus the policy's own work.
//
// The simulator checks every action of the policy and throws PolicyError naming the policy, the
// job and the GPU when one is impossible (starting a job on a GPU another job holds, on the wrong
// number of GPUs, before it arrived, twice, ...): a policy cannot overcommit the cluster.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aisys/cluster/topology.hpp"
#include "aisys/cluster/trace.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::cluster {

class Policy;

// A policy asked for something impossible.
class PolicyError : public Error {
 public:
  using Error::Error;
};

struct SimOptions {
  // Progress rate of a job by the span level of its GPUs (within one GPU or switch: 1; across
  // sockets, nodes, racks: slower). Index: Level.
  std::array<double, kLevels> span_speed = {1.0, 1.0, 0.95, 0.90, 0.75, 0.65};
  double share_efficiency = 0.95;  // context-switch and interference cost when GPUs are shared
  double checkpoint_s = 30;        // time to suspend (GPUs held, no progress)
  double restore_s = 30;           // time to resume after a preemption (GPUs held, no progress)
  bool oracle = false;             // may the policy read job durations (SJF, SRTF)?
  // Guaranteed GPUs per virtual cluster (index: Trace::vcs), for HiveD and the SLA metric; empty:
  // default_vc_quotas().
  std::vector<int> vc_quota;
  double sla_wait_s = 3600;        // a job within its VC's quota should start within this
  double sample_interval_s = 600;  // utilisation / queue / fragmentation samples (simulated time)
  bool record_segments = true;     // keep every allocation and rate segment (invariant checks)
  std::uint64_t max_events = 0;    // 0: 1000 per job + 1e6; more ends the run with an error
};

// Quotas proportional to each VC's GPU-second demand in the trace, in whole nodes where every VC
// can have one, each at least the VC's largest job (when the cluster can hold all of those),
// summing to the cluster's GPUs.
std::vector<int> default_vc_quotas(const Trace& trace, const Topology& topology);

enum class JobState : std::uint8_t { kNotArrived, kPending, kRunning, kSuspending, kFinished };
const char* state_name(JobState state);

// What a policy sees of a job. No duration: that is Cluster::oracle_*().
struct JobView {
  JobId id = 0;
  double submit_s = 0;
  int user = 0, vc = 0, gpus = 0;
  double gpu_util = 1;
  JobState state = JobState::kNotArrived;
  double executed_s = 0;    // wall time spent running so far (restore time included)
  double attained_gpu_s = 0;  // executed_s x gpus: Tiresias' two-dimensional attained service
  double last_start_s = -1; // start of the current (or last) run; -1 if never started
  double pending_since_s = 0; // when it last became pending (arrival or end of a checkpoint)
  int starts = 0;           // times started (1 + resumptions)
  std::span<const int> held; // GPUs held while running or suspending
};

// One job's outcome.
struct JobOutcome {
  double submit_s = 0, first_start_s = -1, finish_s = -1;
  double pending_s = 0;      // total time pending (first wait and after preemptions)
  int preemptions = 0;
  int first_span = 0;        // span level of the first placement
  bool within_quota = false; // its VC was within quota (used + gpus <= quota) when it arrived
};

// A period during which a job held a set of GPUs.
struct Allocation {
  JobId job;
  double start_s, end_s;
  std::vector<int> gpus;
};
// A period of constant progress rate (0 while checkpointing or restoring).
struct Segment {
  JobId job;
  double start_s, end_s, rate;
};
// The cluster every sample_interval_s.
struct Sample {
  double t;
  int busy_gpus;      // GPUs with at least one job (running or suspending)
  int pending_jobs;
  int running_jobs;
  double fragmentation;  // see metrics.hpp; -1 when nothing is pending or nothing is free
};

struct SimResult {
  std::string policy;
  std::vector<JobOutcome> jobs;  // by JobId
  std::vector<Allocation> allocations;
  std::vector<Segment> segments;
  std::vector<Sample> samples;
  std::uint64_t events = 0;      // arrivals + completions + checkpoint ends + wake-ups
  double wall_s = 0;             // host time the run took
  double busy_gpu_s = 0;         // integral of busy GPUs over time
  double end_s = 0;              // time of the last event
};

// The policy's handle on the simulated cluster during a callback.
class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual double now() const = 0;
  virtual const Topology& topology() const = 0;
  virtual const SimOptions& options() const = 0;
  virtual const Trace& trace() const = 0;  // names of users and VCs; do not read durations
  virtual int vc_quota(int vc) const = 0;

  // Jobs waiting to (re)start, in order of arrival (earliest first).
  virtual std::span<const JobId> pending() const = 0;
  // Jobs running (holding GPUs and progressing or restoring), in no particular order.
  virtual std::span<const JobId> running() const = 0;
  virtual JobView job(JobId id) const = 0;

  virtual int free_gpus() const = 0;                  // GPUs no job holds
  virtual int free_gpus_in(int level, int cell) const = 0;
  virtual int jobs_on(int gpu) const = 0;             // how many jobs hold this GPU
  virtual std::span<const JobId> jobs_on_gpu(int gpu) const = 0;
  virtual double util_on(int gpu) const = 0;          // sum of gpu_util of the jobs on it
  // The n lowest-numbered free GPUs (the first-fit placement), or nothing if fewer are free.
  virtual std::optional<std::vector<int>> first_fit(int n) const = 0;

  // Actions. Each throws PolicyError when impossible.
  virtual void start(JobId id, std::span<const int> gpus) = 0;
  virtual void preempt(JobId id) = 0;
  virtual void wake_at(double t) = 0;  // call schedule() again at time t (> now)

  // The oracle (SimOptions::oracle): the job's duration and remaining work at full speed.
  virtual double oracle_duration_s(JobId id) const = 0;
  virtual double oracle_remaining_s(JobId id) const = 0;
};

// Runs the trace to the end under the policy. Throws InvalidArgument when the trace cannot run on
// the topology (a job larger than the cluster), PolicyError when the policy does something
// impossible or leaves jobs pending forever (nothing running, nothing to wake it).
SimResult simulate(const Trace& trace, const Topology& topology, Policy& policy,
                   const SimOptions& options = {});

}  // namespace aisys::cluster
