// aisys/harness/bench.hpp: benchmark cases (a candidate paired with its baseline) and the timing
// policy every lab's benchmark binary shares (its main is harness/src/bench_main.cpp).
//
// A Case is one candidate at one shape, paired with one baseline doing the same arithmetic on the
// same inputs. The bench main, for each selected case:
//   1. builds the fixture (fresh random inputs from a seed the candidate never sees; input sets
//      rotated when one set would fit in the last-level cache),
//   2. runs candidate and baseline once each and checks both outputs (a wrong baseline aborts the
//      case; a wrong candidate is recorded as "wrong output" and not timed),
//   3. times `pairs` interleaved pairs (candidate then baseline, then baseline then candidate, ...),
//      each side timed by Google Benchmark for at least `min_time` seconds,
//   4. checks the outputs of the last timed calls again (anti-gaming),
//   5. reports r_i = t_baseline,i / t_candidate,i (for a metric case: baseline / candidate when
//      lower is better, candidate / baseline when higher is): ratio_to_baseline = median(r_i) and
//      spread = IQR(r_i) / median(r_i); when spread > 10% the case is measured once more and the
//      measurement with the smaller spread is kept (`reruns` counts it),
// all under a machine-wide lock so that two runs on one machine never time each other.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace aisys::bench {

// What a case runs. Implementations own inputs and outputs.
class Fixture {
 public:
  virtual ~Fixture() = default;
  virtual void run_candidate() = 0;  // one call on the next rotated input set
  virtual void run_baseline() = 0;
  // Checks the output of the most recent call of each side; returns "" when right, else why not.
  virtual std::string check_candidate() = 0;
  virtual std::string check_baseline() = 0;
  // GPU work (Case::manual_time): one call each, returning its seconds as measured on the device
  // (CUDA events around the work on the fixture's stream: see cuda_timer.hpp), not the wall clock.
  virtual double timed_candidate() {
    run_candidate();
    return -1;
  }
  virtual double timed_baseline() {
    run_baseline();
    return -1;
  }
  // A case scored by another metric (Case::metric): one evaluation each (e.g. the average job
  // completion time of a simulated trace, the bubble fraction of a schedule).
  virtual double candidate_metric() { return 0; }
  virtual double baseline_metric() { return 0; }
  // Anything else worth keeping with the record (called once, after measuring; null: nothing):
  // e.g. a simulation's whole metric table, JCT distribution and time series for the report.
  virtual nlohmann::json details() { return nullptr; }
};

// A non-time metric: name ("avg_jct"), unit ("s"), better ("lower" | "higher").
struct Metric {
  std::string name, unit, better;
};

struct Case {
  std::string lab;          // "01"
  std::string part;         // "cpu/microkernel": the stage measured (a lab.json part names a case)
  std::string name;         // "cpu/microkernel/1024": unique; what --aisys_filter matches
  std::string group;        // plot group: "square", "llm-k4096"
  double x = 0;             // plot x value (e.g. the size)
  std::string x_label;      // "M = N = K"
  nlohmann::json shape;     // {"M": 1024, "N": 1024, "K": 1024}
  int threads = 1;          // threads the candidate uses (1, or all cores)
  double flops = 0;         // floating-point operations per call (2 M N K for GEMM)
  double bytes = 0;         // compulsory memory traffic per call, for the roofline
  std::string baseline;     // "openblas"
  bool manual_time = false; // GPU work: Google Benchmark manual time from Fixture::timed_*()
  Metric metric;            // set (name non-empty): scored by this metric instead of time; the
                            // ratio is oriented so that higher is better
  std::function<std::unique_ptr<Fixture>()> make_fixture;
  // Cases that run on another device (a GPU): its roofline as {peak GFLOP/s, bandwidth GB/s},
  // measured there (see gpu_ceilings.hpp); empty for CPU cases, which use this CPU's ceilings.
  std::function<std::pair<double, double>()> device_roof;
};

// Adds device-specific entries to the results context (GPU name, driver, cuBLAS version, GPU
// ceilings) when a selected case has a device_roof. `quick` as in --aisys_quick.
void register_context_provider(std::function<void(nlohmann::json& context, bool quick)> provider);

// Registers a case (call before main, e.g. from a static initializer, or from a registration
// function the lab's benchmark file runs at start-up).
void register_case(Case c);

// The exit code of a benchmark binary whose --aisys_filter selected no case (every lab's, the
// Google Benchmark mains and the MPI ones alike), so that `aisys report --filter` can pass over
// the labs a filter does not concern and still stop on a real error.
inline constexpr int kExitNoCaseMatches = 4;

// Runs the registered cases; argc/argv hold --aisys_* flags (see bench_runner.cpp). Returns the
// exit code: 0 when every case was measured, 1 when some case failed (wrong output, exception),
// 2 on bad flags, kExitNoCaseMatches when the filter selects nothing. `impl` (skeleton, reference, submission) and `lab_source_dir` (labs/NN-slug)
// go into the results; lab benchmark binaries get them from aisys::bench_main's main().
int run_benchmarks(int argc, char** argv, const char* impl, const char* lab_source_dir);

}  // namespace aisys::bench
