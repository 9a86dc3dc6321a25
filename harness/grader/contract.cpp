// The lab contract check (contract.hpp).
#include "contract.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "manifest.hpp"

namespace aisys::grader {

namespace fs = std::filesystem;

namespace {
std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

const std::vector<std::string>& handout_sections() {
  static const std::vector<std::string> sections = {"## The idea", "## What to write", "## How it is graded",
                                                    "## How to run it", "## Hints", "## The bound to aim at"};
  return sections;
}

std::vector<std::string> check_lab_contract(const std::string& source_dir) {
  std::vector<std::string> problems;
  const fs::path root(source_dir);
  const fs::path labs = root / "labs";
  if (!fs::is_directory(labs)) return {"no labs/ folder in " + source_dir};
  const std::regex lab_name(R"(^\d\d-[a-z0-9-]+$)");
  const std::regex solution_ref(R"(reference/\d\d-)");
  for (const auto& entry : fs::directory_iterator(labs)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || !std::regex_match(name, lab_name)) continue;
    const fs::path d = entry.path();
    const std::string rel = "labs/" + name;
    Manifest m;
    try {
      m = load_manifest(d.string());
    } catch (const std::exception& e) {
      problems.push_back(e.what());
      continue;
    }
    if (m.id != name.substr(0, 2)) problems.push_back(rel + "/lab.json: id \"" + m.id + "\" does not match the folder");
    if (m.slug != name.substr(3)) problems.push_back(rel + "/lab.json: slug \"" + m.slug + "\" does not match the folder");
    const fs::path ref = root / "reference" / name;
    const bool have_ref = fs::is_directory(root / "reference");
    for (const auto& f : m.student_files) {
      const fs::path sk = d / "skeleton" / f;
      if (!fs::is_regular_file(sk)) problems.push_back(rel + ": student file " + f + " is not in skeleton/");
      else if (read_text(sk).find("TODO(student)") == std::string::npos) problems.push_back(rel + "/skeleton/" + f + ": no TODO(student) marker");
      if (have_ref && !fs::is_regular_file(ref / f)) problems.push_back("reference/" + name + ": no " + f + " to match the skeleton");
    }
    for (const auto& p : m.parts) {
      if (p.kind == "correctness" && p.tests.find('*') == std::string::npos && p.tests.find('.') == std::string::npos) {
        problems.push_back(rel + "/lab.json: part " + p.name + ": tests filter '" + p.tests + "' names no test (Suite.Name or a pattern)");
      }
    }
    const fs::path readme = d / "README.md";
    if (!fs::is_regular_file(readme)) {
      problems.push_back(rel + ": no README.md (the handout)");
    } else {
      const std::string text = read_text(readme);
      std::size_t pos = 0;
      for (const auto& section : handout_sections()) {
        const auto at = text.find("\n" + section, pos);
        if (at == std::string::npos) {
          problems.push_back(rel + "/README.md: no section '" + section + "' (or out of order: the idea, what to write, grading, running, hints, the bound)");
          break;
        }
        pos = at + 1;
      }
      for (const auto& p : m.parts) {
        if (text.find(p.name) == std::string::npos) problems.push_back(rel + "/README.md: the points table does not name part " + p.name);
      }
    }
    if (!fs::is_directory(d / "tests")) problems.push_back(rel + ": no tests/");
    if (have_ref) {
      if (!fs::is_directory(ref / "wrong")) {
        problems.push_back("reference/" + name + ": no wrong/ (known-wrong variants that test the grader)");
      } else {
        for (const auto& w : fs::directory_iterator(ref / "wrong")) {
          if (!w.is_directory()) continue;
          for (const char* needed : {"expected.json", "change.patch"}) {
            if (!fs::is_regular_file(w.path() / needed)) {
              problems.push_back("reference/" + name + "/wrong/" + w.path().filename().string() + ": no " + needed);
            }
          }
        }
      }
    }
    for (auto it = fs::recursive_directory_iterator(d); it != fs::recursive_directory_iterator(); ++it) {
      if (!it->is_regular_file()) continue;
      if (std::regex_search(read_text(it->path()), solution_ref)) {
        problems.push_back(fs::relative(it->path(), root).string() + ": names a solution folder (reference/NN-...); a handout has none");
      }
    }
  }
  return problems;
}

}  // namespace aisys::grader
