// The Tensor's device block cache (tensor.cpp, block_cache.hpp) on the emulated runtime, with the
// cache on (aisys_kernels_simt_tests runs with AISYS_NO_DEVICE_CACHE=1, so it lives in a program of
// its own): a freed tensor's block is kept and handed to the next tensor of its size; a cudaMalloc
// that fails for lack of memory while the cache holds blocks releases them and tries again, as a
// GPU that is full of cached blocks must; one that still does not fit is an error naming the size
// and the device. The emulated device is made small (simt::Options::global_memory_bytes) to reach
// those paths; the values written are random (seed printed) and read back.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <iostream>
#include <random>
#include <string>

#include "aisys/kernels/error.hpp"
#include "aisys/kernels/simt/emulator.hpp"
#include "aisys/kernels/tensor.hpp"

namespace {

using aisys::kernels::Device;
using aisys::kernels::Tensor;

constexpr std::int64_t kMiB = 1 << 20;

std::size_t device_bytes_in_use() {
  std::size_t free_bytes = 0, total_bytes = 0;
  EXPECT_EQ(cudaMemGetInfo(&free_bytes, &total_bytes), cudaSuccess);
  return total_bytes - free_bytes;
}

// A tensor of `floats` random values on the device, checked element by element once read back.
void expect_round_trip(std::int64_t floats, std::uint64_t seed) {
  const Tensor host = Tensor::uniform({floats}, -1.0, 1.0, seed);
  const Tensor device = host.to(Device::cuda(0));
  const std::vector<double> want = host.to_vector(), got = device.to(Device::cpu()).to_vector();
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "element " << i << ", seed " << seed;
}

TEST(SimtDeviceCache, AFreedBlockIsReusedForTheNextTensorOfItsSize) {
  Tensor a = Tensor::empty({kMiB / 4}, aisys::kernels::DType::kFloat32, Device::cuda(0));
  const void* block = a.data<float>();
  const std::size_t in_use = device_bytes_in_use();
  a = Tensor();
  EXPECT_EQ(device_bytes_in_use(), in_use) << "the freed block stays allocated, in the cache";
  Tensor b = Tensor::empty({kMiB / 4}, aisys::kernels::DType::kFloat32, Device::cuda(0));
  EXPECT_EQ(b.data<float>(), block) << "the cached block is handed out again";
  EXPECT_EQ(device_bytes_in_use(), in_use);
}

TEST(SimtDeviceCache, AnAllocationThatFailsReleasesTheCachedBlocksAndTriesAgain) {
  const std::uint64_t seed = std::random_device{}();
  std::cout << "seed " << seed << "\n";
  {
    Tensor cached = Tensor::empty({2 * kMiB / 4}, aisys::kernels::DType::kFloat32, Device::cuda(0));
  }  // 2 MiB now held by the cache
  aisys::simt::Options small = aisys::simt::options();
  small.global_memory_bytes = device_bytes_in_use() + 3 * kMiB / 2;  // 1.5 MiB left
  const aisys::simt::ScopedOptions scoped(small);
  // 3 MiB does not fit in what is left, but does once the cache's 2 MiB (and whatever else it
  // held) is released.
  expect_round_trip(3 * kMiB / 4, seed);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the failed first try leaves no error behind";
}

TEST(SimtDeviceCache, AnAllocationThatStillDoesNotFitNamesTheSizeAndTheDevice) {
  aisys::simt::Options small = aisys::simt::options();
  small.global_memory_bytes = device_bytes_in_use() + kMiB;
  const aisys::simt::ScopedOptions scoped(small);
  // Larger than the whole device: it fails even once the cache is released.
  const std::int64_t floats = static_cast<std::int64_t>(small.global_memory_bytes / 4) + kMiB / 4;
  try {
    Tensor t = Tensor::empty({floats}, aisys::kernels::DType::kFloat32, Device::cuda(0));
    FAIL() << floats * 4 << " bytes were allocated on a device of " << small.global_memory_bytes;
  } catch (const aisys::LibraryError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot allocate " + std::to_string(floats * 4) + " bytes on cuda:0"), std::string::npos)
        << what;
  }
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the error was reported by the throw, not left behind";
  expect_round_trip(kMiB / 8, 7);  // the device is still usable afterwards
}

}  // namespace
