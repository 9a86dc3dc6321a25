// Peak FP32 FMA throughput of one thread with AVX2 (compiled with -mavx2 -mfma; called only when
// the CPU has AVX2 and FMA). The loop is fma_chains.hpp's.
#include <immintrin.h>

#include "aisys/harness/ceilings.hpp"
#include "fma_chains.hpp"

namespace aisys::ceilings {

namespace {
struct Ymm {
  using Vec = __m256;
  static constexpr int kLanes = 8;
  static Vec set1(float v) { return _mm256_set1_ps(v); }
  static Vec fmadd(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static float first(Vec v) { return _mm256_cvtss_f32(v); }
  static void keep1(Vec& v) { asm volatile("" : "+x"(v)); }
  template <class... V>
  static void keep(V&... v) {
    (keep1(v), ...);
  }
};
}  // namespace

double fma_peak_avx2(long iterations) { return detail::fma_peak<Ymm>(iterations); }

}  // namespace aisys::ceilings
