// Tensors on a GPU against the same ops on the CPU (the CPU ops are themselves tested against
// double precision in test_tensor.cpp): copies across devices and dtypes, strided and broadcast
// elementwise ops, reductions, batched matmul through cuBLAS, the composite ops (softmax,
// layer norm) built on them, argmax, cross-entropy and max-pool; views made on the device
// (transposed, permuted, sliced with a step, offset) as operands, float64, sizes past one grid's
// worth of threads and reductions with more outputs than blocks. Random inputs from a logged seed
// (AISYS_SEED reproduces one); skipped without a GPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "aisys/kernels/tensor.hpp"
#include "aisys/kernels/tensor_ops.hpp"
#include "gpu_test.hpp"

namespace aisys::kernels {
namespace {

class TensorCuda : public aisys::testing::GpuTest {
 protected:
  static std::uint64_t seed() {
    static const std::uint64_t s = [] {
      const char* env = std::getenv("AISYS_SEED");
      const std::uint64_t v = env && *env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
      std::cout << "[ seed ] " << v << " (AISYS_SEED=" << v << " reproduces it)\n";
      return v;
    }();
    return s;
  }
};

void expect_same(const Tensor& gpu, const Tensor& cpu, double tol, const std::string& what) {
  ASSERT_FALSE(gpu.device().is_cpu()) << what << ": the result left the GPU";
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  const auto g = gpu.to_vector(), c = cpu.to_vector();
  for (std::size_t i = 0; i < c.size(); ++i) {
    ASSERT_NEAR(g[i], c[i], tol * (1 + std::fabs(c[i]))) << what << ": element " << i << " of " << to_string(cpu.shape());
  }
}

TEST_F(TensorCuda, CopiesAcrossDevicesAndDtypes) {
  const Tensor h = Tensor::uniform({5, 7}, -1, 1, seed());
  const Tensor d = h.to(Device::cuda());
  EXPECT_EQ(d.to_vector(), h.to_vector());
  EXPECT_EQ(d.t().contiguous().to_vector(), h.t().contiguous().to_vector());  // strided copy on the GPU
  EXPECT_EQ(d.to(DType::kFloat64).to_vector(), h.to(DType::kFloat64).to_vector());
  EXPECT_EQ(d.slice(1, 1, 7, 3).to(Device::cpu()).to_vector(), h.slice(1, 1, 7, 3).to_vector());
  Tensor dst = Tensor::zeros({3, 5, 7}, DType::kFloat32, Device::cuda());
  dst.copy_from(h);  // host to device, broadcast
  EXPECT_EQ(dst.select(0, 2).to_vector(), h.to_vector());
  Tensor f = Tensor::zeros({4}, DType::kFloat64, Device::cuda());
  f.fill(2.5);
  EXPECT_EQ(f.to_vector(), (std::vector<double>{2.5, 2.5, 2.5, 2.5}));
  // Overlapping views of one device storage: the kernel's threads would read what others wrote.
  const Tensor big = Tensor::uniform({4096, 33}, -1, 1, seed() + 8);
  const Tensor x = big.to(Device::cuda());
  x.slice(0, 1, 4096).copy_from(x.slice(0, 0, 4095));
  Tensor shifted = big.clone();
  shifted.slice(0, 1, 4096).copy_from(big.slice(0, 0, 4095));  // the CPU's result
  EXPECT_EQ(x.to_vector(), shifted.to_vector());
}

// add_from on the device: into a strided view, from a broadcast source, from a view overlapping
// the target (the kernel's threads must not read what others wrote), float32 and float64; a
// source on another device is refused.
TEST_F(TensorCuda, AddFromMatchesCpu) {
  for (const DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const Tensor h = Tensor::uniform({64, 129}, -1, 1, seed() + 30, dtype);
    const Tensor row = Tensor::uniform({64}, -1, 1, seed() + 31, dtype);
    const Tensor d = h.to(Device::cuda());
    Tensor(d.slice(1, 1, 129, 2)).add_from(row.to(Device::cuda()));
    Tensor(h.slice(1, 1, 129, 2)).add_from(row);
    expect_same(d, h, 1e-12, "add_from into a column-strided view, a broadcast row");
    Tensor(d.slice(0, 1, 64)).add_from(d.slice(0, 0, 63));
    Tensor(h.slice(0, 1, 64)).add_from(h.slice(0, 0, 63));
    expect_same(d, h, 1e-12, "x[1:] += x[:-1]");
    Tensor(d.t()).add_from(d.t().contiguous());  // d += d through its transpose
    Tensor(h.t()).add_from(h.t().contiguous());
    expect_same(d, h, 1e-12, "a transposed target");
  }
  Tensor d = Tensor::zeros({3}, DType::kFloat32, Device::cuda());
  EXPECT_THROW(d.add_from(Tensor::zeros({3})), InvalidArgument);
}

TEST_F(TensorCuda, ElementwiseMatchesCpu) {
  std::uint64_t s = seed() + 1;
  const Tensor a = Tensor::uniform({6, 5}, 0.5, 2, s++), b = Tensor::uniform({5}, 0.5, 2, s++);
  const Tensor at = Tensor::uniform({5, 6}, -2, 2, s++).t();
  const Tensor da = a.to(Device::cuda()), db = b.to(Device::cuda()), dat = at.to(Device::cuda()).t().t();
  using Bin = Tensor (*)(const Tensor&, const Tensor&);
  const std::pair<const char*, Bin> bins[] = {{"add", ops::add}, {"sub", ops::sub}, {"mul", ops::mul}, {"div", ops::div},
                                               {"maximum", ops::maximum}, {"greater", ops::greater}};
  for (const auto& [name, f] : bins) expect_same(f(da, db), f(a, b), 1e-6, name);
  using Un = Tensor (*)(const Tensor&);
  const std::pair<const char*, Un> uns[] = {{"neg", ops::neg}, {"exp", ops::exp}, {"tanh", ops::tanh}, {"sigmoid", ops::sigmoid},
                                             {"relu", ops::relu}, {"gelu", ops::gelu}, {"abs", ops::abs}};
  for (const auto& [name, f] : uns) expect_same(f(dat), f(at), 1e-6, name);
  expect_same(ops::log(da), ops::log(a), 1e-6, "log");
  expect_same(ops::sqrt(da), ops::sqrt(a), 1e-6, "sqrt");
  expect_same(ops::pow_scalar(da, 1.5), ops::pow_scalar(a, 1.5), 1e-6, "pow_scalar");
  expect_same(ops::add_scalar(ops::mul_scalar(da, 3), -1), ops::add_scalar(ops::mul_scalar(a, 3), -1), 1e-6, "scalars");
  expect_same(ops::where(ops::greater(da, db), da, db), ops::where(ops::greater(a, b), a, b), 0, "where");
  EXPECT_THROW(ops::add(da, b), InvalidArgument);  // different devices
  // A CPU scalar next to a GPU tensor: the error says how to make the scalar on the device.
  try {
    (void)ops::mul(da, Tensor::scalar(0.5));
    ADD_FAILURE() << "a CPU scalar times a GPU tensor did not throw";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("Tensor::scalar(v, dtype, x.device())"), std::string::npos) << e.what();
  }
  const Tensor half = Tensor::scalar(0.5, DType::kFloat32, da.device());
  EXPECT_FALSE(half.device().is_cpu());
  expect_same(ops::mul(da, half), ops::mul_scalar(a, 0.5), 1e-6, "times a scalar made on the GPU");
}

TEST_F(TensorCuda, ReductionsAndMatmulMatchCpu) {
  std::uint64_t s = seed() + 2;
  const Tensor x = Tensor::uniform({4, 3, 50}, -1, 1, s++).permute({2, 0, 1});  // [50, 4, 3], strided
  const Tensor dx = x.to(Device::cuda());
  expect_same(ops::sum(dx), ops::sum(x), 1e-5, "sum all");
  expect_same(ops::sum(dx, {0}), ops::sum(x, {0}), 1e-5, "sum axis 0");
  expect_same(ops::mean(dx, {1, 2}, true), ops::mean(x, {1, 2}, true), 1e-5, "mean keepdim");
  expect_same(ops::max(dx, {-1}), ops::max(x, {-1}), 0, "max");
  expect_same(ops::sum_to(dx, {4, 1}), ops::sum_to(x, {4, 1}), 1e-5, "sum_to");
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    const Tensor a = Tensor::uniform({3, 1, 17, 33}, -1, 1, s++, dt), b = Tensor::uniform({2, 33, 9}, -1, 1, s++, dt);
    expect_same(ops::matmul(a.to(Device::cuda()), b.to(Device::cuda())), ops::matmul(a, b), dt == DType::kFloat32 ? 1e-4 : 1e-12,
                std::string("matmul ") + name_of(dt));
  }
  const Tensor w = Tensor::uniform({40, 30}, -1, 1, s++);
  expect_same(ops::matmul(w.to(Device::cuda()).t(), w.to(Device::cuda())), ops::matmul(w.t(), w), 1e-4, "matmul transposed view");
}

