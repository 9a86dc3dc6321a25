// The allow-list check on student objects (grade.hpp): which outside symbols a student file may
// reference. Patterns are demangled globs ("std::*", "aisys::lab01::*", "omp_*").
#include <sstream>

#include "grade.hpp"
#include "process.hpp"
#include "config.hpp"

namespace aisys::grader {

bool glob_match(const std::string& pattern, const std::string& text) {
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

const std::vector<std::string>& builtin_allowed_symbols() {
  static const std::vector<std::string> builtin = {
      "__cxa_*", "_Unwind_*", "__gxx_personality_v0", "__stack_chk_fail", "__dso_handle",
      "_GLOBAL_OFFSET_TABLE_", "__tls_get_addr", "_ITM_*", "__gmon_start__",
      "typeinfo for std::*", "vtable for std::*", "typeinfo for __cxxabiv1::*",
      "vtable for __cxxabiv1::*", "VTT for std::*", "typeinfo for aisys::Error",
      "typeinfo for aisys::NotImplemented", "typeinfo for aisys::InvalidArgument",
      "vtable for aisys::Error", "vtable for aisys::NotImplemented",
      "vtable for aisys::InvalidArgument", "__cudaRegister*", "__cudaUnregister*",
      "__cudaPopCallConfiguration", "__cudaPushCallConfiguration", "__cudaInitModule",
      "__fatbinwrap_*", "atexit", "__cxa_atexit", "__errno_location", "__assert_fail",
      "nanosleep", "clock_nanosleep", "sched_yield",
      "__libc_single_threaded"};  // glibc: std::shared_ptr skips atomics in a single-threaded process
  return builtin;
}

std::vector<std::string> undefined_symbols(const std::string& object_file) {
  const std::string nm = (config::kNm != nullptr && *config::kNm) ? config::kNm : "nm";
  RunResult r = run_capture({nm, "-u", "-C", object_file});
  if (!r.ok()) throw GradingError("nm -u -C " + object_file + " failed: " + r.output);
  std::vector<std::string> out;
  std::istringstream in(r.output);
  std::string line;
  while (std::getline(in, line)) {
    const auto u = line.find(" U ");
    std::string sym = u != std::string::npos ? line.substr(u + 3) : line;
    while (!sym.empty() && (sym.front() == ' ' || sym.front() == '\t')) sym.erase(sym.begin());
    if (sym.rfind("U ", 0) == 0) sym = sym.substr(2);
    if (!sym.empty()) out.push_back(sym);
  }
  return out;
}

namespace {
// A demangled template function may carry its return type first ("void std::foo<int>(int)"):
// the name proper starts after the last space at nesting depth 0 before the parameter list.
std::string without_return_type(const std::string& sym) {
  int depth = 0;
  std::size_t last_space = std::string::npos;
  for (std::size_t i = 0; i < sym.size(); ++i) {
    const char ch = sym[i];
    if (ch == '<' || ch == '[') ++depth;
    else if (ch == '>' || ch == ']') --depth;
    else if (ch == '(' && depth == 0) break;
    else if (ch == ' ' && depth == 0) last_space = i;
  }
  if (last_space == std::string::npos || sym.rfind("operator", 0) == 0) return sym;
  return sym.substr(last_space + 1);
}
}  // namespace

std::vector<std::string> disallowed(const std::vector<std::string>& undefined,
                                    const std::vector<std::string>& allowed_patterns) {
  std::vector<std::string> bad;
  for (const auto& sym : undefined) {
    const std::string name = without_return_type(sym);
    bool ok = false;
    for (const auto* list : {&builtin_allowed_symbols(), &allowed_patterns}) {
      for (const auto& p : *list) ok = ok || glob_match(p, sym) || glob_match(p, name);
    }
    if (!ok) bad.push_back(sym);
  }
  return bad;
}

}  // namespace aisys::grader
