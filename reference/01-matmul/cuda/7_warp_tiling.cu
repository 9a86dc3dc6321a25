// Stage 7 (CUDA): warp tiling. C = alpha * A * B + beta * C (row-major, FP32).
//
// What it adds to stage 6: a third level of tiling between the block and the thread. The block
// tile (BM x BN) is split into warp tiles (WM x WN), one per warp; a warp walks its tile in
// WMITER x WNITER sub-tiles of (WM/WMITER) x (WN/WNITER), and each thread owns a TM x TN piece of
// every sub-tile. The 32 threads of a warp read neighbouring shared-memory addresses (broadcasts,
// few bank conflicts), a warp's registers hold the whole (WMITER*TM) x (WNITER*TN) fragment of its
// lane, and the tile shape is a template, so it can be tuned per GPU. Loads and stores are float4
// where legal (aligned pointers, leading dimensions multiple of 4, tile in range) as in stage 6 and
// bounds-checked scalars elsewhere.
//
// Intensity (128x128x16 block, 64x64 warp tiles, 8x16 results per thread): 16 KiB of global loads
// per 2 * 128 * 128 * 16 FLOP (32 FLOP/byte); per thread and k, 24 floats of shared memory feed
// 128 FMAs (stage 6: 16 per 64). FMA-bound at large sizes.
//
// The configuration comes from kArchTable (keyed by compute capability); the tool
// reference/01-matmul/tools/tile_sweep.cu times the configurations of kSweepConfigs (compiled
// with -DAISYS_LAB01_TILE_SWEEP) on a GPU to find the winner for that architecture.
//
// Run: aisys test 01 --part cuda-warp-tiling
// Bench: aisys bench 01 --filter cuda/warp_tiling
#include <cuda_runtime.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <utility>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/lab01/cpu_gemm.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

#ifdef AISYS_LAB01_TILE_SWEEP
#include <algorithm>
#include <string>
#include <vector>

#include "aisys/kernels/error.hpp"
#endif

namespace aisys::lab01 {
namespace {

// One tiling: block tile BM x BN x BK, warp tile WM x WN walked in WNITER column steps, TM x TN
// results per thread per sub-tile, NUM_THREADS = (BM/WM) * (BN/WN) * 32.
struct WarpTileConfig {
  int bm, bn, bk, wm, wn, wniter, tm, tn, threads;
};

template <int BM, int BN, int BK, int WM, int WN, int WNITER, int TM, int TN, int NUM_THREADS>
struct WarpTiling {
  static constexpr int kWMITER = (WM * WN) / (32 * TM * TN * WNITER);  // row steps of a warp
  static constexpr int kWSUBM = WM / kWMITER;                          // rows of a warp sub-tile
  static constexpr int kWSUBN = WN / WNITER;                           // columns of a sub-tile
  static constexpr int kLanesN = kWSUBN / TN;  // lanes along N in a sub-tile
  static constexpr std::size_t kSharedBytes =
      sizeof(float) * (static_cast<std::size_t>(BM) * BK + static_cast<std::size_t>(BK) * BN);

