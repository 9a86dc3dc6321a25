// One pipeline step across ranks against the same step in one process (check.hpp).
#include "aisys/pipeline/check.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "aisys/kernels/mlp.hpp"
#include "aisys/pipeline/runtime.hpp"

namespace aisys::pipeline {

namespace {

// "" when got matches expected within tol x max|expected|, else the first bad element.
std::string compare(const char* what, int rank, int layer, std::span<const float> expected, std::span<const float> got) {
  float scale = 0;
  for (float e : expected) scale = std::max(scale, std::fabs(e));
  const float tol = 1e-4f * std::max(scale, 1e-6f);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    if (!(std::fabs(got[i] - expected[i]) <= tol)) {
      std::ostringstream out;
      out << "rank " << rank << ", layer " << layer << ": " << what << "[" << i << "] = " << got[i]
          << ", single-process training gives " << expected[i] << " (tolerance " << tol << ")";
      return out.str();
    }
  }
  return "";
}

}  // namespace

std::string check_step_against_single_process(comm::Communicator& c, const Schedule& s, const std::vector<int>& widths,
                                              int batch, std::uint64_t seed, float lr) {
  const kernels::Blobs data = kernels::make_blobs(batch, widths.front(), widths.back(), seed);
  kernels::Mlp single(widths, seed), piped(widths, seed);
  const float single_loss = single.compute_gradients(data.x.data(), data.labels.data(), batch);
  RuntimeOptions opt;
  opt.learning_rate = lr;
  PipelineRuntime runtime(c, piped, s, opt);
  const StepResult r = runtime.step(data.x.data(), data.labels.data(), batch);
  const std::string where = " (schedule '" + s.name + "', seed " + std::to_string(seed) + ")";
  // piped's gradients survive the step (sgd_step does not zero them); single's parameters are
  // updated after comparing the gradients.
  for (int chunk = 0; chunk < s.chunks; ++chunk) {
    const auto [first, last] = runtime.layers_of(chunk);
    for (int l = first; l < last; ++l) {
      std::string e = compare("gradient", c.rank(), l, single.gradients(l), piped.gradients(l));
      if (!e.empty()) return e + where;
    }
  }
  single.sgd_step(lr);
  for (int chunk = 0; chunk < s.chunks; ++chunk) {
    const auto [first, last] = runtime.layers_of(chunk);
    for (int l = first; l < last; ++l) {
      std::string e = compare("parameter after the step", c.rank(), l, single.parameters(l), piped.parameters(l));
      if (!e.empty()) return e + where;
    }
  }
  const auto [last_rank, last_chunk] = s.rank_chunk(s.virtual_stages() - 1);
  (void)last_chunk;
  if (c.rank() == last_rank && !(std::fabs(r.loss - single_loss) <= 1e-4f * std::max(1.0f, std::fabs(single_loss)))) {
    std::ostringstream out;
    out << "rank " << c.rank() << ": mean loss " << r.loss << ", single-process training gives " << single_loss << where;
    return out.str();
  }
  return "";
}

}  // namespace aisys::pipeline
