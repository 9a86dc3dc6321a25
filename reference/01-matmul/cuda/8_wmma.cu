// Stage 8 (CUDA): tensor cores through WMMA. C = alpha * A * B + beta * C with A, B in FP16 or BF16
// (row-major) and C in FP32; the products accumulate in FP32.
//
// What it adds to stage 7: the inner product no longer runs on the FP32 FMA units. A warp issues
// nvcuda::wmma::mma_sync on 16x16x16 fragments, which the tensor cores execute as one matrix
// instruction (16 * 16 * 16 multiply-adds). A 128-thread block computes a 64x64 tile of C: 4 warps
// in a 2x2 grid, each owning 32x32 of C as 2x2 accumulator fragments. Per 32-deep K step the block
// stages a 64x32 tile of A and a 32x64 tile of B in shared memory (bounds-checked, zero-filled, so
// any M, N, K and any lda, ldb work; 16-byte loads where pointers, leading dimensions and the tile
// allow), the warps load their fragments from there, and at the end each warp stores its
// accumulators to shared memory, from where all threads write C with bounds checks, alpha and
// beta (beta == 0: C is not read).
//
// Intensity: per K step 8 KiB of A and B (2-byte elements) for 2 * 64 * 64 * 32 FLOP:
// 32 FLOP/byte. The tensor cores are far faster than that feeds: without asynchronous copies
// (cp.async) or double buffering this kernel is bound by global-to-shared staging and its latency,
// not by the MMAs.
//
// Run: aisys test 01 --part cuda-wmma
// Bench: aisys bench 01 --filter cuda/wmma
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <cstddef>
#include <cstdint>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr int kBM = 64;    // rows of C per block
constexpr int kBN = 64;    // columns of C per block
constexpr int kBK = 32;    // depth of one K step (two 16-deep MMA steps)
constexpr int kWM = 32;    // rows of C per warp
constexpr int kWN = 32;    // columns of C per warp
constexpr int kFrag = 16;  // WMMA fragment: 16 x 16 x 16
// 2 x 2 warps, 128 threads.
constexpr int kWarpsN = kBN / kWN;
constexpr int kThreads = (kBM / kWM) * kWarpsN * 32;
constexpr int kFragsM = kWM / kFrag;  // 2 fragments along M per warp
constexpr int kFragsN = kWN / kFrag;  // 2 fragments along N per warp
// Padded shared-memory rows (fewer bank conflicts); WMMA needs ldm a multiple of 8 halves /
// 4 floats and 32-byte aligned fragment pointers, which these strides keep (80, 144, 272 bytes
// per row, fragments start at multiples of 16 rows and 16 columns).
constexpr int kLdA = kBK + 8;  // As[m][k], halves
constexpr int kLdB = kBN + 8;  // Bs[k][n], halves
constexpr int kLdC = kBN + 4;  // Cs[m][n], floats
constexpr int kVec = 8;        // 2-byte elements per 16-byte load

constexpr std::size_t kSharedBytes = 2 * static_cast<std::size_t>(kBM) * kLdA +
                                     2 * static_cast<std::size_t>(kBK) * kLdB +
                                     4 * static_cast<std::size_t>(kBM) * kLdC;

static_assert(kThreads == 128, "4 warps");
static_assert(kBK % kFrag == 0 && kWM % kFrag == 0 && kWN % kFrag == 0, "whole fragments");
static_assert(kLdA % 8 == 0 && kLdB % 8 == 0 && kLdC % 4 == 0, "WMMA ldm");
static_assert((kBM * kBK / kVec) % kThreads == 0 && (kBK * kBN / kVec) % kThreads == 0,
              "whole 16-byte chunks per thread");
static_assert((kBM * kLdA * 2) % 128 == 0 && (kBK * kLdB * 2) % 128 == 0,
              "shared arrays keep their 128-byte alignment (shared_bytes is their plain sum)");
static_assert(kSharedBytes <= 48 * 1024, "static shared memory");

__device__ __forceinline__ __half zero_of(__half) { return __float2half(0.0f); }
__device__ __forceinline__ __nv_bfloat16 zero_of(__nv_bfloat16) { return __float2bfloat16(0.0f); }

// Copies the rows x cols tile at src (row r0, column c0 of a matrix with `rows_total` rows,
// `cols_total` columns, leading dimension ld) into dst (row stride ldd), zero-filling outside.
template <typename T, int kRows, int kCols, bool kVector>
__device__ __forceinline__ void stage_tile(T* dst, int ldd, const T* __restrict__ src, int ld,
                                           int r0, int c0, int rows_total, int cols_total) {
  constexpr int kChunksPerRow = kCols / kVec;
  constexpr int kChunks = kRows * kChunksPerRow;
  const int tid = static_cast<int>(threadIdx.x);
#pragma unroll
  for (int base = 0; base < kChunks; base += kThreads) {
    const int chunk = base + tid;  // kChunks is a multiple of kThreads: always in range
    const int r = chunk / kChunksPerRow;
    const int c = (chunk % kChunksPerRow) * kVec;
    const int gr = r0 + r;
    const int gc = c0 + c;
    T* d = dst + r * ldd + c;
    if (kVector && gr < rows_total && gc + kVec <= cols_total) {
      *reinterpret_cast<uint4*>(d) =
          *reinterpret_cast<const uint4*>(src + static_cast<std::int64_t>(gr) * ld + gc);
    } else {
#pragma unroll
      for (int q = 0; q < kVec; ++q) {
        d[q] = (gr < rows_total && gc + q < cols_total)
                   ? src[static_cast<std::int64_t>(gr) * ld + gc + q]
                   : zero_of(T{});
      }
    }
  }
}

