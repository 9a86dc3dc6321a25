// Lab 02, part 5: the backward engine. See aisys/lab02/autograd.hpp (topological_order,
// run_backward) and the handout (labs/02-autograd/README.md, part 5).
#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02 {

std::vector<Node*> topological_order(Node* root) {
  // TODO(student): every node reachable through input_node(), root first, each before the nodes
  // it reads from. No recursion (an explicit stack): a 10,000-node chain must not overflow.
  (void)root;
  throw NotImplemented("02", "topological_order");
}

void run_backward(Node& root, const Tensor& grad_root, const BackwardOptions& options) {
  // TODO(student): walk topological_order(&root) with one summed gradient per node; Node::apply;
  // send each input's gradient to its node or add it into its leaf's grad(); free saved tensors
  // (release_saved) unless options.retain_graph; pass options.check_finite to apply.
  (void)root;
  (void)grad_root;
  (void)options;
  throw NotImplemented("02", "run_backward");
}

}  // namespace aisys::lab02
