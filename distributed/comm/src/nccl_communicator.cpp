// The NCCL backend of comm::Communicator (nccl_communicator.hpp).
#include "aisys/comm/nccl_communicator.hpp"

#include <algorithm>
#include <string>
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

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator() {
    if (!gpu_available()) throw LibraryError("NCCL communicator: no GPU here (" + gpu_unavailable_reason() + ")");
    ncclUniqueId id;
    rank_ = 0;
    size_ = 1;
#if AISYS_HAVE_MPI
    if (have_mpi() && mpi_world().size() > 1) {
      rank_ = mpi_world().rank();
      size_ = mpi_world().size();
      if (rank_ == 0) AISYS_NCCL_CHECK(ncclGetUniqueId(&id));
      MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD);
    } else {
      AISYS_NCCL_CHECK(ncclGetUniqueId(&id));
    }
#else
    AISYS_NCCL_CHECK(ncclGetUniqueId(&id));
#endif
    int devices = 0;
    AISYS_CUDA_CHECK(cudaGetDeviceCount(&devices));
    AISYS_CUDA_CHECK(cudaSetDevice(rank_ % devices));
    AISYS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    AISYS_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  }

  ~NcclCommunicator() override {
    if (comm_) ncclCommDestroy(comm_);
    if (stream_) cudaStreamDestroy(stream_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }

  void send(const void* buffer, std::size_t count, DataType type, int dest, int tag) override {
    check_args("send to", dest, tag);
    flush();
    AISYS_NCCL_CHECK(ncclSend(buffer, count, nccl_type(type), dest, comm_, stream_));
    AISYS_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void recv(void* buffer, std::size_t count, DataType type, int source, int tag) override {
    check_args("recv from", source, tag);
    flush();
    AISYS_NCCL_CHECK(ncclRecv(buffer, count, nccl_type(type), source, comm_, stream_));
    AISYS_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }
  void sendrecv(const void* send_buffer, std::size_t send_count, int dest, void* recv_buffer, std::size_t recv_count,
                int source, DataType type, int tag) override {
    check_args("sendrecv to", dest, tag);
    check_args("sendrecv from", source, tag);
    flush();
    AISYS_NCCL_CHECK(ncclGroupStart());
    AISYS_NCCL_CHECK(ncclSend(send_buffer, send_count, nccl_type(type), dest, comm_, stream_));
    AISYS_NCCL_CHECK(ncclRecv(recv_buffer, recv_count, nccl_type(type), source, comm_, stream_));
    AISYS_NCCL_CHECK(ncclGroupEnd());
    AISYS_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  Request isend(const void* buffer, std::size_t count, DataType type, int dest, int tag) override {
    check_args("isend to", dest, tag);
    return queue({false, const_cast<void*>(buffer), count, type, dest});
  }
  Request irecv(void* buffer, std::size_t count, DataType type, int source, int tag) override {
    check_args("irecv from", source, tag);
    return queue({true, buffer, count, type, source});
  }

  bool test(Request& r) override {
    Request::Impl* impl = active(r);
    if (impl->done) return true;
    flush();
    const cudaError_t rc = cudaEventQuery(static_cast<cudaEvent_t>(impl->event));
    if (rc == cudaErrorNotReady) return false;
    AISYS_CUDA_CHECK(rc);
    complete(*impl);
    return true;
  }
  void wait(Request& r) override {
    Request::Impl* impl = active(r);
    if (impl->done) return;
    flush();
    AISYS_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(impl->event)));
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
    AISYS_CUDA_CHECK(cudaMalloc(&p, std::max<std::size_t>(bytes, 1)));
    return Scratch(p, bytes, [](void* q) { cudaFree(q); });
  }
  // nccl_allreduce_baseline(): ncclAllReduce in place, after any queued point-to-point calls.
  void allreduce_sum(void* data, std::size_t count, DataType type) {
    flush();
    if (count == 0) return;
    AISYS_NCCL_CHECK(ncclAllReduce(data, data, count, nccl_type(type), ncclSum, comm_, stream_));
    AISYS_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  void barrier() override {
    flush();
    float* one = nullptr;
    AISYS_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&one), sizeof(float), stream_));
    AISYS_NCCL_CHECK(ncclAllReduce(one, one, 1, ncclFloat32, ncclSum, comm_, stream_));
    AISYS_CUDA_CHECK(cudaFreeAsync(one, stream_));
    AISYS_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

 private:
  struct Pending {
    bool is_recv;
    void* buffer;
    std::size_t count;
    DataType type;
    int peer;
    Request::Impl* impl = nullptr;
  };

  void check_args(const char* op, int peer, int tag) const {
    if (peer < 0 || peer >= size_) {
      throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) +
                            ", which does not exist (ranks 0.." + std::to_string(size_ - 1) + ")");
    }
    if (tag < 0) throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " with a negative tag");
  }

  Request queue(Pending p) {
    auto impl = std::make_unique<Request::Impl>();
    impl->is_recv = p.is_recv;
    impl->count = p.count;
    impl->type = p.type;
    impl->peer = p.peer;
    impl->what = std::string(p.is_recv ? "irecv from" : "isend to") + " rank " + std::to_string(p.peer) + " (" +
                 std::to_string(p.count) + " " + name_of(p.type) + ", nccl)";
    p.impl = impl.get();
    pending_.push_back(p);
    return Request(std::move(impl));
  }

  // Issues every queued isend/irecv in one group and gives each its completion event.
  void flush() {
    if (pending_.empty()) return;
    AISYS_NCCL_CHECK(ncclGroupStart());
    for (const Pending& p : pending_) {
      if (p.is_recv) AISYS_NCCL_CHECK(ncclRecv(p.buffer, p.count, nccl_type(p.type), p.peer, comm_, stream_));
      else AISYS_NCCL_CHECK(ncclSend(p.buffer, p.count, nccl_type(p.type), p.peer, comm_, stream_));
    }
    AISYS_NCCL_CHECK(ncclGroupEnd());
    for (const Pending& p : pending_) {
      cudaEvent_t event;
      AISYS_CUDA_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming));
      AISYS_CUDA_CHECK(cudaEventRecord(event, stream_));
      p.impl->event = event;
    }
    pending_.clear();
  }

  Request::Impl* active(Request& r) const {
    if (!r.active()) throw LibraryError("rank " + std::to_string(rank_) + ": test/wait on an empty Request");
    return r.impl();
  }
  static void complete(Request::Impl& impl) {
    impl.done = true;
    if (impl.event) cudaEventDestroy(static_cast<cudaEvent_t>(impl.event));
    impl.event = nullptr;
  }

  int rank_ = 0, size_ = 1;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  std::vector<Pending> pending_;
};

}  // namespace

bool have_nccl() { return true; }
std::unique_ptr<Communicator> make_nccl_communicator() { return std::make_unique<NcclCommunicator>(); }

void nccl_allreduce_baseline(Communicator& c, void* device_data, std::size_t count, DataType type) {
  auto* nccl = dynamic_cast<NcclCommunicator*>(&c);
  if (nccl == nullptr) throw not_an_nccl_communicator(c);
  nccl->allreduce_sum(device_data, count, type);
}

#else

bool have_nccl() { return false; }
std::unique_ptr<Communicator> make_nccl_communicator() {
  throw LibraryError("this build has no NCCL (a CUDA build with NCCL found: see the configure summary)");
}
// Without NCCL no communicator is an NCCL one.
void nccl_allreduce_baseline(Communicator& c, void*, std::size_t, DataType) { throw not_an_nccl_communicator(c); }

#endif

}  // namespace aisys::comm
