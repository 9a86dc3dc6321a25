// Lab 02, part 2: backward rules of matmul, the reductions and the shape ops. See aisys/lab02/rules.hpp and the handout
// (labs/02-autograd/README.md, part 2).
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02::rules {

Grads matmul_backward(const Node& node, const Tensor& grad) {
  // TODO(student): out = a b over the last two dimensions (batch dimensions broadcast);
  // saved(0) = a, saved(1) = b. da = G b^T, db = a^T G, each summed to its input's shape.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "matmul_backward");
}

Grads sum_backward(const Node& node, const Tensor& grad) {
  // TODO(student): G back over the reduced axes (node.attr_list("axes"), ascending; put them
  // back as size 1 when node.attr("keepdim") == 0), broadcast to the input's shape.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "sum_backward");
}

Grads mean_backward(const Node& node, const Tensor& grad) {
  // TODO(student): as sum_backward, divided by the number of elements each output averaged.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "mean_backward");
}

Grads broadcast_to_backward(const Node& node, const Tensor& grad) {
  // TODO(student): the sum over what the broadcast stretched.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "broadcast_to_backward");
}

Grads reshape_backward(const Node& node, const Tensor& grad) {
  // TODO(student): G in the input's shape.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "reshape_backward");
}

Grads transpose_backward(const Node& node, const Tensor& grad) {
  // TODO(student): swap node.attr("dim0") and node.attr("dim1") back.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "transpose_backward");
}

}  // namespace aisys::lab02::rules
