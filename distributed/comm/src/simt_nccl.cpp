// The emulated NCCL (aisys::simt_nccl; what it is and is not: aisys/comm/simt_nccl.hpp). NCCL's
// C entry points, defined for a program that links this library instead of libnccl and the SIMT
// emulator's runtime (aisys::simt_cudart) instead of libcudart.
//
// A group (ncclGroupStart .. ncclGroupEnd, or one call outside a group) becomes one piece of stream
// work per communicator and stream (aisys/kernels/simt/runtime_support.hpp). The first time the runtime
// progresses it, it starts: sends to itself are copied, other sends become MPI_Issend and receives
// MPI_Irecv on the communicator's own duplicate of MPI_COMM_WORLD (one tag, so MPI's in-order
// matching per source is NCCL's pairing by order per peer), an all-reduce MPI_Iallreduce; then each
// progress is an MPI_Testall. A communicator's state outlives its handle, since work still on a
// stream refers to it.
#include "aisys/comm/simt_nccl.hpp"

#include <cuda_runtime_api.h>
#include <nccl.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aisys/kernels/simt/runtime_support.hpp"

#if AISYS_HAVE_MPI
#include <mpi.h>
#endif

namespace {

constexpr char kIdMagic[] = "aisys-simt-nccl";

thread_local std::string tl_last_error;

ncclResult_t fail(ncclResult_t r, const std::string& why) {
  tl_last_error = why;
  std::fprintf(stderr, "[ simt nccl ] %s\n", why.c_str());
  return r;
}

std::string ptr_str(const void* p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%p", p);
  return buf;
}

std::size_t type_size(ncclDataType_t t) {
  switch (t) {
    case ncclInt8: case ncclUint8: case ncclFloat8e4m3: case ncclFloat8e5m2: return 1;
    case ncclFloat16: case ncclBfloat16: return 2;
    case ncclInt32: case ncclUint32: case ncclFloat32: return 4;
    case ncclInt64: case ncclUint64: case ncclFloat64: return 8;
    default: return 0;
  }
}

struct Fault {
  aisys::simt::nccl::Fault kind = aisys::simt::nccl::Fault::kHang;
  int after = -1;  // < 0: none armed
  ncclResult_t error = ncclRemoteError;
  std::string why;
};
Fault& armed_fault() {
  static Fault f;
  return f;
}

class GroupWork;

#if AISYS_HAVE_MPI
// Requests an abort could not end: sends (Open MPI may not cancel one) and all-reduces (a
// collective cannot be cancelled). Tested, never freed, until they complete.
std::vector<MPI_Request>& orphans() {
  static std::vector<MPI_Request> o;
  return o;
}
void test_orphans() {
  std::erase_if(orphans(), [](MPI_Request& r) {
    int done = 0;
    return r == MPI_REQUEST_NULL || MPI_Test(&r, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || done != 0;
  });
}
#endif

bool mpi_usable();

// A communicator's state, shared by its handle and the work it issued; its MPI communicator is
// freed with it, once no work refers to it.
struct CommState {
  int rank = 0, nranks = 1, device = 0;
  bool aborted = false;
  ncclResult_t async_error = ncclSuccess;
  std::string async_why;
#if AISYS_HAVE_MPI
  MPI_Comm mpi = MPI_COMM_NULL;
#endif
  std::vector<std::weak_ptr<GroupWork>> works;

  CommState() = default;
  CommState(const CommState&) = delete;
  CommState& operator=(const CommState&) = delete;
  ~CommState() {
#if AISYS_HAVE_MPI
    if (mpi != MPI_COMM_NULL && mpi_usable()) MPI_Comm_free(&mpi);
#endif
  }

  void set_async_error(ncclResult_t e, const std::string& why) {
    if (async_error != ncclSuccess) return;
    async_error = e;
    async_why = "rank " + std::to_string(rank) + ": " + why;
    std::fprintf(stderr, "[ simt nccl ] %s\n", async_why.c_str());
  }
};

}  // namespace

struct ncclComm {
  std::shared_ptr<CommState> state;
};

namespace {

bool mpi_usable() {
#if AISYS_HAVE_MPI
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
#else
  return false;
#endif
}

struct Op {
  enum Kind { kSend, kRecv, kAllReduce } kind;
  const void* send = nullptr;
  void* recv = nullptr;
  std::size_t count = 0;
  ncclDataType_t type = ncclFloat32;
  ncclRedOp_t op = ncclSum;
  int peer = 0;
  std::size_t bytes() const { return count * type_size(type); }
  std::string str() const {
    const std::string n = std::to_string(count) + " element(s) (" + std::to_string(bytes()) + " bytes)";
    switch (kind) {
      case kSend: return "ncclSend of " + n + " to rank " + std::to_string(peer);
      case kRecv: return "ncclRecv of " + n + " from rank " + std::to_string(peer);
      case kAllReduce: return "ncclAllReduce of " + n;
    }
    return "";
  }
};

// One group's calls on one communicator and stream, as work on that stream.
class GroupWork {
 public:
  GroupWork(std::shared_ptr<CommState> state, std::vector<Op> ops) : state_(std::move(state)), ops_(std::move(ops)) {}
  ~GroupWork() { cancel(); }

