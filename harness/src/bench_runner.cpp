// The benchmark runner behind every lab's benchmark binary (aisys/harness/bench.hpp): case
// registry, interleaved candidate/baseline pairs timed by Google Benchmark, checks of timed
// outputs, the machine-wide lock, the results JSON.
//
// Flags (everything else goes to Google Benchmark):
//   --aisys_list                 print the cases and exit
//   --aisys_filter=REGEX         cases whose name matches (ECMAScript, search); default: all
//   --aisys_out=FILE             write results JSON (schema aisys.results/1) to FILE (atomically)
//   --aisys_pairs=N              interleaved pairs per case (default 10)
//   --aisys_min_time=S           minimum seconds per timed side of a pair (default 0.05)
//   --aisys_quick                3 pairs, 0.01 s, short ceilings: for CI smoke runs
//   --aisys_no_ceilings          skip the roofline microbenchmarks
//   --aisys_impl=NAME            impl recorded in each record (default: the build's)
//   --aisys_command=TEXT         the command recorded in the context
#include "aisys/harness/bench.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "aisys/harness/baselines.hpp"
#include "aisys/harness/ceilings.hpp"
#include "aisys/harness/context.hpp"
#include "aisys/kernels/device.hpp"

#ifndef AISYS_SOURCE_DIR
#define AISYS_SOURCE_DIR "."
#endif

namespace aisys::bench {

namespace {

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

std::vector<std::function<void(nlohmann::json&, bool)>>& context_providers() {
  static std::vector<std::function<void(nlohmann::json&, bool)>> providers;
  return providers;
}

struct Options {
  bool list = false;
  std::string filter;
  std::string out;
  int pairs = 10;
  double min_time = 0.05;
  bool quick = false;
  bool ceilings = true;
  std::string impl;
  std::string command;
};

// Captures the per-repetition runs Google Benchmark reports (nothing printed).
class CaptureReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type != Run::RT_Iteration) continue;
      if (r.error_occurred) {
        error = r.error_message;
        continue;
      }
      if (r.iterations > 0) seconds_per_call.push_back(r.real_accumulated_time / static_cast<double>(r.iterations));
    }
  }
  std::vector<double> seconds_per_call;
  std::string error;
};

// The fixture of the case being measured, and which side the registered benchmarks call.
Fixture* g_fixture = nullptr;
std::string g_failure;

void candidate_benchmark(benchmark::State& state) {
  for (auto _ : state) g_fixture->run_candidate();
}
void baseline_benchmark(benchmark::State& state) {
  for (auto _ : state) g_fixture->run_baseline();
}
// GPU work: the iteration's time is what the device measured (CUDA events), not the wall clock.
template <double (Fixture::*kTimed)(), const char* kName>
void manual_time_benchmark(benchmark::State& state) {
  for (auto _ : state) {
    const double s = (g_fixture->*kTimed)();
    if (s < 0) {
      state.SkipWithError((std::string(kName) + "() is not implemented by this fixture").c_str());
      break;
    }
    state.SetIterationTime(s);
  }
}
constexpr char kTimedCandidate[] = "timed_candidate";
constexpr char kTimedBaseline[] = "timed_baseline";
constexpr auto candidate_benchmark_manual = manual_time_benchmark<&Fixture::timed_candidate, kTimedCandidate>;
constexpr auto baseline_benchmark_manual = manual_time_benchmark<&Fixture::timed_baseline, kTimedBaseline>;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// One timed side: returns seconds per call, or a negative value on error (g_failure set).
double time_side(const std::string& bench_name) {
  CaptureReporter reporter;
  // Google Benchmark appends "/real_time", "/repeats:1" to registered names.
  benchmark::RunSpecifiedBenchmarks(&reporter, "^" + bench_name + "(/.*)?$");
  if (!reporter.error.empty() || reporter.seconds_per_call.empty()) {
    g_failure = reporter.error.empty() ? "benchmark did not run" : reporter.error;
    return -1;
  }
  return reporter.seconds_per_call.front();
}

struct Measurement {
  std::vector<double> candidate_s, baseline_s, ratios;
  double ratio = 0, spread = 0;
};

