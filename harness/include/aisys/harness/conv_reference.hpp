// aisys/harness/conv_reference.hpp: the test oracle for 2-D convolution (lab 02 and the oneDNN
// baseline's own tests). Plain loops in double precision over the exact inputs a candidate saw,
// for the contract of conv_baselines.hpp (NCHW input, OIHW weights, symmetric zero padding, one
// stride, no bias):
//   reference_conv2d_forward(shape, x, w)           -> y  [N, K, P, Q]
//   reference_conv2d_backward_data(shape, dy, w)    -> dx [N, C, H, W]
//   reference_conv2d_backward_weights(shape, x, dy) -> dw [K, C, R, S]
// Inputs may have any dtype and strides (they are read as double); results are contiguous float64
// Tensors. A shape mismatch throws InvalidArgument naming the function and the shapes.
//
// Tolerances (relative Frobenius error of a float32 result, testing.hpp's fp32_tolerance): each
// output element is a sum of at most C R S (forward), K R S (backward data) or N P Q (backward
// weights) products, so the error bound grows like the square root of that count times 2^-24.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "aisys/harness/conv_baselines.hpp"
#include "aisys/kernels/tensor.hpp"

namespace aisys::testing {

kernels::Tensor reference_conv2d_forward(const baselines::Conv2dShape& shape,
                                         const kernels::Tensor& x, const kernels::Tensor& w);
kernels::Tensor reference_conv2d_backward_data(const baselines::Conv2dShape& shape,
                                               const kernels::Tensor& dy, const kernels::Tensor& w);
kernels::Tensor reference_conv2d_backward_weights(const baselines::Conv2dShape& shape,
                                                  const kernels::Tensor& x,
                                                  const kernels::Tensor& dy);

// fp32_tolerance of the number of products summed into one element (see above).
double conv2d_forward_tolerance(const baselines::Conv2dShape& shape);
double conv2d_backward_data_tolerance(const baselines::Conv2dShape& shape);
double conv2d_backward_weights_tolerance(const baselines::Conv2dShape& shape);

// close_frobenius for tensors of any rank: `got` (any dtype) against `expected` (a higher-precision
// reference of the same shape). Fails when the relative Frobenius error exceeds `tolerance` or an
// element of `got` is not finite; the message names `what`, the shape, the seed, the first bad
// element by its index ([n, k, p, q]), expected and got, and the command that reruns the case.
::testing::AssertionResult close_tensor(const std::string& what, const kernels::Tensor& got,
                                        const kernels::Tensor& expected, double tolerance);

}  // namespace aisys::testing
