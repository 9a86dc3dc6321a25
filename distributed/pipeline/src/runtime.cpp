// The pipeline runtime: one stage's instruction list executed on one rank (runtime.hpp).
#include "aisys/pipeline/runtime.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

namespace aisys::pipeline {

namespace {

using Clock = std::chrono::steady_clock;

// MPI guarantees tags up to 32767.
constexpr int kMaxTag = 32767;

// Aborts the job when a step outlives its deadline, naming the rank and where it waits.
class Watchdog {
 public:
  Watchdog(double seconds, int rank, const Schedule& s, const std::atomic<int>& at)
      : thread_([this, seconds, rank, &s, &at] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return done_; })) return;
          const int i = at.load();
          const auto& prog = s.program[static_cast<std::size_t>(rank)];
          const std::string where = i >= 0 && i < static_cast<int>(prog.size()) ? to_string(prog[static_cast<std::size_t>(i)]) : "end";
          std::fprintf(stderr,
                       "rank %d: pipeline step of schedule '%s' not finished after %.0f s: waiting at instruction %d (%s); "
                       "aborting the job (a dead peer or a message that never comes)\n",
                       rank, s.name.c_str(), seconds, i, where.c_str());
          std::fflush(stderr);
          std::abort();
        }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

struct PipelineRuntime::Impl {
  comm::Communicator& comm;
  kernels::Mlp& model;
  RuntimeOptions opt;
  std::vector<std::pair<int, int>> layers;  // per virtual stage

  // Per (micro-batch, chunk) during a step.
  struct Slot {
    std::vector<std::vector<float>> acts;  // acts[0] the chunk's input, acts[k + 1] layer first+k's output
    std::vector<std::vector<float>> dz;    // per layer: gradient before its ReLU (kept for W)
    std::vector<float> grad_out;           // gradient at the chunk's output
    std::vector<float> grad_in;            // gradient at the chunk's input (sent back)
    comm::Request act_send, grad_send, recv;
    bool recv_posted = false;
  };
  std::vector<Slot> slots;

  Impl(comm::Communicator& c, kernels::Mlp& m, RuntimeOptions o) : comm(c), model(m), opt(o) {}
};

PipelineRuntime::PipelineRuntime(comm::Communicator& comm, kernels::Mlp& model, Schedule schedule, RuntimeOptions options)
    : impl_(nullptr), schedule_(std::move(schedule)) {
  const Schedule& s = schedule_;
  simulate(s);  // throws ScheduleError when invalid or deadlocked, on every rank alike
  if (comm.size() != s.stages) {
    throw InvalidArgument("pipeline runtime: schedule '" + s.name + "' has " + std::to_string(s.stages) +
                          " stages but the job has " + std::to_string(comm.size()) + " ranks (one stage per rank)");
  }
  if (2L * s.microbatches * s.virtual_stages() > kMaxTag) {
    throw InvalidArgument("pipeline runtime: " + std::to_string(s.microbatches) + " micro-batches x " +
                          std::to_string(s.virtual_stages()) + " virtual stages exceed MPI's tag range");
  }
  if (options.watchdog_s <= 0) throw InvalidArgument("pipeline runtime: watchdog_s must be positive");
  if (options.recv_lookahead < 1) throw InvalidArgument("pipeline runtime: recv_lookahead must be at least 1");
  auto layers = partition_layers(model.layers(), s.virtual_stages());
  impl_ = new Impl(comm, model, options);
  impl_->layers = std::move(layers);
}

PipelineRuntime::~PipelineRuntime() { delete impl_; }

std::pair<int, int> PipelineRuntime::layers_of(int chunk) const {
  return impl_->layers[static_cast<std::size_t>(schedule_.virtual_stage(impl_->comm.rank(), chunk))];
}

