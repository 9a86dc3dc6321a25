// aisys/pipeline/simulator.hpp: checks a schedule and simulates it with per-op costs.
//
// validate() checks each stage on its own (every micro-batch and chunk has exactly one Forward and
// either one Backward or one BackwardInput and one BackwardWeight, in that order; exactly the
// sends and receives its virtual stage needs, each receive before the compute that uses it and
// each send after the compute that produces it; one OptimizerStep after every backward). It is
// the platform's guard: the runtime calls it, so a wrong schedule is refused, never run.
//
// simulate() then plays every stage's list in order. A compute op takes its cost; a send takes no
// stage time and delivers after `latency_s + bytes / bandwidth` (one message at a time on each
// directed link between two ranks); a receive waits until its message is there. When no stage can
// move and some have not finished, the schedule deadlocks: the error names each waiting stage,
// what it waits for and the cycle of stages waiting on each other (or the send no stage will
// reach).
//
// Bubble fraction, the one definition of ../shared/MEASURING.md: idle stage-time / (p x makespan),
// where a stage is busy only while it computes. Memory, in the zero-bubble paper's accounting:
// in-flight activations of a stage are the (micro-batch, chunk) pairs whose Forward has run and
// whose input gradient (B, or I when split) has not: the activations the stage must keep; pending
// weight gradients are those whose I has run and whose W has not (W keeps only the layers' inputs
// and output gradients, its "stash"). Peak memory of a stage is the largest
//   in-flight x activation_bytes + pending x weight_stash_bytes
// at any moment.
#pragma once

#include <string>
#include <vector>

#include "aisys/pipeline/schedule.hpp"

namespace aisys::pipeline {

// Seconds (or any unit) per op on one chunk of one micro-batch. Backward = backward_input +
// backward_weight.
struct Costs {
  double forward = 1;
  double backward_input = 1;
  double backward_weight = 1;
  double optimizer = 0;
  double latency_s = 0;        // per message
  double message_bytes = 0;    // per activation or gradient message
  double bandwidth_Bps = 0;    // 0: infinite
  double activation_bytes = 0;    // kept by one in-flight (micro-batch, chunk), for peak memory
  double weight_stash_bytes = 0;  // kept by one pending W
  double transfer_time() const { return latency_s + (bandwidth_Bps > 0 ? message_bytes / bandwidth_Bps : 0.0); }
};

// Throws ScheduleError naming the stage, the instruction and the rule.
void validate(const Schedule& s);

struct TimedOp {
  int index = 0;  // position in the stage's program
  Instruction instruction;
  double start = 0, end = 0;  // for receives: when the stage started waiting, when it got it
};

struct StageTimeline {
  std::vector<TimedOp> ops;      // every instruction, in program order
  double busy = 0;               // total compute time
  double finish = 0;             // when its last instruction ended
  int peak_activations = 0;      // in-flight (micro-batch, chunk) pairs, see the header comment
  int peak_pending_weight = 0;   // I done, W not yet
  double peak_memory_bytes = 0;  // with Costs::activation_bytes and weight_stash_bytes
};

struct SimResult {
  double makespan = 0;
  double bubble_fraction = 0;
  std::vector<StageTimeline> stages;
  int peak_activations() const;  // over stages
  double peak_memory_bytes() const;
};

// validate(), then simulate. Throws ScheduleError (invalid, or deadlocked: "deadlock: ...").
SimResult simulate(const Schedule& s, const Costs& costs = {});

// The textbook bubble fractions (MEASURING.md) for comparison:
//   gpipe / 1f1b: (p-1)/(m+p-1); interleaved: (p-1)/(v m + p - 1); zb-h1 (F = B = W): (p-1)/(3m + p - 1).
double theoretical_bubble(const std::string& schedule, int p, int m, int v = 1);

}  // namespace aisys::pipeline
