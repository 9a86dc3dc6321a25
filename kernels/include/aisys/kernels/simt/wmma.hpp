// aisys/kernels/simt/wmma.hpp: nvcuda::wmma for the SIMT emulator (simt/emulator.hpp), included by
// simt/cuda_shim.hpp. On a GPU a fragment is spread over the 32 threads of a warp, in a layout
// CUDA leaves unspecified; here every thread holds the whole matrix (x[] has all rows x cols
// elements), which is what a kernel may rely on: load, store, fill, mma, and element-wise loops over
// x[0 .. num_elements). mma_sync multiplies in FP32 (a product of two FP16 or BF16 values is exact
// there) and accumulates in FP32, in k order.
//
// Checked as CUDA documents them (a violation fails the launch): the pointer of a load or store is
// 256-bit (32-byte) aligned, ldm is a multiple of 16 bytes' worth of elements, and every lane of
// the warp passes the same pointer and ldm (emulator.hpp's warp_uniform; each emulated lane holds
// the whole tile, so a kernel whose lanes disagree would otherwise compute a right answer).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <cstddef>
#include <string>
#include <type_traits>

#include "aisys/kernels/simt/emulator.hpp"

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

namespace detail {

template <class Use, int M, int N, int K>
struct shape_of;
template <int M, int N, int K>
struct shape_of<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct shape_of<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct shape_of<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};

template <class T>
float to_float(T v) {
  return static_cast<float>(v);
}

// FP16 to FP32 through a table of all 65536 values (the CUDA headers' host conversion is a
// bit-by-bit routine, and an emulated warp does every product 32 times).
inline float to_float(__half v) {
  static const float* const table = [] {
    static float t[65536];
    for (unsigned i = 0; i < 65536; ++i) {
      __half_raw raw;
      raw.x = static_cast<unsigned short>(i);
      t[i] = __half2float(__half(raw));
    }
    return t;
  }();
  return table[static_cast<__half_raw>(v).x];
}

template <class T>
void check_operand(const char* what, const void* ptr, unsigned ldm) {
  ::aisys::simt::warp_uniform(what, reinterpret_cast<std::uintptr_t>(ptr), ldm);
  if (reinterpret_cast<std::uintptr_t>(ptr) % 32 != 0) {
    throw ::aisys::simt::KernelFault(std::string("wmma::") + what +
                                     ": the pointer is not 256-bit (32-byte) aligned");
  }
  if ((ldm * sizeof(T)) % 16 != 0) {
    throw ::aisys::simt::KernelFault(std::string("wmma::") + what + ": ldm " +
                                     std::to_string(ldm) +
                                     " is not a multiple of 16 bytes of elements");
  }
}

}  // namespace detail

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment {
  static constexpr int rows = detail::shape_of<Use, M, N, K>::rows;
  static constexpr int cols = detail::shape_of<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols;
  using element_type = T;
  T x[num_elements];
  // Element (r, c) of the matrix the fragment holds (x is kept row-major).
  T& at(int r, int c) { return x[r * cols + c]; }
  const T& at(int r, int c) const { return x[r * cols + c]; }
};

template <class Use, int M, int N, int K, class T, class Layout, class V>
void fill_fragment(fragment<Use, M, N, K, T, Layout>& f, const V& v) {
  for (auto& e : f.x) e = static_cast<T>(v);
}

// matrix_a / matrix_b: the layout is the fragment's.
template <class Use, int M, int N, int K, class T, class Layout>
void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, const T* p, unsigned ldm) {
  detail::check_operand<T>("load_matrix_sync", p, ldm);
  using F = fragment<Use, M, N, K, T, Layout>;
  for (int r = 0; r < F::rows; ++r) {
    for (int c = 0; c < F::cols; ++c) {
      f.at(r, c) = std::is_same_v<Layout, col_major> ? p[static_cast<std::size_t>(c) * ldm + r]
                                                     : p[static_cast<std::size_t>(r) * ldm + c];
    }
  }
}

// accumulator: the layout is given.
template <int M, int N, int K, class T>
void load_matrix_sync(fragment<accumulator, M, N, K, T>& f, const T* p, unsigned ldm, layout_t l) {
  detail::check_operand<T>("load_matrix_sync", p, ldm);
  for (int r = 0; r < M; ++r) {
    for (int c = 0; c < N; ++c) {
      f.at(r, c) = l == mem_col_major ? p[static_cast<std::size_t>(c) * ldm + r]
                                      : p[static_cast<std::size_t>(r) * ldm + c];
    }
  }
}

template <int M, int N, int K, class T>
void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T>& f, unsigned ldm, layout_t l) {
  detail::check_operand<T>("store_matrix_sync", p, ldm);
  for (int r = 0; r < M; ++r) {
    for (int c = 0; c < N; ++c) {
      (l == mem_col_major ? p[static_cast<std::size_t>(c) * ldm + r]
                          : p[static_cast<std::size_t>(r) * ldm + c]) = f.at(r, c);
    }
  }
}

// d = a * b + c (d may be c). The operands are converted to FP32 once, not once per product (each
// of the warp's 32 threads computes the whole tile).
template <int M, int N, int K, class TA, class LA, class TB, class LB, class TC>
void mma_sync(fragment<accumulator, M, N, K, TC>& d, const fragment<matrix_a, M, N, K, TA, LA>& a,
              const fragment<matrix_b, M, N, K, TB, LB>& b,
              const fragment<accumulator, M, N, K, TC>& c) {
  ::aisys::simt::warp_uniform("mma_sync", 0, 0);  // every lane makes it
  float af[M * K], bf[K * N], acc[M * N];
  for (int i = 0; i < M * K; ++i) af[i] = detail::to_float(a.x[i]);
  for (int i = 0; i < K * N; ++i) bf[i] = detail::to_float(b.x[i]);
  for (int i = 0; i < M * N; ++i) acc[i] = detail::to_float(c.x[i]);
  for (int i = 0; i < M; ++i) {
    for (int k = 0; k < K; ++k) {
      const float av = af[i * K + k];
      for (int j = 0; j < N; ++j) acc[i * N + j] += av * bf[k * N + j];
    }
  }
  fragment<accumulator, M, N, K, TC> out;
  for (int i = 0; i < M * N; ++i) out.x[i] = static_cast<TC>(acc[i]);
  d = out;
}

}  // namespace nvcuda::wmma
