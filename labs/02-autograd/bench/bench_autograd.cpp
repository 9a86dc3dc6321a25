// Lab 02 benchmarks. Three families:
//   conv/<pass>/<layer>     the student's im2col convolution (conv.hpp: forward, backward-data,
//                           backward-weights) against oneDNN's float32 convolution on the same NCHW
//                           tensors (harness/conv_baselines.hpp, the faster of its plain and blocked
//                           layouts per pass), one thread each, at ResNet-50-like layers (N = 4);
//                           both outputs checked on sampled elements against a double-precision sum
//                           before and after timing. GFLOP/s = 2 N K P Q C R S / time.
//   overhead/mlp-b256       the framework's overhead in one SGD training step of a 784-256-256-10
//                           MLP on a batch of 256. The profiler splits the step into time inside
//                           kernels (forward ops, backward rules, the optimizer's update) and
//                           outside them (graph building, the engine's bookkeeping): details hold
//                           kernel_fraction = T_kernels / T_step (1 - the overhead). The metric,
//                           framework_efficiency = T_hand / (T_hand + T_outside) with T_hand the
//                           hand-written step's time (interleaved), depends on the overhead alone:
//                           slow kernels cannot raise it. Higher is better; "all-kernels" is 1;
//   step/mlp-b256           the same step's time against the step written by hand with the
//                           platform's kernels (kernels::Mlp: OpenBLAS GEMMs, no graph): ratio =
//                           hand-written time / autograd time. lr ~ 0, so both sides compute the same
//                           gradients on every call and the candidate's are checked against the
//                           hand-written ones.
//   conv-gpu/<pass>/<layer> on a GPU (CUDA builds with cuDNN): the same code on CUDA tensors at
//                           N = 32 against cuDNN with CUDNN_FMA_MATH (no TF32), CUDA-event times;
//   train/cnn-fashion-mnist the small CNN trained with Adam on Fashion-MNIST (metric: test accuracy,
//                           higher is better) against the MLP trained for the same steps; details()
//                           hold both training curves (loss per step, test accuracy every 100 steps).
//   aisys bench 02 [--impl reference] [--filter conv/forward]
#include <omp.h>

#include <array>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "aisys/harness/baselines.hpp"
#include "aisys/harness/bench.hpp"
#include "aisys/harness/conv_baselines.hpp"
#include "aisys/kernels/datasets.hpp"
#include "aisys/kernels/mlp.hpp"
#include "aisys/lab02/conv.hpp"
#include "aisys/lab02/models.hpp"
#include "aisys/lab02/optim.hpp"

#if AISYS_HAVE_CUDNN
#include "aisys/harness/cuda_timer.hpp"
#include "aisys/harness/cudnn_conv_baselines.hpp"
#include "aisys/harness/gpu_ceilings.hpp"
#include "aisys/harness/gpu_gemm_bench.hpp"
#include "aisys/kernels/device.hpp"
#endif

namespace {

using aisys::baselines::Conv2dShape;
using aisys::kernels::Tensor;
namespace lab02 = aisys::lab02;

std::uint64_t hidden_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();  // never shown to the candidate
}

// ---- convolution ---------------------------------------------------------------------------------

enum class Pass { kForward, kBackwardData, kBackwardWeights };
const char* pass_name(Pass p) {
  return p == Pass::kForward ? "forward" : p == Pass::kBackwardData ? "backward-data" : "backward-weights";
}

struct Layer {
  const char* name;
  Conv2dShape shape;
};

