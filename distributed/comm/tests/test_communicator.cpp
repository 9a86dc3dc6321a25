// The Communicator's MPI backend at 1-4 ranks: point-to-point in a ring, sendrecv, nonblocking
// operations driven by test(), errors naming ranks (a message of the wrong size, a rank that does
// not exist), accumulate() (on host data it leaves CUDA alone: no context is created on a GPU
// machine), scratch memory, and the NCCL baseline refusing this backend.
#include <dlfcn.h>

#include <cstdint>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/comm/nccl_communicator.hpp"
#include "aisys/kernels/device.hpp"
#include "aisys/kernels/error.hpp"

namespace aisys::comm {
namespace {

class CommunicatorMpi : public testing::MpiTest {};

TEST_F(CommunicatorMpi, RanksAndSize) {
  EXPECT_GE(world().size(), 1);
  EXPECT_GE(world().rank(), 0);
  EXPECT_LT(world().rank(), world().size());
  EXPECT_EQ(world().backend(), "mpi");
}

TEST_F(CommunicatorMpi, RingOfBlockingSendRecv) {
  auto& c = world();
  const int next = (c.rank() + 1) % c.size(), prev = (c.rank() + c.size() - 1) % c.size();
  std::vector<float> out(1000), in(1000, -1.0f);
  std::iota(out.begin(), out.end(), static_cast<float>(c.rank() * 1000));
  // Even ranks send first, odd ranks receive first: no deadlock at any size.
  if (c.size() == 1) {
    c.sendrecv(out.data(), out.size(), next, in.data(), in.size(), prev, DataType::kFloat32, 1);
  } else if (c.rank() % 2 == 0) {
    c.send(std::span<const float>(out), next, 1);
    c.recv(std::span<float>(in), prev, 1);
  } else {
    c.recv(std::span<float>(in), prev, 1);
    c.send(std::span<const float>(out), next, 1);
  }
  EXPECT_EQ(in[0], static_cast<float>(prev * 1000));
  EXPECT_EQ(in[999], static_cast<float>(prev * 1000 + 999));
}

TEST_F(CommunicatorMpi, NonblockingWithTestProgress) {
  auto& c = world();
  const int next = (c.rank() + 1) % c.size(), prev = (c.rank() + c.size() - 1) % c.size();
  std::vector<std::int32_t> out(1 << 16, c.rank() + 1), in(1 << 16, 0);
  Request r = c.irecv(std::span<std::int32_t>(in), prev, 2);
  Request s = c.isend(std::span<const std::int32_t>(out), next, 2);
  long polls = 0;
  while (!c.test(r)) ++polls;
  c.wait(s);
  EXPECT_EQ(in.front(), prev + 1);
  EXPECT_EQ(in.back(), prev + 1);
  EXPECT_GE(polls, 0);
}

TEST_F(CommunicatorMpi, WrongMessageSizeNamesBothRanks) {
  auto& c = world();
  if (c.size() < 2) GTEST_SKIP() << "needs 2 ranks";
  if (c.rank() == 1) {
    std::vector<float> three(3, 1.0f);
    c.send(std::span<const float>(three), 0, 5);
  } else if (c.rank() == 0) {
    std::vector<float> four(4);
    try {
      c.recv(std::span<float>(four), 1, 5);
      ADD_FAILURE() << "a 3-element message was accepted by a 4-element receive";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("rank 0: recv from rank 1 (tag 5): the message held 3 float32, "
                                           "the receive expected 4"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(CommunicatorMpi, PeerOutOfRangeIsNamed) {
  auto& c = world();
  std::vector<float> x(1);
  try {
    c.send(std::span<const float>(x), c.size(), 0);
    ADD_FAILURE() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("which does not exist"), std::string::npos) << e.what();
  }
}

TEST_F(CommunicatorMpi, AccumulateAddsElementwise) {
  std::vector<float> a = {1, 2, 3}, b = {10, 20, 30};
  accumulate(a.data(), b.data(), a.size(), DataType::kFloat32);
  EXPECT_EQ(a, (std::vector<float>{11, 22, 33}));
  std::vector<std::int32_t> i = {1, -1}, j = {5, 5};
  accumulate(i.data(), j.data(), i.size(), DataType::kInt32);
  EXPECT_EQ(i, (std::vector<std::int32_t>{6, 4}));
}

// Whether any device's primary CUDA context is active, asked of the driver without creating one
// (libcuda opened at run time, so the test binary runs where there is no driver).
// nullopt when there is no CUDA driver or no device.
std::optional<bool> any_cuda_context_active() {
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (driver == nullptr) return std::nullopt;
  using Init = int (*)(unsigned);
  using GetCount = int (*)(int*);
  using Get = int (*)(int*, int);
  using PrimaryState = int (*)(int, unsigned*, int*);
  auto init = reinterpret_cast<Init>(dlsym(driver, "cuInit"));
  auto get_count = reinterpret_cast<GetCount>(dlsym(driver, "cuDeviceGetCount"));
  auto get = reinterpret_cast<Get>(dlsym(driver, "cuDeviceGet"));
  auto state = reinterpret_cast<PrimaryState>(dlsym(driver, "cuDevicePrimaryCtxGetState"));
  int count = 0;
  if (!init || !get_count || !get || !state || init(0) != 0 || get_count(&count) != 0 || count == 0) {
    return std::nullopt;
  }
  bool active_somewhere = false;
  for (int i = 0; i < count; ++i) {
    int device = 0, active = 0;
    unsigned flags = 0;
    if (get(&device, i) == 0 && state(device, &flags, &active) == 0 && active != 0) active_somewhere = true;
  }
  return active_somewhere;  // the library stays open: the driver does not expect to be unloaded
}

// Host-only work in a CUDA build (every rank of lab 05 on the CPU) must not create a CUDA context
// per rank, which a pointer query would (hundreds of MiB of GPU memory and a fraction of a second
// each). The host path also leaves the platform's note of device memory unset.
TEST_F(CommunicatorMpi, AccumulateOnHostDataLeavesCudaAlone) {
  const auto before = any_cuda_context_active();
  if (!before) GTEST_SKIP() << "no CUDA driver or device to watch";
  if (*before) GTEST_SKIP() << "a CUDA context already exists in this process";
  std::vector<double> a(1000, 1.0), b(1000, 2.0);
  for (int r = 0; r < 3; ++r) accumulate(a.data(), b.data(), a.size(), DataType::kFloat64);
  EXPECT_EQ(a.front(), 7.0);
  EXPECT_FALSE(aisys::device_memory_in_use());
  EXPECT_EQ(any_cuda_context_active(), std::optional<bool>(false)) << "accumulate() on host data created a CUDA context";
}

// nccl_unavailable_reason(): one verdict on every rank, naming what is missing.
TEST_F(CommunicatorMpi, NcclUnavailableReasonNamesWhatIsMissing) {
  const std::string why = nccl_unavailable_reason();  // collective: every rank calls it here
  if (!have_nccl()) {
    EXPECT_EQ(why, "this build has no NCCL");
  } else if (!aisys::gpu_available()) {
    EXPECT_NE(why.find("no GPU"), std::string::npos) << why;
  } else if (static_cast<std::size_t>(world().size()) > aisys::enumerate_devices().devices.size()) {
    EXPECT_FALSE(why.empty()) << "more ranks than GPUs on one machine";
  } else {
    EXPECT_EQ(why, "");
  }
}

// copy_in/copy_out on the MPI backend: plain copies into and out of (host) scratch.
TEST_F(CommunicatorMpi, CopyInAndOutOfScratch) {
  std::vector<float> a(257), back(257, -1.0f);
  std::iota(a.begin(), a.end(), static_cast<float>(world().rank()));
  Scratch s = world().scratch(a.size() * sizeof(float));
  world().copy_in(s.data(), a.data(), a.size() * sizeof(float));
  EXPECT_EQ(std::vector<float>(s.as<float>(), s.as<float>() + a.size()), a);
  world().copy_out(back.data(), s.data(), a.size() * sizeof(float));
  EXPECT_EQ(back, a);
  world().copy_in(nullptr, nullptr, 0);  // nothing to copy: no access
}

// Scratch memory on the MPI backend: host memory, 64-byte aligned, never null, moved not copied;
// a ring step through it carries the neighbour's data.
TEST_F(CommunicatorMpi, ScratchIsAlignedHostMemoryThatMoves) {
  auto& c = world();
  Scratch empty = c.scratch(0);
  EXPECT_NE(empty.data(), nullptr);
  EXPECT_EQ(empty.bytes(), 0u);
  const std::size_t n = 1001;
  Scratch s = c.scratch(n * sizeof(float));
  ASSERT_NE(s.data(), nullptr);
  EXPECT_EQ(s.bytes(), n * sizeof(float));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(s.data()) % 64, 0u);
  std::vector<float> mine(n);
  std::iota(mine.begin(), mine.end(), static_cast<float>(1000 * c.rank()));
  const int next = (c.rank() + 1) % c.size(), prev = (c.rank() + c.size() - 1) % c.size();
  c.sendrecv(mine.data(), n, next, s.data(), n, prev, DataType::kFloat32, 3);
  Scratch moved = std::move(s);
  EXPECT_EQ(s.data(), nullptr);
  ASSERT_EQ(moved.bytes(), n * sizeof(float));
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_EQ(moved.as<float>()[i], static_cast<float>(1000 * prev + static_cast<int>(i))) << "element " << i;
  }
  moved = c.scratch(8);  // the old block is freed
  EXPECT_EQ(moved.bytes(), 8u);
}

// The NCCL baseline runs only on an NCCL communicator's device memory: on this backend it refuses,
// naming the backend, and leaves the data as it was (CUDA build or not).
TEST_F(CommunicatorMpi, NcclBaselineRefusesTheMpiBackend) {
  auto& c = world();
  std::vector<float> data = {1.5f, -2.0f, 3.25f};
  const std::vector<float> before = data;
  try {
    nccl_allreduce_baseline(c, data.data(), data.size(), DataType::kFloat32);
    ADD_FAILURE() << "nccl_allreduce_baseline ran on the MPI backend";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("backend is 'mpi', not 'nccl'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(data, before);
}

}  // namespace
}  // namespace aisys::comm
