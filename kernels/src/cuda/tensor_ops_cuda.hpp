// Internal (kernels/src only): the CUDA side of the tensor ops. tensor_ops.cpp and tensor.cpp call
// these for tensors on a GPU; tensor_ops.cu implements them. Inputs are on the same CUDA device
// and share a dtype (the callers check); outputs are new contiguous tensors on that device.
#pragma once

#include <cstdint>
#include <vector>

#include "aisys/kernels/tensor.hpp"

namespace aisys::kernels::cuda_ops {

enum class Elementwise : int {
  kAdd, kSub, kMul, kDiv, kMaximum, kGreater,               // binary
  kNeg, kExp, kLog, kSqrt, kAbs, kTanh, kSigmoid, kRelu, kGelu,  // unary
  kAddScalar, kMulScalar, kPowScalar,                        // with a scalar
};

// dst (any strides) = src broadcast to dst's shape, converting the dtype; both on one device.
void strided_copy(const Tensor& dst, const Tensor& src);
// dst (any strides, no broadcast dimension) += src broadcast to dst's shape; one dtype, one device.
void add_into(const Tensor& dst, const Tensor& src);
// A binary op on a and b broadcast to `shape`.
Tensor binary(Elementwise op, const Tensor& a, const Tensor& b, const Shape& shape);
// a where cond != 0 else b, all broadcast to `shape` (cond any dtype).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b, const Shape& shape);
// A unary or scalar op.
Tensor unary(Elementwise op, const Tensor& a, double scalar = 0);
// Sum (or max) over the axes marked in `reduced`, accumulating in double, into the keepdim
// shape; divided by the reduced count when `mean`.
Tensor reduce(const Tensor& a, const std::vector<char>& reduced, bool max, bool mean);
// [batch..., M, K] x [batch..., K, N] with batch dimensions already broadcast to `batch`.
Tensor matmul(const Tensor& a, const Tensor& b, const Shape& batch);
// The index of the largest element of each row of a contiguous [rows, n] tensor (the first on
// ties), as float64 [rows].
Tensor argmax_rows(const Tensor& a, std::int64_t rows, std::int64_t n);
// log_probs[i, labels[i]] of a contiguous [N, C] tensor, as [N]; labels already checked in [0, C).
Tensor pick_rows(const Tensor& log_probs, const std::vector<std::int32_t>& labels);
// Max-pool of a contiguous [N, C, H, W] tensor into [N, C, OH, OW] (arguments already checked);
// the argmax of each window (h W + w within its plane) comes back to the host.
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding, std::int64_t oh, std::int64_t ow,
                  std::vector<std::int64_t>& argmax);

}  // namespace aisys::kernels::cuda_ops
