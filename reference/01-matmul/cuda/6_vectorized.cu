// Stage 6 (CUDA): vectorized memory access. C = alpha * A * B + beta * C (row-major, FP32).
//
// What it adds to stage 5 (2D register tiling, 8x8 results per thread): the A and B tiles are read
// from global memory with 128-bit loads (float4: one instruction moves 4 floats), A is stored
// TRANSPOSED in shared memory (As[k][m]) so that the 8 values of A a thread needs for one k are
// contiguous and come in as two float4 shared loads, like the 8 values of B, and C is written with
// float4 stores. float4 global accesses need 16-byte aligned addresses: the host picks the vector
// instantiation only when A, B, C are 16-byte aligned and lda, ldb, ldc are multiples of 4, and a
// block uses it only where its whole tile is in range; every other load/store is a bounds-checked
// scalar one (edge blocks, odd leading dimensions, the last partial K tile).
//
// Intensity: a 128x128 block tile streams (128 + 128) * 8 floats (8 KiB) per 8-deep K step for
// 2 * 128 * 128 * 8 FLOP: 32 FLOP/byte of global traffic; per thread and k, 16 floats of shared
// memory feed 64 FMAs. Bound by FMA issue and shared-memory load throughput, not DRAM.
//
// Run: aisys test 01 --part cuda-vectorized
// Bench: aisys bench 01 --filter cuda/vectorized
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr int kBM = 128;  // rows of C per block
constexpr int kBN = 128;  // columns of C per block
constexpr int kBK = 8;    // depth of one K step
constexpr int kTM = 8;    // rows of C per thread
constexpr int kTN = 8;    // columns of C per thread
// 16 x 16 threads, 256 in all.
constexpr int kThreads = (kBM / kTM) * (kBN / kTN);
constexpr std::size_t kSharedBytes = sizeof(float) * (kBK * kBM + kBK * kBN);

static_assert(kThreads == 256, "one thread per 8x8 sub-tile of the 128x128 block tile");
static_assert(kBM * kBK / 4 == kThreads, "one float4 of A per thread per K step");
static_assert(kBK * kBN / 4 == kThreads, "one float4 of B per thread per K step");
static_assert(kTM % 4 == 0 && kTN % 4 == 0 && kBK % 4 == 0, "float4 granularity");

