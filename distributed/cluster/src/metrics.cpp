// The cluster metrics of metrics.hpp, from a SimResult.
#include "aisys/cluster/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace aisys::cluster {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(values.size() - 1, lo + 1);
  return values[lo] + (values[hi] - values[lo]) * (pos - static_cast<double>(lo));
}

double fragmentation(const std::vector<int>& free_per_node, int gpus_per_node, int next_gang) {
  long free = 0, usable = 0;
  for (int f : free_per_node) {
    free += f;
    if (next_gang <= gpus_per_node ? f >= next_gang : f == gpus_per_node) usable += f;
  }
  if (free == 0 || next_gang < 1) return -1;
  return static_cast<double>(free - usable) / static_cast<double>(free);
}

Metrics compute_metrics(const Trace& trace, const Topology& topology, const SimOptions& options,
                        const SimResult& result) {
  Metrics m;
  m.policy = result.policy;
  m.jobs = static_cast<int>(trace.jobs.size());
  m.events = result.events;
  m.wall_s = result.wall_s;
  m.events_per_s = result.wall_s > 0 ? static_cast<double>(result.events) / result.wall_s : 0;
  if (trace.jobs.empty()) return m;
  std::vector<double> jct, queue;
  jct.reserve(trace.jobs.size());
  queue.reserve(trace.jobs.size());
  double first_submit = trace.jobs.front().submit_s, last_finish = first_submit;
  double pending_sum = 0;
  const size_t nvc = std::max<size_t>(1, trace.vcs.size());
  m.sla_misses.assign(nvc, 0);
  // Users in the system over time, for finish-time fairness: count at each arrival.
  std::vector<double> user_service(std::max<size_t>(1, trace.users.size()), 0.0);
  std::vector<int> user_jobs(user_service.size(), 0);
  for (const Job& j : trace.jobs) {
    const JobOutcome& o = result.jobs[static_cast<size_t>(j.id)];
    const double c = o.finish_s - o.submit_s;
    jct.push_back(c);
    queue.push_back(o.first_start_s - o.submit_s);
    pending_sum += o.pending_s;
    last_finish = std::max(last_finish, o.finish_s);
    m.preemptions += o.preemptions;
    if (o.within_quota && o.first_start_s - o.submit_s > options.sla_wait_s) {
      ++m.sla_misses[static_cast<size_t>(j.vc)];
      ++m.sla_misses_total;
    }
    if (j.gpus > 1 && j.gpus <= topology.gpus_per_node()) {
      ++m.fits_in_node_jobs;
      if (o.first_span > kNode) ++m.cross_node_jobs;
    }
    user_service[static_cast<size_t>(j.user)] += c > 0 ? j.duration_s / c : 1.0;
    ++user_jobs[static_cast<size_t>(j.user)];
  }
  const double n = static_cast<double>(trace.jobs.size());
  double sum = 0;
  for (double c : jct) sum += c;
  m.avg_jct_s = sum / n;
  m.p50_jct_s = quantile(jct, 0.50);
  m.p95_jct_s = quantile(jct, 0.95);
  m.p99_jct_s = quantile(jct, 0.99);
  double qsum = 0;
  for (double q : queue) qsum += q;
  m.avg_queue_s = qsum / n;
  m.p95_queue_s = quantile(queue, 0.95);
  m.avg_pending_s = pending_sum / n;
  m.makespan_s = last_finish - first_submit;
  m.throughput_per_h = m.makespan_s > 0 ? n / (m.makespan_s / 3600.0) : 0;
  m.utilization = m.makespan_s > 0 ? result.busy_gpu_s / (topology.gpus() * m.makespan_s) : 0;
  // Fragmentation: mean over samples where it is defined.
  double fsum = 0;
  int fcount = 0;
  for (const Sample& s : result.samples) {
    if (s.fragmentation >= 0) {
      fsum += s.fragmentation;
      ++fcount;
    }
  }
  m.fragmentation = fcount ? fsum / fcount : 0;
  // Jain's index over users of their mean normalised service (duration / JCT).
  double xs = 0, xs2 = 0;
  int users = 0;
  for (size_t u = 0; u < user_service.size(); ++u) {
    if (user_jobs[u] == 0) continue;
    const double x = user_service[u] / user_jobs[u];
    xs += x;
    xs2 += x * x;
    ++users;
  }
  m.jain_fairness = xs2 > 0 ? xs * xs / (users * xs2) : 1;
  // Finish-time fairness: N = users with a job in the system when the job arrived (sweep over
  // arrivals and finishes in time order).
  std::vector<std::pair<double, JobId>> finishes;
  finishes.reserve(trace.jobs.size());
  for (const Job& j : trace.jobs) finishes.push_back({result.jobs[static_cast<size_t>(j.id)].finish_s, j.id});
  std::sort(finishes.begin(), finishes.end());
  std::vector<int> in_system(user_service.size(), 0);
  int active_users = 0;
  size_t fi = 0;
  double ftf_sum = 0;
  for (const Job& j : trace.jobs) {
    while (fi < finishes.size() && finishes[fi].first <= j.submit_s) {
      const int u = trace.jobs[static_cast<size_t>(finishes[fi].second)].user;
      if (--in_system[static_cast<size_t>(u)] == 0) --active_users;
      ++fi;
    }
    if (in_system[static_cast<size_t>(j.user)]++ == 0) ++active_users;
    const double share = static_cast<double>(topology.gpus()) / std::max(1, active_users);
    const double t_fair = j.duration_s * std::max(1.0, j.gpus / share);
    const double rho = (result.jobs[static_cast<size_t>(j.id)].finish_s - j.submit_s) / t_fair;
    ftf_sum += rho;
    m.ftf_max = std::max(m.ftf_max, rho);
  }
  m.ftf_mean = ftf_sum / n;
  return m;
}

nlohmann::json to_json(const Metrics& m, const Trace& trace) {
  nlohmann::json sla = nlohmann::json::object();
  for (size_t v = 0; v < m.sla_misses.size(); ++v) {
    sla[v < trace.vcs.size() ? trace.vcs[v] : std::to_string(v)] = m.sla_misses[v];
  }
  return {{"policy", m.policy},
          {"jobs", m.jobs},
          {"avg_jct_s", m.avg_jct_s},
          {"p50_jct_s", m.p50_jct_s},
          {"p95_jct_s", m.p95_jct_s},
          {"p99_jct_s", m.p99_jct_s},
          {"avg_queue_s", m.avg_queue_s},
          {"p95_queue_s", m.p95_queue_s},
          {"avg_pending_s", m.avg_pending_s},
          {"makespan_s", m.makespan_s},
          {"throughput_per_h", m.throughput_per_h},
          {"utilization", m.utilization},
          {"fragmentation", m.fragmentation},
          {"jain_fairness", m.jain_fairness},
          {"ftf_mean", m.ftf_mean},
          {"ftf_max", m.ftf_max},
          {"sla_misses", sla},
          {"sla_misses_total", m.sla_misses_total},
          {"cross_node_jobs", m.cross_node_jobs},
          {"fits_in_node_jobs", m.fits_in_node_jobs},
          {"preemptions", m.preemptions},
          {"events", m.events},
          {"events_per_s", m.events_per_s},
          {"wall_s", m.wall_s}};
}

}  // namespace aisys::cluster
