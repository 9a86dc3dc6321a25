// aisys/cluster/fifo.hpp: FIFO with first-fit placement, the baseline every lab 08 policy is
// measured against, and the worked example of the Policy interface (read fifo.cpp).
#pragma once

#include "aisys/cluster/policy.hpp"

namespace aisys::cluster {

// Strict FIFO: starts pending jobs in arrival order while the head job fits (first-fit: the
// lowest-numbered free GPUs); never skips the head (no backfilling), never preempts.
class FifoFirstFit final : public Policy {
 public:
  std::string name() const override { return "fifo"; }
  void schedule(Cluster& cluster) override;
};

}  // namespace aisys::cluster
