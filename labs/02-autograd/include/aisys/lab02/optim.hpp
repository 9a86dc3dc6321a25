// aisys/lab02/optim.hpp: part 6 of Lab 02 (skeleton/6_optimizers.cpp): optimizers and weight
// initialisation.
//
// Optimizers update each parameter's value in place (Tensor::copy_from) from its grad(); a
// parameter whose grad() is undefined (no backward reached it) is left alone, state included.
// Their state (velocities, moments) has each parameter's shape, dtype and device and is created
// on the first step that sees the parameter's gradient. Updates never record graph nodes.
//
//   SGD with momentum mu and weight decay lambda (PyTorch's convention, Sutskever et al. 2013):
//     g = grad + lambda theta;  v = mu v + g (v = g on the first step);  theta -= lr v
//   Adam (Kingma and Ba 2015) with decoupled weight decay (AdamW, Loshchilov and Hutter 2019), at
//   step t = 1, 2, ...:
//     theta -= lr lambda theta;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//     m_hat = m / (1 - b1^t);  v_hat = v / (1 - b2^t);  theta -= lr m_hat / (sqrt(v_hat) + eps)
//
// Initialisers return new float32 tensors drawn from a seed (Tensor::uniform / normal):
//   kaiming_uniform: U(-b, b), b = gain sqrt(3 / fan_in), gain sqrt(2) (for ReLU) (He et al. 2015)
//   kaiming_normal:  N(0, gain^2 / fan_in)
//   xavier_uniform:  U(-b, b), b = sqrt(6 / (fan_in + fan_out))            (Glorot and Bengio 2010)
// fan_in and fan_out come from the shape: [out, in] for a dense layer, [K, C, R, S] for a
// convolution (fan_in = C R S, fan_out = K R S). A shape of fewer than 2 dimensions throws
// aisys::InvalidArgument naming the function.
#pragma once

#include <cstdint>
#include <vector>

#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02 {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Variable> parameters);
  virtual ~Optimizer() = default;
  virtual void step() = 0;
  // Undefines every parameter's grad().
  void zero_grad();
  const std::vector<Variable>& parameters() const { return parameters_; }

 protected:
  std::vector<Variable> parameters_;
};

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<Variable> parameters, double lr, double momentum = 0.0, double weight_decay = 0.0);
  void step() override;
  double lr;
  double momentum;
  double weight_decay;

 private:
  std::vector<Tensor> velocity_;  // one per parameter (undefined until its first step)
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Variable> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
       double eps = 1e-8, double weight_decay = 0.0);
  void step() override;
  double lr, beta1, beta2, eps, weight_decay;

 private:
  std::vector<Tensor> m_, v_;       // first and second moments, one per parameter
  std::vector<std::int64_t> steps_;  // t, per parameter
};

// fan_in and fan_out of a weight shape (see above).
struct Fans {
  std::int64_t in = 0, out = 0;
};
Fans fans_of(const Shape& shape);

Tensor kaiming_uniform(const Shape& shape, std::uint64_t seed, double gain = 1.4142135623730951);
Tensor kaiming_normal(const Shape& shape, std::uint64_t seed, double gain = 1.4142135623730951);
Tensor xavier_uniform(const Shape& shape, std::uint64_t seed);

}  // namespace aisys::lab02
