// Tile sweep for Lab 01, CUDA stage 7 (warp tiling): times every configuration of kSweepConfigs in
// reference/01-matmul/cuda/7_warp_tiling.cu (compiled into this binary with
// -DAISYS_LAB01_TILE_SWEEP, so the kernel measured is the stage's own) on an n x n x n SGEMM,
// checks the fastest one against a naive kernel, prints a table and writes JSON. Its winner is
// what kArchTable in 7_warp_tiling.cu should hold for this GPU's compute capability.
//
//   lab01_reference_tile_sweep [--n 4096] [--out tile_sweep_sm90.json]
//
// Each configuration: 2 warm-up runs, then the median of 5 timed runs (CUDA events).
// GFLOP/s = 2 n^3 / time. Without a GPU it prints why and exits 0.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/device.hpp"

namespace aisys::lab01 {
// Defined in 7_warp_tiling.cu under AISYS_LAB01_TILE_SWEEP.
std::vector<std::pair<std::string, float>> tile_sweep_warp_tiling(int n, const float* A,
                                                                  const float* B, float* C,
                                                                  cudaStream_t stream);
void tile_sweep_run_warp_tiling(int index, int n, const float* A, const float* B, float* C,
                                cudaStream_t stream);
}  // namespace aisys::lab01

namespace {

// The check: one thread per element of C = A * B (n x n, leading dimension n).
__global__ void naive_sgemm_kernel(int n, const float* __restrict__ A, const float* __restrict__ B,
                                   float* __restrict__ C) {
  const int col = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  const int row = static_cast<int>(blockIdx.y * blockDim.y + threadIdx.y);
  if (row >= n || col >= n) return;
  float acc = 0.0f;
  for (int k = 0; k < n; ++k) {
    acc = fmaf(A[static_cast<std::int64_t>(row) * n + k], B[static_cast<std::int64_t>(k) * n + col],
               acc);
  }
  C[static_cast<std::int64_t>(row) * n + col] = acc;
}

// n x n floats of device memory, freed on scope exit.
class DeviceMatrix {
 public:
  explicit DeviceMatrix(std::size_t count) {
    AISYS_CUDA_CHECK(cudaMalloc(&data_, count * sizeof(float)));
  }
  ~DeviceMatrix() { (void)cudaFree(data_); }
  DeviceMatrix(const DeviceMatrix&) = delete;
  DeviceMatrix& operator=(const DeviceMatrix&) = delete;
  float* get() const { return data_; }