// matmul hands cuBLAS its operands as they lie where it can (transposed matrices as CUBLAS_OP_T,
// a row slice through its leading dimension, a broadcast or permuted batch through its batch
// stride) and copies them where it cannot: every such view, made on the device, against the CPU.
TEST_F(TensorCuda, MatmulOnDeviceViewsMatchesCpu) {
  std::uint64_t s = seed() + 3;
  for (const DType dt : {DType::kFloat32, DType::kFloat64}) {
    const double tol = dt == DType::kFloat32 ? 1e-4 : 1e-12;
    const std::string tag = std::string(" ") + name_of(dt);
    const Tensor a2 = Tensor::uniform({17, 33}, -1, 1, s++, dt), b3 = Tensor::uniform({4, 33, 9}, -1, 1, s++, dt);
    const Tensor a3 = Tensor::uniform({4, 17, 33}, -1, 1, s++, dt), b2 = Tensor::uniform({33, 9}, -1, 1, s++, dt);
    const Tensor at = Tensor::uniform({4, 33, 17}, -1, 1, s++, dt), bt = Tensor::uniform({4, 9, 33}, -1, 1, s++, dt);
    const Tensor wide = Tensor::uniform({4, 17, 50}, -1, 1, s++, dt), batch_inner = Tensor::uniform({17, 4, 33}, -1, 1, s++, dt);
    const Tensor a4 = Tensor::uniform({2, 1, 17, 33}, -1, 1, s++, dt), b4 = Tensor::uniform({1, 3, 33, 9}, -1, 1, s++, dt);
    const auto gpu = [](const Tensor& t) { return t.to(Device::cuda()); };
    expect_same(ops::matmul(gpu(a2), gpu(b3)), ops::matmul(a2, b3), tol, "one A for every batch (stride 0)" + tag);
    expect_same(ops::matmul(gpu(a3), gpu(b2)), ops::matmul(a3, b2), tol, "one B for every batch (stride 0)" + tag);
    expect_same(ops::matmul(gpu(at).transpose(1, 2), gpu(b3)), ops::matmul(at.transpose(1, 2), b3), tol, "A transposed" + tag);
    expect_same(ops::matmul(gpu(a3), gpu(bt).transpose(1, 2)), ops::matmul(a3, bt.transpose(1, 2)), tol, "B transposed" + tag);
    expect_same(ops::matmul(gpu(at).transpose(1, 2), gpu(bt).transpose(1, 2)), ops::matmul(at.transpose(1, 2), bt.transpose(1, 2)),
                tol, "both transposed" + tag);
    expect_same(ops::matmul(gpu(wide).slice(2, 5, 38), gpu(b3)), ops::matmul(wide.slice(2, 5, 38), b3), tol,
                "A a column slice (leading dimension 50, offset 5)" + tag);
    expect_same(ops::matmul(gpu(batch_inner).permute({1, 0, 2}), gpu(b3)), ops::matmul(batch_inner.permute({1, 0, 2}), b3), tol,
                "A's batch inside its rows (batch stride 33, leading dimension 132)" + tag);
    expect_same(ops::matmul(gpu(a4), gpu(b4)), ops::matmul(a4, b4), tol, "batches broadcast against each other (copied)" + tag);
    expect_same(ops::matmul(gpu(at).transpose(1, 2).slice(2, 1, 30), gpu(b3).slice(1, 1, 30)),
                ops::matmul(at.transpose(1, 2).slice(2, 1, 30), b3.slice(1, 1, 30)), tol, "sliced transposed A, sliced B" + tag);
  }
}

