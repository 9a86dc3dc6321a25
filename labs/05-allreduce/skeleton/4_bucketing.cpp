// Lab 05, part 4: a nonblocking ring all-reduce driven by progress(), and gradient buckets that
// start their all-reduce while the backward is still running. The rules are in
// include/aisys/lab05/allreduce.hpp.
#include "aisys/kernels/error.hpp"
#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05 {

// TODO(student): what a ring in flight must remember (buffer, step, the requests of the current
// step, a scratch buffer for the reduce-scatter).
struct NonblockingRing::State {};

NonblockingRing::NonblockingRing(Communicator& c, float* data, std::size_t count, int tag) {
  (void)c, (void)data, (void)count, (void)tag;
  throw NotImplemented("05", "NonblockingRing");
}
NonblockingRing::~NonblockingRing() = default;
void NonblockingRing::start() { throw NotImplemented("05", "NonblockingRing::start"); }
bool NonblockingRing::progress() { throw NotImplemented("05", "NonblockingRing::progress"); }
bool NonblockingRing::done() const { throw NotImplemented("05", "NonblockingRing::done"); }

// TODO(student): the bucket being filled and the buckets in flight.
struct GradientBucketer::State {};

GradientBucketer::GradientBucketer(Communicator& c, std::size_t bucket_bytes) {
  (void)c, (void)bucket_bytes;
  throw NotImplemented("05", "GradientBucketer");
}
GradientBucketer::~GradientBucketer() = default;
void GradientBucketer::ready(std::span<float> gradient) {
  (void)gradient;
  throw NotImplemented("05", "GradientBucketer::ready");
}
void GradientBucketer::poll() { throw NotImplemented("05", "GradientBucketer::poll"); }
void GradientBucketer::finish() { throw NotImplemented("05", "GradientBucketer::finish"); }
std::size_t GradientBucketer::buckets_used() const { throw NotImplemented("05", "GradientBucketer::buckets_used"); }

}  // namespace aisys::lab05
