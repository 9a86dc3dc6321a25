// Lab 02, part 3 (reference): backward rules of softmax, log-softmax, cross-entropy, layer norm,
// max pooling and dropout.
#include <cstdint>

#include "aisys/lab02/rules.hpp"

namespace aisys::lab02::rules {

Grads softmax_backward(const Node& node, const Tensor& grad) {
  // dx = y (G - sum(G y)) along the axis.
  const Tensor& y = node.saved(0);
  const int axis = static_cast<int>(node.attr("axis"));
  return {ops::mul(y, ops::sub(grad, ops::sum(ops::mul(grad, y), {axis}, true)))};
}

Grads log_softmax_backward(const Node& node, const Tensor& grad) {
  // y = x - logsumexp(x): dx = G - softmax(x) sum(G), softmax(x) = exp(y).
  const Tensor& y = node.saved(0);
  const int axis = static_cast<int>(node.attr("axis"));
  return {ops::sub(grad, ops::mul(ops::exp(y), ops::sum(grad, {axis}, true)))};
}

Grads cross_entropy_backward(const Node& node, const Tensor& grad) {
  // loss = mean over rows of -log softmax(x)[label]: dx = (softmax(x) - onehot) G / N.
  const Tensor& logits = node.saved(0);
  const Tensor& onehot = node.saved(1);
  const double n = static_cast<double>(logits.size(0));
  return {ops::mul(ops::mul_scalar(ops::sub(ops::softmax(logits, 1), onehot), 1.0 / n), grad)};
}

Grads layer_norm_backward(const Node& node, const Tensor& grad) {
  // xhat = (x - mean) rstd, y = xhat gamma + beta over the last dimension D:
  //   dgamma = sum over rows of G xhat, dbeta = sum over rows of G,
  //   dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = G gamma.
  const Tensor& x = node.saved(0);
  const Tensor& gamma = node.saved(1);
  const int last = x.dim() - 1;
  const Tensor mean = node.saved(2).unsqueeze(last);
  const Tensor rstd = node.saved(3).unsqueeze(last);
  const Tensor xhat = ops::mul(ops::sub(x, mean), rstd);
  Tensor dx, dgamma, dbeta;
  if (node.needs_input_grad(0)) {
    const Tensor dxhat = ops::mul(grad, gamma);
    const Tensor centred = ops::sub(dxhat, ops::mean(dxhat, {last}, true));
    dx = ops::mul(rstd, ops::sub(centred, ops::mul(xhat, ops::mean(ops::mul(dxhat, xhat), {last}, true))));
  }
  if (node.needs_input_grad(1)) dgamma = ops::sum_to(ops::mul(grad, xhat), node.input_shape(1));
  if (node.needs_input_grad(2)) dbeta = ops::sum_to(grad, node.input_shape(2));
  return {dx, dgamma, dbeta};
}

Grads max_pool2d_backward(const Node& node, const Tensor& grad) {
  // Each output's gradient goes to the input element it chose (argmax), added where windows
  // overlap and choose the same element. The scatter runs on the host (the saved argmax is a host
  // tensor; there is no scatter op); the result goes back to the gradient's device.
  const Tensor& argmax = node.saved(0);  // float64 [N, C, P, Q], flat h W + w in the plane
  const Shape& in = node.input_shape(0);
  const std::int64_t planes = in[0] * in[1], plane = in[2] * in[3];
  const std::int64_t outputs = grad.numel() / planes;
  Tensor dx = Tensor::zeros(in, DType::kFloat64);
  const Tensor g = grad.to(Device::cpu()).to(DType::kFloat64).contiguous();
  const double* pg = g.data<double>();
  const double* pa = argmax.contiguous().data<double>();
  double* pd = dx.data<double>();
  for (std::int64_t i = 0; i < planes; ++i) {
    for (std::int64_t o = 0; o < outputs; ++o) {
      pd[i * plane + static_cast<std::int64_t>(pa[i * outputs + o])] += pg[i * outputs + o];
    }
  }
  return {dx.to(grad.dtype()).to(grad.device())};
}

Grads dropout_backward(const Node& node, const Tensor& grad) { return {ops::mul(grad, node.saved(0))}; }

}  // namespace aisys::lab02::rules
