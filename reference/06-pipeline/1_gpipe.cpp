// Lab 06, part 1 (reference): GPipe (Huang et al., NeurIPS'19). Each stage runs every
// micro-batch's forward, then every micro-batch's backward, then the optimizer step (the "flush").
// Every stage keeps all m micro-batches' activations until its backwards start.
#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule gpipe(int stages, int microbatches) {
  Schedule s = make_schedule("gpipe", stages, microbatches);
  for (int r = 0; r < stages; ++r) {
    for (int mb = 0; mb < microbatches; ++mb) append_compute(s, r, forward(mb));
    for (int mb = 0; mb < microbatches; ++mb) append_compute(s, r, backward(mb));
    s.program[static_cast<std::size_t>(r)].push_back(optimizer_step());
  }
  return s;
}

}  // namespace aisys::lab06
