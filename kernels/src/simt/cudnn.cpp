// The emulated cuDNN (aisys_simt_cudnn): the legacy convolution API that lab 02's cuDNN baseline
// calls (harness/src/cudnn_conv_baselines.cpp), for a program built on the SIMT emulator's runtime
// (aisys::simt_cudart), so that the baseline's descriptors, algorithm choice and workspace are
// tested on a machine without a GPU.
//
// Handles, 4-d NCHW float tensor and filter descriptors, 2-d convolution descriptors (padding,
// stride and dilation per direction, cross-correlation or convolution, a math type), the output
// dimensions, cudnnFind* / workspace sizes, and the forward, backward-data and backward-filter
// convolutions, computed in double from the descriptors alone, with cuDNN's y = alpha op + beta y
// (y not read when beta is 0). What cuDNN refuses is refused with its status and a line on stderr:
// descriptors whose sizes disagree with the convolution, an output descriptor of the wrong size,
// pointers that are not device memory, a workspace smaller than the algorithm needs, an algorithm
// the emulator does not list. Math types as cuDNN 9 applies them to float: without CUDNN_FMA_MATH on
// the convolution descriptor the inputs are rounded to TF32 (10-bit mantissa) first, as tensor
// cores would, so a baseline that forgets to ask for FMA math loses float32 accuracy here as on
// a GPU. cudnnFind* lists, fastest first, a tensor-op variant (CUDNN_TENSOR_OP_MATH, which a search
// may list ahead of the FMA ones), then the FMA-math algorithms (one with a workspace, one
// without), then one that is not supported; the times are made up and only their order means
// anything. The work is synchronous, after the handle's stream has finished what it holds.
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "aisys/kernels/simt/runtime_support.hpp"

struct cudnnContext {
  cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
  bool set = false;
  int n = 0, c = 0, h = 0, w = 0;
};
struct cudnnFilterStruct {
  bool set = false;
  int k = 0, c = 0, h = 0, w = 0;
};
struct cudnnConvolutionStruct {
  bool set = false;
  int pad_h = 0, pad_w = 0, stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1;
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

namespace {

cudnnStatus_t fail(cudnnStatus_t s, const std::string& why) {
  std::fprintf(stderr, "[ simt cudnn ] %s\n", why.c_str());
  return s;
}

std::string dims(int a, int b, int c, int d) {
  return std::to_string(a) + " x " + std::to_string(b) + " x " + std::to_string(c) + " x " + std::to_string(d);
}

// The geometry of one convolution, from its descriptors.
struct Geometry {
  int N, C, H, W, K, R, S, P, Q;
  const cudnnConvolutionStruct* conv;
  std::size_t columns_bytes() const {  // one image's im2col matrix, C R S x P Q floats
    return static_cast<std::size_t>(C) * R * S * P * Q * sizeof(float);
  }
  // Element counts and offsets of x [N, C, H, W], w [K, C, R, S] and y [N, K, P, Q].
  std::size_t x_size() const { return static_cast<std::size_t>(N) * C * H * W; }
  std::size_t w_size() const { return static_cast<std::size_t>(K) * C * R * S; }
  std::size_t y_size() const { return static_cast<std::size_t>(N) * K * P * Q; }
  std::size_t x_at(int n, int c, int i, int j) const { return ((static_cast<std::size_t>(n) * C + c) * H + i) * W + j; }
  std::size_t w_at(int k, int c, int r, int s) const { return ((static_cast<std::size_t>(k) * C + c) * R + r) * S + s; }
  std::size_t y_at(int n, int k, int p, int q) const { return ((static_cast<std::size_t>(n) * K + k) * P + p) * Q + q; }
};

cudnnStatus_t output_dims(const cudnnConvolutionStruct* conv, const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                          int* p, int* q, const char* call) {
  if (conv == nullptr || x == nullptr || w == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, std::string(call) + ": a null descriptor");
  if (!conv->set || !x->set || !w->set) return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": a descriptor that was never set");
  if (x->c != w->c) {
    return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": the input has " + std::to_string(x->c) +
                                            " channels and the filter " + std::to_string(w->c));
  }
  const int eff_r = (w->h - 1) * conv->dil_h + 1, eff_s = (w->w - 1) * conv->dil_w + 1;
  const int ph = x->h + 2 * conv->pad_h - eff_r, pw = x->w + 2 * conv->pad_w - eff_s;
  if (ph < 0 || pw < 0) {
    return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": a " + std::to_string(w->h) + " x " + std::to_string(w->w) +
                                            " filter does not fit the padded " + std::to_string(x->h) + " x " +
                                            std::to_string(x->w) + " input");
  }
  *p = ph / conv->stride_h + 1;
  *q = pw / conv->stride_w + 1;
  return CUDNN_STATUS_SUCCESS;
}

