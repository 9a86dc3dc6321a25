// Lab 02's given helpers around the student's parts: ConvGeometry (conv.hpp), the Optimizer base
// and fans_of() (optim.hpp), Module::parameter_count(), evaluation and batch tensors (models.hpp).
#include <algorithm>
#include <sstream>
#include <string>

#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/models.hpp"
#include "aisys/lab02/optim.hpp"

namespace aisys::lab02 {

// ---- conv.hpp ----------------------------------------------------------------------------------

ConvGeometry ConvGeometry::from_shapes(const Shape& x, const Shape& w, std::int64_t stride, std::int64_t padding,
                                       const char* op) {
  const std::string shapes = " (input " + kernels::to_string(x) + ", weight " + kernels::to_string(w) + ", stride " +
                             std::to_string(stride) + ", padding " + std::to_string(padding) + ")";
  if (x.size() != 4) throw InvalidArgument(std::string(op) + ": the input must be [N, C, H, W]" + shapes);
  if (w.size() != 4) throw InvalidArgument(std::string(op) + ": the weight must be [K, C, R, S]" + shapes);
  if (x[1] != w[1]) throw InvalidArgument(std::string(op) + ": input and weight channels differ" + shapes);
  if (stride < 1 || padding < 0) throw InvalidArgument(std::string(op) + ": stride must be >= 1 and padding >= 0" + shapes);
  ConvGeometry g;
  g.N = x[0];
  g.C = x[1];
  g.H = x[2];
  g.W = x[3];
  g.K = w[0];
  g.R = w[2];
  g.S = w[3];
  g.stride = stride;
  g.padding = padding;
  for (std::int64_t v : {g.N, g.C, g.H, g.W, g.K, g.R, g.S}) {
    if (v < 1) throw InvalidArgument(std::string(op) + ": every size must be >= 1" + shapes);
  }
  if (g.R > g.H + 2 * padding || g.S > g.W + 2 * padding) {
    throw InvalidArgument(std::string(op) + ": the kernel is larger than the padded input" + shapes);
  }
  g.P = (g.H + 2 * padding - g.R) / stride + 1;
  g.Q = (g.W + 2 * padding - g.S) / stride + 1;
  return g;
}

std::string ConvGeometry::to_string() const {
  std::ostringstream s;
  s << "N" << N << " C" << C << " H" << H << " W" << W << " K" << K << " R" << R << " S" << S << " /" << stride << " p"
    << padding << " -> P" << P << " Q" << Q;
  return s.str();
}

// ---- optim.hpp ---------------------------------------------------------------------------------

Optimizer::Optimizer(std::vector<Variable> parameters) : parameters_(std::move(parameters)) {
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    if (!parameters_[i].defined() || !parameters_[i].requires_grad() || !parameters_[i].is_leaf()) {
      throw InvalidArgument("Optimizer: parameter " + std::to_string(i) +
                            " is not a leaf variable that requires a gradient");
    }
  }
}

void Optimizer::zero_grad() {
  for (Variable& p : parameters_) p.zero_grad();
}

Sgd::Sgd(std::vector<Variable> parameters, double lr_, double momentum_, double weight_decay_)
    : Optimizer(std::move(parameters)), lr(lr_), momentum(momentum_), weight_decay(weight_decay_),
      velocity_(parameters_.size()) {
  if (!(lr > 0) || momentum < 0 || weight_decay < 0) {
    throw InvalidArgument("Sgd: lr must be > 0, momentum and weight_decay >= 0");
  }
}

Adam::Adam(std::vector<Variable> parameters, double lr_, double beta1_, double beta2_, double eps_,
           double weight_decay_)
    : Optimizer(std::move(parameters)), lr(lr_), beta1(beta1_), beta2(beta2_), eps(eps_),
      weight_decay(weight_decay_), m_(parameters_.size()), v_(parameters_.size()), steps_(parameters_.size(), 0) {
  if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || weight_decay < 0) {
    throw InvalidArgument("Adam: lr > 0, 0 <= beta1, beta2 < 1, eps > 0 and weight_decay >= 0 are required");
  }
}

Fans fans_of(const Shape& shape) {
  if (shape.size() < 2) {
    throw InvalidArgument("fans_of: a weight has at least 2 dimensions, got " + kernels::to_string(shape));
  }
  std::int64_t receptive = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) receptive *= shape[d];
  return {shape[1] * receptive, shape[0] * receptive};
}

// ---- models.hpp --------------------------------------------------------------------------------

std::int64_t Module::parameter_count() const {
  std::int64_t n = 0;
  for (const Variable& p : parameters()) n += p.value().numel();
  return n;
}

double TrainHistory::final_test_accuracy() const {
  for (auto it = points.rbegin(); it != points.rend(); ++it) {
    if (it->test_accuracy >= 0) return it->test_accuracy;
  }
  return -1;
}

Tensor rows_as_tensor(std::span<const float> values, int rows, int features) {
  if (rows < 0 || features < 1 || values.size() < static_cast<std::size_t>(rows) * static_cast<std::size_t>(features)) {
    throw InvalidArgument("rows_as_tensor: " + std::to_string(values.size()) + " values hold no " +
                          std::to_string(rows) + " x " + std::to_string(features) + " rows");
  }
  return Tensor::from_floats(values.subspan(0, static_cast<std::size_t>(rows) * static_cast<std::size_t>(features)),
                             {rows, features});
}

double evaluate_accuracy(Module& model, const kernels::ImageDataset& data, int count, int batch_size) {
  const int total = count <= 0 ? data.count : std::min(count, data.count);
  if (total == 0) throw InvalidArgument("evaluate_accuracy: the data set '" + data.name + "' is empty");
  if (batch_size < 1) throw InvalidArgument("evaluate_accuracy: batch_size must be >= 1");
  const int features = data.features();
  const bool was_training = model.training();
  model.train(false);
  NoGradGuard no_grad;
  std::int64_t correct = 0;
  for (int start = 0; start < total; start += batch_size) {
    const int rows = std::min(batch_size, total - start);
    const Tensor x = rows_as_tensor(
        std::span<const float>(data.images).subspan(static_cast<std::size_t>(start) * static_cast<std::size_t>(features)),
        rows, features);
    const Tensor logits = model.forward(Variable(x)).value();
    if (logits.dim() != 2 || logits.size(0) != rows || logits.size(1) != data.classes()) {
      model.train(was_training);
      throw InvalidArgument("evaluate_accuracy: the model returned logits " + kernels::to_string(logits.shape()) +
                            " for a batch of " + std::to_string(rows) + " (expected [" + std::to_string(rows) + ", " +
                            std::to_string(data.classes()) + "])");
    }
    const std::vector<double> predicted = ops::argmax(logits.device().is_cpu() ? logits : logits.to(Device::cpu()), 1).to_vector();
    for (int i = 0; i < rows; ++i) {
      if (static_cast<std::int32_t>(predicted[static_cast<std::size_t>(i)]) ==
          data.labels[static_cast<std::size_t>(start + i)]) {
        ++correct;
      }
    }
  }
  model.train(was_training);
  return static_cast<double>(correct) / total;
}

}  // namespace aisys::lab02
