// Running a child process for the grader and the CLI: a timeout that ends the child's whole
// process group (a hang costs one part, never the grader), an address-space limit (an OOM costs
// one part), output captured to a file and/or passed through, extra environment variables.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace aisys::grader {

struct RunOptions {
  double timeout_s = 0;          // 0: none
  long memory_mb = 0;            // 0: none (RLIMIT_AS)
  std::string output_file;       // stdout+stderr go here when set
  bool echo = false;             // also copy output to our stdout (only with output_file)
  std::string cwd;
  std::map<std::string, std::string> env;  // added to (or replacing in) the environment
  std::vector<std::string> unset_env;      // removed from the child's environment
};

struct RunResult {
  int exit_code = -1;     // when exited normally
  int signal = 0;         // when killed by a signal
  bool timed_out = false;
  bool started = true;    // false when exec failed
  double seconds = 0;
  std::string output;     // captured output (when output_file was set), possibly truncated

  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  // "exit code 1", "killed by SIGSEGV (segmentation fault)", "timed out after 20 s", ...
  std::string describe(double timeout_s) const;
};

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& options);

// Convenience: run a shell-free command and return its stdout+stderr (for nm, git, ...).
RunResult run_capture(const std::vector<std::string>& argv, double timeout_s = 60);

// The environment Open MPI needs on these machines (the same as cmake/AisysMpi.cmake sets for
// CTest): oversubscription, running as root where CI does, no cross-memory-attach single copy,
// no wait before killing the ranks of a failed job, one BLAS/OpenMP thread per rank.
// mpiexec's command for a benchmark at np ranks: one rank per core ("--bind-to core") where the
// machine has that many cores, otherwise unbound (oversubscribed: binding would refuse to start).
std::vector<std::string> mpiexec_for_benchmark(int np);
std::map<std::string, std::string> mpi_environment();

}  // namespace aisys::grader
