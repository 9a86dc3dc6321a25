// The NCCL backend at one rank, on device buffers: sendrecv to itself, queued isend/irecv issued
// as one group, a blocking recv joining a queued isend's group, two tags in flight to one peer
// refused, a group NCCL refuses leaving the communicator usable, accumulate() on the device, scratch memory on the device, the ncclAllReduce
// baseline (at one rank a sum over one rank: the data unchanged, bit for bit, float32 and int32);
// skipped, with the reason, without a GPU or NCCL.
#include <gtest/gtest.h>

#include <cuda_runtime.h>

#include <cstdint>
#include <iostream>
#include <numeric>
#include <random>
#include <vector>

#include "aisys/comm/nccl_communicator.hpp"
#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/device.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::comm {
namespace {

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_nccl()) GTEST_SKIP() << "this build has no NCCL";
    if (!gpu_available()) GTEST_SKIP() << gpu_unavailable_reason();
    comm_ = make_nccl_communicator();
  }
  std::unique_ptr<Communicator> comm_;
};

float* device_copy(const std::vector<float>& host) {
  float* d = nullptr;
  AISYS_CUDA_CHECK(cudaMalloc(&d, host.size() * sizeof(float)));
  AISYS_CUDA_CHECK(cudaMemcpy(d, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  // From pageable memory cudaMemcpy may return once the bytes are staged, and the communicator's
  // stream is non-blocking (not ordered after the copy): wait for the copy itself.
  AISYS_CUDA_CHECK(cudaStreamSynchronize(nullptr));
  return d;
}
std::vector<float> host_copy(const float* d, std::size_t n) {
  std::vector<float> h(n);
  AISYS_CUDA_CHECK(cudaMemcpy(h.data(), d, n * sizeof(float), cudaMemcpyDeviceToHost));
  return h;
}

TEST_F(NcclCommunicatorTest, SendrecvToItself) {
  std::vector<float> a(1 << 16);
  std::iota(a.begin(), a.end(), 1.0f);
  float* src = device_copy(a);
  float* dst = device_copy(std::vector<float>(a.size(), -1.0f));
  comm_->sendrecv(src, a.size(), 0, dst, a.size(), 0, DataType::kFloat32, 0);
  EXPECT_EQ(host_copy(dst, a.size()), a);
  cudaFree(src);
  cudaFree(dst);
}

TEST_F(NcclCommunicatorTest, QueuedIsendIrecvCompleteTogether) {
  std::vector<float> a(1000, 3.5f);
  float* src = device_copy(a);
  float* dst = device_copy(std::vector<float>(a.size(), 0.0f));
  Request r = comm_->irecv(dst, a.size(), DataType::kFloat32, 0, 1);
  Request s = comm_->isend(src, a.size(), DataType::kFloat32, 0, 1);
  comm_->wait(r);
  comm_->wait(s);
  EXPECT_EQ(host_copy(dst, a.size()), a);
  cudaFree(src);
  cudaFree(dst);
}

// `isend(next); recv(prev)` at one rank: the blocking recv must join the queued isend's group
// (issued apart, NCCL refuses a send to itself without its receive).
TEST_F(NcclCommunicatorTest, BlockingRecvJoinsTheQueuedIsend) {
  std::vector<float> a(3000);
  std::iota(a.begin(), a.end(), -1000.0f);
  float* src = device_copy(a);
  float* dst = device_copy(std::vector<float>(a.size(), 0.0f));
  Request s = comm_->isend(src, a.size(), DataType::kFloat32, 0, 2);
  comm_->recv(dst, a.size(), DataType::kFloat32, 0, 2);
  comm_->wait(s);
  EXPECT_EQ(host_copy(dst, a.size()), a);
  // And the other way round: irecv queued, then a blocking send.
  float* back = device_copy(std::vector<float>(a.size(), 0.0f));
  Request r = comm_->irecv(back, a.size(), DataType::kFloat32, 0, 3);
  comm_->send(dst, a.size(), DataType::kFloat32, 0, 3);
  comm_->wait(r);
  EXPECT_EQ(host_copy(back, a.size()), a);
  cudaFree(src);
  cudaFree(dst);
  cudaFree(back);
}

// NCCL matches by order, not tag: a second tag in flight to the same peer is refused, naming both.
TEST_F(NcclCommunicatorTest, TwoTagsInFlightToOnePeerAreRefused) {
  std::vector<float> a(64, 1.5f);
  float* src = device_copy(a);
  float* dst = device_copy(std::vector<float>(a.size(), 0.0f));
  Request s = comm_->isend(src, a.size(), DataType::kFloat32, 0, 1);
  try {
    Request t = comm_->isend(src, a.size(), DataType::kFloat32, 0, 2);
    comm_->wait(t);
    ADD_FAILURE() << "an isend with tag 2 was accepted while one with tag 1 is in flight to the same rank";
  } catch (const InvalidArgument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tag 2"), std::string::npos) << what;
    EXPECT_NE(what.find("tag 1"), std::string::npos) << what;
  }
  Request r = comm_->irecv(dst, a.size(), DataType::kFloat32, 0, 1);
  comm_->wait(s);
  comm_->wait(r);
  EXPECT_EQ(host_copy(dst, a.size()), a);
  // Once they completed, another tag is fine.
  comm_->sendrecv(src, a.size(), 0, dst, a.size(), 0, DataType::kFloat32, 9);
  EXPECT_EQ(host_copy(dst, a.size()), a);
  cudaFree(src);
  cudaFree(dst);
}

// A lone isend to itself is a group NCCL refuses (ncclInvalidUsage): wait() throws, the request
// ends (no abort when it is destroyed), and the communicator still works.
TEST_F(NcclCommunicatorTest, ARefusedGroupLeavesTheCommunicatorUsable) {
  std::vector<float> a(256, 2.0f);
  float* src = device_copy(a);
  float* dst = device_copy(std::vector<float>(a.size(), 0.0f));
  {
    Request lone = comm_->isend(src, a.size(), DataType::kFloat32, 0, 5);
    EXPECT_THROW(comm_->wait(lone), LibraryError);
    EXPECT_THROW(comm_->wait(lone), LibraryError) << "a failed request keeps failing, it never reads as done";
  }
  comm_->sendrecv(src, a.size(), 0, dst, a.size(), 0, DataType::kFloat32, 6);
  EXPECT_EQ(host_copy(dst, a.size()), a);
  cudaFree(src);
  cudaFree(dst);
}

TEST_F(NcclCommunicatorTest, AccumulateRefusesMixedMemorySpaces) {
  std::vector<float> host(16, 1.0f);
  float* device = device_copy(host);
  EXPECT_THROW(accumulate(device, host.data(), host.size(), DataType::kFloat32), InvalidArgument);
  EXPECT_THROW(accumulate(host.data(), device, host.size(), DataType::kFloat32), InvalidArgument);
  cudaFree(device);
}

TEST_F(NcclCommunicatorTest, AccumulateOnTheDevice) {
  std::vector<float> a(5000), b(5000);
  std::iota(a.begin(), a.end(), 0.0f);
  std::iota(b.begin(), b.end(), 100.0f);
  float* da = device_copy(a);
  float* db = device_copy(b);
  accumulate(da, db, a.size(), DataType::kFloat32);
  const auto got = host_copy(da, a.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(got[i], a[i] + b[i]) << "element " << i;
  cudaFree(da);
  cudaFree(db);
}

// copy_in/copy_out move host data to and from device scratch, ordered with the communicator's own
// stream: a round trip through a self-sendrecv comes back intact.
TEST_F(NcclCommunicatorTest, CopyInAndOutOfDeviceScratch) {
  std::vector<float> a(3001), back(3001, -1.0f);
  std::iota(a.begin(), a.end(), 0.5f);
  Scratch from = comm_->scratch(a.size() * sizeof(float));
  Scratch to = comm_->scratch(a.size() * sizeof(float));
  comm_->copy_in(from.data(), a.data(), a.size() * sizeof(float));
  comm_->sendrecv(from.data(), a.size(), 0, to.data(), a.size(), 0, DataType::kFloat32, 8);
  comm_->copy_out(back.data(), to.data(), a.size() * sizeof(float));
  EXPECT_EQ(back, a);
}

TEST_F(NcclCommunicatorTest, ScratchIsDeviceMemory) {
  Scratch s = comm_->scratch(4096 * sizeof(float));
  ASSERT_NE(s.data(), nullptr);
  cudaPointerAttributes attributes{};
  AISYS_CUDA_CHECK(cudaPointerGetAttributes(&attributes, s.data()));
  EXPECT_EQ(attributes.type, cudaMemoryTypeDevice);
  // A step of an all-reduce through it: receive into scratch, add into the data.
  std::vector<float> a(4096), b(4096);
  std::iota(a.begin(), a.end(), 1.0f);
  std::iota(b.begin(), b.end(), -7.0f);
  float* data = device_copy(a);
  float* peer = device_copy(b);
  comm_->sendrecv(peer, b.size(), 0, s.data(), b.size(), 0, DataType::kFloat32, 4);
  accumulate(data, s.data(), a.size(), DataType::kFloat32);
  const auto got = host_copy(data, a.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(got[i], a[i] + b[i]) << "element " << i;
  cudaFree(data);
  cudaFree(peer);
}

TEST_F(NcclCommunicatorTest, AllReduceBaselineAtOneRankLeavesTheSum) {
  const std::uint32_t seed = 20261202;
  std::cout << "[ seed     ] " << seed << "\n";
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20}) {
    std::vector<float> a(n);
    for (float& v : a) v = uniform(engine);
    float* d = device_copy(a.empty() ? std::vector<float>(1, 0.0f) : a);
    nccl_allreduce_baseline(*comm_, d, n, DataType::kFloat32);
    EXPECT_EQ(host_copy(d, n), a) << n << " float32 on one rank";
    cudaFree(d);
  }
  std::vector<std::int32_t> ints(4097);
  std::iota(ints.begin(), ints.end(), -2048);
  std::int32_t* di = nullptr;
  AISYS_CUDA_CHECK(cudaMalloc(&di, ints.size() * sizeof(std::int32_t)));
  AISYS_CUDA_CHECK(cudaMemcpy(di, ints.data(), ints.size() * sizeof(std::int32_t), cudaMemcpyHostToDevice));
  nccl_allreduce_baseline(*comm_, di, ints.size(), DataType::kInt32);
  std::vector<std::int32_t> got(ints.size());
  AISYS_CUDA_CHECK(cudaMemcpy(got.data(), di, ints.size() * sizeof(std::int32_t), cudaMemcpyDeviceToHost));
  EXPECT_EQ(got, ints);
  cudaFree(di);
}

}  // namespace
}  // namespace aisys::comm
