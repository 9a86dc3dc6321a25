// aisys/cluster/invariants.hpp: checks a simulation's record independently of the simulator.
//
// For any policy on any trace: never more jobs on a GPU than the policy allows (1: never more GPUs
// in use than exist), no job starts before its arrival, every allocation has exactly the job's GPU
// count (gang scheduling), every job finishes with exactly its work done (work is conserved: the
// sum of rate x time over its segments equals its duration), no rate above its placement's speed.
// Lab tests run this after every policy on generated traces.
#pragma once

#include <string>
#include <vector>

#include "aisys/cluster/simulator.hpp"

namespace aisys::cluster {

// Returns the violations found (empty: none), each naming the job, GPU and time. Needs
// SimOptions::record_segments.
std::vector<std::string> check_invariants(const Trace& trace, const Topology& topology,
                                          const SimOptions& options, const SimResult& result,
                                          int max_jobs_per_gpu = 1);

}  // namespace aisys::cluster
