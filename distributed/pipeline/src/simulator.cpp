// Schedule validation, the event simulation and deadlock diagnosis (simulator.hpp).
#include "aisys/pipeline/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace aisys::pipeline {

namespace {

std::string describe(const Schedule& s) {
  std::string d = "schedule '" + s.name + "' (p=" + std::to_string(s.stages) + ", m=" + std::to_string(s.microbatches);
  if (s.chunks > 1) d += ", v=" + std::to_string(s.chunks);
  return d + ")";
}

std::string mb_chunk(int mb, int chunk) {
  return "micro-batch " + std::to_string(mb) + ", chunk " + std::to_string(chunk);
}

// Where each kind of instruction of one (micro-batch, chunk) sits in a stage's program.
struct Slots {
  static constexpr int kKinds = 8;  // every Op but the optimizer step
  int index[kKinds];
  Slots() { std::fill(std::begin(index), std::end(index), -1); }
  int& at(Op op) { return index[static_cast<int>(op)]; }
  int at(Op op) const { return index[static_cast<int>(op)]; }
};

}  // namespace

void validate(const Schedule& s) {
  const std::string who = describe(s);
  if (s.stages < 1 || s.microbatches < 1 || s.chunks < 1) {
    throw ScheduleError(who + ": stages, micro-batches and chunks must each be at least 1");
  }
  if (static_cast<int>(s.program.size()) != s.stages) {
    throw ScheduleError(who + ": has " + std::to_string(s.program.size()) + " stage programs, expected " +
                        std::to_string(s.stages));
  }
  const int p = s.stages, m = s.microbatches, v = s.chunks, last_vs = s.virtual_stages() - 1;
  for (int r = 0; r < p; ++r) {
    const auto& prog = s.program[static_cast<std::size_t>(r)];
    const std::string at_stage = who + ": stage " + std::to_string(r);
    auto where = [&](int i) { return at_stage + ", instruction " + std::to_string(i) + " (" + to_string(prog[static_cast<std::size_t>(i)]) + ")"; };
    std::vector<Slots> slots(static_cast<std::size_t>(m * v));
    int opt = -1, last_backward = -1;
    for (int i = 0; i < static_cast<int>(prog.size()); ++i) {
      const Instruction& in = prog[static_cast<std::size_t>(i)];
      if (in.op == Op::kOptimizerStep) {
        if (opt >= 0) throw ScheduleError(where(i) + ": a second OptimizerStep (the first at instruction " + std::to_string(opt) + ")");
        opt = i;
        continue;
      }
      if (in.microbatch < 0 || in.microbatch >= m) {
        throw ScheduleError(where(i) + ": micro-batch " + std::to_string(in.microbatch) + " is outside [0, " + std::to_string(m) + ")");
      }
      if (in.chunk < 0 || in.chunk >= v) {
        throw ScheduleError(where(i) + ": chunk " + std::to_string(in.chunk) + " is outside [0, " + std::to_string(v) + ")");
      }
      int& slot = slots[static_cast<std::size_t>(in.microbatch * v + in.chunk)].at(in.op);
      if (slot >= 0) {
        throw ScheduleError(where(i) + ": a second " + op_name(in.op) + " of " + mb_chunk(in.microbatch, in.chunk) +
                            " (the first at instruction " + std::to_string(slot) + ")");
      }
      slot = i;
      if (in.op == Op::kBackward || in.op == Op::kBackwardWeight || in.op == Op::kBackwardInput) last_backward = std::max(last_backward, i);
    }
    if (opt < 0) throw ScheduleError(at_stage + ": no OptimizerStep (each stage needs one, after its last backward)");
    if (opt < last_backward) {
      throw ScheduleError(where(opt) + ": OptimizerStep before the backward at instruction " + std::to_string(last_backward) +
                          " (the step must see every gradient)");
    }
    for (int mb = 0; mb < m; ++mb) {
      for (int c = 0; c < v; ++c) {
        const Slots& sl = slots[static_cast<std::size_t>(mb * v + c)];
        const int vs = s.virtual_stage(r, c);
        const std::string what = at_stage + ", " + mb_chunk(mb, c) + " (virtual stage " + std::to_string(vs) + ")";
        const int f = sl.at(Op::kForward), b = sl.at(Op::kBackward), bi = sl.at(Op::kBackwardInput), bw = sl.at(Op::kBackwardWeight);
        if (f < 0) throw ScheduleError(what + ": no Forward");
        if (b >= 0 && (bi >= 0 || bw >= 0)) {
          throw ScheduleError(what + ": both Backward (instruction " + std::to_string(b) +
                              ") and a split BackwardInput/BackwardWeight; use one or the other");
        }
        if (bi < 0 && bw >= 0) throw ScheduleError(what + ": BackwardWeight without its BackwardInput");
        if (b < 0 && bi < 0) throw ScheduleError(what + ": no Backward (or BackwardInput)");
        if (b < 0 && bw < 0) throw ScheduleError(what + ": no BackwardWeight (its BackwardInput is instruction " + std::to_string(bi) + ")");
        const int input_grad = b >= 0 ? b : bi;  // the op that produces the gradient sent back
        if (input_grad < f) {
          throw ScheduleError(where(input_grad) + ": " + op_name(prog[static_cast<std::size_t>(input_grad)].op) + " of " +
                              mb_chunk(mb, c) + " before its Forward (instruction " + std::to_string(f) + ")");
        }
        if (bw >= 0 && bw < bi) {
          throw ScheduleError(where(bw) + ": BackwardWeight of " + mb_chunk(mb, c) + " before its BackwardInput (instruction " +
                              std::to_string(bi) + ")");
        }
        // Communication this virtual stage needs, and where it must sit.
        struct Need {
          Op op;
          bool needed;
          int before_or_after;  // the compute it must precede (recv) or follow (send)
          bool is_before;
          const char* why;
        };
        const Need needs[] = {
            {Op::kRecvActivation, vs > 0, f, true, "its input comes from the previous virtual stage"},
            {Op::kSendActivation, vs < last_vs, f, false, "the next virtual stage needs its output"},
            {Op::kRecvGrad, vs < last_vs, input_grad, true, "its output gradient comes from the next virtual stage"},
            {Op::kSendGrad, vs > 0, input_grad, false, "the previous virtual stage needs its input gradient"},
        };
        for (const Need& n : needs) {
          const int at = sl.at(n.op);
          if (!n.needed) {
            if (at >= 0) {
              throw ScheduleError(where(at) + ": virtual stage " + std::to_string(vs) + " is the " +
                                  (vs == 0 ? "first" : "last") + " one: it has no " + op_name(n.op));
            }
            continue;
          }
          if (at < 0) throw ScheduleError(what + ": no " + op_name(n.op) + " (" + n.why + ")");
          if (n.is_before && at > n.before_or_after) {
            throw ScheduleError(where(n.before_or_after) + ": runs before its " + op_name(n.op) + " (instruction " +
                                std::to_string(at) + ")");
          }
          if (!n.is_before && at < n.before_or_after) {
            throw ScheduleError(where(at) + ": sends before the " + op_name(prog[static_cast<std::size_t>(n.before_or_after)].op) +
                                " that produces it (instruction " + std::to_string(n.before_or_after) + ")");
          }
        }
      }
    }
  }
}

