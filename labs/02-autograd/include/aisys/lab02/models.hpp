// aisys/lab02/models.hpp: part 7 of Lab 02 (skeleton/7_models.cpp): layers, the two models and the
// training loop that trains them on Fashion-MNIST (kernels/datasets.hpp).
//
//   Linear(in, out):  y = x W^T + b, W [out, in] Kaiming-uniform, b [out] zeros
//   Conv2dLayer(C, K, R, stride, padding):  y = conv2d(x, W) + b (b broadcast over N, P, Q),
//                     W [K, C, R, R] Kaiming-uniform, b [K] zeros
//   Mlp(widths):      widths = {784, hidden..., 10}: Linear layers with ReLU between them
//   SmallCnn():       input [N, 784] viewed as [N, 1, 28, 28];
//                     conv 1->16 3x3 pad 1, ReLU, max-pool 2 -> [N, 16, 14, 14];
//                     conv 16->32 3x3 pad 1, ReLU, max-pool 2 -> [N, 32, 7, 7];
//                     flatten, Linear 1568 -> 10
// Every model maps a batch [N, 784] of float32 pixels to logits [N, 10]. parameters() lists the
// variables an optimizer updates (weights and biases, requires_grad), in a fixed order.
//
// train_classifier() runs `steps` optimizer steps on mini-batches of the training split (a
// BatchLoader seeded with config.seed, reshuffled each epoch), minimising the mean cross-entropy,
// and records the loss of every step, and every config.eval_every steps the accuracy on the first
// config.eval_examples test images (evaluate_accuracy, which needs no gradients). It must not
// read the test labels for anything else.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aisys/kernels/datasets.hpp"
#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02 {

class Module {
 public:
  virtual ~Module() = default;
  virtual Variable forward(const Variable& x) = 0;
  virtual std::vector<Variable> parameters() const = 0;
  // Training mode (dropout active); evaluation turns it off.
  void train(bool on) { training_ = on; }
  bool training() const { return training_; }
  std::int64_t parameter_count() const;

 private:
  bool training_ = true;
};

class Linear : public Module {
 public:
  Linear(int in_features, int out_features, std::uint64_t seed);
  Variable forward(const Variable& x) override;  // x [N, in] -> [N, out]
  std::vector<Variable> parameters() const override { return {weight, bias}; }
  Variable weight, bias;
};

class Conv2dLayer : public Module {
 public:
  Conv2dLayer(int in_channels, int out_channels, int kernel, int stride, int padding, std::uint64_t seed);
  Variable forward(const Variable& x) override;  // x [N, C, H, W] -> [N, K, P, Q]
  std::vector<Variable> parameters() const override { return {weight, bias}; }
  Variable weight, bias;
  int stride, padding;
};

class Mlp : public Module {
 public:
  Mlp(std::vector<int> widths, std::uint64_t seed);
  Variable forward(const Variable& x) override;
  std::vector<Variable> parameters() const override;
  std::vector<Linear> layers;
};

class SmallCnn : public Module {
 public:
  explicit SmallCnn(std::uint64_t seed);
  Variable forward(const Variable& x) override;
  std::vector<Variable> parameters() const override;
  std::vector<Conv2dLayer> convs;
  std::vector<Linear> head;
};

struct TrainConfig {
  int steps = 1000;
  int batch_size = 128;
  std::string optimizer = "adam";  // "adam" | "sgd" (with momentum)
  double lr = 1e-3;
  double momentum = 0.9;           // sgd only
  double weight_decay = 0.0;
  std::uint64_t seed = 1;          // the loader's order
  int eval_every = 0;              // 0: evaluate only after the last step
  int eval_examples = 10000;       // how many test images each evaluation uses (from the start)
};

struct TrainPoint {
  int step = 0;                 // 1-based: after this many optimizer steps
  double loss = 0;              // that step's mini-batch loss
  double test_accuracy = -1;    // -1 where not evaluated
};

struct TrainHistory {
  std::vector<TrainPoint> points;  // one per step
  double seconds = 0;              // wall time of the whole loop, evaluations included
  double final_test_accuracy() const;  // the last evaluated accuracy (-1 if none)
};

// ---- Part 7 (skeleton/7_models.cpp): the layers' and models' constructors and forwards above,
// and this loop. Throws aisys::InvalidArgument for a non-positive step count or batch size or an
// unknown optimizer.
TrainHistory train_classifier(Module& model, const kernels::FashionMnist& data, const TrainConfig& config);

// ---- Given (src/support.cpp) ---------------------------------------------------------------------
// Fraction of the first `count` images (all when count <= 0) whose arg-max logit is the label; the
// model in evaluation mode, no graph recorded, batches of `batch_size`.
double evaluate_accuracy(Module& model, const kernels::ImageDataset& data, int count = 0, int batch_size = 500);
// A batch [rows, features] of a data set as a float32 Tensor (a copy of those rows).
Tensor rows_as_tensor(std::span<const float> values, int rows, int features);

}  // namespace aisys::lab02
