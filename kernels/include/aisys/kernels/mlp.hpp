// aisys/kernels/mlp.hpp: a layered multilayer perceptron, the model the distributed labs train
// (lab 05 data-parallel, lab 06 pipeline-parallel). Each layer is dense, y = x W^T + b, with ReLU
// after every layer but the last and softmax cross-entropy at the end. The per-layer steps are
// separate calls (forward, the ReLU's backward, backward-input, backward-weight) because pipeline
// schedules run them at different times. GEMMs go through OpenBLAS when the build has it (plain
// loops otherwise). Activations are row-major, batch x features. Also: a seeded synthetic
// classification data set (Gaussian blobs).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace aisys::kernels {

class Mlp {
 public:
  // widths = {inputs, hidden..., classes}; weights Kaiming-uniform from the seed, biases 0.
  Mlp(std::vector<int> widths, std::uint64_t seed);

  int layers() const { return static_cast<int>(widths_.size()) - 1; }
  int in_features(int l) const { return widths_[static_cast<std::size_t>(l)]; }
  int out_features(int l) const { return widths_[static_cast<std::size_t>(l) + 1]; }
  const std::vector<int>& widths() const { return widths_; }

  // Layer l's parameters: W (out x in, row-major) then b (out), contiguous; and their gradients.
  std::span<float> parameters(int l);
  std::span<const float> parameters(int l) const;
  std::span<float> gradients(int l);
  void zero_gradients();

  // y (batch x out) = x (batch x in) W^T + b, then ReLU unless l is the last layer.
  void forward(int l, const float* x, float* y, int batch) const;
  // dy (batch x out, the gradient at the layer's output) becomes the gradient before the ReLU
  // (zeroed where y <= 0); nothing for the last layer.
  void activation_backward(int l, const float* y, float* dy, int batch) const;
  // dx (batch x in) = dz W.
  void backward_input(int l, const float* dz, float* dx, int batch) const;
  // dW += dz^T x, db += column sums of dz.
  void backward_weight(int l, const float* x, const float* dz, int batch);

  // Softmax cross-entropy of logits (batch x classes) against labels: returns the mean loss and
  // writes dlogits = (softmax - onehot) / batch.
  static float softmax_cross_entropy(const float* logits, const int* labels, int batch, int classes,
                                     float* dlogits);

  // A whole step's gradients on one batch: zero, forward every layer, loss, then backward from the
  // last layer to the first, calling on_ready(l) as soon as layer l's gradients are final (the
  // hook data-parallel training uses to start communicating early). Returns the mean loss.
  float compute_gradients(const float* x, const int* labels, int batch,
                          const std::function<void(int layer)>& on_ready = {});
  // parameters -= lr * gradients (of every layer, or of layer l only).
  void sgd_step(float lr);
  void sgd_step(float lr, int l);
  // Fraction of rows whose arg-max logit is the label.
  float accuracy(const float* x, const int* labels, int batch) const;

 private:
  std::vector<int> widths_;
  std::vector<std::vector<float>> params_, grads_;
  std::vector<std::vector<float>> acts_;  // per layer output of the last compute_gradients
};

// n points in `features` dimensions around `classes` Gaussian centres (seeded): x (n x features),
// labels (n).
struct Blobs {
  std::vector<float> x;
  std::vector<int> labels;
  int features = 0, classes = 0;
};
Blobs make_blobs(int n, int features, int classes, std::uint64_t seed);

}  // namespace aisys::kernels