double SimResult::peak_memory_bytes() const {
  double peak = 0;
  for (const auto& st : stages) peak = std::max(peak, st.peak_memory_bytes);
  return peak;
}

int SimResult::peak_activations() const {
  int peak = 0;
  for (const auto& st : stages) peak = std::max(peak, st.peak_activations);
  return peak;
}

SimResult simulate(const Schedule& s, const Costs& costs) {
  validate(s);
  const int p = s.stages;
  const double transfer = costs.transfer_time();
  const double wire = costs.bandwidth_Bps > 0 ? costs.message_bytes / costs.bandwidth_Bps : 0.0;
  // A message: (0 activation / 1 gradient, destination virtual stage, micro-batch) -> arrival.
  using Key = std::tuple<int, int, int>;
  std::map<Key, double> arrived;
  std::vector<double> link_free(static_cast<std::size_t>(p * p), 0.0);
  SimResult res;
  res.stages.resize(static_cast<std::size_t>(p));
  std::vector<std::size_t> pc(static_cast<std::size_t>(p), 0);
  std::vector<double> t(static_cast<std::size_t>(p), 0.0);
  std::vector<int> live(static_cast<std::size_t>(p), 0), pending(static_cast<std::size_t>(p), 0);
  auto key_of = [&](int r, const Instruction& in) -> Key {
    const int vs = s.virtual_stage(r, in.chunk);
    switch (in.op) {
      case Op::kSendActivation: return {0, vs + 1, in.microbatch};
      case Op::kRecvActivation: return {0, vs, in.microbatch};
      case Op::kSendGrad: return {1, vs - 1, in.microbatch};
      default: return {1, vs, in.microbatch};
    }
  };
  bool progress = true;
  while (progress) {
    progress = false;
    for (int r = 0; r < p; ++r) {
      const auto& prog = s.program[static_cast<std::size_t>(r)];
      auto& st = res.stages[static_cast<std::size_t>(r)];
      double& now = t[static_cast<std::size_t>(r)];
      while (pc[static_cast<std::size_t>(r)] < prog.size()) {
        const int i = static_cast<int>(pc[static_cast<std::size_t>(r)]);
        const Instruction& in = prog[static_cast<std::size_t>(i)];
        TimedOp op{i, in, now, now};
        if (is_recv(in.op)) {
          const auto it = arrived.find(key_of(r, in));
          if (it == arrived.end()) break;
          now = std::max(now, it->second);
          op.end = now;
        } else if (is_send(in.op)) {
          const Key k = key_of(r, in);
          const int dst = s.rank_chunk(std::get<1>(k)).first;
          double& free_at = link_free[static_cast<std::size_t>(r * p + dst)];
          const double depart = std::max(now, free_at);
          free_at = depart + wire;
          arrived[k] = depart + transfer;
        } else {
          double cost = 0;
          switch (in.op) {
            case Op::kForward: cost = costs.forward; break;
            case Op::kBackward: cost = costs.backward_input + costs.backward_weight; break;
            case Op::kBackwardInput: cost = costs.backward_input; break;
            case Op::kBackwardWeight: cost = costs.backward_weight; break;
            default: cost = costs.optimizer; break;
          }
          now += cost;
          op.end = now;
          st.busy += cost;
          int& l = live[static_cast<std::size_t>(r)];
          int& w = pending[static_cast<std::size_t>(r)];
          if (in.op == Op::kForward) {
            st.peak_activations = std::max(st.peak_activations, ++l);
          } else if (in.op == Op::kBackward) {
            --l;
          } else if (in.op == Op::kBackwardInput) {
            --l;
            st.peak_pending_weight = std::max(st.peak_pending_weight, ++w);
          } else if (in.op == Op::kBackwardWeight) {
            --w;
          }
          // Memory peaks when an op starts: the op's inputs are still held (the forward's output
          // is counted from its start, a backward's activations until its end).
          const double held = (l + (in.op == Op::kBackward || in.op == Op::kBackwardInput ? 1 : 0)) * costs.activation_bytes +
                              (w + (in.op == Op::kBackwardWeight ? 1 : 0)) * costs.weight_stash_bytes;
          st.peak_memory_bytes = std::max(st.peak_memory_bytes, held);
        }
        st.ops.push_back(op);
        ++pc[static_cast<std::size_t>(r)];
        progress = true;
      }
    }
  }
  // Deadlock: some stage waits for a message no stage will send.
  std::vector<int> waits_on(static_cast<std::size_t>(p), -1);
  std::vector<std::string> reason(static_cast<std::size_t>(p));
  int first_blocked = -1;
  for (int r = 0; r < p; ++r) {
    const auto& prog = s.program[static_cast<std::size_t>(r)];
    if (pc[static_cast<std::size_t>(r)] >= prog.size()) continue;
    if (first_blocked < 0) first_blocked = r;
    const int i = static_cast<int>(pc[static_cast<std::size_t>(r)]);
    const Instruction& in = prog[static_cast<std::size_t>(i)];
    const Key k = key_of(r, in);
    const int vs = s.virtual_stage(r, in.chunk);
    const int src_vs = in.op == Op::kRecvActivation ? vs - 1 : vs + 1;
    const auto [src, src_chunk] = s.rank_chunk(src_vs);
    const Instruction want{in.op == Op::kRecvActivation ? Op::kSendActivation : Op::kSendGrad, in.microbatch, src_chunk};
    const auto& sp = s.program[static_cast<std::size_t>(src)];
    const auto found = std::find(sp.begin(), sp.end(), want);
    reason[static_cast<std::size_t>(r)] = "stage " + std::to_string(r) + " waits at instruction " + std::to_string(i) + " (" +
                                          to_string(in) + ") for stage " + std::to_string(src) + "'s " + to_string(want);
    if (found == sp.end()) {
      reason[static_cast<std::size_t>(r)] += ", which stage " + std::to_string(src) + " never sends";
    } else {
      reason[static_cast<std::size_t>(r)] += " (its instruction " + std::to_string(found - sp.begin()) + ")";
      waits_on[static_cast<std::size_t>(r)] = src;
    }
    (void)k;
  }
  if (first_blocked >= 0) {
    std::string msg = describe(s) + ": deadlock: ";
    // Follow the wait-for edges from the first blocked stage until a stage repeats: that is a cycle.
    std::vector<int> seen(static_cast<std::size_t>(p), -1), path;
    int r = first_blocked;
    while (r >= 0 && seen[static_cast<std::size_t>(r)] < 0) {
      seen[static_cast<std::size_t>(r)] = static_cast<int>(path.size());
      path.push_back(r);
      r = waits_on[static_cast<std::size_t>(r)];
    }
    if (r < 0) {
      msg += reason[static_cast<std::size_t>(path.back())];
    } else {
      std::string cycle;
      for (std::size_t j = static_cast<std::size_t>(seen[static_cast<std::size_t>(r)]); j < path.size(); ++j) {
        msg += (cycle.empty() ? "" : "; ") + reason[static_cast<std::size_t>(path[j])];
        cycle += std::to_string(path[j]) + " -> ";
      }
      msg += "; a cycle of waiting stages " + cycle + std::to_string(r);
    }
    throw ScheduleError(msg);
  }
  for (int r = 0; r < p; ++r) {
    auto& st = res.stages[static_cast<std::size_t>(r)];
    st.finish = t[static_cast<std::size_t>(r)];
    res.makespan = std::max(res.makespan, st.finish);
  }
  if (res.makespan > 0) {
    double idle = 0;
    for (const auto& st : res.stages) idle += res.makespan - st.busy;
    res.bubble_fraction = idle / (p * res.makespan);
  }
  return res;
}

double theoretical_bubble(const std::string& schedule, int p, int m, int v) {
  if (schedule == "gpipe" || schedule == "1f1b") return (p - 1.0) / (m + p - 1.0);
  if (schedule == "interleaved") return (p - 1.0) / (static_cast<double>(v) * m + p - 1.0);
  if (schedule == "zb-h1") return (p - 1.0) / (3.0 * m + p - 1.0);
  if (schedule == "sequential") return (p - 1.0) / p;
  throw InvalidArgument("theoretical_bubble: unknown schedule '" + schedule + "' (gpipe, 1f1b, interleaved, zb-h1, sequential)");
}

}  // namespace aisys::pipeline
