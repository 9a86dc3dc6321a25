// aisys/lab08/policies.hpp: the scheduling policies students write in lab 08, one file each.
//
// Every policy implements aisys::cluster::Policy (distributed/cluster/include/aisys/cluster/
// policy.hpp; the worked example is FIFO + first-fit in distributed/cluster/src/fifo.cpp) and is
// run by the platform's simulator. The rules below are exact: the tests work every start and end
// time out by hand from them.
//
// Words used below:
//   fits        a pending job fits when at least job.gpus GPUs are free;
//   start       start on cluster.first_fit(job.gpus) (policies 1, 2, 5: placement is not their
//               subject; Gandiva and HiveD choose GPUs themselves);
//   greedy      walk the pending jobs in the policy's priority order and start each one that fits,
//               skipping (not waiting for) those that do not;
//   make room   for the highest-priority pending job that does not fit: if preempting running jobs
//               of strictly lower priority, lowest priority first, frees enough GPUs (counting the
//               free ones and those of jobs still checkpointing), preempt exactly those needed
//               (stop as soon as the count suffices); otherwise preempt nothing. The freed GPUs
//               come back after the checkpoint (SimOptions::checkpoint_s); the next greedy pass
//               gives them out by priority.
// Ties in any order are broken by job id (earlier arrival first).
#pragma once

#include <memory>
#include <vector>

#include "aisys/cluster/policy.hpp"

namespace aisys::lab08 {

using cluster::Policy;

// ---- Part 1 (skeleton/1_sjf_srtf.cpp): oracle policies; they read cluster.oracle_*().
// SJF, non-preemptive: greedy by duration (shortest first) at every schedule() call.
std::unique_ptr<Policy> make_sjf();
// SRTF, preemptive: greedy by remaining time (oracle_remaining_s); then, at an instant when a job
// arrived, make room (priority: shorter remaining time is higher).
std::unique_ptr<Policy> make_srtf();

// ---- Part 2 (skeleton/2_tiresias_las.cpp): Tiresias' discretised two-dimensional LAS, without
// duration knowledge (it must never call oracle_*(): the tests run it without an oracle).
struct LasOptions {
  // Attained-service thresholds (GPU-seconds = executed seconds x GPUs) between queues: a job is in
  // queue q when thresholds[q-1] <= service < thresholds[q]. Queue 0 has the highest priority.
  std::vector<double> thresholds_gpu_s = {1000, 10000, 100000};
  // Starvation prevention: a job pending longer than starve_factor x its executed time (and at
  // least starve_min_wait_s) is promoted to queue 0 and its service counted from zero again.
  // starve_factor <= 0 turns promotion off.
  double starve_factor = 2.0;
  double starve_min_wait_s = 600;
};
// Priority: lower queue first; within a queue, earlier entry into that queue first (arrival for
// new jobs, the instant of demotion or promotion otherwise), then id. A running job is demoted the
// instant its service reaches the next threshold (ask wake_at() for it); a pending job is promoted
// the instant its wait reaches the limit (wake_at() too). At every schedule(): greedy; then, at an
// instant when a job arrived, was demoted or was promoted, make room.
std::unique_ptr<Policy> make_tiresias_las(const LasOptions& options = {});

// ---- Part 3 (skeleton/3_gandiva.cpp): packing and time slicing (max_jobs_per_gpu() = 2).
struct GandivaOptions {
  double pack_util_limit = 1.0;  // pack onto a busy GPU when the utilisations would sum to <= this
};
// Pending jobs in arrival order (strict FIFO: stop at the first job that cannot be placed); a job
// is placed, in this order of preference, on
//   1. free GPUs: the lowest-numbered free GPUs of the node with the fewest free GPUs that still
//      has enough (best fit; ties: lowest node); when no node has enough, or the job is larger
//      than a node, first_fit;
//   2. packed: GPUs each holding exactly one job, whose utilisation plus the new job's is
//      <= pack_util_limit, lowest-numbered first;
//   3. time-sliced: the GPUs of one running job with the same GPU count that shares none of its
//      GPUs (the lowest id among such jobs): both then run on all of them, slowed by the sharing.
// Migration: after placing, while nothing is pending, every job that shares a GPU with a job whose
// utilisations sum above pack_util_limit and for which enough GPUs are free, is preempted (it comes
// back on free GPUs after the checkpoint); at most one job per shared GPU set, lowest id first.
std::unique_ptr<Policy> make_gandiva(const GandivaOptions& options = {});

// ---- Part 4 (skeleton/4_hived.cpp): HiveD buddy cells with virtual-cluster quotas.
// VC v owns quota(v) / gpus_per_node virtual node cells (cluster.vc_quota(v)), bound to physical
// nodes as it needs them. A job of g <= gpus_per_node GPUs takes one cell of level
// topology.level_for(g) (g rounded up to the cell size: the whole cell is reserved, the job runs
// on its first g GPUs) inside a node bound to its VC, split from larger free cells like a buddy
// allocator: among the VC's bound nodes with a free cell of that level, the one with the fewest
// free GPUs (ties: lowest node); within it, the free cell whose smallest enclosing cell that is
// not wholly free is the lowest level (use split cells before splitting whole ones; ties: lowest
// cell). Freed cells merge back with their buddies. A VC binds a new physical node (unbound, so
// fully free) when its bound nodes cannot host the job and it has unbound virtual cells left.
// A job of more GPUs than a node takes ceil(g / gpus_per_node) newly bound nodes and runs on their
// first g GPUs in node order. Nodes are taken by rack preference: racks where the VC holds more
// bound nodes first, then lower rack number; lowest node first within a rack; a multi-node job
// first looks, in that order, for one rack with enough unbound nodes. Jobs
// whose VC is out of cells wait (quota is both a guarantee and a limit); a bound node whose GPUs
// are all free again is unbound. Pending jobs are served in arrival order, skipping jobs that do
// not fit their VC's cells. Because bound nodes serve one VC only and the quotas sum to at most
// the cluster, a VC within its quota always finds its cells: that is the guarantee.
struct HivedOptions {};
std::unique_ptr<Policy> make_hived(const HivedOptions& options = {});

// ---- Part 5 (skeleton/5_fairness.cpp): DRF across users (with GPUs the one resource: max-min
// fairness of GPU shares). Greedy in order of the user's current share (GPUs its running jobs
// hold), lowest first, then arrival; a user's share grows as its jobs start within one pass. Then,
// at an instant when a job arrived, for the highest-priority pending job w (user u) that does not
// fit: take the user v != u holding the most GPUs (ties: lower user index) and walk v's running
// jobs latest-started first (ties: higher id first), choosing each while the free GPUs plus those
// chosen are fewer than w's and v would still hold at least as many GPUs as u will once w runs
// (held(v) - chosen - this job's >= held(u) + w.gpus). Preempt the chosen jobs only if they make w
// fit; otherwise preempt nothing.
std::unique_ptr<Policy> make_drf();

}  // namespace aisys::lab08
