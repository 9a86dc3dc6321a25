// Invariant checks over a simulation's record (invariants.hpp), independent of the simulator's own
// bookkeeping: they sweep the recorded allocations and segments.
#include "aisys/cluster/invariants.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace aisys::cluster {

namespace {
std::string at(double t) { return " at t = " + std::to_string(t) + " s"; }
}  // namespace

std::vector<std::string> check_invariants(const Trace& trace, const Topology& topology,
                                          const SimOptions& options, const SimResult& result,
                                          int max_jobs_per_gpu) {
  std::vector<std::string> bad;
  auto report = [&bad](std::string s) {
    if (bad.size() < 20) bad.push_back(std::move(s));
  };
  const size_t n = trace.jobs.size();
  if (result.jobs.size() != n) {
    report("the result has " + std::to_string(result.jobs.size()) + " job outcomes for " + std::to_string(n) + " jobs");
    return bad;
  }
  // Every job ran and finished after it arrived.
  for (const Job& j : trace.jobs) {
    const JobOutcome& o = result.jobs[static_cast<size_t>(j.id)];
    if (o.first_start_s < 0 || o.finish_s < 0) report("job " + j.name + " never finished");
    else if (o.first_start_s < j.submit_s) report("job " + j.name + " started" + at(o.first_start_s) + " before its arrival at " + std::to_string(j.submit_s) + " s");
    else if (o.finish_s < o.first_start_s) report("job " + j.name + " finished before it started");
  }
  // Allocations: gang size, arrival, and GPU occupancy over time (sweep of +1/-1 per GPU).
  struct Mark {
    double t;
    int delta;
    int gpu;
    JobId job;
  };
  std::vector<Mark> marks;
  std::vector<double> held_time(n, 0.0);
  for (const Allocation& a : result.allocations) {
    const Job& j = trace.jobs[static_cast<size_t>(a.job)];
    if (static_cast<int>(a.gpus.size()) != j.gpus) {
      report("job " + j.name + " held " + std::to_string(a.gpus.size()) + " GPUs" + at(a.start_s) + "; it asks for " + std::to_string(j.gpus) + " (gang)");
    }
    if (a.start_s < j.submit_s) report("job " + j.name + " held GPUs" + at(a.start_s) + " before its arrival");
    std::vector<int> sorted = a.gpus;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) report("job " + j.name + " holds one GPU twice" + at(a.start_s));
    for (int g : a.gpus) {
      if (g < 0 || g >= topology.gpus()) {
        report("job " + j.name + " held GPU " + std::to_string(g) + ", which does not exist");
        continue;
      }
      if (a.end_s > a.start_s) {
        marks.push_back({a.start_s, +1, g, a.job});
        marks.push_back({a.end_s, -1, g, a.job});
      }
    }
    held_time[static_cast<size_t>(a.job)] += a.end_s - a.start_s;
  }
  std::sort(marks.begin(), marks.end(), [](const Mark& x, const Mark& y) {
    return x.t != y.t ? x.t < y.t : x.delta < y.delta;  // releases before takes at one instant
  });
  std::vector<int> on(static_cast<size_t>(topology.gpus()), 0);
  int in_use = 0;
  for (const Mark& m : marks) {
    int& c = on[static_cast<size_t>(m.gpu)];
    if (m.delta > 0 && c == 0) ++in_use;
    c += m.delta;
    if (m.delta < 0 && c == 0) --in_use;
    if (c > max_jobs_per_gpu) {
      report("GPU " + std::to_string(m.gpu) + " held by " + std::to_string(c) + " jobs" + at(m.t) +
             " (at most " + std::to_string(max_jobs_per_gpu) + "), the last job " + trace.jobs[static_cast<size_t>(m.job)].name);
    }
    if (in_use > topology.gpus()) report(std::to_string(in_use) + " GPUs in use" + at(m.t) + " on a cluster of " + std::to_string(topology.gpus()));
  }
  // Work conservation and speed bounds from the segments.
  std::vector<double> work(n, 0.0);
  const double fastest = *std::max_element(options.span_speed.begin(), options.span_speed.end());
  for (const Segment& s : result.segments) {
    if (s.rate < 0 || s.rate > fastest + 1e-12) report("job " + trace.jobs[static_cast<size_t>(s.job)].name + " progressed at rate " + std::to_string(s.rate) + at(s.start_s));
    work[static_cast<size_t>(s.job)] += s.rate * (s.end_s - s.start_s);
  }
  for (const Job& j : trace.jobs) {
    const double w = work[static_cast<size_t>(j.id)];
    if (std::abs(w - j.duration_s) > 1e-6 * std::max(1.0, j.duration_s)) {
      report("job " + j.name + ": work done " + std::to_string(w) + " s != its duration " + std::to_string(j.duration_s) + " s (work not conserved)");
    }
    const JobOutcome& o = result.jobs[static_cast<size_t>(j.id)];
    if (o.finish_s >= 0 && o.first_start_s >= 0 && held_time[static_cast<size_t>(j.id)] > o.finish_s - o.first_start_s + 1e-6) {
      report("job " + j.name + " held GPUs longer than it lived");
    }
  }
  return bad;
}

}  // namespace aisys::cluster
