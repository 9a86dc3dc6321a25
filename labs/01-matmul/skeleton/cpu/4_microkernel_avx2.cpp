// Lab 01, CPU stage: sgemm_microkernel_avx2: packed panels of A and B and an AVX2+FMA register-blocked micro-kernel (e.g. 6x16 in ymm registers).
// See labs/01-matmul/README.md (part list and hints) and include/aisys/lab01/cpu_gemm.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cpu-microkernel-avx2     Grade it:  aisys grade 01
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void sgemm_microkernel_avx2(int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb,
         float beta, float* C, int ldc) {
  check_gemm_args("sgemm_microkernel_avx2", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): packed panels of A and B and an AVX2+FMA register-blocked micro-kernel (e.g. 6x16 in ymm registers).
  (void)alpha, (void)beta;
  throw NotImplemented("01", "sgemm_microkernel_avx2");
}

}  // namespace aisys::lab01
