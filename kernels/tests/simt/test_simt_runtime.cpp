// The emulated CUDA runtime and cuBLAS (src/simt/cudart.cpp, src/simt/cublas.cpp), which
// aisys_kernels_simt_tests links instead of libcudart: fresh device memory reads as NaN, copies and
// memsets outside one allocation or in the wrong direction are refused and set the last error,
// cudaFree of anything cudaMalloc did not return is refused, the memory limit holds, streams and
// events are checked; work an emulated library leaves on a stream keeps the stream, the events
// recorded after it and the copies ordered after it waiting until it is done; the device is
// enumerated, and a device past the emulated ones is refused; the emulated cuBLAS computes column-major GEMMs
// with transposes and strides against a double-precision loop on random inputs (seed printed), and
// refuses an operand that is not inside one device allocation over its whole extent.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <vector>

#include "aisys/kernels/cuda/cublas_library.hpp"
#include "aisys/kernels/cuda/fill.hpp"
#include "aisys/kernels/device.hpp"
#include "aisys/kernels/simt/runtime_support.hpp"

namespace {

TEST(SimtRuntime, FreshDeviceMemoryReadsAsNaN) {
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&d), 64 * sizeof(float)), cudaSuccess);
  std::vector<float> h(64, 0.0f);
  ASSERT_EQ(cudaMemcpy(h.data(), d, 64 * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
  for (float v : h) EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d) % 256, 0u);
  EXPECT_EQ(cudaFree(d), cudaSuccess);
}

TEST(SimtRuntime, CopiesOutsideOneAllocationOrTheWrongWayAreRefused) {
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&d), 16 * sizeof(float)), cudaSuccess);
  std::vector<float> h(32, 1.0f);
  (void)cudaGetLastError();
  EXPECT_EQ(cudaMemcpy(d, h.data(), 17 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue)
      << "one element past the end";
  EXPECT_EQ(cudaGetLastError(), cudaErrorInvalidValue);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "reading the last error clears it";
  EXPECT_EQ(cudaMemcpy(d + 8, h.data(), 8 * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(h.data(), d, 4 * sizeof(float), cudaMemcpyHostToDevice), cudaErrorInvalidValue)
      << "the directions swapped";
  EXPECT_EQ(cudaMemcpy(d, d + 8, 8 * sizeof(float), cudaMemcpyDeviceToDevice), cudaSuccess);
  EXPECT_EQ(cudaMemset(d + 1, 0, 16 * sizeof(float)), cudaErrorInvalidValue);
  EXPECT_EQ(cudaMemset(d, 0, 16 * sizeof(float)), cudaSuccess);
  (void)cudaGetLastError();
  EXPECT_EQ(cudaFree(d), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(h.data(), d, 4, cudaMemcpyDeviceToHost), cudaErrorInvalidValue) << "after cudaFree";
  EXPECT_EQ(cudaFree(d), cudaErrorInvalidValue) << "a second cudaFree";
  EXPECT_EQ(cudaFree(h.data()), cudaErrorInvalidValue) << "host memory";
  (void)cudaGetLastError();
}

TEST(SimtRuntime, TheDeviceMemoryLimitHolds) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, std::size_t{9} << 30), cudaErrorMemoryAllocation);
  EXPECT_EQ(p, nullptr);
  (void)cudaGetLastError();
}

