// Lab 01, CUDA stage 5: cuda_sgemm_2d_register_tiling: a thread computes an 8 x 8 tile of C.
// What it adds: a block of 256 threads computes a 128 x 128 tile of C, walking K in steps of 8
// (BM = BN = 128, BK = 8, TM = TN = 8). Per k each thread loads 8 values of A (regM) and 8 of B
// (regN) from shared memory and does their 64 products (an outer product) into acc[8][8].
// Bound: 32 FLOP per byte of global traffic and 16 shared loads per 64 FMAs: close to the FMA
// units; scalar loads, bank conflicts and latency are what is left (stages 6 and 7).
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp, cuda_launch.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cuda-2d-register-tiling
// Bench it:  aisys bench 01 --filter cuda/2d_register_tiling
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// TODO(student): the kernel, sgemm_2d_register_tiling_kernel, a 1-D block of 256 threads with
// __launch_bounds__(256) and __shared__ float As[128][8], Bs[8][128].
//   - Compute mapping: trow = tid / 16, tcol = tid % 16; the thread owns rows trow * 8 + (0..7)
//     and columns tcol * 8 + (0..7) of the tile: float acc[8][8], regM[8], regN[8].
//   - Cooperative, strided loads per step k0: As has 1024 elements, so each thread loads 4
//     (column tid % 8, rows tid / 8 + 0, 32, 64, 96); Bs likewise (column tid % 128, rows
//     tid / 128 + 0, 2, 4, 6); 0.0f outside the matrices; __syncthreads().
//   - For k = 0..7: regM[m] = As[trow * 8 + m][k], regN[n] = Bs[k][tcol * 8 + n], then
//     acc[m][n] += regM[m] * regN[n] (fully unrolled: #pragma unroll); __syncthreads().
//   - Store the 64 results with bounds checks on row and column (and the beta == 0 rule).

}  // namespace

LaunchConfig cuda_launch_config_2d_register_tiling(int M, int N) {
  // TODO(student): block (256), tile 128 x 128, shared_bytes = the size of As and Bs; blocks_m =
  // ceil_div(M, 128), blocks_n = ceil_div(N, 128) (0 when M or N is 0) and the matching grid.
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_2d_register_tiling");
}

void cuda_sgemm_2d_register_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_2d_register_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): as stage 1: config, nothing to launch for M == 0 or N == 0, launch on
  // `stream`, AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_2d_register_tiling");
}

}  // namespace aisys::lab01
