// Stage 3 (CUDA): shared memory tiling, C = alpha * A * B + beta * C (row-major).
//
// What it adds: a block of 32 x 32 threads walks K in steps of 32; per step it copies a 32 x 32
// tile of A and one of B into __shared__ memory (one coalesced load per thread each, zeros outside
// the matrices), synchronizes, and every thread does 32 multiply-adds from shared memory. Each
// value fetched from global memory is reused by 32 threads.
// Bound: global traffic falls 32x (2 * 32^3 FLOP per 8 KiB: 8 FLOP/byte); now shared memory
// bandwidth limits, at 2 shared loads per FMA (the A value is a broadcast).
//
// Run: aisys test 01 --part cuda-smem-tiling    Bench: aisys bench 01 --filter cuda/smem_tiling
#include <cstddef>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr int kBlock = 32;  // tile of C (kBlock x kBlock), step along K, and block shape
constexpr int kThreads = kBlock * kBlock;
constexpr std::size_t kSharedBytes = 2 * kBlock * kBlock * sizeof(float);  // As + Bs

__global__ void __launch_bounds__(kThreads)
    sgemm_smem_tiling_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                             const float* __restrict__ B, int ldb, float beta,
                             float* __restrict__ C, int ldc) {
  __shared__ float As[kBlock][kBlock];  // As[r][k] = A(row0 + r, k0 + k)
  __shared__ float Bs[kBlock][kBlock];  // Bs[k][c] = B(k0 + k, col0 + c)

  const int tx = static_cast<int>(threadIdx.x);  // column inside the tile
  const int ty = static_cast<int>(threadIdx.y);  // row inside the tile
  const int row0 = static_cast<int>(blockIdx.y) * kBlock;
  const int col0 = static_cast<int>(blockIdx.x) * kBlock;
  const int i = row0 + ty;  // this thread's element of C
  const int j = col0 + tx;

  float acc = 0.0f;
  for (int k0 = 0; k0 < K; k0 += kBlock) {
    // Each thread loads one element of each tile; consecutive tx read consecutive addresses.
    const int ka = k0 + tx;  // column of A loaded by this thread (row i)
    As[ty][tx] = (i < M && ka < K) ? A[static_cast<std::size_t>(i) * lda + ka] : 0.0f;
    const int kb = k0 + ty;  // row of B loaded by this thread (column j)
    Bs[ty][tx] = (kb < K && j < N) ? B[static_cast<std::size_t>(kb) * ldb + j] : 0.0f;
    __syncthreads();  // the tiles are complete

    // As[ty][k]: one address per warp (broadcast); Bs[k][tx]: 32 consecutive banks.
#pragma unroll
    for (int k = 0; k < kBlock; ++k) {
      acc += As[ty][k] * Bs[k][tx];
    }
    __syncthreads();  // everyone is done reading before the next step overwrites the tiles
  }

  if (i < M && j < N) {
    float* c = C + static_cast<std::size_t>(i) * ldc + j;
    // beta == 0: C is written without being read (it may hold NaN).
    if (beta == 0.0f) {
      *c = alpha * acc;
    } else {
      *c = alpha * acc + beta * *c;
    }
  }
}

}  // namespace

LaunchConfig cuda_launch_config_smem_tiling(int M, int N) {
  LaunchConfig cfg;
  cfg.block_x = kBlock;  // columns
  cfg.block_y = kBlock;  // rows
  cfg.block_z = 1;
  cfg.shared_bytes = kSharedBytes;  // static shared memory, no dynamic part
  cfg.tile_m = kBlock;
  cfg.tile_n = kBlock;
  if (M > 0 && N > 0) {
    cfg.blocks_m = ceil_div(M, kBlock);
    cfg.blocks_n = ceil_div(N, kBlock);
  }
  cfg.grid_x = static_cast<unsigned>(cfg.blocks_n);  // blockIdx.x walks the columns of C
  cfg.grid_y = static_cast<unsigned>(cfg.blocks_m);  // blockIdx.y walks the rows of C
  cfg.grid_z = 1;
  return cfg;
}

void cuda_sgemm_smem_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc,
                            cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_smem_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  const LaunchConfig cfg = cuda_launch_config_smem_tiling(M, N);
  if (M == 0 || N == 0) return;
  sgemm_smem_tiling_kernel<<<dim3(cfg.grid_x, cfg.grid_y, cfg.grid_z),
                             dim3(cfg.block_x, cfg.block_y, cfg.block_z), 0, stream>>>(
      M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::lab01
