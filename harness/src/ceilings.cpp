// Measured roofs of the machine (aisys/harness/ceilings.hpp).
#include "aisys/harness/ceilings.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "aisys/kernels/cpu_features.hpp"

namespace aisys::ceilings {

namespace {

using PeakFn = double (*)(long);

PeakFn best_peak_fn(const char** isa) {
  const auto& f = aisys::cpu_features();
  if (f.avx512f) {
    *isa = "avx512";
    return fma_peak_avx512;
  }
  if (f.avx2 && f.fma) {
    *isa = "avx2";
    return fma_peak_avx2;
  }
  *isa = "scalar";
  return nullptr;
}

// Best of a few runs of `fn` with `threads` threads; returns the sum over threads.
double peak_gflops(PeakFn fn, int threads, long iterations) {
  double best = 0;
  for (int trial = 0; trial < 5; ++trial) {  // the best of 5: a shared machine only slows runs down
    std::vector<double> per_thread(static_cast<std::size_t>(threads), 0.0);
#pragma omp parallel num_threads(threads)
    { per_thread[static_cast<std::size_t>(omp_get_thread_num())] = fn(iterations); }
    double total = 0;
    for (double g : per_thread) total += g;
    best = std::max(best, total);
  }
  return best;
}

// b = 1.5 a + b: 2 loads + 1 store per element (12 bytes of float traffic, counted as
// 12 bytes: write-allocate traffic is not counted, as in STREAM).
double stream_gbs(int threads, std::size_t elements, int repeats) {
  std::unique_ptr<float[]> a(new float[elements]);
  std::unique_ptr<float[]> b(new float[elements]);
  const long n = static_cast<long>(elements);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long i = 0; i < n; ++i) {
    a[i] = 1.0f;
    b[i] = 2.0f;
  }
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (long i = 0; i < n; ++i) b[i] = 1.5f * a[i] + b[i];
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  volatile float sink = b[static_cast<std::size_t>(n / 2)];
  (void)sink;
  return 12.0 * static_cast<double>(elements) / best * 1e-9;
}

}  // namespace

const Ceilings& measure(bool quick) {
  static std::once_flag once;
  static Ceilings c;
  std::call_once(once, [quick] {
    const char* isa = "scalar";
    PeakFn fn = best_peak_fn(&isa);
    c.isa = isa;
    c.all_threads = std::max(1, omp_get_max_threads());
    const long iterations = quick ? 2'000'000 : 20'000'000;
    if (fn != nullptr) {
      c.fp32_peak_gflops_1thread = peak_gflops(fn, 1, iterations);
      c.fp32_peak_gflops_all = peak_gflops(fn, c.all_threads, iterations);
    }
    const std::size_t elements = (quick ? 32u : 64u) << 20;  // 2 x 128 MiB or 2 x 256 MiB
    c.stream_gbs_1thread = stream_gbs(1, elements, quick ? 2 : 4);
    c.stream_gbs_all = stream_gbs(c.all_threads, elements, quick ? 2 : 4);
  });
  return c;
}

nlohmann::json to_json(const Ceilings& c) {
  const std::string fma_how = std::string("measured: 12 independent FMA chains, ") + c.isa;
  const std::string bw_how = "measured: b = 1.5 a + b over arrays >> last-level cache";
  return {
      {"fp32_peak_gflops_1thread", {{"value", c.fp32_peak_gflops_1thread}, {"isa", c.isa}, {"threads", 1}, {"how", fma_how}}},
      {"fp32_peak_gflops_all", {{"value", c.fp32_peak_gflops_all}, {"isa", c.isa}, {"threads", c.all_threads}, {"how", fma_how}}},
      {"stream_bandwidth_gbs_1thread", {{"value", c.stream_gbs_1thread}, {"threads", 1}, {"how", bw_how}}},
      {"stream_bandwidth_gbs_all", {{"value", c.stream_gbs_all}, {"threads", c.all_threads}, {"how", bw_how}}},
  };
}

Roofline roofline(const Ceilings& c, double flops, double bytes, int threads) {
  Roofline r;
  const bool all = threads > 1;
  r.peak_gflops = all ? c.fp32_peak_gflops_all : c.fp32_peak_gflops_1thread;
  const double bw = all ? c.stream_gbs_all : c.stream_gbs_1thread;
  const double t_compute = r.peak_gflops > 0 ? flops / (r.peak_gflops * 1e9) : 0;
  const double t_memory = bw > 0 ? bytes / (bw * 1e9) : 0;
  r.time_s = std::max(t_compute, t_memory);
  r.bound = t_memory > t_compute ? "memory" : "compute";
  return r;
}

}  // namespace aisys::ceilings
