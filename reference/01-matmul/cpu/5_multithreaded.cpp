// Stage 5: multithreaded GEMM. C = alpha * A * B + beta * C (row-major), OpenMP over all cores.
//
// What it adds: C is split into one block per thread (row blocks when M is large, column blocks
// for short-and-wide shapes such as M <= 128 with large N) and each thread runs the stage-4
// micro-kernel GEMM (sgemm_microkernel: AVX-512 or AVX2, chosen at run time) on its block with its
// own packing buffers. Same arithmetic intensity as stage 4 per thread, so the bound becomes
// cores x per-core peak (small M: DRAM bandwidth for B, shared by all cores).
//
// Run: aisys test 01 --impl reference    Bench: aisys bench 01 --impl reference
#include <omp.h>

#include <algorithm>
#include <cstddef>

#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr double kMinFlopsPerThread = 4.0e6;  // below ~2 * this per thread: stay single-threaded
constexpr int kColAlign = 32;                 // column blocks: multiple of the widest micro-tile
constexpr int kRowAlign = 48;                 // row blocks: multiple of both micro-tile heights

}  // namespace

void sgemm_multithreaded(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                         int ldb, float beta, float* C, int ldc) {
  check_gemm_args("sgemm_multithreaded", M, N, K, A, lda, B, ldb, C, ldc);
  if (M == 0 || N == 0) return;
  const double flops = 2.0 * M * N * static_cast<double>(std::max(K, 1));
  int threads = omp_get_max_threads();
  threads = static_cast<int>(std::min<double>(threads, std::max(1.0, flops / kMinFlopsPerThread)));
  // Split the longer side of C (in units of its alignment) so each block keeps full micro-tiles.
  const bool by_rows = (M >= N) || (M >= kRowAlign * 4);
  const int units = by_rows ? (M + kRowAlign - 1) / kRowAlign : (N + kColAlign - 1) / kColAlign;
  threads = std::max(1, std::min(threads, units));
  if (threads == 1) {
    sgemm_microkernel(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    const int nt = omp_get_num_threads();
    const int u0 = static_cast<int>(static_cast<long long>(units) * t / nt);
    const int u1 = static_cast<int>(static_cast<long long>(units) * (t + 1) / nt);
    if (by_rows) {
      const int i0 = std::min(M, u0 * kRowAlign);
      const int i1 = std::min(M, u1 * kRowAlign);
      if (i1 > i0) {
        sgemm_microkernel(i1 - i0, N, K, alpha, A + static_cast<std::size_t>(i0) * lda, lda, B, ldb,
                          beta, C + static_cast<std::size_t>(i0) * ldc, ldc);
      }
    } else {
      const int j0 = std::min(N, u0 * kColAlign);
      const int j1 = std::min(N, u1 * kColAlign);
      if (j1 > j0) {
        sgemm_microkernel(M, j1 - j0, K, alpha, A, lda, B + j0, ldb, beta, C + j0, ldc);
      }
    }
  }
}

}  // namespace aisys::lab01