  bool progress() {
#if AISYS_HAVE_MPI
    if (!orphans().empty() && mpi_usable()) test_orphans();
#endif
    if (state_->aborted) {
      cancel();
      return true;  // an aborted communicator's kernels end
    }
    if (stuck_) return false;
    if (!started_) start();
    if (stuck_) return false;
#if AISYS_HAVE_MPI
    if (requests_.empty()) return true;
    int done = 0;
    std::vector<MPI_Status> statuses(requests_.size());
    const int rc = MPI_Testall(static_cast<int>(requests_.size()), requests_.data(), &done, statuses.data());
    if (rc != MPI_SUCCESS) {
      std::string why = "MPI failed under " + describe();
      for (std::size_t i = 0; i < statuses.size(); ++i) {
        if (rc == MPI_ERR_IN_STATUS && statuses[i].MPI_ERROR != MPI_SUCCESS && statuses[i].MPI_ERROR != MPI_ERR_PENDING) {
          const Op& op = *request_ops_[i];
          int cls = 0;
          MPI_Error_class(statuses[i].MPI_ERROR, &cls);
          why = cls == MPI_ERR_TRUNCATE
                    ? op.str() + " was matched by a larger ncclSend (the sizes of a send and its receive must agree)"
                    : op.str() + " failed in MPI (error class " + std::to_string(cls) + ")";
          break;
        }
      }
      state_->set_async_error(ncclInvalidUsage, why);
      stuck_ = true;
      return false;
    }
    if (!done) return false;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      const Op& op = *request_ops_[i];
      if (op.kind != Op::kRecv) continue;
      int got = 0;
      MPI_Get_count(&statuses[i], MPI_BYTE, &got);
      if (static_cast<std::size_t>(got) != op.bytes()) {
        state_->set_async_error(ncclInvalidUsage, op.str() + " was matched by an ncclSend of " + std::to_string(got) +
                                                      " bytes (the sizes of a send and its receive must agree)");
        stuck_ = true;
        requests_.clear();
        request_ops_.clear();
        return false;
      }
    }
    requests_.clear();
    request_ops_.clear();
    return true;
#else
    return true;
#endif
  }

  // Ends what is in flight (ncclCommAbort, or the work dropped): receives are cancelled; sends are
  // asked to cancel and all-reduces left to finish, both kept among the orphans.
  void cancel() {
#if AISYS_HAVE_MPI
    if (!mpi_usable()) {
      requests_.clear();
      return;
    }
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      MPI_Request& r = requests_[i];
      if (r == MPI_REQUEST_NULL) continue;
      if (request_ops_[i]->kind != Op::kAllReduce) MPI_Cancel(&r);
      if (request_ops_[i]->kind == Op::kRecv) {
        MPI_Wait(&r, MPI_STATUS_IGNORE);  // a cancelled receive completes at once
      } else {
        orphans().push_back(r);
      }
    }
    test_orphans();
    request_ops_.clear();
#endif
    requests_.clear();
  }