const Layer kLayers[] = {
    {"resnet-7x7s2-c3-224", {.N = 4, .C = 3, .H = 224, .W = 224, .K = 64, .R = 7, .S = 7, .stride = 2, .padding = 3}},
    {"resnet-3x3-c64-56", {.N = 4, .C = 64, .H = 56, .W = 56, .K = 64, .R = 3, .S = 3, .stride = 1, .padding = 1}},
    {"resnet-1x1-c256-56", {.N = 4, .C = 256, .H = 56, .W = 56, .K = 64, .R = 1, .S = 1, .stride = 1, .padding = 0}},
    {"resnet-3x3-c128-28", {.N = 4, .C = 128, .H = 28, .W = 28, .K = 128, .R = 3, .S = 3, .stride = 1, .padding = 1}},
    {"resnet-3x3-c256-14", {.N = 4, .C = 256, .H = 14, .W = 14, .K = 256, .R = 3, .S = 3, .stride = 1, .padding = 1}},
    {"resnet-3x3-c512-7", {.N = 4, .C = 512, .H = 7, .W = 7, .K = 512, .R = 3, .S = 3, .stride = 1, .padding = 1}},
};

// Sampled check of one pass's output against a double-precision sum of its definition
// (conv_baselines.hpp): 48 random elements, tolerance 1e-4 of the largest term magnitude sum.
std::string check_conv(Pass pass, const Conv2dShape& s, const Tensor& x, const Tensor& w, const Tensor& dy,
                       const Tensor& out, std::uint64_t seed) {
  if (!out.defined() || out.shape() != (pass == Pass::kForward        ? s.output_shape()
                                        : pass == Pass::kBackwardData ? s.input_shape()
                                                                      : s.weight_shape())) {
    return "returned the wrong shape";
  }
  const Tensor o = out.contiguous();
  const float* po = o.data<float>();
  const float* px = x.data<float>();
  const float* pw = w.data<float>();
  const float* pdy = dy.data<float>();
  const std::int64_t P = s.P(), Q = s.Q();
  auto X = [&](std::int64_t n, std::int64_t c, std::int64_t i, std::int64_t j) -> double {
    return (i < 0 || i >= s.H || j < 0 || j >= s.W) ? 0.0 : px[((n * s.C + c) * s.H + i) * s.W + j];
  };
  std::mt19937_64 rng(seed);
  for (int sample = 0; sample < 48; ++sample) {
    double sum = 0, mag = 0;
    std::int64_t flat = 0;
    if (pass == Pass::kForward) {
      const std::int64_t n = rng() % s.N, k = rng() % s.K, p = rng() % P, q = rng() % Q;
      for (std::int64_t c = 0; c < s.C; ++c)
        for (std::int64_t r = 0; r < s.R; ++r)
          for (std::int64_t t = 0; t < s.S; ++t) {
            const double term = X(n, c, p * s.stride + r - s.padding, q * s.stride + t - s.padding) *
                                pw[((k * s.C + c) * s.R + r) * s.S + t];
            sum += term;
            mag += std::abs(term);
          }
      flat = ((n * s.K + k) * P + p) * Q + q;
    } else if (pass == Pass::kBackwardData) {
      const std::int64_t n = rng() % s.N, c = rng() % s.C, i = rng() % s.H, j = rng() % s.W;
      for (std::int64_t k = 0; k < s.K; ++k)
        for (std::int64_t r = 0; r < s.R; ++r)
          for (std::int64_t t = 0; t < s.S; ++t) {
            const std::int64_t ps = i + s.padding - r, qs = j + s.padding - t;
            if (ps < 0 || qs < 0 || ps % s.stride || qs % s.stride || ps / s.stride >= P || qs / s.stride >= Q) continue;
            const double term = static_cast<double>(pdy[((n * s.K + k) * P + ps / s.stride) * Q + qs / s.stride]) *
                                pw[((k * s.C + c) * s.R + r) * s.S + t];
            sum += term;
            mag += std::abs(term);
          }
      flat = ((n * s.C + c) * s.H + i) * s.W + j;
    } else {
      const std::int64_t k = rng() % s.K, c = rng() % s.C, r = rng() % s.R, t = rng() % s.S;
      for (std::int64_t n = 0; n < s.N; ++n)
        for (std::int64_t p = 0; p < P; ++p)
          for (std::int64_t q = 0; q < Q; ++q) {
            const double term = static_cast<double>(pdy[((n * s.K + k) * P + p) * Q + q]) *
                                X(n, c, p * s.stride + r - s.padding, q * s.stride + t - s.padding);
            sum += term;
            mag += std::abs(term);
          }
      flat = ((k * s.C + c) * s.R + r) * s.S + t;
    }
    const double got = po[flat];
    if (!(std::abs(got - sum) <= 1e-4 * std::max(mag, 1e-30) + 1e-6)) {
      return "element " + std::to_string(flat) + ": expected " + std::to_string(sum) + ", got " + std::to_string(got);
    }
  }
  return "";
}

