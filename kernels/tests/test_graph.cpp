// The graph IR (graph.hpp): building, validating (every error names the node or value), JSON round
// trip and malformed files, what the backward keeps, and the executor: results equal to calling
// the ops directly, and the peak of live bytes on a chain worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>

#include "aisys/kernels/graph.hpp"
#include "aisys/kernels/tensor_ops.hpp"

namespace aisys::kernels::graph {
namespace {

std::uint64_t seed() {
  static const std::uint64_t s = [] {
    const char* env = std::getenv("AISYS_SEED");
    const std::uint64_t v = env && *env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
    std::cout << "[ seed ] " << v << "\n";
    return v;
  }();
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const GraphError& e) {
    return e.what();
  }
  return "";
}

// A one-layer classifier's step: forward to the loss, then the weight gradient of the ReLU layer
// (a backward that reads the forward's pre-activation z).
Graph small_step() {
  Graph g;
  g.name = "small";
  const int x = g.add_value("x", ValueKind::kInput, {4, 3});
  const int labels = g.add_value("labels", ValueKind::kInput, {4}, DType::kFloat64);
  const int w = g.add_value("w", ValueKind::kParameter, {3, 2});
  const int b = g.add_value("b", ValueKind::kParameter, {2});
  const int zero = g.add_value("zero", ValueKind::kConstant, {});
  g.value(zero).data = {0.0};
  const int h = g.add_value("h", ValueKind::kIntermediate, {4, 2});
  const int z = g.add_value("z", ValueKind::kIntermediate, {4, 2});
  const int a = g.add_value("a", ValueKind::kIntermediate, {4, 2});
  const int loss = g.add_value("loss", ValueKind::kIntermediate, {});
  const int mask = g.add_value("relu_mask", ValueKind::kIntermediate, {4, 2});
  const int xt = g.add_value("x_t", ValueKind::kIntermediate, {3, 4});
  const int gw = g.add_value("w.grad", ValueKind::kIntermediate, {3, 2});
  g.value(gw).gradient_of = w;
  g.add_node("matmul", {x, w}, {h});
  g.add_node("add", {h, b}, {z});
  g.add_node("relu", {z}, {a});
  g.add_node("cross_entropy", {a, labels}, {loss});
  g.add_node("greater", {z, zero}, {mask}, {}, "backward");
  g.add_node("transpose", {x}, {xt}, {{"dim0", 0}, {"dim1", 1}}, "backward");
  g.add_node("matmul", {xt, mask}, {gw}, {}, "backward");
  g.outputs = {loss, gw};
  return g;
}

std::map<std::string, Tensor> small_feeds() {
  std::uint64_t s = seed();
  return {{"x", Tensor::uniform({4, 3}, -1, 1, s++)},
          {"labels", Tensor::from_values({0, 1, 1, 0}, {4}, DType::kFloat64)},
          {"w", Tensor::uniform({3, 2}, -1, 1, s++)},
          {"b", Tensor::uniform({2}, -1, 1, s++)}};
}

TEST(Graph, ValidatesAndRuns) {
  const Graph g = small_step();
  validate(g);
  auto feeds = small_feeds();
  const RunResult r = run(g, feeds);
  const Tensor z = ops::add(ops::matmul(feeds["x"], feeds["w"]), feeds["b"]);
  const double loss = ops::cross_entropy(ops::relu(z), std::vector<std::int32_t>{0, 1, 1, 0}).item();
  EXPECT_NEAR(r.outputs.at(g.find("loss")->id).item(), loss, 1e-6) << "seed " << seed();
  const Tensor gw = ops::matmul(feeds["x"].t(), ops::greater(z, Tensor::scalar(0)));
  const auto want = gw.to_vector(), got = r.outputs.at(g.find("w.grad")->id).to_vector();
  ASSERT_EQ(want.size(), got.size());
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << i << " seed " << seed();
  EXPECT_EQ(saved_for_backward(g), std::vector<int>{g.find("z")->id});
}

TEST(Graph, PeakLiveBytesOnAChain) {
  Graph g;
  g.name = "chain";
  const int x = g.add_value("x", ValueKind::kInput, {100});
  const int a = g.add_value("a", ValueKind::kIntermediate, {100});
  const int b = g.add_value("b", ValueKind::kIntermediate, {100});
  const int c = g.add_value("c", ValueKind::kIntermediate, {100});
  g.add_node("neg", {x}, {a});
  g.add_node("exp", {a}, {b});
  g.add_node("neg", {b}, {c});
  g.outputs = {c};
  const std::map<std::string, Tensor> feeds = {{"x", Tensor::uniform({100}, -1, 1, seed())}};
  // Each node holds its input and output (800 B); the input is freed after its last use.
  EXPECT_EQ(run(g, feeds).peak_live_bytes, 800);
  RunOptions keep;
  keep.keep_all = true;
  const RunResult all = run(g, feeds, keep);
  EXPECT_EQ(all.peak_live_bytes, 1600);
  EXPECT_EQ(all.outputs.size(), 4u);
  const auto xs = feeds.at("x").to_vector(), cs = all.outputs.at(c).to_vector();
  for (std::size_t i = 0; i < xs.size(); ++i) EXPECT_NEAR(cs[i], -std::exp(-xs[i]), 1e-6);
}

TEST(Graph, ValidationErrorsNameTheNode) {
  struct Case {
    std::function<void(Graph&)> breaks;
    const char* expect;
  };
  const Case cases[] = {
      {[](Graph& g) { g.nodes[2].op = "relu6"; }, "node 2 (relu6): unknown op 'relu6'"},
      {[](Graph& g) { g.value(g.find("z")->id).shape = {4, 3}; }, "node 1 (add): output 'z' is recorded as [4, 3] but the op gives [4, 2]"},
      {[](Graph& g) { std::swap(g.nodes[0], g.nodes[1]); }, "node 1 (add): reads 'h' before any node defines it"},
      {[](Graph& g) { g.nodes[2].outputs = {g.find("z")->id}; }, "'z' is defined twice"},
      {[](Graph& g) { g.nodes[0].outputs = {g.find("w")->id}; }, "writes 'w', a parameter"},
      {[](Graph& g) { g.nodes[5].attrs = nlohmann::json::object(); }, "node 5 (transpose): attribute 'dim0' is missing"},
      {[](Graph& g) { g.nodes[0].inputs = {g.find("x")->id, g.find("x")->id}; }, "node 0 (matmul): inner dimensions differ: [4, 3] x [4, 3]"},
      {[](Graph& g) { g.nodes[6].phase = "sideways"; }, "phase 'sideways'"},
      {[](Graph& g) { g.value(g.find("zero")->id).data.clear(); }, "constant 'zero' holds 0 values for shape []"},
      {[](Graph& g) { g.values.back().name = g.values.front().name; }, "value name 'x' is used twice"},
  };
  for (const Case& c : cases) {
    Graph g = small_step();
    c.breaks(g);
    const std::string e = error_of([&] { validate(g); });
    EXPECT_NE(e.find(c.expect), std::string::npos) << "expected: " << c.expect << "\ngot: " << e;
  }
  auto feeds = small_feeds();
  feeds.erase("b");
  EXPECT_NE(error_of([&] { run(small_step(), feeds); }).find("no tensor fed for parameter 'b'"), std::string::npos);
  feeds = small_feeds();
  feeds["w"] = Tensor::zeros({2, 3});
  EXPECT_NE(error_of([&] { run(small_step(), feeds); }).find("'w' must be float32[3, 2], got float32[2, 3]"), std::string::npos);
}

TEST(Graph, JsonRoundTripAndMalformedFiles) {
  const Graph g = small_step();
  const nlohmann::json j = to_json(g);
  EXPECT_EQ(j["format"], "aisys.graph/1");
  EXPECT_EQ(j["values"][0]["bytes"], 48);
  const Graph back = from_json(j);
  EXPECT_EQ(to_json(back), j);
  const auto dir = std::filesystem::temp_directory_path() / ("aisys-graph-test-" + std::to_string(seed()));
  std::filesystem::create_directories(dir);
  save(g, dir / "small.json");
  EXPECT_EQ(to_json(load(dir / "small.json")), j);
  EXPECT_FALSE(std::filesystem::exists(dir / "small.json.tmp"));
  std::ofstream(dir / "bad.json") << "{not json";
  EXPECT_NE(error_of([&] { load(dir / "bad.json"); }).find("bad.json: not JSON"), std::string::npos);
  EXPECT_NE(error_of([&] { load(dir / "missing.json"); }).find("missing.json: cannot open"), std::string::npos);
  struct Case {
    std::function<void(nlohmann::json&)> breaks;
    const char* expect;
  };
  const Case cases[] = {
      {[](nlohmann::json& x) { x["format"] = "onnx"; }, "format: expected \"aisys.graph/1\""},
      {[](nlohmann::json& x) { x["values"][1]["shape"] = "4"; }, "values[1].shape: expected a list of integers"},
      {[](nlohmann::json& x) { x["values"][0]["bytes"] = 47; }, "values[0].bytes: says 47 but shape and dtype give 48"},
      {[](nlohmann::json& x) { x["values"][2]["kind"] = "weight"; }, "values[2].kind: expected input, parameter"},
      {[](nlohmann::json& x) { x["nodes"][3]["op"] = 7; }, "nodes[3].op: expected a string"},
      {[](nlohmann::json& x) { x["nodes"][3]["inputs"] = {99}; }, "input value 99 does not exist"},
  };
  for (const Case& c : cases) {
    nlohmann::json broken = j;
    c.breaks(broken);
    const std::string e = error_of([&] { from_json(broken, "file.json"); });
    EXPECT_NE(e.find(c.expect), std::string::npos) << "expected: " << c.expect << "\ngot: " << e;
    EXPECT_EQ(e.rfind("file.json: ", 0), 0u) << e;
  }
  std::filesystem::remove_all(dir);
}

TEST(Graph, ShapeRulesOfEveryOpFamily) {
  auto shapes = [](const char* op, std::vector<Shape> in, nlohmann::json attrs = nlohmann::json::object()) {
    Node n;
    n.op = op;
    n.attrs = std::move(attrs);
    return infer_shapes(n, in);
  };
  EXPECT_EQ(shapes("add", {{2, 1, 3}, {4, 1}})[0], (Shape{2, 4, 3}));
  EXPECT_EQ(shapes("matmul", {{5, 2, 3}, {3, 7}})[0], (Shape{5, 2, 7}));
  EXPECT_EQ(shapes("sum", {{2, 3, 4}}, {{"axes", {1}}})[0], (Shape{2, 4}));
  EXPECT_EQ(shapes("mean", {{2, 3, 4}}, {{"axes", {-1}}, {"keepdim", true}})[0], (Shape{2, 3, 1}));
  EXPECT_EQ(shapes("max", {{2, 3}})[0], Shape{});
  EXPECT_EQ(shapes("sum_to", {{2, 3, 4}}, {{"shape", {3, 1}}})[0], (Shape{3, 1}));
  EXPECT_EQ(shapes("reshape", {{2, 6}}, {{"shape", {3, -1}}})[0], (Shape{3, 4}));
  EXPECT_EQ(shapes("permute", {{2, 3, 4}}, {{"dims", {2, 0, 1}}})[0], (Shape{4, 2, 3}));
  EXPECT_EQ(shapes("slice", {{10, 3}}, {{"dim", 0}, {"start", 2}, {"end", 9}, {"step", 3}})[0], (Shape{3, 3}));
  const auto ln = shapes("layer_norm", {{2, 5, 8}, {8}, {8}});
  EXPECT_EQ(ln[1], (Shape{2, 5}));
  EXPECT_EQ(shapes("max_pool2d", {{1, 3, 8, 8}}, {{"kernel", 2}, {"stride", 2}})[0], (Shape{1, 3, 4, 4}));
  EXPECT_EQ(shapes("cross_entropy", {{6, 10}, {6}})[0], Shape{});
  EXPECT_NE(error_of([&] { shapes("cross_entropy", {{6, 10}, {5}}); }).find("expects logits [N, C] and labels [N]"), std::string::npos);
  EXPECT_NE(error_of([&] { shapes("reshape", {{2, 6}}, {{"shape", {5}}}); }).find("cannot view [2, 6]"), std::string::npos);
  EXPECT_NE(error_of([&] { shapes("add", {{2}}); }).find("takes 2 inputs, has 1"), std::string::npos);
  EXPECT_GE(ops().size(), 35u);
}

}  // namespace
}  // namespace aisys::kernels::graph

