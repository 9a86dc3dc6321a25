// Backend-independent parts of the Communicator: data types, Request ownership, host scratch
// memory, accumulate().
#include "aisys/comm/communicator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "aisys/kernels/device.hpp"
#include "aisys/kernels/error.hpp"
#include "request_impl.hpp"

namespace aisys::comm {

std::size_t size_of(DataType type) {
  switch (type) {
    case DataType::kFloat32: return 4;
    case DataType::kFloat64: return 8;
    case DataType::kInt32: return 4;
  }
  return 0;
}

const char* name_of(DataType type) {
  switch (type) {
    case DataType::kFloat32: return "float32";
    case DataType::kFloat64: return "float64";
    case DataType::kInt32: return "int32";
  }
  return "?";
}

Request::Request() = default;
Request::Request(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Request::Request(Request&& other) noexcept = default;
Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    if (impl_ && !impl_->done) {
      std::fprintf(stderr, "aisys::comm: a Request still in flight was overwritten (%s)\n", impl_->what.c_str());
      std::abort();
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}
Request::~Request() {
  if (impl_ && !impl_->done) {
    std::fprintf(stderr, "aisys::comm: a Request was destroyed while still in flight (%s): wait() or test() "
                 "it to completion first\n", impl_->what.c_str());
    std::abort();
  }
}
void Request::reset() { impl_.reset(); }

Scratch::Scratch(void* data, std::size_t bytes, Release release) noexcept
    : data_(data), bytes_(bytes), release_(release) {}
Scratch::Scratch(Scratch&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)),
      release_(std::exchange(other.release_, nullptr)) {}
Scratch& Scratch::operator=(Scratch&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr && release_ != nullptr) release_(data_);
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    release_ = std::exchange(other.release_, nullptr);
  }
  return *this;
}
Scratch::~Scratch() {
  if (data_ != nullptr && release_ != nullptr) release_(data_);
}

Scratch Communicator::scratch(std::size_t bytes) {
  constexpr std::size_t kAlign = 64;
  const std::size_t rounded = (std::max<std::size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (p == nullptr) {
    throw Error("rank " + std::to_string(rank()) + ": cannot allocate " + std::to_string(bytes) +
                " bytes of scratch memory");
  }
  return Scratch(p, bytes, [](void* q) { std::free(q); });
}

void Communicator::copy_in(void* dst, const void* host_src, std::size_t bytes) {
  if (bytes > 0) std::memcpy(dst, host_src, bytes);
}
void Communicator::copy_out(void* host_dst, const void* src, std::size_t bytes) {
  if (bytes > 0) std::memcpy(host_dst, src, bytes);
}

template <typename T>
static void add(void* dst, const void* src, std::size_t count) {
  T* d = static_cast<T*>(dst);
  const T* s = static_cast<const T*>(src);
  for (std::size_t i = 0; i < count; ++i) d[i] += s[i];
}

#if AISYS_HAVE_CUDA
// accumulate.cu
bool is_device_pointer(const void* p);
void accumulate_device(void* dst, const void* src, std::size_t count, DataType type);
#endif

void accumulate(void* dst, const void* src, std::size_t count, DataType type) {
#if AISYS_HAVE_CUDA
  // Only a process that has device memory can hand device pointers here; elsewhere no CUDA call
  // is made (a pointer query creates a CUDA context, and costs about a microsecond per call).
  if (count > 0 && aisys::device_memory_in_use()) {
    const bool dst_on_device = is_device_pointer(dst);
    if (dst_on_device != is_device_pointer(src)) {
      throw InvalidArgument(std::string("accumulate: dst is in ") + (dst_on_device ? "device" : "host") +
                            " memory and src in " + (dst_on_device ? "host" : "device") +
                            " memory (both must be where the communicator sends from: its scratch())");
    }
    if (dst_on_device) {
      accumulate_device(dst, src, count, type);
      return;
    }
  }
#endif
  switch (type) {
    case DataType::kFloat32: add<float>(dst, src, count); break;
    case DataType::kFloat64: add<double>(dst, src, count); break;
    case DataType::kInt32: add<std::int32_t>(dst, src, count); break;
  }
}

}  // namespace aisys::comm
