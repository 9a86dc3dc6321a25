// Tests of aisys/cluster/generator.hpp: determinism, the shapes the generator promises (offered
// load, GPU mix, duration percentiles, diurnal arrivals, Zipf users), the trace's invariants and
// the validation of the options. Every random test names its seed in a failure's trace.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "aisys/cluster/generator.hpp"
#include "aisys/cluster/trace.hpp"
#include "aisys/kernels/error.hpp"

namespace {

using aisys::cluster::GeneratorOptions;
using aisys::cluster::Job;
using aisys::cluster::Trace;

std::string seed_note(const GeneratorOptions& options) {
  return "seed=" + std::to_string(options.seed);
}

// The q-quantile of values (nearest rank on the sorted values).
double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[rank];
}

double median_duration_of(const Trace& trace, int gpus) {
  std::vector<double> durations;
  for (const Job& job : trace.jobs) {
    if (job.gpus == gpus) durations.push_back(job.duration_s);
  }
  return quantile(durations, 0.5);
}

TEST(Generator, SameSeedSameTraceDifferentSeedDifferentTrace) {
  GeneratorOptions options;
  options.seed = 12345;
  options.jobs = 2000;
  SCOPED_TRACE(seed_note(options));
  const Trace first = aisys::cluster::generate_trace(options);
  const Trace again = aisys::cluster::generate_trace(options);
  ASSERT_EQ(first.jobs.size(), again.jobs.size());
  for (std::size_t i = 0; i < first.jobs.size(); ++i) {
    const Job& a = first.jobs[i];
    const Job& b = again.jobs[i];
    ASSERT_TRUE(a.name == b.name && a.submit_s == b.submit_s && a.user == b.user && a.vc == b.vc &&
                a.gpus == b.gpus && a.duration_s == b.duration_s && a.gpu_util == b.gpu_util)
        << "job " << i << " differs";
  }
  EXPECT_EQ(first.users, again.users);
  EXPECT_EQ(first.vcs, again.vcs);
  EXPECT_EQ(first.source, aisys::cluster::describe(options));

  options.seed = 12346;
  const Trace other = aisys::cluster::generate_trace(options);
  std::size_t same_duration = 0;
  for (std::size_t i = 0; i < first.jobs.size(); ++i) {
    if (first.jobs[i].duration_s == other.jobs[i].duration_s) ++same_duration;
  }
  EXPECT_LT(same_duration, first.jobs.size() / 10);
  EXPECT_NE(first.jobs.back().submit_s, other.jobs.back().submit_s);
}

TEST(Generator, JobsAreSortedDenseAndWithinTheirRanges) {
  GeneratorOptions options;
  options.seed = 3;
  options.jobs = 5000;
  SCOPED_TRACE(seed_note(options));
  const Trace trace = aisys::cluster::generate_trace(options);
  ASSERT_EQ(trace.jobs.size(), 5000u);
  EXPECT_EQ(trace.jobs.front().name, "g000001");
  EXPECT_EQ(trace.jobs.back().name, "g005000");
  for (std::size_t i = 0; i < trace.jobs.size(); ++i) {
    const Job& job = trace.jobs[i];
    ASSERT_EQ(job.id, static_cast<aisys::cluster::JobId>(i));
    if (i > 0) {
      ASSERT_LE(trace.jobs[i - 1].submit_s, job.submit_s) << "job " << i;
    }
    ASSERT_GE(job.submit_s, 0);
    ASSERT_GE(job.duration_s, options.duration_min_s);
    ASSERT_LE(job.duration_s, options.duration_max_s);
    ASSERT_GE(job.gpu_util, options.util_min);
    ASSERT_LE(job.gpu_util, 1.0);
    ASSERT_NE(std::find(options.gpu_counts.begin(), options.gpu_counts.end(), job.gpus),
              options.gpu_counts.end());
    // user-NN belongs to vc-(NN % vcs).
    const std::string& user = trace.users.at(static_cast<std::size_t>(job.user));
    ASSERT_EQ(user.rfind("user-", 0), 0u) << user;
    const int rank = std::stoi(user.substr(5));
    ASSERT_EQ(trace.vcs.at(static_cast<std::size_t>(job.vc)),
              "vc-" + std::to_string(rank % options.vcs));
  }
  EXPECT_EQ(trace.vcs.size(), static_cast<std::size_t>(options.vcs));
}

