// Lab 06, part 5: the planner. See aisys/lab06/schedules.hpp and the handout
// (labs/06-pipeline/README.md, part 5).
#include "aisys/lab06/schedules.hpp"

namespace aisys::lab06 {

using namespace pipeline;

Plan plan(const PlanProblem& problem) {
  // TODO(student): price every configuration with pipeline::evaluate(problem, schedule) and keep
  // the fastest one whose peak memory fits (evaluate's .fits); explain the choice in Plan::why.
  (void)problem;
  throw NotImplemented("06", "plan");
}

}  // namespace aisys::lab06
