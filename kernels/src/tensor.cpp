// Tensor: storage, creation, views, copies and element access (tensor.hpp).
#include "aisys/kernels/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <sstream>
#include <string_view>

#include "aisys/kernels/block_cache.hpp"
#include "aisys/kernels/device.hpp"
#include "aisys/kernels/tensor_iter.hpp"

#if AISYS_HAVE_CUDA
#include <cuda_runtime.h>

#include "cuda/tensor_ops_cuda.hpp"
#endif

namespace aisys::kernels {

std::size_t size_of(DType dtype) { return dtype == DType::kFloat32 ? 4 : 8; }
const char* name_of(DType dtype) { return dtype == DType::kFloat32 ? "float32" : "float64"; }

std::string to_string(Device device) {
  return device.is_cpu() ? "cpu" : "cuda:" + std::to_string(device.index);
}

std::string to_string(const Shape& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) {
    strides[static_cast<std::size_t>(i)] = strides[static_cast<std::size_t>(i) + 1] * std::max<std::int64_t>(1, shape[static_cast<std::size_t>(i) + 1]);
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      throw InvalidArgument(std::string(op) + ": shapes " + to_string(a) + " and " + to_string(b) +
                            " do not broadcast (dimension " + std::to_string(i) + ": " + std::to_string(da) + " vs " +
                            std::to_string(db) + ")");
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Storage

namespace {

// Freed blocks kept for reuse (block_cache.hpp), never destroyed: frees may come at exit.
// Host: blocks of 64 KiB or more, at most 8 per size and 256 MiB in all. Device: every size, at
// most 16 per size and 4 GiB in all (a GPU has tens of GiB; an allocation that fails for lack of
// memory drains the device's blocks and tries again). AISYS_NO_DEVICE_CACHE=1 (any value but ""
// or "0") turns the device cache off, so that compute-sanitizer's memcheck sees every free and a
// use after free reaches freed memory rather than a reused block (ci/gpu.sh sets it there).
BlockCache& host_blocks() {
  static BlockCache* cache = new BlockCache({.min_bytes = 64 * 1024, .per_size = 8, .max_total = 256u << 20});
  return *cache;
}
#if AISYS_HAVE_CUDA
bool device_cache_disabled() {
  const char* v = std::getenv("AISYS_NO_DEVICE_CACHE");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}
BlockCache& device_blocks() {
  static BlockCache* cache = new BlockCache(
      {.min_bytes = 0, .per_size = 16, .max_total = device_cache_disabled() ? 0 : std::size_t{4} << 30});
  return *cache;
}
#endif

std::size_t allocation_size(std::size_t bytes) { return std::max<std::size_t>(64, (bytes + 63) / 64 * 64); }

}  // namespace

Storage::Storage(std::size_t bytes, Device device, bool zeroed) : bytes_(bytes), device_(device) {
  const std::size_t alloc = allocation_size(bytes);
  if (device.is_cpu()) {
    data_ = host_blocks().take(-1, alloc);
    if (!data_) data_ = std::aligned_alloc(64, alloc);
    if (!data_) throw InvalidArgument("tensor: cannot allocate " + std::to_string(bytes) + " bytes");
    if (zeroed) std::memset(data_, 0, alloc);
    return;
  }
#if AISYS_HAVE_CUDA
  note_device_memory_in_use();
  cudaError_t e = cudaSetDevice(device.index);
  if (e == cudaSuccess) {
    data_ = device_blocks().take(device.index, alloc);
    if (data_ == nullptr) {
      e = cudaMalloc(&data_, alloc);
      if (e == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        device_blocks().drain(device.index, [](void* p) { cudaFree(p); });
        e = cudaMalloc(&data_, alloc);
      }
      if (e != cudaSuccess) data_ = nullptr;  // nothing to give back
    }
  }
  // Zeroed when asked (an asynchronous memset on the legacy default stream, which every user of
  // tensor memory shares, so it is ordered after a cached block's last use); an uninitialized
  // tensor's block is left as it is, as on the host: its producer writes every element.
  if (e == cudaSuccess && zeroed) e = cudaMemset(data_, 0, alloc);
  if (e != cudaSuccess) {
    if (data_ != nullptr) (void)cudaFree(data_);  // a block obtained, then the memset failed
    data_ = nullptr;
    if (e == cudaErrorMemoryAllocation) {
      // Not a sticky error: cleared, so the caller's next CUDA check is not blamed for it.
      (void)cudaGetLastError();
      throw LibraryError("tensor: cannot allocate " + std::to_string(bytes) + " bytes on " + to_string(device) + ": " +
                         cudaGetErrorString(e));
    }
    // Any other error is most likely an earlier kernel's fault, which CUDA reports at a later call.
    throw LibraryError("tensor: a CUDA error while allocating " + std::to_string(bytes) + " bytes on " +
                       to_string(device) + " (most likely from an earlier kernel or call: CUDA reports a fault at a "
                       "later call): " + cudaGetErrorString(e));
  }
#else
  throw InvalidArgument("tensor: " + to_string(device) + " requested, but this build has no CUDA (built without CUDA)");
#endif
}

Storage::~Storage() {
  if (device_.is_cpu()) {
    if (!host_blocks().give(-1, data_, allocation_size(bytes_))) std::free(data_);
    return;
  }
#if AISYS_HAVE_CUDA
  if (!device_blocks().give(device_.index, data_, allocation_size(bytes_))) cudaFree(data_);
#endif
}

// ---------------------------------------------------------------------------------------------
// Creation

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, std::int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)), offset_(offset), dtype_(dtype) {}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (std::int64_t d : shape) {
    if (d < 0) throw InvalidArgument("tensor: negative dimension in shape " + kernels::to_string(shape));
  }
  auto storage = std::make_shared<Storage>(static_cast<std::size_t>(kernels::numel(shape)) * size_of(dtype), device);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::uninitialized(const Shape& shape, DType dtype, Device device) {
  for (std::int64_t d : shape) {
    if (d < 0) throw InvalidArgument("tensor: negative dimension in shape " + kernels::to_string(shape));
  }
  auto storage =
      std::make_shared<Storage>(static_cast<std::size_t>(kernels::numel(shape)) * size_of(dtype), device, false);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return empty(shape, dtype, device); }

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, Device::cpu());
  t.fill(value);
  return device.is_cpu() ? t : t.to(device);
}

