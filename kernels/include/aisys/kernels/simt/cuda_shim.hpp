// aisys/kernels/simt/cuda_shim.hpp: what a .cu file needs to compile as C++ for the SIMT emulator
// (simt/emulator.hpp). It is included ahead of the file's own code (`-include`, by
// aisys_simt_add_library in cmake/AisysSimt.cmake) after kernels/tools/simt_rewrite has turned the
// file's launches into `kernel ^ ::aisys::simt::cuda::launch(grid, block, shared, stream)(args)`
// and its __shared__ arrays into block-shared statics. It
//   - includes the CUDA headers a kernel file uses (runtime types, FP16, BF16) and the project's
//     check macros, before anything below is defined;
//   - makes __global__, __device__, __host__, __launch_bounds__ and __constant__ plain C++;
//   - maps threadIdx, blockIdx, blockDim, gridDim, warpSize, __syncthreads(), __trap(), the
//     atomics and fences onto the emulator (a thread runs until a barrier without being
//     interrupted, so a read-modify-write is atomic);
//   - maps the runtime calls a launcher makes (cudaGetLastError, cudaPeekAtLastError,
//     cudaGetDevice, cudaDeviceGetAttribute, cudaStreamSynchronize, cudaDeviceSynchronize,
//     cudaFuncSetAttribute) onto the emulated device. Any other runtime call goes to the real
//     runtime, which without a GPU fails, naming the call, through the check macros.
// The emulated device has one GPU (device 0) whose compute capability is
// aisys::simt::options().compute_capability. Pointers are host pointers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/simt/emulator.hpp"
#include "aisys/kernels/simt/wmma.hpp"

#define AISYS_SIMT_EMULATION 1

#undef __global__
#define __global__
#undef __device__
#define __device__
#undef __host__
#define __host__
#undef __constant__
#define __constant__
#undef __launch_bounds__
#define __launch_bounds__(...)
#undef __shared__
#define __shared__ static  // simt_rewrite replaces every __shared__ in code; this is a fallback

namespace aisys::simt::cuda {

inline uint3 as_uint3(const Dim3& d) { return make_uint3(d.x, d.y, d.z); }
inline dim3 as_dim3(const Dim3& d) { return dim3(d.x, d.y, d.z); }
inline Dim3 from_dim3(const dim3& d) { return Dim3{d.x, d.y, d.z}; }

// --- Launches --------------------------------------------------------------------------------

template <class... A>
struct PendingLaunch {
  dim3 grid, block;
  std::size_t shared_bytes;
  std::tuple<A...> args;
};

struct LaunchSpec {
  dim3 grid, block;
  std::size_t shared_bytes;
  template <class... A>
  PendingLaunch<std::decay_t<A>...> operator()(A&&... a) const {
    return {grid, block, shared_bytes, std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
  }
};

inline LaunchSpec launch(dim3 grid, dim3 block, std::size_t shared_bytes = 0,
                         cudaStream_t /*stream: every launch is synchronous*/ = nullptr) {
  return LaunchSpec{grid, block, shared_bytes};
}

// `kernel ^ launch(...)(args)`: checks the configuration as cudaLaunchKernel does (a bad one sets
// the last error, cudaErrorInvalidConfiguration, and runs nothing), converts the arguments to the
// kernel's parameter types and runs every thread, each with its own copy of the parameters.
template <class... P, class... A>
void operator^(void (*kernel)(P...), PendingLaunch<A...>&& l) {
  static_assert(sizeof...(P) == sizeof...(A), "a kernel launch with the wrong number of arguments");
  const Dim3 grid = from_dim3(l.grid), block = from_dim3(l.block);
  if (!launch_config_error(grid, block).empty()) {
    set_last_error(static_cast<int>(cudaErrorInvalidConfiguration));
    return;
  }
  if (l.shared_bytes != 0) {
    throw KernelFault("dynamic shared memory (" + std::to_string(l.shared_bytes) +
                      " bytes at launch) is not emulated");
  }
  const std::tuple<std::decay_t<P>...> params = std::apply(
      [](auto&... a) { return std::tuple<std::decay_t<P>...>(a...); }, l.args);
  run_grid(grid, block, [&] {
    std::tuple<std::decay_t<P>...> own = params;
    std::apply(kernel, own);
  });
}

// --- Runtime calls ---------------------------------------------------------------------------

inline cudaError_t get_last_error() { return static_cast<cudaError_t>(take_last_error()); }
inline cudaError_t peek_at_last_error() { return static_cast<cudaError_t>(peek_last_error()); }
inline cudaError_t get_device(int* device) {
  *device = 0;
  return cudaSuccess;
}
inline cudaError_t device_get_attribute(int* value, cudaDeviceAttr attr, int device) {
  if (device != 0) {
    set_last_error(static_cast<int>(cudaErrorInvalidDevice));
    return cudaErrorInvalidDevice;
  }
  switch (attr) {
    case cudaDevAttrComputeCapabilityMajor: *value = options().compute_capability / 10; break;
    case cudaDevAttrComputeCapabilityMinor: *value = options().compute_capability % 10; break;
    case cudaDevAttrMaxThreadsPerBlock: *value = static_cast<int>(kMaxThreadsPerBlock); break;
    case cudaDevAttrMaxSharedMemoryPerBlock: *value = 48 * 1024; break;
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
T atomic_add(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
template <class T>
T atomic_max(T* address, T value) {
  const T old = *address;
  if (value > old) *address = value;
  return old;
}
template <class T>
T atomic_min(T* address, T value) {
  const T old = *address;
  if (value < old) *address = value;
  return old;
}
template <class T>
T atomic_exch(T* address, T value) {
  const T old = *address;
  *address = value;
  return old;
}
template <class T>
T atomic_cas(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}

}  // namespace aisys::simt::cuda

#define threadIdx (::aisys::simt::cuda::as_uint3(::aisys::simt::thread_idx()))
#define blockIdx (::aisys::simt::cuda::as_uint3(::aisys::simt::block_idx()))
#define blockDim (::aisys::simt::cuda::as_dim3(::aisys::simt::block_dim()))
#define gridDim (::aisys::simt::cuda::as_dim3(::aisys::simt::grid_dim()))
#define warpSize 32
#define __syncthreads() ::aisys::simt::sync_threads()
#define __trap() ::aisys::simt::trap()
#define __threadfence() ((void)0)
#define __threadfence_block() ((void)0)
#define __ldg(p) (*(p))
#define atomicAdd ::aisys::simt::cuda::atomic_add
#define atomicMax ::aisys::simt::cuda::atomic_max
#define atomicMin ::aisys::simt::cuda::atomic_min
#define atomicExch ::aisys::simt::cuda::atomic_exch
#define atomicCAS ::aisys::simt::cuda::atomic_cas

#define cudaGetLastError ::aisys::simt::cuda::get_last_error
#define cudaPeekAtLastError ::aisys::simt::cuda::peek_at_last_error
#define cudaGetDevice ::aisys::simt::cuda::get_device
#define cudaDeviceGetAttribute ::aisys::simt::cuda::device_get_attribute
#define cudaStreamSynchronize ::aisys::simt::cuda::stream_synchronize
#define cudaDeviceSynchronize ::aisys::simt::cuda::device_synchronize
#define cudaFuncSetAttribute ::aisys::simt::cuda::func_set_attribute
