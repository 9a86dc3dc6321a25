// aisys/lab01/cuda_gemm.hpp: the API of Lab 01's CUDA stages (students implement it; do not edit).
//
// Every stage computes C = alpha * A * B + beta * C with the contract of the CPU half (row-major,
// lda >= K, ldb >= N, ldc >= N, any M, N, K >= 0 including sizes that are not multiples of any
// tile, beta == 0 writes C without reading it), on DEVICE pointers, enqueued on `stream`
// (asynchronous: the caller synchronizes). Arguments are checked on the host first
// (check_gemm_args: bad ones throw aisys::InvalidArgument before anything is launched); M == 0 or N
// == 0 launches nothing.
//
//   stage  file (skeleton/)                function                       what it adds
//   1      cuda/1_naive.cu                 cuda_sgemm_naive               one thread per C element
//   2      cuda/2_coalesced.cu             cuda_sgemm_coalesced           a warp reads consecutive
//                                                                         addresses (coalescing)
//   3      cuda/3_smem_tiling.cu           cuda_sgemm_smem_tiling         tiles of A and B in
//   shared
//                                                                         memory, __syncthreads
//   4      cuda/4_1d_register_tiling.cu    cuda_sgemm_1d_register_tiling  a thread computes a
//   column
//                                                                         of TM results
//   5      cuda/5_2d_register_tiling.cu    cuda_sgemm_2d_register_tiling  a thread computes an 8x8
//   tile
//                                                                         from 8 values of A, 8 of
//                                                                         B
//   6      cuda/6_vectorized.cu            cuda_sgemm_vectorized          float4 loads, A
//   transposed in
//                                                                         shared memory
//   7      cuda/7_warp_tiling.cu           cuda_sgemm_warp_tiling         block -> warp -> thread
//   tiles 8      cuda/8_wmma.cu                  cuda_gemm_wmma_fp16/_bf16      tensor cores
//   through WMMA:
//                                                                         FP16/BF16 in, FP32
//                                                                         accumulate
//
// Each stage file also defines its launch logic, cuda_launch_config_<stage>(M, N) (see
// cuda_launch.hpp), which the CPU tests check without a GPU. Only compiled where nvcc exists.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "aisys/lab01/cuda_launch.hpp"

namespace aisys::lab01 {

using CudaSgemmFn = void (*)(int M, int N, int K, float alpha, const float* A, int lda,
                             const float* B, int ldb, float beta, float* C, int ldc,
                             cudaStream_t stream);
using LaunchConfigFn = LaunchConfig (*)(int M, int N);

void cuda_sgemm_naive(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                      int ldb, float beta, float* C, int ldc, cudaStream_t stream);
LaunchConfig cuda_launch_config_naive(int M, int N);

void cuda_sgemm_coalesced(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                          int ldb, float beta, float* C, int ldc, cudaStream_t stream);
LaunchConfig cuda_launch_config_coalesced(int M, int N);

void cuda_sgemm_smem_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc,
                            cudaStream_t stream);
LaunchConfig cuda_launch_config_smem_tiling(int M, int N);

void cuda_sgemm_1d_register_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream);
LaunchConfig cuda_launch_config_1d_register_tiling(int M, int N);

void cuda_sgemm_2d_register_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream);
LaunchConfig cuda_launch_config_2d_register_tiling(int M, int N);

void cuda_sgemm_vectorized(int M, int N, int K, float alpha, const float* A, int lda,
                           const float* B, int ldb, float beta, float* C, int ldc,
                           cudaStream_t stream);
LaunchConfig cuda_launch_config_vectorized(int M, int N);

void cuda_sgemm_warp_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc,
                            cudaStream_t stream);
LaunchConfig cuda_launch_config_warp_tiling(int M, int N);

// Tensor cores: A (M x K) and B (K x N) in FP16 or BF16, C in FP32; products accumulate in FP32.
void cuda_gemm_wmma_fp16(int M, int N, int K, float alpha, const __half* A, int lda,
                         const __half* B, int ldb, float beta, float* C, int ldc,
                         cudaStream_t stream);
void cuda_gemm_wmma_bf16(int M, int N, int K, float alpha, const __nv_bfloat16* A, int lda,
                         const __nv_bfloat16* B, int ldb, float beta, float* C, int ldc,
                         cudaStream_t stream);
LaunchConfig cuda_launch_config_wmma(int M, int N);

}  // namespace aisys::lab01
