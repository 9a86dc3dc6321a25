// Lab 06, part 2 (reference): 1F1B, PipeDream-Flush (Narayanan et al., PipeDream, SOSP'19; the
// flushed variant of Megatron-LM). Stage r runs p - r - 1 warm-up forwards, then one forward and
// one backward in turn, then the remaining backwards: a micro-batch's backward starts as soon as
// it can, so at most p - r activations are alive on stage r (GPipe keeps m). Same bubble as GPipe.
#include <algorithm>

#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule one_f_one_b(int stages, int microbatches) {
  Schedule s = make_schedule("1f1b", stages, microbatches);
  for (int r = 0; r < stages; ++r) {
    const int warmup = std::min(stages - r - 1, microbatches);
    int next_forward = 0, next_backward = 0;
    while (next_forward < warmup) append_compute(s, r, forward(next_forward++));
    while (next_forward < microbatches) {
      append_compute(s, r, forward(next_forward++));
      append_compute(s, r, backward(next_backward++));
    }
    while (next_backward < microbatches) append_compute(s, r, backward(next_backward++));
    s.program[static_cast<std::size_t>(r)].push_back(optimizer_step());
  }
  return s;
}

}  // namespace aisys::lab06
