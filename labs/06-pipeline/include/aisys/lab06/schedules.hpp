// aisys/lab06/schedules.hpp: what students write in lab 06: pipeline schedule generators and a
// planner, as data for the platform (distributed/pipeline): each generator returns a Schedule, an
// instruction list per stage, that the platform validates, simulates and runs across MPI ranks.
//
// Every generator takes p stages (ranks) and m micro-batches (and v chunks where interleaved) and
// returns a schedule named as below, with one OptimizerStep per stage after its last backward.
// pipeline::append_compute() adds the receives and sends each compute op needs, so a generator
// only decides the order of F, B (or I and W) on each stage. Throw aisys::InvalidArgument for a
// shape the schedule does not define (p, m or v < 1; interleaved with m not a multiple of p).
#pragma once

#include <string>

#include "aisys/pipeline/planning.hpp"
#include "aisys/pipeline/schedule.hpp"

namespace aisys::lab06 {

using pipeline::Schedule;

// Part 1 (skeleton/1_gpipe.cpp), name "gpipe": every micro-batch forward, then every micro-batch
// backward (Backward, not split). Peak activations m per stage.
Schedule gpipe(int stages, int microbatches);

// Part 2 (skeleton/2_one_f_one_b.cpp), name "1f1b": PipeDream-Flush. Stage r runs
// min(p - r - 1, m) warm-up forwards, then alternates one forward and one backward, then drains
// the remaining backwards. Peak activations min(p - r, m) on stage r: at most p.
Schedule one_f_one_b(int stages, int microbatches);

// Part 3 (skeleton/3_interleaved.cpp), name "interleaved": Megatron's interleaved 1F1B with v
// chunks per stage (chunk c of rank r is virtual stage c p + r); m must be a multiple of p.
// Bubble (p - 1) / (v m + p - 1) with equal per-chunk costs.
Schedule interleaved_one_f_one_b(int stages, int microbatches, int chunks);

// Part 4 (skeleton/4_zero_bubble.cpp), name "zb-h1": zero-bubble ZB-H1 (Qi et al., ICLR'24):
// the backward split into BackwardInput and BackwardWeight, W delayed to fill the bubbles, with
// 1F1B's activation memory (peak in-flight, counted until W, at most p - r on stage r). Bubble
// (p - 1) / (3 m + p - 1) when F = I = W and m >= p.
Schedule zb_h1(int stages, int microbatches);

// Part 5 (skeleton/5_planner.cpp): the configuration with the shortest simulated step time
// (pipeline::evaluate) whose peak activation memory fits the budget, over the schedules above,
// every m that divides the global batch and, for interleaved, v = 2 .. max_chunks (v p must not
// exceed the layers the problem allows: at most max_chunks). Ties go to the lower peak memory.
// Throws aisys::InvalidArgument when nothing fits, saying the smallest peak memory found.
struct Plan {
  Schedule schedule;         // the chosen schedule (its name, m and v inside)
  double step_time = 0;      // its simulated step time
  double peak_memory_bytes = 0;
  std::string why;           // one line a person can check: the winner and the runner-up, or
                             // what the budget excluded
};
Plan plan(const pipeline::PlanProblem& problem);

}  // namespace aisys::lab06
