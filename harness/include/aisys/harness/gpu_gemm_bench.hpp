// aisys/harness/gpu_gemm_bench.hpp: GEMM benchmark cases on the GPU, paired with cuBLAS doing the
// same arithmetic (SGEMM with CUBLAS_COMPUTE_32F; FP16/BF16 inputs with FP32 accumulation), timed
// with CUDA events (manual time; the host's dispatch hidden, see cuda_timer.hpp), on input sets
// rotated so that a timed call does not find its inputs in L2 (input_sets_for(), gemm_bench.hpp),
// outputs of the timed calls checked on the host with Freivalds' test against the exact (rounded)
// inputs, roofline from the measured GPU ceilings. Cases are
// registered only when a GPU is present (registration is a no-op otherwise). CUDA builds only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <string>

namespace aisys::bench {

using CudaSgemmFunction = void (*)(int M, int N, int K, float alpha, const float* A, int lda,
                                   const float* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream);
using CudaHgemmFunction = void (*)(int M, int N, int K, float alpha, const __half* A, int lda,
                                   const __half* B, int ldb, float beta, float* C, int ldc,
                                   cudaStream_t stream);
using CudaBgemmFunction = void (*)(int M, int N, int K, float alpha, const __nv_bfloat16* A,
                                   int lda, const __nv_bfloat16* B, int ldb, float beta, float* C,
                                   int ldc, cudaStream_t stream);

struct GpuGemmCaseSpec {
  std::string lab;    // "01"
  std::string part;   // "cuda/warp_tiling"
  std::string group;  // "square"
  int M = 0, N = 0, K = 0;
};

// Adds the GPU to every results context, once per process: its name, compute capability, SMs,
// memory, clocks, driver and runtime versions, cuBLAS's configuration and the measured GPU
// ceilings (gpu_ceilings.hpp). The GPU cases below call it; other GPU benchmarks may too.
void register_gpu_context();

// "<part>/<M>" for square shapes, "<part>/m<M>_n<N>_k<K>" otherwise. Returns false (and registers
// nothing) when there is no GPU.
bool register_gpu_sgemm_case(const GpuGemmCaseSpec& spec, CudaSgemmFunction candidate);
bool register_gpu_hgemm_case(const GpuGemmCaseSpec& spec, CudaHgemmFunction candidate);
bool register_gpu_bgemm_case(const GpuGemmCaseSpec& spec, CudaBgemmFunction candidate);

}  // namespace aisys::bench
