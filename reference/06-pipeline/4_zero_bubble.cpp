// Lab 06, part 4 (reference): ZB-H1 (Qi et al., "Zero Bubble Pipeline Parallelism", ICLR'24).
// The backward is split: BackwardInput (I) is on the critical path (the previous stage waits for
// its gradient), BackwardWeight (W) is not, so W can wait and fill the time a stage would idle.
// Built by playing the pipeline forward in unit time steps (F = I = W = 1, messages free), each
// stage, when free, taking the first of:
//   1. an I whose output gradient has arrived;
//   2. the next F, if its input has arrived, fewer than p - r activations are in flight (1F1B's
//      memory: an activation lives from F to I) and fewer than p W's are pending;
//   3. the oldest pending W.
// With F = I = W this reaches the bubble (p - 1) / (3 m + p - 1) for m >= p, and no stage ever
// holds more than p pending W's (without that bound the last stage would defer all m).
#include <deque>
#include <vector>

#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Schedule zb_h1(int stages, int microbatches) {
  Schedule s = make_schedule("zb-h1", stages, microbatches);
  const int p = stages, m = microbatches;
  constexpr int kNever = 1 << 30;
  // act_at[r][mb]: when stage r can start F(mb); grad_at[r][mb]: when it can start I(mb).
  std::vector<std::vector<int>> act_at(static_cast<std::size_t>(p), std::vector<int>(static_cast<std::size_t>(m), kNever));
  std::vector<std::vector<int>> grad_at = act_at;
  for (int mb = 0; mb < m; ++mb) act_at[0][static_cast<std::size_t>(mb)] = 0;
  struct Stage {
    int next_f = 0, next_i = 0, in_flight = 0, done_w = 0, busy_until = 0;
    std::deque<int> pending_w;
  };
  std::vector<Stage> st(static_cast<std::size_t>(p));
  int finished = 0;
  for (int t = 0; finished < p; ++t) {
    for (int r = 0; r < p; ++r) {
      Stage& g = st[static_cast<std::size_t>(r)];
      if (g.busy_until > t || g.done_w == m) continue;
      const auto ur = static_cast<std::size_t>(r);
      const bool w_due = static_cast<int>(g.pending_w.size()) >= p;
      if (g.next_i < g.next_f && grad_at[ur][static_cast<std::size_t>(g.next_i)] <= t) {
        const int mb = g.next_i++;
        append_compute(s, r, backward_input(mb));
        if (r > 0) grad_at[ur - 1][static_cast<std::size_t>(mb)] = t + 1;
        --g.in_flight;
        g.pending_w.push_back(mb);
      } else if (!w_due && g.next_f < m && act_at[ur][static_cast<std::size_t>(g.next_f)] <= t && g.in_flight < p - r) {
        const int mb = g.next_f++;
        append_compute(s, r, forward(mb));
        if (r + 1 < p) act_at[ur + 1][static_cast<std::size_t>(mb)] = t + 1;
        else grad_at[ur][static_cast<std::size_t>(mb)] = t + 1;
        ++g.in_flight;
      } else if (!g.pending_w.empty()) {
        append_compute(s, r, backward_weight(g.pending_w.front()));
        g.pending_w.pop_front();
        if (++g.done_w == m) {
          s.program[ur].push_back(optimizer_step());
          ++finished;
        }
      } else {
        continue;  // idle this step
      }
      g.busy_until = t + 1;
    }
  }
  return s;
}

}  // namespace aisys::lab06
