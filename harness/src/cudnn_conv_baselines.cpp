// cuDNN float32 convolution baseline of lab 02 (cudnn_conv_baselines.hpp): descriptors, algorithms
// found once per pass with CUDNN_FMA_MATH, a shared workspace; builds without cuDNN keep the API
// and say what is missing.
#include "aisys/harness/cudnn_conv_baselines.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "aisys/kernels/error.hpp"

#if AISYS_HAVE_CUDNN
#include <cudnn.h>

#include "aisys/kernels/cuda/check.hpp"
#include "aisys/kernels/cuda/cudnn_check.hpp"
#endif

namespace aisys::baselines {

#if AISYS_HAVE_CUDNN

namespace {

// Generous (the student's column buffers at N = 32 are about 240 MB): a cap that excluded cuDNN's
// fastest algorithm would make the baseline slower than cuDNN is.
constexpr std::size_t kMaxWorkspace = std::size_t{2} << 30;

const char* fwd_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "IMPLICIT_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "IMPLICIT_PRECOMP_GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "GEMM";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "unknown";
  }
}
const char* bwd_data_name(cudnnConvolutionBwdDataAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_0: return "ALGO_0";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_1: return "ALGO_1";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING: return "FFT_TILING";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD: return "WINOGRAD";
    case CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    default: return "unknown";
  }
}
const char* bwd_filter_name(cudnnConvolutionBwdFilterAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0: return "ALGO_0";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1: return "ALGO_1";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT: return "FFT";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3: return "ALGO_3";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED: return "WINOGRAD_NONFUSED";
    case CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING: return "FFT_TILING";
    default: return "unknown";
  }
}
const char* math_name(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_DEFAULT_MATH: return "CUDNN_DEFAULT_MATH";
    case CUDNN_TENSOR_OP_MATH: return "CUDNN_TENSOR_OP_MATH";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: return "CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION";
    case CUDNN_FMA_MATH: return "CUDNN_FMA_MATH";
    default: return "unknown";
  }
}

// The first (fastest) result that ran, uses FMA math and fits the workspace limit; its candidates
// recorded, and the fastest FMA one the limit left out, if any (the baseline is then slower than
// cuDNN can be, and the results say so).
template <typename Perf, typename NameFn>
Perf choose(const std::vector<Perf>& results, int count, NameFn name, nlohmann::json& pass, const char* what) {
  nlohmann::json candidates = nlohmann::json::array();
  const Perf* chosen = nullptr;
  const Perf* too_big = nullptr;
  for (int i = 0; i < count; ++i) {
    const Perf& p = results[static_cast<std::size_t>(i)];
    if (p.status != CUDNN_STATUS_SUCCESS) continue;
    candidates.push_back({{"algorithm", name(p.algo)}, {"time_ms", p.time}, {"math_type", math_name(p.mathType)},
                          {"workspace_bytes", p.memory}});
    if (chosen || p.mathType != CUDNN_FMA_MATH) continue;
    if (p.memory <= kMaxWorkspace) chosen = &p;
    else if (!too_big) too_big = &p;
  }
  if (!chosen) {
    throw LibraryError(std::string("cuDNN: no ") + what + " algorithm with CUDNN_FMA_MATH fits the " +
                       std::to_string(kMaxWorkspace >> 20) + " MiB workspace limit (" + std::to_string(candidates.size()) +
                       " candidates ran: " + candidates.dump() + ")");
  }
  pass = {{"algorithm", name(chosen->algo)}, {"workspace_bytes", chosen->memory}, {"candidates", candidates}};
  if (too_big) {
    pass["faster_left_out"] = {{"algorithm", name(too_big->algo)}, {"time_ms", too_big->time},
                               {"workspace_bytes", too_big->memory},
                               {"why", "needs more than the " + std::to_string(kMaxWorkspace >> 20) + " MiB workspace limit"}};
  }
  return *chosen;
}

void require_pass(unsigned searched, unsigned pass, const char* name) {
  if ((searched & pass) == 0) {
    throw InvalidArgument(std::string("cudnn ") + name + ": this CudnnConv2d was made without that pass (its "
                          "constructor's `passes` leaves it out, so no algorithm was picked for it)");
  }
}

void check(const char* pass, const char* what, const kernels::Tensor& t, const kernels::Shape& expected,
           const Conv2dShape& s) {
  if (!t.defined() || t.shape() != expected || t.dtype() != kernels::DType::kFloat32 || t.device().is_cpu() ||
      !t.is_contiguous()) {
    throw InvalidArgument(std::string("cudnn ") + pass + ": " + what + " must be a contiguous float32 GPU tensor of shape " +
                          kernels::to_string(expected) + " for " + s.to_string() + ", got " +
                          (t.defined() ? std::string(kernels::name_of(t.dtype())) + " " + kernels::to_string(t.shape()) +
                                             " on " + kernels::to_string(t.device())
                                       : std::string("an undefined tensor")));
  }
}

