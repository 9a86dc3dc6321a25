// The autograder (grade.hpp).
#include "grade.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "aisys/harness/context.hpp"
#include "aisys/harness/conv_baselines.hpp"
#include "aisys/kernels/cpu_features.hpp"
#include "aisys/kernels/device.hpp"
#include "config.hpp"
#include "process.hpp"
#include "workspace.hpp"

namespace aisys::grader {

namespace fs = std::filesystem;

double GradeResult::score() const {
  double s = 0;
  for (const auto& p : parts) s += p.points;
  return s;
}
double GradeResult::max_score() const {
  double s = 0;
  for (const auto& p : parts) s += p.max_points;
  return s;
}
double GradeResult::ungraded_points() const {
  double s = 0;
  for (const auto& p : parts) {
    if (!p.graded()) s += p.max_points;
  }
  return s;
}

nlohmann::json GradeResult::to_json() const {
  nlohmann::json j;
  j["schema"] = "aisys.grade/1";
  j["lab"] = lab;
  j["slug"] = slug;
  j["version"] = version;
  j["include_hash"] = include_hash;
  j["submission"] = submission;
  j["platform_commit"] = platform_commit;
  j["date"] = date;
  j["host"] = host;
  j["seed"] = seed;
  j["score"] = score();
  j["max_score"] = max_score();
  j["ungraded_points"] = ungraded_points();
  j["warnings"] = warnings;
  j["disallowed_symbols"] = disallowed_symbols;
  j["compile_failures"] = nlohmann::json::array();
  for (const auto& c : compile_failures) j["compile_failures"].push_back({{"file", c.file}, {"output", c.output}});
  j["parts"] = nlohmann::json::array();
  for (const auto& p : parts) {
    nlohmann::json jp = {{"name", p.name}, {"kind", p.kind}, {"device", p.device},
                         {"points", p.points}, {"max_points", p.max_points},
                         {"status", p.status}, {"message", p.message},
                         {"tests_passed", p.tests_passed}, {"tests_total", p.tests_total}};
    if (p.ratio) jp["ratio"] = *p.ratio;
    if (p.spread) jp["spread"] = *p.spread;
    j["parts"].push_back(jp);
  }
  return j;
}

namespace {

std::string tail(const std::string& s, std::size_t n = 4000) {
  return s.size() <= n ? s : "...\n" + s.substr(s.size() - n);
}

std::string first_line(const std::string& s) {
  const auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// The line of an MPI job's output that says which rank ended it and why: the MPI test main's own
// ("[ aisys ] rank 1 of 2: <test> failed on this rank, ..."), else Open MPI's ("MPI_ABORT was
// invoked on rank 1 ...", "process rank 1 ... exited on signal 11"), else the first line.
std::string mpi_job_summary(const std::string& output) {
  for (const char* marker : {"[ aisys ] rank ", "MPI_ABORT was invoked on rank ", "process rank "}) {
    const auto at = output.find(marker);
    if (at == std::string::npos) continue;
    std::string line = first_line(output.substr(at));
    if (line.rfind("[ aisys ] ", 0) == 0) line.erase(0, std::string("[ aisys ] ").size());
    return line.size() > 300 ? line.substr(0, 300) + "..." : line;
  }
  return first_line(output);
}

// The first informative line of a GoogleTest failure: the "file:line" (or "unknown file") line
// that GoogleTest puts first is dropped.
std::string failure_summary(const std::string& failure) {
  // ASSERT_TRUE(assertion result): the explanation follows "Actual: false (".
  const std::string actual = "Actual: false (";
  if (const auto at = failure.find(actual); at != std::string::npos) {
    std::string text = first_line(failure.substr(at + actual.size()));
    return text.size() > 300 ? text.substr(0, 300) + "..." : text;
  }
  std::istringstream in(failure);
  std::string line;
  std::string first;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const bool location = line == "unknown file" || std::regex_match(line, std::regex(R"(.*:\d+)"));
    if (first.empty() && location) continue;
    // ADD_FAILURE() / FAIL() print a bare "Failed" before their message: keep looking.
    if (line == "Failed") {
      first = line;
      continue;
    }
    first = line;
    break;
  }
  return first.size() > 300 ? first.substr(0, 300) + "..." : first;
}

std::string gpu_arch() {
  const auto& devices = aisys::enumerate_devices();
  if (devices.devices.empty()) return "default";
  const auto& d = devices.devices.front();
  return "sm_" + std::to_string(d.cc_major) + std::to_string(d.cc_minor);
}

// Runs one correctness part's tests; fills status/message/points.
void run_correctness(const Manifest& m, const Part& part, const Workspace& w, const GradeOptions& o,
                     std::uint64_t seed, PartResult& pr) {
  const std::string json_out = w.root + "/gtest-" + part.name + ".json";
  const std::string log = w.root + "/gtest-" + part.name + ".log";
  RunOptions ro;
  ro.timeout_s = o.timeout_s.value_or(m.timeout_s);
  ro.memory_mb = part.device == "gpu" ? 0 : m.memory_mb;  // the CUDA runtime reserves huge VA
  ro.output_file = log;
  ro.env = {{"AISYS_SEED", std::to_string(seed)}, {"AISYS_LAB", m.id}, {"AISYS_PART", part.name},
            {"AISYS_IMPL", "submission"}};
  // MPI parts run once per process count under mpiexec (a timeout ends every rank: the process
  // group is killed); the others once, directly.
  const std::vector<int> rank_counts = part.ranks.empty() ? std::vector<int>{0} : part.ranks;
  int total = 0, passed = 0, skipped = 0, not_implemented = 0;
  std::string first_failure, not_implemented_message;
  for (const int np : rank_counts) {
    const std::string at = np > 0 ? " (" + std::to_string(np) + " ranks)" : "";
    std::vector<std::string> cmd;
    if (np > 0) {
      if (!*config::kMpiexec) {
        pr.status = "skipped";
        pr.message = "this build has no MPI (install libopenmpi-dev openmpi-bin and reconfigure)";
        return;
      }
      cmd = {config::kMpiexec, "-n", std::to_string(np)};
      for (const auto& [k, v] : mpi_environment()) ro.env[k] = v;
    }
    for (const std::string& a : {w.tests_binary, "--gtest_filter=" + part.tests, "--gtest_output=json:" + json_out,
                                 std::string("--gtest_color=no")}) {
      cmd.push_back(a);
    }
    fs::remove(json_out);
    RunResult r = run_process(cmd, ro);
    pr.output = tail(r.output);
    nlohmann::json report;
    bool have_report = false;
    if (std::ifstream in(json_out); in) {
      try {
        report = nlohmann::json::parse(in);
        have_report = true;
      } catch (const std::exception&) {
      }
    }
    if (have_report) {
      for (const auto& suite : report.value("testsuites", nlohmann::json::array())) {
        for (const auto& t : suite.value("testsuite", nlohmann::json::array())) {
          ++total;
          const bool is_skipped = t.value("result", "") == "SKIPPED";
          const bool failed = t.contains("failures") && !t["failures"].empty();
          if (is_skipped) ++skipped;
          else if (!failed) ++passed;
          else {
            const std::string msg = t["failures"][0].value("failure", "");
            const auto ni = msg.find("not implemented:");
            if (ni != std::string::npos) {
              ++not_implemented;
              if (not_implemented_message.empty()) not_implemented_message = msg.substr(ni, msg.find('"', ni) - ni);
            }
            if (first_failure.empty()) {
              first_failure = suite.value("name", "") + "." + t.value("name", "") + at + ": " + failure_summary(msg);
              // Under the part's address-space limit an allocation past it throws bad_alloc.
              if (ro.memory_mb > 0 && msg.find("std::bad_alloc") != std::string::npos) {
                first_failure += " (out of memory: the part may use " + std::to_string(ro.memory_mb) + " MB, lab.json's memory_mb)";
              }
            }
          }
        }
      }
    }
    pr.tests_total = total;
    pr.tests_passed = passed;
    if (r.timed_out || r.signal != 0) {
      pr.status = r.timed_out ? "timed out" : "crashed";
      pr.message = "the tests" + at + " " + r.describe(ro.timeout_s);
      return;
    }
    if (!r.started || (!have_report && r.exit_code != 0 && r.exit_code != 1)) {
      pr.status = "crashed";
      pr.message = "the test binary" + at + " ended with " + r.describe(ro.timeout_s);
      if (np > 0) pr.message += ": " + mpi_job_summary(r.output);
      return;
    }
    if (!have_report) {
      pr.status = "crashed";
      pr.message = "the test binary" + at + " wrote no report (" + r.describe(ro.timeout_s) + ")";
      if (np > 0) pr.message += ": " + mpi_job_summary(r.output);
      return;
    }
    // A failure at one process count already decides the part (it is all or nothing): the first
    // failing count is reported and the larger ones are not run.
    if (total - passed - skipped > 0) break;
  }
  if (total == 0) {
    pr.status = "error";
    pr.message = "lab.json's filter '" + part.tests + "' matches no test (a lab.json problem)";
    return;
  }
  const int failed = total - passed - skipped;
  if (skipped == total) {
    pr.status = "skipped";
    pr.message = "every test skipped itself (see the output for why)";
  } else if (failed == 0) {
    pr.status = "passed";
    pr.points = pr.max_points;
    pr.message = std::to_string(passed) + "/" + std::to_string(total - skipped) + " tests passed";
  } else if (not_implemented == failed && passed == 0) {
    pr.status = "not implemented";
    pr.message = not_implemented_message;
  } else {
    pr.status = "failed";
    pr.message = std::to_string(failed) + "/" + std::to_string(total - skipped) + " tests failed; first: " + first_failure;
  }
}

}  // namespace

std::string sanitizer_unusable_reason(const std::string& output) {
  // What compute-sanitizer prints when it cannot work on this machine (a device or platform it
  // does not support, as under gVisor; an incomplete installation), as against what it finds.
  static const char* const kSigns[] = {"Device not supported", "Unable to find injection library",
                                       "not supported on this platform", "Could not find injection library"};
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    for (const char* sign : kSigns) {
      if (line.find(sign) != std::string::npos) {
        const auto start = line.find_first_not_of("= \t");
        return start == std::string::npos ? line : line.substr(start);
      }
    }
  }
  return "";
}

