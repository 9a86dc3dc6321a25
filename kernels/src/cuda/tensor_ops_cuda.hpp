// Internal (kernels/src only): the CUDA side of the tensor ops. tensor_ops.cpp and tensor.cpp call
// these for tensors on a GPU; tensor_ops.cu implements them. Inputs are on the same CUDA device
// and share a dtype (the callers check); outputs are new contiguous tensors on that device.
#pragma once

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

}  // namespace aisys::kernels::cuda_ops
