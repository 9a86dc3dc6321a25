// Lab 05 benchmarks, run under mpiexec (its own main: Google Benchmark cannot keep ranks in step):
// each all-reduce against MPI_Allreduce on the same buffers, for messages of 4 B to 256 MiB.
//   mpiexec -n 2 --bind-to core lab05_reference_bench [--aisys_filter=REGEX] [--aisys_out=FILE]
//       [--aisys_pairs=N] [--aisys_quick] [--aisys_list] [--aisys_impl=NAME]
//   (or: aisys bench 05, which does this at 2 ranks)
// With --aisys_backend=nccl the same algorithms run on the NCCL backend, on device buffers, against
// ncclAllReduce (group nccl-npP; one GPU per rank, so at least two GPUs: NCCL refuses two ranks on
// one, and at one rank there is nothing to measure); the overlap cases run on MPI only.
// Timing: every rank starts together (barrier); a side's time is the slowest rank's (MPI_MAX) per
// operation, over enough repetitions to last min_time; candidate and MPI_Allreduce alternate in
// `pairs` pairs; the ratio is the median of t_MPI / t_candidate, the spread the IQR / median. The
// candidate's output is checked against a double-precision sum before and after timing. Busbw =
// S / t x 2 (p - 1) / p (the traffic per rank of a bandwidth-optimal all-reduce), algbw = S / t.
// The context records alpha and beta fitted from a ping-pong between ranks 0 and 1 and each record
// the alpha-beta model's predicted time for its algorithm (Thakur, Rabenseifner & Gropp, 2005).
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aisys/comm/communicator.hpp"
#include "aisys/comm/data_parallel.hpp"
#include "aisys/comm/nccl_communicator.hpp"
#include "aisys/harness/context.hpp"
#include "aisys/harness/lab_identity.hpp"
#include "aisys/harness/mpi_bench.hpp"
#include "aisys/lab05/allreduce.hpp"

namespace {

using aisys::comm::Communicator;
using aisys::comm::DataType;
using aisys::comm::Scratch;
using AllReduce = std::function<void(Communicator&, float*, std::size_t)>;

struct Algorithm {
  const char* name;
  AllReduce run;
};

const Algorithm kAlgorithms[] = {
    {"ring", [](Communicator& c, float* d, std::size_t n) { aisys::lab05::ring_allreduce(c, d, n, DataType::kFloat32); }},
    {"halving-doubling",
     [](Communicator& c, float* d, std::size_t n) { aisys::lab05::halving_doubling_allreduce(c, d, n, DataType::kFloat32); }},
    {"tree", [](Communicator& c, float* d, std::size_t n) { aisys::lab05::tree_allreduce(c, d, n, DataType::kFloat32); }},
};

const std::size_t kSizes[] = {4, 1 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20, 256 << 20};

std::string size_name(std::size_t bytes) {
  if (bytes >= (1 << 20)) return std::to_string(bytes >> 20) + "MiB";
  if (bytes >= (1 << 10)) return std::to_string(bytes >> 10) + "KiB";
  return std::to_string(bytes) + "B";
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

// Rank r's input: small normal floats from (seed, r, i) (2^-40 scale: repeated in-place all-reduces
// multiply values by p each time; buffers are refreshed untimed before they could overflow).
void fill(std::vector<float>& v, int rank, std::uint64_t seed) {
  std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(rank + 1));
  for (auto& e : v) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    e = std::ldexp(1.0f + static_cast<float>(x % 1000) / 1000.0f, -40);
  }
}

// Checks data against the double sum of every rank's fill(); "" when right.
std::string check(const std::vector<float>& data, int p, std::uint64_t seed) {
  std::vector<double> sum(data.size(), 0.0);
  std::vector<float> part(data.size());
  for (int r = 0; r < p; ++r) {
    fill(part, r, seed);
    for (std::size_t i = 0; i < data.size(); ++i) sum[i] += part[i];
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (std::abs(data[i] - sum[i]) > 1e-5 * std::abs(sum[i]) + 1e-30) {
      return "element " + std::to_string(i) + ": expected " + std::to_string(sum[i] * 1e12) + "e-12, got " +
             std::to_string(data[i] * 1e12) + "e-12";
    }
  }
  return "";
}