template <bool kVector>
__global__ void __launch_bounds__(kThreads)
    sgemm_vectorized_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                            const float* __restrict__ B, int ldb, float beta, float* __restrict__ C,
                            int ldc) {
  __shared__ __align__(16) float As[kBK * kBM];  // As[k * kBM + m]: A tile, transposed
  __shared__ __align__(16) float Bs[kBK * kBN];  // Bs[k * kBN + n]

  const int tid = static_cast<int>(threadIdx.x);
  const int row0 = static_cast<int>(blockIdx.y) * kBM;  // first row of C of this block
  const int col0 = static_cast<int>(blockIdx.x) * kBN;  // first column of C of this block
  // Every access of this block may use float4 (uniform over the block: no divergence).
  const bool full_mn = kVector && row0 + kBM <= M && col0 + kBN <= N;

  // Which float4 of the A and B tiles this thread loads.
  const int a_row = tid / (kBK / 4);        // 0..127
  const int a_col = (tid % (kBK / 4)) * 4;  // 0 or 4
  const int b_row = tid / (kBN / 4);        // 0..7
  const int b_col = (tid % (kBN / 4)) * 4;  // 0..124

  // Which 8x8 sub-tile of C this thread computes.
  const int t_row = (tid / (kBN / kTN)) * kTM;  // 0..120
  const int t_col = (tid % (kBN / kTN)) * kTN;  // 0..120

  float acc[kTM][kTN] = {};
  float reg_m[kTM];
  float reg_n[kTN];

  for (int k0 = 0; k0 < K; k0 += kBK) {
    const int ga_row = row0 + a_row;  // global row of A
    const int ga_col = k0 + a_col;    // global column of A (first of 4)
    const int gb_row = k0 + b_row;    // global row of B
    const int gb_col = col0 + b_col;  // global column of B (first of 4)
    if (full_mn && k0 + kBK <= K) {
      const float4 a =
          *reinterpret_cast<const float4*>(A + static_cast<std::int64_t>(ga_row) * lda + ga_col);
      As[(a_col + 0) * kBM + a_row] = a.x;
      As[(a_col + 1) * kBM + a_row] = a.y;
      As[(a_col + 2) * kBM + a_row] = a.z;
      As[(a_col + 3) * kBM + a_row] = a.w;
      *reinterpret_cast<float4*>(&Bs[b_row * kBN + b_col]) =
          *reinterpret_cast<const float4*>(B + static_cast<std::int64_t>(gb_row) * ldb + gb_col);
    } else {
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        As[(a_col + q) * kBM + a_row] =
            (ga_row < M && ga_col + q < K) ? A[static_cast<std::int64_t>(ga_row) * lda + ga_col + q]
                                           : 0.0f;
        Bs[b_row * kBN + b_col + q] = (gb_row < K && gb_col + q < N)
                                          ? B[static_cast<std::int64_t>(gb_row) * ldb + gb_col + q]
                                          : 0.0f;
      }
    }
    __syncthreads();

#pragma unroll
    for (int kk = 0; kk < kBK; ++kk) {
#pragma unroll
      for (int i = 0; i < kTM; i += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&As[kk * kBM + t_row + i]);
        reg_m[i + 0] = v.x;
        reg_m[i + 1] = v.y;
        reg_m[i + 2] = v.z;
        reg_m[i + 3] = v.w;
      }
#pragma unroll
      for (int j = 0; j < kTN; j += 4) {
        const float4 v = *reinterpret_cast<const float4*>(&Bs[kk * kBN + t_col + j]);
        reg_n[j + 0] = v.x;
        reg_n[j + 1] = v.y;
        reg_n[j + 2] = v.z;
        reg_n[j + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < kTM; ++i) {
#pragma unroll
        for (int j = 0; j < kTN; ++j) acc[i][j] = fmaf(reg_m[i], reg_n[j], acc[i][j]);
      }
    }
    __syncthreads();
  }

  if (full_mn) {
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      float* c_row = C + static_cast<std::int64_t>(row0 + t_row + i) * ldc + col0 + t_col;
#pragma unroll
      for (int j = 0; j < kTN; j += 4) {
        float4 out;
        if (beta == 0.0f) {
          out = make_float4(alpha * acc[i][j + 0], alpha * acc[i][j + 1], alpha * acc[i][j + 2],
                            alpha * acc[i][j + 3]);
        } else {
          const float4 old = *reinterpret_cast<const float4*>(c_row + j);
          out = make_float4(
              alpha * acc[i][j + 0] + beta * old.x, alpha * acc[i][j + 1] + beta * old.y,
              alpha * acc[i][j + 2] + beta * old.z, alpha * acc[i][j + 3] + beta * old.w);
        }
        *reinterpret_cast<float4*>(c_row + j) = out;
      }
    }
  } else {
#pragma unroll
    for (int i = 0; i < kTM; ++i) {
      const int row = row0 + t_row + i;
      if (row >= M) break;
#pragma unroll
      for (int j = 0; j < kTN; ++j) {
        const int col = col0 + t_col + j;
        if (col < N) {
          float* c = C + static_cast<std::int64_t>(row) * ldc + col;
          *c = (beta == 0.0f) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *c;
        }
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

}  // namespace

LaunchConfig cuda_launch_config_vectorized(int M, int N) {
  LaunchConfig cfg;
  cfg.block_x = kThreads;
  cfg.tile_m = kBM;
  cfg.tile_n = kBN;
  cfg.shared_bytes = kSharedBytes;
  if (M <= 0 || N <= 0) return cfg;  // nothing to launch: grid 0 x 0
  cfg.blocks_m = ceil_div(M, kBM);
  cfg.blocks_n = ceil_div(N, kBN);
  cfg.grid_x = static_cast<unsigned>(cfg.blocks_n);
  cfg.grid_y = static_cast<unsigned>(cfg.blocks_m);
  return cfg;
}

void cuda_sgemm_vectorized(int M, int N, int K, float alpha, const float* A, int lda,
                           const float* B, int ldb, float beta, float* C, int ldc,
                           cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_vectorized", M, N, K, A, lda, B, ldb, C, ldc);
  const LaunchConfig cfg = cuda_launch_config_vectorized(M, N);
  if (M == 0 || N == 0) return;
  const dim3 grid(cfg.grid_x, cfg.grid_y, cfg.grid_z);
  const dim3 block(cfg.block_x, cfg.block_y, cfg.block_z);
  const bool vector =
      lda % 4 == 0 && ldb % 4 == 0 && ldc % 4 == 0 && aligned16(A) && aligned16(B) && aligned16(C);
  if (vector) {
    sgemm_vectorized_kernel<true>
        <<<grid, block, 0, stream>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    sgemm_vectorized_kernel<false>
        <<<grid, block, 0, stream>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::lab01