TEST(SimtRuntime, StreamsEventsAndPointerAttributesAreChecked) {
  cudaStream_t s = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  cudaEvent_t a = nullptr, b = nullptr;
  ASSERT_EQ(cudaEventCreate(&a), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&b), cudaSuccess);
  float ms = -1;
  EXPECT_EQ(cudaEventElapsedTime(&ms, a, b), cudaErrorInvalidResourceHandle) << "never recorded";
  ASSERT_EQ(cudaEventRecord(a, s), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(b, s), cudaSuccess);
  EXPECT_EQ(cudaEventElapsedTime(&ms, a, b), cudaSuccess);
  EXPECT_GE(ms, 0.0f);
  EXPECT_EQ(cudaEventDestroy(a), cudaSuccess);
  EXPECT_EQ(cudaEventDestroy(b), cudaSuccess);
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
  EXPECT_EQ(cudaStreamSynchronize(s), cudaErrorInvalidResourceHandle) << "a destroyed stream";
  (void)cudaGetLastError();

  void* d = nullptr;
  ASSERT_EQ(cudaMalloc(&d, 100), cudaSuccess);
  cudaPointerAttributes attr{};
  ASSERT_EQ(cudaPointerGetAttributes(&attr, static_cast<char*>(d) + 50), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeDevice);
  int host = 0;
  ASSERT_EQ(cudaPointerGetAttributes(&attr, &host), cudaSuccess);
  EXPECT_EQ(attr.type, cudaMemoryTypeUnregistered);
  EXPECT_EQ(cudaFree(d), cudaSuccess);
}

TEST(SimtRuntime, TheEmulatedDeviceIsEnumerated) {
  ASSERT_TRUE(aisys::gpu_available()) << aisys::gpu_unavailable_reason();
  const auto& list = aisys::enumerate_devices();
  ASSERT_EQ(list.devices.size(), 1u);
  EXPECT_NE(aisys::describe(list.devices[0]).find("SIMT emulator"), std::string::npos)
      << aisys::describe(list.devices[0]);
  // One GPU unless AISYS_SIMT_DEVICES says more (CTest leaves it unset here).
  EXPECT_EQ(cudaSetDevice(1), cudaErrorInvalidDevice);
  (void)cudaGetLastError();
  EXPECT_EQ(cudaSetDevice(0), cudaSuccess);
  int device = -1;
  EXPECT_EQ(cudaGetDevice(&device), cudaSuccess);
  EXPECT_EQ(device, 0);
}

// Work that finishes on its fourth look (the first when it is enqueued): the stream, an event
// recorded after it and an async copy behind it wait; an event recorded before it does not; a
// synchronize waits it out; a stream destroyed with work pending lets it finish.
TEST(SimtRuntime, StreamWorkKeepsItsStreamAndLaterEventsPending) {
  cudaStream_t s = nullptr;
  ASSERT_EQ(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), cudaSuccess);
  cudaEvent_t before = nullptr, after = nullptr;
  ASSERT_EQ(cudaEventCreate(&before), cudaSuccess);
  ASSERT_EQ(cudaEventCreate(&after), cudaSuccess);
  ASSERT_EQ(cudaEventRecord(before, s), cudaSuccess);
  int looks = 0;
  aisys::simt::cuda::enqueue_stream_work(s, [&looks] { return ++looks >= 4; });
  EXPECT_EQ(looks, 1) << "work starts when it is enqueued";
  ASSERT_EQ(cudaEventRecord(after, s), cudaSuccess);
  EXPECT_EQ(cudaEventQuery(before), cudaSuccess);
  EXPECT_EQ(cudaStreamQuery(s), cudaErrorNotReady);
  EXPECT_EQ(cudaGetLastError(), cudaErrorNotReady) << "a query that is not ready leaves that as the last error";
  float ms = 0.0f;
  EXPECT_EQ(cudaEventElapsedTime(&ms, before, after), cudaErrorNotReady) << "the end event is not complete";
  (void)cudaGetLastError();
  EXPECT_EQ(looks, 2);
  EXPECT_EQ(cudaEventQuery(after), cudaErrorNotReady);
  (void)cudaGetLastError();
  EXPECT_EQ(looks, 3);
  EXPECT_EQ(cudaStreamQuery(s), cudaSuccess);
  EXPECT_EQ(looks, 4);
  EXPECT_EQ(cudaEventElapsedTime(&ms, before, after), cudaSuccess) << "the event was stamped when the work finished";
  EXPECT_GE(ms, 0.0f);

  // An async copy behind pending work is queued, done when the work is; a synchronize waits.
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&d), sizeof(float)), cudaSuccess);
  const float two = 2.0f;
  ASSERT_EQ(cudaMemcpy(d, &two, sizeof two, cudaMemcpyHostToDevice), cudaSuccess);
  float value = 0.0f;
  aisys::simt::cuda::enqueue_stream_work(s, [&looks] { return ++looks >= 8; });
  ASSERT_EQ(cudaMemcpyAsync(&value, d, sizeof value, cudaMemcpyDeviceToHost, s), cudaSuccess);
  EXPECT_EQ(value, 0.0f) << "the copy ran before the work ahead of it on the stream";
  ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
  EXPECT_EQ(looks, 8);
  EXPECT_EQ(value, 2.0f);
  EXPECT_THROW(aisys::simt::cuda::enqueue_stream_work(reinterpret_cast<cudaStream_t>(&value), [] { return true; }),
               std::invalid_argument);
  (void)cudaGetLastError();

  // A free behind pending work waits for it; so does the work of a destroyed stream.
  aisys::simt::cuda::enqueue_stream_work(s, [&looks] { return ++looks >= 12; });
  ASSERT_EQ(cudaFreeAsync(d, s), cudaSuccess);
  EXPECT_TRUE(aisys::simt::cuda::is_device_range(d, sizeof(float))) << "freed before the work ahead of it";
  EXPECT_EQ(cudaStreamDestroy(s), cudaSuccess);
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  EXPECT_EQ(looks, 12);
  EXPECT_FALSE(aisys::simt::cuda::is_device_range(d, sizeof(float)));
  EXPECT_EQ(cudaEventDestroy(before), cudaSuccess);
  EXPECT_EQ(cudaEventDestroy(after), cudaSuccess);
}