// One pass of the student's convolution on x, w, dy (on whichever device they live).
Tensor student_pass(Pass pass, const Tensor& x, const Tensor& w, const Tensor& dy, const lab02::ConvGeometry& g) {
  switch (pass) {
    case Pass::kForward: return lab02::conv2d_forward(x, w, g.stride, g.padding);
    case Pass::kBackwardData: return lab02::conv2d_backward_data(dy, w, g);
    case Pass::kBackwardWeights: return lab02::conv2d_backward_weights(x, dy, g);
  }
  return Tensor();
}

// A few sets of a pass's inputs, taken in turn by successive calls of each side: a convolution that
// kept its last output and returned it for the same tensors would otherwise be timed at zero work
// and pass the checks, which read the set the side's last call used.
struct ConvInputs {
  static constexpr int kSets = 3;
  struct Set {
    Tensor x, w, dy;
  };
  std::array<Set, kSets> sets;
  int candidate = 0, baseline = 0;  // the set each side's last call used

  ConvInputs(const Conv2dShape& shape, std::uint64_t seed) {
    for (int i = 0; i < kSets; ++i) {
      const std::uint64_t s = seed + 3 * static_cast<std::uint64_t>(i);
      sets[static_cast<std::size_t>(i)] = {Tensor::uniform(shape.input_shape(), -1, 1, s),
                                           Tensor::uniform(shape.weight_shape(), -1, 1, s + 1),
                                           Tensor::uniform(shape.output_shape(), -1, 1, s + 2)};
    }
  }
  const Set& next_candidate() { return sets[static_cast<std::size_t>(candidate = (candidate + 1) % kSets)]; }
  const Set& next_baseline() { return sets[static_cast<std::size_t>(baseline = (baseline + 1) % kSets)]; }
  const Set& last_candidate() const { return sets[static_cast<std::size_t>(candidate)]; }
  const Set& last_baseline() const { return sets[static_cast<std::size_t>(baseline)]; }
};

class ConvFixture : public aisys::bench::Fixture {
 public:
  ConvFixture(Pass pass, const Conv2dShape& shape)
      : pass_(pass), shape_(shape), seed_(hidden_seed()), inputs_(shape, seed_) {
    aisys::baselines::openblas_set_threads(1);
    omp_set_num_threads(1);
    geometry_ = lab02::ConvGeometry::from_shapes(shape.input_shape(), shape.weight_shape(), shape.stride, shape.padding);
    baseline_out_ = Tensor::empty(pass == Pass::kForward        ? shape.output_shape()
                                  : pass == Pass::kBackwardData ? shape.input_shape()
                                                                : shape.weight_shape());
    onednn_ = std::make_unique<aisys::baselines::OnednnConv2d>(shape);
  }
  void run_candidate() override {
    const auto& in = inputs_.next_candidate();
    candidate_out_ = student_pass(pass_, in.x, in.w, in.dy, geometry_);
  }
  void run_baseline() override {
    const auto& in = inputs_.next_baseline();
    switch (pass_) {
      case Pass::kForward: onednn_->forward(in.x, in.w, baseline_out_); break;
      case Pass::kBackwardData: onednn_->backward_data(in.dy, in.w, baseline_out_); break;
      case Pass::kBackwardWeights: onednn_->backward_weights(in.x, in.dy, baseline_out_); break;
    }
  }
  std::string check_candidate() override {
    const auto& in = inputs_.last_candidate();
    return check_conv(pass_, shape_, in.x, in.w, in.dy, candidate_out_, seed_ + ++checks_);
  }
  std::string check_baseline() override {
    const auto& in = inputs_.last_baseline();
    return check_conv(pass_, shape_, in.x, in.w, in.dy, baseline_out_, seed_ + ++checks_);
  }
  nlohmann::json details() override { return {{"onednn", onednn_->info()}, {"geometry", geometry_.to_string()}}; }

