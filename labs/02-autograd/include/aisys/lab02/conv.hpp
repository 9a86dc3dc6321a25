// aisys/lab02/conv.hpp: part 4 of Lab 02, 2-D convolution as im2col + matrix multiplication
// (Chetlur et al., "cuDNN", 2014, section 3), and its two backward passes (col2im + matmul).
//
// Math contract (the harness's oracle and oneDNN baseline use the same: harness/conv_baselines.hpp):
// x [N, C, H, W], w [K, C, R, S], y [N, K, P, Q] with P = (H + 2 pad - R) / stride + 1 and
// Q = (W + 2 pad - S) / stride + 1, zero padding on every side, no bias, no dilation:
//   y[n,k,p,q] = sum over (c, r, s) of x[n, c, p stride + r - pad, q stride + s - pad] w[k,c,r,s].
//
// im2col lays every receptive field out as a column: cols [N, C R S, P Q] with
//   cols[n, (c R + r) S + s, p Q + q] = x[n, c, p stride + r - pad, q stride + s - pad] (0 outside),
// so that y[n] = w.reshape([K, C R S]) x cols[n] is one matmul per image (a batched matmul over n).
// col2im is its adjoint: it adds every element of cols back to the x position it came from
// (positions covered by several receptive fields receive the sum), which is the backward of im2col.
//
// Write these with the platform's tensor views and ops (kernels::Tensor slice/permute/
// broadcast_to/copy_from, kernels::ops): they then run on any device. Memory: cols holds
// C R S x P Q values per image, R S times the input for stride 1 (the handout's "im2col's cost").
// All functions take tensors of one dtype and device and return contiguous tensors; a shape that
// does not match (x not 4-D, w's C differs from x's, a kernel larger than the padded input, stride
// < 1, padding < 0) throws aisys::InvalidArgument naming the function and the shapes.
#pragma once

#include <cstdint>
#include <string>

#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02 {

// Sizes of one convolution; from_tensors() validates and derives P and Q.
struct ConvGeometry {
  std::int64_t N = 0, C = 0, H = 0, W = 0, K = 0, R = 0, S = 0;
  std::int64_t stride = 1, padding = 0;
  std::int64_t P = 0, Q = 0;
  // From x's and w's shapes; throws InvalidArgument naming `op` and both shapes when they do not fit.
  static ConvGeometry from_shapes(const Shape& x, const Shape& w, std::int64_t stride, std::int64_t padding,
                                  const char* op = "conv2d");
  std::string to_string() const;  // "N2 C3 H8 W8 K4 R3 S3 /1 p1 -> P8 Q8"
};

// ---- Part 4 (skeleton/4_conv2d.cpp) ------------------------------------------------------------
// x [N, C, H, W] -> cols [N, C R S, P Q] (see above).
Tensor im2col(const Tensor& x, const ConvGeometry& g);
// cols [N, C R S, P Q] -> x-shaped [N, C, H, W], the sum of every column element at its source.
Tensor col2im(const Tensor& cols, const ConvGeometry& g);
// y [N, K, P, Q] = conv(x, w) through im2col and ops::matmul.
Tensor conv2d_forward(const Tensor& x, const Tensor& w, std::int64_t stride, std::int64_t padding);
// dx [N, C, H, W] from dy [N, K, P, Q] and w: w^T dy per image, then col2im.
Tensor conv2d_backward_data(const Tensor& dy, const Tensor& w, const ConvGeometry& g);
// dw [K, C, R, S] from x and dy: the sum over images of dy[n] cols[n]^T.
Tensor conv2d_backward_weights(const Tensor& x, const Tensor& dy, const ConvGeometry& g);

}  // namespace aisys::lab02