std::string escape_regex(const std::string& s) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(s, special, R"(\$&)");
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Measurement measure_pairs(const Case& c, const Options& opt, double elapsed_start) {
  Measurement m;
  const std::string cand = escape_regex(c.name) + "/candidate";
  const std::string base = escape_regex(c.name) + "/baseline";
  for (int p = 0; p < opt.pairs; ++p) {
    const bool candidate_first = p % 2 == 0;
    double tc = 0, tb = 0;
    if (candidate_first) {
      tc = time_side(cand);
      tb = time_side(base);
    } else {
      tb = time_side(base);
      tc = time_side(cand);
    }
    if (tc <= 0 || tb <= 0) return m;
    m.candidate_s.push_back(tc);
    m.baseline_s.push_back(tb);
    m.ratios.push_back(tb / tc);
    // Progress (lab, case, pair, elapsed) on a terminal; logs get one line per case instead.
    if (::isatty(STDERR_FILENO)) {
      std::fprintf(stderr, "\r[lab %s] %-32s pair %2d/%d  ratio %.3f  elapsed %.1fs   ", c.lab.c_str(),
                   c.name.c_str(), p + 1, opt.pairs, tb / tc, now_s() - elapsed_start);
      std::fflush(stderr);
    }
  }
  m.ratio = median(m.ratios);
  m.spread = m.ratio > 0 ? (quantile(m.ratios, 0.75) - quantile(m.ratios, 0.25)) / m.ratio : 0;
  return m;
}

// A case scored by a metric: `pairs` evaluations of each side, interleaved; r_i oriented so that
// higher is better.
nlohmann::json measure_metric_case(const Case& c, const Options& opt, Fixture& fixture,
                                   nlohmann::json rec) {
  std::vector<double> cand, base, ratios;
  for (int p = 0; p < opt.pairs; ++p) {
    const double vc = fixture.candidate_metric();
    const double vb = fixture.baseline_metric();
    cand.push_back(vc);
    base.push_back(vb);
    const bool lower_is_better = c.metric.better == "lower";
    const double num = lower_is_better ? vb : vc, den = lower_is_better ? vc : vb;
    if (!(den > 0)) {
      rec["error"] = "metric " + c.metric.name + " is not positive, so no ratio can be formed";
      return rec;
    }
    ratios.push_back(num / den);
  }
  const double ratio = median(ratios);
  rec["metric"] = {{"name", c.metric.name}, {"value", median(cand)}, {"unit", c.metric.unit},
                   {"better", c.metric.better}};
  rec["baseline"] = {{"name", c.baseline}, {"metric_value", median(base)}};
  rec["ratio_to_baseline"] = ratio;
  rec["spread"] = ratio > 0 ? (quantile(ratios, 0.75) - quantile(ratios, 0.25)) / ratio : 0.0;
  rec["pairs"] = static_cast<int>(ratios.size());
  rec["reruns"] = 0;
  rec["ratios"] = ratios;
  if (auto d = fixture.details(); !d.is_null()) rec["details"] = std::move(d);
  return rec;
}