using Options = aisys::bench::MpiBenchOptions;

// The buffer a case all-reduces, in the memory of the communicator's kind (host for MPI, device
// for NCCL), and its host twin for filling and checking.
struct CaseBuffer {
  Communicator& c;
  std::size_t count;
  Scratch data;
  std::vector<float> host;
  CaseBuffer(Communicator& comm, std::size_t n) : c(comm), count(n), data(comm.scratch(n * sizeof(float))), host(n) {}
  float* get() const { return data.as<float>(); }
  void refill(int rank, std::uint64_t seed) {
    fill(host, rank, seed);
    c.copy_in(data.data(), host.data(), count * sizeof(float));
  }
  std::string check_sum(int p, std::uint64_t seed) {
    c.copy_out(host.data(), data.data(), count * sizeof(float));
    return check(host, p, seed);
  }
};

// Seconds per operation of `op` on every rank (the slowest rank), at least min_time in total.
// Ranks start together at an MPI barrier (host synchronisation on either backend).
double time_side(Communicator& world, const std::function<void()>& op, CaseBuffer& buffer, int rank,
                 std::uint64_t seed, double min_time, int& reps_out) {
  const int p = world.size();
  const int max_batch = std::max(1, static_cast<int>(150.0 / std::log2(std::max(2, p))));  // before overflow
  // Rank 0 decides the repetitions (all ranks must agree) from one timed call.
  buffer.refill(rank, seed);
  world.barrier();
  double t0 = now();
  op();
  double one = now() - t0, slowest = 0;
  MPI_Allreduce(&one, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  int reps = std::clamp(static_cast<int>(min_time / std::max(slowest, 1e-7)), 1, 100000);
  MPI_Bcast(&reps, 1, MPI_INT, 0, MPI_COMM_WORLD);
  double total = 0;
  for (int done = 0; done < reps;) {
    const int batch = std::min(max_batch, reps - done);
    buffer.refill(rank, seed);  // untimed refresh
    world.barrier();
    t0 = now();
    for (int i = 0; i < batch; ++i) op();
    const double mine = now() - t0;
    double worst = 0;
    MPI_Allreduce(&mine, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    total += worst;
    done += batch;
  }
  reps_out = reps;
  return total / reps;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(pos);
  const std::size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

// Ping-pong between ranks 0 and 1: (alpha seconds, beta seconds per byte).
std::pair<double, double> ping_pong(Communicator& c) {
  if (c.size() < 2) return {0, 0};
  auto one_way = [&](std::size_t bytes) {
    const std::size_t n = std::max<std::size_t>(1, bytes / 4);
    const Scratch buf = c.scratch(n * sizeof(float));  // where this backend sends from
    const int reps = bytes < (1 << 20) ? 200 : 10;
    c.barrier();
    const double t0 = now();
    for (int i = 0; i < reps; ++i) {
      if (c.rank() == 0) {
        c.send(buf.data(), n, DataType::kFloat32, 1, 99);
        c.recv(buf.data(), n, DataType::kFloat32, 1, 99);
      } else if (c.rank() == 1) {
        c.recv(buf.data(), n, DataType::kFloat32, 0, 99);
        c.send(buf.data(), n, DataType::kFloat32, 0, 99);
      }
    }
    double t = (now() - t0) / (2.0 * reps);
    MPI_Bcast(&t, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return t;
  };
  const double small = one_way(4), large = one_way(8 << 20);
  const double beta = (large - small) / static_cast<double>((8 << 20) - 4);
  return {small, std::max(beta, 0.0)};
}

// The alpha-beta(-gamma omitted) model's time for an all-reduce of n bytes over p ranks.
double predicted(const std::string& alg, int p, double n, double alpha, double beta) {
  if (p == 1) return 0;
  const double lg = std::ceil(std::log2(p));
  if (alg == "ring") return 2.0 * (p - 1) * alpha + 2.0 * (p - 1) / p * n * beta;
  if (alg == "halving-doubling") return 2.0 * lg * alpha + 2.0 * (p - 1) / p * n * beta;
  // Binomial reduce + broadcast. Segments (the reference's 64 KiB) add an alpha per segment, left out
  // (microseconds at these sizes), and leave the bandwidth term: the root receives, then sends,
  // log2 p copies of the n bytes either way.
  return 2.0 * lg * (alpha + n * beta);
}

// Overlap of gradient all-reduces with the backward pass, for one bucket size: data-parallel
// training steps of an MLP whose gradients total about 24 MiB, with the backward's compute emulated
// by a calibrated spin per layer (real compute would fight the all-reduce for the same two cores)
// that adds twice the communication time to the MLP's own backward, so compute takes at least twice
// as long as communication (more where the MLP's own backward is not negligible against a fast
// link). Times per step (slowest rank):
//   comm        the gradients' all-reduce alone (the bucketer, no compute)
//   compute     the step with no communication
//   no_overlap  compute, then every bucket's all-reduce after the backward
//   overlap     buckets start as gradients become ready and are polled during compute
// hidden fraction = (no_overlap - overlap) / min(compute, comm).
struct Overlap {
  double comm = 0, compute = 0, no_overlap = 0, overlap = 0;
  double hidden() const { return (no_overlap - overlap) / std::max(1e-12, std::min(compute, comm)); }
};

double slowest_step(Communicator& c, const std::function<void()>& step, int steps) {
  std::vector<double> t;
  for (int i = 0; i < steps; ++i) {
    c.barrier();
    const double t0 = now();
    step();
    double mine = now() - t0, worst = 0;
    MPI_Allreduce(&mine, &worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    t.push_back(worst);
  }
  return median(t);
}

Overlap measure_overlap(Communicator& c, std::size_t bucket_bytes, int steps) {
  const int p = c.size();
  const aisys::kernels::Blobs data = aisys::kernels::make_blobs(64 * p, 256, 8, 7);
  aisys::kernels::Mlp model({256, 1024, 2048, 2048, 256, 8}, 7);
  aisys::comm::DataParallelOptions o;
  o.steps = 1;
  o.global_batch = 2 * p;
  o.learning_rate = 0.0f;  // the parameters stay put: every step costs the same
  aisys::lab05::GradientBucketer bucketer(c, bucket_bytes);
  std::vector<std::span<float>> pending;
  const aisys::comm::GradientHooks overlapped{[&](std::span<float> g) { bucketer.ready(g); }, [&] { bucketer.poll(); },
                                              [&] { bucketer.finish(); }};
  const aisys::comm::GradientHooks after{[&](std::span<float> g) { pending.push_back(g); }, {}, [&] {
                                           for (auto g : pending) bucketer.ready(g);
                                           pending.clear();
                                           bucketer.finish();
                                         }};
  const aisys::comm::GradientHooks none{};
  Overlap r;
  // Communication alone: every gradient through the buckets, nothing else.
  r.comm = slowest_step(c, [&] {
    for (int l = model.layers() - 1; l >= 0; --l) bucketer.ready(model.gradients(l));
    bucketer.finish();
  }, steps);
  // Add emulated compute of twice the communication (a backward pass's usual share when the network
  // keeps up): then all but the last layers' all-reduces can hide.
  o.extra_backward_s_per_layer = 2.0 * r.comm / model.layers();
  r.compute = slowest_step(c, [&] { aisys::comm::train_data_parallel(c, model, data, o, none); }, steps);
  for (int i = 0; i < steps; ++i) {  // interleaved
    r.no_overlap += slowest_step(c, [&] { aisys::comm::train_data_parallel(c, model, data, o, after); }, 1);
    r.overlap += slowest_step(c, [&] { aisys::comm::train_data_parallel(c, model, data, o, overlapped); }, 1);
  }
  r.no_overlap /= steps;
  r.overlap /= steps;
  return r;
}

// The baseline's name: "mpi_allreduce", or with Open MPI's tuned component forced to one algorithm
// (OMPI_MCA_coll_tuned_use_dynamic_rules=1 OMPI_MCA_coll_tuned_allreduce_algorithm=N, for the
// report's comparison of MPI's own algorithms) "mpi_allreduce[ring]" and so on.
std::string baseline_name() {
  const char* dynamic = std::getenv("OMPI_MCA_coll_tuned_use_dynamic_rules");
  const char* alg = std::getenv("OMPI_MCA_coll_tuned_allreduce_algorithm");
  if (!dynamic || std::string(dynamic) != "1" || !alg) return "mpi_allreduce";
  static const char* const kNames[] = {"default",           "basic-linear", "nonoverlapping", "recursive-doubling",
                                       "ring",              "segmented-ring", "rabenseifner"};
  const int n = std::atoi(alg);
  return std::string("mpi_allreduce[") + (n >= 0 && n <= 6 ? kNames[n] : alg) + "]";
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  opt.impl = aisys::bench::kLabImpl;
  if (const int rc = aisys::bench::parse_mpi_bench_flags(argc, argv, "lab05 bench", opt); rc != 0) return rc;
  if (opt.quick) {
    opt.pairs = 3;
    opt.min_time = 0.02;
  }
  Communicator& world = aisys::comm::mpi_world();
  const int p = world.size(), rank = world.rank();
  const bool on_nccl = opt.backend == "nccl";
  std::unique_ptr<Communicator> nccl;
  if (on_nccl && !opt.list) {
    if (p < 2) {
      if (rank == 0) {
        std::fprintf(stderr, "lab05 bench: --aisys_backend=nccl needs at least 2 ranks, one GPU each (NCCL refuses two "
                     "ranks on one GPU, and one rank has nothing to measure); the backend's one-rank correctness is "
                     "tested by ctest -R NcclCommunicator\n");
      }
      return 2;
    }
    // Agreed by every rank (a rank that returned alone would leave the others in NCCL's set-up).
    if (const std::string why = aisys::comm::nccl_unavailable_reason(); !why.empty()) {
      if (rank == 0) std::fprintf(stderr, "lab05 bench: --aisys_backend=nccl: %s\n", why.c_str());
      return 2;
    }
    try {
      nccl = aisys::comm::make_nccl_communicator();
    } catch (const std::exception& e) {
      // Set-up failed here but perhaps not elsewhere: the other ranks may be waiting in
      // ncclCommInitRank for this one, so the whole job ends.
      std::fprintf(stderr, "lab05 bench: rank %d: --aisys_backend=nccl: %s\n", rank, e.what());
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
  }
  Communicator& c = on_nccl && nccl ? *nccl : world;
  std::regex re;
  try {
    re = std::regex(opt.filter);
  } catch (const std::regex_error&) {
    if (rank == 0) std::fprintf(stderr, "lab05 bench: --aisys_filter=%s is not a regular expression\n", opt.filter.c_str());
    return 2;
  }
  struct Selected {
    const Algorithm* alg;
    std::size_t bytes;
    std::string name;
  };
  std::vector<Selected> cases;
  for (const auto& alg : kAlgorithms) {
    for (std::size_t bytes : kSizes) {
      const std::string name = std::string(alg.name) + "/" + size_name(bytes);
      if (std::regex_search(name, re)) cases.push_back({&alg, bytes, name});
    }
  }
  const std::size_t kBuckets[] = {256 << 10, 1 << 20, 4 << 20, 16 << 20};
  std::vector<std::pair<std::size_t, std::string>> overlap_cases;
  for (std::size_t b : kBuckets) {
    if (on_nccl) break;  // the data-parallel loop's gradients live in host memory
    const std::string name = "overlap/bucket-" + size_name(b);
    if (std::regex_search(name, re)) overlap_cases.push_back({b, name});
  }
  if (opt.list) {
    if (rank == 0) {
      for (const auto& s : cases) {
        std::printf("%s\tpart=%s\tranks=%d\tbaseline=%s\n", s.name.c_str(), s.alg->name, p,
                    on_nccl ? "nccl_allreduce" : "mpi_allreduce");
      }
      for (const auto& [b, name] : overlap_cases) std::printf("%s\tpart=overlap\tranks=%d\tbaseline=no_overlap\n", name.c_str(), p);
    }
    return 0;
  }
  if (aisys::bench::no_case_matches(opt, cases.size() + overlap_cases.size(), rank, "lab05 bench")) return aisys::bench::kExitNoCaseMatches;
  std::uint64_t seed = std::chrono::steady_clock::now().time_since_epoch().count();  // never shown to the candidate
  MPI_Bcast(&seed, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  const auto [alpha, beta] = ping_pong(c);
  nlohmann::json records = nlohmann::json::array();
  int failures = 0;
  for (const auto& s : cases) {
    const std::size_t count = std::max<std::size_t>(1, s.bytes / sizeof(float));
    CaseBuffer data(c, count);
    nlohmann::json rec = {{"lab", "05"}, {"part", s.alg->name}, {"impl", opt.impl}, {"case", s.name},
                          {"group", (on_nccl ? "nccl-np" : "np") + std::to_string(p)}, {"x", static_cast<double>(s.bytes)},
                          {"x_label", "message size (bytes)"},
                          {"shape", {{"bytes", s.bytes}, {"ranks", p}, {"backend", c.backend()}}}, {"threads", 1}};
    // Check first (and fail the case, not the run, when wrong).
    data.refill(rank, seed);
    std::string err;
    try {
      s.alg->run(c, data.get(), count);
      err = data.check_sum(p, seed);
    } catch (const std::exception& e) {
      err = std::string("threw: ") + e.what();
    }
    int bad = err.empty() ? 0 : 1, any_bad = 0;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any_bad) {
      rec["error"] = "candidate wrong output on some rank" + (err.empty() ? std::string() : " (rank " + std::to_string(rank) + ": " + err + ")");
      ++failures;
      if (rank == 0) records.push_back(rec);
      continue;
    }
    std::vector<double> tc, tb, ratios;
    int reps_c = 0, reps_b = 0;
    for (int pair = 0; pair < opt.pairs; ++pair) {
      auto cand = [&] { s.alg->run(c, data.get(), count); };
      auto base = [&] {
        if (on_nccl) aisys::comm::nccl_allreduce_baseline(c, data.get(), count, DataType::kFloat32);
        else MPI_Allreduce(MPI_IN_PLACE, data.get(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      };
      double a, b;
      if (pair % 2 == 0) {
        a = time_side(world, cand, data, rank, seed, opt.min_time, reps_c);
        b = time_side(world, base, data, rank, seed, opt.min_time, reps_b);
      } else {
        b = time_side(world, base, data, rank, seed, opt.min_time, reps_b);
        a = time_side(world, cand, data, rank, seed, opt.min_time, reps_c);
      }
      tc.push_back(a);
      tb.push_back(b);
      ratios.push_back(b / a);
    }
    // Check again after timing (anti-gaming: the timed code is the checked code).
    data.refill(rank, seed);
    s.alg->run(c, data.get(), count);
    err = data.check_sum(p, seed);
    bad = err.empty() ? 0 : 1;
    MPI_Allreduce(&bad, &any_bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    const double t = median(tc), t_base = median(tb), ratio = median(ratios);
    const double bytes = static_cast<double>(count * sizeof(float));
    const double algbw = bytes / t / 1e9, busbw = algbw * 2.0 * (p - 1) / std::max(1, p);
    rec["time_s"] = t;
    rec["rate"] = {{"value", busbw}, {"unit", "GB/s"}};
    rec["algbw_gbs"] = algbw;
    rec["baseline"] = {{"name", on_nccl ? std::string("nccl_allreduce") : baseline_name()}, {"time_s", t_base},
                       {"rate", {{"value", bytes / t_base / 1e9 * 2.0 * (p - 1) / std::max(1, p)}, {"unit", "GB/s"}}}};
    rec["ratio_to_baseline"] = ratio;
    rec["spread"] = ratio > 0 ? (quantile(ratios, 0.75) - quantile(ratios, 0.25)) / ratio : 0.0;
    rec["ratios"] = ratios;
    rec["pairs"] = opt.pairs;
    rec["reruns"] = 0;
    rec["repetitions"] = {reps_c, reps_b};
    rec["predicted_time_s"] = predicted(s.alg->name, p, bytes, alpha, beta);
    if (any_bad) {
      rec["error"] = "candidate wrong output after timing";
      ++failures;
    }
    if (rank == 0) {
      records.push_back(rec);
      std::fprintf(stderr, "%-28s busbw %8.3f GB/s  %s %8.3f GB/s  ratio %.3f (spread %.1f%%)\n",
                   s.name.c_str(), busbw, on_nccl ? "ncclAllReduce" : "MPI_Allreduce", rec["baseline"]["rate"]["value"].get<double>(), ratio,
                   rec["spread"].get<double>() * 100);
    }
  }
  for (const auto& [bucket, name] : overlap_cases) {
    nlohmann::json rec = {{"lab", "05"}, {"part", "overlap"}, {"impl", opt.impl}, {"case", name},
                          {"group", "overlap-np" + std::to_string(p)}, {"x", static_cast<double>(bucket)},
                          {"x_label", "bucket size (bytes)"}, {"shape", {{"bucket_bytes", bucket}, {"ranks", p}}},
                          {"threads", 1}};
    try {
      const Overlap o = measure_overlap(c, bucket, opt.quick ? 3 : 7);
      rec["time_s"] = o.overlap;
      rec["baseline"] = {{"name", "no_overlap"}, {"time_s", o.no_overlap}};
      rec["ratio_to_baseline"] = o.no_overlap / o.overlap;
      rec["spread"] = 0.0;
      rec["hidden_fraction"] = o.hidden();
      rec["compute_s"] = o.compute;
      rec["comm_s"] = o.comm;
      if (rank == 0) {
        std::fprintf(stderr, "%-28s comm %.4f s  compute %.4f s  no overlap %.4f s  overlap %.4f s  hidden %.2f\n",
                     name.c_str(), o.comm, o.compute, o.no_overlap, o.overlap, o.hidden());
      }
    } catch (const std::exception& e) {
      rec["error"] = std::string("threw: ") + e.what();
      ++failures;
    }
    if (rank == 0) records.push_back(rec);
  }
  if (rank == 0) {
    const std::string lab_dir = aisys::bench::kLabSourceDir;
    auto ctx = aisys::context::machine(lab_dir + "/../..");
    ctx.update(aisys::context::lab(lab_dir));
    ctx["ranks"] = p;
    int version_len = 0;
    char version[MPI_MAX_LIBRARY_VERSION_STRING];
    MPI_Get_library_version(version, &version_len);
    std::string v(version, static_cast<std::size_t>(version_len));
    ctx["baselines"] = {{"mpi", {{"library", v.substr(0, v.find('\n'))}}}};
    ctx["backend"] = c.backend();
    if (on_nccl) {
      ctx["baselines"]["nccl"] = {{"version", aisys::comm::nccl_version()}};
      ctx["gpu"] = aisys::context::gpu();
    }
    ctx["link"] = {{"alpha_s", alpha}, {"beta_s_per_byte", beta},
                   {"bandwidth_gbs", beta > 0 ? 1e-9 / beta : 0.0}, {"measured_by", "ping-pong, ranks 0 and 1"}};
    if (!opt.command.empty()) ctx["command"] = opt.command;
    const std::string fallback = std::string("lab05-") + (on_nccl ? "nccl-" : "") + opt.impl + ".json";
    if (!aisys::bench::write_results(opt.out_or(fallback), ctx, records, "lab05 bench")) return 1;
  }
  return failures ? 1 : 0;
}
