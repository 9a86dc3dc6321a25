// Lab 02, part 6: SGD (momentum, weight decay) and Adam (decoupled weight decay) against values
// computed here step by step in double from optim.hpp's formulas, on random parameters and
// gradients; the initialisers' bounds, moments, fans and seeding.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/lab02/optim.hpp"
#include "gradcheck.hpp"

namespace aisys::lab02 {
namespace {

using testing::random_input;

struct Problem {
  Variable p;
  std::vector<double> theta;
  std::vector<std::vector<double>> grads;  // one gradient per step
};

Problem make_problem(std::uint64_t salt, int steps) {
  Problem pr{Variable(random_input({3, 4}, salt), true, "theta"), {}, {}};
  pr.theta = pr.p.value().to_vector();
  for (int s = 0; s < steps; ++s) pr.grads.push_back(random_input({3, 4}, salt + 1 + static_cast<std::uint64_t>(s)).to_vector());
  return pr;
}

void set_grad(Variable& p, const std::vector<double>& g) {
  p.set_grad(Tensor::from_values(std::span<const double>(g), p.shape(), p.dtype()));
}

void expect_values(const Variable& p, const std::vector<double>& expected, const std::string& what) {
  const std::vector<double> got = p.value().to_vector();
  for (std::size_t i = 0; i < expected.size(); ++i) {
    ASSERT_NEAR(got[i], expected[i], 1e-12 * std::max(1.0, std::abs(expected[i])))
        << what << ", element " << i << ", seed " << aisys::testing::test_seed() << "\n  rerun: " << aisys::testing::rerun_command();
  }
}

TEST(Optimizers, SgdPlain) {
  Problem pr = make_problem(801, 3);
  Sgd opt({pr.p}, 0.1);
  for (int s = 0; s < 3; ++s) {
    set_grad(pr.p, pr.grads[static_cast<std::size_t>(s)]);
    opt.step();
    for (std::size_t i = 0; i < pr.theta.size(); ++i) pr.theta[i] -= 0.1 * pr.grads[static_cast<std::size_t>(s)][i];
    expect_values(pr.p, pr.theta, "sgd lr 0.1, step " + std::to_string(s + 1));
  }
}

TEST(Optimizers, SgdMomentumAndWeightDecay) {
  Problem pr = make_problem(811, 4);
  const double lr = 0.05, mu = 0.9, wd = 0.01;
  Sgd opt({pr.p}, lr, mu, wd);
  std::vector<double> v(pr.theta.size());
  for (int s = 0; s < 4; ++s) {
    const auto& g0 = pr.grads[static_cast<std::size_t>(s)];
    set_grad(pr.p, g0);
    opt.step();
    for (std::size_t i = 0; i < pr.theta.size(); ++i) {
      const double g = g0[i] + wd * pr.theta[i];
      v[i] = s == 0 ? g : mu * v[i] + g;
      pr.theta[i] -= lr * v[i];
    }
    expect_values(pr.p, pr.theta, "sgd momentum 0.9 weight decay 0.01, step " + std::to_string(s + 1));
  }
}

TEST(Optimizers, Adam) {
  Problem pr = make_problem(821, 5);
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  Adam opt({pr.p}, lr, b1, b2, eps);
  std::vector<double> m(pr.theta.size()), v(pr.theta.size());
  for (int s = 0; s < 5; ++s) {
    const auto& g = pr.grads[static_cast<std::size_t>(s)];
    set_grad(pr.p, g);
    opt.step();
    const double t = s + 1;
    for (std::size_t i = 0; i < pr.theta.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const double mh = m[i] / (1 - std::pow(b1, t)), vh = v[i] / (1 - std::pow(b2, t));
      pr.theta[i] -= lr * mh / (std::sqrt(vh) + eps);
    }
    expect_values(pr.p, pr.theta, "adam, step " + std::to_string(s + 1));
  }
}

TEST(Optimizers, AdamDecoupledWeightDecay) {
  Problem pr = make_problem(831, 3);
  const double lr = 0.01, b1 = 0.8, b2 = 0.99, eps = 1e-6, wd = 0.1;
  Adam opt({pr.p}, lr, b1, b2, eps, wd);
  std::vector<double> m(pr.theta.size()), v(pr.theta.size());
  for (int s = 0; s < 3; ++s) {
    const auto& g = pr.grads[static_cast<std::size_t>(s)];
    set_grad(pr.p, g);
    opt.step();
    const double t = s + 1;
    for (std::size_t i = 0; i < pr.theta.size(); ++i) {
      pr.theta[i] -= lr * wd * pr.theta[i];
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      pr.theta[i] -= lr * (m[i] / (1 - std::pow(b1, t))) / (std::sqrt(v[i] / (1 - std::pow(b2, t))) + eps);
    }
    expect_values(pr.p, pr.theta, "adamw weight decay 0.1, step " + std::to_string(s + 1));
  }
}

TEST(Optimizers, ParametersWithoutGradientsAreLeftAlone) {
  Problem a = make_problem(841, 1), b = make_problem(851, 1);
  Adam opt({a.p, b.p}, 0.1);
  set_grad(a.p, a.grads[0]);
  opt.step();  // b has no gradient yet: unchanged, and its moments untouched
  expect_values(b.p, b.theta, "a parameter without a gradient");
  set_grad(b.p, b.grads[0]);
  a.p.zero_grad();
  const std::vector<double> a_after = a.p.value().to_vector();
  opt.step();  // b's first step: bias correction with t = 1, lr * sign(g) to within eps
  expect_values(a.p, a_after, "a parameter whose gradient was cleared");
  const std::vector<double> got = b.p.value().to_vector();
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double g = b.grads[0][i];
    EXPECT_NEAR(got[i], b.theta[i] - 0.1 * g / (std::abs(g) + 1e-8), 1e-9) << "element " << i;
  }
}

TEST(Optimizers, StepsRecordNoGraph) {
  Problem pr = make_problem(861, 1);
  Sgd opt({pr.p}, 0.1, 0.9);
  set_grad(pr.p, pr.grads[0]);
  opt.step();
  EXPECT_TRUE(pr.p.is_leaf());
  EXPECT_TRUE(pr.p.requires_grad());
  opt.zero_grad();
  EXPECT_FALSE(pr.p.grad().defined());
}

// ---- initialisation ----------------------------------------------------------------------------

struct Moments {
  double mean = 0, var = 0, min = 1e300, max = -1e300;
};
Moments moments(const Tensor& t) {
  Moments m;
  const std::vector<double> v = t.to_vector();
  for (double x : v) {
    m.mean += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size());
  return m;
}

TEST(Init, KaimingUniform) {
  const Shape shape{256, 400};
  const Tensor w = kaiming_uniform(shape, aisys::testing::case_seed(871));
  ASSERT_EQ(w.shape(), shape);
  EXPECT_EQ(w.dtype(), DType::kFloat32);
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 400);  // variance 2 / fan_in
  const Moments m = moments(w);
  EXPECT_GE(m.min, -bound);
  EXPECT_LE(m.max, bound);
  EXPECT_GT(m.max, 0.99 * bound) << "U(-b, b) reaches close to b over 102,400 draws";
  EXPECT_NEAR(m.var, 2.0 / 400, 0.03 * 2.0 / 400);
  EXPECT_NEAR(m.mean, 0.0, 0.01 * bound);
}

