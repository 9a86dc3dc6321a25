// aisys/harness/gemm_bench.hpp: SGEMM benchmark cases paired with the OpenBLAS baseline.
//
// Inputs: A (M x K), B (K x N) uniform in [-1, 1) from a fresh seed; enough input sets that the
// rotation exceeds twice the last-level cache when one set fits in it. Timed calls use alpha = 1,
// beta = 0. Outputs of the timed calls (candidate and baseline) are checked with Freivalds' test in
// double precision: ||C x - A (B x)|| / (||A|| ||B x||) against a tolerance growing like sqrt(K) u,
// for two random vectors x, which catches any wrong element with high probability at O(n^2) cost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "aisys/harness/bench.hpp"

namespace aisys::bench {

using SgemmFunction = void (*)(int M, int N, int K, float alpha, const float* A, int lda,
                               const float* B, int ldb, float beta, float* C, int ldc);

struct SgemmCaseSpec {
  std::string lab;       // "01"
  std::string part;      // "cpu/microkernel"
  std::string group;     // "square" | "llm-k4096"
  int M = 0, N = 0, K = 0;
  int threads = 1;       // 1: OpenBLAS pinned to one thread; >1: OpenBLAS on that many threads
  SgemmFunction candidate = nullptr;
};

// Registers "<part>/<M>" for square shapes, "<part>/m<M>_n<N>_k<K>" otherwise.
void register_sgemm_case(const SgemmCaseSpec& spec);

// How many input sets a fixture rotates through so that consecutive timed calls do not find their
// inputs in a cache of cache_bytes (the CPU's last level, a GPU's L2): 1 when one set of
// set_bytes is at least twice the cache, else enough sets to cover twice the cache, at most 16.
int input_sets_for(std::size_t set_bytes, std::size_t cache_bytes);

// The Freivalds check used above (exposed for tests): "" when C = A B within tolerance.
std::string freivalds_check(int M, int N, int K, const float* A, const float* B, const float* C,
                            std::uint64_t seed);

}  // namespace aisys::bench
