// Lab 05, part 4 (reference): a nonblocking ring all-reduce driven by progress(), and gradient
// buckets that start their all-reduce while the backward pass is still running (the scheme of
// PyTorch DDP and Horovod's tensor fusion).
#include <algorithm>
#include <cstring>
#include <deque>
#include <vector>

#include "aisys/lab05/allreduce.hpp"

namespace aisys::lab05 {

// ---- NonblockingRing: the ring of part 1 as a state machine, one step in flight at a time.
struct NonblockingRing::State {
  Communicator* c;
  float* data;
  std::size_t count;
  int tag, p, r, step = 0, steps = 0;
  bool started = false, finished = false;
  comm::Scratch incoming;  // the reduce-scatter's receive buffer, in the communicator's memory
  comm::Request send, recv;
  int recv_chunk = 0;

  std::size_t begin(int k) const {
    const std::size_t base = count / static_cast<std::size_t>(p), extra = count % static_cast<std::size_t>(p);
    const auto uk = static_cast<std::size_t>(k);
    return uk * base + std::min(uk, extra);
  }
  std::size_t length(int k) const { return begin(k + 1) - begin(k); }

  void post() {
    const int next = (r + 1) % p, prev = (r + p - 1) % p;
    int send_chunk;
    if (step < p - 1) {  // reduce-scatter: receive into a scratch buffer, add when it lands
      send_chunk = (r - step + p) % p;
      recv_chunk = (r - step - 1 + p) % p;
      recv = c->irecv(incoming.as<float>(), length(recv_chunk), DataType::kFloat32, prev, tag);
    } else {  // all-gather: receive straight into place
      const int s = step - (p - 1);
      send_chunk = (r - s + 1 + p) % p;
      recv_chunk = (r - s + p) % p;
      recv = c->irecv(data + begin(recv_chunk), length(recv_chunk), DataType::kFloat32, prev, tag);
    }
    send = c->isend(data + begin(send_chunk), length(send_chunk), DataType::kFloat32, next, tag);
  }
};

NonblockingRing::NonblockingRing(Communicator& c, float* data, std::size_t count, int tag)
    : state_(std::make_unique<State>()) {
  state_->c = &c;
  state_->data = data;
  state_->count = count;
  state_->tag = tag;
  state_->p = c.size();
  state_->r = c.rank();
  state_->steps = 2 * (state_->p - 1);
  state_->incoming = c.scratch((count / static_cast<std::size_t>(state_->p) + 1) * sizeof(float));
}

NonblockingRing::~NonblockingRing() = default;

void NonblockingRing::start() {
  State& s = *state_;
  s.started = true;
  if (s.p == 1 || s.count == 0) {
    s.finished = true;
    return;
  }
  s.post();
}

bool NonblockingRing::progress() {
  State& s = *state_;
  if (!s.started || s.finished) return s.finished;
  // Apply every step whose send and receive have both completed; never wait.
  while (s.c->test(s.recv) && s.c->test(s.send)) {
    if (s.step < s.p - 1) {
      comm::accumulate(s.data + s.begin(s.recv_chunk), s.incoming.as<float>(), s.length(s.recv_chunk), DataType::kFloat32);
    }
    s.recv.reset();
    s.send.reset();
    if (++s.step == s.steps) {
      s.finished = true;
      return true;
    }
    s.post();
  }
  return false;
}

bool NonblockingRing::done() const { return state_->finished; }

// ---- GradientBucketer
struct GradientBucketer::State {
  struct Bucket {
    std::vector<float> buffer;
    std::vector<std::span<float>> gradients;  // where each piece goes back
    std::unique_ptr<NonblockingRing> ring;
  };
  Communicator* c;
  std::size_t capacity;  // floats per bucket
  Bucket filling;
  std::deque<Bucket> in_flight;
  std::size_t launched = 0, last_used = 0;

  void launch(Bucket&& b) {
    if (b.gradients.empty()) return;
    in_flight.push_back(std::move(b));
    Bucket& f = in_flight.back();
    f.ring = std::make_unique<NonblockingRing>(*c, f.buffer.data(), f.buffer.size(), 100 + static_cast<int>(launched++ % 30000));
    f.ring->start();
  }
};

GradientBucketer::GradientBucketer(Communicator& c, std::size_t bucket_bytes) : state_(std::make_unique<State>()) {
  state_->c = &c;
  state_->capacity = std::max<std::size_t>(1, bucket_bytes / sizeof(float));
}

GradientBucketer::~GradientBucketer() = default;

void GradientBucketer::ready(std::span<float> gradient) {
  State& s = *state_;
  if (!s.filling.buffer.empty() && s.filling.buffer.size() + gradient.size() > s.capacity) {
    s.launch(std::move(s.filling));
    s.filling = {};
  }
  s.filling.buffer.insert(s.filling.buffer.end(), gradient.begin(), gradient.end());
  s.filling.gradients.push_back(gradient);
  if (s.filling.buffer.size() >= s.capacity) {
    s.launch(std::move(s.filling));
    s.filling = {};
  }
  poll();
}

void GradientBucketer::poll() {
  for (auto& b : state_->in_flight) b.ring->progress();
}

void GradientBucketer::finish() {
  State& s = *state_;
  s.launch(std::move(s.filling));
  s.filling = {};
  bool all = false;
  while (!all) {
    all = true;
    for (auto& b : s.in_flight) all = b.ring->progress() && all;
  }
  for (auto& b : s.in_flight) {
    std::size_t off = 0;
    for (auto g : b.gradients) {
      std::memcpy(g.data(), b.buffer.data() + off, g.size() * sizeof(float));
      off += g.size();
    }
  }
  s.last_used = s.in_flight.size();
  s.in_flight.clear();
}

std::size_t GradientBucketer::buckets_used() const { return state_->last_used; }

}  // namespace aisys::lab05
