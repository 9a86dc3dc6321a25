// kernels/src/matrix_layout.hpp (internal to the kernels library): how a strided tensor's matrices
// can be handed to BLAS (OpenBLAS on the CPU, tensor_ops.cpp; cuBLAS on a GPU, cuda/tensor_ops.cu)
// without copying: each matrix row-major or column-major with a leading dimension, and the batch
// one stride from matrix to matrix (0 for an operand broadcast over the batch).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace aisys::kernels::detail {

// A [rows x cols] matrix view with row stride rs and column stride cs: row-major with leading
// dimension ld (column stride 1), or column-major, that is transposed row-major, with ld (row
// stride 1). ok is false for any other view (a broadcast row, a strided slice of columns).
struct MatrixLayout {
  bool ok = false, transposed = false;
  std::int64_t ld = 0;
};
inline MatrixLayout layout_of(std::int64_t rows, std::int64_t cols, std::int64_t rs, std::int64_t cs) {
  if ((cs == 1 || cols == 1) && rs >= std::max<std::int64_t>(1, cols)) return {true, false, rs};
  if ((rs == 1 || rows == 1) && cs >= std::max<std::int64_t>(1, rows)) return {true, true, cs};
  if (rows == 1 && cols == 1) return {true, false, 1};
  return {};
}

// The stride between consecutive matrices when the first `batch_dims` dimensions of shape/strides,
// flattened in row-major order, step through memory evenly (dimensions of size 1 ignored; 0 when
// every batch dimension is broadcast), or nullopt when they do not (a permuted batch, one broadcast
// dimension beside a strided one).
inline std::optional<std::int64_t> uniform_batch_stride(const std::vector<std::int64_t>& shape,
                                                        const std::vector<std::int64_t>& strides, std::size_t batch_dims) {
  std::optional<std::int64_t> step;
  std::int64_t inner = 1;  // matrices per step of the dimension looked at
  for (std::size_t d = batch_dims; d-- > 0;) {
    if (shape[d] == 1) continue;
    if (!step) step = strides[d];
    else if (strides[d] != *step * inner) return std::nullopt;
    inner *= shape[d];
  }
  return step.value_or(0);
}

}  // namespace aisys::kernels::detail
