// aisys/lab05/allreduce.hpp: the collectives students write in lab 05, on the platform's
// point-to-point Communicator (distributed/comm) only: no MPI or NCCL collective is reachable
// (lab.json's allowed symbols are checked on the object files).
//
// Every all-reduce here is in place and sums: on return, data on every rank holds the element-wise
// sum of every rank's data. Every rank calls it with the same count and type. Any count (0, 1,
// fewer than the ranks, not divisible by them) and any number of ranks must work. Take receive
// buffers from c.scratch(bytes) (host memory on Open MPI, device memory on NCCL) and add with
// comm::accumulate(), never with a loop over the data: then one implementation runs on both.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "aisys/comm/communicator.hpp"

namespace aisys::lab05 {

using comm::Communicator;
using comm::DataType;

// Part 1 (skeleton/1_ring.cpp): ring all-reduce. The buffer is cut into p chunks (sizes differ by
// at most one element); p - 1 steps of reduce-scatter (send chunk (r - s) mod p to the next rank,
// receive and add chunk (r - s - 1) mod p from the previous), then p - 1 steps of all-gather.
// Each step sends and receives at once (sendrecv or isend/irecv), so no rank waits on a blocking
// send. Bandwidth-optimal: each rank sends 2 (p - 1) / p of the data. Chunked and pipelined: each
// step's chunk is expected to travel in segments (the reference: 256 KiB, one sendrecv each, into
// one segment-sized scratch buffer), every rank making the same number of exchanges per step; only
// the result is tested, the segment size only changes the speed.
void ring_allreduce(Communicator& c, void* data, std::size_t count, DataType type);

// Part 2 (skeleton/2_halving_doubling.cpp): recursive halving-doubling (Rabenseifner): a
// reduce-scatter by recursive halving (exchange half of the current range with the partner at
// distance p'/2, p'/4, ...), then an all-gather by recursive doubling. For p not a power of two,
// the first 2 (p - p') ranks pair up (p' = the largest power of two <= p): odd ones send their data
// to the even neighbour first and receive the result at the end. log2(p) latency terms.
void halving_doubling_allreduce(Communicator& c, void* data, std::size_t count, DataType type);

// Part 3 (skeleton/3_tree.cpp): a binomial-tree reduce to rank 0, then a binomial-tree broadcast
// back, the buffer pipelined in segments of `segment_bytes` so both trees stream.
void tree_allreduce(Communicator& c, void* data, std::size_t count, DataType type,
                    std::size_t segment_bytes = 64 * 1024);

// Part 4 (skeleton/4_bucketing.cpp): gradient bucketing with overlap.
//
// A nonblocking ring all-reduce: start() posts the first step and returns; each progress() call
// tests the requests in flight (never blocks) and, when both sides of a step are done, applies it
// and posts the next; it returns true once the all-reduce is complete. A blocking wait is not
// allowed anywhere in it: the point is to let computation run between progress() calls.
class NonblockingRing {
 public:
  NonblockingRing(Communicator& c, float* data, std::size_t count, int tag);
  ~NonblockingRing();
  NonblockingRing(const NonblockingRing&) = delete;
  NonblockingRing& operator=(const NonblockingRing&) = delete;
  void start();
  bool progress();
  bool done() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

// Data-parallel gradient synchronisation. The training loop calls ready() for each layer's
// gradient as the backward produces it (last layer first), poll() between layers' backward work,
// and finish() at the end of the backward. Gradients are copied into buckets of bucket_bytes (a
// gradient larger than a bucket gets a bucket of its own), in the order they become ready; a full
// bucket's NonblockingRing starts at once; poll() progresses every bucket in flight; finish()
// starts the last, partial bucket, drives every bucket to completion and writes each gradient back
// as the sum over ranks. At most one all-reduce per bucket; tags distinguish buckets.
class GradientBucketer {
 public:
  GradientBucketer(Communicator& c, std::size_t bucket_bytes);
  ~GradientBucketer();
  void ready(std::span<float> gradient);
  void poll();
  void finish();
  // Buckets sent during the last backward (for tests and reports).
  std::size_t buckets_used() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace aisys::lab05
