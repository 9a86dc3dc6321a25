// Stage 4 (CUDA): 1-D register tiling, C = alpha * A * B + beta * C (row-major).
//
// What it adds: a block of 512 threads computes a 64 x 64 tile of C, walking K in steps of 8
// (BM = BN = 64, BK = 8). Each thread owns TM = 8 results of one column, kept in registers: per k
// it loads one value of B from shared memory into a register and reuses it for 8 values of A.
// Bound: 2 * 64 * 64 * 8 FLOP per 4 KiB of global loads (16 FLOP/byte) and about 9 shared loads
// per 8 FMAs (the A values are warp broadcasts); shared memory and latency still limit.
//
// Run: aisys test 01 --part cuda-1d-register-tiling
// Bench: aisys bench 01 --filter cuda/1d_register_tiling
#include <cstddef>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr int kBM = 64;  // rows of the C tile of a block
constexpr int kBN = 64;  // columns of the C tile of a block
constexpr int kBK = 8;   // step along K
constexpr int kTM = 8;   // results per thread (one column, kTM consecutive rows)
constexpr int kThreads = (kBM / kTM) * kBN;  // 512
constexpr std::size_t kSharedBytes = (kBM * kBK + kBK * kBN) * sizeof(float);
// One element of each tile per thread per step.
static_assert(kBM * kBK == kThreads && kBK * kBN == kThreads, "one load per thread per tile");

__global__ void __launch_bounds__(kThreads)
    sgemm_1d_register_tiling_kernel(int M, int N, int K, float alpha, const float* __restrict__ A,
                                    int lda, const float* __restrict__ B, int ldb, float beta,
                                    float* __restrict__ C, int ldc) {
  __shared__ float As[kBM][kBK];  // As[r][k] = A(row0 + r, k0 + k)
  __shared__ float Bs[kBK][kBN];  // Bs[k][c] = B(k0 + k, col0 + c)

  const int tid = static_cast<int>(threadIdx.x);
  const int row0 = static_cast<int>(blockIdx.y) * kBM;
  const int col0 = static_cast<int>(blockIdx.x) * kBN;

  // Compute mapping: thread -> column tcol, rows trow * kTM .. trow * kTM + kTM - 1 of the tile.
  // A warp (32 consecutive tids) shares trow, so its reads of As are broadcasts.
  const int tcol = tid % kBN;
  const int trow = tid / kBN;
  // Load mapping: As is 64 x 8 and Bs is 8 x 64, one element each per thread.
  const int a_r = tid / kBK;
  const int a_c = tid % kBK;
  const int b_r = tid / kBN;
  const int b_c = tid % kBN;

  float acc[kTM] = {};
  for (int k0 = 0; k0 < K; k0 += kBK) {
    const int ai = row0 + a_r;
    const int ak = k0 + a_c;
    As[a_r][a_c] = (ai < M && ak < K) ? A[static_cast<std::size_t>(ai) * lda + ak] : 0.0f;
    const int bk = k0 + b_r;
    const int bj = col0 + b_c;
    Bs[b_r][b_c] = (bk < K && bj < N) ? B[static_cast<std::size_t>(bk) * ldb + bj] : 0.0f;
    __syncthreads();  // the tiles are complete

#pragma unroll
    for (int k = 0; k < kBK; ++k) {
      const float b = Bs[k][tcol];  // one B value in a register, reused kTM times
#pragma unroll
      for (int m = 0; m < kTM; ++m) {
        acc[m] += As[trow * kTM + m][k] * b;
      }
    }
    __syncthreads();  // everyone is done reading before the next step overwrites the tiles
  }

  const int j = col0 + tcol;
  if (j >= N) return;
#pragma unroll
  for (int m = 0; m < kTM; ++m) {
    const int i = row0 + trow * kTM + m;
    if (i < M) {
      float* c = C + static_cast<std::size_t>(i) * ldc + j;
      // beta == 0: C is written without being read (it may hold NaN).
      if (beta == 0.0f) {
        *c = alpha * acc[m];
      } else {
        *c = alpha * acc[m] + beta * *c;
      }
    }
  }
}

}  // namespace

LaunchConfig cuda_launch_config_1d_register_tiling(int M, int N) {
  LaunchConfig cfg;
  cfg.block_x = kThreads;  // 1-D block
  cfg.block_y = 1;
  cfg.block_z = 1;
  cfg.shared_bytes = kSharedBytes;  // static shared memory, no dynamic part
  cfg.tile_m = kBM;
  cfg.tile_n = kBN;
  if (M > 0 && N > 0) {
    cfg.blocks_m = ceil_div(M, kBM);
    cfg.blocks_n = ceil_div(N, kBN);
  }
  cfg.grid_x = static_cast<unsigned>(cfg.blocks_n);  // blockIdx.x walks the columns of C
  cfg.grid_y = static_cast<unsigned>(cfg.blocks_m);  // blockIdx.y walks the rows of C
  cfg.grid_z = 1;
  return cfg;
}

void cuda_sgemm_1d_register_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_1d_register_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  const LaunchConfig cfg = cuda_launch_config_1d_register_tiling(M, N);
  if (M == 0 || N == 0) return;
  sgemm_1d_register_tiling_kernel<<<dim3(cfg.grid_x, cfg.grid_y, cfg.grid_z),
                                    dim3(cfg.block_x, cfg.block_y, cfg.block_z), 0, stream>>>(
      M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::lab01
