// aisys/harness/cuda_baselines.hpp: GPU baselines doing the same arithmetic as the candidates
// (MEASURING.md): cuBLAS SGEMM with CUBLAS_COMPUTE_32F and the default math mode (no TF32), and
// cublasGemmEx for FP16 / BF16 inputs with FP32 accumulation and FP32 output. Row-major calls are
// mapped to cuBLAS's column-major by computing C^T = B^T A^T. Only in builds with CUDA.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <nlohmann/json.hpp>

namespace aisys::baselines {

// One cuBLAS handle per thread, created on first use; the calls below set its stream.
void cublas_sgemm(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                  int ldb, float beta, float* C, int ldc, cudaStream_t stream);
void cublas_gemm_fp16(int M, int N, int K, float alpha, const __half* A, int lda, const __half* B,
                      int ldb, float beta, float* C, int ldc, cudaStream_t stream);
void cublas_gemm_bf16(int M, int N, int K, float alpha, const __nv_bfloat16* A, int lda,
                      const __nv_bfloat16* B, int ldb, float beta, float* C, int ldc,
                      cudaStream_t stream);

// {"version", "compute_type": "CUBLAS_COMPUTE_32F", "math_mode": "CUBLAS_DEFAULT_MATH (no TF32)",
//  "algorithm": "CUBLAS_GEMM_DEFAULT (the library's choice)"}
nlohmann::json cublas_info();

}  // namespace aisys::baselines
