// Lab 02 on a GPU: the same rules, convolution and engine on CUDA tensors, checked against the CPU
// (the oracle: its results are themselves checked against finite differences and the
// double-precision convolution). Your code is written with the platform's tensor ops and views, so
// it runs on whichever device its values live on; these tests show it does (max pooling too: the
// platform's forward runs on the GPU, the backward's scatter on the host, the gradient coming back
// to the GPU). Skipped, with the reason, without a usable GPU.
#include <gtest/gtest.h>

#include "aisys/kernels/device.hpp"
#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/models.hpp"
#include "aisys/lab02/optim.hpp"
#include "gradcheck.hpp"

namespace aisys::lab02 {
namespace {

class GpuAutograd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!aisys::gpu_available()) GTEST_SKIP() << "no GPU: " << aisys::gpu_unavailable_reason();
  }
};

Tensor cpu32(const Shape& shape, std::uint64_t salt, double lo = -1, double hi = 1) {
  return testing::random_input(shape, salt, lo, hi).to(DType::kFloat32);
}

// f on float32 leaves on the CPU and on the GPU (the same values): the output and the node's
// input gradients agree within float32 rounding.
::testing::AssertionResult same_on_gpu(const std::string& what, const testing::Fn& f, const std::vector<Tensor>& inputs) {
  std::vector<Variable> cpu, gpu;
  for (const Tensor& t : inputs) {
    cpu.emplace_back(t, true);
    gpu.emplace_back(t.to(Device::cuda()), true);
  }
  const Variable yc = f(cpu), yg = f(gpu);
  if (yg.value().device().is_cpu()) return ::testing::AssertionFailure() << what << ": the GPU inputs gave a CPU output";
  auto r = testing::compare(what + ": output", yc.shape(), yg.value().to(Device::cpu()).to_vector(), yc.value().to_vector(), 1e-5);
  if (!r) return r;
  const Tensor g = testing::random_output_grad(yc.shape(), 31).to(DType::kFloat32);
  const std::vector<Tensor> gc = yc.grad_fn()->apply(g), gg = yg.grad_fn()->apply(g.to(Device::cuda()));
  for (std::size_t i = 0; i < gc.size(); ++i) {
    if (!gc[i].defined()) continue;
    if (gg[i].device().is_cpu()) return ::testing::AssertionFailure() << what << ": gradient " << i << " came back on the CPU";
    r = testing::compare(what + ": gradient " + std::to_string(i), gc[i].shape(), gg[i].to(Device::cpu()).to_vector(),
                         gc[i].to_vector(), 1e-5);
    if (!r) return r;
  }
  return ::testing::AssertionSuccess();
}

TEST_F(GpuAutograd, ElementwiseRules) {
  EXPECT_TRUE(same_on_gpu("mul broadcast", [](const std::vector<Variable>& v) { return v[0] * v[1]; },
                          {cpu32({4, 8}, 1), cpu32({8}, 2)}));
  EXPECT_TRUE(same_on_gpu("div", [](const std::vector<Variable>& v) { return v[0] / v[1]; },
                          {cpu32({4, 8}, 3), cpu32({4, 8}, 4, 0.5, 2)}));
  EXPECT_TRUE(same_on_gpu("exp", [](const std::vector<Variable>& v) { return exp(v[0]); }, {cpu32({33}, 5)}));
  EXPECT_TRUE(same_on_gpu("tanh", [](const std::vector<Variable>& v) { return tanh(v[0]); }, {cpu32({33}, 6)}));
  EXPECT_TRUE(same_on_gpu("sigmoid", [](const std::vector<Variable>& v) { return sigmoid(v[0]); }, {cpu32({33}, 7)}));
  EXPECT_TRUE(same_on_gpu("gelu", [](const std::vector<Variable>& v) { return gelu(v[0]); }, {cpu32({33}, 8, -3, 3)}));
  EXPECT_TRUE(same_on_gpu("relu", [](const std::vector<Variable>& v) { return relu(v[0]); }, {cpu32({33}, 9)}));
}

TEST_F(GpuAutograd, MatmulReductionsShapes) {
  EXPECT_TRUE(same_on_gpu("matmul batched", [](const std::vector<Variable>& v) { return matmul(v[0], v[1]); },
                          {cpu32({3, 16, 24}, 11), cpu32({24, 8}, 12)}));
  EXPECT_TRUE(same_on_gpu("sum keepdim", [](const std::vector<Variable>& v) { return sum(v[0], {0, 2}, true); },
                          {cpu32({3, 5, 7}, 13)}));
  EXPECT_TRUE(same_on_gpu("mean", [](const std::vector<Variable>& v) { return mean(v[0], {1}); }, {cpu32({3, 5, 7}, 14)}));
  EXPECT_TRUE(same_on_gpu("transpose", [](const std::vector<Variable>& v) { return transpose(v[0], 0, 2); },
                          {cpu32({3, 5, 7}, 15)}));
}

