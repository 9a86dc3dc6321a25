// Lab 05, parts 1-3: each blocking all-reduce at every count the lab asks for, float32 and int32,
// at whatever number of ranks mpiexec starts (CTest and the grader run 1, 2, 3, 4, 5 and 8). One
// suite per part (lab.json filters on the suite name).
#include "allreduce_test_support.hpp"

namespace aisys::lab05::testing {
namespace {

AISYS_LAB05_ALLREDUCE_TESTS(Ring, ring_allreduce(c, d, n, t))
AISYS_LAB05_ALLREDUCE_TESTS(HalvingDoubling, halving_doubling_allreduce(c, d, n, t))
AISYS_LAB05_ALLREDUCE_TESTS(Tree, tree_allreduce(c, d, n, t))

}  // namespace
}  // namespace aisys::lab05::testing
