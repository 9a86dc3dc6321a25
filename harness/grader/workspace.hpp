// A clean grading tree for one submission: only the student files and a generated CMake project
// that builds the lab (its own files and hidden tests read in place) against the built platform.
// Student files that do not compile (or break the link) are replaced by the skeleton's.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "grade.hpp"
#include "manifest.hpp"

namespace aisys::grader {

struct Workspace {
  std::string root;       // work tree
  std::string build_dir;  // the root itself (built in place)
  std::string student_dir;
  nlohmann::json build_info;  // lab_build.json
  std::string tests_binary, bench_binary;
  struct StudentObject {
    std::string file, target;
    std::vector<std::string> objects;
    bool fallback = false;  // replaced by the skeleton's version
  };
  std::vector<StudentObject> student_objects;
};

// Copies files and configures; warnings (missing/extra files) go to `result`.
Workspace prepare_workspace(const Manifest& m, const GradeOptions& o, GradeResult& result);
// Builds with the per-file fallback; compile failures go to `result`.
void build_workspace(const Manifest& m, Workspace& w, GradeResult& result, bool verbose);

}  // namespace aisys::grader
