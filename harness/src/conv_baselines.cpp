// oneDNN convolution baselines (aisys/harness/conv_baselines.hpp). Compiled with
// AISYS_HAVE_ONEDNN when the build found oneDNN 2.x; otherwise every OnednnConv2d call throws
// "built without oneDNN". Written against the oneDNN 2.x C++ API (operation descriptors:
// convolution_forward::desc, then a primitive_desc, then the primitive).
#include "aisys/harness/conv_baselines.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "aisys/kernels/error.hpp"

#if AISYS_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace aisys::baselines {

using kernels::DType;
using kernels::Tensor;

double Conv2dShape::flops() const {
  return 2.0 * static_cast<double>(N) * static_cast<double>(K) * static_cast<double>(P()) *
         static_cast<double>(Q()) * static_cast<double>(C) * static_cast<double>(R) *
         static_cast<double>(S);
}

std::string Conv2dShape::to_string() const {
  std::ostringstream out;
  out << "N" << N << " C" << C << " H" << H << " W" << W << " K" << K << " R" << R << " S" << S
      << " /" << stride << " p" << padding;
  return out.str();
}

void Conv2dShape::validate() const {
  const auto fail = [&](const std::string& why) {
    throw InvalidArgument("conv2d shape " + to_string() + ": " + why);
  };
  if (N < 1 || C < 1 || H < 1 || W < 1 || K < 1 || R < 1 || S < 1) {
    fail("every size (N, C, H, W, K, R, S) must be at least 1");
  }
  if (stride < 1) fail("stride must be at least 1");
  if (padding < 0) fail("padding must not be negative");
  if (R > H + 2 * padding || S > W + 2 * padding) {
    fail("the " + std::to_string(R) + "x" + std::to_string(S) + " kernel does not fit in the " +
         std::to_string(H + 2 * padding) + "x" + std::to_string(W + 2 * padding) + " padded input");
  }
}

const char* formats_name(OnednnFormats formats) {
  switch (formats) {
    case OnednnFormats::kFastest:
      return "fastest";
    case OnednnFormats::kPreferred:
      return "preferred";
    case OnednnFormats::kPlain:
      return "plain";
  }
  return "?";
}

bool have_onednn() { return AISYS_HAVE_ONEDNN != 0; }

#if AISYS_HAVE_ONEDNN

namespace {

using dnnl::memory;
using Tag = memory::format_tag;

// oneDNN's C++ API throws dnnl::error; the harness reports library errors as LibraryError with the
// statement, the library's status and message (aisys/kernels/error.hpp).
#define AISYS_ONEDNN_CHECK(statement)                                                            \
  do {                                                                                           \
    try {                                                                                        \
      statement;                                                                                 \
    } catch (const dnnl::error& e) {                                                             \
      ::aisys::report_library_error("oneDNN", static_cast<long>(e.status), e.what(), #statement, \
                                    __func__, __FILE__, __LINE__);                               \
    }                                                                                            \
  } while (0)

// Checks one Tensor argument of `op`: defined, float32, CPU, contiguous, the expected shape.
void check_tensor(const char* op, const char* name, const Tensor& t, const kernels::Shape& want,
                  const Conv2dShape& shape) {
  const auto fail = [&](const std::string& got) {
    throw InvalidArgument(std::string("onednn conv2d ") + op + ": " + name + " must be float32" +
                          kernels::to_string(want) + " contiguous on the cpu (" +
                          shape.to_string() + "), got " + got);
  };
  if (!t.defined()) fail("an undefined tensor");
  const std::string desc = std::string(kernels::name_of(t.dtype())) + kernels::to_string(t.shape());
  if (t.dtype() != DType::kFloat32 || t.shape() != want) fail(desc);
  if (!t.device().is_cpu()) fail(desc + " on " + kernels::to_string(t.device()));
  if (!t.is_contiguous()) fail(desc + " with strides " + kernels::to_string(t.strides()));
}

void check_not_aliased(const char* op, const char* out_name, const Tensor& out, const char* in_name,
                       const Tensor& in) {
  if (out.shares_storage(in)) {
    throw InvalidArgument(std::string("onednn conv2d ") + op + ": the output " + out_name +
                          " shares storage with the input " + in_name +
                          " (oneDNN convolution is not in place)");
  }
}

const char* isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41:
      return "sse41";
    case dnnl::cpu_isa::avx:
      return "avx";
    case dnnl::cpu_isa::avx2:
      return "avx2";
    case dnnl::cpu_isa::avx2_vnni:
      return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core:
      return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "other";
  }
}

