// KNOWN-WRONG VARIANT (tests the grader): the AVX-512 micro-kernel stage calls OpenBLAS's
// cblas_sgemm instead of computing. Its results are right, so every correctness part passes; the
// allow-list check finds cblas_sgemm among the object's undefined symbols and every performance
// part scores 0, naming the symbol.
#include "aisys/lab01/cpu_gemm.hpp"

extern "C" void cblas_sgemm(int order, int transa, int transb, int M, int N, int K, float alpha,
                            const float* A, int lda, const float* B, int ldb, float beta, float* C,
                            int ldc);

namespace aisys::lab01 {

void sgemm_microkernel_avx512(int M, int N, int K, float alpha, const float* A, int lda,
                              const float* B, int ldb, float beta, float* C, int ldc) {
  check_gemm_args("sgemm_microkernel_avx512", M, N, K, A, lda, B, ldb, C, ldc);
  if (M == 0 || N == 0) return;
  constexpr int kRowMajor = 101, kNoTrans = 111;
  cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace aisys::lab01
