// Lab 01, CPU stage: sgemm_naive: three nested loops over i, j, k (the definition of C = alpha A B + beta C).
// See labs/01-matmul/README.md (part list and hints) and include/aisys/lab01/cpu_gemm.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cpu-naive     Grade it:  aisys grade 01
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_naive(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
         float beta, float* C, int ldc) {
  check_gemm_args("sgemm_naive", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): three nested loops over i, j, k (the definition of C = alpha A B + beta C).
  (void)alpha, (void)beta;
  throw NotImplemented("01", "sgemm_naive");
}

}  // namespace aisys::lab01
