// Lab 06, part 3 (reference): interleaved 1F1B (Narayanan et al., SC'21, Megatron-LM). Each rank
// holds v chunks (chunk c of rank r is virtual stage c p + r). Micro-batches go through in groups
// of p: forward k of a rank runs chunk (k / p) mod v of micro-batch (k / (p v)) p + k mod p, and
// backward k the same micro-batch order over the chunks in reverse. Rank r warms up with
// 2 (p - r - 1) + (v - 1) p forwards, then alternates, then drains. Each chunk is 1/v of the stage,
// so the fill and drain shrink v times: bubble (p - 1) / (v m + p - 1).
#include <algorithm>

#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule interleaved_one_f_one_b(int stages, int microbatches, int chunks) {
  if (stages < 1 || microbatches < 1 || chunks < 1 || microbatches % stages != 0) {
    throw InvalidArgument("interleaved 1F1B: needs p, m, v >= 1 and m a multiple of p (got p=" + std::to_string(stages) +
                          ", m=" + std::to_string(microbatches) + ", v=" + std::to_string(chunks) + ")");
  }
  const int p = stages, v = chunks, total = microbatches * chunks;
  Schedule s = make_schedule("interleaved", p, microbatches, v);
  auto microbatch_of = [&](int k) { return (k / (p * v)) * p + k % p; };
  auto forward_k = [&](int k) { return forward(microbatch_of(k), (k / p) % v); };
  auto backward_k = [&](int k) { return backward(microbatch_of(k), v - 1 - (k / p) % v); };
  for (int r = 0; r < p; ++r) {
    const int warmup = v == 1 ? std::min(p - r - 1, total) : std::min(2 * (p - r - 1) + (v - 1) * p, total);
    int f = 0, b = 0;
    while (f < warmup) append_compute(s, r, forward_k(f++));
    while (f < total) {
      append_compute(s, r, forward_k(f++));
      append_compute(s, r, backward_k(b++));
    }
    while (b < total) append_compute(s, r, backward_k(b++));
    s.program[static_cast<std::size_t>(r)].push_back(optimizer_step());
  }
  return s;
}

}  // namespace aisys::lab06