nlohmann::json measure_case(const Case& c, const Options& opt, const ceilings::Ceilings* ceil) {
  nlohmann::json rec;
  rec["lab"] = c.lab;
  rec["part"] = c.part;
  rec["impl"] = opt.impl;
  rec["case"] = c.name;
  rec["group"] = c.group;
  rec["x"] = c.x;
  rec["x_label"] = c.x_label;
  rec["shape"] = c.shape;
  rec["threads"] = c.threads;
  const double start = now_s();
  std::unique_ptr<Fixture> fixture;
  const char* stage = "setting up the case";  // what threw, for the error
  try {
    fixture = c.make_fixture();
    g_fixture = fixture.get();
    // Check before timing: the baseline first (a wrong baseline makes every ratio meaningless).
    stage = "the baseline";
    fixture->run_baseline();
    if (auto err = fixture->check_baseline(); !err.empty()) {
      rec["error"] = "baseline " + c.baseline + " " + err;
      return rec;
    }
    stage = "the candidate";
    fixture->run_candidate();
    if (auto err = fixture->check_candidate(); !err.empty()) {
      rec["error"] = "candidate " + err;
      return rec;
    }
  } catch (const std::exception& e) {
    rec["error"] = std::string(stage) + " threw: " + e.what();
    return rec;
  }
  g_failure.clear();
  if (!c.metric.name.empty()) return measure_metric_case(c, opt, *fixture, std::move(rec));
  Measurement m;
  int reruns = 0;
  try {
    m = measure_pairs(c, opt, start);
    if (!m.ratios.empty() && m.spread > 0.10) {
      ++reruns;
      Measurement again = measure_pairs(c, opt, start);
      if (!again.ratios.empty() && again.spread < m.spread) m = again;
    }
  } catch (const std::exception& e) {
    g_failure = std::string("a timed call threw: ") + e.what();
  }
  if (::isatty(STDERR_FILENO)) std::fprintf(stderr, "\n");
  else std::fprintf(stderr, "[lab %s] %s: %zu pairs, %d re-runs, %.1fs\n", c.lab.c_str(), c.name.c_str(), m.ratios.size(), reruns, now_s() - start);
  if (m.ratios.empty()) {
    rec["error"] = g_failure.empty() ? "not measured" : g_failure;
    return rec;
  }
  // Check the outputs of the timed calls too.
  if (auto err = fixture->check_candidate(); !err.empty()) {
    rec["error"] = "candidate (timed run) " + err;
    return rec;
  }
  if (auto err = fixture->check_baseline(); !err.empty()) {
    rec["error"] = "baseline " + c.baseline + " (timed run) " + err;
    return rec;
  }
  const double tc = median(m.candidate_s), tb = median(m.baseline_s);
  rec["time_s"] = tc;
  rec["spread"] = m.spread;
  rec["pairs"] = static_cast<int>(m.ratios.size());
  rec["reruns"] = reruns;
  rec["ratios"] = m.ratios;
  if (c.flops > 0) {
    rec["rate"] = {{"value", c.flops / tc * 1e-9}, {"unit", "GFLOP/s"}};
  }
  rec["baseline"] = {{"name", c.baseline}, {"time_s", tb}};
  if (c.flops > 0) rec["baseline"]["rate"] = {{"value", c.flops / tb * 1e-9}, {"unit", "GFLOP/s"}};
  rec["ratio_to_baseline"] = m.ratio;
  if (c.device_roof && c.flops > 0) {
    const auto [peak_gflops, bandwidth_gbs] = c.device_roof();
    const double t_compute = peak_gflops > 0 ? c.flops / (peak_gflops * 1e9) : 0;
    const double t_memory = bandwidth_gbs > 0 ? c.bytes / (bandwidth_gbs * 1e9) : 0;
    const double roof_time = std::max(t_compute, t_memory);
    if (roof_time > 0) {
      rec["roofline"] = {{"time_s", roof_time},
                         {"rate", {{"value", c.flops / roof_time * 1e-9}, {"unit", "GFLOP/s"}}},
                         {"bound", t_memory > t_compute ? "memory" : "compute"}};
      rec["fraction_of_roofline"] = roof_time / tc;
    }
  } else if (ceil != nullptr && c.flops > 0) {
    const auto roof = ceilings::roofline(*ceil, c.flops, c.bytes, c.threads);
    if (roof.time_s > 0) {
      rec["roofline"] = {{"time_s", roof.time_s},
                         {"rate", {{"value", c.flops / roof.time_s * 1e-9}, {"unit", "GFLOP/s"}}},
                         {"bound", roof.bound}};
      rec["fraction_of_roofline"] = roof.time_s / tc;
    }
  }
  try {
    if (auto d = fixture->details(); !d.is_null()) rec["details"] = std::move(d);
  } catch (const std::exception& e) {
    rec["details"] = {{"error", e.what()}};
  }
  return rec;
}

// Machine-wide lock: two benchmark runs (or graders) on one machine never time each other.
int acquire_lock() {
  const char* dir = std::getenv("AISYS_LOCK_DIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/aisys-bench.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::fprintf(stderr, "aisys: waiting for another benchmark run on this machine (%s)...\n", path.c_str());
    ::flock(fd, LOCK_EX);
  }
  return fd;
}

bool write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    if (!out) return false;
    out << text;
    if (!out.flush()) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

