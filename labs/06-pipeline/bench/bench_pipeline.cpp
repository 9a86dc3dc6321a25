// Lab 06 benchmarks, run under mpiexec (its own main: the ranks must stay in step):
//   mpiexec -n 4 lab06_reference_bench [--aisys_filter=REGEX] [--aisys_out=FILE] [--aisys_pairs=N]
//       [--aisys_quick] [--aisys_list] [--aisys_impl=NAME]       (or: aisys bench 06)
// Two families of cases:
//   runtime/<schedule>/p<P>-m8[-v2]  the schedule run by the platform's runtime across the job's P
//       ranks with emulated compute (each op sleeps for its cost: F = I = W = 2 ms per stage, split
//       v ways when interleaved; 256 KiB messages), against the no-pipelining schedule on the same
//       ranks (baseline "sequential"), in `pairs` alternating pairs of `steps` steps each; a side's
//       time is its median step (the slowest rank's). Before timing, one real training step of the
//       schedule is checked against single-process training. Each record also holds the simulator's
//       prediction after calibration (op costs: the mean measured duration of each op kind; links:
//       alpha + bytes beta fitted to a message's delay through the runtime at two sizes, measured
//       with zero-cost ops) and the measured and simulated timelines of one step.
//       Over a rate-limited link (distributed/comm/tools/netns-mpirun.sh --np 4 --rate 1gbit -- ...)
//       messages cost as much as compute and the prediction has to model the queueing.
//       Emulated compute is what makes four ranks on two cores measure the schedule rather than
//       the OS scheduler: sleeping ranks leave the cores to the others.
//   sim/<schedule>/p4/m<M>   simulated only (rank 0), unit costs F = I = W: bubble fraction against
//       the textbook formula, and peak activation memory as a fraction of the whole batch's
//       activations, for M = 1 .. 64: the report's bubble-against-m and memory-against-m plots.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aisys/comm/communicator.hpp"
#include "aisys/harness/context.hpp"
#include "aisys/harness/lab_identity.hpp"
#include "aisys/harness/mpi_bench.hpp"
#include "aisys/kernels/mlp.hpp"
#include "aisys/lab06/schedules.hpp"
#include "aisys/pipeline/check.hpp"
#include "aisys/pipeline/runtime.hpp"

namespace {

using namespace aisys::pipeline;
using aisys::comm::Communicator;

using Options = aisys::bench::MpiBenchOptions;

struct Kind {
  const char* name;
  int chunks;
  std::function<Schedule(int p, int m)> make;
};

const Kind kKinds[] = {
    {"gpipe", 1, [](int p, int m) { return aisys::lab06::gpipe(p, m); }},
    {"1f1b", 1, [](int p, int m) { return aisys::lab06::one_f_one_b(p, m); }},
    {"interleaved", 2, [](int p, int m) { return aisys::lab06::interleaved_one_f_one_b(p, m, 2); }},
    {"zb-h1", 1, [](int p, int m) { return aisys::lab06::zb_h1(p, m); }},
};

constexpr int kMicrobatches = 8;
constexpr double kStageOpSeconds = 2e-3;        // F, I and W of a whole stage
constexpr double kMessageBytes = 256 << 10;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

// Latency and seconds per byte between ranks 0 and 1 (round trips of 8 B and 1 MiB).
std::pair<double, double> ping_pong(Communicator& c) {
  if (c.size() < 2) return {0.0, 0.0};
  auto round_trip = [&](std::size_t bytes) {
    std::vector<float> buf(std::max<std::size_t>(1, bytes / sizeof(float)));
    constexpr int kReps = 20;
    c.barrier();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kReps; ++i) {
      if (c.rank() == 0) {
        c.send(std::span<const float>(buf), 1, 1);
        c.recv(std::span<float>(buf), 1, 1);
      } else if (c.rank() == 1) {
        c.recv(std::span<float>(buf), 0, 1);
        c.send(std::span<const float>(buf), 0, 1);
      }
    }
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / (2 * kReps);
    MPI_Bcast(&t, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return t;
  };
  const double small = round_trip(8), large = round_trip(1 << 20);
  const double beta = std::max(0.0, (large - small) / ((1 << 20) - 8));
  return {std::max(0.0, small - 8 * beta), beta};
}

Costs emulated_costs(int chunks) {
  Costs c;
  c.forward = c.backward_input = c.backward_weight = kStageOpSeconds / chunks;
  c.message_bytes = kMessageBytes;
  return c;
}

struct Measured {
  double step = 0;                               // the slowest rank's
  std::vector<std::vector<TimedOp>> timelines;  // rank 0 only
};

// One step; its time is the slowest rank's.
Measured run_step(Communicator& c, PipelineRuntime& rt) {
  const StepResult r = rt.step(nullptr, nullptr, kMicrobatches);
  Measured m;
  MPI_Allreduce(&r.seconds, &m.step, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  m.timelines = gather_timelines(c, rt.schedule(), r.timeline);
  return m;
}

nlohmann::json timeline_json(const std::vector<std::vector<TimedOp>>& stages) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t r = 0; r < stages.size(); ++r) {
    for (const TimedOp& op : stages[r]) {
      if (!is_compute(op.instruction.op) && op.end - op.start < 1e-9) continue;
      out.push_back({r, op_code(op.instruction.op), op.instruction.microbatch, op.instruction.chunk, op.start, op.end});
    }
  }
  return out;
}

