// aisys/harness/baselines.hpp: vendor baselines on the CPU (OpenBLAS). GPU baselines (cuBLAS,
// cuDNN, NCCL) join here as their labs land. Each baseline says what it is (library version, the
// kernel it picked, its threads) so the results' context can record it.
//
// The grader and the tests never touch OPENBLAS_* environment variables (MEASURING.md): the
// context records them as they are, and reference numbers are measured with them unset.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace aisys::baselines {

// True when the project was built with OpenBLAS (AISYS_OPENBLAS).
bool have_openblas();

// {"version", "corename" (openblas_get_corename()), "config", "threads", "env": {...}} or
// {"available": false, "reason": ...}.
nlohmann::json openblas_info();

// Row-major cblas_sgemm: C = alpha A B + beta C. Throws aisys::Error when OpenBLAS is not built.
void openblas_sgemm(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                    int ldb, float beta, float* C, int ldc);

// OpenBLAS's own thread pool size (it uses pthreads, not OpenMP).
void openblas_set_threads(int threads);
int openblas_threads();

}  // namespace aisys::baselines
