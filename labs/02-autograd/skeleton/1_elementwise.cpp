// Lab 02, part 1: backward rules of the elementwise ops. See aisys/lab02/rules.hpp and the handout
// (labs/02-autograd/README.md, part 1).
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02::rules {

Grads add_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a + b: G to each input, summed back over broadcast dimensions
  // (ops::sum_to(g, node.input_shape(i))).
  (void)node;
  (void)grad;
  throw NotImplemented("02", "add_backward");
}

Grads sub_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a - b: G to a, -G to b (each summed to its input's shape).
  (void)node;
  (void)grad;
  throw NotImplemented("02", "sub_backward");
}

Grads mul_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a * b: G b to a, G a to b (saved(0) = a, saved(1) = b), summed to shape.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "mul_backward");
}

Grads div_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a / b: G / b to a, -G a / b^2 to b, summed to shape.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "div_backward");
}

Grads neg_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = -a.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "neg_backward");
}

Grads add_scalar_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a + s.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "add_scalar_backward");
}

Grads mul_scalar_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a s, s = node.attr("value").
  (void)node;
  (void)grad;
  throw NotImplemented("02", "mul_scalar_backward");
}

Grads pow_scalar_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a^p, p = node.attr("exponent"), saved(0) = a.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "pow_scalar_backward");
}

Grads exp_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = e^a; saved(0) is the output.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "exp_backward");
}

Grads log_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = ln a; saved(0) = a.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "log_backward");
}

Grads relu_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = max(a, 0); saved(0) is the output (> 0 exactly where a was);
  // ops::where picks elementwise.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "relu_backward");
}

Grads tanh_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) is the output y: d tanh = 1 - y^2.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "tanh_backward");
}

Grads sigmoid_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) is the output y: d sigmoid = y (1 - y).
  (void)node;
  (void)grad;
  throw NotImplemented("02", "sigmoid_backward");
}

Grads gelu_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a Phi(a) (exact GELU), saved(0) = a: d/da = Phi(a) + a phi(a). The ops
  // have no erf; the handout's hints say how to get Phi(a) from ops::gelu.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "gelu_backward");
}

}  // namespace aisys::lab02::rules