StepResult PipelineRuntime::step(const float* x, const int* labels, int batch) {
  Impl& st = *impl_;
  const Schedule& s = schedule_;
  const int rank = st.comm.rank(), m = s.microbatches, v = s.chunks, S = s.virtual_stages();
  if (batch < m || batch % m != 0) {
    throw InvalidArgument("pipeline runtime: a batch of " + std::to_string(batch) + " cannot be cut into " +
                          std::to_string(m) + " equal micro-batches");
  }
  const int b = batch / m;
  const auto& prog = s.program[static_cast<std::size_t>(rank)];
  kernels::Mlp& model = st.model;
  const bool emulate = st.opt.emulate;
  const std::size_t emulated_floats = std::max<std::size_t>(1, static_cast<std::size_t>(st.opt.emulated.message_bytes / sizeof(float)));
  st.slots.clear();
  st.slots.resize(static_cast<std::size_t>(m * v));
  auto slot = [&](const Instruction& in) -> Impl::Slot& { return st.slots[static_cast<std::size_t>(in.microbatch * v + in.chunk)]; };
  auto vstage = [&](const Instruction& in) { return s.virtual_stage(rank, in.chunk); };
  auto tag = [&](int kind, int dst_vs, int mb) { return (mb * S + dst_vs) * 2 + kind; };
  // Sizes of a chunk's input and output activations (floats).
  auto in_floats = [&](int vs) {
    return emulate ? emulated_floats : static_cast<std::size_t>(b) * model.in_features(st.layers[static_cast<std::size_t>(vs)].first);
  };
  auto out_floats = [&](int vs) {
    return emulate ? emulated_floats : static_cast<std::size_t>(b) * model.out_features(st.layers[static_cast<std::size_t>(vs)].second - 1);
  };
  auto post_recv = [&](const Instruction& in) {
    Impl::Slot& sl = slot(in);
    if (sl.recv_posted) return;
    const int vs = vstage(in);
    if (in.op == Op::kRecvActivation) {
      sl.acts.assign(1, std::vector<float>(in_floats(vs)));
      sl.recv = st.comm.irecv(std::span<float>(sl.acts[0]), s.rank_chunk(vs - 1).first, tag(0, vs, in.microbatch));
    } else {
      sl.grad_out.assign(out_floats(vs), 0.0f);
      sl.recv = st.comm.irecv(std::span<float>(sl.grad_out), s.rank_chunk(vs + 1).first, tag(1, vs, in.microbatch));
    }
    sl.recv_posted = true;
  };
  // The receives of instructions [from, ...) up to `lookahead` of them, posted now.
  std::size_t next_recv_scan = 0;
  int posted_ahead = 0;
  auto post_ahead = [&](std::size_t from) {
    next_recv_scan = std::max(next_recv_scan, from);
    while (posted_ahead < st.opt.recv_lookahead && next_recv_scan < prog.size()) {
      const Instruction& in = prog[next_recv_scan++];
      if (is_recv(in.op)) {
        post_recv(in);
        ++posted_ahead;
      }
    }
  };
  // Tests every message in flight: MPI moves a large message only inside MPI calls.
  auto progress = [&] {
    for (Impl::Slot& sl : st.slots) {
      for (comm::Request* r : {&sl.act_send, &sl.grad_send}) {
        if (r->active()) st.comm.test(*r);
      }
      if (sl.recv_posted && sl.recv.active()) st.comm.test(sl.recv);
    }
  };
  auto emulate_for = [&](Clock::time_point start, double seconds) {
    const Clock::time_point end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    constexpr auto kSlice = std::chrono::microseconds(200);
    for (Clock::time_point now = Clock::now(); now < end; now = Clock::now()) {
      progress();
      std::this_thread::sleep_until(std::min(end, now + kSlice));
    }
  };
  auto wait_for = [&](comm::Request& r) {
    if (st.opt.wait_poll_s <= 0) {
      st.comm.wait(r);
      return;
    }
    const auto pause = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(st.opt.wait_poll_s));
    while (!st.comm.test(r)) {
      progress();
      std::this_thread::sleep_for(pause);
    }
  };

  model.zero_gradients();
  double loss_sum = 0;
  int losses = 0;
  StepResult result;
  result.timeline.reserve(prog.size());
  std::atomic<int> at{-1};
  st.comm.barrier();
  const Clock::time_point t0 = Clock::now();
  auto since = [&](Clock::time_point t) { return std::chrono::duration<double>(t - t0).count(); };
  {
    Watchdog watchdog(st.opt.watchdog_s, rank, s, at);
    for (std::size_t i = 0; i < prog.size(); ++i) {
      at.store(static_cast<int>(i));
      const Instruction& in = prog[i];
      const Clock::time_point start = Clock::now();
      post_ahead(i);
      const int vs = in.op == Op::kOptimizerStep ? 0 : vstage(in);
      const auto [first, last] = st.layers[static_cast<std::size_t>(vs)];
      switch (in.op) {
        case Op::kRecvActivation:
        case Op::kRecvGrad: {
          Impl::Slot& sl = slot(in);
          post_recv(in);
          wait_for(sl.recv);
          sl.recv_posted = false;
          --posted_ahead;
          break;
        }
        case Op::kSendActivation: {
          Impl::Slot& sl = slot(in);
          sl.act_send = st.comm.isend(std::span<const float>(sl.acts.back()), s.rank_chunk(vs + 1).first, tag(0, vs + 1, in.microbatch));
          break;
        }
        case Op::kSendGrad: {
          Impl::Slot& sl = slot(in);
          sl.grad_send = st.comm.isend(std::span<const float>(sl.grad_in), s.rank_chunk(vs - 1).first, tag(1, vs - 1, in.microbatch));
          break;
        }
        case Op::kForward: {
          Impl::Slot& sl = slot(in);
          if (vs == 0) {
            const std::size_t row = static_cast<std::size_t>(model.in_features(0));
            sl.acts.assign(1, std::vector<float>(emulate ? emulated_floats : static_cast<std::size_t>(b) * row));
            if (!emulate) std::copy_n(x + static_cast<std::size_t>(in.microbatch) * b * row, sl.acts[0].size(), sl.acts[0].begin());
          }
          if (emulate) {
            sl.acts.push_back(std::vector<float>(out_floats(vs)));
            if (vs == S - 1) sl.grad_out.assign(out_floats(vs), 0.0f);
            emulate_for(start, st.opt.emulated.forward);
            break;
          }
          for (int l = first; l < last; ++l) {
            std::vector<float> y(static_cast<std::size_t>(b) * model.out_features(l));
            model.forward(l, sl.acts.back().data(), y.data(), b);
            sl.acts.push_back(std::move(y));
          }
          if (vs == S - 1) {  // the loss, part of the last stage's forward
            const int classes = model.out_features(last - 1);
            sl.grad_out.assign(static_cast<std::size_t>(b) * classes, 0.0f);
            loss_sum += kernels::Mlp::softmax_cross_entropy(sl.acts.back().data(), labels + static_cast<std::size_t>(in.microbatch) * b,
                                                            b, classes, sl.grad_out.data());
            ++losses;
            for (float& g : sl.grad_out) g /= static_cast<float>(m);
          }
          break;
        }
        case Op::kBackward:
        case Op::kBackwardInput: {
          Impl::Slot& sl = slot(in);
          if (emulate) {
            sl.grad_in.assign(in_floats(vs), 0.0f);
            emulate_for(start, st.opt.emulated.backward_input + (in.op == Op::kBackward ? st.opt.emulated.backward_weight : 0.0));
          } else {
            std::vector<float> g = std::move(sl.grad_out);
            sl.dz.assign(static_cast<std::size_t>(last - first), {});
            for (int l = last - 1; l >= first; --l) {
              const std::size_t k = static_cast<std::size_t>(l - first);
              model.activation_backward(l, sl.acts[k + 1].data(), g.data(), b);
              std::vector<float> dx;
              if (l > 0) {  // the model's first layer needs no input gradient
                dx.assign(static_cast<std::size_t>(b) * model.in_features(l), 0.0f);
                model.backward_input(l, g.data(), dx.data(), b);
              }
              sl.dz[k] = std::move(g);
              g = std::move(dx);
            }
            sl.grad_in = std::move(g);
            if (in.op == Op::kBackward) {
              for (int l = first; l < last; ++l) {
                const std::size_t k = static_cast<std::size_t>(l - first);
                model.backward_weight(l, sl.acts[k].data(), sl.dz[k].data(), b);
              }
            }
          }
          if (in.op == Op::kBackward) {
            if (sl.act_send.active()) wait_for(sl.act_send);
            sl.acts.clear();
            sl.dz.clear();
          }
          break;
        }
        case Op::kBackwardWeight: {
          Impl::Slot& sl = slot(in);
          if (emulate) {
            emulate_for(start, st.opt.emulated.backward_weight);
          } else {
            for (int l = first; l < last; ++l) {
              const std::size_t k = static_cast<std::size_t>(l - first);
              model.backward_weight(l, sl.acts[k].data(), sl.dz[k].data(), b);
            }
          }
          if (sl.act_send.active()) wait_for(sl.act_send);
          sl.acts.clear();
          sl.dz.clear();
          break;
        }
        case Op::kOptimizerStep: {
          if (emulate) {
            emulate_for(start, st.opt.emulated.optimizer);
          } else if (st.opt.learning_rate != 0) {
            for (int c = 0; c < v; ++c) {
              const auto [lf, ll] = st.layers[static_cast<std::size_t>(s.virtual_stage(rank, c))];
              for (int l = lf; l < ll; ++l) model.sgd_step(st.opt.learning_rate, l);
            }
          }
          break;
        }
      }
      result.timeline.push_back({static_cast<int>(i), in, since(start), since(Clock::now())});
    }
    for (Impl::Slot& sl : st.slots) {
      if (sl.act_send.active()) wait_for(sl.act_send);
      if (sl.grad_send.active()) wait_for(sl.grad_send);
    }
    at.store(static_cast<int>(prog.size()));
  }
  result.seconds = since(Clock::now());
  if (losses > 0) result.loss = static_cast<float>(loss_sum / losses);
  st.slots.clear();
  return result;
}