void* ptr(const kernels::Tensor& t) { return static_cast<float*>(t.storage()->data()) + t.offset(); }

}  // namespace

struct CudnnConv2d::Impl {
  cudnnHandle_t handle = nullptr;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  void* workspace = nullptr;
  std::size_t workspace_bytes = 0;
  unsigned searched = 0;  // CudnnConv2d::Passes with an algorithm
  nlohmann::json passes = nlohmann::json::object();
  ~Impl() {
    if (workspace) cudaFree(workspace);
    if (conv) cudnnDestroyConvolutionDescriptor(conv);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (x) cudnnDestroyTensorDescriptor(x);
    if (handle) cudnnDestroy(handle);
  }
};

bool have_cudnn() { return true; }

nlohmann::json cudnn_info() {
  return {{"available", true}, {"version", static_cast<long>(cudnnGetVersion())}, {"math_type", "CUDNN_FMA_MATH"}};
}

CudnnConv2d::CudnnConv2d(const Conv2dShape& s, cudaStream_t stream, unsigned passes)
    : shape_(s), impl_(std::make_unique<Impl>()) {
  s.validate();
  if (passes == 0 || (passes & ~static_cast<unsigned>(kAllPasses)) != 0) {
    throw InvalidArgument("CudnnConv2d: passes must be a non-empty combination of kForward, kBackwardData and "
                          "kBackwardWeights, got " + std::to_string(passes));
  }
  if (stream != nullptr) {
    // The Tensor allocates, zeroes and copies on the legacy default stream; a non-blocking stream is
    // not ordered after that work, so cuDNN could read inputs not yet written.
    unsigned flags = 0;
    AISYS_CUDA_CHECK(cudaStreamGetFlags(stream, &flags));
    if (flags & cudaStreamNonBlocking) {
      throw InvalidArgument("CudnnConv2d: a non-blocking stream is not ordered after the Tensor's work on the legacy "
                            "default stream; pass the default stream or a blocking one");
    }
  }
  Impl& m = *impl_;
  AISYS_CUDNN_CHECK(cudnnCreate(&m.handle));
  AISYS_CUDNN_CHECK(cudnnSetStream(m.handle, stream));
  const auto i = [](std::int64_t v) { return static_cast<int>(v); };
  AISYS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&m.x));
  AISYS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(m.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, i(s.N), i(s.C), i(s.H), i(s.W)));
  AISYS_CUDNN_CHECK(cudnnCreateFilterDescriptor(&m.w));
  AISYS_CUDNN_CHECK(cudnnSetFilter4dDescriptor(m.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, i(s.K), i(s.C), i(s.R), i(s.S)));
  AISYS_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&m.conv));
  AISYS_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(m.conv, i(s.padding), i(s.padding), i(s.stride), i(s.stride), 1, 1,
                                                    CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  AISYS_CUDNN_CHECK(cudnnSetConvolutionMathType(m.conv, CUDNN_FMA_MATH));
  int n = 0, c = 0, h = 0, w = 0;
  AISYS_CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(m.conv, m.x, m.w, &n, &c, &h, &w));
  if (h != s.P() || w != s.Q()) {
    throw LibraryError("cuDNN computes an output of " + std::to_string(h) + " x " + std::to_string(w) + " for " +
                       s.to_string() + ", the contract " + std::to_string(s.P()) + " x " + std::to_string(s.Q()));
  }
  AISYS_CUDNN_CHECK(cudnnCreateTensorDescriptor(&m.y));
  AISYS_CUDNN_CHECK(cudnnSetTensor4dDescriptor(m.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));

  // Room for every result cuDNN may return (its own maximum, which can exceed the enum's count: a
  // search may list an algorithm under more than one math type, the faster non-FMA ones first, and
  // a list cut at the enum's count could then hold no FMA entry at all).
  int count = 0, most = 0;
  std::size_t bytes = 0, need = 0;
  if (passes & kForward) {
    AISYS_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(m.handle, &most));
    std::vector<cudnnConvolutionFwdAlgoPerf_t> fwd(
        static_cast<std::size_t>(std::max<int>(most, CUDNN_CONVOLUTION_FWD_ALGO_COUNT)));
    AISYS_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(m.handle, m.x, m.w, m.conv, m.y, static_cast<int>(fwd.size()),
                                                           &count, fwd.data()));
    m.fwd = choose(fwd, count, fwd_name, m.passes["forward"], "forward").algo;
    AISYS_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(m.handle, m.x, m.w, m.conv, m.y, m.fwd, &need));
    bytes = std::max(bytes, need);
  }
  if (passes & kBackwardData) {
    AISYS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(m.handle, &most));
    std::vector<cudnnConvolutionBwdDataAlgoPerf_t> bd(
        static_cast<std::size_t>(std::max<int>(most, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)));
    AISYS_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(m.handle, m.w, m.y, m.conv, m.x,
                                                                static_cast<int>(bd.size()), &count, bd.data()));
    m.bwd_data = choose(bd, count, bwd_data_name, m.passes["backward_data"], "backward-data").algo;
    AISYS_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(m.handle, m.w, m.y, m.conv, m.x, m.bwd_data, &need));
    bytes = std::max(bytes, need);
  }
  if (passes & kBackwardWeights) {
    AISYS_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(m.handle, &most));
    std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> bf(
        static_cast<std::size_t>(std::max<int>(most, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)));
    AISYS_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(m.handle, m.x, m.y, m.conv, m.w,
                                                                  static_cast<int>(bf.size()), &count, bf.data()));
    m.bwd_filter = choose(bf, count, bwd_filter_name, m.passes["backward_weights"], "backward-filter").algo;
    AISYS_CUDNN_CHECK(
        cudnnGetConvolutionBackwardFilterWorkspaceSize(m.handle, m.x, m.y, m.conv, m.w, m.bwd_filter, &need));
    bytes = std::max(bytes, need);
  }
  m.searched = passes;
  m.workspace_bytes = bytes;
  if (bytes > 0) AISYS_CUDA_CHECK(cudaMalloc(&m.workspace, bytes));
}

