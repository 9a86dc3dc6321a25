// Lab 02 reference tool: building training graphs in the graph IR and deriving their backward
// (graph_export.hpp). A Builder adds values and nodes with shapes inferred by the IR's own shape
// rules; reverse mode walks the forward nodes backwards, emitting each op's backward as primitive
// nodes and summing the gradients of values read twice.
#include "graph_export.hpp"

// GCC 12's -Wrestrict misfires on std::string concatenation at -O3 (GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <cmath>
#include <functional>
#include <stdexcept>

namespace aisys::lab02::tools {

namespace {

using kernels::Shape;
using kernels::Tensor;
using kernels::graph::Graph;
using kernels::graph::Node;
using kernels::graph::ValueKind;
using Json = nlohmann::json;

class Builder {
 public:
  explicit Builder(std::string name) { g.name = std::move(name); }
  Graph g;
  std::string phase = "forward";
  std::vector<int> forward_nodes;  // indices into g.nodes, in order

  int input(const std::string& name, Shape s) { return g.add_value(name, ValueKind::kInput, std::move(s)); }
  int param(const std::string& name, Shape s) {
    const int id = g.add_value(name, ValueKind::kParameter, std::move(s));
    params.push_back(id);
    return id;
  }
  int constant(const std::string& name, Shape s, std::vector<double> data) {
    const int id = g.add_value(name, ValueKind::kConstant, std::move(s));
    g.value(id).data = std::move(data);
    return id;
  }
  int scalar(double v) {
    const std::string name = "const." + std::to_string(v);
    if (const auto* found = g.find(name)) return found->id;
    return constant(name, {}, {v});
  }
  const Shape& shape(int v) const { return g.value(v).shape; }

  std::vector<int> op_multi(const std::string& op, std::vector<int> in, Json attrs, int n_out) {
    Node probe;
    probe.id = static_cast<int>(g.nodes.size());
    probe.op = op;
    probe.inputs = in;
    probe.attrs = attrs.is_null() ? Json::object() : attrs;
    std::vector<Shape> in_shapes;
    for (int v : in) in_shapes.push_back(shape(v));
    const std::vector<Shape> out_shapes = kernels::graph::infer_shapes(probe, in_shapes);
    if (static_cast<int>(out_shapes.size()) != n_out) throw std::logic_error(op + ": unexpected output count");
    std::vector<int> outs;
    for (int k = 0; k < n_out; ++k) {
      outs.push_back(g.add_value(op + "." + std::to_string(++counter) + (n_out > 1 ? "." + std::to_string(k) : ""),
                                 ValueKind::kIntermediate, out_shapes[static_cast<std::size_t>(k)]));
    }
    g.add_node(op, std::move(in), outs, probe.attrs, phase);
    if (phase == "forward") forward_nodes.push_back(static_cast<int>(g.nodes.size()) - 1);
    return outs;
  }
  int op(const std::string& op, std::vector<int> in, Json attrs = Json::object()) {
    return op_multi(op, std::move(in), std::move(attrs), 1)[0];
  }
  void rename(int v, const std::string& name) { g.value(v).name = name; }

  std::vector<int> params;

 private:
  int counter = 0;
};

// ---- reverse mode over the graph ----------------------------------------------------------------

class Backward {
 public:
  explicit Backward(Builder& b) : b_(b) {}

  void seed(int value, int grad) { grads_[value] = grad; }

  // Every forward node, last first: its output's gradient to its inputs' gradients.
  void run() {
    b_.phase = "backward";
    const std::vector<int> order(b_.forward_nodes.rbegin(), b_.forward_nodes.rend());
    for (int index : order) {
      const Node n = b_.g.nodes[static_cast<std::size_t>(index)];  // a copy: g.nodes grows below
      auto it = grads_.find(n.outputs[0]);
      if (it == grads_.end()) continue;
      rule(n, it->second);
    }
  }
  int grad_of(int value) const {
    auto it = grads_.find(value);
    return it == grads_.end() ? -1 : it->second;
  }