TEST(Generator, OfferedLoadIsTheTarget) {
  for (const double target : {0.5, 0.85, 1.2}) {
    GeneratorOptions options;
    options.seed = 7;
    options.jobs = 20000;
    options.offered_load = target;
    SCOPED_TRACE(seed_note(options) + " offered_load=" + std::to_string(target));
    const Trace trace = aisys::cluster::generate_trace(options);
    const double span_s = trace.jobs.back().submit_s - trace.jobs.front().submit_s;
    const double measured = trace.total_gpu_seconds() / (options.cluster_gpus * span_s);
    EXPECT_NEAR(measured, target, 0.15 * target);
  }
}

TEST(Generator, GpuCountsFollowTheWeights) {
  GeneratorOptions options;
  options.seed = 11;
  options.jobs = 20000;
  SCOPED_TRACE(seed_note(options));
  const Trace trace = aisys::cluster::generate_trace(options);
  std::map<int, int> counts;
  for (const Job& job : trace.jobs) ++counts[job.gpus];
  double weight_sum = 0;
  for (const double weight : options.gpu_weights) weight_sum += weight;
  for (std::size_t i = 0; i < options.gpu_counts.size(); ++i) {
    const double frequency = counts[options.gpu_counts[i]] / static_cast<double>(options.jobs);
    EXPECT_NEAR(frequency, options.gpu_weights[i] / weight_sum, 0.02)
        << options.gpu_counts[i] << " GPUs";
  }
}

TEST(Generator, OneGpuDurationsHaveTheConfiguredPercentiles) {
  GeneratorOptions options;
  options.seed = 21;
  options.jobs = 20000;
  options.gpu_counts = {1};
  options.gpu_weights = {1};
  SCOPED_TRACE(seed_note(options));
  const Trace trace = aisys::cluster::generate_trace(options);
  std::vector<double> durations;
  for (const Job& job : trace.jobs) durations.push_back(job.duration_s);
  EXPECT_NEAR(quantile(durations, 0.5), options.duration_p50_s, 0.10 * options.duration_p50_s);
  EXPECT_NEAR(quantile(durations, 0.9), options.duration_p90_s, 0.10 * options.duration_p90_s);
}

TEST(Generator, LargerJobsRunLonger) {
  GeneratorOptions options;
  options.seed = 22;
  options.jobs = 20000;
  options.gpu_counts = {1, 8};
  options.gpu_weights = {1, 1};
  SCOPED_TRACE(seed_note(options));
  const Trace trace = aisys::cluster::generate_trace(options);
  // 8 GPUs: three doublings, (1 + 0.25 * 3) times longer.
  EXPECT_NEAR(median_duration_of(trace, 8) / median_duration_of(trace, 1), 1.75, 0.175);
}

TEST(Generator, DiurnalPeakHalfDayGetsMoreArrivals) {
  GeneratorOptions options;
  options.seed = 31;
  options.jobs = 20000;
  options.diurnal_amplitude = 0.5;
  SCOPED_TRACE(seed_note(options));
  const Trace trace = aisys::cluster::generate_trace(options);
  int peak = 0;
  int trough = 0;
  for (const Job& job : trace.jobs) {
    // sin(2 pi t / day) > 0 in the first half of each day.
    (std::fmod(job.submit_s, 86400.0) < 43200.0 ? peak : trough) += 1;
  }
  ASSERT_GT(trace.jobs.back().submit_s, 3 * 86400.0) << "the test needs several days";
  // Expected ratio: (1 + a 2/pi) / (1 - a 2/pi) = 1.93 for a = 0.5.
  EXPECT_GT(peak, 1.5 * trough) << "peak " << peak << ", trough " << trough;
}

TEST(Generator, UsersFollowZipf) {
  GeneratorOptions options;
  options.seed = 41;
  options.jobs = 20000;
  SCOPED_TRACE(seed_note(options));
  const Trace trace = aisys::cluster::generate_trace(options);
  std::map<std::string, int> jobs_of;
  for (const Job& job : trace.jobs) ++jobs_of[trace.users[static_cast<std::size_t>(job.user)]];
  // P(rank 1) / P(rank 2) = 2^1.1 = 2.14; P(rank 1) / P(rank 8) = 8^1.1 = 9.85.
  EXPECT_NEAR(static_cast<double>(jobs_of["user-00"]) / jobs_of["user-01"], 2.14, 0.3);
  EXPECT_NEAR(static_cast<double>(jobs_of["user-00"]) / jobs_of["user-07"], 9.85, 2.0);
}

