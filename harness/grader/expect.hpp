// Expected grades, for testing the grader on known submissions (the reference, the skeleton and
// reference/NN-slug/wrong/*). expected.json:
//   {"description": "...",
//    "no_gpu": {"<part>": EXPECT, ...},      // on a machine without a GPU
//    "gpu": {"<part>": EXPECT, ...} | "same", // with a GPU ("same": as without)
//    "total_no_gpu": 35,                      // optional: the exact total (only when no part is
//                                             // "measured", whose points depend on the machine);
//                                             // parts skipped for lack of CPU features or of a
//                                             // CUDA build come off it
//    "disallowed_symbol": "cblas_sgemm",      // optional: a disallowed symbol named in the grade
//    "compile_failure": "cpu/1_naive.cpp",    // optional: a file that must be reported as failing
//    "timeout_s": 60,                         // optional: the per-part timeout CI grades this
//                                             // variant with (harness/tests/grade_wrong.cmake;
//                                             // 20 s otherwise)
//    "needs": "openblas"}                     // optional: a wrong variant that only makes sense
//                                             // where the build has this library (it calls it:
//                                             // "openblas", "onednn")
//                                             // or, "cuda", compiles CUDA (its file is a .cu):
//                                             // not registered as a test elsewhere
// EXPECT is exact points (a number), a status string ("measured": the part ran and recorded a
// ratio and spread, points not asserted; "skipped"; "not implemented"; ...), or an object
// {"points": N, "status": "...", "message": "substring"}. A part with cpu_features that this CPU
// lacks, a CUDA part in a build without CUDA, or a performance part whose baseline library the
// build lacks (baseline_not_built_reason()), is accepted as skipped whatever is expected.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grade.hpp"
#include "manifest.hpp"

namespace aisys::grader {

// Problems (empty when the grade is as expected).
std::vector<std::string> check_expectations(const Manifest& m, const GradeResult& r,
                                            const nlohmann::json& expected, bool have_gpu);

}  // namespace aisys::grader
