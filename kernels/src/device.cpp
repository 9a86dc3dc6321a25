// Implementation of aisys/kernels/device.hpp. Plain C++ over the CUDA runtime API: compiled by the
// host compiler in every build, with the runtime calls only when AISYS_HAVE_CUDA. Every error code
// the runtime can return here (no driver, old driver, no device, ...) becomes an empty list with a
// reason; the runtime's last-error slot is cleared afterwards so that no later check sees it.
#include "aisys/kernels/device.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#if AISYS_HAVE_CUDA
#include <cuda_runtime.h>
#endif

namespace aisys {
namespace {

bool gpu_disabled_by_environment() {
  const char* value = std::getenv("AISYS_DISABLE_GPU");
  if (value == nullptr) return false;
  const std::string_view v(value);
  return !v.empty() && v != "0";
}

#if AISYS_HAVE_CUDA
std::string error_text(cudaError_t status) {
  return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
}

std::string reason_for(cudaError_t status) {
  switch (status) {
    case cudaErrorNoDevice:
      return "no CUDA-capable device";
    case cudaErrorInsufficientDriver:
    case cudaErrorStubLibrary:
    case cudaErrorNotSupported:
    case cudaErrorSystemDriverMismatch:
    case cudaErrorCompatNotSupportedOnDevice:
    case cudaErrorInitializationError:
      return "no CUDA driver (" + error_text(status) + ")";
    default:
      return "CUDA runtime error (" + error_text(status) + ")";
  }
}

int attribute(cudaDeviceAttr attr, int device) {
  int value = 0;
  if (cudaDeviceGetAttribute(&value, attr, device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return value;
}

void enumerate_cuda(DeviceList& list) {
  if (cudaRuntimeGetVersion(&list.runtime_version) != cudaSuccess) list.runtime_version = 0;
  if (cudaDriverGetVersion(&list.driver_version) != cudaSuccess) list.driver_version = 0;
  (void)cudaGetLastError();

  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  (void)cudaGetLastError();
  if (status != cudaSuccess) {
    list.reason = reason_for(status);
    return;
  }
  if (count <= 0) {
    list.reason = "no CUDA-capable device";
    return;
  }

  std::string first_error;
  for (int index = 0; index < count; ++index) {
    cudaDeviceProp prop{};
    const cudaError_t prop_status = cudaGetDeviceProperties(&prop, index);
    if (prop_status != cudaSuccess) {
      (void)cudaGetLastError();
      if (first_error.empty()) first_error = reason_for(prop_status);
      continue;
    }
    DeviceInfo info;
    info.index = index;
    info.name = prop.name;
    info.cc_major = prop.major;
    info.cc_minor = prop.minor;
    info.total_memory = prop.totalGlobalMem;
    info.sm_count = prop.multiProcessorCount;
    // Clock rates left cudaDeviceProp in CUDA 13; the attributes exist in every version.
    info.clock_khz = attribute(cudaDevAttrClockRate, index);
    info.memory_clock_khz = attribute(cudaDevAttrMemoryClockRate, index);
    info.memory_bus_width = attribute(cudaDevAttrGlobalMemoryBusWidth, index);
    info.l2_cache_bytes = attribute(cudaDevAttrL2CacheSize, index);
    info.shared_memory_per_block_optin = attribute(cudaDevAttrMaxSharedMemoryPerBlockOptin, index);
    list.devices.push_back(std::move(info));
  }
  if (list.devices.empty()) list.reason = first_error.empty() ? "no usable CUDA device" : first_error;
}
#endif  // AISYS_HAVE_CUDA

}  // namespace

DeviceList enumerate_devices_uncached() {
  DeviceList list;
#if AISYS_HAVE_CUDA
  if (gpu_disabled_by_environment()) {
    list.reason = "disabled by AISYS_DISABLE_GPU";
    (void)cudaRuntimeGetVersion(&list.runtime_version);
    return list;
  }
  enumerate_cuda(list);
#else
  list.reason = gpu_disabled_by_environment() ? "disabled by AISYS_DISABLE_GPU"
                                              : "built without CUDA";
#endif
  return list;
}

const DeviceList& enumerate_devices() {
  static const DeviceList list = enumerate_devices_uncached();
  return list;
}

bool gpu_available() { return !enumerate_devices().devices.empty(); }

std::string gpu_unavailable_reason() { return enumerate_devices().reason; }

bool built_with_cuda() {
#if AISYS_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

namespace {
std::atomic<bool> g_device_memory_in_use{false};
}  // namespace

bool device_memory_in_use() { return g_device_memory_in_use.load(std::memory_order_acquire); }
void note_device_memory_in_use() { g_device_memory_in_use.store(true, std::memory_order_release); }

std::string cuda_version_string(int version) {
  if (version <= 0) return "none";
  return "CUDA " + std::to_string(version / 1000) + "." + std::to_string((version % 1000) / 10);
}

std::string describe(const DeviceInfo& device) {
  char text[512];
  std::snprintf(text, sizeof text, "%d: %s (sm_%d%d, %d SMs, %.1f GiB, %d MHz)", device.index,
                device.name.c_str(), device.cc_major, device.cc_minor, device.sm_count,
                static_cast<double>(device.total_memory) / (1024.0 * 1024.0 * 1024.0),
                device.clock_khz / 1000);
  return text;
}

}  // namespace aisys
