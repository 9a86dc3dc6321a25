// Stage 4 (AVX-512): packed panels + register-blocked micro-kernel (Goto / BLIS scheme).
//
// What it adds: A is packed into MR-row panels and B into NR-column panels so the micro-kernel
// reads both with unit stride from L1/L2; a 12 x 32 tile of C lives in 24 zmm accumulators for the
// whole KC loop. Per k: 2 zmm loads of B + 12 broadcasts of A feed 24 FMAs (768 FLOP per 176
// bytes, ~4.4 FLOP/byte from L1, ~100+ FLOP/byte from DRAM at these block sizes): compute-bound,
// near the 2-FMA-per-cycle peak of the core.
// Blocking: NC x KC block of packed B in L2/L3, MC x KC block of packed A in L2, one KC x NR
// micro-panel of B in L1.
//
// Run: aisys test 01 --impl reference    Bench: aisys bench 01 --impl reference
#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <new>

#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01 {
namespace {

constexpr int kMR = 12;               // micro-tile rows (broadcasts of A)
constexpr int kNR = 32;               // micro-tile columns (two zmm of B)
constexpr int kKC = 512;              // depth of a packed block
constexpr int kMC = 120;              // rows of A per packed block (MC x KC floats = 240 KiB, L2)
constexpr int kNC = 2048;             // columns of B per packed block (KC x NC floats = 4 MiB, L3)
constexpr int kDirectBMaxRows = kMR;  // up to this M, B is not packed
constexpr int kSmallM = 4;            // up to this M, stream B row by row (small_m)
constexpr int kSmallNB = 2048;        // columns of C per small_m block (kSmallM rows: 32 KiB)

// Per-thread packing buffers, 64-byte aligned, grown on demand (thread-safe: one per thread).
struct PackBuffers {
  float* a = nullptr;
  float* b = nullptr;
  std::size_t a_size = 0;
  std::size_t b_size = 0;
  PackBuffers() = default;
  PackBuffers(const PackBuffers&) = delete;
  PackBuffers& operator=(const PackBuffers&) = delete;
  ~PackBuffers() {
    std::free(a);
    std::free(b);
  }
  static float* grow(float*& p, std::size_t& size, std::size_t need) {
    if (need > size) {
      std::free(p);
      const std::size_t bytes = (need * sizeof(float) + 63) / 64 * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (p == nullptr) throw std::bad_alloc();
      size = need;
    }
    return p;
  }
};

PackBuffers& buffers() {
  thread_local PackBuffers bufs;
  return bufs;
}

// Packs rows [0, mc) x depth [0, kc) of A into panels of kMR rows: panel p holds, for each k,
// the kMR values A[p*kMR + r][k] contiguously. The last panel is packed with its true row count
// (stride mr < kMR), matching the micro-kernel instantiated for that row count.
void pack_a(int mc, int kc, const float* A, int lda, float* dst) {
  for (int i = 0; i < mc; i += kMR) {
    const int mr = std::min(kMR, mc - i);
    const float* a = A + static_cast<std::size_t>(i) * lda;
    if (mr == kMR) {
      for (int k = 0; k < kc; ++k) {
        for (int r = 0; r < kMR; ++r) dst[r] = a[static_cast<std::size_t>(r) * lda + k];
        dst += kMR;
      }
    } else {
      for (int k = 0; k < kc; ++k) {
        for (int r = 0; r < mr; ++r) dst[r] = a[static_cast<std::size_t>(r) * lda + k];
        dst += mr;
      }
    }
  }
}

// Packs depth [0, kc) x columns [0, nc) of B into panels of kNR columns (kc x kNR each, row by
// row); the last panel is zero-padded to kNR columns. B is read row by row (sequential streams,
// friendly to the hardware prefetcher even when B comes from DRAM) and scattered to the panels.
void pack_b(int kc, int nc, const float* B, int ldb, float* dst) {
  const int full = nc / kNR;  // complete panels
  const int tail = nc - full * kNR;
  const __mmask16 m0 = static_cast<__mmask16>(tail >= 16 ? 0xFFFF : (1u << tail) - 1u);
  const __mmask16 m1 = static_cast<__mmask16>(tail <= 16 ? 0 : (1u << (tail - 16)) - 1u);
  const std::size_t panel = static_cast<std::size_t>(kc) * kNR;  // floats per panel
  for (int k = 0; k < kc; ++k) {
    const float* row = B + static_cast<std::size_t>(k) * ldb;
    float* d = dst + static_cast<std::size_t>(k) * kNR;
    for (int p = 0; p < full; ++p) {
      _mm512_store_ps(d, _mm512_loadu_ps(row));
      _mm512_store_ps(d + 16, _mm512_loadu_ps(row + 16));
      row += kNR;
      d += panel;
    }
    if (tail > 0) {
      _mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, row));
      _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, row + 16));
    }
  }
}

