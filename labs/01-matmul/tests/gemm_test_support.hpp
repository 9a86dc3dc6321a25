// Lab 01 test support: runs one GEMM stage on random inputs (logged seed) and compares it with the
// double-precision oracle (aisys::testing::reference_gemm) by relative Frobenius error, with
// every element of C checked as written (NaN-poisoned when beta == 0) and the padding of C's
// leading dimension and one row past C's last checked as untouched. Shared by tests/ and the
// hidden tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/harness/testing.hpp"
#include "aisys/kernels/error.hpp"
#include "aisys/kernels/cpu_features.hpp"
#include "aisys/lab01/cpu_gemm.hpp"

namespace aisys::lab01::testing {

struct GemmCase {
  int M, N, K;
  float alpha = 1.0f;
  float beta = 0.0f;
  int lda_pad = 0, ldb_pad = 0, ldc_pad = 0;  // leading dimension = row length + pad
  int offset = 0;  // A, B and C start this many elements past an aligned allocation (misaligned)
};

// Elements from each operand's first element on: its rows at their leading dimension plus one
// (A, B), and one whole row more for C: a sentinel row that catches a store past row M - 1.
inline std::size_t a_elements(const GemmCase& c, int lda) { return static_cast<std::size_t>(c.M) * lda + 1; }
inline std::size_t b_elements(const GemmCase& c, int ldb) { return static_cast<std::size_t>(c.K) * ldb + 1; }
inline std::size_t c_elements(const GemmCase& c, int ldc) { return static_cast<std::size_t>(c.M + 1) * ldc; }

inline std::string describe(const char* name, const GemmCase& c) {
  std::ostringstream s;
  s << name << " M=" << c.M << " N=" << c.N << " K=" << c.K << " alpha=" << c.alpha
    << " beta=" << c.beta << " lda=" << c.K + c.lda_pad << " ldb=" << c.N + c.ldb_pad
    << " ldc=" << c.N + c.ldc_pad;
  if (c.offset != 0) s << " offset=" << c.offset;
  return s.str();
}

// The first of `features` this CPU lacks, or "" when it has them all.
inline std::string missing_feature(std::initializer_list<const char*> features) {
  for (const char* feature : features) {
    if (!::aisys::cpu_has(feature)) return feature;
  }
  return "";
}

// Skips the current test (with the reason) when the CPU lacks a feature the stage needs.
#define AISYS_LAB01_REQUIRE_FEATURES(...)                                                 \
  do {                                                                                    \
    const std::string missing = ::aisys::lab01::testing::missing_feature({__VA_ARGS__});  \
    if (!missing.empty()) GTEST_SKIP() << "this CPU lacks " << missing;                   \
  } while (0)

// Runs a GEMM implementation on host arrays (it may copy them to a device and back: a_elements(),
// b_elements() and c_elements() from each pointer on, at the case's offset from an aligned start).
using GemmRunner = std::function<void(const GemmCase& c, const float* A, int lda, const float* B,
                                      int ldb, float* C, int ldc)>;
// Rounds an input in place to the precision the implementation reads (FP16, BF16); identity for FP32.
using InputRounding = std::function<void(std::vector<float>& values)>;

// The check every stage (CPU or GPU) gets: random inputs from the case seed, NaN-poisoned C when
// beta == 0, sentinel padding beyond N and a sentinel row past M, the double-precision oracle on
// the (rounded) inputs.
inline ::testing::AssertionResult check_gemm_with(const char* name, const GemmCase& c,
                                                  std::uint64_t salt, double tolerance,
                                                  const GemmRunner& run,
                                                  const InputRounding& round = nullptr) {
  // BLAS: a leading dimension is at least 1 even for an empty matrix.
  const int lda = std::max(1, c.K + c.lda_pad), ldb = std::max(1, c.N + c.ldb_pad),
            ldc = std::max(1, c.N + c.ldc_pad);
  const std::uint64_t seed = aisys::testing::case_seed(salt);
  const std::size_t off = static_cast<std::size_t>(c.offset);
  std::vector<float> A_store(off + a_elements(c, lda));
  std::vector<float> B_store(off + b_elements(c, ldb));
  std::vector<float> C_store(off + c_elements(c, ldc));
  aisys::testing::fill_uniform(A_store, seed);
  aisys::testing::fill_uniform(B_store, seed + 1);
  aisys::testing::fill_uniform(C_store, seed + 2);
  if (round) {
    round(A_store);
    round(B_store);
  }
  float* const A = A_store.data() + off;
  float* const B = B_store.data() + off;
  float* const C = C_store.data() + off;
  const float pad_sentinel = 1234.5f;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int i = 0; i <= c.M; ++i) {
    for (int j = 0; j < ldc; ++j) {
      float& v = C[static_cast<std::size_t>(i) * ldc + j];
      if (i == c.M || j >= c.N) v = pad_sentinel;
      else if (c.beta == 0.0f) v = nan;  // must be written without being read
    }
  }
  const std::vector<float> C0(C, C + c_elements(c, ldc));
  std::vector<double> expected(C0.size(), 0.0);
  aisys::testing::reference_gemm(c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta, C0.data(), ldc,
                                 expected.data(), ldc);
  run(c, A, lda, B, ldb, C, ldc);
  const std::string what = describe(name, c);
  for (int i = 0; i <= c.M; ++i) {
    for (int j = i == c.M ? 0 : c.N; j < ldc; ++j) {
      const float v = C[static_cast<std::size_t>(i) * ldc + j];
      if (v != pad_sentinel) {
        return ::testing::AssertionFailure()
               << what << ", seed " << aisys::testing::test_seed() << ": wrote C(" << i << ", "
               << j << ") = " << v
               << (i == c.M ? " past the M rows (the row after C must stay untouched)"
                            : " outside the N columns (ldc padding must stay untouched)")
               << "\n  rerun: " << aisys::testing::rerun_command();
      }
    }
  }
  return aisys::testing::close_frobenius(what, {c.M, c.N, ldc}, C, expected.data(), tolerance);
}

