// aisys/cluster/policy.hpp: the interface every scheduling policy implements.
//
// The simulator calls the hooks as events happen, then schedule() once per instant at which
// something happened (after every event of that instant). A policy acts only through the Cluster
// handle: start jobs on GPUs it chooses, preempt running jobs, ask to be woken up later. Read
// fifo.cpp first: FIFO with first-fit placement is the worked example.
#pragma once

#include <string>

#include "aisys/cluster/simulator.hpp"

namespace aisys::cluster {

class Policy {
 public:
  virtual ~Policy() = default;
  virtual std::string name() const = 0;

  // How many jobs may hold one GPU at a time (1: exclusive; > 1: packing and time slicing).
  virtual int max_jobs_per_gpu() const { return 1; }

  virtual void on_arrival(Cluster& cluster, JobId id) { (void)cluster, (void)id; }
  virtual void on_finish(Cluster& cluster, JobId id) { (void)cluster, (void)id; }
  // A preempted job finished checkpointing: it is pending again and its GPUs are free.
  virtual void on_suspended(Cluster& cluster, JobId id) { (void)cluster, (void)id; }

  // Decide: start, preempt, wake_at.
  virtual void schedule(Cluster& cluster) = 0;
};

}  // namespace aisys::cluster