// The geometry, checking the output (or output-gradient) descriptor against it.
cudnnStatus_t geometry(const cudnnConvolutionStruct* conv, const cudnnTensorStruct* x, const cudnnFilterStruct* w,
                       const cudnnTensorStruct* y, const char* call, Geometry* g) {
  int p = 0, q = 0;
  if (const cudnnStatus_t s = output_dims(conv, x, w, &p, &q, call); s != CUDNN_STATUS_SUCCESS) return s;
  if (y == nullptr || !y->set) return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": the output descriptor was never set");
  if (y->n != x->n || y->c != w->k || y->h != p || y->w != q) {
    return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": the output descriptor is " + dims(y->n, y->c, y->h, y->w) +
                                            ", the convolution's output " + dims(x->n, w->k, p, q));
  }
  *g = {x->n, x->c, x->h, x->w, w->k, w->h, w->w, p, q, conv};
  return CUDNN_STATUS_SUCCESS;
}

// A pass's buffer: its name, where it is and which of the three tensors' sizes it has.
enum class Extent { kX, kW, kY };
struct Buffer {
  const char* name;
  const void* p;
  Extent extent;
};
std::size_t floats_of(const Geometry& g, Extent e) {
  return e == Extent::kX ? g.x_size() : e == Extent::kW ? g.w_size() : g.y_size();
}
// Each buffer must lie inside one device allocation.
cudnnStatus_t check_buffers(const char* call, const Geometry& g, std::initializer_list<Buffer> buffers) {
  for (const Buffer& b : buffers) {
    const std::size_t floats = floats_of(g, b.extent);
    if (b.p == nullptr || !aisys::simt::cuda::is_device_range(b.p, floats * sizeof(float))) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%p", b.p);
      return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": " + b.name + " " + buf + " (" + std::to_string(floats) +
                                              " floats) is not inside one device allocation");
    }
  }
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t check_handle(cudnnHandle_t h, const char* call) {
  if (h == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, std::string(call) + ": a null handle");
  if (cudaStreamSynchronize(h->stream) != cudaSuccess) return fail(CUDNN_STATUS_EXECUTION_FAILED, std::string(call) + ": the handle's stream failed");
  return CUDNN_STATUS_SUCCESS;
}

// The algorithms listed for each pass: the tensor-op one, then FMA with a workspace, FMA without,
// then one not supported.
template <class Algo>
struct Listing {
  Algo tensor_op, with_workspace, without_workspace, unsupported;
};
constexpr Listing<cudnnConvolutionFwdAlgo_t> kForward{CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
                                                      CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
                                                      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                                      CUDNN_CONVOLUTION_FWD_ALGO_FFT};
constexpr Listing<cudnnConvolutionBwdDataAlgo_t> kBackwardData{CUDNN_CONVOLUTION_BWD_DATA_ALGO_1,
                                                               CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING,
                                                               CUDNN_CONVOLUTION_BWD_DATA_ALGO_0,
                                                               CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD};
