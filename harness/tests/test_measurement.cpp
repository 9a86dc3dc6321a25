// Unit tests of the measurement library: the oracle GEMM against a long-double computation and the
// plain loop, the Freivalds check used on timed outputs (it must catch one wrong element), the
// OpenBLAS baseline against the oracle, the tolerance, the results context, the rerun line failures print, and the ceilings' roofline arithmetic.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>

#include "aisys/harness/baselines.hpp"
#include "aisys/harness/ceilings.hpp"
#include "aisys/harness/context.hpp"
#include "aisys/harness/gemm_bench.hpp"
#include "aisys/harness/testing.hpp"
#include "aisys/kernels/device.hpp"

namespace t = aisys::testing;

TEST(Oracle, ReferenceGemmMatchesLongDouble) {
  const int M = 13, N = 17, K = 29;
  std::vector<float> A(M * K), B(K * N), C0(M * N);
  t::fill_uniform(A, t::case_seed(1));
  t::fill_uniform(B, t::case_seed(2));
  t::fill_uniform(C0, t::case_seed(3));
  std::vector<double> C(M * N);
  t::reference_gemm(M, N, K, 0.5, A.data(), K, B.data(), N, -1.25, C0.data(), N, C.data(), N);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      long double s = 0;
      for (int k = 0; k < K; ++k) s += static_cast<long double>(A[i * K + k]) * B[k * N + j];
      const long double want = 0.5L * s - 1.25L * C0[i * N + j];
      EXPECT_NEAR(static_cast<double>(want), C[i * N + j], 1e-12) << i << "," << j;
    }
  }
}

// The blocked oracle sums each element's products in k order, like the plain triple loop: equal
// bit for bit, on a shape that cuts its row and column blocks unevenly, with leading dimensions.
TEST(Oracle, BlockedReferenceGemmEqualsThePlainLoopExactly) {
  const int M = 19, N = 1100, K = 37, lda = K + 3, ldb = N + 5, ldc = N + 2;
  std::vector<float> A(M * lda), B(K * ldb), C0(M * ldc);
  t::fill_uniform(A, t::case_seed(11));
  t::fill_uniform(B, t::case_seed(12));
  t::fill_uniform(C0, t::case_seed(13));
  std::vector<double> C(M * ldc, -7.0);
  t::reference_gemm(M, N, K, -0.75, A.data(), lda, B.data(), ldb, 2.0, C0.data(), ldc, C.data(), ldc);
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k) s += static_cast<double>(A[i * lda + k]) * B[k * ldb + j];
      const double want = -0.75 * s + 2.0 * C0[i * ldc + j];
      ASSERT_EQ(want, C[i * ldc + j]) << "element (" << i << ", " << j << ")";
    }
  }
  EXPECT_EQ(C[ldc - 1], -7.0) << "the padding beyond N was written";
}

TEST(Oracle, CloseFrobeniusPassesRoundingAndCatchesErrors) {
  const int M = 8, N = 8;
  std::vector<double> want(M * N);
  t::fill_uniform(want, t::case_seed(4));
  std::vector<float> got(want.begin(), want.end());
  EXPECT_TRUE(t::close_frobenius("rounded", {M, N, N}, got.data(), want.data(), t::fp32_tolerance(64)));
  got[9] += 0.5f;
  const auto r = t::close_frobenius("perturbed", {M, N, N}, got.data(), want.data(), t::fp32_tolerance(64));
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("first bad element (1, 1)"), std::string::npos) << r.message();
  got[9] = std::nanf("");
  EXPECT_FALSE(t::close_frobenius("nan", {M, N, N}, got.data(), want.data(), 1.0));
}

// A one-element output whose terms cancel (1.5 a b + 0.5 c near 0): float rounding of terms of
// size about 1 leaves an error of about 1e-7 on a result of 1e-4, a relative error of 1e-3 that
// failed a correct OpenBLAS now and then (seed 977656143). Judged on a scale of at least 1 it
// passes; a wrong value still fails.
TEST(Oracle, CloseFrobeniusJudgesACancellingSmallOutputOnItsTermsScale) {
  const double want[] = {1e-4};
  const float rounded[] = {static_cast<float>(1e-4 + 1.2e-7)};
  EXPECT_TRUE(t::close_frobenius("cancelling", {1, 1, 1}, rounded, want, t::fp32_tolerance(1)));
  const float wrong[] = {static_cast<float>(1e-4 + 1e-3)};
  EXPECT_FALSE(t::close_frobenius("wrong", {1, 1, 1}, wrong, want, t::fp32_tolerance(1)));
}

