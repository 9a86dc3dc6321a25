// Peak FP32 FMA throughput of one thread with AVX2 (compiled with -mavx2 -mfma; called only when
// the CPU has both). 12 independent accumulator chains hide the FMA latency (4 cycles x 2 pipes).
#include <immintrin.h>

#include <chrono>

#include "aisys/harness/ceilings.hpp"

namespace aisys::ceilings {

double fma_peak_avx2(long iterations) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * static_cast<float>(i));
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    asm volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]),
                 "+x"(acc[5]), "+x"(acc[6]), "+x"(acc[7]), "+x"(acc[8]), "+x"(acc[9]),
                 "+x"(acc[10]), "+x"(acc[11]));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  __m256 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm256_add_ps(sum, acc[i]);
  volatile float sink = _mm256_cvtss_f32(sum);
  (void)sink;
  return 12.0 * 8.0 * 2.0 * static_cast<double>(iterations) / seconds * 1e-9;
}

}  // namespace aisys::ceilings
