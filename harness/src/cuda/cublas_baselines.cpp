// cuBLAS baselines (aisys/harness/cuda_baselines.hpp).
#include "aisys/harness/cuda_baselines.hpp"

#include <cublas_v2.h>

#include "aisys/kernels/cuda/check.hpp"

namespace aisys::baselines {

namespace {

class Handle {
 public:
  Handle() {
    AISYS_CUBLAS_CHECK(cublasCreate(&handle_));
    // Default math: with CUBLAS_COMPUTE_32F no TF32 tensor-op rounding is allowed.
    AISYS_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
  }
  ~Handle() { cublasDestroy(handle_); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  cublasHandle_t get(cudaStream_t stream) {
    AISYS_CUBLAS_CHECK(cublasSetStream(handle_, stream));
    return handle_;
  }

 private:
  cublasHandle_t handle_ = nullptr;
};

cublasHandle_t handle(cudaStream_t stream) {
  thread_local Handle h;
  return h.get(stream);
}

// Row-major C (M x N) = A (M x K) B (K x N) is column-major C^T (N x M) = B^T (N x K) A^T (K x M).
void gemm_ex(int M, int N, int K, float alpha, const void* A, int lda, const void* B, int ldb,
             cudaDataType_t input_type, float beta, float* C, int ldc, cudaStream_t stream) {
  if (M == 0 || N == 0) return;
  AISYS_CUBLAS_CHECK(cublasGemmEx(handle(stream), CUBLAS_OP_N, CUBLAS_OP_N, N, M, K, &alpha, B,
                                  input_type, ldb, A, input_type, lda, &beta, C, CUDA_R_32F, ldc,
                                  CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace

void cublas_sgemm(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                  int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  gemm_ex(M, N, K, alpha, A, lda, B, ldb, CUDA_R_32F, beta, C, ldc, stream);
}

void cublas_gemm_fp16(int M, int N, int K, float alpha, const __half* A, int lda, const __half* B,
                      int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  gemm_ex(M, N, K, alpha, A, lda, B, ldb, CUDA_R_16F, beta, C, ldc, stream);
}

void cublas_gemm_bf16(int M, int N, int K, float alpha, const __nv_bfloat16* A, int lda,
                      const __nv_bfloat16* B, int ldb, float beta, float* C, int ldc,
                      cudaStream_t stream) {
  gemm_ex(M, N, K, alpha, A, lda, B, ldb, CUDA_R_16BF, beta, C, ldc, stream);
}

nlohmann::json cublas_info() {
  int version = 0;
  cublasGetProperty(MAJOR_VERSION, &version);
  int minor = 0, patch = 0;
  cublasGetProperty(MINOR_VERSION, &minor);
  cublasGetProperty(PATCH_LEVEL, &patch);
  return {{"version", std::to_string(version) + "." + std::to_string(minor) + "." + std::to_string(patch)},
          {"compute_type", "CUBLAS_COMPUTE_32F"},
          {"math_mode", "CUBLAS_DEFAULT_MATH (no TF32)"},
          {"algorithm", "cublasGemmEx CUBLAS_GEMM_DEFAULT (the library's choice)"}};
}

}  // namespace aisys::baselines
