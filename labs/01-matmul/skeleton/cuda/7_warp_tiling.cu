// Lab 01, CUDA stage 7: cuda_sgemm_warp_tiling: block -> warp -> thread tiling. C = alpha * A * B +
// beta * C (row-major, FP32, device pointers).
//
// What it adds to stage 6: the block tile (BM x BN) is split into warp tiles (WM x WN), one per
// warp; a warp walks its tile in WMITER x WNITER sub-tiles and each lane owns a TM x TN piece of
// every sub-tile. A warp's 32 lanes read neighbouring shared-memory addresses (broadcasts, few bank
// conflicts), and the shape is a template, so it can be tuned per GPU.
// Intensity (128x128x16 block, 64x64 warp tiles, 8x16 results per thread): 32 FLOP per byte of
// global traffic; 24 floats of shared memory per 128 FMAs per thread and k. FMA-bound.
// See labs/01-matmul/README.md and include/aisys/lab01/cuda_gemm.hpp (the contract) and
// cuda_launch.hpp (LaunchConfig).
// Check it:  aisys test 01 --part cuda-warp-tiling
// Bench it:  aisys bench 01 --filter cuda/warp_tiling
#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

#ifdef AISYS_LAB01_TILE_SWEEP
#include <string>
#include <vector>
#endif

namespace aisys::lab01 {

// TODO(student): in an anonymous namespace,
//   - the kernel, a template over <int BM, int BN, int BK, int WM, int WN, int WNITER, int TM,
//     int TN, int NUM_THREADS> (plus <bool kVector> for the float4 path as in stage 6), with
//     __launch_bounds__(NUM_THREADS) and static_asserts on the parameters: NUM_THREADS ==
//     (BM / WM) * (BN / WN) * 32; WMITER = (WM * WN) / (32 * TM * TN * WNITER) >= 1 and exact;
//     (WN / WNITER) / TN lanes times (WM / WMITER) / TM lanes == 32; TM, TN, BK multiples of 4;
//     (BM + BN) * BK * 4 bytes of shared memory <= 48 KiB. Starting configuration: BM = BN = 128,
//     BK = 16, WM = WN = 64, WNITER = 4, TM = 8, TN = 4, 128 threads.
//   - Shared tiles As[BK * BM] (transposed) and Bs[BK * BN]; loads as in stage 6 (float4 where
//     legal, bounds-checked zero-filling scalars elsewhere), a loop over the tile's float4s with
//     stride NUM_THREADS.
//   - Per k: the lane's WMITER * TM values of A and WNITER * TN values of B into registers, then
//     (WMITER * TM) x (WNITER * TN) FMAs. Stores with bounds checks; beta == 0 must not read C.
//   - A small constexpr table of configurations keyed by compute capability (major * 10 + minor,
//     plus a default entry), all starting with the starting configuration; the current device's
//     compute capability queried once with cudaDeviceGetAttribute (0 / the default entry when no
//     device answers: cuda_launch_config_warp_tiling runs on machines without a GPU).

LaunchConfig cuda_launch_config_warp_tiling(int M, int N) {
  // TODO(student): from the configuration of the table entry for this device: block NUM_THREADS,
  // grid (ceil_div(N, BN), ceil_div(M, BM)), tile BM x BN, shared_bytes = (BM + BN) * BK * 4,
  // blocks_m/blocks_n (all 0 when M or N is 0).
  (void)M, (void)N;
  throw NotImplemented("01", "cuda_launch_config_warp_tiling");
}

void cuda_sgemm_warp_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc,
                            cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_warp_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  // TODO(student): return when M == 0 or N == 0; launch the kernel instantiated with this device's
  // configuration (the grid and block of cuda_launch_config_warp_tiling) on `stream`;
  // AISYS_CUDA_LAUNCH_CHECK().
  (void)alpha, (void)beta, (void)stream;
  throw NotImplemented("01", "cuda_sgemm_warp_tiling");
}

#ifdef AISYS_LAB01_TILE_SWEEP
// Used by the instructors' tile-sweep tool, compiled with
// -DAISYS_LAB01_TILE_SWEEP.
std::vector<std::pair<std::string, float>> tile_sweep_warp_tiling(int n, const float* A,
                                                                  const float* B, float* C,
                                                                  cudaStream_t stream);
void tile_sweep_run_warp_tiling(int index, int n, const float* A, const float* B, float* C,
                                cudaStream_t stream);

void tile_sweep_run_warp_tiling(int index, int n, const float* A, const float* B, float* C,
                                cudaStream_t stream) {
  // TODO(student, optional): run configuration `index` of a compile-time list once:
  // C = A * B, n x n x n, leading dimensions n.
  (void)index, (void)n, (void)A, (void)B, (void)C, (void)stream;
  throw NotImplemented("01", "tile_sweep_run_warp_tiling");
}

std::vector<std::pair<std::string, float>> tile_sweep_warp_tiling(int n, const float* A,
                                                                  const float* B, float* C,
                                                                  cudaStream_t stream) {
  // TODO(student, optional): every configuration's name and time in ms (CUDA events, median of 5
  // runs after 2 warm-ups).
  (void)n, (void)A, (void)B, (void)C, (void)stream;
  throw NotImplemented("01", "tile_sweep_warp_tiling");
}
#endif  // AISYS_LAB01_TILE_SWEEP

}  // namespace aisys::lab01
