// Lab 02's differentiable ops (autograd.hpp): each computes its value with the platform's forward
// kernels (kernels::ops) and, when grad mode is on and an input requires a gradient, records a
// Node with what its backward rule (rules.hpp, the student's) needs. Given to students.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "aisys/lab02/autograd.hpp"
#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/rules.hpp"
#include "profiling.hpp"

namespace aisys::lab02 {

namespace {

using detail::KernelPhase;
using detail::ScopedKernelTimer;

void require(const Variable& v, const char* op, const char* which = "input") {
  if (!v.defined()) throw InvalidArgument(std::string(op) + ": the " + which + " variable is undefined");
}

// The node of an op's result, or null when nothing needs a gradient (grad mode off, or no input
// requires one).
std::shared_ptr<Node> record(const char* op, std::initializer_list<const Variable*> inputs, const Tensor& out,
                             std::vector<Tensor> saved, Node::Rule rule) {
  if (!grad_mode_enabled()) return nullptr;
  bool any = false;
  for (const Variable* v : inputs) any = any || v->requires_grad();
  if (!any) return nullptr;
  std::vector<Node::Input> edges;
  edges.reserve(inputs.size());
  for (const Variable* v : inputs) {
    Node::Input in;
    in.shape = v->shape();
    if (v->grad_fn()) {
      in.node = v->grad_fn();
    } else if (v->requires_grad()) {
      in.leaf = v->impl();
    }
    edges.push_back(std::move(in));
  }
  return std::make_shared<Node>(op, std::move(edges), out.shape(), out.dtype(), out.device(), std::move(saved), rule);
}

int normalise_axis(int axis, int dim, const char* op) {
  const int a = axis < 0 ? axis + dim : axis;
  if (a < 0 || a >= std::max(dim, 1)) {
    throw InvalidArgument(std::string(op) + ": axis " + std::to_string(axis) + " is out of range for " +
                          std::to_string(dim) + " dimensions");
  }
  return a;
}

std::vector<std::int64_t> normalise_axes(const std::vector<int>& axes, int dim, const char* op) {
  std::vector<std::int64_t> out;
  if (axes.empty()) {
    for (int d = 0; d < dim; ++d) out.push_back(d);
    return out;
  }
  for (int a : axes) out.push_back(normalise_axis(a, dim, op));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

template <typename Kernel>
Variable unary(const char* op, const Variable& a, Kernel kernel, Node::Rule rule, bool save_input, bool save_output) {
  require(a, op);
  Tensor out;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    out = kernel(a.value());
  }
  std::vector<Tensor> saved;
  if (save_input) saved.push_back(a.value());
  if (save_output) saved.push_back(out);
  auto node = record(op, {&a}, out, std::move(saved), rule);
  return Variable(std::move(out), std::move(node));
}

template <typename Kernel>
Variable binary(const char* op, const Variable& a, const Variable& b, Kernel kernel, Node::Rule rule, bool save_inputs) {
  require(a, op, "first");
  require(b, op, "second");
  Tensor out;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    out = kernel(a.value(), b.value());
  }
  std::vector<Tensor> saved;
  if (save_inputs) saved = {a.value(), b.value()};
  auto node = record(op, {&a, &b}, out, std::move(saved), rule);
  return Variable(std::move(out), std::move(node));
}

}  // namespace

// ---- elementwise -------------------------------------------------------------------------------

Variable add(const Variable& a, const Variable& b) { return binary("add", a, b, ops::add, rules::add_backward, false); }
Variable sub(const Variable& a, const Variable& b) { return binary("sub", a, b, ops::sub, rules::sub_backward, false); }
Variable mul(const Variable& a, const Variable& b) { return binary("mul", a, b, ops::mul, rules::mul_backward, true); }
Variable div(const Variable& a, const Variable& b) { return binary("div", a, b, ops::div, rules::div_backward, true); }
Variable neg(const Variable& a) { return unary("neg", a, ops::neg, rules::neg_backward, false, false); }

Variable add_scalar(const Variable& a, double s) {
  return unary("add_scalar", a, [s](const Tensor& x) { return ops::add_scalar(x, s); }, rules::add_scalar_backward,
               false, false);
}