 private:
  Pass pass_;
  Conv2dShape shape_;
  std::uint64_t seed_;
  ConvInputs inputs_;
  Tensor candidate_out_, baseline_out_;
  lab02::ConvGeometry geometry_;
  std::unique_ptr<aisys::baselines::OnednnConv2d> onednn_;
  std::uint64_t checks_ = 0;
};

#if AISYS_HAVE_CUDNN
// The same passes on the GPU: the student's convolution on CUDA tensors (its views and the
// platform's CUDA ops, cuBLAS for the matmuls) against cuDNN with CUDNN_FMA_MATH, timed with CUDA
// events on the default stream; outputs copied back and checked as on the CPU.
class GpuConvFixture : public aisys::bench::Fixture {
 public:
  GpuConvFixture(Pass pass, const Conv2dShape& shape)
      : pass_(pass), shape_(shape), seed_(hidden_seed()), inputs_(shape, seed_) {
    for (std::size_t i = 0; i < device_sets_.size(); ++i) {
      const auto& in = inputs_.sets[i];
      device_sets_[i] = {in.x.to(aisys::kernels::Device::cuda()), in.w.to(aisys::kernels::Device::cuda()),
                         in.dy.to(aisys::kernels::Device::cuda())};
    }
    geometry_ = lab02::ConvGeometry::from_shapes(shape.input_shape(), shape.weight_shape(), shape.stride, shape.padding);
    baseline_out_ = Tensor::empty(pass == Pass::kForward        ? shape.output_shape()
                                  : pass == Pass::kBackwardData ? shape.input_shape()
                                                                : shape.weight_shape(),
                                  aisys::kernels::DType::kFloat32, aisys::kernels::Device::cuda());
    using aisys::baselines::CudnnConv2d;
    cudnn_ = std::make_unique<CudnnConv2d>(shape, nullptr,
                                           pass == Pass::kForward        ? CudnnConv2d::kForward
                                           : pass == Pass::kBackwardData ? CudnnConv2d::kBackwardData
                                                                         : CudnnConv2d::kBackwardWeights);
  }
  // Each side takes the device copy of the set ConvInputs hands it (the host set checks it).
  void run_candidate() override {
    inputs_.next_candidate();
    const auto& in = device_sets_[static_cast<std::size_t>(inputs_.candidate)];
    candidate_out_ = student_pass(pass_, in.x, in.w, in.dy, geometry_);
  }
  void run_baseline() override {
    inputs_.next_baseline();
    const auto& in = device_sets_[static_cast<std::size_t>(inputs_.baseline)];
    switch (pass_) {
      case Pass::kForward: cudnn_->forward(in.x, in.w, baseline_out_); break;
      case Pass::kBackwardData: cudnn_->backward_data(in.dy, in.w, baseline_out_); break;
      case Pass::kBackwardWeights: cudnn_->backward_weights(in.x, in.dy, baseline_out_); break;
    }
  }
  // The student's convolution is a sequence of the Tensor's ops, a launch (and an allocation, from
  // the cache after the first call) each, and may synchronise; that dispatch is a framework's cost,
  // so it is timed with the work, and cuDNN's the same way.
  double timed_candidate() override {
    return aisys::bench::cuda_time_on_stream(nullptr, [&] { run_candidate(); }, kDispatch);
  }
  double timed_baseline() override {
    return aisys::bench::cuda_time_on_stream(nullptr, [&] { run_baseline(); }, kDispatch);
  }
  std::string check_candidate() override {
    if (!candidate_out_.defined() || candidate_out_.device().is_cpu()) return "did not return a GPU tensor";
    const auto& in = inputs_.last_candidate();
    return check_conv(pass_, shape_, in.x, in.w, in.dy, candidate_out_.to(aisys::kernels::Device::cpu()), seed_ + ++checks_);
  }
  std::string check_baseline() override {
    const auto& in = inputs_.last_baseline();
    return check_conv(pass_, shape_, in.x, in.w, in.dy, baseline_out_.to(aisys::kernels::Device::cpu()), seed_ + ++checks_);
  }
  nlohmann::json details() override {
    return {{"cudnn", cudnn_->info()}, {"geometry", geometry_.to_string()}, {"timing", aisys::bench::to_string(kDispatch)}};
  }

