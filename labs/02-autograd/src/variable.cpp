// Lab 02's graph data structures (autograd.hpp): Variable, Node (with the checks every backward
// rule's result goes through), grad mode, the argument checks of backward(), kernel profiling.
// Given to students: nothing here computes a gradient.
#include <atomic>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "aisys/lab02/autograd.hpp"
#include "profiling.hpp"

namespace aisys::lab02 {

// ---- Variable ----------------------------------------------------------------------------------

Variable::Variable(Tensor value, bool requires_grad, std::string name) : impl_(std::make_shared<VariableImpl>()) {
  if (!value.defined()) throw InvalidArgument("Variable: the value tensor is undefined");
  impl_->value = std::move(value);
  impl_->requires_grad = requires_grad;
  impl_->name = std::move(name);
}

Variable::Variable(Tensor value, std::shared_ptr<Node> grad_fn) : impl_(std::make_shared<VariableImpl>()) {
  impl_->value = std::move(value);
  impl_->requires_grad = grad_fn != nullptr;
  impl_->grad_fn = std::move(grad_fn);
}

void Variable::require_defined(const char* what) const {
  if (!impl_) throw InvalidArgument(std::string("Variable::") + what + ": the variable is undefined");
}

const Tensor& Variable::value() const {
  require_defined("value");
  return impl_->value;
}
bool Variable::requires_grad() const {
  require_defined("requires_grad");
  return impl_->requires_grad;
}
const std::shared_ptr<Node>& Variable::grad_fn() const {
  static const std::shared_ptr<Node> none;
  return impl_ ? impl_->grad_fn : none;
}
const Tensor& Variable::grad() const {
  require_defined("grad");
  return impl_->grad;
}
void Variable::set_grad(Tensor grad) {
  require_defined("set_grad");
  if (grad.defined() && grad.shape() != impl_->value.shape()) {
    throw InvalidArgument("Variable::set_grad: gradient of shape " + kernels::to_string(grad.shape()) +
                          " for a variable of shape " + kernels::to_string(impl_->value.shape()) +
                          (impl_->name.empty() ? std::string() : " ('" + impl_->name + "')"));
  }
  impl_->grad = std::move(grad);
}
const std::string& Variable::name() const {
  require_defined("name");
  return impl_->name;
}
Variable Variable::from_impl(std::shared_ptr<VariableImpl> impl) {
  Variable v;
  v.impl_ = std::move(impl);
  return v;
}

Variable Variable::detach() const {
  require_defined("detach");
  return Variable(impl_->value, false, impl_->name);
}

// ---- Node --------------------------------------------------------------------------------------

namespace {
std::atomic<std::int64_t> next_node_id{0};
thread_local bool grad_enabled = true;
}  // namespace

Node::Node(std::string op, std::vector<Input> inputs, Shape output_shape, DType dtype, Device device,
           std::vector<Tensor> saved, Rule rule)
    : op_(std::move(op)),
      id_(next_node_id++),
      inputs_(std::move(inputs)),
      output_shape_(std::move(output_shape)),
      dtype_(dtype),
      device_(device),
      saved_(std::move(saved)),
      rule_(rule) {}

Node::~Node() {
  // Destroying the last reference to a long chain would otherwise recurse once per node. Take over
  // the producers this node alone keeps alive and release them in a loop instead.
  std::vector<std::shared_ptr<Node>> pending;
  for (Input& in : inputs_) {
    if (in.node && in.node.use_count() == 1) pending.push_back(std::move(in.node));
  }
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    for (Input& in : n->inputs_) {
      if (in.node && in.node.use_count() == 1) pending.push_back(std::move(in.node));
    }
    // n is destroyed here with no producers left to recurse into.
  }
}

std::string Node::describe() const { return op_ + " (node " + std::to_string(id_) + ")"; }

Node* Node::input_node(std::size_t i) const { return input_node_ptr(i).get(); }

