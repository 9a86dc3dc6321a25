// aisys/kernels/aligned_buffer.hpp: AlignedBuffer<T>, a move-only host array whose first element is
// aligned to `Alignment` bytes (64 by default: one cache line, one AVX-512 register), for the
// inputs and outputs of CPU kernels and for host staging of device copies.
//
// Storage comes from std::aligned_alloc with the byte count rounded up to a multiple of the
// alignment (at least one block, so data() is never null, even for size 0, until moved from).
// New elements are zero. poison() fills the buffer with values that a kernel which forgets to
// write an element cannot pass off as a result: quiet NaN for floating point, the byte pattern
// 0xA5 for integers, 0xFF bytes for other element types (a NaN for fp16/bf16 storage types).
//
//   aisys::AlignedBuffer<float> c(m * n);
//   c.poison();                 // every element NaN until the kernel writes it
//   kernel(a.data(), b.data(), c.data());
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <type_traits>
#include <utility>

namespace aisys {

template <class T, std::size_t Alignment = 64>
class AlignedBuffer {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>,
                "AlignedBuffer holds plain numeric data (trivially copyable element types)");
  static_assert(Alignment >= alignof(T) && (Alignment & (Alignment - 1)) == 0,
                "Alignment must be a power of two no smaller than alignof(T)");

 public:
  using value_type = T;
  using size_type = std::size_t;
  static constexpr std::size_t alignment = Alignment;
  static constexpr unsigned char kIntegerPoisonByte = 0xA5;
  static constexpr unsigned char kOtherPoisonByte = 0xFF;

  AlignedBuffer() = default;

  // n elements, all zero.
  explicit AlignedBuffer(std::size_t n) : data_(allocate(n)), size_(n) {
    if (n != 0) std::memset(static_cast<void*>(data_), 0, n * sizeof(T));
  }

  // n elements, all equal to value.
  AlignedBuffer(std::size_t n, const T& value) : data_(allocate(n)), size_(n) { fill(value); }

  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  AlignedBuffer(AlignedBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

  AlignedBuffer& operator=(AlignedBuffer&& other) noexcept {
    if (this != &other) {
      std::free(data_);
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }

  ~AlignedBuffer() { std::free(data_); }

  std::size_t size() const noexcept { return size_; }
  std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
  bool empty() const noexcept { return size_ == 0; }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }

  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }

  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

  std::span<T> span() noexcept { return {data_, size_}; }
  std::span<const T> span() const noexcept { return {data_, size_}; }

  void fill(const T& value) { std::fill(data_, data_ + size_, value); }

  // Values no correct kernel writes by accident (see the file comment).
  void poison() {
    if (size_ == 0) return;
    if constexpr (std::is_floating_point_v<T>) {
      fill(std::numeric_limits<T>::quiet_NaN());
    } else if constexpr (std::is_integral_v<T>) {
      std::memset(static_cast<void*>(data_), kIntegerPoisonByte, size_bytes());
    } else {
      std::memset(static_cast<void*>(data_), kOtherPoisonByte, size_bytes());
    }
  }

 private:
  static T* allocate(std::size_t n) {
    if (n > (std::numeric_limits<std::size_t>::max() - Alignment) / sizeof(T)) {
      throw std::bad_alloc();
    }
    std::size_t bytes = n * sizeof(T);
    bytes = std::max<std::size_t>(Alignment, (bytes + Alignment - 1) / Alignment * Alignment);
    void* p = std::aligned_alloc(Alignment, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }

  T* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace aisys
