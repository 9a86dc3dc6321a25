// Lab 01 benchmarks on the GPU: every CUDA stage against cuBLAS (SGEMM with CUBLAS_COMPUTE_32F, no
// TF32; FP16/BF16 gemmEx with FP32 accumulation for the tensor-core stage), timed with CUDA events,
// in the same run. Registered only when a GPU is present. Cases: "cuda/<stage>/<size>"; plot groups
// per device and precision (gpu-fp32-square, gpu-fp16-square, gpu-bf16-square), never on the axes of
// the CPU cases.
//   aisys bench 01 --filter cuda/          (or lab01_reference_bench --aisys_filter=^cuda/)
#include "aisys/harness/gpu_gemm_bench.hpp"
#include "aisys/lab01/cuda_gemm.hpp"

namespace {

struct StageRow {
  const char* part;
  aisys::bench::CudaSgemmFunction fn;
  int max_size;  // the slow stages stop early
};

const StageRow kStages[] = {
    {"cuda/naive", aisys::lab01::cuda_sgemm_naive, 2048},
    {"cuda/coalesced", aisys::lab01::cuda_sgemm_coalesced, 4096},
    {"cuda/smem_tiling", aisys::lab01::cuda_sgemm_smem_tiling, 4096},
    {"cuda/1d_register_tiling", aisys::lab01::cuda_sgemm_1d_register_tiling, 4096},
    {"cuda/2d_register_tiling", aisys::lab01::cuda_sgemm_2d_register_tiling, 4096},
    {"cuda/vectorized", aisys::lab01::cuda_sgemm_vectorized, 4096},
    {"cuda/warp_tiling", aisys::lab01::cuda_sgemm_warp_tiling, 8192},
};

const int kSizes[] = {256, 512, 1024, 2048, 4096, 8192};

bool register_all() {
  for (const auto& stage : kStages) {
    for (int n : kSizes) {
      if (n <= stage.max_size) aisys::bench::register_gpu_sgemm_case({"01", stage.part, "gpu-fp32-square", n, n, n}, stage.fn);
    }
  }
  for (int n : kSizes) {
    aisys::bench::register_gpu_hgemm_case({"01", "cuda/wmma_fp16", "gpu-fp16-square", n, n, n}, aisys::lab01::cuda_gemm_wmma_fp16);
    aisys::bench::register_gpu_bgemm_case({"01", "cuda/wmma_bf16", "gpu-bf16-square", n, n, n}, aisys::lab01::cuda_gemm_wmma_bf16);
  }
  return true;
}

const bool registered = register_all();

}  // namespace
