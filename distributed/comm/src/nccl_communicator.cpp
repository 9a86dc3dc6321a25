// The NCCL backend of comm::Communicator (nccl_communicator.hpp). Every wait polls the stream or
// the request's event and, meanwhile, ncclCommGetAsyncError: an error NCCL detects in the
// background (a lost connection to a peer, a remote rank's failure) aborts the communicator, whose
// kernels would otherwise wait for the peer forever, and the wait throws naming it. A wait that
// sees no error but no progress either (a peer that died without NCCL noticing, or never posts the
// matching call) ends the same way after AISYS_NCCL_WAIT_S seconds (default 300).
#include "aisys/comm/nccl_communicator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "aisys/kernels/error.hpp"

#if AISYS_HAVE_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/cuda/nccl_check.hpp"
#include "aisys/kernels/device.hpp"
#include "request_impl.hpp"
#if AISYS_HAVE_MPI
#include <mpi.h>
#endif
#endif

namespace aisys::comm {

namespace {

InvalidArgument not_an_nccl_communicator(const Communicator& c) {
  return InvalidArgument("nccl_allreduce_baseline: the communicator's backend is '" + c.backend() +
                         "', not 'nccl' (it runs on device memory of an NCCL communicator: make_nccl_communicator())");
}

}  // namespace

#if AISYS_HAVE_NCCL

namespace {

ncclDataType_t nccl_type(DataType t) {
  switch (t) {
    case DataType::kFloat32: return ncclFloat32;
    case DataType::kFloat64: return ncclFloat64;
    case DataType::kInt32: return ncclInt32;
  }
  return ncclFloat32;
}

// Whether this process is one rank of a multi-rank MPI job, whose ranks share one NCCL
// communicator. MPI already running says so; a process mpirun started (OMPI_COMM_WORLD_SIZE, or
// PMI_SIZE elsewhere, above 1) joins its job; otherwise it is a lone process and MPI is not
// started for it (a singleton MPI_Init needs Open MPI's helper daemon, may refuse root, and gives a
// one-rank world anyway).
bool in_multi_rank_job() {
#if AISYS_HAVE_MPI
  if (!have_mpi()) return false;
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) return false;
  if (!initialized) {
    const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (size == nullptr) size = std::getenv("PMI_SIZE");
    if (size == nullptr || std::atoi(size) <= 1) return false;
  }
  return mpi_world().size() > 1;
#else
  return false;
#endif
}

// How long a wait may see neither progress nor an error: AISYS_NCCL_WAIT_S, default 300 s.
double wait_limit_s() {
  const char* v = std::getenv("AISYS_NCCL_WAIT_S");
  if (v == nullptr || *v == '\0') return 300.0;
  char* end = nullptr;
  const double s = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(s > 0)) {
    throw InvalidArgument(std::string("AISYS_NCCL_WAIT_S=") + v + ": not a positive number of seconds");
  }
  return s;
}

// This rank's place among the ranks of its node (the GPU it takes) and how many share the node.
// Collective under MPI with more than one rank.
struct NodePlace {
  int rank = 0;
  int ranks = 1;
};
NodePlace node_place() {
  NodePlace place;
#if AISYS_HAVE_MPI
  if (in_multi_rank_job()) {
    place.rank = mpi_world().rank();
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, place.rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
      MPI_Comm_rank(node, &place.rank);
      MPI_Comm_size(node, &place.ranks);
      MPI_Comm_free(&node);
    }
  }
#endif
  return place;
}

