// Implementation of aisys/kernels/cuda/buffers.hpp: the non-template parts of DeviceBuffer and the
// Stream and Event classes. Plain C++ over the CUDA runtime API (compiled only when
// AISYS_HAVE_CUDA).
#include "aisys/kernels/cuda/buffers.hpp"

#include "aisys/kernels/device.hpp"

namespace aisys::cuda {

namespace detail {

void* device_allocate(std::size_t bytes) {
  void* pointer = nullptr;
  aisys::note_device_memory_in_use();
  AISYS_CUDA_CHECK(cudaMalloc(&pointer, bytes));
  return pointer;
}

void device_free(void* pointer) noexcept {
  if (pointer == nullptr) return;
  // A destructor cannot throw; a failure here (e.g. after a sticky kernel fault) was or will be
  // reported by the check that follows the faulting work.
  if (cudaFree(pointer) != cudaSuccess) (void)cudaGetLastError();
}

void copy_host_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream,
                         bool async) {
  if (bytes == 0) return;
  if (async) {
    AISYS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
  } else {
    AISYS_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    // From pageable memory cudaMemcpy may return once the bytes are staged, before the DMA into
    // the buffer has finished; work on a non-blocking stream (Stream) is not ordered after it.
    // Waiting for the default stream makes "synchronous" hold for every stream.
    AISYS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
  }
}

void copy_device_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream,
                         bool async) {
  if (bytes == 0) return;
  if (async) {
    AISYS_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
  } else {
    AISYS_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
  }
}

void check_same_size(std::size_t device_elements, std::size_t host_elements, const char* what) {
  if (device_elements != host_elements) {
    throw InvalidArgument(std::string("DeviceBuffer::") + what + ": the host span has " +
                          std::to_string(host_elements) + " elements, the device buffer " +
                          std::to_string(device_elements));
  }
}

}  // namespace detail

Stream::Stream(Ordering ordering) {
  AISYS_CUDA_CHECK(cudaStreamCreateWithFlags(
      &stream_, ordering == Ordering::kNonBlocking ? cudaStreamNonBlocking : cudaStreamDefault));
}

Stream::~Stream() {
  if (stream_ != nullptr && cudaStreamDestroy(stream_) != cudaSuccess) (void)cudaGetLastError();
}

Stream& Stream::operator=(Stream&& other) noexcept {
  if (this != &other) {
    if (stream_ != nullptr && cudaStreamDestroy(stream_) != cudaSuccess) (void)cudaGetLastError();
    stream_ = std::exchange(other.stream_, nullptr);
  }
  return *this;
}

void Stream::synchronize() const { AISYS_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

Event::Event() { AISYS_CUDA_CHECK(cudaEventCreate(&event_)); }

Event::~Event() {
  if (event_ != nullptr && cudaEventDestroy(event_) != cudaSuccess) (void)cudaGetLastError();
}

Event& Event::operator=(Event&& other) noexcept {
  if (this != &other) {
    if (event_ != nullptr && cudaEventDestroy(event_) != cudaSuccess) (void)cudaGetLastError();
    event_ = std::exchange(other.event_, nullptr);
  }
  return *this;
}

void Event::record(const Stream& stream) { record(stream.get()); }

void Event::record(cudaStream_t stream) { AISYS_CUDA_CHECK(cudaEventRecord(event_, stream)); }

void Event::synchronize() const { AISYS_CUDA_CHECK(cudaEventSynchronize(event_)); }

float Event::elapsed_ms(const Event& start, const Event& end) {
  float ms = 0.0f;
  AISYS_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, end.event_));
  return ms;
}

}  // namespace aisys::cuda
