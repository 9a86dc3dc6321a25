// The NCCL backend's failure paths at one rank, under the emulated NCCL (aisys/comm/simt_nccl.hpp),
// which can cause on demand what a GPU cluster causes by accident: an asynchronous error (a peer's
// failure) aborts the communicator, fails every request in flight with the reason, and every later
// call repeats it; a wait that sees neither progress nor an error ends after AISYS_NCCL_WAIT_S
// seconds, naming what it waited for (a barrier's too); a host buffer is refused naming it; a lone receive from
// itself is a group NCCL refuses. Each makes a fresh communicator (an aborted one stays aborted).
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "aisys/comm/nccl_communicator.hpp"
#include "aisys/comm/simt_nccl.hpp"
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::comm {
namespace {

class NcclFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    simt::nccl::clear_faults();
    comm_ = make_nccl_communicator();
    AISYS_CUDA_CHECK(cudaMalloc(&src_, kCount * sizeof(float)));
    AISYS_CUDA_CHECK(cudaMalloc(&dst_, kCount * sizeof(float)));
    const std::vector<float> ones(kCount, 1.0f);
    AISYS_CUDA_CHECK(cudaMemcpy(src_, ones.data(), kCount * sizeof(float), cudaMemcpyHostToDevice));
  }
  void TearDown() override {
    simt::nccl::clear_faults();
    comm_.reset();
    cudaFree(src_);
    cudaFree(dst_);
  }
  // The message of the LibraryError `f` throws ("" and a test failure when it throws none).
  template <class F>
  static std::string library_error(F&& f) {
    try {
      f();
    } catch (const LibraryError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no LibraryError was thrown";
    return "";
  }
  static constexpr std::size_t kCount = 1000;
  std::unique_ptr<Communicator> comm_;
  void* src_ = nullptr;
  void* dst_ = nullptr;
};

TEST_F(NcclFaultTest, AnAsyncErrorAbortsAndFailsEveryRequestInFlight) {
  simt::nccl::inject_fault(simt::nccl::Fault::kAsyncError, 0, ncclRemoteError, "rank 1 lost its link");
  Request r = comm_->irecv(dst_, kCount, DataType::kFloat32, 0, 1);
  Request s = comm_->isend(src_, kCount, DataType::kFloat32, 0, 1);
  const std::string why = library_error([&] { comm_->wait(r); });
  EXPECT_NE(why.find("rank 0: NCCL reported remote process exited or there was a network error"), std::string::npos) << why;
  EXPECT_NE(why.find("rank 1 lost its link"), std::string::npos) << why;
  EXPECT_NE(why.find("while waiting for irecv from rank 0 (tag 1"), std::string::npos) << why;
  EXPECT_NE(why.find("the NCCL communicator was aborted"), std::string::npos) << why;
  // The send of the same group ends with the same reason, and so does every later call.
  EXPECT_EQ(library_error([&] { comm_->wait(s); }), why);
  EXPECT_EQ(library_error([&] { comm_->sendrecv(src_, kCount, 0, dst_, kCount, 0, DataType::kFloat32, 2); }), why);
  EXPECT_EQ(library_error([&] { comm_->barrier(); }), why);
}

TEST_F(NcclFaultTest, AWaitWithNoProgressEndsAfterTheWaitLimit) {
  ASSERT_EQ(setenv("AISYS_NCCL_WAIT_S", "1", 1), 0);
  simt::nccl::inject_fault(simt::nccl::Fault::kHang);
  const auto start = std::chrono::steady_clock::now();
  const std::string why = library_error([&] { comm_->sendrecv(src_, kCount, 0, dst_, kCount, 0, DataType::kFloat32, 3); });
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  unsetenv("AISYS_NCCL_WAIT_S");
  EXPECT_NE(why.find("rank 0: no progress in 1 s waiting for sendrecv to rank 0 and from rank 0"), std::string::npos) << why;
  EXPECT_NE(why.find("AISYS_NCCL_WAIT_S"), std::string::npos) << why;
  EXPECT_GE(waited, 1.0);
  EXPECT_LT(waited, 30.0) << "the wait limit of 1 s did not end the wait";
  EXPECT_EQ(library_error([&] { comm_->barrier(); }), why) << "an aborted communicator keeps saying why";
}

// The barrier's all-reduce never completes: the free queued behind it must not block the wait.
TEST_F(NcclFaultTest, ABarrierWithNoProgressEndsAfterTheWaitLimit) {
  ASSERT_EQ(setenv("AISYS_NCCL_WAIT_S", "1", 1), 0);
  simt::nccl::inject_fault(simt::nccl::Fault::kHang);
  const std::string why = library_error([&] { comm_->barrier(); });
  unsetenv("AISYS_NCCL_WAIT_S");
  EXPECT_NE(why.find("rank 0: no progress in 1 s waiting for barrier"), std::string::npos) << why;
}

TEST_F(NcclFaultTest, AnUnusableWaitLimitIsRefusedNamingIt) {
  ASSERT_EQ(setenv("AISYS_NCCL_WAIT_S", "soon", 1), 0);
  try {
    comm_->sendrecv(src_, kCount, 0, dst_, kCount, 0, DataType::kFloat32, 4);
    ADD_FAILURE() << "AISYS_NCCL_WAIT_S=soon was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("AISYS_NCCL_WAIT_S=soon"), std::string::npos) << e.what();
  }
  unsetenv("AISYS_NCCL_WAIT_S");
}

TEST_F(NcclFaultTest, AHostBufferIsRefusedNamingIt) {
  std::vector<float> host(kCount, 2.0f);
  const std::string why = library_error([&] { comm_->sendrecv(host.data(), kCount, 0, dst_, kCount, 0, DataType::kFloat32, 5); });
  EXPECT_NE(why.find("is not device memory"), std::string::npos) << why;
  // Refused before anything was issued: the communicator still works.
  comm_->sendrecv(src_, kCount, 0, dst_, kCount, 0, DataType::kFloat32, 5);
  std::vector<float> back(kCount, 0.0f);
  AISYS_CUDA_CHECK(cudaMemcpy(back.data(), dst_, kCount * sizeof(float), cudaMemcpyDeviceToHost));
  EXPECT_EQ(back, std::vector<float>(kCount, 1.0f));
}

TEST_F(NcclFaultTest, ALoneReceiveFromItselfIsARefusedGroup) {
  Request r = comm_->irecv(dst_, kCount, DataType::kFloat32, 0, 6);
  const std::string why = library_error([&] { comm_->wait(r); });
  EXPECT_NE(why.find("without its matching ncclSend in the same group"), std::string::npos) << why;
  const std::string again = library_error([&] { comm_->wait(r); });
  EXPECT_NE(again.find("rank 0: irecv from rank 0 (tag 6, 1000 float32, nccl) was never issued"), std::string::npos) << again;
}

}  // namespace
}  // namespace aisys::comm
