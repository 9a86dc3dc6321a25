// Stage 4 (AVX2 + FMA): packed panels + register-blocked micro-kernel (Goto / BLIS scheme).
//
// What it adds: A is packed into MR-row panels and B into NR-column panels so the micro-kernel
// reads both with unit stride from L1/L2; a 6 x 16 tile of C lives in 12 ymm accumulators for the
// whole KC loop. Per k: 2 ymm loads of B + 6 broadcasts of A feed 12 FMAs (192 FLOP per 88 bytes,
// ~2.2 FLOP/byte from L1, far more from DRAM at these block sizes): compute-bound, near the
// 2-FMA-per-cycle ymm peak (half the AVX-512 peak).
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

constexpr int kMR = 6;          // micro-tile rows (broadcasts of A)
constexpr int kNR = 16;         // micro-tile columns (two ymm of B)
constexpr int kKC = 512;        // depth of a packed block
constexpr int kMC = 120;        // rows of A per packed block (MC x KC floats = 240 KiB, L2)
constexpr int kNC = 2048;       // columns of B per packed block (KC x NC floats = 4 MiB, L3)
constexpr int kSmallM = 4;      // up to this M, stream B row by row (small_m)
constexpr int kSmallNB = 2048;  // columns of C per small_m block (kSmallM rows: 32 KiB)

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
  const std::size_t panel = static_cast<std::size_t>(kc) * kNR;  // floats per panel
  for (int k = 0; k < kc; ++k) {
    const float* row = B + static_cast<std::size_t>(k) * ldb;
    float* d = dst + static_cast<std::size_t>(k) * kNR;
    for (int p = 0; p < full; ++p) {
      _mm256_store_ps(d, _mm256_loadu_ps(row));
      _mm256_store_ps(d + 8, _mm256_loadu_ps(row + 8));
      row += kNR;
      d += panel;
    }
    for (int jj = 0; jj < kNR && tail > 0; ++jj) d[jj] = jj < tail ? row[jj] : 0.0f;
  }
}

// Lane mask for the first n (0..8) floats of a ymm, for maskload/maskstore.
inline __m256i tail_mask(int n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

// Micro-kernel: C[0:R, 0:n] = alpha * Apanel * Bpanel + beta * C  (R <= kMR rows, n <= kNR cols).
// a: packed panel (R floats per k), b: packed panel (kNR floats per k). beta_zero: C is not read.
template <int R>
void kernel(int kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
            std::size_t ldc, int n, float alpha, float beta, bool beta_zero) {
  __m256 acc0[R];
  __m256 acc1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    // Start fetching the C tile now; it is needed only after the k loop.
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
    acc0[r] = _mm256_setzero_ps();
    acc1[r] = _mm256_setzero_ps();
  }
  int k = 0;
  for (; k + 4 <= kc; k += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 8 * kNR), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(b + 10 * kNR), _MM_HINT_T0);
#pragma GCC unroll 4
    for (int u = 0; u < 4; ++u) {
      const __m256 b0 = _mm256_load_ps(b);
      const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 ar = _mm256_broadcast_ss(a + r);
        acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
      }
      a += R;
      b += kNR;
    }
  }
  for (; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r);
      acc0[r] = _mm256_fmadd_ps(ar, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(ar, b1, acc1[r]);
    }
    a += R;
    b += kNR;
  }

  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
  if (n == kNR) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float* cr = c + static_cast<std::size_t>(r) * ldc;
      if (beta_zero) {
        _mm256_storeu_ps(cr, _mm256_mul_ps(va, acc0[r]));
        _mm256_storeu_ps(cr + 8, _mm256_mul_ps(va, acc1[r]));
      } else {
        _mm256_storeu_ps(cr, _mm256_fmadd_ps(va, acc0[r], _mm256_mul_ps(vb, _mm256_loadu_ps(cr))));
        _mm256_storeu_ps(cr + 8,
                         _mm256_fmadd_ps(va, acc1[r], _mm256_mul_ps(vb, _mm256_loadu_ps(cr + 8))));
      }
    }
  } else {
    // Column tail: masked loads/stores touch only the n valid columns.
    const __m256i m0 = tail_mask(std::min(n, 8));
    const __m256i m1 = tail_mask(std::max(n - 8, 0));
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float* cr = c + static_cast<std::size_t>(r) * ldc;
      __m256 v0 = _mm256_mul_ps(va, acc0[r]);
      __m256 v1 = _mm256_mul_ps(va, acc1[r]);
      if (!beta_zero) {
        v0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), v0);
        v1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), v1);
      }
      _mm256_maskstore_ps(cr, m0, v0);
      _mm256_maskstore_ps(cr + 8, m1, v1);
    }
  }
}

