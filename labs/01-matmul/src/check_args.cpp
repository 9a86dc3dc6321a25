// Lab 01 support code (not a student file): argument checks shared by every stage.
#include <string>

#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {

void check_gemm_args(const char* function, int M, int N, int K, const float* A, int lda,
                     const float* B, int ldb, const float* C, int ldc) {
  auto fail = [function](const std::string& what) {
    throw InvalidArgument(std::string(function) + ": " + what);
  };
  if (M < 0 || N < 0 || K < 0) {
    fail("sizes must be >= 0 (M=" + std::to_string(M) + ", N=" + std::to_string(N) +
         ", K=" + std::to_string(K) + ")");
  }
  if (lda < (K > 0 ? K : 1)) fail("lda=" + std::to_string(lda) + " < K=" + std::to_string(K));
  if (ldb < (N > 0 ? N : 1)) fail("ldb=" + std::to_string(ldb) + " < N=" + std::to_string(N));
  if (ldc < (N > 0 ? N : 1)) fail("ldc=" + std::to_string(ldc) + " < N=" + std::to_string(N));
  if ((M > 0 && K > 0 && A == nullptr) || (K > 0 && N > 0 && B == nullptr) ||
      (M > 0 && N > 0 && C == nullptr)) {
    fail("null matrix pointer");
  }
}

}  // namespace aisys::lab01
