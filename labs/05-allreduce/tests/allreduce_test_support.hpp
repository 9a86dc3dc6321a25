// Lab 05 test support: runs an all-reduce on every rank with random data (rank 0's logged seed;
// never all zeros) and compares with the double-precision sum of every rank's data, which each
// rank regenerates locally. float32 within p x 2^-23 x sum|x|, int32 exactly. On a backend other
// than MPI the data is copied into the communicator's scratch memory (device memory on NCCL) first. A failure names the
// rank, count, type, first bad index, expected and got (and the seed, via the test main).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05::testing {

using AllReduceFn = std::function<void(comm::Communicator&, void*, std::size_t, comm::DataType)>;

// Element i of rank r's data is a hash of (seed, r, i), so every rank regenerates any rank's data
// at a few instructions per element (8 ranks checking 16 MiB each on 2 cores stays fast).
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

inline std::uint64_t rank_key(int rank, std::uint64_t salt) {
  return mix64(aisys::testing::case_seed(salt * 1000003ull + static_cast<std::uint64_t>(rank)));
}

// Element i of the data whose key is `key`.
template <typename T>
T rank_value(std::uint64_t key, std::size_t i) {
  const std::uint64_t bits = mix64(key + 0x9e3779b97f4a7c15ull * (i + 1));
  if constexpr (std::is_same_v<T, float>) {
    // +-[0.5, 1.5): a 24-bit fraction, the sign from another bit.
    const float u = 0.5f + static_cast<float>(bits >> 40) * 0x1p-24f;
    return (bits & 1) ? u : -u;
  } else {
    // odd integers in [-99999, 100001]: never zero
    return (static_cast<std::int32_t>((bits >> 32) % 100001u) - 50000) * 2 + 1;
  }
}

template <typename T>
std::vector<T> rank_data(std::size_t count, int rank, std::uint64_t salt) {
  const std::uint64_t key = rank_key(rank, salt);
  std::vector<T> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = rank_value<T>(key, i);
  return v;
}

template <typename T>
void expect_allreduce(const AllReduceFn& fn, comm::Communicator& c, std::size_t count, std::uint64_t salt) {
  const int p = c.size(), r = c.rank();
  std::vector<T> data = rank_data<T>(count, r, salt);
  if (c.backend() == "mpi") {
    fn(c, data.data(), count, comm::data_type_of<T>());
  } else {
    // Another backend sends from its own memory (device memory for NCCL): the data goes there and back.
    const comm::Scratch on_backend = c.scratch(count * sizeof(T));
    c.copy_in(on_backend.data(), data.data(), count * sizeof(T));
    fn(c, on_backend.data(), count, comm::data_type_of<T>());
    c.copy_out(data.data(), on_backend.data(), count * sizeof(T));
  }
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(p));
  for (int k = 0; k < p; ++k) keys[static_cast<std::size_t>(k)] = rank_key(k, salt);
  for (std::size_t i = 0; i < count; ++i) {
    // The double-precision sum of every rank's element i, regenerated here.
    double sum = 0.0, abs_sum = 0.0;
    for (const std::uint64_t key : keys) {
      const double x = static_cast<double>(rank_value<T>(key, i));
      sum += x;
      abs_sum += std::abs(x);
    }
    const double tol = std::is_same_v<T, float> ? p * std::ldexp(1.0, -23) * abs_sum : 0.0;
    if (std::abs(static_cast<double>(data[i]) - sum) > tol) {
      FAIL() << "rank " << r << " of " << p << ", count " << count << " (" << comm::name_of(comm::data_type_of<T>())
             << "): first bad element " << i << ": expected " << sum << ", got " << data[i]
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

// The fixtures of the blocking all-reduce suites, one per part (the names lab.json filters on),
// declared here so that every test file, the instructors' hidden tests too, adds to the same suite.
class Ring : public comm::testing::MpiTest {};
class HalvingDoubling : public comm::testing::MpiTest {};
class Tree : public comm::testing::MpiTest {};

inline void check_algorithm(const AllReduceFn& fn, comm::Communicator& c) {
  std::uint64_t salt = 1;
  for (std::size_t n : counts(c.size())) {
    SCOPED_TRACE("count " + std::to_string(n));
    expect_allreduce<float>(fn, c, n, salt++);
    expect_allreduce<std::int32_t>(fn, c, n, salt++);
  }
}

}  // namespace aisys::lab05::testing

// The tests of one blocking all-reduce in the suite SUITE (a fixture above; lab.json filters on it):
// every small and odd count, 16 MiB, and two calls back to back (a message of the first must not
// land in the second). CALL uses c, d, n and t.
#define AISYS_LAB05_ALLREDUCE_TESTS(SUITE, CALL)                                                    \
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
