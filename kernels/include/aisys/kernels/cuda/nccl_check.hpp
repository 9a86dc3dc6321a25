// aisys/kernels/cuda/nccl_check.hpp: AISYS_NCCL_CHECK(stmt), the NCCL member of the check-macro
// family of aisys/kernels/cuda/check.hpp. Include only where NCCL is linked (AISYS_HAVE_NCCL).
//
//   AISYS_NCCL_CHECK(ncclAllReduce(send, recv, n, ncclFloat, ncclSum, comm, stream));
//
// Evaluates the statement once; on any result but ncclSuccess throws aisys::LibraryError naming
// "NCCL", the result, ncclGetErrorString() and NCCL's last detailed message (ncclGetLastError),
// the statement, function, file and line. Code using non-blocking communicators, where
// ncclInProgress is expected, polls ncclCommGetAsyncError itself. The caller that knows its rank
// and host adds them when it rethrows (see distributed/).
#pragma once

#include <nccl.h>

#include <string>

#include "aisys/kernels/error.hpp"

namespace aisys::cuda::detail {

[[noreturn]] inline void nccl_failed(ncclResult_t result, const char* statement, const char* function,
                                     const char* file, int line) {
  std::string message = ncclGetErrorString(result);
  const char* detail = ncclGetLastError(nullptr);
  if (detail != nullptr && detail[0] != '\0') message.append(": ").append(detail);
  ::aisys::report_library_error("NCCL", static_cast<long>(result), message, statement, function, file,
                                line);
}

}  // namespace aisys::cuda::detail

#define AISYS_NCCL_CHECK(stmt)                                                                   \
  do {                                                                                           \
    const ncclResult_t aisys_nccl_result_ = (stmt);                                              \
    if (aisys_nccl_result_ != ncclSuccess) {                                                     \
      ::aisys::cuda::detail::nccl_failed(aisys_nccl_result_, #stmt, __func__, __FILE__, __LINE__); \
    }                                                                                            \
  } while (0)