// One element off in a large output: the Frobenius error stays under the tolerance (0.001 against a
// norm near 300), the element check does not.
TEST(Oracle, CloseFrobeniusCatchesOneWrongElementOfALargeOutput) {
  const int M = 512, N = 512;
  std::vector<double> want(static_cast<std::size_t>(M) * N);
  t::fill_uniform(want, t::case_seed(5));
  std::vector<float> got(want.begin(), want.end());
  const double tolerance = t::fp32_tolerance(1024);
  EXPECT_TRUE(t::close_frobenius("rounded", {M, N, N}, got.data(), want.data(), tolerance));
  got[300 * N + 7] += 0.001f;
  const auto r = t::close_frobenius("one off", {M, N, N}, got.data(), want.data(), tolerance);
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("first bad element (300, 7)"), std::string::npos) << r.message();
}

TEST(Freivalds, AcceptsACorrectProductAndCatchesOneWrongElement) {
  for (int n : {1, 7, 64, 300}) {
    const int M = n, N = n + 3, K = 2 * n + 1;
    std::vector<float> A(M * K), B(K * N), C(M * N);
    t::fill_uniform(A, t::case_seed(10 + n));
    t::fill_uniform(B, t::case_seed(20 + n));
    for (int i = 0; i < M; ++i) {
      for (int j = 0; j < N; ++j) {
        float s = 0;  // plain float accumulation: what a correct fp32 kernel does
        for (int k = 0; k < K; ++k) s += A[i * K + k] * B[k * N + j];
        C[i * N + j] = s;
      }
    }
    EXPECT_EQ(aisys::bench::freivalds_check(M, N, K, A.data(), B.data(), C.data(), 7), "") << "n=" << n;
    std::mt19937 rng(static_cast<unsigned>(t::case_seed(n)));
    const int bad = static_cast<int>(rng() % (M * N));
    const float saved = C[bad];
    C[bad] = -C[bad] + 0.25f;
    EXPECT_NE(aisys::bench::freivalds_check(M, N, K, A.data(), B.data(), C.data(), 7), "") << "n=" << n;
    C[bad] = std::nanf("");
    EXPECT_NE(aisys::bench::freivalds_check(M, N, K, A.data(), B.data(), C.data(), 7), "");
    C[bad] = saved;
  }
}

// The rotation rule of the GEMM fixtures (CPU last-level cache, GPU L2): the sets cover twice
// the cache, one set when it alone does, never more than 16.
TEST(InputRotation, SetsCoverTwiceTheCache) {
  using aisys::bench::input_sets_for;
  const std::size_t mib = std::size_t{1} << 20;
  EXPECT_EQ(input_sets_for(200 * mib, 50 * mib), 1);   // 4096^3 fp32 on an H100: one set
  EXPECT_EQ(input_sets_for(100 * mib, 50 * mib), 1);   // exactly twice
  EXPECT_EQ(input_sets_for(99 * mib, 50 * mib), 2);
  EXPECT_EQ(input_sets_for(32 * mib, 50 * mib), 4);    // M = 1, K = N = 4096 in fp16
  EXPECT_EQ(input_sets_for(12 * mib, 32 * mib), 6);    // 1024^3 fp32 on a 32 MiB L3
  EXPECT_EQ(input_sets_for(64 * 1024, 32 * mib), 16);  // small shapes: capped
  EXPECT_EQ(input_sets_for(0, 32 * mib), 16);
  for (std::size_t set : {mib, 3 * mib, 7 * mib, 33 * mib}) {
    const int sets = input_sets_for(set, 32 * mib);
    EXPECT_TRUE(sets == 16 || static_cast<std::size_t>(sets) * set >= 64 * mib) << set;
    EXPECT_TRUE(sets == 1 || static_cast<std::size_t>(sets - 1) * set < 64 * mib) << "no more sets than needed: " << set;
  }
}