// Views made on the device, so the kernels see non-unit strides and a non-zero offset (a view made
// on the CPU and then copied arrives contiguous).
TEST_F(TensorCuda, DeviceViewsAsOperandsMatchCpu) {
  std::uint64_t s = seed() + 4;
  for (const DType dt : {DType::kFloat32, DType::kFloat64}) {
    const double tol = dt == DType::kFloat32 ? 1e-6 : 1e-13;
    const std::string tag = std::string(" ") + name_of(dt);
    const Tensor a = Tensor::uniform({6, 10}, 0.5, 2, s++, dt), b = Tensor::uniform({10, 6}, 0.5, 2, s++, dt);
    const Tensor da = a.to(Device::cuda()), db = b.to(Device::cuda());
    // [6, 10] against the transpose of [10, 6]: strides (1, 6) on one side.
    expect_same(ops::add(da, db.t()), ops::add(a, b.t()), tol, "add transposed" + tag);
    expect_same(ops::div(db.t(), da), ops::div(b.t(), a), tol, "div transposed" + tag);
    // A slice with a step and an offset: columns 1, 4, 7 of rows 2..5.
    const Tensor sa = a.slice(0, 2, 6, 1).slice(1, 1, 10, 3);
    const Tensor dsa = da.slice(0, 2, 6, 1).slice(1, 1, 10, 3);
    expect_same(ops::exp(dsa), ops::exp(sa), tol, "exp of a stepped slice" + tag);
    expect_same(ops::mul(dsa, dsa), ops::mul(sa, sa), tol, "mul of a stepped slice by itself" + tag);
    expect_same(ops::sum(dsa, {0}), ops::sum(sa, {0}), tol * 10, "sum of a stepped slice" + tag);
    expect_same(ops::where(ops::greater(dsa, ops::exp(dsa)), dsa, ops::neg(dsa)),
                ops::where(ops::greater(sa, ops::exp(sa)), sa, ops::neg(sa)), 0, "where on a stepped slice" + tag);
    // A permutation made on the device, reduced over each axis.
    const Tensor x = Tensor::uniform({4, 3, 5}, -1, 1, s++, dt);
    const Tensor px = x.permute({2, 0, 1}), dpx = x.to(Device::cuda()).permute({2, 0, 1});
    for (int axis = 0; axis < 3; ++axis) {
      expect_same(ops::sum(dpx, {axis}), ops::sum(px, {axis}), tol * 10, "sum of a permuted view, axis " + std::to_string(axis) + tag);
      expect_same(ops::max(dpx, {axis}), ops::max(px, {axis}), 0, "max of a permuted view, axis " + std::to_string(axis) + tag);
    }
    expect_same(ops::sigmoid(dpx), ops::sigmoid(px), tol, "sigmoid of a permuted view" + tag);
  }
}

