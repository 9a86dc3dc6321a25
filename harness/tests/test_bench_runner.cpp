// The benchmark runner's arithmetic and policy, on fake cases whose "times" are deterministic:
// manual time (as GPU fixtures report it) and a non-time metric. Nothing here times real work.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aisys/harness/bench.hpp"

namespace {

// Candidate "takes" 1 ms, baseline 3 ms (manual time); or metric 10 vs 30 (lower is better).
class FakeFixture : public aisys::bench::Fixture {
 public:
  explicit FakeFixture(bool wrong) : wrong_(wrong) {}
  void run_candidate() override {}
  void run_baseline() override {}
  std::string check_candidate() override { return wrong_ ? "output is wrong: element 3" : ""; }
  std::string check_baseline() override { return ""; }
  double timed_candidate() override { return 1e-3; }
  double timed_baseline() override { return 3e-3; }
  double candidate_metric() override { return 10.0; }
  double baseline_metric() override { return 30.0; }

 private:
  bool wrong_;
};

aisys::bench::Case fake_case(const std::string& name, bool manual, bool metric, bool wrong) {
  aisys::bench::Case c;
  c.lab = "00";
  c.part = "fake";
  c.name = name;
  c.group = "fake";
  c.x = 1;
  c.baseline = "fake-baseline";
  c.manual_time = manual;
  if (metric) c.metric = {"avg_jct", "s", "lower"};
  c.flops = 2e6;
  c.make_fixture = [wrong] { return std::make_unique<FakeFixture>(wrong); };
  return c;
}

}  // namespace

TEST(BenchRunner, RatiosSpreadsMetricsAndWrongOutputs) {
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  const auto dir = std::filesystem::temp_directory_path() / "aisys-bench-runner-test";
  std::filesystem::create_directories(dir);
  ::setenv("AISYS_LOCK_DIR", dir.c_str(), 1);
  aisys::bench::register_case(fake_case("fake/manual", true, false, false));
  aisys::bench::register_case(fake_case("fake/metric", false, true, false));
  aisys::bench::register_case(fake_case("fake/wrong", true, false, true));
  const std::string out = (dir / "results.json").string();
  std::vector<std::string> args = {"bench", "--aisys_filter=^fake/", "--aisys_out=" + out,
                                   "--aisys_no_ceilings", "--aisys_pairs=4", "--aisys_min_time=0.001"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = aisys::bench::run_benchmarks(static_cast<int>(args.size()), argv.data(), "test", "");
  EXPECT_EQ(rc, 1) << "one case has a wrong output: the run must say so";
  std::ifstream in(out);
  ASSERT_TRUE(in) << "no results written";
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["schema"], "aisys.results/1");
  ASSERT_EQ(j["records"].size(), 3u);
  const auto& manual = j["records"][0];
  EXPECT_NEAR(manual["ratio_to_baseline"].get<double>(), 3.0, 1e-9);
  EXPECT_NEAR(manual["spread"].get<double>(), 0.0, 1e-12);
  EXPECT_EQ(manual["pairs"].get<int>(), 4);
  EXPECT_NEAR(manual["time_s"].get<double>(), 1e-3, 1e-12);
  EXPECT_NEAR(manual["rate"]["value"].get<double>(), 2.0, 1e-9);  // 2e6 flop / 1 ms = 2 GFLOP/s
  const auto& metric = j["records"][1];
  EXPECT_EQ(metric["metric"]["name"], "avg_jct");
  EXPECT_EQ(metric["metric"]["better"], "lower");
  EXPECT_NEAR(metric["metric"]["value"].get<double>(), 10.0, 1e-12);
  EXPECT_NEAR(metric["baseline"]["metric_value"].get<double>(), 30.0, 1e-12);
  EXPECT_NEAR(metric["ratio_to_baseline"].get<double>(), 3.0, 1e-12);  // oriented: higher is better
  const auto& wrong = j["records"][2];
  ASSERT_TRUE(wrong.contains("error"));
  EXPECT_NE(wrong["error"].get<std::string>().find("candidate output is wrong: element 3"), std::string::npos);
  EXPECT_FALSE(wrong.contains("ratio_to_baseline"));
  std::filesystem::remove_all(dir);
}

// The results file is written after every case, marked incomplete until the last: a run stopped
// at a time limit keeps the cases it finished. The second case's fixture reads the file as it
// stands when that case begins.
TEST(BenchRunner, ResultsAreWrittenAfterEveryCaseUntilTheLast) {
  ::setenv("OMP_WAIT_POLICY", "passive", 1);  // else the runner starts the process again to set it
  const auto dir = std::filesystem::temp_directory_path() / "aisys-bench-runner-partial-test";
  std::filesystem::create_directories(dir);
  ::setenv("AISYS_LOCK_DIR", dir.c_str(), 1);
  const std::string out = (dir / "results.json").string();
  std::filesystem::remove(out);
  nlohmann::json seen_during_second;
  aisys::bench::register_case(fake_case("partial/first", true, false, false));
  aisys::bench::Case second = fake_case("partial/second", true, false, false);
  second.make_fixture = [&] {
    std::ifstream in(out);
    if (in) seen_during_second = nlohmann::json::parse(in);
    return std::make_unique<FakeFixture>(false);
  };
  aisys::bench::register_case(second);
  std::vector<std::string> args = {"bench", "--aisys_filter=^partial/", "--aisys_out=" + out,
                                   "--aisys_no_ceilings", "--aisys_pairs=2", "--aisys_min_time=0.001"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  EXPECT_EQ(aisys::bench::run_benchmarks(static_cast<int>(args.size()), argv.data(), "test", ""), 0);
  ASSERT_TRUE(seen_during_second.is_object()) << "no results file while the second case ran";
  ASSERT_EQ(seen_during_second["records"].size(), 1u);
  EXPECT_EQ(seen_during_second["records"][0]["case"], "partial/first");
  ASSERT_TRUE(seen_during_second["context"].contains("incomplete")) << seen_during_second["context"].dump();
  EXPECT_EQ(seen_during_second["context"]["incomplete"]["cases_done"], 1);
  EXPECT_EQ(seen_during_second["context"]["incomplete"]["cases_selected"], 2);
  std::ifstream in(out);
  const auto final_results = nlohmann::json::parse(in);
  EXPECT_EQ(final_results["records"].size(), 2u);
  EXPECT_FALSE(final_results["context"].contains("incomplete")) << "the finished file is still marked incomplete";
  std::filesystem::remove_all(dir);
}
