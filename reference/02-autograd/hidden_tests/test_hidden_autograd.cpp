// Lab 02 hidden tests (never shipped to students): more shapes for every graded part, so a
// submission tuned to the public cases still has to be right in general.
#include <gtest/gtest.h>

#include "aisys/harness/conv_reference.hpp"
#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/optim.hpp"
#include "gradcheck.hpp"

namespace aisys::lab02 {
namespace {

using testing::check_graph;
using testing::check_rule;
using testing::random_input;

TEST(ElementwiseGrad, HiddenBroadcastChains) {
  EXPECT_TRUE(check_rule("mul [2, 1, 3, 1] * [4, 1, 1]", [](const std::vector<Variable>& v) { return v[0] * v[1]; },
                         {random_input({2, 1, 3, 1}, 1001), random_input({4, 1, 1}, 1002)}));
  EXPECT_TRUE(check_rule("div [] / [2, 3]", [](const std::vector<Variable>& v) { return v[0] / v[1]; },
                         {random_input({}, 1003), random_input({2, 3}, 1004, 0.5, 1.5)}));
  EXPECT_TRUE(check_rule("sub [1] - [5]", [](const std::vector<Variable>& v) { return v[0] - v[1]; },
                         {random_input({1}, 1005), random_input({5}, 1006)}));
  Tensor x = random_input({3, 3}, 1007, -1e-3, 1e-3);  // GELU near 0
  EXPECT_TRUE(check_rule("gelu near 0", [](const std::vector<Variable>& v) { return gelu(v[0]); }, {x}));
  EXPECT_TRUE(check_rule("pow_scalar p=1", [](const std::vector<Variable>& v) { return pow_scalar(v[0], 1.0); },
                         {random_input({4}, 1008, 0.5, 1.5)}));
}

TEST(ShapeGrad, HiddenMoreShapes) {
  EXPECT_TRUE(check_rule("matmul [2, 1, 3, 2] x [3, 2, 4]", [](const std::vector<Variable>& v) { return matmul(v[0], v[1]); },
                         {random_input({2, 1, 3, 2}, 1101), random_input({3, 2, 4}, 1102)}));
  EXPECT_TRUE(check_rule("sum axes {1, 3} of 4-D", [](const std::vector<Variable>& v) { return sum(v[0], {3, 1}); },
                         {random_input({2, 3, 2, 3}, 1103)}));
  EXPECT_TRUE(check_rule("mean axis 0 keepdim of [5]", [](const std::vector<Variable>& v) { return mean(v[0], {0}, true); },
                         {random_input({5}, 1104)}));
  EXPECT_TRUE(check_rule("broadcast_to [1, 3, 1] -> [2, 3, 4]",
                         [](const std::vector<Variable>& v) { return broadcast_to(v[0], {2, 3, 4}); }, {random_input({1, 3, 1}, 1105)}));
  EXPECT_TRUE(check_rule("transpose 1, 3 of 4-D", [](const std::vector<Variable>& v) { return transpose(v[0], 1, 3); },
                         {random_input({2, 3, 1, 4}, 1106)}));
}

TEST(NnGrad, HiddenMoreShapes) {
  EXPECT_TRUE(check_rule("softmax axis 1 of [2, 4, 3]", [](const std::vector<Variable>& v) { return softmax(v[0], 1); },
                         {random_input({2, 4, 3}, 1201, -3, 3)}));
  EXPECT_TRUE(check_rule("layer_norm [2, 2, 2, 6]", [](const std::vector<Variable>& v) { return layer_norm(v[0], v[1], v[2], 1e-3); },
                         {random_input({2, 2, 2, 6}, 1202, -2, 2), random_input({6}, 1203), random_input({6}, 1204)}));
  EXPECT_TRUE(check_rule("max_pool2d k2 s1 p1", [](const std::vector<Variable>& v) { return max_pool2d(v[0], 2, 1, 1); },
                         {random_input({1, 2, 3, 4}, 1205)}));
  const std::vector<std::int32_t> labels{0, 3, 3};
  EXPECT_TRUE(check_rule("cross_entropy [3, 4], repeated labels",
                         [&labels](const std::vector<Variable>& v) { return cross_entropy(v[0], labels); },
                         {random_input({3, 4}, 1206, -4, 4)}));
}

TEST(Conv2d, HiddenOddGeometries) {
  const baselines::Conv2dShape shapes[] = {
      {.N = 1, .C = 2, .H = 10, .W = 7, .K = 3, .R = 2, .S = 3, .stride = 3, .padding = 1},
      {.N = 2, .C = 1, .H = 3, .W = 3, .K = 2, .R = 3, .S = 3, .stride = 1, .padding = 2},
      {.N = 1, .C = 5, .H = 1, .W = 1, .K = 4, .R = 1, .S = 1, .stride = 1, .padding = 0},
  };
  std::uint64_t salt = 1300;
  for (const auto& s : shapes) {
    const Tensor x = Tensor::uniform(s.input_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const Tensor w = Tensor::uniform(s.weight_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const Tensor dy = Tensor::uniform(s.output_shape(), -1, 1, aisys::testing::case_seed(++salt));
    const ConvGeometry g = ConvGeometry::from_shapes(s.input_shape(), s.weight_shape(), s.stride, s.padding);
    EXPECT_TRUE(aisys::testing::close_tensor("conv2d_forward " + s.to_string(), conv2d_forward(x, w, s.stride, s.padding),
                                             aisys::testing::reference_conv2d_forward(s, x, w),
                                             aisys::testing::conv2d_forward_tolerance(s)));
    EXPECT_TRUE(aisys::testing::close_tensor("conv2d_backward_data " + s.to_string(), conv2d_backward_data(dy, w, g),
                                             aisys::testing::reference_conv2d_backward_data(s, dy, w),
                                             aisys::testing::conv2d_backward_data_tolerance(s)));
    EXPECT_TRUE(aisys::testing::close_tensor("conv2d_backward_weights " + s.to_string(), conv2d_backward_weights(x, dy, g),
                                             aisys::testing::reference_conv2d_backward_weights(s, x, dy),
                                             aisys::testing::conv2d_backward_weights_tolerance(s)));
  }
}

TEST(BackwardEngine, HiddenDeepDiamonds) {
  // Twenty stacked residual diamonds: every intermediate has two consumers (y and tanh(y)).
  auto f = [](const std::vector<Variable>& v) {
    Variable y = v[0];
    for (int i = 0; i < 20; ++i) y = y + mul_scalar(tanh(y) * v[1], 0.2);
    return y;
  };
  EXPECT_TRUE(check_graph("20 residual diamonds", f, {random_input({3}, 1401), random_input({3}, 1402)}));
}

TEST(BackwardEngine, HiddenLeafUsedManyTimes) {
  auto f = [](const std::vector<Variable>& v) { return sum(v[0] * v[0] * v[0] + v[0]); };
  EXPECT_TRUE(check_graph("x^3 + x by three muls", f, {random_input({4}, 1411)}));
}

TEST(Optimizers, HiddenSgdWeightDecayWithoutMomentum) {
  Variable p(random_input({6}, 1501), true);
  std::vector<double> theta = p.value().to_vector();
  const std::vector<double> g = random_input({6}, 1502).to_vector();
  Sgd opt({p}, 0.2, 0.0, 0.5);
  p.set_grad(Tensor::from_values(std::span<const double>(g), {6}, DType::kFloat64));
  opt.step();
  const std::vector<double> got = p.value().to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(got[i], theta[i] - 0.2 * (g[i] + 0.5 * theta[i]), 1e-12);
}

}  // namespace
}  // namespace aisys::lab02
