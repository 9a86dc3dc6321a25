// Peak FP32 FMA throughput of one thread with AVX-512 (compiled with -mavx512f; called only when
// the CPU has AVX-512F). The loop is fma_chains.hpp's.
#include <immintrin.h>

#include "aisys/harness/ceilings.hpp"
#include "fma_chains.hpp"

namespace aisys::ceilings {

namespace {
struct Zmm {
  using Vec = __m512;
  static constexpr int kLanes = 16;
  static Vec set1(float v) { return _mm512_set1_ps(v); }
  static Vec fmadd(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  static float first(Vec v) { return _mm512_cvtss_f32(v); }
  static void keep1(Vec& v) { asm volatile("" : "+v"(v)); }
  template <class... V>
  static void keep(V&... v) {
    (keep1(v), ...);
  }
};
}  // namespace

double fma_peak_avx512(long iterations) { return detail::fma_peak<Zmm>(iterations); }

}  // namespace aisys::ceilings
