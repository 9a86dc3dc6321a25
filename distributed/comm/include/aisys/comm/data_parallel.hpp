// aisys/comm/data_parallel.hpp: data-parallel training of the platform's layered MLP. Each rank
// computes gradients on its slice of every global batch; as the backward finishes a layer, its
// gradient is handed to a synchronisation scheme (the student's buckets in lab 05) so that
// communication overlaps the rest of the backward; after finish() the summed gradients are divided
// by the number of ranks and applied. With equal slices, the result is single-process training on
// the global batch.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "aisys/comm/communicator.hpp"
#include "aisys/kernels/mlp.hpp"

namespace aisys::comm {

struct DataParallelOptions {
  int steps = 20;
  int global_batch = 64;  // divisible by the number of ranks
  float learning_rate = 0.1f;
  // Emulated extra compute per layer of backward (seconds of spinning that calls hooks.poll about
  // every 50 us), for overlap measurements where real compute would compete with communication
  // for the same two cores; 0: none.
  double extra_backward_s_per_layer = 0;
};

// What the training loop calls: ready(gradient) for each layer as soon as it is final (last layer
// first), poll() while the backward continues, finish() when the backward is done (gradients must
// then hold the sum over ranks).
struct GradientHooks {
  std::function<void(std::span<float>)> ready;
  std::function<void()> poll;
  std::function<void()> finish;
};

// Trains `model` for options.steps steps: step k's global batch is rows [k B, (k + 1) B) of the
// data (wrapping around); rank r takes slice r of p. Returns each step's mean loss over this rank's
// slice. Throws InvalidArgument when the batch does not split evenly or the data is too small.
std::vector<float> train_data_parallel(Communicator& c, kernels::Mlp& model, const kernels::Blobs& data,
                                       const DataParallelOptions& options, const GradientHooks& hooks);

// Single-process reference: the same steps on the whole global batch.
std::vector<float> train_single_process(kernels::Mlp& model, const kernels::Blobs& data,
                                        const DataParallelOptions& options);

}  // namespace aisys::comm
