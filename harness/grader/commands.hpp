// The `aisys` subcommands (DESIGN.md says who types what):
//   list | doctor | check | test | grade | bench | report | handout
// Each returns the process exit code: 0 when it did its job (grading ran, whatever the score),
// 1 when it found a failure it was asked to find (failing tests, an unmet expectation, contract
// problems), 2 when it could not run (unknown lab, bad arguments, broken files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aisys::cli {

int cmd_list();
int cmd_doctor();
int cmd_check();

struct TestArgs {
  std::string lab;
  std::string part;
  std::string test_case;  // --case Suite.Name: only this test of the part (a GoogleTest filter)
  std::optional<std::uint64_t> seed;
  std::string impl;  // skeleton | reference
};
int cmd_test(const TestArgs& a);

struct GradeArgs {
  std::string lab;
  std::string submission;  // default: the lab's skeleton/
  std::string base;        // files missing from the submission come from here (instructors)
  std::string batch;       // a folder of submission folders
  std::string format = "table";
  std::string out;
  std::string expect;      // expected.json: exit 1 unless the grade matches
  std::optional<double> timeout_s;
  std::optional<std::uint64_t> seed;
  bool quick = false;
  bool keep = false;
  bool verbose = false;
};
int cmd_grade(const GradeArgs& a);

struct BenchArgs {
  std::string lab;
  std::string impl;
  std::string filter;
  std::string out;
  bool quick = false;
  int pairs = 0;
};
int cmd_bench(const BenchArgs& a);

struct ReportArgs {
  std::vector<std::string> results;
  std::vector<std::string> labs;  // --lab: benchmark only these (default: every lab in this build)
  std::string out;
  bool quick = false;
  std::string filter;
};
int cmd_report(const ReportArgs& a);

int cmd_handout(const std::string& out);

}  // namespace aisys::cli
