// aisys/harness/conv_baselines.hpp: the CPU convolution baselines of lab 02 (oneDNN). Students
// write conv2d forward and backward through im2col + matmul; the harness times them against
// oneDNN's float32 convolution primitives on the same Tensors (cuDNN on a GPU joins later).
//
// Math contract (no bias, no dilation, one group), for a Conv2dShape with output size P x Q:
//   x [N, C, H, W] input, w [K, C, R, S] weights, y [N, K, P, Q] output, where
//   P = (H + 2 padding - R) / stride + 1 and Q = (W + 2 padding - S) / stride + 1;
//   with i(p, r) = p stride + r - padding and j(q, s) = q stride + s - padding, and x read as 0
//   outside [0, H) x [0, W) (zero padding on every side):
//   forward:          y[n,k,p,q]  = sum over (c, r, s)  of x[n, c, i(p,r), j(q,s)] w[k,c,r,s]
//   backward_data:    dx[n,c,i,j] = sum over (k, p, q, r, s) with i(p,r) = i, j(q,s) = j
//                                   of dy[n,k,p,q] w[k,c,r,s]
//   backward_weights: dw[k,c,r,s] = sum over (n, p, q)  of dy[n,k,p,q] x[n, c, i(p,r), j(q,s)]
// FLOPs of each of the three: 2 N K P Q C R S.
//
// Memory formats (OnednnFormats): every call takes and returns plain NCHW (x, y, dx, dy) and OIHW
// (w, dw) float32 Tensors, the layouts the students' im2col code sees, and every call is timed
// whole: an NCHW-in, NCHW-out convolution, as the students' is.
//   kPlain: the primitives are created for the plain layouts; oneDNN then runs the implementation
//     that reads them directly (in 2.6 mostly "gemm:jit", im2col + sgemm, like the students').
//   kPreferred: the primitives are created with format_tag::any and run on the layouts oneDNN
//     prefers (on AVX-512, blocked nChw16c / OIhw16i16o with direct jit kernels); each call
//     reorders its inputs into them and its output back to plain, inside the call.
//   kFastest (the default): both are built and, in the constructor, timed on scratch data; each
//     pass keeps the faster (as cudnnFind* does for cuDNN's algorithms). Neither wins everywhere:
//     measured single-threaded on the Zen 5 machines of MEASURING.md (GFLOP/s, plain / preferred
//     with its reorders), 3x3 N8 C64 56x56: forward 145 / 200, backward-weights 79 / 183; 1x1
//     N8 C64 56x56 K256: forward 230 / 123 (the reorders cost more than the blocked kernel gains).
//     So the baseline is the best oneDNN does for this contract, per shape and pass.
// info() records, per pass, the layouts and the implementation oneDNN runs (e.g.
// "jit:avx512_core", "x64:gemm:jit"), the reorders, and for kFastest both trial times, so the
// results context can say what the baseline was.
//
// Without oneDNN (AISYS_ONEDNN, libdnnl-dev), Conv2dShape works and constructing an OnednnConv2d
// throws aisys::LibraryError "built without oneDNN: install libdnnl-dev and reconfigure".
//
// Threads: oneDNN here runs on OpenMP (omp_get_max_threads() at each call). One OnednnConv2d is not
// safe to call from two threads at once (it reuses its memory objects).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "aisys/kernels/tensor.hpp"

namespace aisys::baselines {

// One 2-D convolution problem. Aggregate: Conv2dShape{.N = 32, .C = 64, .H = 56, .W = 56, .K = 64,
// .R = 3, .S = 3, .stride = 1, .padding = 1}.
struct Conv2dShape {
  std::int64_t N = 1;        // batch
  std::int64_t C = 1;        // input channels
  std::int64_t H = 1;        // input height
  std::int64_t W = 1;        // input width
  std::int64_t K = 1;        // output channels
  std::int64_t R = 1;        // kernel height
  std::int64_t S = 1;        // kernel width
  std::int64_t stride = 1;   // both directions
  std::int64_t padding = 0;  // zeros on every side (symmetric), both directions

