// Lab 01, CUDA half, on a GPU: every stage against the CPU double-precision oracle on the same
// inputs (rounded to FP16/BF16 for the tensor-core stage first, so only its FP32 accumulation is
// judged), random inputs with a logged seed, NaN-poisoned outputs, odd sizes, padded leading
// dimensions (on the vectorized paths too: full 128x128 tiles with padded rows, a K tail inside a
// full tile, full and edge tiles in one launch). Without a GPU every test skips with the reason.
// AISYS_SMALL_SIZES=1 (set by the grader under compute-sanitizer) drops the large cases.
//
// The same file, built with AISYS_SIMT_EMULATION (the lab's CMakeLists.txt), tests the stages
// compiled for the SIMT emulator (aisys/kernels/simt/emulator.hpp) on a machine without a GPU:
// "device" buffers are host memory aligned as cudaMalloc aligns them, followed by NaN that a
// read past the end would carry into C and that a write past the end is caught changing (under
// AddressSanitizer, the emulator's default, touching it stops the test there); each
// stage runs with the threads of a block in forward and in reverse order (a missing barrier
// changes the result in at least one), and must launch exactly the grid and block its launch
// configuration gives; the large cases are left out.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "aisys/kernels/device.hpp"
#include "aisys/lab01/cuda_gemm.hpp"
#include "gemm_test_support.hpp"
#if defined(AISYS_SIMT_EMULATION)
#include "aisys/kernels/simt/emulator.hpp"
#if defined(AISYS_SIMT_ASAN)
#include <sanitizer/asan_interface.h>
#endif
#else
#include "aisys/kernels/cuda/buffers.hpp"
#endif

