// Lab 02, part 7: the layers, the MLP, the small CNN and the training loop. See
// aisys/lab02/models.hpp (the architectures) and the handout (labs/02-autograd/README.md, part 7).
#include "aisys/lab02/models.hpp"
#include "aisys/lab02/optim.hpp"

namespace aisys::lab02 {

Linear::Linear(int in_features, int out_features, std::uint64_t seed) {
  // TODO(student): weight [out, in] Kaiming-uniform from the seed, bias [out] zeros; both leaves
  // that require a gradient.
  (void)in_features;
  (void)out_features;
  (void)seed;
  throw NotImplemented("02", "Linear::Linear");
}

Variable Linear::forward(const Variable& x) {
  // TODO(student): x W^T + b.
  (void)x;
  throw NotImplemented("02", "Linear::forward");
}

Conv2dLayer::Conv2dLayer(int in_channels, int out_channels, int kernel, int stride_, int padding_, std::uint64_t seed)
    : stride(stride_), padding(padding_) {
  // TODO(student): weight [K, C, R, R] Kaiming-uniform, bias [K] zeros.
  (void)in_channels;
  (void)out_channels;
  (void)kernel;
  (void)seed;
  throw NotImplemented("02", "Conv2dLayer::Conv2dLayer");
}

Variable Conv2dLayer::forward(const Variable& x) {
  // TODO(student): conv2d(x, W) + b, b broadcast over N, P and Q.
  (void)x;
  throw NotImplemented("02", "Conv2dLayer::forward");
}

Mlp::Mlp(std::vector<int> widths, std::uint64_t seed) {
  // TODO(student): one Linear per consecutive pair of widths.
  (void)widths;
  (void)seed;
  throw NotImplemented("02", "Mlp::Mlp");
}

Variable Mlp::forward(const Variable& x) {
  // TODO(student): the layers with ReLU between them (none after the last).
  (void)x;
  throw NotImplemented("02", "Mlp::forward");
}

std::vector<Variable> Mlp::parameters() const {
  // TODO(student): every layer's weight and bias.
  throw NotImplemented("02", "Mlp::parameters");
}

SmallCnn::SmallCnn(std::uint64_t seed) {
  // TODO(student): two Conv2dLayers and a Linear head (models.hpp).
  (void)seed;
  throw NotImplemented("02", "SmallCnn::SmallCnn");
}

Variable SmallCnn::forward(const Variable& x) {
  // TODO(student): [N, 784] -> [N, 1, 28, 28] -> conv, ReLU, pool, twice -> flatten -> Linear.
  (void)x;
  throw NotImplemented("02", "SmallCnn::forward");
}

std::vector<Variable> SmallCnn::parameters() const {
  // TODO(student): every layer's weight and bias.
  throw NotImplemented("02", "SmallCnn::parameters");
}

TrainHistory train_classifier(Module& model, const kernels::FashionMnist& data, const TrainConfig& config) {
  // TODO(student): the optimizer config names; a kernels::BatchLoader over data.train seeded with
  // config.seed; per step: forward, cross_entropy, zero_grad, backward, step; record every step's
  // loss and evaluate_accuracy() every config.eval_every steps and after the last.
  (void)model;
  (void)data;
  (void)config;
  throw NotImplemented("02", "train_classifier");
}

}  // namespace aisys::lab02
