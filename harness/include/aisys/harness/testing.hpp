// aisys/harness/testing.hpp: what every lab's GoogleTest tests share.
//
// - test_seed(): the seed of this test process: $AISYS_SEED when set (the grader and
//   `aisys test NN --seed S` set it), otherwise drawn at random; printed once, and again beside every
//   failure with the command that reruns exactly that case.
// - fill_uniform(): random inputs in [lo, hi) from a seed (never all zeros).
// - expect_close_frobenius(): compares a result with a higher-precision reference by relative
//   Frobenius error, and on failure prints shape, seed, first bad element, expected, got and the
//   error against the tolerance.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <gtest/gtest.h>

namespace aisys::testing {

// The seed of this process (see above). Stable for the process' lifetime.
std::uint64_t test_seed();
// A seed for one test case: test_seed() mixed with a salt (e.g. the case's index), so cases draw
// different data while one process seed reproduces all of them.
std::uint64_t case_seed(std::uint64_t salt);
// "aisys test 01 --part cpu-naive --seed 123" when run by the CLI or grader (which set AISYS_LAB
// and AISYS_PART), otherwise "AISYS_SEED=123 <binary> --gtest_filter=<current test>".
std::string rerun_command();

void fill_uniform(std::span<float> out, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f);
void fill_uniform(std::span<double> out, std::uint64_t seed, double lo = -1.0, double hi = 1.0);

// A 2-D view of a row-major matrix with a leading dimension.
struct MatrixShape {
  int rows = 0;
  int cols = 0;
  int ld = 0;
};

// Relative Frobenius error ||got - expected||_F / max(||expected||_F, sqrt(rows x cols)) over the
// rows x cols window at most `tolerance`, and no element's absolute error above 4 * tolerance *
// max(|expected|_max, 1) (the first such element is named). Both judge an element on a scale of at
// least 1: rounding error follows the size of the terms summed, not of their sum, and a small
// output whose terms cancel (alpha a b + beta c near 0) would otherwise fail a correct kernel. A
// non-finite value in `got` always fails. `what` names the case ("sgemm_naive
// M=7 N=13 K=5 alpha=1 beta=0").
::testing::AssertionResult close_frobenius(const std::string& what, MatrixShape shape,
                                           const float* got, const double* expected,
                                           double tolerance);

// The tolerance for an FP32 dot-product-based result of inner dimension K: a small multiple of
// sqrt(K) times the unit roundoff (2^-24), floored so tiny K still allows a few ulps.
double fp32_tolerance(int K);

// C = alpha * A * B + beta * C in double precision (the oracle), row-major with leading dimensions.
// A and B are float (the exact inputs the candidate saw); C0 is the float C before the call.
void reference_gemm(int M, int N, int K, double alpha, const float* A, int lda, const float* B,
                    int ldb, double beta, const float* C0, int ldc0, double* C, int ldc);

}  // namespace aisys::testing
