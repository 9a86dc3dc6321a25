// aisys/kernels/simt/cuda_shim.hpp: what a .cu file needs to compile as C++ for the SIMT emulator
// (simt/emulator.hpp). It is included ahead of the file's own code (`-include`, by
// aisys_simt_add_library in cmake/AisysSimt.cmake) after kernels/tools/simt_rewrite has turned the
// file's launches into calls of ::aisys::simt::cuda::launch (simt/cuda_emulation.hpp)
// and its __shared__ arrays into block-shared heap blocks. It
//   - includes the CUDA headers a kernel file uses (runtime types, FP16, BF16) and the project's
//     check macros, before anything below is defined;
//   - makes __global__, __device__, __host__, __launch_bounds__ and __constant__ plain C++;
//   - maps threadIdx, blockIdx, blockDim, gridDim, warpSize, __syncthreads(), __trap(), the
//     atomics and fences onto the emulator (a thread runs until a barrier without being
//     interrupted, so a read-modify-write is atomic);
//   - maps the runtime calls a launcher makes (cudaGetLastError, cudaPeekAtLastError,
//     cudaGetDevice, cudaDeviceGetAttribute, cudaStreamSynchronize, cudaDeviceSynchronize,
//     cudaFuncSetAttribute) onto the emulated device (simt/cuda_emulation.hpp). Any other runtime
//     call goes to the runtime the program links: the real one, which without a GPU fails (the
//     check macros name the call), or the emulated one (aisys::simt_cudart, src/simt/cudart.cpp),
//     which allocates "device" memory on the host and checks every copy against it.
// The emulated device has one GPU (device 0) whose compute capability is
// aisys::simt::options().compute_capability. Pointers are host pointers.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/simt/cuda_emulation.hpp"
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
// simt_rewrite replaces every __shared__ of the .cu file itself; one left (in a header the file
// includes) would be a plain static, shared by every block without the NaN of a new block: refused.
#undef __shared__
#define __shared__ __shared___outside_the_rewritten_cu_file_is_not_emulated
// What __CUDA_ARCH__ becomes in the rewritten file's own code: the emulated device, sm_90.
#define AISYS_SIMT_CUDA_ARCH 900

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
