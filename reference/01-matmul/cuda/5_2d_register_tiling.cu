// Stage 5 (CUDA): 2-D register tiling, C = alpha * A * B + beta * C (row-major).
//
// What it adds: a block of 256 threads computes a 128 x 128 tile of C, walking K in steps of 8
// (BM = BN = 128, BK = 8). Each thread owns an 8 x 8 sub-tile (TM = TN = 8) in registers: per k it
// loads 8 values of A (regM) and 8 of B (regN) from shared memory and does their 64 products (an
// outer product). Tiles are loaded cooperatively, 4 elements of A and 4 of B per thread per step.
// Bound: 2 * 128 * 128 * 8 FLOP per 8 KiB of global loads (32 FLOP/byte) and 16 shared loads per
// 64 FMAs: close to the FMA units; what is left is scalar loads, bank conflicts and latency.
//
// Run: aisys test 01 --part cuda-2d-register-tiling
// Bench: aisys bench 01 --filter cuda/2d_register_tiling
#include <cstddef>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr int kBM = 128;  // rows of the C tile of a block
constexpr int kBN = 128;  // columns of the C tile of a block
constexpr int kBK = 8;    // step along K
constexpr int kTM = 8;    // rows of the sub-tile of one thread
constexpr int kTN = 8;    // columns of the sub-tile of one thread
// 16 x 16 threads, 256 in all.
constexpr int kThreadsN = kBN / kTN;
constexpr int kThreads = (kBM / kTM) * kThreadsN;
constexpr std::size_t kSharedBytes = (kBM * kBK + kBK * kBN) * sizeof(float);
// Cooperative loads: the threads cover whole rows of each tile per pass.
constexpr int kStrideA = kThreads / kBK;  // 32 rows of As per pass (4 passes)
constexpr int kStrideB = kThreads / kBN;  // 2 rows of Bs per pass (4 passes)
static_assert(kThreads % kBK == 0 && kBM % kStrideA == 0, "A tile load must be exact");
static_assert(kThreads % kBN == 0 && kBK % kStrideB == 0, "B tile load must be exact");

__global__ void __launch_bounds__(kThreads)
    sgemm_2d_register_tiling_kernel(int M, int N, int K, float alpha, const float* __restrict__ A,
                                    int lda, const float* __restrict__ B, int ldb, float beta,
                                    float* __restrict__ C, int ldc) {
  __shared__ float As[kBM][kBK];  // As[r][k] = A(row0 + r, k0 + k)
  __shared__ float Bs[kBK][kBN];  // Bs[k][c] = B(k0 + k, col0 + c)

  const int tid = static_cast<int>(threadIdx.x);
  const int row0 = static_cast<int>(blockIdx.y) * kBM;
  const int col0 = static_cast<int>(blockIdx.x) * kBN;

  // Compute mapping: rows trow * kTM + (0..7), columns tcol * kTN + (0..7) of the tile.
  const int trow = tid / kThreadsN;  // 0..15
  const int tcol = tid % kThreadsN;  // 0..15
  // Load mapping: As row a_r + p * kStrideA, column a_c; Bs row b_r + p * kStrideB, column b_c.
  const int a_r = tid / kBK;  // 0..31
  const int a_c = tid % kBK;  // 0..7
  const int b_r = tid / kBN;  // 0..1
  const int b_c = tid % kBN;  // 0..127

  float acc[kTM][kTN] = {};
  float regM[kTM];
  float regN[kTN];

  for (int k0 = 0; k0 < K; k0 += kBK) {
    const int ak = k0 + a_c;
#pragma unroll
    for (int r = a_r; r < kBM; r += kStrideA) {
      const int ai = row0 + r;
      As[r][a_c] = (ai < M && ak < K) ? A[static_cast<std::size_t>(ai) * lda + ak] : 0.0f;
    }
    const int bj = col0 + b_c;
#pragma unroll
    for (int r = b_r; r < kBK; r += kStrideB) {
      const int bk = k0 + r;
      Bs[r][b_c] = (bk < K && bj < N) ? B[static_cast<std::size_t>(bk) * ldb + bj] : 0.0f;
    }
    __syncthreads();  // the tiles are complete

#pragma unroll
    for (int k = 0; k < kBK; ++k) {
#pragma unroll
      for (int m = 0; m < kTM; ++m) regM[m] = As[trow * kTM + m][k];
#pragma unroll
      for (int n = 0; n < kTN; ++n) regN[n] = Bs[k][tcol * kTN + n];
#pragma unroll
      for (int m = 0; m < kTM; ++m) {
#pragma unroll
        for (int n = 0; n < kTN; ++n) {
          acc[m][n] += regM[m] * regN[n];
        }
      }
    }
    __syncthreads();  // everyone is done reading before the next step overwrites the tiles
  }

#pragma unroll
  for (int m = 0; m < kTM; ++m) {
    const int i = row0 + trow * kTM + m;
    if (i >= M) break;
    float* c_row = C + static_cast<std::size_t>(i) * ldc;
#pragma unroll
    for (int n = 0; n < kTN; ++n) {
      const int j = col0 + tcol * kTN + n;
      if (j < N) {
        // beta == 0: C is written without being read (it may hold NaN).
        if (beta == 0.0f) {
          c_row[j] = alpha * acc[m][n];
        } else {
          c_row[j] = alpha * acc[m][n] + beta * c_row[j];
        }
      }
    }
  }
}

}  // namespace

LaunchConfig cuda_launch_config_2d_register_tiling(int M, int N) {
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

void cuda_sgemm_2d_register_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_2d_register_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  const LaunchConfig cfg = cuda_launch_config_2d_register_tiling(M, N);
  if (M == 0 || N == 0) return;
  sgemm_2d_register_tiling_kernel<<<dim3(cfg.grid_x, cfg.grid_y, cfg.grid_z),
                                    dim3(cfg.block_x, cfg.block_y, cfg.block_z), 0, stream>>>(
      M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::lab01
