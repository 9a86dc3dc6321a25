// Lab 05, part 3 (reference): binomial-tree reduce to rank 0, then binomial-tree broadcast, both
// in segments so that a rank forwards segment k while its children already send segment k + 1.
// log2(p) latency terms, but every byte crosses the root's link: suited to small messages.
#include <algorithm>

#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05 {

void tree_allreduce(Communicator& c, void* data, std::size_t count, DataType type, std::size_t segment_bytes) {
  const int p = c.size(), r = c.rank();
  if (p == 1 || count == 0) return;
  const std::size_t elem = comm::size_of(type);
  const std::size_t seg = std::max<std::size_t>(1, segment_bytes / elem);
  char* bytes = static_cast<char*>(data);
  comm::Scratch incoming = c.scratch(std::min(seg, count) * elem);  // host for MPI, device for NCCL
  constexpr int kTag = 13;
  // Reduce: in round `mask`, ranks with that bit set send to rank - mask and leave.
  for (std::size_t off = 0; off < count; off += seg) {
    const std::size_t n = std::min(seg, count - off);
    for (int mask = 1; mask < p; mask <<= 1) {
      if (r & mask) {
        c.send(bytes + off * elem, n, type, r - mask, kTag);
        break;
      }
      if (r + mask < p) {
        c.recv(incoming.as<char>(), n, type, r + mask, kTag);
        comm::accumulate(bytes + off * elem, incoming.as<char>(), n, type);
      }
    }
  }
  // Broadcast: receive from the parent (clear the lowest set bit), send to children below it.
  int lowest = 1;
  while (lowest < p && !(r & lowest)) lowest <<= 1;
  for (std::size_t off = 0; off < count; off += seg) {
    const std::size_t n = std::min(seg, count - off);
    if (r != 0) c.recv(bytes + off * elem, n, type, r - lowest, kTag + 1);
    for (int mask = (r == 0 ? [&] { int m = 1; while (m < p) m <<= 1; return m; }() : lowest) >> 1; mask >= 1;
         mask >>= 1) {
      if (r + mask < p) c.send(bytes + off * elem, n, type, r + mask, kTag + 1);
    }
  }
}

}  // namespace aisys::lab05