TEST(Init, KaimingNormalOfAConvolution) {
  const Shape shape{256, 128, 3, 3};  // fan_in = 128 * 9 = 1152
  const double n = 256.0 * 128 * 9;   // 294,912 draws
  const double var = 1.0 / 1152;
  const Moments m = moments(kaiming_normal(shape, aisys::testing::case_seed(872), 1.0));
  // Six standard errors: the sample variance of n normal draws has standard deviation
  // var * sqrt(2 / n) (0.26% here), the sample mean sqrt(var / n). A wrong fan (fan_out, or
  // forgetting the kernel's 3 x 3) is off by a factor of 2 or 9.
  EXPECT_NEAR(m.var, var, 6 * var * std::sqrt(2.0 / n));
  EXPECT_NEAR(m.mean, 0.0, 6 * std::sqrt(var / n));
}

TEST(Init, XavierUniform) {
  const Shape shape{300, 200};
  const double bound = std::sqrt(6.0 / 500);
  const Moments m = moments(xavier_uniform(shape, aisys::testing::case_seed(873)));
  EXPECT_GE(m.min, -bound);
  EXPECT_LE(m.max, bound);
  EXPECT_NEAR(m.var, 2.0 / 500, 0.03 * 2.0 / 500);
}

TEST(Init, SeededAndChecked) {
  const std::uint64_t s = aisys::testing::case_seed(874);
  EXPECT_EQ(kaiming_uniform({8, 8}, s).to_vector(), kaiming_uniform({8, 8}, s).to_vector());
  EXPECT_NE(kaiming_uniform({8, 8}, s).to_vector(), kaiming_uniform({8, 8}, s + 1).to_vector());
  EXPECT_EQ(xavier_uniform({8, 8}, s).to_vector(), xavier_uniform({8, 8}, s).to_vector());
  EXPECT_THROW(kaiming_normal({8}, s), InvalidArgument);
  EXPECT_EQ(fans_of({64, 32, 3, 3}).in, 288);
  EXPECT_EQ(fans_of({64, 32, 3, 3}).out, 576);
}

}  // namespace
}  // namespace aisys::lab02
