// Lab 02 test support: finite-difference gradient checks in float64 (shared by tests/ and the
// hidden tests).
//
// check_rule(): one op's backward rule, alone. The op is applied to float64 leaves; its node's rule
// (Node::apply) gets a random output gradient G, and each input's gradient is compared with the
// central difference of L(x) = sum(G * op(x)) (h = 1e-6 max(1, |x|)), by relative Frobenius error
// (tolerance 1e-6, far above the O(h^2) truncation and O(eps / h) rounding of the difference,
// far below any wrong rule's error). This needs no backward engine (part 5), so the rule parts are
// graded on their own.
//
// check_graph(): a whole graph through backward() (the student's engine): every leaf's grad()
// against the central difference of sum(G * f(leaves)).
//
// A failure prints what a student needs: the op, the input, its shape, the seed, the first element
// whose error exceeds the tolerance (multi-index), expected (finite difference) and got (the rule),
// and the command that reruns exactly that case.
#pragma once

#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/harness/testing.hpp"
#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02::testing {

using Fn = std::function<Variable(const std::vector<Variable>&)>;

// A pointer to logical element `linear` (row-major order) of a CPU float64 tensor of any strides.
inline double* element(const Tensor& t, std::int64_t linear) {
  double* p = t.data<double>();
  std::int64_t offset = 0;
  for (int d = t.dim() - 1; d >= 0; --d) {
    const std::int64_t size = t.shape()[static_cast<std::size_t>(d)];
    offset += (linear % size) * t.strides()[static_cast<std::size_t>(d)];
    linear /= size;
  }
  return p + offset;
}

inline std::string index_string(const Shape& shape, std::int64_t linear) {
  std::vector<std::int64_t> idx(shape.size());
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    idx[static_cast<std::size_t>(d)] = linear % shape[static_cast<std::size_t>(d)];
    linear /= shape[static_cast<std::size_t>(d)];
  }
  std::string s = "[";
  for (std::size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + std::to_string(idx[i]);
  return s + "]";
}

// sum(G * f(x)) in double, recording nothing.
inline double weighted_sum(const Fn& f, const std::vector<Variable>& inputs, const Tensor& g) {
  NoGradGuard no_grad;
  const Tensor out = f(inputs).value();
  const std::vector<double> o = out.to_vector(), w = g.to_vector();
  double s = 0;
  for (std::size_t i = 0; i < o.size(); ++i) s += o[i] * w[i];
  return s;
}

// The central difference of sum(G * f) with respect to every element of input j.
inline std::vector<double> numeric_gradient(const Fn& f, const std::vector<Variable>& inputs, std::size_t j,
                                            const Tensor& g) {
  const Tensor& x = inputs[j].value();
  std::vector<double> out(static_cast<std::size_t>(x.numel()));
  for (std::int64_t e = 0; e < x.numel(); ++e) {
    double* p = element(x, e);
    const double saved = *p, h = 1e-6 * std::max(1.0, std::abs(saved));
    *p = saved + h;
    const double up = weighted_sum(f, inputs, g);
    *p = saved - h;
    const double down = weighted_sum(f, inputs, g);
    *p = saved;
    out[static_cast<std::size_t>(e)] = (up - down) / (2 * h);
  }
  return out;
}

inline ::testing::AssertionResult compare(const std::string& what, const Shape& shape, const std::vector<double>& got,
                                          const std::vector<double>& expected, double tolerance) {
  double diff = 0, norm = 0, scale = 1;
  for (double e : expected) scale = std::max(scale, std::abs(e));
  std::int64_t first_bad = -1;
  bool finite = true;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double d = got[i] - expected[i];
    if (!std::isfinite(got[i])) finite = false;
    diff += d * d;
    norm += expected[i] * expected[i];
    if (first_bad < 0 && !(std::abs(d) <= 10 * tolerance * scale)) first_bad = static_cast<std::int64_t>(i);
  }
  const double error = std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
  if (finite && error <= tolerance) return ::testing::AssertionSuccess();
  std::ostringstream m;
  m << what << ": shape " << kernels::to_string(shape) << ", seed " << aisys::testing::test_seed()
    << ": relative error " << error << " > tolerance " << tolerance;
  if (!finite) m << " (a gradient is not finite)";
  if (first_bad < 0) {
    for (std::size_t i = 0; i < got.size(); ++i) {
      if (!std::isfinite(got[i]) || std::abs(got[i] - expected[i]) > tolerance * scale) {
        first_bad = static_cast<std::int64_t>(i);
        break;
      }
    }
  }
  if (first_bad >= 0) {
    const auto b = static_cast<std::size_t>(first_bad);
    m << "\n  first bad element " << index_string(shape, first_bad) << ": expected (finite difference) " << expected[b]
      << ", got " << got[b];
  }
  m << "\n  rerun: " << aisys::testing::rerun_command();
  return ::testing::AssertionFailure() << m.str();
}

