// Data-parallel training of the layered MLP (data_parallel.hpp).
#include "aisys/comm/data_parallel.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "aisys/kernels/error.hpp"

namespace aisys::comm {

namespace {

// Copies the rows of step k's batch slice [first, first + rows) (wrapping) into x/labels.
void gather_rows(const kernels::Blobs& data, long first, int rows, std::vector<float>& x, std::vector<int>& labels) {
  const long n = static_cast<long>(data.labels.size());
  x.resize(static_cast<std::size_t>(rows) * data.features);
  labels.resize(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    const long row = (first + i) % n;
    std::copy_n(data.x.begin() + row * data.features, data.features, x.begin() + static_cast<long>(i) * data.features);
    labels[static_cast<std::size_t>(i)] = data.labels[static_cast<std::size_t>(row)];
  }
}

// Emulated compute: spins for `seconds`, calling poll about every 50 us, as a framework's
// progress thread or its kernels' launch points would (a nonblocking MPI operation advances only
// inside MPI calls).
void emulated_compute(double seconds, const std::function<void()>& poll) {
  if (seconds <= 0) return;
  using clock = std::chrono::steady_clock;
  const auto end = clock::now() + std::chrono::duration<double>(seconds);
  auto next_poll = clock::now();
  while (clock::now() < end) {
    if (poll && clock::now() >= next_poll) {
      poll();
      next_poll = clock::now() + std::chrono::microseconds(50);
    }
  }
}

}  // namespace

std::vector<float> train_data_parallel(Communicator& c, kernels::Mlp& model, const kernels::Blobs& data,
                                       const DataParallelOptions& o, const GradientHooks& hooks) {
  const int p = c.size();
  if (o.global_batch < p || o.global_batch % p != 0) {
    throw InvalidArgument("train_data_parallel: global batch " + std::to_string(o.global_batch) +
                          " does not split evenly over " + std::to_string(p) + " ranks");
  }
  if (data.features != model.in_features(0)) throw InvalidArgument("train_data_parallel: data and model widths differ");
  const int local = o.global_batch / p;
  std::vector<float> x, losses;
  std::vector<int> labels;
  for (int step = 0; step < o.steps; ++step) {
    gather_rows(data, static_cast<long>(step) * o.global_batch + static_cast<long>(c.rank()) * local, local, x, labels);
    const float loss = model.compute_gradients(x.data(), labels.data(), local, [&](int l) {
      // The slice's loss is a mean over `local` rows; scaling by local / global makes the sum over
      // ranks the global batch's mean.
      auto g = model.gradients(l);
      for (float& v : g) v /= static_cast<float>(p);
      if (hooks.ready) hooks.ready(g);
      emulated_compute(o.extra_backward_s_per_layer, hooks.poll);
      if (hooks.poll) hooks.poll();
    });
    if (hooks.finish) hooks.finish();
    model.sgd_step(o.learning_rate);
    losses.push_back(loss);
  }
  return losses;
}

std::vector<float> train_single_process(kernels::Mlp& model, const kernels::Blobs& data, const DataParallelOptions& o) {
  std::vector<float> x, losses;
  std::vector<int> labels;
  for (int step = 0; step < o.steps; ++step) {
    gather_rows(data, static_cast<long>(step) * o.global_batch, o.global_batch, x, labels);
    losses.push_back(model.compute_gradients(x.data(), labels.data(), o.global_batch));
    model.sgd_step(o.learning_rate);
  }
  return losses;
}

}  // namespace aisys::comm
