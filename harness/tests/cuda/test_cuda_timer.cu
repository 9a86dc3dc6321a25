// GPU tests of the harness: CUDA-event timing of real device work (skipped without a GPU).
#include <gtest/gtest.h>

#include "aisys/harness/cuda_timer.hpp"
#include "aisys/kernels/cuda/buffers.hpp"
#include "aisys/kernels/cuda/fill.hpp"
#include "aisys/kernels/device.hpp"

TEST(CudaTimer, TimesDeviceWorkOnTheStream) {
  if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();
  aisys::cuda::Stream stream;
  const std::size_t n = std::size_t{1} << 26;  // 256 MiB of floats
  aisys::cuda::DeviceBuffer<float> buf(n);
  aisys::cuda::fill(buf.data(), n, 1.0f, stream.get());  // warm-up
  const double once = aisys::bench::cuda_time_on_stream(stream.get(), [&] {
    aisys::cuda::fill(buf.data(), n, 2.0f, stream.get());
  });
  const double four = aisys::bench::cuda_time_on_stream(stream.get(), [&] {
    for (int i = 0; i < 4; ++i) aisys::cuda::fill(buf.data(), n, 3.0f, stream.get());
  });
  EXPECT_GT(once, 0.0);
  // Writing 256 MiB cannot beat 20 TB/s on any GPU: a bound, not a timing assertion.
  EXPECT_GT(once, (4.0 * n) / 20e12);
  EXPECT_GT(four, once);
  std::vector<float> host(n);
  buf.copy_to_host(host);
  EXPECT_EQ(host[n - 1], 3.0f);
}
