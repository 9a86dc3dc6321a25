// aisys/pipeline/check.hpp: the correctness check of a schedule run for real: one training step
// across ranks against the same step in one process. Used by the platform's runtime tests and by
// lab 06's tests of the student's schedules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aisys/comm/communicator.hpp"
#include "aisys/pipeline/schedule.hpp"

namespace aisys::pipeline {

// Every rank (a collective: all call it with the same arguments) builds Mlp(widths, seed) and a
// seeded blob data set of `batch` samples, runs one step of `s` with PipelineRuntime at learning
// rate `lr`, and compares, for the layers it runs, the gradients and the updated parameters with
// train-in-one-process (Mlp::compute_gradients on the whole batch, then sgd_step). Returns "" when
// every value is within 1e-4 of the largest magnitude of its layer's tensor (float sums in another
// order), else the first difference: rank, layer, index, expected, got, seed. The rank holding the
// last virtual stage also compares the mean loss.
std::string check_step_against_single_process(comm::Communicator& c, const Schedule& s, const std::vector<int>& widths,
                                              int batch, std::uint64_t seed, float lr = 0.05f);

}  // namespace aisys::pipeline
