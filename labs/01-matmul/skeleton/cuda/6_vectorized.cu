// Lab 01, CUDA stage 6: cuda_sgemm_vectorized: 128-bit (float4) global loads and stores, A stored
// transposed in shared memory. C = alpha * A * B + beta * C (row-major, FP32, device pointers).
//
// What it adds to stage 5 (2D register tiling): a float4 load moves 4 floats in one instruction, so
// the tile loads need a quarter of the instructions; storing the A tile transposed (As[k][m])
// makes the TM values of A a thread needs for one k contiguous, so they come in as float4 shared
// loads too.
// Intensity: a 128x128 block tile reads (128 + 128) * 8 floats per 8-deep K step for
// 2 * 128 * 128 * 8 FLOP (32 FLOP/byte of global traffic): FMA- and shared-memory-bound, not DRAM.
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp (the contract: row-major,
// leading dimensions, any M, N, K, beta == 0 must not read C) and cuda_launch.hpp (LaunchConfig).
// Check it:  aisys test 01 --part cuda-vectorized
// Bench it:  aisys bench 01 --filter cuda/vectorized
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {

// TODO(student): in an anonymous namespace, the kernel: BM = BN = 128, BK = 8, TM = TN = 8,
// 256 threads (__launch_bounds__(256)), one 8x8 sub-tile of C per thread.
//   - __shared__ float As[BK * BM] (A tile TRANSPOSED: As[k * BM + m]) and Bs[BK * BN], 16-byte
//     aligned.
//   - Each K step, every thread loads one float4 of A (row tid / 2, columns 4 * (tid % 2) .. + 3),
//     writes its 4 values down a column of As, and one float4 of B into Bs; __syncthreads().
//   - For each k of the tile: two float4 shared loads of As give 8 values of A, two of Bs give 8 of
//     B; 64 FMAs into float acc[8][8]. __syncthreads() before the next tile.
//   - float4 global accesses need 16-byte aligned addresses: take the float4 path only when A, B,
//     C are 16-byte aligned, lda, ldb, ldc are multiples of 4 (decided on the host: a template
//     parameter <bool kVector> or a flag) AND the whole tile is in range (M, N and the K step);
//     otherwise bounds-checked scalar loads that zero-fill the shared tiles (edge blocks).
//   - Write C with float4 stores in full tiles and bounds-checked scalars elsewhere; beta == 0
//     must not read C. Compute index products in 64 bit (static_cast<std::int64_t>(row) * ld).

LaunchConfig cuda_launch_config_vectorized(int M, int N) {
  // TODO(student): block 256 threads; grid (ceil_div(N, 128), ceil_div(M, 128)); tile 128 x 128;
  // shared_bytes = sizeof(As) + sizeof(Bs); blocks_m/blocks_n (all 0 when M or N is 0).
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_vectorized");
}

void cuda_sgemm_vectorized(int M, int N, int K, float alpha, const float* A, int lda,
                           const float* B, int ldb, float beta, float* C, int ldc,
                           cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_vectorized", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): cfg = cuda_launch_config_vectorized(M, N); return when M == 0 or N == 0; pick
  // the float4 or the scalar kernel from the alignment of A, B, C and lda, ldb, ldc; launch it on
  // `stream` with cfg's grid and block; AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_vectorized");
}

}  // namespace aisys::lab01
