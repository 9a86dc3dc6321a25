// Flags and results files of the MPI labs' benchmark mains (mpi_bench.hpp).
#include "aisys/harness/mpi_bench.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace aisys::bench {

int parse_mpi_bench_flags(int argc, char** argv, const char* program, MpiBenchOptions& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) { return a.substr(std::strlen(flag)); };
    auto is = [&](const char* flag) { return a.rfind(flag, 0) == 0; };
    if (is("--aisys_filter=")) opt.filter = value("--aisys_filter=");
    else if (is("--aisys_out=")) opt.out = value("--aisys_out=");
    else if (is("--aisys_impl=")) opt.impl = value("--aisys_impl=");
    else if (is("--aisys_command=")) opt.command = value("--aisys_command=");
    else if (is("--aisys_pairs=")) opt.pairs = std::max(1, std::atoi(value("--aisys_pairs=").c_str()));
    else if (is("--aisys_min_time=")) opt.min_time = std::atof(value("--aisys_min_time=").c_str());
    else if (is("--aisys_backend=")) {
      opt.backend = value("--aisys_backend=");
      if (opt.backend != "mpi" && opt.backend != "nccl") {
        std::fprintf(stderr, "%s: --aisys_backend=%s: unknown backend (mpi or nccl)\n", program, opt.backend.c_str());
        return 2;
      }
    } else if (a == "--aisys_quick") opt.quick = true;
    else if (a == "--aisys_list") opt.list = true;
    else if (a == "--aisys_no_ceilings") {
    } else {
      std::fprintf(stderr, "%s: unknown flag %s (flags: --aisys_filter= --aisys_out= --aisys_impl= --aisys_command= "
                   "--aisys_pairs= --aisys_min_time= --aisys_backend= --aisys_quick --aisys_list)\n", program, a.c_str());
      return 2;
    }
  }
  return 0;
}

bool no_case_matches(const MpiBenchOptions& opt, std::size_t selected, int rank, const char* program) {
  if (selected > 0) return false;
  if (rank == 0) std::fprintf(stderr, "%s: no case matches --aisys_filter=%s (try --aisys_list)\n", program, opt.filter.c_str());
  return true;
}

bool write_results(const std::string& path, const nlohmann::json& context, const nlohmann::json& records, const char* program) {
  const nlohmann::json results = {{"schema", "aisys.results/1"}, {"context", context}, {"records", records}};
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    f << results.dump(2) << "\n";
    if (!f) {
      std::fprintf(stderr, "%s: cannot write %s\n", program, tmp.c_str());
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::fprintf(stderr, "%s: cannot rename %s to %s: %s\n", program, tmp.c_str(), path.c_str(), ec.message().c_str());
    return false;
  }
  std::printf("results: %s\n", path.c_str());
  return true;
}

}  // namespace aisys::bench