constexpr Listing<cudnnConvolutionBwdFilterAlgo_t> kBackwardFilter{CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1,
                                                                   CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3,
                                                                   CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0,
                                                                   CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT};

// The workspace `algo` needs, or false when the emulator does not run it.
template <class Algo>
bool workspace_of(const Listing<Algo>& l, Algo algo, const Geometry& g, std::size_t* bytes) {
  if (algo == l.with_workspace) *bytes = g.columns_bytes();
  else if (algo == l.tensor_op || algo == l.without_workspace) *bytes = 0;
  else return false;
  return true;
}

// cudnnFind*: the handle and descriptors checked, then the listing.
template <class Perf, class Algo>
cudnnStatus_t find(const Listing<Algo>& l, cudnnHandle_t h, const cudnnConvolutionStruct* conv, const cudnnTensorStruct* x,
                   const cudnnFilterStruct* w, const cudnnTensorStruct* y, int requested, int* returned, Perf* results,
                   const char* call) {
  Geometry g{};
  if (const cudnnStatus_t s = check_handle(h, call); s != CUDNN_STATUS_SUCCESS) return s;
  if (const cudnnStatus_t s = geometry(conv, x, w, y, call, &g); s != CUDNN_STATUS_SUCCESS) return s;
  if (returned == nullptr || results == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, std::string(call) + ": a null result pointer");
  if (requested < 1) return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": requestedAlgoCount " + std::to_string(requested));
  const cudnnMathType_t fma = g.conv->math == CUDNN_FMA_MATH ? CUDNN_FMA_MATH : CUDNN_DEFAULT_MATH;
  struct Entry {
    Algo algo;
    cudnnStatus_t status;
    float time;
    std::size_t memory;
    cudnnMathType_t math;
  };
  const Entry entries[] = {{l.tensor_op, CUDNN_STATUS_SUCCESS, 0.25f, 0, CUDNN_TENSOR_OP_MATH},
                           {l.with_workspace, CUDNN_STATUS_SUCCESS, 0.5f, g.columns_bytes(), fma},
                           {l.without_workspace, CUDNN_STATUS_SUCCESS, 1.0f, 0, fma},
                           {l.unsupported, CUDNN_STATUS_NOT_SUPPORTED, -1.0f, 0, CUDNN_DEFAULT_MATH}};
  int n = 0;
  for (const Entry& e : entries) {
    if (n == requested) break;
    Perf p{};
    p.algo = e.algo;
    p.status = e.status;
    p.time = e.time;
    p.memory = e.memory;
    p.determinism = CUDNN_DETERMINISTIC;
    p.mathType = e.math;
    results[n++] = p;
  }
  *returned = n;
  return CUDNN_STATUS_SUCCESS;
}

template <class Algo>
cudnnStatus_t check_algorithm(const Listing<Algo>& l, Algo algo, const Geometry& g, const void* workspace,
                              std::size_t workspace_bytes, const char* call) {
  std::size_t need = 0;
  if (!workspace_of(l, algo, g, &need)) {
    return fail(CUDNN_STATUS_NOT_SUPPORTED, std::string(call) + ": algorithm " + std::to_string(static_cast<int>(algo)) +
                                                " is not one cudnnFind* listed as supported");
  }
  if (workspace_bytes < need) {
    return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": a workspace of " + std::to_string(workspace_bytes) +
                                            " bytes for an algorithm that needs " + std::to_string(need));
  }
  if (need > 0) {
    if (workspace == nullptr || !aisys::simt::cuda::is_device_range(workspace, need)) {
      return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": the workspace does not hold the " + std::to_string(need) +
                                              " bytes of device memory the algorithm needs");
    }
    std::memset(const_cast<void*>(workspace), 0xff, need);  // used, as the algorithm uses it
  }
  return CUDNN_STATUS_SUCCESS;
}

