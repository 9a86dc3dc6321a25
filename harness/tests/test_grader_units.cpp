// Unit tests of the grader's pieces: lab.json validation, allow-list matching, the process runner
// (timeouts, crashes, memory limits), expectation checks and the output formats.
#include <csignal>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config.hpp"
#include "expect.hpp"
#include "grade.hpp"
#include "manifest.hpp"
#include "process.hpp"

namespace g = aisys::grader;

namespace {

nlohmann::json minimal_manifest() {
  return nlohmann::json::parse(R"({
    "schema": 1, "version": "t1", "id": "01", "slug": "matmul", "title": "t",
    "student_files": ["cpu/1_naive.cpp"],
    "parts": [
      {"name": "a", "kind": "correctness", "points": 5, "tests": "A.*"},
      {"name": "a-speed", "kind": "performance", "points": 5, "requires": ["a"],
       "benchmark": "cpu/a/1", "baseline": "openblas", "full_at": 0.6, "zero_at": 0.1}
    ]})");
}

std::string manifest_error(const nlohmann::json& j) {
  try {
    g::parse_manifest(j, "labs/01-matmul/lab.json");
  } catch (const g::ManifestError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Manifest, AcceptsAValidManifest) {
  const auto m = g::parse_manifest(minimal_manifest(), "lab.json");
  EXPECT_EQ(m.parts.size(), 2u);
  EXPECT_DOUBLE_EQ(m.total_points(), 10.0);
  EXPECT_DOUBLE_EQ(g::threshold_for(m.parts[1].full_at, "sm_90"), 0.6);
}

TEST(Manifest, ErrorsNameTheFileAndTheField) {
  auto j = minimal_manifest();
  j["parts"][1]["requires"] = {"nope"};
  EXPECT_NE(manifest_error(j).find("labs/01-matmul/lab.json: parts[1].requires: names no part: 'nope'"), std::string::npos)
      << manifest_error(j);
  j = minimal_manifest();
  j["parts"][0]["kind"] = "speed";
  EXPECT_NE(manifest_error(j).find("parts[0].kind"), std::string::npos);
  j = minimal_manifest();
  j["parts"][1].erase("zero_at");
  EXPECT_NE(manifest_error(j).find("parts[1].zero_at: missing"), std::string::npos);
  j = minimal_manifest();
  j["parts"][1]["full_at"] = {{"sm_90", 0.5}};
  EXPECT_NE(manifest_error(j).find("needs a \"default\""), std::string::npos);
  j = minimal_manifest();
  j["student_files"] = {"kernel.cu"};
  EXPECT_NE(manifest_error(j).find("CUDA sources live under cuda/"), std::string::npos);
  j = minimal_manifest();
  j["parts"][1]["requires"] = {"a-speed"};
  EXPECT_NE(manifest_error(j).find("not a correctness part"), std::string::npos);
  j = minimal_manifest();
  j["parts"].push_back(j["parts"][0]);
  EXPECT_NE(manifest_error(j).find("duplicate part name 'a'"), std::string::npos);
  j = minimal_manifest();
  j["parts"][1]["full_at"] = 0.05;
  EXPECT_NE(manifest_error(j).find("greater than zero_at"), std::string::npos);
  EXPECT_NE(manifest_error(nlohmann::json::array()).find("expected a JSON object"), std::string::npos);
}

// Misspelt fields and feature names are errors: ignored, a "require" would drop a performance
// part's correctness gate and a "cpu_feature" would grade an AVX-512 part on a CPU without it.
TEST(Manifest, UnknownFieldsAndCpuFeaturesAreErrors) {
  auto j = minimal_manifest();
  j["parts"][1]["require"] = {"a"};
  EXPECT_NE(manifest_error(j).find("labs/01-matmul/lab.json: parts[1].require: unknown field (did you mean \"requires\"?)"),
            std::string::npos)
      << manifest_error(j);
  j = minimal_manifest();
  j["timeout"] = 60;
  EXPECT_NE(manifest_error(j).find("timeout: unknown field (did you mean \"timeout_s\"?)"), std::string::npos)
      << manifest_error(j);
  j = minimal_manifest();
  j["parts"][0]["cpu_features"] = {"avx2", "avx521f"};
  EXPECT_NE(manifest_error(j).find("parts[0].cpu_features: unknown CPU feature 'avx521f'"), std::string::npos)
      << manifest_error(j);
  j = minimal_manifest();
  j["parts"][0]["cpu_features"] = {"avx2", "fma"};
  j["description"] = "a note for people";
  EXPECT_EQ(manifest_error(j), "");
}

TEST(Manifest, MalformedFileIsOneClearError) {
  const auto dir = std::filesystem::temp_directory_path() / "aisys-manifest-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "lab.json") << "{ \"schema\": 1, ";
  try {
    g::load_manifest(dir.string());
    FAIL() << "no error";
  } catch (const g::ManifestError& e) {
    EXPECT_NE(std::string(e.what()).find("lab.json: not valid JSON"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(AllowList, GlobMatching) {
  EXPECT_TRUE(g::glob_match("std::*", "std::vector<int>::size() const"));
  EXPECT_TRUE(g::glob_match("omp_*", "omp_get_max_threads"));
  EXPECT_TRUE(g::glob_match("*", ""));
  EXPECT_FALSE(g::glob_match("omp_*", "cblas_sgemm"));
  EXPECT_TRUE(g::glob_match("a*b*c", "axxbyyc"));
  EXPECT_FALSE(g::glob_match("a*b*c", "axxbyy"));
}

TEST(AllowList, FlagsVendorCallsAndAllowsTheRuntime) {
  const std::vector<std::string> allowed = {"std::*", "aisys::lab01::*", "omp_*", "GOMP_*", "mem*", "operator new*"};
  const std::vector<std::string> undefined = {
      "cblas_sgemm", "aisys::lab01::check_gemm_args(char const*, int, int, int, float const*, int, float const*, int, float const*, int)",
      "__cxa_throw", "typeinfo for aisys::NotImplemented", "GOMP_parallel", "memcpy", "operator new(unsigned long)",
      "void std::vector<float, std::allocator<float> >::_M_realloc_insert<float>(float&&)",
      "aisys::baselines::openblas_sgemm(int, int, int, float, float const*, int, float const*, int, float, float*, int)"};
  const auto bad = g::disallowed(undefined, allowed);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0], "cblas_sgemm");
  EXPECT_NE(bad[1].find("openblas_sgemm"), std::string::npos);
}

TEST(Process, ReportsExitCodesCrashesAndTimeouts) {
  g::RunOptions o;
  o.timeout_s = 5;
  auto ok = g::run_capture({"sh", "-c", "echo hello; exit 0"});
  EXPECT_TRUE(ok.ok());
  EXPECT_NE(ok.output.find("hello"), std::string::npos);
  auto code = g::run_capture({"sh", "-c", "exit 3"});
  EXPECT_EQ(code.exit_code, 3);
  EXPECT_EQ(code.describe(5), "exit code 3");
  auto crash = g::run_capture({"sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(crash.signal, SIGSEGV);
  EXPECT_NE(crash.describe(5).find("segmentation fault"), std::string::npos);
  auto hang = g::run_capture({"sh", "-c", "sleep 30"}, 0.5);
  EXPECT_TRUE(hang.timed_out);
  EXPECT_LT(hang.seconds, 5.0);
  EXPECT_NE(hang.describe(0.5).find("timed out"), std::string::npos);
  auto missing = g::run_capture({"/nonexistent/binary"});
  EXPECT_EQ(missing.exit_code, 127);
}

TEST(Process, TimeoutEndsTheWholeProcessGroup) {
  // A child that starts a grandchild and hangs: both must be gone after the timeout.
  const auto marker = std::filesystem::temp_directory_path() / "aisys-process-group-test";
  std::filesystem::remove(marker);
  auto r = g::run_capture({"sh", "-c", "(sleep 2; touch " + marker.string() + ") & sleep 30"}, 0.3);
  EXPECT_TRUE(r.timed_out);
  sleep(3);
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the grandchild outlived the timeout";
}

TEST(Process, MemoryLimitFailsTheChildOnly) {
  g::RunOptions o;
  o.memory_mb = 64;
  o.timeout_s = 10;
  o.output_file = (std::filesystem::temp_directory_path() / "aisys-memlimit.log").string();
  // python3 or a shell allocating a large string fails under a 64 MiB address-space limit.
  auto r = g::run_process({"sh", "-c", "head -c 200000000 /dev/zero | tr '\\0' 'x' | { v=$(cat); echo ${#v}; }"}, o);
  EXPECT_FALSE(r.ok()) << r.output;
}

namespace {
g::GradeResult sample_result() {
  g::GradeResult r;
  r.lab = "01";
  r.slug = "matmul";
  r.version = "t1";
  r.submission = "alice, \"the best\"";
  g::PartResult a;
  a.name = "a";
  a.kind = "correctness";
  a.max_points = 5;
  a.points = 5;
  a.status = "passed";
  g::PartResult b;
  b.name = "a-speed";
  b.kind = "performance";
  b.max_points = 5;
  b.points = 2.5;
  b.status = "measured";
  b.ratio = 0.35;
  b.spread = 0.02;
  g::PartResult c;
  c.name = "gpu";
  c.kind = "correctness";
  c.max_points = 10;
  c.status = "skipped";
  c.message = "no GPU here: <none>";
  r.parts = {a, b, c};
  return r;
}
}  // namespace

TEST(Formats, TotalsGradescopeJunitCsv) {
  const auto r = sample_result();
  EXPECT_DOUBLE_EQ(r.score(), 7.5);
  EXPECT_DOUBLE_EQ(r.max_score(), 20);
  EXPECT_DOUBLE_EQ(r.ungraded_points(), 10);
  const auto gs = nlohmann::json::parse(g::format_gradescope(r));
  EXPECT_DOUBLE_EQ(gs["score"].get<double>(), 7.5);
  ASSERT_EQ(gs["tests"].size(), 3u);
  EXPECT_EQ(gs["tests"][0]["status"], "passed");
  EXPECT_EQ(gs["tests"][1]["status"], "failed");
  EXPECT_FALSE(gs["tests"][2].contains("status"));
  const std::string junit = g::format_junit(r);
  EXPECT_NE(junit.find("tests=\"3\" failures=\"0\" skipped=\"1\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("&lt;none&gt;"), std::string::npos);
  auto m = g::parse_manifest(minimal_manifest(), "lab.json");
  const std::string row = g::csv_row(m, r);
  EXPECT_EQ(row.rfind("\"alice, \"\"the best\"\"\",01,t1,", 0), 0u) << row;
  EXPECT_NE(g::csv_header(m).find(",a,a-speed,"), std::string::npos);
}

TEST(Expectations, ExactPointsStatusesAndSymbols) {
  auto r = sample_result();
  auto m = g::parse_manifest(minimal_manifest(), "lab.json");
  m.parts.push_back(m.parts[0]);
  m.parts.back().name = "gpu";
  const auto ok = nlohmann::json::parse(R"({"no_gpu": {"a": 5, "a-speed": "measured", "gpu": "skipped"}})");
  EXPECT_TRUE(g::check_expectations(m, r, ok, false).empty());
  const auto wrong = nlohmann::json::parse(R"({"no_gpu": {"a": 0, "a-speed": "measured", "gpu": "skipped"}})");
  EXPECT_EQ(g::check_expectations(m, r, wrong, false).size(), 1u);
  const auto incomplete = nlohmann::json::parse(R"({"no_gpu": {"a": 5}})");
  EXPECT_EQ(g::check_expectations(m, r, incomplete, false).size(), 2u);
  const auto symbol = nlohmann::json::parse(R"({"no_gpu": {"a": 5, "a-speed": "measured", "gpu": "skipped"}, "disallowed_symbol": "cblas_sgemm"})");
  EXPECT_EQ(g::check_expectations(m, r, symbol, false).size(), 1u);
  r.disallowed_symbols.push_back("cpu/1_naive.cpp: cblas_sgemm");
  EXPECT_TRUE(g::check_expectations(m, r, symbol, false).empty());
}

TEST(Expectations, TotalsLeaveOutPartsThisCpuCannotGrade) {
  // An AVX-512 part skipped on a CPU without it: its expected points come off the expected total.
  auto r = sample_result();  // a: 5 points, a-speed 2.5 points, gpu skipped
  auto m = g::parse_manifest(minimal_manifest(), "lab.json");
  m.parts.push_back(m.parts[0]);
  m.parts.back().name = "gpu";
  m.parts.push_back(m.parts[0]);
  m.parts.back().name = "avx512";
  m.parts.back().cpu_features = {"avx512f"};
  g::PartResult skipped;
  skipped.name = "avx512";
  skipped.kind = "correctness";
  skipped.max_points = 15;
  skipped.status = "skipped";
  skipped.message = "this CPU lacks avx512f";
  r.parts.push_back(skipped);
  const auto full = nlohmann::json::parse(
      R"({"no_gpu": {"a": 5, "a-speed": "measured", "gpu": "skipped", "avx512": 15}, "total_no_gpu": 22.5})");
  EXPECT_TRUE(g::check_expectations(m, r, full, false).empty());
  const auto wrong = nlohmann::json::parse(
      R"({"no_gpu": {"a": 5, "a-speed": "measured", "gpu": "skipped", "avx512": 15}, "total_no_gpu": 25})");
  const auto problems = g::check_expectations(m, r, wrong, false);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("cannot grade"), std::string::npos) << problems[0];
}

// A build without a performance part's baseline library (a GPU build without OpenBLAS or oneDNN)
// skips the part naming the library; an expected "measured" accepts that, and nothing else.
TEST(Expectations, APerformancePartWhoseBaselineIsNotBuiltIsAcceptedAsSkipped) {
  auto r = sample_result();  // a: 5 points, a-speed measured, gpu skipped
  auto m = g::parse_manifest(minimal_manifest(), "lab.json");
  m.parts.push_back(m.parts[0]);
  m.parts.back().name = "gpu";
  for (auto& p : r.parts) {
    if (p.name != "a-speed") continue;
    p.status = "skipped";
    p.points = 0;
    p.message = "the OpenBLAS baseline is not built here";
    p.ratio.reset();
    p.spread.reset();
  }
  const auto want = nlohmann::json::parse(R"({"no_gpu": {"a": 5, "a-speed": "measured", "gpu": "skipped"}})");
  EXPECT_TRUE(g::check_expectations(m, r, want, false).empty());
  EXPECT_EQ(g::baseline_not_built_reason("openblas").empty(), g::config::kHaveOpenBlas);
  EXPECT_EQ(g::baseline_not_built_reason("no-such-library"), "");
  for (auto& p : r.parts) {
    if (p.name == "a-speed") p.message = "the benchmark crashed";
  }
  EXPECT_FALSE(g::check_expectations(m, r, want, false).empty()) << "any skip accepted as measured";
}

// A part that needs a library this build lacks ("needs": ["openblas"], lab 02's training) is
// skipped naming it; expectations accept that skip for such a part only.
TEST(Expectations, APartNeedingALibraryThisBuildLacksIsAcceptedAsSkipped) {
  auto j = minimal_manifest();
  j["parts"][0]["needs"] = {"openblas"};
  auto m = g::parse_manifest(j, "lab.json");
  EXPECT_EQ(m.parts[0].needs, std::vector<std::string>{"openblas"});
  EXPECT_EQ(g::missing_library_reason(m.parts[0]).empty(), g::config::kHaveOpenBlas);
  EXPECT_EQ(g::missing_library_reason(m.parts[1]), "");
  j["parts"][0]["needs"] = {"mkl"};
  EXPECT_NE(manifest_error(j).find("parts[0].needs: unknown need 'mkl'"), std::string::npos) << manifest_error(j);

  auto r = sample_result();  // a: 5 points, a-speed measured, gpu skipped
  m.parts.push_back(m.parts[1]);
  m.parts.back().name = "gpu";
  for (auto& p : r.parts) {
    if (p.name != "a") continue;
    p.status = "skipped";
    p.points = 0;
    p.message = "this build lacks OpenBLAS, which this part needs (...)";
  }
  const auto want = nlohmann::json::parse(R"({"no_gpu": {"a": 5, "a-speed": "measured", "gpu": "skipped"}})");
  EXPECT_TRUE(g::check_expectations(m, r, want, false).empty());
  m.parts[0].needs.clear();
  EXPECT_FALSE(g::check_expectations(m, r, want, false).empty()) << "a part that needs nothing must not be skipped so";
}

namespace {

// A stand-in compute-sanitizer (the real one needs a GPU): a shell script `dir`/compute-sanitizer
// with the given body.
std::filesystem::path fake_sanitizer(const std::filesystem::path& dir, const std::string& body) {
  std::filesystem::create_directories(dir);
  const auto fake = dir / "compute-sanitizer";
  std::ofstream(fake) << "#!/bin/sh\n" << body;
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  return fake;
}

}  // namespace

// The compute-sanitizer pass of GPU parts: racecheck reports a hazard, memcheck is clean.
TEST(Sanitizers, AReportZeroesThePartAndIsQuoted) {
  const auto dir = std::filesystem::temp_directory_path() / "aisys-sanitizer-test";
  const auto fake = fake_sanitizer(dir,
                         "tool=$2\n"
                         "shift 4\n"
                         "if [ \"$tool\" = racecheck ]; then\n"
                         "  echo '========= COMPUTE-SANITIZER'\n"
                         "  echo '========= Error: Race reported between Write access at 0x1a0 in smem_kernel'\n"
                         "  echo '========= RACECHECK SUMMARY: 1 hazard displayed'\n"
                         "  exit 86\n"
                         "fi\n"
                         "exec \"$@\"\n");
  ::setenv("AISYS_COMPUTE_SANITIZER", fake.c_str(), 1);
  g::Manifest m = g::parse_manifest(minimal_manifest(), "lab.json");
  g::Part part = m.parts[0];
  g::GradeOptions o;
  g::PartResult clean;
  clean.points = clean.max_points = 5;
  clean.status = "passed";
  clean.message = "3/3 tests passed";
  part.sanitizers = {"memcheck"};
  g::run_sanitizers(m, part, "/bin/true", dir.string(), o, 1, clean);
  EXPECT_EQ(clean.status, "passed");
  EXPECT_EQ(clean.points, 5);
  EXPECT_NE(clean.message.find("clean under compute-sanitizer memcheck"), std::string::npos) << clean.message;
  g::PartResult racy = clean;
  racy.message = "3/3 tests passed";
  part.sanitizers = {"memcheck", "racecheck"};
  g::run_sanitizers(m, part, "/bin/true", dir.string(), o, 1, racy);
  EXPECT_EQ(racy.status, "failed");
  EXPECT_EQ(racy.points, 0);
  EXPECT_NE(racy.message.find("racecheck reports errors: Error: Race reported"), std::string::npos) << racy.message;
  ::unsetenv("AISYS_COMPUTE_SANITIZER");
  std::filesystem::remove_all(dir);
}

// A machine whose compute-sanitizer is missing, or refuses the device (as under gVisor), does not
// cost the part its points: the message says the check was not made, and why.
TEST(Sanitizers, ASanitizerThatCannotRunHereLeavesThePointsAndSaysSo) {
  const auto dir = std::filesystem::temp_directory_path() / "aisys-sanitizer-unusable-test";
  const auto fake = fake_sanitizer(dir,
                                   "echo '========= COMPUTE-SANITIZER'\n"
                                   "echo '========= Error: Device not supported'\n"
                                   "exit 1\n");
  g::Manifest m = g::parse_manifest(minimal_manifest(), "lab.json");
  g::Part part = m.parts[0];
  part.sanitizers = {"memcheck", "racecheck"};
  g::GradeOptions o;
  g::PartResult passed;
  passed.points = passed.max_points = 5;
  passed.status = "passed";
  passed.message = "3/3 tests passed";
  ::setenv("AISYS_COMPUTE_SANITIZER", fake.c_str(), 1);
  g::PartResult refused = passed;
  g::run_sanitizers(m, part, "/bin/true", dir.string(), o, 1, refused);
  EXPECT_EQ(refused.status, "passed");
  EXPECT_EQ(refused.points, 5);
  EXPECT_NE(refused.message.find("not checked under compute-sanitizer, which cannot run on this machine (Error: Device "
                                 "not supported)"),
            std::string::npos)
      << refused.message;
  ::setenv("AISYS_COMPUTE_SANITIZER", (dir / "no-such-sanitizer").c_str(), 1);
  g::PartResult missing = passed;
  g::run_sanitizers(m, part, "/bin/true", dir.string(), o, 1, missing);
  EXPECT_EQ(missing.status, "passed");
  EXPECT_EQ(missing.points, 5);
  EXPECT_NE(missing.message.find("not checked under compute-sanitizer (" + (dir / "no-such-sanitizer").string() +
                                 " not found"),
            std::string::npos)
      << missing.message;
  ::unsetenv("AISYS_COMPUTE_SANITIZER");
  EXPECT_EQ(g::sanitizer_unusable_reason("========= ERROR SUMMARY: 2 errors\n"), "");
  EXPECT_EQ(g::sanitizer_unusable_reason("x\n========= Error: Unable to find injection library\n"),
            "Error: Unable to find injection library");
  std::filesystem::remove_all(dir);
}

TEST(Manifest, SanitizersAndCudaBuildFields) {
  auto j = minimal_manifest();
  j["parts"][0]["device"] = "gpu";
  j["parts"][0]["sanitize"] = {"racecheck", "memcheck"};
  auto m = g::parse_manifest(j, "lab.json");
  EXPECT_TRUE(m.parts[0].needs_cuda_build);
  EXPECT_EQ(m.parts[0].sanitizers.size(), 2u);
  j["parts"][0]["sanitize"] = {"racechecker"};
  EXPECT_NE(manifest_error(j).find("unknown compute-sanitizer tool 'racechecker'"), std::string::npos);
  j["parts"][0]["device"] = "cpu";
  j["parts"][0]["sanitize"] = {"memcheck"};
  EXPECT_NE(manifest_error(j).find("only GPU parts run under compute-sanitizer"), std::string::npos);
  j["parts"][0].erase("sanitize");
  j["parts"][0]["build"] = "cuda";
  EXPECT_TRUE(g::parse_manifest(j, "lab.json").parts[0].needs_cuda_build);
  j["parts"][0]["build"] = "hip";
  EXPECT_NE(manifest_error(j).find("parts[0].build"), std::string::npos);
}
