// The GoogleTest main of MPI test binaries (see mpi_testing.hpp): MPI up before any test, rank 0's
// seed everywhere, output from rank 0 only, failures of every rank gathered into rank 0, one exit
// code for all ranks, and a failed rank whose peers never finish the test ends the job, naming
// itself and its failures, instead of leaving it to hang.
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "aisys/comm/mpi_testing.hpp"
#include "aisys/harness/testing.hpp"

namespace aisys::comm::testing {
namespace {

std::string g_failures;
std::string g_first_failure;  // the current test's first failure on this rank, on one line
// The main's own traffic (the failure gathers) runs on a duplicate of MPI_COMM_WORLD, so it can
// never match a message or collective a test left unfinished on the world communicator.
MPI_Comm g_main_comm = MPI_COMM_NULL;

// How long a rank whose test failed waits in TearDown for its peers before it ends the job:
// $AISYS_MPI_PEER_WAIT_S, default 20 s. A peer that never arrives is blocked on this rank (a
// message it will not send, a collective it left), and the job would hang until its timeout,
// which names no rank and loses the failure. A rank with no failure waits as long as it takes.
double peer_wait_seconds() {
  if (const char* s = std::getenv("AISYS_MPI_PEER_WAIT_S")) {
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end != s && v > 0) return v;
  }
  return 20.0;
}

std::string current_test_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info == nullptr ? std::string("?") : std::string(info->test_suite_name()) + "." + info->name();
}

// Completes `request`; if this rank's test failed and the peers have not completed it after
// peer_wait_seconds(), prints why on stderr (which mpirun shows for every rank) and aborts the job.
void wait_for_peers(MPI_Request& request, int rank, int size) {
  const bool failed_here = ::testing::Test::HasFailure();
  const double limit = peer_wait_seconds();
  const auto start = std::chrono::steady_clock::now();
  int done = 0;
  while (true) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (failed_here && waited > limit) {
      std::fprintf(stderr,
                   "[ aisys ] rank %d of %d: %s failed on this rank (%s), and the other ranks had not finished "
                   "it %.0f s later (blocked on this rank?): ending the job. This rank's failures:\n%s",
                   rank, size, current_test_name().c_str(), g_first_failure.c_str(), limit, g_failures.c_str());
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
    // Polls gently: oversubscribed ranks share the cores with the peers this rank waits for.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

class FailureRecorder : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override {
    g_failures.clear();
    g_first_failure.clear();
  }
  void OnTestPartResult(const ::testing::TestPartResult& r) override {
    if (!r.failed()) return;
    if (g_first_failure.empty()) {
      for (char ch : std::string(r.summary())) g_first_failure += ch == '\n' ? ' ' : ch;
      if (g_first_failure.size() > 240) g_first_failure = g_first_failure.substr(0, 240) + "...";
    }
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
  // Every rank must have finished the test before the gathers (a non-root's part of a gather can
  // complete as soon as its message is buffered, so the gather alone proves nothing).
  MPI_Request request;
  MPI_Ibarrier(g_main_comm, &request);
  wait_for_peers(request, w.rank(), w.size());
  MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, g_main_comm);
  std::vector<int> displs(lens.size(), 0);
  int total = 0;
  for (size_t r = 0; r < lens.size(); ++r) {
    displs[r] = total;
    total += lens[r];
  }
  std::string all(static_cast<size_t>(total), '\0');
  MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, g_main_comm);
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
  MPI_Comm_dup(MPI_COMM_WORLD, &aisys::comm::testing::g_main_comm);
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
  MPI_Allreduce(&local, &worst, 1, MPI_INT, MPI_MAX, aisys::comm::testing::g_main_comm);
  MPI_Comm_free(&aisys::comm::testing::g_main_comm);
  return worst;
}