const std::shared_ptr<Node>& Node::input_node_ptr(std::size_t i) const {
  if (i >= inputs_.size()) {
    throw InvalidArgument(describe() + ": input " + std::to_string(i) + " does not exist (it has " +
                          std::to_string(inputs_.size()) + ")");
  }
  return inputs_[i].node;
}

Variable Node::input_leaf(std::size_t i) const {
  input_node_ptr(i);  // range check
  return inputs_[i].leaf ? Variable::from_impl(inputs_[i].leaf) : Variable();
}

bool Node::needs_input_grad(std::size_t i) const {
  input_node_ptr(i);
  return inputs_[i].node != nullptr || inputs_[i].leaf != nullptr;
}

const Shape& Node::input_shape(std::size_t i) const {
  input_node_ptr(i);
  return inputs_[i].shape;
}

const Tensor& Node::saved(std::size_t i) const {
  if (released_) {
    throw Error("backward of " + describe() +
                ": its saved tensors were freed by an earlier backward; to run backward twice over the same "
                "graph, pass BackwardOptions{.retain_graph = true} to the first one");
  }
  if (i >= saved_.size()) {
    throw InvalidArgument(describe() + ": saved tensor " + std::to_string(i) + " does not exist (it saved " +
                          std::to_string(saved_.size()) + ")");
  }
  return saved_[i];
}

void Node::release_saved() {
  had_saved_ = had_saved_ || !saved_.empty();
  saved_.clear();
  saved_.shrink_to_fit();
  released_ = true;
}

std::size_t Node::saved_bytes() const {
  std::size_t bytes = 0;
  for (const Tensor& t : saved_) {
    if (t.defined()) bytes += t.storage()->bytes();
  }
  return bytes;
}

double Node::attr(const std::string& key) const {
  for (const auto& [k, v] : attrs_) {
    if (k == key) return v;
  }
  throw Error(describe() + ": no attribute '" + key + "'");
}

const std::vector<std::int64_t>& Node::attr_list(const std::string& key) const {
  for (const auto& [k, v] : list_attrs_) {
    if (k == key) return v;
  }
  throw Error(describe() + ": no list attribute '" + key + "'");
}

bool Node::has_attr(const std::string& key) const {
  for (const auto& [k, v] : attrs_) {
    if (k == key) return true;
  }
  for (const auto& [k, v] : list_attrs_) {
    if (k == key) return true;
  }
  return false;
}

void Node::set_attr(const std::string& key, double value) { attrs_.emplace_back(key, value); }
void Node::set_attr_list(const std::string& key, std::vector<std::int64_t> values) {
  list_attrs_.emplace_back(key, std::move(values));
}