  std::int64_t P() const { return (H + 2 * padding - R) / stride + 1; }  // output height
  std::int64_t Q() const { return (W + 2 * padding - S) / stride + 1; }  // output width
  // 2 N K P Q C R S: one multiply and one add per term of every sum above (each direction).
  double flops() const;
  kernels::Shape input_shape() const { return {N, C, H, W}; }
  kernels::Shape weight_shape() const { return {K, C, R, S}; }
  kernels::Shape output_shape() const { return {N, K, P(), Q()}; }
  // Throws InvalidArgument naming the shape unless every size is >= 1, stride >= 1, padding >= 0
  // and the kernel fits in the padded input (R <= H + 2 padding, S <= W + 2 padding).
  void validate() const;
  // "N32 C64 H56 W56 K64 R3 S3 /1 p1" (stride after the slash, padding after p).
  std::string to_string() const;
  friend bool operator==(const Conv2dShape&, const Conv2dShape&) = default;
};

// Which layouts the primitives run on (see the memory formats above).
enum class OnednnFormats { kFastest, kPreferred, kPlain };
const char* formats_name(OnednnFormats formats);  // "fastest", "preferred", "plain"

// True when the project was built with oneDNN (AISYS_ONEDNN).
bool have_onednn();

// {"available": true, "version": "2.6.3", "isa": <the instruction set oneDNN dispatches to>,
//  "threads": omp_get_max_threads(), "threading": "OMP"} or {"available": false, "reason": ...}.
nlohmann::json onednn_info();

// oneDNN float32 convolution for one shape: engine, stream, the three primitives, their reorders
// and buffers are created once, in the constructor (with kFastest, also the trial runs: a few
// calls of each candidate, so construct it outside any timed region, with the thread count it
// will be timed at); each call checks its Tensors, points oneDNN at their data and runs one
// primitive (with its reorders) to completion, allocating nothing.
//
// Tensors: float32, CPU, contiguous, exactly the shapes above. Outputs are preallocated Tensors
// whose storage is overwritten (a Tensor is a view: const refers to the view, not the values) and
// must not share storage with an input. Errors: InvalidArgument naming the op, the expected and
// given shapes and the Conv2dShape; a oneDNN failure throws LibraryError with oneDNN's message.
class OnednnConv2d {
 public:
  explicit OnednnConv2d(const Conv2dShape& shape, OnednnFormats formats = OnednnFormats::kFastest);
  ~OnednnConv2d();
  OnednnConv2d(OnednnConv2d&&) noexcept;
  OnednnConv2d& operator=(OnednnConv2d&&) noexcept;
  OnednnConv2d(const OnednnConv2d&) = delete;
  OnednnConv2d& operator=(const OnednnConv2d&) = delete;

  const Conv2dShape& shape() const { return shape_; }
  OnednnFormats formats() const { return formats_; }

  // y = conv(x, w).        x [N,C,H,W], w [K,C,R,S] -> y [N,K,P,Q]
  void forward(const kernels::Tensor& x, const kernels::Tensor& w, const kernels::Tensor& y);
  // dx = gradient wrt x.   dy [N,K,P,Q], w [K,C,R,S] -> dx [N,C,H,W]
  void backward_data(const kernels::Tensor& dy, const kernels::Tensor& w,
                     const kernels::Tensor& dx);
  // dw = gradient wrt w.   x [N,C,H,W], dy [N,K,P,Q] -> dw [K,C,R,S]
  void backward_weights(const kernels::Tensor& x, const kernels::Tensor& dy,
                        const kernels::Tensor& dw);

  // onednn_info() plus {"shape": to_string(), "formats": formats_name(), "passes": {"forward" |
  // "backward_data" | "backward_weights": {"implementation": <oneDNN's impl_info_str>, "layouts":
  // "plain" | "preferred", "formats": {<argument>: <layout in oneDNN's tag notation: "abcd" is
  // plain, "aBcd16b" is nChw16c>}, "reorders": n, "trial_seconds": {"plain", "preferred"}
  // (kFastest only)}}}.
  nlohmann::json info() const;

 private:
  struct Impl;
  Impl& impl() const;  // throws InvalidArgument on a moved-from object
  Conv2dShape shape_;
  OnednnFormats formats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aisys::baselines
