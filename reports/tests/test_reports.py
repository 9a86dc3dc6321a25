#!/usr/bin/env python3
# AISys Labs: unit tests of the report generator (make_report.py) and the handout table generator
# (handout_table.py), run on the fixtures in reports/tests/fixtures/.
#
# Run: /usr/bin/python3 reports/tests/test_reports.py   (an interpreter that imports matplotlib;
# CTest runs it as reports.unit with AISYS_PYTHON). The scripts run as separate processes, the way
# `aisys report` calls them, so exit codes and stderr are tested as users see them.

import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORTS = os.path.dirname(HERE)
FIX = os.path.join(HERE, "fixtures")
MAKE_REPORT = os.path.join(REPORTS, "make_report.py")
HANDOUT = os.path.join(REPORTS, "handout_table.py")

CPU = os.path.join(FIX, "cpu-lab01.json")
GPU = os.path.join(FIX, "gpu-metrics.json")
BROKEN = os.path.join(FIX, "broken-not-json.json")
WRONG_SCHEMA = os.path.join(FIX, "wrong-schema.json")
README = os.path.join(FIX, "README-lab01.md")


def run(script, *args):
    return subprocess.run([sys.executable, script] + list(args), capture_output=True, text=True,
                          timeout=300)


def snapshot(folder):
    """{relative path: bytes} of every file under folder."""
    out = {}
    for root, _dirs, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, folder)] = fh.read()
    return out


class MakeReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="aisys-report-test-")
        cls.out = os.path.join(cls.tmp, "report")
        cls.proc = run(MAKE_REPORT, "--out", cls.out, "--title", "Fixture <report> & co", CPU, GPU)
        with open(CPU) as f:
            cls.cpu = json.load(f)
        with open(GPU) as f:
            cls.gpu = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read(self, name):
        with open(os.path.join(self.out, name), encoding="utf-8") as f:
            return f.read()

    def test_exit_code_and_files(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        for name in ("index.html", "summary.md", "results.json"):
            self.assertTrue(os.path.isfile(os.path.join(self.out, name)), name)
        plots = os.listdir(os.path.join(self.out, "plots"))
        pngs = [p for p in plots if p.endswith(".png")]
        svgs = [p for p in plots if p.endswith(".svg")]
        # CPU file: square and llm-k4096 at 1 and 2 threads; GPU file: square at 1 thread.
        self.assertEqual(len(pngs), 5, plots)
        self.assertEqual(sorted(p[:-4] for p in pngs), sorted(p[:-4] for p in svgs))
        for p in pngs:
            with open(os.path.join(self.out, "plots", p), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", p)
        for p in svgs:
            with open(os.path.join(self.out, "plots", p), encoding="utf-8") as f:
                self.assertIn("<svg", f.read(), p)
        # No temporary folders are left beside the report.
        self.assertEqual(os.listdir(self.tmp), ["report"])

    def test_index_html_content(self):
        page = self.read("index.html")
        self.assertTrue(page.startswith("<!DOCTYPE html>"))
        self.assertIn("AMD EPYC 9B45", page)
        self.assertIn("NVIDIA H100 80GB HBM3", page)
        self.assertIn("Cooperlake", page)
        self.assertIn("0.3.21", page)
        self.assertIn("measured: 12 independent vfmadd chains", page)
        self.assertIn("datasheet: DDR5-4800", page)
        self.assertNotIn("<script", page.lower())
        self.assertNotIn("http://", page)
        self.assertNotIn("https://", page)
        for rec in self.cpu["records"] + self.gpu["records"]:
            self.assertIn(">%s<" % html.escape(rec["case"]), page, rec["case"])
        # Every plot is shown inline as PNG and linked as SVG, and exists.
        for p in os.listdir(os.path.join(self.out, "plots")):
            if p.endswith(".png"):
                self.assertIn('<img src="plots/%s"' % p, page)
            else:
                self.assertIn('href="plots/%s"' % p, page)
        # The title is escaped.
        self.assertIn("Fixture &lt;report&gt; &amp; co", page)
        self.assertNotIn("Fixture <report>", page)

    def test_tables(self):
        page = self.read("index.html")
        md = self.read("summary.md")
        # cpu/microkernel/1024 (reference): ratio 0.843, spread 0.04 -> "0.84 ± 0.02".
        rec = next(r for r in self.cpu["records"]
                   if r["case"] == "cpu/microkernel/1024" and r["impl"] == "reference")
        self.assertEqual(rec["ratio_to_baseline"], 0.843)
        self.assertEqual(rec["spread"], 0.04)
        row = next(line for line in md.splitlines()
                   if line.startswith("| cpu/microkernel/1024 | cpu/microkernel | reference |"))
        self.assertIn("| 0.84 ± 0.02 |", row)
        self.assertIn("| 178.6 GFLOP/s |", row)
        self.assertIn("| 211.7 GFLOP/s |", row)
        self.assertIn("| 0.70 | compute |", row)
        self.assertIn("0.84 ± 0.02", page)
        self.assertIn("ratio to baseline ± IQR/2", page)
        # Metric records: their own table with name, value, unit, better, baseline value, ratio.
        self.assertIn("Metric records", page)
        row = next(line for line in md.splitlines() if line.startswith("| sched/tiresias/"))
        for cell in ("avg_jct", "12.3", "| s |", "lower", "fifo", "30.1", "2.45"):
            self.assertIn(cell, row)
        # The record with fields missing still appears, with its time.
        row = next(line for line in md.splitlines() if "cpu/blocked/odd-1000x999x1001" in line)
        self.assertIn("27.1 ms", row)

    def test_results_json_merges_everything(self):
        merged = json.loads(self.read("results.json"))
        self.assertEqual(merged["schema"], "aisys.results/1")
        self.assertEqual(len(merged["records"]),
                         len(self.cpu["records"]) + len(self.gpu["records"]))
        self.assertEqual([s["file"] for s in merged["sources"]],
                         ["cpu-lab01.json", "gpu-metrics.json"])
        self.assertEqual(merged["sources"][0]["context"]["cpu"]["model"], "AMD EPYC 9B45")
        self.assertEqual({r["source"] for r in merged["records"]}, {0, 1})
        # The archive is itself a valid input.
        out2 = os.path.join(self.tmp, "from-archive")
        try:
            proc = run(MAKE_REPORT, "--out", out2, os.path.join(self.out, "results.json"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
        finally:
            shutil.rmtree(out2, ignore_errors=True)

    def test_rerun_replaces_report(self):
        out = os.path.join(self.tmp, "rerun")
        try:
            self.assertEqual(run(MAKE_REPORT, "--out", out, CPU, GPU).returncode, 0)
            proc = run(MAKE_REPORT, "--out", out, GPU)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(os.path.join(out, "index.html"), encoding="utf-8") as f:
                page = f.read()
            self.assertNotIn("AMD EPYC 9B45", page)
            self.assertIn("Intel Xeon Platinum 8480+", page)
            self.assertEqual(len([p for p in os.listdir(os.path.join(out, "plots"))
                                  if p.endswith(".png")]), 1)
        finally:
            shutil.rmtree(out, ignore_errors=True)


class MakeReportErrorsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aisys-report-err-")
        self.out = os.path.join(self.tmp, "report")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def check_rejected(self, bad, reason):
        proc = run(MAKE_REPORT, "--out", self.out, CPU, bad)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, proc.stderr)
        self.assertIn(bad, lines[0])
        self.assertIn(reason, lines[0])
        return proc

    def test_broken_json_writes_nothing(self):
        self.check_rejected(BROKEN, "not valid JSON")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_wrong_schema_writes_nothing(self):
        self.check_rejected(WRONG_SCHEMA, "schema")
        self.assertEqual(os.listdir(self.tmp), [])

    def test_missing_file(self):
        self.check_rejected(os.path.join(self.tmp, "nope.json"), "cannot read")

    def test_records_not_a_list(self):
        bad = os.path.join(self.tmp, "bad-records.json")
        with open(bad, "w") as f:
            json.dump({"schema": "aisys.results/1", "context": {}, "records": {"a": 1}}, f)
        self.check_rejected(bad, "records")

    def test_broken_file_leaves_existing_report_untouched(self):
        self.assertEqual(run(MAKE_REPORT, "--out", self.out, CPU).returncode, 0)
        before = snapshot(self.out)
        self.assertIn("index.html", before)
        for bad, reason in ((BROKEN, "not valid JSON"), (WRONG_SCHEMA, "schema")):
            self.check_rejected(bad, reason)
            self.assertEqual(snapshot(self.out), before)
        self.assertEqual(os.listdir(self.tmp), ["report"])

    def test_refuses_to_replace_a_foreign_folder(self):
        os.makedirs(self.out)
        keep = os.path.join(self.out, "precious.txt")
        with open(keep, "w") as f:
            f.write("not a report")
        proc = run(MAKE_REPORT, "--out", self.out, CPU)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("refusing", proc.stderr)
        self.assertEqual(os.listdir(self.out), ["precious.txt"])


class HandoutTableTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="aisys-handout-")
        self.readme = os.path.join(self.tmp, "README.md")
        shutil.copy(README, self.readme)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def handout(self, *extra, lab="01", files=(CPU,)):
        return run(HANDOUT, "--lab", lab, "--readme", self.readme, *extra, *files)

    def text(self):
        with open(self.readme, encoding="utf-8") as f:
            return f.read()

    def test_rewrite_then_check(self):
        original = self.text()
        self.assertIn("(stale table)", original)
        proc = self.handout("--check")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn(self.readme, proc.stderr)
        self.assertEqual(self.text(), original)  # --check writes nothing

        proc = self.handout()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        new = self.text()
        self.assertNotIn("(stale table)", new)
        head, rest = new.split("<!-- BEGIN reference-numbers", 1)
        table, tail = rest.split("<!-- END reference-numbers -->", 1)
        self.assertEqual(head, original.split("<!-- BEGIN reference-numbers", 1)[0])
        self.assertEqual(tail, original.split("<!-- END reference-numbers -->", 1)[1])
        self.assertIn("| case | impl | threads | GFLOP/s | baseline GFLOP/s |", table)
        self.assertIn("| cpu/microkernel/1024 | reference | 1 | 178.6 | 211.7 | 0.84 ± 0.02 | 0.70 |",
                      table)
        self.assertIn("| cpu/multithreaded/llm/128 | reference | 2 |", table)
        self.assertNotIn("skeleton", table)  # only impl "reference"
        self.assertIn("AMD EPYC 9B45", table)
        self.assertIn("Cooperlake", table)
        self.assertIn("abc1234", table)
        self.assertIn("2026-11-23T13:00:00Z", table)
        self.assertIn("aisys bench 01 --impl reference --json", table)
        rows = [l for l in table.splitlines() if l.startswith("| cpu/")]
        with open(CPU) as f:
            expected = [r for r in json.load(f)["records"] if r["impl"] == "reference"]
        self.assertEqual(len(rows), len(expected))

        proc = self.handout("--check")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        # A second rewrite changes nothing.
        self.assertEqual(self.handout().returncode, 0)
        self.assertEqual(self.text(), new)

    def test_check_fails_after_edit(self):
        self.assertEqual(self.handout().returncode, 0)
        edited = self.text().replace("| 178.6 |", "| 199.9 |", 1)
        self.assertNotEqual(edited, self.text())
        with open(self.readme, "w", encoding="utf-8") as f:
            f.write(edited)
        proc = self.handout("--check")
        self.assertEqual(proc.returncode, 1)
        self.assertIn(self.readme, proc.stderr)
        self.assertIn("out of date", proc.stderr)
        self.assertEqual(self.text(), edited)

    def test_other_lab_and_metrics(self):
        proc = self.handout(lab="8", files=(CPU, GPU))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = self.text()
        self.assertIn("| sched/tiresias/philly-trace-small | reference | 1 | avg_jct 12.3 s | 30.1 s |", t)
        self.assertNotIn("cpu/microkernel", t)
        self.assertIn("NVIDIA H100 80GB HBM3", t)

    def test_missing_markers(self):
        with open(self.readme, "w", encoding="utf-8") as f:
            f.write("# A handout without markers\n")
        for extra in ((), ("--check",)):
            proc = self.handout(*extra)
            self.assertEqual(proc.returncode, 2)
            self.assertIn(self.readme, proc.stderr)
            self.assertIn("reference-numbers", proc.stderr)
        with open(self.readme, encoding="utf-8") as f:
            self.assertEqual(f.read(), "# A handout without markers\n")

    def test_no_records_for_lab(self):
        proc = self.handout(lab="05")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("lab 05", proc.stderr)

    def test_broken_results(self):
        proc = self.handout(files=(BROKEN,))
        self.assertEqual(proc.returncode, 2)
        self.assertIn(BROKEN, proc.stderr)
        self.assertIn("(stale table)", self.text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