inline ::testing::AssertionResult check_gemm(const char* name, SgemmFn fn, const GemmCase& c,
                                             std::uint64_t salt) {
  return check_gemm_with(name, c, salt, aisys::testing::fp32_tolerance(c.K),
                         [fn](const GemmCase& g, const float* A, int lda, const float* B, int ldb,
                              float* C, int ldc) {
                           fn(g.M, g.N, g.K, g.alpha, A, lda, B, ldb, g.beta, C, ldc);
                         });
}

// Negative sizes and a leading dimension shorter than the row must throw InvalidArgument.
inline ::testing::AssertionResult rejects_bad_arguments(const char* name, SgemmFn fn) {
  float a[16] = {}, b[16] = {}, c[16] = {};
  struct BadCall {
    const char* what;
    int M, N, K, lda, ldb, ldc;
  };
  const BadCall calls[] = {{"M = -1", -1, 2, 2, 2, 2, 2}, {"lda = 2 < K = 3", 2, 2, 3, 2, 2, 2},
                           {"ldc = 1 < N = 2", 2, 2, 2, 2, 2, 1}};
  fn(1, 1, 1, 1.0f, a, 1, b, 1, 0.0f, c, 1);  // a valid call first: an unwritten stage says so
  for (const auto& call : calls) {
    try {
      fn(call.M, call.N, call.K, 1.0f, a, call.lda, b, call.ldb, 0.0f, c, call.ldc);
      return ::testing::AssertionFailure() << name << " accepted " << call.what
                                           << " (call check_gemm_args first)";
    } catch (const ::aisys::InvalidArgument&) {
    }
  }
  return ::testing::AssertionSuccess();
}

// The shapes every stage must get right: 1, primes, non-multiples of any tile, thin shapes.
inline std::vector<GemmCase> odd_shapes() {
  return {{1, 1, 1},     {1, 7, 3},     {7, 1, 5},    {7, 13, 5},    {17, 31, 9},
          {33, 65, 17},  {100, 1, 257}, {1, 300, 64}, {63, 97, 129}, {129, 131, 127},
          {5, 200, 1},   {64, 64, 64},  {48, 96, 32}, {2, 2, 300},   {97, 33, 64}};
}

// Defines the public tests of one stage: Suite.OddShapes, AlphaBeta, LeadingDimensions,
// BetaZeroDoesNotReadC, EmptyShapes, Square256, RejectsBadArguments.
#define AISYS_LAB01_STAGE_TESTS(Suite, fn, ...)                                                   \
  TEST(Suite, OddShapes) {                                                                        \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    std::uint64_t salt = 100;                                                                     \
    for (const auto& c : ::aisys::lab01::testing::odd_shapes())                                   \
      ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, c, salt++));                       \
  }                                                                                               \
  TEST(Suite, AlphaBeta) {                                                                        \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    using ::aisys::lab01::testing::GemmCase;                                                      \
    const GemmCase cases[] = {{37, 41, 43, 0.5f, -1.5f}, {64, 48, 80, -2.0f, 1.0f},               \
                              {19, 70, 33, 1.0f, 0.25f}, {50, 50, 50, 0.0f, 2.0f},                \
                              {23, 29, 31, 1.5f, 0.0f}};                                          \
    std::uint64_t salt = 200;                                                                     \
    for (const auto& c : cases) ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, c, salt++)); \
  }                                                                                               \
  TEST(Suite, LeadingDimensions) {                                                                \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    using ::aisys::lab01::testing::GemmCase;                                                      \
    const GemmCase cases[] = {{31, 45, 27, 1.0f, 0.0f, 3, 5, 7}, {64, 64, 64, 1.0f, 0.5f, 1, 16, 9}, \
                              {9, 100, 70, 2.0f, 1.0f, 30, 1, 2}};                                \
    std::uint64_t salt = 300;                                                                     \
    for (const auto& c : cases) ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, c, salt++)); \
  }                                                                                               \
  TEST(Suite, BetaZeroDoesNotReadC) {                                                             \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, {45, 77, 61, 1.0f, 0.0f}, 400));     \
    ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, {45, 77, 61, 0.5f, 0.0f, 0, 0, 3}, 401)); \
  }                                                                                               \
  TEST(Suite, EmptyShapes) {                                                                      \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    using ::aisys::lab01::testing::GemmCase;                                                      \
    const GemmCase cases[] = {{0, 5, 3}, {5, 0, 3}, {6, 7, 0, 1.0f, 0.0f}, {6, 7, 0, 1.0f, -0.5f}}; \
    std::uint64_t salt = 500;                                                                     \
    for (const auto& c : cases) ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, c, salt++)); \
  }                                                                                               \
  TEST(Suite, Square256) {                                                                        \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, {256, 256, 256, 1.0f, 0.0f}, 600));  \
    ASSERT_TRUE(::aisys::lab01::testing::check_gemm(#fn, fn, {255, 257, 258, 0.75f, 0.5f}, 601)); \
  }                                                                                               \
  TEST(Suite, RejectsBadArguments) {                                                              \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                    \
    EXPECT_TRUE(::aisys::lab01::testing::rejects_bad_arguments(#fn, fn));                         \
  }

}  // namespace aisys::lab01::testing