 private:
  bool needs(int v) const {
    const auto kind = b_.g.value(v).kind;
    return kind == ValueKind::kParameter || kind == ValueKind::kIntermediate;
  }
  void add(int v, int g) {
    if (!needs(v)) return;
    auto [it, fresh] = grads_.try_emplace(v, g);
    if (!fresh) it->second = b_.op("add", {it->second, g});
  }
  // g summed to the shape of v (the backward of a broadcast).
  int to_shape(int g, int v) {
    if (b_.shape(g) == b_.shape(v)) return g;
    return b_.op("sum_to", {g}, {{"shape", b_.shape(v)}});
  }
  int transpose_last(int v) {
    const int d = static_cast<int>(b_.shape(v).size());
    return b_.op("transpose", {v}, {{"dim0", d - 2}, {"dim1", d - 1}});
  }

  void rule(const Node& n, int g) {
    const auto& in = n.inputs;
    const int out = n.outputs[0];
    const std::string& op = n.op;
    if (op == "add") {
      add(in[0], to_shape(g, in[0]));
      add(in[1], to_shape(g, in[1]));
    } else if (op == "sub") {
      add(in[0], to_shape(g, in[0]));
      if (needs(in[1])) add(in[1], to_shape(b_.op("neg", {g}), in[1]));
    } else if (op == "mul") {
      if (needs(in[0])) add(in[0], to_shape(b_.op("mul", {g, in[1]}), in[0]));
      if (needs(in[1])) add(in[1], to_shape(b_.op("mul", {g, in[0]}), in[1]));
    } else if (op == "matmul") {
      if (needs(in[0])) add(in[0], to_shape(b_.op("matmul", {g, transpose_last(in[1])}), in[0]));
      if (needs(in[1])) add(in[1], to_shape(b_.op("matmul", {transpose_last(in[0]), g}), in[1]));
    } else if (op == "transpose") {
      add(in[0], b_.op("transpose", {g}, {{"dim0", n.attrs["dim0"]}, {"dim1", n.attrs["dim1"]}}));
    } else if (op == "reshape") {
      add(in[0], b_.op("reshape", {g}, {{"shape", b_.shape(in[0])}}));
    } else if (op == "relu") {
      add(in[0], b_.op("where", {out, g, b_.scalar(0.0)}));
    } else if (op == "mul_scalar") {
      add(in[0], b_.op("mul_scalar", {g}, {{"value", n.attrs["value"]}}));
    } else if (op == "pow_scalar") {
      const double p = n.attrs["exponent"].get<double>();
      const int local = b_.op("mul_scalar", {b_.op("pow_scalar", {in[0]}, {{"exponent", p - 1}})}, {{"value", p}});
      add(in[0], b_.op("mul", {g, local}));
    } else if (op == "gelu") {
      // d/dx x Phi(x) = Phi(x) + x phi(x); Phi(x) = gelu(x) / x away from 0, 1/2 at 0.
      const int x = in[0];
      const int cdf = b_.op("where", {x, b_.op("div", {out, x}), b_.scalar(0.5)});
      const int pdf = b_.op("mul_scalar", {b_.op("exp", {b_.op("mul_scalar", {b_.op("mul", {x, x})}, {{"value", -0.5}})})},
                            {{"value", 0.3989422804014327}});
      add(x, b_.op("mul", {g, b_.op("add", {cdf, b_.op("mul", {x, pdf})})}));
    } else if (op == "softmax") {
      const Json axis = n.attrs["axis"];
      const int gy = b_.op("sum", {b_.op("mul", {g, out})}, {{"axes", Json::array({axis})}, {"keepdim", true}});
      add(in[0], b_.op("mul", {out, b_.op("sub", {g, gy})}));
    } else if (op == "mean" || op == "sum") {
      const Shape& xs = b_.shape(in[0]);
      std::vector<std::int64_t> axes;
      if (n.attrs.contains("axes")) axes = n.attrs["axes"].get<std::vector<std::int64_t>>();
      if (axes.empty()) {
        for (std::size_t d = 0; d < xs.size(); ++d) axes.push_back(static_cast<std::int64_t>(d));
      }
      for (auto& a : axes) a = a < 0 ? a + static_cast<std::int64_t>(xs.size()) : a;
      std::sort(axes.begin(), axes.end());
      int gg = g;
      if (!(n.attrs.contains("keepdim") && n.attrs["keepdim"].get<bool>())) {
        for (std::int64_t a : axes) gg = b_.op("unsqueeze", {gg}, {{"dim", a}});
      }
      gg = b_.op("broadcast_to", {gg}, {{"shape", xs}});
      if (op == "mean") {
        double count = 1;
        for (std::int64_t a : axes) count *= static_cast<double>(xs[static_cast<std::size_t>(a)]);
        gg = b_.op("mul_scalar", {gg}, {{"value", 1.0 / count}});
      } else {
        gg = b_.op("contiguous", {gg});
      }
      add(in[0], gg);
    } else if (op == "cross_entropy") {
      // (softmax(logits) - onehot(labels)) G / N, onehot = 1 - [l > c] - [c > l] over c = 0..C-1.
      const Shape& s = b_.shape(in[0]);
      const std::int64_t rows = s[0], classes = s[1];
      std::vector<double> cls(static_cast<std::size_t>(classes));
      for (std::int64_t c = 0; c < classes; ++c) cls[static_cast<std::size_t>(c)] = static_cast<double>(c);
      const int crow = b_.constant("classes." + std::to_string(classes), {1, classes}, cls);
      const int lcol = b_.op("reshape", {in[1]}, {{"shape", {rows, 1}}});
      const int onehot = b_.op("sub", {b_.op("sub", {b_.scalar(1.0), b_.op("greater", {lcol, crow})}),
                                       b_.op("greater", {crow, lcol})});
      const int diff = b_.op("sub", {b_.op("softmax", {in[0]}, {{"axis", 1}}), onehot});
      add(in[0], b_.op("mul", {b_.op("mul_scalar", {diff}, {{"value", 1.0 / static_cast<double>(rows)}}), g}));
    } else if (op == "layer_norm") {
      // xhat = (x - mean) rstd; dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = G gamma.
      const int x = in[0], gamma = in[1], beta = in[2];
      const int last = static_cast<int>(b_.shape(x).size()) - 1;
      const int mean = b_.op("unsqueeze", {n.outputs[1]}, {{"dim", last}});
      const int rstd = b_.op("unsqueeze", {n.outputs[2]}, {{"dim", last}});
      const int xhat = b_.op("mul", {b_.op("sub", {x, mean}), rstd});
      const Json over_last = {{"axes", Json::array({last})}, {"keepdim", true}};
      if (needs(x)) {
        const int dxhat = b_.op("mul", {g, gamma});
        const int centred = b_.op("sub", {dxhat, b_.op("mean", {dxhat}, over_last)});
        const int proj = b_.op("mul", {xhat, b_.op("mean", {b_.op("mul", {dxhat, xhat})}, over_last)});
        add(x, b_.op("mul", {rstd, b_.op("sub", {centred, proj})}));
      }
      add(gamma, to_shape(b_.op("mul", {g, xhat}), gamma));
      add(beta, to_shape(g, beta));
    } else if (op == "conv2d") {
      const Json stride = n.attrs["stride"], padding = n.attrs["padding"];
      if (needs(in[0])) {
        add(in[0], b_.op("conv2d_backward_data", {g, in[1]},
                         {{"stride", stride}, {"padding", padding}, {"input_shape", b_.shape(in[0])}}));
      }
      if (needs(in[1])) {
        add(in[1], b_.op("conv2d_backward_weight", {in[0], g},
                         {{"stride", stride}, {"padding", padding}, {"weight_shape", b_.shape(in[1])}}));
      }
    } else if (op == "max_pool2d") {
      add(in[0], b_.op("max_pool2d_backward", {g, n.outputs[1]}, {{"input_shape", b_.shape(in[0])}}));
    } else {
      throw std::logic_error("graph backward: no rule for " + op);
    }
  }

