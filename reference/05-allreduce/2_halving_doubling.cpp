// Lab 05, part 2 (reference): recursive halving-doubling all-reduce (Rabenseifner; Thakur,
// Rabenseifner & Gropp, 2005). Reduce-scatter by recursive halving, all-gather by recursive
// doubling, on the largest power of two p' <= p; the 2 (p - p') first ranks fold in pairs first.
#include <algorithm>
#include <vector>

#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05 {

void halving_doubling_allreduce(Communicator& c, void* data, std::size_t count, DataType type) {
  const int p = c.size(), r = c.rank();
  if (p == 1 || count == 0) return;
  const std::size_t elem = comm::size_of(type);
  char* bytes = static_cast<char*>(data);
  int pow2 = 1;
  while (pow2 * 2 <= p) pow2 *= 2;
  const int rem = p - pow2;
  constexpr int kTag = 12;
  // Exchanges are cut into segments of at most kSegmentBytes so that the scratch buffer stays in the
  // L2 cache while a segment is received and added.
  constexpr std::size_t kSegmentBytes = 256 << 10;
  const std::size_t seg = std::max<std::size_t>(1, kSegmentBytes / elem);
  comm::Scratch incoming = c.scratch(std::min(count, seg) * elem);  // host for MPI, device for NCCL
  // Send [send_lo, send_lo + ns) to and receive [recv_lo, recv_lo + nr) from `partner`, segment by
  // segment (the partner cuts the same ranges the same way); `add`: accumulate instead of storing.
  auto exchange = [&](int partner, std::size_t send_lo, std::size_t ns, std::size_t recv_lo, std::size_t nr, bool add) {
    for (std::size_t off = 0; off < std::max(ns, nr); off += seg) {
      const std::size_t ks = off < ns ? std::min(seg, ns - off) : 0, kr = off < nr ? std::min(seg, nr - off) : 0;
      char* dst = add ? incoming.as<char>() : bytes + (recv_lo + off) * elem;
      c.sendrecv(bytes + (send_lo + off) * elem, ks, partner, dst, kr, partner, type, kTag);
      if (add) comm::accumulate(bytes + (recv_lo + off) * elem, incoming.as<char>(), kr, type);
    }
  };

  // Fold: among the first 2 * rem ranks, odd ranks hand their data to the even neighbour.
  int new_rank = -1;
  if (r < 2 * rem) {
    if (r % 2 == 0) {
      for (std::size_t off = 0; off < count; off += seg) {
        const std::size_t k = std::min(seg, count - off);
        c.recv(incoming.as<char>(), k, type, r + 1, kTag);
        comm::accumulate(bytes + off * elem, incoming.as<char>(), k, type);
      }
      new_rank = r / 2;
    } else {
      for (std::size_t off = 0; off < count; off += seg) c.send(bytes + off * elem, std::min(seg, count - off), type, r - 1, kTag);
    }
  } else {
    new_rank = r - rem;
  }
  auto real_rank = [rem](int nr) { return nr < rem ? 2 * nr : nr + rem; };

  if (new_rank >= 0) {
    // Reduce-scatter by recursive halving: keep one half of the current range, send the other.
    std::vector<std::pair<std::size_t, std::size_t>> ranges;  // the range before each halving
    std::size_t lo = 0, hi = count;
    for (int dist = pow2 / 2; dist >= 1; dist /= 2) {
      const int partner = real_rank(new_rank ^ dist);
      const std::size_t mid = lo + (hi - lo) / 2;
      const bool keep_low = (new_rank & dist) == 0;
      const std::size_t keep_lo = keep_low ? lo : mid, keep_hi = keep_low ? mid : hi;
      const std::size_t send_lo = keep_low ? mid : lo, send_hi = keep_low ? hi : mid;
      exchange(partner, send_lo, send_hi - send_lo, keep_lo, keep_hi - keep_lo, true);
      ranges.push_back({lo, hi});
      lo = keep_lo;
      hi = keep_hi;
    }
    // All-gather by recursive doubling: swap finished halves back up the same levels.
    for (int dist = 1, level = static_cast<int>(ranges.size()) - 1; dist < pow2; dist *= 2, --level) {
      const int partner = real_rank(new_rank ^ dist);
      const auto [parent_lo, parent_hi] = ranges[static_cast<std::size_t>(level)];
      const std::size_t other_lo = lo == parent_lo ? hi : parent_lo;
      const std::size_t other_hi = lo == parent_lo ? parent_hi : lo;
      exchange(partner, lo, hi - lo, other_lo, other_hi - other_lo, false);
      lo = parent_lo;
      hi = parent_hi;
    }
  }

  // Unfold: the even ranks give the result back to their odd neighbours.
  if (r < 2 * rem) {
    if (r % 2 == 0) c.send(bytes, count, type, r + 1, kTag);
    else c.recv(bytes, count, type, r - 1, kTag);
  }
}

}  // namespace aisys::lab05
