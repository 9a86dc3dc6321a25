// GPU ceilings by microbenchmark (aisys/harness/gpu_ceilings.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <mutex>

#include "aisys/harness/cuda_timer.hpp"
#include "aisys/harness/gpu_ceilings.hpp"
#include "aisys/kernels/cuda/buffers.hpp"
#include "aisys/kernels/cuda/check.hpp"

namespace aisys::ceilings {

namespace {

constexpr int kFmaChains = 8;

// Each thread: kFmaChains independent chains of `iterations` FMAs. The result is written only when
// impossible (x is never negative) so the compiler keeps the work but memory traffic is nil.
__global__ void fma_peak_kernel(float* out, int iterations, float a, float b) {
  float x[kFmaChains];
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) x[c] = threadIdx.x * 1e-3f + c;
  // Unrolled far (128 FMAs per trip): the loop's counter, compare and branch take issue slots the
  // FMAs need, about 9% of them at nvcc's own unrolling by 4, which would read as a lower peak.
#pragma unroll 16
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int c = 0; c < kFmaChains; ++c) x[c] = fmaf(x[c], a, b);
  }
  float sum = 0.0f;
#pragma unroll
  for (int c = 0; c < kFmaChains; ++c) sum += x[c];
  if (sum < -1.0f) out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
}

constexpr int kMmaChains = 4;

// Each warp: kMmaChains independent m16n8k16 mma.sync chains of `iterations` each.
template <bool kBf16>
__global__ void mma_peak_kernel(float* out, int iterations) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  unsigned a0 = 0x3c003c00u ^ threadIdx.x, a1 = a0, a2 = a0, a3 = a0, b0 = 0x3c003c00u, b1 = b0;
  float d[kMmaChains][4] = {};
  for (int i = 0; i < iterations; ++i) {
#pragma unroll
    for (int c = 0; c < kMmaChains; ++c) {
      if constexpr (kBf16) {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
            "{%8,%9}, {%0,%1,%2,%3};\n"
            : "+f"(d[c][0]), "+f"(d[c][1]), "+f"(d[c][2]), "+f"(d[c][3])
            : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
      } else {
        asm volatile(
            "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
            "{%8,%9}, {%0,%1,%2,%3};\n"
            : "+f"(d[c][0]), "+f"(d[c][1]), "+f"(d[c][2]), "+f"(d[c][3])
            : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
      }
    }
  }
  float sum = 0.0f;
#pragma unroll
  for (int c = 0; c < kMmaChains; ++c) sum += d[c][0] + d[c][1] + d[c][2] + d[c][3];
  if (sum == -1.2345f) out[blockIdx.x * blockDim.x + threadIdx.x] = sum;
#else
  (void)out;
  (void)iterations;
#endif
}

int sm_count() {
  int device = 0, sms = 0;
  AISYS_CUDA_CHECK(cudaGetDevice(&device));
  AISYS_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

template <class Launch>
double best_seconds(cudaStream_t stream, int repeats, Launch launch) {
  launch();  // warm-up
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) best = std::min(best, aisys::bench::cuda_time_on_stream(stream, launch));
  return best;
}

}  // namespace

const GpuCeilings& measure_gpu(bool quick) {
  static std::once_flag once;
  static GpuCeilings c;
  std::call_once(once, [quick] {
    aisys::cuda::Stream stream;
    const int sms = sm_count();
    const int repeats = quick ? 2 : 5;
    aisys::cuda::DeviceBuffer<float> sink(static_cast<std::size_t>(sms) * 8 * 1024);
    {
      const int blocks = sms * 8, threads = 256, iterations = quick ? 4096 : 16384;
      const double s = best_seconds(stream.get(), repeats, [&] {
        fma_peak_kernel<<<blocks, threads, 0, stream.get()>>>(sink.data(), iterations, 0.999f, 1e-6f);
      });
      c.fp32_fma_tflops = 2.0 * kFmaChains * iterations * static_cast<double>(blocks) * threads / s * 1e-12;
    }
    {
      const int blocks = sms * 4, threads = 256, iterations = quick ? 2048 : 8192;
      const double flops = 2.0 * 16 * 8 * 16 * kMmaChains * iterations * static_cast<double>(blocks) * (threads / 32);
      c.mma_fp16_tflops = flops / best_seconds(stream.get(), repeats, [&] {
        mma_peak_kernel<false><<<blocks, threads, 0, stream.get()>>>(sink.data(), iterations);
      }) * 1e-12;
      c.mma_bf16_tflops = flops / best_seconds(stream.get(), repeats, [&] {
        mma_peak_kernel<true><<<blocks, threads, 0, stream.get()>>>(sink.data(), iterations);
      }) * 1e-12;
    }
    {
      const std::size_t bytes = std::size_t{1} << 30;
      aisys::cuda::DeviceBuffer<char> src(bytes), dst(bytes);
      const double s = best_seconds(stream.get(), repeats, [&] {
        AISYS_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream.get()));
      });
      c.copy_bandwidth_gbs = 2.0 * static_cast<double>(bytes) / s * 1e-9;  // read + write
    }
  });
  return c;
}

nlohmann::json to_json(const GpuCeilings& c) {
  return {{"fp32_fma_tflops", {{"value", c.fp32_fma_tflops}, {"how", "measured: 8 independent FMA chains per thread, every SM"}}},
          {"mma_sync_fp16_tflops", {{"value", c.mma_fp16_tflops}, {"how", "measured: mma.sync.m16n8k16 f16 -> f32, 4 chains per warp"}}},
          {"mma_sync_bf16_tflops", {{"value", c.mma_bf16_tflops}, {"how", "measured: mma.sync.m16n8k16 bf16 -> f32, 4 chains per warp"}}},
          {"copy_bandwidth_gbs", {{"value", c.copy_bandwidth_gbs}, {"how", "measured: 1 GiB device-to-device copy, read + write"}}}};
}

}  // namespace aisys::ceilings
