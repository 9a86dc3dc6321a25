// Lab 01, CUDA stage 3: cuda_sgemm_smem_tiling: tiles of A and B in shared memory.
// What it adds: a block of 32 x 32 threads walks K in steps of 32; per step it copies a 32 x 32
// tile of A and one of B into __shared__ memory (one coalesced load per thread each), waits at
// __syncthreads(), and every thread does 32 multiply-adds from shared memory: each value read
// from global memory is reused by 32 threads.
// Bound: 8 FLOP per byte of global traffic (32x less than stage 2); now shared memory bandwidth,
// at 2 shared loads per FMA.
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp, cuda_launch.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cuda-smem-tiling
// Bench it:  aisys bench 01 --filter cuda/smem_tiling
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// TODO(student): the kernel, sgemm_smem_tiling_kernel, with __launch_bounds__(1024) and
// __shared__ float As[32][32], Bs[32][32]. Thread (tx, ty) computes C(row0 + ty, col0 + tx).
// For k0 = 0, 32, ... < K:
//   - As[ty][tx] = A(row0 + ty, k0 + tx) and Bs[ty][tx] = B(k0 + ty, col0 + tx), 0.0f for any
//     element outside the matrices (M, N and K are not multiples of 32);
//   - __syncthreads(); acc += As[ty][k] * Bs[k][tx] for k = 0..31; __syncthreads() again before
//     the next step overwrites the tiles.
// Every thread takes part in the loads and barriers; only the store is skipped out of range.

}  // namespace

LaunchConfig cuda_launch_config_smem_tiling(int M, int N) {
  // TODO(student): block (32, 32), tile 32 x 32, shared_bytes = the size of As and Bs; blocks_m,
  // blocks_n and the grid as in stage 2.
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_smem_tiling");
}

void cuda_sgemm_smem_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc,
                            cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_smem_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): as stage 1: config, nothing to launch for M == 0 or N == 0, launch on
  // `stream`, AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_smem_tiling");
}

}  // namespace aisys::lab01
