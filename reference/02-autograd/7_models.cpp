// Lab 02, part 7 (reference): the layers, the MLP and the small CNN of models.hpp, and the
// training loop that fits them to Fashion-MNIST.
#include <chrono>
#include <memory>

#include "aisys/lab02/models.hpp"
#include "aisys/lab02/optim.hpp"

namespace aisys::lab02 {

Linear::Linear(int in_features, int out_features, std::uint64_t seed)
    : weight(kaiming_uniform({out_features, in_features}, seed), true, "linear.weight"),
      bias(Tensor::zeros({out_features}), true, "linear.bias") {}

Variable Linear::forward(const Variable& x) { return add(matmul(x, transpose(weight, 0, 1)), bias); }

Conv2dLayer::Conv2dLayer(int in_channels, int out_channels, int kernel, int stride_, int padding_, std::uint64_t seed)
    : weight(kaiming_uniform({out_channels, in_channels, kernel, kernel}, seed), true, "conv.weight"),
      bias(Tensor::zeros({out_channels}), true, "conv.bias"),
      stride(stride_),
      padding(padding_) {}

Variable Conv2dLayer::forward(const Variable& x) {
  const std::int64_t k = weight.shape()[0];
  return add(conv2d(x, weight, stride, padding), reshape(bias, {1, k, 1, 1}));
}

Mlp::Mlp(std::vector<int> widths, std::uint64_t seed) {
  if (widths.size() < 2) throw InvalidArgument("Mlp: widths needs at least the inputs and the classes");
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) layers.emplace_back(widths[l], widths[l + 1], seed + l);
}

Variable Mlp::forward(const Variable& x) {
  Variable h = x;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    h = layers[l].forward(h);
    if (l + 1 < layers.size()) h = relu(h);
  }
  return h;
}

std::vector<Variable> Mlp::parameters() const {
  std::vector<Variable> out;
  for (const Linear& l : layers) {
    out.push_back(l.weight);
    out.push_back(l.bias);
  }
  return out;
}

SmallCnn::SmallCnn(std::uint64_t seed) {
  convs.emplace_back(1, 16, 3, 1, 1, seed);
  convs.emplace_back(16, 32, 3, 1, 1, seed + 1);
  head.emplace_back(32 * 7 * 7, 10, seed + 2);
}

Variable SmallCnn::forward(const Variable& x) {
  const std::int64_t n = x.shape()[0];
  Variable h = reshape(x, {n, 1, 28, 28});
  for (Conv2dLayer& conv : convs) h = max_pool2d(relu(conv.forward(h)), 2, 2);
  return head[0].forward(reshape(h, {n, 32 * 7 * 7}));
}

std::vector<Variable> SmallCnn::parameters() const {
  std::vector<Variable> out;
  for (const Conv2dLayer& c : convs) {
    out.push_back(c.weight);
    out.push_back(c.bias);
  }
  for (const Linear& l : head) {
    out.push_back(l.weight);
    out.push_back(l.bias);
  }
  return out;
}

TrainHistory train_classifier(Module& model, const kernels::FashionMnist& data, const TrainConfig& config) {
  if (config.steps < 1 || config.batch_size < 1) {
    throw InvalidArgument("train_classifier: steps and batch_size must be >= 1");
  }
  std::unique_ptr<Optimizer> optimizer;
  if (config.optimizer == "adam") {
    optimizer = std::make_unique<Adam>(model.parameters(), config.lr, 0.9, 0.999, 1e-8, config.weight_decay);
  } else if (config.optimizer == "sgd") {
    optimizer = std::make_unique<Sgd>(model.parameters(), config.lr, config.momentum, config.weight_decay);
  } else {
    throw InvalidArgument("train_classifier: unknown optimizer '" + config.optimizer + "' (adam or sgd)");
  }
  kernels::BatchLoader loader(data.train, {.batch_size = config.batch_size, .shuffle = true, .drop_last = true,
                                           .seed = config.seed});
  const auto start = std::chrono::steady_clock::now();
  TrainHistory history;
  model.train(true);
  int step = 0;
  for (int epoch = 0; step < config.steps; ++epoch) {
    for (int b = 0; b < loader.batches_per_epoch() && step < config.steps; ++b) {
      const kernels::Batch batch = loader.batch(epoch, b);
      const Variable x(rows_as_tensor(batch.x, batch.size, batch.features));
      const Variable loss = cross_entropy(model.forward(x), batch.labels);
      optimizer->zero_grad();
      backward(loss);
      optimizer->step();
      ++step;
      TrainPoint point{.step = step, .loss = loss.value().item(), .test_accuracy = -1};
      if ((config.eval_every > 0 && step % config.eval_every == 0) || step == config.steps) {
        point.test_accuracy = evaluate_accuracy(model, data.test, config.eval_examples);
        model.train(true);
      }
      history.points.push_back(point);
    }
  }
  history.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return history;
}

}  // namespace aisys::lab02
