// The state behind a comm::Request (private to the backends).
#pragma once

#include <string>

#include "aisys/comm/communicator.hpp"

#if AISYS_HAVE_MPI
#include <mpi.h>
#endif

namespace aisys::comm {

struct Request::Impl {
#if AISYS_HAVE_MPI
  MPI_Request request = MPI_REQUEST_NULL;
#endif
  void* event = nullptr;  // NCCL backend: the cudaEvent_t that completes the operation
  bool done = false;
  bool is_recv = false;
  std::size_t count = 0;
  DataType type = DataType::kFloat32;
  int peer = -1, tag = 0;
  std::string what;   // "isend to rank 1 (tag 3, 64 float32)"
  std::string error;  // NCCL backend: why a request done without its transfer failed (wait() throws it)
};

}  // namespace aisys::comm