// The three passes, in the order Impl keeps them.
enum PassIndex : std::size_t { kForwardPass = 0, kBackwardDataPass = 1, kBackwardWeightsPass = 2 };
constexpr std::array<const char*, 3> kPassNames = {"forward", "backward_data", "backward_weights"};

// oneDNN's tag notation for a memory descriptor: the logical dimensions (NCHW or OIHW order) as
// a, b, c, d from the outermost to the innermost in memory, capitals for blocked dimensions, then
// the inner blocks: "abcd" is plain NCHW/OIHW, "aBcd16b" is nChw16c, "ABcd16b16a" is OIhw16i16o.
std::string format_name(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked)
    return "non-blocked (format kind " + std::to_string(d.format_kind) + ")";
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  std::vector<int> order(static_cast<std::size_t>(d.ndims));
  for (int i = 0; i < d.ndims; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int l, int r) { return b.strides[l] > b.strides[r]; });
  std::vector<bool> blocked(static_cast<std::size_t>(d.ndims), false);
  for (int i = 0; i < b.inner_nblks; ++i) blocked[static_cast<std::size_t>(b.inner_idxs[i])] = true;
  std::string name;
  for (int i : order) {
    name += static_cast<char>((blocked[static_cast<std::size_t>(i)] ? 'A' : 'a') + i);
  }
  for (int i = 0; i < b.inner_nblks; ++i) {
    name += std::to_string(b.inner_blks[i]) + static_cast<char>('a' + b.inner_idxs[i]);
  }
  return name;
}

}  // namespace

// One primitive (forward, backward data or backward weights) with its three arguments. Each
// argument is a Tensor in the plain layout; where the primitive wants another layout, the port
// owns a buffer in that layout and a reorder to it (inputs) or from it (the output).
struct OnednnConv2d::Impl {
  struct Port {
    int arg = 0;
    bool output = false;
    memory user;      // the Tensor's data, plain layout (handle set by each call)
    memory internal;  // the primitive's layout when it differs from plain, else empty
    dnnl::reorder reorder;
    std::unordered_map<int, memory> reorder_args;
    bool needs_reorder() const { return static_cast<bool>(internal); }
  };
  struct Pass {
    dnnl::primitive primitive;
    std::string implementation;
    bool plain = true;          // created for the plain layouts, or with format_tag::any
    std::array<Port, 3> ports;  // in the order of the call's Tensor arguments: in, in, out
    std::unordered_map<int, memory> args;
    // kFastest only: the best time of each candidate on the constructor's trial runs.
    double plain_seconds = 0.0, preferred_seconds = 0.0;
  };
  using Passes = std::array<Pass, 3>;

  dnnl::engine engine;
  dnnl::stream stream;
  Passes passes;

  Impl(const Conv2dShape& s, OnednnFormats formats) {
    AISYS_ONEDNN_CHECK(engine = dnnl::engine(dnnl::engine::kind::cpu, 0));
    AISYS_ONEDNN_CHECK(stream = dnnl::stream(engine));
    if (formats == OnednnFormats::kPlain) {
      passes = build(s, true);
    } else if (formats == OnednnFormats::kPreferred) {
      passes = build(s, false);
    } else {
      choose_fastest(s);
    }
  }

  Port make_port(int arg, bool output, const memory::desc& plain, const memory::desc& wanted) {
    Port port;
    port.arg = arg;
    port.output = output;
    AISYS_ONEDNN_CHECK(port.user = memory(plain, engine, DNNL_MEMORY_NONE));
    if (wanted != plain) {
      AISYS_ONEDNN_CHECK(port.internal = memory(wanted, engine));  // oneDNN allocates it
      const memory& from = output ? port.internal : port.user;
      const memory& to = output ? port.user : port.internal;
      AISYS_ONEDNN_CHECK(port.reorder = dnnl::reorder(dnnl::reorder::primitive_desc(
                             engine, from.get_desc(), engine, to.get_desc())));
      port.reorder_args = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    }
    return port;
  }

