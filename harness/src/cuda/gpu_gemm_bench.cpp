// GPU GEMM benchmark cases against cuBLAS (aisys/harness/gpu_gemm_bench.hpp).
#include "aisys/harness/gpu_gemm_bench.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <mutex>
#include <random>
#include <vector>

#include "aisys/harness/bench.hpp"
#include "aisys/harness/context.hpp"
#include "aisys/harness/cuda_baselines.hpp"
#include "aisys/harness/cuda_timer.hpp"
#include "aisys/harness/gemm_bench.hpp"
#include "aisys/harness/gpu_ceilings.hpp"
#include "aisys/kernels/cuda/buffers.hpp"
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/cuda/fill.hpp"
#include "aisys/kernels/device.hpp"

namespace aisys::bench {

namespace {

enum class Precision { fp32, fp16, bf16 };

template <class T>
T from_float(float v);
template <>
float from_float<float>(float v) { return v; }
template <>
__half from_float<__half>(float v) { return __float2half_rn(v); }
template <>
__nv_bfloat16 from_float<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

template <class T>
float to_float(T v);
template <>
float to_float<float>(float v) { return v; }
template <>
float to_float<__half>(__half v) { return __half2float(v); }
template <>
float to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class T>
using GemmFn = void (*)(int, int, int, float, const T*, int, const T*, int, float, float*, int, cudaStream_t);

std::size_t l2_cache_bytes() {
  int device = 0, bytes = 0;
  AISYS_CUDA_CHECK(cudaGetDevice(&device));
  AISYS_CUDA_CHECK(cudaDeviceGetAttribute(&bytes, cudaDevAttrL2CacheSize, device));
  return bytes > 0 ? static_cast<std::size_t>(bytes) : (std::size_t{50} << 20);
}

// Inputs rounded to T on the host; the rounded values (as floats) are the oracle's inputs. When
// one input set fits in twice the L2 cache (M = 1..128 against K = N = 4096 in FP16 is 32 MiB
// against an H100's 50), several are rotated, as on the CPU, so that no timed call finds its
// inputs in L2 left there by the previous one (which would also put a memory-bound case above its
// HBM roofline).
template <class T>
class GpuGemmFixture : public Fixture {
 public:
  GpuGemmFixture(const GpuGemmCaseSpec& spec, GemmFn<T> candidate, GemmFn<T> baseline)
      : spec_(spec), candidate_(candidate), baseline_(baseline) {
    const std::size_t a = static_cast<std::size_t>(spec.M) * spec.K;
    const std::size_t b = static_cast<std::size_t>(spec.K) * spec.N;
    const std::size_t c = static_cast<std::size_t>(spec.M) * spec.N;
    sets_ = input_sets_for(sizeof(T) * (a + b) + sizeof(float) * c, l2_cache_bytes());
    std::random_device rd;
    seed_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();  // never shown to the candidate
    std::mt19937_64 rng(seed_);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<T> a_in(a), b_in(b);
    for (int s = 0; s < sets_; ++s) {
      std::vector<float>& host_a = host_a_.emplace_back(a);
      std::vector<float>& host_b = host_b_.emplace_back(b);
      for (std::size_t i = 0; i < a; ++i) {
        a_in[i] = from_float<T>(dist(rng));
        host_a[i] = to_float(a_in[i]);
      }
      for (std::size_t i = 0; i < b; ++i) {
        b_in[i] = from_float<T>(dist(rng));
        host_b[i] = to_float(b_in[i]);
      }
      d_a_.emplace_back(std::span<const T>(a_in));
      d_b_.emplace_back(std::span<const T>(b_in));
      d_cc_.emplace_back(c);
      d_cb_.emplace_back(c);
      aisys::cuda::poison(d_cc_.back().data(), c, stream_.get());
      aisys::cuda::poison(d_cb_.back().data(), c, stream_.get());
    }
    stream_.synchronize();
  }

  void run_candidate() override {
    launch(candidate_, next(next_c_, last_c_), d_cc_);
    stream_.synchronize();
  }
  void run_baseline() override {
    launch(baseline_, next(next_b_, last_b_), d_cb_);
    stream_.synchronize();
  }
  double timed_candidate() override { return timed(candidate_, next(next_c_, last_c_), d_cc_, candidate_dispatch_); }
  double timed_baseline() override { return timed(baseline_, next(next_b_, last_b_), d_cb_, baseline_dispatch_); }
  // The last timed call's output, then one more call's into the same buffer poisoned first: a
  // candidate that skipped work on repeated inputs (its output left from an earlier call) fails.
  std::string check_candidate() override {
    if (std::string err = check(d_cc_[last_c_], last_c_); !err.empty()) return err;
    aisys::cuda::poison(d_cc_[last_c_].data(), d_cc_[last_c_].size(), stream_.get());
    launch(candidate_, last_c_, d_cc_);
    stream_.synchronize();
    if (std::string err = check(d_cc_[last_c_], last_c_); !err.empty()) return "on a repeated call, " + err;
    return "";
  }
  std::string check_baseline() override { return check(d_cb_[last_b_], last_b_); }
  nlohmann::json details() override {
    nlohmann::json d = {{"timing", to_string(candidate_dispatch_)}, {"input_sets", sets_}};
    if (baseline_dispatch_ != candidate_dispatch_) d["baseline_timing"] = to_string(baseline_dispatch_);
    return d;
  }