// Why this rank cannot have an NCCL communicator, "" when it can.
std::string local_nccl_obstacle(int devices, const NodePlace& place) {
  if (place.ranks > devices) {
    // NCCL refuses two ranks on one GPU (ncclInvalidUsage at init, after every rank has waited).
    return std::to_string(place.ranks) + " ranks on this node but " + std::to_string(devices) +
           " GPU(s): NCCL needs a GPU of its own for each rank (run at most " + std::to_string(devices) +
           " ranks per node)";
  }
  return "";
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator() {
    if (!gpu_available()) throw LibraryError("NCCL communicator: no GPU here (" + gpu_unavailable_reason() + ")");
    note_device_memory_in_use();
    ncclUniqueId id;
    rank_ = 0;
    size_ = 1;
#if AISYS_HAVE_MPI
    if (in_multi_rank_job()) {
      rank_ = mpi_world().rank();
      size_ = mpi_world().size();
      if (rank_ == 0) AISYS_NCCL_CHECK(ncclGetUniqueId(&id));
      if (MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
        throw LibraryError("rank " + std::to_string(rank_) + ": NCCL communicator: MPI_Bcast of rank 0's ncclUniqueId failed");
      }
    } else {
      AISYS_NCCL_CHECK(ncclGetUniqueId(&id));
    }
#else
    AISYS_NCCL_CHECK(ncclGetUniqueId(&id));
#endif
    // The GPU is chosen by the rank among the ranks of this node, not of the whole job.
    const NodePlace place = node_place();
    int devices = 0;
    AISYS_CUDA_CHECK(cudaGetDeviceCount(&devices));
    if (const std::string why = local_nccl_obstacle(devices, place); !why.empty()) {
      throw LibraryError("rank " + std::to_string(rank_) + ": NCCL communicator: " + why);
    }
    AISYS_CUDA_CHECK(cudaSetDevice(place.rank));
    AISYS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    AISYS_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  }

  ~NcclCommunicator() override {
    // ncclCommDestroy first finishes what is in flight: with requests still issued or queued (an
    // exception unwound past them) their peers may never match them, so abort instead.
    if (comm_) {
      if (issued_.empty() && pending_.empty()) ncclCommDestroy(comm_);
      else ncclCommAbort(comm_);
    }
    if (stream_) cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  // Blocking calls join the queued isend/irecv in one group (NCCL needs a send and its receive in
  // flight together: `isend(next); recv(prev)` must be one group), then wait for the stream.
  void send(const void* buffer, std::size_t count, DataType type, int dest, int tag) override {
    post({false, const_cast<void*>(buffer), count, type, dest, tag}, "send to");
    flush();
    wait_for_stream("send to rank " + std::to_string(dest));
  }
  void recv(void* buffer, std::size_t count, DataType type, int source, int tag) override {
    post({true, buffer, count, type, source, tag}, "recv from");
    flush();
    wait_for_stream("recv from rank " + std::to_string(source));
  }
  void sendrecv(const void* send_buffer, std::size_t send_count, int dest, void* recv_buffer, std::size_t recv_count,
                int source, DataType type, int tag) override {
    const Pending send_op{false, const_cast<void*>(send_buffer), send_count, type, dest, tag};
    const Pending recv_op{true, recv_buffer, recv_count, type, source, tag};
    check(send_op, "sendrecv to");
    check(recv_op, "sendrecv from");  // both checked before either is queued
    pending_.push_back(send_op);
    pending_.push_back(recv_op);
    flush();
    wait_for_stream("sendrecv to rank " + std::to_string(dest) + " and from rank " + std::to_string(source));
  }

  Request isend(const void* buffer, std::size_t count, DataType type, int dest, int tag) override {
    return queue({false, const_cast<void*>(buffer), count, type, dest, tag});
  }
  Request irecv(void* buffer, std::size_t count, DataType type, int source, int tag) override {
    return queue({true, buffer, count, type, source, tag});
  }

  bool test(Request& r) override {
    Request::Impl* impl = active(r);
    if (impl->done) return finished(*impl);
    flush();
    const cudaError_t rc = cudaEventQuery(static_cast<cudaEvent_t>(impl->event));
    if (rc == cudaErrorNotReady) {
      clear_not_ready();
      check_async_error(impl->what);
      return false;
    }
    AISYS_CUDA_CHECK(rc);
    complete(*impl);
    return true;
  }
  void wait(Request& r) override {
    Request::Impl* impl = active(r);
    if (impl->done) {
      finished(*impl);
      return;
    }
    flush();
    const auto event = static_cast<cudaEvent_t>(impl->event);
    wait_until([event] { return cudaEventQuery(event); }, impl->what);
    complete(*impl);
  }
  void wait_all(std::span<Request> requests) override {
    for (Request& r : requests) {
      if (r.active()) wait(r);
    }
  }
  // Device memory: what NCCL sends from and receives into.
  Scratch scratch(std::size_t bytes) override {
    void* p = nullptr;
    aisys::note_device_memory_in_use();
    AISYS_CUDA_CHECK(cudaMalloc(&p, std::max<std::size_t>(bytes, 1)));
    return Scratch(p, bytes, [](void* q) { cudaFree(q); });
  }
  void copy_in(void* dst, const void* host_src, std::size_t bytes) override {
    if (bytes == 0) return;
    wait_for_stream("copy_in");  // nothing of ours still reading or writing dst
    AISYS_CUDA_CHECK(cudaMemcpy(dst, host_src, bytes, cudaMemcpyHostToDevice));
    // From pageable memory cudaMemcpy may return once the bytes are staged; NCCL's stream is not
    // ordered after the default stream, so wait for the copy itself.
    AISYS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
  }
  void copy_out(void* host_dst, const void* src, std::size_t bytes) override {
    if (bytes == 0) return;
    wait_for_stream("copy_out");
    AISYS_CUDA_CHECK(cudaMemcpy(host_dst, src, bytes, cudaMemcpyDeviceToHost));
  }
  // nccl_allreduce_baseline(): ncclAllReduce in place, after any queued point-to-point calls.
  void allreduce_sum(void* data, std::size_t count, DataType type) {
    flush();
    if (count == 0) return;
    AISYS_NCCL_CHECK(ncclAllReduce(data, data, count, nccl_type(type), ncclSum, live(), stream_));
    wait_for_stream("ncclAllReduce of " + std::to_string(count) + " " + name_of(type));
  }

  void barrier() override {
    flush();
    float* one = nullptr;
    AISYS_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&one), sizeof(float), stream_));
    AISYS_NCCL_CHECK(ncclAllReduce(one, one, 1, ncclFloat32, ncclSum, live(), stream_));
    AISYS_CUDA_CHECK(cudaFreeAsync(one, stream_));
    wait_for_stream("barrier");
  }

 private:
  struct Pending {
    bool is_recv;
    void* buffer;
    std::size_t count;
    DataType type;
    int peer;
    int tag;
    Request::Impl* impl = nullptr;  // null for a blocking call's operation
  };

  void check_args(const char* op, int peer, int tag) const {
    if (peer < 0 || peer >= size_) {
      throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) +
                            ", which does not exist (ranks 0.." + std::to_string(size_ - 1) + ")");
    }
    if (tag < 0) throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " with a negative tag");
  }

  // NCCL pairs the operations between two ranks by their order, not by tag. Two messages in flight
  // to one peer (one direction) under different tags could be paired with the other side's in the
  // wrong order, which MPI's tag matching would have sorted out: refuse that, naming both.
  void check_tag_order(bool is_recv, int peer, int tag, const char* op) const {
    const auto it = in_flight_.find({peer, is_recv});
    if (it == in_flight_.end() || it->second.outstanding == 0 || it->second.tag == tag) return;
    const char* earlier = is_recv ? "an irecv from" : "an isend to";
    throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) + " with tag " +
                          std::to_string(tag) + " while " + earlier + " rank " + std::to_string(peer) + " with tag " +
                          std::to_string(it->second.tag) +
                          " is in flight: the NCCL backend matches messages by order, not by tag, so the messages "
                          "between two ranks in one direction must be in flight under one tag at a time (wait for "
                          "the earlier ones first)");
  }

  void check(const Pending& p, const char* op) const {
    check_args(op, p.peer, p.tag);
    check_tag_order(p.is_recv, p.peer, p.tag, op);
  }

  void post(const Pending& p, const char* op) {
    check(p, op);
    pending_.push_back(p);
  }

  Request queue(Pending p) {
    const char* op = p.is_recv ? "irecv from" : "isend to";
    check(p, op);
    auto impl = std::make_unique<Request::Impl>();
    impl->is_recv = p.is_recv;
    impl->count = p.count;
    impl->type = p.type;
    impl->peer = p.peer;
    impl->tag = p.tag;
    impl->what = std::string(op) + " rank " + std::to_string(p.peer) + " (tag " + std::to_string(p.tag) + ", " +
                 std::to_string(p.count) + " " + name_of(p.type) + ", nccl)";
    p.impl = impl.get();
    pending_.push_back(p);
    InFlight& f = in_flight_[{p.peer, p.is_recv}];
    f.tag = p.tag;
    ++f.outstanding;
    return Request(std::move(impl));
  }

  // Issues every queued operation in one group and gives each request its completion event. When
  // NCCL refuses the group (an isend to itself without its irecv, say), the queue is emptied and its
  // requests end failed (their wait() throws the reason), so the communicator stays usable.
  void flush() {
    if (pending_.empty()) return;
    (void)wait_limit_s();  // an unusable AISYS_NCCL_WAIT_S is refused before anything is issued
    std::vector<Pending> batch;
    batch.swap(pending_);
    bool in_group = false;
    try {
      AISYS_NCCL_CHECK(ncclGroupStart());
      in_group = true;
      for (const Pending& p : batch) {
        if (p.is_recv) AISYS_NCCL_CHECK(ncclRecv(p.buffer, p.count, nccl_type(p.type), p.peer, live(), stream_));
        else AISYS_NCCL_CHECK(ncclSend(p.buffer, p.count, nccl_type(p.type), p.peer, live(), stream_));
      }
      in_group = false;
      AISYS_NCCL_CHECK(ncclGroupEnd());
      for (const Pending& p : batch) {
        if (p.impl == nullptr) continue;
        cudaEvent_t event;
        AISYS_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
        p.impl->event = event;
        issued_.push_back(p.impl);
        AISYS_CUDA_CHECK(cudaEventRecord(event, stream_));
      }
    } catch (const std::exception& e) {
      if (in_group) (void)ncclGroupEnd();  // close the group, whatever it holds; the error is e
      for (const Pending& p : batch) {
        if (p.impl != nullptr && !p.impl->done && p.impl->event == nullptr) {
          p.impl->error = "rank " + std::to_string(rank_) + ": " + p.impl->what + " was never issued: " + e.what();
          complete(*p.impl);
        }
      }
      throw;
    }
  }

  // The communicator, or why it is gone: after an asynchronous error it is aborted, and every later
  // operation fails with that reason rather than reaching NCCL with a dead handle.
  ncclComm_t live() const {
    if (comm_ == nullptr) throw LibraryError(aborted_);
    return comm_;
  }

  // Polls `query` (cudaEventQuery or cudaStreamQuery) until the work is done, asking NCCL every 256
  // polls for an error found in the background; yields the core between those checks. Past
  // wait_limit_s() without completion the communicator is aborted and the wait throws.
  template <class Query>
  void wait_until(Query query, const std::string& what) {
    const auto start = std::chrono::steady_clock::now();
    const double limit = wait_limit_s();
    for (unsigned polls = 1;; ++polls) {
      const cudaError_t rc = query();
      if (rc == cudaSuccess) return;
      if (rc != cudaErrorNotReady) AISYS_CUDA_CHECK(rc);
      clear_not_ready();
      if (polls % 256 == 0) {
        check_async_error(what);
        const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (waited > limit) {
          abort_and_throw("rank " + std::to_string(rank_) + ": no progress in " + std::to_string(static_cast<int>(waited)) +
                          " s waiting for " + what +
                          " and no error from NCCL: a peer rank has likely died, or never posts the matching call; "
                          "the NCCL communicator was aborted (AISYS_NCCL_WAIT_S sets the limit, in seconds)");
        }
        std::this_thread::yield();
      }
    }
  }
  // A query's cudaErrorNotReady is not an error, but it may be left as the runtime's last error,
  // where the next launch check would report it.
  static void clear_not_ready() {
    if (cudaPeekAtLastError() == cudaErrorNotReady) (void)cudaGetLastError();
  }
  void wait_for_stream(const std::string& what) {
    cudaStream_t stream = stream_;
    wait_until([stream] { return cudaStreamQuery(stream); }, what);
  }

  // An error NCCL found in the background aborts the communicator (its kernels end instead of
  // waiting for a peer that is gone) and throws, naming the operation waited for.
  void check_async_error(const std::string& what) {
    ncclResult_t state = ncclSuccess;
    AISYS_NCCL_CHECK(ncclCommGetAsyncError(live(), &state));
    if (state == ncclSuccess || state == ncclInProgress) return;
    const char* last = ncclGetLastError(comm_);
    abort_and_throw("rank " + std::to_string(rank_) + ": NCCL reported " + ncclGetErrorString(state) +
                    (last != nullptr && *last != '\0' ? std::string(" (") + last + ")" : std::string()) +
                    " while waiting for " + what + "; the NCCL communicator was aborted (a peer rank has likely failed)");
  }

  // Aborts the communicator (its kernels end instead of waiting for a peer) and throws `why`, which
  // every later operation repeats.
  [[noreturn]] void abort_and_throw(const std::string& why) {
    aborted_ = why;
    (void)ncclCommAbort(comm_);
    comm_ = nullptr;
    // Nothing in flight will complete now: every request, issued or still queued, ends failed with
    // the reason (so that unwinding past them is not taken for dropping a request in flight).
    for (Pending& p : pending_) {
      if (p.impl != nullptr) issued_.push_back(p.impl);
    }
    pending_.clear();
    for (Request::Impl* impl : std::vector<Request::Impl*>(issued_)) {
      impl->error = aborted_;
      complete(*impl);
    }
    throw LibraryError(aborted_);
  }

  Request::Impl* active(Request& r) const {
    if (!r.active()) throw LibraryError("rank " + std::to_string(rank_) + ": test/wait on an empty Request");
    return r.impl();
  }
  // A request already done: true, or the reason it failed.
  static bool finished(const Request::Impl& impl) {
    if (!impl.error.empty()) throw LibraryError(impl.error);
    return true;
  }
  void complete(Request::Impl& impl) {
    std::erase(issued_, &impl);
    impl.done = true;
    if (impl.event) cudaEventDestroy(static_cast<cudaEvent_t>(impl.event));
    impl.event = nullptr;
    auto it = in_flight_.find({impl.peer, impl.is_recv});
    if (it != in_flight_.end() && it->second.outstanding > 0) --it->second.outstanding;
  }

  struct InFlight {
    int tag = 0;
    int outstanding = 0;
  };
  int rank_ = 0, size_ = 1;
  ncclComm_t comm_ = nullptr;  // null once aborted; aborted_ says why
  std::string aborted_;
  cudaStream_t stream_ = nullptr;
  std::vector<Pending> pending_;
  std::vector<Request::Impl*> issued_;  // requests given to NCCL and not yet completed
  std::map<std::pair<int, bool>, InFlight> in_flight_;  // (peer, is_recv): the requests not yet completed
};

}  // namespace

