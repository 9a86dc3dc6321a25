// Lab 01, CUDA stage 1: cuda_sgemm_naive: one thread per element of C (the GPU baseline).
// What it adds: the CUDA programming model: a grid of 32 x 32 blocks, each thread computing one
// dot product of a row of A and a column of B. threadIdx.x picks the ROW, so the 32 threads of a
// warp read 32 different rows of A and store C with stride ldc: uncoalesced on purpose (stage 2).
// Bound: global memory transactions (2 FLOP per 4 useful bytes, most bytes moved are not used).
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp, cuda_launch.hpp (the
// contract: row-major, leading dimensions, alpha, beta; beta == 0 must not read C).
// Check it:  aisys test 01 --part cuda-naive     Bench it:  aisys bench 01 --filter cuda/naive
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace aisys::lab01 {
namespace {

// TODO(student): the kernel, __global__ void sgemm_naive_kernel(M, N, K, alpha, A, lda, B, ldb,
// beta, C, ldc) (mark the pointers __restrict__). Row i = blockIdx.x * 32 + threadIdx.x, column
// j = blockIdx.y * 32 + threadIdx.y; threads with i >= M or j >= N return. Accumulate
// A[i * lda + k] * B[k * ldb + j] over k (index products in std::size_t), then write
// alpha * acc (beta == 0: do not read C) or alpha * acc + beta * C[i * ldc + j].

}  // namespace

LaunchConfig cuda_launch_config_naive(int M, int N) {
  // TODO(student): block (32, 32); tile 32 x 32; blocks_m = ceil_div(M, 32), blocks_n =
  // ceil_div(N, 32) (both 0 when M or N is 0); grid (blocks_m, blocks_n) since blockIdx.x walks
  // the rows; no shared memory.
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_naive");
}

void cuda_sgemm_naive(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                      int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_naive", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): cfg = cuda_launch_config_naive(M, N); return if M == 0 or N == 0; launch
  // sgemm_naive_kernel<<<dim3(cfg.grid_x, cfg.grid_y, cfg.grid_z), dim3(cfg.block_x, cfg.block_y,
  // cfg.block_z), 0, stream>>>(...); then AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_naive");
}

}  // namespace aisys::lab01