template <typename T, bool kVector>
__global__ void __launch_bounds__(kThreads)
    gemm_wmma_kernel(int M, int N, int K, float alpha, const T* __restrict__ A, int lda,
                     const T* __restrict__ B, int ldb, float beta, float* __restrict__ C, int ldc) {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  namespace wmma = nvcuda::wmma;
  __shared__ __align__(128) T As[kBM * kLdA];      // A tile, row-major (m, k)
  __shared__ __align__(128) T Bs[kBK * kLdB];      // B tile, row-major (k, n)
  __shared__ __align__(128) float Cs[kBM * kLdC];  // the block's C tile (accumulators)

  const int tid = static_cast<int>(threadIdx.x);
  const int warp = tid / 32;
  const int warp_m = (warp / kWarpsN) * kWM;  // first row of the warp's 32x32 in the block tile
  const int warp_n = (warp % kWarpsN) * kWN;  // first column
  const int row0 = static_cast<int>(blockIdx.y) * kBM;
  const int col0 = static_cast<int>(blockIdx.x) * kBN;

  wmma::fragment<wmma::accumulator, kFrag, kFrag, kFrag, float> acc[kFragsM][kFragsN];
#pragma unroll
  for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  }

  for (int k0 = 0; k0 < K; k0 += kBK) {
    stage_tile<T, kBM, kBK, kVector>(As, kLdA, A, lda, row0, k0, M, K);
    stage_tile<T, kBK, kBN, kVector>(Bs, kLdB, B, ldb, k0, col0, K, N);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kBK; kk += kFrag) {
      wmma::fragment<wmma::matrix_a, kFrag, kFrag, kFrag, T, wmma::row_major> a[kFragsM];
      wmma::fragment<wmma::matrix_b, kFrag, kFrag, kFrag, T, wmma::row_major> b[kFragsN];
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {
        wmma::load_matrix_sync(a[i], As + (warp_m + i * kFrag) * kLdA + kk, kLdA);
      }
#pragma unroll
      for (int j = 0; j < kFragsN; ++j) {
        wmma::load_matrix_sync(b[j], Bs + kk * kLdB + warp_n + j * kFrag, kLdB);
      }
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
        for (int j = 0; j < kFragsN; ++j) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < kFragsM; ++i) {
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) {
      wmma::store_matrix_sync(Cs + (warp_m + i * kFrag) * kLdC + warp_n + j * kFrag, acc[i][j],
                              kLdC, wmma::mem_row_major);
    }
  }
  __syncthreads();

  // Consecutive threads write consecutive columns of a row (coalesced).
  for (int e = tid; e < kBM * kBN; e += kThreads) {
    const int r = e / kBN;
    const int c = e % kBN;
    const int row = row0 + r;
    const int col = col0 + c;
    if (row < M && col < N) {
      float* out = C + static_cast<std::int64_t>(row) * ldc + col;
      const float v = alpha * Cs[r * kLdC + c];
      *out = (beta == 0.0f) ? v : v + beta * *out;
    }
  }
#else
  // Tensor-core WMMA for these types needs sm_80 or newer; the project builds for sm_80 and sm_90.
  (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb, (void)beta,
      (void)C, (void)ldc;
  __trap();
#endif
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

template <typename T>
void launch_wmma(int M, int N, int K, float alpha, const T* A, int lda, const T* B, int ldb,
                 float beta, float* C, int ldc, cudaStream_t stream) {
  const LaunchConfig cfg = cuda_launch_config_wmma(M, N);
  if (M == 0 || N == 0) return;
  const dim3 grid(cfg.grid_x, cfg.grid_y, cfg.grid_z);
  const dim3 block(cfg.block_x, cfg.block_y, cfg.block_z);
  // 16-byte loads of 8 elements: aligned base pointers and leading dimensions multiple of 8.
  const bool vector = lda % kVec == 0 && ldb % kVec == 0 && aligned16(A) && aligned16(B);
  if (vector) {
    gemm_wmma_kernel<T, true>
        <<<grid, block, 0, stream>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    gemm_wmma_kernel<T, false>
        <<<grid, block, 0, stream>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  AISYS_CUDA_LAUNCH_CHECK();
}

// check_gemm_args checks sizes, leading dimensions and null pointers only: it never reads the
// matrices, so the 2-byte matrices are passed through as opaque pointers.
const float* opaque(const void* p) { return static_cast<const float*>(p); }

}  // namespace

LaunchConfig cuda_launch_config_wmma(int M, int N) {
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

void cuda_gemm_wmma_fp16(int M, int N, int K, float alpha, const __half* A, int lda,
                         const __half* B, int ldb, float beta, float* C, int ldc,
                         cudaStream_t stream) {
  check_gemm_args("cuda_gemm_wmma_fp16", M, N, K, opaque(A), lda, opaque(B), ldb, C, ldc);
  launch_wmma(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, stream);
}

void cuda_gemm_wmma_bf16(int M, int N, int K, float alpha, const __nv_bfloat16* A, int lda,
                         const __nv_bfloat16* B, int ldb, float beta, float* C, int ldc,
                         cudaStream_t stream) {
  check_gemm_args("cuda_gemm_wmma_bf16", M, N, K, opaque(A), lda, opaque(B), ldb, C, ldc);
  launch_wmma(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, stream);
}

}  // namespace aisys::lab01
