// The `aisys` command-line interface (CLI11). See commands.hpp for the subcommands and exit codes,
// and the top-level README.md for who uses which.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"aisys: build, test, grade, benchmark and report the AISys Labs"};
  app.require_subcommand(1);

  app.add_subcommand("list", "List the labs, their parts and points");
  app.add_subcommand("doctor", "Check this machine: compilers, CUDA, GPU, baselines, Python, datasets");
  app.add_subcommand("check", "Check every lab against the lab contract (DESIGN.md)");

  aisys::cli::TestArgs test;
  auto* t = app.add_subcommand("test", "Build a lab and run its tests, part by part");
  t->add_option("lab", test.lab, "Lab id (01) or name (01-matmul)")->required();
  t->add_option("--part", test.part, "Run only this part (names in lab.json)");
  t->add_option("--case", test.test_case, "Only this test of the part, Suite.Name (a failure prints it)")->needs(
      t->get_option("--part"));
  t->add_option("--seed", test.seed, "Random seed (a failure prints the one to rerun with)");
  t->add_option("--impl", test.impl, "skeleton (your files, the default) or reference")
      ->check(CLI::IsMember({"skeleton", "reference"}));

  aisys::cli::GradeArgs grade;
  auto* g = app.add_subcommand("grade", "Grade a submission (exit 0 whenever grading ran)");
  g->add_option("lab", grade.lab, "Lab id (01) or name (01-matmul)")->required();
  g->add_option("--submission", grade.submission, "Folder with the student files (default: the lab's skeleton/)");
  g->add_option("--base", grade.base, "Take files the submission lacks from this folder instead of the skeleton");
  g->add_option("--batch", grade.batch, "Folder of submission folders: one CSV row each");
  g->add_option("--format", grade.format, "table, gradescope, junit, csv or json")
      ->check(CLI::IsMember({"table", "gradescope", "junit", "csv", "json"}));
  g->add_option("--out", grade.out, "Write the formatted grade here (atomically)");
  g->add_option("--expect", grade.expect, "expected.json: exit 1 unless the grade matches it");
  g->add_option("--timeout", grade.timeout_s, "Seconds per part (default: lab.json's timeout_s)")
      ->check(CLI::Range(1, 86400));
  g->add_option("--seed", grade.seed, "Seed for the tests' inputs (default: drawn and printed)");
  g->add_flag("--quick", grade.quick, "Fewer benchmark pairs (for CI smoke runs)");
  g->add_flag("--keep", grade.keep, "Keep the grading tree for inspection");
  g->add_flag("--verbose", grade.verbose, "Show build output");

  aisys::cli::BenchArgs bench;
  auto* b = app.add_subcommand("bench", "Benchmark a lab against its baselines; write results JSON");
  b->add_option("lab", bench.lab, "Lab id (01) or name (01-matmul)")->required();
  b->add_option("--impl", bench.impl, "reference (default where present) or skeleton")
      ->check(CLI::IsMember({"skeleton", "reference"}));
  b->add_option("--filter", bench.filter, "Regular expression over case names (cpu/microkernel/1024)");
  b->add_option("--out", bench.out, "Results JSON (default: <build>/results/labNN-<impl>.json)");
  b->add_option("--pairs", bench.pairs, "Interleaved candidate/baseline pairs per case");
  b->add_flag("--quick", bench.quick, "Few pairs, short runs: a smoke test, not a measurement");

  aisys::cli::ReportArgs report;
  auto* r = app.add_subcommand("report", "Write the performance report (HTML with plots)");
  r->add_option("--results", report.results, "Results JSON files (default: run the reference benchmarks now)");
  r->add_option("--out", report.out, "Output folder")->required();
  r->add_option("--lab", report.labs, "When benchmarking: only this lab (repeatable; default: every lab in this build)");
  r->add_option("--filter", report.filter, "When benchmarking: regular expression over case names");
  r->add_flag("--quick", report.quick, "When benchmarking: few pairs, short runs");

  std::string handout_out;
  auto* h = app.add_subcommand("handout", "Cut the student release: no reference/, no hidden tests, no .git");
  h->add_option("--out", handout_out, "Output folder (must not exist or be empty)")->required();

  CLI11_PARSE(app, argc, argv);
  try {
    if (app.got_subcommand("list")) return aisys::cli::cmd_list();
    if (app.got_subcommand("doctor")) return aisys::cli::cmd_doctor();
    if (app.got_subcommand("check")) return aisys::cli::cmd_check();
    if (app.got_subcommand(t)) return aisys::cli::cmd_test(test);
    if (app.got_subcommand(g)) return aisys::cli::cmd_grade(grade);
    if (app.got_subcommand(b)) return aisys::cli::cmd_bench(bench);
    if (app.got_subcommand(r)) return aisys::cli::cmd_report(report);
    if (app.got_subcommand(h)) return aisys::cli::cmd_handout(handout_out);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aisys: %s\n", e.what());
    return 2;
  }
  return 2;
}