// A float as the convolution's math type reads it: unchanged under CUDNN_FMA_MATH, rounded to
// TF32 (10 of float32's 23 mantissa bits, to nearest even) otherwise.
double operand(float v, const cudnnConvolutionStruct* conv) {
  if (conv->math == CUDNN_FMA_MATH || !std::isfinite(v)) return v;
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  bits += 0x0fffu + ((bits >> 13) & 1u);
  bits &= ~0x1fffu;
  float r;
  std::memcpy(&r, &bits, sizeof r);
  return r;
}

// Calls f(n, k, c, p, q, r, s, xi, xj) for every term of the convolution whose input index
// (xi, xj) lies inside the input, the filter taken flipped for CUDNN_CONVOLUTION.
template <class F>
void for_each_term(const Geometry& g, F&& f) {
  const cudnnConvolutionStruct& cv = *g.conv;
  for (int n = 0; n < g.N; ++n)
    for (int k = 0; k < g.K; ++k)
      for (int p = 0; p < g.P; ++p)
        for (int q = 0; q < g.Q; ++q)
          for (int c = 0; c < g.C; ++c)
            for (int r = 0; r < g.R; ++r) {
              const int xi = p * cv.stride_h - cv.pad_h + r * cv.dil_h;
              if (xi < 0 || xi >= g.H) continue;
              for (int s = 0; s < g.S; ++s) {
                const int xj = q * cv.stride_w - cv.pad_w + s * cv.dil_w;
                if (xj < 0 || xj >= g.W) continue;
                const int fr = cv.mode == CUDNN_CONVOLUTION ? g.R - 1 - r : r;
                const int fs = cv.mode == CUDNN_CONVOLUTION ? g.S - 1 - s : s;
                f(n, k, c, p, q, fr, fs, xi, xj);
              }
            }
}

// out = alpha acc + beta out, out not read when beta is 0.
void blend(float* out, const std::vector<double>& acc, const void* alpha, const void* beta) {
  const double a = *static_cast<const float*>(alpha), b = *static_cast<const float*>(beta);
  for (std::size_t i = 0; i < acc.size(); ++i) {
    out[i] = static_cast<float>(b == 0.0 ? a * acc[i] : a * acc[i] + b * out[i]);
  }
}


// One call of a convolution pass: its name, handle and descriptors (x the input or its gradient,
// w the filter or its gradient, y the output or its gradient), workspace and scaling.
struct Pass {
  const char* call;
  cudnnHandle_t handle;
  const cudnnConvolutionStruct* conv;
  const cudnnTensorStruct* x;
  const cudnnFilterStruct* w;
  const cudnnTensorStruct* y;
  void* workspace;
  std::size_t workspace_bytes;
  const void* alpha;
  const void* beta;
};

// Checks a pass as cuDNN does, then accumulates term(g, acc, n, k, c, p, q, r, s, xi, xj) over the
// convolution into a double array of size(g) elements and blends it into `out`.
// `a`, `b`: the pass's inputs; `out` its output.
template <class Algo, class Term>
cudnnStatus_t run(const Pass& pass, const Listing<Algo>& listing, Algo algo, Buffer a, Buffer b, Buffer out, Term term) {
  Geometry g{};
  if (const cudnnStatus_t s = check_handle(pass.handle, pass.call); s != CUDNN_STATUS_SUCCESS) return s;
  if (const cudnnStatus_t s = geometry(pass.conv, pass.x, pass.w, pass.y, pass.call, &g); s != CUDNN_STATUS_SUCCESS) return s;
  if (const cudnnStatus_t s = check_buffers(pass.call, g, {a, b, out}); s != CUDNN_STATUS_SUCCESS) return s;
  if (const cudnnStatus_t s = check_algorithm(listing, algo, g, pass.workspace, pass.workspace_bytes, pass.call);
      s != CUDNN_STATUS_SUCCESS) {
    return s;
  }
  std::vector<double> acc(floats_of(g, out.extent), 0.0);
  for_each_term(g, [&](int n, int k, int c, int p, int q, int r, int s, int xi, int xj) {
    term(g, acc, n, k, c, p, q, r, s, xi, xj);
  });
  blend(static_cast<float*>(const_cast<void*>(out.p)), acc, pass.alpha, pass.beta);
  return CUDNN_STATUS_SUCCESS;
}

