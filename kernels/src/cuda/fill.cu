// aisys::cuda::fill (aisys/kernels/cuda/fill.hpp): one grid-stride kernel that writes a value to
// every element of a device float array. Memory-bound: n * 4 bytes written.
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/cuda/fill.hpp"
#include "aisys/kernels/error.hpp"

#include <algorithm>

namespace aisys::cuda {
namespace {

constexpr int kThreadsPerBlock = 256;
constexpr std::size_t kMaxBlocks = 4096;  // enough to fill any GPU; the loop covers the rest

__global__ void fill_kernel(float* data, std::size_t n, float value) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    data[i] = value;
  }
}

}  // namespace

void fill(float* device_ptr, std::size_t n, float value, cudaStream_t stream) {
  if (n == 0) return;
  if (device_ptr == nullptr) {
    throw InvalidArgument("aisys::cuda::fill: null device pointer for " + std::to_string(n) +
                          " elements");
  }
  const std::size_t blocks =
      std::min(kMaxBlocks, (n + kThreadsPerBlock - 1) / kThreadsPerBlock);
  fill_kernel<<<static_cast<unsigned>(blocks), kThreadsPerBlock, 0, stream>>>(device_ptr, n, value);
  AISYS_CUDA_LAUNCH_CHECK();
}

}  // namespace aisys::cuda
