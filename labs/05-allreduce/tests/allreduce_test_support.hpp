// Lab 05 test support: runs an all-reduce on every rank with random data (rank 0's logged seed;
// never all zeros) and compares with the double-precision sum of every rank's data, which each
// rank regenerates locally. float32 within p x 2^-23 x sum|x|, int32 exactly. A failure names the
// rank, count, type, first bad index, expected and got (and the seed, via the test main).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05::testing {

using AllReduceFn = std::function<void(comm::Communicator&, void*, std::size_t, comm::DataType)>;

template <typename T>
std::vector<T> rank_data(std::size_t count, int rank, std::uint64_t salt) {
  std::mt19937_64 rng(aisys::testing::case_seed(salt * 1000003ull + static_cast<std::uint64_t>(rank)));
  std::vector<T> v(count);
  if constexpr (std::is_same_v<T, float>) {
    std::uniform_real_distribution<float> u(0.5f, 1.5f);
    for (auto& e : v) e = (rng() & 1) ? u(rng) : -u(rng);
  } else {
    std::uniform_int_distribution<std::int32_t> u(-100000, 100000);
    for (auto& e : v) e = u(rng) | 1;  // odd: never zero
  }
  return v;
}

template <typename T>
void expect_allreduce(const AllReduceFn& fn, comm::Communicator& c, std::size_t count, std::uint64_t salt) {
  const int p = c.size(), r = c.rank();
  std::vector<T> data = rank_data<T>(count, r, salt);
  fn(c, data.data(), count, comm::data_type_of<T>());
  std::vector<double> sum(count, 0.0), abs_sum(count, 0.0);
  for (int k = 0; k < p; ++k) {
    const std::vector<T> part = rank_data<T>(count, k, salt);
    for (std::size_t i = 0; i < count; ++i) {
      sum[i] += static_cast<double>(part[i]);
      abs_sum[i] += std::abs(static_cast<double>(part[i]));
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    const double tol = std::is_same_v<T, float> ? p * std::ldexp(1.0, -23) * abs_sum[i] : 0.0;
    if (std::abs(static_cast<double>(data[i]) - sum[i]) > tol) {
      FAIL() << "rank " << r << " of " << p << ", count " << count << " (" << comm::name_of(comm::data_type_of<T>())
             << "): first bad element " << i << ": expected " << sum[i] << ", got " << data[i]
             << " (tolerance " << tol << ")";
    }
  }
}

// Every count the lab asks for: 0, 1, fewer than the ranks, exactly the ranks, a prime, not
// divisible by the ranks, and 16 MiB of float32.
inline std::vector<std::size_t> counts(int p) {
  std::vector<std::size_t> c = {0, 1, 7, static_cast<std::size_t>(p), 1000003};
  if (p > 2) c.push_back(static_cast<std::size_t>(p - 1));
  return c;
}
inline constexpr std::size_t kLargeCount = (16u << 20) / sizeof(float);

inline void check_algorithm(const AllReduceFn& fn, comm::Communicator& c) {
  std::uint64_t salt = 1;
  for (std::size_t n : counts(c.size())) {
    SCOPED_TRACE("count " + std::to_string(n));
    expect_allreduce<float>(fn, c, n, salt++);
    expect_allreduce<std::int32_t>(fn, c, n, salt++);
  }
}

}  // namespace aisys::lab05::testing

// The tests of one blocking all-reduce, as the suite SUITE (the name lab.json's part filters on):
// every small and odd count, 16 MiB, and two calls back to back (a message of the first must not
// land in the second). CALL uses c, d, n and t.
#define AISYS_LAB05_ALLREDUCE_TESTS(SUITE, CALL)                                                    \
  class SUITE : public ::aisys::comm::testing::MpiTest {};                                          \
  const ::aisys::lab05::testing::AllReduceFn k##SUITE##Fn =                                         \
      [](::aisys::comm::Communicator& c, void* d, std::size_t n, ::aisys::comm::DataType t) { CALL; }; \
  TEST_F(SUITE, SmallAndOddCounts) { ::aisys::lab05::testing::check_algorithm(k##SUITE##Fn, world()); } \
  TEST_F(SUITE, SixteenMebibytes) {                                                                 \
    ::aisys::lab05::testing::expect_allreduce<float>(k##SUITE##Fn, world(),                         \
                                                    ::aisys::lab05::testing::kLargeCount, 77);      \
  }                                                                                                 \
  TEST_F(SUITE, BackToBackCallsDoNotMix) {                                                          \
    ::aisys::lab05::testing::expect_allreduce<float>(k##SUITE##Fn, world(), 4099, 91);              \
    ::aisys::lab05::testing::expect_allreduce<float>(k##SUITE##Fn, world(), 4099, 92);              \
  }