template <class T>
cudnnStatus_t create(T** d, const char* call) {
  if (d == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, std::string(call) + ": a null pointer");
  *d = new T;
  return CUDNN_STATUS_SUCCESS;
}
// A tensor or filter descriptor's four sizes (NCHW or KCRS), float32 only.
template <class T>
cudnnStatus_t set_4d(T* d, cudnnTensorFormat_t format, cudnnDataType_t type, int a, int b, int c, int e,
                     const char* call, const char* kinds) {
  if (d == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, std::string(call) + ": a null descriptor");
  if (a < 1 || b < 1 || c < 1 || e < 1) return fail(CUDNN_STATUS_BAD_PARAM, std::string(call) + ": sizes " + dims(a, b, c, e));
  if (format != CUDNN_TENSOR_NCHW || type != CUDNN_DATA_FLOAT) {
    return fail(CUDNN_STATUS_NOT_SUPPORTED, std::string(call) + ": the emulated cuDNN has " + kinds + " only");
  }
  *d = {true, a, b, c, e};
  return CUDNN_STATUS_SUCCESS;
}
template <class T>
cudnnStatus_t destroy(T* d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

const char* cudnnGetErrorString(cudnnStatus_t s) {
  switch (s) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_BAD_PARAM_NULL_POINTER: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
    default: return "CUDNN_STATUS_UNKNOWN (the emulated cuDNN does not name it)";
  }
}

