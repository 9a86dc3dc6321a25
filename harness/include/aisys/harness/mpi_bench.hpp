// aisys/harness/mpi_bench.hpp: what the benchmark mains of MPI labs share (their own mains, run
// under mpiexec: Google Benchmark cannot keep ranks in step). The --aisys_* flags the grader and
// `aisys bench` pass, and the results file, written once by rank 0, atomically, in the schema the
// report reads ("aisys.results/1": context + records).
//
//   aisys::bench::MpiBenchOptions opt;
//   if (int rc = aisys::bench::parse_mpi_bench_flags(argc, argv, "lab05 bench", opt); rc != 0) return rc;
//   ...
//   if (rank == 0 && !aisys::bench::write_results(opt.out_or("lab05-" + opt.impl + ".json"), ctx, records, "lab05 bench"))
//     return 1;
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "aisys/harness/bench.hpp"

namespace aisys::bench {

struct MpiBenchOptions {
  std::string filter = ".*";  // --aisys_filter=REGEX (the case names to run)
  std::string out;            // --aisys_out=FILE
  std::string impl = "reference";  // --aisys_impl=NAME (recorded)
  std::string command;        // --aisys_command=TEXT (recorded in the context)
  int pairs = 5;              // --aisys_pairs=N
  double min_time = 0.2;      // --aisys_min_time=SECONDS
  bool quick = false;         // --aisys_quick
  bool list = false;          // --aisys_list
  std::string backend = "mpi";  // --aisys_backend=mpi|nccl (the Communicator's; lab 05 has both)
  std::string out_or(const std::string& fallback) const { return out.empty() ? fallback : out; }
};

// Parses the flags into opt (its fields keep their values where no flag is given);
// --aisys_no_ceilings is accepted and ignored. Returns 0, or 2 after printing "<program>: unknown
// flag X" for anything else.
int parse_mpi_bench_flags(int argc, char** argv, const char* program, MpiBenchOptions& opt);

// True, after rank 0 prints "<program>: no case matches --aisys_filter=REGEX (try --aisys_list)",
// when the filter selected no case: the main then exits aisys::bench::kExitNoCaseMatches (as the
// Google Benchmark mains do) rather than write a results file with no records.
bool no_case_matches(const MpiBenchOptions& opt, std::size_t selected, int rank, const char* program);

// Writes {"schema": "aisys.results/1", "context", "records"} to path through a temporary file and
// a rename, so a reader never sees half a file; prints "results: PATH". Returns false (after
// printing why) when it cannot.
bool write_results(const std::string& path, const nlohmann::json& context, const nlohmann::json& records,
                   const char* program);

}  // namespace aisys::bench
