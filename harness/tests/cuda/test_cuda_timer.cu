// GPU tests of the harness: CUDA-event timing of real device work, with the host's dispatch hidden
// or included, and an enqueue that waits for the device refused (skipped without a GPU).
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

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

// The host sleeping inside the timed call stands for slow dispatch: hidden, it is not GPU time;
// included, it is.
TEST(CudaTimer, HostDispatchIsHiddenOrIncludedAsAsked) {
  if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();
  using aisys::bench::HostDispatch;
  aisys::cuda::Stream stream;
  const std::size_t n = std::size_t{1} << 18;  // 1 MiB: microseconds of device work
  aisys::cuda::DeviceBuffer<float> buf(n);
  const auto slow_enqueue = [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    aisys::cuda::fill(buf.data(), n, 5.0f, stream.get());
  };
  // Warm-up: the fill kernel's first launch in this process loads its module, which may wait for
  // the device (lazy loading) and so cannot happen while the stream is held.
  aisys::cuda::fill(buf.data(), n, 4.0f, stream.get());
  stream.synchronize();
  const double hidden = aisys::bench::cuda_time_on_stream(stream.get(), slow_enqueue, HostDispatch::kHidden);
  const double included = aisys::bench::cuda_time_on_stream(stream.get(), slow_enqueue, HostDispatch::kIncluded);
  EXPECT_LT(hidden, 0.010) << "30 ms of host time counted as device time";
  EXPECT_GE(included, 0.029);
  std::vector<float> host(n);
  buf.copy_to_host(host);
  EXPECT_EQ(host[0], 5.0f);
}

TEST(CudaTimer, AnEnqueueThatWaitsForTheDeviceIsRefused) {
  if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();
  aisys::cuda::Stream stream;
  const std::size_t n = std::size_t{1} << 18;
  aisys::cuda::DeviceBuffer<float> buf(n);
  try {
    aisys::bench::cuda_time_on_stream(stream.get(), [&] {
      aisys::cuda::fill(buf.data(), n, 1.0f, stream.get());
      stream.synchronize();
    });
    FAIL() << "a synchronising enqueue was timed";
  } catch (const aisys::bench::EnqueueWaitedForDevice& e) {
    EXPECT_NE(std::string(e.what()).find("waited for the device"), std::string::npos) << e.what();
  }
  // The timer and the stream are usable afterwards.
  const double t = aisys::bench::cuda_time_on_stream(stream.get(), [&] { aisys::cuda::fill(buf.data(), n, 2.0f, stream.get()); });
  EXPECT_GT(t, 0.0);
}

TEST(CudaTimer, AnEnqueueThatThrowsReleasesTheStream) {
  if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();
  aisys::cuda::Stream stream;
  EXPECT_THROW(aisys::bench::cuda_time_on_stream(stream.get(), [] { throw std::invalid_argument("bad case"); }),
               std::invalid_argument);
  const auto before = std::chrono::steady_clock::now();
  stream.synchronize();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count(), 0.5)
      << "the stream stayed held after the enqueue threw";
}

// A throw with earlier work still queued (the hold kernel has not even started when the enqueue
// throws), then at once a timed call: the old hold must have ended, not spin on into the new call
// and time it out.
TEST(CudaTimer, ATimedCallRightAfterAThrowIsNotDisturbed) {
  if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();
  aisys::cuda::Stream stream;
  const std::size_t n = std::size_t{1} << 26;  // 256 MiB: milliseconds of queued work
  aisys::cuda::DeviceBuffer<float> buf(n);
  aisys::cuda::fill(buf.data(), n, 1.0f, stream.get());  // warm-up
  stream.synchronize();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 20; ++j) aisys::cuda::fill(buf.data(), n, 2.0f, stream.get());
    EXPECT_THROW(aisys::bench::cuda_time_on_stream(stream.get(), [] { throw std::invalid_argument("bad case"); }),
                 std::invalid_argument);
    EXPECT_NO_THROW(aisys::bench::cuda_time_on_stream(stream.get(), [&] { aisys::cuda::fill(buf.data(), n, 3.0f, stream.get()); }));
  }
}
