// The SIMT emulator (aisys/kernels/simt/emulator.hpp) on the probe kernels of probe_kernels.cu:
// every thread runs once with the right indices, barriers order shared memory, a missing barrier
// and a divergent one are caught, shared memory starts each block as NaN, parameters are per
// thread, bad launch configurations set the last error, __trap() fails the launch, atomics and
// WMMA compute what they should, and (under AddressSanitizer) an out-of-bounds access in a kernel
// stops the program. Random inputs come from $AISYS_SEED when set, else a drawn seed,
// printed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "aisys/kernels/simt/emulator.hpp"
#include "probe_kernels.hpp"

namespace {

namespace simt = aisys::simt;
namespace probe = aisys::simt::probe;

std::uint64_t seed() {
  static const std::uint64_t s = [] {
    const char* env = std::getenv("AISYS_SEED");
    const std::uint64_t v = env != nullptr && *env != '\0' ? std::strtoull(env, nullptr, 10)
                                                           : std::random_device{}();
    std::cout << "[ seed     ] AISYS_SEED=" << v << "\n";
    return v;
  }();
  return s;
}

std::vector<float> random_floats(std::size_t n, std::uint64_t salt) {
  std::mt19937_64 rng(seed() + salt);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

class EachOrder : public ::testing::TestWithParam<simt::ThreadOrder> {
 protected:
  void SetUp() override {
    simt::Options o;
    o.order = GetParam();
    scoped_.emplace(o);
  }
  void TearDown() override { scoped_.reset(); }

 private:
  std::optional<simt::ScopedOptions> scoped_;
};

std::string order_name(const ::testing::TestParamInfo<simt::ThreadOrder>& info) {
  return info.param == simt::ThreadOrder::kForward ? "Forward" : "Reverse";
}

TEST_P(EachOrder, EveryThreadOfAThreeDimensionalGridRunsOnceWithItsIndices) {
  const dim3 grid(3, 2, 2), block(5, 3, 2);
  const std::size_t threads = 3 * 2 * 2 * 5 * 3 * 2;
  std::vector<unsigned long long> out(threads, ~0ull);
  ASSERT_EQ(probe::write_indices(grid, block, out.data()), cudaSuccess);
  std::size_t i = 0;
  for (unsigned bz = 0; bz < 2; ++bz)
    for (unsigned by = 0; by < 2; ++by)
      for (unsigned bx = 0; bx < 3; ++bx)
        for (unsigned tz = 0; tz < 2; ++tz)
          for (unsigned ty = 0; ty < 3; ++ty)
            for (unsigned tx = 0; tx < 5; ++tx, ++i) {
              const unsigned long long want = (static_cast<unsigned long long>(bx) << 40) |
                                              (static_cast<unsigned long long>(by) << 32) |
                                              (static_cast<unsigned long long>(bz) << 24) |
                                              (tx << 16) | (ty << 8) | tz;
              ASSERT_EQ(out[i], want) << "thread " << i;
            }
}

TEST_P(EachOrder, ABarrierOrdersSharedMemoryBetweenThreads) {
  const int n = 256;
  const std::vector<float> in = random_floats(n, 1);
  std::vector<float> out(n, NAN);
  ASSERT_EQ(probe::reverse_in_shared(in.data(), out.data(), n), cudaSuccess);
  for (int t = 0; t < n; ++t) ASSERT_EQ(out[t], in[n - 1 - t]) << "thread " << t;
}

TEST_P(EachOrder, AMissingBarrierShowsAsReadsOfUnwrittenSharedMemory) {
  const int n = 256;
  const std::vector<float> in = random_floats(n, 2);
  std::vector<float> out(n, 0.0f);
  ASSERT_EQ(probe::reverse_in_shared_without_barrier(in.data(), out.data(), n), cudaSuccess);
  int unwritten = 0;
  for (float v : out) unwritten += std::isnan(v) ? 1 : 0;
  // The first thread to run reads an element no other thread has written yet, and so on: half of
  // them read the NaN that shared memory starts with.
  EXPECT_EQ(unwritten, n / 2);
}

TEST_P(EachOrder, ABarrierSomeThreadsNeverReachFailsTheLaunchNamingIt) {
  std::vector<int> out(32, 0);
  try {
    (void)probe::barrier_in_divergent_branch(out.data());
    FAIL() << "the divergent barrier was not reported";
  } catch (const simt::KernelFault& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("divergent __syncthreads()"), std::string::npos) << what;
    EXPECT_NE(what.find("16 of 32 threads"), std::string::npos) << what;
    EXPECT_NE(what.find("probe_kernels.cu:"), std::string::npos) << what;
    EXPECT_NE(what.find("divergent_kernel"), std::string::npos) << what;
  }
}

TEST_P(EachOrder, ThreadsWaitingAtTwoDifferentBarriersFailTheLaunch) {
  std::vector<int> out(32, 0);
  try {
    (void)probe::two_barrier_sites(out.data());
    FAIL() << "the two barrier sites were not reported";
  } catch (const simt::KernelFault& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("at the one in"), std::string::npos) << what;
  }
  // The emulator is usable after a fault.
  const std::vector<float> in = random_floats(64, 3);
  std::vector<float> back(64, NAN);
  ASSERT_EQ(probe::reverse_in_shared(in.data(), back.data(), 64), cudaSuccess);
  EXPECT_EQ(back[0], in[63]);
}

