// Tests of the check macros (aisys/kernels/cuda/check.hpp, cudnn_check.hpp, nccl_check.hpp): each
// evaluates its statement once and on failure throws LibraryError naming the library, the error,
// the statement and the location. Tests named *NoGpu use literal status codes and run everywhere.
#include "aisys/kernels/cuda/check.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "gpu_test.hpp"

#if AISYS_HAVE_CUDNN
#include "aisys/kernels/cuda/cudnn_check.hpp"
#endif
#if AISYS_HAVE_NCCL
#include "aisys/kernels/cuda/nccl_check.hpp"
#endif

namespace {

class CheckTest : public aisys::testing::GpuTest {};

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const aisys::LibraryError& error) {
    return error.what();
  }
  return "(no LibraryError thrown)";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CheckNoGpu, CudaCheckEvaluatesOnceAndReports) {
  int calls = 0;
  auto succeed = [&] { ++calls; return cudaSuccess; };
  AISYS_CUDA_CHECK(succeed());
  EXPECT_EQ(calls, 1);
  auto fail = [&] { ++calls; return cudaErrorInvalidValue; };
  const std::string what = message_of([&] { AISYS_CUDA_CHECK(fail()); });
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(contains(what, "CUDA error 1")) << what;
  EXPECT_TRUE(contains(what, "cudaErrorInvalidValue")) << what;
  EXPECT_TRUE(contains(what, "`fail()`")) << what;
  EXPECT_TRUE(contains(what, "test_check.cpp:")) << what;
}

TEST(CheckNoGpu, CublasCheckNamesTheStatus) {
  int calls = 0;
  auto fail = [&] { ++calls; return CUBLAS_STATUS_INVALID_VALUE; };
  const std::string what = message_of([&] { AISYS_CUBLAS_CHECK(fail()); });
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(contains(what, "cuBLAS")) << what;
  EXPECT_TRUE(contains(what, "CUBLAS_STATUS_INVALID_VALUE")) << what;
  EXPECT_NO_THROW(AISYS_CUBLAS_CHECK(CUBLAS_STATUS_SUCCESS));
}

#if AISYS_HAVE_CUDNN
TEST(CheckNoGpu, CudnnCheckNamesTheStatus) {
  const std::string what = message_of([] { AISYS_CUDNN_CHECK(CUDNN_STATUS_BAD_PARAM); });
  EXPECT_TRUE(contains(what, "cuDNN")) << what;
  EXPECT_TRUE(contains(what, "CUDNN_STATUS_BAD_PARAM")) << what;
}
#endif

#if AISYS_HAVE_NCCL
TEST(CheckNoGpu, NcclCheckNamesTheResult) {
  const std::string what = message_of([] { AISYS_NCCL_CHECK(ncclInvalidArgument); });
  EXPECT_TRUE(contains(what, "NCCL error 4")) << what;
  EXPECT_TRUE(contains(what, "ncclInvalidArgument")) << what;
}
#endif

TEST_F(CheckTest, InvalidCudaCallThrowsAndIsClearedAfterwards) {
  float host[4] = {1.0f, 2.0f, 3.0f, 4.0f};
  float copy[4] = {};
  const std::string what = message_of([&] {
    AISYS_CUDA_CHECK(cudaMemcpy(copy, host, sizeof host, static_cast<cudaMemcpyKind>(12345)));
  });
  EXPECT_TRUE(contains(what, "cudaMemcpy")) << what;
  EXPECT_TRUE(contains(what, "CUDA error")) << what;
  EXPECT_EQ(cudaGetLastError(), cudaSuccess) << "the failed call's error was not cleared";
  EXPECT_NO_THROW(AISYS_CUDA_LAUNCH_CHECK());
}

TEST_F(CheckTest, InvalidCublasCallThrows) {
  cublasHandle_t handle = nullptr;
  AISYS_CUBLAS_CHECK(cublasCreate(&handle));
  const float alpha = 1.0f;
  const float beta = 0.0f;
  const std::string what = message_of([&] {
    AISYS_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, -1, 4, 4, &alpha, nullptr, 4,
                                   nullptr, 4, &beta, nullptr, 4));
  });
  EXPECT_TRUE(contains(what, "CUBLAS_STATUS_INVALID_VALUE")) << what;
  EXPECT_TRUE(contains(what, "cublasSgemm")) << what;
  AISYS_CUBLAS_CHECK(cublasDestroy(handle));
}

}  // namespace
