// The layered MLP: gradients against central finite differences (in double, on a random small
// model and batch, logged seed), the per-layer calls composing to compute_gradients, and training
// on Gaussian blobs.
#include <gtest/gtest.h>

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

double loss_of(const Mlp& m, const std::vector<float>& x, const std::vector<int>& labels, int batch) {
  std::vector<float> a, b = x;
  for (int l = 0; l < m.layers(); ++l) {
    a.resize(static_cast<std::size_t>(batch) * m.out_features(l));
    m.forward(l, b.data(), a.data(), batch);
    a.swap(b);
  }
  std::vector<float> d(b.size());
  return Mlp::softmax_cross_entropy(b.data(), labels.data(), batch, m.out_features(m.layers() - 1), d.data());
}

TEST(Mlp, GradientsMatchFiniteDifferences) {
  const std::uint64_t s = seed();
  Mlp m({5, 7, 6, 3}, s);
  std::mt19937_64 rng(s + 1);
  std::normal_distribution<float> n(0.0f, 1.0f);
  const int batch = 4;
  std::vector<float> x(static_cast<std::size_t>(batch) * 5);
  for (auto& v : x) v = n(rng);
  std::vector<int> labels = {0, 2, 1, 2};
  // Non-zero biases so that no ReLU sits exactly at its kink.
  for (int l = 0; l < m.layers(); ++l) {
    auto p = m.parameters(l);
    for (std::size_t i = static_cast<std::size_t>(m.out_features(l)) * m.in_features(l); i < p.size(); ++i) p[i] = 0.1f * n(rng);
  }
  std::vector<int> order;
  m.compute_gradients(x.data(), labels.data(), batch, [&](int l) { order.push_back(l); });
  EXPECT_EQ(order, (std::vector<int>{2, 1, 0})) << "on_ready must run from the last layer to the first";
  for (int l = 0; l < m.layers(); ++l) {
    auto p = m.parameters(l);
    auto g = m.gradients(l);
    for (std::size_t i = 0; i < p.size(); i += 3) {
      const float keep = p[i], h = 1e-2f;
      p[i] = keep + h;
      const double up = loss_of(m, x, labels, batch);
      p[i] = keep - h;
      const double down = loss_of(m, x, labels, batch);
      p[i] = keep;
      const double fd = (up - down) / (2.0 * h);
      EXPECT_NEAR(g[i], fd, 2e-3 + 2e-2 * std::abs(fd)) << "layer " << l << " parameter " << i << " seed " << s;
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
