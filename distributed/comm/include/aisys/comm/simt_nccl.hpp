// aisys/comm/simt_nccl.hpp: the emulated NCCL (aisys::simt_nccl, src/simt_nccl.cpp), NCCL's entry
// points for a program built on the SIMT emulator's runtime (aisys::simt_cudart), so that the NCCL
// backend of the Communicator and lab 05's algorithms on it run on a machine without a GPU.
//
// What it is: every call of nccl.h the project makes (ncclGetUniqueId, ncclCommInitRank,
// ncclCommDestroy, ncclCommAbort, ncclGroupStart/End, ncclSend, ncclRecv, ncclAllReduce,
// ncclCommGetAsyncError, ncclGetLastError, ncclGetErrorString, ncclGetVersion), answered as NCCL
// answers them, with NCCL's rules checked where a GPU would enforce them:
//   - one rank per process; with several, the ranks are the MPI job's (MPI started, nranks its
//     size, rank its rank), reach each other over MPI, and each needs a GPU of its own: two ranks
//     on one host's same device are refused at init (ncclInvalidUsage), as NCCL refuses them.
//     AISYS_SIMT_DEVICES gives the emulated machine more than one GPU;
//   - a buffer must lie inside one device allocation of the emulated runtime (ncclInvalidArgument
//     otherwise);
//   - point-to-point calls are paired by their order per peer, not by tag; a group's calls run
//     together; a send completes only once its receive has been posted (rendezvous, which NCCL
//     does not promise to be looser than); a send to itself needs its receive in the same group
//     (ncclInvalidUsage at ncclGroupEnd);
//   - the work runs on the stream given, later, as a GPU's: the runtime's queries, events and
//     synchronizations see it pending until the peers have done their part
//     (aisys/kernels/simt/runtime_support.hpp);
//   - a receive matched by a send of another size is an asynchronous error (ncclInvalidUsage from
//     ncclCommGetAsyncError, naming the receive and the send's size where MPI tells it) and the work
//     never completes, as NCCL's kernels would wait or corrupt; ncclCommAbort ends it, and until
//     then every call on the communicator returns the error;
//   - an all-reduce of no elements issues nothing, as NCCL's does not.
// What it is not: a model of NCCL's speed, its algorithms or its memory model. A rank that dies
// ends the whole MPI job (Open MPI's doing), where NCCL would report ncclRemoteError to its peers;
// inject_fault() below stands in for that in tests.
#pragma once

#include <nccl.h>

#include <string>

namespace aisys::simt::nccl {

enum class Fault {
  kAsyncError,  // the work never completes, and its communicator reports the error
  kHang,        // the work never completes, and nothing is reported (a peer that never posts)
};

// The (after + 1)-th group or lone call issued in this process from now on, on any communicator,
// suffers `fault` once it starts (one fault at a time; a later call replaces it).
void inject_fault(Fault fault, int after = 0, ncclResult_t error = ncclRemoteError,
                  const std::string& why = "a fault injected by the test (as a peer rank's failure)");
void clear_faults();

}  // namespace aisys::simt::nccl
