// OpenBLAS baseline (aisys/harness/baselines.hpp). Compiled with AISYS_HAVE_OPENBLAS when the
// build found OpenBLAS; otherwise every call says it is not built.
#include "aisys/harness/baselines.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <utility>
#include <vector>

#include "aisys/kernels/error.hpp"

#if AISYS_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace aisys::baselines {

#if AISYS_HAVE_OPENBLAS
namespace {
nlohmann::json env_value(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? nlohmann::json(nullptr) : nlohmann::json(v);
}
}  // namespace
#endif

bool have_openblas() { return AISYS_HAVE_OPENBLAS != 0; }

OpenblasKernelCheck check_openblas_kernel(const std::string& corename, const CpuFeatures& cpu,
                                          const char* coretype_env) {
  std::string core;
  for (char ch : corename) core += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  // OpenBLAS's x86-64 core names (driver/others/dynamic.c) by the instruction set of their kernels.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kLevels = {
      {"avx512", {"skylakex", "cooperlake", "sapphirerapids"}},
      {"avx2", {"haswell", "zen", "excavator"}},
      {"avx", {"sandybridge", "bulldozer", "piledriver", "steamroller"}},
      {"sse", {"prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "barcelona", "bobcat",
               "opteron", "opteron_sse3", "katmai", "coppermine", "northwood", "banias", "athlon", "nano"}}};
  const auto rank = [](const std::string& isa) {
    return isa == "avx512" ? 3 : isa == "avx2" ? 2 : isa == "avx" ? 1 : 0;
  };
  OpenblasKernelCheck check;
  check.kernel_isa = "unknown";
  for (const auto& [isa, cores] : kLevels) {
    if (std::find(cores.begin(), cores.end(), core) != cores.end()) check.kernel_isa = isa;
  }
  const bool avx512 = cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512dq;
  check.cpu_isa = avx512 ? "avx512" : (cpu.avx2 && cpu.fma) ? "avx2" : "below avx2";
  if (check.kernel_isa == "unknown" || check.cpu_isa == "below avx2" ||
      rank(check.kernel_isa) >= rank(check.cpu_isa)) {
    return check;
  }
  check.handicapped = true;
  const std::string instead = check.cpu_isa == "avx512" ? "SkylakeX" : "Haswell";
  const std::string why = coretype_env != nullptr && *coretype_env != 0
                              ? "OPENBLAS_CORETYPE=" + std::string(coretype_env) + " chose them"
                              : "this OpenBLAS does not know this CPU (" + cpu.model_name + ") and fell back to them";
  check.message = "OpenBLAS runs its " + corename + " kernels (" + check.kernel_isa + ") on a CPU with " +
                  check.cpu_isa + ": " + why + ". The baseline is handicapped and a ratio against it is not a " +
                  "result; measure with OPENBLAS_CORETYPE=" + instead + " set for that command.";
  return check;
}

nlohmann::json openblas_info() {
#if AISYS_HAVE_OPENBLAS
  nlohmann::json j;
  j["available"] = true;
  j["version"] = AISYS_OPENBLAS_VERSION;
  j["corename"] = openblas_get_corename();
  j["config"] = openblas_get_config();
  j["threads"] = openblas_get_num_threads();
  j["env"] = {{"OPENBLAS_CORETYPE", env_value("OPENBLAS_CORETYPE")},
              {"OPENBLAS_L2_SIZE", env_value("OPENBLAS_L2_SIZE")},
              {"OPENBLAS_NUM_THREADS", env_value("OPENBLAS_NUM_THREADS")}};
  const OpenblasKernelCheck check =
      check_openblas_kernel(openblas_get_corename(), cpu_features(), std::getenv("OPENBLAS_CORETYPE"));
  j["kernel_isa"] = check.kernel_isa;
  j["cpu_isa"] = check.cpu_isa;
  j["handicapped"] = check.handicapped;
  if (check.handicapped) j["handicap"] = check.message;
  return j;
#else
  return {{"available", false}, {"reason", "built without OpenBLAS (AISYS_OPENBLAS)"}};
#endif
}

void openblas_sgemm(int M, int N, int K, float alpha, const float* A, int lda, const float* B,
                    int ldb, float beta, float* C, int ldc) {
#if AISYS_HAVE_OPENBLAS
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
              ldc);
#else
  (void)M, (void)N, (void)K, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb, (void)beta;
  (void)C, (void)ldc;
  throw Error("the OpenBLAS baseline is not built (configure with AISYS_OPENBLAS=ON and "
              "install libopenblas-dev)");
#endif
}

void openblas_set_threads(int threads) {
#if AISYS_HAVE_OPENBLAS
  openblas_set_num_threads(threads);
#else
  (void)threads;
#endif
}

int openblas_threads() {
#if AISYS_HAVE_OPENBLAS
  return openblas_get_num_threads();
#else
  return 0;
#endif
}

}  // namespace aisys::baselines