 private:
  static constexpr aisys::bench::HostDispatch kDispatch = aisys::bench::HostDispatch::kIncluded;
  Pass pass_;
  Conv2dShape shape_;
  std::uint64_t seed_;
  ConvInputs inputs_;
  std::array<ConvInputs::Set, ConvInputs::kSets> device_sets_;
  Tensor candidate_out_, baseline_out_;
  lab02::ConvGeometry geometry_;
  std::unique_ptr<aisys::baselines::CudnnConv2d> cudnn_;
  std::uint64_t checks_ = 0;
};
#endif

// ---- framework overhead ----------------------------------------------------------------------------

class OverheadFixture : public aisys::bench::Fixture {
 public:
  static constexpr int kBatch = 256;
  OverheadFixture() : seed_(hidden_seed()), hand_({784, 256, 256, 10}, seed_) {
    // One thread: both sides call single-threaded OpenBLAS, and the profiler's clock is per thread.
    aisys::baselines::openblas_set_threads(1);
    std::mt19937_64 rng(seed_);
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    x_.resize(static_cast<std::size_t>(kBatch) * 784);
    for (float& v : x_) v = pixel(rng);
    labels_.resize(kBatch);
    for (auto& l : labels_) l = static_cast<std::int32_t>(rng() % 10);
    // The autograd MLP starts from the hand-written one's parameters (W [out, in] then b).
    model_ = std::make_unique<lab02::Mlp>(std::vector<int>{784, 256, 256, 10}, seed_);
    for (int l = 0; l < hand_.layers(); ++l) {
      const auto p = hand_.parameters(l);
      const int out = hand_.out_features(l), in = hand_.in_features(l);
      lab02::Linear& layer = model_->layers[static_cast<std::size_t>(l)];
      Tensor(layer.weight.value()).copy_from(Tensor::from_floats(p.subspan(0, static_cast<std::size_t>(out) * in), {out, in}));
      Tensor(layer.bias.value()).copy_from(Tensor::from_floats(p.subspan(static_cast<std::size_t>(out) * in, out), {out}));
    }
    optimizer_ = std::make_unique<lab02::Sgd>(model_->parameters(), 1e-30);  // lr ~ 0: parameters stay put
    input_ = Tensor::from_floats(x_, {kBatch, 784});
  }
  void run_candidate() override {
    const lab02::Variable loss = lab02::cross_entropy(model_->forward(lab02::Variable(input_)), labels_);
    optimizer_->zero_grad();
    lab02::backward(loss);
    const auto start = std::chrono::steady_clock::now();
    optimizer_->step();  // elementwise kernels only: counted with the kernels
    optimizer_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    candidate_loss_ = loss.value().item();
  }
  // The graded metric, framework_efficiency = T_hand / (T_hand + T_outside): the hand-written
  // step's time against itself plus the autograd step's time outside kernels. It is the share of a
  // step the kernels would take if they ran at the hand-written step's speed, so it measures only
  // the framework's overhead: slower rules or optimizer (inside the kernels' time) cannot raise
  // it, as they raise kernel_fraction = T_kernels / T_step (reported beside it, in details).
  double candidate_metric() override { return profile()["framework_efficiency"].get<double>(); }
  double baseline_metric() override { return 1.0; }  // a step that is all kernels
  void run_baseline() override {
    baseline_loss_ = hand_.compute_gradients(x_.data(), labels_.data(), kBatch);
    hand_.sgd_step(1e-30f);
  }
  std::string check_candidate() override {
    if (!(std::abs(candidate_loss_ - baseline_loss_) <= 1e-4 * std::abs(baseline_loss_))) {
      return "loss " + std::to_string(candidate_loss_) + " differs from the hand-written step's " + std::to_string(baseline_loss_);
    }
    for (int l = 0; l < hand_.layers(); ++l) {
      const auto g = hand_.gradients(l);
      const int out = hand_.out_features(l), in = hand_.in_features(l);
      const lab02::Linear& layer = model_->layers[static_cast<std::size_t>(l)];
      if (!layer.weight.grad().defined()) return "layer " + std::to_string(l) + " got no weight gradient";
      const std::vector<double> gw = layer.weight.grad().to_vector(), gb = layer.bias.grad().to_vector();
      double diff = 0, norm = 0;
      for (std::size_t i = 0; i < gw.size(); ++i) {
        diff += (gw[i] - g[i]) * (gw[i] - g[i]);
        norm += static_cast<double>(g[i]) * g[i];
      }
      for (std::size_t i = 0; i < gb.size(); ++i) {
        const double h = g[static_cast<std::size_t>(out) * in + i];
        diff += (gb[i] - h) * (gb[i] - h);
        norm += h * h;
      }
      if (!(std::sqrt(diff) <= 1e-4 * std::sqrt(norm) + 1e-12)) {
        return "layer " + std::to_string(l) + "'s gradients differ from the hand-written step's (relative error " +
               std::to_string(std::sqrt(diff / std::max(norm, 1e-300))) + ")";
      }
    }
    return "";
  }
  std::string check_baseline() override {
    return std::isfinite(baseline_loss_) && baseline_loss_ > 0 ? "" : "hand-written step gave loss " + std::to_string(baseline_loss_);
  }
  nlohmann::json details() override { return profile(); }

