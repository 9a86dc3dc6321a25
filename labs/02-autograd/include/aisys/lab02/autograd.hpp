// aisys/lab02/autograd.hpp: Lab 02's define-by-run autograd. A Variable wraps a kernels::Tensor
// value; every differentiable op below computes its value with the platform's forward kernels
// (kernels::ops) and, when an input requires a gradient, records a Node: the op's name, where each
// input's gradient goes, the input shapes, its attributes and the tensors its backward rule needs
// (saved for backward). backward() walks those nodes from a root in reverse topological order and
// calls each node's rule (aisys/lab02/rules.hpp) on the gradient of its output.
//
// Who writes what (labs/02-autograd/README.md):
//   platform of the lab (labs/02-autograd/src, given):  Variable, Node, the forward ops below and
//       what each saves, the argument checks of backward(), the checks of every rule's result;
//   the student (skeleton/):  the backward rules (rules.hpp, parts 1-3), convolution through
//       im2col (conv.hpp, part 4), the backward engine run_backward() and topological_order()
//       (part 5, below), optimizers and initialisation (optim.hpp, part 6), the models and their
//       training loop (models.hpp, part 7).
//
// Devices and dtypes: a Variable holds a float32 or float64 Tensor on the CPU or (CUDA builds, on
// a GPU) on a GPU; an op's inputs share dtype and device (kernels::ops checks and names both).
//
// Errors: a shape mismatch throws aisys::InvalidArgument naming the op and both shapes ("mul:
// shapes [2, 3] and [4] do not broadcast"); backward() refuses a non-scalar root without a seed
// gradient, a root that needs no gradient, and a node whose saved tensors an earlier backward
// freed; Node::apply() refuses a rule whose gradient has the wrong shape, dtype or device and, in
// check mode, one holding NaN or Inf, naming the op, the node and the input.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "aisys/kernels/tensor.hpp"
#include "aisys/kernels/tensor_ops.hpp"

namespace aisys::lab02 {

using kernels::Device;
using kernels::DType;
using kernels::Shape;
using kernels::Tensor;
namespace ops = kernels::ops;

class Node;
struct VariableImpl;

// A value in the graph. A copy refers to the same variable (shared, like the Tensor it holds).
class Variable {
 public:
  Variable() = default;  // undefined
  // A leaf. With requires_grad, backward() accumulates this variable's gradient into grad().
  explicit Variable(Tensor value, bool requires_grad = false, std::string name = {});
  // An op's result (the forward ops use this): grad_fn null when no input needed a gradient.
  Variable(Tensor value, std::shared_ptr<Node> grad_fn);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& value() const;
  const Shape& shape() const { return value().shape(); }
  DType dtype() const { return value().dtype(); }
  bool requires_grad() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  // The node that produced this variable (null for a leaf).
  const std::shared_ptr<Node>& grad_fn() const;
  // A leaf's accumulated gradient: undefined until a backward reaches it (and after zero_grad()).
  const Tensor& grad() const;
  void set_grad(Tensor grad);
  void zero_grad() { set_grad(Tensor()); }
  const std::string& name() const;
  // The same value as a new leaf with no history (requires_grad false).
  Variable detach() const;

  const std::shared_ptr<VariableImpl>& impl() const { return impl_; }
  static Variable from_impl(std::shared_ptr<VariableImpl> impl);
  friend bool operator==(const Variable& a, const Variable& b) { return a.impl_ == b.impl_; }

 private:
  void require_defined(const char* what) const;
  std::shared_ptr<VariableImpl> impl_;
};

struct VariableImpl {
  Tensor value, grad;
  bool requires_grad = false;
  std::shared_ptr<Node> grad_fn;
  std::string name;
};

// One recorded operation, out = op(inputs...). Nodes form the backward graph: input i of a node
// leads to the node that produced it (input_node(i)), to a leaf that wants its gradient
// (input_leaf(i)), or nowhere (the input needs no gradient: a constant, data, a detached value).
class Node {
 public:
  // A backward rule: the gradients of the node's inputs (one per input, in order; an undefined
  // Tensor where needs_input_grad(i) is false) given the gradient of its output.
  using Rule = std::vector<Tensor> (*)(const Node& node, const Tensor& grad_output);

  const std::string& op() const { return op_; }
  std::int64_t id() const { return id_; }  // creation order: unique and increasing
  std::string describe() const;            // "mul (node 12)"

