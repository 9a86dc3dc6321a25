// Tests of aisys/kernels/device.hpp: enumeration never crashes, an empty list always says why,
// the cache is stable, and AISYS_DISABLE_GPU hides every device.
#include "aisys/kernels/device.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace {

// Sets an environment variable for one scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (previous_) {
      ::setenv(name_, previous_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

TEST(Device, EnumerationSaysWhyWhenEmpty) {
  const aisys::DeviceList& list = aisys::enumerate_devices();
  EXPECT_EQ(&list, &aisys::enumerate_devices()) << "enumerate_devices() is cached";
  if (list.devices.empty()) {
    EXPECT_FALSE(list.reason.empty());
    EXPECT_FALSE(aisys::gpu_available());
    EXPECT_EQ(aisys::gpu_unavailable_reason(), list.reason);
    std::cout << "[ device   ] no GPU: " << list.reason << "\n";
  } else {
    EXPECT_TRUE(list.reason.empty()) << list.reason;
    EXPECT_TRUE(aisys::gpu_available());
    EXPECT_TRUE(aisys::gpu_unavailable_reason().empty());
    for (std::size_t i = 0; i < list.devices.size(); ++i) {
      const aisys::DeviceInfo& d = list.devices[i];
      std::cout << "[ device   ] " << aisys::describe(d) << "\n";
      EXPECT_FALSE(d.name.empty());
      EXPECT_GE(d.cc_major, 5);
      EXPECT_GT(d.total_memory, 0u);
      EXPECT_GT(d.sm_count, 0);
      EXPECT_GT(d.clock_khz, 0);
      EXPECT_GT(d.memory_bus_width, 0);
    }
    EXPECT_GT(list.driver_version, 0);
  }
  if (aisys::built_with_cuda()) {
    EXPECT_GT(list.runtime_version, 0);
  }
}

TEST(Device, BuildWithoutCudaSaysSo) {
  if (aisys::built_with_cuda()) GTEST_SKIP() << "this build compiled CUDA";
  ScopedEnv enabled("AISYS_DISABLE_GPU", "0");
  const aisys::DeviceList list = aisys::enumerate_devices_uncached();
  EXPECT_TRUE(list.devices.empty());
  EXPECT_EQ(list.reason, "built without CUDA");
  EXPECT_EQ(list.runtime_version, 0);
}

// Without the NVIDIA device nodes no driver can be talking to a GPU: the list must be empty.
TEST(Device, NoDeviceNodesMeansNoDevices) {
  if (std::filesystem::exists("/dev/nvidiactl") || std::filesystem::exists("/dev/dxg")) {
    GTEST_SKIP() << "this machine has NVIDIA device nodes";
  }
  const aisys::DeviceList list = aisys::enumerate_devices_uncached();
  EXPECT_TRUE(list.devices.empty());
  EXPECT_FALSE(list.reason.empty());
}

TEST(Device, DisableGpuEnvironmentVariableIsHonoured) {
  {
    ScopedEnv disabled("AISYS_DISABLE_GPU", "1");
    const aisys::DeviceList list = aisys::enumerate_devices_uncached();
    EXPECT_TRUE(list.devices.empty());
    EXPECT_EQ(list.reason, "disabled by AISYS_DISABLE_GPU");
  }
  {
    ScopedEnv enabled("AISYS_DISABLE_GPU", "0");
    const aisys::DeviceList list = aisys::enumerate_devices_uncached();
    EXPECT_NE(list.reason, "disabled by AISYS_DISABLE_GPU");
    EXPECT_EQ(list.devices.empty(), !list.reason.empty());
  }
}

TEST(Device, VersionStrings) {
  EXPECT_EQ(aisys::cuda_version_string(0), "none");
  EXPECT_EQ(aisys::cuda_version_string(13000), "CUDA 13.0");
  EXPECT_EQ(aisys::cuda_version_string(12080), "CUDA 12.8");
}

TEST(Device, DescribeNamesTheDevice) {
  aisys::DeviceInfo d;
  d.index = 1;
  d.name = "Test GPU";
  d.cc_major = 9;
  d.cc_minor = 0;
  d.sm_count = 132;
  d.total_memory = std::size_t{80} << 30;
  d.clock_khz = 1980000;
  EXPECT_EQ(aisys::describe(d), "1: Test GPU (sm_90, 132 SMs, 80.0 GiB, 1980 MHz)");
}

}  // namespace