Variable mul_scalar(const Variable& a, double s) {
  Variable out = unary("mul_scalar", a, [s](const Tensor& x) { return ops::mul_scalar(x, s); },
                       rules::mul_scalar_backward, false, false);
  if (out.grad_fn()) out.grad_fn()->set_attr("value", s);
  return out;
}

Variable pow_scalar(const Variable& a, double p) {
  Variable out = unary("pow_scalar", a, [p](const Tensor& x) { return ops::pow_scalar(x, p); },
                       rules::pow_scalar_backward, true, false);
  if (out.grad_fn()) out.grad_fn()->set_attr("exponent", p);
  return out;
}

Variable exp(const Variable& a) { return unary("exp", a, ops::exp, rules::exp_backward, false, true); }
Variable log(const Variable& a) { return unary("log", a, ops::log, rules::log_backward, true, false); }
Variable relu(const Variable& a) { return unary("relu", a, ops::relu, rules::relu_backward, false, true); }
Variable tanh(const Variable& a) { return unary("tanh", a, ops::tanh, rules::tanh_backward, false, true); }
Variable sigmoid(const Variable& a) { return unary("sigmoid", a, ops::sigmoid, rules::sigmoid_backward, false, true); }
Variable gelu(const Variable& a) { return unary("gelu", a, ops::gelu, rules::gelu_backward, true, false); }

// ---- shapes and reductions ---------------------------------------------------------------------

Variable matmul(const Variable& a, const Variable& b) {
  return binary("matmul", a, b, ops::matmul, rules::matmul_backward, true);
}

namespace {
Variable reduction(const char* op, const Variable& a, const std::vector<int>& axes, bool keepdim, Node::Rule rule,
                   Tensor (*kernel)(const Tensor&, const std::vector<int>&, bool)) {
  require(a, op);
  const auto normalised = normalise_axes(axes, a.value().dim(), op);
  Tensor out;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    out = kernel(a.value(), axes, keepdim);
  }
  auto node = record(op, {&a}, out, {}, rule);
  if (node) {
    node->set_attr_list("axes", normalised);
    node->set_attr("keepdim", keepdim ? 1 : 0);
  }
  return Variable(std::move(out), std::move(node));
}
}  // namespace

Variable sum(const Variable& a, const std::vector<int>& axes, bool keepdim) {
  return reduction("sum", a, axes, keepdim, rules::sum_backward, ops::sum);
}
Variable mean(const Variable& a, const std::vector<int>& axes, bool keepdim) {
  return reduction("mean", a, axes, keepdim, rules::mean_backward, ops::mean);
}

Variable broadcast_to(const Variable& a, const Shape& shape) {
  return unary("broadcast_to", a, [&shape](const Tensor& x) { return x.broadcast_to(shape); },
               rules::broadcast_to_backward, false, false);
}

Variable reshape(const Variable& a, const Shape& shape) {
  return unary("reshape", a, [&shape](const Tensor& x) { return x.reshape(shape); }, rules::reshape_backward, false,
               false);
}

Variable transpose(const Variable& a, int dim0, int dim1) {
  require(a, "transpose");
  const int d0 = normalise_axis(dim0, a.value().dim(), "transpose");
  const int d1 = normalise_axis(dim1, a.value().dim(), "transpose");
  Variable out = unary("transpose", a, [d0, d1](const Tensor& x) { return x.transpose(d0, d1); },
                       rules::transpose_backward, false, false);
  if (out.grad_fn()) {
    out.grad_fn()->set_attr("dim0", d0);
    out.grad_fn()->set_attr("dim1", d1);
  }
  return out;
}

// ---- neural-network ops ------------------------------------------------------------------------

Variable softmax(const Variable& a, int axis) {
  require(a, "softmax");
  const int ax = normalise_axis(axis, a.value().dim(), "softmax");
  Variable out = unary("softmax", a, [ax](const Tensor& x) { return ops::softmax(x, ax); }, rules::softmax_backward,
                       false, true);
  if (out.grad_fn()) out.grad_fn()->set_attr("axis", ax);
  return out;
}

Variable log_softmax(const Variable& a, int axis) {
  require(a, "log_softmax");
  const int ax = normalise_axis(axis, a.value().dim(), "log_softmax");
  Variable out = unary("log_softmax", a, [ax](const Tensor& x) { return ops::log_softmax(x, ax); },
                       rules::log_softmax_backward, false, true);
  if (out.grad_fn()) out.grad_fn()->set_attr("axis", ax);
  return out;
}

