// Lab 02, part 3: backward rules of softmax, log-softmax, cross-entropy, layer norm, max pooling and dropout. See aisys/lab02/rules.hpp and the handout
// (labs/02-autograd/README.md, part 3).
#include "aisys/lab02/rules.hpp"

namespace aisys::lab02::rules {

Grads softmax_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) is the output y, node.attr("axis"): dx = y (G - sum(G y)) along the axis.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "softmax_backward");
}

Grads log_softmax_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) is the output y = x - logsumexp(x); softmax(x) = exp(y).
  (void)node;
  (void)grad;
  throw NotImplemented("02", "log_softmax_backward");
}

Grads cross_entropy_backward(const Node& node, const Tensor& grad) {
  // TODO(student): loss = mean over the N rows of -log softmax(logits)[label]; saved(0) =
  // logits [N, C], saved(1) = the one-hot labels [N, C]; G is a scalar tensor.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "cross_entropy_backward");
}

Grads layer_norm_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved x, gamma, mean, rstd (mean and rstd without the last dimension):
  // three gradients, for x, gamma and beta.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "layer_norm_backward");
}

Grads max_pool2d_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) = argmax (float64 [N, C, P, Q]: flat h W + w of the chosen element
  // in its plane); each output's gradient goes to that input element (added, where windows share one).
  (void)node;
  (void)grad;
  throw NotImplemented("02", "max_pool2d_backward");
}

Grads dropout_backward(const Node& node, const Tensor& grad) {
  // TODO(student): saved(0) is the mask the forward multiplied by.
  (void)node;
  (void)grad;
  throw NotImplemented("02", "dropout_backward");
}

}  // namespace aisys::lab02::rules
