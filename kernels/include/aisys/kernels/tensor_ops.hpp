// aisys/kernels/tensor_ops.hpp: the forward primitive ops on Tensor (tensor.hpp). Every op
// returns a new contiguous tensor (inputs of any strides, broadcast views included), keeps the
// inputs' dtype (both operands must share it) and computes float32 with float32 storage but
// accumulates sums in double. matmul goes to OpenBLAS (sgemm/dgemm; plain loops in a build
// without it). No op here differentiates anything: the backward rules are Lab 02's, and so is
// convolution (im2col + matmul).
//
// Device: every operand on one device (else InvalidArgument naming both). On a GPU (CUDA builds)
// the elementwise ops, where, the reductions, sum_to and matmul (cuBLAS) run as CUDA kernels, and
// softmax, log_softmax and layer_norm follow since they are built from those; argmax and
// max_pool2d run one thread per output (max_pool2d's argmax comes back to the host, where
// MaxPoolResult keeps it), cross_entropy gathers each row's log-probability on the device after
// checking the labels on the host; dropout_mask is drawn on the CPU.
//
// Errors name the op and the shapes, e.g. "matmul: inner dimensions differ: [2, 3] x [4, 5]".
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "aisys/kernels/tensor.hpp"

namespace aisys::kernels::ops {

// Elementwise, with NumPy broadcasting.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);            // 1 where a > b, else 0
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);  // a where cond != 0, else b

// With a scalar.
Tensor add_scalar(const Tensor& a, double s);
Tensor mul_scalar(const Tensor& a, double s);
Tensor pow_scalar(const Tensor& a, double exponent);

// Unary.
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);
Tensor relu(const Tensor& a);
Tensor gelu(const Tensor& a);  // exact: 0.5 x (1 + erf(x / sqrt(2)))

// Reductions over `axes` (negative allowed; empty: every axis).
Tensor sum(const Tensor& a, const std::vector<int>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const std::vector<int>& axes = {}, bool keepdim = false);
Tensor max(const Tensor& a, const std::vector<int>& axes = {}, bool keepdim = false);
// Sums a tensor of a broadcast shape back down to `shape` (the reduction a broadcast's backward
// needs): leading dimensions summed away, stretched ones summed with keepdim.
Tensor sum_to(const Tensor& a, const Shape& shape);
// Index of the largest element along `axis` (first on ties), as float64 values.
Tensor argmax(const Tensor& a, int axis);

// Matrix product over the last two dimensions, batch dimensions broadcast:
// [..., M, K] x [..., K, N] -> [..., M, N]. Both at least 2-D.
Tensor matmul(const Tensor& a, const Tensor& b);
// Whether matmul on the CPU runs OpenBLAS (false: a build without it, on plain loops, fine for
// tests' small products and far too slow for training).
bool cpu_matmul_uses_openblas();

// Along one axis.
Tensor softmax(const Tensor& a, int axis);
Tensor log_softmax(const Tensor& a, int axis);

// Mean cross-entropy of logits [N, C] against class labels (N values in [0, C)): a scalar.
Tensor cross_entropy(const Tensor& logits, std::span<const std::int32_t> labels);

// Layer normalisation over the last dimension: y = (x - mean) * rstd * gamma + beta, with
// rstd = 1 / sqrt(var + eps) (biased variance). gamma and beta have the last dimension's size.
struct LayerNormResult {
  Tensor y, mean, rstd;  // mean and rstd: x's shape without its last dimension
};
LayerNormResult layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, double eps = 1e-5);

// 2-D max pooling of x [N, C, H, W] (padding counts as -infinity). argmax holds, for each output
// element, the flat index (h * W + w) of the input element chosen within its (n, c) plane.
struct MaxPoolResult {
  Tensor y;
  std::vector<std::int64_t> argmax;
};
MaxPoolResult max_pool2d(const Tensor& x, int kernel, int stride, int padding = 0);

// A dropout mask: each element 0 with probability p, else 1 / (1 - p) (inverted dropout), seeded.
Tensor dropout_mask(const Shape& shape, double p, std::uint64_t seed, DType dtype = DType::kFloat32);

}  // namespace aisys::kernels::ops
