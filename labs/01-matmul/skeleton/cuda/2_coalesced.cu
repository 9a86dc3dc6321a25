// Lab 01, CUDA stage 2: cuda_sgemm_coalesced: global memory coalescing.
// What it adds: the stage 1 kernel with the thread mapping swapped: consecutive threads of a warp
// take consecutive COLUMNS j of one row i, so per k a warp reads one value of A (a broadcast) and
// 32 consecutive floats of B (one 128-byte line), and its stores to C form one line.
// Bound: still global/L2 bandwidth (2 FLOP per 4 bytes, no reuse beyond the caches), but every
// byte moved is used.
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp, cuda_launch.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cuda-coalesced
// Bench it:  aisys bench 01 --filter cuda/coalesced
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// TODO(student): the kernel, sgemm_coalesced_kernel, the same dot product as stage 1 with
// column j = blockIdx.x * 32 + threadIdx.x and row i = blockIdx.y * 32 + threadIdx.y (block
// (32, 32)), or a 1-D block of 1024 threads with j from threadIdx.x % 32 and i from
// threadIdx.x / 32. Bounds checks and the beta == 0 rule as in stage 1.

}  // namespace

LaunchConfig cuda_launch_config_coalesced(int M, int N) {
  // TODO(student): tile 32 x 32, 1024 threads per block; blocks_m = ceil_div(M, 32), blocks_n =
  // ceil_div(N, 32) (0 when M or N is 0); a grid whose x and y match the kernel's blockIdx use.
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_coalesced");
}

void cuda_sgemm_coalesced(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                          int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_coalesced", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): as stage 1: config, nothing to launch for M == 0 or N == 0, launch on
  // `stream`, AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_coalesced");
}

}  // namespace aisys::lab01
