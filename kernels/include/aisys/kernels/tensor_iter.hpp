// aisys/kernels/tensor_iter.hpp: walking the elements of strided tensors in row-major logical
// order. Each helper calls fn with the element offsets (in elements, storage-relative) of one to
// four tensors of the same shape (broadcast operands carry stride 0): an odometer over the outer
// dimensions and a tight loop over the innermost one. Used by the CPU ops; no allocation.
#pragma once

#include <cstdint>
#include <vector>

namespace aisys::kernels {

namespace detail {
template <int N, typename Fn>
inline void call_with(Fn& fn, const std::int64_t (&o)[N], std::int64_t i) {
  if constexpr (N == 1) fn(o[0] + i);
  else if constexpr (N == 2) fn(o[0] + i, o[1] + i);
  else if constexpr (N == 3) fn(o[0] + i, o[1] + i, o[2] + i);
  else fn(o[0] + i, o[1] + i, o[2] + i, o[3] + i);
}
}  // namespace detail

// Adjacent dimensions that are contiguous with each other in every operand are merged first (a
// contiguous tensor becomes one run), so the innermost loop is as long as it can be; when every
// operand has stride 1 there, it is a plain counted loop the compiler vectorizes.
template <int N, typename Fn>
void for_each_offset_n(const std::vector<std::int64_t>& shape_in, const std::vector<std::int64_t>* const (&strides_in)[N],
                       const std::int64_t (&offsets)[N], Fn&& fn) {
  for (std::int64_t d : shape_in) {
    if (d == 0) return;
  }
  std::int64_t base[N];
  for (int k = 0; k < N; ++k) base[k] = offsets[k];
  if (shape_in.empty()) {
    detail::call_with<N>(fn, base, 0);
    return;
  }
  // Coalesce: dims of size 1 dropped, d merged into d + 1 when stride[d] == stride[d+1] * size[d+1].
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides[N];
  for (std::size_t d = 0; d < shape_in.size(); ++d) {
    const std::int64_t size = shape_in[d];
    if (size == 1) continue;
    if (!shape.empty()) {
      bool mergeable = true;
      for (int k = 0; k < N; ++k) mergeable = mergeable && strides[k].back() == (*strides_in[k])[d] * size;
      if (mergeable) {
        shape.back() *= size;
        for (int k = 0; k < N; ++k) strides[k].back() = (*strides_in[k])[d];
        continue;
      }
    }
    shape.push_back(size);
    for (int k = 0; k < N; ++k) strides[k].push_back((*strides_in[k])[d]);
  }
  if (shape.empty()) {  // every dimension had size 1
    detail::call_with<N>(fn, base, 0);
    return;
  }
  const int dims = static_cast<int>(shape.size());
  std::vector<std::int64_t> idx(static_cast<std::size_t>(dims), 0);
  const std::int64_t inner = shape[static_cast<std::size_t>(dims - 1)];
  std::int64_t step[N];
  bool unit = true;
  for (int k = 0; k < N; ++k) {
    step[k] = strides[k][static_cast<std::size_t>(dims - 1)];
    unit = unit && step[k] == 1;
  }
  while (true) {
    if (unit) {
      for (std::int64_t i = 0; i < inner; ++i) detail::call_with<N>(fn, base, i);
    } else {
      std::int64_t o[N];
      for (int k = 0; k < N; ++k) o[k] = base[k];
      for (std::int64_t i = 0; i < inner; ++i) {
        detail::call_with<N>(fn, o, 0);
        for (int k = 0; k < N; ++k) o[k] += step[k];
      }
    }
    int d = dims - 2;
    for (; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      for (int k = 0; k < N; ++k) base[k] += strides[k][u];
      if (++idx[u] < shape[u]) break;
      for (int k = 0; k < N; ++k) base[k] -= strides[k][u] * shape[u];
      idx[u] = 0;
    }
    if (d < 0) return;
  }
}

template <typename Fn>
void for_each_offset(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& strides, std::int64_t offset,
                     Fn&& fn) {
  const std::vector<std::int64_t>* const s[1] = {&strides};
  const std::int64_t o[1] = {offset};
  for_each_offset_n<1>(shape, s, o, fn);
}

template <typename Fn>
void for_each_offset2(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& strides_a, std::int64_t offset_a,
                      const std::vector<std::int64_t>& strides_b, std::int64_t offset_b, Fn&& fn) {
  const std::vector<std::int64_t>* const s[2] = {&strides_a, &strides_b};
  const std::int64_t o[2] = {offset_a, offset_b};
  for_each_offset_n<2>(shape, s, o, fn);
}

template <typename Fn>
void for_each_offset3(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& strides_a, std::int64_t offset_a,
                      const std::vector<std::int64_t>& strides_b, std::int64_t offset_b,
                      const std::vector<std::int64_t>& strides_c, std::int64_t offset_c, Fn&& fn) {
  const std::vector<std::int64_t>* const s[3] = {&strides_a, &strides_b, &strides_c};
  const std::int64_t o[3] = {offset_a, offset_b, offset_c};
  for_each_offset_n<3>(shape, s, o, fn);
}

template <typename Fn>
void for_each_offset4(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& strides_a, std::int64_t offset_a,
                      const std::vector<std::int64_t>& strides_b, std::int64_t offset_b,
                      const std::vector<std::int64_t>& strides_c, std::int64_t offset_c,
                      const std::vector<std::int64_t>& strides_d, std::int64_t offset_d, Fn&& fn) {
  const std::vector<std::int64_t>* const s[4] = {&strides_a, &strides_b, &strides_c, &strides_d};
  const std::int64_t o[4] = {offset_a, offset_b, offset_c, offset_d};
  for_each_offset_n<4>(shape, s, o, fn);
}

}  // namespace aisys::kernels
