// aisys/harness/gpu_ceilings.hpp: the GPU's own roofs, measured by microbenchmarks (never by
// cuBLAS, or ratio to baseline and fraction of roofline would be one number):
//   - FP32 FMA peak: every SM full of threads running 8 independent FMA chains;
//   - mma.sync peak: warps issuing independent mma.sync.m16n8k16 (FP16 and BF16 in, FP32
//     accumulate), the instruction WMMA compiles to (wgmma, which cuBLAS uses on Hopper, is faster);
//   - device memory bandwidth: a device-to-device copy (read + write) of 1 GiB.
// Only in builds with CUDA; measure() needs a GPU.
#pragma once

#include <nlohmann/json.hpp>

namespace aisys::ceilings {

struct GpuCeilings {
  double fp32_fma_tflops = 0;
  double mma_fp16_tflops = 0;
  double mma_bf16_tflops = 0;
  double copy_bandwidth_gbs = 0;
};

// Measures on the current device (a second or so; `quick` shortens it). Cached per process.
const GpuCeilings& measure_gpu(bool quick = false);

nlohmann::json to_json(const GpuCeilings& c);

}  // namespace aisys::ceilings
