// aisys/comm/mpi_testing.hpp: GoogleTest under mpirun. Test binaries linked with
// aisys::mpi_test_main run one process per rank; only rank 0 prints and writes --gtest_output,
// every rank uses rank 0's seed, and a test written with a fixture derived from MpiTest collects
// every rank's failures into rank 0's result ("rank 2: <file>:<line>: <message>"), so a failure on
// any rank fails the test where the grader and CTest look. A rank whose test failed while its peers
// cannot finish it (they wait on this rank) ends the job after $AISYS_MPI_PEER_WAIT_S seconds
// (default 20), naming itself, the test and its failures on stderr, instead of hanging.
//
//   class Ring : public aisys::comm::testing::MpiTest {};
//   TEST_F(Ring, SumsEveryCount) { auto& c = world(); ... }
#pragma once

#include <gtest/gtest.h>

#include "aisys/comm/communicator.hpp"

namespace aisys::comm::testing {

class MpiTest : public ::testing::Test {
 protected:
  Communicator& world() { return mpi_world(); }
  // Gathers the failures of every rank into rank 0 (a collective: every rank reaches it).
  void TearDown() override;
};

// The failures recorded on this rank during the current test (used by MpiTest::TearDown).
const std::string& local_failures();

}  // namespace aisys::comm::testing
