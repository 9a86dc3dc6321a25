// aisys/comm/communicator.hpp: point-to-point communication between ranks, the only way lab code
// talks to other processes. Backends: Open MPI on host buffers (make_mpi_world), and, on a GPU
// machine, NCCL on device buffers (see nccl_communicator.hpp). The collectives students write are
// built from these calls; a collective of the underlying library is never reachable from here.
//
// Errors: every call checks its arguments (count, peer, buffer) and the library's result, and
// throws aisys::LibraryError / InvalidArgument naming this rank, the peer and the call, e.g.
//   "rank 2: recv from rank 1 (tag 7): the message holds 96 float32, the buffer 64"
// A receive that no send will match hangs like MPI itself: run under a timeout (CTest and the
// grader do), which ends every rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

namespace aisys::comm {

enum class DataType : std::uint8_t { kFloat32, kFloat64, kInt32 };
std::size_t size_of(DataType type);
const char* name_of(DataType type);

template <typename T>
constexpr DataType data_type_of() {
  if constexpr (std::is_same_v<T, float>) return DataType::kFloat32;
  else if constexpr (std::is_same_v<T, double>) return DataType::kFloat64;
  else {
    static_assert(std::is_same_v<T, std::int32_t>, "float, double or int32_t");
    return DataType::kInt32;
  }
}

// A nonblocking operation in flight. Move-only; wait() or test() until done before the buffer is
// touched or the Request destroyed (destroying one still in flight aborts the process with a
// message: its buffer could be written after it is gone).
class Request {
 public:
  Request();
  Request(Request&& other) noexcept;
  Request& operator=(Request&& other) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;
  ~Request();
  bool active() const { return impl_ != nullptr; }

  struct Impl;
  explicit Request(std::unique_ptr<Impl> impl);
  Impl* impl() const { return impl_.get(); }
  void reset();

 private:
  std::unique_ptr<Impl> impl_;
};

// Staging memory in the space a communicator sends from: host memory (64-byte aligned) for Open
// MPI, device memory for NCCL. The all-reduce algorithms take their receive buffers from
// Communicator::scratch(), so one implementation runs on either backend. Move-only; frees itself.
class Scratch {
 public:
  using Release = void (*)(void*);
  Scratch() = default;
  Scratch(void* data, std::size_t bytes, Release release) noexcept;
  Scratch(Scratch&& other) noexcept;
  Scratch& operator=(Scratch&& other) noexcept;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch();
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Release release_ = nullptr;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;  // "mpi", "nccl"

  // Blocking point-to-point. `count` elements of `type`; tags >= 0.
  virtual void send(const void* buffer, std::size_t count, DataType type, int dest, int tag) = 0;
  virtual void recv(void* buffer, std::size_t count, DataType type, int source, int tag) = 0;
  // Send to one peer and receive from another at once (no deadlock when every rank does it).
  virtual void sendrecv(const void* send_buffer, std::size_t send_count, int dest, void* recv_buffer,
                        std::size_t recv_count, int source, DataType type, int tag) = 0;
  // Nonblocking: start, then test() (true when done; progresses the operation) or wait().
  virtual Request isend(const void* buffer, std::size_t count, DataType type, int dest, int tag) = 0;
  virtual Request irecv(void* buffer, std::size_t count, DataType type, int source, int tag) = 0;
  virtual bool test(Request& request) = 0;
  virtual void wait(Request& request) = 0;
  virtual void wait_all(std::span<Request> requests) = 0;
  virtual void barrier() = 0;
  // At least `bytes` of memory this communicator can send from and receive into (never null, even
  // for 0 bytes): host memory here; the NCCL backend gives device memory.
  virtual Scratch scratch(std::size_t bytes);
  // Copy `bytes` from host memory into memory of the scratch() kind, and back: a memcpy here,
  // cudaMemcpy (completed before returning, after the communicator's own work) on NCCL. For
  // callers with no device code of their own, such as lab 05's benchmark filling its buffers.
  virtual void copy_in(void* dst, const void* host_src, std::size_t bytes);
  virtual void copy_out(void* host_dst, const void* src, std::size_t bytes);

  // Typed conveniences.
  template <typename T>
  void send(std::span<const T> data, int dest, int tag) {
    send(data.data(), data.size(), data_type_of<T>(), dest, tag);
  }
  template <typename T>
  void recv(std::span<T> data, int source, int tag) {
    recv(data.data(), data.size(), data_type_of<T>(), source, tag);
  }
  template <typename T>
  Request isend(std::span<const T> data, int dest, int tag) {
    return isend(data.data(), data.size(), data_type_of<T>(), dest, tag);
  }
  template <typename T>
  Request irecv(std::span<T> data, int source, int tag) {
    return irecv(data.data(), data.size(), data_type_of<T>(), source, tag);
  }
};

// The Open MPI world communicator (MPI_Init on first use, MPI_Finalize at exit). Throws
// LibraryError when the build has no MPI.
Communicator& mpi_world();
bool have_mpi();

}  // namespace aisys::comm

namespace aisys::comm {
// dst[i] += src[i] for count elements of type: the reduction the all-reduce algorithms apply
// (local arithmetic, not communication). Host or device memory (a CUDA build looks at the
// pointers once the process has device memory: aisys::device_memory_in_use()), both in the same
// space (InvalidArgument otherwise).
void accumulate(void* dst, const void* src, std::size_t count, DataType type);
}  // namespace aisys::comm
