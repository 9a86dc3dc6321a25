// Stage 2 (CUDA): global memory coalescing, C = alpha * A * B + beta * C (row-major).
//
// What it adds: the same one-thread-per-element kernel with the thread mapping swapped: threadIdx.x
// picks the COLUMN j, so the 32 threads of a warp share one row i. Per k a warp reads one value of
// A (a broadcast) and 32 consecutive floats of B (one 128-byte line), and stores one line of C.
// Bound: still global/L2 bandwidth (2 FLOP per 4 bytes of B, no reuse beyond the caches), but every
// byte moved is used: several times faster than stage 1.
//
// Run: aisys test 01 --part cuda-coalesced    Bench: aisys bench 01 --filter cuda/coalesced
#include <cstddef>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// A block is kTile x kTile threads and computes a kTile x kTile tile of C.
constexpr int kTile = 32;

__global__ void __launch_bounds__(kTile* kTile)
    sgemm_coalesced_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                           const float* __restrict__ B, int ldb, float beta, float* __restrict__ C,
                           int ldc) {
  // x -> column, y -> row: a warp (32 consecutive x) covers 32 consecutive columns of one row.
  const int j = static_cast<int>(blockIdx.x) * kTile + static_cast<int>(threadIdx.x);
  const int i = static_cast<int>(blockIdx.y) * kTile + static_cast<int>(threadIdx.y);
  if (i >= M || j >= N) return;

  const float* a_row = A + static_cast<std::size_t>(i) * lda;
  float acc = 0.0f;
  for (int k = 0; k < K; ++k) {
    acc += a_row[k] * B[static_cast<std::size_t>(k) * ldb + j];
  }
  float* c = C + static_cast<std::size_t>(i) * ldc + j;
  // beta == 0: C is written without being read (it may hold NaN).
  if (beta == 0.0f) {
    *c = alpha * acc;
  } else {
    *c = alpha * acc + beta * *c;
  }
}

}  // namespace

LaunchConfig cuda_launch_config_coalesced(int M, int N) {
  LaunchConfig cfg;
  cfg.block_x = kTile;  // columns
  cfg.block_y = kTile;  // rows
  cfg.block_z = 1;
  cfg.shared_bytes = 0;
  cfg.tile_m = kTile;
  cfg.tile_n = kTile;
  if (M > 0 && N > 0) {
    cfg.blocks_m = ceil_div(M, kTile);
    cfg.blocks_n = ceil_div(N, kTile);
  }
  cfg.grid_x = static_cast<unsigned>(cfg.blocks_n);  // blockIdx.x walks the columns of C
  cfg.grid_y = static_cast<unsigned>(cfg.blocks_m);  // blockIdx.y walks the rows of C
  cfg.grid_z = 1;
  return cfg;
}

void cuda_sgemm_coalesced(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                          int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_coalesced", M, N, K, A, lda, B, ldb, C, ldc);
  const LaunchConfig cfg = cuda_launch_config_coalesced(M, N);
  if (M == 0 || N == 0) return;
  sgemm_coalesced_kernel<<<dim3(cfg.grid_x, cfg.grid_y, cfg.grid_z),
                           dim3(cfg.block_x, cfg.block_y, cfg.block_z), 0, stream>>>(
      M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::lab01
