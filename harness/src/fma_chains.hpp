// Internal to the ceilings microbenchmark: the FP32 FMA peak loop, written once for any vector
// type and included by ceilings_avx2.cpp and ceilings_avx512.cpp, each compiled with its own ISA
// flags (the instantiation lives in the file whose flags allow it). 12 independent accumulator
// chains, each its own register, hide the FMA latency (4 cycles x 2 pipes = 8 in flight); the empty
// asm keeps the compiler from folding them.
#pragma once

#include <chrono>

namespace aisys::ceilings::detail {

// Ops: Vec, kLanes, set1(float), fmadd(a, b, c), add(a, b), first(v) -> float, and keep(v...), an
// empty asm that pins every chain in a register of Vec's class ("x" for ymm, "v" for zmm).
template <class Ops>
double fma_peak(long iterations) {
  using Vec = typename Ops::Vec;
  Vec c0 = Ops::set1(0.0f), c1 = Ops::set1(0.1f), c2 = Ops::set1(0.2f), c3 = Ops::set1(0.3f),
      c4 = Ops::set1(0.4f), c5 = Ops::set1(0.5f), c6 = Ops::set1(0.6f), c7 = Ops::set1(0.7f),
      c8 = Ops::set1(0.8f), c9 = Ops::set1(0.9f), c10 = Ops::set1(1.0f), c11 = Ops::set1(1.1f);
  const Vec a = Ops::set1(0.999999f);
  const Vec b = Ops::set1(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  for (long it = 0; it < iterations; ++it) {
    c0 = Ops::fmadd(c0, a, b);
    c1 = Ops::fmadd(c1, a, b);
    c2 = Ops::fmadd(c2, a, b);
    c3 = Ops::fmadd(c3, a, b);
    c4 = Ops::fmadd(c4, a, b);
    c5 = Ops::fmadd(c5, a, b);
    c6 = Ops::fmadd(c6, a, b);
    c7 = Ops::fmadd(c7, a, b);
    c8 = Ops::fmadd(c8, a, b);
    c9 = Ops::fmadd(c9, a, b);
    c10 = Ops::fmadd(c10, a, b);
    c11 = Ops::fmadd(c11, a, b);
    Ops::keep(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const Vec sum = Ops::add(Ops::add(Ops::add(Ops::add(c0, c1), Ops::add(c2, c3)),
                                    Ops::add(Ops::add(c4, c5), Ops::add(c6, c7))),
                           Ops::add(Ops::add(c8, c9), Ops::add(c10, c11)));
  volatile float sink = Ops::first(sum);
  (void)sink;
  return 12.0 * Ops::kLanes * 2.0 * static_cast<double>(iterations) / seconds * 1e-9;
}

}  // namespace aisys::ceilings::detail