Tensor Tensor::from_values(std::span<const double> values, const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  if (static_cast<std::int64_t>(values.size()) != t.numel()) {
    throw InvalidArgument("tensor: " + std::to_string(values.size()) + " values for shape " + kernels::to_string(shape) +
                          " (" + std::to_string(t.numel()) + " elements)");
  }
  if (dtype == DType::kFloat32) {
    float* p = t.data<float>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = static_cast<float>(values[i]);
  } else {
    std::copy(values.begin(), values.end(), t.data<double>());
  }
  return t;
}

Tensor Tensor::from_floats(std::span<const float> values, const Shape& shape) {
  Tensor t = empty(shape, DType::kFloat32);
  if (static_cast<std::int64_t>(values.size()) != t.numel()) {
    throw InvalidArgument("tensor: " + std::to_string(values.size()) + " values for shape " + kernels::to_string(shape) +
                          " (" + std::to_string(t.numel()) + " elements)");
  }
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

Tensor Tensor::arange(std::int64_t n, DType dtype) {
  std::vector<double> v(static_cast<std::size_t>(std::max<std::int64_t>(0, n)));
  std::iota(v.begin(), v.end(), 0.0);
  return from_values(v, {n}, dtype);
}

namespace {

// SplitMix64: a seed gives the same sequence everywhere.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

}  // namespace

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, std::uint64_t seed, DType dtype) {
  SplitMix64 g{seed};
  std::vector<double> v(static_cast<std::size_t>(kernels::numel(shape)));
  for (double& x : v) x = lo + (hi - lo) * g.uniform01();
  return from_values(v, shape, dtype);
}

Tensor Tensor::normal(const Shape& shape, double mean, double stddev, std::uint64_t seed, DType dtype) {
  SplitMix64 g{seed};
  std::vector<double> v(static_cast<std::size_t>(kernels::numel(shape)));
  constexpr double kTwoPi = 6.283185307179586;
  for (std::size_t i = 0; i < v.size(); i += 2) {  // Box-Muller, two values per pair of draws
    const double u1 = 1.0 - g.uniform01(), u2 = g.uniform01();
    const double r = std::sqrt(-2.0 * std::log(u1));
    v[i] = mean + stddev * r * std::cos(kTwoPi * u2);
    if (i + 1 < v.size()) v[i + 1] = mean + stddev * r * std::sin(kTwoPi * u2);
  }
  return from_values(v, shape, dtype);
}

