// aisys/cluster/trace.hpp: jobs submitted to the cluster, and the files they come from.
//
// The project's trace format is CSV (documented in distributed/README.md#trace-format):
//
//   # comment lines start with '#'
//   job_id,submit_s,user,vc,gpus,duration_s[,gpu_util]
//   j0001,0,alice,vc-a,8,3600,0.6
//
// submit_s: seconds from the trace start; duration_s: run time at full speed on a compact placement
// (the "oracle" duration that only SJF/SRTF may read); gpu_util: the fraction of each GPU the job
// keeps busy when alone (0 < u <= 1, default 1), which decides how well it packs (Gandiva).
// Loaders for two public traces turn their fields into the same Trace: the Philly job log
// (cluster_job_log, JSON: Jeon et al., ATC'19) and Helios (cluster_log.csv: Hu et al., SC'21).
// Users bring those files; none is shipped. Every loader error names the file and line (or job).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace aisys::cluster {

using JobId = std::int32_t;  // dense: the job's index in Trace::jobs

struct Job {
  JobId id = 0;
  std::string name;        // the id in the source file
  double submit_s = 0;     // arrival, seconds from the trace start
  int user = 0;            // index into Trace::users
  int vc = 0;              // index into Trace::vcs (virtual cluster)
  int gpus = 1;            // gang-scheduled: all at once or none
  double duration_s = 0;   // run time at full speed (the oracle's knowledge)
  double gpu_util = 1.0;   // fraction of a GPU used when alone, in (0, 1]
};

struct Trace {
  std::vector<Job> jobs;            // sorted by (submit_s, source order); ids are the indices
  std::vector<std::string> users;   // names, indexed by Job::user
  std::vector<std::string> vcs;     // names, indexed by Job::vc
  std::string source;               // file path or "generated: ..."

  int max_gpus() const;
  double total_gpu_seconds() const;  // sum of gpus * duration_s
};

// Builds a Trace from rows in any order: sorts by submit time (stable), renumbers ids, interns
// user and VC names. Used by every loader and the generator.
class TraceBuilder {
 public:
  void add(std::string name, double submit_s, const std::string& user, const std::string& vc,
           int gpus, double duration_s, double gpu_util = 1.0);
  Trace build(std::string source) &&;

 private:
  struct Row {
    Job job;
    std::string user, vc;
  };
  std::vector<Row> rows_;
};

// The project's CSV format. Errors: InvalidArgument("FILE:LINE: what is wrong").
Trace load_trace_csv(const std::string& path);
Trace parse_trace_csv(std::istream& in, const std::string& source_name);
// Writes atomically (temporary file, then rename): a failed write leaves no half file.
void save_trace_csv(const Trace& trace, const std::string& path);
void write_trace_csv(const Trace& trace, std::ostream& out);

// What the public-trace loaders keep.
struct PublicTraceOptions {
  bool include_failed = true;    // Philly "Failed" / Helios "FAILED" jobs consumed GPUs too
  bool include_killed = true;    // Philly "Killed" / Helios "CANCELLED" with a run time
  int max_jobs = 0;              // 0: all
  double min_duration_s = 1.0;   // shorter runs (or none) are dropped
};

// Philly cluster_job_log (a JSON array of {jobid, user, vc, status, submitted_time,
// attempts: [{start_time, end_time, detail: [{ip, gpus: [...]}]}]}, times "%Y-%m-%d %H:%M:%S").
// gpus: the GPUs of the first attempt; duration: the sum of the attempts' run times.
Trace load_philly_job_log(const std::string& path, const PublicTraceOptions& options = {});

// Helios cluster_log.csv (header names, any order: job_id, user, vc, gpu_num, state, submit_time,
// start_time, end_time, duration; times "%Y-%m-%d %H:%M:%S", duration in seconds). CPU-only jobs
// (gpu_num 0) are dropped.
Trace load_helios_csv(const std::string& path, const PublicTraceOptions& options = {});

// Dispatch on the file: ".json" -> Philly, a Helios header -> Helios, else the project's CSV.
Trace load_trace(const std::string& path, const PublicTraceOptions& options = {});

}  // namespace aisys::cluster