TEST(Generator, DescribeNamesTheOptions) {
  GeneratorOptions options;
  options.seed = 42;
  options.jobs = 100;
  const std::string text = aisys::cluster::describe(options);
  EXPECT_EQ(text.rfind("generated: seed=42 jobs=100 cluster_gpus=2048 offered_load=0.85", 0), 0u)
      << text;
  EXPECT_NE(text.find("gpus=1:0.7,2:0.1,4:0.09,8:0.07,16:0.03,32:0.01"), std::string::npos) << text;
  EXPECT_NE(text.find("duration_p90_s=21600"), std::string::npos) << text;
}

TEST(GeneratorOptions, OutOfRangeOptionsAreNamed) {
  struct Case {
    std::string option;
    std::function<void(GeneratorOptions&)> change;
  };
  const std::vector<Case> cases = {
      {"jobs", [](GeneratorOptions& o) { o.jobs = 0; }},
      {"cluster_gpus", [](GeneratorOptions& o) { o.cluster_gpus = 0; }},
      {"offered_load", [](GeneratorOptions& o) { o.offered_load = 0; }},
      {"offered_load", [](GeneratorOptions& o) { o.offered_load = -1; }},
      {"gpu_counts", [](GeneratorOptions& o) { o.gpu_counts = {1, 2, 4, 8, 16, 4096}; }},
      {"gpu_counts", [](GeneratorOptions& o) { o.gpu_counts = {0, 2, 4, 8, 16, 32}; }},
      {"gpu_counts",
       [](GeneratorOptions& o) {
         o.gpu_counts.clear();
         o.gpu_weights.clear();
       }},
      {"gpu_weights", [](GeneratorOptions& o) { o.gpu_weights.resize(2); }},
      {"gpu_weights", [](GeneratorOptions& o) { o.gpu_weights = {1, -1, 0, 0, 0, 0}; }},
      {"gpu_weights", [](GeneratorOptions& o) { o.gpu_weights = {0, 0, 0, 0, 0, 0}; }},
      {"duration_p50_s", [](GeneratorOptions& o) { o.duration_p50_s = 0; }},
      {"duration_p90_s", [](GeneratorOptions& o) { o.duration_p90_s = o.duration_p50_s; }},
      {"duration_min_s", [](GeneratorOptions& o) { o.duration_min_s = 0; }},
      {"duration_max_s", [](GeneratorOptions& o) { o.duration_max_s = o.duration_min_s; }},
      {"duration_growth_per_doubling",
       [](GeneratorOptions& o) { o.duration_growth_per_doubling = -0.5; }},
      {"diurnal_amplitude", [](GeneratorOptions& o) { o.diurnal_amplitude = 1; }},
      {"diurnal_amplitude", [](GeneratorOptions& o) { o.diurnal_amplitude = -0.1; }},
      {"users", [](GeneratorOptions& o) { o.users = 0; }},
      {"vcs", [](GeneratorOptions& o) { o.vcs = 0; }},
      {"vcs", [](GeneratorOptions& o) { o.vcs = o.users + 1; }},
      {"user_zipf_s", [](GeneratorOptions& o) { o.user_zipf_s = -1; }},
      {"util_min", [](GeneratorOptions& o) { o.util_min = 0; }},
      {"util_min", [](GeneratorOptions& o) { o.util_min = 1.5; }},
  };
  for (const Case& test_case : cases) {
    GeneratorOptions options;
    options.jobs = 10;
    test_case.change(options);
    try {
      aisys::cluster::generate_trace(options);
      ADD_FAILURE() << test_case.option << ": no exception";
    } catch (const aisys::InvalidArgument& error) {
      const std::string what = error.what();
      EXPECT_NE(what.find("GeneratorOptions::" + test_case.option + " "), std::string::npos)
          << what;
    }
  }
}

TEST(GeneratorOptions, EdgeValuesAreAccepted) {
  GeneratorOptions options;
  options.jobs = 1;
  options.cluster_gpus = 32;
  options.diurnal_amplitude = 0;
  options.users = 1;
  options.vcs = 1;
  options.util_min = 1;
  options.user_zipf_s = 0;
  const Trace trace = aisys::cluster::generate_trace(options);
  ASSERT_EQ(trace.jobs.size(), 1u);
  EXPECT_EQ(trace.users, std::vector<std::string>{"user-00"});
  EXPECT_EQ(trace.vcs, std::vector<std::string>{"vc-0"});
  EXPECT_EQ(trace.jobs[0].gpu_util, 1.0);
}

}  // namespace
