// Implementation of aisys/harness/testing.hpp.
#include "aisys/harness/testing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <random>
#include <sstream>
#include <vector>

namespace aisys::testing {

namespace {
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

std::uint64_t test_seed() {
  static std::once_flag once;
  static std::uint64_t seed = 0;
  std::call_once(once, [] {
    const char* env = std::getenv("AISYS_SEED");
    if (env != nullptr && *env != '\0') {
      char* end = nullptr;
      seed = std::strtoull(env, &end, 10);
      if (end == env || *end != '\0') {
        std::fprintf(stderr, "aisys: AISYS_SEED=%s is not a non-negative integer\n", env);
        std::exit(2);
      }
    } else {
      std::random_device rd;
      seed = (static_cast<std::uint64_t>(rd()) << 20) ^ rd();
      seed %= 1000000000ull;  // short enough to type
    }
    std::printf("[ aisys ] seed = %llu\n", static_cast<unsigned long long>(seed));
  });
  return seed;
}

std::uint64_t case_seed(std::uint64_t salt) { return splitmix64(test_seed() ^ splitmix64(salt)); }

std::string rerun_command() {
  std::ostringstream out;
  const char* lab = std::getenv("AISYS_LAB");
  const char* part = std::getenv("AISYS_PART");
  const char* impl = std::getenv("AISYS_IMPL");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (lab != nullptr && part != nullptr) {
    out << "aisys test " << lab << " --part " << part;
    if (info != nullptr) out << " --case " << info->test_suite_name() << "." << info->name();
    // Under `aisys grade` the files are a copy of the submission (impl "submission"): the student
    // reruns on their own skeleton/, which `aisys test` builds by default.
    if (impl != nullptr && std::string(impl) == "reference") out << " --impl reference";
    out << " --seed " << test_seed();
  } else {
    out << "AISYS_SEED=" << test_seed() << " <this test binary>";
    if (info != nullptr) out << " --gtest_filter=" << info->test_suite_name() << "." << info->name();
  }
  return out.str();
}

void fill_uniform(std::span<float> out, std::uint64_t seed, float lo, float hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (auto& v : out) v = dist(rng);
}

void fill_uniform(std::span<double> out, std::uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (auto& v : out) v = dist(rng);
}

double fp32_tolerance(int K) {
  const double u = std::ldexp(1.0, -24);
  return 8.0 * std::sqrt(static_cast<double>(std::max(K, 16))) * u;
}

::testing::AssertionResult close_frobenius(const std::string& what, MatrixShape shape,
                                           const float* got, const double* expected,
                                           double tolerance) {
  double diff2 = 0.0, ref2 = 0.0, max_ref = 0.0;
  long first_bad = -1;
  long first_nonfinite = -1;
  for (int i = 0; i < shape.rows; ++i) {
    for (int j = 0; j < shape.cols; ++j) {
      const long idx = static_cast<long>(i) * shape.ld + j;
      const double e = expected[idx];
      max_ref = std::max(max_ref, std::abs(e));
      ref2 += e * e;
      if (!std::isfinite(got[idx]) && first_nonfinite < 0) first_nonfinite = idx;
      const double d = static_cast<double>(got[idx]) - e;
      diff2 += d * d;
    }
  }
  const double scale = std::max(max_ref, 1.0);
  for (int i = 0; i < shape.rows && first_bad < 0; ++i) {
    for (int j = 0; j < shape.cols; ++j) {
      const long idx = static_cast<long>(i) * shape.ld + j;
      const double d = std::abs(static_cast<double>(got[idx]) - expected[idx]);
      if (!(d <= tolerance * scale * 4.0)) {
        first_bad = idx;
        break;
      }
    }
  }
  const double elements = static_cast<double>(shape.rows) * shape.cols;
  const double rel =
      std::sqrt(diff2) / std::max({std::sqrt(ref2), std::sqrt(elements), std::numeric_limits<double>::min()});
  // One element far off (a single wrong store in a large output) hardly moves the Frobenius norm:
  // the element check fails it too.
  const bool ok = first_nonfinite < 0 && first_bad < 0 && rel <= tolerance;
  if (ok) return ::testing::AssertionSuccess();
  std::ostringstream msg;
  msg << what << " (" << shape.rows << " x " << shape.cols << ", ld " << shape.ld << "), seed "
      << test_seed() << ": relative Frobenius error " << rel << " vs tolerance " << tolerance;
  const long show = first_nonfinite >= 0 ? first_nonfinite : first_bad;
  if (show >= 0) {
    msg << "; first bad element (" << show / shape.ld << ", " << show % shape.ld
        << "): expected " << expected[show] << ", got " << got[show] << " (an element may be off by at most "
        << tolerance * scale * 4.0 << ")";
    if (first_nonfinite >= 0) msg << " (not finite: an element was never written?)";
  }
  msg << "\n  rerun: " << rerun_command();
  return ::testing::AssertionFailure() << msg.str();
}

// Blocked so that B is read once per kRows rows of A rather than once per row (a plain loop
// streamed all of B from DRAM for every row: 8 GB for one M = 128, K = N = 4096 check), each
// panel of B converted to double once. Every element still sums its K products in order
// k = 0, 1, ..., so the result equals the plain triple loop's bit for bit (a test checks). An AVX2
// clone is chosen at run time where the CPU has it.
__attribute__((target_clones("avx2", "default")))
void reference_gemm(int M, int N, int K, double alpha, const float* A, int lda, const float* B,
                    int ldb, double beta, const float* C0, int ldc0, double* C, int ldc) {
  constexpr int kRows = 8, kCols = 512;
  std::vector<double> acc(static_cast<std::size_t>(kRows) * kCols), b_row(kCols);
  for (int i0 = 0; i0 < M; i0 += kRows) {
    const int rows = std::min(kRows, M - i0);
    for (int j0 = 0; j0 < N; j0 += kCols) {
      const int cols = std::min(kCols, N - j0);
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int k = 0; k < K; ++k) {
        const float* b = B + static_cast<long>(k) * ldb + j0;
        for (int j = 0; j < cols; ++j) b_row[j] = b[j];
        for (int r = 0; r < rows; ++r) {
          const double a = A[static_cast<long>(i0 + r) * lda + k];
          double* out = acc.data() + static_cast<std::size_t>(r) * kCols;
          for (int j = 0; j < cols; ++j) out[j] += a * b_row[j];
        }
      }
      for (int r = 0; r < rows; ++r) {
        const long i = i0 + r;
        for (int j = 0; j < cols; ++j) {
          const double c0 = beta == 0.0 ? 0.0 : beta * C0[i * ldc0 + j0 + j];
          C[i * ldc + j0 + j] = alpha * acc[static_cast<std::size_t>(r) * kCols + j] + c0;
        }
      }
    }
  }
}

}  // namespace aisys::testing
