// The graph IR: construction, the op table (shape rules and CPU execution), validation, JSON and
// the executor (graph.hpp).
#include "aisys/kernels/graph.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <set>

#include "aisys/kernels/tensor_ops.hpp"
#include "graph_conv.hpp"

namespace aisys::kernels::graph {

const char* name_of(ValueKind kind) {
  switch (kind) {
    case ValueKind::kInput: return "input";
    case ValueKind::kParameter: return "parameter";
    case ValueKind::kConstant: return "constant";
    default: return "intermediate";
  }
}

// ---------------------------------------------------------------------------------------------
// Graph

const Value& Graph::value(int id) const {
  for (const Value& v : values) {
    if (v.id == id) return v;
  }
  throw GraphError("graph '" + name + "': no value with id " + std::to_string(id));
}

Value& Graph::value(int id) { return const_cast<Value&>(static_cast<const Graph&>(*this).value(id)); }

const Value* Graph::find(const std::string& value_name) const {
  for (const Value& v : values) {
    if (v.name == value_name) return &v;
  }
  return nullptr;
}

int Graph::add_value(std::string value_name, ValueKind kind, Shape shape, DType dtype) {
  int id = 0;
  for (const Value& v : values) id = std::max(id, v.id + 1);
  Value v;
  v.id = id;
  v.name = std::move(value_name);
  v.kind = kind;
  v.shape = std::move(shape);
  v.dtype = dtype;
  values.push_back(std::move(v));
  return id;
}

int Graph::add_node(std::string op, std::vector<int> inputs, std::vector<int> node_outputs, nlohmann::json attrs,
                    std::string phase) {
  int id = 0;
  for (const Node& n : nodes) id = std::max(id, n.id + 1);
  if (attrs.is_null()) attrs = nlohmann::json::object();  // {} in a call reads as null
  nodes.push_back({id, std::move(op), std::move(inputs), std::move(node_outputs), std::move(attrs), std::move(phase)});
  return id;
}

// ---------------------------------------------------------------------------------------------
// The op table

namespace {

std::string where_of(const Node& n) { return "node " + std::to_string(n.id) + " (" + n.op + ")"; }

// Attribute readers: missing or mistyped attributes name the node and the attribute.
std::int64_t attr_int(const Node& n, const char* key, std::optional<std::int64_t> fallback = std::nullopt) {
  if (!n.attrs.contains(key)) {
    if (fallback) return *fallback;
    throw GraphError(where_of(n) + ": attribute '" + key + "' is missing");
  }
  if (!n.attrs[key].is_number_integer()) throw GraphError(where_of(n) + ": attribute '" + key + "' must be an integer");
  return n.attrs[key].get<std::int64_t>();
}
double attr_double(const Node& n, const char* key, std::optional<double> fallback = std::nullopt) {
  if (!n.attrs.contains(key)) {
    if (fallback) return *fallback;
    throw GraphError(where_of(n) + ": attribute '" + key + "' is missing");
  }
  if (!n.attrs[key].is_number()) throw GraphError(where_of(n) + ": attribute '" + key + "' must be a number");
  return n.attrs[key].get<double>();
}
bool attr_bool(const Node& n, const char* key, bool fallback) {
  if (!n.attrs.contains(key)) return fallback;
  if (!n.attrs[key].is_boolean()) throw GraphError(where_of(n) + ": attribute '" + key + "' must be true or false");
  return n.attrs[key].get<bool>();
}
std::vector<std::int64_t> attr_ints(const Node& n, const char* key, bool required = true) {
  if (!n.attrs.contains(key)) {
    if (required) throw GraphError(where_of(n) + ": attribute '" + key + "' is missing");
    return {};
  }
  const auto& a = n.attrs[key];
  if (!a.is_array()) throw GraphError(where_of(n) + ": attribute '" + key + "' must be a list of integers");
  std::vector<std::int64_t> out;
  for (const auto& x : a) {
    if (!x.is_number_integer()) throw GraphError(where_of(n) + ": attribute '" + key + "' must be a list of integers");
    out.push_back(x.get<std::int64_t>());
  }
  return out;
}
std::vector<int> to_ints(const std::vector<std::int64_t>& v) { return std::vector<int>(v.begin(), v.end()); }

std::vector<std::int32_t> labels_of(const Tensor& t, const Node& n) {
  std::vector<std::int32_t> out;
  for (double v : t.to_vector()) {
    if (v != static_cast<double>(static_cast<std::int32_t>(v))) {
      throw GraphError(where_of(n) + ": label " + std::to_string(v) + " is not an integer");
    }
    out.push_back(static_cast<std::int32_t>(v));
  }
  return out;
}

using Exec = std::function<std::vector<Tensor>(const Node&, const std::vector<Tensor>&)>;

struct OpDef {
  int inputs;   // exact count
  int outputs;  // exact count
  Exec exec;    // CPU execution
  // View ops: the view alone (no copy), which shape inference applies to an empty placeholder.
  std::function<Tensor(const Node&, const Tensor&)> view = nullptr;
};

// Applies fn to placeholders of the input shapes: the shape rule of view ops is the Tensor's own.
Tensor placeholder(const Shape& shape, DType dtype = DType::kFloat32) {
  return Tensor(std::make_shared<Storage>(0, Device::cpu()), shape, contiguous_strides(shape), 0, dtype);
}

const std::map<std::string, OpDef>& table() {
  static const std::map<std::string, OpDef> t = [] {
    std::map<std::string, OpDef> m;
    auto bin = [&](const char* name, Tensor (*f)(const Tensor&, const Tensor&)) {
      m[name] = {2, 1, [f](const Node&, const std::vector<Tensor>& in) { return std::vector<Tensor>{f(in[0], in[1])}; }};
    };
    bin("add", ops::add);
    bin("sub", ops::sub);
    bin("mul", ops::mul);
    bin("div", ops::div);
    bin("maximum", ops::maximum);
    bin("greater", ops::greater);
    bin("matmul", ops::matmul);
    m["where"] = {3, 1, [](const Node&, const std::vector<Tensor>& in) { return std::vector<Tensor>{ops::where(in[0], in[1], in[2])}; }};
    auto un = [&](const char* name, Tensor (*f)(const Tensor&)) {
      m[name] = {1, 1, [f](const Node&, const std::vector<Tensor>& in) { return std::vector<Tensor>{f(in[0])}; }};
    };
    un("neg", ops::neg);
    un("exp", ops::exp);
    un("log", ops::log);
    un("sqrt", ops::sqrt);
    un("abs", ops::abs);
    un("tanh", ops::tanh);
    un("sigmoid", ops::sigmoid);
    un("relu", ops::relu);
    un("gelu", ops::gelu);
    m["contiguous"] = {1, 1, [](const Node&, const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0].clone()}; }};
    m["add_scalar"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                         return std::vector<Tensor>{ops::add_scalar(in[0], attr_double(n, "value"))};
                       }};
    m["mul_scalar"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                         return std::vector<Tensor>{ops::mul_scalar(in[0], attr_double(n, "value"))};
                       }};
    m["pow_scalar"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                         return std::vector<Tensor>{ops::pow_scalar(in[0], attr_double(n, "exponent"))};
                       }};
    auto red = [&](const char* name, Tensor (*f)(const Tensor&, const std::vector<int>&, bool)) {
      m[name] = {1, 1, [f](const Node& n, const std::vector<Tensor>& in) {
                   return std::vector<Tensor>{f(in[0], to_ints(attr_ints(n, "axes", false)), attr_bool(n, "keepdim", false))};
                 }};
    };
    red("sum", ops::sum);
    red("mean", ops::mean);
    red("max", ops::max);
    m["sum_to"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                     return std::vector<Tensor>{ops::sum_to(in[0], attr_ints(n, "shape"))};
                   }};
    m["argmax"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                     return std::vector<Tensor>{ops::argmax(in[0], static_cast<int>(attr_int(n, "axis")))};
                   }};
    m["softmax"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                      return std::vector<Tensor>{ops::softmax(in[0], static_cast<int>(attr_int(n, "axis")))};
                    }};
    m["log_softmax"] = {1, 1, [](const Node& n, const std::vector<Tensor>& in) {
                          return std::vector<Tensor>{ops::log_softmax(in[0], static_cast<int>(attr_int(n, "axis")))};
                        }};
    m["cross_entropy"] = {2, 1, [](const Node& n, const std::vector<Tensor>& in) {
                            const auto labels = labels_of(in[1], n);
                            return std::vector<Tensor>{ops::cross_entropy(in[0], labels)};
                          }};
    m["layer_norm"] = {3, 3, [](const Node& n, const std::vector<Tensor>& in) {
                         auto r = ops::layer_norm(in[0], in[1], in[2], attr_double(n, "eps", 1e-5));
                         return std::vector<Tensor>{r.y, r.mean, r.rstd};
                       }};
    m["max_pool2d"] = {1, 2, [](const Node& n, const std::vector<Tensor>& in) {
                         const int kernel = static_cast<int>(attr_int(n, "kernel"));
                         const int stride = static_cast<int>(attr_int(n, "stride"));
                         const int padding = static_cast<int>(attr_int(n, "padding", 0));
                         auto r = ops::max_pool2d(in[0], kernel, stride, padding);
                         std::vector<double> idx(r.argmax.begin(), r.argmax.end());
                         return std::vector<Tensor>{r.y, Tensor::from_values(idx, r.y.shape(), DType::kFloat64)};
                       }};
    m["max_pool2d_backward"] = {2, 1, [](const Node& n, const std::vector<Tensor>& in) {
                                  return std::vector<Tensor>{detail::max_pool2d_backward(in[0], in[1], attr_ints(n, "input_shape"))};
                                }};
    // Convolution (x [N, C, H, W], w [K, C, R, S]; attrs stride, padding) and its two backward
    // passes, run directly (graph_conv.hpp): the executor checks graphs, it does not race.
    m["conv2d"] = {2, 1, [](const Node& n, const std::vector<Tensor>& in) {
                     return std::vector<Tensor>{detail::conv2d_direct(in[0], in[1], attr_int(n, "stride", 1), attr_int(n, "padding", 0))};
                   }};
    m["conv2d_backward_data"] = {2, 1, [](const Node& n, const std::vector<Tensor>& in) {
                                   return std::vector<Tensor>{detail::conv2d_backward_data_direct(
                                       in[0], in[1], attr_ints(n, "input_shape"), attr_int(n, "stride", 1), attr_int(n, "padding", 0))};
                                 }};
    m["conv2d_backward_weight"] = {2, 1, [](const Node& n, const std::vector<Tensor>& in) {
                                     return std::vector<Tensor>{detail::conv2d_backward_weight_direct(
                                         in[0], in[1], attr_ints(n, "weight_shape"), attr_int(n, "stride", 1), attr_int(n, "padding", 0))};
                                   }};
    m["dropout"] = {1, 2, [](const Node& n, const std::vector<Tensor>& in) {
                      const double p = attr_double(n, "p");
                      const auto seed = static_cast<std::uint64_t>(attr_int(n, "seed"));
                      const Tensor mask = ops::dropout_mask(in[0].shape(), p, seed, in[0].dtype());
                      return std::vector<Tensor>{ops::mul(in[0], mask), mask};
                    }};
    // Views: executed as copies (the executor owns contiguous values), shaped by the Tensor's own rules.
    auto view = [&](const char* name, std::function<Tensor(const Node&, const Tensor&)> f) {
      m[name] = {1, 1, [f](const Node& n, const std::vector<Tensor>& in) { return std::vector<Tensor>{f(n, in[0]).contiguous()}; },
                 f};
    };
    view("reshape", [](const Node& n, const Tensor& x) { return x.reshape(attr_ints(n, "shape")); });
    view("transpose", [](const Node& n, const Tensor& x) {
      const int d0 = static_cast<int>(attr_int(n, "dim0"));
      const int d1 = static_cast<int>(attr_int(n, "dim1"));
      return x.transpose(d0, d1);
    });
    view("permute", [](const Node& n, const Tensor& x) { return x.permute(to_ints(attr_ints(n, "dims"))); });
    view("broadcast_to", [](const Node& n, const Tensor& x) { return x.broadcast_to(attr_ints(n, "shape")); });
    view("unsqueeze", [](const Node& n, const Tensor& x) { return x.unsqueeze(static_cast<int>(attr_int(n, "dim"))); });
    view("squeeze", [](const Node& n, const Tensor& x) { return x.squeeze(static_cast<int>(attr_int(n, "dim"))); });
    view("slice", [](const Node& n, const Tensor& x) {
      const int dim = static_cast<int>(attr_int(n, "dim"));
      const std::int64_t start = attr_int(n, "start"), end = attr_int(n, "end"), step = attr_int(n, "step", 1);
      return x.slice(dim, start, end, step);
    });
    return m;
  }();
  return t;
}

