// aisys/kernels/cuda/cudnn_check.hpp: AISYS_CUDNN_CHECK(stmt), the cuDNN member of the check-macro
// family of aisys/kernels/cuda/check.hpp. Include only where cuDNN is linked (AISYS_HAVE_CUDNN).
//
//   AISYS_CUDNN_CHECK(cudnnCreate(&handle));
//
// Evaluates the statement once; on any status but CUDNN_STATUS_SUCCESS throws aisys::LibraryError
// naming "cuDNN", the status, cudnnGetErrorString(), the statement, function, file and line.
#pragma once

#include <cudnn.h>

#include "aisys/kernels/error.hpp"

namespace aisys::cuda::detail {

[[noreturn]] inline void cudnn_failed(cudnnStatus_t status, const char* statement,
                                      const char* function, const char* file, int line) {
  ::aisys::report_library_error("cuDNN", static_cast<long>(status), cudnnGetErrorString(status),
                                statement, function, file, line);
}

}  // namespace aisys::cuda::detail

#define AISYS_CUDNN_CHECK(stmt)                                                                    \
  do {                                                                                             \
    const cudnnStatus_t aisys_cudnn_status_ = (stmt);                                              \
    if (aisys_cudnn_status_ != CUDNN_STATUS_SUCCESS) {                                             \
      ::aisys::cuda::detail::cudnn_failed(aisys_cudnn_status_, #stmt, __func__, __FILE__, __LINE__); \
    }                                                                                              \
  } while (0)
