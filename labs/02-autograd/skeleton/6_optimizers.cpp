// Lab 02, part 6: optimizers and initialisation. See aisys/lab02/optim.hpp (the update rules) and
// the handout (labs/02-autograd/README.md, part 6).
#include "aisys/lab02/optim.hpp"

namespace aisys::lab02 {

void Sgd::step() {
  // TODO(student): for each parameter with a grad(): weight decay, momentum (velocity_[i]), update
  // the value in place (Tensor::copy_from) without recording a graph (NoGradGuard).
  throw NotImplemented("02", "Sgd::step");
}

void Adam::step() {
  // TODO(student): AdamW: decoupled weight decay, m_[i], v_[i], bias correction with steps_[i].
  throw NotImplemented("02", "Adam::step");
}

Tensor kaiming_uniform(const Shape& shape, std::uint64_t seed, double gain) {
  // TODO(student): U(-b, b), b = gain sqrt(3 / fan_in) (fans_of, Tensor::uniform).
  (void)shape;
  (void)seed;
  (void)gain;
  throw NotImplemented("02", "kaiming_uniform");
}

Tensor kaiming_normal(const Shape& shape, std::uint64_t seed, double gain) {
  // TODO(student): N(0, gain^2 / fan_in).
  (void)shape;
  (void)seed;
  (void)gain;
  throw NotImplemented("02", "kaiming_normal");
}

Tensor xavier_uniform(const Shape& shape, std::uint64_t seed) {
  // TODO(student): U(-b, b), b = sqrt(6 / (fan_in + fan_out)).
  (void)shape;
  (void)seed;
  throw NotImplemented("02", "xavier_uniform");
}

}  // namespace aisys::lab02
