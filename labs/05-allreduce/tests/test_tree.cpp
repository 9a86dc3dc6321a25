// Lab 05: tree_allreduce (skeleton/3_tree.cpp) at every count the lab asks for, float32 and int32, at whatever
// number of ranks mpiexec starts (CTest and the grader run 1, 2, 3, 4, 5 and 8).
#include "allreduce_test_support.hpp"

namespace aisys::lab05::testing {
namespace {

class Tree : public comm::testing::MpiTest {};

const AllReduceFn kFn = [](comm::Communicator& c, void* d, std::size_t n, comm::DataType t) { tree_allreduce(c, d, n, t); };

TEST_F(Tree, SmallAndOddCounts) { check_algorithm(kFn, world()); }

TEST_F(Tree, SixteenMebibytes) { expect_allreduce<float>(kFn, world(), kLargeCount, 77); }

TEST_F(Tree, BackToBackCallsDoNotMix) {
  // Two all-reduces in a row with different data: a message of the first must not land in the second.
  expect_allreduce<float>(kFn, world(), 4099, 91);
  expect_allreduce<float>(kFn, world(), 4099, 92);
}

}  // namespace
}  // namespace aisys::lab05::testing