 private:
  std::string describe() const {
    std::string s;
    for (const Op& op : ops_) s += (s.empty() ? "" : ", ") + op.str();
    return s;
  }

  void start() {
    started_ = true;
    Fault& f = armed_fault();
    if (f.after >= 0 && f.after-- == 0) {
      stuck_ = true;
      if (f.kind == aisys::simt::nccl::Fault::kAsyncError) state_->set_async_error(f.error, f.why + " (under " + describe() + ")");
      f = Fault{};
      return;
    }
    // Sends to itself: the i-th is the i-th receive from itself (ncclGroupEnd checked the sizes).
    std::vector<const Op*> self_sends, self_recvs;
    for (const Op& op : ops_) {
      if (op.kind == Op::kSend && op.peer == state_->rank) self_sends.push_back(&op);
      if (op.kind == Op::kRecv && op.peer == state_->rank) self_recvs.push_back(&op);
    }
    for (std::size_t i = 0; i < self_sends.size(); ++i) {
      if (self_sends[i]->bytes() != 0) std::memmove(self_recvs[i]->recv, self_sends[i]->send, self_sends[i]->bytes());
    }
    for (const Op& op : ops_) {
      if (op.kind == Op::kAllReduce && state_->nranks == 1) {
        if (op.send != op.recv && op.bytes() != 0) std::memmove(op.recv, op.send, op.bytes());
        continue;
      }
      if (op.kind != Op::kAllReduce && op.peer == state_->rank) continue;
#if AISYS_HAVE_MPI
      MPI_Request r = MPI_REQUEST_NULL;
      const int bytes = static_cast<int>(op.bytes());
      int rc = MPI_SUCCESS;
      switch (op.kind) {
        case Op::kSend: rc = MPI_Issend(op.send, bytes, MPI_BYTE, op.peer, 0, state_->mpi, &r); break;
        case Op::kRecv: rc = MPI_Irecv(op.recv, bytes, MPI_BYTE, op.peer, 0, state_->mpi, &r); break;
        case Op::kAllReduce:
          rc = MPI_Iallreduce(op.send == op.recv ? MPI_IN_PLACE : op.send, op.recv, static_cast<int>(op.count),
                              mpi_type(op.type), mpi_op(op.op), state_->mpi, &r);
          break;
      }
      if (rc != MPI_SUCCESS) {
        state_->set_async_error(ncclSystemError, op.str() + ": MPI refused to start it");
        stuck_ = true;
        return;
      }
      requests_.push_back(r);
      request_ops_.push_back(&op);
#endif
    }
  }

#if AISYS_HAVE_MPI
  static MPI_Datatype mpi_type(ncclDataType_t t) {
    switch (t) {
      case ncclInt8: return MPI_INT8_T;
      case ncclUint8: return MPI_UINT8_T;
      case ncclInt32: return MPI_INT32_T;
      case ncclUint32: return MPI_UINT32_T;
      case ncclInt64: return MPI_INT64_T;
      case ncclUint64: return MPI_UINT64_T;
      case ncclFloat32: return MPI_FLOAT;
      case ncclFloat64: return MPI_DOUBLE;
      default: return MPI_DATATYPE_NULL;  // refused by ncclAllReduce
    }
  }
  static MPI_Op mpi_op(ncclRedOp_t op) {
    switch (op) {
      case ncclProd: return MPI_PROD;
      case ncclMax: return MPI_MAX;
      case ncclMin: return MPI_MIN;
      default: return MPI_SUM;
    }
  }
  std::vector<MPI_Request> requests_;
  std::vector<const Op*> request_ops_;
#endif
  std::shared_ptr<CommState> state_;
  std::vector<Op> ops_;
  bool started_ = false;
  bool stuck_ = false;  // never completes (a fault, or a size mismatch); ncclCommAbort ends it
};