  static_assert(NUM_THREADS == (BM / WM) * (BN / WN) * 32, "one warp per warp tile");
  static_assert(NUM_THREADS >= 32 && NUM_THREADS <= 1024, "block size");
  static_assert(BM % WM == 0 && BN % WN == 0, "warp tiles cover the block tile");
  static_assert(WN % WNITER == 0, "WNITER divides WN");
  static_assert(kWMITER >= 1 && (WM * WN) % (32 * TM * TN * WNITER) == 0,
                "a warp tile is a whole number of (32 lanes x TM x TN x WNITER) steps");
  static_assert(WM % kWMITER == 0, "WMITER divides WM");
  static_assert(kWSUBN % TN == 0 && kWSUBM % TM == 0, "thread tiles cover a warp sub-tile");
  static_assert((kWSUBN / TN) * (kWSUBM / TM) == 32, "32 lanes cover a warp sub-tile");
  static_assert(TM % 4 == 0 && TN % 4 == 0 && BK % 4 == 0 && BN % 4 == 0 && BM % 4 == 0,
                "float4 granularity");
  static_assert(kSharedBytes <= 48 * 1024, "static shared memory is limited to 48 KiB");
  static_assert(kWMITER * TM * WNITER * TN <= 128, "accumulators must fit in registers");
};

template <int BM, int BN, int BK, int WM, int WN, int WNITER, int TM, int TN, int NUM_THREADS,
          bool kVector>
__global__ void __launch_bounds__(NUM_THREADS)
    sgemm_warp_tiling_kernel(int M, int N, int K, float alpha, const float* __restrict__ A, int lda,
                             const float* __restrict__ B, int ldb, float beta,
                             float* __restrict__ C, int ldc) {
  using T = WarpTiling<BM, BN, BK, WM, WN, WNITER, TM, TN, NUM_THREADS>;
  constexpr int WMITER = T::kWMITER;
  constexpr int WSUBM = T::kWSUBM;
  constexpr int WSUBN = T::kWSUBN;
  constexpr int A_VECS = BM * BK / 4;  // float4s of one A tile
  constexpr int B_VECS = BK * BN / 4;  // float4s of one B tile

  __shared__ __align__(16) float As[BK * BM];  // As[k * BM + m]: A tile, transposed
  __shared__ __align__(16) float Bs[BK * BN];  // Bs[k * BN + n]

  const int tid = static_cast<int>(threadIdx.x);
  const int row0 = static_cast<int>(blockIdx.y) * BM;
  const int col0 = static_cast<int>(blockIdx.x) * BN;
  const bool full_mn = kVector && row0 + BM <= M && col0 + BN <= N;

  // This thread's place: warp tile (warp_row, warp_col), lane (lane_row, lane_col) in a sub-tile.
  const int warp = tid / 32;
  const int lane = tid % 32;
  const int warp_row = warp / (BN / WN);
  const int warp_col = warp % (BN / WN);
  const int lane_row = lane / T::kLanesN;
  const int lane_col = lane % T::kLanesN;
  // Offset in the block tile of this thread's first result: row m0 + wm * WSUBM + i,
  // column n0 + wn * WSUBN + j.
  const int m0 = warp_row * WM + lane_row * TM;
  const int n0 = warp_col * WN + lane_col * TN;

  float acc[WMITER * TM][WNITER * TN] = {};
  float reg_m[WMITER * TM];
  float reg_n[WNITER * TN];

  for (int k0 = 0; k0 < K; k0 += BK) {
    const bool vector_tile = full_mn && k0 + BK <= K;
#pragma unroll
    for (int base = 0; base < A_VECS; base += NUM_THREADS) {
      const int v = base + tid;
      if (A_VECS % NUM_THREADS == 0 || v < A_VECS) {
        const int r = v / (BK / 4);        // row in the tile
        const int c = (v % (BK / 4)) * 4;  // column in the tile (first of 4)
        const int gr = row0 + r;
        const int gc = k0 + c;
        if (vector_tile) {
          const float4 a =
              *reinterpret_cast<const float4*>(A + static_cast<std::int64_t>(gr) * lda + gc);
          As[(c + 0) * BM + r] = a.x;
          As[(c + 1) * BM + r] = a.y;
          As[(c + 2) * BM + r] = a.z;
          As[(c + 3) * BM + r] = a.w;
        } else {
#pragma unroll
          for (int q = 0; q < 4; ++q) {
            As[(c + q) * BM + r] =
                (gr < M && gc + q < K) ? A[static_cast<std::int64_t>(gr) * lda + gc + q] : 0.0f;
          }
        }
      }
    }
#pragma unroll
    for (int base = 0; base < B_VECS; base += NUM_THREADS) {
      const int v = base + tid;
      if (B_VECS % NUM_THREADS == 0 || v < B_VECS) {
        const int r = v / (BN / 4);
        const int c = (v % (BN / 4)) * 4;
        const int gr = k0 + r;
        const int gc = col0 + c;
        if (vector_tile) {
          *reinterpret_cast<float4*>(&Bs[r * BN + c]) =
              *reinterpret_cast<const float4*>(B + static_cast<std::int64_t>(gr) * ldb + gc);
        } else {
#pragma unroll
          for (int q = 0; q < 4; ++q) {
            Bs[r * BN + c + q] =
                (gr < K && gc + q < N) ? B[static_cast<std::int64_t>(gr) * ldb + gc + q] : 0.0f;
          }
        }
      }
    }
    __syncthreads();

#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
#pragma unroll
      for (int wm = 0; wm < WMITER; ++wm) {
#pragma unroll
        for (int i = 0; i < TM; i += 4) {
          const float4 v = *reinterpret_cast<const float4*>(&As[kk * BM + m0 + wm * WSUBM + i]);
          reg_m[wm * TM + i + 0] = v.x;
          reg_m[wm * TM + i + 1] = v.y;
          reg_m[wm * TM + i + 2] = v.z;
          reg_m[wm * TM + i + 3] = v.w;
        }
      }
#pragma unroll
      for (int wn = 0; wn < WNITER; ++wn) {
#pragma unroll
        for (int j = 0; j < TN; j += 4) {
          const float4 v = *reinterpret_cast<const float4*>(&Bs[kk * BN + n0 + wn * WSUBN + j]);
          reg_n[wn * TN + j + 0] = v.x;
          reg_n[wn * TN + j + 1] = v.y;
          reg_n[wn * TN + j + 2] = v.z;
          reg_n[wn * TN + j + 3] = v.w;
        }
      }
#pragma unroll
      for (int i = 0; i < WMITER * TM; ++i) {
#pragma unroll
        for (int j = 0; j < WNITER * TN; ++j) acc[i][j] = fmaf(reg_m[i], reg_n[j], acc[i][j]);
      }
    }
    __syncthreads();
  }