// Past one grid of threads (4096 blocks x 256: each thread takes several elements) and a reduction
// with more outputs (70,000) than the 65,535 blocks it is given.
TEST_F(TensorCuda, LargeTensorsMatchCpu) {
  std::uint64_t s = seed() + 5;
  const Tensor a = Tensor::uniform({1200, 1001}, -1, 1, s++), b = Tensor::uniform({1001}, -1, 1, s++);
  expect_same(ops::mul(a.to(Device::cuda()), b.to(Device::cuda())), ops::mul(a, b), 1e-6, "mul of 1.2M elements");
  const Tensor r = Tensor::uniform({70000, 3}, -1, 1, s++);
  expect_same(ops::sum(r.to(Device::cuda()), {1}), ops::sum(r, {1}), 1e-6, "sum giving 70,000 outputs");
  expect_same(ops::max(r.to(Device::cuda()).t(), {0}), ops::max(r.t(), {0}), 0, "max giving 70,000 outputs of a transposed view");
}

TEST_F(TensorCuda, MoreThanEightDimensionsAreRefused) {
  const Tensor x = Tensor::uniform({1, 2, 1, 2, 1, 2, 1, 2, 2}, -1, 1, seed() + 6).to(Device::cuda());
  EXPECT_THROW(ops::sum(x, {0}), InvalidArgument);
  EXPECT_THROW(ops::exp(x), InvalidArgument);
}

