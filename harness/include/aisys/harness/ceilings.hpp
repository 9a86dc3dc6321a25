// aisys/harness/ceilings.hpp: the machine's own roofs, measured by microbenchmarks (never by a
// baseline library, or ratio to baseline and fraction of roofline would be one number):
//   - peak FP32 FLOP/s: independent chains of vfmadd (12 accumulators, enough to cover the FMA
//     latency x throughput), per instruction set (AVX2 ymm, AVX-512 zmm), 1 thread and all threads;
//   - streaming bandwidth: b = 1.5 a + b over arrays far larger than the last-level cache,
//     1 thread and all threads.
// The ISA-specific loops live in ceilings_avx2.cpp / ceilings_avx512.cpp, each compiled with its
// own flags and chosen at run time.
#pragma once

#include <nlohmann/json.hpp>

namespace aisys::ceilings {

struct Ceilings {
  double fp32_peak_gflops_1thread = 0;
  double fp32_peak_gflops_all = 0;
  int all_threads = 1;
  const char* isa = "scalar";
  double stream_gbs_1thread = 0;
  double stream_gbs_all = 0;
};

// Measures (about half a second; `quick` shortens it for CI). Cached per process.
const Ceilings& measure(bool quick = false);

// The ceilings block of a results context.
nlohmann::json to_json(const Ceilings& c);

// Roofline time of a call: max(flops / peak, bytes / bandwidth), for `threads` threads.
struct Roofline {
  double time_s = 0;
  double peak_gflops = 0;
  const char* bound = "compute";
};
Roofline roofline(const Ceilings& c, double flops, double bytes, int threads);

// Per-ISA loops (internal; exposed for tests). Return GFLOP/s of one thread running `iterations`.
double fma_peak_avx2(long iterations);
double fma_peak_avx512(long iterations);

}  // namespace aisys::ceilings
