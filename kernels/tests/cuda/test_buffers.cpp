// Tests of aisys/kernels/cuda/buffers.hpp: DeviceBuffer round trips, move-only ownership, size
// checks; Stream and Event basics. Tests named *NoGpu run everywhere; the rest skip without a GPU.
#include "aisys/kernels/cuda/buffers.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <type_traits>
#include <vector>

#include "aisys/kernels/cuda/fill.hpp"
#include "aisys/kernels/device.hpp"
#include "aisys/kernels/tensor.hpp"
#include "gpu_test.hpp"

namespace {

using aisys::cuda::DeviceBuffer;
using aisys::cuda::Event;
using aisys::cuda::Stream;

class DeviceBufferTest : public aisys::testing::GpuTest {};
class StreamEventTest : public aisys::testing::GpuTest {};

TEST(DeviceBufferNoGpu, EmptyBufferAndSizeMismatch) {
  static_assert(!std::is_copy_constructible_v<DeviceBuffer<float>>);
  static_assert(std::is_nothrow_move_constructible_v<DeviceBuffer<float>>);
  static_assert(!std::is_copy_constructible_v<Stream> && !std::is_copy_constructible_v<Event>);
  DeviceBuffer<float> empty;
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_EQ(empty.size(), 0u);
  std::vector<float> host(3, 1.0f);
  EXPECT_THROW(empty.copy_from_host(host), aisys::InvalidArgument);
  EXPECT_THROW(empty.copy_to_host(host), aisys::InvalidArgument);
}

TEST_F(DeviceBufferTest, RoundTripRandomFloats) {
  for (std::size_t n : {1u, 1000u, 1u << 20}) {
    const std::vector<float> input = random_floats(n, 1234u + static_cast<std::uint32_t>(n));
    DeviceBuffer<float> device(n);
    EXPECT_EQ(device.size(), n);
    EXPECT_EQ(device.size_bytes(), n * sizeof(float));
    device.copy_from_host(input);
    std::vector<float> output(n, -7.0f);
    device.copy_to_host(output);
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(output[i], input[i]) << "n=" << n << " i=" << i;
  }
}

// What comm::accumulate() relies on to leave CUDA alone for host data: device memory allocated
// through the platform (a DeviceBuffer, a CUDA tensor) is noted. The note is process-wide and
// never cleared, so only the positive side can be asserted here; the CPU side is asserted by
// comm.communicator (accumulate on host data creates no CUDA context).
TEST_F(DeviceBufferTest, DeviceAllocationsAreNoted) {
  DeviceBuffer<float> device(16);
  EXPECT_TRUE(aisys::device_memory_in_use());
  const auto gpu = aisys::kernels::Tensor::zeros({16}, aisys::kernels::DType::kFloat32, aisys::kernels::Device::cuda());
  EXPECT_FALSE(gpu.device().is_cpu());
  EXPECT_TRUE(aisys::device_memory_in_use());
}

TEST_F(DeviceBufferTest, RoundTripOnStreamAndZero) {
  const std::size_t n = 4099;
  std::vector<std::int32_t> input(n);
  for (std::size_t i = 0; i < n; ++i) input[i] = static_cast<std::int32_t>(i * 2654435761u);
  Stream stream;
  DeviceBuffer<std::int32_t> device(n);
  device.copy_from_host_async(std::span<const std::int32_t>(input), stream);
  std::vector<std::int32_t> output(n, 0);
  device.copy_to_host_async(std::span<std::int32_t>(output), stream);
  stream.synchronize();
  EXPECT_EQ(output, input);
  device.zero();
  device.copy_to_host(output);
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(output[i], 0) << i;
}

TEST_F(DeviceBufferTest, ConstructFromHostAndMove) {
  const std::vector<float> input = random_floats(257, 99u);
  DeviceBuffer<float> a{std::span<const float>(input)};
  float* const storage = a.data();
  DeviceBuffer<float> b(std::move(a));
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.data(), storage);
  DeviceBuffer<float> c(5);
  c = std::move(b);
  EXPECT_EQ(c.data(), storage);
  EXPECT_EQ(c.size(), input.size());
  std::vector<float> output(input.size());
  c.copy_to_host(output);
  EXPECT_EQ(output, input);
}

TEST_F(StreamEventTest, EventTimingIsNonNegative) {
  Stream stream;
  Event start;
  Event stop;
  DeviceBuffer<float> buffer(1u << 24);
  start.record(stream);
  aisys::cuda::fill(buffer.data(), buffer.size(), 1.0f, stream.get());
  stop.record(stream);
  stop.synchronize();
  const float ms = Event::elapsed_ms(start, stop);
  EXPECT_GE(ms, 0.0f);
  std::cout << "[ timing   ] fill of 64 MiB: " << ms << " ms\n";
  stream.synchronize();
}

TEST_F(StreamEventTest, MovesKeepTheHandle) {
  Stream a;
  cudaStream_t handle = a.get();
  EXPECT_NE(handle, nullptr);
  Stream b(std::move(a));
  EXPECT_EQ(a.get(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(b.get(), handle);
  Event e;
  cudaEvent_t event_handle = e.get();
  Event f(std::move(e));
  EXPECT_EQ(f.get(), event_handle);
  f.record(b);
  f.synchronize();
  b.synchronize();
}

}  // namespace