namespace aisys::kernels::graph {
namespace {

TEST(GraphShapes, ViewShapesNeedNoData) {
  // Shape inference of a view applies the view to an empty placeholder and must not copy it, even
  // where running the node copies (a transposed input is made contiguous).
  Node t;
  t.op = "transpose";
  t.attrs = {{"dim0", 0}, {"dim1", 2}};
  EXPECT_EQ(infer_shapes(t, {{2, 3, 4}}), (std::vector<Shape>{{4, 3, 2}}));
  Node r;
  r.op = "reshape";
  r.attrs = {{"shape", {6, -1}}};
  EXPECT_EQ(infer_shapes(r, {{2, 3, 4}}), (std::vector<Shape>{{6, 4}}));
  Node p;
  p.op = "permute";
  p.attrs = {{"dims", {2, 0, 1}}};
  EXPECT_EQ(infer_shapes(p, {{2, 3, 4}}), (std::vector<Shape>{{4, 2, 3}}));
}

}  // namespace
}  // namespace aisys::kernels::graph

namespace aisys::kernels::graph {
namespace {

// Runs one `op` node on the given tensors (float64 values fed as inputs in0, in1, ...).
std::vector<Tensor> run_one(const std::string& op, const std::vector<Tensor>& in, const nlohmann::json& attrs, int n_out = 1) {
  Graph g;
  g.name = op;
  std::vector<int> ids;
  std::vector<Shape> shapes;
  std::map<std::string, Tensor> feeds;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    ids.push_back(g.add_value(name, ValueKind::kInput, in[i].shape(), DType::kFloat64));
    shapes.push_back(in[i].shape());
    feeds[name] = in[i];
  }
  Node probe;
  probe.op = op;
  probe.attrs = attrs;
  const std::vector<Shape> out_shapes = infer_shapes(probe, shapes);
  std::vector<int> outs;
  for (int k = 0; k < n_out; ++k) {
    outs.push_back(g.add_value("out" + std::to_string(k), ValueKind::kIntermediate, out_shapes[static_cast<std::size_t>(k)],
                               DType::kFloat64));
  }
  g.add_node(op, ids, outs, attrs);
  g.outputs = outs;
  const RunResult r = run(g, feeds);
  std::vector<Tensor> result;
  for (int o : outs) result.push_back(r.outputs.at(o));
  return result;
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  double s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

TEST(GraphConvolution, ForwardElementAndAdjointBackwardPasses) {
  // Stride 2 and padding 1 on a non-square image with a non-square kernel: every index matters.
  const Tensor x = Tensor::uniform({2, 3, 6, 5}, -1, 1, seed() + 1, DType::kFloat64);
  const Tensor w = Tensor::uniform({4, 3, 3, 2}, -1, 1, seed() + 2, DType::kFloat64);
  const nlohmann::json conv = {{"stride", 2}, {"padding", 1}};
  const Tensor y = run_one("conv2d", {x, w}, conv)[0];
  ASSERT_EQ(y.shape(), (Shape{2, 4, 3, 3}));
  // y[1, 2, 1, 2] by hand: rows 2 p - 1 + r, columns 2 q - 1 + s, zero outside.
  double want = 0;
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 3; ++r)
      for (int s = 0; s < 2; ++s) {
        const int h = 2 * 1 - 1 + r, col = 2 * 2 - 1 + s;
        if (h >= 0 && h < 6 && col >= 0 && col < 5) {
          want += x.to_vector()[static_cast<std::size_t>(((1 * 3 + c) * 6 + h) * 5 + col)] *
                  w.to_vector()[static_cast<std::size_t>(((2 * 3 + c) * 3 + r) * 2 + s)];
        }
      }
  EXPECT_NEAR(y.to_vector()[static_cast<std::size_t>(((1 * 4 + 2) * 3 + 1) * 3 + 2)], want, 1e-12);
  // The convolution is bilinear, so its backward passes are its adjoints:
  // <conv(x, w), dy> = <x, backward_data(dy, w)> = <w, backward_weight(x, dy)>.
  const Tensor dy = Tensor::uniform(y.shape(), -1, 1, seed() + 3, DType::kFloat64);
  nlohmann::json data = conv, weight = conv;
  data["input_shape"] = x.shape();
  weight["weight_shape"] = w.shape();
  const Tensor dx = run_one("conv2d_backward_data", {dy, w}, data)[0];
  const Tensor dw = run_one("conv2d_backward_weight", {x, dy}, weight)[0];
  ASSERT_EQ(dx.shape(), x.shape());
  ASSERT_EQ(dw.shape(), w.shape());
  const double ref = dot(y, dy);
  EXPECT_NEAR(dot(x, dx), ref, 1e-10 * std::abs(ref) + 1e-12) << "seed " << seed();
  EXPECT_NEAR(dot(w, dw), ref, 1e-10 * std::abs(ref) + 1e-12) << "seed " << seed();
}

TEST(GraphConvolution, MaxPoolBackwardRoutesEachGradientToItsArgmax) {
  const Tensor x = Tensor::uniform({2, 3, 6, 6}, -1, 1, seed() + 4, DType::kFloat64);
  const auto pooled = run_one("max_pool2d", {x}, {{"kernel", 2}, {"stride", 2}}, 2);
  const Tensor dy = Tensor::uniform(pooled[0].shape(), -1, 1, seed() + 5, DType::kFloat64);
  const Tensor dx = run_one("max_pool2d_backward", {dy, pooled[1]}, {{"input_shape", x.shape()}})[0];
  ASSERT_EQ(dx.shape(), x.shape());
  // y picks x at the argmax, so <dx, x> = <dy, y>; each window has one non-zero, equal to its dy.
  EXPECT_NEAR(dot(dx, x), dot(dy, pooled[0]), 1e-12);
  const std::vector<double> g = dx.to_vector(), d = dy.to_vector();
  int nonzero = 0;
  for (double v : g) nonzero += v != 0.0;
  EXPECT_EQ(nonzero, static_cast<int>(d.size()));
  EXPECT_NE(error_of([&] { run_one("max_pool2d_backward", {dy, pooled[1]}, {{"input_shape", {2, 4, 6, 6}}}); })
                .find("input_shape [N, C, H, W]"),
            std::string::npos);
}

TEST(GraphConvolution, ShapeErrorsNameTheShapes) {
  auto shapes = [](const char* op, std::vector<Shape> in, nlohmann::json attrs) {
    Node n;
    n.op = op;
    n.attrs = std::move(attrs);
    return infer_shapes(n, in);
  };
  EXPECT_EQ(shapes("conv2d", {{8, 3, 32, 32}, {16, 3, 3, 3}}, {{"stride", 1}, {"padding", 1}})[0], (Shape{8, 16, 32, 32}));
  EXPECT_NE(error_of([&] { shapes("conv2d", {{8, 3, 32, 32}, {16, 4, 3, 3}}, {{"padding", 1}}); }).find("[16, 4, 3, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { shapes("conv2d", {{1, 1, 2, 2}, {1, 1, 5, 5}}, {{"padding", 1}}); }).find("does not fit"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              shapes("conv2d_backward_data", {{8, 16, 30, 30}, {16, 3, 3, 3}}, {{"padding", 1}, {"input_shape", {8, 3, 32, 32}}});
            }).find("dy is [8, 16, 30, 30], the convolution gives [8, 16, 32, 32]"),
            std::string::npos);
}

}  // namespace
}  // namespace aisys::kernels::graph
