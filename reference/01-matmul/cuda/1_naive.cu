// Stage 1 (CUDA): naive GEMM, C = alpha * A * B + beta * C (row-major), one thread per C element.
//
// What it adds: the GPU baseline. A 32 x 32 block computes a 32 x 32 tile of C; threadIdx.x picks
// the ROW i and threadIdx.y the column j, so the 32 threads of a warp hold 32 different rows: each
// load of A touches 32 different cache lines and each store of C has stride ldc (uncoalesced).
// Bound: global memory transactions. 2 FLOP per 4 useful bytes of A, but a warp's A load moves 32
// sectors (1 KiB) for 128 useful bytes; a few percent of the FP32 peak.
//
// Run: aisys test 01 --part cuda-naive    Bench: aisys bench 01 --filter cuda/naive
#include <cstddef>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// A block is kTile x kTile threads and computes a kTile x kTile tile of C.
constexpr int kTile = 32;

__global__ void __launch_bounds__(kTile* kTile)
    sgemm_naive_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                       const float* __restrict__ B, int ldb, float beta, float* __restrict__ C,
                       int ldc) {
  // x -> row, y -> column: consecutive threads of a warp get consecutive ROWS (the slow mapping).
  const int i = static_cast<int>(blockIdx.x) * kTile + static_cast<int>(threadIdx.x);
  const int j = static_cast<int>(blockIdx.y) * kTile + static_cast<int>(threadIdx.y);
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

LaunchConfig cuda_launch_config_naive(int M, int N) {
  LaunchConfig cfg;
  cfg.block_x = kTile;
  cfg.block_y = kTile;
  cfg.block_z = 1;
  cfg.shared_bytes = 0;
  cfg.tile_m = kTile;
  cfg.tile_n = kTile;
  if (M > 0 && N > 0) {
    cfg.blocks_m = ceil_div(M, kTile);
    cfg.blocks_n = ceil_div(N, kTile);
  }
  cfg.grid_x = static_cast<unsigned>(cfg.blocks_m);  // blockIdx.x walks the rows of C
  cfg.grid_y = static_cast<unsigned>(cfg.blocks_n);  // blockIdx.y walks the columns of C
  cfg.grid_z = 1;
  return cfg;
}

void cuda_sgemm_naive(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                      int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_naive", M, N, K, A, lda, B, ldb, C, ldc);
  const LaunchConfig cfg = cuda_launch_config_naive(M, N);
  if (M == 0 || N == 0) return;
  sgemm_naive_kernel<<<dim3(cfg.grid_x, cfg.grid_y, cfg.grid_z),
                       dim3(cfg.block_x, cfg.block_y, cfg.block_z), 0, stream>>>(
      M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::lab01