// The calls of the group being built on this thread, each with its communicator and stream.
struct Queued {
  std::shared_ptr<CommState> state;
  cudaStream_t stream;
  Op op;
};
thread_local int tl_group_depth = 0;
thread_local std::vector<Queued> tl_group;
thread_local ncclResult_t tl_group_error = ncclSuccess;

ncclResult_t check_comm(ncclComm_t comm, const char* call) {
  if (comm == nullptr || !comm->state) return fail(ncclInvalidArgument, std::string(call) + ": a null communicator");
  if (comm->state->aborted) return fail(ncclInvalidUsage, std::string(call) + ": the communicator was aborted");
  if (comm->state->async_error != ncclSuccess) {  // as NCCL refuses a communicator in error
    return fail(comm->state->async_error, std::string(call) + ": " + comm->state->async_why);
  }
  return ncclSuccess;
}

ncclResult_t check_buffer(const void* p, std::size_t bytes, const char* call, const char* which) {
  if (bytes == 0) return ncclSuccess;
  if (p == nullptr || !aisys::simt::cuda::is_device_range(p, bytes)) {
    cudaPointerAttributes a{};
    const bool device = p != nullptr && cudaPointerGetAttributes(&a, p) == cudaSuccess && a.type == cudaMemoryTypeDevice;
    return fail(ncclInvalidArgument, std::string(call) + ": " + which + " " + ptr_str(p) +
                                         (device ? " + " + std::to_string(bytes) + " bytes runs past the end of its device allocation"
                                                 : std::string(" is not device memory (NCCL sends from and receives into GPU memory)")));
  }
  if (bytes > static_cast<std::size_t>(INT_MAX)) {
    return fail(ncclInvalidArgument, std::string(call) + ": " + std::to_string(bytes) +
                                         " bytes in one call (the emulator moves at most 2 GiB per call)");
  }
  return ncclSuccess;
}

// Issues the calls queued on this thread: one piece of work per communicator and stream.
ncclResult_t issue(std::vector<Queued> calls) {
  std::vector<std::pair<std::pair<CommState*, cudaStream_t>, std::vector<Op>>> batches;
  std::map<CommState*, std::shared_ptr<CommState>> states;
  for (Queued& q : calls) {
    states[q.state.get()] = q.state;
    const auto key = std::make_pair(q.state.get(), q.stream);
    auto it = std::find_if(batches.begin(), batches.end(), [&](const auto& b) { return b.first == key; });
    if (it == batches.end()) {
      batches.push_back({key, {}});
      it = batches.end() - 1;
    }
    it->second.push_back(q.op);
  }
  // Sends to itself need their receives in the same group, in the same order, of the same size.
  for (const auto& [key, ops] : batches) {
    const int self = key.first->rank;
    std::vector<const Op*> sends, recvs;
    for (const Op& op : ops) {
      if (op.kind == Op::kSend && op.peer == self) sends.push_back(&op);
      if (op.kind == Op::kRecv && op.peer == self) recvs.push_back(&op);
    }
    for (std::size_t i = 0; i < std::max(sends.size(), recvs.size()); ++i) {
      if (i >= sends.size() || i >= recvs.size()) {
        const Op& lone = i < sends.size() ? *sends[i] : *recvs[i];
        return fail(ncclInvalidUsage, "ncclGroupEnd: rank " + std::to_string(self) + ": " + lone.str() +
                                          " without its matching " + (i < sends.size() ? "ncclRecv" : "ncclSend") +
                                          " in the same group (a rank's calls to itself are paired within a group)");
      }
      if (sends[i]->bytes() != recvs[i]->bytes()) {
        return fail(ncclInvalidUsage, "ncclGroupEnd: rank " + std::to_string(self) + ": " + sends[i]->str() +
                                          " paired with " + recvs[i]->str() + ": the sizes must agree");
      }
    }
  }
  for (auto& [key, ops] : batches) {
    auto work = std::make_shared<GroupWork>(states[key.first], std::move(ops));
    key.first->works.push_back(work);
    std::erase_if(key.first->works, [](const std::weak_ptr<GroupWork>& w) { return w.expired(); });
    try {
      aisys::simt::cuda::enqueue_stream_work(key.second, [work] { return work->progress(); });
    } catch (const std::exception& e) {
      return fail(ncclUnhandledCudaError, std::string("ncclGroupEnd: ") + e.what());
    }
  }
  return ncclSuccess;
}