// ---------------------------------------------------------------------------------------------
// Properties

void Tensor::require_defined(const char* op) const {
  if (!storage_) throw InvalidArgument(std::string(op) + ": the tensor is undefined (default-constructed)");
}

Device Tensor::device() const {
  require_defined("device");
  return storage_->device();
}

namespace {

int normalize_dim(int d, int dims, const char* op, const Shape& shape, bool allow_end = false) {
  const int n = dims + (allow_end ? 1 : 0);
  if (d < -n || d >= n) {
    throw InvalidArgument(std::string(op) + ": dimension " + std::to_string(d) + " out of range for shape " +
                          to_string(shape));
  }
  return d < 0 ? d + n : d;
}

}  // namespace

std::int64_t Tensor::size(int d) const { return shape_[static_cast<std::size_t>(normalize_dim(d, dim(), "size", shape_))]; }

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    const auto u = static_cast<std::size_t>(i);
    if (shape_[u] != 1 && strides_[u] != expected) return false;
    expected *= shape_[u];
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Views

namespace {

Shape infer_shape(const Shape& wanted, std::int64_t n, const char* op, const Shape& from) {
  Shape out = wanted;
  int infer = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) throw InvalidArgument(std::string(op) + ": more than one -1 in " + to_string(wanted));
      infer = static_cast<int>(i);
    } else if (out[i] < 0) {
      throw InvalidArgument(std::string(op) + ": negative dimension in " + to_string(wanted));
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || n % known != 0) {
      throw InvalidArgument(std::string(op) + ": cannot view " + to_string(from) + " (" + std::to_string(n) +
                            " elements) as " + to_string(wanted));
    }
    out[static_cast<std::size_t>(infer)] = n / known;
  }
  if (numel(out) != n) {
    throw InvalidArgument(std::string(op) + ": cannot view " + to_string(from) + " (" + std::to_string(n) +
                          " elements) as " + to_string(wanted) + " (" + std::to_string(numel(out)) + " elements)");
  }
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  require_defined("view");
  const Shape s = infer_shape(shape, numel(), "view", shape_);
  if (!is_contiguous()) {
    throw InvalidArgument("view: a non-contiguous tensor " + kernels::to_string(shape_) + " (strides " +
                          kernels::to_string(strides_) + ") cannot be viewed as " + kernels::to_string(s) +
                          "; use reshape (which copies) or contiguous() first");
  }
  return Tensor(storage_, s, contiguous_strides(s), offset_, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  require_defined("reshape");
  const Shape s = infer_shape(shape, numel(), "reshape", shape_);
  return is_contiguous() ? Tensor(storage_, s, contiguous_strides(s), offset_, dtype_) : contiguous().view(s);
}

Tensor Tensor::transpose(int d0, int d1) const {
  require_defined("transpose");
  const auto a = static_cast<std::size_t>(normalize_dim(d0, dim(), "transpose", shape_));
  const auto b = static_cast<std::size_t>(normalize_dim(d1, dim(), "transpose", shape_));
  Shape sh = shape_, st = strides_;
  std::swap(sh[a], sh[b]);
  std::swap(st[a], st[b]);
  return Tensor(storage_, sh, st, offset_, dtype_);
}

Tensor Tensor::t() const {
  if (dim() != 2) throw InvalidArgument("t: expected a 2-D tensor, got shape " + kernels::to_string(shape_));
  return transpose(0, 1);
}

Tensor Tensor::permute(const std::vector<int>& dims) const {
  require_defined("permute");
  if (static_cast<int>(dims.size()) != dim()) {
    throw InvalidArgument("permute: " + std::to_string(dims.size()) + " dimensions given for shape " + kernels::to_string(shape_));
  }
  Shape sh(dims.size()), st(dims.size());
  std::vector<char> seen(dims.size(), 0);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const auto d = static_cast<std::size_t>(normalize_dim(dims[i], dim(), "permute", shape_));
    if (seen[d]++) throw InvalidArgument("permute: dimension " + std::to_string(dims[i]) + " appears twice");
    sh[i] = shape_[d];
    st[i] = strides_[d];
  }
  return Tensor(storage_, sh, st, offset_, dtype_);
}

