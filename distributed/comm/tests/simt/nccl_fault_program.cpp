// A two-rank program that misbehaves on purpose on the NCCL backend under the emulated NCCL
// (aisys/comm/simt_nccl.hpp), for CTest's fault tests (distributed/comm/CMakeLists.txt), which check
// that the job ends promptly with the waiting rank's reason:
//   never-sends    rank 0 waits for a message rank 1 never sends: rank 0's wait ends after
//                  AISYS_NCCL_WAIT_S seconds, naming what it waited for
//   wrong-count    rank 1 sends 3 floats where rank 0 receives 4: rank 0 reports NCCL's
//                  asynchronous error, naming both sizes
//   duplicate-gpu  both ranks take device 0 and call ncclCommInitRank: refused, as NCCL refuses it
// A rank that catches an error prints it and ends the job (MPI_Abort), as a training script would.
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "aisys/comm/communicator.hpp"
#include "aisys/comm/nccl_communicator.hpp"
#include "aisys/kernels/error.hpp"

namespace {

void* device_floats(std::size_t n) {
  void* p = nullptr;
  if (cudaMalloc(&p, n * sizeof(float)) != cudaSuccess) throw aisys::LibraryError("cudaMalloc failed");
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  auto& world = aisys::comm::mpi_world();
  if (world.size() != 2) {
    std::fprintf(stderr, "nccl_fault_program: needs 2 ranks\n");
    return 2;
  }
  const int rank = world.rank();
  try {
    if (mode == "never-sends" || mode == "wrong-count") {
      const std::unique_ptr<aisys::comm::Communicator> c = aisys::comm::make_nccl_communicator();
      void* x = device_floats(4);
      if (rank == 0) {
        c->recv(x, 4, aisys::comm::DataType::kFloat32, 1, 0);
      } else if (mode == "wrong-count") {
        c->send(x, 3, aisys::comm::DataType::kFloat32, 0, 0);
      }
      MPI_Barrier(MPI_COMM_WORLD);  // rank 1 waits here for rank 0, which never arrives
    } else if (mode == "duplicate-gpu") {
      cudaSetDevice(0);
      ncclUniqueId id;
      if (rank == 0) ncclGetUniqueId(&id);
      MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
      ncclComm_t comm = nullptr;
      const ncclResult_t r = ncclCommInitRank(&comm, 2, id, rank);
      if (r != ncclSuccess) {
        throw aisys::LibraryError(std::string("ncclCommInitRank: ") + ncclGetErrorString(r) + ": " + ncclGetLastError(nullptr));
      }
      ncclCommDestroy(comm);
    } else {
      std::fprintf(stderr, "nccl_fault_program: mode never-sends | wrong-count | duplicate-gpu\n");
      return 2;
    }
  } catch (const aisys::Error& e) {
    std::fprintf(stderr, "nccl_fault_program: %s\n", e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  std::fprintf(stderr, "nccl_fault_program: rank %d: the fault went unnoticed\n", rank);
  return 0;
}
