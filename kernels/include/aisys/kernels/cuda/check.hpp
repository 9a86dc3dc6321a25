// aisys/kernels/cuda/check.hpp: the check macros for the CUDA runtime and cuBLAS. Include only from
// CUDA-enabled code (AISYS_HAVE_CUDA builds); cuDNN and NCCL have their own headers
// (cudnn_check.hpp, nccl_check.hpp) so that code using neither does not need their headers.
//
//   AISYS_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
//   my_kernel<<<grid, block, 0, stream>>>(...);
//   AISYS_CUDA_LAUNCH_CHECK();
//   AISYS_CUBLAS_CHECK(cublasSgemm(handle, ...));
//
// Each macro evaluates its statement exactly once and, when it fails, throws aisys::LibraryError
// through aisys::report_library_error() with the library, the error code, the library's own error
// name and string (cuBLAS's through cublas_status_message()), the statement, function, file and line:
//   CUDA error 1 (cudaErrorInvalidValue: invalid argument) in `cudaMemcpy(...)` at f file.cpp:42
// A failed CUDA call's error is cleared from the runtime's last-error slot before throwing, so a
// later AISYS_CUDA_LAUNCH_CHECK does not report it a second time (sticky errors, such as an illegal
// address in a kernel, stay: the context is unusable after them).
//
// Define AISYS_CUDA_SYNC_AFTER_LAUNCH to make AISYS_CUDA_LAUNCH_CHECK() also synchronize the device,
// so that a kernel's own faults are reported at its launch site (debugging only: it serializes).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#include "aisys/kernels/cuda/cublas_library.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::cuda::detail {

[[noreturn]] inline void cuda_failed(cudaError_t status, const char* statement, const char* function,
                                     const char* file, int line) {
  (void)cudaGetLastError();  // clear a non-sticky error so that it is reported once
  const std::string message = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
  ::aisys::report_library_error("CUDA", static_cast<long>(status), message, statement, function, file,
                                line);
}

[[noreturn]] inline void cublas_failed(cublasStatus_t status, const char* statement,
                                       const char* function, const char* file, int line) {
  // The status strings come from the cuBLAS that cublas_library() opens, so that a check does not
  // by itself make a program link cuBLAS (cublas_library.hpp says why that matters).
  ::aisys::report_library_error("cuBLAS", static_cast<long>(status), cublas_status_message(status),
                                statement, function, file, line);
}

}  // namespace aisys::cuda::detail

#define AISYS_CUDA_CHECK(stmt)                                                                  \
  do {                                                                                          \
    const cudaError_t aisys_cuda_status_ = (stmt);                                              \
    if (aisys_cuda_status_ != cudaSuccess) {                                                    \
      ::aisys::cuda::detail::cuda_failed(aisys_cuda_status_, #stmt, __func__, __FILE__, __LINE__); \
    }                                                                                           \
  } while (0)

#if defined(AISYS_CUDA_SYNC_AFTER_LAUNCH)
#define AISYS_CUDA_DETAIL_SYNC_AFTER_LAUNCH() AISYS_CUDA_CHECK(cudaDeviceSynchronize())
#else
#define AISYS_CUDA_DETAIL_SYNC_AFTER_LAUNCH() ((void)0)
#endif

// Right after a kernel launch: reports a bad configuration (too many threads, too much shared
// memory, no kernel image for this GPU) at the launch site.
#define AISYS_CUDA_LAUNCH_CHECK()                                                              \
  do {                                                                                         \
    const cudaError_t aisys_launch_status_ = cudaGetLastError();                               \
    if (aisys_launch_status_ != cudaSuccess) {                                                 \
      ::aisys::cuda::detail::cuda_failed(aisys_launch_status_, "kernel launch (cudaGetLastError())", \
                                         __func__, __FILE__, __LINE__);                        \
    }                                                                                          \
    AISYS_CUDA_DETAIL_SYNC_AFTER_LAUNCH();                                                     \
  } while (0)

#define AISYS_CUBLAS_CHECK(stmt)                                                                    \
  do {                                                                                              \
    const cublasStatus_t aisys_cublas_status_ = (stmt);                                             \
    if (aisys_cublas_status_ != CUBLAS_STATUS_SUCCESS) {                                            \
      ::aisys::cuda::detail::cublas_failed(aisys_cublas_status_, #stmt, __func__, __FILE__, __LINE__); \
    }                                                                                               \
  } while (0)
