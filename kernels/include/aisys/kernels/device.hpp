// aisys/kernels/device.hpp: which CUDA devices this process can use, and why none when there are
// none. Never throws and never crashes: a build without CUDA, a machine without a CUDA driver, a
// driver older than the runtime, or no device all come back as an empty list with a reason, which
// GPU tests print through GTEST_SKIP() and `aisys doctor` shows.
//
// Setting AISYS_DISABLE_GPU=1 (any value but "" or "0") in the environment hides every device, so
// that the CPU-only paths can be exercised on a GPU machine.
//
//   if (!aisys::gpu_available()) GTEST_SKIP() << aisys::gpu_unavailable_reason();
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace aisys {

struct DeviceInfo {
  int index = 0;                   // the CUDA device ordinal (cudaSetDevice)
  std::string name;                // e.g. "NVIDIA H100 80GB HBM3"
  int cc_major = 0;                // compute capability, e.g. 9.0 -> 9, 0
  int cc_minor = 0;
  std::size_t total_memory = 0;    // bytes of global memory
  int sm_count = 0;                // streaming multiprocessors
  int clock_khz = 0;               // peak SM clock
  int memory_clock_khz = 0;        // peak memory clock
  int memory_bus_width = 0;        // bits
  int l2_cache_bytes = 0;
  int shared_memory_per_block_optin = 0;  // bytes a kernel may opt in to per block
};

struct DeviceList {
  std::vector<DeviceInfo> devices;
  // Empty when at least one device is usable; otherwise why none, e.g. "built without CUDA",
  // "disabled by AISYS_DISABLE_GPU", "no CUDA driver (cudaErrorInsufficientDriver: ...)",
  // "no CUDA-capable device".
  std::string reason;
  int driver_version = 0;   // cudaDriverGetVersion: 13000 for CUDA 13.0; 0 when no driver
  int runtime_version = 0;  // cudaRuntimeGetVersion; 0 when built without CUDA
};

// The devices, enumerated once per process (thread-safe) and cached.
const DeviceList& enumerate_devices();

// The same enumeration done again now, reading AISYS_DISABLE_GPU again (for tests and tools).
DeviceList enumerate_devices_uncached();

// At least one device in enumerate_devices().
bool gpu_available();

// enumerate_devices().reason: empty when a GPU is available.
std::string gpu_unavailable_reason();

// Whether this build compiled its CUDA code (the AISYS_HAVE_CUDA build option).
bool built_with_cuda();

// Whether this process has allocated device memory through the platform (the Tensor's CUDA
// storage, DeviceBuffer, a GPU communicator's scratch) or opened a GPU communicator. Code that must
// tell host pointers from device pointers (comm::accumulate) asks the CUDA runtime only once this
// is true, so host-only work in a CUDA build (every MPI rank of lab 05 on the CPU) never creates a
// CUDA context nor pays a pointer query per call. Allocate device memory that such code will see
// through the platform, not with a bare cudaMalloc, or call note_device_memory_in_use().
bool device_memory_in_use();
void note_device_memory_in_use();

// "CUDA 13.0" style text for a cudaDriverGetVersion / cudaRuntimeGetVersion number; "none" for 0.
std::string cuda_version_string(int version);

// One line for logs and `aisys doctor`: "0: NVIDIA H100 (sm_90, 132 SMs, 79.1 GiB, 1980 MHz)".
std::string describe(const DeviceInfo& device);

}  // namespace aisys