bool parse_options(int argc, char** argv, Options& opt, std::vector<char*>& rest) {
  rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&a](const char* key) -> const char* {
      const std::size_t n = std::strlen(key);
      return a.compare(0, n, key) == 0 ? a.c_str() + n : nullptr;
    };
    try {
      const char* v = nullptr;
      if (a == "--aisys_list") opt.list = true;
      else if ((v = value("--aisys_filter="))) opt.filter = v;
      else if ((v = value("--aisys_out="))) opt.out = v;
      else if ((v = value("--aisys_pairs="))) opt.pairs = std::max(1, std::stoi(v));
      else if ((v = value("--aisys_min_time="))) opt.min_time = std::stod(v);
      else if (a == "--aisys_quick") opt.quick = true;
      else if (a == "--aisys_no_ceilings") opt.ceilings = false;
      else if ((v = value("--aisys_impl="))) opt.impl = v;
      else if ((v = value("--aisys_command="))) opt.command = v;
      else if (a.rfind("--aisys_", 0) == 0) {
        std::fprintf(stderr, "aisys bench: unknown flag %s\n", a.c_str());
        return false;
      } else rest.push_back(argv[i]);
    } catch (const std::exception&) {
      std::fprintf(stderr, "aisys bench: bad value in %s\n", a.c_str());
      return false;
    }
  }
  if (opt.quick) {
    opt.pairs = std::min(opt.pairs, 3);
    opt.min_time = std::min(opt.min_time, 0.01);
  }
  return true;
}

}  // namespace

void register_case(Case c) { registry().push_back(std::move(c)); }

void register_context_provider(std::function<void(nlohmann::json&, bool)> provider) {
  context_providers().push_back(std::move(provider));
}

