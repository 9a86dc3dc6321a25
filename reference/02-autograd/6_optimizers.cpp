// Lab 02, part 6 (reference): SGD with momentum, Adam with decoupled weight decay, and the
// Kaiming and Xavier initialisers (formulas in aisys/lab02/optim.hpp).
#include <cmath>

#include "aisys/lab02/optim.hpp"

namespace aisys::lab02 {

void Sgd::step() {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Variable& p = parameters_[i];
    if (!p.grad().defined()) continue;
    const Tensor& theta = p.value();
    Tensor g = p.grad();
    if (weight_decay != 0) g = ops::add(g, ops::mul_scalar(theta, weight_decay));
    if (momentum != 0) {
      velocity_[i] = velocity_[i].defined() ? ops::add(ops::mul_scalar(velocity_[i], momentum), g) : g.clone();
      g = velocity_[i];
    }
    Tensor(theta).copy_from(ops::sub(theta, ops::mul_scalar(g, lr)));
  }
}

void Adam::step() {
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    Variable& p = parameters_[i];
    if (!p.grad().defined()) continue;
    Tensor theta = p.value();
    const Tensor& g = p.grad();
    if (!m_[i].defined()) {
      m_[i] = Tensor::zeros(theta.shape(), theta.dtype(), theta.device());
      v_[i] = Tensor::zeros(theta.shape(), theta.dtype(), theta.device());
    }
    const auto t = static_cast<double>(++steps_[i]);
    m_[i] = ops::add(ops::mul_scalar(m_[i], beta1), ops::mul_scalar(g, 1 - beta1));
    v_[i] = ops::add(ops::mul_scalar(v_[i], beta2), ops::mul_scalar(ops::mul(g, g), 1 - beta2));
    const Tensor m_hat = ops::mul_scalar(m_[i], 1 / (1 - std::pow(beta1, t)));
    const Tensor v_hat = ops::mul_scalar(v_[i], 1 / (1 - std::pow(beta2, t)));
    Tensor decayed = weight_decay != 0 ? ops::mul_scalar(theta, 1 - lr * weight_decay) : theta;
    const Tensor update = ops::div(m_hat, ops::add_scalar(ops::sqrt(v_hat), eps));
    theta.copy_from(ops::sub(decayed, ops::mul_scalar(update, lr)));
  }
}

Tensor kaiming_uniform(const Shape& shape, std::uint64_t seed, double gain) {
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fans_of(shape).in));
  return Tensor::uniform(shape, -bound, bound, seed);
}

Tensor kaiming_normal(const Shape& shape, std::uint64_t seed, double gain) {
  return Tensor::normal(shape, 0.0, gain / std::sqrt(static_cast<double>(fans_of(shape).in)), seed);
}

Tensor xavier_uniform(const Shape& shape, std::uint64_t seed) {
  const Fans f = fans_of(shape);
  const double bound = std::sqrt(6.0 / static_cast<double>(f.in + f.out));
  return Tensor::uniform(shape, -bound, bound, seed);
}

}  // namespace aisys::lab02
