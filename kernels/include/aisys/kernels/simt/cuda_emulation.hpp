// aisys/kernels/simt/cuda_emulation.hpp: the CUDA side of the SIMT emulator (simt/emulator.hpp) as
// plain C++ with CUDA types, without macros: kernel launches (what simt_rewrite makes of
// `kernel<<<...>>>(args)`), the emulated device's attributes and the
// runtime calls a launcher makes, and the device atomics. simt/cuda_shim.hpp maps CUDA's names
// onto these in a rewritten .cu file; the emulated CUDA runtime (src/simt/cudart.cpp) answers the
// runtime's own entry points with them.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "aisys/kernels/simt/emulator.hpp"

namespace aisys::simt::cuda {

inline uint3 as_uint3(const Dim3& d) { return make_uint3(d.x, d.y, d.z); }
inline dim3 as_dim3(const Dim3& d) { return dim3(d.x, d.y, d.z); }
inline Dim3 from_dim3(const dim3& d) { return Dim3{d.x, d.y, d.z}; }

// --- Launches --------------------------------------------------------------------------------

// `launch(grid, block, shared, stream)(call)(args)`, what simt_rewrite makes of
// `kernel<<<grid, block, shared, stream>>>(args)`, `call` being a generic lambda that calls
// `kernel` with its arguments (so a kernel template's arguments are deduced from the launch's, as
// nvcc deduces them). The launch checks the configuration as cudaLaunchKernel does (a bad one sets
// the last error, cudaErrorInvalidConfiguration, and runs nothing), waits for the work its stream
// holds (a stream that does not exist: cudaErrorInvalidResourceHandle, nothing run) and runs every
// thread, each with its own copy of the arguments.
template <class Call>
struct BoundLaunch {
  dim3 grid, block;
  std::size_t shared_bytes;
  cudaStream_t stream;
  Call call;
  template <class... A>
  void operator()(A&&... a) const {
    const Dim3 g = from_dim3(grid), b = from_dim3(block);
    if (!launch_config_error(g, b).empty()) {
      set_last_error(static_cast<int>(cudaErrorInvalidConfiguration));
      return;
    }
    if (shared_bytes > 48 * 1024) {
      // The kernel cannot use it (simt_rewrite refuses extern __shared__); past the default
      // limit a GPU would refuse the launch without cudaFuncSetAttribute.
      set_last_error(static_cast<int>(cudaErrorInvalidValue));
      return;
    }
    if (const int e = wait_for_stream(stream); e != 0) {  // a stream that does not exist
      set_last_error(e);
      return;
    }
    const std::tuple<std::decay_t<A>...> args(std::forward<A>(a)...);
    run_grid(g, b, [&] {
      std::tuple<std::decay_t<A>...> own = args;
      std::apply(call, own);
    });
  }
};

struct LaunchSpec {
  dim3 grid, block;
  std::size_t shared_bytes;
  cudaStream_t stream;
  template <class Call>
  BoundLaunch<Call> operator()(Call call) const {
    return {grid, block, shared_bytes, stream, call};
  }
};

// The launch runs at once, after the work `stream` holds (wait_for_stream).
inline LaunchSpec launch(dim3 grid, dim3 block, std::size_t shared_bytes = 0, cudaStream_t stream = nullptr) {
  return LaunchSpec{grid, block, shared_bytes, stream};
}

// --- Runtime calls ---------------------------------------------------------------------------

inline cudaError_t get_last_error() { return static_cast<cudaError_t>(take_last_error()); }
inline cudaError_t peek_at_last_error() { return static_cast<cudaError_t>(peek_last_error()); }
inline cudaError_t get_device(int* device) {
  *device = current_device();
  return cudaSuccess;
}
inline cudaError_t device_get_attribute(int* value, cudaDeviceAttr attr, int device) {
  if (device < 0 || device >= device_count()) {
    set_last_error(static_cast<int>(cudaErrorInvalidDevice));
    return cudaErrorInvalidDevice;
  }
  switch (attr) {
    case cudaDevAttrComputeCapabilityMajor: *value = options().compute_capability / 10; break;
    case cudaDevAttrComputeCapabilityMinor: *value = options().compute_capability % 10; break;
    case cudaDevAttrMaxThreadsPerBlock: *value = static_cast<int>(kMaxThreadsPerBlock); break;
    case cudaDevAttrMaxBlockDimX: *value = static_cast<int>(kMaxBlockDim.x); break;
    case cudaDevAttrMaxBlockDimY: *value = static_cast<int>(kMaxBlockDim.y); break;
    case cudaDevAttrMaxBlockDimZ: *value = static_cast<int>(kMaxBlockDim.z); break;
    case cudaDevAttrMaxGridDimX: *value = static_cast<int>(kMaxGridDim.x); break;
    case cudaDevAttrMaxGridDimY: *value = static_cast<int>(kMaxGridDim.y); break;
    case cudaDevAttrMaxGridDimZ: *value = static_cast<int>(kMaxGridDim.z); break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = 48 * 1024; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *value = 48 * 1024; break;
    case cudaDevAttrMaxRegistersPerBlock: *value = 65536; break;
    case cudaDevAttrMultiProcessorCount: *value = 1; break;
    case cudaDevAttrWarpSize: *value = 32; break;
    default:
      set_last_error(static_cast<int>(cudaErrorInvalidValue));
      return cudaErrorInvalidValue;
  }
  return cudaSuccess;
}
inline cudaError_t stream_synchronize(cudaStream_t) { return cudaSuccess; }
inline cudaError_t device_synchronize() { return cudaSuccess; }
template <class F>
cudaError_t func_set_attribute(F, cudaFuncAttribute, int) {
  return cudaSuccess;
}

// --- Device builtins -------------------------------------------------------------------------

template <class T>
T atomic_add(T* address, std::type_identity_t<T> value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <class T>
T atomic_max(T* address, std::type_identity_t<T> value) {
  const T old = *address;
  if (value > old) *address = value;
  return old;
}
template <class T>
T atomic_min(T* address, std::type_identity_t<T> value) {
  const T old = *address;
  if (value < old) *address = value;
  return old;
}
template <class T>
T atomic_exch(T* address, std::type_identity_t<T> value) {
  const T old = *address;
  *address = value;
  return old;
}
template <class T>
T atomic_cas(T* address, std::type_identity_t<T> compare, std::type_identity_t<T> value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}

}  // namespace aisys::simt::cuda
