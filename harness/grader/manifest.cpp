// lab.json parsing and validation (see manifest.hpp for the schema).
#include "manifest.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <vector>

#include "aisys/kernels/cpu_features.hpp"

namespace aisys::grader {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& field, const std::string& what) {
  throw ManifestError(path + ": " + field + ": " + what);
}

std::string get_string(const nlohmann::json& j, const char* key, const std::string& path,
                       const std::string& where, bool required = true) {
  const std::string field = where.empty() ? key : where + "." + key;
  if (!j.contains(key)) {
    if (required) fail(path, field, "missing");
    return "";
  }
  if (!j[key].is_string()) fail(path, field, "expected a string");
  return j[key].get<std::string>();
}

std::vector<std::string> get_strings(const nlohmann::json& j, const char* key,
                                     const std::string& path, const std::string& where,
                                     bool required) {
  const std::string field = where.empty() ? key : where + "." + key;
  std::vector<std::string> out;
  if (!j.contains(key)) {
    if (required) fail(path, field, "missing");
    return out;
  }
  if (!j[key].is_array()) fail(path, field, "expected a list of strings");
  for (std::size_t i = 0; i < j[key].size(); ++i) {
    if (!j[key][i].is_string()) fail(path, field + "[" + std::to_string(i) + "]", "expected a string");
    out.push_back(j[key][i].get<std::string>());
  }
  return out;
}

std::map<std::string, double> get_threshold(const nlohmann::json& j, const char* key,
                                            const std::string& path, const std::string& where) {
  const std::string field = where + "." + key;
  if (!j.contains(key)) fail(path, field, "missing (performance parts need full_at and zero_at)");
  std::map<std::string, double> out;
  if (j[key].is_number()) {
    out["default"] = j[key].get<double>();
  } else if (j[key].is_object()) {
    for (const auto& [arch, v] : j[key].items()) {
      if (!v.is_number()) fail(path, field + "." + arch, "expected a number");
      out[arch] = v.get<double>();
    }
    if (!out.count("default")) fail(path, field, "an object of thresholds needs a \"default\"");
  } else {
    fail(path, field, "expected a number or an object of numbers per GPU architecture");
  }
  return out;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A key the schema does not know is an error, not ignored: a misspelt "requires" or "cpu_features"
// would silently let a fast wrong kernel earn points, or grade a part on a CPU that cannot run it.
void reject_unknown_keys(const nlohmann::json& j, const std::set<std::string>& known, const std::string& path,
                         const std::string& where) {
  for (const auto& [key, value] : j.items()) {
    if (known.count(key)) continue;
    std::string hint;
    for (const auto& k : known) {
      if (edit_distance(key, k) <= 2) hint = " (did you mean \"" + k + "\"?)";
    }
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    fail(path, where.empty() ? key : where + "." + key, "unknown field" + hint + "; known: " + list);
  }
}

const std::set<std::string> kManifestKeys = {"schema", "version", "id", "slug", "title", "description",
                                             "student_files", "allowed_symbols", "needs", "timeout_s",
                                             "memory_mb", "parts"};
const std::set<std::string> kPartKeys = {"name", "kind", "points", "device", "cpu_features", "requires",
                                         "file", "build", "sanitize", "ranks", "tests", "benchmark",
                                         "baseline", "full_at", "zero_at", "metric", "better", "needs", "description"};

}  // namespace

