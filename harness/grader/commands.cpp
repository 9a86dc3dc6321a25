// The `aisys` subcommands (commands.hpp).
#include "commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <regex>
#include <sstream>

#include "aisys/harness/bench.hpp"
#include "aisys/harness/baselines.hpp"
#include "aisys/harness/conv_baselines.hpp"
#include "aisys/harness/context.hpp"
#include "aisys/kernels/cpu_features.hpp"
#include "aisys/kernels/datasets.hpp"
#include "aisys/kernels/device.hpp"
#if AISYS_HAVE_CUDA
#include "aisys/kernels/cuda/cublas_library.hpp"
#endif
#include "config.hpp"
#include "contract.hpp"
#include "expect.hpp"
#include "grade.hpp"
#include "manifest.hpp"
#include "process.hpp"

namespace aisys::cli {

namespace fs = std::filesystem;
using aisys::grader::GradingError;
using aisys::grader::Manifest;
using aisys::grader::RunOptions;
using aisys::grader::RunResult;
namespace config = aisys::grader::config;

namespace {

fs::path source_dir() { return config::kSourceDir; }
fs::path binary_dir() { return config::kBinaryDir; }

std::vector<fs::path> lab_dirs() {
  std::vector<fs::path> out;
  const std::regex name(R"(^\d\d-[a-z0-9-]+$)");
  if (!fs::is_directory(source_dir() / "labs")) return out;
  for (const auto& e : fs::directory_iterator(source_dir() / "labs")) {
    if (e.is_directory() && std::regex_match(e.path().filename().string(), name) &&
        fs::is_regular_file(e.path() / "lab.json")) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "01", "1", "01-matmul" or "matmul" -> labs/01-matmul; throws naming the labs there are.
fs::path find_lab(const std::string& id) {
  std::string known;
  for (const auto& d : lab_dirs()) {
    const std::string n = d.filename().string();
    const std::string num = n.substr(0, 2), slug = n.substr(3);
    if (id == n || id == num || id == slug || (id.size() == 1 && "0" + id == num)) return d;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw GradingError("unknown lab '" + id + "' (labs here: " + (known.empty() ? "none" : known) + ")");
}

fs::path reference_dir(const fs::path& lab) { return source_dir() / "reference" / lab.filename(); }

std::string default_impl(const fs::path& lab, const std::string& asked) {
  if (!asked.empty()) {
    if (asked == "reference" && !fs::is_directory(reference_dir(lab))) {
      throw GradingError("this tree has no reference for lab " + lab.filename().string() + " (a student release has none)");
    }
    return asked;
  }
  return fs::is_directory(reference_dir(lab)) ? "reference" : "skeleton";
}

// Builds targets of the main build, showing the compiler's output; throws when it fails.
void build_targets(const std::vector<std::string>& targets) {
  std::vector<std::string> cmd = {config::kCMake, "--build", binary_dir().string(), "--target"};
  cmd.insert(cmd.end(), targets.begin(), targets.end());
  RunOptions ro;
  RunResult r = aisys::grader::run_process(cmd, ro);
  if (!r.ok()) throw GradingError("the build failed (see the compiler output above)");
}

nlohmann::json read_build_info(const fs::path& lab, const std::string& impl) {
  const fs::path p = binary_dir() / "labs" / lab.filename() / impl / "lab_build.json";
  std::ifstream in(p);
  if (!in) throw GradingError("no " + p.string() + ": is the project configured? (cmake --preset default)");
  return nlohmann::json::parse(in);
}

}  // namespace

int cmd_list() {
  for (const auto& d : lab_dirs()) {
    Manifest m = aisys::grader::load_manifest(d.string());
    std::printf("%s  %s  (version %s, %g points%s)\n", d.filename().string().c_str(), m.title.c_str(),
                m.version.c_str(), m.total_points(), fs::is_directory(reference_dir(d)) ? ", reference present" : "");
    for (const auto& p : m.parts) {
      std::printf("    %-28s %-12s %5g pts  %s%s\n", p.name.c_str(), p.kind.c_str(), p.points, p.device.c_str(),
                  p.kind == "performance" ? ("  " + p.benchmark + " vs " + p.baseline).c_str() : "");
    }
  }
  return 0;
}

int cmd_doctor() {
  int missing = 0;
  auto line = [](const char* what, bool ok, const std::string& detail) {
    std::printf("  %-22s %-8s %s\n", what, ok ? "ok" : "MISSING", detail.c_str());
  };
  std::printf("aisys doctor (AISys Labs %s, build %s)\n", config::kVersion, config::kBinaryDir);
  line("C++ compiler", true, std::string(config::kCxxCompilerId) + " (" + config::kCxxCompiler + ")");
  RunResult cm = aisys::grader::run_capture({config::kCMake, "--version"});
  line("CMake", cm.ok(), cm.ok() ? cm.output.substr(0, cm.output.find('\n')) : "not runnable");
  const auto& f = aisys::cpu_features();
  std::string flags;
  for (const auto& n : aisys::cpu_feature_names()) flags += n + " ";
  line("CPU", true, f.model_name + ", " + std::to_string(f.logical_cores) + " logical cores; " + flags);
  if (config::kHaveCuda) {
    line("CUDA toolkit", true, std::string(config::kCudaVersion) + " (" + config::kCudaCompiler + "), architectures " + config::kCudaArchitectures);
  } else {
    ++missing;
    line("CUDA toolkit", false, "not compiled in: put nvcc on PATH (CUDA Toolkit 13) and reconfigure; GPU parts are skipped");
  }
  const auto& devices = aisys::enumerate_devices();
  if (devices.devices.empty()) {
#if defined(AISYS_HAVE_SIMT)
    line("GPU", false, "none: " + devices.reason +
                           " (the grader skips GPU parts; aisys test runs their tests under the SIMT emulator, on the CPU)");
#else
    line("GPU", false, "none: " + devices.reason + " (GPU parts are reported as skipped)");
#endif
  } else {
    for (const auto& d : devices.devices) line("GPU", true, aisys::describe(d));
  }
#if AISYS_HAVE_CUDA
  // cuBLAS is opened at run time, not linked (kernels/cuda/cublas_library.hpp): can it be here?
  try {
    line("cuBLAS", true, "opens from " + aisys::cuda::cublas_library().path);
  } catch (const aisys::Error& e) {
    ++missing;
    line("cuBLAS", false, e.what());
  }
  // Optional: without it GPU parts are graded without their memcheck/racecheck runs (and say so).
  std::string sanitizer_wanted;
  const std::string sanitizer = aisys::grader::find_compute_sanitizer(&sanitizer_wanted);
  line("compute-sanitizer", !sanitizer.empty(),
       !sanitizer.empty() ? sanitizer
                          : "not found (" + sanitizer_wanted +
                                "): GPU parts are graded without their memcheck/racecheck runs; install the CUDA "
                                "Toolkit's compute-sanitizer or set AISYS_COMPUTE_SANITIZER");
#endif
  line("cuDNN", *config::kCudnnVersion != 0, *config::kCudnnVersion ? std::string("found ") + config::kCudnnVersion : "not found (set CUDNN_ROOT; needed by labs 02, 03, 07)");
  line("NCCL", *config::kNcclVersion != 0, *config::kNcclVersion ? std::string("found ") + config::kNcclVersion : "not found (set NCCL_ROOT; needed by lab 05 on a GPU)");
  RunResult mpi = aisys::grader::run_capture({"mpirun", "--version"});
  line("MPI (mpirun)", mpi.ok(), mpi.ok() ? mpi.output.substr(0, mpi.output.find('\n')) : "not found: apt install openmpi-bin libopenmpi-dev (needed by labs 05, 06)");
  if (config::kHaveOpenBlas) {
    // The corename is what OpenBLAS picks under this environment; ask the library itself.
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    const auto info = aisys::baselines::openblas_info();
    line("OpenBLAS", true, std::string(config::kOpenBlasVersion) + ", kernel " + info.value("corename", "?") +
                               (coretype ? std::string(" (OPENBLAS_CORETYPE=") + coretype + " is set here; reference numbers are measured with it unset)" : ""));
    if (info.value("handicapped", false)) {
      std::printf("  %-22s %-8s %s\n", "OpenBLAS kernels", "WARN", info.value("handicap", std::string()).c_str());
    }
  } else {
    ++missing;
    line("OpenBLAS", false, "not built: apt install libopenblas-dev and reconfigure (the CPU GEMM baseline)");
  }
  if (aisys::baselines::have_onednn()) {
    const auto info = aisys::baselines::onednn_info();
    line("oneDNN", true, info.value("version", std::string("?")) + ", " + info.value("isa", std::string("?")) +
                             " kernels, " + std::to_string(info.value("threads", 0)) + " OpenMP threads");
  } else {
    ++missing;
    line("oneDNN", false, "not built: apt install libdnnl-dev and reconfigure (lab 02's CPU convolution baselines)");
  }
  bool py_ok = false;
  if (*config::kPython) {
    RunResult py = aisys::grader::run_capture({config::kPython, "-c", "import matplotlib; print(matplotlib.__version__)"});
    py_ok = py.ok();
    std::string version = py.output;
    while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
    line("Python + matplotlib", py_ok, std::string(config::kPython) + (py_ok ? ", matplotlib " + version : ": cannot import matplotlib"));
  }
  if (!py_ok) {
    ++missing;
    if (!*config::kPython) line("Python + matplotlib", false, "not found: apt install python3-matplotlib and reconfigure (for reports)");
  }
  std::string fmnist_where;
  bool fmnist = false;
  try {
    fmnist_where = aisys::kernels::find_fashion_mnist().string();
    fmnist = true;
  } catch (const aisys::Error& e) {
    fmnist_where = e.what();
  }
  line("Fashion-MNIST", fmnist, fmnist ? "found in " + fmnist_where : fmnist_where + " (needed by lab 02)");
  std::printf("%s\n", missing == 0 ? "Everything the labs here build on is present (GPU, MPI and datasets are needed only where marked)."
                                  : "Some parts are missing (see above): their labs or parts are skipped.");
  return 0;
}

int cmd_check() {
  const auto problems = aisys::grader::check_lab_contract(source_dir().string());
  for (const auto& p : problems) std::printf("%s\n", p.c_str());
  if (problems.empty()) std::printf("aisys check: %zu labs keep the lab contract\n", lab_dirs().size());
  return problems.empty() ? 0 : 1;
}

int cmd_test(const TestArgs& a) {
  const fs::path lab = find_lab(a.lab);
  Manifest m = aisys::grader::load_manifest(lab.string());
  const std::string impl = a.impl.empty() ? "skeleton" : default_impl(lab, a.impl);
  if (!a.part.empty()) {
    const auto* p = m.part(a.part);
    if (p == nullptr) {
      std::string names;
      for (const auto& q : m.parts) names += (names.empty() ? "" : ", ") + q.name;
      throw GradingError("lab " + m.id + " has no part '" + a.part + "' (parts: " + names + ")");
    }
    if (p->kind != "correctness") throw GradingError("part " + a.part + " is measured, not tested: aisys bench " + m.id + " --filter " + p->benchmark);
  }
  aisys::grader::require_lab_in_this_build(m);
  const std::string prefix = "lab" + m.id + "_" + impl;
  // GPU parts on a machine without a GPU run under the SIMT emulator where the lab builds its GPU
  // tests for it (lab_build.json names simt_tests_binary): correctness only, on the CPU.
  const auto configured = read_build_info(lab, impl);
  const std::string simt_target = configured.value("simt_tests_target", std::string());
  bool emulate = false;
  if (!simt_target.empty() && !aisys::gpu_available()) {
    for (const auto& p : m.parts) {
      if (p.kind == "correctness" && p.device == "gpu" && (a.part.empty() || p.name == a.part)) emulate = true;
    }
  }
  std::fprintf(stderr, "[lab %s] building %s_tests...\n", m.id.c_str(), prefix.c_str());
  build_targets({prefix + "_tests"});
  // Built on its own: a stage file the emulator cannot compile (a warp shuffle, say) costs the GPU
  // parts their emulated run, not the CPU parts theirs.
  std::string not_emulated;
  if (emulate) {
    std::fprintf(stderr, "[lab %s] no GPU here: building %s (the GPU parts' tests for the SIMT emulator)...\n",
                 m.id.c_str(), simt_target.c_str());
    try {
      build_targets({simt_target});
    } catch (const GradingError&) {
      not_emulated = "not run: the files could not be built for the SIMT emulator (see the compiler output above)";
    }
  }
  const auto info = read_build_info(lab, impl);
  const std::string binary = info.at("tests_binary").get<std::string>();
  int failed = 0;
  std::vector<std::string> summary;
  for (const auto& p : m.parts) {
    if (p.kind != "correctness" || (!a.part.empty() && p.name != a.part)) continue;
    const bool emulated = emulate && p.device == "gpu";
    if (emulated && !not_emulated.empty()) {
      summary.push_back(p.name + ": " + not_emulated);
      ++failed;  // nothing was checked: not a pass
      continue;
    }
    RunOptions ro;
    ro.timeout_s = m.timeout_s;
    ro.env = {{"AISYS_LAB", m.id}, {"AISYS_PART", p.name}, {"AISYS_IMPL", impl}};
    if (emulated) {
      ro.timeout_s = 4 * m.timeout_s;          // the emulator runs a block's threads one by one
      ro.env["AISYS_NO_DEVICE_CACHE"] = "1";   // freed device blocks really freed: stale data shows
    }
    if (a.seed) ro.env["AISYS_SEED"] = std::to_string(*a.seed);
    std::printf("\n=== part %s (%s)%s ===\n", p.name.c_str(), p.tests.c_str(),
                emulated ? ", no GPU here: under the SIMT emulator, on the CPU (correctness only)" : "");
    std::fflush(stdout);
    ro.output_file = (binary_dir() / ("test-" + p.name + ".log")).string();
    ro.echo = true;
    // An MPI part: under mpiexec at each of its process counts, stopping at the first failure.
    RunResult r;
    std::string at;
    for (const int np : p.ranks.empty() ? std::vector<int>{0} : p.ranks) {
      std::vector<std::string> cmd;
      if (np > 0) {
        cmd = {aisys::grader::config::kMpiexec, "-n", std::to_string(np)};
        for (const auto& [k, v] : aisys::grader::mpi_environment()) ro.env[k] = v;
        at = " at " + std::to_string(np) + " ranks";
        std::printf("--- %d ranks ---\n", np);
        std::fflush(stdout);
      }
      const std::string filter = a.test_case.empty() ? p.tests : a.test_case;
      const std::string program = emulated ? info.at("simt_tests_binary").get<std::string>() : binary;
      for (const std::string& x : {program, "--gtest_filter=" + filter, std::string("--gtest_color=no")}) cmd.push_back(x);
      r = aisys::grader::run_process(cmd, ro);
      if (!r.ok()) break;
      if (!a.test_case.empty() && r.output.find("Running 0 tests") != std::string::npos) {
        throw GradingError("--case " + a.test_case + " names no test (part " + p.name + "'s tests are " + p.tests +
                           "; the test binary lists them with --gtest_list_tests)");
      }
    }
    std::string status = r.ok() ? "passed" : "FAILED" + at + " (" + r.describe(ro.timeout_s) + ")";
    if (!r.ok() && r.signal == 0 && !r.timed_out && r.output.find("not implemented:") != std::string::npos &&
        r.output.find("[       OK ]") == std::string::npos) {
      status = "not implemented yet";
    }
    if (emulated) status += " (SIMT emulator)";
    if (!r.ok()) ++failed;
    summary.push_back(p.name + ": " + status);
  }
  std::printf("\n");
  for (const auto& s : summary) std::printf("  %s\n", s.c_str());
  return failed == 0 ? 0 : 1;
}

int cmd_grade(const GradeArgs& a) {
  const fs::path lab = find_lab(a.lab);
  Manifest m = aisys::grader::load_manifest(lab.string());
  aisys::grader::GradeOptions o;
  o.lab_dir = lab.string();
  // Trees sit beside the build folder (build/ci.grading-lab01-XXXXXX next to build/ci): at the same
  // depth under the source tree, a tree's compile commands for the lab's tests read like the main
  // build's once ccache makes them relative, so a grading compiles only the student's files.
  o.work_root = binary_dir().parent_path().string();
  o.work_prefix = binary_dir().filename().string() + ".grading-";
  o.timeout_s = a.timeout_s;
  o.seed = a.seed;
  o.quick_benchmarks = a.quick;
  o.keep_work = a.keep;
  o.verbose = a.verbose;
  o.base_dir = a.base;
  if (fs::is_directory(reference_dir(lab) / "hidden_tests")) o.hidden_tests_dir = (reference_dir(lab) / "hidden_tests").string();

  if (!a.batch.empty()) {
    if (a.format != "table" && a.format != "csv") {
      throw GradingError("--batch writes CSV (one row per submission); --format " + a.format + " grades one submission");
    }
    if (!fs::is_directory(a.batch)) throw GradingError("--batch " + a.batch + ": no such folder");
    std::vector<fs::path> subs;
    for (const auto& e : fs::directory_iterator(a.batch)) {
      if (e.is_directory()) subs.push_back(e.path());
    }
    std::sort(subs.begin(), subs.end());
    if (subs.empty()) throw GradingError("--batch " + a.batch + ": no submission folders in it");
    std::string csv = aisys::grader::csv_header(m);
    int n = 0;
    for (const auto& s : subs) {
      std::fprintf(stderr, "[batch] %d/%zu: %s\n", ++n, subs.size(), s.filename().string().c_str());
      o.submission_dir = s.string();
      o.submission_name = s.filename().string();
      try {
        const auto r = aisys::grader::grade(o);
        csv += aisys::grader::csv_row(m, r);
        std::fputs(aisys::grader::format_table(r).c_str(), stderr);  // the instructor sees why
      } catch (const std::exception& e) {
        // One submission that cannot be graded (a GradingError, or a file it holds that cannot be
        // read) does not stop the batch: its row's notes cell says why, in one line (the full
        // message, with any build output, goes to stderr).
        std::fprintf(stderr, "[batch] %s: grading error: %s\n", o.submission_name.c_str(), e.what());
        aisys::grader::GradeResult r;
        r.submission = o.submission_name;
        r.lab = m.id;
        r.version = m.version;
        std::string row = aisys::grader::csv_row(m, r);
        row.resize(row.size() - std::string(",\n").size());  // its notes cell is empty: nothing was graded
        std::string why = e.what();
        why = why.substr(0, std::min(why.find('\n'), std::size_t{200}));
        csv += row + "," + aisys::grader::csv_field("grading error: " + why) + "\n";
      }
    }
    if (a.out.empty()) std::fputs(csv.c_str(), stdout);
    else aisys::grader::write_file_atomically(a.out, csv);
    if (!a.out.empty()) std::fprintf(stderr, "[batch] wrote %s (%zu rows)\n", a.out.c_str(), subs.size());
    return 0;
  }

  o.submission_dir = a.submission.empty() ? (lab / "skeleton").string() : a.submission;
  o.submission_name = a.submission.empty() ? "skeleton (labs/" + lab.filename().string() + "/skeleton)" : a.submission;
  const auto r = aisys::grader::grade(o);
  std::string text;
  if (a.format == "table") text = aisys::grader::format_table(r);
  else if (a.format == "gradescope") text = aisys::grader::format_gradescope(r);
  else if (a.format == "junit") text = aisys::grader::format_junit(r);
  else if (a.format == "csv") text = aisys::grader::csv_header(m) + aisys::grader::csv_row(m, r);
  else text = r.to_json().dump(2) + "\n";
  // The table is for people; with --format X and no --out, stdout carries X alone (so that
  // `aisys grade 01 --format gradescope > results.json` is valid JSON) and the table goes to stderr.
  if (a.format == "table" && a.out.empty()) std::fputs(aisys::grader::format_table(r).c_str(), stdout);
  else if (a.out.empty()) std::fputs(aisys::grader::format_table(r).c_str(), stderr);
  else std::fputs(aisys::grader::format_table(r).c_str(), stdout);
  if (!a.out.empty()) {
    aisys::grader::write_file_atomically(a.out, text);
    std::printf("  wrote %s (%s)\n", a.out.c_str(), a.format.c_str());
  } else if (a.format != "table") {
    std::fputs(text.c_str(), stdout);
  }
  if (!a.expect.empty()) {
    std::ifstream in(a.expect);
    if (!in) throw GradingError("--expect " + a.expect + ": cannot open");
    nlohmann::json expected;
    try {
      expected = nlohmann::json::parse(in);
    } catch (const std::exception& e) {
      throw GradingError("--expect " + a.expect + ": not valid JSON: " + e.what());
    }
    const auto problems = aisys::grader::check_expectations(m, r, expected, aisys::gpu_available());
    for (const auto& p : problems) std::printf("  UNEXPECTED: %s\n", p.c_str());
    std::printf("  expectation %s: %s\n", a.expect.c_str(), problems.empty() ? "met" : "NOT met");
    return problems.empty() ? 0 : 1;
  }
  return 0;
}

int cmd_bench(const BenchArgs& a) {
  const fs::path lab = find_lab(a.lab);
  Manifest m = aisys::grader::load_manifest(lab.string());
  const std::string impl = default_impl(lab, a.impl);
  aisys::grader::require_lab_in_this_build(m);
  const std::string prefix = "lab" + m.id + "_" + impl;
  std::fprintf(stderr, "[lab %s] building %s_bench...\n", m.id.c_str(), prefix.c_str());
  build_targets({prefix + "_bench"});
  const auto info = read_build_info(lab, impl);
  const std::string out = a.out.empty() ? (binary_dir() / "results" / ("lab" + m.id + "-" + impl + ".json")).string() : a.out;
  if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());
  // An MPI lab's benchmark runs under mpiexec at the process count of its first performance part
  // (2 when none says), one rank per core where there are enough cores.
  RunOptions ro;
  std::vector<std::string> cmd;
  if (std::find(m.needs.begin(), m.needs.end(), "mpi") != m.needs.end()) {
    int np = 2;
    for (const auto& part : m.parts) {
      if (part.kind == "performance" && !part.ranks.empty()) {
        np = part.ranks.front();
        break;
      }
    }
    cmd = aisys::grader::mpiexec_for_benchmark(np);
    for (const auto& [k, v] : aisys::grader::mpi_environment()) ro.env[k] = v;
  }
  cmd.push_back(info.at("bench_binary").get<std::string>());
  cmd.push_back("--aisys_out=" + out);
  std::string recorded = "aisys bench " + m.id + " --impl " + impl;
  if (!a.filter.empty()) {
    cmd.push_back("--aisys_filter=" + a.filter);
    recorded += " --filter '" + a.filter + "'";
  }
  if (a.quick) {
    cmd.push_back("--aisys_quick");
    recorded += " --quick";
  }
  if (a.pairs > 0) {
    cmd.push_back("--aisys_pairs=" + std::to_string(a.pairs));
    recorded += " --pairs " + std::to_string(a.pairs);
  }
  std::string env_note;
  for (const char* v : {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}) {
    if (const char* val = std::getenv(v)) env_note += std::string(" ") + v + "=" + val;
  }
  cmd.push_back("--aisys_command=" + (env_note.empty() ? "" : "env" + env_note + " ") + recorded);
  RunResult r = aisys::grader::run_process(cmd, ro);
  if (r.exit_code == aisys::bench::kExitNoCaseMatches && !a.filter.empty()) return aisys::bench::kExitNoCaseMatches;
  if (!fs::exists(out)) {
    std::fprintf(stderr, "aisys bench: the benchmark wrote no results (%s)\n", r.describe(0).c_str());
    return 2;
  }
  std::printf("results: %s\n", out.c_str());
  return r.ok() ? 0 : 1;
}

int cmd_report(const ReportArgs& a) {
  // Bad input is named first, whatever else is missing (the report script checks the schema).
  std::vector<std::string> files = a.results;
  for (const auto& f : files) {
    if (!fs::is_regular_file(f)) throw GradingError("--results " + f + ": no such file");
    std::ifstream in(f);
    try {
      const nlohmann::json parsed = nlohmann::json::parse(in);
      (void)parsed;
    } catch (const nlohmann::json::exception& e) {
      throw GradingError("--results " + f + ": not valid JSON (" + e.what() + ")");
    }
  }
  if (!*config::kPython) {
    throw GradingError("no Python that can import matplotlib was found at configure time: apt install python3-matplotlib, then reconfigure");
  }
  if (files.empty()) {
    // The labs to benchmark: those named by --lab, else every lab this build has (a lab it leaves
    // out, such as an MPI lab without MPI, is passed over, saying why). With --filter, a lab with
    // no matching case is passed over too; a filter that matches nothing anywhere is an error.
    std::vector<fs::path> labs;
    for (const auto& name : a.labs) labs.push_back(find_lab(name));
    const bool every_lab = labs.empty();
    if (every_lab) labs = lab_dirs();
    for (const auto& lab : labs) {
      if (every_lab) {
        try {
          aisys::grader::require_lab_in_this_build(aisys::grader::load_manifest(lab.string()));
        } catch (const GradingError& e) {
          std::fprintf(stderr, "aisys report: passing over %s: %s\n", lab.filename().string().c_str(), e.what());
          continue;
        }
      }
      BenchArgs b;
      b.lab = lab.filename().string();
      b.quick = a.quick;
      b.filter = a.filter;
      const std::string impl = default_impl(lab, "");
      b.out = (fs::path(a.out).parent_path().empty() ? binary_dir() / "results" : fs::absolute(a.out).parent_path())
                  .append("results-" + lab.filename().string() + "-" + impl + ".json").string();
      fs::remove(b.out);  // a file left by an earlier run must not go into this report
      const int rc = cmd_bench(b);
      if (rc == aisys::bench::kExitNoCaseMatches) {
        std::fprintf(stderr, "aisys report: passing over %s: no case matches --filter %s\n",
                     lab.filename().string().c_str(), a.filter.c_str());
        continue;
      }
      if (fs::exists(b.out)) files.push_back(b.out);
      if (rc == 2) return 2;
    }
    if (files.empty()) {
      throw GradingError(a.filter.empty() ? "no lab was benchmarked (see above)"
                                          : "no lab has a case matching --filter " + a.filter + " (aisys bench NN --filter X lists them with --aisys_list)");
    }
  }
  const fs::path script = source_dir() / "reports" / "make_report.py";
  std::vector<std::string> cmd = {config::kPython, script.string(), "--out", a.out};
  cmd.insert(cmd.end(), files.begin(), files.end());
  RunOptions ro;
  RunResult r = aisys::grader::run_process(cmd, ro);
  if (!r.ok()) {
    std::fprintf(stderr, "aisys report: the report was not written (%s)\n", r.describe(0).c_str());
    return r.exit_code == 2 ? 2 : 1;
  }
  std::printf("report: %s\n", (fs::absolute(a.out) / "index.html").string().c_str());
  return 0;
}

int cmd_handout(const std::string& out_arg) {
  const fs::path out = fs::absolute(out_arg);
  const fs::path src = fs::canonical(source_dir());
  if (fs::exists(out) && !(fs::is_directory(out) && fs::is_empty(out))) {
    throw GradingError("--out " + out.string() + " exists and is not empty (a handout is written into a new folder)");
  }
  if (out.string().rfind(src.string() + "/", 0) == 0) {
    const auto rel = fs::relative(out, src).string();
    if (rel.rfind("build", 0) != 0) throw GradingError("--out must be outside the source tree (or under build/)");
  }
  const fs::path tmp = out.string() + ".partial";
  fs::remove_all(tmp);
  std::size_t copied = 0;
  // What never ships: solutions, hidden tests, history, build trees (relative to the source).
  auto excluded = [](const fs::path& rel) {
    const std::string first = rel.begin() == rel.end() ? "" : rel.begin()->string();
    if (first == "reference" || first == ".git" || first == "build" || first.rfind("build-", 0) == 0 || first == "out") {
      return true;
    }
    for (const auto& part : rel) {
      if (part == "hidden_tests" || part == "__pycache__" || part == ".git") return true;
    }
    return false;
  };
  // In a git checkout, the files git knows (tracked, and untracked but not ignored): a tree
  // also holds files nobody meant to ship (the GPU run's .deps/ prefix, COMMIT, editor files).
  const RunResult listed = fs::exists(src / ".git")
                               ? aisys::grader::run_capture({"git", "-C", src.string(), "ls-files", "-z", "--cached",
                                                             "--others", "--exclude-standard"})
                               : RunResult{};
  const bool use_list = listed.ok() && listed.output.rfind("...(truncated)...", 0) != 0;
  if (use_list) {
    std::size_t start = 0;
    while (start < listed.output.size()) {
      const std::size_t end = std::min(listed.output.find('\0', start), listed.output.size());
      const fs::path rel = listed.output.substr(start, end - start);
      start = end + 1;
      const fs::path from = src / rel;
      if (rel.empty() || excluded(rel) || fs::is_symlink(from) || !fs::is_regular_file(from)) continue;  // deleted, or a link
      fs::create_directories((tmp / rel).parent_path());
      fs::copy_file(from, tmp / rel);
      ++copied;
    }
  }
  std::function<void(const fs::path&, const fs::path&)> copy = [&](const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const auto& e : fs::directory_iterator(from)) {
      const std::string name = e.path().filename().string();
      if (excluded(e.path().lexically_relative(src)) || e.path() == out || e.path() == tmp || e.is_symlink()) continue;
      if (e.is_directory()) copy(e.path(), to / name);
      else if (e.is_regular_file()) {
        fs::copy_file(e.path(), to / name);
        ++copied;
      }
    }
  };
  if (!use_list) copy(src, tmp);  // not a git checkout (a release, a tarball): the folder itself
  // A handout must not mention where the solutions live.
  std::ofstream(tmp / "HANDOUT") << "Student release of AISys Labs " << config::kVersion
                                 << " (commit " << aisys::context::git_commit(src.string()) << ").\n"
                                 << "Start with README.md; every lab's handout is labs/NN-slug/README.md.\n";
  if (fs::exists(out)) fs::remove(out);
  fs::rename(tmp, out);
  std::printf("handout: %s (%zu files; no reference/, no hidden tests, no .git)\n", out.string().c_str(), copied);
  return 0;
}

}  // namespace aisys::cli