namespace {

// The program's path: itself when it names a folder, else the first executable match on PATH;
// "" when there is none.
std::string find_executable(const std::string& program) {
  namespace fs = std::filesystem;
  const auto runnable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) return runnable(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && runnable(fs::path(dir) / program)) return (fs::path(dir) / program).string();
  }
  return "";
}

// A compute-sanitizer rerun's least time limit (see run_sanitizers).
constexpr double kSanitizerMinTimeoutS = 300;

}  // namespace

std::string find_compute_sanitizer(std::string* wanted_out) {
  std::string wanted = "compute-sanitizer";  // the toolkit's when it has one, else PATH's
  if (const char* override_path = std::getenv("AISYS_COMPUTE_SANITIZER")) {
    wanted = override_path;
  } else if (*config::kCudaBinDir) {
    // bin/ holds a link to it in most installations; the tool itself lives in compute-sanitizer/.
    for (const char* place : {"/compute-sanitizer", "/../compute-sanitizer/compute-sanitizer"}) {
      const std::string candidate = std::string(config::kCudaBinDir) + place;
      if (!find_executable(candidate).empty()) {
        wanted = candidate;
        break;
      }
    }
  }
  if (wanted_out != nullptr) *wanted_out = wanted;
  return find_executable(wanted);
}

