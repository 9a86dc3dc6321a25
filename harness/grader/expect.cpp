// Checks a grade against expected.json (expect.hpp).
#include "expect.hpp"

#include <cmath>
#include <sstream>

namespace aisys::grader {

std::vector<std::string> check_expectations(const Manifest& m, const GradeResult& r,
                                            const nlohmann::json& expected, bool have_gpu) {
  std::vector<std::string> problems;
  double skipped_points = 0;  // expected points of parts this machine cannot grade
  nlohmann::json parts = expected.value("no_gpu", nlohmann::json::object());
  if (have_gpu && expected.contains("gpu") && expected["gpu"].is_object()) parts = expected["gpu"];
  for (const auto& [name, want] : parts.items()) {
    const PartResult* got = nullptr;
    for (const auto& p : r.parts) {
      if (p.name == name) got = &p;
    }
    if (got == nullptr) {
      problems.push_back("expected.json names part '" + name + "', which lab.json does not have");
      continue;
    }
    const Part* mp = m.part(name);
    // What this machine or build cannot grade is accepted as skipped whatever is expected: a CPU
    // without the part's features, a build without CUDA or without the part's baseline library.
    const SkipCause cause = skip_cause(*got);
    if (mp != nullptr && ((cause == SkipCause::kCpuLacksFeature && !mp->cpu_features.empty()) ||
                          (cause == SkipCause::kNoCudaBuild && mp->needs_cuda_build) ||
                          (cause == SkipCause::kBaselineNotBuilt && mp->kind == "performance") ||
                          (cause == SkipCause::kLibraryNotBuilt && !mp->needs.empty()))) {
      if (want.is_number()) skipped_points += want.get<double>();
      if (want.is_object() && want.contains("points")) skipped_points += want["points"].get<double>();
      continue;
    }
    std::ostringstream desc;
    desc << name << ": got " << got->points << " points, status '" << got->status << "' (" << got->message << ")";
    auto want_points = [&](double p) {
      if (std::abs(got->points - p) > 1e-9) problems.push_back(desc.str() + "; expected " + std::to_string(p) + " points");
    };
    auto want_status = [&](const std::string& s) {
      if (got->status != s) problems.push_back(desc.str() + "; expected status '" + s + "'");
      if (s == "measured" && (!got->ratio || !got->spread)) problems.push_back(name + ": measured but no ratio and spread recorded");
    };
    if (want.is_number()) {
      want_points(want.get<double>());
    } else if (want.is_string()) {
      want_status(want.get<std::string>());
    } else if (want.is_object()) {
      if (want.contains("points")) want_points(want["points"].get<double>());
      if (want.contains("status")) want_status(want["status"].get<std::string>());
      if (want.contains("message") && got->message.find(want["message"].get<std::string>()) == std::string::npos) {
        problems.push_back(desc.str() + "; expected the message to mention '" + want["message"].get<std::string>() + "'");
      }
    } else {
      problems.push_back("expected.json: part '" + name + "': expected a number, a status or an object");
    }
  }
  for (const auto& p : r.parts) {
    if (!parts.contains(p.name)) problems.push_back("expected.json says nothing about part '" + p.name + "'");
  }
  const char* total_key = have_gpu ? "total_gpu" : "total_no_gpu";
  // The expected total counts every part; parts skipped here for the machine's sake come off it.
  if (expected.contains(total_key) &&
      std::abs(expected[total_key].get<double>() - skipped_points - r.score()) > 1e-9) {
    problems.push_back("total " + std::to_string(r.score()) + ", expected " +
                       std::to_string(expected[total_key].get<double>() - skipped_points) +
                       (skipped_points > 0 ? " (" + std::to_string(expected[total_key].get<double>()) + " less " +
                                                 std::to_string(skipped_points) + " points this machine cannot grade)"
                                           : std::string()));
  }
  if (expected.contains("disallowed_symbol")) {
    const std::string sym = expected["disallowed_symbol"].get<std::string>();
    bool found = false;
    for (const auto& s : r.disallowed_symbols) found = found || s.find(sym) != std::string::npos;
    if (!found) problems.push_back("expected the disallowed symbol '" + sym + "' to be reported");
  }
  if (expected.contains("compile_failure")) {
    const std::string file = expected["compile_failure"].get<std::string>();
    bool found = false;
    for (const auto& c : r.compile_failures) found = found || c.file == file;
    if (!found) problems.push_back("expected " + file + " to be reported as not compiling");
  }
  return problems;
}

}  // namespace aisys::grader
