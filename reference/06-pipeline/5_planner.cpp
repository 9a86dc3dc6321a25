// Lab 06, part 5 (reference): the planner. An exhaustive search: every schedule of this lab, every
// micro-batch count m dividing the global batch, and v = 2 .. max_chunks for interleaved 1F1B (m a
// multiple of p), each priced by the platform's simulator under the problem's cost model
// (pipeline::evaluate). The fastest configuration that fits the memory budget wins; ties go to the
// lower peak memory. A schedule the simulator refuses is skipped (and named in Plan::why), so one
// broken generator does not take the planner down. Small m leaves a large bubble, large m pays the per-op overhead m times and
// GPipe's memory grows with m: the search finds where these cross.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

namespace {

std::string mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g MiB", bytes / (1 << 20));
  return buf;
}

std::string label(const Schedule& s) {
  std::string l = s.name + " m=" + std::to_string(s.microbatches);
  if (s.chunks > 1) l += " v=" + std::to_string(s.chunks);
  return l;
}

struct Candidate {
  Schedule schedule;
  Evaluation eval;
};

bool better(const Evaluation& a, const Evaluation& b) {
  const double tol = 1e-12 * std::max(a.step_time, b.step_time);
  if (a.step_time < b.step_time - tol) return true;
  if (a.step_time > b.step_time + tol) return false;
  return a.peak_memory_bytes < b.peak_memory_bytes;
}

}  // namespace

Plan plan(const PlanProblem& q) {
  check(q);
  const int p = q.stages;
  std::vector<Schedule> options;
  for (int m = 1; m <= q.global_batch; ++m) {
    if (q.global_batch % m != 0) continue;
    options.push_back(gpipe(p, m));
    options.push_back(one_f_one_b(p, m));
    options.push_back(zb_h1(p, m));
    if (m % p == 0) {
      for (int v = 2; v <= q.max_chunks; ++v) options.push_back(interleaved_one_f_one_b(p, m, v));
    }
  }
  std::optional<Candidate> best, runner_up, best_excluded, smallest;
  std::string skipped;
  for (Schedule& s : options) {
    Evaluation e;
    try {
      e = evaluate(q, s);
    } catch (const ScheduleError& err) {  // a broken generator costs its own option, not the plan
      if (skipped.empty()) skipped = "; skipped " + label(s) + ": " + err.what();
      continue;
    }
    if (!smallest || e.peak_memory_bytes < smallest->eval.peak_memory_bytes) smallest = Candidate{s, e};
    if (!e.fits) {
      if (!best_excluded || better(e, best_excluded->eval)) best_excluded = Candidate{s, e};
      continue;
    }
    if (!best || better(e, best->eval)) {
      runner_up = std::move(best);
      best = Candidate{std::move(s), e};
    } else if (!runner_up || better(e, runner_up->eval)) {
      runner_up = Candidate{std::move(s), e};
    }
  }
  if (!best) {
    if (!smallest) throw InvalidArgument("pipeline planner: no schedule could be evaluated" + skipped);
    throw InvalidArgument("pipeline planner: nothing fits the memory budget of " + mib(q.memory_budget_bytes) +
                          " per stage; the smallest peak is " + mib(smallest->eval.peak_memory_bytes) + " (" +
                          label(smallest->schedule) + ")");
  }
  Plan out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s: step %.4g s, bubble %.1f%%, peak %s of %s", label(best->schedule).c_str(),
                best->eval.step_time, 100 * best->eval.bubble_fraction, mib(best->eval.peak_memory_bytes).c_str(),
                mib(q.memory_budget_bytes).c_str());
  out.why = buf;
  if (runner_up) {
    std::snprintf(buf, sizeof buf, "; runner-up %s at %.4g s", label(runner_up->schedule).c_str(), runner_up->eval.step_time);
    out.why += buf;
  }
  if (best_excluded && better(best_excluded->eval, best->eval)) {
    std::snprintf(buf, sizeof buf, "; the budget excluded %s (%.4g s, needs %s)", label(best_excluded->schedule).c_str(),
                  best_excluded->eval.step_time, mib(best_excluded->eval.peak_memory_bytes).c_str());
    out.why += buf;
  }
  out.why += skipped;
  out.step_time = best->eval.step_time;
  out.peak_memory_bytes = best->eval.peak_memory_bytes;
  out.schedule = std::move(best->schedule);
  return out;
}

}  // namespace aisys::lab06