// A kernel launch runs in stream order: after the work its stream holds, and on the legacy default
// stream after every blocking stream's work, but not after a non-blocking stream's. The stream
// work here finishes on its third look and then overwrites the buffer, so a launch that ran before
// it would see its values overwritten.
TEST(SimtRuntime, KernelLaunchesRunInStreamOrder) {
  constexpr std::size_t n = 300;
  float* d = nullptr;
  ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&d), n * sizeof(float)), cudaSuccess);
  const auto work_then_ones = [d](int& looks, bool& done) {
    return [d, &looks, &done] {
      if (++looks < 3) return false;
      std::fill(d, d + n, 1.0f);  // emulated device memory is host memory
      done = true;
      return true;
    };
  };
  const auto all_are = [d](float v) {
    std::vector<float> h(n);
    EXPECT_EQ(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
    return std::all_of(h.begin(), h.end(), [v](float x) { return x == v; });
  };
  cudaStream_t blocking = nullptr, non_blocking = nullptr;
  ASSERT_EQ(cudaStreamCreate(&blocking), cudaSuccess);
  ASSERT_EQ(cudaStreamCreateWithFlags(&non_blocking, cudaStreamNonBlocking), cudaSuccess);

  int looks = 0;
  bool done = false;
  aisys::simt::cuda::enqueue_stream_work(blocking, work_then_ones(looks, done));
  aisys::cuda::fill(d, n, 2.0f, blocking);
  EXPECT_TRUE(done) << "the launch ran before the work ahead of it on its stream";
  EXPECT_TRUE(all_are(2.0f));

  looks = 0;
  done = false;
  aisys::simt::cuda::enqueue_stream_work(blocking, work_then_ones(looks, done));
  aisys::cuda::fill(d, n, 3.0f);  // the legacy default stream waits for blocking streams
  EXPECT_TRUE(done) << "a launch on the legacy default stream ran before a blocking stream's work";
  EXPECT_TRUE(all_are(3.0f));

  looks = 0;
  done = false;
  aisys::simt::cuda::enqueue_stream_work(non_blocking, work_then_ones(looks, done));
  aisys::cuda::fill(d, n, 4.0f);
  EXPECT_FALSE(done) << "a launch on the legacy default stream waited for a non-blocking stream";
  EXPECT_EQ(cudaStreamSynchronize(non_blocking), cudaSuccess);
  EXPECT_TRUE(done);
  EXPECT_TRUE(all_are(1.0f));

  // A launch on a stream that no longer exists fails and runs nothing.
  ASSERT_EQ(cudaStreamDestroy(non_blocking), cudaSuccess);
  (void)cudaGetLastError();
  EXPECT_THROW(aisys::cuda::fill(d, n, 5.0f, non_blocking), std::exception);
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the launch check takes the error";
  EXPECT_TRUE(all_are(1.0f));
  EXPECT_EQ(cudaStreamDestroy(blocking), cudaSuccess);
  EXPECT_EQ(cudaFree(d), cudaSuccess);
}