const OpDef& op_def(const Node& n) {
  const auto it = table().find(n.op);
  if (it == table().end()) {
    std::string known;
    for (const auto& [name, def] : table()) known += (known.empty() ? "" : ", ") + name;
    throw GraphError(where_of(n) + ": unknown op '" + n.op + "' (known: " + known + ")");
  }
  return it->second;
}

bool is_view(const std::string& op) {
  return op == "reshape" || op == "transpose" || op == "permute" || op == "broadcast_to" || op == "unsqueeze" ||
         op == "squeeze" || op == "slice";
}

Shape reduced_shape(const Node& n, const Shape& in) {
  const auto axes = attr_ints(n, "axes", false);
  const bool keep = attr_bool(n, "keepdim", false);
  std::vector<char> r(in.size(), axes.empty() ? 1 : 0);
  for (std::int64_t a : axes) {
    const std::int64_t d = static_cast<std::int64_t>(in.size());
    if (a < -d || a >= d) throw GraphError(where_of(n) + ": axis " + std::to_string(a) + " out of range for " + to_string(in));
    r[static_cast<std::size_t>(a < 0 ? a + d : a)] = 1;
  }
  Shape out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (!r[i]) out.push_back(in[i]);
    else if (keep) out.push_back(1);
  }
  return out;
}

}  // namespace