TEST(Baselines, OpenBlasSgemmAgreesWithTheOracle) {
  if (!aisys::baselines::have_openblas()) GTEST_SKIP() << "built without OpenBLAS";
  const auto info = aisys::baselines::openblas_info();
  EXPECT_FALSE(info["corename"].get<std::string>().empty());
  for (auto [M, N, K] : {std::tuple{1, 1, 1}, {37, 41, 43}, {100, 99, 101}}) {
    const int lda = K + 2, ldb = N + 1, ldc = N + 3;
    std::vector<float> A(M * lda), B(K * ldb), C(M * ldc);
    t::fill_uniform(A, t::case_seed(M));
    t::fill_uniform(B, t::case_seed(N));
    t::fill_uniform(C, t::case_seed(K));
    const std::vector<float> C0 = C;
    std::vector<double> want(M * ldc);
    t::reference_gemm(M, N, K, 1.5, A.data(), lda, B.data(), ldb, 0.5, C0.data(), ldc, want.data(), ldc);
    aisys::baselines::openblas_sgemm(M, N, K, 1.5f, A.data(), lda, B.data(), ldb, 0.5f, C.data(), ldc);
    EXPECT_TRUE(t::close_frobenius("openblas", {M, N, ldc}, C.data(), want.data(), t::fp32_tolerance(K)));
  }
}

// OpenBLAS picks its kernels from the CPU's model number: a kernel below what the CPU has is
// flagged, whether the library did not know the CPU or OPENBLAS_CORETYPE chose it.
TEST(Baselines, OpenBlasKernelsOlderThanTheCpuAreFlagged) {
  aisys::CpuFeatures avx512;
  avx512.avx2 = avx512.fma = avx512.avx512f = avx512.avx512bw = avx512.avx512vl = avx512.avx512dq = true;
  avx512.model_name = "Test Xeon";
  aisys::CpuFeatures avx2_only;
  avx2_only.avx2 = avx2_only.fma = true;
  const aisys::CpuFeatures old_cpu;

  const auto fallback = aisys::baselines::check_openblas_kernel("Prescott", avx512, nullptr);
  EXPECT_TRUE(fallback.handicapped);
  EXPECT_EQ(fallback.kernel_isa, "sse");
  EXPECT_EQ(fallback.cpu_isa, "avx512");
  EXPECT_NE(fallback.message.find("does not know this CPU (Test Xeon)"), std::string::npos) << fallback.message;
  EXPECT_NE(fallback.message.find("OPENBLAS_CORETYPE=SkylakeX"), std::string::npos) << fallback.message;

  const auto forced = aisys::baselines::check_openblas_kernel("Haswell", avx512, "Haswell");
  EXPECT_TRUE(forced.handicapped);
  EXPECT_NE(forced.message.find("OPENBLAS_CORETYPE=Haswell chose them"), std::string::npos) << forced.message;

  const auto avx2_fallback = aisys::baselines::check_openblas_kernel("NEHALEM", avx2_only, nullptr);
  EXPECT_TRUE(avx2_fallback.handicapped);
  EXPECT_NE(avx2_fallback.message.find("OPENBLAS_CORETYPE=Haswell set"), std::string::npos) << avx2_fallback.message;

  for (const char* best : {"SkylakeX", "Cooperlake", "SapphireRapids"}) {
    EXPECT_FALSE(aisys::baselines::check_openblas_kernel(best, avx512, nullptr).handicapped) << best;
  }
  EXPECT_FALSE(aisys::baselines::check_openblas_kernel("Zen", avx2_only, nullptr).handicapped);
  EXPECT_FALSE(aisys::baselines::check_openblas_kernel("Prescott", old_cpu, nullptr).handicapped);
  const auto unknown = aisys::baselines::check_openblas_kernel("NEOVERSEN1", avx512, nullptr);
  EXPECT_EQ(unknown.kernel_isa, "unknown");
  EXPECT_FALSE(unknown.handicapped);
  EXPECT_TRUE(unknown.message.empty());
}

TEST(Baselines, OpenBlasInfoSaysWhetherItsKernelsFitThisCpu) {
  if (!aisys::baselines::have_openblas()) GTEST_SKIP() << "built without OpenBLAS";
  const auto info = aisys::baselines::openblas_info();
  const auto check = aisys::baselines::check_openblas_kernel(info["corename"].get<std::string>(),
                                                             aisys::cpu_features(), std::getenv("OPENBLAS_CORETYPE"));
  EXPECT_EQ(info["kernel_isa"], check.kernel_isa);
  EXPECT_EQ(info["cpu_isa"], check.cpu_isa);
  EXPECT_EQ(info["handicapped"], check.handicapped);
  EXPECT_EQ(info.contains("handicap"), check.handicapped);
}