CudnnConv2d::~CudnnConv2d() = default;

void CudnnConv2d::forward(const kernels::Tensor& x, const kernels::Tensor& w, const kernels::Tensor& y) {
  require_pass(impl_->searched, kForward, "forward");
  check("forward", "x", x, shape_.input_shape(), shape_);
  check("forward", "w", w, shape_.weight_shape(), shape_);
  check("forward", "y", y, shape_.output_shape(), shape_);
  const float one = 1.0f, zero = 0.0f;
  Impl& m = *impl_;
  AISYS_CUDNN_CHECK(cudnnConvolutionForward(m.handle, &one, m.x, ptr(x), m.w, ptr(w), m.conv, m.fwd, m.workspace,
                                            m.workspace_bytes, &zero, m.y, ptr(y)));
}

void CudnnConv2d::backward_data(const kernels::Tensor& dy, const kernels::Tensor& w, const kernels::Tensor& dx) {
  require_pass(impl_->searched, kBackwardData, "backward_data");
  check("backward_data", "dy", dy, shape_.output_shape(), shape_);
  check("backward_data", "w", w, shape_.weight_shape(), shape_);
  check("backward_data", "dx", dx, shape_.input_shape(), shape_);
  const float one = 1.0f, zero = 0.0f;
  Impl& m = *impl_;
  AISYS_CUDNN_CHECK(cudnnConvolutionBackwardData(m.handle, &one, m.w, ptr(w), m.y, ptr(dy), m.conv, m.bwd_data,
                                                 m.workspace, m.workspace_bytes, &zero, m.x, ptr(dx)));
}

void CudnnConv2d::backward_weights(const kernels::Tensor& x, const kernels::Tensor& dy, const kernels::Tensor& dw) {
  require_pass(impl_->searched, kBackwardWeights, "backward_weights");
  check("backward_weights", "x", x, shape_.input_shape(), shape_);
  check("backward_weights", "dy", dy, shape_.output_shape(), shape_);
  check("backward_weights", "dw", dw, shape_.weight_shape(), shape_);
  const float one = 1.0f, zero = 0.0f;
  Impl& m = *impl_;
  AISYS_CUDNN_CHECK(cudnnConvolutionBackwardFilter(m.handle, &one, m.x, ptr(x), m.y, ptr(dy), m.conv, m.bwd_filter,
                                                   m.workspace, m.workspace_bytes, &zero, m.w, ptr(dw)));
}

nlohmann::json CudnnConv2d::info() const {
  nlohmann::json j = cudnn_info();
  j["shape"] = shape_.to_string();
  j["passes"] = impl_->passes;
  j["workspace_bytes"] = impl_->workspace_bytes;
  return j;
}

#else  // no cuDNN

struct CudnnConv2d::Impl {};

namespace {
const char* missing() {
#if AISYS_HAVE_CUDA
  return "built without cuDNN: set CUDNN_ROOT to the folder holding include/cudnn.h and reconfigure";
#else
  return "built without CUDA (and so without cuDNN)";
#endif
}
}  // namespace

bool have_cudnn() { return false; }
nlohmann::json cudnn_info() { return {{"available", false}, {"reason", missing()}}; }
CudnnConv2d::CudnnConv2d(const Conv2dShape& s, cudaStream_t, unsigned) : shape_(s) { throw LibraryError(missing()); }
CudnnConv2d::~CudnnConv2d() = default;
void CudnnConv2d::forward(const kernels::Tensor&, const kernels::Tensor&, const kernels::Tensor&) { throw LibraryError(missing()); }
void CudnnConv2d::backward_data(const kernels::Tensor&, const kernels::Tensor&, const kernels::Tensor&) {
  throw LibraryError(missing());
}
void CudnnConv2d::backward_weights(const kernels::Tensor&, const kernels::Tensor&, const kernels::Tensor&) {
  throw LibraryError(missing());
}
nlohmann::json CudnnConv2d::info() const { return cudnn_info(); }

#endif

}  // namespace aisys::baselines