const std::vector<std::string>& ops() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, def] : table()) v.push_back(name);
    return v;
  }();
  return names;
}

std::vector<Shape> infer_shapes(const Node& n, const std::vector<Shape>& in) {
  const OpDef& def = op_def(n);
  if (static_cast<int>(in.size()) != def.inputs) {
    throw GraphError(where_of(n) + ": takes " + std::to_string(def.inputs) + " inputs, has " + std::to_string(in.size()));
  }
  try {
    const std::string& op = n.op;
    if (op == "add" || op == "sub" || op == "mul" || op == "div" || op == "maximum" || op == "greater") {
      return {broadcast_shapes(in[0], in[1], op.c_str())};
    }
    if (op == "where") return {broadcast_shapes(broadcast_shapes(in[0], in[1], "where"), in[2], "where")};
    if (op == "matmul") {
      if (in[0].size() < 2 || in[1].size() < 2) throw GraphError(where_of(n) + ": both operands must be at least 2-D");
      if (in[0].back() != in[1][in[1].size() - 2]) {
        throw GraphError(where_of(n) + ": inner dimensions differ: " + to_string(in[0]) + " x " + to_string(in[1]));
      }
      Shape out = broadcast_shapes(Shape(in[0].begin(), in[0].end() - 2), Shape(in[1].begin(), in[1].end() - 2), "matmul");
      out.push_back(in[0][in[0].size() - 2]);
      out.push_back(in[1].back());
      return {out};
    }
    if (op == "sum" || op == "mean" || op == "max") return {reduced_shape(n, in[0])};
    if (op == "sum_to") {
      const Shape target = attr_ints(n, "shape");
      if (broadcast_shapes(target, in[0], "sum_to") != in[0]) {
        throw GraphError(where_of(n) + ": " + to_string(in[0]) + " is not a broadcast of " + to_string(target));
      }
      return {target};
    }
    if (op == "argmax") {
      Shape out = in[0];
      const std::int64_t a = attr_int(n, "axis"), d = static_cast<std::int64_t>(out.size());
      if (a < -d || a >= d) throw GraphError(where_of(n) + ": axis " + std::to_string(a) + " out of range for " + to_string(in[0]));
      out.erase(out.begin() + (a < 0 ? a + d : a));
      return {out};
    }
    if (op == "cross_entropy") {
      if (in[0].size() != 2 || in[1] != Shape{in[0][0]}) {
        throw GraphError(where_of(n) + ": expects logits [N, C] and labels [N], got " + to_string(in[0]) + " and " + to_string(in[1]));
      }
      return {Shape{}};
    }
    if (op == "layer_norm") {
      if (in[0].empty() || in[1] != Shape{in[0].back()} || in[2] != Shape{in[0].back()}) {
        throw GraphError(where_of(n) + ": expects x [..., D], gamma [D], beta [D], got " + to_string(in[0]) + ", " +
                         to_string(in[1]) + ", " + to_string(in[2]));
      }
      Shape stats = in[0];
      stats.pop_back();
      return {in[0], stats, stats};
    }
    if (op == "max_pool2d") {
      if (in[0].size() != 4) throw GraphError(where_of(n) + ": expects [N, C, H, W], got " + to_string(in[0]));
      const std::int64_t k = attr_int(n, "kernel");
      const std::int64_t s = attr_int(n, "stride");
      const std::int64_t p = attr_int(n, "padding", 0);
      if (k < 1 || s < 1 || p < 0 || 2 * p > k) throw GraphError(where_of(n) + ": bad kernel, stride or padding");
      const Shape out = {in[0][0], in[0][1], (in[0][2] + 2 * p - k) / s + 1, (in[0][3] + 2 * p - k) / s + 1};
      if (out[2] < 1 || out[3] < 1) throw GraphError(where_of(n) + ": the window does not fit " + to_string(in[0]));
      return {out, out};
    }
    if (op == "max_pool2d_backward") {
      const Shape x = attr_ints(n, "input_shape");
      if (in[0].size() != 4 || in[1] != in[0] || x.size() != 4 || x[0] != in[0][0] || x[1] != in[0][1]) {
        throw GraphError(where_of(n) + ": expects dy [N, C, P, Q], indices of the same shape and input_shape [N, C, H, W], got " +
                         to_string(in[0]) + ", " + to_string(in[1]) + " and " + to_string(x));
      }
      return {x};
    }
    if (op == "conv2d" || op == "conv2d_backward_data" || op == "conv2d_backward_weight") {
      const std::int64_t stride = attr_int(n, "stride", 1), pad = attr_int(n, "padding", 0);
      if (stride < 1 || pad < 0) throw GraphError(where_of(n) + ": stride must be >= 1 and padding >= 0");
      // The three ops name the convolution by (x, w); each has two of x, w, y and the third's shape.
      const bool forward = op == "conv2d", data = op == "conv2d_backward_data";
      const Shape x = data ? attr_ints(n, "input_shape") : in[0];
      const Shape w = forward || data ? in[1] : attr_ints(n, "weight_shape");
      const Shape y = forward ? Shape{} : (data ? in[0] : in[1]);
      if (x.size() != 4 || w.size() != 4 || x[1] != w[1]) {
        throw GraphError(where_of(n) + ": expects x [N, C, H, W] and w [K, C, R, S], got " + to_string(x) + " and " + to_string(w));
      }
      const Shape out = {x[0], w[0], (x[2] + 2 * pad - w[2]) / stride + 1, (x[3] + 2 * pad - w[3]) / stride + 1};
      if (x[2] + 2 * pad < w[2] || x[3] + 2 * pad < w[3]) {
        throw GraphError(where_of(n) + ": a " + to_string(w) + " kernel does not fit " + to_string(x) + " with padding " +
                         std::to_string(pad));
      }
      if (forward) return {out};
      if (y != out) throw GraphError(where_of(n) + ": dy is " + to_string(y) + ", the convolution gives " + to_string(out));
      return {data ? x : w};
    }
    if (op == "dropout") return {in[0], in[0]};
    if (is_view(op)) return {def.view(n, placeholder(in[0])).shape()};  // a view: no data is touched
    return {in[0]};  // unary, scalar, softmax, log_softmax, contiguous
  } catch (const GraphError&) {
    throw;
  } catch (const InvalidArgument& e) {
    throw GraphError(where_of(n) + ": " + e.what());
  }
}