TEST(Ceilings, RooflineTakesTheSlowerOfComputeAndMemory) {
  aisys::ceilings::Ceilings c;
  c.fp32_peak_gflops_1thread = 100;
  c.stream_gbs_1thread = 10;
  c.fp32_peak_gflops_all = 200;
  c.stream_gbs_all = 20;
  auto r = aisys::ceilings::roofline(c, 1e9, 1e6, 1);
  EXPECT_STREQ(r.bound, "compute");
  EXPECT_NEAR(r.time_s, 0.01, 1e-12);
  r = aisys::ceilings::roofline(c, 1e6, 1e9, 2);
  EXPECT_STREQ(r.bound, "memory");
  EXPECT_NEAR(r.time_s, 0.05, 1e-12);
}

TEST(Ceilings, FmaPeakIsPositive) {
  const auto& c = aisys::ceilings::measure(true);
  EXPECT_GT(c.stream_gbs_1thread, 0.1);
  if (std::string(c.isa) != "scalar") {
    EXPECT_GT(c.fp32_peak_gflops_1thread, 1.0);
  }
}

// The "gpu" block: null exactly when no device is usable, otherwise the first device named.
TEST(Context, GpuBlockIsNullWithoutADevice) {
  const auto gpu = aisys::context::gpu();
  EXPECT_EQ(gpu.is_null(), !aisys::gpu_available());
  if (!gpu.is_null()) {
    EXPECT_EQ(gpu.at("name").get<std::string>(), aisys::enumerate_devices().devices.front().name);
    EXPECT_GE(gpu.at("count").get<int>(), 1);
    EXPECT_FALSE(gpu.at("cc").get<std::string>().empty());
  }
}

// A tree copied without its .git (as a lent GPU machine receives it) names its commit through the
// COMMIT file the copier wrote; with neither, "unknown".
TEST(Context, CommitFromACommitFileOutsideAGitTree) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("aisys-commit-file-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  EXPECT_EQ(aisys::context::git_commit(dir.string()), "unknown");
  std::ofstream(dir / "COMMIT") << "  0123456789ab (with uncommitted changes)\nsecond line\n";
  EXPECT_EQ(aisys::context::git_commit(dir.string()), "0123456789ab (with uncommitted changes) (COMMIT file)");
  fs::remove_all(dir);
}

// The rerun line a failure prints must be a command `aisys test` accepts: under `aisys grade` the
// files are a copy of the submission (AISYS_IMPL=submission), which the student reruns as their
// skeleton, so no --impl is printed; the reference's tests name --impl reference.
TEST(RerunCommand, IsACommandTheCliAccepts) {
  ::setenv("AISYS_LAB", "01", 1);
  ::setenv("AISYS_PART", "cpu-naive", 1);
  const std::string seed = " --seed " + std::to_string(t::test_seed());
  const std::string part = "aisys test 01 --part cpu-naive --case RerunCommand.IsACommandTheCliAccepts";
  ::setenv("AISYS_IMPL", "submission", 1);
  EXPECT_EQ(t::rerun_command(), part + seed);
  ::setenv("AISYS_IMPL", "skeleton", 1);
  EXPECT_EQ(t::rerun_command(), part + seed);
  ::setenv("AISYS_IMPL", "reference", 1);
  EXPECT_EQ(t::rerun_command(), part + " --impl reference" + seed);
  ::unsetenv("AISYS_IMPL");
  ::unsetenv("AISYS_PART");
  ::unsetenv("AISYS_LAB");
  EXPECT_NE(t::rerun_command().find("AISYS_SEED="), std::string::npos);
}

TEST(Context, DescribesTheMachine) {
  const auto j = aisys::context::machine(".");
  EXPECT_FALSE(j["cpu"]["model"].get<std::string>().empty());
  EXPECT_GE(j["cpu"]["logical_cores"].get<int>(), 1);
  EXPECT_FALSE(j["commit"].get<std::string>().empty());
  EXPECT_EQ(aisys::context::hash_tree("/nonexistent-folder"), aisys::context::hash_tree("/nonexistent-folder-2"));
}