  // acc[wm * TM + i][wn * TN + j] is C(row0 + m0 + wm * WSUBM + i, col0 + n0 + wn * WSUBN + j).
#pragma unroll
  for (int wm = 0; wm < WMITER; ++wm) {
#pragma unroll
    for (int i = 0; i < TM; ++i) {
      const int row = row0 + m0 + wm * WSUBM + i;
      const float* a = acc[wm * TM + i];
#pragma unroll
      for (int wn = 0; wn < WNITER; ++wn) {
        const int col = col0 + n0 + wn * WSUBN;
        if (full_mn) {
          float* c_ptr = C + static_cast<std::int64_t>(row) * ldc + col;
#pragma unroll
          for (int j = 0; j < TN; j += 4) {
            const float* s = a + wn * TN + j;
            float4 out;
            if (beta == 0.0f) {
              out = make_float4(alpha * s[0], alpha * s[1], alpha * s[2], alpha * s[3]);
            } else {
              const float4 old = *reinterpret_cast<const float4*>(c_ptr + j);
              out = make_float4(alpha * s[0] + beta * old.x, alpha * s[1] + beta * old.y,
                                alpha * s[2] + beta * old.z, alpha * s[3] + beta * old.w);
            }
            *reinterpret_cast<float4*>(c_ptr + j) = out;
          }
        } else if (row < M) {
#pragma unroll
          for (int j = 0; j < TN; ++j) {
            if (col + j < N) {
              float* c_ptr = C + static_cast<std::int64_t>(row) * ldc + col + j;
              const float v = alpha * a[wn * TN + j];
              *c_ptr = (beta == 0.0f) ? v : v + beta * *c_ptr;
            }
          }
        }
      }
    }
  }
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

// Launches one configuration: the float4 instantiation when every pointer and leading dimension
// allows it, the scalar one otherwise.
template <WarpTileConfig kC>
void launch_warp_tiling(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                        int ldb, float beta, float* C, int ldc, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(ceil_div(N, kC.bn)),
                  static_cast<unsigned>(ceil_div(M, kC.bm)));
  const dim3 block(static_cast<unsigned>(kC.threads));
  const bool vector =
      lda % 4 == 0 && ldb % 4 == 0 && ldc % 4 == 0 && aligned16(A) && aligned16(B) && aligned16(C);
  if (vector) {
    sgemm_warp_tiling_kernel<kC.bm, kC.bn, kC.bk, kC.wm, kC.wn, kC.wniter, kC.tm, kC.tn, kC.threads,
                             true>
        <<<grid, block, 0, stream>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  } else {
    sgemm_warp_tiling_kernel<kC.bm, kC.bn, kC.bk, kC.wm, kC.wn, kC.wniter, kC.tm, kC.tn, kC.threads,
                             false>
        <<<grid, block, 0, stream>>>(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
}

template <WarpTileConfig kC>
constexpr std::size_t shared_bytes_of() {
  return WarpTiling<kC.bm, kC.bn, kC.bk, kC.wm, kC.wn, kC.wniter, kC.tm, kC.tn,
                    kC.threads>::kSharedBytes;
}

// The starting configuration: 128x128x16 block tile, 4 warps of 64x64, 8x16 results per thread.
constexpr WarpTileConfig kStartConfig{128, 128, 16, 64, 64, 4, 8, 4, 128};

// Configuration per GPU architecture (compute capability major * 10 + minor; 0 = any other).
// tools/tile_sweep.cu (reference/01-matmul/tools) measures the winner per architecture on a GPU;
// this table has not been swept yet: every entry is the starting configuration.
struct ArchEntry {
  int cc;
  WarpTileConfig config;
};
constexpr ArchEntry kArchTable[] = {
    {0, kStartConfig},   // default
    {80, kStartConfig},  // A100
    {86, kStartConfig},  // RTX 30xx, A10, A40
    {89, kStartConfig},  // RTX 40xx, L4, L40
    {90, kStartConfig},  // H100, H200
};
constexpr int kArchEntries = static_cast<int>(std::size(kArchTable));

// The compute capability of the current device, queried once (0 when there is no usable device,
// e.g. on a machine without a GPU: launch configurations are still computed there).
int current_compute_capability() {
  static const int cc = [] {
    int device = 0, major = 0, minor = 0;
    if (cudaGetDevice(&device) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess) {
      (void)cudaGetLastError();  // not a launch error: do not let AISYS_CUDA_LAUNCH_CHECK see it
      return 0;
    }
    return major * 10 + minor;
  }();
  return cc;
}

// Index in kArchTable of the current device's entry (the default one, 0, when it has none).
int arch_entry_index() {
  const int cc = current_compute_capability();
  for (int i = 1; i < kArchEntries; ++i) {
    if (kArchTable[i].cc == cc) return i;
  }
  return 0;
}

using LaunchFn = void (*)(int, int, int, float, const float*, int, const float*, int, float, float*,
                          int, cudaStream_t);

template <std::size_t... Is>
constexpr std::array<LaunchFn, sizeof...(Is)> arch_launchers(std::index_sequence<Is...>) {
  return {&launch_warp_tiling<kArchTable[Is].config>...};
}
template <std::size_t... Is>
constexpr std::array<std::size_t, sizeof...(Is)> arch_shared_bytes(std::index_sequence<Is...>) {
  return {shared_bytes_of<kArchTable[Is].config>()...};
}
constexpr auto kArchLaunchers = arch_launchers(std::make_index_sequence<kArchEntries>{});
constexpr auto kArchSharedBytes = arch_shared_bytes(std::make_index_sequence<kArchEntries>{});

}  // namespace

LaunchConfig cuda_launch_config_warp_tiling(int M, int N) {
  const int entry = arch_entry_index();
  const WarpTileConfig& c = kArchTable[entry].config;
  LaunchConfig cfg;
  cfg.block_x = static_cast<unsigned>(c.threads);
  cfg.tile_m = c.bm;
  cfg.tile_n = c.bn;
  cfg.shared_bytes = kArchSharedBytes[static_cast<std::size_t>(entry)];
  if (M <= 0 || N <= 0) return cfg;  // nothing to launch: grid 0 x 0
  cfg.blocks_m = ceil_div(M, c.bm);
  cfg.blocks_n = ceil_div(N, c.bn);
  cfg.grid_x = static_cast<unsigned>(cfg.blocks_n);
  cfg.grid_y = static_cast<unsigned>(cfg.blocks_m);
  return cfg;
}

void cuda_sgemm_warp_tiling(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc,
                            cudaStream_t stream) {
  check_gemm_args("cuda_sgemm_warp_tiling", M, N, K, A, lda, B, ldb, C, ldc);
  if (M == 0 || N == 0) return;
  // The launcher computes the same grid and block as cuda_launch_config_warp_tiling(M, N).
  kArchLaunchers[static_cast<std::size_t>(arch_entry_index())](M, N, K, alpha, A, lda, B, ldb, beta,
                                                               C, ldc, stream);
  AISYS_CUDA_LAUNCH_CHECK();
}

#ifdef AISYS_LAB01_TILE_SWEEP
// The tile sweep (tools/tile_sweep.cu): every configuration below, timed on n x n x n.
namespace {

constexpr WarpTileConfig kSweepConfigs[] = {
    kStartConfig,                          // 128x128x16, 4 warps of 64x64, 8x16 per thread
    {128, 128, 8, 64, 64, 4, 8, 4, 128},   // shallower K step
    {128, 128, 32, 64, 64, 4, 8, 4, 128},  // deeper K step (32 KiB shared)
    {128, 128, 8, 64, 64, 2, 8, 8, 128},   // 8x8 thread tiles, 2 column steps
    {128, 128, 16, 64, 32, 2, 8, 4, 256},  // 8 warps of 64x32
    {128, 128, 16, 32, 64, 4, 4, 4, 256},  // 8 warps of 32x64, 4x4 thread tiles
    {128, 64, 16, 64, 32, 2, 8, 4, 128},   // narrower block
    {64, 128, 16, 32, 64, 4, 4, 4, 128},   // shorter block
    {64, 64, 16, 32, 32, 2, 4, 4, 128},    // small block (more blocks per SM)
    {64, 64, 32, 32, 32, 2, 4, 4, 128},    // small block, deep K step
    {256, 128, 16, 64, 64, 4, 8, 4, 256},  // tall block, 8 warps (24 KiB shared)
    {128, 256, 16, 64, 64, 4, 8, 4, 256},  // wide block, 8 warps (24 KiB shared)
};
constexpr int kSweepCount = static_cast<int>(std::size(kSweepConfigs));

template <std::size_t... Is>
constexpr std::array<LaunchFn, sizeof...(Is)> sweep_launchers(std::index_sequence<Is...>) {
  return {&launch_warp_tiling<kSweepConfigs[Is]>...};
}
constexpr auto kSweepLaunchers = sweep_launchers(std::make_index_sequence<kSweepCount>{});

std::string config_name(const WarpTileConfig& c) {
  return "BM" + std::to_string(c.bm) + "_BN" + std::to_string(c.bn) + "_BK" + std::to_string(c.bk) +
         "_WM" + std::to_string(c.wm) + "_WN" + std::to_string(c.wn) + "_WNITER" +
         std::to_string(c.wniter) + "_TM" + std::to_string(c.tm) + "_TN" + std::to_string(c.tn) +
         "_T" + std::to_string(c.threads);
}

// Owns the two timing events (destroyed even when a launch throws).
struct EventPair {
  cudaEvent_t start = nullptr, stop = nullptr;
  EventPair() {
    AISYS_CUDA_CHECK(cudaEventCreate(&start));
    AISYS_CUDA_CHECK(cudaEventCreate(&stop));
  }
  ~EventPair() {
    if (start != nullptr) (void)cudaEventDestroy(start);
    if (stop != nullptr) (void)cudaEventDestroy(stop);
  }
  EventPair(const EventPair&) = delete;
  EventPair& operator=(const EventPair&) = delete;
};

void check_sweep_args(int index, int n, const float* A, const float* B, float* C) {
  if (index < 0 || index >= kSweepCount) {
    throw InvalidArgument("tile sweep: configuration index " + std::to_string(index) +
                          " out of range");
  }
  check_gemm_args("tile sweep", n, n, n, A, n, B, n, C, n);
}

}  // namespace

// Declared again in tools/tile_sweep.cu.
std::vector<std::pair<std::string, float>> tile_sweep_warp_tiling(int n, const float* A,
                                                                  const float* B, float* C,
                                                                  cudaStream_t stream);
void tile_sweep_run_warp_tiling(int index, int n, const float* A, const float* B, float* C,
                                cudaStream_t stream);

// Runs configuration `index` once: C = A * B, all n x n, leading dimension n.
void tile_sweep_run_warp_tiling(int index, int n, const float* A, const float* B, float* C,
                                cudaStream_t stream) {
  check_sweep_args(index, n, A, B, C);
  if (n == 0) return;
  kSweepLaunchers[static_cast<std::size_t>(index)](n, n, n, 1.0f, A, n, B, n, 0.0f, C, n, stream);
  AISYS_CUDA_LAUNCH_CHECK();
}

// Every configuration's name and time (ms, median of 5 runs after 2 warm-ups), in list order.
std::vector<std::pair<std::string, float>> tile_sweep_warp_tiling(int n, const float* A,
                                                                  const float* B, float* C,
                                                                  cudaStream_t stream) {
  constexpr int kWarmups = 2;
  constexpr int kRuns = 5;
  std::vector<std::pair<std::string, float>> results;
  EventPair events;
  for (int index = 0; index < kSweepCount; ++index) {
    for (int w = 0; w < kWarmups; ++w) tile_sweep_run_warp_tiling(index, n, A, B, C, stream);
    std::vector<float> times;
    for (int r = 0; r < kRuns; ++r) {
      AISYS_CUDA_CHECK(cudaEventRecord(events.start, stream));
      tile_sweep_run_warp_tiling(index, n, A, B, C, stream);
      AISYS_CUDA_CHECK(cudaEventRecord(events.stop, stream));
      AISYS_CUDA_CHECK(cudaEventSynchronize(events.stop));
      float ms = 0.0f;
      AISYS_CUDA_CHECK(cudaEventElapsedTime(&ms, events.start, events.stop));
      times.push_back(ms);
    }
    std::sort(times.begin(), times.end());
    results.emplace_back(config_name(kSweepConfigs[index]), times[kRuns / 2]);
  }
  return results;
}
#endif  // AISYS_LAB01_TILE_SWEEP

}  // namespace aisys::lab01
