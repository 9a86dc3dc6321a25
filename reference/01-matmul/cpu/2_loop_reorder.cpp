// Stage 2: loop reorder, i-k-j. C = alpha * A * B + beta * C (row-major).
//
// What it adds: the inner loop runs along a row of B and a row of C with unit stride, so it streams
// whole cache lines and the compiler vectorizes it (c[j] += a_ik * b[j]). Each multiply-add still
// loads and stores C and loads B: about 2 FLOP per 12 bytes of L1 traffic, and B (K x N) is re-read
// from L2/L3/DRAM for every row of C, so large sizes are bound by cache bandwidth.
//
// Run: aisys test 01 --impl reference    Bench: aisys bench 01 --impl reference
#include <cstddef>

#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_loop_reorder(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                        int ldb, float beta, float* C, int ldc) {
  check_gemm_args("sgemm_loop_reorder", M, N, K, A, lda, B, ldb, C, ldc);
  for (int i = 0; i < M; ++i) {
    float* __restrict c = C + static_cast<std::size_t>(i) * ldc;
    // Scale the row of C by beta first (beta == 0: overwrite, never read).
    if (beta == 0.0f) {
      for (int j = 0; j < N; ++j) c[j] = 0.0f;
    } else if (beta != 1.0f) {
      for (int j = 0; j < N; ++j) c[j] *= beta;
    }
    const float* a = A + static_cast<std::size_t>(i) * lda;
    for (int k = 0; k < K; ++k) {
      const float aik = alpha * a[k];
      const float* __restrict b = B + static_cast<std::size_t>(k) * ldb;
      for (int j = 0; j < N; ++j) c[j] += aik * b[j];  // unit stride: vectorized
    }
  }
}

}  // namespace aisys::lab01
