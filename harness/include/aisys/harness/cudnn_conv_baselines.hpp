// aisys/harness/cudnn_conv_baselines.hpp: lab 02's GPU convolution baseline, cuDNN's float32
// convolution (forward, backward-data, backward-filter) on the same NCHW / KCRS device Tensors a
// student's im2col convolution takes, with CUDNN_FMA_MATH (plain FP32 FMA: no TF32, no tensor
// cores; the same arithmetic as the candidate, MEASURING.md). The math contract is the one of
// conv_baselines.hpp (Conv2dShape: zero padding, one stride, no bias, no dilation, one group).
//
// Algorithms: chosen once per pass in the constructor by cudnnFind*Algorithm (cuDNN times each
// algorithm that supports the math type on scratch buffers and returns them fastest first), among
// those whose math type is CUDNN_FMA_MATH and whose workspace fits in 2 GiB; info() names the
// choice, every candidate's time and any faster FMA algorithm the limit left out, so the results
// context says what the baseline was.
//
// Only in builds with CUDA and cuDNN (AISYS_HAVE_CUDNN); without them have_cudnn() is false and the
// constructor throws aisys::LibraryError naming what is missing. Calls are asynchronous on the
// given stream: the legacy default stream, or a blocking one (a non-blocking stream is refused: it
// is not ordered after the Tensor's work on the default stream); outputs are overwritten (beta = 0).
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "aisys/harness/conv_baselines.hpp"
#include "aisys/kernels/tensor.hpp"

#if AISYS_HAVE_CUDA
#include <cuda_runtime.h>
#else
using cudaStream_t = struct CUstream_st*;
#endif

namespace aisys::baselines {

bool have_cudnn();
// {"available": true, "version": cudnnGetVersion(), "math_type": "CUDNN_FMA_MATH"} or
// {"available": false, "reason": ...}.
nlohmann::json cudnn_info();

class CudnnConv2d {
 public:
  // The passes to pick algorithms for (a bit mask): each search runs every algorithm once, seconds
  // at large shapes, so a caller that times one pass asks for that one. Calling a pass that was not
  // asked for is an InvalidArgument naming it.
  enum Passes : unsigned { kForward = 1u, kBackwardData = 2u, kBackwardWeights = 4u, kAllPasses = 7u };
  // Creates the handle, the descriptors and the workspace, and picks the algorithm of each pass in
  // `passes`.
  explicit CudnnConv2d(const Conv2dShape& shape, cudaStream_t stream = nullptr, unsigned passes = kAllPasses);
  ~CudnnConv2d();
  CudnnConv2d(const CudnnConv2d&) = delete;
  CudnnConv2d& operator=(const CudnnConv2d&) = delete;

  const Conv2dShape& shape() const { return shape_; }
  // Tensors: float32, on the GPU, contiguous, of exactly the shapes of conv_baselines.hpp
  // (InvalidArgument naming the pass, the expected and given shapes otherwise).
  void forward(const kernels::Tensor& x, const kernels::Tensor& w, const kernels::Tensor& y);
  void backward_data(const kernels::Tensor& dy, const kernels::Tensor& w, const kernels::Tensor& dx);
  void backward_weights(const kernels::Tensor& x, const kernels::Tensor& dy, const kernels::Tensor& dw);

  // cudnn_info() plus {"shape", "passes": {"forward" | "backward_data" | "backward_weights":
  // {"algorithm": name, "workspace_bytes", "candidates": [{"algorithm", "time_ms", "math_type"}]}}}.
  nlohmann::json info() const;

 private:
  struct Impl;
  Conv2dShape shape_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aisys::baselines
