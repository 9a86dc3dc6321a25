// aisys/comm/nccl_communicator.hpp: the NCCL backend of the Communicator, on device buffers.
//
// With MPI and more than one rank, rank 0's ncclUniqueId is broadcast over MPI and each rank uses
// GPU (its rank among the ranks of its node, mod the node's devices); without MPI, or with one
// rank, a single-rank communicator needs nothing else (a GPU machine may have one GPU and no MPI:
// NCCL refuses two ranks on one GPU). isend/irecv are queued and issued together, in one
// ncclGroupStart/End, at the next test(), wait() or blocking call, and a blocking call joins that
// group (NCCL needs a send and its matching receive in flight together: `isend(next); recv(prev)`
// is one group). NCCL pairs point-to-point calls by their order per peer, not by tag, so messages
// between two ranks in one direction may be in flight under one tag at a time (InvalidArgument
// naming both tags otherwise). A group NCCL refuses throws; its requests end failed (wait() throws
// why) and the communicator stays usable. Waits poll ncclCommGetAsyncError: an error NCCL finds in
// the background (a peer's connection lost) aborts the communicator, fails every request in flight
// with the reason, and throws LibraryError naming the operation waited for; later calls throw the
// same reason. comm::accumulate() works on device buffers too (it looks at the pointers). nccl_allreduce_baseline() is the vendor all-reduce that lab 05's algorithms are
// measured against on this backend.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "aisys/comm/communicator.hpp"

namespace aisys::comm {

// Throws LibraryError naming why when the build has no NCCL or the machine no GPU.
std::unique_ptr<Communicator> make_nccl_communicator();
bool have_nccl();
// "" when make_nccl_communicator() can succeed on every rank of the job, else why not (no NCCL in
// the build, no GPU, more ranks on a node than GPUs). Under MPI with more than one rank it is
// collective (every rank calls it and all get one verdict), so a test can skip on every rank alike.
std::string nccl_unavailable_reason();
// The NCCL library's version ("2.28.9"), "" when the build has no NCCL.
std::string nccl_version();

// Lab 05's vendor baseline on this backend: ncclAllReduce, a sum in place over every rank of `c`,
// on device memory; returns when the result is in `device_data`. `c` must be an NCCL communicator
// (InvalidArgument naming its backend otherwise). Platform code that lab 05's allowed symbols do
// not admit: a submission that calls it has its performance parts zeroed, like MPI_Allreduce.
void nccl_allreduce_baseline(Communicator& c, void* device_data, std::size_t count, DataType type);

}  // namespace aisys::comm
