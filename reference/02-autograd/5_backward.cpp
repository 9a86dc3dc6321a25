// Lab 02, part 5 (reference): the backward engine. topological_order() is an iterative depth-first
// search (an explicit stack of (node, next input) frames) whose post-order, reversed, puts every
// node after all of its consumers; run_backward() walks that order with one gradient buffer per
// node, summing what consumers send, and frees what it no longer needs as it goes.
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02 {

std::vector<Node*> topological_order(Node* root) {
  std::vector<Node*> post_order;
  if (root == nullptr) return post_order;
  std::unordered_set<Node*> visited{root};
  std::vector<std::pair<Node*, std::size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->num_inputs()) {
      Node* input = node->input_node(next++);
      if (input != nullptr && visited.insert(input).second) stack.emplace_back(input, 0);
    } else {
      post_order.push_back(node);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

void run_backward(Node& root, const Tensor& grad_root, const BackwardOptions& options) {
  const std::vector<Node*> order = topological_order(&root);
  std::unordered_map<Node*, Tensor> pending;  // the summed gradient of each node's output so far
  pending.reserve(order.size());
  pending.emplace(&root, grad_root);
  for (Node* node : order) {
    auto it = pending.find(node);
    if (it == pending.end()) continue;  // unreachable: every node here has a consumer that ran
    const Tensor grad = std::move(it->second);
    pending.erase(it);
    std::vector<Tensor> input_grads = node->apply(grad, options.check_finite);
    if (!options.retain_graph) node->release_saved();
    for (std::size_t i = 0; i < input_grads.size(); ++i) {
      Tensor& g = input_grads[i];
      if (!g.defined()) continue;
      if (Node* producer = node->input_node(i)) {
        auto [slot, fresh] = pending.try_emplace(producer, g);
        if (!fresh) slot->second = ops::add(slot->second, g);
      } else if (Variable leaf = node->input_leaf(i); leaf.defined()) {
        leaf.set_grad(leaf.grad().defined() ? ops::add(leaf.grad(), g) : g.contiguous());
      }
    }
  }
}

}  // namespace aisys::lab02