const Part* Manifest::part(const std::string& name) const {
  for (const auto& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

double Manifest::total_points() const {
  double t = 0;
  for (const auto& p : parts) t += p.points;
  return t;
}

double threshold_for(const std::map<std::string, double>& t, const std::string& arch) {
  auto it = t.find(arch);
  if (it != t.end()) return it->second;
  return t.at("default");
}

Manifest parse_manifest(const nlohmann::json& j, const std::string& path) {
  if (!j.is_object()) fail(path, "(top level)", "expected a JSON object");
  reject_unknown_keys(j, kManifestKeys, path, "");
  Manifest m;
  m.path = path;
  if (!j.contains("schema") || !j["schema"].is_number_integer()) fail(path, "schema", "missing or not an integer");
  m.schema = j["schema"].get<int>();
  if (m.schema != 1) fail(path, "schema", "unsupported schema " + std::to_string(m.schema) + " (this grader reads schema 1)");
  m.version = get_string(j, "version", path, "");
  m.id = get_string(j, "id", path, "");
  if (!std::regex_match(m.id, std::regex("[0-9][0-9]"))) fail(path, "id", "expected two digits such as \"01\"");
  m.slug = get_string(j, "slug", path, "");
  m.title = get_string(j, "title", path, "");
  m.student_files = get_strings(j, "student_files", path, "", true);
  if (m.student_files.empty()) fail(path, "student_files", "empty");
  for (std::size_t i = 0; i < m.student_files.size(); ++i) {
    const auto& f = m.student_files[i];
    const std::string field = "student_files[" + std::to_string(i) + "]";
    if (f.empty() || f[0] == '/' || f.find("..") != std::string::npos) fail(path, field, "must be a relative path inside skeleton/");
    const bool cuda = f.ends_with(".cu") || f.ends_with(".cuh");
    if (cuda && !(f.starts_with("cuda/") || f.find("/cuda/") != std::string::npos)) fail(path, field, "CUDA sources live under cuda/");
  }
  m.allowed_symbols = get_strings(j, "allowed_symbols", path, "", false);
  m.needs = get_strings(j, "needs", path, "", false);
  for (const auto& n : m.needs) {
    if (n != "mpi") fail(path, "needs", "unknown need '" + n + "' (known: mpi)");
  }
  if (j.contains("timeout_s")) {
    if (!j["timeout_s"].is_number() || j["timeout_s"].get<double>() <= 0) fail(path, "timeout_s", "expected a positive number of seconds");
    m.timeout_s = j["timeout_s"].get<double>();
  }
  if (j.contains("memory_mb")) {
    if (!j["memory_mb"].is_number_integer() || j["memory_mb"].get<long>() <= 0) fail(path, "memory_mb", "expected a positive integer");
    m.memory_mb = j["memory_mb"].get<long>();
  }
  if (!j.contains("parts") || !j["parts"].is_array() || j["parts"].empty()) fail(path, "parts", "missing or not a non-empty list");
  std::set<std::string> names;
  for (std::size_t i = 0; i < j["parts"].size(); ++i) {
    const auto& jp = j["parts"][i];
    const std::string where = "parts[" + std::to_string(i) + "]";
    if (!jp.is_object()) fail(path, where, "expected an object");
    reject_unknown_keys(jp, kPartKeys, path, where);
    Part p;
    p.name = get_string(jp, "name", path, where);
    if (!names.insert(p.name).second) fail(path, where + ".name", "duplicate part name '" + p.name + "'");
    p.kind = get_string(jp, "kind", path, where);
    if (p.kind != "correctness" && p.kind != "performance") fail(path, where + ".kind", "expected \"correctness\" or \"performance\", got \"" + p.kind + "\"");
    if (!jp.contains("points") || !jp["points"].is_number() || jp["points"].get<double>() < 0) fail(path, where + ".points", "missing or not a non-negative number");
    p.points = jp["points"].get<double>();
    p.device = jp.contains("device") ? get_string(jp, "device", path, where) : "cpu";
    if (p.device != "cpu" && p.device != "gpu") fail(path, where + ".device", "expected \"cpu\" or \"gpu\"");
    p.needs = get_strings(jp, "needs", path, where, false);
    for (const auto& n : p.needs) {
      if (n != "openblas") fail(path, where + ".needs", "unknown need '" + n + "' (known: openblas)");
    }
    p.cpu_features = get_strings(jp, "cpu_features", path, where, false);
    for (const auto& f : p.cpu_features) {
      const auto& known = aisys::known_cpu_feature_names();
      if (std::find(known.begin(), known.end(), f) == known.end()) {
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        fail(path, where + ".cpu_features", "unknown CPU feature '" + f + "' (known: " + list + ")");
      }
    }
    p.requires_parts = get_strings(jp, "requires", path, where, false);
    p.file = get_string(jp, "file", path, where, false);
    const std::string build = get_string(jp, "build", path, where, false);
    if (!build.empty() && build != "cuda") fail(path, where + ".build", "expected \"cuda\" (or no build field)");
    p.needs_cuda_build = build == "cuda" || p.device == "gpu";
    p.sanitizers = get_strings(jp, "sanitize", path, where, false);
    for (const auto& tool : p.sanitizers) {
      if (tool != "memcheck" && tool != "racecheck" && tool != "synccheck" && tool != "initcheck") {
        fail(path, where + ".sanitize", "unknown compute-sanitizer tool '" + tool + "' (memcheck, racecheck, synccheck, initcheck)");
      }
    }
    if (!p.sanitizers.empty() && p.device != "gpu") fail(path, where + ".sanitize", "only GPU parts run under compute-sanitizer");
    if (jp.contains("ranks")) {
      if (std::find(m.needs.begin(), m.needs.end(), "mpi") == m.needs.end()) fail(path, where + ".ranks", "a part with ranks needs the lab's \"needs\": [\"mpi\"]");
      const auto& jr = jp["ranks"];
      if (!jr.is_array() || jr.empty()) fail(path, where + ".ranks", "expected a non-empty list of process counts");
      for (const auto& n : jr) {
        if (!n.is_number_integer() || n.get<int>() < 1 || n.get<int>() > 64) fail(path, where + ".ranks", "each process count is an integer in [1, 64]");
        p.ranks.push_back(n.get<int>());
      }
    }
    if (!p.file.empty() && std::find(m.student_files.begin(), m.student_files.end(), p.file) == m.student_files.end()) {
      fail(path, where + ".file", "'" + p.file + "' is not one of student_files");
    }
    if (p.kind == "correctness") {
      p.tests = get_string(jp, "tests", path, where);
      if (p.tests.empty()) fail(path, where + ".tests", "empty GoogleTest filter");
    } else {
      p.benchmark = get_string(jp, "benchmark", path, where);
      p.baseline = get_string(jp, "baseline", path, where);
      p.full_at = get_threshold(jp, "full_at", path, where);
      p.zero_at = get_threshold(jp, "zero_at", path, where);
      for (const auto& [arch, full] : p.full_at) {
        if (full <= threshold_for(p.zero_at, arch)) fail(path, where + ".full_at", "must be greater than zero_at (" + arch + ")");
      }
      p.metric = get_string(jp, "metric", path, where, false);
      p.better = get_string(jp, "better", path, where, false);
      if (!p.metric.empty() && p.better != "higher" && p.better != "lower") fail(path, where + ".better", "a part with a metric says \"better\": \"higher\" or \"lower\"");
    }
    m.parts.push_back(std::move(p));
  }
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    for (const auto& r : m.parts[i].requires_parts) {
      if (!names.count(r)) fail(path, "parts[" + std::to_string(i) + "].requires", "names no part: '" + r + "'");
      if (m.part(r)->kind != "correctness") fail(path, "parts[" + std::to_string(i) + "].requires", "'" + r + "' is not a correctness part (a part requires parts that check correctness)");
    }
  }
  return m;
}

Manifest load_manifest(const std::string& lab_dir) {
  const std::string path = lab_dir + "/lab.json";
  std::ifstream in(path);
  if (!in) throw ManifestError(path + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw ManifestError(path + ": not valid JSON: " + e.what());
  }
  Manifest m = parse_manifest(j, path);
  m.lab_dir = lab_dir;
  return m;
}

}  // namespace aisys::grader
