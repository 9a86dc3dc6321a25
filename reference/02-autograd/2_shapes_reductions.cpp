// Lab 02, part 2 (reference): backward rules of matmul, the reductions and the shape ops. A
// reduction's gradient is broadcast back over the reduced axes; a broadcast's gradient is summed
// over them; a reshape or transpose moves the gradient back the same way.
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02::rules {

namespace {
// grad of a reduction's output, viewed with the reduced axes back as size 1 (when !keepdim) and
// broadcast to the input's shape, as a contiguous tensor.
Tensor expand_reduced(const Node& node, const Tensor& grad) {
  Tensor g = grad;
  if (node.attr("keepdim") == 0) {
    for (std::int64_t axis : node.attr_list("axes")) g = g.unsqueeze(static_cast<int>(axis));  // ascending
  }
  return g.broadcast_to(node.input_shape(0)).contiguous();
}
}  // namespace

Grads matmul_backward(const Node& node, const Tensor& grad) {
  // out = a b over the last two dimensions: da = G b^T, db = a^T G, summed over broadcast batches.
  const Tensor& a = node.saved(0);
  const Tensor& b = node.saved(1);
  Tensor da, db;
  if (node.needs_input_grad(0)) da = ops::sum_to(ops::matmul(grad, b.transpose(-2, -1)), node.input_shape(0));
  if (node.needs_input_grad(1)) db = ops::sum_to(ops::matmul(a.transpose(-2, -1), grad), node.input_shape(1));
  return {da, db};
}

Grads sum_backward(const Node& node, const Tensor& grad) { return {expand_reduced(node, grad)}; }

Grads mean_backward(const Node& node, const Tensor& grad) {
  double count = 1;
  for (std::int64_t axis : node.attr_list("axes")) count *= static_cast<double>(node.input_shape(0)[static_cast<std::size_t>(axis)]);
  return {ops::mul_scalar(expand_reduced(node, grad), 1.0 / count)};
}

Grads broadcast_to_backward(const Node& node, const Tensor& grad) { return {ops::sum_to(grad, node.input_shape(0))}; }

Grads reshape_backward(const Node& node, const Tensor& grad) { return {grad.reshape(node.input_shape(0))}; }

Grads transpose_backward(const Node& node, const Tensor& grad) {
  return {grad.transpose(static_cast<int>(node.attr("dim0")), static_cast<int>(node.attr("dim1"))).contiguous()};
}

}  // namespace aisys::lab02::rules
