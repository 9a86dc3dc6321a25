// Clean grading trees (workspace.hpp).
#include "workspace.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config.hpp"
#include "process.hpp"

namespace aisys::grader {

namespace fs = std::filesystem;

namespace {

std::string tail(const std::string& s, std::size_t n = 6000) {
  return s.size() <= n ? s : "...\n" + s.substr(s.size() - n);
}

// Where a student file is in a submission: the exact relative path, under skeleton/, or (for flat
// uploads such as Gradescope's) by its file name alone when that name is unique.
std::optional<fs::path> find_in_submission(const fs::path& sub, const std::string& rel,
                                           const std::vector<fs::path>& all_files) {
  // Only files the walk listed: it neither follows symbolic links nor lists them, so a link (to
  // the reference's file on the grading machine, say) is never graded as the student's file.
  for (const auto& candidate : {sub / rel, sub / "skeleton" / rel}) {
    if (std::find(all_files.begin(), all_files.end(), candidate.lexically_normal()) != all_files.end()) return candidate;
  }
  const std::string base = fs::path(rel).filename().string();
  std::optional<fs::path> found;
  int count = 0;
  for (const auto& f : all_files) {
    if (f.filename().string() == base) {
      found = f;
      ++count;
    }
  }
  if (count == 1) return found;
  return std::nullopt;
}

RunResult cmake_build(const Workspace& w, const std::vector<std::string>& targets, bool keep_going) {
  std::vector<std::string> cmd = {config::kCMake, "--build", w.build_dir, "--target"};
  cmd.insert(cmd.end(), targets.begin(), targets.end());
  if (keep_going && std::string(config::kGenerator).find("Ninja") != std::string::npos) {
    cmd.insert(cmd.end(), {"--", "-k", "0"});
  }
  return run_capture(cmd, 1800);
}

}  // namespace

Workspace prepare_workspace(const Manifest& m, const GradeOptions& o, GradeResult& result) {
  Workspace w;
  const fs::path lab_dir = fs::absolute(o.lab_dir).lexically_normal();
  const fs::path sub = fs::absolute(o.submission_dir);
  if (!fs::is_directory(sub)) throw GradingError("submission folder " + sub.string() + " does not exist");
  fs::create_directories(o.work_root);
  std::string tmpl = (fs::path(o.work_root) / (o.work_prefix + "lab" + m.id + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw GradingError("cannot create a work folder under " + o.work_root);
  w.root = tmpl;
  const fs::path root(w.root);
  // The tree holds only the submission's student files; the lab's own files (tests, benchmarks,
  // include/, support sources) and the hidden tests are read where they are, so the tree cannot
  // change them and their objects are the ones the main build compiled (ccache hits).
  w.student_dir = (root / "student").string();
  std::vector<fs::path> all_files;
  int links = 0;
  for (auto it = fs::recursive_directory_iterator(sub, fs::directory_options::skip_permission_denied);
       it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_symlink()) {
      if (++links <= 10) {
        result.warnings.push_back("ignored symbolic link " + it->path().lexically_relative(sub).string() +
                                  " (a submission's files must be regular files)");
      }
    } else if (it->is_regular_file()) {
      all_files.push_back(it->path().lexically_normal());
    }
  }
  if (links > 10) result.warnings.push_back("ignored " + std::to_string(links - 10) + " more symbolic links");
  std::set<fs::path> used;
  for (const auto& rel : m.student_files) {
    const fs::path dst = root / "student" / rel;
    fs::create_directories(dst.parent_path());
    auto found = find_in_submission(sub, rel, all_files);
    if (found) {
      fs::copy_file(*found, dst, fs::copy_options::overwrite_existing);
      used.insert(fs::weakly_canonical(*found));
    } else if (!o.base_dir.empty() && fs::is_regular_file(fs::path(o.base_dir) / rel)) {
      fs::copy_file(fs::path(o.base_dir) / rel, dst, fs::copy_options::overwrite_existing);
    } else {
      fs::copy_file(lab_dir / "skeleton" / rel, dst, fs::copy_options::overwrite_existing);
      result.warnings.push_back("missing student file " + rel + ": graded as the skeleton's (not implemented)");
    }
  }
  int extra = 0;
  for (const auto& f : all_files) {
    if (used.count(fs::weakly_canonical(f))) continue;
    const std::string rel = fs::relative(f, sub).string();
    if (rel.find("/.") != std::string::npos || rel.rfind(".", 0) == 0) continue;  // dotfiles
    if (++extra <= 10) result.warnings.push_back("ignored extra file " + rel + " (only lab.json's student_files are graded)");
  }
  if (extra > 10) result.warnings.push_back("ignored " + std::to_string(extra - 10) + " more extra files");
  const std::string hidden =
      !o.hidden_tests_dir.empty() && fs::is_directory(o.hidden_tests_dir) ? fs::absolute(o.hidden_tests_dir).lexically_normal().string() : "";
  // The generated project: the platform as imported targets, then this lab once. Its include
  // folders come as -I, not -isystem, so the lab's compile commands match the main build's.
  std::ofstream cm(root / "CMakeLists.txt");
  cm << "# Generated by the AISys Labs grader: one lab, one submission, against the built platform.\n"
     << "cmake_minimum_required(VERSION 3.25)\n"
     << "project(aisys_grade_lab" << m.id << " LANGUAGES CXX)\n"
     << "set(CMAKE_NO_SYSTEM_FROM_IMPORTED ON)\n"
     << "find_package(AisysPlatform CONFIG REQUIRED NO_DEFAULT_PATH PATHS \"" << config::kPlatformDir << "\")\n"
     << "aisys_add_lab_impl(\"" << lab_dir.string() << "\" submission \"${CMAKE_CURRENT_SOURCE_DIR}/student\" \"" << hidden
     << "\")\n";
  cm.close();
  if (!cm) throw GradingError("cannot write " + (root / "CMakeLists.txt").string());
  // Built in place: the tree is the build folder too, at the depth of the main build's folder.
  w.build_dir = root.string();
  std::vector<std::string> cmd = {config::kCMake, "-S", w.root, "-B", w.build_dir, "-G", config::kGenerator,
                                  std::string("-DCMAKE_BUILD_TYPE=") + config::kBuildType,
                                  std::string("-DCMAKE_CXX_COMPILER=") + config::kCxxCompiler};
  // Identifying the compilers is most of a fresh tree's configure time (nvcc's takes about 4 s).
  // The tree uses the platform's own compilers, so it starts from the platform's identification:
  // CMake reads CMakeFiles/<version>/CMake<LANG>Compiler.cmake when the cache marks that folder as
  // initialized, and identifies afresh when the files are not there (another CMake version).
  const fs::path platform_info = fs::path(config::kBinaryDir) / "CMakeFiles" / config::kCMakeVersion;
  if (fs::is_directory(platform_info)) {
    const fs::path tree_info = root / "CMakeFiles" / config::kCMakeVersion;
    std::error_code ec;
    fs::create_directories(tree_info, ec);
    bool copied = !ec;
    for (const char* name : {"CMakeSystem.cmake", "CMakeCXXCompiler.cmake", "CMakeCUDACompiler.cmake"}) {
      if (copied && fs::is_regular_file(platform_info / name)) {
        fs::copy_file(platform_info / name, tree_info / name, fs::copy_options::overwrite_existing, ec);
        copied = !ec;
      }
    }
    if (copied) cmd.push_back("-DCMAKE_PLATFORM_INFO_INITIALIZED:INTERNAL=1");
    else fs::remove_all(root / "CMakeFiles", ec);
  }
  if (*config::kMakeProgram) cmd.push_back(std::string("-DCMAKE_MAKE_PROGRAM=") + config::kMakeProgram);
  if (config::kHaveCuda) cmd.push_back(std::string("-DCMAKE_CUDA_COMPILER=") + config::kCudaCompiler);
  RunResult r = run_capture(cmd, 600);
  if (!r.ok()) throw GradingError("configuring the grading tree failed (a platform problem, not the submission's):\n" + tail(r.output));
  const fs::path info = fs::path(w.build_dir) / "labs" / lab_dir.filename() / "submission" / "lab_build.json";
  std::ifstream in(info);
  if (!in) throw GradingError("the lab's build wrote no " + info.string() + " (does its CMakeLists.txt call aisys_lab_tests and aisys_lab_bench?)");
  w.build_info = nlohmann::json::parse(in);
  w.tests_binary = w.build_info.at("tests_binary").get<std::string>();
  w.bench_binary = w.build_info.at("bench_binary").get<std::string>();
  for (const auto& so : w.build_info.at("student_objects")) {
    Workspace::StudentObject obj;
    obj.file = so.at("file").get<std::string>();
    obj.target = so.at("target").get<std::string>();
    std::stringstream objs(so.at("objects").get<std::string>());
    std::string o1;
    while (std::getline(objs, o1, ';')) {
      if (!o1.empty()) obj.objects.push_back(o1);
    }
    w.student_objects.push_back(obj);
  }
  return w;
}

void build_workspace(const Manifest& m, Workspace& w, GradeResult& result, bool verbose) {
  const fs::path skeleton = fs::path(m.lab_dir) / "skeleton";
  auto fall_back = [&](Workspace::StudentObject& obj, const std::string& why) {
    result.compile_failures.push_back({obj.file, tail(why)});
    fs::copy_file(skeleton / obj.file, fs::path(w.student_dir) / obj.file, fs::copy_options::overwrite_existing);
    obj.fallback = true;
  };
  // 1. Every student object at once; on failure, each on its own to find the culprits.
  std::vector<std::string> targets;
  for (const auto& o : w.student_objects) targets.push_back(o.target);
  if (!targets.empty()) {
    RunResult all = cmake_build(w, targets, true);
    if (!all.ok()) {
      for (auto& obj : w.student_objects) {
        RunResult one = cmake_build(w, {obj.target}, false);
        if (!one.ok()) {
          if (verbose) std::fprintf(stderr, "%s\n", one.output.c_str());
          fall_back(obj, one.output);
          RunResult again = cmake_build(w, {obj.target}, false);
          if (!again.ok()) throw GradingError("the skeleton's " + obj.file + " does not compile either:\n" + tail(again.output));
        }
      }
    }
  }
  // 2. The test and benchmark binaries. A link error caused by a student file (an undefined or
  //    duplicate symbol): replace student files one at a time until it links.
  const std::vector<std::string> binaries = {w.build_info.at("tests_target").get<std::string>(),
                                             w.build_info.at("bench_target").get<std::string>()};
  RunResult link = cmake_build(w, binaries, false);
  if (!link.ok()) {
    // First the files the linker names, then (if it still fails) the others one at a time.
    bool named_any = false;
    for (auto& obj : w.student_objects) {
      if (!obj.fallback && link.output.find(obj.file) != std::string::npos) {
        fall_back(obj, "the program did not link with this file:\n" + link.output);
        named_any = true;
      }
    }
    if (named_any) link = cmake_build(w, binaries, false);
  }
  for (auto& obj : w.student_objects) {
    if (link.ok()) break;
    if (obj.fallback) continue;
    fall_back(obj, "the program did not link with this file:\n" + link.output);
    link = cmake_build(w, binaries, false);
  }
  if (!link.ok()) throw GradingError("the lab's tests do not build even with the skeleton's files (a platform problem):\n" + tail(link.output));
}

}  // namespace aisys::grader
