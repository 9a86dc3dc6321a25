// Lab 05, part 1 (reference): ring all-reduce, reduce-scatter then all-gather (Patarasuk & Yuan,
// 2009; the algorithm of NCCL and Horovod). Each of the 2 (p - 1) steps moves one chunk of about
// count / p elements to the next rank while receiving one from the previous.
#include <algorithm>

#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05 {

void ring_allreduce(Communicator& c, void* data, std::size_t count, DataType type) {
  const int p = c.size(), r = c.rank();
  if (p == 1 || count == 0) return;
  const std::size_t elem = comm::size_of(type);
  char* bytes = static_cast<char*>(data);
  // Chunk k: [begin(k), begin(k + 1)), sizes count / p or count / p + 1.
  const std::size_t base = count / static_cast<std::size_t>(p), extra = count % static_cast<std::size_t>(p);
  auto begin = [&](int k) {
    const auto uk = static_cast<std::size_t>(k);
    return uk * base + std::min(uk, extra);
  };
  auto length = [&](int k) { return begin(k + 1) - begin(k); };
  const int next = (r + 1) % p, prev = (r + p - 1) % p;
  // Each step is cut into segments of at most kSegmentBytes: the scratch buffer then stays in the
  // L2 cache, so receiving and adding a segment costs cache, not DRAM, traffic (the "pipelined" in
  // chunked-and-pipelined).
  constexpr std::size_t kSegmentBytes = 256 << 10;
  const std::size_t seg = std::max<std::size_t>(1, kSegmentBytes / elem);
  // Received segments land in scratch memory of the communicator's kind (host for MPI, device for
  // NCCL), so the same code runs on either backend.
  comm::Scratch incoming = c.scratch(std::min(base + 1, seg) * elem);
  constexpr int kTag = 11;
  // One exchange of a (send chunk, receive chunk) pair, segment by segment; `add` accumulates.
  // Every rank makes the same number of calls (segments of the longest chunk, some of them empty),
  // so each send meets its receive.
  const std::size_t longest = base + (extra > 0 ? 1 : 0);
  auto exchange = [&](int send_chunk, int recv_chunk, bool add) {
    const std::size_t ns = length(send_chunk), nr = length(recv_chunk);
    for (std::size_t off = 0; off < longest; off += seg) {
      const std::size_t ks = off < ns ? std::min(seg, ns - off) : 0, kr = off < nr ? std::min(seg, nr - off) : 0;
      char* dst = add ? incoming.as<char>() : bytes + (begin(recv_chunk) + off) * elem;
      c.sendrecv(bytes + (begin(send_chunk) + off) * elem, ks, next, dst, kr, prev, type, kTag);
      if (add) comm::accumulate(bytes + (begin(recv_chunk) + off) * elem, incoming.as<char>(), kr, type);
    }
  };
  // Reduce-scatter: after step s, chunk (r - s - 1) holds the sum of s + 2 ranks' parts; after the
  // last, rank r owns the full sum of chunk (r + 1) mod p.
  for (int s = 0; s < p - 1; ++s) {
    exchange((r - s + p) % p, (r - s - 1 + p) % p, true);
  }
  // All-gather: pass the finished chunks around the ring.
  for (int s = 0; s < p - 1; ++s) {
    exchange((r - s + 1 + p) % p, (r - s + p) % p, false);
  }
}

}  // namespace aisys::lab05