// On a GPU: the part's tests again under each compute-sanitizer tool it names (a missing
// __syncthreads is a data race that racecheck reports even when the results happen to be right).
// Where compute-sanitizer is missing or cannot run on this machine the part keeps its tests'
// result and its message says that it was not checked, and why (a machine's lack, not the
// submission's: its points are not taken).
void run_sanitizers(const Manifest& m, const Part& part, const std::string& tests_binary,
                    const std::string& work_dir, const GradeOptions& o, std::uint64_t seed,
                    PartResult& pr) {
  std::string wanted;
  const std::string sanitizer = find_compute_sanitizer(&wanted);
  if (sanitizer.empty()) {
    pr.message += "; not checked under compute-sanitizer (" + wanted +
                  " not found: install the CUDA Toolkit's compute-sanitizer, or set AISYS_COMPUTE_SANITIZER)";
    return;
  }
  for (const auto& tool : part.sanitizers) {
    RunOptions ro;
    // Sanitizers slow kernels down a lot (racecheck most), and start slowly: four times the part's
    // timeout, and never under 300 s, so a short --timeout (CI grades the wrong variants with 20 s)
    // does not turn a clean run into "timed out".
    ro.timeout_s = std::max(4 * o.timeout_s.value_or(m.timeout_s), kSanitizerMinTimeoutS);
    ro.output_file = work_dir + "/sanitizer-" + tool + "-" + part.name + ".log";
    ro.env = {{"AISYS_SEED", std::to_string(seed)}, {"AISYS_LAB", m.id}, {"AISYS_PART", part.name},
              {"AISYS_IMPL", "submission"}, {"AISYS_SMALL_SIZES", "1"}};
    RunResult r = run_process({sanitizer, "--tool", tool, "--error-exitcode", "86", tests_binary,
                               "--gtest_filter=" + part.tests, "--gtest_color=no"}, ro);
    if (r.ok()) continue;
    if (const std::string why = sanitizer_unusable_reason(r.output); !why.empty()) {
      pr.message += "; not checked under compute-sanitizer, which cannot run on this machine (" + why + ")";
      return;
    }
    pr.points = 0;
    pr.output = tail(r.output);
    if (r.exit_code == 86) {
      pr.status = "failed";
      std::string first;
      std::istringstream lines(r.output);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.find("========= ") == 0 && line.find("ERROR SUMMARY") == std::string::npos &&
            line.find("COMPUTE-SANITIZER") == std::string::npos) {
          first = line.substr(10);
          break;
        }
      }
      pr.message = "compute-sanitizer " + tool + " reports errors: " + first;
    } else {
      pr.status = r.timed_out ? "timed out" : "crashed";
      pr.message = "under compute-sanitizer " + tool + " the tests " + r.describe(ro.timeout_s);
    }
    return;
  }
  pr.message += "; clean under compute-sanitizer";
  for (const auto& tool : part.sanitizers) pr.message += " " + tool;
}