  // The profiler's split of kSteps autograd steps (time inside kernels against the whole step),
  // interleaved with kSteps hand-written steps timed alone (the ideal the overhead is set against).
  nlohmann::json profile() {
    constexpr int kSteps = 20;
    optimizer_s_ = 0;
    lab02::reset_kernel_time();
    double total = 0, hand = 0;
    for (int s = 0; s < kSteps; ++s) {
      lab02::set_kernel_profiling(true);
      const auto start = std::chrono::steady_clock::now();
      run_candidate();
      const auto middle = std::chrono::steady_clock::now();
      lab02::set_kernel_profiling(false);
      run_baseline();
      total += std::chrono::duration<double>(middle - start).count();
      hand += std::chrono::duration<double>(std::chrono::steady_clock::now() - middle).count();
    }
    const lab02::KernelTime k = lab02::kernel_time();
    const double kernels = k.total_s() + optimizer_s_;
    const double outside = std::max(0.0, total - kernels);
    return {{"steps", kSteps},
            {"step_s", total / kSteps},
            {"hand_step_s", hand / kSteps},
            {"framework_efficiency", hand / (hand + outside)},
            {"forward_kernels_s", k.forward_s / kSteps},
            {"backward_rules_s", k.backward_s / kSteps},
            {"optimizer_s", optimizer_s_ / kSteps},
            {"kernel_calls_per_step", static_cast<double>(k.forward_calls + k.backward_calls) / kSteps},
            {"outside_kernels_s", (total - kernels) / kSteps},
            {"kernel_fraction", kernels / total},
            {"overhead_fraction", 1.0 - kernels / total}};
  }