TEST(SimtCublas, StridedBatchedGemmsAgainstADoubleLoop) {
  const char* env = std::getenv("AISYS_SEED");
  const std::uint64_t seed = env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::cout << "[ seed     ] AISYS_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const aisys::cuda::CublasLibrary& blas = aisys::cuda::cublas_library();
  EXPECT_NE(blas.path.find("aisys_simt_cublas"), std::string::npos) << blas.path;
  cublasHandle_t h = nullptr;
  ASSERT_EQ(blas.create(&h), CUBLAS_STATUS_SUCCESS);
  // Column-major, op(A) m x k, op(B) k x n, two batches, leading dimensions past the rows.
  const int m = 5, n = 4, k = 3, batches = 2;
  for (const cublasOperation_t ta : {CUBLAS_OP_N, CUBLAS_OP_T}) {
    for (const cublasOperation_t tb : {CUBLAS_OP_N, CUBLAS_OP_T}) {
      const int lda = (ta == CUBLAS_OP_N ? m : k) + 2, ldb = (tb == CUBLAS_OP_N ? k : n) + 1, ldc = m + 3;
      const long long sa = lda * (ta == CUBLAS_OP_N ? k : m), sb = ldb * (tb == CUBLAS_OP_N ? n : k),
                      sc = ldc * n;
      std::vector<float> A(sa * batches), B(sb * batches), C(sc * batches);
      for (auto& v : A) v = u(rng);
      for (auto& v : B) v = u(rng);
      for (auto& v : C) v = u(rng);
      const std::vector<float> C0 = C;
      const float alpha = 0.5f, beta = -2.0f;
      float *dA = nullptr, *dB = nullptr, *dC = nullptr;
      ASSERT_EQ(cudaMalloc(&dA, A.size() * sizeof(float)), cudaSuccess);
      ASSERT_EQ(cudaMalloc(&dB, B.size() * sizeof(float)), cudaSuccess);
      ASSERT_EQ(cudaMalloc(&dC, C.size() * sizeof(float)), cudaSuccess);
      ASSERT_EQ(cudaMemcpy(dA, A.data(), A.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
      ASSERT_EQ(cudaMemcpy(dB, B.data(), B.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
      ASSERT_EQ(cudaMemcpy(dC, C.data(), C.size() * sizeof(float), cudaMemcpyHostToDevice), cudaSuccess);
      ASSERT_EQ(blas.sgemm_strided_batched(h, ta, tb, m, n, k, &alpha, dA, lda, sa, dB, ldb, sb, &beta, dC, ldc, sc,
                                           batches),
                CUBLAS_STATUS_SUCCESS);
      ASSERT_EQ(cudaMemcpy(C.data(), dC, C.size() * sizeof(float), cudaMemcpyDeviceToHost), cudaSuccess);
      for (float* d : {dA, dB, dC}) ASSERT_EQ(cudaFree(d), cudaSuccess);
      for (int q = 0; q < batches; ++q) {
        for (int j = 0; j < n; ++j) {
          for (int i = 0; i < m; ++i) {
            double want = beta * static_cast<double>(C0[q * sc + j * ldc + i]);
            for (int p = 0; p < k; ++p) {
              const double a = ta == CUBLAS_OP_N ? A[q * sa + p * lda + i] : A[q * sa + i * lda + p];
              const double b = tb == CUBLAS_OP_N ? B[q * sb + j * ldb + p] : B[q * sb + p * ldb + j];
              want += alpha * a * b;
            }
            ASSERT_NEAR(C[q * sc + j * ldc + i], want, 1e-5) << "batch " << q << " (" << i << ", " << j << ")";
          }
        }
      }
    }
  }
  const float one = 1, zero = 0;
  float x = 0;
  EXPECT_EQ(blas.sgemm_strided_batched(h, CUBLAS_OP_N, CUBLAS_OP_N, 4, 1, 1, &one, &x, 3, 0, &x, 1, 0, &zero, &x, 4, 0, 1),
            CUBLAS_STATUS_INVALID_VALUE)
      << "lda < m";
  EXPECT_EQ(blas.destroy(h), CUBLAS_STATUS_SUCCESS);
}

// A GEMM reads and writes device memory only, over the extent its leading dimensions and strides
// give each operand: a host pointer, a freed buffer, or an extent past the buffer is refused.
TEST(SimtCublas, OperandsMustLieInsideOneDeviceAllocation) {
  const aisys::cuda::CublasLibrary& blas = aisys::cuda::cublas_library();
  cublasHandle_t h = nullptr;
  ASSERT_EQ(blas.create(&h), CUBLAS_STATUS_SUCCESS);
  const int m = 4, n = 3, k = 2;
  float *dA = nullptr, *dB = nullptr, *dC = nullptr;
  ASSERT_EQ(cudaMalloc(&dA, m * k * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dB, k * n * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMalloc(&dC, m * n * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemset(dA, 0, m * k * sizeof(float)), cudaSuccess);
  ASSERT_EQ(cudaMemset(dB, 0, k * n * sizeof(float)), cudaSuccess);
  const float one = 1, zero = 0;
  const auto gemm = [&](const float* a, int lda, long long sa, const float* b, float* c, int batches) {
    return blas.sgemm_strided_batched(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, a, lda, sa, b, k, 0, &zero, c, m, 0,
                                      batches);
  };
  EXPECT_EQ(gemm(dA, m, 0, dB, dC, 1), CUBLAS_STATUS_SUCCESS);
  std::vector<float> host_a(m * k, 1.0f), host_c(m * n);
  EXPECT_EQ(gemm(host_a.data(), m, 0, dB, dC, 1), CUBLAS_STATUS_EXECUTION_FAILED) << "A on the host";
  EXPECT_EQ(gemm(dA, m, 0, dB, host_c.data(), 1), CUBLAS_STATUS_EXECUTION_FAILED) << "C on the host";
  EXPECT_EQ(gemm(dA, m + 1, 0, dB, dC, 1), CUBLAS_STATUS_EXECUTION_FAILED) << "lda = m + 1 runs past A";
  EXPECT_EQ(gemm(dA, m, 0, dB, dC, 2), CUBLAS_STATUS_SUCCESS) << "stride 0: both batches read the same A";
  EXPECT_EQ(gemm(dA, m, m * k, dB, dC, 2), CUBLAS_STATUS_EXECUTION_FAILED) << "a second batch of A past the buffer";
  EXPECT_EQ(cudaFree(dB), cudaSuccess);
  EXPECT_EQ(gemm(dA, m, 0, dB, dC, 1), CUBLAS_STATUS_EXECUTION_FAILED) << "B freed";
  EXPECT_STREQ(blas.status_name(CUBLAS_STATUS_EXECUTION_FAILED), "CUBLAS_STATUS_EXECUTION_FAILED");
  EXPECT_EQ(cudaFree(dA), cudaSuccess);
  EXPECT_EQ(cudaFree(dC), cudaSuccess);
  EXPECT_EQ(blas.destroy(h), CUBLAS_STATUS_SUCCESS);
}

}  // namespace