namespace {

using aisys::lab01::CudaSgemmFn;
using aisys::lab01::LaunchConfig;
using aisys::lab01::LaunchConfigFn;
using aisys::lab01::testing::GemmCase;
using aisys::lab01::testing::check_gemm_with;

bool small_sizes_only() {
#if defined(AISYS_SIMT_EMULATION)
  return true;  // the emulator runs a kernel's threads one after the other
#endif
  const char* v = std::getenv("AISYS_SMALL_SIZES");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

#if defined(AISYS_SIMT_EMULATION)
// Host memory standing in for a device allocation: 256-byte aligned like cudaMalloc's, with 256
// bytes of NaN after the array (a kernel that reads past its end carries NaN into C; one that
// writes there is caught by intact_tail()).
template <class T>
class EmulatedDeviceArray {
 public:
  static constexpr std::size_t kAlign = 256, kTail = 256;
  explicit EmulatedDeviceArray(const std::vector<T>& host) : n_(host.size()) {
    bytes_ = (n_ * sizeof(T) + kTail + kAlign - 1) / kAlign * kAlign;
    data_ = static_cast<T*>(std::aligned_alloc(kAlign, bytes_));
    std::memset(static_cast<void*>(data_), 0xff, bytes_);
    std::copy(host.begin(), host.end(), data_);
#if defined(AISYS_SIMT_ASAN)
    ASAN_POISON_MEMORY_REGION(data_ + n_, bytes_ - n_ * sizeof(T));  // a stage touching it stops
#endif
  }
  ~EmulatedDeviceArray() {
#if defined(AISYS_SIMT_ASAN)
    ASAN_UNPOISON_MEMORY_REGION(data_, bytes_);
#endif
    std::free(data_);
  }
  EmulatedDeviceArray(const EmulatedDeviceArray&) = delete;
  EmulatedDeviceArray& operator=(const EmulatedDeviceArray&) = delete;
  T* data() { return data_; }
  bool intact_tail() const {
#if defined(AISYS_SIMT_ASAN)
    ASAN_UNPOISON_MEMORY_REGION(data_ + n_, bytes_ - n_ * sizeof(T));
#endif
    const auto* tail = reinterpret_cast<const unsigned char*>(data_ + n_);
    const auto* end = reinterpret_cast<const unsigned char*>(data_) + bytes_;
    return std::all_of(tail, end, [](unsigned char b) { return b == 0xff; });
  }

 private:
  std::size_t n_, bytes_;
  T* data_;
};
#endif

// Copies host arrays (leading dimensions, the spare elements and C's sentinel row included) to
// the device as T, at the case's offset from cudaMalloc's aligned start (so a stage's 16-byte
// paths meet misaligned pointers), runs, copies C back.
template <class T, class Launch>
void run_on_device(const GemmCase& c, const float* A, int lda, const float* B, int ldb, float* C,
                   int ldc, Launch launch) {
  const std::size_t off = static_cast<std::size_t>(c.offset);
  const std::size_t na = aisys::lab01::testing::a_elements(c, lda);
  const std::size_t nb = aisys::lab01::testing::b_elements(c, ldb);
  const std::size_t nc = aisys::lab01::testing::c_elements(c, ldc);
  std::vector<T> a(off + na), b(off + nb);
  std::vector<float> cc(off + nc);
  for (std::size_t i = 0; i < na; ++i) a[off + i] = static_cast<T>(A[i]);
  for (std::size_t i = 0; i < nb; ++i) b[off + i] = static_cast<T>(B[i]);
  std::copy(C, C + nc, cc.begin() + static_cast<std::ptrdiff_t>(off));
#if defined(AISYS_SIMT_EMULATION)
  EmulatedDeviceArray<T> da(a), db(b);
  EmulatedDeviceArray<float> dc(cc);
  launch(da.data() + off, db.data() + off, dc.data() + off, nullptr);
  ASSERT_TRUE(da.intact_tail() && db.intact_tail()) << "a stage wrote past the end of A or B";
  ASSERT_TRUE(dc.intact_tail()) << "a stage wrote past the end of C's allocation";
  std::copy(dc.data(), dc.data() + cc.size(), cc.begin());
#else
  aisys::cuda::DeviceBuffer<T> da{std::span<const T>(a)};
  aisys::cuda::DeviceBuffer<T> db{std::span<const T>(b)};
  aisys::cuda::DeviceBuffer<float> dc{std::span<const float>(cc)};
  aisys::cuda::Stream stream;
  launch(da.data() + off, db.data() + off, dc.data() + off, stream.get());
  stream.synchronize();
  dc.copy_to_host(std::span<float>(cc));
#endif
  std::copy(cc.begin() + static_cast<std::ptrdiff_t>(off), cc.end(), C);
}

// Under the emulator: the stage launched exactly the grid and block its launch configuration gives
// (the CPU tests check the configuration; this checks that the launcher uses it), once, or
// nothing for an empty C.
template <class Launch>
void launch_as_configured(const char* name, LaunchConfigFn config, int M, int N, Launch launch) {
#if defined(AISYS_SIMT_EMULATION)
  const std::uint64_t before = aisys::simt::last_launch().launches;
  launch();
  const aisys::simt::LaunchRecord r = aisys::simt::last_launch();
  const LaunchConfig cfg = config(M, N);
  if (M == 0 || N == 0) {
    EXPECT_EQ(r.launches, before) << name << " launched a kernel for an empty C (M=" << M << ", N=" << N << ")";
    return;
  }
  EXPECT_EQ(r.launches, before + 1) << name << " M=" << M << " N=" << N << ": launches made";
  EXPECT_TRUE(r.grid.x == cfg.grid_x && r.grid.y == cfg.grid_y && r.grid.z == cfg.grid_z &&
              r.block.x == cfg.block_x && r.block.y == cfg.block_y && r.block.z == cfg.block_z)
      << name << " M=" << M << " N=" << N << " launched grid (" << r.grid.x << ", " << r.grid.y << ", "
      << r.grid.z << ") block (" << r.block.x << ", " << r.block.y << ", " << r.block.z
      << "); its launch configuration says grid (" << cfg.grid_x << ", " << cfg.grid_y << ", " << cfg.grid_z
      << ") block (" << cfg.block_x << ", " << cfg.block_y << ", " << cfg.block_z << ")";
#else
  (void)name, (void)config, (void)M, (void)N;
  launch();
#endif
}

::testing::AssertionResult check_sgemm(const char* name, CudaSgemmFn fn, LaunchConfigFn config,
                                       const GemmCase& c, std::uint64_t salt) {
  return check_gemm_with(name, c, salt, aisys::testing::fp32_tolerance(c.K),
                         [=](const GemmCase& g, const float* A, int lda, const float* B, int ldb,
                             float* C, int ldc) {
                           run_on_device<float>(g, A, lda, B, ldb, C, ldc,
                                                [&](const float* a, const float* b, float* cc, cudaStream_t s) {
                                                  launch_as_configured(name, config, g.M, g.N, [&] {
                                                    fn(g.M, g.N, g.K, g.alpha, a, lda, b, ldb, g.beta, cc, ldc, s);
                                                  });
                                                });
                         });
}

// The tensor-core stage's inputs are rounded to FP16/BF16 before the oracle sees them, so the
// oracle computes with exactly the GPU's values; products of two FP16 or BF16 numbers are exact in
// FP32 and what is left is the FP32 accumulation. Tensor cores align and truncate inside each MMA
// instead of rounding every addition: 16 times the FP32 bound (4.9e-4 at K = 4096), still two orders
// of magnitude below what a dropped K tile or an unwritten output costs (0.05 and more).
double tensor_core_tolerance(int K) { return 16.0 * aisys::testing::fp32_tolerance(K); }

::testing::AssertionResult check_wmma_fp16(const GemmCase& c, std::uint64_t salt) {
  return check_gemm_with(
      "cuda_gemm_wmma_fp16", c, salt, tensor_core_tolerance(c.K),
      [](const GemmCase& g, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
        run_on_device<__half>(g, A, lda, B, ldb, C, ldc, [&](const __half* a, const __half* b, float* cc, cudaStream_t s) {
          launch_as_configured("cuda_gemm_wmma_fp16", aisys::lab01::cuda_launch_config_wmma, g.M, g.N, [&] {
            aisys::lab01::cuda_gemm_wmma_fp16(g.M, g.N, g.K, g.alpha, a, lda, b, ldb, g.beta, cc, ldc, s);
          });
        });
      },
      [](std::vector<float>& v) {
        for (auto& x : v) x = __half2float(__float2half_rn(x));
      });
}

::testing::AssertionResult check_wmma_bf16(const GemmCase& c, std::uint64_t salt) {
  return check_gemm_with(
      "cuda_gemm_wmma_bf16", c, salt, tensor_core_tolerance(c.K),
      [](const GemmCase& g, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
        run_on_device<__nv_bfloat16>(g, A, lda, B, ldb, C, ldc,
                                     [&](const __nv_bfloat16* a, const __nv_bfloat16* b, float* cc, cudaStream_t s) {
                                       launch_as_configured("cuda_gemm_wmma_bf16", aisys::lab01::cuda_launch_config_wmma, g.M, g.N, [&] {
                                         aisys::lab01::cuda_gemm_wmma_bf16(g.M, g.N, g.K, g.alpha, a, lda, b, ldb, g.beta, cc, ldc, s);
                                       });
                                     });
      },
      [](std::vector<float>& v) {
        for (auto& x : v) x = __bfloat162float(__float2bfloat16_rn(x));
      });
}

std::vector<GemmCase> cuda_cases() {
  std::vector<GemmCase> cases = aisys::lab01::testing::odd_shapes();
  const GemmCase more[] = {{37, 41, 43, 0.5f, -1.5f},   {64, 48, 80, -2.0f, 1.0f},
                           {31, 45, 27, 1.0f, 0.0f, 3, 5, 7}, {9, 100, 70, 2.0f, 1.0f, 30, 1, 2},
                           {64, 64, 64, 1.0f, 0.5f, 4, 4, 4},  {6, 7, 0, 1.0f, -0.5f},
                           {0, 5, 3},                    {255, 257, 258, 0.75f, 0.5f},
                           {256, 256, 256, 1.0f, 0.0f},  {129, 300, 517, 1.0f, 0.0f, 4, 8, 4},
                           // The float4 / 16-byte paths of full tiles: padded rows (lda 252,
                           // ldb 260, ldc 264), a K tail (250) inside full tiles, full and edge
                           // tiles in one launch (200 x 300), rows padded by 8 for the FP16 loads.
                           {256, 256, 250, 1.0f, 0.5f, 2, 4, 8},  {200, 300, 160, 1.0f, 0.5f, 4, 4, 4},
                           {130, 200, 96, 1.0f, 0.5f, 8, 8, 3},
                           // The 16-byte FP16 loads with K and N ending inside a chunk (lda = ldb
                           // = 80, multiples of 8; K = 77, N = 75).
                           {70, 75, 77, 1.0f, 0.5f, 3, 5, 1},
                           // Misaligned A, B and C (one and three elements past an aligned start)
                           // with leading dimensions that would allow the vector paths: they
                           // must fall back, not fault or misread.
                           {128, 128, 128, 1.0f, 0.5f, 0, 0, 0, 1}, {200, 136, 96, 1.0f, 0.0f, 8, 8, 8, 3}};
  cases.insert(cases.end(), std::begin(more), std::end(more));
  if (!small_sizes_only()) {
    cases.push_back({1024, 1024, 1024, 1.0f, 0.0f});
    cases.push_back({1000, 999, 1001, 1.0f, 1.0f});
    cases.push_back({16, 4096, 4096, 1.0f, 0.0f});
  }
  return cases;
}

#if defined(AISYS_SIMT_EMULATION)
#define AISYS_REQUIRE_GPU() ((void)0)

// Runs `body` with the threads of each block in forward order, then in reverse.
template <class Body>
void in_each_thread_order(Body body) {
  for (const auto order : {aisys::simt::ThreadOrder::kForward, aisys::simt::ThreadOrder::kReverse}) {
    aisys::simt::Options o;
    o.order = order;
    const aisys::simt::ScopedOptions scoped(o);
    SCOPED_TRACE(order == aisys::simt::ThreadOrder::kForward ? "SIMT emulator, threads forward"
                                                             : "SIMT emulator, threads in reverse");
    body();
    if (::testing::Test::HasFatalFailure()) return;
  }
}
#else
#define AISYS_REQUIRE_GPU()                                                                   \
  do {                                                                                        \
    if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason(); \
  } while (0)

template <class Body>
void in_each_thread_order(Body body) {
  body();
}
#endif

void run_stage(const char* name, CudaSgemmFn fn, LaunchConfigFn config) {
  in_each_thread_order([&] {
    std::uint64_t salt = 5000;
    for (const auto& c : cuda_cases()) ASSERT_TRUE(check_sgemm(name, fn, config, c, ++salt));
  });
}

}  // namespace

TEST(CudaGemmNaive, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_naive", aisys::lab01::cuda_sgemm_naive, aisys::lab01::cuda_launch_config_naive); }
TEST(CudaGemmCoalesced, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_coalesced", aisys::lab01::cuda_sgemm_coalesced, aisys::lab01::cuda_launch_config_coalesced); }
TEST(CudaGemmSmemTiling, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_smem_tiling", aisys::lab01::cuda_sgemm_smem_tiling, aisys::lab01::cuda_launch_config_smem_tiling); }
TEST(CudaGemm1dRegisterTiling, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_1d_register_tiling", aisys::lab01::cuda_sgemm_1d_register_tiling, aisys::lab01::cuda_launch_config_1d_register_tiling); }
TEST(CudaGemm2dRegisterTiling, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_2d_register_tiling", aisys::lab01::cuda_sgemm_2d_register_tiling, aisys::lab01::cuda_launch_config_2d_register_tiling); }
TEST(CudaGemmVectorized, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_vectorized", aisys::lab01::cuda_sgemm_vectorized, aisys::lab01::cuda_launch_config_vectorized); }
TEST(CudaGemmWarpTiling, AllShapes) { AISYS_REQUIRE_GPU(); run_stage("cuda_sgemm_warp_tiling", aisys::lab01::cuda_sgemm_warp_tiling, aisys::lab01::cuda_launch_config_warp_tiling); }

TEST(CudaGemmWmma, Fp16AllShapes) {
  AISYS_REQUIRE_GPU();
  in_each_thread_order([] {
    std::uint64_t salt = 6000;
    for (const auto& c : cuda_cases()) ASSERT_TRUE(check_wmma_fp16(c, ++salt));
  });
}

TEST(CudaGemmWmma, Bf16AllShapes) {
  AISYS_REQUIRE_GPU();
  in_each_thread_order([] {
    std::uint64_t salt = 7000;
    for (const auto& c : cuda_cases()) ASSERT_TRUE(check_wmma_bf16(c, ++salt));
  });
}