// ---------------------------------------------------------------------------------------------
// Validation

void validate(const Graph& g) {
  const std::string who = "graph '" + g.name + "'";
  std::map<int, const Value*> by_id;
  std::set<std::string> names;
  for (std::size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    if (!by_id.emplace(v.id, &v).second) throw GraphError(who + ": value id " + std::to_string(v.id) + " is used twice");
    if (v.name.empty()) throw GraphError(who + ": value " + std::to_string(v.id) + " has no name");
    if (!names.insert(v.name).second) throw GraphError(who + ": value name '" + v.name + "' is used twice");
    for (std::int64_t d : v.shape) {
      if (d < 0) throw GraphError(who + ": value '" + v.name + "' has a negative dimension in " + to_string(v.shape));
    }
    if (v.kind == ValueKind::kConstant && static_cast<std::int64_t>(v.data.size()) != numel(v.shape)) {
      throw GraphError(who + ": constant '" + v.name + "' holds " + std::to_string(v.data.size()) + " values for shape " +
                       to_string(v.shape));
    }
  }
  for (const Value& v : g.values) {
    if (v.gradient_of && !by_id.count(*v.gradient_of)) {
      throw GraphError(who + ": value '" + v.name + "' is the gradient of value " + std::to_string(*v.gradient_of) +
                       ", which does not exist");
    }
  }
  std::set<int> defined, node_ids;
  for (const Value& v : g.values) {
    if (v.kind != ValueKind::kIntermediate) defined.insert(v.id);
  }
  for (const Node& n : g.nodes) {
    if (!node_ids.insert(n.id).second) throw GraphError(who + ": node id " + std::to_string(n.id) + " is used twice");
    if (n.phase != "forward" && n.phase != "backward" && n.phase != "optimizer") {
      throw GraphError(who + ": " + where_of(n) + ": phase '" + n.phase + "' is not forward, backward or optimizer");
    }
    const OpDef& def = op_def(n);
    if (static_cast<int>(n.outputs.size()) != def.outputs) {
      throw GraphError(who + ": " + where_of(n) + ": gives " + std::to_string(def.outputs) + " outputs, lists " +
                       std::to_string(n.outputs.size()));
    }
    std::vector<Shape> in;
    for (int id : n.inputs) {
      if (!by_id.count(id)) throw GraphError(who + ": " + where_of(n) + ": input value " + std::to_string(id) + " does not exist");
      if (!defined.count(id)) {
        throw GraphError(who + ": " + where_of(n) + ": reads '" + by_id[id]->name + "' before any node defines it");
      }
      in.push_back(by_id[id]->shape);
    }
    std::vector<Shape> out;
    try {
      out = infer_shapes(n, in);
    } catch (const GraphError& e) {
      throw GraphError(who + ": " + e.what());
    }
    for (std::size_t k = 0; k < n.outputs.size(); ++k) {
      const int id = n.outputs[k];
      if (!by_id.count(id)) throw GraphError(who + ": " + where_of(n) + ": output value " + std::to_string(id) + " does not exist");
      const Value& v = *by_id[id];
      if (v.kind != ValueKind::kIntermediate) {
        throw GraphError(who + ": " + where_of(n) + ": writes '" + v.name + "', a " + name_of(v.kind) + " (nodes define only intermediates)");
      }
      if (!defined.insert(id).second) throw GraphError(who + ": " + where_of(n) + ": '" + v.name + "' is defined twice");
      if (v.shape != out[k]) {
        throw GraphError(who + ": " + where_of(n) + ": output '" + v.name + "' is recorded as " + to_string(v.shape) +
                         " but the op gives " + to_string(out[k]));
      }
    }
  }
  for (const Value& v : g.values) {
    if (!defined.count(v.id)) throw GraphError(who + ": intermediate '" + v.name + "' is never defined by a node");
  }
  for (int id : g.outputs) {
    if (!by_id.count(id)) throw GraphError(who + ": output value " + std::to_string(id) + " does not exist");
  }
}