cudnnStatus_t cudnnCreate(cudnnHandle_t* h) { return create(h, "cudnnCreate"); }
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) { return destroy(h); }
cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t stream) {
  if (h == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnSetStream: a null handle");
  unsigned flags = 0;
  if (cudaStreamGetFlags(stream, &flags) != cudaSuccess) {
    (void)cudaGetLastError();  // the error this call caused
    return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream: a stream that does not exist");
  }
  h->stream = stream;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* d) { return create(d, "cudnnCreateTensorDescriptor"); }
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) { return destroy(d); }
cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t d, cudnnTensorFormat_t format, cudnnDataType_t type,
                                         int n, int c, int h, int w) {
  return set_4d(d, format, type, n, c, h, w, "cudnnSetTensor4dDescriptor", "NCHW float32 tensors");
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* d) { return create(d, "cudnnCreateFilterDescriptor"); }
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) { return destroy(d); }
cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t type, cudnnTensorFormat_t format,
                                         int k, int c, int h, int w) {
  return set_4d(d, format, type, k, c, h, w, "cudnnSetFilter4dDescriptor", "KCRS float32 filters");
}

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* d) {
  return create(d, "cudnnCreateConvolutionDescriptor");
}
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) { return destroy(d); }
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int pad_h, int pad_w, int u, int v,
                                              int dilation_h, int dilation_w, cudnnConvolutionMode_t mode,
                                              cudnnDataType_t compute) {
  if (d == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnSetConvolution2dDescriptor: a null descriptor");
  if (pad_h < 0 || pad_w < 0 || u < 1 || v < 1 || dilation_h < 1 || dilation_w < 1) {
    return fail(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolution2dDescriptor: padding " + std::to_string(pad_h) + ", " +
                                            std::to_string(pad_w) + ", stride " + std::to_string(u) + ", " +
                                            std::to_string(v) + ", dilation " + std::to_string(dilation_h) + ", " +
                                            std::to_string(dilation_w));
  }
  if (compute != CUDNN_DATA_FLOAT) {
    return fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnSetConvolution2dDescriptor: the emulated cuDNN computes in float only");
  }
  const cudnnMathType_t math = d->math;
  *d = {true, pad_h, pad_w, u, v, dilation_h, dilation_w, mode, math};
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t math) {
  if (d == nullptr) return fail(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnSetConvolutionMathType: a null descriptor");
  d->math = math;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t conv,
                                                    const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t w,
                                                    int* n, int* c, int* h, int* wo) {
  int p = 0, q = 0;
  if (const cudnnStatus_t s = output_dims(conv, x, w, &p, &q, "cudnnGetConvolution2dForwardOutputDim");
      s != CUDNN_STATUS_SUCCESS) {
    return s;
  }
  *n = x->n;
  *c = w->k;
  *h = p;
  *wo = q;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = 4;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = 4;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t, int* count) {
  *count = 4;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                   const cudnnFilterDescriptor_t w, const cudnnConvolutionDescriptor_t conv,
                                                   const cudnnTensorDescriptor_t y, const int requested, int* returned,
                                                   cudnnConvolutionFwdAlgoPerf_t* results) {
  return find(kForward, h, conv, x, w, y, requested, returned, results, "cudnnFindConvolutionForwardAlgorithm");
}
cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t h, const cudnnFilterDescriptor_t w,
                                                        const cudnnTensorDescriptor_t dy,
                                                        const cudnnConvolutionDescriptor_t conv,
                                                        const cudnnTensorDescriptor_t dx, const int requested,
                                                        int* returned, cudnnConvolutionBwdDataAlgoPerf_t* results) {
  return find(kBackwardData, h, conv, dx, w, dy, requested, returned, results, "cudnnFindConvolutionBackwardDataAlgorithm");
}
cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(cudnnHandle_t h, const cudnnTensorDescriptor_t x,
                                                          const cudnnTensorDescriptor_t dy,
                                                          const cudnnConvolutionDescriptor_t conv,
                                                          const cudnnFilterDescriptor_t dw, const int requested,
                                                          int* returned, cudnnConvolutionBwdFilterAlgoPerf_t* results) {
  return find(kBackwardFilter, h, conv, x, dw, dy, requested, returned, results, "cudnnFindConvolutionBackwardFilterAlgorithm");
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t x,
                                                      const cudnnFilterDescriptor_t w,
                                                      const cudnnConvolutionDescriptor_t conv,
                                                      const cudnnTensorDescriptor_t y, cudnnConvolutionFwdAlgo_t algo,
                                                      size_t* bytes) {
  Geometry g{};
  if (const cudnnStatus_t s = geometry(conv, x, w, y, "cudnnGetConvolutionForwardWorkspaceSize", &g); s != CUDNN_STATUS_SUCCESS) return s;
  return workspace_of(kForward, algo, g, bytes) ? CUDNN_STATUS_SUCCESS
                                                : fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnGetConvolutionForwardWorkspaceSize: an algorithm not listed");
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t, const cudnnFilterDescriptor_t w,
                                                           const cudnnTensorDescriptor_t dy,
                                                           const cudnnConvolutionDescriptor_t conv,
                                                           const cudnnTensorDescriptor_t dx,
                                                           cudnnConvolutionBwdDataAlgo_t algo, size_t* bytes) {
  Geometry g{};
  if (const cudnnStatus_t s = geometry(conv, dx, w, dy, "cudnnGetConvolutionBackwardDataWorkspaceSize", &g); s != CUDNN_STATUS_SUCCESS) return s;
  return workspace_of(kBackwardData, algo, g, bytes)
             ? CUDNN_STATUS_SUCCESS
             : fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnGetConvolutionBackwardDataWorkspaceSize: an algorithm not listed");
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t, const cudnnTensorDescriptor_t x,
                                                             const cudnnTensorDescriptor_t dy,
                                                             const cudnnConvolutionDescriptor_t conv,
                                                             const cudnnFilterDescriptor_t dw,
                                                             cudnnConvolutionBwdFilterAlgo_t algo, size_t* bytes) {
  Geometry g{};
  if (const cudnnStatus_t s = geometry(conv, x, dw, dy, "cudnnGetConvolutionBackwardFilterWorkspaceSize", &g); s != CUDNN_STATUS_SUCCESS) return s;
  return workspace_of(kBackwardFilter, algo, g, bytes)
             ? CUDNN_STATUS_SUCCESS
             : fail(CUDNN_STATUS_NOT_SUPPORTED, "cudnnGetConvolutionBackwardFilterWorkspaceSize: an algorithm not listed");
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t xd, const void* x,
                                      const cudnnFilterDescriptor_t wd, const void* w,
                                      const cudnnConvolutionDescriptor_t conv, cudnnConvolutionFwdAlgo_t algo,
                                      void* workspace, size_t workspace_bytes, const void* beta,
                                      const cudnnTensorDescriptor_t yd, void* y) {
  const Pass pass{"cudnnConvolutionForward", h, conv, xd, wd, yd, workspace, workspace_bytes, alpha, beta};
  return run(pass, kForward, algo, {"x", x, Extent::kX}, {"w", w, Extent::kW}, {"y", y, Extent::kY},
             [&](const Geometry& g, std::vector<double>& acc, int n, int k, int c, int p, int q, int r, int s, int xi, int xj) {
               acc[g.y_at(n, k, p, q)] += operand(static_cast<const float*>(x)[g.x_at(n, c, xi, xj)], conv) *
                                          operand(static_cast<const float*>(w)[g.w_at(k, c, r, s)], conv);
             });
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void* alpha, const cudnnFilterDescriptor_t wd,
                                           const void* w, const cudnnTensorDescriptor_t dyd, const void* dy,
                                           const cudnnConvolutionDescriptor_t conv, cudnnConvolutionBwdDataAlgo_t algo,
                                           void* workspace, size_t workspace_bytes, const void* beta,
                                           const cudnnTensorDescriptor_t dxd, void* dx) {
  const Pass pass{"cudnnConvolutionBackwardData", h, conv, dxd, wd, dyd, workspace, workspace_bytes, alpha, beta};
  return run(pass, kBackwardData, algo, {"w", w, Extent::kW}, {"dy", dy, Extent::kY}, {"dx", dx, Extent::kX},
             [&](const Geometry& g, std::vector<double>& acc, int n, int k, int c, int p, int q, int r, int s, int xi, int xj) {
               acc[g.x_at(n, c, xi, xj)] += operand(static_cast<const float*>(dy)[g.y_at(n, k, p, q)], conv) *
                                            operand(static_cast<const float*>(w)[g.w_at(k, c, r, s)], conv);
             });
}

cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void* alpha, const cudnnTensorDescriptor_t xd,
                                             const void* x, const cudnnTensorDescriptor_t dyd, const void* dy,
                                             const cudnnConvolutionDescriptor_t conv,
                                             cudnnConvolutionBwdFilterAlgo_t algo, void* workspace,
                                             size_t workspace_bytes, const void* beta,
                                             const cudnnFilterDescriptor_t dwd, void* dw) {
  const Pass pass{"cudnnConvolutionBackwardFilter", h, conv, xd, dwd, dyd, workspace, workspace_bytes, alpha, beta};
  return run(pass, kBackwardFilter, algo, {"x", x, Extent::kX}, {"dy", dy, Extent::kY}, {"dw", dw, Extent::kW},
             [&](const Geometry& g, std::vector<double>& acc, int n, int k, int c, int p, int q, int r, int s, int xi, int xj) {
               acc[g.w_at(k, c, r, s)] += operand(static_cast<const float*>(dy)[g.y_at(n, k, p, q)], conv) *
                                          operand(static_cast<const float*>(x)[g.x_at(n, c, xi, xj)], conv);
             });
}

}  // extern "C"