TEST_P(EachOrder, EveryThreadHasItsOwnCopyOfTheParameters) {
  std::vector<int> out(64, -1);
  ASSERT_EQ(probe::parameters_are_per_thread(1000, out.data()), cudaSuccess);
  for (int t = 0; t < 64; ++t) ASSERT_EQ(out[t], 1000 + t);
}

TEST_P(EachOrder, SharedMemoryStartsEveryBlockAsNaN) {
  std::vector<float> out(3, 0.0f);
  ASSERT_EQ(probe::shared_is_per_block(3, out.data()), cudaSuccess);
  EXPECT_EQ(out[0], 42.0f);
  EXPECT_TRUE(std::isnan(out[1])) << out[1];  // block 1 never wrote s[0]; block 0's is not seen
  EXPECT_TRUE(std::isnan(out[2])) << out[2];
}

TEST_P(EachOrder, TwoSharedArraysInOneDeclarationUnderACudaArchGuard) {
  std::vector<float> out(32, NAN);
  ASSERT_EQ(probe::two_arrays_in_one_declaration(out.data()), cudaSuccess);
  for (int t = 0; t < 32; ++t) ASSERT_EQ(out[t], static_cast<float>(31 - t + 2 * t)) << "thread " << t;
}

INSTANTIATE_TEST_SUITE_P(Simt, EachOrder,
                         ::testing::Values(simt::ThreadOrder::kForward, simt::ThreadOrder::kReverse),
                         order_name);

TEST(Simt, ALaunchConfigurationCudaRefusesSetsTheLastErrorAndRunsNothing) {
  int counter = 0;
  EXPECT_EQ(probe::launch_block_of(1024, &counter), cudaSuccess);
  EXPECT_EQ(counter, 1024);
  counter = 0;
  EXPECT_EQ(probe::launch_block_of(1025, &counter), cudaErrorInvalidConfiguration);
  EXPECT_EQ(counter, 0);
  EXPECT_EQ(probe::launch_block_of(0, &counter), cudaErrorInvalidConfiguration);
  EXPECT_EQ(counter, 0);
  EXPECT_NE(simt::launch_config_error({1, 1, 1}, {1, 1, 65}).find("block (1, 1, 65) past the limit"),
            std::string::npos);
  EXPECT_NE(simt::launch_config_error({1, 65536, 1}, {32, 1, 1}).find("grid (1, 65536, 1) past"),
            std::string::npos);
  EXPECT_EQ(simt::launch_config_error({2147483647u, 65535, 65535}, {1024, 1, 1}), "");
}

TEST(Simt, TrapFailsTheLaunchNamingTheThread) {
  try {
    (void)probe::trap_in_thread_3();
    FAIL() << "__trap() was not reported";
  } catch (const simt::KernelFault& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("__trap()"), std::string::npos) << what;
    EXPECT_NE(what.find("thread (3, 0, 0)"), std::string::npos) << what;
  }
}

TEST(Simt, AtomicAddSumsOverTheGrid) {
  const int n = 1000;
  const std::vector<float> in = random_floats(n, 4);
  double want = 0.0;
  for (float v : in) want += v;
  float sum = 0.0f;
  ASSERT_EQ(probe::atomic_sum(in.data(), n, &sum), cudaSuccess);
  EXPECT_NEAR(sum, want, 1e-4 * n);
}

TEST(Simt, WmmaComputesATileProductAgainstADoublePrecisionReference) {
  const std::vector<float> fa = random_floats(16 * 16, 5), fb = random_floats(16 * 24, 6),
                           fc = random_floats(16 * 16, 7);
  // 32-byte aligned operands, as WMMA requires.
  alignas(32) __half a[16 * 16];
  alignas(32) __half b[16 * 24];
  alignas(32) float c[16 * 16];
  alignas(32) float d[16 * 16];
  for (int i = 0; i < 16 * 16; ++i) a[i] = __float2half(fa[i]);
  for (int i = 0; i < 16 * 24; ++i) b[i] = __float2half(fb[i]);
  for (int i = 0; i < 16 * 16; ++i) c[i] = fc[i];
  for (float& v : d) v = NAN;
  ASSERT_EQ(probe::wmma_tile(a, b, c, d), cudaSuccess);
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      double want = c[i * 16 + j];
      for (int k = 0; k < 16; ++k) {
        want += static_cast<double>(__half2float(a[i * 16 + k])) * __half2float(b[k * 24 + j]);
      }
      ASSERT_NEAR(d[i * 16 + j], want, 1e-5) << "element (" << i << ", " << j << ")";
    }
  }
  // A misaligned operand is refused, as on a GPU.
  try {
    (void)probe::wmma_tile(a, b, c + 1, d);
    FAIL() << "a misaligned accumulator pointer was accepted";
  } catch (const simt::KernelFault& e) {
    EXPECT_NE(std::string(e.what()).find("not 256-bit"), std::string::npos) << e.what();
  }
}

