// KNOWN-WRONG VARIANT (tests the grader): ignores beta. Expected: cpu-naive fails.
// Stage 1: naive GEMM, C = alpha * A * B + beta * C (row-major), three loops in i-j-k order.
//
// What it adds: the baseline. The inner k loop walks a column of B with stride ldb, so every
// multiply-add touches a new cache line of B: the loop is bound by memory latency and bandwidth,
// not by arithmetic (about 2 FLOP per 4-8 bytes moved, far below the ~5 FLOP/byte ridge point).
//
// Run: aisys test 01 --impl reference    Bench: aisys bench 01 --impl reference
#include <cstddef>

#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_naive(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc) {
  check_gemm_args("sgemm_naive", M, N, K, A, lda, B, ldb, C, ldc);
  (void)beta;
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < K; ++k) {
        acc += A[static_cast<std::size_t>(i) * lda + k] * B[static_cast<std::size_t>(k) * ldb + j];
      }
      float& c = C[static_cast<std::size_t>(i) * ldc + j];
      // beta == 0: C is written without being read (it may hold NaN).
      c = alpha * acc;  // BUG: ignores beta (and so the old C)
    }
  }
}

}  // namespace aisys::lab01