std::vector<int> saved_for_backward(const Graph& g) {
  std::map<int, std::string> producer_phase;
  for (const Node& n : g.nodes) {
    for (int id : n.outputs) producer_phase[id] = n.phase;
  }
  std::set<int> saved;
  for (const Node& n : g.nodes) {
    if (n.phase != "backward") continue;
    for (int id : n.inputs) {
      const auto it = producer_phase.find(id);
      if (it != producer_phase.end() && it->second == "forward") saved.insert(id);
    }
  }
  return {saved.begin(), saved.end()};
}

// ---------------------------------------------------------------------------------------------
// JSON

nlohmann::json to_json(const Graph& g) {
  nlohmann::json values = nlohmann::json::array(), nodes = nlohmann::json::array();
  for (const Value& v : g.values) {
    nlohmann::json j = {{"id", v.id}, {"name", v.name}, {"kind", name_of(v.kind)}, {"shape", v.shape},
                        {"dtype", kernels::name_of(v.dtype)}, {"bytes", v.bytes()}};
    if (v.gradient_of) j["gradient_of"] = *v.gradient_of;
    if (v.kind == ValueKind::kConstant) j["data"] = v.data;
    values.push_back(j);
  }
  for (const Node& n : g.nodes) {
    nodes.push_back({{"id", n.id}, {"op", n.op}, {"inputs", n.inputs}, {"outputs", n.outputs}, {"attrs", n.attrs}, {"phase", n.phase}});
  }
  return {{"format", "aisys.graph/1"}, {"name", g.name}, {"values", values}, {"nodes", nodes}, {"outputs", g.outputs}};
}