Tensor Tensor::unsqueeze(int d) const {
  require_defined("unsqueeze");
  const auto u = static_cast<std::size_t>(normalize_dim(d, dim(), "unsqueeze", shape_, true));
  Shape sh = shape_, st = strides_;
  const std::int64_t stride = u < st.size() ? st[u] * shape_[u] : 1;
  sh.insert(sh.begin() + static_cast<std::ptrdiff_t>(u), 1);
  st.insert(st.begin() + static_cast<std::ptrdiff_t>(u), stride);
  return Tensor(storage_, sh, st, offset_, dtype_);
}

Tensor Tensor::squeeze(int d) const {
  require_defined("squeeze");
  const auto u = static_cast<std::size_t>(normalize_dim(d, dim(), "squeeze", shape_));
  if (shape_[u] != 1) {
    throw InvalidArgument("squeeze: dimension " + std::to_string(d) + " of " + kernels::to_string(shape_) + " is not 1");
  }
  Shape sh = shape_, st = strides_;
  sh.erase(sh.begin() + static_cast<std::ptrdiff_t>(u));
  st.erase(st.begin() + static_cast<std::ptrdiff_t>(u));
  return Tensor(storage_, sh, st, offset_, dtype_);
}

Tensor Tensor::slice(int d, std::int64_t start, std::int64_t end, std::int64_t step) const {
  require_defined("slice");
  const auto u = static_cast<std::size_t>(normalize_dim(d, dim(), "slice", shape_));
  const std::int64_t n = shape_[u];
  if (step < 1) throw InvalidArgument("slice: step must be at least 1 (got " + std::to_string(step) + ")");
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<std::int64_t>(start, 0, n);
  end = std::clamp<std::int64_t>(end, start, n);
  Shape sh = shape_, st = strides_;
  sh[u] = (end - start + step - 1) / step;
  st[u] = strides_[u] * step;
  return Tensor(storage_, sh, st, offset_ + start * strides_[u], dtype_);
}

Tensor Tensor::select(int d, std::int64_t index) const {
  require_defined("select");
  const auto u = static_cast<std::size_t>(normalize_dim(d, dim(), "select", shape_));
  const std::int64_t n = shape_[u];
  if (index < -n || index >= n) {
    throw InvalidArgument("select: index " + std::to_string(index) + " out of range for dimension " + std::to_string(d) +
                          " of " + kernels::to_string(shape_));
  }
  if (index < 0) index += n;
  Shape sh = shape_, st = strides_;
  sh.erase(sh.begin() + static_cast<std::ptrdiff_t>(u));
  st.erase(st.begin() + static_cast<std::ptrdiff_t>(u));
  return Tensor(storage_, sh, st, offset_ + index * strides_[u], dtype_);
}

Tensor Tensor::broadcast_to(const Shape& shape) const {
  require_defined("broadcast_to");
  if (shape.size() < shape_.size()) {
    throw InvalidArgument("broadcast_to: cannot broadcast " + kernels::to_string(shape_) + " to fewer dimensions " +
                          kernels::to_string(shape));
  }
  const std::size_t lead = shape.size() - shape_.size();
  Shape st(shape.size(), 0);
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) continue;
    const std::int64_t have = shape_[i - lead];
    if (have == shape[i]) st[i] = strides_[i - lead];
    else if (have == 1) st[i] = 0;
    else {
      throw InvalidArgument("broadcast_to: cannot broadcast " + kernels::to_string(shape_) + " to " +
                            kernels::to_string(shape) + " (dimension " + std::to_string(i) + ": " + std::to_string(have) +
                            " vs " + std::to_string(shape[i]) + ")");
    }
  }
  return Tensor(storage_, shape, st, offset_, dtype_);
}

// ---------------------------------------------------------------------------------------------
// Copies and element access

namespace {

void require_cpu(const Tensor& t, const char* op) {
  if (!t.device().is_cpu()) {
    throw InvalidArgument(std::string(op) + ": needs a CPU tensor, got one on " + to_string(t.device()) +
                          " (copy it with .to(Device::cpu()))");
  }
}

template <typename D, typename S>
void strided_copy(const Tensor& dst, const Tensor& src) {
  D* d = static_cast<D*>(dst.storage()->data());
  const S* s = static_cast<const S*>(src.storage()->data());
  for_each_offset2(dst.shape(), dst.strides(), dst.offset(), src.strides(), src.offset(),
                   [&](std::int64_t od, std::int64_t os) { d[od] = static_cast<D>(s[os]); });
}

}  // namespace

