// Lab 02, part 1 (reference): backward rules of the elementwise ops. Each gradient is the output
// gradient G times the op's local derivative, summed back to the input's shape where the forward
// broadcast (ops::sum_to).
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02::rules {

namespace {
// G summed to input i's shape, or nothing when input i needs no gradient.
Tensor to_input(const Node& node, std::size_t i, const Tensor& g) {
  return node.needs_input_grad(i) ? ops::sum_to(g, node.input_shape(i)) : Tensor();
}
Tensor scalar_like(const Tensor& t, double value) { return Tensor::full({}, value, t.dtype(), t.device()); }
}  // namespace

Grads add_backward(const Node& node, const Tensor& grad) { return {to_input(node, 0, grad), to_input(node, 1, grad)}; }

Grads sub_backward(const Node& node, const Tensor& grad) {
  return {to_input(node, 0, grad), node.needs_input_grad(1) ? to_input(node, 1, ops::neg(grad)) : Tensor()};
}

Grads mul_backward(const Node& node, const Tensor& grad) {
  const Tensor& a = node.saved(0);
  const Tensor& b = node.saved(1);
  return {node.needs_input_grad(0) ? to_input(node, 0, ops::mul(grad, b)) : Tensor(),
          node.needs_input_grad(1) ? to_input(node, 1, ops::mul(grad, a)) : Tensor()};
}

Grads div_backward(const Node& node, const Tensor& grad) {
  const Tensor& a = node.saved(0);
  const Tensor& b = node.saved(1);
  Tensor da, db;
  if (node.needs_input_grad(0)) da = to_input(node, 0, ops::div(grad, b));
  if (node.needs_input_grad(1)) db = to_input(node, 1, ops::neg(ops::div(ops::mul(grad, a), ops::mul(b, b))));
  return {da, db};
}

Grads neg_backward(const Node&, const Tensor& grad) { return {ops::neg(grad)}; }

Grads add_scalar_backward(const Node&, const Tensor& grad) { return {grad}; }

Grads mul_scalar_backward(const Node& node, const Tensor& grad) { return {ops::mul_scalar(grad, node.attr("value"))}; }

Grads pow_scalar_backward(const Node& node, const Tensor& grad) {
  const double p = node.attr("exponent");
  const Tensor& a = node.saved(0);
  return {ops::mul(grad, ops::mul_scalar(ops::pow_scalar(a, p - 1.0), p))};
}

Grads exp_backward(const Node& node, const Tensor& grad) { return {ops::mul(grad, node.saved(0))}; }

Grads log_backward(const Node& node, const Tensor& grad) { return {ops::div(grad, node.saved(0))}; }

Grads relu_backward(const Node& node, const Tensor& grad) {
  const Tensor& out = node.saved(0);  // > 0 exactly where the input was
  return {ops::where(out, grad, scalar_like(grad, 0.0))};
}

Grads tanh_backward(const Node& node, const Tensor& grad) {
  const Tensor& y = node.saved(0);
  return {ops::mul(grad, ops::add_scalar(ops::neg(ops::mul(y, y)), 1.0))};
}

Grads sigmoid_backward(const Node& node, const Tensor& grad) {
  const Tensor& y = node.saved(0);
  return {ops::mul(grad, ops::mul(y, ops::add_scalar(ops::neg(y), 1.0)))};
}

Grads gelu_backward(const Node& node, const Tensor& grad) {
  // d/dx x Phi(x) = Phi(x) + x phi(x). The ops have no erf: Phi(x) = gelu(x) / x away from 0 (a
  // relative error of a few ulps), 1/2 at 0.
  const Tensor& x = node.saved(0);
  const Tensor cdf = ops::where(x, ops::div(ops::gelu(x), x), scalar_like(x, 0.5));
  const double inv_sqrt_2pi = 0.3989422804014327;
  const Tensor pdf = ops::mul_scalar(ops::exp(ops::mul_scalar(ops::mul(x, x), -0.5)), inv_sqrt_2pi);
  return {ops::mul(grad, ops::add(cdf, ops::mul(x, pdf)))};
}

}  // namespace aisys::lab02::rules