 private:
  std::uint64_t seed_;
  aisys::kernels::Mlp hand_;
  std::unique_ptr<lab02::Mlp> model_;
  std::unique_ptr<lab02::Sgd> optimizer_;
  std::vector<float> x_;
  std::vector<std::int32_t> labels_;
  Tensor input_;
  double candidate_loss_ = 0, baseline_loss_ = 0;
  double optimizer_s_ = 0;
};

// ---- training curves ----------------------------------------------------------------------------------

nlohmann::json curve(const lab02::TrainHistory& h) {
  nlohmann::json steps = nlohmann::json::array(), loss = nlohmann::json::array(), eval_steps = nlohmann::json::array(),
                 accuracy = nlohmann::json::array();
  for (const auto& p : h.points) {
    steps.push_back(p.step);
    loss.push_back(p.loss);
    if (p.test_accuracy >= 0) {
      eval_steps.push_back(p.step);
      accuracy.push_back(p.test_accuracy);
    }
  }
  return {{"step", steps}, {"loss", loss}, {"eval_step", eval_steps}, {"test_accuracy", accuracy},
          {"seconds", h.seconds}, {"final_test_accuracy", h.final_test_accuracy()}};
}

class TrainingFixture : public aisys::bench::Fixture {
 public:
  static constexpr int kSteps = 3000;
  TrainingFixture() : data_(aisys::kernels::load_fashion_mnist({.dir = {}, .normalize = true})) {
    aisys::baselines::openblas_set_threads(1);
    config_.steps = kSteps;
    config_.batch_size = 64;
    config_.optimizer = "adam";
    config_.lr = 1e-3;
    config_.seed = 2026;
    config_.eval_every = 250;
    config_.eval_examples = 10000;
  }
  // Training is deterministic for a seed: each side trains once, and the metric is its accuracy.
  void run_candidate() override {
    if (trained_cnn_) return;
    lab02::SmallCnn cnn(7);
    cnn_ = lab02::train_classifier(cnn, data_, config_);
    trained_cnn_ = true;
  }
  void run_baseline() override {
    if (trained_mlp_) return;
    lab02::Mlp mlp({784, 256, 10}, 7);
    mlp_ = lab02::train_classifier(mlp, data_, config_);
    trained_mlp_ = true;
  }
  std::string check_candidate() override { return check(cnn_); }
  std::string check_baseline() override { return check(mlp_); }
  double candidate_metric() override { return cnn_.final_test_accuracy(); }
  double baseline_metric() override { return mlp_.final_test_accuracy(); }
  nlohmann::json details() override {
    return {{"cnn", curve(cnn_)}, {"mlp", curve(mlp_)}, {"batch_size", config_.batch_size}, {"optimizer", "adam"},
            {"lr", config_.lr}};
  }

 private:
  static std::string check(const lab02::TrainHistory& h) {
    if (h.points.size() != static_cast<std::size_t>(kSteps)) return "recorded " + std::to_string(h.points.size()) + " steps";
    const double a = h.final_test_accuracy();
    return a > 0.1 && a <= 1.0 ? "" : "test accuracy " + std::to_string(a) + " is no better than chance";
  }
  aisys::kernels::FashionMnist data_;
  lab02::TrainConfig config_;
  lab02::TrainHistory cnn_, mlp_;
  bool trained_cnn_ = false, trained_mlp_ = false;
};

// ---- registration ---------------------------------------------------------------------------------

