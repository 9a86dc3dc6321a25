// The GoogleTest main of MPI test binaries (see mpi_testing.hpp): MPI up before any test, rank 0's
// seed everywhere, output from rank 0 only, failures of every rank gathered into rank 0, one exit
// code for all ranks.
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"

namespace aisys::comm::testing {
namespace {

std::string g_failures;

class FailureRecorder : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { g_failures.clear(); }
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    if (g_failures.size() > 4000) return;
    g_failures += std::string(r.file_name() ? r.file_name() : "?") + ":" + std::to_string(r.line_number()) +
                  ": " + r.summary() + "\n";
  }
};

class RerunPrinter : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result() != nullptr && info.result()->Failed()) {
      std::printf("[ aisys ] %s.%s failed with seed %llu; rerun: %s\n", info.test_suite_name(), info.name(),
                  static_cast<unsigned long long>(aisys::testing::test_seed()),
                  aisys::testing::rerun_command().c_str());
    }
  }
};

}  // namespace

const std::string& local_failures() { return g_failures; }

void MpiTest::TearDown() {
  Communicator& w = world();
  // Only what failed on this rank before TearDown: rank 0's own failures are already in its result.
  std::string mine = w.rank() == 0 ? std::string() : g_failures;
  int len = static_cast<int>(mine.size());
  std::vector<int> lens(static_cast<size_t>(w.size()));
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> displs(lens.size(), 0);
  int total = 0;
  for (size_t r = 0; r < lens.size(); ++r) {
    displs[r] = total;
    total += lens[r];
  }
  std::string all(static_cast<size_t>(total), '\0');
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, MPI_COMM_WORLD);
  if (w.rank() != 0) return;
  for (size_t r = 1; r < lens.size(); ++r) {
    if (lens[r] > 0) {
      ADD_FAILURE() << "rank " << r << " of " << w.size() << ":\n"
                    << all.substr(static_cast<size_t>(displs[r]), static_cast<size_t>(lens[r]));
    }
  }
}

}  // namespace aisys::comm::testing

int main(int argc, char** argv) {
  using aisys::comm::mpi_world;
  const int rank = mpi_world().rank();
  // Every rank uses rank 0's seed.
  unsigned long long seed = rank == 0 ? aisys::testing::test_seed() : 0;
  MPI_Bcast(&seed, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  if (rank != 0) {
    setenv("AISYS_SEED", std::to_string(seed).c_str(), 1);
    // Only rank 0 writes files and prints: drop --gtest_output, silence stdout (stderr stays, for
    // crashes).
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
      if (std::string(argv[i]).rfind("--gtest_output", 0) != 0) argv[kept++] = argv[i];
    }
    argc = kept;
    if (std::freopen("/dev/null", "w", stdout) == nullptr) std::perror("freopen");
  }
  ::testing::InitGoogleTest(&argc, argv);
  if (rank != 0) aisys::testing::test_seed();
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  listeners.Append(new aisys::comm::testing::FailureRecorder);
  if (rank == 0) listeners.Append(new aisys::comm::testing::RerunPrinter);
  const int local = RUN_ALL_TESTS();
  int worst = 0;
  MPI_Allreduce(&local, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  return worst;
}