// Operands of one WMMA tile (A with 16 spare rows), 32-byte aligned, all ones.
struct OnesTile {
  alignas(32) __half a[32 * 16];
  alignas(32) __half b[16 * 16];
  alignas(32) float d[16 * 16];
  OnesTile() {
    for (auto& v : a) v = __float2half(1.0f);
    for (auto& v : b) v = __float2half(1.0f);
  }
};

TEST(Simt, WmmaLanesPassingDifferentPointersFailTheLaunch) {
  OnesTile t;
  try {
    (void)probe::wmma_lanes_disagree(t.a, t.b, t.d);
    FAIL() << "lanes passing different pointers were not reported";
  } catch (const simt::KernelFault& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("lanes disagree"), std::string::npos) << what;
    EXPECT_NE(what.find("load_matrix_sync"), std::string::npos) << what;
  }
}

TEST(Simt, AWmmaStoreSomeLanesSkipFailsTheLaunch) {
  OnesTile t;
  try {
    (void)probe::wmma_store_in_lane_0_only(t.a, t.b, t.d);
    FAIL() << "a store only lane 0 made was not reported";
  } catch (const simt::KernelFault& e) {
    EXPECT_NE(std::string(e.what()).find("some lanes skipped"), std::string::npos) << e.what();
  }
}

TEST(Simt, SharedArraysInEveryDeclarationFormNvccAccepts) {
  std::vector<float> out(64, NAN);
  ASSERT_EQ(probe::shared_declaration_forms(32, out.data()), cudaSuccess);
  for (int t = 0; t < 32; ++t) ASSERT_EQ(out[t], 15.0f * static_cast<float>(31 - t)) << "thread " << t;
  // __launch_bounds__(1 << 6): 64 threads run, 65 are refused.
  EXPECT_EQ(probe::shared_declaration_forms(64, out.data()), cudaSuccess);
  EXPECT_THROW((void)probe::shared_declaration_forms(65, out.data()), simt::KernelFault);
}

TEST(Simt, ABlockPastTheKernelsLaunchBoundsFailsTheLaunch) {
  int counter = 0;
  ASSERT_EQ(probe::launch_bounded_64(64, &counter), cudaSuccess);
  EXPECT_EQ(counter, 64);
  try {
    (void)probe::launch_bounded_64(65, &counter);
    FAIL() << "65 threads past __launch_bounds__(64) were not reported";
  } catch (const simt::KernelFault& e) {
    EXPECT_NE(std::string(e.what()).find("__launch_bounds__(64)"), std::string::npos) << e.what();
  }
}

TEST(Simt, KernelBuiltinsOutsideAKernelAreRefused) {
  EXPECT_FALSE(simt::in_kernel());
  EXPECT_THROW((void)simt::thread_idx(), std::logic_error);
  EXPECT_THROW(simt::sync_threads(), std::logic_error);
}

// Under AddressSanitizer (AISYS_SIMT_ASAN, the default on x86-64) an out-of-bounds access in a
// kernel stops the program there, as memcheck stops a kernel on a GPU.
#if defined(AISYS_SIMT_ASAN)
void read_past_an_allocation() {
  std::vector<float> in(64, 1.0f);
  std::vector<float> out(64, 0.0f);
  (void)probe::read_past_the_end(in.data(), out.data(), 64);
}

void write_past_a_shared_array() {
  std::vector<float> out(32, 0.0f);
  (void)probe::write_past_a_shared_array(out.data());
}

TEST(SimtDeathTest, AKernelReadingPastAnAllocationIsStopped) {
  EXPECT_DEATH(read_past_an_allocation(), "AddressSanitizer: heap-buffer-overflow");
}

TEST(SimtDeathTest, AKernelWritingPastASharedArrayIsStopped) {
  EXPECT_DEATH(write_past_a_shared_array(), "AddressSanitizer: heap-buffer-overflow");
}
#else
TEST(SimtDeathTest, OutOfBoundsAccessesAreStoppedUnderAddressSanitizer) {
  GTEST_SKIP() << "built without AddressSanitizer (AISYS_SIMT_ASAN=OFF, or not x86-64)";
}
#endif

}  // namespace
