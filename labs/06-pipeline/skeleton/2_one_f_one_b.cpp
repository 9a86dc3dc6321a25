// Lab 06, part 2: 1F1B, PipeDream-Flush (Narayanan et al., SOSP'19). See aisys/lab06/schedules.hpp
// and the handout (labs/06-pipeline/README.md, part 2).
#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule one_f_one_b(int stages, int microbatches) {
  // TODO(student): stage r: min(p - r - 1, m) warm-up forwards; then one forward, one backward,
  // while forwards remain; then the remaining backwards; then optimizer_step(). Name "1f1b".
  (void)stages;
  (void)microbatches;
  throw NotImplemented("06", "one_f_one_b");
}

}  // namespace aisys::lab06
