// Lab 01 benchmarks: every CPU stage against OpenBLAS sgemm on the same inputs, in one run.
// Stage x shape table below; each case is "<part>/<size>" (square) or "<part>/m<M>_n<N>_k<K>".
//   aisys bench 01 [--impl reference] [--filter cpu/microkernel]     (or run this binary:
//   lab01_reference_bench --aisys_list | --aisys_filter=REGEX --aisys_out=results.json)
// Single-threaded stages are paired with OpenBLAS on one thread, the multithreaded stage with
// OpenBLAS on every core. Slow stages stop at sizes where one call stays under about a second.
#include <omp.h>

#include <algorithm>
#include <vector>

#include "aisys/harness/gemm_bench.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace {

using aisys::bench::SgemmCaseSpec;

struct StageRow {
  const char* part;
  aisys::bench::SgemmFunction fn;
  int max_square;   // largest square size benchmarked
  bool llm_shapes;  // also M = 1..128 with K = N = 4096
  bool all_threads;
};

const StageRow kStages[] = {
    {"cpu/naive", aisys::lab01::sgemm_naive, 512, false, false},
    {"cpu/loop_reorder", aisys::lab01::sgemm_loop_reorder, 1024, false, false},
    {"cpu/blocked", aisys::lab01::sgemm_blocked, 1024, false, false},
    {"cpu/microkernel", aisys::lab01::sgemm_microkernel, 2048, true, false},
    {"cpu/multithreaded", aisys::lab01::sgemm_multithreaded, 2048, true, true},
};

const int kSquareSizes[] = {64, 128, 256, 512, 1024, 2048};
const int kLlmRows[] = {1, 16, 128};

bool register_all() {
  const int all = std::max(1, omp_get_max_threads());
  for (const auto& stage : kStages) {
    const int threads = stage.all_threads ? all : 1;
    for (int n : kSquareSizes) {
      if (n > stage.max_square) continue;
      aisys::bench::register_sgemm_case({"01", stage.part, "square", n, n, n, threads, stage.fn});
    }
    if (stage.llm_shapes) {
      for (int m : kLlmRows) {
        aisys::bench::register_sgemm_case({"01", stage.part, "llm-k4096", m, 4096, 4096, threads, stage.fn});
      }
    }
  }
  return true;
}

const bool registered = register_all();

}  // namespace