ncclResult_t add(ncclComm_t comm, cudaStream_t stream, const Op& op) {
  if (tl_group_depth == 0) {
    std::vector<Queued> one{{comm->state, stream, op}};
    return issue(std::move(one));
  }
  tl_group.push_back({comm->state, stream, op});
  return ncclSuccess;
}

// A call's error inside a group also fails the group's ncclGroupEnd.
ncclResult_t in_group(ncclResult_t r) {
  if (r != ncclSuccess && tl_group_depth > 0 && tl_group_error == ncclSuccess) tl_group_error = r;
  return r;
}

// ncclSend's and ncclRecv's checks, then the call queued or issued.
ncclResult_t point_to_point(Op op, const char* call, const char* which, const void* buffer, std::size_t count,
                            ncclDataType_t datatype, int peer, ncclComm_t comm, cudaStream_t stream) {
  if (const ncclResult_t r = check_comm(comm, call); r != ncclSuccess) return r;
  if (type_size(datatype) == 0) return fail(ncclInvalidArgument, std::string(call) + ": an unknown data type");
  if (peer < 0 || peer >= comm->state->nranks) {
    return fail(ncclInvalidArgument, std::string(call) + ": peer " + std::to_string(peer) + " of " +
                                         std::to_string(comm->state->nranks) + " ranks");
  }
  if (const ncclResult_t r = check_buffer(buffer, count * type_size(datatype), call, which); r != ncclSuccess) return r;
  op.count = count;
  op.type = datatype;
  op.peer = peer;
  return add(comm, stream, op);
}

}  // namespace

namespace aisys::simt::nccl {

void inject_fault(Fault fault, int after, ncclResult_t error, const std::string& why) {
  armed_fault() = {fault, after < 0 ? 0 : after, error, why};
}
void clear_faults() { armed_fault() = {}; }

}  // namespace aisys::simt::nccl