Graph from_json(const nlohmann::json& j, const std::string& where) {
  auto fail = [&](const std::string& path, const std::string& why) -> GraphError { return GraphError(where + ": " + path + ": " + why); };
  if (!j.is_object()) throw fail("(top level)", "expected a JSON object");
  if (j.value("format", "") != "aisys.graph/1") throw fail("format", "expected \"aisys.graph/1\"");
  Graph g;
  g.name = j.value("name", "");
  auto ints = [&](const nlohmann::json& a, const std::string& path) {
    if (!a.is_array()) throw fail(path, "expected a list of integers");
    std::vector<std::int64_t> out;
    for (const auto& x : a) {
      if (!x.is_number_integer()) throw fail(path, "expected a list of integers");
      out.push_back(x.get<std::int64_t>());
    }
    return out;
  };
  if (!j.contains("values") || !j["values"].is_array()) throw fail("values", "expected a list");
  for (std::size_t i = 0; i < j["values"].size(); ++i) {
    const auto& jv = j["values"][i];
    const std::string p = "values[" + std::to_string(i) + "]";
    if (!jv.is_object()) throw fail(p, "expected an object");
    Value v;
    if (!jv.contains("id") || !jv["id"].is_number_integer()) throw fail(p + ".id", "expected an integer");
    v.id = jv["id"].get<int>();
    if (!jv.contains("name") || !jv["name"].is_string()) throw fail(p + ".name", "expected a string");
    v.name = jv["name"].get<std::string>();
    const std::string kind = jv.value("kind", "");
    if (kind == "input") v.kind = ValueKind::kInput;
    else if (kind == "parameter") v.kind = ValueKind::kParameter;
    else if (kind == "constant") v.kind = ValueKind::kConstant;
    else if (kind == "intermediate") v.kind = ValueKind::kIntermediate;
    else throw fail(p + ".kind", "expected input, parameter, constant or intermediate");
    v.shape = ints(jv.value("shape", nlohmann::json()), p + ".shape");
    const std::string dtype = jv.value("dtype", "float32");
    if (dtype == "float32") v.dtype = DType::kFloat32;
    else if (dtype == "float64") v.dtype = DType::kFloat64;
    else throw fail(p + ".dtype", "expected float32 or float64");
    if (jv.contains("gradient_of")) {
      if (!jv["gradient_of"].is_number_integer()) throw fail(p + ".gradient_of", "expected a value id");
      v.gradient_of = jv["gradient_of"].get<int>();
    }
    if (jv.contains("data")) {
      if (!jv["data"].is_array()) throw fail(p + ".data", "expected a list of numbers");
      for (const auto& x : jv["data"]) {
        if (!x.is_number()) throw fail(p + ".data", "expected a list of numbers");
        v.data.push_back(x.get<double>());
      }
    }
    if (jv.contains("bytes") && (!jv["bytes"].is_number_integer() || jv["bytes"].get<std::int64_t>() != v.bytes())) {
      throw fail(p + ".bytes", "says " + jv["bytes"].dump() + " but shape and dtype give " + std::to_string(v.bytes()));
    }
    g.values.push_back(std::move(v));
  }
  if (!j.contains("nodes") || !j["nodes"].is_array()) throw fail("nodes", "expected a list");
  for (std::size_t i = 0; i < j["nodes"].size(); ++i) {
    const auto& jn = j["nodes"][i];
    const std::string p = "nodes[" + std::to_string(i) + "]";
    if (!jn.is_object()) throw fail(p, "expected an object");
    Node n;
    if (!jn.contains("id") || !jn["id"].is_number_integer()) throw fail(p + ".id", "expected an integer");
    n.id = jn["id"].get<int>();
    if (!jn.contains("op") || !jn["op"].is_string()) throw fail(p + ".op", "expected a string");
    n.op = jn["op"].get<std::string>();
    for (std::int64_t x : ints(jn.value("inputs", nlohmann::json::array()), p + ".inputs")) n.inputs.push_back(static_cast<int>(x));
    for (std::int64_t x : ints(jn.value("outputs", nlohmann::json()), p + ".outputs")) n.outputs.push_back(static_cast<int>(x));
    n.attrs = jn.value("attrs", nlohmann::json::object());
    if (!n.attrs.is_object()) throw fail(p + ".attrs", "expected an object");
    n.phase = jn.value("phase", "forward");
    g.nodes.push_back(std::move(n));
  }
  for (std::int64_t x : ints(j.value("outputs", nlohmann::json::array()), "outputs")) g.outputs.push_back(static_cast<int>(x));
  try {
    validate(g);
  } catch (const GraphError& e) {
    throw GraphError(where + ": " + e.what());
  }
  return g;
}