  Builder& b_;
  std::map<int, int> grads_;
};

// Backward from the scalar loss, then the SGD step; the graph's outputs are the loss, the
// gradients and the updated parameters.
ModelGraph finish(Builder& b, int loss, double lr) {
  b.rename(loss, "loss");
  Backward bw(b);
  bw.seed(loss, b.scalar(1.0));
  bw.run();
  std::vector<int> grads;
  for (int p : b.params) {
    int g = bw.grad_of(p);
    if (g < 0) throw std::logic_error(b.g.value(p).name + " got no gradient");
    // A gradient value shared with another value's role (e.g. an add's output gradient) is copied
    // so that each parameter's gradient is a value of its own.
    bool shared = b.g.value(g).gradient_of.has_value() || b.g.value(g).kind != ValueKind::kIntermediate;
    for (int q : grads) shared = shared || q == g;
    if (shared) g = b.op("contiguous", {g});
    b.g.value(g).gradient_of = p;
    b.rename(g, b.g.value(p).name + ".grad");
    grads.push_back(g);
  }
  b.phase = "optimizer";
  std::vector<int> next;
  for (std::size_t i = 0; i < b.params.size(); ++i) {
    const int p = b.params[i];
    const int step = b.op("sub", {p, b.op("mul_scalar", {grads[i]}, {{"value", lr}})});
    b.rename(step, b.g.value(p).name + ".next");
    next.push_back(step);
  }
  b.g.outputs = {loss};
  b.g.outputs.insert(b.g.outputs.end(), grads.begin(), grads.end());
  b.g.outputs.insert(b.g.outputs.end(), next.begin(), next.end());
  kernels::graph::validate(b.g);
  return {std::move(b.g), lr};
}

int linear(Builder& b, int x, int in, int out, const std::string& name) {
  const int w = b.param(name + ".weight", {out, in});
  const int bias = b.param(name + ".bias", {out});
  return b.op("add", {b.op("matmul", {x, b.op("transpose", {w}, {{"dim0", 0}, {"dim1", 1}})}), bias});
}

}  // namespace

ModelGraph mlp_graph() {
  constexpr std::int64_t kBatch = 64;
  Builder b("mlp-784-256-256-10-b64");
  const int x = b.input("x", {kBatch, 784});
  const int labels = b.input("labels", {kBatch});
  int h = b.op("relu", {linear(b, x, 784, 256, "fc1")});
  h = b.op("relu", {linear(b, h, 256, 256, "fc2")});
  const int logits = linear(b, h, 256, 10, "fc3");
  return finish(b, b.op("cross_entropy", {logits, labels}), 0.1);
}

ModelGraph transformer_block_graph() {
  constexpr std::int64_t B = 2, T = 16, D = 64, H = 4, Dh = D / H, F = 4 * D;
  Builder b("transformer-block-d64-h4-t16-b2");
  const int x = b.input("x", {B, T, D});
  const int target = b.input("target", {B, T, D});
  auto norm = [&](int v, const std::string& name) {
    const int gamma = b.param(name + ".gamma", {D});
    const int beta = b.param(name + ".beta", {D});
    return b.op_multi("layer_norm", {v, gamma, beta}, {{"eps", 1e-5}}, 3)[0];
  };
  auto project = [&](int v, std::int64_t in, std::int64_t out, const std::string& name) {
    const int w = b.param(name + ".weight", {in, out});  // [in, out]: x W
    return b.op("matmul", {v, w});
  };
  auto heads = [&](int v) {  // [B, T, D] -> [B, H, T, Dh]
    return b.op("transpose", {b.op("reshape", {v}, {{"shape", {B, T, H, Dh}}})}, {{"dim0", 1}, {"dim1", 2}});
  };
  const int h1 = norm(x, "ln1");
  const int q = heads(project(h1, D, D, "attn.q")), k = heads(project(h1, D, D, "attn.k")),
            v = heads(project(h1, D, D, "attn.v"));
  std::vector<double> mask(static_cast<std::size_t>(T * T));
  for (std::int64_t i = 0; i < T; ++i)
    for (std::int64_t j = 0; j < T; ++j) mask[static_cast<std::size_t>(i * T + j)] = j > i ? -1e9 : 0.0;
  const int causal = b.constant("causal_mask", {T, T}, mask);
  const int kt = b.op("transpose", {k}, {{"dim0", 2}, {"dim1", 3}});
  const int scores = b.op("add", {b.op("mul_scalar", {b.op("matmul", {q, kt})}, {{"value", 1.0 / std::sqrt(double(Dh))}}), causal});
  const int att = b.op("softmax", {scores}, {{"axis", 3}});
  const int ctx = b.op("reshape", {b.op("transpose", {b.op("matmul", {att, v})}, {{"dim0", 1}, {"dim1", 2}})},
                       {{"shape", {B, T, D}}});
  const int x1 = b.op("add", {x, project(ctx, D, D, "attn.out")});
  const int h2 = norm(x1, "ln2");
  const int c1 = b.param("mlp.fc1.bias", {F});
  const int m = b.op("gelu", {b.op("add", {project(h2, D, F, "mlp.fc1"), c1})});
  const int c2 = b.param("mlp.fc2.bias", {D});
  const int y = b.op("add", {x1, b.op("add", {project(m, F, D, "mlp.fc2"), c2})});
  const int err = b.op("sub", {y, target});
  return finish(b, b.op("mean", {b.op("pow_scalar", {err}, {{"exponent", 2.0}})}), 0.05);
}

ModelGraph cnn_graph() {
  // Lab 02's SmallCnn (models.hpp) at batch 16: the image batch arrives as [N, 784].
  constexpr std::int64_t N = 16;
  Builder b("small-cnn-b16");
  const int x = b.input("x", {N, 784});
  const int labels = b.input("labels", {N});
  auto conv = [&](int v, std::int64_t c, std::int64_t k, const std::string& name) {
    const int w = b.param(name + ".weight", {k, c, 3, 3});
    const int bias = b.param(name + ".bias", {k});
    const int y = b.op("conv2d", {v, w}, {{"stride", 1}, {"padding", 1}});
    return b.op("add", {y, b.op("reshape", {bias}, {{"shape", {1, k, 1, 1}}})});
  };
  auto pool = [&](int v) { return b.op_multi("max_pool2d", {v}, {{"kernel", 2}, {"stride", 2}, {"padding", 0}}, 2)[0]; };
  int h = b.op("reshape", {x}, {{"shape", {N, 1, 28, 28}}});
  h = pool(b.op("relu", {conv(h, 1, 16, "conv1")}));   // [N, 16, 14, 14]
  h = pool(b.op("relu", {conv(h, 16, 32, "conv2")}));  // [N, 32, 7, 7]
  h = b.op("reshape", {h}, {{"shape", {N, 32 * 7 * 7}}});
  const int logits = linear(b, h, 32 * 7 * 7, 10, "fc");
  return finish(b, b.op("cross_entropy", {logits, labels}), 0.05);
}

std::map<std::string, Tensor> random_feeds(const Graph& g, std::uint64_t seed) {
  std::map<std::string, Tensor> feeds;
  std::uint64_t k = 0;
  for (const auto& v : g.values) {
    if (v.kind != ValueKind::kInput && v.kind != ValueKind::kParameter) continue;
    ++k;
    if (v.name == "labels") {
      Tensor t = Tensor::uniform(v.shape, 0, 10, seed + k, kernels::DType::kFloat64);
      double* p = t.data<double>();
      for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = std::floor(p[i]);
      feeds[v.name] = t.to(v.dtype);
    } else if (v.name.ends_with(".gamma")) {
      feeds[v.name] = Tensor::uniform(v.shape, 0.5, 1.5, seed + k, v.dtype);
    } else if (v.kind == ValueKind::kParameter && v.shape.size() == 2) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(v.shape[0] < v.shape[1] ? v.shape[1] : v.shape[0]));
      feeds[v.name] = Tensor::uniform(v.shape, -bound, bound, seed + k, v.dtype);
    } else if (v.kind == ValueKind::kParameter && v.shape.size() == 4) {  // a convolution's [K, C, R, S]
      const double bound = 1.0 / std::sqrt(static_cast<double>(v.shape[1] * v.shape[2] * v.shape[3]));
      feeds[v.name] = Tensor::uniform(v.shape, -bound, bound, seed + k, v.dtype);
    } else {
      feeds[v.name] = Tensor::uniform(v.shape, -1, 1, seed + k, v.dtype);
    }
  }
  return feeds;
}

}  // namespace aisys::lab02::tools