extern "C" {

ncclResult_t ncclGetVersion(int* version) {
  if (version == nullptr) return fail(ncclInvalidArgument, "ncclGetVersion: a null pointer");
  *version = NCCL_VERSION_CODE;
  return ncclSuccess;
}

const char* ncclGetErrorString(ncclResult_t r) {
  switch (r) {
    case ncclSuccess: return "no error";
    case ncclUnhandledCudaError: return "unhandled cuda error";
    case ncclSystemError: return "unhandled system error";
    case ncclInternalError: return "internal error";
    case ncclInvalidArgument: return "invalid argument";
    case ncclInvalidUsage: return "invalid usage";
    case ncclRemoteError: return "remote process exited or there was a network error";
    case ncclInProgress: return "NCCL operation in progress";
    default: return "unknown result code";
  }
}

const char* ncclGetLastError(ncclComm_t comm) {
  if (comm != nullptr && comm->state && comm->state->async_error != ncclSuccess) return comm->state->async_why.c_str();
  return tl_last_error.c_str();
}

ncclResult_t ncclGetUniqueId(ncclUniqueId* id) {
  if (id == nullptr) return fail(ncclInvalidArgument, "ncclGetUniqueId: a null pointer");
  static std::uint64_t serial = 0;
  std::memset(id->internal, 0, sizeof id->internal);
  std::memcpy(id->internal, kIdMagic, sizeof kIdMagic);
  const std::uint64_t parts[2] = {static_cast<std::uint64_t>(getpid()), ++serial};
  std::memcpy(id->internal + sizeof kIdMagic, parts, sizeof parts);
  return ncclSuccess;
}

ncclResult_t ncclCommInitRank(ncclComm_t* comm, int nranks, ncclUniqueId id, int rank) {
  if (comm == nullptr) return fail(ncclInvalidArgument, "ncclCommInitRank: a null ncclComm_t*");
  *comm = nullptr;
  if (std::memcmp(id.internal, kIdMagic, sizeof kIdMagic) != 0) {
    return fail(ncclInvalidArgument, "ncclCommInitRank: the ncclUniqueId was not made by ncclGetUniqueId");
  }
  if (nranks < 1 || rank < 0 || rank >= nranks) {
    return fail(ncclInvalidArgument, "ncclCommInitRank: rank " + std::to_string(rank) + " of " + std::to_string(nranks));
  }
  auto state = std::make_shared<CommState>();
  state->rank = rank;
  state->nranks = nranks;
  cudaGetDevice(&state->device);
  if (nranks > 1) {
#if AISYS_HAVE_MPI
    if (!mpi_usable()) {
      return fail(ncclSystemError, "ncclCommInitRank: the emulated NCCL reaches the other " + std::to_string(nranks - 1) +
                                       " rank(s) through MPI, which this process has not started");
    }
    int world_rank = 0, world_size = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if (world_size != nranks || world_rank != rank) {
      return fail(ncclInvalidUsage, "ncclCommInitRank: rank " + std::to_string(rank) + " of " + std::to_string(nranks) +
                                        " in an MPI job where this process is rank " + std::to_string(world_rank) +
                                        " of " + std::to_string(world_size) +
                                        " (the emulated NCCL's ranks are the MPI job's)");
    }
    // Every rank must hold rank 0's id, and a GPU no other rank of its host holds.
    ncclUniqueId root = id;
    MPI_Bcast(root.internal, sizeof root.internal, MPI_BYTE, 0, MPI_COMM_WORLD);
    int same_id = std::memcmp(root.internal, id.internal, sizeof id.internal) == 0 ? 1 : 0, all_same = 0;
    MPI_Allreduce(&same_id, &all_same, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    struct Place {
      char host[64];
      int device;
    } mine{}, *places = nullptr;
    gethostname(mine.host, sizeof mine.host - 1);
    mine.device = state->device;
    std::vector<Place> all(static_cast<std::size_t>(nranks));
    places = all.data();
    MPI_Allgather(&mine, sizeof mine, MPI_BYTE, places, sizeof mine, MPI_BYTE, MPI_COMM_WORLD);
    if (all_same == 0) {
      return fail(ncclInvalidUsage, "ncclCommInitRank: rank " + std::to_string(rank) +
                                        ": the ranks were given different ncclUniqueIds (rank 0's must reach every rank)");
    }
    // Every pair, so that every rank comes to the same verdict (none goes on alone into the
    // collective set-up below).
    for (int a = 0; a < nranks; ++a) {
      for (int b = a + 1; b < nranks; ++b) {
        if (all[a].device == all[b].device && std::strcmp(all[a].host, all[b].host) == 0) {
          return fail(ncclInvalidUsage, "ncclCommInitRank: duplicate GPU: rank " + std::to_string(a) + " and rank " +
                                            std::to_string(b) + " both use device " + std::to_string(all[a].device) +
                                            " of host " + all[a].host + " (NCCL needs a GPU of its own for each rank)");
        }
      }
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &state->mpi);
    MPI_Comm_set_errhandler(state->mpi, MPI_ERRORS_RETURN);
#else
    return fail(ncclSystemError, "ncclCommInitRank: this emulated NCCL was built without MPI: one rank only");
#endif
  }
  *comm = new ncclComm{std::move(state)};
  return ncclSuccess;
}

// Frees the handle; work it issued that is still on a stream goes on, and the communicator's state
// (its MPI communicator) lives until that work is done.
ncclResult_t ncclCommDestroy(ncclComm_t comm) {
  if (comm == nullptr) return ncclSuccess;
  delete comm;
  return ncclSuccess;
}

// Ends every operation of the communicator in flight (their stream work completes) and frees the
// handle.
ncclResult_t ncclCommAbort(ncclComm_t comm) {
  if (comm == nullptr) return ncclSuccess;
  CommState& s = *comm->state;
  s.aborted = true;
  for (const std::weak_ptr<GroupWork>& w : s.works) {
    if (const auto work = w.lock()) work->cancel();
  }
  s.works.clear();
  delete comm;
  return ncclSuccess;
}

ncclResult_t ncclCommGetAsyncError(ncclComm_t comm, ncclResult_t* async_error) {
  if (comm == nullptr || async_error == nullptr) return fail(ncclInvalidArgument, "ncclCommGetAsyncError: a null argument");
  *async_error = comm->state->async_error;
  return ncclSuccess;
}

ncclResult_t ncclGroupStart() {
  if (tl_group_depth++ == 0) {
    tl_group.clear();
    tl_group_error = ncclSuccess;
  }
  return ncclSuccess;
}

ncclResult_t ncclGroupEnd() {
  if (tl_group_depth == 0) return fail(ncclInvalidUsage, "ncclGroupEnd without ncclGroupStart");
  if (--tl_group_depth > 0) return ncclSuccess;
  std::vector<Queued> calls;
  calls.swap(tl_group);
  if (tl_group_error != ncclSuccess) {
    const ncclResult_t e = tl_group_error;
    tl_group_error = ncclSuccess;
    return e;  // the failed call said why; nothing of the group is issued
  }
  return issue(std::move(calls));
}

ncclResult_t ncclSend(const void* sendbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                      cudaStream_t stream) {
  Op op{Op::kSend};
  op.send = sendbuff;
  return in_group(point_to_point(op, "ncclSend", "sendbuff", sendbuff, count, datatype, peer, comm, stream));
}

ncclResult_t ncclRecv(void* recvbuff, size_t count, ncclDataType_t datatype, int peer, ncclComm_t comm,
                      cudaStream_t stream) {
  Op op{Op::kRecv};
  op.recv = recvbuff;
  return in_group(point_to_point(op, "ncclRecv", "recvbuff", recvbuff, count, datatype, peer, comm, stream));
}

ncclResult_t ncclAllReduce(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype, ncclRedOp_t op,
                           ncclComm_t comm, cudaStream_t stream) {
  if (const ncclResult_t r = check_comm(comm, "ncclAllReduce"); r != ncclSuccess) return in_group(r);
  const bool reducible = datatype == ncclInt8 || datatype == ncclUint8 || datatype == ncclInt32 ||
                         datatype == ncclUint32 || datatype == ncclInt64 || datatype == ncclUint64 ||
                         datatype == ncclFloat32 || datatype == ncclFloat64;
  if (!reducible) {
    return in_group(fail(ncclInvalidArgument, "ncclAllReduce: the emulated NCCL reduces integers, float32 and float64 only"));
  }
  if (op != ncclSum && op != ncclProd && op != ncclMax && op != ncclMin) {
    return in_group(fail(ncclInvalidArgument, "ncclAllReduce: the emulated NCCL reduces with ncclSum, ncclProd, ncclMax and ncclMin only"));
  }
  const std::size_t bytes = count * type_size(datatype);
  if (const ncclResult_t r = check_buffer(sendbuff, bytes, "ncclAllReduce", "sendbuff"); r != ncclSuccess) return in_group(r);
  if (const ncclResult_t r = check_buffer(recvbuff, bytes, "ncclAllReduce", "recvbuff"); r != ncclSuccess) return in_group(r);
  if (count == 0) return ncclSuccess;  // NCCL issues nothing for an empty collective
  Op o{Op::kAllReduce};
  o.send = sendbuff;
  o.recv = recvbuff;
  o.count = count;
  o.type = datatype;
  o.op = op;
  return in_group(add(comm, stream, o));
}

}  // extern "C"
