// SGEMM benchmark cases against OpenBLAS (aisys/harness/gemm_bench.hpp).
#include "aisys/harness/gemm_bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <vector>

#include "aisys/harness/baselines.hpp"
#include "aisys/kernels/aligned_buffer.hpp"

namespace aisys::bench {

std::string freivalds_check(int M, int N, int K, const float* A, const float* B, const float* C,
                            std::uint64_t seed) {
  if (M == 0 || N == 0) return "";
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> coin(0, 1);
  double sum_a2 = 0, sum_b2 = 0;
  for (long i = 0; i < static_cast<long>(M) * K; ++i) sum_a2 += static_cast<double>(A[i]) * A[i];
  for (long i = 0; i < static_cast<long>(K) * N; ++i) sum_b2 += static_cast<double>(B[i]) * B[i];
  const double rms_a = K > 0 ? std::sqrt(sum_a2 / (static_cast<double>(M) * K)) : 0;
  const double rms_b = K > 0 ? std::sqrt(sum_b2 / (static_cast<double>(K) * N)) : 0;
  // Typical |C_ij| for random inputs, and the tolerance on (C x)_i for x_j = +-1 (see header).
  const double typical = std::sqrt(static_cast<double>(std::max(K, 1))) * rms_a * rms_b;
  const double u = std::ldexp(1.0, -24);
  const double tol = 64.0 * u * std::sqrt(static_cast<double>(std::max(K, 16))) * typical *
                     std::sqrt(static_cast<double>(N)) + 1e-30;
  std::vector<double> x(static_cast<std::size_t>(N)), y(static_cast<std::size_t>(K));
  for (int trial = 0; trial < 2; ++trial) {
    for (auto& v : x) v = coin(rng) ? 1.0 : -1.0;
    for (int k = 0; k < K; ++k) {
      double s = 0;
      const float* b = B + static_cast<long>(k) * N;
      for (int j = 0; j < N; ++j) s += b[j] * x[j];
      y[k] = s;
    }
    for (int i = 0; i < M; ++i) {
      double ab = 0, cx = 0;
      const float* a = A + static_cast<long>(i) * K;
      for (int k = 0; k < K; ++k) ab += a[k] * y[k];
      const float* c = C + static_cast<long>(i) * N;
      for (int j = 0; j < N; ++j) cx += c[j] * x[j];
      const double err = std::abs(cx - ab);
      if (!(err <= tol)) {
        std::ostringstream msg;
        msg << "output is wrong: row " << i << " of C x differs from A (B x) by " << err
            << " (tolerance " << tol << ", M=" << M << " N=" << N << " K=" << K << ")";
        return msg.str();
      }
    }
  }
  return "";
}

int input_sets_for(std::size_t set_bytes, std::size_t cache_bytes) {
  const std::size_t want = 2 * cache_bytes;
  if (set_bytes == 0) return 16;
  if (set_bytes >= want) return 1;
  return static_cast<int>(std::min<std::size_t>(16, (want + set_bytes - 1) / set_bytes));
}

namespace {

std::size_t last_level_cache_bytes() {
  long l3 = ::sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (l3 <= 0) l3 = ::sysconf(_SC_LEVEL2_CACHE_SIZE);
  return l3 > 0 ? static_cast<std::size_t>(l3) : (32u << 20);
}

class SgemmFixture : public Fixture {
 public:
  explicit SgemmFixture(const SgemmCaseSpec& spec) : spec_(spec) {
    const std::size_t a = static_cast<std::size_t>(spec.M) * spec.K;
    const std::size_t b = static_cast<std::size_t>(spec.K) * spec.N;
    const std::size_t c = static_cast<std::size_t>(spec.M) * spec.N;
    sets_ = input_sets_for(4 * (a + b + c), last_level_cache_bytes());
    std::random_device rd;
    seed_ = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();  // never shown to the candidate
    std::mt19937_64 rng(seed_);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (int s = 0; s < sets_; ++s) {
      A_.emplace_back(a);
      B_.emplace_back(b);
      Cc_.emplace_back(c);
      Cb_.emplace_back(c);
      for (auto& v : A_.back().span()) v = dist(rng);
      for (auto& v : B_.back().span()) v = dist(rng);
      Cc_.back().poison();
      Cb_.back().poison();
    }
    baselines::openblas_set_threads(spec.threads);
  }

  void run_candidate() override {
    last_c_ = next_c_;
    next_c_ = (next_c_ + 1) % sets_;
    spec_.candidate(spec_.M, spec_.N, spec_.K, 1.0f, A_[last_c_].data(), spec_.K, B_[last_c_].data(),
                    spec_.N, 0.0f, Cc_[last_c_].data(), spec_.N);
  }
  void run_baseline() override {
    last_b_ = next_b_;
    next_b_ = (next_b_ + 1) % sets_;
    baselines::openblas_sgemm(spec_.M, spec_.N, spec_.K, 1.0f, A_[last_b_].data(), spec_.K,
                              B_[last_b_].data(), spec_.N, 0.0f, Cb_[last_b_].data(), spec_.N);
  }
  std::string check_candidate() override { return check(Cc_, last_c_); }
  std::string check_baseline() override { return check(Cb_, last_b_); }

 private:
  std::string check(const std::vector<AlignedBuffer<float>>& C, int s) {
    return freivalds_check(spec_.M, spec_.N, spec_.K, A_[s].data(), B_[s].data(), C[s].data(),
                           seed_ + static_cast<std::uint64_t>(++checks_));
  }

  SgemmCaseSpec spec_;
  int sets_ = 1;
  std::uint64_t seed_ = 0;
  std::vector<AlignedBuffer<float>> A_, B_, Cc_, Cb_;
  int next_c_ = 0, next_b_ = 0, last_c_ = 0, last_b_ = 0;
  int checks_ = 0;
};

}  // namespace

void register_sgemm_case(const SgemmCaseSpec& spec) {
  Case c;
  c.lab = spec.lab;
  c.part = spec.part;
  const bool square = spec.M == spec.N && spec.N == spec.K;
  c.name = spec.part + "/" +
           (square ? std::to_string(spec.M)
                   : "m" + std::to_string(spec.M) + "_n" + std::to_string(spec.N) + "_k" +
                         std::to_string(spec.K));
  c.group = spec.group;
  c.x = spec.M;
  c.x_label = square ? "M = N = K"
                     : "M (K = " + std::to_string(spec.K) + ", N = " + std::to_string(spec.N) + ")";
  c.shape = {{"M", spec.M}, {"N", spec.N}, {"K", spec.K}};
  c.threads = spec.threads;
  c.flops = 2.0 * spec.M * spec.N * spec.K;
  c.bytes = 4.0 * (static_cast<double>(spec.M) * spec.K + static_cast<double>(spec.K) * spec.N +
                   static_cast<double>(spec.M) * spec.N);
  c.baseline = "openblas";
  c.make_fixture = [spec] { return std::make_unique<SgemmFixture>(spec); };
  register_case(std::move(c));
}

}  // namespace aisys::bench
