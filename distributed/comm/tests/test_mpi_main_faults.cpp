// Tests that fail on purpose, for the CTest checks of the MPI test main's fault handling
// (comm.fault.test_main.*): each check runs one of them under mpiexec and reads the job's output.
// They are never part of a suite that is meant to pass.
//   FailureOnlyOnRankOne: rank 1's failure must reach rank 0's report, naming rank 1.
//   RankOneThrowsWhileRankZeroWaits: rank 1 leaves the test while rank 0 waits for its message;
//     rank 1 must end the job (its peers can never finish the test), naming itself and the error.
//   WrongCountThenRankZeroWaits: rank 1 sends 3 floats where rank 0 expects 4 and then waits for
//     rank 0's reply; rank 0's receive throws, and rank 0 must end the job with that message.
#include <span>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "aisys/comm/mpi_testing.hpp"

namespace {

using aisys::comm::DataType;

class MainFaults : public aisys::comm::testing::MpiTest {};

TEST_F(MainFaults, FailureOnlyOnRankOne) {
  if (world().rank() == 1) ADD_FAILURE() << "a failure only rank 1 sees";
}

TEST_F(MainFaults, RankOneThrowsWhileRankZeroWaits) {
  auto& c = world();
  std::vector<float> x(4, 1.0f);
  if (c.rank() == 1) throw std::runtime_error("rank 1 gives up before sending");
  if (c.rank() == 0) c.recv(std::span<float>(x), 1, 0);
}

TEST_F(MainFaults, WrongCountThenRankZeroWaits) {
  auto& c = world();
  std::vector<float> x(4, 1.0f);
  if (c.rank() == 1) {
    c.send(x.data(), 3, DataType::kFloat32, 0, 0);
    c.recv(std::span<float>(x), 0, 1);  // rank 0 never replies: its receive throws first
  }
  if (c.rank() == 0) {
    c.recv(std::span<float>(x), 1, 0);
    c.send(x.data(), 4, DataType::kFloat32, 1, 1);
  }
}

}  // namespace
