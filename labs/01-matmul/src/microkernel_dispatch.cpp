// Lab 01 support code (not a student file): chooses the micro-kernel file at run time from the CPU's
// flags, so a machine without AVX-512 never executes an AVX-512 instruction. AISYS_LAB01_ISA=avx2
// forces the AVX2 file (to test it on an AVX-512 machine).
#include <cstdlib>
#include <string>

#include "aisys/kernels/cpu_features.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

const char* microkernel_isa() {
  const auto& f = aisys::cpu_features();
  const char* forced = std::getenv("AISYS_LAB01_ISA");
  const bool has_avx512 = f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
  const bool has_avx2 = f.avx2 && f.fma;
  if (forced != nullptr && std::string(forced) == "avx2") return has_avx2 ? "avx2" : "none";
  if (has_avx512) return "avx512";
  if (has_avx2) return "avx2";
  return "none";
}

void sgemm_microkernel(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                       int ldb, float beta, float* C, int ldc) {
  static const std::string isa = microkernel_isa();
  if (isa == "avx512") {
    sgemm_microkernel_avx512(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else if (isa == "avx2") {
    sgemm_microkernel_avx2(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    throw Error("sgemm_microkernel: this CPU has neither AVX2+FMA nor AVX-512");
  }
}

}  // namespace aisys::lab01
