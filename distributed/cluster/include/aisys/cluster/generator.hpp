// aisys/cluster/generator.hpp: a seeded synthetic trace with the shapes published for Philly.
//
// What is reproduced (parameters below; distributed/README.md#generated-traces says where they come
// from and how to refit them):
//   - GPU counts: a mix of 1, 2, 4, 8, 16 and 32 GPUs, most jobs on one GPU;
//   - durations: heavy-tailed, log-normal fitted to two percentiles (median and p90), larger jobs
//     running longer, capped;
//   - arrivals: a Poisson process with a diurnal rate (a sine of period one day), its mean rate set
//     so that the offered load (GPU-seconds asked per second / cluster GPUs) is `offered_load`;
//   - users: Zipf-distributed over `users`, each belonging to one of `vcs` virtual clusters;
//   - GPU utilisation per job: uniform in [util_min, 1].
// Same options (seed included), same trace, on every machine (no std:: distributions, whose output
// is implementation-defined: the draws are written out here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aisys/cluster/trace.hpp"

namespace aisys::cluster {

struct GeneratorOptions {
  std::uint64_t seed = 1;
  int jobs = 10000;
  int cluster_gpus = 2048;        // the cluster the offered load refers to
  double offered_load = 0.85;     // sum(gpus * duration) / (cluster_gpus * arrival span)
  // GPU-count mix (probabilities, normalised): counts and weights.
  std::vector<int> gpu_counts = {1, 2, 4, 8, 16, 32};
  std::vector<double> gpu_weights = {0.70, 0.10, 0.09, 0.07, 0.03, 0.01};
  // Log-normal durations of 1-GPU jobs, from two percentiles (seconds).
  double duration_p50_s = 900;     // 15 minutes
  double duration_p90_s = 21600;   // 6 hours
  double duration_min_s = 60;
  double duration_max_s = 14 * 86400.0;
  // Jobs on g GPUs run (1 + growth * log2 g) times longer at the same percentile.
  double duration_growth_per_doubling = 0.25;
  double diurnal_amplitude = 0.5;  // rate(t) = mean * (1 + a sin(2 pi t / day))
  int users = 64;
  int vcs = 4;
  double user_zipf_s = 1.1;
  double util_min = 0.25;
};

// Throws InvalidArgument naming the option when one is out of range (e.g. a GPU count larger than
// the cluster, a load <= 0, percentiles out of order).
Trace generate_trace(const GeneratorOptions& options);

// A short text naming the options, stored in Trace::source: "generated: seed=1 jobs=10000 ...".
std::string describe(const GeneratorOptions& options);

}  // namespace aisys::cluster
