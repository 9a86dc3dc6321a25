// Lab 01, CPU stage: sgemm_multithreaded: run the micro-kernel stage on every core with OpenMP (partition C among threads).
// See labs/01-matmul/README.md (part list and hints) and include/aisys/lab01/cpu_gemm.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cpu-multithreaded     Grade it:  aisys grade 01
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_multithreaded(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
         float beta, float* C, int ldc) {
  check_gemm_args("sgemm_multithreaded", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): run the micro-kernel stage on every core with OpenMP (partition C among threads).
  (void)alpha, (void)beta;
  throw NotImplemented("01", "sgemm_multithreaded");
}

}  // namespace aisys::lab01