  static void finish_pass(Pass& pass, bool plain) {
    pass.plain = plain;
    for (const Port& port : pass.ports) {
      pass.args[port.arg] = port.needs_reorder() ? port.internal : port.user;
    }
  }

  // The three passes for the plain layouts (plain) or for the layouts oneDNN prefers.
  Passes build(const Conv2dShape& s, bool plain) {
    const memory::dims strides{s.stride, s.stride};
    const memory::dims padding{s.padding, s.padding};
    const auto f32 = memory::data_type::f32;
    const memory::desc src_plain({s.N, s.C, s.H, s.W}, f32, Tag::nchw);
    const memory::desc weights_plain({s.K, s.C, s.R, s.S}, f32, Tag::oihw);
    const memory::desc dst_plain({s.N, s.K, s.P(), s.Q()}, f32, Tag::nchw);
    const auto md = [&](const memory::desc& plain_md) {
      return plain ? plain_md : memory::desc(plain_md.dims(), f32, Tag::any);
    };
    const memory::desc src_md = md(src_plain), weights_md = md(weights_plain),
                       dst_md = md(dst_plain);
    const auto algo = dnnl::algorithm::convolution_direct;

    // forward_training: the forward a training step (lab 02) runs; also the hint that the backward
    // primitive descriptors need.
    dnnl::convolution_forward::primitive_desc fwd;
    dnnl::convolution_backward_data::primitive_desc bwd_data;
    dnnl::convolution_backward_weights::primitive_desc bwd_weights;
    AISYS_ONEDNN_CHECK(
        fwd = dnnl::convolution_forward::primitive_desc(
            dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, src_md,
                                            weights_md, dst_md, strides, padding, padding),
            engine));
    AISYS_ONEDNN_CHECK(bwd_data = dnnl::convolution_backward_data::primitive_desc(
                           dnnl::convolution_backward_data::desc(algo, src_md, weights_md, dst_md,
                                                                 strides, padding, padding),
                           engine, fwd));
    AISYS_ONEDNN_CHECK(bwd_weights = dnnl::convolution_backward_weights::primitive_desc(
                           dnnl::convolution_backward_weights::desc(
                               algo, src_md, weights_md, dst_md, strides, padding, padding),
                           engine, fwd));

    Passes out;
    Pass& forward = out[kForwardPass];
    AISYS_ONEDNN_CHECK(forward.primitive = dnnl::convolution_forward(fwd));
    forward.implementation = fwd.impl_info_str();
    forward.ports = {make_port(DNNL_ARG_SRC, false, src_plain, fwd.src_desc()),
                     make_port(DNNL_ARG_WEIGHTS, false, weights_plain, fwd.weights_desc()),
                     make_port(DNNL_ARG_DST, true, dst_plain, fwd.dst_desc())};
    finish_pass(forward, plain);

    Pass& backward_data = out[kBackwardDataPass];
    AISYS_ONEDNN_CHECK(backward_data.primitive = dnnl::convolution_backward_data(bwd_data));
    backward_data.implementation = bwd_data.impl_info_str();
    backward_data.ports = {
        make_port(DNNL_ARG_DIFF_DST, false, dst_plain, bwd_data.diff_dst_desc()),
        make_port(DNNL_ARG_WEIGHTS, false, weights_plain, bwd_data.weights_desc()),
        make_port(DNNL_ARG_DIFF_SRC, true, src_plain, bwd_data.diff_src_desc())};
    finish_pass(backward_data, plain);

