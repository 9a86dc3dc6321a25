// Tests of aisys/kernels/cuda/fill.hpp against the CPU: every element written, none beyond n.
#include "aisys/kernels/cuda/fill.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "aisys/kernels/cuda/buffers.hpp"
#include "gpu_test.hpp"

namespace {

class FillTest : public aisys::testing::GpuTest {};

TEST(FillNoGpu, NullPointerThrowsAndEmptyIsNoOp) {
  EXPECT_THROW(aisys::cuda::fill(nullptr, 4, 1.0f), aisys::InvalidArgument);
  EXPECT_NO_THROW(aisys::cuda::fill(nullptr, 0, 1.0f));
}

TEST_F(FillTest, MatchesCpuFillAndStopsAtN) {
  aisys::cuda::Stream stream;
  // Sizes around the block size (256) and past the grid cap (4096 blocks), so the grid-stride
  // loop runs more than once.
  for (std::size_t n : {1u, 255u, 256u, 257u, 4096u * 256u + 3u, 3u << 21}) {
    const std::size_t guard = 64;  // elements after n that must keep their value
    const std::vector<float> start = random_floats(n + guard, 7u + static_cast<std::uint32_t>(n));
    aisys::cuda::DeviceBuffer<float> device(n + guard);
    device.copy_from_host(start);
    const float value = 0.375f;
    aisys::cuda::fill(device.data(), n, value, stream.get());
    stream.synchronize();
    std::vector<float> got(n + guard);
    device.copy_to_host(got);
    std::vector<float> expected = start;  // the CPU oracle
    std::fill(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(n), value);
    for (std::size_t i = 0; i < n + guard; ++i) {
      ASSERT_EQ(got[i], expected[i]) << "n=" << n << " first bad index " << i;
    }
  }
}

TEST_F(FillTest, PoisonWritesNaN) {
  const std::size_t n = 1000;
  aisys::cuda::DeviceBuffer<float> device(n);
  aisys::cuda::poison(device.data(), n);
  std::vector<float> got(n);
  device.copy_to_host(got);
  for (std::size_t i = 0; i < n; ++i) ASSERT_TRUE(std::isnan(got[i])) << i;
}

}  // namespace