// Full 6 x 16 tile. GCC's register allocator spills with 12 accumulators + 3 temporaries out of
// the 16 ymm registers, so the k loop is written in inline assembly (unrolled by 2): the
// accumulators are register operands, ymm13-15 hold the two B vectors and the broadcast of A.
void kernel_6x16(int kc, const float* __restrict a, const float* __restrict b, float* __restrict c,
                 std::size_t ldc, float alpha, float beta, bool beta_zero) {
#pragma GCC unroll 6
  for (int r = 0; r < kMR; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNR - 1), _MM_HINT_T0);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define AISYS_K_STEP(AOFF, BOFF)             \
  "vmovaps " #BOFF                           \
  "(%[b]), %%ymm13\n\t"                      \
  "vmovaps " #BOFF                           \
  "+32(%[b]), %%ymm14\n\t"                   \
  "vbroadcastss " #AOFF                      \
  "(%[a]), %%ymm15\n\t"                      \
  "vfmadd231ps %%ymm13, %%ymm15, %[c00]\n\t" \
  "vfmadd231ps %%ymm14, %%ymm15, %[c01]\n\t" \
  "vbroadcastss " #AOFF                      \
  "+4(%[a]), %%ymm15\n\t"                    \
  "vfmadd231ps %%ymm13, %%ymm15, %[c10]\n\t" \
  "vfmadd231ps %%ymm14, %%ymm15, %[c11]\n\t" \
  "vbroadcastss " #AOFF                      \
  "+8(%[a]), %%ymm15\n\t"                    \
  "vfmadd231ps %%ymm13, %%ymm15, %[c20]\n\t" \
  "vfmadd231ps %%ymm14, %%ymm15, %[c21]\n\t" \
  "vbroadcastss " #AOFF                      \
  "+12(%[a]), %%ymm15\n\t"                   \
  "vfmadd231ps %%ymm13, %%ymm15, %[c30]\n\t" \
  "vfmadd231ps %%ymm14, %%ymm15, %[c31]\n\t" \
  "vbroadcastss " #AOFF                      \
  "+16(%[a]), %%ymm15\n\t"                   \
  "vfmadd231ps %%ymm13, %%ymm15, %[c40]\n\t" \
  "vfmadd231ps %%ymm14, %%ymm15, %[c41]\n\t" \
  "vbroadcastss " #AOFF                      \
  "+20(%[a]), %%ymm15\n\t"                   \
  "vfmadd231ps %%ymm13, %%ymm15, %[c50]\n\t" \
  "vfmadd231ps %%ymm14, %%ymm15, %[c51]\n\t"
  long pairs = kc / 2;
  if (pairs > 0) {
    __asm__ volatile(
            "1:\n\t"
            "prefetcht0 512(%[b])\n\t"
            AISYS_K_STEP(0, 0)
            AISYS_K_STEP(24, 64)
            "addq $48, %[a]\n\t"
            "addq $128, %[b]\n\t"
            "decq %[n]\n\t"
            "jnz 1b\n\t"
            : [a] "+r"(a), [b] "+r"(b), [n] "+r"(pairs), [c00] "+x"(c00), [c01] "+x"(c01),
              [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21),
              [c30] "+x"(c30), [c31] "+x"(c31), [c40] "+x"(c40), [c41] "+x"(c41),
              [c50] "+x"(c50), [c51] "+x"(c51)
            :
            : "xmm13", "xmm14", "xmm15", "cc", "memory");
  }
  if (kc % 2 != 0) {
    __asm__ volatile(AISYS_K_STEP(0, 0)
                     : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11),
                       [c20] "+x"(c20), [c21] "+x"(c21), [c30] "+x"(c30), [c31] "+x"(c31),
                       [c40] "+x"(c40), [c41] "+x"(c41), [c50] "+x"(c50), [c51] "+x"(c51)
                     : [a] "r"(a), [b] "r"(b)
                     : "xmm13", "xmm14", "xmm15", "memory");
  }
