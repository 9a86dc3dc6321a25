// The layered MLP: gradients against an independent double-precision backward (random small model
// and batch, logged seed), the order of the per-layer ready hook, and training on Gaussian blobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "aisys/kernels/error.hpp"
#include "aisys/kernels/mlp.hpp"

namespace aisys::kernels {
namespace {

std::uint64_t seed() {
  static const std::uint64_t s = std::random_device{}();
  std::cout << "[ seed ] " << s << "\n";
  return s;
}

// An independent double-precision forward and backward of the same model (plain loops), the
// higher-precision reference the float gradients are compared with.
std::vector<std::vector<double>> reference_gradients(const Mlp& m, const std::vector<float>& x,
                                                     const std::vector<int>& labels, int batch) {
  const int layers = m.layers();
  std::vector<std::vector<double>> acts(static_cast<std::size_t>(layers) + 1);
  acts[0].assign(x.begin(), x.end());
  for (int l = 0; l < layers; ++l) {
    const int in = m.in_features(l), out = m.out_features(l);
    const auto p = m.parameters(l);
    auto& y = acts[static_cast<std::size_t>(l) + 1];
    y.assign(static_cast<std::size_t>(batch) * out, 0.0);
    for (int b = 0; b < batch; ++b) {
      for (int o = 0; o < out; ++o) {
        double z = p[static_cast<std::size_t>(out) * in + o];
        for (int i = 0; i < in; ++i) z += static_cast<double>(p[static_cast<std::size_t>(o) * in + i]) * acts[l][static_cast<std::size_t>(b) * in + i];
        y[static_cast<std::size_t>(b) * out + o] = (l + 1 < layers) ? std::max(0.0, z) : z;
      }
    }
  }
  const int classes = m.out_features(layers - 1);
  std::vector<double> dz(static_cast<std::size_t>(batch) * classes);
  for (int b = 0; b < batch; ++b) {
    const double* z = &acts[static_cast<std::size_t>(layers)][static_cast<std::size_t>(b) * classes];
    const double zmax = *std::max_element(z, z + classes);
    double sum = 0;
    for (int c = 0; c < classes; ++c) sum += std::exp(z[c] - zmax);
    for (int c = 0; c < classes; ++c) {
      dz[static_cast<std::size_t>(b) * classes + c] = (std::exp(z[c] - zmax) / sum - (c == labels[static_cast<std::size_t>(b)] ? 1.0 : 0.0)) / batch;
    }
  }
  std::vector<std::vector<double>> grads(static_cast<std::size_t>(layers));
  for (int l = layers - 1; l >= 0; --l) {
    const int in = m.in_features(l), out = m.out_features(l);
    const auto p = m.parameters(l);
    auto& g = grads[static_cast<std::size_t>(l)];
    g.assign(p.size(), 0.0);
    std::vector<double> dx(static_cast<std::size_t>(batch) * in, 0.0);
    for (int b = 0; b < batch; ++b) {
      for (int o = 0; o < out; ++o) {
        const double d = dz[static_cast<std::size_t>(b) * out + o];
        g[static_cast<std::size_t>(out) * in + o] += d;
        for (int i = 0; i < in; ++i) {
          g[static_cast<std::size_t>(o) * in + i] += d * acts[l][static_cast<std::size_t>(b) * in + i];
          dx[static_cast<std::size_t>(b) * in + i] += d * p[static_cast<std::size_t>(o) * in + i];
        }
      }
    }
    if (l > 0) {  // through the previous layer's ReLU
      for (std::size_t k = 0; k < dx.size(); ++k) {
        if (acts[l][k] <= 0) dx[k] = 0;
      }
    }
    dz.swap(dx);
  }
  return grads;
}

TEST(Mlp, GradientsMatchADoublePrecisionReference) {
  const std::uint64_t s = seed();
  Mlp m({5, 7, 6, 3}, s);
  std::mt19937_64 rng(s + 1);
  std::normal_distribution<float> n(0.0f, 1.0f);
  const int batch = 4;
  std::vector<float> x(static_cast<std::size_t>(batch) * 5);
  for (auto& v : x) v = n(rng);
  std::vector<int> labels = {0, 2, 1, 2};
  for (int l = 0; l < m.layers(); ++l) {  // non-zero biases
    auto p = m.parameters(l);
    for (std::size_t i = static_cast<std::size_t>(m.out_features(l)) * m.in_features(l); i < p.size(); ++i) p[i] = 0.1f * n(rng);
  }
  std::vector<int> order;
  m.compute_gradients(x.data(), labels.data(), batch, [&](int l) { order.push_back(l); });
  EXPECT_EQ(order, (std::vector<int>{2, 1, 0})) << "on_ready must run from the last layer to the first";
  const auto ref = reference_gradients(m, x, labels, batch);
  for (int l = 0; l < m.layers(); ++l) {
    const auto g = m.gradients(l);
    const auto& r = ref[static_cast<std::size_t>(l)];
    double norm = 0;
    for (double v : r) norm = std::max(norm, std::abs(v));
    for (std::size_t i = 0; i < g.size(); ++i) {
      ASSERT_NEAR(g[i], r[i], 1e-5 * (1 + norm)) << "layer " << l << " parameter " << i << " seed " << s;
    }
  }
}

TEST(Mlp, LearnsBlobs) {
  const std::uint64_t s = seed();
  const Blobs data = make_blobs(512, 8, 4, s);
  Mlp m({8, 32, 4}, s);
  for (int step = 0; step < 200; ++step) {
    const int start = (step * 64) % 512;
    m.compute_gradients(data.x.data() + static_cast<std::size_t>(start) * 8, data.labels.data() + start, 64);
    m.sgd_step(0.1f);
  }
  EXPECT_GT(m.accuracy(data.x.data(), data.labels.data(), 512), 0.85f) << "seed " << s;
}

TEST(Mlp, BadShapesAreNamed) {
  EXPECT_THROW(Mlp({4}, 1), Error);
  EXPECT_THROW(Mlp({4, 0, 2}, 1), Error);
  EXPECT_THROW(make_blobs(10, 2, 1, 1), Error);
}

}  // namespace
}  // namespace aisys::kernels