// Micro-kernel: C[0:R, 0:n] = alpha * Apanel * Bpanel + beta * C  (R <= kMR rows, n <= kNR cols).
// a: packed panel (R floats per k), b: kNR floats per k with stride ldbk floats between k rows.
// beta_zero: C is not read.
template <int R>
void kernel(int kc, const float* __restrict a, const float* __restrict b, std::size_t ldbk,
            float* __restrict c, std::size_t ldc, int n, float alpha, float beta, bool beta_zero) {
  __m512 acc0[R];
  __m512 acc1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    // Start fetching the C tile now; it is needed only after the k loop.
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  int k = 0;
  for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m512 b0 = _mm512_loadu_ps(b);
      const __m512 b1 = _mm512_loadu_ps(b + 16);
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * ldbk), _MM_HINT_T0);
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const __m512 ar = _mm512_set1_ps(a[r]);
        acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
      }
      a += R;
      b += ldbk;
    }
  }
  for (; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 ar = _mm512_set1_ps(a[r]);
      acc0[r] = _mm512_fmadd_ps(ar, b0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(ar, b1, acc1[r]);
    }
    a += R;
    b += ldbk;
  }

  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
  if (n == kNR) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      float* cr = c + static_cast<std::size_t>(r) * ldc;
      if (beta_zero) {
        _mm512_storeu_ps(cr, _mm512_mul_ps(va, acc0[r]));
        _mm512_storeu_ps(cr + 16, _mm512_mul_ps(va, acc1[r]));
      } else {
        _mm512_storeu_ps(cr, _mm512_fmadd_ps(va, acc0[r], _mm512_mul_ps(vb, _mm512_loadu_ps(cr))));
        _mm512_storeu_ps(cr + 16,
                         _mm512_fmadd_ps(va, acc1[r], _mm512_mul_ps(vb, _mm512_loadu_ps(cr + 16))));
      }
    }
  } else {
    // Column tail: masked loads/stores touch only the n valid columns.
    const __mmask16 m0 = static_cast<__mmask16>(n >= 16 ? 0xFFFF : (1u << n) - 1u);
    const __mmask16 m1 = static_cast<__mmask16>(n <= 16 ? 0 : (1u << (n - 16)) - 1u);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      float* cr = c + static_cast<std::size_t>(r) * ldc;
      if (beta_zero) {
        _mm512_mask_storeu_ps(cr, m0, _mm512_mul_ps(va, acc0[r]));
        _mm512_mask_storeu_ps(cr + 16, m1, _mm512_mul_ps(va, acc1[r]));
      } else {
        _mm512_mask_storeu_ps(
            cr, m0, _mm512_fmadd_ps(va, acc0[r], _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, cr))));
        _mm512_mask_storeu_ps(
            cr + 16, m1,
            _mm512_fmadd_ps(va, acc1[r], _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16))));
      }
    }
  }
}

using KernelFn = void (*)(int, const float*, const float*, std::size_t, float*, std::size_t, int,
                          float, float, bool);

// kernel<R> for R = 1..kMR, indexed by R.
constexpr KernelFn kKernels[kMR + 1] = {nullptr,    kernel<1>,  kernel<2>, kernel<3>, kernel<4>,
                                        kernel<5>,  kernel<6>,  kernel<7>, kernel<8>, kernel<9>,
                                        kernel<10>, kernel<11>, kernel<12>};

// C = beta * C over M x N (beta == 0: zeros, C not read).
void scale_c(int M, int N, float beta, float* C, int ldc) {
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<std::size_t>(i) * ldc;
    if (beta == 0.0f) {
      std::fill(c, c + N, 0.0f);
    } else if (beta != 1.0f) {
      for (int j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

// Short-and-wide GEMM (M <= kSmallM rows, e.g. one token times a weight matrix): each element of
// B is used only M times, so the run time is the time to stream B from memory. Rows of B are read
// whole (sequential, prefetch-friendly) and accumulated into C, which stays in L1 for a block of
// kSmallNB columns; C must already hold beta * C. Four rows of B per pass over C halve C traffic.
template <int R>
void small_m(int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float* C,
             int ldc) {
  for (int jb = 0; jb < N; jb += kSmallNB) {
    const int nb = std::min(kSmallNB, N - jb);
    int k = 0;
    for (; k < K; k += 4) {
      const int ku = std::min(4, K - k);
      __m512 av[R][4];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) {
          const float a = u < ku ? alpha * A[static_cast<std::size_t>(r) * lda + k + u] : 0.0f;
          av[r][u] = _mm512_set1_ps(a);
        }
      }
      // Rows of B past K are never read: their pointers alias row k (their a is zero).
      const float* b[4];
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        b[u] = B + static_cast<std::size_t>(k + (u < ku ? u : 0)) * ldb + jb;
      }
      for (int j = 0; j < nb; j += 16) {
        const __mmask16 m = static_cast<__mmask16>(nb - j >= 16 ? 0xFFFF : (1u << (nb - j)) - 1u);
        __m512 bv[4];
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) bv[u] = _mm512_maskz_loadu_ps(m, b[u] + j);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          float* cr = C + static_cast<std::size_t>(r) * ldc + jb + j;
          __m512 c = _mm512_maskz_loadu_ps(m, cr);
#pragma GCC unroll 4
          for (int u = 0; u < 4; ++u) c = _mm512_fmadd_ps(av[r][u], bv[u], c);
          _mm512_mask_storeu_ps(cr, m, c);
        }
      }
    }
  }
}

