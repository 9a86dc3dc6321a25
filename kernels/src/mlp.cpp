// The layered MLP of mlp.hpp. GEMMs through cblas_sgemm when the build has OpenBLAS.
#include "aisys/kernels/mlp.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "aisys/kernels/error.hpp"

#if AISYS_KERNELS_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace aisys::kernels {

namespace {
// C (m x n) = alpha * op(A) op(B) + beta * C, row-major; op = transpose when the flag is set.
void gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
          float beta, float* c, int ldc) {
#if AISYS_KERNELS_HAVE_OPENBLAS
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda,
              b, ldb, beta, c, ldc);
#else
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int p = 0; p < k; ++p) {
        const float av = ta ? a[static_cast<std::size_t>(p) * lda + i] : a[static_cast<std::size_t>(i) * lda + p];
        const float bv = tb ? b[static_cast<std::size_t>(j) * ldb + p] : b[static_cast<std::size_t>(p) * ldb + j];
        acc += static_cast<double>(av) * bv;
      }
      float& cv = c[static_cast<std::size_t>(i) * ldc + j];
      cv = static_cast<float>(alpha * acc + (beta == 0 ? 0.0 : beta * cv));
    }
  }
#endif
}
}  // namespace

Mlp::Mlp(std::vector<int> widths, std::uint64_t seed) : widths_(std::move(widths)) {
  if (widths_.size() < 2) throw InvalidArgument("Mlp: widths needs at least {inputs, outputs}");
  for (int w : widths_) {
    if (w < 1) throw InvalidArgument("Mlp: every width must be >= 1");
  }
  std::mt19937_64 rng(seed);
  for (int l = 0; l < layers(); ++l) {
    const int in = in_features(l), out = out_features(l);
    std::vector<float> p(static_cast<std::size_t>(out) * in + static_cast<std::size_t>(out), 0.0f);
    const float bound = std::sqrt(6.0f / static_cast<float>(in));  // Kaiming-uniform for ReLU
    std::uniform_real_distribution<float> u(-bound, bound);
    for (std::size_t i = 0; i < static_cast<std::size_t>(out) * in; ++i) p[i] = u(rng);
    grads_.emplace_back(p.size(), 0.0f);
    params_.push_back(std::move(p));
  }
  acts_.resize(static_cast<std::size_t>(layers()));
}

std::span<float> Mlp::parameters(int l) { return params_.at(static_cast<std::size_t>(l)); }
std::span<const float> Mlp::parameters(int l) const { return params_.at(static_cast<std::size_t>(l)); }
std::span<float> Mlp::gradients(int l) { return grads_.at(static_cast<std::size_t>(l)); }
void Mlp::zero_gradients() {
  for (auto& g : grads_) std::fill(g.begin(), g.end(), 0.0f);
}

void Mlp::forward(int l, const float* x, float* y, int batch) const {
  const int in = in_features(l), out = out_features(l);
  const float* w = params_[static_cast<std::size_t>(l)].data();
  const float* b = w + static_cast<std::size_t>(out) * in;
  for (int i = 0; i < batch; ++i) std::copy(b, b + out, y + static_cast<std::size_t>(i) * out);
  gemm(false, true, batch, out, in, 1.0f, x, in, w, in, 1.0f, y, out);
  if (l + 1 < layers()) {
    for (std::size_t i = 0; i < static_cast<std::size_t>(batch) * out; ++i) y[i] = std::max(0.0f, y[i]);
  }
}

void Mlp::activation_backward(int l, const float* y, float* dy, int batch) const {
  if (l + 1 == layers()) return;
  const std::size_t n = static_cast<std::size_t>(batch) * out_features(l);
  for (std::size_t i = 0; i < n; ++i) {
    if (y[i] <= 0.0f) dy[i] = 0.0f;
  }
}

void Mlp::backward_input(int l, const float* dz, float* dx, int batch) const {
  const int in = in_features(l), out = out_features(l);
  gemm(false, false, batch, in, out, 1.0f, dz, out, params_[static_cast<std::size_t>(l)].data(), in, 0.0f, dx, in);
}

void Mlp::backward_weight(int l, const float* x, const float* dz, int batch) {
  const int in = in_features(l), out = out_features(l);
  float* gw = grads_[static_cast<std::size_t>(l)].data();
  gemm(true, false, out, in, batch, 1.0f, dz, out, x, in, 1.0f, gw, in);
  float* gb = gw + static_cast<std::size_t>(out) * in;
  for (int i = 0; i < batch; ++i) {
    for (int j = 0; j < out; ++j) gb[j] += dz[static_cast<std::size_t>(i) * out + j];
  }
}

