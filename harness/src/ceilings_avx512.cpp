// Peak FP32 FMA throughput of one thread with AVX-512 (compiled with -mavx512f; called only when
// the CPU has AVX-512F). 12 independent accumulator chains hide the FMA latency (4 cycles x 2 pipes).
#include <immintrin.h>

#include <chrono>

#include "aisys/harness/ceilings.hpp"

namespace aisys::ceilings {

double fma_peak_avx512(long iterations) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(0.001f * static_cast<float>(i));
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    asm volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]),
                 "+v"(acc[5]), "+v"(acc[6]), "+v"(acc[7]), "+v"(acc[8]), "+v"(acc[9]),
                 "+v"(acc[10]), "+v"(acc[11]));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  __m512 sum = acc[0];
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, acc[i]);
  volatile float sink = _mm512_cvtss_f32(sum);
  (void)sink;
  return 12.0 * 16.0 * 2.0 * static_cast<double>(iterations) / seconds * 1e-9;
}

}  // namespace aisys::ceilings
