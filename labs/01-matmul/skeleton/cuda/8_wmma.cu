// Lab 01, CUDA stage 8: cuda_gemm_wmma_fp16 / cuda_gemm_wmma_bf16: tensor cores through WMMA.
// C = alpha * A * B + beta * C with A, B in FP16 or BF16 (row-major), C in FP32, FP32 accumulation.
//
// What it adds to stage 7: a warp issues nvcuda::wmma::mma_sync on 16x16x16 fragments, which the
// tensor cores execute as one matrix instruction instead of 4096 FMAs on the FP32 units.
// Intensity: a 64x64 block tile reads 8 KiB of A and B per 32-deep K step for
// 2 * 64 * 64 * 32 FLOP (32 FLOP/byte): without asynchronous copies the kernel is bound by staging
// tiles, not by the MMAs.
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp (the contract) and
// cuda_launch.hpp (LaunchConfig).
// Check it:  aisys test 01 --part cuda-wmma
// Bench it:  aisys bench 01 --filter cuda/wmma
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <cstddef>
#include <cstdint>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {

// TODO(student): in an anonymous namespace, one kernel template over the input type T (__half or
// __nv_bfloat16), __launch_bounds__(128):
//   - block tile 64 x 64 of C, 4 warps in a 2 x 2 grid, each owning 32 x 32 = 2 x 2 accumulator
//     fragments wmma::fragment<wmma::accumulator, 16, 16, 16, float>, filled with 0.
//   - per K step of 32: stage the 64 x 32 tile of A and the 32 x 64 tile of B in shared memory
//     (row-major, padded rows; bounds-checked, zero fill outside M, N, K), __syncthreads(), then
//     for each 16-deep half: load_matrix_sync the matrix_a (row_major) and matrix_b (row_major)
//     fragments from shared memory and mma_sync; __syncthreads().
//   - store_matrix_sync the accumulators to a shared 64 x 64 float tile (mem_row_major), then every
//     thread writes elements of C with bounds checks: alpha * acc + beta * C (beta == 0: no read).
//   - WMMA rules: ldm a multiple of 8 (16-bit types) or 4 (float) elements, fragment pointers
//     32-byte aligned. BF16 fragments need sm_80+: guard device code with #if __CUDA_ARCH__ >= 800.

LaunchConfig cuda_launch_config_wmma(int M, int N) {
  // TODO(student): block 128 threads; grid (ceil_div(N, 64), ceil_div(M, 64)); tile 64 x 64;
  // shared_bytes = the kernel's static shared memory; blocks_m/blocks_n (0 when M or N is 0).
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_wmma");
}

// check_gemm_args only checks sizes, leading dimensions and null pointers (it never reads the
// matrices), so the 16-bit matrices are passed to it as opaque pointers.
void cuda_gemm_wmma_fp16(int M, int N, int K, float alpha, const __half* A, int lda,
                         const __half* B, int ldb, float beta, float* C, int ldc,
                         cudaStream_t stream) {
  check_gemm_args("cuda_gemm_wmma_fp16", M, N, K,
                  static_cast<const float*>(static_cast<const void*>(A)), lda,
                  static_cast<const float*>(static_cast<const void*>(B)), ldb, C, ldc);
  // TODO(student): cfg = cuda_launch_config_wmma(M, N); return when M == 0 or N == 0; launch the
  // __half kernel on `stream`; AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_gemm_wmma_fp16");
}

void cuda_gemm_wmma_bf16(int M, int N, int K, float alpha, const __nv_bfloat16* A, int lda,
                         const __nv_bfloat16* B, int ldb, float beta, float* C, int ldc,
                         cudaStream_t stream) {
  check_gemm_args("cuda_gemm_wmma_bf16", M, N, K,
                  static_cast<const float*>(static_cast<const void*>(A)), lda,
                  static_cast<const float*>(static_cast<const void*>(B)), ldb, C, ldc);
  // TODO(student): as cuda_gemm_wmma_fp16, with the __nv_bfloat16 kernel.
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_gemm_wmma_bf16");
}

}  // namespace aisys::lab01