    Pass& backward_weights = out[kBackwardWeightsPass];
    AISYS_ONEDNN_CHECK(backward_weights.primitive =
                           dnnl::convolution_backward_weights(bwd_weights));
    backward_weights.implementation = bwd_weights.impl_info_str();
    backward_weights.ports = {
        make_port(DNNL_ARG_SRC, false, src_plain, bwd_weights.src_desc()),
        make_port(DNNL_ARG_DIFF_DST, false, dst_plain, bwd_weights.diff_dst_desc()),
        make_port(DNNL_ARG_DIFF_WEIGHTS, true, weights_plain, bwd_weights.diff_weights_desc())};
    finish_pass(backward_weights, plain);
    return out;
  }

  // kFastest: builds both candidates of every pass, times each whole call (reorders included) on
  // scratch Tensors (one warm-up, then the best of at least 3 runs and 20 ms), keeps the faster.
  // The candidates are timed in turns, so a drift of the machine's speed hits both alike.
  void choose_fastest(const Conv2dShape& s) {
    Passes plain = build(s, true);
    Passes preferred = build(s, false);
    // x doubles as dx and w as dw: no pass reads the tensor it writes.
    const Tensor x = Tensor::uniform(s.input_shape(), -1.0, 1.0, 1);
    const Tensor w = Tensor::uniform(s.weight_shape(), -1.0, 1.0, 2);
    const Tensor y = Tensor::uniform(s.output_shape(), -1.0, 1.0, 3);
    const std::array<std::array<const Tensor*, 3>, 3> arguments = {
        {{&x, &w, &y}, {&y, &w, &x}, {&x, &y, &w}}};
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& a = arguments[i];
      const auto time_once = [&](Pass& pass) {
        const auto start = std::chrono::steady_clock::now();
        run(pass, *a[0], *a[1], *a[2]);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      };
      time_once(plain[i]);  // warm-up (first-touch of buffers, caches)
      time_once(preferred[i]);
      double best_plain = std::numeric_limits<double>::infinity();
      double best_preferred = best_plain, spent = 0.0;
      for (int rep = 0; rep < 3 || (spent < 0.02 && rep < 100); ++rep) {
        const double tp = time_once(plain[i]);
        const double tq = time_once(preferred[i]);
        best_plain = std::min(best_plain, tp);
        best_preferred = std::min(best_preferred, tq);
        spent += tp + tq;
      }
      passes[i] = std::move(best_preferred < best_plain ? preferred[i] : plain[i]);
      passes[i].plain_seconds = best_plain;
      passes[i].preferred_seconds = best_preferred;
    }
  }

  // Points the plain memory objects at the Tensors' data, reorders inputs in, runs the primitive,
  // reorders the output out, and waits. The argument maps hold handles to the same memory
  // objects, so they are built once and a call allocates nothing.
  void run(Pass& pass, const Tensor& in0, const Tensor& in1, const Tensor& out) {
    const std::array<const Tensor*, 3> tensors{&in0, &in1, &out};
    for (std::size_t i = 0; i < 3; ++i) {
      AISYS_ONEDNN_CHECK(pass.ports[i].user.set_data_handle(tensors[i]->data<float>()));
    }
    for (Port& port : pass.ports) {
      if (!port.output && port.needs_reorder()) {
        AISYS_ONEDNN_CHECK(port.reorder.execute(stream, port.reorder_args));
      }
    }
    AISYS_ONEDNN_CHECK(pass.primitive.execute(stream, pass.args));
    for (Port& port : pass.ports) {
      if (port.output && port.needs_reorder()) {
        AISYS_ONEDNN_CHECK(port.reorder.execute(stream, port.reorder_args));
      }
    }
    AISYS_ONEDNN_CHECK(stream.wait());
  }

  static nlohmann::json describe(const Pass& pass) {
    nlohmann::json formats = nlohmann::json::object();
    int reorders = 0;
    for (const Port& port : pass.ports) {
      const memory& used = port.needs_reorder() ? port.internal : port.user;
      formats[arg_name(port.arg)] = format_name(used.get_desc());
      reorders += port.needs_reorder() ? 1 : 0;
    }
    nlohmann::json j = {{"implementation", pass.implementation},
                        {"layouts", pass.plain ? "plain" : "preferred"},
                        {"formats", formats},
                        {"reorders", reorders}};
    if (pass.plain_seconds > 0.0) {
      j["trial_seconds"] = {{"plain", pass.plain_seconds}, {"preferred", pass.preferred_seconds}};
    }
    return j;
  }

  static const char* arg_name(int arg) {
    switch (arg) {
      case DNNL_ARG_SRC:
        return "src";
      case DNNL_ARG_WEIGHTS:
        return "weights";
      case DNNL_ARG_DST:
        return "dst";
      case DNNL_ARG_DIFF_SRC:
        return "diff_src";
      case DNNL_ARG_DIFF_WEIGHTS:
        return "diff_weights";
      case DNNL_ARG_DIFF_DST:
        return "diff_dst";
      default:
        return "other";
    }
  }
};

