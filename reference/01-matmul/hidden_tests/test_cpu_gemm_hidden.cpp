// Lab 01 hidden tests (never shipped to students; the grader compiles them into the test binary
// when grading from the instructors' tree or the autograder): random shapes drawn from the
// process seed, LLM decode/prefill shapes (M = 1..128, K = N = 4096), larger squares, random alpha
// and beta and leading dimensions. Suites are named <StageSuite>Hidden so lab.json's filters
// ("CpuGemmBlocked*") pick them up with the public tests of the same part.
#include <random>

#include "gemm_test_support.hpp"

namespace {

using aisys::lab01::testing::GemmCase;
using aisys::lab01::testing::check_gemm;

std::vector<GemmCase> random_cases(std::uint64_t salt, int count, int max_dim) {
  std::mt19937_64 rng(aisys::testing::case_seed(salt));
  std::uniform_int_distribution<int> dim(1, max_dim);
  std::uniform_int_distribution<int> pad(0, 9);
  const float alphas[] = {1.0f, -1.0f, 0.5f, 2.5f};
  const float betas[] = {0.0f, 1.0f, -0.75f, 0.25f};
  std::vector<GemmCase> out;
  for (int i = 0; i < count; ++i) {
    out.push_back({dim(rng), dim(rng), dim(rng), alphas[rng() % 4], betas[rng() % 4], pad(rng),
                   pad(rng), pad(rng)});
  }
  return out;
}

}  // namespace

#define AISYS_LAB01_HIDDEN_TESTS(Suite, fn, llm_rows, big_square, ...)                        \
  TEST(Suite, RandomShapes) {                                                                   \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                  \
    std::uint64_t salt = 1000;                                                                  \
    for (const auto& c : random_cases(salt, 24, 200)) ASSERT_TRUE(check_gemm(#fn, fn, c, ++salt)); \
  }                                                                                             \
  TEST(Suite, LlmShapes) {                                                                      \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                  \
    std::uint64_t salt = 2000;                                                                  \
    for (int m : llm_rows) ASSERT_TRUE(check_gemm(#fn, fn, {m, 4096, 4096, 1.0f, 0.0f}, ++salt)); \
  }                                                                                             \
  TEST(Suite, LargerSquareAndTall) {                                                            \
    AISYS_LAB01_REQUIRE_FEATURES(__VA_ARGS__);                                                  \
    ASSERT_TRUE(check_gemm(#fn, fn, {big_square, big_square, big_square, 1.0f, 0.5f}, 3000));   \
    ASSERT_TRUE(check_gemm(#fn, fn, {big_square + 37, 19, 301, 1.0f, 0.0f}, 3001));             \
    ASSERT_TRUE(check_gemm(#fn, fn, {3, big_square + 5, 700, -1.0f, 1.0f, 1, 2, 3}, 3002));     \
  }

namespace {
const int kSlowRows[] = {1, 7};
const int kFastRows[] = {1, 16, 128};
}  // namespace

using namespace aisys::lab01;

AISYS_LAB01_HIDDEN_TESTS(CpuGemmNaiveHidden, sgemm_naive, kSlowRows, 200)
AISYS_LAB01_HIDDEN_TESTS(CpuGemmLoopReorderHidden, sgemm_loop_reorder, kSlowRows, 300)
AISYS_LAB01_HIDDEN_TESTS(CpuGemmBlockedHidden, sgemm_blocked, kFastRows, 512)
AISYS_LAB01_HIDDEN_TESTS(CpuGemmMicrokernelAvx2Hidden, sgemm_microkernel_avx2, kFastRows, 512, "avx2", "fma")
AISYS_LAB01_HIDDEN_TESTS(CpuGemmMicrokernelAvx512Hidden, sgemm_microkernel_avx512, kFastRows, 512,
                         "avx512f", "avx512bw", "avx512vl", "avx512dq")
AISYS_LAB01_HIDDEN_TESTS(CpuGemmMultithreadedHidden, sgemm_multithreaded, kFastRows, 512)