bool register_all() {
  double x = 0;
  for (const Layer& layer : kLayers) {
    for (Pass pass : {Pass::kForward, Pass::kBackwardData, Pass::kBackwardWeights}) {
      aisys::bench::Case c;
      c.lab = "02";
      c.part = std::string("conv/") + pass_name(pass);
      c.name = c.part + "/" + layer.name;
      c.group = std::string("conv-") + pass_name(pass);
      c.x = x;
      c.x_label = "layer";
      const Conv2dShape& s = layer.shape;
      c.shape = {{"layer", layer.name}, {"N", s.N}, {"C", s.C}, {"H", s.H}, {"W", s.W}, {"K", s.K}, {"R", s.R},
                 {"S", s.S}, {"stride", s.stride}, {"padding", s.padding}};
      c.threads = 1;
      c.flops = s.flops();
      c.bytes = 4.0 * static_cast<double>(aisys::kernels::numel(s.input_shape()) + aisys::kernels::numel(s.weight_shape()) +
                                          aisys::kernels::numel(s.output_shape()));
      c.baseline = "onednn";
      c.make_fixture = [pass, s] { return std::make_unique<ConvFixture>(pass, s); };
#if AISYS_HAVE_CUDNN
      if (aisys::gpu_available()) {
        // The GPU twin at N = 32 (a GPU needs the parallelism): conv-gpu/<pass>/<layer>.
        aisys::bench::register_gpu_context();
        aisys::bench::Case g = c;
        Conv2dShape big = s;
        big.N = 32;
        g.part = std::string("conv-gpu/") + pass_name(pass);
        g.name = g.part + "/" + layer.name;
        g.group = std::string("conv-gpu-") + pass_name(pass);
        g.shape["N"] = big.N;
        g.flops = big.flops();
        g.bytes = 4.0 * static_cast<double>(aisys::kernels::numel(big.input_shape()) + aisys::kernels::numel(big.weight_shape()) +
                                            aisys::kernels::numel(big.output_shape()));
        g.baseline = "cudnn";
        g.manual_time = true;
        g.make_fixture = [pass, big] { return std::make_unique<GpuConvFixture>(pass, big); };
        g.device_roof = []() -> std::pair<double, double> {
          const auto& roof = aisys::ceilings::measure_gpu(false);
          return {roof.fp32_fma_tflops * 1e3, roof.copy_bandwidth_gbs};
        };
        aisys::bench::register_case(std::move(g));
      }
#endif
      aisys::bench::register_case(std::move(c));
    }
    x += 1;
  }
  for (const bool timed : {false, true}) {
    aisys::bench::Case c;
    c.lab = "02";
    c.part = timed ? "step" : "overhead";
    c.name = c.part + "/mlp-b256";
    c.group = c.part;
    c.x = 256;
    c.x_label = "batch";
    c.shape = {{"widths", {784, 256, 256, 10}}, {"batch", 256}};
    c.threads = 1;
    if (timed) {
      // The hidden layers' GEMMs (the first layer's input needs no gradient): forward, then
      // backward-weight for all three layers and backward-input for the upper two.
      const double f1 = 2.0 * 256 * 784 * 256, f2 = 2.0 * 256 * 256 * 256, f3 = 2.0 * 256 * 256 * 10;
      c.flops = 2 * (f1 + f2 + f3) + f2 + f3;
      c.bytes = 4.0 * (784 * 256 + 256 * 256 + 256 * 10) * 3;
      c.baseline = "hand-written-step";
    } else {
      c.baseline = "all-kernels";
      c.metric = {"framework_efficiency", "fraction", "higher"};
    }
    c.make_fixture = [] { return std::make_unique<OverheadFixture>(); };
    aisys::bench::register_case(std::move(c));
  }
  {
    aisys::bench::Case c;
    c.lab = "02";
    c.part = "train";
    c.name = "train/cnn-fashion-mnist";
    c.group = "training";
    c.x = TrainingFixture::kSteps;
    c.x_label = "steps";
    c.shape = {{"steps", TrainingFixture::kSteps}, {"batch", 64}};
    c.baseline = "mlp-784-256-10";
    c.metric = {"test_accuracy", "fraction", "higher"};
    c.make_fixture = [] { return std::make_unique<TrainingFixture>(); };
    aisys::bench::register_case(std::move(c));
  }
  return true;
}

const bool registered = register_all();

}  // namespace