void save(const Graph& g, const std::filesystem::path& path) {
  validate(g);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << to_json(g).dump(1) << "\n";
    if (!out) throw GraphError(path.string() + ": cannot write (" + tmp.string() + ")");
  }
  std::filesystem::rename(tmp, path);
}

Graph load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw GraphError(path.string() + ": cannot open");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw GraphError(path.string() + ": not JSON (" + e.what() + ")");
  }
  return from_json(j, path.string());
}

// ---------------------------------------------------------------------------------------------
// Executor

RunResult run(const Graph& g, const std::map<std::string, Tensor>& feeds, const RunOptions& options) {
  validate(g);
  const std::string who = "graph '" + g.name + "'";
  std::map<int, int> last_use;  // value id -> index of the last node reading it
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (int id : g.nodes[i].inputs) last_use[id] = static_cast<int>(i);
  }
  const std::set<int> keep(g.outputs.begin(), g.outputs.end());
  std::map<int, Tensor> live;
  std::int64_t live_bytes = 0;
  RunResult result;
  auto hold = [&](int id, Tensor t) {
    live_bytes += g.value(id).bytes();
    live[id] = std::move(t);
  };
  for (const Value& v : g.values) {
    if (v.kind == ValueKind::kIntermediate) continue;
    if (v.kind == ValueKind::kConstant) {
      hold(v.id, Tensor::from_values(v.data, v.shape, v.dtype));
      continue;
    }
    const auto it = feeds.find(v.name);
    if (it == feeds.end()) throw GraphError(who + ": no tensor fed for " + name_of(v.kind) + " '" + v.name + "'");
    const Tensor& t = it->second;
    if (!t.defined() || t.shape() != v.shape || t.dtype() != v.dtype) {
      throw GraphError(who + ": '" + v.name + "' must be " + kernels::name_of(v.dtype) + to_string(v.shape) + ", got " +
                       (t.defined() ? std::string(kernels::name_of(t.dtype())) + to_string(t.shape()) : "an undefined tensor"));
    }
    hold(v.id, t);
  }
  result.peak_live_bytes = live_bytes;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    std::vector<Tensor> in;
    for (int id : n.inputs) in.push_back(live.at(id));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Tensor> out;
    try {
      out = op_def(n).exec(n, in);
    } catch (const GraphError&) {
      throw;
    } catch (const InvalidArgument& e) {
      throw GraphError(who + ": " + where_of(n) + ": " + e.what());
    }
    if (options.time_nodes) result.node_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    for (std::size_t k = 0; k < out.size(); ++k) {
      const Value& v = g.value(n.outputs[k]);
      Tensor t = out[k].dtype() == v.dtype ? out[k] : out[k].to(v.dtype);
      hold(v.id, std::move(t));
    }
    result.peak_live_bytes = std::max(result.peak_live_bytes, live_bytes);
    if (options.keep_all) continue;
    for (int id : n.inputs) {
      if (last_use[id] == static_cast<int>(i) && !keep.count(id) && live.count(id)) {
        live_bytes -= g.value(id).bytes();
        live.erase(id);
      }
    }
    for (int id : n.outputs) {  // outputs nobody reads
      if (!last_use.count(id) && !keep.count(id) && live.count(id)) {
        live_bytes -= g.value(id).bytes();
        live.erase(id);
      }
    }
  }
  for (int id : g.outputs) result.outputs[id] = live.at(id);
  if (options.keep_all) {
    for (auto& [id, t] : live) result.outputs[id] = t;
  }
  return result;
}

}  // namespace aisys::kernels::graph