  std::size_t num_inputs() const { return inputs_.size(); }
  // The node that produced input i, or null (a leaf, or an input that needs no gradient).
  Node* input_node(std::size_t i) const;
  const std::shared_ptr<Node>& input_node_ptr(std::size_t i) const;
  // The leaf behind input i when it is a leaf that requires a gradient, else an undefined Variable.
  Variable input_leaf(std::size_t i) const;
  // Whether input i wants a gradient (it has a node, or is a leaf that requires one).
  bool needs_input_grad(std::size_t i) const;
  const Shape& input_shape(std::size_t i) const;
  const Shape& output_shape() const { return output_shape_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }

  // What the forward kept for the backward. saved(i) throws aisys::Error once release_saved() ran
  // (the message says which op and how to keep them: BackwardOptions::retain_graph).
  std::size_t num_saved() const { return saved_.size(); }
  const Tensor& saved(std::size_t i) const;
  // Frees the saved tensors (backward does this once the node has run, unless retain_graph).
  void release_saved();
  bool saved_released() const { return released_; }
  // Bytes the saved tensors hold now (0 once released; a saved view counts its whole storage).
  std::size_t saved_bytes() const;

  // Attributes (exponent, axes, stride, ...): attr() throws aisys::Error naming the op and key
  // when absent.
  double attr(const std::string& key) const;
  const std::vector<std::int64_t>& attr_list(const std::string& key) const;
  bool has_attr(const std::string& key) const;

  // Runs the rule on grad_output (which must have output_shape()) and checks its result: one
  // gradient per input, each of its input's shape, dtype and device where needed (an InvalidArgument
  // naming the op, node, input and shapes otherwise); gradients of inputs that need none are
  // dropped (returned undefined). With check_finite, a NaN or Inf in a gradient throws naming the
  // op, node and input. Throws aisys::Error when the saved tensors were freed by an earlier backward.
  std::vector<Tensor> apply(const Tensor& grad_output, bool check_finite = false) const;

  // How the forward ops build nodes (not for rules or the engine).
  struct Input {
    std::shared_ptr<Node> node;           // the producer, for an intermediate
    std::shared_ptr<VariableImpl> leaf;   // a leaf that requires a gradient
    Shape shape;
  };
  Node(std::string op, std::vector<Input> inputs, Shape output_shape, DType dtype, Device device,
       std::vector<Tensor> saved, Rule rule);
  ~Node();  // iterative: destroying a 1,000,000-node chain does not recurse
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  void set_attr(const std::string& key, double value);
  void set_attr_list(const std::string& key, std::vector<std::int64_t> values);

