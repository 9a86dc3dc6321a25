// aisys/kernels/cuda/fill.hpp: set every element of a device float array to one value, on a
// stream. Labs use it to poison device outputs (quiet NaN) before running the code under test, so
// that an element the kernel forgets to write cannot pass as a result. Include only from
// CUDA-enabled code (AISYS_HAVE_CUDA builds).
//
//   aisys::cuda::poison(c.data(), c.size(), stream.get());   // NaN everywhere
//   aisys::cuda::fill(c.data(), c.size(), 0.0f, stream.get());
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <limits>

namespace aisys::cuda {

// device_ptr[i] = value for i in [0, n), asynchronously on `stream` (grid-stride loop kernel).
// n == 0 launches nothing; a null pointer with n > 0 throws InvalidArgument; a failed launch
// throws LibraryError.
void fill(float* device_ptr, std::size_t n, float value, cudaStream_t stream = nullptr);

// fill() with a quiet NaN.
inline void poison(float* device_ptr, std::size_t n, cudaStream_t stream = nullptr) {
  fill(device_ptr, n, std::numeric_limits<float>::quiet_NaN(), stream);
}

}  // namespace aisys::cuda
