// Lab 02's given graph code (autograd.hpp): what it checks and refuses, independent of any student
// part (these tests pass with the skeleton too, and belong to no graded part): forward shape
// errors naming the op and both shapes, backward()'s argument checks, Node::apply()'s checks of a
// rule's result, grad mode, and the iterative destruction of a long chain.
#include <cmath>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02 {
namespace {

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(AutogradPlatform, ShapeMismatchNamesOpAndShapes) {
  Variable a(Tensor::ones({2, 3}), true), b(Tensor::ones({4}), true);
  const std::string m = message_of([&] { (void)(a * b); });
  EXPECT_NE(m.find("mul"), std::string::npos) << m;
  EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
  EXPECT_NE(m.find("[4]"), std::string::npos) << m;
  const std::string mm = message_of([&] { (void)matmul(a, Variable(Tensor::ones({4, 2}))); });
  EXPECT_NE(mm.find("matmul"), std::string::npos) << mm;
  EXPECT_NE(mm.find("[4, 2]"), std::string::npos) << mm;
}

TEST(AutogradPlatform, BackwardArgumentChecks) {
  Variable x(Tensor::ones({2, 2}), true);
  const Variable y = x * x;
  const std::string non_scalar = message_of([&] { backward(y); });
  EXPECT_NE(non_scalar.find("[2, 2]"), std::string::npos) << non_scalar;
  EXPECT_NE(non_scalar.find("seed"), std::string::npos) << non_scalar;
  EXPECT_NE(message_of([&] { backward(y, Tensor::ones({3})); }).find("[3]"), std::string::npos);
  EXPECT_NE(message_of([&] { backward(Variable(Tensor::ones({1}))); }).find("does not require a gradient"), std::string::npos);
  EXPECT_NE(message_of([&] { backward(Variable()); }).find("undefined"), std::string::npos);
}

TEST(AutogradPlatform, RecordsOnlyWhatNeedsGradients) {
  Variable x(Tensor::ones({3}), true), c(Tensor::ones({3}), false);
  EXPECT_EQ((c * c).grad_fn(), nullptr);
  const Variable y = x * c;
  ASSERT_NE(y.grad_fn(), nullptr);
  EXPECT_EQ(y.grad_fn()->op(), "mul");
  EXPECT_TRUE(y.grad_fn()->needs_input_grad(0));
  EXPECT_FALSE(y.grad_fn()->needs_input_grad(1));
  EXPECT_EQ(y.grad_fn()->num_saved(), 2u);
  {
    NoGradGuard no_grad;
    EXPECT_EQ((x * x).grad_fn(), nullptr);
  }
  EXPECT_NE((x * x).grad_fn(), nullptr);
}

std::vector<Tensor> wrong_shape_rule(const Node&, const Tensor&) { return {Tensor::ones({5})}; }
std::vector<Tensor> nan_rule(const Node&, const Tensor& g) { return {ops::mul_scalar(g, std::nan(""))}; }

TEST(AutogradPlatform, ApplyChecksTheRulesResult) {
  Variable x(Tensor::ones({2, 3}), true);
  Node::Input in;
  in.leaf = x.impl();
  in.shape = x.shape();
  Node bad("custom", {in}, {2, 3}, DType::kFloat32, Device::cpu(), {}, wrong_shape_rule);
  const std::string m = message_of([&] { bad.apply(Tensor::ones({2, 3})); });
  EXPECT_NE(m.find("custom"), std::string::npos) << m;
  EXPECT_NE(m.find("[5]"), std::string::npos) << m;
  EXPECT_NE(m.find("[2, 3]"), std::string::npos) << m;
  EXPECT_NE(message_of([&] { bad.apply(Tensor::ones({3})); }).find("output gradient"), std::string::npos);
  Node nan("nanny", {in}, {2, 3}, DType::kFloat32, Device::cpu(), {}, nan_rule);
  EXPECT_EQ(message_of([&] { nan.apply(Tensor::ones({2, 3})); }), "");
  EXPECT_NE(message_of([&] { nan.apply(Tensor::ones({2, 3}), true); }).find("NaN or Inf"), std::string::npos);
}

TEST(AutogradPlatform, SavedTensorsAfterRelease) {
  Variable x(Tensor::ones({4}), true);
  const Variable y = exp(x);
  Node& n = *y.grad_fn();
  EXPECT_EQ(n.saved_bytes(), 16u);
  n.release_saved();
  EXPECT_TRUE(n.saved_released());
  EXPECT_EQ(n.saved_bytes(), 0u);
  const std::string m = message_of([&] { n.saved(0); });
  EXPECT_NE(m.find("exp"), std::string::npos) << m;
  EXPECT_NE(m.find("retain_graph"), std::string::npos) << m;
}

TEST(AutogradPlatform, DestroyingALongChainDoesNotRecurse) {
  Variable x(Tensor::ones({1}), true);
  Variable y = x;
  for (int i = 0; i < 200000; ++i) y = add_scalar(y, 1.0);
  EXPECT_EQ(y.value().item(), 200001.0);
  y = Variable();  // ~Node releases the chain in a loop
  SUCCEED();
}

}  // namespace
}  // namespace aisys::lab02