 private:
  std::string op_;
  std::int64_t id_;
  std::vector<Input> inputs_;
  Shape output_shape_;
  DType dtype_;
  Device device_;
  std::vector<Tensor> saved_;
  bool released_ = false;
  bool had_saved_ = false;  // whether release_saved() freed anything
  Rule rule_;
  std::vector<std::pair<std::string, double>> attrs_;
  std::vector<std::pair<std::string, std::vector<std::int64_t>>> list_attrs_;
};

// While one is alive (on this thread), ops record nothing (evaluation, optimizer updates).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
bool grad_mode_enabled();

// ---- The backward pass -------------------------------------------------------------------------

struct BackwardOptions {
  // Keep every node's saved tensors, so that a second backward over the same graph works.
  bool retain_graph = false;
  // Check every gradient for NaN and Inf (Node::apply's check_finite): slower, names the op.
  bool check_finite = false;
};

// Computes the gradient of root with respect to every leaf that requires one and accumulates it
// into the leaf's grad(): a leaf reached twice (or by two backwards) sums the contributions.
// seed is d(something)/d(root), of root's shape; it may be omitted only when root holds one
// element (seed 1). Checks its arguments, then calls run_backward(). Throws aisys::InvalidArgument
// for an undefined root, a root that needs no gradient, a non-scalar root without a seed, or a
// seed of the wrong shape, dtype or device.
void backward(const Variable& root, const Tensor& seed = {}, const BackwardOptions& options = {});

// ---- Part 5 (skeleton/5_backward.cpp): the engine ------------------------------------------------

// Every node reachable from root through input_node(), root first and each node before every node
// it reads from (so a node comes after all the nodes that consume its output): the order the
// backward runs in. No recursion: a 10,000-node chain must not overflow a small stack.
std::vector<Node*> topological_order(Node* root);

// The engine: runs every node reachable from root once, in topological_order(root), on the sum of
// the gradients its consumers sent it (root starts with grad_root); sends each input's gradient to
// its node, or adds it into the leaf's grad() (a leaf's existing grad is added to, never replaced);
// frees each node's saved tensors once it has run unless options.retain_graph, and drops each
// node's gradient once used. Passes options.check_finite to Node::apply().
void run_backward(Node& root, const Tensor& grad_root, const BackwardOptions& options);

// ---- Differentiable ops (labs/02-autograd/src/functions.cpp) -------------------------------------
// "saves" names what each op keeps for its backward rule (Node::saved(i), in that order), and
// "attrs" the attributes it records. Every op broadcasts like kernels::ops.

Variable add(const Variable& a, const Variable& b);  // saves nothing
Variable sub(const Variable& a, const Variable& b);  // saves nothing
Variable mul(const Variable& a, const Variable& b);  // saves a, b
Variable div(const Variable& a, const Variable& b);  // saves a, b
Variable neg(const Variable& a);                     // saves nothing
Variable add_scalar(const Variable& a, double s);    // saves nothing
Variable mul_scalar(const Variable& a, double s);    // saves nothing; attrs "value"
Variable pow_scalar(const Variable& a, double p);    // saves a; attrs "exponent"
Variable exp(const Variable& a);                     // saves the output
Variable log(const Variable& a);                     // saves a
Variable relu(const Variable& a);                    // saves the output
Variable tanh(const Variable& a);                    // saves the output
Variable sigmoid(const Variable& a);                 // saves the output
Variable gelu(const Variable& a);                    // saves a (exact GELU: x Phi(x))

// [..., M, K] x [..., K, N] -> [..., M, N], batch dimensions broadcast.  saves a, b
Variable matmul(const Variable& a, const Variable& b);
// Over axes (empty: all).  saves nothing; attrs "axes" (normalised, ascending), "keepdim" (0 | 1)
Variable sum(const Variable& a, const std::vector<int>& axes = {}, bool keepdim = false);
Variable mean(const Variable& a, const std::vector<int>& axes = {}, bool keepdim = false);
Variable broadcast_to(const Variable& a, const Shape& shape);  // saves nothing
Variable reshape(const Variable& a, const Shape& shape);       // saves nothing (-1 allowed)
Variable transpose(const Variable& a, int dim0, int dim1);     // saves nothing; attrs "dim0", "dim1" (normalised)

Variable softmax(const Variable& a, int axis);      // saves the output; attrs "axis" (normalised)
Variable log_softmax(const Variable& a, int axis);  // saves the output; attrs "axis" (normalised)
// Mean cross-entropy of logits [N, C] against labels (N values in [0, C)): a scalar.
// saves logits, then the one-hot labels [N, C] (logits' dtype and device)
Variable cross_entropy(const Variable& logits, std::span<const std::int32_t> labels);
// Over the last dimension; gamma and beta [D].  saves x, gamma, mean, rstd (x's shape without its
// last dimension: ops::layer_norm's); attrs "eps"
Variable layer_norm(const Variable& x, const Variable& gamma, const Variable& beta, double eps = 1e-5);
// x [N, C, H, W].  saves the argmax (float64 [N, C, P, Q]: flat h W + w of the chosen element in
// its plane, as ops::max_pool2d gives it); attrs "kernel", "stride", "padding"
Variable max_pool2d(const Variable& x, int kernel, int stride, int padding = 0);
// Inverted dropout: training multiplies by a seeded mask of 0 and 1 / (1 - p); not training (or
// p = 0) returns x itself.  saves the mask; attrs "p"
Variable dropout(const Variable& x, double p, std::uint64_t seed, bool training = true);
// 2-D convolution through im2col (conv.hpp, part 4): x [N, C, H, W], w [K, C, R, S] ->
// [N, K, P, Q].  saves x, w; attrs "stride", "padding"
Variable conv2d(const Variable& x, const Variable& w, int stride = 1, int padding = 0);

inline Variable operator+(const Variable& a, const Variable& b) { return add(a, b); }
inline Variable operator-(const Variable& a, const Variable& b) { return sub(a, b); }
inline Variable operator*(const Variable& a, const Variable& b) { return mul(a, b); }
inline Variable operator/(const Variable& a, const Variable& b) { return div(a, b); }
inline Variable operator-(const Variable& a) { return neg(a); }

// ---- Profiling (the framework-overhead benchmark) ----------------------------------------------
// While enabled (on this thread), the seconds spent inside the platform's kernels called by the
// forward ops and inside the backward rules are summed: a training step's time minus this sum is
// the framework's own overhead (graph building, the engine's bookkeeping, allocation of nodes).
struct KernelTime {
  double forward_s = 0, backward_s = 0;
  std::int64_t forward_calls = 0, backward_calls = 0;
  double total_s() const { return forward_s + backward_s; }
};
void set_kernel_profiling(bool enabled);
KernelTime kernel_time();  // since the last reset_kernel_time()
void reset_kernel_time();

}  // namespace aisys::lab02
