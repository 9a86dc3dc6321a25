// aisys/pipeline/runtime.hpp: runs a pipeline schedule across MPI ranks, one stage per rank (v
// chunks per rank when interleaved), training the platform's layered MLP (kernels/mlp.hpp).
//
// Every rank builds the same Mlp (same widths and seed) and the same Schedule. The model's layers
// are cut into p v contiguous virtual stages (partition_layers); rank r runs chunk c's layers,
// virtual stage c p + r. Each instruction does what schedule.hpp says: Forward runs the chunk's
// layers (the last virtual stage also the softmax cross-entropy, scaled by 1 / m so the step's
// gradient is the whole batch's mean); BackwardInput the ReLU backward and the input gradients,
// keeping each layer's output gradient; BackwardWeight the weight gradients (accumulated); sends
// are nonblocking (isend, completed before their buffer is freed and at the end of the step);
// receives are posted `recv_lookahead` instructions ahead and waited for where the schedule says.
//
// Guards, so a wrong schedule never hangs a grader: the constructor validates and simulates the
// schedule and throws ScheduleError (on every rank, before any message) when the simulator finds
// it invalid or deadlocked; a watchdog aborts the job, naming the rank and the instruction it waits
// at, when a step takes longer than `watchdog_s` (a dead peer, a lost message).
//
// Emulated compute (RuntimeOptions::emulate): compute ops sleep for their cost instead of running
// the MLP and messages carry `emulated.message_bytes`: four ranks on two cores then measure the
// schedule, not the OS scheduler (used to compare measured step time with the simulator's).
#pragma once

#include <limits>
#include <utility>
#include <vector>

#include "aisys/comm/communicator.hpp"
#include "aisys/kernels/mlp.hpp"
#include "aisys/pipeline/schedule.hpp"
#include "aisys/pipeline/simulator.hpp"

namespace aisys::pipeline {

struct RuntimeOptions {
  float learning_rate = 0;   // OptimizerStep: parameters -= lr x gradients of this rank's layers
  double watchdog_s = 60;    // abort the job when a step runs longer
  int recv_lookahead = 2;    // receives posted ahead of the instruction that waits for them
  double wait_poll_s = 0;    // 0: a receive blocks in MPI (which spins); > 0: it polls test() and
                             // sleeps this long in between, leaving the core to other ranks (use
                             // when ranks outnumber cores)
  bool emulate = false;      // sleep for emulated costs instead of computing; while sleeping the
                             // rank keeps its messages moving (tests them every 200 us), as a
                             // GPU's copy engine would
  Costs emulated;            // forward / backward_input / backward_weight / optimizer seconds,
                             // message_bytes per message (when emulate)
};

struct StepResult {
  float loss = std::numeric_limits<float>::quiet_NaN();  // mean over micro-batches, on the rank
                                                         // holding the last virtual stage
  double seconds = 0;             // from the step's start (after a barrier) to this rank's end
  std::vector<TimedOp> timeline;  // this rank's instructions, times from the step's start
};

class PipelineRuntime {
 public:
  // Throws ScheduleError (invalid or deadlocked schedule) or InvalidArgument (communicator size
  // other than the schedule's stages, fewer layers than virtual stages, too many micro-batches for
  // MPI's tag range).
  PipelineRuntime(comm::Communicator& comm, kernels::Mlp& model, Schedule schedule, RuntimeOptions options = {});
  ~PipelineRuntime();
  PipelineRuntime(const PipelineRuntime&) = delete;
  PipelineRuntime& operator=(const PipelineRuntime&) = delete;

  // One training step on x (batch x inputs) and labels (batch), identical on every rank; batch
  // must be a multiple of the schedule's micro-batches. Gradients are zeroed first.
  StepResult step(const float* x, const int* labels, int batch);

  const Schedule& schedule() const { return schedule_; }
  // Layers [first, last) that chunk c of this rank runs.
  std::pair<int, int> layers_of(int chunk) const;

 private:
  struct Impl;
  Impl* impl_;
  Schedule schedule_;
};

// Every rank's timeline gathered on rank 0 (index = rank); other ranks get an empty vector.
std::vector<std::vector<TimedOp>> gather_timelines(comm::Communicator& comm, const Schedule& s,
                                                   const std::vector<TimedOp>& mine);

}  // namespace aisys::pipeline
