// aisys/kernels/tensor_iter.hpp: walking the elements of strided tensors in row-major logical
// order. Each helper calls fn with the element offsets (in elements, storage-relative) of one to
// three tensors of the same shape (broadcast operands carry stride 0): an odometer over the outer
// dimensions and a tight loop over the innermost one. Used by the CPU ops; no allocation.
#pragma once

#include <cstdint>
#include <vector>

namespace aisys::kernels {

template <int N, typename Fn>
void for_each_offset_n(const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>* const (&strides)[N],
                       const std::int64_t (&offsets)[N], Fn&& fn) {
  const int dims = static_cast<int>(shape.size());
  for (std::int64_t d : shape) {
    if (d == 0) return;
  }
  std::int64_t base[N];
  for (int k = 0; k < N; ++k) base[k] = offsets[k];
  if (dims == 0) {
    if constexpr (N == 1) fn(base[0]);
    else if constexpr (N == 2) fn(base[0], base[1]);
    else fn(base[0], base[1], base[2]);
    return;
  }
  std::vector<std::int64_t> idx(static_cast<std::size_t>(dims), 0);
  const std::int64_t inner = shape[static_cast<std::size_t>(dims - 1)];
  std::int64_t step[N];
  for (int k = 0; k < N; ++k) step[k] = (*strides[k])[static_cast<std::size_t>(dims - 1)];
  while (true) {
    std::int64_t o[N];
    for (int k = 0; k < N; ++k) o[k] = base[k];
    for (std::int64_t i = 0; i < inner; ++i) {
      if constexpr (N == 1) fn(o[0]);
      else if constexpr (N == 2) fn(o[0], o[1]);
      else fn(o[0], o[1], o[2]);
      for (int k = 0; k < N; ++k) o[k] += step[k];
    }
    int d = dims - 2;
    for (; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      for (int k = 0; k < N; ++k) base[k] += (*strides[k])[u];
      if (++idx[u] < shape[u]) break;
      for (int k = 0; k < N; ++k) base[k] -= (*strides[k])[u] * shape[u];
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

}  // namespace aisys::kernels