float Mlp::softmax_cross_entropy(const float* logits, const int* labels, int batch, int classes, float* dlogits) {
  double loss = 0;
  for (int i = 0; i < batch; ++i) {
    const float* z = logits + static_cast<std::size_t>(i) * classes;
    float* d = dlogits + static_cast<std::size_t>(i) * classes;
    const float zmax = *std::max_element(z, z + classes);
    double sum = 0;
    for (int j = 0; j < classes; ++j) sum += std::exp(static_cast<double>(z[j] - zmax));
    const int y = labels[i];
    if (y < 0 || y >= classes) throw InvalidArgument("softmax_cross_entropy: label " + std::to_string(y) + " out of range");
    loss += std::log(sum) - (z[y] - zmax);
    for (int j = 0; j < classes; ++j) {
      const double pj = std::exp(static_cast<double>(z[j] - zmax)) / sum;
      d[j] = static_cast<float>((pj - (j == y ? 1.0 : 0.0)) / batch);
    }
  }
  return static_cast<float>(loss / batch);
}

float Mlp::compute_gradients(const float* x, const int* labels, int batch, const std::function<void(int)>& on_ready) {
  zero_gradients();
  const float* in = x;
  for (int l = 0; l < layers(); ++l) {
    auto& a = acts_[static_cast<std::size_t>(l)];
    a.resize(static_cast<std::size_t>(batch) * out_features(l));
    forward(l, in, a.data(), batch);
    in = a.data();
  }
  const int classes = out_features(layers() - 1);
  std::vector<float> dz(static_cast<std::size_t>(batch) * classes), dx;
  const float loss = softmax_cross_entropy(acts_.back().data(), labels, batch, classes, dz.data());
  for (int l = layers() - 1; l >= 0; --l) {
    activation_backward(l, acts_[static_cast<std::size_t>(l)].data(), dz.data(), batch);
    const float* layer_in = l == 0 ? x : acts_[static_cast<std::size_t>(l) - 1].data();
    if (l > 0) {
      dx.resize(static_cast<std::size_t>(batch) * in_features(l));
      backward_input(l, dz.data(), dx.data(), batch);
    }
    backward_weight(l, layer_in, dz.data(), batch);
    if (on_ready) on_ready(l);
    if (l > 0) dz.swap(dx);
  }
  return loss;
}

void Mlp::sgd_step(float lr) {
  for (std::size_t l = 0; l < params_.size(); ++l) {
    for (std::size_t i = 0; i < params_[l].size(); ++i) params_[l][i] -= lr * grads_[l][i];
  }
}

void Mlp::sgd_step(float lr, int l) {
  auto& p = params_.at(static_cast<std::size_t>(l));
  const auto& g = grads_[static_cast<std::size_t>(l)];
  for (std::size_t i = 0; i < p.size(); ++i) p[i] -= lr * g[i];
}

float Mlp::accuracy(const float* x, const int* labels, int batch) const {
  std::vector<float> a, b(x, x + static_cast<std::size_t>(batch) * in_features(0));
  for (int l = 0; l < layers(); ++l) {
    a.resize(static_cast<std::size_t>(batch) * out_features(l));
    forward(l, b.data(), a.data(), batch);
    a.swap(b);
  }
  const int classes = out_features(layers() - 1);
  int right = 0;
  for (int i = 0; i < batch; ++i) {
    const float* z = b.data() + static_cast<std::size_t>(i) * classes;
    if (std::max_element(z, z + classes) - z == labels[i]) ++right;
  }
  return static_cast<float>(right) / static_cast<float>(batch);
}

Blobs make_blobs(int n, int features, int classes, std::uint64_t seed) {
  if (n < 1 || features < 1 || classes < 2) throw InvalidArgument("make_blobs: n >= 1, features >= 1, classes >= 2");
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> centre(0.0f, 3.0f), noise(0.0f, 1.0f);
  std::vector<float> centres(static_cast<std::size_t>(classes) * features);
  for (auto& v : centres) v = centre(rng);
  Blobs b;
  b.features = features;
  b.classes = classes;
  b.x.resize(static_cast<std::size_t>(n) * features);
  b.labels.resize(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng() % static_cast<std::uint64_t>(classes));
    b.labels[static_cast<std::size_t>(i)] = c;
    for (int f = 0; f < features; ++f) {
      b.x[static_cast<std::size_t>(i) * features + f] = centres[static_cast<std::size_t>(c) * features + f] + noise(rng);
    }
  }
  return b;
}

}  // namespace aisys::kernels