int run_benchmarks(int argc, char** argv, const char* impl, const char* lab_source_dir) {
  // Two multithreaded codes timed in turns must not spin on each other's cores: the OpenMP runtime
  // reads OMP_WAIT_POLICY when it loads, so set it and start again.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "passive", 1);
    ::execv("/proc/self/exe", argv);  // on failure, go on without it
  }
  Options opt;
  opt.impl = impl != nullptr ? impl : "unknown";
  std::vector<char*> rest;
  if (!parse_options(argc, argv, opt, rest)) return 2;
  std::vector<const Case*> selected;
  std::regex filter;
  try {
    filter = std::regex(opt.filter.empty() ? std::string(".*") : opt.filter);
  } catch (const std::regex_error& e) {
    std::fprintf(stderr, "aisys bench: --aisys_filter=%s is not a valid regular expression\n", opt.filter.c_str());
    return 2;
  }
  for (const auto& c : registry()) {
    if (std::regex_search(c.name, filter)) selected.push_back(&c);
  }
  if (opt.list) {
    for (const auto* c : selected) std::printf("%s\tpart=%s\tthreads=%d\tbaseline=%s\n", c->name.c_str(), c->part.c_str(), c->threads, c->baseline.c_str());
    return 0;
  }
  if (selected.empty()) {
    std::fprintf(stderr, "aisys bench: no case matches --aisys_filter=%s (try --aisys_list)%s\n", opt.filter.c_str(),
                 aisys::gpu_available() ? "" : ("; GPU cases are registered only where a GPU is present, and here there is none: " + aisys::gpu_unavailable_reason()).c_str());
    return kExitNoCaseMatches;
  }
  // Google Benchmark: one benchmark per side per case, run one at a time by measure_pairs().
  const std::string min_time_flag = "--benchmark_min_time=" + std::to_string(opt.min_time);
  rest.push_back(const_cast<char*>(min_time_flag.c_str()));
  int gb_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&gb_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(gb_argc, rest.data())) return 2;
  for (const auto* c : selected) {
    if (!c->metric.name.empty()) continue;  // not timed
    if (c->manual_time) {
      benchmark::RegisterBenchmark((c->name + "/candidate").c_str(), candidate_benchmark_manual)->UseManualTime()->Repetitions(1);
      benchmark::RegisterBenchmark((c->name + "/baseline").c_str(), baseline_benchmark_manual)->UseManualTime()->Repetitions(1);
    } else {
      benchmark::RegisterBenchmark((c->name + "/candidate").c_str(), candidate_benchmark)->UseRealTime()->Repetitions(1);
      benchmark::RegisterBenchmark((c->name + "/baseline").c_str(), baseline_benchmark)->UseRealTime()->Repetitions(1);
    }
  }

  const int lock = acquire_lock();
  nlohmann::json results;
  results["schema"] = "aisys.results/1";
  auto ctx = context::machine(AISYS_SOURCE_DIR);
  if (lab_source_dir != nullptr && *lab_source_dir != 0) ctx.update(context::lab(lab_source_dir));
  ctx["baselines"] = {{"openblas", baselines::openblas_info()}};
  if (ctx["baselines"]["openblas"].value("handicapped", false)) {
    std::fprintf(stderr, "aisys bench: warning: %s\n",
                 ctx["baselines"]["openblas"].value("handicap", std::string()).c_str());
  }
  if (!opt.command.empty()) ctx["command"] = opt.command;
  ctx["timing"] = {{"pairs", opt.pairs}, {"min_time_s", opt.min_time}, {"rerun_spread", 0.10},
                   {"omp_wait_policy", std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : ""}};
  const ceilings::Ceilings* ceil = nullptr;
  if (opt.ceilings) {
    std::fprintf(stderr, "aisys bench: measuring the machine's ceilings (FMA peak, stream bandwidth)...\n");
    ceil = &ceilings::measure(opt.quick);
    ctx["ceilings"] = ceilings::to_json(*ceil);
  }
  const bool device_cases = std::any_of(selected.begin(), selected.end(), [](const Case* c) { return static_cast<bool>(c->device_roof); });
  if (device_cases) {
    for (const auto& provider : context_providers()) provider(ctx, opt.quick);
  }
  results["context"] = ctx;
  results["records"] = nlohmann::json::array();
  // The file is written after every case, marked incomplete in its context until the last write,
  // so a run stopped at a time limit keeps what it measured (and says that it stopped).
  const auto write_results = [&](bool complete) {
    if (opt.out.empty()) return true;
    if (complete) {
      results["context"].erase("incomplete");
    } else {
      results["context"]["incomplete"] = {
          {"cases_done", results["records"].size()},
          {"cases_selected", selected.size()},
          {"why", "written while the benchmark runs: it stopped before its last case (killed, or at a time limit)"}};
    }
    return write_atomically(opt.out, results.dump(2) + "\n");
  };
  int errors = 0;
  for (const auto* c : selected) {
    auto rec = measure_case(*c, opt, ceil);
    if (rec.contains("error")) {
      ++errors;
      std::fprintf(stderr, "[lab %s] %s: %s\n", c->lab.c_str(), c->name.c_str(), rec["error"].get<std::string>().c_str());
    } else if (rec.contains("metric")) {
      std::printf("%-34s %s %.4g %s  baseline %.4g  ratio %.3f (spread %.1f%%)\n", c->name.c_str(),
                  c->metric.name.c_str(), rec["metric"]["value"].get<double>(), c->metric.unit.c_str(),
                  rec["baseline"]["metric_value"].get<double>(), rec["ratio_to_baseline"].get<double>(),
                  rec["spread"].get<double>() * 100);
    } else {
      std::printf("%-34s %9.3f ms  %8.1f GFLOP/s  baseline %8.1f GFLOP/s  ratio %.3f (spread %.1f%%)%s\n",
                  c->name.c_str(), rec["time_s"].get<double>() * 1e3,
                  rec.contains("rate") ? rec["rate"]["value"].get<double>() : 0.0,
                  rec["baseline"].contains("rate") ? rec["baseline"]["rate"]["value"].get<double>() : 0.0,
                  rec["ratio_to_baseline"].get<double>(), rec["spread"].get<double>() * 100,
                  rec.contains("fraction_of_roofline")
                      ? (", " + std::to_string(static_cast<int>(std::lround(rec["fraction_of_roofline"].get<double>() * 100))) + "% of roofline").c_str()
                      : "");
    }
    std::fflush(stdout);
    results["records"].push_back(std::move(rec));
    if (results["records"].size() < selected.size()) (void)write_results(false);
  }
  if (lock >= 0) ::close(lock);
  if (!write_results(true)) {
    std::fprintf(stderr, "aisys bench: cannot write %s\n", opt.out.c_str());
    return 2;
  }
  return errors == 0 ? 0 : 1;
}

}  // namespace aisys::bench
