// aisys/cluster/metrics.hpp: the course's cluster metrics, computed from a simulation's outcome.
//
//   queuing delay      first start - submit (mean, p95), and total time pending
//   JCT                finish - submit: mean, p50, p95, p99
//   makespan           last finish - first submit
//   throughput         jobs finished per hour of makespan
//   utilisation        GPU-seconds held by jobs / (GPUs x makespan)
//   fragmentation      at each sample with pending jobs and free GPUs: the share of free GPUs a
//                      pending gang job of g GPUs cannot use in a compact placement (g <= GPUs per
//                      node: free GPUs in nodes with fewer than g free; above: free GPUs outside
//                      wholly free nodes), averaged over the pending jobs; the mean over samples
//   Jain's fairness    across users, of each user's mean normalised service duration / JCT
//                      (1: every user is slowed down alike; 1/n: one user gets everything)
//   finish-time fairness  rho = JCT / T_fair, T_fair = the job's duration on a 1/N share of the
//                      cluster (N = users with jobs in the system at its arrival; Themis, NSDI'20):
//                      mean and max; rho > 1 means the job did worse than its fair share
//   SLA misses per VC  jobs within their VC's quota at arrival that waited longer than sla_wait_s
//   cross-node jobs    jobs of at most one node's GPUs placed across nodes (placement quality)
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aisys/cluster/simulator.hpp"

namespace aisys::cluster {

struct Metrics {
  std::string policy;
  int jobs = 0;
  double avg_jct_s = 0, p50_jct_s = 0, p95_jct_s = 0, p99_jct_s = 0;
  double avg_queue_s = 0, p95_queue_s = 0, avg_pending_s = 0;
  double makespan_s = 0;
  double throughput_per_h = 0;
  double utilization = 0;
  double fragmentation = 0;
  double jain_fairness = 0;
  double ftf_mean = 0, ftf_max = 0;
  std::vector<int> sla_misses;  // by VC
  int sla_misses_total = 0;
  int cross_node_jobs = 0;      // jobs with gpus <= GPUs per node placed across nodes
  int fits_in_node_jobs = 0;    // multi-GPU jobs with gpus <= GPUs per node
  long preemptions = 0;
  std::uint64_t events = 0;
  double events_per_s = 0;
  double wall_s = 0;
};

Metrics compute_metrics(const Trace& trace, const Topology& topology, const SimOptions& options,
                        const SimResult& result);

nlohmann::json to_json(const Metrics& m, const Trace& trace);

// Quantile q in [0, 1] of values (linear interpolation); 0 for an empty list.
double quantile(std::vector<double> values, double q);

// Fragmentation for one pending job size (the definition above): free[node] GPUs free per node,
// next_gang the job's GPU count. -1 when nothing is free or pending.
double fragmentation(const std::vector<int>& free_per_node, int gpus_per_node, int next_gang);

}  // namespace aisys::cluster