bool have_nccl() { return true; }

std::string nccl_unavailable_reason() {
  std::string why;
  if (!gpu_available()) {
    why = "no GPU: " + gpu_unavailable_reason();
  } else {
    why = local_nccl_obstacle(static_cast<int>(enumerate_devices().devices.size()), node_place());
  }
#if AISYS_HAVE_MPI
  if (in_multi_rank_job()) {
    int ok = why.empty() ? 1 : 0, all_ok = 0;
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (all_ok == 0 && why.empty()) why = "another rank cannot have an NCCL communicator";
  }
#endif
  return why;
}
std::string nccl_version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess || v <= 0) return "";
  // NCCL_VERSION_CODE: major * 10000 + minor * 100 + patch since 2.9 (major * 1000 + ... before).
  const int major = v >= 10000 ? v / 10000 : v / 1000;
  const int minor = v >= 10000 ? (v / 100) % 100 : (v / 100) % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}
std::unique_ptr<Communicator> make_nccl_communicator() { return std::make_unique<NcclCommunicator>(); }

void nccl_allreduce_baseline(Communicator& c, void* device_data, std::size_t count, DataType type) {
  auto* nccl = dynamic_cast<NcclCommunicator*>(&c);
  if (nccl == nullptr) throw not_an_nccl_communicator(c);
  nccl->allreduce_sum(device_data, count, type);
}

#else

bool have_nccl() { return false; }
std::string nccl_unavailable_reason() { return "this build has no NCCL"; }
std::string nccl_version() { return ""; }
std::unique_ptr<Communicator> make_nccl_communicator() {
  throw LibraryError("this build has no NCCL (a CUDA build with NCCL found: see the configure summary)");
}
// Without NCCL no communicator is an NCCL one.
void nccl_allreduce_baseline(Communicator& c, void*, std::size_t, DataType) { throw not_an_nccl_communicator(c); }

#endif

}  // namespace aisys::comm
