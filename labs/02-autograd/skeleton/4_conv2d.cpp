// Lab 02, part 4: 2-D convolution through im2col + matmul, and its backward through col2im. See
// aisys/lab02/conv.hpp (the layout of the columns) and the handout (labs/02-autograd/README.md,
// part 4).
#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02 {

Tensor im2col(const Tensor& x, const ConvGeometry& g) {
  // TODO(student): cols [N, C R S, P Q], cols[n, (c R + r) S + s, p Q + q] =
  // x[n, c, p stride + r - pad, q stride + s - pad] (0 outside). Hint: a zero-padded copy of x
  // and a strided view of it (the Tensor constructor taking storage, shape, strides, offset).
  (void)x;
  (void)g;
  throw NotImplemented("02", "im2col");
}

Tensor col2im(const Tensor& cols, const ConvGeometry& g) {
  // TODO(student): the adjoint of im2col: add every column element back to its x position.
  (void)cols;
  (void)g;
  throw NotImplemented("02", "col2im");
}

Tensor conv2d_forward(const Tensor& x, const Tensor& w, std::int64_t stride, std::int64_t padding) {
  // TODO(student): g = ConvGeometry::from_shapes(...); y[n] = w [K, C R S] x cols[n] (ops::matmul).
  (void)x;
  (void)w;
  (void)stride;
  (void)padding;
  throw NotImplemented("02", "conv2d_forward");
}

Tensor conv2d_backward_data(const Tensor& dy, const Tensor& w, const ConvGeometry& g) {
  // TODO(student): dcols[n] = w^T dy[n], then col2im.
  (void)dy;
  (void)w;
  (void)g;
  throw NotImplemented("02", "conv2d_backward_data");
}

Tensor conv2d_backward_weights(const Tensor& x, const Tensor& dy, const ConvGeometry& g) {
  // TODO(student): dw = sum over n of dy[n] cols[n]^T, viewed as [K, C, R, S].
  (void)x;
  (void)dy;
  (void)g;
  throw NotImplemented("02", "conv2d_backward_weights");
}

namespace rules {

Grads conv2d_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) = x, saved(1) = w, attrs stride and padding: {dx, dw}.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "conv2d_backward");
}

}  // namespace rules

}  // namespace aisys::lab02
