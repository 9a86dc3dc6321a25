// The autograder: grades one submission of one lab (DESIGN.md, "Grading").
//
//   1. copies only the student files named in lab.json into a clean tree (missing files are graded
//      as the skeleton's, extra files are ignored with a warning), with the lab's tests, benchmarks
//      and the hidden tests where this tree has them;
//   2. builds just the lab against the already-built platform; a student file that does not
//      compile is replaced by the skeleton's (its parts lose their points, the compiler output is
//      shown);
//   3. checks the student objects' undefined symbols (`nm -u`, demangled) against lab.json's
//      allowed_symbols; a hit zeroes the performance parts and names the symbol;
//   4. runs each part in its own process with a timeout and a memory limit: correctness parts run
//      their GoogleTest filter, performance parts their benchmark case against the baseline
//      (points interpolated between zero_at and full_at, only when the parts they require pass);
//      GPU parts without a GPU and parts needing CPU features this machine lacks are skipped.
// Grading "ran" whatever the score: the CLI exits 0 then.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest.hpp"

namespace aisys::grader {

struct GradeOptions {
  std::string lab_dir;              // labs/NN-slug
  std::string submission_dir;       // the student's files (default: the lab's skeleton/)
  std::string submission_name;      // shown in results and CSV rows
  std::string base_dir;             // files the submission lacks come from here (else skeleton/)
  std::string hidden_tests_dir;     // reference/NN-slug/hidden_tests when present
  std::string work_root;            // the folder that holds clean trees
  std::string work_prefix;          // a tree is <work_root>/<work_prefix>labNN-XXXXXX
  std::optional<double> timeout_s;  // overrides lab.json's timeout_s
  std::optional<std::uint64_t> seed;
  bool quick_benchmarks = false;    // fewer pairs (CI); points are then indicative
  bool keep_work = false;
  bool verbose = false;
};

struct PartResult {
  std::string name, kind, device;
  double max_points = 0;
  double points = 0;
  // passed | failed | not implemented | crashed | timed out | skipped | zeroed | measured | error
  std::string status;
  std::string message;  // one line: why
  std::string output;   // the test or benchmark output (tail)
  int tests_total = 0, tests_passed = 0;
  std::optional<double> ratio, spread;
  double seconds = 0;  // wall time the grader spent on the part (shown in the progress lines)
  bool graded() const { return status != "skipped"; }
};

struct GradeResult {
  std::string lab, slug, title, version, include_hash, submission;
  std::string platform_commit, date, host;
  std::uint64_t seed = 0;
  std::vector<PartResult> parts;
  std::vector<std::string> warnings;
  struct CompileFailure {
    std::string file, output;
  };
  std::vector<CompileFailure> compile_failures;  // files replaced by the skeleton's
  std::vector<std::string> disallowed_symbols;   // "cpu/1_naive.cpp: cblas_sgemm"
  double score() const;
  double max_score() const;
  double ungraded_points() const;  // points of skipped parts
  nlohmann::json to_json() const;
};

// Throws GradingError when grading itself cannot run (bad lab.json, the platform's own build
// broken, no such submission folder): never for anything a submission does.
class GradingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Why a performance part cannot be measured in this build, its baseline library not being built
// ("the OpenBLAS baseline is not built here"), or "" when it can. The part is then skipped with
// that message.
std::string baseline_not_built_reason(const std::string& baseline);

// Why a part was skipped for the machine's or the build's sake rather than the submission's, read
// back from the message grade() wrote: a CPU without the part's features, a build without CUDA,
// a build without the part's baseline library; kNone for anything else (not skipped, no GPU here,
// every test skipping itself).
enum class SkipCause { kNone, kCpuLacksFeature, kNoCudaBuild, kBaselineNotBuilt, kLibraryNotBuilt };
SkipCause skip_cause(const PartResult& part);
// Why this build cannot grade a part that names libraries in its "needs" ("" when it can).
std::string missing_library_reason(const Part& part);

// Throws GradingError, naming what is missing, when this build does not build the lab at all (a
// lab that needs MPI in a build without it): before anything asks the build for its targets.
void require_lab_in_this_build(const Manifest& m);

GradeResult grade(const GradeOptions& options);

// Reruns a passing GPU part's tests under each compute-sanitizer tool it names
// (`part.sanitizers`); a report (exit code 86) or a crash sets the part to 0 and says why. The
// sanitizer is the CUDA Toolkit's (else the one on PATH), or $AISYS_COMPUTE_SANITIZER when set.
// Where it is missing, or says it cannot run here (sanitizer_unusable_reason), the part keeps its
// points and its message says it was not checked, and why.
// The compute-sanitizer GPU parts run under: $AISYS_COMPUTE_SANITIZER, else the CUDA Toolkit's,
// else the one on PATH; "" when there is none (`wanted`, if given, is set to what was looked for).
std::string find_compute_sanitizer(std::string* wanted = nullptr);
// The line of compute-sanitizer's output saying it cannot run on this machine ("Device not
// supported", a missing injection library), or "" when it says nothing of the kind.
std::string sanitizer_unusable_reason(const std::string& output);
void run_sanitizers(const Manifest& m, const Part& part, const std::string& tests_binary,
                    const std::string& work_dir, const GradeOptions& o, std::uint64_t seed,
                    PartResult& pr);

// Allow-list matching (allowlist.cpp): glob patterns with '*' over demangled names.
bool glob_match(const std::string& pattern, const std::string& text);
// The compiler-runtime symbols every object may reference (documented in harness/README.md).
const std::vector<std::string>& builtin_allowed_symbols();
// Undefined symbols of an object file (nm -u -C), or throws GradingError when nm fails.
std::vector<std::string> undefined_symbols(const std::string& object_file);
// Symbols of `undefined` that no pattern allows.
std::vector<std::string> disallowed(const std::vector<std::string>& undefined,
                                    const std::vector<std::string>& allowed_patterns);

// Output formats (formats.cpp).
std::string format_table(const GradeResult& r);
std::string format_gradescope(const GradeResult& r);
std::string format_junit(const GradeResult& r);
std::string csv_header(const Manifest& m);
std::string csv_row(const Manifest& m, const GradeResult& r);
// One CSV cell: quoted (quotes doubled) when it holds a comma, a quote or a newline.
std::string csv_field(const std::string& in);
// Writes via a temporary file and rename, so a reader never sees half a file.
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace aisys::grader