TEST_F(TensorCuda, CompositeOpsMatchCpu) {
  std::uint64_t s = seed() + 3;
  const Tensor x = Tensor::uniform({8, 10}, -4, 4, s++);
  const Tensor dx = x.to(Device::cuda());
  expect_same(ops::softmax(dx, 1), ops::softmax(x, 1), 1e-6, "softmax");
  expect_same(ops::log_softmax(dx, -1), ops::log_softmax(x, -1), 1e-5, "log_softmax");
  const Tensor g = Tensor::uniform({10}, 0.5, 1.5, s++), b = Tensor::uniform({10}, -1, 1, s++);
  const auto on_gpu = ops::layer_norm(dx, g.to(Device::cuda()), b.to(Device::cuda()));
  const auto on_cpu = ops::layer_norm(x, g, b);
  expect_same(on_gpu.y, on_cpu.y, 1e-5, "layer_norm y");
  expect_same(on_gpu.rstd, on_cpu.rstd, 1e-5, "layer_norm rstd");
}

TEST_F(TensorCuda, ArgmaxCrossEntropyAndMaxPoolMatchCpu) {
  std::uint64_t s = seed() + 7;
  // argmax along the last axis and along a middle one (a permuted copy on the device).
  const Tensor a = Tensor::uniform({4, 5, 6}, -1, 1, s++);
  expect_same(ops::argmax(a.to(Device::cuda()), 2), ops::argmax(a, 2), 0, "argmax axis 2");
  expect_same(ops::argmax(a.to(Device::cuda()), 1), ops::argmax(a, 1), 0, "argmax axis 1");
  // cross-entropy: the same mean loss; a bad label is refused naming its row, as on the CPU.
  const Tensor logits = Tensor::uniform({9, 10}, -3, 3, s++);
  std::vector<std::int32_t> labels;
  for (int i = 0; i < 9; ++i) labels.push_back((i * 7 + 3) % 10);
  expect_same(ops::cross_entropy(logits.to(Device::cuda()), labels), ops::cross_entropy(logits, labels), 1e-5,
              "cross_entropy");
  labels[4] = 10;
  try {
    ops::cross_entropy(logits.to(Device::cuda()), labels);
    ADD_FAILURE() << "label 10 of 10 classes accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("at row 4"), std::string::npos) << e.what();
  }
  // max-pool with overlapping, padded windows (kernel 3, stride 2, padding 1) and plain 2x2:
  // the same outputs and the same argmax, both dtypes.
  for (const DType dtype : {DType::kFloat32, DType::kFloat64}) {
    const Tensor x = Tensor::uniform({2, 3, 9, 8}, -1, 1, s++, dtype);
    for (const auto& [k, st, pad] : {std::tuple{3, 2, 1}, std::tuple{2, 2, 0}}) {
      const auto gpu = ops::max_pool2d(x.to(Device::cuda()), k, st, pad);
      const auto cpu = ops::max_pool2d(x, k, st, pad);
      expect_same(gpu.y, cpu.y, 0, "max_pool2d y");
      EXPECT_EQ(gpu.argmax, cpu.argmax) << "max_pool2d argmax, kernel " << k << " stride " << st << " padding " << pad;
    }
  }
}

}  // namespace
}  // namespace aisys::kernels
