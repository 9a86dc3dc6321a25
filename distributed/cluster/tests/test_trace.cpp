// Tests of aisys/cluster/trace.hpp: TraceBuilder, the project's CSV format (reading, its errors,
// atomic saving, round trips), the Philly and Helios loaders and load_trace's dispatch. The
// expected values of the fixtures in tests/data are worked out by hand in the comments.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "aisys/cluster/generator.hpp"
#include "aisys/cluster/trace.hpp"
#include "aisys/kernels/error.hpp"

namespace {

using aisys::cluster::Job;
using aisys::cluster::PublicTraceOptions;
using aisys::cluster::Trace;
using aisys::cluster::TraceBuilder;

std::string data_path(const std::string& name) {
  return std::string(AISYS_CLUSTER_TEST_DATA) + "/" + name;
}

// Runs `load`, which must throw InvalidArgument whose message starts with `prefix` and contains
// `phrase`.
void expect_invalid(const std::function<void()>& load, const std::string& prefix,
                    const std::string& phrase) {
  try {
    load();
    ADD_FAILURE() << "no exception; expected \"" << prefix << "...\" containing \"" << phrase
                  << "\"";
  } catch (const aisys::InvalidArgument& error) {
    const std::string what = error.what();
    EXPECT_EQ(what.rfind(prefix, 0), 0u) << "message: " << what << "\nexpected prefix: " << prefix;
    EXPECT_NE(what.find(phrase), std::string::npos)
        << "message: " << what << "\nexpected phrase: " << phrase;
  }
}

struct ExpectedJob {
  std::string name;
  double submit_s;
  std::string user;
  std::string vc;
  int gpus;
  double duration_s;
  double gpu_util;
};

void expect_jobs(const Trace& trace, const std::vector<ExpectedJob>& expected) {
  ASSERT_EQ(trace.jobs.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("job " + std::to_string(i) + " (" + expected[i].name + ")");
    const Job& job = trace.jobs[i];
    EXPECT_EQ(job.id, static_cast<aisys::cluster::JobId>(i));
    EXPECT_EQ(job.name, expected[i].name);
    EXPECT_DOUBLE_EQ(job.submit_s, expected[i].submit_s);
    ASSERT_GE(job.user, 0);
    ASSERT_LT(static_cast<std::size_t>(job.user), trace.users.size());
    EXPECT_EQ(trace.users[job.user], expected[i].user);
    ASSERT_GE(job.vc, 0);
    ASSERT_LT(static_cast<std::size_t>(job.vc), trace.vcs.size());
    EXPECT_EQ(trace.vcs[job.vc], expected[i].vc);
    EXPECT_EQ(job.gpus, expected[i].gpus);
    EXPECT_DOUBLE_EQ(job.duration_s, expected[i].duration_s);
    EXPECT_DOUBLE_EQ(job.gpu_util, expected[i].gpu_util);
  }
}

// Exact equality, field by field (doubles compared with ==: the CSV format must round-trip them).
void expect_identical(const Trace& actual, const Trace& expected) {
  EXPECT_EQ(actual.users, expected.users);
  EXPECT_EQ(actual.vcs, expected.vcs);
  ASSERT_EQ(actual.jobs.size(), expected.jobs.size());
  for (std::size_t i = 0; i < expected.jobs.size(); ++i) {
    SCOPED_TRACE("job " + std::to_string(i));
    const Job& a = actual.jobs[i];
    const Job& e = expected.jobs[i];
    EXPECT_EQ(a.id, e.id);
    EXPECT_EQ(a.name, e.name);
    EXPECT_EQ(a.submit_s, e.submit_s);
    EXPECT_EQ(a.user, e.user);
    EXPECT_EQ(a.vc, e.vc);
    EXPECT_EQ(a.gpus, e.gpus);
    EXPECT_EQ(a.duration_s, e.duration_s);
    EXPECT_EQ(a.gpu_util, e.gpu_util);
  }
}

Trace parse(const std::string& text) {
  std::istringstream in(text);
  return aisys::cluster::parse_trace_csv(in, "mem.csv");
}

// A folder of its own under the test temporary directory, removed at the end of the test.
class TraceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = std::filesystem::path(::testing::TempDir()) /
                 ("aisys_cluster_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  std::string write_file(const std::string& name, const std::string& text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(directory_)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  std::filesystem::path directory_;
};

// ---- TraceBuilder and the Trace helpers.

TEST(TraceBuilder, SortsStablyRenumbersAndInternsInFirstAppearanceOrder) {
  TraceBuilder builder;
  builder.add("late", 50, "bob", "vc-b", 4, 10, 0.5);
  builder.add("first-at-10", 10, "carol", "vc-a", 1, 20);
  builder.add("second-at-10", 10, "bob", "vc-a", 2, 30);
  builder.add("early", 0, "alice", "vc-b", 8, 40);
  const Trace trace = std::move(builder).build("unit");
  EXPECT_EQ(trace.source, "unit");
  expect_jobs(trace, {{"early", 0, "alice", "vc-b", 8, 40, 1},
                      {"first-at-10", 10, "carol", "vc-a", 1, 20, 1},
                      {"second-at-10", 10, "bob", "vc-a", 2, 30, 1},
                      {"late", 50, "bob", "vc-b", 4, 10, 0.5}});
  EXPECT_EQ(trace.users, (std::vector<std::string>{"alice", "carol", "bob"}));
  EXPECT_EQ(trace.vcs, (std::vector<std::string>{"vc-b", "vc-a"}));
  EXPECT_EQ(trace.max_gpus(), 8);
  EXPECT_DOUBLE_EQ(trace.total_gpu_seconds(), 8 * 40 + 1 * 20 + 2 * 30 + 4 * 10);
}

TEST(TraceBuilder, EmptyTraceHasNoGpus) {
  const Trace trace = TraceBuilder().build("empty");
  EXPECT_TRUE(trace.jobs.empty());
  EXPECT_EQ(trace.max_gpus(), 0);
  EXPECT_EQ(trace.total_gpu_seconds(), 0.0);
}

TEST(TraceBuilder, RejectsJobsNoSimulatorCouldRun) {
  TraceBuilder builder;
  EXPECT_THROW(builder.add("a", -1, "u", "v", 1, 10), aisys::InvalidArgument);
  EXPECT_THROW(builder.add("b", 0, "u", "v", 0, 10), aisys::InvalidArgument);
  EXPECT_THROW(builder.add("c", 0, "u", "v", 1, 0), aisys::InvalidArgument);
  EXPECT_THROW(builder.add("d", 0, "u", "v", 1, 10, 0), aisys::InvalidArgument);
  EXPECT_THROW(builder.add("e", 0, "u", "v", 1, 10, 1.5), aisys::InvalidArgument);
}

// ---- The project's CSV format.

TEST(TraceCsv, LoadsTheValidFixture) {
  const std::string path = data_path("trace_valid.csv");
  const Trace trace = aisys::cluster::load_trace_csv(path);
  EXPECT_EQ(trace.source, path);
  // Sorted by submit time; j2 and j4 (both at 120) keep their file order.
  expect_jobs(trace, {{"j1", 0, "alice", "vc-a", 8, 3600, 0.6},
                      {"j5", 30.25, "bob", "vc-a", 16, 86400, 0.9},
                      {"j3", 60, "alice", "vc-a", 2, 1800, 0.25},
                      {"j2", 120, "bob", "vc-b", 1, 600.5, 1},
                      {"j4", 120, "carol", "vc-b", 4, 7200, 1}});
  EXPECT_EQ(trace.users, (std::vector<std::string>{"alice", "bob", "carol"}));
  EXPECT_EQ(trace.vcs, (std::vector<std::string>{"vc-a", "vc-b"}));
  EXPECT_EQ(trace.max_gpus(), 16);
  // 8*3600 + 16*86400 + 2*1800 + 1*600.5 + 4*7200
  EXPECT_DOUBLE_EQ(trace.total_gpu_seconds(), 1444200.5);
}

TEST(TraceCsv, WithoutGpuUtilColumnJobsUseWholeGpus) {
  const Trace trace = aisys::cluster::load_trace_csv(data_path("trace_no_util.csv"));
  expect_jobs(trace, {{"b", 0, "u2", "vc-y", 2, 50, 1}, {"a", 10, "u1", "vc-x", 1, 100, 1}});
}

TEST(TraceCsv, AcceptsCrlfSpacesAndByteOrderMark) {
  const Trace trace = parse(
      "\xEF\xBB\xBFjob_id , submit_s,user,vc,gpus,duration_s,gpu_util\r\n"
      "# comment\r\n"
      "\r\n"
      "  x1 , 1.5e1 ,  ann , v1 , 2 , 1e3 , 0.5 \r\n");
  expect_jobs(trace, {{"x1", 15, "ann", "v1", 2, 1000, 0.5}});
}

TEST(TraceCsv, ErrorsNameFileAndLine) {
  const auto load = [](const std::string& name) {
    return [name] { aisys::cluster::load_trace_csv(data_path(name)); };
  };
  expect_invalid(load("trace_bad_columns.csv"),
                 data_path("trace_bad_columns.csv") + ":4: ", "expected 7 columns, got 5");
  expect_invalid(load("trace_bad_number.csv"),
                 data_path("trace_bad_number.csv") + ":3: ", "gpus 'eight' is not an integer");
  expect_invalid(load("trace_bad_gpus.csv"),
                 data_path("trace_bad_gpus.csv") + ":3: ", "gpus must be >= 1, got 0");
  expect_invalid(load("trace_duplicate_job.csv"), data_path("trace_duplicate_job.csv") + ":5: ",
                 "duplicate job_id 'j1' (first on line 2)");
  expect_invalid(load("trace_missing_header.csv"),
                 data_path("trace_missing_header.csv") + ":2: ", "missing header");
  expect_invalid(load("trace_no_jobs.csv"), data_path("trace_no_jobs.csv") + ": ", "no jobs");
}

TEST(TraceCsv, ValueErrorsNameTheColumn) {
  const std::string header = "# c\njob_id,submit_s,user,vc,gpus,duration_s,gpu_util\n";
  const auto parse_row = [&](const std::string& row) { return [=] { parse(header + row); }; };
  expect_invalid(parse_row("j,-1,u,v,1,10,1\n"), "mem.csv:3: ", "submit_s must be >= 0, got -1");
  expect_invalid(parse_row("j,0,u,v,1,0,1\n"), "mem.csv:3: ", "duration_s must be > 0, got 0");
  expect_invalid(parse_row("j,0,u,v,1,10,1.5\n"), "mem.csv:3: ", "gpu_util must be in (0, 1]");
  expect_invalid(parse_row("j,0,u,v,1,10,0\n"), "mem.csv:3: ", "gpu_util must be in (0, 1]");
  expect_invalid(parse_row("j,12x,u,v,1,10,1\n"), "mem.csv:3: ", "submit_s '12x' is not a number");
  expect_invalid(parse_row("j,0,u,v,1,nan,1\n"), "mem.csv:3: ", "duration_s 'nan' is not a number");
  expect_invalid(parse_row("j,0,u,v,1,inf,1\n"), "mem.csv:3: ", "duration_s 'inf' is not a number");
  expect_invalid(parse_row("j,0,u,v,2.5,10,1\n"), "mem.csv:3: ", "gpus '2.5' is not an integer");
  expect_invalid(parse_row("j,0,u,v,1,,1\n"), "mem.csv:3: ", "duration_s '' is not a number");
  expect_invalid(parse_row("j,0,,v,1,10,1\n"), "mem.csv:3: ", "empty user");
  expect_invalid(parse_row("j,0,u,v,1,10,1,extra\n"), "mem.csv:3: ", "expected 7 columns, got 8");
  expect_invalid([] { parse("# only comments\n\n"); }, "mem.csv: ", "missing header");
  expect_invalid([] { parse("job_id,submit,user,vc,gpus,duration_s\n"); },
                 "mem.csv:1: ", "missing header");
}

TEST_F(TraceFileTest, SaveThenLoadGivesAnIdenticalTrace) {
  TraceBuilder builder;
  builder.add("awkward-1", 0.1, "alice", "vc-a", 1, 0.1 + 0.2, 1.0 / 3);
  builder.add("awkward-2", 123456789.123456789, "bob", "vc-b", 32, 1e7 / 3, 1.0 / 7);
  builder.add("awkward-3", 1.0 / 3, "alice", "vc-b", 2, 1e-3, 1);
  builder.add("awkward-4", 0, "carol", "vc-a", 8, 1e-300, 1e-300);
  const Trace original = std::move(builder).build("unit");
  const std::string file = path("trace.csv");
  aisys::cluster::save_trace_csv(original, file);
  const Trace loaded = aisys::cluster::load_trace_csv(file);
  expect_identical(loaded, original);
  EXPECT_EQ(loaded.source, file);
  EXPECT_EQ(entries(), std::vector<std::string>{"trace.csv"});  // no temporary file left

  // Saving again over the file replaces it.
  aisys::cluster::save_trace_csv(aisys::cluster::load_trace_csv(data_path("trace_valid.csv")),
                                 file);
  expect_identical(aisys::cluster::load_trace_csv(file),
                   aisys::cluster::load_trace_csv(data_path("trace_valid.csv")));
}

TEST_F(TraceFileTest, GeneratedTraceRoundTrips) {
  aisys::cluster::GeneratorOptions options;
  options.seed = 5;
  options.jobs = 500;
  SCOPED_TRACE("seed=" + std::to_string(options.seed));
  const Trace original = aisys::cluster::generate_trace(options);
  aisys::cluster::save_trace_csv(original, path("generated.csv"));
  expect_identical(aisys::cluster::load_trace_csv(path("generated.csv")), original);
}

TEST_F(TraceFileTest, UnwritablePathThrowsAndLeavesNoFile) {
  const Trace trace = aisys::cluster::load_trace_csv(data_path("trace_valid.csv"));
  const std::string in_missing_folder = path("missing/trace.csv");
  expect_invalid([&] { aisys::cluster::save_trace_csv(trace, in_missing_folder); },
                 "cannot save trace " + in_missing_folder + ": ", "");
  EXPECT_FALSE(std::filesystem::exists(in_missing_folder));

  // The target is a folder: the temporary file is written, the rename fails, and the temporary
  // file is removed.
  std::filesystem::create_directory(path("folder"));
  expect_invalid([&] { aisys::cluster::save_trace_csv(trace, path("folder")); },
                 "cannot save trace " + path("folder") + ": ", "");
  EXPECT_EQ(entries(), std::vector<std::string>{"folder"});
  EXPECT_TRUE(std::filesystem::is_empty(path("folder")));
}

TEST_F(TraceFileTest, UnwritableNamesAreRefusedBeforeAnyFileIsLeft) {
  TraceBuilder builder;
  builder.add("j1", 0, "smith, john", "vc", 1, 10);
  const Trace trace = std::move(builder).build("unit");
  expect_invalid([&] { aisys::cluster::save_trace_csv(trace, path("t.csv")); },
                 "write_trace_csv: ", "user 'smith, john'");
  EXPECT_TRUE(entries().empty());

  TraceBuilder commented;
  commented.add("#j1", 0, "u", "vc", 1, 10);
  std::ostringstream out;
  expect_invalid([&] { aisys::cluster::write_trace_csv(std::move(commented).build("unit"), out); },
                 "write_trace_csv: ", "starts with '#'");
}

TEST(TraceCsv, WriteStartsWithCommentAndHeader) {
  TraceBuilder builder;
  builder.add("j1", 1.5, "u", "vc", 2, 60, 0.5);
  std::ostringstream out;
  aisys::cluster::write_trace_csv(std::move(builder).build("line one\nline two"), out);
  EXPECT_EQ(out.str(),
            "# aisys cluster trace: 1 jobs, from line one line two\n"
            "job_id,submit_s,user,vc,gpus,duration_s,gpu_util\n"
            "j1,1.5,u,vc,2,60,0.5\n");
}

TEST(TraceCsv, MissingFileCannotBeOpened) {
  const std::string path = data_path("no_such_trace.csv");
  expect_invalid([&] { aisys::cluster::load_trace_csv(path); }, "cannot open trace " + path + ": ",
                 "No such file");
  expect_invalid([&] { aisys::cluster::load_trace(path); }, "cannot open trace " + path + ": ",
                 "No such file");
}

// ---- Philly.
//
// philly_job_log.json, times relative to the earliest kept submission (D, 2017-09-30 23:59:50):
//   D Pass    submit 0    2 GPUs  10 s (across midnight and a month end)
//   A Pass    submit 20   4 GPUs  3600 s
//   C Failed  submit 70   1 GPU   30 s
//   B Killed  submit 310  16 GPUs (two machines in the first attempt), 600 + 1800 s (the second
//             of its three attempts never ended)
//   dropped: E (start and end "None"), F (end null), G (no GPUs), H (no attempts).

TEST(TracePhilly, LoadsTheFixture) {
  const std::string path = data_path("philly_job_log.json");
  const Trace trace = aisys::cluster::load_philly_job_log(path);
  EXPECT_EQ(trace.source, path);
  expect_jobs(trace, {{"application_D", 0, "u-carol", "vc-2", 2, 10, 1},
                      {"application_A", 20, "u-alice", "vc-1", 4, 3600, 1},
                      {"application_C", 70, "u-alice", "vc-1", 1, 30, 1},
                      {"application_B", 310, "u-bob", "vc-2", 16, 2400, 1}});
  EXPECT_EQ(trace.users, (std::vector<std::string>{"u-carol", "u-alice", "u-bob"}));
  EXPECT_EQ(trace.vcs, (std::vector<std::string>{"vc-2", "vc-1"}));
}

TEST(TracePhilly, OptionsSelectJobs) {
  const std::string path = data_path("philly_job_log.json");
  PublicTraceOptions no_failed;
  no_failed.include_failed = false;
  expect_jobs(aisys::cluster::load_philly_job_log(path, no_failed),
              {{"application_D", 0, "u-carol", "vc-2", 2, 10, 1},
               {"application_A", 20, "u-alice", "vc-1", 4, 3600, 1},
               {"application_B", 310, "u-bob", "vc-2", 16, 2400, 1}});

  PublicTraceOptions no_killed;
  no_killed.include_killed = false;
  expect_jobs(aisys::cluster::load_philly_job_log(path, no_killed),
              {{"application_D", 0, "u-carol", "vc-2", 2, 10, 1},
               {"application_A", 20, "u-alice", "vc-1", 4, 3600, 1},
               {"application_C", 70, "u-alice", "vc-1", 1, 30, 1}});

  PublicTraceOptions first_two;
  first_two.max_jobs = 2;
  expect_jobs(aisys::cluster::load_philly_job_log(path, first_two),
              {{"application_D", 0, "u-carol", "vc-2", 2, 10, 1},
               {"application_A", 20, "u-alice", "vc-1", 4, 3600, 1}});

  // Without D and C, A's submission starts the trace.
  PublicTraceOptions a_minute;
  a_minute.min_duration_s = 60;
  expect_jobs(aisys::cluster::load_philly_job_log(path, a_minute),
              {{"application_A", 0, "u-alice", "vc-1", 4, 3600, 1},
               {"application_B", 290, "u-bob", "vc-2", 16, 2400, 1}});

  PublicTraceOptions too_long;
  too_long.min_duration_s = 1e6;
  expect_invalid([&] { aisys::cluster::load_philly_job_log(path, too_long); }, path + ": ",
                 "no usable jobs (8 read; 0 dropped for their status, 3 that never ran, "
                 "1 without GPUs, 4 shorter than 1e+06 s)");

  PublicTraceOptions negative;
  negative.max_jobs = -1;
  expect_invalid([&] { aisys::cluster::load_philly_job_log(path, negative); },
                 "PublicTraceOptions: ", "max_jobs");
}

TEST_F(TraceFileTest, PhillyErrorsNameFileAndJob) {
  const auto load = [](const std::string& file) {
    return [file] { aisys::cluster::load_philly_job_log(file); };
  };
  const std::string not_json = write_file("not_json.json", "[{\"jobid\": ");
  expect_invalid(load(not_json), not_json + ": ", "not valid JSON");
  const std::string object = write_file("object.json", "{\"jobid\": \"x\"}");
  expect_invalid(load(object), object + ": ", "expected a JSON array");
  const std::string number = write_file("number.json", "[1]");
  expect_invalid(load(number), number + ": job 0: ", "not an object");
  const std::string valid_job =
      "{\"jobid\": \"app_1\", \"user\": \"u\", \"vc\": \"v\", \"status\": \"Pass\", "
      "\"submitted_time\": \"2017-10-01 00:00:00\", \"attempts\": []}";
  const std::string no_jobid =
      write_file("no_jobid.json", "[" + valid_job + ", {\"user\": \"u\"}]");
  expect_invalid(load(no_jobid), no_jobid + ": job 1: ", "missing \"jobid\"");
  const std::string no_submit =
      write_file("no_submit.json", "[{\"jobid\": \"app_9\", \"user\": \"u\", \"vc\": \"v\"}]");
  expect_invalid(load(no_submit),
                 no_submit + ": job 0 (jobid app_9): ", "missing \"submitted_time\"");
  const std::string bad_time =
      write_file("bad_time.json",
                 "[{\"jobid\": \"app_7\", \"user\": \"u\", \"vc\": \"v\", \"status\": \"Pass\", "
                 "\"submitted_time\": \"2017-02-29 00:00:00\", \"attempts\": []}]");
  expect_invalid(load(bad_time), bad_time + ": job 0 (jobid app_7): ",
                 "\"submitted_time\" '2017-02-29 00:00:00' is not a time");
  const std::string nothing = write_file("nothing.json", "[" + valid_job + "]");
  expect_invalid(load(nothing), nothing + ": ", "no usable jobs");
}

// ---- Helios.
//
// helios_cluster_log.csv, times relative to the earliest kept submission (h1, 2020-02-29 23:58:00;
// 2020 is a leap year, so 2020-03-01 00:00:30 is 150 s later):
//   h1 COMPLETED  submit 0    8 GPUs  3600 s
//   h3 CANCELLED  submit 150  2 GPUs  300 s
//   h4 FAILED     submit 240  1 GPU   45 s
//   h8 COMPLETED  submit 420  4 GPUs  86400 s
//   h6 TIMEOUT    submit 720  4 GPUs  7200 s (its quoted job name holds a comma)
//   dropped: h2 (CPU only, and the earliest submission of the file), h5 (never ran), h7 (RUNNING).

TEST(TraceHelios, LoadsTheFixture) {
  const std::string path = data_path("helios_cluster_log.csv");
  const Trace trace = aisys::cluster::load_helios_csv(path);
  EXPECT_EQ(trace.source, path);
  expect_jobs(trace, {{"h1", 0, "u1", "vcA", 8, 3600, 1},
                      {"h3", 150, "u2", "vcA", 2, 300, 1},
                      {"h4", 240, "u3", "vcB", 1, 45, 1},
                      {"h8", 420, "u1", "vcA", 4, 86400, 1},
                      {"h6", 720, "u4", "vcC", 4, 7200, 1}});
  EXPECT_EQ(trace.users, (std::vector<std::string>{"u1", "u2", "u3", "u4"}));
  EXPECT_EQ(trace.vcs, (std::vector<std::string>{"vcA", "vcB", "vcC"}));
}

TEST(TraceHelios, OptionsSelectJobs) {
  const std::string path = data_path("helios_cluster_log.csv");
  PublicTraceOptions no_failed;
  no_failed.include_failed = false;
  expect_jobs(aisys::cluster::load_helios_csv(path, no_failed),
              {{"h1", 0, "u1", "vcA", 8, 3600, 1},
               {"h3", 150, "u2", "vcA", 2, 300, 1},
               {"h8", 420, "u1", "vcA", 4, 86400, 1},
               {"h6", 720, "u4", "vcC", 4, 7200, 1}});
  PublicTraceOptions no_killed;
  no_killed.include_killed = false;
  expect_jobs(aisys::cluster::load_helios_csv(path, no_killed),
              {{"h1", 0, "u1", "vcA", 8, 3600, 1},
               {"h4", 240, "u3", "vcB", 1, 45, 1},
               {"h8", 420, "u1", "vcA", 4, 86400, 1}});
  PublicTraceOptions first_three;
  first_three.max_jobs = 3;
  expect_jobs(aisys::cluster::load_helios_csv(path, first_three),
              {{"h1", 0, "u1", "vcA", 8, 3600, 1},
               {"h3", 150, "u2", "vcA", 2, 300, 1},
               {"h4", 240, "u3", "vcB", 1, 45, 1}});
}

TEST_F(TraceFileTest, HeliosErrorsNameFileAndLine) {
  const auto load = [](const std::string& file) {
    return [file] { aisys::cluster::load_helios_csv(file); };
  };
  const std::string header = "job_id,user,vc,gpu_num,state,submit_time,duration\n";
  const std::string no_duration =
      write_file("no_duration.csv", "job_id,user,vc,gpu_num,state,submit_time\n");
  expect_invalid(load(no_duration), no_duration + ":1: ", "missing column 'duration'");
  const std::string bad_gpus =
      write_file("bad_gpus.csv", header +
                                     "a,u,v,1,COMPLETED,2020-01-01 00:00:00,10\n"
                                     "b,u,v,x,COMPLETED,2020-01-01 00:00:00,10\n");
  expect_invalid(load(bad_gpus), bad_gpus + ":3: ", "gpu_num 'x' is not an integer");
  const std::string bad_time =
      write_file("bad_time.csv", header + "a,u,v,1,COMPLETED,2020-02-30 00:00:00,10\n");
  expect_invalid(load(bad_time),
                 bad_time + ":2: ", "submit_time '2020-02-30 00:00:00' is not a time");
  const std::string short_row = write_file("short_row.csv", header + "a,u,v,1,COMPLETED\n");
  expect_invalid(load(short_row), short_row + ":2: ", "expected 7 columns, got 5");
  const std::string cpu_only =
      write_file("cpu_only.csv", header + "a,u,v,0,COMPLETED,2020-01-01 00:00:00,10\n");
  expect_invalid(load(cpu_only), cpu_only + ": ", "no usable jobs");
}

// ---- load_trace.

TEST(TraceLoad, DispatchesOnTheFile) {
  expect_identical(aisys::cluster::load_trace(data_path("philly_job_log.json")),
                   aisys::cluster::load_philly_job_log(data_path("philly_job_log.json")));
  expect_identical(aisys::cluster::load_trace(data_path("helios_cluster_log.csv")),
                   aisys::cluster::load_helios_csv(data_path("helios_cluster_log.csv")));
  expect_identical(aisys::cluster::load_trace(data_path("trace_valid.csv")),
                   aisys::cluster::load_trace_csv(data_path("trace_valid.csv")));
  PublicTraceOptions first_two;
  first_two.max_jobs = 2;
  EXPECT_EQ(aisys::cluster::load_trace(data_path("helios_cluster_log.csv"), first_two).jobs.size(),
            2u);
}

}  // namespace
