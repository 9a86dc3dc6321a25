// Lab 06, part 3: interleaved 1F1B (Narayanan et al., SC'21). See aisys/lab06/schedules.hpp and
// the handout (labs/06-pipeline/README.md, part 3).
#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule interleaved_one_f_one_b(int stages, int microbatches, int chunks) {
  // TODO(student): make_schedule("interleaved", p, m, v). Throw InvalidArgument unless m is a
  // multiple of p. Micro-batches go in groups of p through chunk 0, then chunk 1, ...; backwards
  // through the chunks in reverse. Work out the warm-up each rank needs so that no rank waits for
  // a forward it could have had (hint in the handout), then alternate, then drain.
  (void)stages;
  (void)microbatches;
  (void)chunks;
  throw NotImplemented("06", "interleaved_one_f_one_b");
}

}  // namespace aisys::lab06