 private:
  // Device time of one call. A function that waits for the device inside (a cudaDeviceSynchronize
  // after its launch) cannot have its dispatch hidden: from then on that side is timed with its
  // dispatch and its wait, which is what calling it costs, and details.timing says so.
  double timed(GemmFn<T> fn, int s, std::vector<aisys::cuda::DeviceBuffer<float>>& c, HostDispatch& dispatch) {
    const auto enqueue = [&] { launch(fn, s, c); };
    if (dispatch == HostDispatch::kHidden) {
      try {
        return cuda_time_on_stream(stream_.get(), enqueue, HostDispatch::kHidden);
      } catch (const EnqueueWaitedForDevice&) {
        dispatch = HostDispatch::kIncluded;
      }
    }
    return cuda_time_on_stream(stream_.get(), enqueue, HostDispatch::kIncluded);
  }
  // The set a side uses now (remembered as its last, for the check) and the one after.
  int next(int& next_set, int& last_set) const {
    last_set = next_set;
    next_set = (next_set + 1) % sets_;
    return last_set;
  }
  void launch(GemmFn<T> fn, int s, std::vector<aisys::cuda::DeviceBuffer<float>>& c) {
    fn(spec_.M, spec_.N, spec_.K, 1.0f, d_a_[s].data(), spec_.K, d_b_[s].data(), spec_.N, 0.0f,
       c[s].data(), spec_.N, stream_.get());
  }
  std::string check(aisys::cuda::DeviceBuffer<float>& c, int s) {
    std::vector<float> host(c.size());
    c.copy_to_host(std::span<float>(host));
    return freivalds_check(spec_.M, spec_.N, spec_.K, host_a_[s].data(), host_b_[s].data(), host.data(),
                           seed_ + static_cast<std::uint64_t>(++checks_));
  }

  GpuGemmCaseSpec spec_;
  GemmFn<T> candidate_, baseline_;
  // Ordered with the legacy default stream: a candidate that launches on stream 0 instead of the
  // stream it is given still runs between the timing events (on a non-blocking stream it ran
  // outside them, timed at a microsecond while its kernels piled up).
  aisys::cuda::Stream stream_{aisys::cuda::Stream::Ordering::kWithDefaultStream};
  int sets_ = 1;
  std::uint64_t seed_ = 0;
  std::vector<std::vector<float>> host_a_, host_b_;
  std::vector<aisys::cuda::DeviceBuffer<T>> d_a_, d_b_;
  std::vector<aisys::cuda::DeviceBuffer<float>> d_cc_, d_cb_;
  int next_c_ = 0, next_b_ = 0, last_c_ = 0, last_b_ = 0;
  HostDispatch candidate_dispatch_ = HostDispatch::kHidden, baseline_dispatch_ = HostDispatch::kHidden;
  int checks_ = 0;
};

template <class T>
bool register_case_of(const GpuGemmCaseSpec& spec, GemmFn<T> candidate, GemmFn<T> baseline,
                      Precision precision) {
  if (!aisys::gpu_available()) return false;
  register_gpu_context();
  Case c;
  c.lab = spec.lab;
  c.part = spec.part;
  const bool square = spec.M == spec.N && spec.N == spec.K;
  c.name = spec.part + "/" + (square ? std::to_string(spec.M)
                                     : "m" + std::to_string(spec.M) + "_n" + std::to_string(spec.N) +
                                           "_k" + std::to_string(spec.K));
  c.group = spec.group;
  c.x = spec.M;
  c.x_label = square ? "M = N = K" : "M (K = " + std::to_string(spec.K) + ", N = " + std::to_string(spec.N) + ")";
  c.shape = {{"M", spec.M}, {"N", spec.N}, {"K", spec.K},
             {"precision", precision == Precision::fp32 ? "fp32" : precision == Precision::fp16 ? "fp16" : "bf16"}};
  c.threads = 1;
  c.flops = 2.0 * spec.M * spec.N * spec.K;
  c.bytes = static_cast<double>(sizeof(T)) * (static_cast<double>(spec.M) * spec.K + static_cast<double>(spec.K) * spec.N) +
            4.0 * static_cast<double>(spec.M) * spec.N;
  c.baseline = "cublas";
  c.manual_time = true;
  c.make_fixture = [spec, candidate, baseline] { return std::make_unique<GpuGemmFixture<T>>(spec, candidate, baseline); };
  c.device_roof = [precision]() -> std::pair<double, double> {
    const auto& g = aisys::ceilings::measure_gpu(false);
    const double tflops = precision == Precision::fp32   ? g.fp32_fma_tflops
                          : precision == Precision::fp16 ? g.mma_fp16_tflops
                                                         : g.mma_bf16_tflops;
    return {tflops * 1e3, g.copy_bandwidth_gbs};
  };
  register_case(std::move(c));
  return true;
}

}  // namespace

void register_gpu_context() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_context_provider([](nlohmann::json& ctx, bool quick) {
      ctx["gpu"] = aisys::context::gpu();
      ctx["baselines"]["cublas"] = aisys::baselines::cublas_info();
      ctx["gpu_ceilings"] = aisys::ceilings::to_json(aisys::ceilings::measure_gpu(quick));
    });
  });
}

bool register_gpu_sgemm_case(const GpuGemmCaseSpec& spec, CudaSgemmFunction candidate) {
  return register_case_of<float>(spec, candidate, aisys::baselines::cublas_sgemm, Precision::fp32);
}
bool register_gpu_hgemm_case(const GpuGemmCaseSpec& spec, CudaHgemmFunction candidate) {
  return register_case_of<__half>(spec, candidate, aisys::baselines::cublas_gemm_fp16, Precision::fp16);
}
bool register_gpu_bgemm_case(const GpuGemmCaseSpec& spec, CudaBgemmFunction candidate) {
  return register_case_of<__nv_bfloat16>(spec, candidate, aisys::baselines::cublas_gemm_bf16, Precision::bf16);
}

}  // namespace aisys::bench