 private:
  float* data_ = nullptr;
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(ch));
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

void usage(const char* argv0) { std::fprintf(stderr, "usage: %s [--n N] [--out FILE]\n", argv0); }

int run(int argc, char** argv) {
  int n = 4096;
  std::string out_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--n" || arg == "--out") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--n") {
        n = std::atoi(value.c_str());
      } else {
        out_path = value;
      }
    } else if (arg == "--help" || arg == "-h") {
      usage(argv[0]);
      return 0;
    } else {
      usage(argv[0]);
      return 2;
    }
  }
  if (n <= 0 || n > 16384) {
    std::fprintf(stderr, "tile_sweep: --n must be in 1..16384\n");
    return 2;
  }

  const aisys::DeviceList& list = aisys::enumerate_devices();
  if (list.devices.empty()) {
    std::printf("tile_sweep: no GPU (%s); nothing to measure\n", list.reason.c_str());
    return 0;
  }
  const aisys::DeviceInfo& dev = list.devices.front();
  AISYS_CUDA_CHECK(cudaSetDevice(dev.index));
  const int cc = dev.cc_major * 10 + dev.cc_minor;
  if (out_path.empty()) out_path = "tile_sweep_sm" + std::to_string(cc) + ".json";
  std::printf("tile_sweep: %s, n = %d\n", aisys::describe(dev).c_str(), n);

  // Inputs uniform in [-1, 1].
  const std::size_t count = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
  std::vector<float> host(count);
  std::mt19937 rng(2024);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  DeviceMatrix A(count), B(count), C(count), C_ref(count);
  for (float& v : host) v = uniform(rng);
  AISYS_CUDA_CHECK(cudaMemcpy(A.get(), host.data(), count * sizeof(float), cudaMemcpyHostToDevice));
  for (float& v : host) v = uniform(rng);
  AISYS_CUDA_CHECK(cudaMemcpy(B.get(), host.data(), count * sizeof(float), cudaMemcpyHostToDevice));

  cudaStream_t stream = nullptr;
  AISYS_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  struct StreamGuard {
    cudaStream_t s;
    ~StreamGuard() { (void)cudaStreamDestroy(s); }
  } stream_guard{stream};

  const auto results = aisys::lab01::tile_sweep_warp_tiling(n, A.get(), B.get(), C.get(), stream);
  AISYS_CUDA_CHECK(cudaStreamSynchronize(stream));
  if (results.empty()) {
    std::fprintf(stderr, "tile_sweep: no configuration was measured\n");
    return 1;
  }
  const double flop = 2.0 * static_cast<double>(n) * n * n;
  auto gflops = [flop](float ms) {
    return ms > 0.0f ? flop / (static_cast<double>(ms) * 1e6) : 0.0;
  };
  std::size_t winner = 0;
  for (std::size_t i = 1; i < results.size(); ++i) {
    if (results[i].second < results[winner].second) winner = i;
  }

  // Check the winner: rerun it and compare with the naive kernel.
  aisys::lab01::tile_sweep_run_warp_tiling(static_cast<int>(winner), n, A.get(), B.get(), C.get(),
                                           stream);
  const dim3 block(16, 16);
  const dim3 grid(static_cast<unsigned>((n + 15) / 16), static_cast<unsigned>((n + 15) / 16));
  naive_sgemm_kernel<<<grid, block, 0, stream>>>(n, A.get(), B.get(), C_ref.get());
  AISYS_CUDA_LAUNCH_CHECK();
  AISYS_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<float> got(count);
  AISYS_CUDA_CHECK(cudaMemcpy(got.data(), C.get(), count * sizeof(float), cudaMemcpyDeviceToHost));
  AISYS_CUDA_CHECK(
      cudaMemcpy(host.data(), C_ref.get(), count * sizeof(float), cudaMemcpyDeviceToHost));
  // Both sum n products of values in [-1, 1] in FP32, in different orders: their difference grows
  // like sqrt(n) ulps of the result (~1e-4 at n = 4096); an indexing error is O(1).
  const double tolerance = 1e-3 * std::sqrt(static_cast<double>(n));
  double max_error = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const double e = std::fabs(static_cast<double>(got[i]) - static_cast<double>(host[i]));
    if (!(e <= max_error)) max_error = e;  // NaN propagates
  }
  const bool passed = max_error <= tolerance;

  std::printf("\n%-48s %10s %10s\n", "configuration", "ms", "GFLOP/s");
  for (std::size_t i = 0; i < results.size(); ++i) {
    std::printf("%-48s %10.3f %10.1f%s\n", results[i].first.c_str(), results[i].second,
                gflops(results[i].second), i == winner ? "  <- winner" : "");
  }
  std::printf("\nwinner %s: max |error| vs naive = %.3g (tolerance %.3g): %s\n",
              results[winner].first.c_str(), max_error, tolerance, passed ? "ok" : "FAILED");

  std::ofstream out(out_path);
  if (!out) {
    std::fprintf(stderr, "tile_sweep: cannot write %s\n", out_path.c_str());
    return 1;
  }
  out << "{\n";
  out << "  \"device\": \"" << json_escape(dev.name) << "\",\n";
  out << "  \"cc\": " << cc << ",\n";
  out << "  \"sm\": \"sm_" << cc << "\",\n";
  out << "  \"n\": " << n << ",\n";
  out << "  \"configs\": [\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    out << "    {\"name\": \"" << json_escape(results[i].first)
        << "\", \"ms\": " << results[i].second << ", \"gflops\": " << gflops(results[i].second)
        << "}" << (i + 1 < results.size() ? ",\n" : "\n");
  }
  out << "  ],\n";
  out << "  \"winner\": {\"name\": \"" << json_escape(results[winner].first)
      << "\", \"ms\": " << results[winner].second
      << ", \"gflops\": " << gflops(results[winner].second) << "},\n";
  out << "  \"check\": {\"max_abs_error\": " << (std::isfinite(max_error) ? max_error : -1.0)
      << ", \"tolerance\": " << tolerance << ", \"passed\": " << (passed ? "true" : "false")
      << "}\n";
  out << "}\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "tile_sweep: cannot write %s\n", out_path.c_str());
    return 1;
  }
  std::printf("wrote %s\n", out_path.c_str());
  return passed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tile_sweep: %s\n", e.what());
    return 1;
  }
}