namespace {
bool all_finite(const Tensor& t) {
  const Tensor cpu = t.device().is_cpu() ? t : t.to(Device::cpu());
  for (double v : cpu.to_vector()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}
}  // namespace

std::vector<Tensor> Node::apply(const Tensor& grad_output, bool check_finite) const {
  if (released_ && had_saved_) saved(0);  // throws the freed-buffers error
  if (!grad_output.defined()) throw InvalidArgument("backward of " + describe() + ": the output gradient is undefined");
  if (grad_output.shape() != output_shape_) {
    throw InvalidArgument("backward of " + describe() + ": the output gradient has shape " +
                          kernels::to_string(grad_output.shape()) + ", the output " + kernels::to_string(output_shape_));
  }
  std::vector<Tensor> grads;
  {
    detail::ScopedKernelTimer timer(detail::KernelPhase::kBackward);
    NoGradGuard no_grad;
    grads = rule_(*this, grad_output);
  }
  if (grads.size() != inputs_.size()) {
    throw InvalidArgument("backward of " + describe() + ": the rule returned " + std::to_string(grads.size()) +
                          " gradients for " + std::to_string(inputs_.size()) + " inputs");
  }
  for (std::size_t i = 0; i < grads.size(); ++i) {
    if (!needs_input_grad(i)) {
      grads[i] = Tensor();
      continue;
    }
    const Tensor& g = grads[i];
    const std::string which = "backward of " + describe() + ": the gradient of input " + std::to_string(i);
    if (!g.defined()) throw InvalidArgument(which + " is undefined, but that input needs one");
    if (g.shape() != inputs_[i].shape) {
      throw InvalidArgument(which + " has shape " + kernels::to_string(g.shape()) + ", the input " +
                            kernels::to_string(inputs_[i].shape));
    }
    if (g.dtype() != dtype_) {
      throw InvalidArgument(which + " is " + kernels::name_of(g.dtype()) + ", the input " + kernels::name_of(dtype_));
    }
    if (!(g.device() == device_)) {
      throw InvalidArgument(which + " is on " + kernels::to_string(g.device()) + ", the input on " +
                            kernels::to_string(device_));
    }
    if (check_finite && !all_finite(g)) {
      throw Error(which + " holds NaN or Inf (shape " + kernels::to_string(g.shape()) + ")");
    }
  }
  return grads;
}

// ---- grad mode ---------------------------------------------------------------------------------

NoGradGuard::NoGradGuard() : previous_(grad_enabled) { grad_enabled = false; }
NoGradGuard::~NoGradGuard() { grad_enabled = previous_; }
bool grad_mode_enabled() { return grad_enabled; }

// ---- backward() --------------------------------------------------------------------------------

void backward(const Variable& root, const Tensor& seed, const BackwardOptions& options) {
  if (!root.defined()) throw InvalidArgument("backward: the root variable is undefined");
  if (!root.requires_grad()) {
    throw InvalidArgument("backward: the root " + kernels::to_string(root.shape()) +
                          " does not require a gradient (no input of the ops that made it requires one)");
  }
  Tensor grad = seed;
  if (!grad.defined()) {
    if (root.value().numel() != 1) {
      throw InvalidArgument("backward: the root has shape " + kernels::to_string(root.shape()) +
                            "; backward without a seed gradient needs a root of one element: pass a seed of "
                            "the root's shape");
    }
    grad = Tensor::ones(root.shape(), root.dtype(), root.value().device());
  }
  if (grad.shape() != root.shape()) {
    throw InvalidArgument("backward: the seed has shape " + kernels::to_string(grad.shape()) + ", the root " +
                          kernels::to_string(root.shape()));
  }
  if (grad.dtype() != root.dtype() || !(grad.device() == root.value().device())) {
    throw InvalidArgument(std::string("backward: the seed is ") + kernels::name_of(grad.dtype()) + " on " +
                          kernels::to_string(grad.device()) + ", the root " + kernels::name_of(root.dtype()) + " on " +
                          kernels::to_string(root.value().device()));
  }
  if (root.is_leaf()) {
    Variable leaf = root;
    leaf.set_grad(leaf.grad().defined() ? ops::add(leaf.grad(), grad) : grad.clone());
    return;
  }
  run_backward(*root.grad_fn(), grad, options);
}

// ---- profiling ---------------------------------------------------------------------------------

namespace detail {
thread_local bool profiling_enabled = false;
thread_local int timer_depth = 0;
thread_local KernelTime profiled;

ScopedKernelTimer::ScopedKernelTimer(KernelPhase phase) : phase_(phase), active_(profiling_enabled && timer_depth == 0) {
  ++timer_depth;
  if (active_) start_ = std::chrono::steady_clock::now();
}
ScopedKernelTimer::~ScopedKernelTimer() {
  --timer_depth;
  if (!active_) return;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (phase_ == KernelPhase::kForward) {
    profiled.forward_s += s;
    ++profiled.forward_calls;
  } else {
    profiled.backward_s += s;
    ++profiled.backward_calls;
  }
}
}  // namespace detail

void set_kernel_profiling(bool enabled) { detail::profiling_enabled = enabled; }
KernelTime kernel_time() { return detail::profiled; }
void reset_kernel_time() { detail::profiled = {}; }

}  // namespace aisys::lab02
