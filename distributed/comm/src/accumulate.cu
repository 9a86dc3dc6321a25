// comm::accumulate() on device buffers (the NCCL backend's all-reduces add on the GPU): one
// grid-stride kernel per type, on the default stream, which alone is synchronised (accumulate is
// blocking; the NCCL backend's own stream may hold operations that wait for a peer, so the whole
// device is not).
#include <algorithm>
#include <cstdint>

#include "aisys/comm/communicator.hpp"
#include "aisys/kernels/cuda/check.hpp"

namespace aisys::comm {

namespace {
template <typename T>
__global__ void add_kernel(T* dst, const T* src, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    dst[i] += src[i];
  }
}

template <typename T>
void launch(void* dst, const void* src, std::size_t n) {
  const unsigned blocks = static_cast<unsigned>(std::min<std::size_t>((n + 255) / 256, 4096));
  add_kernel<T><<<blocks, 256>>>(static_cast<T*>(dst), static_cast<const T*>(src), n);
  AISYS_CUDA_CHECK(cudaGetLastError());
  AISYS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
}
}  // namespace

bool is_device_pointer(const void* p) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
    (void)cudaGetLastError();  // a host pointer on an old driver, or no driver: not a device pointer
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice;
}

void accumulate_device(void* dst, const void* src, std::size_t count, DataType type) {
  if (count == 0) return;
  switch (type) {
    case DataType::kFloat32: launch<float>(dst, src, count); break;
    case DataType::kFloat64: launch<double>(dst, src, count); break;
    case DataType::kInt32: launch<std::int32_t>(dst, src, count); break;
  }
}

}  // namespace aisys::comm
