// aisys/kernels/cuda/buffers.hpp: RAII owners of CUDA device memory, streams and events. Include
// only from CUDA-enabled code (AISYS_HAVE_CUDA builds); plain C++ over the CUDA runtime API, so
// host-compiler (.cpp) and nvcc (.cu) files can both use it.
//
//   aisys::cuda::DeviceBuffer<float> a(n);      // n floats of device memory (contents undefined)
//   a.copy_from_host(host.span());              // host.size() must equal a.size()
//   aisys::cuda::Stream stream;                 // non-blocking stream
//   aisys::cuda::Event start, stop;
//   start.record(stream);  kernel<<<g, b, 0, stream.get()>>>(a.data(), n);  stop.record(stream);
//   stop.synchronize();
//   float ms = aisys::cuda::Event::elapsed_ms(start, stop);
//   a.copy_to_host(host.span());
//
// All types are move-only; a moved-from object owns nothing. Errors throw aisys::LibraryError
// (check.hpp); a size mismatch throws aisys::InvalidArgument. Destructors never throw.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::cuda {

// A CUDA stream: non-blocking by default (cudaStreamNonBlocking: no implicit sync with the legacy
// default stream), or ordered with the legacy stream (kWithDefaultStream: work a caller puts on
// stream 0 instead of this one still runs between this stream's earlier and later work, which a
// timer recording events here then measures instead of missing).
class Stream {
 public:
  enum class Ordering { kNonBlocking, kWithDefaultStream };
  explicit Stream(Ordering ordering = Ordering::kNonBlocking);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&& other) noexcept;

  cudaStream_t get() const noexcept { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

// A CUDA event with timing enabled.
class Event {
 public:
  Event();
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&& other) noexcept;

  cudaEvent_t get() const noexcept { return event_; }
  void record(const Stream& stream);
  void record(cudaStream_t stream = nullptr);
  void synchronize() const;

  // Milliseconds between two recorded, completed events (cudaEventElapsedTime: ~0.5 us resolution).
  static float elapsed_ms(const Event& start, const Event& end);

 private:
  cudaEvent_t event_ = nullptr;
};

namespace detail {
void* device_allocate(std::size_t bytes);           // cudaMalloc, throws LibraryError
void device_free(void* pointer) noexcept;            // cudaFree, errors ignored
void copy_host_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream,
                         bool async);
void copy_device_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream,
                         bool async);
void check_same_size(std::size_t device_elements, std::size_t host_elements, const char* what);
}  // namespace detail

// n elements of T in device global memory. The contents start undefined: poison outputs with
// aisys::cuda::fill() (fill.hpp) or zero them with zero().
template <class T>
class DeviceBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "DeviceBuffer holds trivially copyable data");

 public:
  using value_type = T;

  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t n) : size_(n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
      throw InvalidArgument("DeviceBuffer: " + std::to_string(n) + " elements overflow size_t");
    }
    if (n != 0) data_ = static_cast<T*>(detail::device_allocate(n * sizeof(T)));
  }
  // A device copy of host data.
  explicit DeviceBuffer(std::span<const T> host) : DeviceBuffer(host.size()) {
    copy_from_host(host);
  }

  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      detail::device_free(data_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  ~DeviceBuffer() { detail::device_free(data_); }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
  bool empty() const noexcept { return size_ == 0; }

  // Synchronous copies of the whole buffer; host.size() must equal size(). The data is in place
  // for work on any stream when copy_from_host returns (it waits for the DMA, not only the staging).
  // copy_to_host is ordered after work on the legacy default stream only: synchronize a Stream
  // (non-blocking) that writes the buffer before copying it out.
  void copy_from_host(std::span<const T> host) {
    detail::check_same_size(size_, host.size(), "copy_from_host");
    detail::copy_host_to_device(data_, host.data(), size_bytes(), nullptr, false);
  }
  void copy_to_host(std::span<T> host) const {
    detail::check_same_size(size_, host.size(), "copy_to_host");
    detail::copy_device_to_host(host.data(), data_, size_bytes(), nullptr, false);
  }

  // Asynchronous copies on a stream (truly asynchronous only from pinned host memory).
  void copy_from_host_async(std::span<const T> host, const Stream& stream) {
    detail::check_same_size(size_, host.size(), "copy_from_host_async");
    detail::copy_host_to_device(data_, host.data(), size_bytes(), stream.get(), true);
  }
  void copy_to_host_async(std::span<T> host, const Stream& stream) const {
    detail::check_same_size(size_, host.size(), "copy_to_host_async");
    detail::copy_device_to_host(host.data(), data_, size_bytes(), stream.get(), true);
  }

  // All bytes zero when it returns, for work on any stream (cudaMemset is queued on the legacy
  // default stream, which a non-blocking Stream is not ordered after: wait for it).
  void zero() {
    if (size_ == 0) return;
    AISYS_CUDA_CHECK(cudaMemset(data_, 0, size_bytes()));
    AISYS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace aisys::cuda
