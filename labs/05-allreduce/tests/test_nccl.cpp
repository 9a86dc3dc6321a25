// Lab 05 on the NCCL backend: each blocking all-reduce on device memory, at every count the MPI
// suites use, float32 and int32, at as many ranks as mpiexec starts (one GPU per rank). Skipped,
// with the reason and on every rank alike, where the build has no NCCL, there is no GPU, or a node
// has more ranks than GPUs (NCCL refuses two ranks on one GPU); on a one-GPU machine this runs at
// one rank. Not graded (lab.json's parts filter on the MPI suites): the same code, another backend.
#include <mpi.h>

#include <memory>
#include <string>

#include "aisys/comm/nccl_communicator.hpp"
#include "aisys/kernels/device.hpp"
#include "allreduce_test_support.hpp"

namespace aisys::lab05::testing {
namespace {

// "" when every rank can have an NCCL communicator, else why not (the same answer on every rank:
// each rank's verdict is agreed with an MPI_Allreduce, so no rank waits in NCCL's set-up alone).
std::string why_no_nccl() {
  std::string reason;
  if (!comm::have_nccl()) {
    reason = "this build has no NCCL";
  } else if (!gpu_available()) {
    reason = "no GPU: " + gpu_unavailable_reason();
  } else {
    MPI_Comm node;
    int on_node = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
      MPI_Comm_size(node, &on_node);
      MPI_Comm_free(&node);
    }
    const int gpus = static_cast<int>(enumerate_devices().devices.size());
    if (on_node > gpus) {
      reason = std::to_string(on_node) + " ranks on a node with " + std::to_string(gpus) +
               " GPU(s): NCCL needs a GPU per rank";
    }
  }
  int ok = reason.empty() ? 1 : 0, all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (all_ok == 0 && reason.empty()) reason = "another rank cannot use NCCL";
  return all_ok ? "" : reason;
}

class NcclTest : public comm::testing::MpiTest {
 protected:
  void SetUp() override {
    static const std::string why = why_no_nccl();
    if (!why.empty()) GTEST_SKIP() << why;
    nccl_ = &communicator();
  }
  comm::Communicator& nccl() { return *nccl_; }

 private:
  // One communicator for the binary, made by every rank at the same test (ncclCommInitRank is
  // collective); destroyed at exit, before MPI is finalised (it was made after MPI was started).
  static comm::Communicator& communicator() {
    static const std::unique_ptr<comm::Communicator> c = comm::make_nccl_communicator();
    return *c;
  }
  comm::Communicator* nccl_ = nullptr;
};

#define AISYS_LAB05_NCCL_TESTS(SUITE, CALL)                                                         \
  class SUITE : public NcclTest {};                                                                 \
  const AllReduceFn k##SUITE##Fn = [](comm::Communicator& c, void* d, std::size_t n, comm::DataType t) { CALL; }; \
  TEST_F(SUITE, SmallAndOddCounts) {                                                                \
    ASSERT_EQ(nccl().backend(), "nccl");                                                            \
    check_algorithm(k##SUITE##Fn, nccl());                                                          \
  }                                                                                                 \
  TEST_F(SUITE, SixteenMebibytes) { expect_allreduce<float>(k##SUITE##Fn, nccl(), kLargeCount, 177); }

AISYS_LAB05_NCCL_TESTS(RingOnNccl, ring_allreduce(c, d, n, t))
AISYS_LAB05_NCCL_TESTS(HalvingDoublingOnNccl, halving_doubling_allreduce(c, d, n, t))
AISYS_LAB05_NCCL_TESTS(TreeOnNccl, tree_allreduce(c, d, n, t))

}  // namespace
}  // namespace aisys::lab05::testing
