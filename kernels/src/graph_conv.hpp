// graph_conv.hpp (internal to kernels/): the graph executor's convolution and max-pool backward.
//
// The IR's conv2d, conv2d_backward_data, conv2d_backward_weight and max_pool2d_backward ops run
// as direct loops accumulating in double: an executor for checking rewritten graphs (labs 03-04),
// not a fast convolution. They are not in ops:: and so not among the symbols lab 02's student code
// may call: convolution as im2col + GEMM is lab 02's exercise.
//
// Shapes: x [N, C, H, W], w [K, C, R, S], y and dy [N, K, P, Q] with P = (H + 2 pad - R) / stride + 1
// (Q likewise); max-pool indices are the argmax of each window within its plane (h W + w), as
// ops::max_pool2d gives them.
#pragma once

#include <cstdint>

#include "aisys/kernels/tensor.hpp"

namespace aisys::kernels::graph::detail {

Tensor conv2d_direct(const Tensor& x, const Tensor& w, std::int64_t stride, std::int64_t padding);
Tensor conv2d_backward_data_direct(const Tensor& dy, const Tensor& w, const Shape& x_shape, std::int64_t stride,
                                   std::int64_t padding);
Tensor conv2d_backward_weight_direct(const Tensor& x, const Tensor& dy, const Shape& w_shape, std::int64_t stride,
                                     std::int64_t padding);
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& x_shape);

}  // namespace aisys::kernels::graph::detail
