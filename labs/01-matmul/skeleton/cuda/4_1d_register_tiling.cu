// Lab 01, CUDA stage 4: cuda_sgemm_1d_register_tiling: a thread computes a column of TM results.
// What it adds: a block of 512 threads computes a 64 x 64 tile of C, walking K in steps of 8
// (BM = BN = 64, BK = 8). Each thread keeps TM = 8 results of one column in registers; per k it
// loads one value of B from shared memory into a register and reuses it for 8 values of A.
// Bound: 16 FLOP per byte of global traffic and about 9 shared loads per 8 FMAs (the A values
// are warp broadcasts): shared memory and latency still limit.
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp, cuda_launch.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cuda-1d-register-tiling
// Bench it:  aisys bench 01 --filter cuda/1d_register_tiling
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// TODO(student): the kernel, sgemm_1d_register_tiling_kernel, a 1-D block of 512 threads with
// __launch_bounds__(512) and __shared__ float As[64][8], Bs[8][64].
//   - Compute mapping: column tcol = tid % 64, rows trow * 8 .. trow * 8 + 7 with trow = tid / 64
//     (a warp then shares trow, so its As reads are broadcasts); float acc[8] in registers.
//   - Per step k0: each thread loads one element of As (row tid / 8, column tid % 8) and one of
//     Bs (row tid / 64, column tid % 64), 0.0f outside the matrices; __syncthreads().
//   - For k = 0..7: b = Bs[k][tcol] (one register), acc[m] += As[trow * 8 + m][k] * b for m =
//     0..7; __syncthreads() before the next step.
//   - Store the 8 results with bounds checks (and the beta == 0 rule).

}  // namespace

LaunchConfig cuda_launch_config_1d_register_tiling(int M, int N) {
  // TODO(student): block (512), tile 64 x 64, shared_bytes = the size of As and Bs; blocks_m =
  // ceil_div(M, 64), blocks_n = ceil_div(N, 64) (0 when M or N is 0) and the matching grid.
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_1d_register_tiling");
}

void cuda_sgemm_1d_register_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_1d_register_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): as stage 1: config, nothing to launch for M == 0 or N == 0, launch on
  // `stream`, AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_1d_register_tiling");
}

}  // namespace aisys::lab01
