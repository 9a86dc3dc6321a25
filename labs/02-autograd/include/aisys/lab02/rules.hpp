// aisys/lab02/rules.hpp: the backward rules, parts 1-3 of Lab 02 (one student file each). A rule
// receives its node (what the forward saved, the input shapes, the attributes: autograd.hpp) and
// the gradient of the node's output, G = dL/d(out), and returns dL/d(input i) for every input,
// in order: a Tensor of exactly input_shape(i) (an undefined Tensor where !needs_input_grad(i)).
// Node::apply() checks every returned shape and names the op when one is wrong.
//
// Write rules with the platform's forward kernels (kernels::ops, kernels::Tensor views), never
// element loops, so that they run on whatever device the values live on. Where an input was
// broadcast in the forward, its gradient is the sum over the broadcast dimensions:
// ops::sum_to(g, node.input_shape(i)).
#pragma once

#include <vector>

#include "aisys/lab02/autograd.hpp"

namespace aisys::lab02::rules {

using Grads = std::vector<Tensor>;

// ---- Part 1 (skeleton/1_elementwise.cpp) --------------------------------------------------------
Grads add_backward(const Node& node, const Tensor& grad);         // a + b
Grads sub_backward(const Node& node, const Tensor& grad);         // a - b
Grads mul_backward(const Node& node, const Tensor& grad);         // a * b      saved a, b
Grads div_backward(const Node& node, const Tensor& grad);         // a / b      saved a, b
Grads neg_backward(const Node& node, const Tensor& grad);         // -a
Grads add_scalar_backward(const Node& node, const Tensor& grad);  // a + s
Grads mul_scalar_backward(const Node& node, const Tensor& grad);  // a * s      attr value
Grads pow_scalar_backward(const Node& node, const Tensor& grad);  // a ^ p      saved a; attr exponent
Grads exp_backward(const Node& node, const Tensor& grad);         // e^a        saved out
Grads log_backward(const Node& node, const Tensor& grad);         // ln a       saved a
Grads relu_backward(const Node& node, const Tensor& grad);        // max(a, 0)  saved out
Grads tanh_backward(const Node& node, const Tensor& grad);        //            saved out
Grads sigmoid_backward(const Node& node, const Tensor& grad);     //            saved out
Grads gelu_backward(const Node& node, const Tensor& grad);        // a Phi(a)   saved a

// ---- Part 2 (skeleton/2_shapes_reductions.cpp) -------------------------------------------------
Grads matmul_backward(const Node& node, const Tensor& grad);        // saved a, b (batched, broadcast)
Grads sum_backward(const Node& node, const Tensor& grad);           // attrs axes, keepdim
Grads mean_backward(const Node& node, const Tensor& grad);          // attrs axes, keepdim
Grads broadcast_to_backward(const Node& node, const Tensor& grad);
Grads reshape_backward(const Node& node, const Tensor& grad);
Grads transpose_backward(const Node& node, const Tensor& grad);     // attrs dim0, dim1

// ---- Part 3 (skeleton/3_nn_ops.cpp) ------------------------------------------------------------
Grads softmax_backward(const Node& node, const Tensor& grad);        // saved out; attr axis
Grads log_softmax_backward(const Node& node, const Tensor& grad);    // saved out; attr axis
Grads cross_entropy_backward(const Node& node, const Tensor& grad);  // saved logits, one-hot
Grads layer_norm_backward(const Node& node, const Tensor& grad);     // saved x, gamma, mean, rstd
Grads max_pool2d_backward(const Node& node, const Tensor& grad);     // saved argmax; attrs kernel, stride, padding
Grads dropout_backward(const Node& node, const Tensor& grad);        // saved mask

// ---- Part 4 (skeleton/4_conv2d.cpp; the forward and its helpers are in conv.hpp) ---------------
Grads conv2d_backward(const Node& node, const Tensor& grad);  // saved x, w; attrs stride, padding

}  // namespace aisys::lab02::rules
