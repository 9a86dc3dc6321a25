// Lab 05 on the NCCL backend: each blocking all-reduce on device memory, at every count the MPI
// suites use, float32 and int32, at as many ranks as mpiexec starts (one GPU per rank). Skipped,
// with the reason and on every rank alike, where the build has no NCCL, there is no GPU, or a node
// has more ranks than GPUs (NCCL refuses two ranks on one GPU); on a one-GPU machine this runs at
// one rank. Not graded (lab.json's parts filter on the MPI suites): the same code, another backend.
#include <memory>
#include <string>

#include "aisys/comm/nccl_communicator.hpp"
#include "allreduce_test_support.hpp"

namespace aisys::lab05::testing {
namespace {

class NcclTest : public comm::testing::MpiTest {
 protected:
  void SetUp() override {
    static const std::string why = comm::nccl_unavailable_reason();  // collective: agreed by every rank
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
