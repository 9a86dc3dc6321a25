// Lab 08, part 1: shortest-job-first (non-preemptive) and shortest-remaining-time-first
// (preemptive), with oracle durations (cluster.oracle_duration_s / oracle_remaining_s).
// The exact rules are in include/aisys/lab08/policies.hpp; FIFO + first-fit
// (distributed/cluster/src/fifo.cpp) is the worked example of the Policy interface.
#include "aisys/kernels/error.hpp"
#include "aisys/lab08/policies.hpp"

namespace aisys::lab08 {
namespace {

using cluster::Cluster;
using cluster::JobId;

class Sjf final : public Policy {
 public:
  std::string name() const override { return "sjf"; }
  // TODO(student): remember arrivals (on_arrival) and, in schedule(), start pending jobs shortest
  // first, skipping those that do not fit. A std::set ordered by (duration, id) keeps the order.
  void schedule(Cluster& cluster) override {
    (void)cluster;
    throw NotImplemented("08", "Sjf::schedule");
  }
};

class Srtf final : public Policy {
 public:
  std::string name() const override { return "srtf"; }
  // TODO(student): greedy by remaining time, then, at instants with an arrival, make room for the
  // shortest waiting job by preempting running jobs with more remaining time (count the GPUs of
  // jobs still checkpointing as on their way back; on_suspended() tells you when they are back).
  void schedule(Cluster& cluster) override {
    (void)cluster;
    throw NotImplemented("08", "Srtf::schedule");
  }
};

}  // namespace

std::unique_ptr<Policy> make_sjf() { return std::make_unique<Sjf>(); }
std::unique_ptr<Policy> make_srtf() { return std::make_unique<Srtf>(); }

}  // namespace aisys::lab08