Variable cross_entropy(const Variable& logits, std::span<const std::int32_t> labels) {
  require(logits, "cross_entropy", "logits");
  const Tensor& x = logits.value();
  Tensor out;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    out = x.device().is_cpu() ? ops::cross_entropy(x, labels) : ops::cross_entropy(x.to(Device::cpu()), labels).to(x.device());
  }
  std::vector<Tensor> saved;
  if (grad_mode_enabled() && logits.requires_grad()) {
    // ops::cross_entropy validated the shapes and labels.
    const std::int64_t n = x.size(0), c = x.size(1);
    Tensor onehot = Tensor::zeros({n, c}, DType::kFloat64);
    double* p = onehot.data<double>();
    for (std::int64_t i = 0; i < n; ++i) p[i * c + labels[static_cast<std::size_t>(i)]] = 1.0;
    saved = {x, onehot.to(x.dtype()).to(x.device())};
  }
  auto node = record("cross_entropy", {&logits}, out, std::move(saved), rules::cross_entropy_backward);
  return Variable(std::move(out), std::move(node));
}

Variable layer_norm(const Variable& x, const Variable& gamma, const Variable& beta, double eps) {
  require(x, "layer_norm", "x");
  require(gamma, "layer_norm", "gamma");
  require(beta, "layer_norm", "beta");
  ops::LayerNormResult r;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    r = ops::layer_norm(x.value(), gamma.value(), beta.value(), eps);
  }
  auto node = record("layer_norm", {&x, &gamma, &beta}, r.y, {x.value(), gamma.value(), r.mean, r.rstd},
                     rules::layer_norm_backward);
  if (node) node->set_attr("eps", eps);
  return Variable(std::move(r.y), std::move(node));
}

Variable max_pool2d(const Variable& x, int kernel, int stride, int padding) {
  require(x, "max_pool2d");
  ops::MaxPoolResult r;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    r = ops::max_pool2d(x.value(), kernel, stride, padding);
  }
  std::vector<Tensor> saved;
  if (grad_mode_enabled() && x.requires_grad()) {
    Tensor argmax = Tensor::empty(r.y.shape(), DType::kFloat64);
    double* p = argmax.data<double>();
    for (std::size_t i = 0; i < r.argmax.size(); ++i) p[i] = static_cast<double>(r.argmax[i]);
    saved.push_back(argmax);
  }
  auto node = record("max_pool2d", {&x}, r.y, std::move(saved), rules::max_pool2d_backward);
  if (node) {
    node->set_attr("kernel", kernel);
    node->set_attr("stride", stride);
    node->set_attr("padding", padding);
  }
  return Variable(std::move(r.y), std::move(node));
}

Variable dropout(const Variable& x, double p, std::uint64_t seed, bool training) {
  require(x, "dropout");
  if (!(p >= 0.0 && p < 1.0)) throw InvalidArgument("dropout: p must be in [0, 1), got " + std::to_string(p));
  if (!training || p == 0.0) return x;
  Tensor mask = ops::dropout_mask(x.shape(), p, seed, x.dtype());
  if (!x.value().device().is_cpu()) mask = mask.to(x.value().device());
  Tensor out;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    out = ops::mul(x.value(), mask);
  }
  auto node = record("dropout", {&x}, out, {mask}, rules::dropout_backward);
  if (node) node->set_attr("p", p);
  return Variable(std::move(out), std::move(node));
}

Variable conv2d(const Variable& x, const Variable& w, int stride, int padding) {
  require(x, "conv2d", "input");
  require(w, "conv2d", "weight");
  ConvGeometry::from_shapes(x.shape(), w.shape(), stride, padding, "conv2d");  // names bad shapes
  Tensor out;
  {
    ScopedKernelTimer timer(KernelPhase::kForward);
    out = conv2d_forward(x.value(), w.value(), stride, padding);
  }
  auto node = record("conv2d", {&x, &w}, out, {x.value(), w.value()}, rules::conv2d_backward);
  if (node) {
    node->set_attr("stride", stride);
    node->set_attr("padding", padding);
  }
  return Variable(std::move(out), std::move(node));
}

}  // namespace aisys::lab02
