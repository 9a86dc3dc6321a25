// aisys/harness/baselines.hpp: vendor baselines on the CPU (OpenBLAS). GPU baselines (cuBLAS,
// cuDNN, NCCL) join here as their labs land. Each baseline says what it is (library version, the
// kernel it picked, its threads) so the results' context can record it.
//
// The grader and the tests never touch OPENBLAS_* environment variables (MEASURING.md): the
// context records them as they are, and reference numbers are measured with them unset.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "aisys/kernels/cpu_features.hpp"

namespace aisys::baselines {

// Whether OpenBLAS's kernels use what this CPU has. OpenBLAS picks its kernels from the CPU's
// model number, so a CPU newer than the library gets an older kernel: OpenBLAS 0.3.21 on a Xeon of
// family 6 model 207 falls back to "Prescott", its SSE3 kernels, 32 GFLOP/s single-threaded sgemm
// against 153 with OPENBLAS_CORETYPE=SkylakeX on the same machine. OPENBLAS_CORETYPE=Haswell on an
// AVX-512 machine does the same on purpose. A ratio against such a baseline is not a result
// (MEASURING.md), so every results context and `aisys doctor` say so.
struct OpenblasKernelCheck {
  std::string kernel_isa;    // of OpenBLAS's kernels: "sse", "avx", "avx2", "avx512", or "unknown"
  std::string cpu_isa;       // the best this CPU and OS support: "avx512", "avx2" or "below avx2"
  bool handicapped = false;  // the kernels' level is below the CPU's
  std::string message;       // when handicapped: what runs, on what, and what to set instead
};
// corename as openblas_get_corename() gives it (any case); coretype_env: OPENBLAS_CORETYPE or null.
OpenblasKernelCheck check_openblas_kernel(const std::string& corename, const CpuFeatures& cpu,
                                          const char* coretype_env);

// True when the project was built with OpenBLAS (AISYS_OPENBLAS).
bool have_openblas();

// {"version", "corename" (openblas_get_corename()), "config", "threads", "env": {...},
//  "kernel_isa", "cpu_isa", "handicapped" and, when handicapped, "handicap" (check_openblas_kernel's
//  message)} or {"available": false, "reason": ...}.
nlohmann::json openblas_info();

// Row-major cblas_sgemm: C = alpha A B + beta C. Throws aisys::Error when OpenBLAS is not built.
void openblas_sgemm(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                    int ldb, float beta, float* C, int ldc);

// OpenBLAS's own thread pool size (it uses pthreads, not OpenMP).
void openblas_set_threads(int threads);
int openblas_threads();

}  // namespace aisys::baselines
