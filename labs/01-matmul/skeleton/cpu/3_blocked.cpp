// Lab 01, CPU stage: sgemm_blocked: cache blocking: tiles of C and of the K dimension that stay in L1/L2.
// See labs/01-matmul/README.md (part list and hints) and include/aisys/lab01/cpu_gemm.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cpu-blocked     Grade it:  aisys grade 01
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_blocked(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
         float beta, float* C, int ldc) {
  check_gemm_args("sgemm_blocked", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): cache blocking: tiles of C and of the K dimension that stay in L1/L2.
  (void)alpha, (void)beta;
  throw NotImplemented("01", "sgemm_blocked");
}

}  // namespace aisys::lab01
