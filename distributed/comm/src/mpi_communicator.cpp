// The Open MPI backend of comm::Communicator: MPI_COMM_WORLD, host buffers, errors returned (not
// fatal) and turned into exceptions naming this rank, the peer and the call.
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "aisys/comm/communicator.hpp"
#include "aisys/kernels/error.hpp"
#include "request_impl.hpp"

namespace aisys::comm {

#if AISYS_HAVE_MPI

namespace {

MPI_Datatype mpi_type(DataType t) {
  switch (t) {
    case DataType::kFloat32: return MPI_FLOAT;
    case DataType::kFloat64: return MPI_DOUBLE;
    case DataType::kInt32: return MPI_INT;
  }
  return MPI_BYTE;
}

std::string mpi_error_string(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(text, static_cast<size_t>(len));
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
      std::atexit([] {
        int finalized = 0;
        MPI_Finalized(&finalized);
        if (!finalized) MPI_Finalize();
      });
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  void send(const void* buffer, std::size_t count, DataType type, int dest, int tag) override {
    check_args("send to", count, dest, tag, buffer);
    check(MPI_Send(buffer, static_cast<int>(count), mpi_type(type), dest, tag, MPI_COMM_WORLD),
          "send to", dest, tag, count, type);
  }

  void recv(void* buffer, std::size_t count, DataType type, int source, int tag) override {
    check_args("recv from", count, source, tag, buffer);
    MPI_Status status;
    check(MPI_Recv(buffer, static_cast<int>(count), mpi_type(type), source, tag, MPI_COMM_WORLD, &status),
          "recv from", source, tag, count, type);
    check_count(status, "recv from", source, tag, count, type);
  }

  void sendrecv(const void* send_buffer, std::size_t send_count, int dest, void* recv_buffer,
                std::size_t recv_count, int source, DataType type, int tag) override {
    check_args("sendrecv to", send_count, dest, tag, send_buffer);
    check_args("sendrecv from", recv_count, source, tag, recv_buffer);
    MPI_Status status;
    check(MPI_Sendrecv(send_buffer, static_cast<int>(send_count), mpi_type(type), dest, tag, recv_buffer,
                       static_cast<int>(recv_count), mpi_type(type), source, tag, MPI_COMM_WORLD, &status),
          "sendrecv with", source, tag, recv_count, type);
    check_count(status, "sendrecv from", source, tag, recv_count, type);
  }

  Request isend(const void* buffer, std::size_t count, DataType type, int dest, int tag) override {
    check_args("isend to", count, dest, tag, buffer);
    auto impl = make_impl(false, count, type, dest, tag, "isend to");
    check(MPI_Isend(buffer, static_cast<int>(count), mpi_type(type), dest, tag, MPI_COMM_WORLD, &impl->request),
          "isend to", dest, tag, count, type);
    return Request(std::move(impl));
  }

  Request irecv(void* buffer, std::size_t count, DataType type, int source, int tag) override {
    check_args("irecv from", count, source, tag, buffer);
    auto impl = make_impl(true, count, type, source, tag, "irecv from");
    check(MPI_Irecv(buffer, static_cast<int>(count), mpi_type(type), source, tag, MPI_COMM_WORLD, &impl->request),
          "irecv from", source, tag, count, type);
    return Request(std::move(impl));
  }

  bool test(Request& r) override {
    Request::Impl* impl = active(r, "test");
    if (impl->done) return true;
    int flag = 0;
    MPI_Status status;
    check(MPI_Test(&impl->request, &flag, &status), impl->what.c_str(), impl->peer, impl->tag, impl->count, impl->type);
    if (flag) finish(*impl, status);
    return flag != 0;
  }

  void wait(Request& r) override {
    Request::Impl* impl = active(r, "wait");
    if (impl->done) return;
    MPI_Status status;
    check(MPI_Wait(&impl->request, &status), impl->what.c_str(), impl->peer, impl->tag, impl->count, impl->type);
    finish(*impl, status);
  }

  void wait_all(std::span<Request> requests) override {
    for (Request& r : requests) {
      if (r.active()) wait(r);
    }
  }

  void barrier() override {
    const int rc = MPI_Barrier(MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) fail("barrier: " + mpi_error_string(rc));
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw LibraryError("rank " + std::to_string(rank_) + ": " + what);
  }

  void check_args(const char* op, std::size_t count, int peer, int tag, const void* buffer) const {
    if (peer < 0 || peer >= size_) {
      throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) +
                            ", which does not exist (ranks 0.." + std::to_string(size_ - 1) + ")");
    }
    if (tag < 0) throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) + " with a negative tag");
    if (count > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) +
                            ": " + std::to_string(count) + " elements is more than one message holds (2^31 - 1)");
    }
    if (count > 0 && buffer == nullptr) {
      throw InvalidArgument("rank " + std::to_string(rank_) + ": " + op + " rank " + std::to_string(peer) + ": null buffer");
    }
  }

  void check(int rc, const char* op, int peer, int tag, std::size_t count, DataType type) const {
    if (rc == MPI_SUCCESS) return;
    fail(std::string(op) + " rank " + std::to_string(peer) + " (tag " + std::to_string(tag) + ", " +
         std::to_string(count) + " " + name_of(type) + "): " + mpi_error_string(rc));
  }

  void check_count(const MPI_Status& status, const char* op, int peer, int tag, std::size_t count,
                   DataType type) const {
    int got = 0;
    MPI_Get_count(&status, mpi_type(type), &got);
    if (static_cast<std::size_t>(got) != count) {
      fail(std::string(op) + " rank " + std::to_string(peer) + " (tag " + std::to_string(tag) + "): the message held " +
           std::to_string(got) + " " + name_of(type) + ", the receive expected " + std::to_string(count));
    }
  }

  std::unique_ptr<Request::Impl> make_impl(bool is_recv, std::size_t count, DataType type, int peer, int tag,
                                           const char* op) const {
    auto impl = std::make_unique<Request::Impl>();
    impl->is_recv = is_recv;
    impl->count = count;
    impl->type = type;
    impl->peer = peer;
    impl->tag = tag;
    impl->what = std::string(op) + " rank " + std::to_string(peer) + " (tag " + std::to_string(tag) + ", " +
                 std::to_string(count) + " " + name_of(type) + ")";
    return impl;
  }

  Request::Impl* active(Request& r, const char* call) const {
    if (!r.active()) fail(std::string(call) + " on an empty Request");
    return r.impl();
  }

  void finish(Request::Impl& impl, const MPI_Status& status) const {
    impl.done = true;
    if (impl.is_recv) check_count(status, "irecv from", impl.peer, impl.tag, impl.count, impl.type);
  }

  int rank_ = 0, size_ = 1;
};

}  // namespace

bool have_mpi() { return true; }

Communicator& mpi_world() {
  static MpiWorld world;
  return world;
}

#else

bool have_mpi() { return false; }

Communicator& mpi_world() {
  throw LibraryError("this build has no MPI (install libopenmpi-dev and openmpi-bin, then reconfigure)");
}

#endif

}  // namespace aisys::comm
