// Lab 06, part 1: GPipe (Huang et al., NeurIPS'19). See aisys/lab06/schedules.hpp and the
// handout (labs/06-pipeline/README.md, part 1).
#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule gpipe(int stages, int microbatches) {
  // TODO(student): s = make_schedule("gpipe", stages, microbatches); on every stage r, every
  // micro-batch's forward, then every micro-batch's backward (append_compute adds the sends and
  // receives), then optimizer_step().
  (void)stages;
  (void)microbatches;
  throw NotImplemented("06", "gpipe");
}

}  // namespace aisys::lab06
