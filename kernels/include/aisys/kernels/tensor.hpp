// aisys/kernels/tensor.hpp: the project's one tensor type. A Tensor is a strided view (shape,
// strides in elements, offset) of a reference-counted Storage (bytes on one device), with a dtype
// (float32 or float64). Views share storage and never copy: reshape of a contiguous tensor,
// transpose/permute, unsqueeze/squeeze, slice, select, and broadcast_to (stride 0 along broadcast
// dimensions). Copies happen only where asked (contiguous(), clone(), to()) or where a view is
// impossible (reshape of a non-contiguous tensor).
//
// The forward primitive ops on tensors live in tensor_ops.hpp. Lab 02 (autograd) builds its
// differentiable Variable on Tensor; later labs use it as their tensor type.
//
// Errors: every shape, dtype, device or index problem throws aisys::InvalidArgument naming the
// operation and the shapes involved, e.g. "reshape: cannot view [2, 3] (6 elements) as [4, 2]".
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aisys/kernels/error.hpp"

namespace aisys::kernels {

enum class DType : std::uint8_t { kFloat32, kFloat64 };
std::size_t size_of(DType dtype);
const char* name_of(DType dtype);  // "float32", "float64"

enum class DeviceType : std::uint8_t { kCpu, kCuda };
struct Device {
  DeviceType type = DeviceType::kCpu;
  int index = 0;  // CUDA ordinal
  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {DeviceType::kCuda, index}; }
  bool is_cpu() const { return type == DeviceType::kCpu; }
  friend bool operator==(const Device&, const Device&) = default;
};
std::string to_string(Device device);  // "cpu", "cuda:0"

using Shape = std::vector<std::int64_t>;
std::string to_string(const Shape& shape);  // "[2, 3]"
std::int64_t numel(const Shape& shape);
// The shape two shapes broadcast to (NumPy rules: align trailing dimensions; 1 stretches).
// Throws InvalidArgument naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

// Bytes on one device; shared by every view of them. Allocated zeroed (64-byte aligned on the
// CPU), with cudaMalloc on a GPU (CUDA builds only: elsewhere "built without CUDA"), both
// through a cache of freed blocks (block_cache.hpp), so a training loop's repeated sizes cost
// neither page faults nor cudaMalloc/cudaFree (which waits for the whole device);
// AISYS_NO_DEVICE_CACHE=1 sends freed device blocks straight to cudaFree (for compute-sanitizer).
class Storage {
 public:
  // zeroed = false leaves the bytes as allocated, on either device (for outputs every element of
  // which is written).
  Storage(std::size_t bytes, Device device, bool zeroed = true);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  Device device_;
};

class Tensor {
 public:
  Tensor() = default;  // undefined: defined() is false; every other call throws

  // Creation (contiguous, row-major).
  static Tensor empty(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::cpu());
  // Like empty() but the bytes are not zeroed (CPU or GPU): for an op's output whose every element
  // it writes (skips a memset per op).
  static Tensor uninitialized(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::kFloat32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::kFloat32, Device device = Device::cpu()) {
    return full(shape, 1.0, dtype, device);
  }
  static Tensor scalar(double value, DType dtype = DType::kFloat32, Device device = Device::cpu()) {
    return full({}, value, dtype, device);
  }
  // Values given in row-major order (converted to dtype); values.size() must equal numel(shape).
  static Tensor from_values(std::span<const double> values, const Shape& shape, DType dtype = DType::kFloat32);
  static Tensor from_values(std::initializer_list<double> values, const Shape& shape, DType dtype = DType::kFloat32) {
    return from_values(std::span<const double>(values.begin(), values.size()), shape, dtype);
  }
  static Tensor from_floats(std::span<const float> values, const Shape& shape);
  // 0, 1, ..., n - 1.
  static Tensor arange(std::int64_t n, DType dtype = DType::kFloat32);
  // Seeded random values (the same seed gives the same values on every machine: the generator is
  // written out, not a std:: distribution).
  static Tensor uniform(const Shape& shape, double lo, double hi, std::uint64_t seed, DType dtype = DType::kFloat32);
  static Tensor normal(const Shape& shape, double mean, double stddev, std::uint64_t seed, DType dtype = DType::kFloat32);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }  // in elements
  std::int64_t offset() const { return offset_; }    // in elements
  int dim() const { return static_cast<int>(shape_.size()); }
  std::int64_t numel() const { return kernels::numel(shape_); }
  std::int64_t size(int d) const;  // d may be negative (from the end)
  DType dtype() const { return dtype_; }
  Device device() const;
  bool is_contiguous() const;
  // Whether two tensors view the same storage.
  bool shares_storage(const Tensor& other) const { return storage_ && storage_ == other.storage_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // Views (no copy).
  Tensor view(const Shape& shape) const;      // contiguous tensors only; one dimension may be -1
  Tensor reshape(const Shape& shape) const;   // a view when contiguous, else a contiguous copy
  Tensor flatten() const { return reshape({numel()}); }
  Tensor transpose(int d0, int d1) const;
  Tensor permute(const std::vector<int>& dims) const;
  Tensor t() const;                           // 2-D transpose
  Tensor unsqueeze(int d) const;
  Tensor squeeze(int d) const;                // dimension d must have size 1
  Tensor slice(int d, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
  Tensor select(int d, std::int64_t index) const;  // drops dimension d
  Tensor broadcast_to(const Shape& shape) const;   // stride 0 along stretched dimensions

  // Copies.
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;       // always a new contiguous storage
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  // Copies src's values into this tensor (same shape, or src broadcastable to it; any dtypes; a
  // source overlapping this tensor, a view of the same storage, is read whole before any write).
  void copy_from(const Tensor& src);
  // Adds src's values into this tensor in place (this += src; same dtype and device, src
  // broadcastable to this shape; a source overlapping this tensor is read whole first). One pass
  // over both, where copy_from(ops::add(*this, src)) makes three. This tensor must not be a
  // broadcast view (a stride-0 dimension of size > 1 would add into one element several times).
  void add_from(const Tensor& src);
  void fill(double value);

  // Element access (CPU tensors). data<T>() needs the matching dtype and points at offset().
  template <typename T>
  T* data() const;
  double item() const;                                // one element
  double at(std::initializer_list<std::int64_t> index) const;
  std::vector<double> to_vector() const;              // every element, row-major logical order
  std::string to_string(int max_elements = 16) const; // "float32[2, 3] {1, 2, 3, 4, 5, 6}"

  // Internal: a view of `storage` (used by ops and views).
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, std::int64_t offset, DType dtype);

 private:
  void require_defined(const char* op) const;
  std::shared_ptr<Storage> storage_;
  Shape shape_, strides_;
  std::int64_t offset_ = 0;
  DType dtype_ = DType::kFloat32;
};

// Row-major strides of a shape.
Shape contiguous_strides(const Shape& shape);

}  // namespace aisys::kernels
