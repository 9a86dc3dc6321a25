// Helpers shared by lab 06's public and hidden tests: the fixtures, the shapes every schedule is
// checked at, unit costs, and a readable dump of a schedule for failure messages.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/pipeline/simulator.hpp"

namespace aisys::lab06 {

// One fixture per graded part (the public and the hidden tests share them: a test suite has one
// fixture class). MpiTest gathers every rank's failures into rank 0's result.
class GPipe : public comm::testing::MpiTest {};
class OneFOneB : public comm::testing::MpiTest {};
class Interleaved : public comm::testing::MpiTest {};
class ZeroBubble : public comm::testing::MpiTest {};
class Planner : public comm::testing::MpiTest {};

// 8 layers: enough for 4 ranks x 2 chunks.
inline const std::vector<int> kTestWidths = {12, 24, 20, 16, 24, 20, 16, 24, 5};

}  // namespace aisys::lab06

namespace aisys::lab06::testing_support {

// p in {1, 2, 3, 4, 8} and m in {1, p - 1, p, 2p, 4p + 1} (m >= 1), as the handout promises.
struct Shape {
  int p, m;
};
inline std::vector<Shape> shapes() {
  std::vector<Shape> out;
  for (int p : {1, 2, 3, 4, 8}) {
    for (int m : {1, p - 1, p, 2 * p, 4 * p + 1}) {
      bool seen = m < 1;
      for (const Shape& s : out) seen = seen || (s.p == p && s.m == m);
      if (!seen) out.push_back({p, m});
    }
  }
  return out;
}

inline pipeline::Costs unit_costs(double f = 1, double bi = 1, double bw = 1) {
  pipeline::Costs c;
  c.forward = f;
  c.backward_input = bi;
  c.backward_weight = bw;
  return c;
}

// Name, shape and the first stages of a schedule, for failure messages.
inline std::string dump(const pipeline::Schedule& s) {
  std::string out = "schedule '" + s.name + "' p=" + std::to_string(s.stages) + " m=" + std::to_string(s.microbatches) +
                    " v=" + std::to_string(s.chunks) + "\n";
  const std::string text = pipeline::to_string(s);
  return out + (text.size() > 2000 ? text.substr(0, 2000) + "..." : text);
}

// Simulates s, failing the test with the platform's own words (which stage, which instruction,
// which rule, or the deadlock's cycle) when it refuses the schedule. Returns whether it ran.
inline bool simulates(const pipeline::Schedule& s, pipeline::SimResult* out = nullptr,
                      const pipeline::Costs& costs = pipeline::Costs{}) {
  try {
    pipeline::SimResult r = pipeline::simulate(s, costs);
    if (out) *out = std::move(r);
    return true;
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << "\n" << dump(s);
    return false;
  }
}

}  // namespace aisys::lab06::testing_support
