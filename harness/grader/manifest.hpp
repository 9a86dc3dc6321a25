// The lab manifest (labs/NN-slug/lab.json), parsed and validated. Every error names the file and
// the field ("labs/01-matmul/lab.json: parts[3].full_at: expected a number or an object of
// numbers per GPU architecture"). Schema 1:
//   schema (1), version, id ("01"), slug, title, student_files (relative to skeleton/, CUDA
//   sources under cuda/), allowed_symbols (demangled glob patterns), timeout_s, memory_mb,
//   parts: [{name, kind: correctness|performance, points, device: cpu|gpu, cpu_features: [...],
//            requires: [part names], file (the student file it grades, optional),
//            build: "cuda" (a part whose code is compiled only where nvcc exists: skipped in a
//            build without CUDA even when it runs on the CPU), sanitize: [compute-sanitizer tools
//            the part's tests also run under on a GPU: memcheck, racecheck, synccheck, initcheck],
//            correctness: tests (GoogleTest filter),
//            performance: benchmark (case name), baseline (the case's baseline, scored by
//            ratio_to_baseline; or "roofline": scored by the fraction of the measured roofline,
//            e.g. a tensor-core stage against the mma.sync peak), full_at, zero_at (numbers, or objects
//            keyed by GPU architecture "sm_90" with a "default"), metric + better (a part measured
//            by something other than time: the ratio is then oriented so higher is better)}]
//   A part may say "needs": ["openblas"]: a build without that library skips it, saying why (a part
//   whose CPU matmuls would outlast its timeout on the plain fallback loops).
//   A field the schema does not list is an error (with the nearest known name), as is a
//   cpu_features name cpu_has() does not know; "description" is allowed at both levels, for people.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace aisys::grader {

struct Part {
  std::string name;
  std::string kind;    // "correctness" | "performance"
  double points = 0;
  std::string device;  // "cpu" | "gpu"
  std::vector<std::string> cpu_features;
  std::vector<std::string> requires_parts;
  std::string file;
  std::string tests;      // correctness
  std::string benchmark;  // performance
  std::string baseline;
  std::map<std::string, double> full_at;  // key "default" or an architecture "sm_90"
  std::map<std::string, double> zero_at;
  std::string metric;
  std::string better;  // "higher" | "lower"
  bool needs_cuda_build = false;       // "build": "cuda": its code exists only where nvcc does
  std::vector<std::string> sanitizers;  // "sanitize": ["racecheck", "memcheck", ...] on a GPU
  std::vector<std::string> needs;  // "needs": ["openblas"]: skipped, saying so, in a build without it
  std::vector<int> ranks;  // "ranks": [1, 2, 4]: run the tests (or the benchmark) under mpiexec
                           // once per process count; all must pass (needs an MPI build)
};

struct Manifest {
  std::string path;  // lab.json
  std::string lab_dir;
  int schema = 1;
  std::string version, id, slug, title;
  std::vector<std::string> student_files;
  std::vector<std::string> allowed_symbols;
  std::vector<std::string> needs;  // "needs": ["mpi"]: built and graded only where MPI was found
  double timeout_s = 120;
  long memory_mb = 4096;
  std::vector<Part> parts;

  const Part* part(const std::string& name) const;
  double total_points() const;
};

class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and validates; throws ManifestError naming the file and field.
Manifest load_manifest(const std::string& lab_dir);
Manifest parse_manifest(const nlohmann::json& j, const std::string& path);

// Threshold for an architecture ("sm_90"), falling back to "default".
double threshold_for(const std::map<std::string, double>& t, const std::string& arch);

}  // namespace aisys::grader