void Tensor::copy_from(const Tensor& src_in) {
  require_defined("copy_from");
  src_in.require_defined("copy_from");
  Tensor src = src_in.shape() == shape_ ? src_in : src_in.broadcast_to(shape_);
  // A source that may overlap this tensor (a view of the same storage, e.g. x[1:] = x[:-1]) is read
  // whole before anything is written, as if it had been copied first: the strided loops below
  // (and the GPU kernel's threads) would otherwise read elements already overwritten.
  if (src.shares_storage(*this)) src = src.clone();
  if (!device().is_cpu() || !src.device().is_cpu()) {
#if AISYS_HAVE_CUDA
    if (device() == src.device()) {  // on one GPU: a strided, converting copy kernel
      cuda_ops::strided_copy(*this, src);
      return;
    }
    // Across devices: the source made contiguous in this dtype on its own device, one cudaMemcpy,
    // then placed into this tensor's strides on its device.
    Tensor staged = src.contiguous();
    if (staged.dtype() != dtype_) staged = staged.to(dtype_);
    Tensor landing = is_contiguous() ? *this : Tensor::empty(shape_, dtype_, device());
    const std::size_t bytes = static_cast<std::size_t>(numel()) * size_of(dtype_);
    if (bytes > 0) {
      const cudaError_t e = cudaMemcpy(static_cast<char*>(landing.storage()->data()) + landing.offset() * size_of(dtype_),
                                       static_cast<const char*>(staged.storage()->data()) + staged.offset() * size_of(dtype_),
                                       bytes, cudaMemcpyDefault);
      if (e != cudaSuccess) throw LibraryError(std::string("copy_from: cudaMemcpy failed: ") + cudaGetErrorString(e));
    }
    if (!landing.shares_storage(*this)) copy_from(landing);
    return;
#else
    throw InvalidArgument("copy_from: GPU tensors need a CUDA build");
#endif
  }
  if (dtype_ == DType::kFloat32 && src.dtype() == DType::kFloat32) strided_copy<float, float>(*this, src);
  else if (dtype_ == DType::kFloat32) strided_copy<float, double>(*this, src);
  else if (src.dtype() == DType::kFloat32) strided_copy<double, float>(*this, src);
  else strided_copy<double, double>(*this, src);
}

void Tensor::add_from(const Tensor& src_in) {
  require_defined("add_from");
  src_in.require_defined("add_from");
  if (src_in.dtype() != dtype_) {
    throw InvalidArgument(std::string("add_from: dtypes differ (this tensor ") + name_of(dtype_) + ", the source " +
                          name_of(src_in.dtype()) + "): convert one with .to(DType)");
  }
  if (!(src_in.device() == device())) {
    throw InvalidArgument("add_from: this tensor is on " + kernels::to_string(device()) + ", the source on " +
                          kernels::to_string(src_in.device()) + ": copy one with .to(Device)");
  }
  for (std::size_t d = 0; d < shape_.size(); ++d) {
    if (strides_[d] == 0 && shape_[d] > 1) {
      throw InvalidArgument("add_from: this tensor, " + kernels::to_string(shape_) + ", is a broadcast view (dimension " +
                            std::to_string(d) + " has stride 0): its elements alias, so one would be added to " +
                            std::to_string(shape_[d]) + " times");
    }
  }
  Tensor src = src_in;
  if (src_in.shape() != shape_) {
    try {
      src = src_in.broadcast_to(shape_);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(std::string("add_from: the source does not broadcast to this tensor: ") + e.what());
    }
  }
  if (src.shares_storage(*this)) src = src.clone();  // read whole before any write, as copy_from
  if (!device().is_cpu()) {
#if AISYS_HAVE_CUDA
    cuda_ops::add_into(*this, src);
    return;
#else
    throw InvalidArgument("add_from: GPU tensors need a CUDA build");
#endif
  }
  const auto add = [&]<typename T>() {
    T* d = static_cast<T*>(storage_->data());
    const T* s = static_cast<const T*>(src.storage()->data());
    for_each_offset2(shape_, strides_, offset_, src.strides(), src.offset(),
                     [&](std::int64_t od, std::int64_t os) { d[od] += s[os]; });
  };
  if (dtype_ == DType::kFloat32) add.template operator()<float>();
  else add.template operator()<double>();
}