std::vector<std::vector<TimedOp>> gather_timelines(comm::Communicator& comm, const Schedule& s, const std::vector<TimedOp>& mine) {
  constexpr int kTag = 32000;
  std::vector<double> packed;
  for (const TimedOp& op : mine) packed.insert(packed.end(), {static_cast<double>(op.index), op.start, op.end});
  if (comm.rank() != 0) {
    const std::int32_t n = static_cast<std::int32_t>(packed.size());
    comm.send(std::span<const std::int32_t>(&n, 1), 0, kTag);
    comm.send(std::span<const double>(packed), 0, kTag);
    return {};
  }
  std::vector<std::vector<TimedOp>> all(static_cast<std::size_t>(comm.size()));
  all[0] = mine;
  for (int r = 1; r < comm.size(); ++r) {
    std::int32_t n = 0;
    comm.recv(std::span<std::int32_t>(&n, 1), r, kTag);
    std::vector<double> buf(static_cast<std::size_t>(n));
    comm.recv(std::span<double>(buf), r, kTag);
    const auto& prog = s.program[static_cast<std::size_t>(r)];
    for (std::size_t k = 0; k + 2 < buf.size(); k += 3) {
      const int index = static_cast<int>(buf[k]);
      all[static_cast<std::size_t>(r)].push_back({index, prog[static_cast<std::size_t>(index)], buf[k + 1], buf[k + 2]});
    }
  }
  return all;
}

}  // namespace aisys::pipeline
