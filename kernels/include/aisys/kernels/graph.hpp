// aisys/kernels/graph.hpp: the static graph IR shared by labs 02-04. Lab 02's reference traces a
// training step (forward, backward, optimizer) into a Graph and saves it as JSON; labs 03 (graph
// optimisation) and 04 (memory planning) read such files as data, rewrite or schedule them, and
// run them with the Executor to check that nothing changed.
//
// A Graph is a list of values (tensors: name, shape, dtype, kind, byte size) and a list of nodes in
// a valid execution order; each node applies one op (the primitives of tensor_ops.hpp and the views
// of tensor.hpp) to input values and defines output values. Every value is defined once: by being
// an input, a parameter or a constant, or by exactly one node. validate() checks the whole graph
// (ids, definitions before uses, op names, attributes, and every recorded shape against the op's
// shape rule) and throws GraphError naming the node or value.
//
// JSON (format "aisys.graph/1"; documented with every op and attribute in kernels/README.md):
//   {"format": "aisys.graph/1", "name": "mlp", "values": [
//      {"id": 0, "name": "x", "kind": "input", "shape": [64, 784], "dtype": "float32", "bytes": 200704},
//      {"id": 1, "name": "fc1.weight", "kind": "parameter", "shape": [256, 784], ...},
//      {"id": 2, "name": "h", "kind": "intermediate", ...},
//      {"id": 9, "name": "fc1.weight.grad", "kind": "intermediate", "gradient_of": 1, ...}],
//    "nodes": [{"id": 0, "op": "matmul", "inputs": [0, 5], "outputs": [2], "attrs": {},
//               "phase": "forward"}, ...],
//    "outputs": [9, ...]}
// kind: input (fed at run time), parameter (fed, or initialised by the caller), constant (its
// values in "data"), intermediate (a node's output). phase: forward, backward or optimizer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aisys/kernels/tensor.hpp"

namespace aisys::kernels::graph {

class GraphError : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
};

enum class ValueKind : std::uint8_t { kInput, kParameter, kConstant, kIntermediate };
const char* name_of(ValueKind kind);

struct Value {
  int id = 0;
  std::string name;
  ValueKind kind = ValueKind::kIntermediate;
  Shape shape;
  DType dtype = DType::kFloat32;
  std::optional<int> gradient_of;  // the value this one is the gradient of (backward outputs)
  std::vector<double> data;        // constants only, row-major
  std::int64_t bytes() const { return numel(shape) * static_cast<std::int64_t>(size_of(dtype)); }
};

struct Node {
  int id = 0;
  std::string op;            // "matmul", "relu", ... (see ops())
  std::vector<int> inputs;   // value ids
  std::vector<int> outputs;  // value ids
  nlohmann::json attrs = nlohmann::json::object();
  std::string phase = "forward";  // "forward" | "backward" | "optimizer"
};

struct Graph {
  std::string name;
  std::vector<Value> values;  // any order; ids unique
  std::vector<Node> nodes;    // execution order
  std::vector<int> outputs;   // value ids the caller wants (kept to the end of a run)

  const Value& value(int id) const;
  Value& value(int id);
  const Value* find(const std::string& name) const;
  // Adds a value / node, returning its id (ids are assigned in order).
  int add_value(std::string name, ValueKind kind, Shape shape, DType dtype = DType::kFloat32);
  int add_node(std::string op, std::vector<int> inputs, std::vector<int> outputs,
               nlohmann::json attrs = nlohmann::json::object(), std::string phase = "forward");
};

// The ops the executor runs: each op's inputs, outputs and attributes are listed in
// kernels/README.md.
const std::vector<std::string>& ops();

// The output shapes an op gives for these input shapes and attributes (GraphError naming the node
// when the inputs do not fit the op).
std::vector<Shape> infer_shapes(const Node& node, const std::vector<Shape>& inputs);

// Throws GraphError naming the node or value when anything is wrong (see the header comment).
void validate(const Graph& g);

// Values that forward nodes produce and backward nodes read: what the backward keeps alive.
std::vector<int> saved_for_backward(const Graph& g);

nlohmann::json to_json(const Graph& g);
Graph from_json(const nlohmann::json& j, const std::string& where = "graph");  // validates
void save(const Graph& g, const std::filesystem::path& path);  // atomic (temporary file, rename)
Graph load(const std::filesystem::path& path);                  // errors name the file

// Runs a graph on CPU tensors in node order, freeing each intermediate value after its last use
// (outputs are kept). Inputs and parameters come from `feeds` by value name (shape and dtype must
// match). Reports the peak of live bytes (the logical sizes of the values held at once), the
// number that memory planning (lab 04) lowers.
struct RunResult {
  std::map<int, Tensor> outputs;  // by value id
  std::int64_t peak_live_bytes = 0;
  std::vector<double> node_seconds;  // per node, when timed
};
struct RunOptions {
  bool time_nodes = false;
  bool keep_all = false;  // keep every value (no freeing), e.g. to compare two graphs value by value
};
RunResult run(const Graph& g, const std::map<std::string, Tensor>& feeds, const RunOptions& options = {});

}  // namespace aisys::kernels::graph