void Tensor::fill(double value) {
  require_defined("fill");
  if (!device().is_cpu()) {
    Tensor host = Tensor::full(shape_, value, dtype_);
    copy_from(host);
    return;
  }
  if (dtype_ == DType::kFloat32) {
    float* p = static_cast<float*>(storage_->data());
    for_each_offset(shape_, strides_, offset_, [&](std::int64_t o) { p[o] = static_cast<float>(value); });
  } else {
    double* p = static_cast<double*>(storage_->data());
    for_each_offset(shape_, strides_, offset_, [&](std::int64_t o) { p[o] = value; });
  }
}

Tensor Tensor::contiguous() const {
  require_defined("contiguous");
  return is_contiguous() ? *this : clone();
}

Tensor Tensor::clone() const {
  require_defined("clone");
  Tensor out = uninitialized(shape_, dtype_, device());
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(Device device_to) const {
  require_defined("to");
  if (device_to == device()) return *this;
  Tensor src = contiguous();
  Tensor out = empty(shape_, dtype_, device_to);
  out.copy_from(src);
  return out;
}

Tensor Tensor::to(DType dtype_to) const {
  require_defined("to");
  if (dtype_to == dtype_) return *this;
  Tensor out = uninitialized(shape_, dtype_to, device());
  out.copy_from(*this);
  return out;
}

template <typename T>
T* Tensor::data() const {
  require_defined("data");
  constexpr DType want = std::is_same_v<T, float> ? DType::kFloat32 : DType::kFloat64;
  if (dtype_ != want) {
    throw InvalidArgument(std::string("data: the tensor holds ") + name_of(dtype_) + ", asked for " + name_of(want));
  }
  return static_cast<T*>(storage_->data()) + offset_;
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;

double Tensor::item() const {
  require_defined("item");
  if (numel() != 1) throw InvalidArgument("item: the tensor has " + std::to_string(numel()) + " elements, shape " + kernels::to_string(shape_));
  return to_vector()[0];
}

double Tensor::at(std::initializer_list<std::int64_t> index) const {
  require_defined("at");
  require_cpu(*this, "at");
  if (static_cast<int>(index.size()) != dim()) {
    throw InvalidArgument("at: " + std::to_string(index.size()) + " indices for shape " + kernels::to_string(shape_));
  }
  std::int64_t o = offset_;
  std::size_t i = 0;
  for (std::int64_t k : index) {
    if (k < 0 || k >= shape_[i]) {
      throw InvalidArgument("at: index " + std::to_string(k) + " out of range for dimension " + std::to_string(i) + " of " +
                            kernels::to_string(shape_));
    }
    o += k * strides_[i++];
  }
  return dtype_ == DType::kFloat32 ? static_cast<const float*>(storage_->data())[o] : static_cast<const double*>(storage_->data())[o];
}

std::vector<double> Tensor::to_vector() const {
  require_defined("to_vector");
  const Tensor host = device().is_cpu() ? *this : to(Device::cpu());
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(numel()));
  if (dtype_ == DType::kFloat32) {
    const float* p = static_cast<const float*>(host.storage()->data());
    for_each_offset(shape_, host.strides(), host.offset(), [&](std::int64_t o) { out.push_back(p[o]); });
  } else {
    const double* p = static_cast<const double*>(host.storage()->data());
    for_each_offset(shape_, host.strides(), host.offset(), [&](std::int64_t o) { out.push_back(p[o]); });
  }
  return out;
}

std::string Tensor::to_string(int max_elements) const {
  if (!defined()) return "undefined";
  std::ostringstream s;
  s << name_of(dtype_) << kernels::to_string(shape_);
  if (!device().is_cpu()) s << " on " << kernels::to_string(device());
  s << " {";
  const auto v = to_vector();
  for (std::size_t i = 0; i < v.size() && static_cast<int>(i) < max_elements; ++i) s << (i ? ", " : "") << v[i];
  if (static_cast<int>(v.size()) > max_elements) s << ", ...";
  s << "}";
  return s.str();
}

}  // namespace aisys::kernels