// Runs the micro-kernels over one packed MC x KC block of A against kc x nc of B. B is either the
// packed block pb (panels of stride kNR), or, when b_direct, read in place from B with stride ldb
// except for a partial last panel, which is taken packed (zero-padded) from pb.
void macro_kernel(int mc, int nc, int kc, const float* pa, const float* pb, bool b_direct,
                  const float* B, int ldb, float* C, int ldc, float alpha, float beta,
                  bool beta_zero) {
  for (int j = 0; j < nc; j += kNR) {
    const int nr = std::min(kNR, nc - j);
    const float* b = pb + static_cast<std::size_t>(j) * kc;
    std::size_t ldbk = kNR;
    if (b_direct) {
      if (nr == kNR) {
        b = B + j;
        ldbk = static_cast<std::size_t>(ldb);
      } else {
        b = pb;
      }
    }
    const float* a = pa;
    for (int i = 0; i < mc; i += kMR) {
      const int mr = std::min(kMR, mc - i);
      kKernels[mr](kc, a, b, ldbk, C + static_cast<std::size_t>(i) * ldc + j,
                   static_cast<std::size_t>(ldc), nr, alpha, beta, beta_zero);
      a += static_cast<std::size_t>(mr) * kc;
    }
  }
}

}  // namespace

void sgemm_microkernel_avx512(int M, int N, int K, float alpha, const float* A, int lda,
                              const float* B, int ldb, float beta, float* C, int ldc) {
  check_gemm_args("sgemm_microkernel_avx512", M, N, K, A, lda, B, ldb, C, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  if (M <= kSmallM) {
    scale_c(M, N, beta, C, ldc);
    switch (M) {
      case 1:
        small_m<1>(N, K, alpha, A, lda, B, ldb, C, ldc);
        break;
      case 2:
        small_m<2>(N, K, alpha, A, lda, B, ldb, C, ldc);
        break;
      case 3:
        small_m<3>(N, K, alpha, A, lda, B, ldb, C, ldc);
        break;
      default:
        small_m<4>(N, K, alpha, A, lda, B, ldb, C, ldc);
        break;
    }
    return;
  }
  PackBuffers& bufs = buffers();
  const int mc_max = std::min(kMC, M);
  const int kc_max = std::min(kKC, K);
  const int nc_max = (std::min(kNC, N) + kNR - 1) / kNR * kNR;
  float* pa = PackBuffers::grow(bufs.a, bufs.a_size, static_cast<std::size_t>(mc_max) * kc_max);
  float* pb = PackBuffers::grow(bufs.b, bufs.b_size, static_cast<std::size_t>(kc_max) * nc_max);

  // A single row panel uses each element of B once: read B in place instead of packing it.
  const bool b_direct = M <= kDirectBMaxRows;
  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = std::min(kNC, N - jc);
    for (int pc = 0; pc < K; pc += kKC) {
      const int kc = std::min(kKC, K - pc);
      const float* Bblk = B + static_cast<std::size_t>(pc) * ldb + jc;
      // First K block applies beta; later ones accumulate onto it.
      const bool first = (pc == 0);
      const float beta_blk = first ? beta : 1.0f;
      const bool beta_zero = first && beta == 0.0f;
      if (b_direct) {
        // Only the partial last panel (if any) needs packing.
        const int full = nc / kNR * kNR;
        if (full < nc) pack_b(kc, nc - full, Bblk + full, ldb, pb);
      } else {
        pack_b(kc, nc, Bblk, ldb, pb);
      }
      for (int ic = 0; ic < M; ic += kMC) {
        const int mc = std::min(kMC, M - ic);
        pack_a(mc, kc, A + static_cast<std::size_t>(ic) * lda + pc, lda, pa);
        macro_kernel(mc, nc, kc, pa, pb, b_direct, Bblk, ldb,
                     C + static_cast<std::size_t>(ic) * ldc + jc, ldc, alpha, beta_blk, beta_zero);
      }
    }
  }
}

}  // namespace aisys::lab01