#undef AISYS_K_STEP
  const __m256 acc[kMR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 6
  for (int r = 0; r < kMR; ++r) {
    float* cr = c + static_cast<std::size_t>(r) * ldc;
    __m256 v0 = _mm256_mul_ps(va, acc[r][0]);
    __m256 v1 = _mm256_mul_ps(va, acc[r][1]);
    if (!beta_zero) {
      v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), v0);
      v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), v1);
    }
    _mm256_storeu_ps(cr, v0);
    _mm256_storeu_ps(cr + 8, v1);
  }
}

using KernelFn = void (*)(int, const float*, const float*, float*, std::size_t, int, float, float,
                          bool);

// kernel<R> for R = 1..kMR, indexed by R.
constexpr KernelFn kKernels[kMR + 1] = {nullptr,   kernel<1>, kernel<2>, kernel<3>,
                                        kernel<4>, kernel<5>, kernel<6>};

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
    for (int k = 0; k < K; k += 4) {
      const int ku = std::min(4, K - k);
      __m256 av[R][4];
      float as[R][4];
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) {
          as[r][u] = u < ku ? alpha * A[static_cast<std::size_t>(r) * lda + k + u] : 0.0f;
          av[r][u] = _mm256_set1_ps(as[r][u]);
        }
      }
      // Rows of B past K are never read: their pointers alias row k (their a is zero).
      const float* b[4];
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        b[u] = B + static_cast<std::size_t>(k + (u < ku ? u : 0)) * ldb + jb;
      }
      int j = 0;
      for (; j + 8 <= nb; j += 8) {
        __m256 bv[4];
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) bv[u] = _mm256_loadu_ps(b[u] + j);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          float* cr = C + static_cast<std::size_t>(r) * ldc + jb + j;
          __m256 c = _mm256_loadu_ps(cr);
#pragma GCC unroll 4
          for (int u = 0; u < 4; ++u) c = _mm256_fmadd_ps(av[r][u], bv[u], c);
          _mm256_storeu_ps(cr, c);
        }
      }
      for (; j < nb; ++j) {
        for (int r = 0; r < R; ++r) {
          float& c = C[static_cast<std::size_t>(r) * ldc + jb + j];
          for (int u = 0; u < 4; ++u) c += as[r][u] * b[u][j];
        }
      }
    }
  }
}

// Runs the micro-kernels over one packed MC x KC block of A against the packed KC x NC block of B.
void macro_kernel(int mc, int nc, int kc, const float* pa, const float* pb, float* C, int ldc,
                  float alpha, float beta, bool beta_zero) {
  for (int j = 0; j < nc; j += kNR) {
    const int nr = std::min(kNR, nc - j);
    const float* b = pb + static_cast<std::size_t>(j) * kc;
    const float* a = pa;
    for (int i = 0; i < mc; i += kMR) {
      const int mr = std::min(kMR, mc - i);
      float* c = C + static_cast<std::size_t>(i) * ldc + j;
      if (mr == kMR && nr == kNR) {
        kernel_6x16(kc, a, b, c, static_cast<std::size_t>(ldc), alpha, beta, beta_zero);
      } else {
        kKernels[mr](kc, a, b, c, static_cast<std::size_t>(ldc), nr, alpha, beta, beta_zero);
      }
      a += static_cast<std::size_t>(mr) * kc;
    }
  }
}

}  // namespace

void sgemm_microkernel_avx2(int M, int N, int K, float alpha, const float* A, int lda,
                            const float* B, int ldb, float beta, float* C, int ldc) {
  check_gemm_args("sgemm_microkernel_avx2", M, N, K, A, lda, B, ldb, C, ldc);
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

  for (int jc = 0; jc < N; jc += kNC) {
    const int nc = std::min(kNC, N - jc);
    for (int pc = 0; pc < K; pc += kKC) {
      const int kc = std::min(kKC, K - pc);
      // First K block applies beta; later ones accumulate onto it.
      const bool first = (pc == 0);
      const float beta_blk = first ? beta : 1.0f;
      const bool beta_zero = first && beta == 0.0f;
      pack_b(kc, nc, B + static_cast<std::size_t>(pc) * ldb + jc, ldb, pb);
      for (int ic = 0; ic < M; ic += kMC) {
        const int mc = std::min(kMC, M - ic);
        pack_a(mc, kc, A + static_cast<std::size_t>(ic) * lda + pc, lda, pa);
        macro_kernel(mc, nc, kc, pa, pb, C + static_cast<std::size_t>(ic) * ldc + jc, ldc, alpha,
                     beta_blk, beta_zero);
      }
    }
  }
}

}  // namespace aisys::lab01