// A seeded output gradient of the given shape (never zero: N(0, 1) draws).
inline Tensor random_output_grad(const Shape& shape, std::uint64_t salt) {
  return Tensor::normal(shape, 0.0, 1.0, aisys::testing::case_seed(salt), DType::kFloat64);
}

// Random float64 inputs in [lo, hi) (seeded by salt).
inline Tensor random_input(const Shape& shape, std::uint64_t salt, double lo = -1.0, double hi = 1.0) {
  return Tensor::uniform(shape, lo, hi, aisys::testing::case_seed(salt), DType::kFloat64);
}

// The same values as t in a tensor that is not contiguous (the last two dimensions transposed in
// memory, or every other element of a buffer twice as long for one dimension): what a rule gets
// as its output's gradient when the consumer's rule returned a view.
inline Tensor non_contiguous_copy(const Tensor& t) {
  if (t.dim() >= 2) return t.transpose(-2, -1).contiguous().transpose(-2, -1);
  if (t.dim() == 1 && t.numel() > 1) {
    Tensor wide = Tensor::zeros({2 * t.numel()}, t.dtype());
    Tensor view = wide.slice(0, 0, 2 * t.numel(), 2);
    view.copy_from(t);
    return view;
  }
  return t;
}

enum class OutputGrad { kContiguous, kStrided };

// Checks the backward rule of the single op f applies to `inputs` (float64 CPU tensors, any
// strides; those with needs_grad[j] false get no gradient and must get none). With
// OutputGrad::kStrided the rule's grad_output is a non-contiguous view (same values).
inline ::testing::AssertionResult check_rule(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
                                             std::vector<bool> needs_grad = {}, double tolerance = 1e-6,
                                             OutputGrad output_grad = OutputGrad::kContiguous) {
  if (needs_grad.empty()) needs_grad.assign(inputs.size(), true);
  std::vector<Variable> leaves;
  for (std::size_t j = 0; j < inputs.size(); ++j) leaves.emplace_back(inputs[j], needs_grad[j], "input " + std::to_string(j));
  const Variable out = f(leaves);
  const std::shared_ptr<Node> node = out.grad_fn();
  if (!node) return ::testing::AssertionFailure() << what << ": the op recorded no node";
  const Tensor g = random_output_grad(out.shape(), 7919);
  const std::vector<Tensor> grads = node->apply(output_grad == OutputGrad::kStrided ? non_contiguous_copy(g) : g);
  // Sum the gradients of the node's inputs per leaf (an op may read one leaf twice).
  std::vector<std::vector<double>> analytic(inputs.size());
  for (std::size_t j = 0; j < inputs.size(); ++j) analytic[j].assign(static_cast<std::size_t>(inputs[j].numel()), 0.0);
  for (std::size_t i = 0; i < node->num_inputs(); ++i) {
    if (!node->needs_input_grad(i)) continue;
    const Variable leaf = node->input_leaf(i);
    std::size_t j = 0;
    while (j < leaves.size() && !(leaves[j] == leaf)) ++j;
    if (j == leaves.size()) return ::testing::AssertionFailure() << what << ": check_rule needs a single op on leaves";
    const std::vector<double> gi = grads[i].to_vector();
    for (std::size_t e = 0; e < gi.size(); ++e) analytic[j][e] += gi[e];
  }
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    if (!needs_grad[j]) continue;
    const auto result = compare(what + ", gradient of input " + std::to_string(j) + " (" + node->op() + "_backward)",
                                inputs[j].shape(), analytic[j], numeric_gradient(f, leaves, j, g), tolerance);
    if (!result) return result;
  }
  return ::testing::AssertionSuccess();
}

// Checks backward() over the whole graph f builds: every leaf's accumulated grad().
inline ::testing::AssertionResult check_graph(const std::string& what, const Fn& f, const std::vector<Tensor>& inputs,
                                              double tolerance = 1e-6) {
  std::vector<Variable> leaves;
  for (std::size_t j = 0; j < inputs.size(); ++j) leaves.emplace_back(inputs[j], true, "input " + std::to_string(j));
  const Variable out = f(leaves);
  const Tensor g = random_output_grad(out.shape(), 104729);
  backward(out, g);
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    if (!leaves[j].grad().defined()) {
      return ::testing::AssertionFailure() << what << ": input " << j << " received no gradient\n  rerun: "
                                           << aisys::testing::rerun_command();
    }
    const auto result = compare(what + ", gradient of input " + std::to_string(j), inputs[j].shape(),
                                leaves[j].grad().to_vector(), numeric_gradient(f, leaves, j, g), tolerance);
    if (!result) return result;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace aisys::lab02::testing
