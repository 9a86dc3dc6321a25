// The results context block (aisys/harness/context.hpp).
#include "aisys/harness/context.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "aisys/kernels/cpu_features.hpp"
#include "aisys/kernels/device.hpp"

namespace aisys::context {

namespace fs = std::filesystem;

namespace {

std::string run_capture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 256> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr) out += buf.data();
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) {
    if (ch == '\'') q += "'\\''";
    else q += ch;
  }
  return q + "'";
}

std::string compiler_string() {
#if defined(__clang__)
  return "Clang " __clang_version__;
#elif defined(__GNUC__)
  return "GNU " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#else
  return "unknown";
#endif
}

}  // namespace

std::string git_commit(const std::string& dir) {
  const std::string q = shell_quote(dir);
  std::string commit = run_capture("git -C " + q + " rev-parse --short=12 HEAD 2>/dev/null");
  if (commit.empty()) {
    // A copy of the tree without its .git (a lent GPU machine receives one): the COMMIT file that
    // the copier wrote, as ci/gpu.sh reads it; its first line, at most 200 characters.
    std::ifstream file(fs::path(dir) / "COMMIT");
    std::string line;
    if (file && std::getline(file, line)) {
      line = line.substr(0, 200);
      const auto first = line.find_first_not_of(" \t\r");
      const auto last = line.find_last_not_of(" \t\r");
      if (first != std::string::npos) return line.substr(first, last - first + 1) + " (COMMIT file)";
    }
    return "unknown";
  }
  const std::string dirty =
      run_capture("git -C " + q + " status --porcelain --untracked-files=no 2>/dev/null | head -1");
  if (!dirty.empty()) commit += "-dirty";
  return commit;
}

nlohmann::json machine(const std::string& source_dir) {
  nlohmann::json j;
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  j["date"] = date;
  char host[256] = {0};
  ::gethostname(host, sizeof host - 1);
  j["host"] = host;
  struct utsname uts {};
  if (::uname(&uts) == 0) j["os"] = std::string(uts.sysname) + " " + uts.release + " " + uts.machine;
  const auto& f = aisys::cpu_features();
  j["cpu"] = {{"model", f.model_name},
              {"vendor", f.vendor},
              {"flags", aisys::cpu_feature_names()},
              {"logical_cores", f.logical_cores}};
  j["compiler"] = compiler_string();
#ifdef AISYS_BUILD_TYPE
  j["build_type"] = AISYS_BUILD_TYPE;
#endif
  j["commit"] = git_commit(source_dir);
  j["gpu"] = nullptr;
  return j;
}

nlohmann::json gpu() {
  const auto& list = aisys::enumerate_devices();
  if (list.devices.empty()) return nullptr;
  const auto& d = list.devices.front();
  return {{"name", d.name},
          {"cc", std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor)},
          {"sm_count", d.sm_count},
          {"memory_bytes", d.total_memory},
          {"clock_khz", d.clock_khz},
          {"memory_clock_khz", d.memory_clock_khz},
          {"count", list.devices.size()},
          {"driver", aisys::cuda_version_string(list.driver_version)},
          {"runtime", aisys::cuda_version_string(list.runtime_version)}};
}

std::string hash_tree(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const char* data, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      h ^= static_cast<unsigned char>(data[i]);
      h *= 1099511628211ull;
    }
  };
  for (const auto& p : files) {
    const std::string rel = fs::relative(p, dir).generic_string();
    mix(rel.data(), rel.size() + 1);
    std::ifstream in(p, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    const std::string s = content.str();
    mix(s.data(), s.size());
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string("fnv1a64:") + hex;
}

nlohmann::json lab(const std::string& lab_dir) {
  nlohmann::json j;
  const fs::path dir(lab_dir);
  const std::string name = dir.filename().string();
  j["lab"] = name.substr(0, 2);
  std::ifstream in(dir / "lab.json");
  if (in) {
    try {
      const auto manifest = nlohmann::json::parse(in);
      j["lab_version"] = manifest.value("version", "unknown");
    } catch (const std::exception&) {
      j["lab_version"] = "unreadable lab.json";
    }
  }
  j["include_hash"] = hash_tree((dir / "include").string());
  return j;
}

}  // namespace aisys::context