nlohmann::json onednn_info() {
  const dnnl::version_t* v = dnnl::version();
  nlohmann::json j;
  j["available"] = true;
  j["version"] =
      std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  j["isa"] = isa_name(dnnl::get_effective_cpu_isa());
  j["threads"] = omp_get_max_threads();
  j["threading"] = "OMP";
  return j;
}

OnednnConv2d::OnednnConv2d(const Conv2dShape& shape, OnednnFormats formats)
    : shape_(shape), formats_(formats) {
  shape_.validate();
  impl_ = std::make_unique<Impl>(shape_, formats_);
}

OnednnConv2d::Impl& OnednnConv2d::impl() const {
  if (!impl_) throw InvalidArgument("onednn conv2d: this OnednnConv2d was moved from");
  return *impl_;
}

void OnednnConv2d::forward(const Tensor& x, const Tensor& w, const Tensor& y) {
  check_tensor("forward", "x", x, shape_.input_shape(), shape_);
  check_tensor("forward", "w", w, shape_.weight_shape(), shape_);
  check_tensor("forward", "y", y, shape_.output_shape(), shape_);
  check_not_aliased("forward", "y", y, "x", x);
  check_not_aliased("forward", "y", y, "w", w);
  impl().run(impl().passes[kForwardPass], x, w, y);
}

void OnednnConv2d::backward_data(const Tensor& dy, const Tensor& w, const Tensor& dx) {
  check_tensor("backward_data", "dy", dy, shape_.output_shape(), shape_);
  check_tensor("backward_data", "w", w, shape_.weight_shape(), shape_);
  check_tensor("backward_data", "dx", dx, shape_.input_shape(), shape_);
  check_not_aliased("backward_data", "dx", dx, "dy", dy);
  check_not_aliased("backward_data", "dx", dx, "w", w);
  impl().run(impl().passes[kBackwardDataPass], dy, w, dx);
}

void OnednnConv2d::backward_weights(const Tensor& x, const Tensor& dy, const Tensor& dw) {
  check_tensor("backward_weights", "x", x, shape_.input_shape(), shape_);
  check_tensor("backward_weights", "dy", dy, shape_.output_shape(), shape_);
  check_tensor("backward_weights", "dw", dw, shape_.weight_shape(), shape_);
  check_not_aliased("backward_weights", "dw", dw, "x", x);
  check_not_aliased("backward_weights", "dw", dw, "dy", dy);
  impl().run(impl().passes[kBackwardWeightsPass], x, dy, dw);
}

nlohmann::json OnednnConv2d::info() const {
  nlohmann::json j = onednn_info();
  j["shape"] = shape_.to_string();
  j["formats"] = formats_name(formats_);
  nlohmann::json passes = nlohmann::json::object();
  for (std::size_t i = 0; i < 3; ++i) passes[kPassNames[i]] = Impl::describe(impl().passes[i]);
  j["passes"] = passes;
  return j;
}

#else  // !AISYS_HAVE_ONEDNN

namespace {
[[noreturn]] void throw_not_built() {
  throw LibraryError("built without oneDNN: install libdnnl-dev and reconfigure (AISYS_ONEDNN)");
}
}  // namespace

struct OnednnConv2d::Impl {};

nlohmann::json onednn_info() {
  return {{"available", false},
          {"reason", "built without oneDNN: install libdnnl-dev and reconfigure (AISYS_ONEDNN)"}};
}

OnednnConv2d::OnednnConv2d(const Conv2dShape& shape, OnednnFormats formats)
    : shape_(shape), formats_(formats) {
  throw_not_built();
}

void OnednnConv2d::forward(const Tensor&, const Tensor&, const Tensor&) { throw_not_built(); }
void OnednnConv2d::backward_data(const Tensor&, const Tensor&, const Tensor&) { throw_not_built(); }
void OnednnConv2d::backward_weights(const Tensor&, const Tensor&, const Tensor&) {
  throw_not_built();
}
nlohmann::json OnednnConv2d::info() const { return onednn_info(); }

#endif  // AISYS_HAVE_ONEDNN

OnednnConv2d::~OnednnConv2d() = default;
OnednnConv2d::OnednnConv2d(OnednnConv2d&&) noexcept = default;
OnednnConv2d& OnednnConv2d::operator=(OnednnConv2d&&) noexcept = default;

}  // namespace aisys::baselines
