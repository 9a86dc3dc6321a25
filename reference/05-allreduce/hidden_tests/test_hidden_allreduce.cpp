// Lab 05 hidden tests (never shipped): counts the public tests do not use. A chunk of exactly one
// 256 KiB exchange segment and one element past it (where a segmented ring or halving-doubling
// miscounts its last, short segment), the tree's 64 KiB segment plus one, one element short of a
// multiple of the ranks, 8 MiB of int32 (exact: no rounding hides a dropped or doubled element),
// and three all-reduces of different counts back to back on one communicator.
#include "allreduce_test_support.hpp"

namespace aisys::lab05::testing {
namespace {

constexpr std::size_t kSegmentFloats = (256u << 10) / sizeof(float);
constexpr std::size_t kTreeSegmentFloats = (64u << 10) / sizeof(float);

void hidden_counts(const AllReduceFn& fn, comm::Communicator& c, std::uint64_t salt) {
  const auto p = static_cast<std::size_t>(c.size());
  for (std::size_t n : {p * kSegmentFloats, p * kSegmentFloats + 1, kTreeSegmentFloats + 1, 3 * p - 1}) {
    SCOPED_TRACE("hidden count " + std::to_string(n));
    expect_allreduce<float>(fn, c, n, salt++);
  }
  SCOPED_TRACE("hidden count: 8 MiB of int32");
  expect_allreduce<std::int32_t>(fn, c, (8u << 20) / sizeof(std::int32_t), salt++);
  for (std::size_t n : {std::size_t{5}, std::size_t{70001}, std::size_t{2}}) {
    SCOPED_TRACE("back to back, count " + std::to_string(n));
    expect_allreduce<float>(fn, c, n, salt++);
  }
}

TEST_F(Ring, HiddenCounts) {
  hidden_counts([](comm::Communicator& c, void* d, std::size_t n, comm::DataType t) { ring_allreduce(c, d, n, t); },
                world(), 1100);
}

TEST_F(HalvingDoubling, HiddenCounts) {
  hidden_counts(
      [](comm::Communicator& c, void* d, std::size_t n, comm::DataType t) { halving_doubling_allreduce(c, d, n, t); },
      world(), 1200);
}

TEST_F(Tree, HiddenCounts) {
  hidden_counts([](comm::Communicator& c, void* d, std::size_t n, comm::DataType t) { tree_allreduce(c, d, n, t); },
                world(), 1300);
}

}  // namespace
}  // namespace aisys::lab05::testing
