// Lab 02 reference tool: training graphs of small models in the platform's graph IR
// (kernels/graph.hpp, aisys.graph/1): forward, backward and an SGD step, every node one of the
// executor's primitives. The backward is derived here, at the graph level, op by op (the same
// rules as parts 1-3, written as graph nodes instead of tensor calls), so labs 03 and 04 get data
// files whose backward they can optimise and schedule without any code that derives gradients.
//
//   mlp_graph():               784-256-256-10 MLP, ReLU, cross-entropy, batch 64
//   cnn_graph():               lab 02's SmallCnn (two 3x3 conv + ReLU + 2x2 max-pool stages, a
//                              linear layer), cross-entropy, batch 16
//   transformer_block_graph(): pre-norm block: layer norm, 4-head causal self-attention, residual,
//                              layer norm, GELU MLP (4x), residual; mean-squared error against a
//                              target; batch 2, 16 tokens, width 64
// Each graph's outputs are the loss, every parameter's gradient (values with gradient_of set,
// named "<parameter>.grad") and every parameter's next value ("<parameter>.next", the SGD step).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "aisys/kernels/graph.hpp"

namespace aisys::lab02::tools {

struct ModelGraph {
  kernels::graph::Graph graph;
  double lr = 0.1;  // the SGD step's learning rate
};

ModelGraph mlp_graph();
ModelGraph cnn_graph();
ModelGraph transformer_block_graph();

// Seeded feeds for a graph: every input and parameter (labels as integer-valued floats in range).
std::map<std::string, kernels::Tensor> random_feeds(const kernels::graph::Graph& g, std::uint64_t seed);

}  // namespace aisys::lab02::tools