TEST_F(GpuAutograd, NetworkOps) {
  EXPECT_TRUE(same_on_gpu("softmax", [](const std::vector<Variable>& v) { return softmax(v[0], 1); }, {cpu32({8, 10}, 21)}));
  EXPECT_TRUE(same_on_gpu("log_softmax", [](const std::vector<Variable>& v) { return log_softmax(v[0], 1); },
                          {cpu32({8, 10}, 22)}));
  EXPECT_TRUE(same_on_gpu("layer_norm", [](const std::vector<Variable>& v) { return layer_norm(v[0], v[1], v[2]); },
                          {cpu32({6, 32}, 23), cpu32({32}, 24), cpu32({32}, 25)}));
  const std::vector<std::int32_t> labels{1, 0, 3, 3, 2, 9, 7, 5};
  EXPECT_TRUE(same_on_gpu("cross_entropy", [&labels](const std::vector<Variable>& v) { return cross_entropy(v[0], labels); },
                          {cpu32({8, 10}, 26)}));
}

TEST_F(GpuAutograd, Convolution) {
  EXPECT_TRUE(same_on_gpu("conv2d 3x3 pad 1", [](const std::vector<Variable>& v) { return conv2d(v[0], v[1], 1, 1); },
                          {cpu32({2, 3, 9, 9}, 31), cpu32({4, 3, 3, 3}, 32)}));
  EXPECT_TRUE(same_on_gpu("conv2d 5x5 stride 2 pad 2", [](const std::vector<Variable>& v) { return conv2d(v[0], v[1], 2, 2); },
                          {cpu32({1, 2, 11, 8}, 33), cpu32({3, 2, 5, 5}, 34)}));
  // Maps of over a thousand output pixels (an implementation may lay out its columns image by image
  // there): a 3x3, a 1x1 (x its own columns) and a strided 3x3 (backward-data through col2im).
  EXPECT_TRUE(same_on_gpu("conv2d 3x3 pad 1, 32x34 map", [](const std::vector<Variable>& v) { return conv2d(v[0], v[1], 1, 1); },
                          {cpu32({2, 2, 32, 34}, 37), cpu32({3, 2, 3, 3}, 38)}));
  EXPECT_TRUE(same_on_gpu("conv2d 1x1, 32x32 map", [](const std::vector<Variable>& v) { return conv2d(v[0], v[1], 1, 0); },
                          {cpu32({2, 3, 32, 32}, 39), cpu32({4, 3, 1, 1}, 40)}));
  EXPECT_TRUE(same_on_gpu("conv2d 3x3 stride 2 pad 1, 66x66 map", [](const std::vector<Variable>& v) { return conv2d(v[0], v[1], 2, 1); },
                          {cpu32({1, 2, 66, 66}, 42), cpu32({2, 2, 3, 3}, 43)}));
  EXPECT_TRUE(same_on_gpu("max_pool2d 2x2", [](const std::vector<Variable>& v) { return max_pool2d(v[0], 2, 2, 0); },
                          {cpu32({2, 3, 8, 8}, 35)}));
  EXPECT_TRUE(same_on_gpu("max_pool2d 3x3 stride 2 pad 1", [](const std::vector<Variable>& v) { return max_pool2d(v[0], 3, 2, 1); },
                          {cpu32({1, 2, 9, 7}, 36)}));
}

TEST_F(GpuAutograd, MlpTrainingStepMatchesTheCpu) {
  // The engine and the optimizer on GPU tensors: one Adam step of a small MLP, compared with the same
  // step on the CPU.
  Mlp cpu({20, 16, 4}, 5), gpu({20, 16, 4}, 5);
  for (Linear& l : gpu.layers) {
    l.weight = Variable(l.weight.value().to(Device::cuda()), true);
    l.bias = Variable(l.bias.value().to(Device::cuda()), true);
  }
  const Tensor x = cpu32({8, 20}, 41);
  const std::vector<std::int32_t> labels{0, 1, 2, 3, 3, 2, 1, 0};
  Adam oc(cpu.parameters(), 0.01), og(gpu.parameters(), 0.01);
  for (int step = 0; step < 2; ++step) {
    const Variable lc = cross_entropy(cpu.forward(Variable(x)), labels);
    const Variable lg = cross_entropy(gpu.forward(Variable(x.to(Device::cuda()))), labels);
    EXPECT_NEAR(lg.value().to(Device::cpu()).item(), lc.value().item(), 1e-5);
    oc.zero_grad();
    og.zero_grad();
    backward(lc);
    backward(lg);
    oc.step();
    og.step();
  }
  const auto pc = cpu.parameters(), pg = gpu.parameters();
  for (std::size_t i = 0; i < pc.size(); ++i) {
    EXPECT_TRUE(testing::compare("parameter " + std::to_string(i) + " after two Adam steps", pc[i].shape(),
                                 pg[i].value().to(Device::cpu()).to_vector(), pc[i].value().to_vector(), 1e-5));
  }
}

}  // namespace
}  // namespace aisys::lab02
