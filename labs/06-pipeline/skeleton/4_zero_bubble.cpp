// Lab 06, part 4: ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR'24). See
// aisys/lab06/schedules.hpp and the handout (labs/06-pipeline/README.md, part 4).
#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule zb_h1(int stages, int microbatches) {
  // TODO(student): make_schedule("zb-h1", p, m); split every backward into backward_input (I)
  // and backward_weight (W). I is on the critical path, W is not: run W where the stage would
  // otherwise wait. Keep at most p - r activations in flight on stage r (F to I) and a bounded
  // number of pending W's. Target: bubble (p - 1) / (3 m + p - 1) when F = I = W and m >= p.
  (void)stages;
  (void)microbatches;
  throw NotImplemented("06", "zb_h1");
}

}  // namespace aisys::lab06
