// OpenBLAS baseline (aisys/harness/baselines.hpp). Compiled with AISYS_HAVE_OPENBLAS when the
// build found OpenBLAS; otherwise every call says it is not built.
#include "aisys/harness/baselines.hpp"

#include <cstdlib>

#include "aisys/kernels/error.hpp"

#if AISYS_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace aisys::baselines {

namespace {
nlohmann::json env_value(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? nlohmann::json(nullptr) : nlohmann::json(v);
}
}  // namespace

bool have_openblas() { return AISYS_HAVE_OPENBLAS != 0; }

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