// Measured bubble: idle compute time over p x makespan.
double measured_bubble(const std::vector<std::vector<TimedOp>>& stages) {
  double makespan = 0, busy = 0;
  for (const auto& st : stages) {
    for (const TimedOp& op : st) {
      makespan = std::max(makespan, op.end);
      if (is_compute(op.instruction.op)) busy += op.end - op.start;
    }
  }
  return makespan > 0 ? 1 - busy / (static_cast<double>(stages.size()) * makespan) : 0.0;
}

// One message's delay as the runtime sees it (MPI's protocol, progress made only inside MPI calls,
// the polling of waits and of emulated compute): the no-pipelining schedule with one micro-batch,
// zero-cost ops and messages of `bytes` is 2 (p - 1) messages in a row; the median of 15 steps over
// that count.
double runtime_message_delay(Communicator& c, const Costs& emulated, double wait_poll_s, double bytes) {
  if (c.size() < 2) return 0;
  aisys::kernels::Mlp model({8, 8, 8, 8, 8, 8, 8, 8, 8}, 1);
  RuntimeOptions ro;
  ro.emulate = true;
  ro.wait_poll_s = wait_poll_s;
  ro.emulated = emulated;
  ro.emulated.forward = ro.emulated.backward_input = ro.emulated.backward_weight = 0;
  ro.emulated.message_bytes = bytes;
  PipelineRuntime rt(c, model, sequential_schedule(c.size(), 1), ro);
  std::vector<double> steps;
  for (int i = 0; i < 15; ++i) {
    const StepResult r = rt.step(nullptr, nullptr, 1);
    double slowest = 0;
    MPI_Allreduce(&r.seconds, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    steps.push_back(slowest);
  }
  return median(steps) / (2.0 * (c.size() - 1));
}

// Op costs calibrated from measured timelines (the mean duration of each compute kind) and the
// runtime's message delay.
Costs calibrate(const std::vector<std::vector<TimedOp>>& stages, const Costs& emulated, double alpha, double beta) {
  std::map<Op, std::pair<double, int>> sum;
  for (const auto& st : stages) {
    for (const TimedOp& op : st) {
      if (!is_compute(op.instruction.op)) continue;
      auto& [s, n] = sum[op.instruction.op];
      s += op.end - op.start;
      ++n;
    }
  }
  auto mean = [&](Op op, double fallback) { return sum.count(op) ? sum[op].first / sum[op].second : fallback; };
  Costs c = emulated;
  c.forward = mean(Op::kForward, emulated.forward);
  c.backward_input = mean(Op::kBackwardInput, emulated.backward_input);
  c.backward_weight = mean(Op::kBackwardWeight, emulated.backward_weight);
  if (sum.count(Op::kBackward)) {  // a whole backward: split it in the emulated proportion
    const double b = mean(Op::kBackward, 0), share = emulated.backward_input / (emulated.backward_input + emulated.backward_weight);
    c.backward_input = b * share;
    c.backward_weight = b * (1 - share);
  }
  c.optimizer = mean(Op::kOptimizerStep, 0);
  c.latency_s = alpha;
  c.bandwidth_Bps = beta > 0 ? 1 / beta : 0;
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  opt.impl = aisys::bench::kLabImpl;
  if (const int rc = aisys::bench::parse_mpi_bench_flags(argc, argv, "lab06 bench", opt); rc != 0) return rc;
  if (opt.backend != "mpi") {
    std::fprintf(stderr, "lab06 bench: --aisys_backend=%s: the pipeline runtime runs on the MPI backend only\n",
                 opt.backend.c_str());
    return 2;
  }
  int steps = 5;  // per side of each pair
  if (opt.quick) {
    opt.pairs = 3;
    steps = 3;
  }
  Communicator& c = aisys::comm::mpi_world();
  const int p = c.size(), rank = c.rank();
  std::regex re;
  try {
    re = std::regex(opt.filter);
  } catch (const std::regex_error&) {
    if (rank == 0) std::fprintf(stderr, "lab06 bench: --aisys_filter=%s is not a regular expression\n", opt.filter.c_str());
    return 2;
  }
  struct RuntimeCase {
    const Kind* kind;
    std::string name;
  };
  std::vector<RuntimeCase> runtime_cases;
  for (const Kind& k : kKinds) {
    std::string name = std::string("runtime/") + k.name + "/p" + std::to_string(p) + "-m" + std::to_string(kMicrobatches);
    if (k.chunks > 1) name += "-v" + std::to_string(k.chunks);
    if (std::regex_search(name, re)) runtime_cases.push_back({&k, name});
  }
  struct SimCase {
    const Kind* kind;
    int m;
    std::string name;
  };
  std::vector<SimCase> sim_cases;
  constexpr int kSimStages = 4;
  for (const Kind& k : kKinds) {
    for (int m : {1, 2, 4, 8, 16, 32, 64}) {
      if (k.chunks > 1 && m % kSimStages != 0) continue;
      const std::string name = std::string("sim/") + k.name + "/p4/m" + std::to_string(m);
      if (std::regex_search(name, re)) sim_cases.push_back({&k, m, name});
    }
  }
  if (opt.list) {
    if (rank == 0) {
      for (const auto& s : runtime_cases) std::printf("%s\tpart=%s\tranks=%d\tbaseline=sequential\n", s.name.c_str(), s.kind->name, p);
      for (const auto& s : sim_cases) std::printf("%s\tpart=%s\tsimulated\n", s.name.c_str(), s.kind->name);
    }
    return 0;
  }
  if (aisys::bench::no_case_matches(opt, runtime_cases.size() + sim_cases.size(), rank, "lab06 bench")) return aisys::bench::kExitNoCaseMatches;
  const auto [alpha, beta] = ping_pong(c);
  constexpr double kWaitPoll = 20e-6;  // ranks may outnumber cores: never spin while waiting
  // The link as the runtime sees it: one message's delay at two sizes, fitted to alpha + bytes beta.
  double run_alpha = 0, run_beta = 0, delay_full = 0, delay_small = 0;
  if (!runtime_cases.empty()) {
    delay_full = runtime_message_delay(c, emulated_costs(1), kWaitPoll, kMessageBytes);
    delay_small = runtime_message_delay(c, emulated_costs(1), kWaitPoll, kMessageBytes / 8);
    run_beta = std::max(0.0, (delay_full - delay_small) / (kMessageBytes * 7 / 8));
    run_alpha = std::max(0.0, delay_full - kMessageBytes * run_beta);
  }
  nlohmann::json records = nlohmann::json::array();
  int failures = 0;
  const std::vector<int> widths(17, 32);  // 16 layers: p v <= 16
  for (const RuntimeCase& rc : runtime_cases) {
    const Kind& k = *rc.kind;
    nlohmann::json rec = {{"lab", "06"}, {"part", k.name}, {"impl", opt.impl}, {"case", rc.name},
                          {"group", "runtime-np" + std::to_string(p)}, {"x", p}, {"x_label", "ranks"},
                          {"shape", {{"stages", p}, {"microbatches", kMicrobatches}, {"chunks", k.chunks}}},
                          {"threads", 1}};
    std::string err;
    Schedule cand, base = sequential_schedule(p, kMicrobatches);
    try {
      cand = k.make(p, kMicrobatches);
      err = check_step_against_single_process(c, cand, widths, 4 * kMicrobatches, 2026);
    } catch (const std::exception& e) {
      err = std::string("threw: ") + e.what();
    }
    int bad = err.empty() ? 0 : 1, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_bad) {
      rec["error"] = "candidate schedule wrong on some rank" + (err.empty() ? std::string() : " (rank " + std::to_string(rank) + ": " + err + ")");
      ++failures;
      if (rank == 0) {
        std::fprintf(stderr, "%-28s %s\n", rc.name.c_str(), rec["error"].get<std::string>().c_str());
        records.push_back(rec);
      }
      continue;
    }
    aisys::kernels::Mlp model(widths, 1);
    RuntimeOptions ro;
    ro.emulate = true;
    ro.emulated = emulated_costs(k.chunks);
    ro.wait_poll_s = kWaitPoll;
    PipelineRuntime cand_rt(c, model, cand, ro);
    RuntimeOptions rb = ro;
    rb.emulated = emulated_costs(1);
    PipelineRuntime base_rt(c, model, base, rb);
    run_step(c, cand_rt);  // warm-up
    run_step(c, base_rt);
    std::vector<double> tc, tb, ratios;
    std::vector<Measured> cand_steps;
    for (int pair = 0; pair < opt.pairs; ++pair) {
      std::vector<double> sc, sb;
      auto side = [&](PipelineRuntime& rt, std::vector<double>& out, bool keep) {
        for (int s = 0; s < steps; ++s) {
          Measured m = run_step(c, rt);
          out.push_back(m.step);
          if (keep) cand_steps.push_back(std::move(m));
        }
      };
      if (pair % 2 == 0) {
        side(cand_rt, sc, true);
        side(base_rt, sb, false);
      } else {
        side(base_rt, sb, false);
        side(cand_rt, sc, true);
      }
      tc.push_back(median(sc));
      tb.push_back(median(sb));
      ratios.push_back(tb.back() / tc.back());
    }
    if (rank == 0) {
      const double t = median(tc), t_base = median(tb), ratio = median(ratios);
      // The step closest to the median stands for the timelines and the calibration.
      std::size_t pick = 0;
      for (std::size_t i = 0; i < cand_steps.size(); ++i) {
        if (std::fabs(cand_steps[i].step - t) < std::fabs(cand_steps[pick].step - t)) pick = i;
      }
      const auto& tl = cand_steps[pick].timelines;
      const Costs calibrated = calibrate(tl, ro.emulated, run_alpha, run_beta);
      const SimResult predicted = simulate(cand, calibrated);
      rec["time_s"] = t;
      rec["baseline"] = {{"name", "sequential"}, {"time_s", t_base}};
      rec["ratio_to_baseline"] = ratio;
      rec["spread"] = ratio > 0 ? (quantile(ratios, 0.75) - quantile(ratios, 0.25)) / ratio : 0.0;
      rec["ratios"] = ratios;
      rec["pairs"] = opt.pairs;
      rec["steps_per_side"] = steps;
      rec["reruns"] = 0;
      rec["predicted_time_s"] = predicted.makespan;
      rec["prediction_error"] = t / predicted.makespan - 1;
      rec["bubble_measured"] = measured_bubble(tl);
      rec["bubble_simulated"] = predicted.bubble_fraction;
      rec["bubble_theory"] = theoretical_bubble(k.name, p, kMicrobatches, k.chunks);
      rec["calibrated_costs_s"] = {{"forward", calibrated.forward}, {"backward_input", calibrated.backward_input},
                                   {"backward_weight", calibrated.backward_weight}, {"optimizer", calibrated.optimizer},
                                   {"latency", calibrated.latency_s}, {"bandwidth_Bps", calibrated.bandwidth_Bps}};
      rec["emulated_costs_s"] = {{"forward", ro.emulated.forward}, {"backward_input", ro.emulated.backward_input},
                                 {"backward_weight", ro.emulated.backward_weight}, {"message_bytes", kMessageBytes}};
      std::vector<std::vector<TimedOp>> sim_tl;
      for (const auto& st : predicted.stages) sim_tl.push_back(st.ops);
      rec["timeline_measured"] = timeline_json(tl);
      rec["timeline_simulated"] = timeline_json(sim_tl);
      records.push_back(rec);
      std::fprintf(stderr, "%-30s step %7.2f ms  sequential %7.2f ms  ratio %.3f (spread %.1f%%)  predicted %7.2f ms (%+.1f%%)\n",
                   rc.name.c_str(), t * 1e3, t_base * 1e3, ratio, rec["spread"].get<double>() * 100, predicted.makespan * 1e3,
                   rec["prediction_error"].get<double>() * 100);
    }
  }
  if (rank == 0) {
    for (const SimCase& sc : sim_cases) {
      const Kind& k = *sc.kind;
      nlohmann::json rec = {{"lab", "06"}, {"part", k.name}, {"impl", opt.impl}, {"case", sc.name},
                            {"group", "sim-p4"}, {"x", sc.m}, {"x_label", "micro-batches m"},
                            {"shape", {{"stages", kSimStages}, {"microbatches", sc.m}, {"chunks", k.chunks}}},
                            {"threads", 1}, {"simulated", true}};
      try {
        const Schedule s = k.make(kSimStages, sc.m);
        Costs unit;
        unit.forward = unit.backward_input = unit.backward_weight = 1.0 / k.chunks;
        const SimResult r = simulate(s, unit);
        rec["bubble_fraction"] = r.bubble_fraction;
        rec["bubble_theory"] = theoretical_bubble(k.name, kSimStages, sc.m, k.chunks);
        rec["peak_activations"] = r.peak_activations();
        // One in-flight (micro-batch, chunk) holds 1 / (m v) of the whole batch's activations.
        rec["peak_activation_fraction"] = static_cast<double>(r.peak_activations()) / (sc.m * k.chunks);
        rec["makespan_units"] = r.makespan;
        if (sc.m == kMicrobatches) {
          std::vector<std::vector<TimedOp>> tl;
          for (const auto& st : r.stages) tl.push_back(st.ops);
          rec["timeline_simulated"] = timeline_json(tl);
        }
      } catch (const std::exception& e) {
        rec["error"] = std::string("threw: ") + e.what();
        ++failures;
      }
      records.push_back(rec);
    }
    const std::string lab_dir = aisys::bench::kLabSourceDir;
    auto ctx = aisys::context::machine(lab_dir + "/../..");
    ctx.update(aisys::context::lab(lab_dir));
    ctx["ranks"] = p;
    int version_len = 0;
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    MPI_Get_library_version(version, &version_len);
    std::string v(version, static_cast<std::size_t>(version_len));
    ctx["baselines"] = {{"mpi", {{"library", v.substr(0, v.find('\n'))}}}};
    ctx["link"] = {{"alpha_s", alpha}, {"beta_s_per_byte", beta}, {"bandwidth_gbs", beta > 0 ? 1e-9 / beta : 0.0},
                   {"measured_by", "ping-pong, ranks 0 and 1"},
                   {"runtime_message_delay_s", {{"bytes", kMessageBytes}, {"seconds", delay_full}}},
                   {"runtime_message_delay_small_s", {{"bytes", kMessageBytes / 8}, {"seconds", delay_small}}},
                   {"runtime_alpha_s", run_alpha}, {"runtime_beta_s_per_byte", run_beta},
                   {"runtime_measured_by",
                    "no-pipelining schedule, one micro-batch, zero-cost ops: step / (2 (p - 1)), median of 15, at two "
                    "message sizes; alpha + bytes beta fitted to them"}};
    ctx["compute"] = "emulated: each op sleeps for its cost (runtime.hpp)";
    if (!opt.command.empty()) ctx["command"] = opt.command;
    if (!aisys::bench::write_results(opt.out_or("lab06-" + opt.impl + ".json"), ctx, records, "lab06 bench")) return 1;
  }
  return failures ? 1 : 0;
}