namespace {

void run_performance(const Manifest& m, const Part& part, const Workspace& w, const GradeOptions& o,
                     PartResult& pr) {
  const std::string out = w.root + "/bench-" + part.name + ".json";
  const std::string log = w.root + "/bench-" + part.name + ".log";
  RunOptions ro;
  ro.timeout_s = 3 * o.timeout_s.value_or(m.timeout_s);
  ro.memory_mb = part.device == "gpu" ? 0 : m.memory_mb;
  ro.output_file = log;
  ro.env = {{"AISYS_LAB", m.id}, {"AISYS_PART", part.name}};
  // An MPI part's benchmark runs under mpiexec at its (first) process count, one rank per core
  // where there are enough cores.
  std::vector<std::string> cmd;
  if (!part.ranks.empty()) {
    cmd = mpiexec_for_benchmark(part.ranks.front());
    for (const auto& [k, v] : mpi_environment()) ro.env[k] = v;
  }
  for (const std::string& a : std::vector<std::string>{w.bench_binary,
                                  "--aisys_filter=^" + std::regex_replace(part.benchmark, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") + "$",
                                  "--aisys_out=" + out, "--aisys_impl=submission"}) {
    cmd.push_back(a);
  }
  if (part.baseline != "roofline") cmd.push_back("--aisys_no_ceilings");  // not needed to score
  if (o.quick_benchmarks) cmd.push_back("--aisys_quick");
  std::fprintf(stderr, "[lab %s] %s: timing %s against %s...\n", m.id.c_str(), part.name.c_str(), part.benchmark.c_str(), part.baseline.c_str());
  RunResult r = run_process(cmd, ro);
  pr.output = tail(r.output);
  if (r.timed_out || r.signal != 0) {
    pr.status = r.timed_out ? "timed out" : "crashed";
    pr.message = "the benchmark " + r.describe(ro.timeout_s);
    return;
  }
  nlohmann::json results;
  try {
    std::ifstream in(out);
    if (!in) throw std::runtime_error("no results");
    results = nlohmann::json::parse(in);
  } catch (const std::exception&) {
    pr.status = "error";
    pr.message = "the benchmark wrote no results (" + r.describe(ro.timeout_s) + "): " + first_line(r.output);
    return;
  }
  const auto& records = results.value("records", nlohmann::json::array());
  if (records.empty()) {
    pr.status = "error";
    pr.message = "lab.json's benchmark '" + part.benchmark + "' matches no case (a lab.json problem)";
    return;
  }
  const auto& rec = records.front();
  if (rec.contains("error")) {
    pr.status = "failed";
    pr.message = rec["error"].get<std::string>();
    return;
  }
  const bool vs_roofline = part.baseline == "roofline";
  if (vs_roofline && !rec.contains("fraction_of_roofline")) {
    pr.status = "error";
    pr.message = "the benchmark recorded no fraction_of_roofline (were the ceilings measured?)";
    return;
  }
  const double ratio = vs_roofline ? rec["fraction_of_roofline"].get<double>() : rec.value("ratio_to_baseline", 0.0);
  pr.ratio = ratio;
  pr.spread = rec.value("spread", 0.0);
  const std::string arch = part.device == "gpu" ? gpu_arch() : "default";
  const double full = threshold_for(part.full_at, arch), zero = threshold_for(part.zero_at, arch);
  const double fraction = std::clamp((ratio - zero) / (full - zero), 0.0, 1.0);
  pr.points = std::round(part.points * fraction * 100.0) / 100.0;
  pr.status = "measured";
  std::ostringstream msg;
  msg.precision(3);
  msg << "ratio to " << part.baseline << " " << ratio << " (spread " << *pr.spread * 100 << "%, "
      << rec.value("pairs", 0) << " pairs); full marks at " << full << ", zero at " << zero;
  if (*pr.spread > 0.10) {
    msg << (part.metric.empty() ? "; noisy machine: the spread stayed above 10% after a re-run"
                                : "; the ratio varies across the generated inputs (spread above 10%)");
  }
  // The benchmark's context says when OpenBLAS ran kernels older than this CPU (baselines.hpp):
  // the grade stands, but the ratio is against a handicapped baseline, and the report says so.
  const auto openblas = results.value("context", nlohmann::json::object())
                            .value("baselines", nlohmann::json::object())
                            .value("openblas", nlohmann::json::object());
  if (part.baseline.rfind("openblas", 0) == 0 && openblas.value("handicapped", false)) {
    msg << "; the OpenBLAS baseline is handicapped on this machine (" << openblas.value("kernel_isa", std::string("older"))
        << " kernels on a CPU with " << openblas.value("cpu_isa", std::string("newer instructions")) << ")";
  }
  pr.message = msg.str();
}

}  // namespace

std::string baseline_not_built_reason(const std::string& baseline) {
  if (baseline == "openblas" && !config::kHaveOpenBlas) return "the OpenBLAS baseline is not built here";
  if (baseline == "onednn" && !aisys::baselines::have_onednn()) return "the oneDNN baseline is not built here";
  return "";
}

namespace {
constexpr const char* kCpuLacks = "this CPU lacks ";
constexpr const char* kNoCudaBuild = "this build has no CUDA";
constexpr const char* kBuildLacks = "this build lacks ";
}  // namespace

std::string missing_library_reason(const Part& part) {
  for (const auto& library : part.needs) {
    if (library == "openblas" && !config::kHaveOpenBlas) {
      return std::string(kBuildLacks) + "OpenBLAS, which this part needs (on the plain fallback loops its matmuls would " +
             "outlast the part's timeout): install libopenblas-dev (ci/install-deps.sh does it) and reconfigure";
    }
  }
  return "";
}

SkipCause skip_cause(const PartResult& p) {
  if (p.status != "skipped") return SkipCause::kNone;
  if (p.message.rfind(kCpuLacks, 0) == 0) return SkipCause::kCpuLacksFeature;
  if (p.message.rfind(kNoCudaBuild, 0) == 0) return SkipCause::kNoCudaBuild;
  if (p.message.rfind(kBuildLacks, 0) == 0) return SkipCause::kLibraryNotBuilt;
  if (p.message.rfind("the ", 0) == 0 && p.message.find(" baseline is not built here") != std::string::npos) {
    return SkipCause::kBaselineNotBuilt;
  }
  return SkipCause::kNone;
}

void require_lab_in_this_build(const Manifest& m) {
  if (std::find(m.needs.begin(), m.needs.end(), "mpi") != m.needs.end() && !*config::kMpiexec) {
    throw GradingError("lab " + m.id + " needs MPI, which this build lacks, so it is not built: install "
                       "libopenmpi-dev and openmpi-bin (ci/install-deps.sh does it) and reconfigure");
  }
}

GradeResult grade(const GradeOptions& o) {
  Manifest m;
  try {
    m = load_manifest(o.lab_dir);
  } catch (const ManifestError& e) {
    throw GradingError(e.what());
  }
  require_lab_in_this_build(m);
  GradeResult result;
  result.lab = m.id;
  result.slug = m.slug;
  result.title = m.title;
  result.version = m.version;
  const auto lab_ctx = aisys::context::lab(o.lab_dir);
  result.include_hash = lab_ctx.value("include_hash", "");
  result.submission = o.submission_name.empty() ? o.submission_dir : o.submission_name;
  const auto machine = aisys::context::machine(config::kSourceDir);
  result.platform_commit = machine.value("commit", "unknown");
  result.date = machine.value("date", "");
  result.host = machine.value("host", "");
  if (o.seed) {
    result.seed = *o.seed;
  } else {
    std::random_device rd;
    result.seed = ((static_cast<std::uint64_t>(rd()) << 20) ^ rd()) % 1000000000ull;
  }
  std::fprintf(stderr, "[lab %s] grading %s (seed %llu)\n", m.id.c_str(), result.submission.c_str(),
               static_cast<unsigned long long>(result.seed));
  Workspace w = prepare_workspace(m, o, result);
  // The tree goes when grading ends, by a throw too (a platform build failure in a batch would
  // otherwise leave one tree per submission), unless --keep asked for it.
  struct RemoveTree {
    const std::string& root;
    bool keep;
    ~RemoveTree() {
      std::error_code ec;
      if (!keep) fs::remove_all(root, ec);
    }
  } remove_tree{w.root, o.keep_work};
  std::fprintf(stderr, "[lab %s] building in %s\n", m.id.c_str(), w.root.c_str());
  build_workspace(m, w, result, o.verbose);

  // Allow-list over the objects of files that are the student's own (not fallbacks).
  for (const auto& obj : w.student_objects) {
    if (obj.fallback) continue;
    for (const auto& object_file : obj.objects) {
      for (const auto& sym : disallowed(undefined_symbols(object_file), m.allowed_symbols)) {
        result.disallowed_symbols.push_back(obj.file + ": " + sym);
      }
    }
  }

  const bool have_gpu = aisys::gpu_available();
  // Correctness parts first: performance parts depend on them.
  std::vector<const Part*> order;
  for (const auto& p : m.parts) if (p.kind == "correctness") order.push_back(&p);
  for (const auto& p : m.parts) if (p.kind == "performance") order.push_back(&p);
  std::map<std::string, PartResult> by_name;
  for (const Part* part : order) {
    PartResult pr;
    pr.name = part->name;
    pr.kind = part->kind;
    pr.device = part->device;
    pr.max_points = part->points;
    std::fprintf(stderr, "[lab %s] part %s...\n", m.id.c_str(), part->name.c_str());
    const auto part_start = std::chrono::steady_clock::now();
    std::string missing_feature;
    for (const auto& f : part->cpu_features) {
      try {
        if (!aisys::cpu_has(f)) missing_feature = f;
      } catch (const std::exception&) {
        missing_feature = f + " (unknown feature name in lab.json)";
      }
    }
    if (part->device == "gpu" && !have_gpu) {
      pr.status = "skipped";
      pr.message = "no GPU here: " + aisys::gpu_unavailable_reason();
    } else if (part->needs_cuda_build && !config::kHaveCuda) {
      pr.status = "skipped";
      pr.message = std::string(kNoCudaBuild) + " (nvcc was not found when the platform was configured)";
    } else if (!missing_feature.empty()) {
      pr.status = "skipped";
      pr.message = kCpuLacks + missing_feature;
    } else if (const std::string missing = missing_library_reason(*part); !missing.empty()) {
      pr.status = "skipped";
      pr.message = missing;
    } else if (part->kind == "correctness") {
      run_correctness(m, *part, w, o, result.seed, pr);
      if (pr.status == "passed" && !part->sanitizers.empty()) {
        run_sanitizers(m, *part, w.tests_binary, w.root, o, result.seed, pr);
      }
    } else {
      std::string unmet;
      for (const auto& req : part->requires_parts) {
        const auto it = by_name.find(req);
        const bool ok = it != by_name.end() &&
                        (it->second.status == "passed" ||
                         skip_cause(it->second) == SkipCause::kCpuLacksFeature);
        if (!ok) unmet += (unmet.empty() ? "" : ", ") + req + (it != by_name.end() ? " (" + it->second.status + ")" : "");
      }
      if (!unmet.empty()) {
        pr.status = "zeroed";
        pr.message = "requires " + unmet + ": a fast wrong kernel earns nothing";
      } else if (!result.disallowed_symbols.empty()) {
        pr.status = "zeroed";
        pr.message = "disallowed symbol " + result.disallowed_symbols.front() + " (performance parts score 0)";
      } else if (const std::string why = baseline_not_built_reason(part->baseline); !why.empty()) {
        pr.status = "skipped";
        pr.message = why;
      } else {
        run_performance(m, *part, w, o, pr);
      }
    }
    pr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - part_start).count();
    std::fprintf(stderr, "[lab %s] part %s: %s %.4g/%.4g (%.1f s)  %s\n", m.id.c_str(), part->name.c_str(),
                 pr.status.c_str(), pr.points, pr.max_points, pr.seconds, pr.message.c_str());
    by_name[pr.name] = pr;
  }
  for (const auto& p : m.parts) result.parts.push_back(by_name.at(p.name));
  if (o.keep_work) result.warnings.push_back("work tree kept in " + w.root);
  return result;
}

}  // namespace aisys::grader
