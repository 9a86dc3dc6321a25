// Lab 01, CPU stage: sgemm_loop_reorder: the i-k-j loop order: the inner loop walks B and C with unit stride.
// See labs/01-matmul/README.md (part list and hints) and include/aisys/lab01/cpu_gemm.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cpu-loop-reorder     Grade it:  aisys grade 01
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_loop_reorder(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
         float beta, float* C, int ldc) {
  check_gemm_args("sgemm_loop_reorder", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): the i-k-j loop order: the inner loop walks B and C with unit stride.
  (void)alpha, (void)beta;
  throw NotImplemented("01", "sgemm_loop_reorder");
}

}  // namespace aisys::lab01
