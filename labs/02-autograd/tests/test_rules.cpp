// Lab 02, parts 1-3: every backward rule against central finite differences in float64
// (gradcheck.hpp), with broadcasting, non-contiguous inputs, inputs that need no gradient and one
// float32 run per part. Random inputs from the logged seed; `aisys test 02 --part NAME --seed S`
// reruns a case.
#include <gtest/gtest.h>

#include "gradcheck.hpp"

namespace aisys::lab02 {
namespace {

using testing::check_rule;
using testing::random_input;

// Values in [lo, hi) with |x| >= gap (away from a kink at 0).
Tensor away_from_zero(const Shape& shape, std::uint64_t salt, double gap = 0.05) {
  Tensor t = random_input(shape, salt);
  double* p = t.data<double>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = p[i] >= 0 ? p[i] + gap : p[i] - gap;
  return t;
}

// ---- part 1: elementwise ------------------------------------------------------------------------

TEST(ElementwiseGrad, AddWithBroadcasting) {
  auto f = [](const std::vector<Variable>& v) { return v[0] + v[1]; };
  EXPECT_TRUE(check_rule("add [3, 4] + [3, 4]", f, {random_input({3, 4}, 1), random_input({3, 4}, 2)}));
  EXPECT_TRUE(check_rule("add [3, 1] + [1, 4]", f, {random_input({3, 1}, 3), random_input({1, 4}, 4)}));
  EXPECT_TRUE(check_rule("add [2, 3, 4] + [4]", f, {random_input({2, 3, 4}, 5), random_input({4}, 6)}));
  EXPECT_TRUE(check_rule("add [2, 3] + []", f, {random_input({2, 3}, 7), random_input({}, 8)}));
}

TEST(ElementwiseGrad, SubWithBroadcasting) {
  auto f = [](const std::vector<Variable>& v) { return v[0] - v[1]; };
  EXPECT_TRUE(check_rule("sub [3, 4] - [3, 4]", f, {random_input({3, 4}, 11), random_input({3, 4}, 12)}));
  EXPECT_TRUE(check_rule("sub [4] - [2, 3, 4]", f, {random_input({4}, 13), random_input({2, 3, 4}, 14)}));
}

TEST(ElementwiseGrad, MulWithBroadcasting) {
  auto f = [](const std::vector<Variable>& v) { return v[0] * v[1]; };
  EXPECT_TRUE(check_rule("mul [3, 4] * [3, 4]", f, {random_input({3, 4}, 21), random_input({3, 4}, 22)}));
  EXPECT_TRUE(check_rule("mul [2, 1, 4] * [3, 1]", f, {random_input({2, 1, 4}, 23), random_input({3, 1}, 24)}));
}

TEST(ElementwiseGrad, DivWithBroadcasting) {
  auto f = [](const std::vector<Variable>& v) { return v[0] / v[1]; };
  EXPECT_TRUE(check_rule("div [3, 4] / [3, 4]", f, {random_input({3, 4}, 31), random_input({3, 4}, 32, 0.5, 2.0)}));
  EXPECT_TRUE(check_rule("div [3, 4] / [4]", f, {random_input({3, 4}, 33), random_input({4}, 34, -2.0, -0.5)}));
}

TEST(ElementwiseGrad, SameInputTwice) {
  // x * x: both inputs of one node are the same leaf; their gradients add up to 2 x G.
  auto f = [](const std::vector<Variable>& v) { return v[0] * v[0]; };
  EXPECT_TRUE(check_rule("mul x * x", f, {random_input({5}, 41)}));
}

TEST(ElementwiseGrad, InputWithoutGradient) {
  auto f = [](const std::vector<Variable>& v) { return v[0] / v[1]; };
  EXPECT_TRUE(check_rule("div x / c (c needs no gradient)", f, {random_input({3, 4}, 51), random_input({4}, 52, 1, 2)},
                         {true, false}));
  EXPECT_TRUE(check_rule("div c / x (c needs no gradient)", f, {random_input({4}, 53), random_input({3, 4}, 54, 1, 2)},
                         {false, true}));
}

TEST(ElementwiseGrad, NegAndScalars) {
  EXPECT_TRUE(check_rule("neg", [](const std::vector<Variable>& v) { return -v[0]; }, {random_input({2, 5}, 61)}));
  EXPECT_TRUE(check_rule("add_scalar", [](const std::vector<Variable>& v) { return add_scalar(v[0], 2.5); },
                         {random_input({2, 5}, 62)}));
  EXPECT_TRUE(check_rule("mul_scalar", [](const std::vector<Variable>& v) { return mul_scalar(v[0], -1.75); },
                         {random_input({2, 5}, 63)}));
}

TEST(ElementwiseGrad, PowScalar) {
  for (double p : {3.0, 2.0, 0.5, -1.5}) {
    auto f = [p](const std::vector<Variable>& v) { return pow_scalar(v[0], p); };
    EXPECT_TRUE(check_rule("pow_scalar p=" + std::to_string(p), f, {random_input({3, 4}, 71, 0.5, 2.0)}));
  }
}

TEST(ElementwiseGrad, ExpAndLog) {
  EXPECT_TRUE(check_rule("exp", [](const std::vector<Variable>& v) { return exp(v[0]); }, {random_input({3, 4}, 81, -2, 2)}));
  EXPECT_TRUE(check_rule("log", [](const std::vector<Variable>& v) { return log(v[0]); }, {random_input({3, 4}, 82, 0.2, 3)}));
}

TEST(ElementwiseGrad, Activations) {
  EXPECT_TRUE(check_rule("relu", [](const std::vector<Variable>& v) { return relu(v[0]); }, {away_from_zero({4, 6}, 91)}));
  EXPECT_TRUE(check_rule("tanh", [](const std::vector<Variable>& v) { return tanh(v[0]); }, {random_input({4, 6}, 92, -3, 3)}));
  EXPECT_TRUE(check_rule("sigmoid", [](const std::vector<Variable>& v) { return sigmoid(v[0]); },
                         {random_input({4, 6}, 93, -4, 4)}));
  Tensor x = random_input({4, 6}, 94, -4, 4);
  x.data<double>()[5] = 0.0;  // GELU is smooth at 0: the rule must be too
  EXPECT_TRUE(check_rule("gelu", [](const std::vector<Variable>& v) { return gelu(v[0]); }, {x}));
}

TEST(ElementwiseGrad, NonContiguousInputs) {
  // A transposed view and a strided slice as leaves: rules see any strides.
  const Tensor a = random_input({4, 3}, 101).t();                 // [3, 4], strides (1, 3)
  const Tensor b = random_input({3, 8}, 102).slice(1, 0, 8, 2);   // [3, 4], strides (8, 2)
  EXPECT_TRUE(check_rule("mul of views", [](const std::vector<Variable>& v) { return v[0] * v[1]; }, {a, b}));
  EXPECT_TRUE(check_rule("tanh of a view", [](const std::vector<Variable>& v) { return tanh(v[0]); }, {a}));
  EXPECT_TRUE(check_rule("div of views", [](const std::vector<Variable>& v) { return v[0] / v[1]; },
                         {a, random_input({3, 8}, 103, 1, 2).slice(1, 1, 8, 2)}));
}

TEST(ElementwiseGrad, Float32MatchesFloat64) {
  // The same rule on float32 values gives float32 gradients close to the float64 ones.
  const Tensor a64 = random_input({8, 16}, 111), b64 = random_input({16}, 112, 1, 2);
  Variable a32(a64.to(DType::kFloat32), true), b32(b64.to(DType::kFloat32), true);
  Variable a(a64, true), b(b64, true);
  const Variable y32 = sigmoid(a32 * b32) / b32, y = sigmoid(a * b) / b;
  const Tensor g = testing::random_output_grad(y.shape(), 113);
  const auto g32 = y32.grad_fn()->apply(g.to(DType::kFloat32));
  const auto g64 = y.grad_fn()->apply(g);
  ASSERT_EQ(g32.size(), 2u);
  EXPECT_EQ(g32[0].dtype(), DType::kFloat32);
  EXPECT_TRUE(testing::compare("sigmoid(a b) / b float32 vs float64, input 0", g32[0].shape(), g32[0].to_vector(), g64[0].to_vector(), 1e-5));
  EXPECT_TRUE(testing::compare("sigmoid(a b) / b float32 vs float64, input 1", g32[1].shape(), g32[1].to_vector(), g64[1].to_vector(), 1e-5));
}

// ---- part 2: matmul, reductions, shapes ---------------------------------------------------------

TEST(ShapeGrad, Matmul2D) {
  auto f = [](const std::vector<Variable>& v) { return matmul(v[0], v[1]); };
  EXPECT_TRUE(check_rule("matmul [3, 4] x [4, 5]", f, {random_input({3, 4}, 201), random_input({4, 5}, 202)}));
  EXPECT_TRUE(check_rule("matmul [1, 7] x [7, 1]", f, {random_input({1, 7}, 203), random_input({7, 1}, 204)}));
}

TEST(ShapeGrad, MatmulBatchedAndBroadcast) {
  auto f = [](const std::vector<Variable>& v) { return matmul(v[0], v[1]); };
  EXPECT_TRUE(check_rule("matmul [2, 3, 4] x [2, 4, 5]", f, {random_input({2, 3, 4}, 211), random_input({2, 4, 5}, 212)}));
  EXPECT_TRUE(check_rule("matmul [2, 3, 4] x [4, 5]", f, {random_input({2, 3, 4}, 213), random_input({4, 5}, 214)}));
  EXPECT_TRUE(check_rule("matmul [1, 3, 4] x [2, 4, 2]", f, {random_input({1, 3, 4}, 215), random_input({2, 4, 2}, 216)}));
  EXPECT_TRUE(check_rule("matmul [3, 4] x [2, 2, 4, 3]", f, {random_input({3, 4}, 217), random_input({2, 2, 4, 3}, 218)}));
}

TEST(ShapeGrad, MatmulOfViews) {
  auto f = [](const std::vector<Variable>& v) { return matmul(v[0], v[1]); };
  EXPECT_TRUE(check_rule("matmul of transposed views", f, {random_input({4, 3}, 221).t(), random_input({5, 4}, 222).t()}));
}

TEST(ShapeGrad, Sum) {
  const Tensor x = random_input({2, 3, 4}, 231);
  EXPECT_TRUE(check_rule("sum all", [](const std::vector<Variable>& v) { return sum(v[0]); }, {x}));
  EXPECT_TRUE(check_rule("sum axis 1", [](const std::vector<Variable>& v) { return sum(v[0], {1}); }, {x}));
  EXPECT_TRUE(check_rule("sum axes {0, 2} keepdim", [](const std::vector<Variable>& v) { return sum(v[0], {2, 0}, true); }, {x}));
  EXPECT_TRUE(check_rule("sum axis -1", [](const std::vector<Variable>& v) { return sum(v[0], {-1}); }, {x}));
  EXPECT_TRUE(check_rule("sum of a transposed view", [](const std::vector<Variable>& v) { return sum(v[0], {0}); },
                         {random_input({5, 3}, 232).t()}));
}

TEST(ShapeGrad, Mean) {
  const Tensor x = random_input({2, 3, 4}, 241);
  EXPECT_TRUE(check_rule("mean all", [](const std::vector<Variable>& v) { return mean(v[0]); }, {x}));
  EXPECT_TRUE(check_rule("mean axis 2", [](const std::vector<Variable>& v) { return mean(v[0], {2}); }, {x}));
  EXPECT_TRUE(check_rule("mean axes {0, 1} keepdim", [](const std::vector<Variable>& v) { return mean(v[0], {0, 1}, true); }, {x}));
}

TEST(ShapeGrad, BroadcastTo) {
  EXPECT_TRUE(check_rule("broadcast_to [3, 1] -> [2, 3, 4]",
                         [](const std::vector<Variable>& v) { return broadcast_to(v[0], {2, 3, 4}); }, {random_input({3, 1}, 251)}));
  EXPECT_TRUE(check_rule("broadcast_to [] -> [2, 2]", [](const std::vector<Variable>& v) { return broadcast_to(v[0], {2, 2}); },
                         {random_input({}, 252)}));
}

TEST(ShapeGrad, ReshapeAndTranspose) {
  EXPECT_TRUE(check_rule("reshape [2, 6] -> [3, -1]", [](const std::vector<Variable>& v) { return reshape(v[0], {3, -1}); },
                         {random_input({2, 6}, 261)}));
  EXPECT_TRUE(check_rule("reshape of a transposed view", [](const std::vector<Variable>& v) { return reshape(v[0], {12}); },
                         {random_input({4, 3}, 262).t()}));
  EXPECT_TRUE(check_rule("transpose 0, 2", [](const std::vector<Variable>& v) { return transpose(v[0], 0, 2); },
                         {random_input({2, 3, 4}, 263)}));
  EXPECT_TRUE(check_rule("transpose -1, -2", [](const std::vector<Variable>& v) { return transpose(v[0], -1, -2); },
                         {random_input({3, 5}, 264)}));
}

TEST(ShapeGrad, Float32MatchesFloat64) {
  const Tensor a64 = random_input({2, 6, 5}, 271), b64 = random_input({5, 3}, 272);
  Variable a32(a64.to(DType::kFloat32), true), b32(b64.to(DType::kFloat32), true), a(a64, true), b(b64, true);
  const Variable y32 = matmul(a32, b32), y = matmul(a, b);
  const Tensor g = testing::random_output_grad(y.shape(), 273);
  const auto g32 = y32.grad_fn()->apply(g.to(DType::kFloat32));
  const auto g64 = y.grad_fn()->apply(g);
  EXPECT_EQ(g32[1].dtype(), DType::kFloat32);
  EXPECT_TRUE(testing::compare("matmul float32 vs float64, input 0", g32[0].shape(), g32[0].to_vector(), g64[0].to_vector(), 1e-5));
  EXPECT_TRUE(testing::compare("matmul float32 vs float64, input 1", g32[1].shape(), g32[1].to_vector(), g64[1].to_vector(), 1e-5));
}

// ---- part 3: neural-network ops -----------------------------------------------------------------

TEST(NnGrad, Softmax) {
  EXPECT_TRUE(check_rule("softmax axis 1", [](const std::vector<Variable>& v) { return softmax(v[0], 1); },
                         {random_input({3, 5}, 301, -2, 2)}));
  EXPECT_TRUE(check_rule("softmax axis 0", [](const std::vector<Variable>& v) { return softmax(v[0], 0); },
                         {random_input({3, 5}, 302, -2, 2)}));
  EXPECT_TRUE(check_rule("softmax axis -1 of [2, 3, 4]", [](const std::vector<Variable>& v) { return softmax(v[0], -1); },
                         {random_input({2, 3, 4}, 303, -2, 2)}));
}

TEST(NnGrad, LogSoftmax) {
  EXPECT_TRUE(check_rule("log_softmax axis 1", [](const std::vector<Variable>& v) { return log_softmax(v[0], 1); },
                         {random_input({4, 6}, 311, -3, 3)}));
  EXPECT_TRUE(check_rule("log_softmax axis 0 of [3, 2, 2]", [](const std::vector<Variable>& v) { return log_softmax(v[0], 0); },
                         {random_input({3, 2, 2}, 312, -3, 3)}));
}

TEST(NnGrad, CrossEntropy) {
  const std::int64_t n = 6, c = 5;
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  const std::vector<double> draws = random_input({n}, 321, 0, static_cast<double>(c)).to_vector();
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<std::int32_t>(draws[i]);
  EXPECT_TRUE(check_rule("cross_entropy [6, 5]", [&](const std::vector<Variable>& v) { return cross_entropy(v[0], labels); },
                         {random_input({n, c}, 322, -3, 3)}));
}

TEST(NnGrad, LayerNorm) {
  auto f = [](const std::vector<Variable>& v) { return layer_norm(v[0], v[1], v[2]); };
  EXPECT_TRUE(check_rule("layer_norm [4, 6]", f, {random_input({4, 6}, 331, -2, 2), random_input({6}, 332), random_input({6}, 333)}));
  EXPECT_TRUE(check_rule("layer_norm [2, 3, 5]", f,
                         {random_input({2, 3, 5}, 334, -2, 2), random_input({5}, 335), random_input({5}, 336)}));
  EXPECT_TRUE(check_rule("layer_norm, gamma and beta fixed", f,
                         {random_input({3, 4}, 337, -2, 2), random_input({4}, 338), random_input({4}, 339)}, {true, false, false}));
}

TEST(NnGrad, MaxPool2d) {
  // Random values are distinct with probability 1 and far apart relative to h: no ties.
  EXPECT_TRUE(check_rule("max_pool2d k2 s2", [](const std::vector<Variable>& v) { return max_pool2d(v[0], 2, 2); },
                         {random_input({2, 3, 4, 4}, 341)}));
  EXPECT_TRUE(check_rule("max_pool2d k3 s2 p1 (overlapping windows)",
                         [](const std::vector<Variable>& v) { return max_pool2d(v[0], 3, 2, 1); },
                         {random_input({1, 2, 5, 5}, 342)}));
  EXPECT_TRUE(check_rule("max_pool2d k3 s1 (every interior element chosen by several windows)",
                         [](const std::vector<Variable>& v) { return max_pool2d(v[0], 3, 1); },
                         {random_input({1, 1, 5, 6}, 343)}));
}

// Rules must read their inputs and their output's gradient through strides: views as inputs
// (a transposed or sliced tensor) and a non-contiguous grad_output (what a consumer's rule that
// returns a view sends), for every op of this part that reduces along an axis or a window.
TEST(NnGrad, NonContiguousInputsAndOutputGradients) {
  using testing::OutputGrad;
  const auto strided = OutputGrad::kStrided;
  EXPECT_TRUE(check_rule("softmax axis 1 of a transposed view", [](const std::vector<Variable>& v) { return softmax(v[0], 1); },
                         {random_input({5, 3}, 371, -2, 2).t()}, {}, 1e-6, strided));
  EXPECT_TRUE(check_rule("log_softmax axis 1 of a strided slice",
                         [](const std::vector<Variable>& v) { return log_softmax(v[0], 1); },
                         {random_input({4, 12}, 372, -3, 3).slice(1, 1, 12, 2)}, {}, 1e-6, strided));
  std::vector<std::int32_t> labels = {2, 0, 4, 1};
  EXPECT_TRUE(check_rule("cross_entropy of transposed logits",
                         [&](const std::vector<Variable>& v) { return cross_entropy(v[0], labels); },
                         {random_input({5, 4}, 373, -3, 3).t()}));
  auto ln = [](const std::vector<Variable>& v) { return layer_norm(v[0], v[1], v[2]); };
  EXPECT_TRUE(check_rule("layer_norm of a transposed view, sliced gamma", ln,
                         {random_input({6, 4}, 374, -2, 2).t(), random_input({12}, 375).slice(0, 0, 12, 2), random_input({6}, 376)},
                         {}, 1e-6, strided));
  EXPECT_TRUE(check_rule("max_pool2d k2 s2 of a view with H and W transposed",
                         [](const std::vector<Variable>& v) { return max_pool2d(v[0], 2, 2); },
                         {random_input({1, 2, 4, 6}, 377).transpose(2, 3)}, {}, 1e-6, strided));
}

TEST(NnGrad, Dropout) {
  const std::uint64_t seed = aisys::testing::case_seed(351);
  EXPECT_TRUE(check_rule("dropout p=0.3", [seed](const std::vector<Variable>& v) { return dropout(v[0], 0.3, seed); },
                         {random_input({4, 8}, 352)}));
}

TEST(NnGrad, Float32MatchesFloat64) {
  const Tensor x64 = random_input({5, 7}, 361, -2, 2);
  Variable x32(x64.to(DType::kFloat32), true), x(x64, true);
  const Variable y32 = log_softmax(x32, 1), y = log_softmax(x, 1);
  const Tensor g = testing::random_output_grad(y.shape(), 362);
  const auto g32 = y32.grad_fn()->apply(g.to(DType::kFloat32));
  const auto g64 = y.grad_fn()->apply(g);
  EXPECT_EQ(g32[0].dtype(), DType::kFloat32);
  EXPECT_TRUE(testing::compare("log_softmax float32 vs float64", g32[0].shape(), g32[0].to_vector(), g64[0].to_vector(), 1e-5));
}

}  // namespace
}  // namespace aisys::lab02
